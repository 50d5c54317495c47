// What vLLM, SGLang, TGI, llama.cpp (llama-server) and Ollama command lines and environments mean.
// The vLLM, SGLang and TGI spellings come from the one table of deployment inputs (src/core/inputs.ts); llama.cpp's
// and Ollama's are here, from ggml-org/llama.cpp common/arg.cpp and Ollama's envconfig.
import type { FlagSpelling, InputKey, ServingEngine } from './types';
import type { Word } from './shell';
import { INPUT_SPECS, canonicalFlags, flagTable, tgiEnvTable, vllmEnvTable } from '../core/inputs';
import { keyedTable } from '../core/keyedTable';

export type FlagTarget = InputKey | 'model';

/** How each server names the model on its command line. */
const MODEL_FLAGS: Record<ServingEngine, readonly string[]> = {
  vllm: ['model', 'model-id'],   // model-id: KServe's Hugging Face server
  sglang: ['model-path', 'model'],
  tgi: ['model-id'],
  // -hf / --hf-repo: a Hugging Face GGUF repository, `user/model[:quant]`.
  llamacpp: ['m', 'model', 'hf', 'hfr', 'hf-repo'],
  ollama: [],
};

/**
 * llama-server's flags (common/arg.cpp). `-ctv` is read beside `-ctk` (the budget has one KV type); `-c 0` means the
 * model's own context; `-ngl all` / `auto` are words.
 */
const LLAMACPP_FLAGS: Readonly<Record<string, InputKey>> = keyedTable({
  c: 'maxModelLen', 'ctx-size': 'maxModelLen',
  np: 'maxNumSeqs', parallel: 'maxNumSeqs',
  ngl: 'gpuLayers', 'gpu-layers': 'gpuLayers', 'n-gpu-layers': 'gpuLayers',
  ctk: 'kvCacheDtype', 'cache-type-k': 'kvCacheDtype',
  fa: 'flashAttention', 'flash-attn': 'flashAttention',
  ub: 'ubatch', 'ubatch-size': 'ubatch',
  fit: 'fit',
  // -ts / --tensor-split 3,1: the layer split over GPUs; --kv-unified / -kvu: one KV buffer for every slot (its
  // negative forms are in LLAMACPP_NEGATIVE_FLAGS); -sm / --split-mode none|layer|row and -mg / --main-gpu N.
  ts: 'tensorSplit', 'tensor-split': 'tensorSplit',
  kvu: 'kvUnified', 'kv-unified': 'kvUnified',
  sm: 'splitMode', 'split-mode': 'splitMode',
  mg: 'mainGpu', 'main-gpu': 'mainGpu',
});
/** llama-server's negative switches (common/arg.cpp `args_neg`): a bare `--no-kv-unified` / `-no-kvu` sets it off. */
export const LLAMACPP_NEGATIVE_FLAGS: Readonly<Record<string, InputKey>> = keyedTable({ 'no-kv-unified': 'kvUnified', 'no-kvu': 'kvUnified' });
/** `-hf`: a Hugging Face GGUF repository, `user/model[:quant]` (`-m` is a file). */
export const LLAMACPP_HF_FLAGS = new Set(['hf', 'hfr', 'hf-repo']);
/** `-ctv`: V's cache type (checked against K's). */
export const LLAMACPP_CACHE_TYPE_V = new Set(['ctv', 'cache-type-v']);

/** The flags written when a value is added to a llama-server command line. */
const LLAMACPP_CANONICAL: Partial<Record<InputKey, string>> = {
  maxModelLen: 'ctx-size', maxNumSeqs: 'parallel', gpuLayers: 'n-gpu-layers', kvCacheDtype: 'cache-type-k',
  flashAttention: 'flash-attn', ubatch: 'ubatch-size', fit: 'fit', tensorSplit: 'tensor-split',
  splitMode: 'split-mode', mainGpu: 'main-gpu',
};

function withModel(engine: ServingEngine, table: Readonly<Record<string, InputKey>>): Readonly<Record<string, FlagTarget>> {
  const out: Record<string, FlagTarget> = {};
  for (const f of MODEL_FLAGS[engine]) out[f] = 'model';
  return keyedTable(Object.assign(out, table));
}

