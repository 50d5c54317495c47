// `inference-budget check PATH...`: the editor's analysis (src/analysis: the same readers, model resolution and
// engine) over files, folders and globs, printed as ESLint-style lines, one JSON object, SARIF or GitHub
// annotations; with --diff/--baseline, only what a change made worse (src/cli/regressions.ts).
import { ReadRefused, readRegularFile, readRegularFileSync } from '../analysis/boundedRead';
import { MAX_CONFIG_BYTES } from './modelFiles';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { parseArgs } from 'util';
import { AnalysisHost, analyzeDocument, DocumentAnalysis } from '../analysis/analyze';
import type { FindingSeverity } from '../analysis/findings';
import type { Logger } from '../analysis/log';
import { defaultSettings, modelAliasesOf, Settings } from '../analysis/settings';
import { readModelAliases } from './modelRefs';
import { githubAnnotations } from './annotations';
import { FileModelResolver, FileResolverOptions } from './fileResolver';
import { analysedFile, DeploymentJson, DiagnosticJson, FileJson, Span } from '../analysis/checkJson';
import { DEFAULT_THRESHOLD_PERCENT, findRegressions, RegressionReport } from './regressions';
import { LocatedResult, locatedResults, sarifLog, SarifTool } from './sarif';
import { cliVersion } from './version';

export type { DeploymentJson, DiagnosticJson, FileJson } from '../analysis/checkJson';
export { fileJson } from '../analysis/checkJson';

export const CHECK_USAGE = `Usage: inference-budget check PATH... [options]

Checks deployment files and model configs as the editor does: the same readers, model resolution and engine.
PATH is a file, a folder (searched for .yaml .yml .json, compose files and Modelfiles) or a glob ("deploy/**/*.yaml").

Options:
  --format FORMAT        text (default: ESLint-style lines), json (one object: files, deployments with their report
                         and diagnostics, summary), sarif (SARIF 2.1.0, for code scanning) or github (workflow
                         commands that annotate a pull request)
  --json                 the same as --format json
  --output FILE          write the report to FILE instead of the standard output
  --quiet                print errors only (text and github)
  --diff BASE            report only what changed for the worse since the git revision BASE (a branch, tag or commit)
  --baseline FILE        report only what changed for the worse since FILE, an earlier check --format json
  --threshold PCT        with --diff or --baseline: a drop in KV-cache tokens or max concurrency larger than PCT
                         percent is a regression (default: ${DEFAULT_THRESHOLD_PERCENT})
  --workspace DIR        folder searched for models' config.json files (repeatable; default: the current folder)
  --no-workspace         search no workspace (models come from paths, the Hugging Face cache and the bundled catalog)
  --default-gpu NAME     GPU of deployments that name none (default: H100)
  --models FILE          a JSON or YAML map of model ids (or globs: "acme/llama-ft-*") to a config.json path
                         (relative to FILE) or to a model id to size them as; applied before any other lookup,
                         as the editor's inferenceBudget.models setting is
  -h, --help

Models are looked up by path, in the workspace, in the local Hugging Face cache (HF_HUB_CACHE, HF_HOME) and in
the bundled catalog; never on the network.
With --diff or --baseline a regression is, per deployment (matched by file and name): fits → does not fit,
sized → not sized, a new error code, or KV-cache tokens or max concurrency down by more than the threshold.
Exit codes: 0 every sized deployment fits, 1 an error diagnostic, 2 a usage or file error.
With --diff or --baseline: 0 no regression (errors there before do not count), 1 a regression, 2 a usage, file
or git error.`;

export interface CheckSummary {
  files: number;
  recognised: number;
  deployments: number;
  sized: number;
  notSized: number;
  fit: number;
  doNotFit: number;
  errors: number;
  warnings: number;
  information: number;
  hints: number;
  /** Files that could not be read (or were too large to analyse). */
  unreadable: number;
}

export interface CheckJson { files: FileJson[]; summary: CheckSummary }

