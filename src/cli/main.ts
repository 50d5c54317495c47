// `inference-budget`: the budget engine for terminals and CI.

import { visibleControls } from '../core/units';
import * as fs from 'fs';
import * as path from 'path';
import { parseArgs } from 'util';
import { readRegularFileSync } from '../analysis/boundedRead';
import { HUB_ENVIRONMENT } from '../analysis/hubFetch';
import type { Logger } from '../analysis/log';
import type { ModelSource } from '../analysis/modelResolver';
import { computeBudget } from '../core/budget';
import { splitGpuCount } from '../core/hardware';
import { DEPLOYMENT_INPUTS, InputSpec } from '../core/inputs';
import { isKnownQuantization } from '../core/quantization';
import { BudgetDiagnostic, BudgetInputs, BudgetResult, ModelFiles } from '../core/types';
import { detectDocumentKind } from '../formats';
import { isCheckedFileName, runCheck } from './check';
import { runGpus } from './gpus';
import { resultJson } from '../analysis/checkJson';
import { loadGgufModelFiles, loadModelFiles, MAX_CONFIG_BYTES } from './modelFiles';
import { lookUpModel, readModelAliases } from './modelRefs';
import { formatReport } from './format';
import { cliVersion } from './version';

/** The options the CLI takes: every deployment input that declares a CLI spelling (src/core/inputs.ts). */
const CLI_INPUTS: readonly (InputSpec & { cli: string })[] = DEPLOYMENT_INPUTS.filter((s): s is InputSpec & { cli: string } => !!s.cli);

/** Placeholders the CLI spells differently from the engine input: --gpu also takes a count (`4xH100`). */
const CLI_VALUE: Readonly<Record<string, string>> = { gpu: '[Nx]NAME' };

/** `  --max-model-len N|auto   Longest request (prompt + output) in tokens.` (the first sentence of the input's doc). */
function optionLine(s: InputSpec & { cli: string }): string {
  const value = CLI_VALUE[s.cli] ?? s.cliValue;
  const head = `  --${s.cli}${s.type === 'boolean' ? ` | --no-${s.cli}` : value ? ` ${value}` : ''}`;
  const first = /^(.*?\.)(\s|$)/.exec(s.doc)?.[1] ?? s.doc;
  return `${head.padEnd(44)} ${first}`;
}

/** A usage line for an option of the config command that is not an engine input. */
const extra = (head: string, text: string): string => `${head.padEnd(44)} ${text}`;

const USAGE = `Usage: inference-budget MODEL [options]
       inference-budget check PATH... [--format text|json|sarif|github] [--output FILE] [--diff BASE | --baseline FILE] [--quiet] [...]
       inference-budget gpus [FILTER] [--json]
       inference-budget --version

MODEL is a Hugging Face id (meta-llama/Llama-3.1-8B-Instruct, org/name@revision), a config.json, a model folder
holding one, a GGUF file (model.gguf; every part of a split model-00001-of-00003.gguf is read; only headers are read,
sized with llama.cpp's rules unless --engine says otherwise), or an alias from --models.
An id is looked up as the editor and check look up a deployment's model: the workspace's config.json files, the
local Hugging Face cache (HF_HUB_CACHE, HF_HOME), the bundled catalog, and only with --allow-download the Hugging
Face Hub (${HUB_ENVIRONMENT}).
A deployment file (vLLM config, Kubernetes manifest, compose file, *.budget.yaml) is checked: see check --help.
gpus lists the GPUs --gpu accepts (see gpus --help).

--gpu with a count (4xH100, "8x A100-80GB", 2*L40S) sets --gpus to it and, unless --tp or --pp is given, the tensor
parallel size too, when the model's attention heads divide by it (else TP 1). vLLM runs on TP x PP GPUs: more GPUs
than that are reported idle (warning gpus-idle).

Options:
${CLI_INPUTS.map(optionLine).join('\n')}
${extra('  --gpu-count N', 'Same as --gpus.')}
${extra('  --allow-download', 'Fetch a model id\'s config.json from the Hugging Face Hub when it is found nowhere else.')}
${extra('  --models FILE', 'JSON or YAML aliases: {"llama": "meta-llama/Llama-3.1-8B-Instruct", "mine": "./models/my-model"}.')}
${extra('  --workspace DIR', 'Folder searched for config.json files naming the model (repeatable; default: the current folder).')}
${extra('  --no-workspace', 'Search no workspace.')}
${extra('  --json', 'Print one JSON object (modelSource and modelLocation say where a model id was found).')}
${extra('  --version', 'Print the version.')}
  -h, --help

Exit codes: 0 fits, 1 does not fit (or check found an error), 2 usage, file, unknown model or unknown GPU error,
3 model not supported.`;

