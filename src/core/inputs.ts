// Every deployment input, declared once: its type and bounds, its default, what it means, and how each place
// spells it (vLLM and SGLang flags, TGI flags and environment variables, budget files, the CLI). The engine's
// validation, the CLI's options and usage, the readers' flag tables and the hover labels derive from this table.

import type { BudgetInputs } from './types';

export type InputKey = keyof BudgetInputs;

interface InputBase {
  key: InputKey;
  /** A short label for hovers and messages ("tensor parallel size"). */
  label: string;
  /** What the value means and what happens when it is absent. */
  doc: string;
  /** vLLM flags and config-YAML keys without dashes (the first is written by quick fixes). */
  vllm?: readonly string[];
  /** SGLang flags (the first is written). */
  sglang?: readonly string[];
  /** TGI launcher flags (the first is written). */
  tgi?: readonly string[];
  /** TGI environment variable (every launcher flag has one). */
  tgiEnv?: string;
  /** vLLM environment variable (`VLLM_*`), read from a container's `env:` list and a Compose `environment:`. */
  vllmEnv?: string;
  /** The key under `deployment:` in a `*.budget.yaml` file. */
  budgetKey?: string;
  /** The CLI option (`--gpu`); absent for inputs the CLI does not take. */
  cli?: string;
  /** The CLI's placeholder in the usage text. */
  cliValue?: string;
}

export interface IntegerInput extends InputBase {
  type: 'integer';
  min: number;
  max: number;
  /** A value outside [min, max] the engine still accepts, with its meaning (`-1`: vLLM's automatic fit). */
  special?: { value: number; meaning: string };
}
export interface NumberInput extends InputBase { type: 'number'; min: number; max: number; exclusiveMin?: boolean }
export interface TextInput extends InputBase { type: 'text' }
export interface BooleanInput extends InputBase { type: 'boolean' }

export type InputSpec = IntegerInput | NumberInput | TextInput | BooleanInput;

/** Upper bounds that keep absurd inputs from producing absurd work or numbers. */
export const INPUT_LIMITS = { parallel: 4096, tokens: 1e8, batch: 1e6 } as const;