export interface CheckOptions {
  settings?: Settings;
  resolver?: FileResolverOptions;
  log?: Logger;
}

/** Folder entries `check` looks at. */
export function isCheckedFileName(name: string): boolean {
  return /\.(ya?ml|json)$/i.test(name) || /^(docker-)?compose\b/i.test(name) || /(^|\.)modelfile(\.|$)/i.test(name);
}

const SKIPPED_FOLDERS = new Set(['node_modules', '.git']);

/** Files named by PATH arguments (files, folders, globs), in order, each once; and the arguments that named none. */
export function expandTargets(targets: readonly string[], cwd = process.cwd()): { files: string[]; unmatched: string[] } {
  const files: string[] = [];
  const seen = new Set<string>();
  const unmatched: string[] = [];
  const add = (p: string): void => {
    const key = path.resolve(cwd, p);
    if (!seen.has(key)) { seen.add(key); files.push(p); }
  };
  for (const target of targets) {
    const before = files.length;
    if (/[*?[{]/.test(target) && !fs.existsSync(path.resolve(cwd, target))) {
      for (const f of globFiles(target, cwd)) add(f);
    } else {
      let st: fs.Stats | undefined;
      try { st = fs.statSync(path.resolve(cwd, target)); } catch { st = undefined; }
      if (st?.isDirectory()) for (const f of walk(target, cwd)) { if (isCheckedFileName(path.basename(f))) add(f); }
      else if (st) add(target);
    }
    if (files.length === before && !seen.has(path.resolve(cwd, target))) unmatched.push(target);
  }
  return { files, unmatched };
}

/** Every file under a folder (sorted, node_modules and .git skipped), as paths starting with `dir`. */
function walk(dir: string, cwd: string): string[] {
  const out: string[] = [];
  let entries: fs.Dirent[];
  try { entries = fs.readdirSync(path.resolve(cwd, dir), { withFileTypes: true }); } catch { return out; }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) { if (!SKIPPED_FOLDERS.has(e.name)) for (const f of walk(p, cwd)) out.push(f); } else if (e.isFile()) out.push(p);
  }
  return out;
}