export class UsageError extends Error {}

/** A count as the CLI takes it: `8192`, `8_192`, `32k` (32,000), `32K` (32,768), `1e5`. */
function parseNumberOption(flag: string, raw: string): number {
  const text = raw.replace(/_/g, '');
  const k = /^(\d+(?:\.\d+)?)([kK])$/.exec(text);
  const n = k ? Number(k[1]) * (k[2] === 'K' ? 1024 : 1000) : Number(text);
  if (!/^[0-9.eE+-]+[kK]?$/.test(text) || !Number.isFinite(n)) throw new UsageError(`--${flag} expects a number, got ${JSON.stringify(raw)}`);
  return n;
}

/**
 * `--tp -1` as `--tp=-1`: Node's parser takes a value that starts with a dash for an option ("argument is
 * ambiguous"); joined, the value reaches the input checks, which say what is wrong with it.
 */
function withNegativeValues(argv: readonly string[], options: Record<string, { type: 'string' | 'boolean' }>): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = argv[i + 1];
    if (a.startsWith('--') && !a.includes('=') && options[a.slice(2)]?.type === 'string' && next !== undefined && /^-[\d.]/.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}

export interface CliArgs {
  file?: string;
  inputs: BudgetInputs;
  json: boolean;
  help: boolean;
  version: boolean;
  allowDownload: boolean;
  /** The --models alias file. */
  models?: string;
  /** --workspace folders; [] with --no-workspace; undefined: the current folder. */
  workspace?: string[];
  /** The tensor parallel size came from --gpu's count, not from --tp (it gives way where the heads do not divide). */
  tpFromGpuCount: boolean;
}

/** Options of the config command that are not engine inputs. */
const COMMAND_OPTIONS = {
  json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' }, version: { type: 'boolean' }, 'allow-download': { type: 'boolean' },
  models: { type: 'string' }, workspace: { type: 'string', multiple: true }, 'no-workspace': { type: 'boolean' }, 'gpu-count': { type: 'string' },
} as const;