export const DEPLOYMENT_INPUTS: readonly InputSpec[] = [
  {
    key: 'gpu', type: 'text', label: 'GPU', cli: 'gpu', cliValue: 'NAME', budgetKey: 'gpu',
    doc: 'Accelerator name or alias (H100, NVIDIA-A100-SXM4-80GB, nvidia-l4, p5.48xlarge, 4090). Default: H100 SXM.',
  },
  {
    key: 'gpuCount', type: 'integer', min: 1, max: INPUT_LIMITS.parallel, label: 'GPU count', cli: 'gpus', cliValue: 'N', budgetKey: 'gpuCount',
    doc: 'GPUs available to the deployment. Default: tensor parallel × pipeline parallel.',
  },
  {
    key: 'tensorParallel', type: 'integer', min: 1, max: INPUT_LIMITS.parallel, label: 'tensor parallel size', cli: 'tp', cliValue: 'N', budgetKey: 'tensorParallel',
    vllm: ['tensor-parallel-size', 'tp'], sglang: ['tp-size', 'tp', 'tensor-parallel-size'], tgi: ['num-shard'], tgiEnv: 'NUM_SHARD',
    doc: 'Ranks each layer is split across. Default 1.',
  },
  {
    key: 'pipelineParallel', type: 'integer', min: 1, max: INPUT_LIMITS.parallel, label: 'pipeline parallel size', cli: 'pp', cliValue: 'N', budgetKey: 'pipelineParallel',
    vllm: ['pipeline-parallel-size', 'pp'], sglang: ['pp-size', 'pipeline-parallel-size'],
    doc: 'Stages the layers are split into. Default 1.',
  },
  {
    key: 'maxModelLen', type: 'integer', min: 1, max: INPUT_LIMITS.tokens, label: 'max model length', cli: 'max-model-len', cliValue: 'N|auto', budgetKey: 'maxModelLen',
    special: { value: -1, meaning: 'auto: the longest context that fits (vLLM 0.11+ `--max-model-len auto` / -1)' },
    vllm: ['max-model-len'], sglang: ['context-length'], tgi: ['max-total-tokens'], tgiEnv: 'MAX_TOTAL_TOKENS',
    doc: 'Longest request (prompt + output) in tokens. Default: the model\'s max_position_embeddings.',
  },
  {
    key: 'gpuMemoryUtilization', type: 'number', min: 0, max: 1, exclusiveMin: true, label: 'GPU memory utilization', cli: 'gpu-memory-utilization', cliValue: 'F', budgetKey: 'gpuMemoryUtilization',
    vllm: ['gpu-memory-utilization'], sglang: ['mem-fraction-static'], tgi: ['cuda-memory-fraction'], tgiEnv: 'CUDA_MEMORY_FRACTION',
    doc: 'Fraction of GPU memory the engine may use. Default: the engine version\'s (vLLM 0.9; 0.92 from 0.21).',
  },
  {
    key: 'maxNumBatchedTokens', type: 'integer', min: 1, max: INPUT_LIMITS.tokens, label: 'max batched tokens', cli: 'max-num-batched-tokens', cliValue: 'N', budgetKey: 'maxNumBatchedTokens',
    vllm: ['max-num-batched-tokens'], sglang: ['chunked-prefill-size'], tgi: ['max-batch-prefill-tokens'], tgiEnv: 'MAX_BATCH_PREFILL_TOKENS',
    doc: 'Tokens in one scheduler step (the profiling run\'s dummy batch). Default: by device class.',
  },
  {
    key: 'maxNumSeqs', type: 'integer', min: 1, max: INPUT_LIMITS.batch, label: 'max sequences', cli: 'max-num-seqs', cliValue: 'N', budgetKey: 'maxNumSeqs',
    vllm: ['max-num-seqs'], sglang: ['max-running-requests'], tgi: ['max-batch-size'], tgiEnv: 'MAX_BATCH_SIZE',
    doc: 'Requests in flight at once. Default: by device class.',
  },
  {
    key: 'dtype', type: 'text', label: 'dtype', cli: 'dtype', cliValue: 'auto|bfloat16|float16|float32', budgetKey: 'dtype',
    vllm: ['dtype'], sglang: ['dtype'], tgi: ['dtype'], tgiEnv: 'DTYPE',
    doc: 'Activation and unquantized-weight dtype. Default auto: the checkpoint\'s 16-bit type.',
  },
  {
    key: 'quantization', type: 'text', label: 'quantization', cli: 'quantization', cliValue: 'NAME', budgetKey: 'quantization',
    vllm: ['quantization', 'q'], sglang: ['quantization'], tgi: ['quantize'], tgiEnv: 'QUANTIZE',
    doc: 'fp8, int8, int4, awq, gptq, mxfp4, nvfp4, bitsandbytes, GGUF types. Default: the checkpoint\'s own.',
  },
  {
    key: 'kvCacheDtype', type: 'text', label: 'KV cache dtype', cli: 'kv-cache-dtype', cliValue: 'auto|bfloat16|float16|fp8', budgetKey: 'kvCacheDtype',
    vllm: ['kv-cache-dtype'], sglang: ['kv-cache-dtype'], tgi: ['kv-cache-dtype'], tgiEnv: 'KV_CACHE_DTYPE',
    doc: 'KV cache element type. Default auto: the model dtype, or fp8 where the checkpoint asks for it.',
  },
  {
    key: 'engine', type: 'text', label: 'engine', cli: 'engine', cliValue: 'vllm@VERSION', budgetKey: 'engine',
    doc: 'Serving engine and version (vllm@0.19.0, vllm@latest). Default: vllm at its default version.',
  },
  {
    key: 'blockSize', type: 'integer', min: 1, max: 1024, label: 'block size', cli: 'block-size', cliValue: 'N', budgetKey: 'blockSize',
    vllm: ['block-size'], sglang: ['page-size'],
    doc: 'Tokens per KV-cache block. Default 16.',
  },
  {
    key: 'enforceEager', type: 'boolean', label: 'enforce eager', cli: 'enforce-eager', budgetKey: 'enforceEager',
    vllm: ['enforce-eager'],
    doc: 'No CUDA graphs: nothing is reserved for graph capture. Default off.',
  },
  {
    key: 'kvCacheMemoryBytes', type: 'integer', min: 1, max: 2 ** 50, label: 'KV cache memory', cli: 'kv-cache-memory-bytes', cliValue: 'BYTES', budgetKey: 'kvCacheMemoryBytes',
    vllm: ['kv-cache-memory-bytes', 'kv-cache-memory'],
    doc: 'KV cache bytes per GPU, used as is instead of what the utilization leaves (vLLM 0.11+). Default: derived.',
  },
  {
    key: 'numGpuBlocksOverride', type: 'integer', min: 1, max: 1e9, label: 'GPU blocks override', cli: 'num-gpu-blocks-override', cliValue: 'N', budgetKey: 'numGpuBlocksOverride',
    vllm: ['num-gpu-blocks-override'],
    doc: 'KV-cache blocks to allocate whatever memory is free (profiling still runs). Default: derived.',
  },
  {
    key: 'cpuOffloadGb', type: 'number', min: 0, max: 1e6, label: 'CPU offload', cli: 'cpu-offload-gb', cliValue: 'GiB', budgetKey: 'cpuOffloadGb',
    vllm: ['cpu-offload-gb'],
    doc: 'GiB of weights per GPU kept in CPU memory and streamed in (less GPU memory, slower). Default 0.',
  },
  {
    key: 'maxLoras', type: 'integer', min: 1, max: 4096, label: 'LoRA adapters on GPU', cli: 'max-loras', cliValue: 'N', budgetKey: 'maxLoras',
    vllm: ['max-loras'],
    doc: 'LoRA adapters held on the GPU at once, with --enable-lora. Default 1.',
  },
  {
    key: 'maxLoraRank', type: 'integer', min: 1, max: 4096, label: 'max LoRA rank', cli: 'max-lora-rank', cliValue: 'N', budgetKey: 'maxLoraRank',
    vllm: ['max-lora-rank'],
    doc: 'Largest LoRA rank served, with --enable-lora. Default 16.',
  },
  {
    key: 'enableLora', type: 'boolean', label: 'LoRA', cli: 'enable-lora', budgetKey: 'enableLora',
    vllm: ['enable-lora'],
    doc: 'Serve LoRA adapters: vLLM reserves their weights on the GPU. Default off.',
  },
  {
    key: 'maxCpuLoras', type: 'integer', min: 0, max: 1e6, label: 'LoRA adapters in CPU memory', cli: 'max-cpu-loras', cliValue: 'N', budgetKey: 'maxCpuLoras',
    vllm: ['max-cpu-loras'],
    doc: 'vLLM --max-cpu-loras: adapters cached in CPU memory, with --enable-lora; no GPU memory. Must be at least --max-loras. Default (or 0): --max-loras.',
  },
  {
    key: 'limitMmPerPrompt', type: 'text', label: 'multimodal items per prompt', cli: 'limit-mm-per-prompt', cliValue: 'JSON', budgetKey: 'limitMmPerPrompt',
    vllm: ['limit-mm-per-prompt'],
    doc: 'vLLM --limit-mm-per-prompt \'{"image": 2, "video": 0}\': items per prompt by modality; 0 for every modality a vision tower serves leaves the tower unloaded. Default 999 each.',
  },
  {
    key: 'swapSpace', type: 'number', min: 0, max: 1e6, label: 'swap space', cli: 'swap-space', cliValue: 'GiB', budgetKey: 'swapSpace',
    vllm: ['swap-space'],
    doc: 'vLLM --swap-space: GiB of CPU memory per GPU for the V0 engine\'s swapping; unused by V1, no GPU memory; vLLM 0.18+ refuses the flag.',
  },
  {
    key: 'calculateKvScales', type: 'boolean', label: 'calculate KV scales', cli: 'calculate-kv-scales', budgetKey: 'calculateKvScales',
    vllm: ['calculate-kv-scales'],
    doc: 'vLLM --calculate-kv-scales: fp8 KV scales computed on the first forward pass; no GPU memory; deprecated in 0.18, refused from 0.26.',
  },
  {
    key: 'nodes', type: 'integer', min: 1, max: INPUT_LIMITS.parallel, label: 'nodes', cli: 'nodes', cliValue: 'N', budgetKey: 'nodes',
    doc: 'Machines the GPUs are spread over (a LeaderWorkerSet of size N, Ray across nodes). Across nodes vLLM runs no custom all-reduce. Default 1.',
  },
  {
    key: 'interconnect', type: 'text', label: 'GPU interconnect', cli: 'interconnect', cliValue: 'nvswitch|nvlink|pcie-p2p|pcie', budgetKey: 'interconnect',
    doc: 'How the GPUs of a node are linked, when it differs from the catalog (PCIe cards without peer-to-peer: pcie). Default: the GPU\'s.',
  },
  {
    key: 'gpuLayers', type: 'integer', min: 0, max: 4096, label: 'GPU layers', cli: 'n-gpu-layers', cliValue: 'N', budgetKey: 'gpuLayers',
    doc: 'llama.cpp `-ngl`: layers whose weights and KV go to the GPU. Default: all, lowered by --fit to what fits.',
  },
  {
    key: 'flashAttention', type: 'boolean', label: 'flash attention', cli: 'flash-attn', budgetKey: 'flashAttention',
    doc: 'llama.cpp `-fa`: without it the attention scores of a whole batch are held in the compute buffer. Default on.',
  },
  {
    key: 'ubatch', type: 'integer', min: 1, max: 65536, label: 'micro-batch', cli: 'ubatch-size', cliValue: 'N', budgetKey: 'ubatch',
    doc: 'llama.cpp `-ub`: tokens per micro-batch, which sizes the compute buffer. Default 512.',
  },
  {
    key: 'fit', type: 'boolean', label: 'fit', cli: 'fit', budgetKey: 'fit',
    doc: 'llama.cpp `--fit`: shrink the context (when left at 0) and then the GPU layers to leave 1 GiB free. Default on.',
  },
  {
    key: 'tensorSplit', type: 'text', label: 'tensor split', cli: 'tensor-split', cliValue: 'N,N,...',
    doc: 'llama.cpp `-ts 3,1`: each GPU\'s proportion of the layers with several GPUs (GPUs past the list get none). Default: by free memory, equal shares for identical GPUs.',
  },
  {
    key: 'kvUnified', type: 'boolean', label: 'unified KV cache', cli: 'kv-unified',
    doc: 'llama.cpp `--kv-unified` / `--no-kv-unified`: one KV buffer of -c cells shared by every slot, instead of -c / -np cells per slot. Default: on when -np is left at auto (4 slots, whatever --no-kv-unified says), off with an explicit -np.',
  },
  {
    key: 'splitMode', type: 'text', label: 'split mode', cli: 'split-mode', cliValue: 'none|layer|row',
    doc: 'llama.cpp `-sm`: none (the whole model on the -mg GPU), layer (whole layers and their KV per GPU by -ts) or row (layers and KV as layer, each weight matrix split by rows over all GPUs). Default layer.',
  },
  {
    key: 'mainGpu', type: 'integer', min: 0, max: INPUT_LIMITS.parallel - 1, label: 'main GPU', cli: 'main-gpu', cliValue: 'N',
    doc: 'llama.cpp `-mg`: the GPU that holds the model with --split-mode none. Default 0.',
  },
  {
    key: 'gpuOverheadBytes', type: 'integer', min: 0, max: 2 ** 50, label: 'GPU overhead', cli: 'gpu-overhead', cliValue: 'BYTES',
    doc: 'Ollama `OLLAMA_GPU_OVERHEAD`: bytes held back on each GPU. Before Ollama 0.30 the layers may not use them; from 0.30 they only lower the VRAM that picks the default num_ctx. Default 0.',
  },
  {
    key: 'flashinferSampler', type: 'boolean', label: 'FlashInfer sampler', cli: 'flashinfer-sampler', vllmEnv: 'VLLM_USE_FLASHINFER_SAMPLER',
    doc: 'vLLM `VLLM_USE_FLASHINFER_SAMPLER` (1 or 0): the top-k/top-p sampler the profiling run warms up, which sizes its activation peak. Without FlashInfer: the full-vocabulary sort (to 0.16) or the Triton kernel (0.17+). Default: the release\'s (FlashInfer to 0.11.0 and from 0.21).',
  },
  {
    key: 'batch', type: 'integer', min: 1, max: INPUT_LIMITS.batch, label: 'decode batch', cli: 'batch', cliValue: 'N',
    doc: 'Sequences decoded together for the speed figures. Default 1.',
  },
  {
    key: 'context', type: 'integer', min: 1, max: INPUT_LIMITS.tokens, label: 'decode context', cli: 'context', cliValue: 'N',
    doc: 'Tokens each decoding sequence attends to. Default: min(max model length, 1024).',
  },
  {
    key: 'prompt', type: 'integer', min: 1, max: INPUT_LIMITS.tokens, label: 'prompt length', cli: 'prompt', cliValue: 'N',
    doc: 'Prompt tokens for the prefill time. Default: min(max model length, 1024).',
  },
  {
    key: 'speculativeMethod', type: 'text', label: 'speculative decoding', cli: 'speculative-method', cliValue: 'mtp|eagle|eagle3|ngram|draft', budgetKey: 'speculativeMethod',
    sglang: ['speculative-algorithm'],
    doc: 'The drafter of speculative decoding (vLLM --speculative-config "method"). Default: none.',
  },
  {
    key: 'speculativeTokens', type: 'integer', min: 1, max: 64, label: 'speculative tokens', cli: 'speculative-tokens', cliValue: 'N', budgetKey: 'speculativeTokens',
    sglang: ['speculative-num-steps'],
    doc: 'Tokens drafted per step (vLLM --speculative-config "num_speculative_tokens"). Default 1.',
  },
  {
    key: 'speculativeModel', type: 'text', label: 'draft model', cli: 'speculative-model', cliValue: 'MODEL', budgetKey: 'speculativeModel',
    doc: 'The drafter\'s model (vLLM --speculative-config "model"): an EAGLE head or a separate draft model. With its config its layers\' KV cache (and a draft model\'s weights) are sized. Default: none.',
  },
  {
    key: 'acceptanceRate', type: 'number', min: 0, max: 1, exclusiveMin: true, label: 'draft acceptance rate', cli: 'acceptance-rate', cliValue: 'F', budgetKey: 'acceptanceRate',
    doc: 'Probability that a drafted token is accepted. Default: the published figure for MTP (0.85, DeepSeek-V3 report); none for the others.',
  },
  {
    key: 'prefixTokens', type: 'integer', min: 1, max: INPUT_LIMITS.tokens, label: 'shared prefix', cli: 'prefix-tokens', cliValue: 'N', budgetKey: 'prefixTokens',
    doc: 'Prompt tokens that requests share at the start (a system prompt). With the prefix cache on, prefill then computes only the rest. Default: none.',
  },
  {
    key: 'prefixHitRate', type: 'number', min: 0, max: 1, label: 'prefix cache hit rate', cli: 'prefix-hit-rate', cliValue: 'F', budgetKey: 'prefixHitRate',
    doc: 'Share of requests whose shared prefix is still in the cache. Default 1 when a shared prefix is given.',
  },
  {
    key: 'pricePerGpuHour', type: 'number', min: 0, max: 1e6, exclusiveMin: true, label: 'price per GPU-hour', cli: 'price-per-gpu-hour', cliValue: 'PRICE', budgetKey: 'pricePerGpuHour',
    doc: 'What one GPU costs per hour, in any currency. No default: the cost per million output tokens is shown only when it is given.',
  },
];

