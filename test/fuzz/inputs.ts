// Random deployment inputs (BudgetInputs) and CLI argument vectors.

import { BudgetInputs } from '../../src/core/types';
import { QUANTIZATION_NAMES } from '../../src/core/quantization';
import { Rng } from './harness';
import { PROTO_WORDS, UNICODE_BITS, unicodeString } from './mutators';

export const KV_DTYPES = ['auto', 'fp8', 'fp8_e4m3', 'fp8_e5m2', 'fp8_inc', 'fp8_ds_mla', 'bfloat16', 'bf16', 'float16', 'fp16', 'half', 'float32', 'fp32', '', ' FP8 '];
export const DTYPES = ['auto', 'bfloat16', 'bf16', 'float16', 'fp16', 'half', 'float32', 'fp32', 'float', 'torch.bfloat16', ' BFloat16 '];
export const QUANTS = [...QUANTIZATION_NAMES, 'awq_marlin', 'gptq_marlin', 'compressed_tensors', 'fp8-dynamic', 'FP8', 'Q4_K_M', 'none', 'bf16', 'fp16', 'w8a8', 'w4a16', 'bnb', 'nf4', 'modelopt_fp4', ''];
export const ENGINES = ['vllm', 'vllm@0.19.0', 'vllm@0.21.0', 'vllm@0.17.1', 'vllm@0.10.2', 'vllm@0.8.0', 'vllm@0.7.3', 'vllm@0.6.4', 'vllm@v0.6.4', 'vllm@latest', 'VLLM@0.19', 'vllm@1.0.0', 'vllm@0.19.0.post1', ' vllm '];
const GARBAGE_TEXT = ['', ' ', 'banana', 'sglang', 'tgi', 'vllm@', 'vllm@x', 'vllm@@', '@0.19.0', 'vllm@0.19.0@1', 'x'.repeat(300), '\u0000', 'Infinity', 'NaN', '-1', '1e308'];

/** A GPU name: catalog names, mangled catalog names, counts, instance types, garbage. */
export function gpuName(rng: Rng, names: readonly string[]): string {
  const base = rng.pick(names);
  return rng.weighted<() => string>([
    [6, () => base],
    [1, () => base.toUpperCase()],
    [1, () => base.replace(/[\s-]/g, rng.pick(['_', '-', ' ', '', '  ', '/']))],
    [1, () => `${rng.pick([1, 2, 4, 8, 16, 0, 1000])}x ${base}`],
    [1, () => `${base} ${rng.pick(['80GB', '80 GB', '24GB', '0GB', '999999GB', '1TB', 'PCIe', 'SXM', 'Ti', 'Super', 'NVL', '76-core GPU', '12-core CPU'])}`],
    [1, () => unicodeString(rng, base)],
    [1, () => base.slice(0, rng.int(0, base.length))],
    [1, () => rng.pick(GARBAGE_TEXT)],
    [1, () => rng.pick(PROTO_WORDS)],
    [1, () => rng.pick(UNICODE_BITS).repeat(rng.int(1, 250))],
    [1, () => rng.pick(['H100', '4090', 'A100', 'L4', 'g5.xlarge', 'p5.48xlarge', 'a3-highgpu-8g', 'nvidia-l4', 'NVIDIA-A100-SXM4-80GB', 'M2 Ultra', 'MI300X', 'TPU v5e', 'Gaudi 3'])],
  ])();
}

/** An integer input: usually plausible, sometimes at or beyond the limits, sometimes not an integer. */
function count(rng: Rng, plausible: () => number, invalidRate: number): number {
  if (rng.bool(invalidRate)) {
    return rng.pick([0, -0, -1, -8, 1.5, 0.999, NaN, Infinity, -Infinity, 1e308, 2 ** 53, 2 ** 53 + 2, 4097, 1e8 + 1, 1e6 + 1, 1025, Number.MIN_VALUE]);
  }
  return plausible();
}

export interface InputOptions {
  gpuNames: readonly string[];
  /** Fraction of numeric inputs that are invalid (0, negative, fractional, NaN, beyond limits). */
  invalidRate?: number;
  /** Put values of the wrong JS type (strings for numbers, objects) in some inputs. */
  wrongTypes?: boolean;
}