/** Flag names (without dashes, `_` written as `-`, lower case) to inputs. */
export const FLAGS: Record<ServingEngine, Readonly<Record<string, FlagTarget>>> = {
  vllm: withModel('vllm', flagTable('vllm')),
  sglang: withModel('sglang', flagTable('sglang')),
  tgi: withModel('tgi', flagTable('tgi')),
  llamacpp: withModel('llamacpp', LLAMACPP_FLAGS),
  ollama: keyedTable({}),
};

/** The flag written when a value is added. */
export const CANONICAL_FLAG: Record<ServingEngine, Partial<Record<InputKey, string>>> = {
  vllm: canonicalFlags('vllm'),
  sglang: canonicalFlags('sglang'),
  tgi: canonicalFlags('tgi'),
  llamacpp: LLAMACPP_CANONICAL,
  ollama: {},
};

/** A flag's name for an input as a command spells its flags (`--max-model-len`, or `--max_model_len` in vLLM). */
export function spelledFlag(spelling: FlagSpelling, key: InputKey): string | undefined {
  const f = CANONICAL_FLAG[spelling.engine]?.[key];
  return f ? '--' + (spelling.underscore ? f.replace(/-/g, '_') : f) : undefined;
}

/** TGI reads every launcher flag from an environment variable too. */
export const TGI_ENV: Readonly<Record<string, FlagTarget>> = keyedTable({ MODEL_ID: 'model', ...tgiEnvTable() });
export const TGI_ENV_NAME: Partial<Record<InputKey, string>> = Object.fromEntries(
  Object.entries(TGI_ENV).filter(([, v]) => v !== 'model').map(([k, v]) => [v, k]),
);
/** TGI limits checked against max-total-tokens. */
export const TGI_INPUT_LIMIT_FLAGS = new Set(['max-input-length', 'max-input-tokens']);
export const TGI_INPUT_LIMIT_ENV = new Set(['MAX_INPUT_LENGTH', 'MAX_INPUT_TOKENS']);

/** llama-server reads each flag from `LLAMA_ARG_*` too (flags win). */
export const LLAMACPP_ENV: Readonly<Record<string, FlagTarget>> = keyedTable({
  LLAMA_ARG_MODEL: 'model', LLAMA_ARG_HF_REPO: 'model', LLAMA_ARG_CTX_SIZE: 'maxModelLen', LLAMA_ARG_N_PARALLEL: 'maxNumSeqs',
  LLAMA_ARG_N_GPU_LAYERS: 'gpuLayers', LLAMA_ARG_CACHE_TYPE_K: 'kvCacheDtype', LLAMA_ARG_FLASH_ATTN: 'flashAttention',
  LLAMA_ARG_UBATCH: 'ubatch', LLAMA_ARG_FIT: 'fit', LLAMA_ARG_TENSOR_SPLIT: 'tensorSplit', LLAMA_ARG_KV_UNIFIED: 'kvUnified',
  LLAMA_ARG_SPLIT_MODE: 'splitMode', LLAMA_ARG_MAIN_GPU: 'mainGpu',
});

/**
 * Ollama's server settings (envconfig): the default num_ctx of every model, the requests each model serves at once,
 * the KV cache type (f16, q8_0, q4_0), flash attention and the bytes held back per GPU (OLLAMA_GPU_OVERHEAD).
 */
export const OLLAMA_ENV: Readonly<Record<string, FlagTarget>> = keyedTable({
  OLLAMA_CONTEXT_LENGTH: 'maxModelLen', OLLAMA_NUM_PARALLEL: 'maxNumSeqs', OLLAMA_KV_CACHE_TYPE: 'kvCacheDtype',
  OLLAMA_FLASH_ATTENTION: 'flashAttention', OLLAMA_GPU_OVERHEAD: 'gpuOverheadBytes',
});

/** Environment variables that change an engine's memory but are not read: listed, never ignored silently. */
export const UNREAD_ENV: Partial<Record<ServingEngine, ReadonlySet<string>>> = {
  ollama: new Set(['OLLAMA_MAX_LOADED_MODELS', 'OLLAMA_SCHED_SPREAD', 'OLLAMA_NEW_ENGINE', 'OLLAMA_MULTIUSER_CACHE']),
  llamacpp: new Set(['LLAMA_ARG_CACHE_TYPE_V', 'LLAMA_ARG_FIT_TARGET', 'LLAMA_ARG_N_CPU_MOE']),
};

