// `inference-budget check PATH...`: the editor's analysis (src/analysis: the same readers, model resolution and
// engine) over files, folders and globs, printed as ESLint-style lines or as one JSON object.
import { ReadRefused, readRegularFile, readRegularFileSync } from '../analysis/boundedRead';
import { MAX_CONFIG_BYTES } from './modelFiles';
import * as fs from 'fs';
import * as path from 'path';
import { parseArgs } from 'util';
import { AnalysisHost, analyzeDocument, AnalyzedItem, DocumentAnalysis } from '../analysis/analyze';
import { documentFindings, Finding, FindingSeverity, notSizedReason } from '../analysis/findings';
import { LineIndex } from '../analysis/lines';
import type { Logger } from '../analysis/log';
import { defaultSettings, Settings } from '../analysis/settings';
import { FileModelResolver, FileResolverOptions } from './fileResolver';
import { resultJson } from './json';

export const CHECK_USAGE = `Usage: inference-budget check PATH... [options]

Checks deployment files and model configs as the editor does: the same readers, model resolution and engine.
PATH is a file, a folder (searched for .yaml .yml .json, compose files and Modelfiles) or a glob ("deploy/**/*.yaml").

Options:
  --json                 print one JSON object (files, deployments with their report and diagnostics, summary)
  --quiet                print errors only
  --workspace DIR        folder searched for models' config.json files (repeatable; default: the current folder)
  --no-workspace         search no workspace (models come from paths, the Hugging Face cache and the bundled catalog)
  --default-gpu NAME     GPU of deployments that name none (default: H100)
  -h, --help

Models are looked up by path, in the workspace, in the local Hugging Face cache (HF_HUB_CACHE, HF_HOME) and in
the bundled catalog; never on the network.
Exit codes: 0 every sized deployment fits, 1 an error diagnostic, 2 a usage or file error.`;

