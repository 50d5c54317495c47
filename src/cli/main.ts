// `inference-budget`: the budget engine for terminals and CI.

import { parseArgs } from 'util';
import { computeBudget } from '../core/budget';
import { DEPLOYMENT_INPUTS, InputSpec } from '../core/inputs';
import { isKnownQuantization } from '../core/quantization';
import { BudgetInputs, ModelFiles } from '../core/types';
import { runCheck } from './check';
import { resultJson } from './json';
import { loadGgufModelFiles, loadModelFiles } from './modelFiles';
import { formatReport } from './format';

/** The options the CLI takes: every deployment input that declares a CLI spelling (src/core/inputs.ts). */
const CLI_INPUTS: readonly (InputSpec & { cli: string })[] = DEPLOYMENT_INPUTS.filter((s): s is InputSpec & { cli: string } => !!s.cli);

/** `  --max-model-len N|auto   Longest request (prompt + output) in tokens.` (the first sentence of the input's doc). */
function optionLine(s: InputSpec & { cli: string }): string {
  const head = `  --${s.cli}${s.type === 'boolean' ? ` | --no-${s.cli}` : s.cliValue ? ` ${s.cliValue}` : ''}`;
  const first = /^(.*?\.)(\s|$)/.exec(s.doc)?.[1] ?? s.doc;
  return `${head.padEnd(44)} ${first}`;
}

const USAGE = `Usage: inference-budget FILE [options]
       inference-budget check PATH... [--json] [--quiet] [--workspace DIR | --no-workspace] [--default-gpu NAME]

FILE is a Hugging Face config.json, a model folder holding one, or a GGUF file (model.gguf; every part of a
split model-00001-of-00003.gguf is read). Only a GGUF file's header is read; it is sized with llama.cpp's rules
unless --engine says otherwise.
check reads deployment files as the editor does (see inference-budget check --help).

Options:
${CLI_INPUTS.map(optionLine).join('\n')}
${'  --json'.padEnd(44)} Print one JSON object.
  -h, --help`;

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

/** Parses argv into a file and engine inputs; throws UsageError with a one-line message. */
export function parseCliArgs(argv: string[]): { file?: string; inputs: BudgetInputs; json: boolean; help: boolean } {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } };
  for (const s of CLI_INPUTS) {
    if (s.type === 'boolean') { options[s.cli] = { type: 'boolean' }; options[`no-${s.cli}`] = { type: 'boolean' }; } else options[s.cli] = { type: 'string' };
  }
  let parsed;
  try {
    parsed = parseArgs({ args: withNegativeValues(argv, options), allowPositionals: true, options, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message.split('\n')[0]);
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
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
  if (parsed.positionals.length > 1) throw new UsageError(`expected one FILE, got ${parsed.positionals.length}: ${parsed.positionals.join(' ')}`);
  return { file: parsed.positionals[0], inputs: inputs as BudgetInputs, json: values.json === true, help: values.help === true };
}

/** Control characters from names in configs (escape sequences, bells) shown as `\u001b`, never sent to the terminal. */
function visibleControls(text: string): string {
  return text.replace(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Errors are one line, whatever a file name or a parser message contains. */
function oneLine(errLine: (s: string) => void): (s: string) => void {
  return (s) => errLine(visibleControls(s.replace(/[\r\n\u2028\u2029]+/g, ' ').replace(/\s{2,}/g, ' ').trim()));
}

/** Sizes loaded model files and prints the report; returns the exit code. */
function report(files: ModelFiles, inputs: BudgetInputs, json: boolean, out: (s: string) => void, err: (s: string) => void): number {
  const result = computeBudget(files, inputs);
  if (!result.ok) {
    const invalid = result.diagnostics.some((d) => d.code === 'invalid-input' || d.code === 'unknown-gpu');
    if (json) out(JSON.stringify(resultJson(result), null, 2));
    err(`inference-budget: ${result.unsupported}`);
    return invalid ? 2 : 3;
  }
  out(json ? JSON.stringify(resultJson(result), null, 2) : visibleControls(formatReport(result.report)));
  return result.report.capacity.fits ? 0 : 1;
}

/** Runs the CLI on a config.json or model folder; returns the exit code. Output goes through the given writers (testable). */
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
  if (!args.file) { err('inference-budget: missing FILE (a config.json, a model folder or a .gguf file; see --help)'); return 2; }
  if (isGgufPath(args.file)) { err('inference-budget: a GGUF file is read asynchronously: use runCliAsync (the command line does)'); return 2; }
  const loaded = loadModelFiles(args.file);
  if (!loaded.ok) { err(`inference-budget: ${loaded.message}`); return 2; }
  return report(loaded.files, args.inputs, args.json, out, err);
}

function isGgufPath(file: string): boolean {
  return /\.gguf$/i.test(file);
}

/**
 * The config command, GGUF files included: a `.gguf` file's header is read (streaming) and sized with llama.cpp's
 * rules unless `--engine` names another engine; its own type (Q4_K_M) is the quantization unless one is given.
 */
export async function runCliAsync(argv: string[], out: (s: string) => void, errLine: (s: string) => void): Promise<number> {
  let args;
  try {
    args = parseCliArgs(argv);
  } catch {
    return runCli(argv, out, errLine);     // the same one-line usage error
  }
  if (args.help || !args.file || !isGgufPath(args.file)) return runCli(argv, out, errLine);
  const err = oneLine(errLine);
  const loaded = await loadGgufModelFiles(args.file);
  if (!loaded.ok) { err(`inference-budget: ${loaded.message}`); return 2; }
  const inputs: BudgetInputs = { ...args.inputs };
  if (inputs.engine === undefined) inputs.engine = 'llamacpp';
  const fileType = loaded.fileType?.toLowerCase();
  if (inputs.quantization === undefined && fileType && fileType !== 'f16' && fileType !== 'bf16' && fileType !== 'f32' && isKnownQuantization(fileType)) {
    inputs.quantization = fileType;
  }
  return report(loaded.files, inputs, args.json, out, err);
}

/** The command line: `check PATH...`, else the config command. */
export async function main(argv: string[], out: (s: string) => void, errLine: (s: string) => void): Promise<number> {
  return argv[0] === 'check' ? runCheck(argv.slice(1), out, errLine) : runCliAsync(argv, out, errLine);
}

if (require.main === module) {
  void main(process.argv.slice(2), (s) => process.stdout.write(s + '\n'), (s) => process.stderr.write(s + '\n'))
    .then((code) => { process.exitCode = code; }, (e) => { process.stderr.write(`inference-budget: ${(e as Error)?.message ?? e}\n`); process.exitCode = 2; });
}