/**
 * vLLM's environment variables that change its memory at startup (vllm/envs.py), from the inputs table:
 * `VLLM_USE_FLASHINFER_SAMPLER` (`bool(int(...))`: 1 on, 0 off) picks the sampler the profiling run warms up.
 */
export const VLLM_ENV: Readonly<Record<string, FlagTarget>> = keyedTable(vllmEnvTable());

/** The environment table of an engine (undefined: it takes its settings from flags only). */
export function envTable(engine: ServingEngine): Record<string, FlagTarget> | undefined {
  return engine === 'tgi' ? TGI_ENV : engine === 'llamacpp' ? LLAMACPP_ENV : engine === 'ollama' ? OLLAMA_ENV : engine === 'vllm' ? VLLM_ENV : undefined;
}

/** Whether an input is an on/off switch (`--enforce-eager`, `-fa on`). */
export function isBooleanInput(key: FlagTarget | undefined): key is InputKey {
  return key !== undefined && key !== 'model' && INPUT_SPECS.get(key)?.type === 'boolean';
}

/** Flags that take no value on every engine (a following word is not theirs). */
const BOOLEAN_FLAGS = new Set([
  'trust-remote-code', 'enable-prefix-caching', 'no-enable-prefix-caching', 'enable-chunked-prefill',
  'no-enable-chunked-prefill', 'disable-log-requests', 'enable-log-requests', 'disable-log-stats', 'enable-auto-tool-choice',
  'enable-expert-parallel', 'disable-custom-all-reduce', 'disable-frontend-multiprocessing',
  'enable-reasoning', 'disable-sliding-window', 'skip-tokenizer-init', 'enable-sleep-mode', 'async-scheduling',
  'headless', 'enable-torch-compile', 'disable-radix-cache', 'disable-cuda-graph', 'enable-dp-attention', 'enable-metrics',
  'disable-overlap-schedule', 'enable-mixed-chunk', 'disable-custom-kernels', 'enable-eplb', 'use-v2-block-manager',
  'disable-fastapi-docs', 'enable-request-id-headers', 'return-tokens-as-token-ids', 'enable-server-load-tracking',
  'enable-lora-bias', 'fully-sharded-loras', 'disable-async-output-proc', 'enable-cache',
  'disable-usage-stats', 'otlp-traces-endpoint-disabled', 'log-requests', 'enable-p2p-check', 'show-time-cost',
  'enable-cache-report', 'allow-auto-truncate', 'json-output', 'sharded', 'disable-grammar-support', 'enable-prefill-logprobs',
  'enable-log-outputs', 'disable-uvicorn-access-log', 'enable-prompt-tokens-details', 'enable-force-include-usage',
]);

/** llama-server's switches (no value). */
const LLAMACPP_BOOLEAN_FLAGS = new Set([
  'metrics', 'jinja', 'no-jinja', 'mlock', 'no-mmap', 'mmap', 'cont-batching', 'cb', 'no-cont-batching', 'nocb', 'embedding',
  'embeddings', 'rerank', 'reranking', 'kv-unified', 'kvu', 'no-kv-unified', 'no-kvu', 'verbose', 'v', 'log-disable', 'no-webui', 'webui',
  'slots', 'no-slots', 'props', 'swa-full', 'no-warmup', 'warmup', 'context-shift', 'no-context-shift', 'check-tensors',
  'no-perf', 'perf', 'cpu-moe', 'cmoe', 'offline', 'server', 'log-prefix', 'log-timestamps', 'special', 'sp',
  'no-prefill-assistant', 'no-op-offload', 'no-repack', 'escape', 'e', 'no-escape',
]);

/** Switches whose value is optional: the next word is theirs only when it is one of these (`-fa on`, bare `-fa`). */
const OPTIONAL_VALUE_FLAGS: Partial<Record<ServingEngine, ReadonlySet<string>>> = { llamacpp: new Set(['fa', 'flash-attn']) };
const SWITCH_WORDS = /^(on|off|auto|true|false|enabled|disabled|yes|no|1|0)$/i;