/** Files matching a glob (`*`, `**`, `?`, `[...]`, `{a,b}`), searched from its first segment with a wildcard. */
function globFiles(pattern: string, cwd: string): string[] {
  const normalized = pattern.split(path.sep).join('/');
  const segments = normalized.split('/');
  const firstWild = segments.findIndex((s) => /[*?[{]/.test(s));
  const root = segments.slice(0, firstWild).join('/') || (normalized.startsWith('/') ? '/' : '.');
  const re = globToRegExp(normalized.replace(/^\.\//, ''));
  return walk(root, cwd).filter((f) => re.test(f.split(path.sep).join('/').replace(/^\.\//, '')));
}

export function globToRegExp(glob: string): RegExp {
  let re = '';
  let braces = 0;
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') {
      if (glob[i + 1] === '*') {
        // `**/` matches any number of folders, `**` at the end anything.
        const slash = glob[i + 2] === '/';
        re += slash ? '(?:[^/]*/)*' : '.*';
        i += slash ? 2 : 1;
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else { re += `[${glob.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\')}]`; i = end; }
    } else if (c === '{') { braces++; re += '(?:'; } else if (c === '}' && braces > 0) { braces--; re += ')'; } else if (c === ',' && braces > 0) re += '|';
    else re += c.replace(/[.+^$()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** Analyses one file's text with the editor's code path. */
export function analyzeFile(file: string, text: string, settings: Settings, resolver: FileModelResolver, log: Logger): Promise<DocumentAnalysis> {
  const absolute = path.resolve(file);
  const host: AnalysisHost = {
    resolveAll: (references) => resolver.resolveAll(references, absolute, settings),
    filesBeside: (config) => resolver.filesBeside(absolute, config),
    readBeside: (name) => readRegularFile(path.join(path.dirname(absolute), name), MAX_CONFIG_BYTES).then((b) => b.toString('utf8'), () => undefined),
  };
  return analyzeDocument({ uri: absolute, fileName: absolute, version: 1, text }, settings, host, log);
}

/** Runs check over files (already expanded); `read` errors become unreadable files. */
export async function checkFiles(files: readonly string[], options: CheckOptions = {}): Promise<CheckJson> {
  return (await checkSources(files, options)).report;
}

/** A file's text, or undefined when the file is to be left out (absent at a git revision). */
type ReadText = (file: string, maxBytes: number) => string | undefined;

const readFromDisk: ReadText = (file, maxBytes) => readRegularFileSync(file, maxBytes).toString('utf8');

/** check over files whose text `read` gives, with each deployment's position. */
async function checkSources(files: readonly string[], options: CheckOptions, read: ReadText = readFromDisk): Promise<{ report: CheckJson; anchors: Span[][] }> {
  const settings = options.settings ?? defaultSettings();
  const log = options.log ?? { info: () => undefined, warn: () => undefined, error: () => undefined };
  const resolver = new FileModelResolver(log, options.resolver);
  const out: FileJson[] = [];
  const anchors: Span[][] = [];
  let unreadable = 0;
  for (const file of files) {
    let text: string | undefined;
    try {
      text = read(file, settings.maxFileSizeBytes);
    } catch (e) {
      if (e instanceof CheckError) throw e;
      unreadable++;
      const message = e instanceof ReadRefused ? e.message : `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`;
      out.push({ path: file, kind: null, problems: [{ severity: 'error', code: 'io-error', message, line: 1, column: 1, endLine: 1, endColumn: 1 }], deployments: [] });
      anchors.push([]);
      continue;
    }
    if (text === undefined) continue;
    const analysed = analysedFile(file, await analyzeFile(file, text, settings, resolver, log));
    out.push(analysed.json);
    anchors.push(analysed.anchors);
  }
  return { report: { files: out, summary: summarize(out, unreadable) }, anchors };
}

function summarize(files: readonly FileJson[], unreadable: number): CheckSummary {
  const s: CheckSummary = { files: files.length, recognised: 0, deployments: 0, sized: 0, notSized: 0, fit: 0, doNotFit: 0, errors: 0, warnings: 0, information: 0, hints: 0, unreadable };
  const count = (d: DiagnosticJson): void => {
    if (d.severity === 'error') s.errors++;
    else if (d.severity === 'warning') s.warnings++;
    else if (d.severity === 'information') s.information++;
    else s.hints++;
  };
  for (const f of files) {
    if (f.kind) s.recognised++;
    f.problems.forEach(count);
    for (const d of f.deployments) {
      s.deployments++;
      if (d.sized) { s.sized++; if (d.fits) s.fit++; else s.doNotFit++; } else s.notSized++;
      d.diagnostics.forEach(count);
    }
  }
  return s;
}

const SEVERITY_WORD: Record<FindingSeverity, string> = { error: 'error', warning: 'warning', information: 'info', hint: 'hint' };

/** ESLint-style lines (`path:line:col  severity  message  [code]`), in document order per file, and a summary. */
export function formatCheck(report: CheckJson, quiet: boolean): string {
  const lines = shown(locatedResults(report), quiet).map((d) => `${d.path}:${d.line}:${d.column}  ${SEVERITY_WORD[d.severity]}  ${oneLine(d.message)}  [${d.code}]`);
  return [...lines, ...(lines.length ? [''] : []), ...checkSummaryLines(report.summary)].join('\n');
}

function shown(results: LocatedResult[], quiet: boolean): LocatedResult[] {
  return quiet ? results.filter((d) => d.severity === 'error') : results;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** The two lines that end text and github output. */
function checkSummaryLines(s: CheckSummary): string[] {
  return [
    `${plural(s.files, 'file')}, ${s.recognised} recognised; ${plural(s.deployments, 'deployment')}: ${s.sized} sized (${s.fit} fit, ${s.doNotFit} do not), ${s.notSized} not sized`,
    `${plural(s.errors, 'error')}, ${plural(s.warnings, 'warning')}, ${s.information} info, ${plural(s.hints, 'hint')}${s.unreadable ? `; ${s.unreadable} unreadable` : ''}`,
  ];
}

/** One line per regression (`path:line:col  regression  deployment: what changed  [code]`), then two summary lines. */
export function formatRegressions(report: RegressionReport, against: string): string {
  const lines = report.regressions.map((r) => `${r.path}:${r.line}:${r.column}  regression  ${r.deployment ? `${r.deployment}: ` : ''}${oneLine(r.message)}  [${r.code}]`);
  return [...lines, ...(lines.length ? [''] : []), ...regressionSummaryLines(report, against)].join('\n');
}

function regressionSummaryLines(report: RegressionReport, against: string): string[] {
  const s = report.summary;
  return [
    `${plural(s.regressions, 'regression')} against ${against}`,
    `${plural(s.deployments, 'deployment')}: ${s.compared} compared, ${s.new} new`,
  ];
}

function oneLine(s: string): string {
  return s.replace(/[\r\n\u2028\u2029]+/g, ' ');
}

/** 0 every sized deployment fits and no error; 1 an error diagnostic; 2 a file that could not be read. */
export function checkExitCode(report: CheckJson): number {
  if (report.summary.unreadable > 0) return 2;
  return report.summary.errors > 0 || report.summary.doNotFit > 0 ? 1 : 0;
}

export const CHECK_FORMATS = ['text', 'json', 'sarif', 'github'] as const;
export type CheckFormat = typeof CHECK_FORMATS[number];

/** A usage, file or git error: one line, exit code 2. */
class CheckError extends Error {}

/** The SARIF tool: this package, at the version bundled (omitted when unknown). */
function sarifTool(): SarifTool {
  const version = cliVersion();
  return { name: 'inference-budget', ...(version !== 'unknown' ? { version } : {}), informationUri: 'https://github.com/inference-budget/inference-budget' };
}

/** The report in the chosen format (the text check prints or writes to --output). */
function formatted(format: CheckFormat, report: CheckJson, quiet: boolean, cwd: string): string {
  switch (format) {
    case 'json': return JSON.stringify(report, null, 2);
    case 'sarif': return JSON.stringify(sarifLog(locatedResults(report), sarifTool(), { srcRoot: cwd }), null, 2);
    case 'github': return [...githubAnnotations(shown(locatedResults(report), quiet)), ...checkSummaryLines(report.summary)].join('\n');
    case 'text': return formatCheck(report, quiet);
  }
}

/** Regressions in the chosen format: only the regressions (and for text and github two summary lines). */
function formattedRegressions(format: CheckFormat, report: RegressionReport, against: string, cwd: string): string {
  switch (format) {
    case 'json': return JSON.stringify({ against, ...report }, null, 2);
    case 'sarif': return JSON.stringify(sarifLog(report.regressions, sarifTool(), { srcRoot: cwd }), null, 2);
    case 'github': return [...githubAnnotations(report.regressions), ...regressionSummaryLines(report, against)].join('\n');
    case 'text': return formatRegressions(report, against);
  }
}

/** The git repository's top folder, and BASE as a commit; a CheckError when either is missing. */
function gitBase(base: string, cwd: string): { top: string; commit: string } {
  // A revision that starts with a dash would be read as an option of git.
  if (base.startsWith('-')) throw new CheckError(`--diff expects a git revision, got ${JSON.stringify(base)}`);
  let top: string;
  try {
    top = git(['rev-parse', '--show-toplevel'], cwd).trim();
  } catch (e) {
    throw new CheckError((e as NodeJS.ErrnoException).code === 'ENOENT' ? '--diff needs git, which was not found' : `--diff needs a git repository; ${cwd} is not in one`);
  }
  try {
    return { top: fs.realpathSync(top), commit: git(['rev-parse', '--verify', '--quiet', `${base}^{commit}`], top).trim() };
  } catch {
    throw new CheckError(`--diff ${base}: no such revision in ${top}`);
  }
}

function git(args: string[], cwd: string, maxBuffer = 1 << 20): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer });
}

/** Reads files as they were at a commit: undefined for a file absent there (new: everything in it counts). */
function readAtCommit(top: string, commit: string): ReadText {
  return (file, maxBytes) => {
    const relative = path.relative(top, fs.realpathSync(file));
    if (relative.startsWith('..') || path.isAbsolute(relative)) throw new CheckError(`--diff: ${file} is outside the git repository ${top}`);
    const spec = `${commit}:${relative.split(path.sep).join('/')}`;
    // Absent at the commit (or a folder there): nothing before. Larger than the limit: the analysis skips it.
    try { git(['cat-file', '-e', spec], top); } catch { return undefined; }
    return git(['show', spec], top, maxBytes + (1 << 20));
  };
}

/** A previous `check --format json` report; a CheckError when FILE is not one. */
function readBaseline(file: string, cwd: string): CheckJson {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(path.resolve(cwd, file), 'utf8'));
  } catch (e) {
    throw new CheckError(`--baseline ${file}: ${(e as NodeJS.ErrnoException).code ? `cannot read it (${(e as NodeJS.ErrnoException).code})` : 'not JSON'}`);
  }
  const files = (parsed as { files?: unknown } | null)?.files;
  const ok = Array.isArray(files) && files.every((f: Partial<FileJson> | null) => typeof f?.path === 'string' && Array.isArray(f.problems) && Array.isArray(f.deployments)
    && f.deployments.every((d: Partial<DeploymentJson> | null) => typeof d?.name === 'string' && Array.isArray(d.diagnostics)));
  if (!ok) throw new CheckError(`--baseline ${file}: not a check --format json report`);
  return parsed as CheckJson;
}

function parseThreshold(raw: string): number {
  const n = Number(raw.replace(/%$/, ''));
  if (!/\S/.test(raw) || !Number.isFinite(n) || n < 0 || n > 100) throw new CheckError(`--threshold expects a percentage from 0 to 100, got ${JSON.stringify(raw)}`);
  return n;
}

/** The format options as given: --format, or --json; a CheckError when they contradict each other. */
function chosenFormat(format: string | undefined, json: boolean | undefined): CheckFormat {
  if (format !== undefined && !(CHECK_FORMATS as readonly string[]).includes(format)) {
    throw new CheckError(`--format expects ${CHECK_FORMATS.join(', ')}; got ${JSON.stringify(format)}`);
  }
  if (json && format !== undefined && format !== 'json') throw new CheckError(`--json and --format ${format} contradict each other`);
  return json ? 'json' : (format as CheckFormat | undefined) ?? 'text';
}

/** `inference-budget check ...` (argv after `check`); returns the exit code. */
export async function runCheck(argv: string[], out: (s: string) => void, errLine: (s: string) => void, cwd = process.cwd()): Promise<number> {
  const err = (s: string): void => errLine(oneLine(s).replace(/\s{2,}/g, ' ').trim());
  try {
    return await check(argv, out, err, cwd);
  } catch (e) {
    if (!(e instanceof CheckError)) throw e;
    err(`inference-budget check: ${e.message}`);
    return 2;
  }
}

async function check(argv: string[], out: (s: string) => void, err: (s: string) => void, cwd: string): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv, allowPositionals: true, strict: true,
      options: {
        json: { type: 'boolean' }, format: { type: 'string' }, output: { type: 'string' }, quiet: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
        diff: { type: 'string' }, baseline: { type: 'string' }, threshold: { type: 'string' },
        workspace: { type: 'string', multiple: true }, 'no-workspace': { type: 'boolean' }, 'default-gpu': { type: 'string' },
        models: { type: 'string' },
      },
    });
  } catch (e) {
    throw new CheckError(`${(e as Error).message.split('\n')[0]} (see --help)`);
  }
  const v = parsed.values;
  if (v.help) { out(CHECK_USAGE); return 0; }
  const format = chosenFormat(v.format, v.json);
  if (v.diff !== undefined && v.baseline !== undefined) throw new CheckError('--diff and --baseline contradict each other (compare with one)');
  const comparing = v.diff !== undefined || v.baseline !== undefined;
  if (v.threshold !== undefined && !comparing) throw new CheckError('--threshold applies only with --diff or --baseline');
  const thresholdPercent = v.threshold !== undefined ? parseThreshold(v.threshold) : DEFAULT_THRESHOLD_PERCENT;
  if (parsed.positionals.length === 0) throw new CheckError('missing PATH (a file, folder or glob; see --help)');
  if (v['no-workspace'] && v.workspace?.length) throw new CheckError('--workspace and --no-workspace contradict each other');
  const { files, unmatched } = expandTargets(parsed.positionals, cwd);
  if (unmatched.length) throw new CheckError(`no such file, folder or match: ${unmatched.join(', ')}`);
  const workspaceFolders = v['no-workspace'] ? [] : (v.workspace?.length ? v.workspace : [cwd]).map((w) => path.resolve(cwd, w));
  for (const w of workspaceFolders) {
    if (!fs.existsSync(w) || !fs.statSync(w).isDirectory()) throw new CheckError(`--workspace ${w} is not a folder`);
  }
  // Before any analysis: a bad revision or baseline is a usage error, not a report.
  const base = v.diff !== undefined ? gitBase(v.diff, cwd) : undefined;
  const baseline = v.baseline !== undefined ? readBaseline(v.baseline, cwd) : undefined;
  const settings = defaultSettings(v['default-gpu'] ? { defaultGpu: v['default-gpu'] } : {});
  if (v.models !== undefined) {
    const file = path.resolve(cwd, v.models);
    const aliases = readModelAliases(file);
    if (!aliases.ok) throw new CheckError(aliases.message);
    settings.models = modelAliasesOf(Object.fromEntries(aliases.aliases), `--models ${v.models}`, [], path.dirname(file).split(path.sep).join('/'));
  }
  const log: Logger = { info: () => undefined, warn: (m) => err(`inference-budget check: ${m}`), error: (m) => err(`inference-budget check: ${m}`) };
  const inCwd = files.map((f) => path.resolve(cwd, f));
  const options: CheckOptions = { settings, resolver: { workspaceFolders }, log };
  const { report, anchors } = await checkSources(inCwd, options);
  // Paths as the user wrote them (relative to the current folder).
  const displayPath = new Map(inCwd.map((f, i) => [f, files[i]]));
  const asWritten = (r: CheckJson): void => { for (const f of r.files) f.path = displayPath.get(f.path) ?? f.path; };
  asWritten(report);

  let text: string;
  let code: number;
  if (comparing) {
    let before: CheckJson;
    if (base) {
      before = (await checkSources(inCwd, options, readAtCommit(base.top, base.commit))).report;
      asWritten(before);
    } else before = baseline!;
    const regressions = findRegressions(before, report, { thresholdPercent, anchors });
    text = formattedRegressions(format, regressions, v.diff ?? v.baseline!, cwd);
    code = report.summary.unreadable > 0 ? 2 : regressions.regressions.length > 0 ? 1 : 0;
  } else {
    text = formatted(format, report, v.quiet === true, cwd);
    code = checkExitCode(report);
  }
  if (v.output !== undefined) {
    try {
      fs.writeFileSync(path.resolve(cwd, v.output), `${text}\n`);
    } catch (e) {
      throw new CheckError(`--output ${v.output}: cannot write it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
  } else out(text);
  return code;
}