export const INPUT_SPECS: ReadonlyMap<InputKey, InputSpec> = new Map(DEPLOYMENT_INPUTS.map((s) => [s.key, s]));
/** Each input's place in DEPLOYMENT_INPUTS (the order inputs are checked in). */
export const INPUT_ORDER: ReadonlyMap<string, number> = new Map(DEPLOYMENT_INPUTS.map((s, i) => [s.key, i]));

/**
 * Checks one input against its declaration. Returns the value to use, or a one-line message.
 * Example: `tensorParallel` 3 → 3; 0 → "tensor parallel size must be a whole number from 1 to 4096 (got 0)".
 */
export function checkInput(spec: InputSpec, value: unknown): { ok: true; value: unknown } | { ok: false; message: string } {
  if (value === undefined) return { ok: true, value };
  switch (spec.type) {
    case 'integer': {
      if (spec.special && value === spec.special.value) return { ok: true, value };
      const whole = typeof value === 'number' && Number.isFinite(value) && Math.floor(value) === value;
      if (!whole || (value as number) < spec.min) return { ok: false, message: `${spec.key} must be a positive integer (got ${String(value)})` };
      if ((value as number) > spec.max) return { ok: false, message: `${spec.key} ${value} is larger than the supported maximum ${spec.max}` };
      return { ok: true, value };
    }
    case 'number': {
      const n = value as number;
      const low = spec.exclusiveMin ? n > spec.min : n >= spec.min;
      if (typeof value !== 'number' || !Number.isFinite(n) || !low || n > spec.max) {
        return { ok: false, message: `${spec.key} must be in ${spec.exclusiveMin ? '(' : '['}${spec.min}, ${spec.max}] (got ${String(value)})` };
      }
      return { ok: true, value };
    }
    case 'boolean':
      return typeof value === 'boolean' ? { ok: true, value } : { ok: false, message: `${spec.key} must be true or false (got ${String(value)})` };
    case 'text':
      return typeof value === 'string' ? { ok: true, value } : { ok: false, message: `${spec.key} must be text (got ${typeof value})` };
  }
}

