// What vLLM, SGLang and TGI command lines mean.
import type { InputKey, ServingEngine } from './types';
import type { Word } from './shell';

export type FlagTarget = InputKey | 'model';

/** Flag names (without dashes, `_` written as `-`, lower case) to inputs. */
export const FLAGS: Record<ServingEngine, Record<string, FlagTarget>> = {
  vllm: {
    'model': 'model',
    'model-id': 'model',            // KServe Hugging Face server
    'tensor-parallel-size': 'tensorParallel', 'tp': 'tensorParallel',
    'pipeline-parallel-size': 'pipelineParallel', 'pp': 'pipelineParallel',
    'max-model-len': 'maxModelLen',
    'gpu-memory-utilization': 'gpuMemoryUtilization',
    'max-num-seqs': 'maxNumSeqs',
    'max-num-batched-tokens': 'maxNumBatchedTokens',
    'kv-cache-dtype': 'kvCacheDtype',
    'quantization': 'quantization', 'q': 'quantization',
    'dtype': 'dtype',
    'block-size': 'blockSize',
  },
  sglang: {
    'model-path': 'model', 'model': 'model',
    'tp-size': 'tensorParallel', 'tp': 'tensorParallel', 'tensor-parallel-size': 'tensorParallel',
    'pp-size': 'pipelineParallel', 'pipeline-parallel-size': 'pipelineParallel',
    'context-length': 'maxModelLen',
    'mem-fraction-static': 'gpuMemoryUtilization',
    'max-running-requests': 'maxNumSeqs',
    'chunked-prefill-size': 'maxNumBatchedTokens',
    'kv-cache-dtype': 'kvCacheDtype',
    'quantization': 'quantization',
    'dtype': 'dtype',
    'page-size': 'blockSize',
  },
  tgi: {
    'model-id': 'model',
    'num-shard': 'tensorParallel',
    'max-total-tokens': 'maxModelLen',
    'max-batch-prefill-tokens': 'maxNumBatchedTokens',
    'max-batch-size': 'maxNumSeqs',
    'quantize': 'quantization',
    'dtype': 'dtype',
    'cuda-memory-fraction': 'gpuMemoryUtilization',
    'kv-cache-dtype': 'kvCacheDtype',
  },
};

/** The flag written when a value is added. */
export const CANONICAL_FLAG: Record<ServingEngine, Partial<Record<InputKey, string>>> = {
  vllm: {
    tensorParallel: 'tensor-parallel-size', pipelineParallel: 'pipeline-parallel-size', maxModelLen: 'max-model-len',
    gpuMemoryUtilization: 'gpu-memory-utilization', maxNumSeqs: 'max-num-seqs', maxNumBatchedTokens: 'max-num-batched-tokens',
    kvCacheDtype: 'kv-cache-dtype', quantization: 'quantization', dtype: 'dtype', blockSize: 'block-size',
  },
  sglang: {
    tensorParallel: 'tp-size', pipelineParallel: 'pp-size', maxModelLen: 'context-length', gpuMemoryUtilization: 'mem-fraction-static',
    maxNumSeqs: 'max-running-requests', maxNumBatchedTokens: 'chunked-prefill-size', kvCacheDtype: 'kv-cache-dtype',
    quantization: 'quantization', dtype: 'dtype', blockSize: 'page-size',
  },
  tgi: {
    tensorParallel: 'num-shard', maxModelLen: 'max-total-tokens', maxNumBatchedTokens: 'max-batch-prefill-tokens',
    maxNumSeqs: 'max-batch-size', quantization: 'quantize', dtype: 'dtype', gpuMemoryUtilization: 'cuda-memory-fraction',
    kvCacheDtype: 'kv-cache-dtype',
  },
};

/** TGI reads every launcher flag from an environment variable too. */
export const TGI_ENV: Record<string, FlagTarget> = {
  MODEL_ID: 'model', NUM_SHARD: 'tensorParallel', MAX_TOTAL_TOKENS: 'maxModelLen',
  MAX_BATCH_PREFILL_TOKENS: 'maxNumBatchedTokens', MAX_BATCH_SIZE: 'maxNumSeqs', QUANTIZE: 'quantization',
  DTYPE: 'dtype', CUDA_MEMORY_FRACTION: 'gpuMemoryUtilization', KV_CACHE_DTYPE: 'kvCacheDtype',
};
export const TGI_ENV_NAME: Partial<Record<InputKey, string>> = Object.fromEntries(
  Object.entries(TGI_ENV).filter(([, v]) => v !== 'model').map(([k, v]) => [v, k]),
);
/** TGI limits checked against max-total-tokens. */
export const TGI_INPUT_LIMIT_FLAGS = new Set(['max-input-length', 'max-input-tokens']);
export const TGI_INPUT_LIMIT_ENV = new Set(['MAX_INPUT_LENGTH', 'MAX_INPUT_TOKENS']);

/** Flags that take no value (a following word is not theirs). */
const BOOLEAN_FLAGS = new Set([
  'trust-remote-code', 'enforce-eager', 'enable-prefix-caching', 'no-enable-prefix-caching', 'enable-chunked-prefill',
  'no-enable-chunked-prefill', 'disable-log-requests', 'enable-log-requests', 'disable-log-stats', 'enable-auto-tool-choice',
  'enable-expert-parallel', 'disable-custom-all-reduce', 'enable-lora', 'disable-frontend-multiprocessing',
  'enable-reasoning', 'disable-sliding-window', 'skip-tokenizer-init', 'enable-sleep-mode', 'async-scheduling',
  'headless', 'enable-torch-compile', 'disable-radix-cache', 'disable-cuda-graph', 'enable-dp-attention', 'enable-metrics',
  'disable-overlap-schedule', 'enable-mixed-chunk', 'disable-custom-kernels', 'enable-eplb', 'use-v2-block-manager',
  'disable-fastapi-docs', 'enable-request-id-headers', 'return-tokens-as-token-ids', 'enable-server-load-tracking',
  'no-enable-chunked-prefill', 'enable-lora-bias', 'fully-sharded-loras', 'disable-async-output-proc', 'enable-cache',
  'disable-usage-stats', 'otlp-traces-endpoint-disabled',
]);