/** Parses argv into a file and engine inputs; throws UsageError with a one-line message. */
export function parseCliArgs(argv: string[]): CliArgs {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = { ...COMMAND_OPTIONS };
  for (const s of CLI_INPUTS) {
    if (s.type === 'boolean') { options[s.cli] = { type: 'boolean' }; options[`no-${s.cli}`] = { type: 'boolean' }; } else options[s.cli] = { type: 'string' };
  }
  let parsed;
  try {
    parsed = parseArgs({ args: withNegativeValues(argv, options), allowPositionals: true, options, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message.split('\n')[0]);
  }
  const values = parsed.values as Record<string, string | boolean | string[] | undefined>;
  if (values['gpu-count'] !== undefined) {
    if (values.gpus !== undefined && values.gpus !== values['gpu-count']) throw new UsageError(`--gpus ${String(values.gpus)} and --gpu-count ${String(values['gpu-count'])} contradict each other`);
    values.gpus = values['gpu-count'];
  }
  const inputs: Record<string, unknown> = {};
  for (const s of CLI_INPUTS) {
    if (s.type === 'boolean') {
      if (values[s.cli] && values[`no-${s.cli}`]) throw new UsageError(`--${s.cli} and --no-${s.cli} contradict each other`);
      if (values[s.cli]) inputs[s.key] = true;
      if (values[`no-${s.cli}`]) inputs[s.key] = false;
      continue;
    }
    const raw = values[s.cli];
    if (raw === undefined) continue;
    if (s.type === 'text') inputs[s.key] = String(raw);
    // `--max-model-len auto` (-1): vLLM's own fit search.
    else if (s.type === 'integer' && s.special && /^(auto|-1)$/i.test(String(raw))) inputs[s.key] = s.special.value;
    else inputs[s.key] = parseNumberOption(s.cli, String(raw));
  }
  const tpFromGpuCount = withGpuCount(inputs as BudgetInputs);
  if (parsed.positionals.length > 1) throw new UsageError(`expected one FILE, got ${parsed.positionals.length}: ${parsed.positionals.join(' ')}`);
  const workspace = values.workspace as string[] | undefined;
  if (values['no-workspace'] && workspace?.length) throw new UsageError('--workspace and --no-workspace contradict each other');
  return {
    file: parsed.positionals[0], inputs: inputs as BudgetInputs, json: values.json === true, help: values.help === true, version: values.version === true,
    allowDownload: values['allow-download'] === true, models: values.models as string | undefined,
    workspace: values['no-workspace'] ? [] : workspace, tpFromGpuCount,
  };
}

/**
 * `--gpu 4xH100`: the GPU is H100 and the count 4 (a different --gpus is a usage error). Unless --tp or --pp is
 * given, the count is also the tensor parallel size, as the editor's gpuCount setting does for a bare config.json;
 * returns whether it set it.
 */
function withGpuCount(inputs: BudgetInputs): boolean {
  if (typeof inputs.gpu !== 'string') return false;
  const { gpu, count } = splitGpuCount(inputs.gpu);
  if (count === undefined) return false;
  if (inputs.gpuCount !== undefined && inputs.gpuCount !== count) throw new UsageError(`--gpu ${inputs.gpu} says ${count} GPUs but --gpus says ${inputs.gpuCount}`);
  inputs.gpu = gpu;
  inputs.gpuCount = count;
  if (inputs.tensorParallel !== undefined || inputs.pipelineParallel !== undefined) return false;
  inputs.tensorParallel = count;
  return true;
}


/** Errors are one line, whatever a file name or a parser message contains. */
function oneLine(errLine: (s: string) => void): (s: string) => void {
  return (s) => errLine(visibleControls(s.replace(/[\r\n\u2028\u2029]+/g, ' ').replace(/\s{2,}/g, ' ').trim(), true));
}

/** Where a model given by id or alias was found, for the report's first line and --json's modelSource. */
interface ModelOrigin {
  source: ModelSource;
  /** A path, `bundled:<id>`, a hub URL (credentials masked). */
  location: string;
  note?: string;
  /** `llama in models.yaml` when the model was named by an alias. */
  alias?: string;
}

const SOURCE_WORDS: Record<ModelSource, string> = {
  document: 'the file', workspace: 'the workspace', 'hf-cache': 'the Hugging Face cache', bundled: 'the bundled catalog', hub: 'the Hugging Face Hub',
};

/**
 * `inference-budget: config from the Hugging Face cache: /…/snapshots/abc/config.json (alias llama in models.yaml)`,
 * and the resolver's note: on stderr, so that stdout is the report exactly as for the config file itself.
 */
function originLines(o: ModelOrigin): string[] {
  const location = o.source === 'bundled' ? o.location.replace(/^bundled:/, '') : o.location;
  const lines = [`inference-budget: config from ${SOURCE_WORDS[o.source]}: ${location}${o.alias ? ` (alias ${o.alias})` : ''}`];
  if (o.note) lines.push(`inference-budget: note: ${o.note}`);
  return lines;
}

/** The engine's errors for a tensor parallel size the attention (or KV) heads do not divide by. */
const TP_REFUSALS = new Set(['heads-not-divisible', 'kv-heads-not-divisible']);

interface ReportOptions {
  origin?: ModelOrigin;
  /** The drafter named by --speculative-model (or --speculative-config's "model"), resolved like MODEL. */
  draft?: ModelFiles;
  /** The tensor parallel size is --gpu's count: where the heads do not divide by it, size at TP 1 instead. */
  tpFromGpuCount?: boolean;
}

/** Sizes loaded model files and prints the report; returns the exit code. */
function report(files: ModelFiles, inputs: BudgetInputs, json: boolean, out: (s: string) => void, err: (s: string) => void, options: ReportOptions = {}): number {
  const engineOptions = options.draft ? { draft: options.draft } : {};
  let result = computeBudget(files, inputs, engineOptions);
  let refusedTp: { tp: number; why: string } | undefined;
  const headsRefuse = result.ok ? result.report.diagnostics.find((d) => TP_REFUSALS.has(d.code)) : undefined;
  if (options.tpFromGpuCount && headsRefuse && inputs.tensorParallel !== undefined) {
    refusedTp = { tp: inputs.tensorParallel, why: headsRefuse.message };
    result = computeBudget(files, { ...inputs, tensorParallel: undefined }, engineOptions);
  }
  if (result.ok) result = withCliDiagnostics(result, refusedTp);
  const origin = options.origin;
  const jsonText = () => JSON.stringify(origin
    ? { modelSource: origin.source, modelLocation: origin.location, ...(origin.note ? { modelNote: origin.note } : {}), ...(origin.alias ? { modelAlias: origin.alias } : {}), ...resultJson(result) }
    : resultJson(result), null, 2);
  if (!result.ok) {
    const invalid = result.diagnostics.some((d) => d.code === 'invalid-input' || d.code === 'unknown-gpu');
    if (json) out(jsonText());
    err(`inference-budget: ${result.unsupported}`);
    return invalid ? 2 : 3;
  }
  if (!json && origin) for (const line of originLines(origin)) err(line);
  out(json ? jsonText() : visibleControls(formatReport(result.report), true));
  return result.report.capacity.fits ? 0 : 1;
}

/**
 * What the CLI adds to the engine's findings: why --gpu's count did not become the tensor parallel size, and
 * idle GPUs (more than tensor × pipeline parallel: vLLM leaves the rest unused) unless the engine says so itself
 * (its own `gpus-idle`); llama.cpp is sized on one GPU and says that itself.
 */
function withCliDiagnostics(result: BudgetResult & { ok: true }, refusedTp: { tp: number; why: string } | undefined): BudgetResult {
  const r = result.report;
  const added: BudgetDiagnostic[] = [];
  if (refusedTp) {
    added.push({ severity: 'information', code: 'gpu-count-not-tp', subject: 'tensorParallel', message: `--gpu's count ${refusedTp.tp} is not used as the tensor parallel size (${refusedTp.why}): sized at TP 1; give --tp and --pp` });
  }
  const { tensorParallel: tp, pipelineParallel: pp, engine } = r.settings;
  const idle = r.hardware.count - tp * pp;
  if (idle > 0 && engine !== 'llamacpp' && !r.diagnostics.some((d) => d.code === 'gpus-idle')) {
    added.push({ severity: 'warning', code: 'gpus-idle', subject: 'gpuCount', message: `${r.hardware.count} GPUs, but tensor parallel ${tp} × pipeline parallel ${pp} uses ${tp * pp}: ${idle} GPU${idle === 1 ? '' : 's'} idle` });
  }
  // Engine results are frozen and shared (memoized): a copy carries the additions.
  return added.length ? { ...result, report: { ...r, diagnostics: [...r.diagnostics, ...added] } } : result;
}

/** The kind of a deployment file (vLLM config, manifest, compose, budget file); undefined for a model config or anything else. */
function deploymentKind(file: string): string | undefined {
  if (!isCheckedFileName(path.basename(file))) return undefined;
  let text: string;
  try {
    text = readRegularFileSync(file, MAX_CONFIG_BYTES).toString('utf8');
  } catch {
    return undefined; // the config reader says why
  }
  const kind = detectDocumentKind(file, text);
  return kind && kind !== 'hf-config' ? kind : undefined;
}

/** Sizes a config.json or model folder on disk (not a GGUF file, not a deployment file). */
function sizeFromDisk(file: string, args: CliArgs, out: (s: string) => void, err: (s: string) => void, alias?: string, draft?: ModelFiles): number {
  const loaded = loadModelFiles(file);
  if (!loaded.ok) { err(`inference-budget: ${loaded.message}`); return 2; }
  const origin: ModelOrigin | undefined = alias ? { source: 'document', location: loaded.configPath, alias } : undefined;
  return report(loaded.files, args.inputs, args.json, out, err, { origin, tpFromGpuCount: args.tpFromGpuCount, draft: draft ?? localDraft(args.inputs) });
}

/** A drafter given as a path to its folder or config.json (the synchronous command line reads nothing else). */
function localDraft(inputs: BudgetInputs): ModelFiles | undefined {
  const name = typeof inputs.speculativeModel === 'string' ? inputs.speculativeModel.trim() : '';
  if (!name || !fs.existsSync(name)) return undefined;
  const loaded = loadModelFiles(name);
  return loaded.ok ? loaded.files : undefined;
}

/**
 * Runs the config command on a config.json or model folder; returns the exit code. Output goes through the given
 * writers (testable). Synchronous: model ids, aliases, GGUF files and deployment files need runCliAsync.
 */
export function runCli(argv: string[], out: (s: string) => void, errLine: (s: string) => void): number {
  const err = oneLine(errLine);
  let args;
  try {
    args = parseCliArgs(argv);
  } catch (e) {
    err(`inference-budget: ${(e as Error).message} (see --help)`);
    return 2;
  }
  if (args.help) { out(USAGE); return 0; }
  if (args.version) { out(cliVersion()); return 0; }
  if (!args.file) { err('inference-budget: missing MODEL (a model id, a config.json, a model folder or a .gguf file; see --help)'); return 2; }
  if (isGgufPath(args.file)) { err('inference-budget: a GGUF file is read asynchronously: use runCliAsync (the command line does)'); return 2; }
  const kind = deploymentKind(args.file);
  if (kind) { err(`inference-budget: ${args.file} is a deployment file (${kind}): use inference-budget check ${args.file}`); return 2; }
  return sizeFromDisk(args.file, args, out, err);
}

function isGgufPath(file: string): boolean {
  return /\.gguf$/i.test(file);
}

/** What the command line provides, injectable for tests: the environment (HF_*), the current folder, the home folder. */
export interface CliContext {
  env?: Record<string, string | undefined>;
  cwd?: string;
  homeDir?: string;
}

/**
 * The config command, whatever MODEL is: a `.gguf` file's header is read (streaming) and sized with llama.cpp's
 * rules unless `--engine` names another engine (its own type, Q4_K_M, is the quantization unless one is given);
 * a deployment file is checked; a name that is not a path is an alias (--models) or a model id, resolved as the
 * editor resolves a deployment's model.
 */
export async function runCliAsync(argv: string[], out: (s: string) => void, errLine: (s: string) => void, context: CliContext = {}): Promise<number> {
  let args;
  try {
    args = parseCliArgs(argv);
  } catch {
    return runCli(argv, out, errLine);     // the same one-line usage error
  }
  if (args.help || args.version || !args.file) return runCli(argv, out, errLine);
  const err = oneLine(errLine);
  const cwd = context.cwd ?? process.cwd();
  const env = context.env ?? process.env;
  // An alias stands for its target; a relative path in the alias file is relative to that file.
  let target = args.file;
  let baseDir = cwd;
  let alias: string | undefined;
  if (args.models !== undefined) {
    const aliases = readModelAliases(path.resolve(cwd, args.models));
    if (!aliases.ok) { err(`inference-budget: ${aliases.message}`); return 2; }
    const named = aliases.aliases.get(args.file);
    if (named !== undefined) {
      target = named;
      baseDir = path.dirname(aliases.file);
      alias = `${args.file} in ${args.models}`;
    }
  }
  const file = path.isAbsolute(target) || baseDir === process.cwd() ? target : path.join(baseDir, target);
  if (isGgufPath(file)) return sizeGguf(file, args, out, err);
  const lookup = (reference: string, from: string) => lookUpModel(reference, {
    baseDir: from, workspaceFolders: (args.workspace ?? [cwd]).map((w) => path.resolve(cwd, w)), env, homeDir: context.homeDir,
    allowDownload: args.allowDownload, log: SILENT,
  });
  // The drafter (--speculative-model, or --speculative-config's "model") is resolved like MODEL; a miss is said and
  // the engine then sizes what it can without its config.
  const drafterName = typeof args.inputs.speculativeModel === 'string' ? args.inputs.speculativeModel.trim() : '';
  let draft: ModelFiles | undefined;
  if (drafterName && !deploymentKind(file)) {
    const drafterPath = path.resolve(cwd, drafterName);
    const loaded = fs.existsSync(drafterPath) ? loadModelFiles(drafterPath) : undefined;
    const found = loaded ? undefined : await lookup(drafterName, cwd);
    if (loaded?.ok) draft = loaded.files;
    else if (found?.ok) draft = found.model.files;
    else err(`inference-budget: note: draft model ${drafterName}: ${loaded && !loaded.ok ? loaded.message : found && !found.ok ? found.message : 'not found'}`);
  }
  if (!fs.existsSync(file)) {
    const found = await lookup(target, baseDir);
    if (!found.ok) { err(`inference-budget: ${found.message}`); return 2; }
    const { files, source, location, note } = found.model;
    return report(files, args.inputs, args.json, out, err, { origin: { source, location, note, alias }, tpFromGpuCount: args.tpFromGpuCount, draft });
  }
  const kind = deploymentKind(file);
  if (kind) {
    // As the user wrote it (check reads it relative to the same folder), or where the alias points.
    const shown = alias ? path.relative(cwd, file) || file : target;
    const ignored = argv.filter((a) => a !== args.file && a !== '--json');
    err(`inference-budget: note: ${shown} is a deployment file (${kind}): running inference-budget check ${shown}${ignored.length ? ` (${ignored.join(' ')} not used: check reads the file's own settings)` : ''}`);
    return runCheck([shown, ...(args.json ? ['--json'] : [])], out, errLine, cwd);
  }
  return sizeFromDisk(file, args, out, err, alias, draft);
}

/** The resolver's log: a miss is reported through the lookup's message, not as it happens. */
const SILENT: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };

async function sizeGguf(file: string, args: CliArgs, out: (s: string) => void, err: (s: string) => void): Promise<number> {
  const loaded = await loadGgufModelFiles(file);
  if (!loaded.ok) { err(`inference-budget: ${loaded.message}`); return 2; }
  const inputs: BudgetInputs = { ...args.inputs };
  if (inputs.engine === undefined) inputs.engine = 'llamacpp';
  const fileType = loaded.fileType?.toLowerCase();
  if (inputs.quantization === undefined && fileType && fileType !== 'f16' && fileType !== 'bf16' && fileType !== 'f32' && isKnownQuantization(fileType)) {
    inputs.quantization = fileType;
  }
  return report(loaded.files, inputs, args.json, out, err, { tpFromGpuCount: args.tpFromGpuCount });
}

/** The command line: `check PATH...`, `gpus [FILTER]`, else the config command. */
export async function main(argv: string[], out: (s: string) => void, errLine: (s: string) => void, context: CliContext = {}): Promise<number> {
  if (argv[0] === 'check') return runCheck(argv.slice(1), out, errLine, context.cwd);
  if (argv[0] === 'gpus') return runGpus(argv.slice(1), out, oneLine(errLine));
  return runCliAsync(argv, out, errLine, context);
}

if (require.main === module) {
  void main(process.argv.slice(2), (s) => process.stdout.write(s + '\n'), (s) => process.stderr.write(s + '\n'))
    .then((code) => { process.exitCode = code; }, (e) => { process.stderr.write(`inference-budget: ${(e as Error)?.message ?? e}\n`); process.exitCode = 2; });
}