/** Switches of the inputs table per engine (`--enforce-eager`, and vLLM's `--no-enforce-eager`). */
const INPUT_SWITCHES: Record<ServingEngine, Set<string>> = (() => {
  const out = {} as Record<ServingEngine, Set<string>>;
  for (const engine of Object.keys(FLAGS) as ServingEngine[]) {
    out[engine] = new Set();
    if (engine === 'llamacpp') continue;     // -fa and --fit take on/off
    for (const [flag, key] of Object.entries(FLAGS[engine])) {
      if (!isBooleanInput(key)) continue;
      out[engine].add(flag);
      if (engine === 'vllm') out[engine].add(`no-${flag}`);
    }
  }
  return out;
})();

/**
 * Flags known to leave GPU memory at startup unchanged (address, logging, tokenizer, sampling, API). Every other flag
 * the budget does not read is listed in one finding: what it does to memory is not followed.
 */
const NOT_MEMORY: Record<ServingEngine, ReadonlySet<string>> = {
  vllm: new Set([
    'host', 'port', 'uds', 'served-model-name', 'api-key', 'trust-remote-code', 'disable-log-requests', 'enable-log-requests',
    'disable-log-stats', 'enable-log-outputs', 'uvicorn-log-level', 'disable-uvicorn-access-log', 'allowed-origins', 'allowed-methods',
    'allowed-headers', 'allow-credentials', 'ssl-keyfile', 'ssl-certfile', 'ssl-ca-certs', 'ssl-cert-reqs', 'root-path', 'middleware',
    'response-role', 'chat-template', 'chat-template-content-format', 'enable-auto-tool-choice', 'tool-call-parser', 'tool-parser-plugin',
    'reasoning-parser', 'enable-reasoning', 'download-dir', 'load-format', 'tokenizer', 'tokenizer-mode', 'tokenizer-revision',
    'revision', 'code-revision', 'seed', 'hf-token', 'enable-prefix-caching', 'no-enable-prefix-caching', 'prefix-caching-hash-algo',
    'enable-chunked-prefill', 'no-enable-chunked-prefill', 'disable-frontend-multiprocessing', 'distributed-executor-backend',
    'enable-metrics', 'otlp-traces-endpoint', 'collect-detailed-traces', 'max-log-len', 'guided-decoding-backend', 'generation-config',
    'override-generation-config', 'return-tokens-as-token-ids', 'disable-fastapi-docs', 'enable-request-id-headers',
    'enable-server-load-tracking', 'enable-prompt-tokens-details', 'enable-force-include-usage', 'lora-modules', 'task', 'runner',
    'skip-tokenizer-init', 'scheduling-policy', 'headless', 'api-server-count', 'data-parallel-address', 'data-parallel-rpc-port',
    'data-parallel-start-rank', 'log-level', 'disable-usage-stats', 'structured-outputs-config', 'config', 'default-chat-template-kwargs',
    'enable-sleep-mode', 'use-v2-block-manager', 'num-scheduler-steps',
    // KServe's Hugging Face server, which passes the rest to vLLM.
    'model-name', 'model-dir', 'backend', 'http-port', 'grpc-port',
  ]),
  sglang: new Set([
    'host', 'port', 'trust-remote-code', 'served-model-name', 'api-key', 'log-level', 'log-level-http', 'log-requests',
    'log-requests-level', 'tokenizer-path', 'tokenizer-mode', 'chat-template', 'tool-call-parser', 'reasoning-parser', 'enable-metrics',
    'random-seed', 'download-dir', 'load-format', 'revision', 'dist-init-addr', 'node-rank', 'skip-tokenizer-init',
    'allow-auto-truncate', 'show-time-cost', 'enable-cache-report', 'file-storage-path', 'watchdog-timeout', 'dist-timeout',
    'schedule-policy', 'schedule-conservativeness', 'stream-interval', 'enable-p2p-check', 'disable-radix-cache', 'api-server-count',
  ]),
  tgi: new Set([
    'hostname', 'port', 'shard-uds-path', 'master-addr', 'master-port', 'huggingface-hub-cache', 'weights-cache-override',
    'json-output', 'otlp-endpoint', 'otlp-service-name', 'cors-allow-origin', 'trust-remote-code', 'revision', 'max-concurrent-requests',
    'max-best-of', 'max-stop-sequences', 'max-top-n-tokens', 'waiting-served-ratio', 'max-waiting-tokens', 'sharded',
    'validation-workers', 'api-key', 'tokenizer-config-path', 'disable-grammar-support', 'env', 'usage-stats', 'payload-limit',
    'enable-prefill-logprobs', 'max-client-batch-size',
  ]),
  llamacpp: new Set([
    'host', 'port', 'metrics', 'threads', 't', 'threads-batch', 'tb', 'threads-http', 'alias', 'a', 'api-key', 'api-key-file',
    'jinja', 'no-jinja', 'chat-template', 'chat-template-file', 'chat-template-kwargs', 'mlock', 'no-mmap', 'mmap', 'cont-batching',
    'cb', 'no-cont-batching', 'nocb', 'timeout', 'to', 'temp', 'top-k', 'top-p', 'min-p', 'repeat-penalty', 'seed', 'n-predict',
    'n', 'log-file', 'log-disable', 'log-colors', 'log-verbosity', 'lv', 'verbose', 'v', 'slots', 'no-slots', 'props', 'no-webui',
    'webui', 'path', 'api-prefix', 'numa', 'reasoning-format', 'reasoning-budget', 'embedding', 'embeddings', 'pooling', 'rerank',
    'reranking', 'batch-size', 'b', 'no-warmup', 'warmup', 'context-shift', 'no-context-shift', 'keep', 'cache-reuse',
    'slot-save-path', 'ssl-key-file', 'ssl-cert-file', 'system-prompt-file', 'hf-token', 'hft', 'log-prefix', 'log-timestamps',
    'prio', 'poll', 'offline', 'server', 'special', 'sp', 'no-prefill-assistant', 'escape', 'e', 'no-escape',
  ]),
  ollama: new Set(),
};