/** Engine flag (without dashes, lower case, `_` written `-`) to input, for one engine's spellings. */
export function flagTable(engine: 'vllm' | 'sglang' | 'tgi'): Record<string, InputKey> {
  const out: Record<string, InputKey> = {};
  for (const s of DEPLOYMENT_INPUTS) for (const flag of s[engine] ?? []) out[flag] = s.key;
  return out;
}

/** The flag a quick fix writes for an input, per engine. */
export function canonicalFlags(engine: 'vllm' | 'sglang' | 'tgi'): Partial<Record<InputKey, string>> {
  const out: Partial<Record<InputKey, string>> = {};
  for (const s of DEPLOYMENT_INPUTS) { const first = s[engine]?.[0]; if (first) out[s.key] = first; }
  return out;
}

/** vLLM's environment variables per input (`VLLM_USE_FLASHINFER_SAMPLER`). */
export function vllmEnvTable(): Record<string, InputKey> {
  const out: Record<string, InputKey> = {};
  for (const s of DEPLOYMENT_INPUTS) if (s.vllmEnv) out[s.vllmEnv] = s.key;
  return out;
}

/** TGI's environment variables per input. */
export function tgiEnvTable(): Record<string, InputKey> {
  const out: Record<string, InputKey> = {};
  for (const s of DEPLOYMENT_INPUTS) if (s.tgiEnv) out[s.tgiEnv] = s.key;
  return out;
}