export function normalizeFlag(name: string): string {
  return name.toLowerCase().replace(/_/g, '-');
}

function baseName(s: string): string {
  const i = s.lastIndexOf('/');
  return i >= 0 ? s.slice(i + 1) : s;
}

const VLLM_MODULES = new Set(['vllm.entrypoints.openai.api_server', 'vllm.entrypoints.api_server']);

export interface InvocationStart {
  engine: ServingEngine;
  /** Index of the first argument after the command. */
  argStart: number;
  /** `vllm serve MODEL`: the first argument may be the model. */
  positionalModel: boolean;
}

/** Finds `vllm serve`, `python -m vllm.entrypoints.openai.api_server`, `python -m sglang.launch_server`, `text-generation-launcher`. */
export function findInvocation(words: readonly { text: string }[]): InvocationStart | undefined {
  for (let i = 0; i < words.length; i++) {
    const b = baseName(words[i].text);
    if (b === 'vllm' && words[i + 1]?.text === 'serve') return { engine: 'vllm', argStart: i + 2, positionalModel: true };
    if (b === 'text-generation-launcher') return { engine: 'tgi', argStart: i + 1, positionalModel: false };
    if (/^python(\d+(\.\d+)?)?$/.test(b)) {
      // python [-u ...] -m module
      for (let j = i + 1; j < Math.min(words.length, i + 5); j++) {
        const w = words[j].text;
        if (w === '-m' && j + 1 < words.length) {
          const mod = words[j + 1].text;
          if (VLLM_MODULES.has(mod)) return { engine: 'vllm', argStart: j + 2, positionalModel: false };
          if (mod === 'vllm.entrypoints.cli.main' && words[j + 2]?.text === 'serve') return { engine: 'vllm', argStart: j + 3, positionalModel: true };
          if (mod === 'sglang.launch_server') return { engine: 'sglang', argStart: j + 2, positionalModel: false };
          break;
        }
        if (!w.startsWith('-')) break;
      }
    }
  }
  return undefined;
}

export interface FlagUse {
  /** Normalized name (`max-model-len`). */
  name: string;
  /** The word holding the flag name (and the value for `--flag=value`). */
  word: Word;
  /** Length of the flag as written (`--max-model-len`). */
  nameLength: number;
  dashes: number;
  /** The word holding the value, and where the value starts in it. */
  valueWord?: Word;
  valueOffset: number;
  equals: boolean;
}

export interface ParsedArgs {
  flags: FlagUse[];
  positionals: Word[];
}

const NEGATIVE_NUMBER = /^-\d+(\.\d+)?$/;
const REDIRECT = /^\d*[<>]/;

/** Splits arguments into flags (with their values) and positionals. */
export function parseArgs(args: readonly Word[]): ParsedArgs {
  const flags: FlagUse[] = [];
  const positionals: Word[] = [];
  for (let i = 0; i < args.length; i++) {
    const w = args[i];
    const t = w.text;
    if (REDIRECT.test(t)) break;
    if (t.length > 1 && t[0] === '-' && !NEGATIVE_NUMBER.test(t) && t !== '--') {
      const dashes = t[1] === '-' ? 2 : 1;
      const eq = t.indexOf('=');
      if (eq > dashes) {
        flags.push({ name: normalizeFlag(t.slice(dashes, eq)), word: w, nameLength: eq, dashes, valueWord: w, valueOffset: eq + 1, equals: true });
        continue;
      }
      const name = normalizeFlag(t.slice(dashes));
      const next = args[i + 1];
      if (!BOOLEAN_FLAGS.has(name) && next && !REDIRECT.test(next.text) && !(next.text.startsWith('-') && !NEGATIVE_NUMBER.test(next.text))) {
        flags.push({ name, word: w, nameLength: t.length, dashes, valueWord: next, valueOffset: 0, equals: false });
        i++;
      } else {
        flags.push({ name, word: w, nameLength: t.length, dashes, valueOffset: 0, equals: false });
      }
      continue;
    }
    positionals.push(w);
  }
  return { flags, positionals };
}

/** The container image runs this engine with its arguments as flags (no command given). */
export function engineOfImage(image: string | undefined): ServingEngine | undefined {
  if (!image) return undefined;
  const i = image.toLowerCase();
  if (/text-generation-inference|(^|\/)tgi[-:/]|(^|\/)tgi$/.test(i)) return 'tgi';
  if (/vllm/.test(i)) return 'vllm';
  return undefined;
}

/** `vllm/vllm-openai:v0.19.0` -> version "0.19.0" and its offset within the image string. */
export function imageVersion(image: string): { version: string; offset: number } | undefined {
  const at = image.indexOf('@');
  const ref = at >= 0 ? image.slice(0, at) : image;
  const colon = ref.lastIndexOf(':');
  if (colon < 0 || ref.indexOf('/', colon) >= 0) return undefined;
  const tag = ref.slice(colon + 1);
  const m = /^(v?)(\d+\.\d+(?:\.\d+)?(?:\.post\d+)?)/.exec(tag);
  if (!m) return undefined;
  return { version: m[2], offset: colon + 1 + m[1].length };
}
