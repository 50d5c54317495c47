// `inference-budget`: the budget engine for terminals and CI.

import { parseArgs } from 'util';
import { computeBudget } from '../core/budget';
import { BudgetInputs } from '../core/types';
import { runCheck } from './check';
import { resultJson } from './json';
import { loadModelFiles } from './modelFiles';
import { formatReport } from './format';

const USAGE = `Usage: inference-budget FILE [options]
       inference-budget check PATH... [--json] [--quiet] [--workspace DIR | --no-workspace] [--default-gpu NAME]

FILE is a Hugging Face config.json or a model folder holding one.
check reads deployment files as the editor does (see inference-budget check --help).

Options:
  --gpu NAME                     accelerator (default: H100 SXM); aliases such as 4090, NVIDIA-A100-SXM4-80GB, p5.48xlarge
  --gpus N                       GPUs available (default: tp x pp)
  --tp N, --pp N                 tensor / pipeline parallel size (default 1)
  --max-model-len N              default: the model's max_position_embeddings
  --gpu-memory-utilization F     default: vLLM's (0.9)
  --max-num-batched-tokens N     --max-num-seqs N
  --dtype auto|bfloat16|float16|float32
  --quantization NAME            fp8 int8 int4 awq gptq mxfp4 nvfp4 q4_0 q4_k_m q5_k_m q6_k q8_0 f16
  --kv-cache-dtype auto|bfloat16|float16|fp8
  --engine vllm@VERSION          default vllm@0.19.0
  --batch N --context N          decode batch and context (default 1 and min(max-model-len, 1024))
  --prompt N                     prefill prompt length (default min(max-model-len, 1024))
  --json                         print one JSON object
  -h, --help`;

const NUMERIC: Record<string, keyof BudgetInputs> = {
  gpus: 'gpuCount', tp: 'tensorParallel', pp: 'pipelineParallel', 'max-model-len': 'maxModelLen',
  'gpu-memory-utilization': 'gpuMemoryUtilization', 'max-num-batched-tokens': 'maxNumBatchedTokens',
  'max-num-seqs': 'maxNumSeqs', batch: 'batch', context: 'context', prompt: 'prompt', 'block-size': 'blockSize',
};
const TEXT: Record<string, keyof BudgetInputs> = {
  gpu: 'gpu', dtype: 'dtype', quantization: 'quantization', 'kv-cache-dtype': 'kvCacheDtype', engine: 'engine',
};

export class UsageError extends Error {}

/** Parses argv into a file and engine inputs; throws UsageError with a one-line message. */
export function parseCliArgs(argv: string[]): { file?: string; inputs: BudgetInputs; json: boolean; help: boolean } {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } };
  for (const k of [...Object.keys(NUMERIC), ...Object.keys(TEXT)]) options[k] = { type: 'string' };
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message.split('\n')[0]);
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  const inputs: BudgetInputs = {};
  for (const [flag, key] of Object.entries(NUMERIC)) {
    const raw = values[flag];
    if (raw === undefined) continue;
    const text = String(raw).replace(/_/g, '');
    const k = /^(\d+(?:\.\d+)?)([kK])$/.exec(text);
    const n = k ? Number(k[1]) * (k[2] === 'K' ? 1024 : 1000) : Number(text);
    if (!/^[0-9.eE+-]+[kK]?$/.test(text) || !Number.isFinite(n)) throw new UsageError(`--${flag} expects a number, got ${JSON.stringify(String(raw))}`);
    (inputs as Record<string, number>)[key] = n;
  }
  for (const [flag, key] of Object.entries(TEXT)) {
    const raw = values[flag];
    if (raw !== undefined) (inputs as Record<string, string>)[key] = String(raw);
  }
  if (parsed.positionals.length > 1) throw new UsageError(`expected one FILE, got ${parsed.positionals.length}: ${parsed.positionals.join(' ')}`);
  return { file: parsed.positionals[0], inputs, json: values.json === true, help: values.help === true };
}

/** Runs the CLI; returns the exit code. Output goes through the given writers (testable). */
export function runCli(argv: string[], out: (s: string) => void, errLine: (s: string) => void): number {
  // Errors are one line, whatever a file name or a parser message contains.
  const err = (s: string): void => errLine(s.replace(/[\r\n\u2028\u2029]+/g, ' ').replace(/\s{2,}/g, ' ').trim());
  let args;
  try {
    args = parseCliArgs(argv);
  } catch (e) {
    err(`inference-budget: ${(e as Error).message} (see --help)`);
    return 2;
  }
  if (args.help) { out(USAGE); return 0; }
  if (!args.file) { err('inference-budget: missing FILE (a config.json or a model folder; see --help)'); return 2; }
  const loaded = loadModelFiles(args.file);
  if (!loaded.ok) { err(`inference-budget: ${loaded.message}`); return 2; }
  const result = computeBudget(loaded.files, args.inputs);
  if (!result.ok) {
    const invalid = result.diagnostics.some((d) => d.code === 'invalid-input' || d.code === 'unknown-gpu');
    if (args.json) out(JSON.stringify(resultJson(result), null, 2));
    err(`inference-budget: ${result.unsupported}`);
    return invalid ? 2 : 3;
  }
  out(args.json ? JSON.stringify(resultJson(result), null, 2) : formatReport(result.report));
  return result.report.capacity.fits ? 0 : 1;
}

/** The command line: `check PATH...`, else the config command. */
export async function main(argv: string[], out: (s: string) => void, errLine: (s: string) => void): Promise<number> {
  return argv[0] === 'check' ? runCheck(argv.slice(1), out, errLine) : runCli(argv, out, errLine);
}

if (require.main === module) {
  void main(process.argv.slice(2), (s) => process.stdout.write(s + '\n'), (s) => process.stderr.write(s + '\n'))
    .then((code) => { process.exitCode = code; }, (e) => { process.stderr.write(`inference-budget: ${(e as Error)?.message ?? e}\n`); process.exitCode = 2; });
}