/** Whether a flag the budget does not read is known to leave GPU memory unchanged. */
export function isNotMemoryFlag(engine: ServingEngine, name: string): boolean {
  // vLLM sets fields of a JSON argument with dots (`--structured-outputs-config.backend xgrammar`).
  const dot = name.indexOf('.');
  return NOT_MEMORY[engine].has(dot > 0 ? name.slice(0, dot) : name);
}

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

/**
 * Finds `vllm serve`, `python -m vllm.entrypoints.openai.api_server`, `python -m sglang.launch_server`,
 * `text-generation-launcher`, `llama-server` and `ollama serve`.
 */
export function findInvocation(words: readonly { text: string }[]): InvocationStart | undefined {
  for (let i = 0; i < words.length; i++) {
    const b = baseName(words[i].text);
    if (b === 'vllm' && words[i + 1]?.text === 'serve') return { engine: 'vllm', argStart: i + 2, positionalModel: true };
    if (b === 'text-generation-launcher') return { engine: 'tgi', argStart: i + 1, positionalModel: false };
    if (b === 'llama-server' || b === 'llama-server.exe') return { engine: 'llamacpp', argStart: i + 1, positionalModel: false };
    if (b === 'ollama' && words[i + 1]?.text === 'serve') return { engine: 'ollama', argStart: i + 2, positionalModel: false };
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

/** Whether `name` takes no value on `engine` (a following word is not its value). */
function takesNoValue(name: string, engine: ServingEngine | undefined): boolean {
  if (BOOLEAN_FLAGS.has(name)) return true;
  if (!engine) return false;
  return INPUT_SWITCHES[engine].has(name) || (engine === 'llamacpp' && LLAMACPP_BOOLEAN_FLAGS.has(name));
}

/** Splits arguments into flags (with their values) and positionals, with the engine's switches taking no value. */
export function parseArgs(args: readonly Word[], engine?: ServingEngine): ParsedArgs {
  const flags: FlagUse[] = [];
  const positionals: Word[] = [];
  const optional = engine ? OPTIONAL_VALUE_FLAGS[engine] : undefined;
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
      const takes = optional?.has(name) ? !!next && SWITCH_WORDS.test(next.text) : !takesNoValue(name, engine);
      if (takes && next && !REDIRECT.test(next.text) && !(next.text.startsWith('-') && !NEGATIVE_NUMBER.test(next.text))) {
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

/** What an image runs when it is given no command: its engine, and whether it needs `--server` first. */
export interface ImageEntrypoint {
  engine: ServingEngine;
  /** llama.cpp's `full` images run `tools.sh`: `--server` (or `-s`) before llama-server's own flags. */
  serverArg?: boolean;
}

/** llama.cpp images (ggml-org/llama.cpp, ggerganov/llama.cpp, community builds). */
const LLAMACPP_IMAGE = /llama[._-]?cpp|llama-server/;

/** The container image runs this engine with its arguments as flags (no command given). */
export function imageEntrypoint(image: string | undefined): ImageEntrypoint | undefined {
  if (!image) return undefined;
  const i = image.toLowerCase();
  if (/text-generation-inference|(^|\/)tgi[-:/]|(^|\/)tgi$/.test(i)) return { engine: 'tgi' };
  if (/vllm/.test(i)) return { engine: 'vllm' };
  if (/(^|\/)ollama(:|@|$)/.test(i)) return { engine: 'ollama' };
  if (LLAMACPP_IMAGE.test(i)) {
    const tag = imageTag(i) ?? '';
    // `light` images run llama-cli (no server); `full` images run tools.sh, which serves with --server.
    if (/(^|-)light(-|$)/.test(tag)) return undefined;
    return /(^|[-/:])full([-:.]|$)/.test(i) ? { engine: 'llamacpp', serverArg: true } : { engine: 'llamacpp' };
  }
  return undefined;
}

/** The container image runs this engine with its arguments as flags (no command given). */
export function engineOfImage(image: string | undefined): ServingEngine | undefined {
  return imageEntrypoint(image)?.engine;
}

/** The tag of an image reference (`vllm/vllm-openai:v0.19.0` → `v0.19.0`); undefined when untagged. */
export function imageTag(image: string): string | undefined {
  const at = image.indexOf('@');
  const ref = at >= 0 ? image.slice(0, at) : image;
  const colon = ref.lastIndexOf(':');
  if (colon < 0 || ref.indexOf('/', colon) >= 0) return undefined;
  return ref.slice(colon + 1);
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

/** Tags that move with each release (`latest`, `nightly`, SGLang's `dev`, and their CUDA variants `latest-cu130`). */
const MOVING_TAG = /^(latest|nightly|main|stable|dev)([-_.].*)?$/i;

/**
 * The engine spec an image pins, for the budget (`vllm@0.19.0`, `sglang@0.4.6`, `llamacpp@b5000`, `ollama@0.6.2`),
 * with where its version is written within the image string (`editable`: a quick fix may write another version
 * there). `latest`, `nightly` and untagged vLLM and SGLang images run the newest release: `vllm@latest` (the engine
 * says which rules that is).
 */
export function engineSpecOfImage(engine: ServingEngine, image: string): { spec: string; at?: { offset: number; length: number; editable: boolean } } {
  const v = imageVersion(image);
  const tag = imageTag(image);
  const digest = image.includes('@');
  if (engine === 'llamacpp') {
    // llama.cpp releases are build numbers: `server-cuda-b5000`.
    const m = tag ? /(^|-)(b\d{3,})(-|$)/.exec(tag) : null;
    if (m && tag) return { spec: `llamacpp@${m[2]}`, at: { offset: image.lastIndexOf(tag) + m.index + m[1].length, length: m[2].length, editable: false } };
    return { spec: 'llamacpp' };
  }
  if (v) {
    // SGLang's post releases follow the rules of their release (`v0.4.6.post1` → 0.4.6); the tag's whole version is edited.
    const version = engine === 'sglang' ? v.version.replace(/\.post\d+$/, '') : v.version;
    return { spec: `${engine}@${version}`, at: { offset: v.offset, length: v.version.length, editable: true } };
  }
  if ((engine === 'vllm' || engine === 'sglang') && ((tag === undefined && !digest) || (tag !== undefined && MOVING_TAG.test(tag)))) {
    // A moving tag is not replaced by a version: release tags are spelled differently (`v0.19.0`).
    return { spec: `${engine}@latest`, at: tag !== undefined ? { offset: image.lastIndexOf(tag), length: tag.length, editable: false } : undefined };
  }
  return { spec: engine };
}