/** Random BudgetInputs: every field optional, each set with some probability. */
export function randomInputs(rng: Rng, opts: InputOptions): BudgetInputs {
  const bad = opts.invalidRate ?? 0.05;
  const i: BudgetInputs = {};
  const p = 0.5;
  if (rng.bool(0.8)) i.gpu = gpuName(rng, opts.gpuNames);
  if (rng.bool(0.3)) i.gpuCount = count(rng, () => rng.pick([1, 2, 4, 8, 16, 3, 6, 64, 4096]), bad);
  if (rng.bool(p)) i.tensorParallel = count(rng, () => rng.pick([1, 1, 2, 4, 8, 16, 3, 5, 6, 32, 64, 128, 4096]), bad);
  if (rng.bool(0.3)) i.pipelineParallel = count(rng, () => rng.pick([1, 1, 2, 3, 4, 8, 7, 16, 61, 200, 4096]), bad);
  if (rng.bool(p)) i.maxModelLen = count(rng, () => rng.logInt(1, 1e8), bad);
  if (rng.bool(0.4)) {
    i.gpuMemoryUtilization = rng.bool(bad) ? rng.pick([0, -0.1, 1.0000001, 2, NaN, Infinity, -Infinity, 1e-320])
      : rng.pick([0.5, 0.8, 0.85, 0.9, 0.92, 0.95, 0.99, 1, 1e-9, 0.01, rng.next() || 0.5]);
  }
  if (rng.bool(0.2)) i.maxNumBatchedTokens = count(rng, () => rng.logInt(1, 1e8), bad);
  if (rng.bool(0.2)) i.maxNumSeqs = count(rng, () => rng.logInt(1, 1e6), bad);
  if (rng.bool(0.2)) i.dtype = rng.bool(0.9) ? rng.pick(DTYPES) : rng.pick(GARBAGE_TEXT);
  if (rng.bool(0.35)) i.quantization = rng.bool(0.9) ? rng.pick(QUANTS) : rng.bool() ? rng.pick(GARBAGE_TEXT) : unicodeString(rng, 'fp8');
  if (rng.bool(0.35)) i.kvCacheDtype = rng.bool(0.9) ? rng.pick(KV_DTYPES) : rng.pick(GARBAGE_TEXT);
  if (rng.bool(0.3)) i.engine = rng.bool(0.9) ? rng.pick(ENGINES) : rng.pick(GARBAGE_TEXT);
  if (rng.bool(0.2)) i.blockSize = count(rng, () => rng.pick([1, 8, 16, 32, 64, 128, 256, 1024, 3]), bad);
  if (rng.bool(0.3)) i.batch = count(rng, () => rng.logInt(1, 1e6), bad);
  if (rng.bool(0.3)) i.context = count(rng, () => rng.logInt(1, 1e8), bad);
  if (rng.bool(0.3)) i.prompt = count(rng, () => rng.logInt(1, 1e8), bad);
  if (opts.wrongTypes && rng.bool(0.3)) {
    const keys = Object.keys(i) as (keyof BudgetInputs)[];
    const k = keys.length ? rng.pick(keys) : 'tensorParallel';
    (i as Record<string, unknown>)[k] = rng.pick<unknown>(['2', '', null, {}, [], true, 'NaN', ['H100'], { gpu: 'H100' }, 8]);
  }
  return i;
}

const NUMERIC_FLAGS = ['--gpus', '--tp', '--pp', '--max-model-len', '--gpu-memory-utilization', '--max-num-batched-tokens', '--max-num-seqs', '--batch', '--context', '--prompt', '--block-size'];
const TEXT_FLAGS = ['--gpu', '--dtype', '--quantization', '--kv-cache-dtype', '--engine'];

function numericText(rng: Rng): string {
  return rng.weighted<() => string>([
    [5, () => String(rng.pick([1, 2, 4, 8, 16, 32, 1024, 4096, 8192, 32768, 131072]))],
    [2, () => rng.pick(['32k', '32K', '1.5k', '128_000', '0.9', '0.95', '1', ' 8 ', '1e3', '0x10', '1e308', '1e309', '-1', '0', '-0', 'NaN', 'Infinity', '', 'two', '2k2', '.5', '1_', '_', 'k', '9007199254740993', '٣'])],
    [1, () => unicodeString(rng, '8')],
  ])();
}

/**
 * A random argv: a file (from `files`), then flags in random order and form (`--x v`, `--x=v`),
 * sometimes with unknown flags, a missing value, extra positionals, --json / --help.
 */
export function randomArgv(rng: Rng, files: readonly string[], gpuNames: readonly string[]): string[] {
  const argv: string[] = [];
  if (rng.bool(0.95)) argv.push(rng.pick(files));
  const n = rng.int(0, 6);
  for (let k = 0; k < n; k++) {
    const kind = rng.weighted<string>([[6, 'numeric'], [5, 'text'], [1, 'unknown'], [1, 'json'], [1, 'missing'], [1, 'positional'], [1, 'short'], [1, 'dashdash']]);
    switch (kind) {
      case 'numeric': {
        const f = rng.pick(NUMERIC_FLAGS);
        const v = numericText(rng);
        if (rng.bool(0.3)) argv.push(`${f}=${v}`); else argv.push(f, v);
        break;
      }
      case 'text': {
        const f = rng.pick(TEXT_FLAGS);
        const v = f === '--gpu' ? gpuName(rng, gpuNames) : f === '--dtype' ? rng.pick(DTYPES) : f === '--quantization' ? rng.pick(QUANTS) : f === '--kv-cache-dtype' ? rng.pick(KV_DTYPES) : rng.pick(ENGINES);
        if (rng.bool(0.3)) argv.push(`${f}=${v}`); else argv.push(f, v);
        break;
      }
      case 'unknown': argv.push(rng.pick(['--frobnicate', '--tp2', '-x', '--GPU', '--max_model_len', '---', '--', '-', '--json=yes', '--help=1', unicodeString(rng, '--gpu')])); break;
      case 'json': argv.push('--json'); break;
      case 'missing': argv.push(rng.pick([...NUMERIC_FLAGS, ...TEXT_FLAGS])); break;
      case 'positional': argv.push(rng.pick(files)); break;
      case 'short': argv.push(rng.pick(['-h', '-hh', '-j'])); break;
      case 'dashdash': argv.push('--', rng.pick(['--tp', '-h', rng.pick(files)])); break;
    }
  }
  return argv;
}