export interface DiagnosticJson {
  severity: FindingSeverity;
  code: string;
  message: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

export interface DeploymentJson {
  name: string;
  engine: string;
  engineVersion: string | null;
  modelId: string | null;
  modelSource: string | null;
  gpu: string | null;
  gpuCount: number | null;
  tensorParallel: number | null;
  pipelineParallel: number | null;
  sized: boolean;
  notSizedReason: string | null;
  fits: boolean | null;
  report: Record<string, unknown> | null;
  diagnostics: DiagnosticJson[];
}

export interface FileJson {
  path: string;
  kind: string | null;
  problems: DiagnosticJson[];
  deployments: DeploymentJson[];
}

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

/** check's JSON of one analysed file. */
export function fileJson(displayPath: string, analysis: DocumentAnalysis): FileJson {
  const lines = new LineIndex(analysis.text);
  const findings = documentFindings(analysis);
  const toJson = (f: Finding): DiagnosticJson => {
    const start = lines.at(f.range.start);
    const end = lines.at(f.range.end);
    return { severity: f.severity, code: f.code, message: f.message, line: start.line, column: start.column, endLine: end.line, endColumn: end.column };
  };
  return {
    path: displayPath,
    kind: analysis.kind ?? null,
    problems: findings.filter((f) => f.item === undefined).map(toJson),
    deployments: analysis.items.map((item, index) => deploymentJson(item, findings.filter((f) => f.item === index).map(toJson))),
  };
}

function deploymentJson(item: AnalyzedItem, diagnostics: DiagnosticJson[]): DeploymentJson {
  const result = item.result;
  const report = result?.ok ? result.report : undefined;
  const written = item.inputs.engine;
  const version = written && written.includes('@') ? written.slice(written.indexOf('@') + 1) : null;
  return {
    name: item.label,
    engine: item.spec?.engine ?? report?.settings.engine ?? 'vllm',
    engineVersion: report?.settings.engineVersion ?? version,
    modelId: item.spec ? item.spec.model?.name ?? null : item.files?.nameHint ?? null,
    modelSource: item.resolution?.ok ? item.resolution.model.source : item.spec ? null : 'document',
    // A deployment on another accelerator that names no type is not on the default GPU: say what it requests.
    gpu: report?.hardware.name ?? (item.spec?.accelerator && item.spec.inputs.gpu === undefined ? item.spec.accelerator.name : item.inputs.gpu ?? null),
    gpuCount: report?.hardware.count ?? item.inputs.gpuCount ?? null,
    tensorParallel: report?.settings.tensorParallel ?? item.inputs.tensorParallel ?? null,
    pipelineParallel: report?.settings.pipelineParallel ?? item.inputs.pipelineParallel ?? null,
    sized: !!report,
    notSizedReason: report ? null : notSizedReason(item) ?? null,
    fits: report ? report.capacity.fits : null,
    report: result ? resultJson(result) : null,
    diagnostics,
  };
}

/** Runs check over files (already expanded); `read` errors become unreadable files. */
export async function checkFiles(files: readonly string[], options: CheckOptions = {}): Promise<CheckJson> {
  const settings = options.settings ?? defaultSettings();
  const log = options.log ?? { info: () => undefined, warn: () => undefined, error: () => undefined };
  const resolver = new FileModelResolver(log, options.resolver);
  const out: FileJson[] = [];
  let unreadable = 0;
  for (const file of files) {
    let text: string;
    try {
      text = readRegularFileSync(file, settings.maxFileSizeBytes).toString('utf8');
    } catch (e) {
      unreadable++;
      const message = e instanceof ReadRefused ? e.message : `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`;
      out.push({ path: file, kind: null, problems: [{ severity: 'error', code: 'io-error', message, line: 1, column: 1, endLine: 1, endColumn: 1 }], deployments: [] });
      continue;
    }
    out.push(fileJson(file, await analyzeFile(file, text, settings, resolver, log)));
  }
  return { files: out, summary: summarize(out, unreadable) };
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
  const lines: string[] = [];
  for (const f of report.files) {
    const all = [...f.problems, ...f.deployments.flatMap((d) => d.diagnostics)]
      .filter((d) => !quiet || d.severity === 'error')
      .sort((a, b) => a.line - b.line || a.column - b.column);
    for (const d of all) lines.push(`${f.path}:${d.line}:${d.column}  ${SEVERITY_WORD[d.severity]}  ${oneLine(d.message)}  [${d.code}]`);
  }
  const s = report.summary;
  const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;
  if (lines.length) lines.push('');
  lines.push(`${plural(s.files, 'file')}, ${s.recognised} recognised; ${plural(s.deployments, 'deployment')}: ${s.sized} sized (${s.fit} fit, ${s.doNotFit} do not), ${s.notSized} not sized`);
  lines.push(`${plural(s.errors, 'error')}, ${plural(s.warnings, 'warning')}, ${s.information} info, ${plural(s.hints, 'hint')}${s.unreadable ? `; ${s.unreadable} unreadable` : ''}`);
  return lines.join('\n');
}

function oneLine(s: string): string {
  return s.replace(/[\r\n\u2028\u2029]+/g, ' ');
}

/** 0 every sized deployment fits and no error; 1 an error diagnostic; 2 a file that could not be read. */
export function checkExitCode(report: CheckJson): number {
  if (report.summary.unreadable > 0) return 2;
  return report.summary.errors > 0 || report.summary.doNotFit > 0 ? 1 : 0;
}

/** `inference-budget check ...` (argv after `check`); returns the exit code. */
export async function runCheck(argv: string[], out: (s: string) => void, errLine: (s: string) => void, cwd = process.cwd()): Promise<number> {
  const err = (s: string): void => errLine(oneLine(s).replace(/\s{2,}/g, ' ').trim());
  let parsed;
  try {
    parsed = parseArgs({
      args: argv, allowPositionals: true, strict: true,
      options: {
        json: { type: 'boolean' }, quiet: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
        workspace: { type: 'string', multiple: true }, 'no-workspace': { type: 'boolean' }, 'default-gpu': { type: 'string' },
      },
    });
  } catch (e) {
    err(`inference-budget check: ${(e as Error).message.split('\n')[0]} (see --help)`);
    return 2;
  }
  const v = parsed.values;
  if (v.help) { out(CHECK_USAGE); return 0; }
  if (parsed.positionals.length === 0) { err('inference-budget check: missing PATH (a file, folder or glob; see --help)'); return 2; }
  if (v['no-workspace'] && v.workspace?.length) { err('inference-budget check: --workspace and --no-workspace contradict each other'); return 2; }
  const { files, unmatched } = expandTargets(parsed.positionals, cwd);
  if (unmatched.length) { err(`inference-budget check: no such file, folder or match: ${unmatched.join(', ')}`); return 2; }
  const workspaceFolders = v['no-workspace'] ? [] : (v.workspace?.length ? v.workspace : [cwd]).map((w) => path.resolve(cwd, w));
  for (const w of workspaceFolders) {
    if (!fs.existsSync(w) || !fs.statSync(w).isDirectory()) { err(`inference-budget check: --workspace ${w} is not a folder`); return 2; }
  }
  const settings = defaultSettings(v['default-gpu'] ? { defaultGpu: v['default-gpu'] } : {});
  const log: Logger = { info: () => undefined, warn: (m) => err(`inference-budget check: ${m}`), error: (m) => err(`inference-budget check: ${m}`) };
  const inCwd = files.map((f) => path.resolve(cwd, f));
  const report = await checkFiles(inCwd, { settings, resolver: { workspaceFolders }, log });
  // Paths as the user wrote them (relative to the current folder).
  report.files.forEach((f, i) => { f.path = files[i]; });
  out(v.json ? JSON.stringify(report, null, 2) : formatCheck(report, v.quiet === true));
  return checkExitCode(report);
}
