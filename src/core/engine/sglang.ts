// Emulation of SGLang's startup sizing, per rank. SGLang has no profiling run: it keeps a closed-form share of the
// memory free before weight load (`mem_fraction_static`) and gives what the weights leave of it to the KV pool.
// Rules read from sgl-project/sglang at each release (server_args.py `_handle_gpu_memory_settings`,
// arg_groups/memory_hook.py `handle_gpu_memory_settings`, model_runner.py `profile_max_num_token`,
// model_runner_kv_cache_mixin.py, mem_cache/memory_pool.py); release boundaries of the 2026 changes are dated by
// merge, not by tag, and are approximate.

import type { Accelerator } from '../types';
import { LayerDescription, ModelDescription, layerKinds } from '../model';
import { kvHeadsPerRank, layerStateBytesPerSequence } from '../kvcache';
import { WeightPlan, pipelineLayerRanges, weightBytesPerRank } from '../weights';
import { GiB, RankBudget, Version, VllmResult, compareVersions, customAllReduceEnabled, parseVersion } from './vllm';
import type { RankTopology } from './vllm';

const MiB = 1024 ** 2;

export const DEFAULT_SGLANG_VERSION = '0.5.21';
export const NEWEST_SGLANG_VERSION = '0.5.21';

export interface SglangProfile {
  version: string;
  /**
   * How `mem_fraction_static` is chosen when unset: by TP only (≤ 0.4.5), with a rule for > 80 GiB GPUs
   * (0.4.6–0.4.7), a fixed reserve by memory tier (0.4.8–0.5.2, #7054), or a reserve computed from the chunked
   * prefill size, graph batch and parallelism (0.5.3+, #10372).
   */
  fractionRule: 'tp-tiers' | 'large-gpu' | 'reserve-tiers' | 'computed-reserve';
  /** chunked_prefill_size / cuda_graph_max_bs defaults by GPU memory. */
  defaultsRule: '0.4' | '0.4.8' | '0.5.3' | '0.5.4' | 'newest';
  /** The request pool held one extra slot (max_running_requests 2049) before 0.4.7 (#6803). */
  requestPoolPlusOne: boolean;
  /** `--page-size` exists (0.4.4+, #4356); tokens are rounded down to whole pages. */
  pageSize: boolean;
  /** Prefill (piecewise) CUDA graphs on by default, reserved for (2026, #16331). */
  prefillGraphReserve: boolean;
  /**
   * Which architectures give their sliding-window layers a pool of their own (`is_hybrid_swa`,
   * `swa_full_tokens_ratio` 0.8), and how the pools are split:
   * - 'none': ≤ 0.4.9 (Llama4's chunked pool, #6563, needs --hybrid-kvcache-ratio) and 0.5.0–0.5.7, where every
   *   class that reports a window opts out (disable_hybrid_swa_memory: Gemma2 #8693, gpt-oss #8839, Gemma3/3n
   *   #8895, Olmo2 #11396): one pool holds every layer's K and V for every token;
   * - 'windowed-classes': 0.4.10 (#7367, July 2025, first shipped in 0.4.9.post3; Gemma2 opted out again in
   *   0.4.10.post2): every class whose model reports `get_attention_sliding_window_size` — the Gemma2/3/3n ones;
   * - 'allowlist': 0.5.8+ (model_config.py `is_hybrid_swa_model`, gpt-oss back in by #17261, January 2026).
   */
  swaPool: 'none' | 'windowed-classes' | 'allowlist';
  /**
   * How the pools split (model_runner.py `set_num_token_hybrid`): 'layer-tokens' (#7367 to #18039) spreads the
   * profiled tokens × num_hidden_layers over full + 0.8 × sliding layers; 'bytes' (#18039, February 2026) divides the
   * rest by full + 0.8 × sliding bytes per token.
   */
  swaSplit: 'layer-tokens' | 'bytes';
  /** Free memory already taken before weight load on one GPU (CUDA context, torch and cuBLAS state), GiB. */
  contextGiB: number;
  /** The error text when weights leave nothing (#28855 changed it, 2026). */
  errorText: 'not-enough-memory' | 'loaded-weights';
}

const at = (v: Version, minor: number, patch = 0): boolean => compareVersions(v, [0, minor, patch]) >= 0;

export function sglangProfile(version: string): SglangProfile | undefined {
  const v = parseVersion(version);
  if (!v || v[0] !== 0 || v[1] < 4) return undefined;
  const v5 = (patch: number): boolean => compareVersions(v, [0, 5, patch]) >= 0;
  return {
    version: v.join('.'),
    fractionRule: v5(3) ? 'computed-reserve' : at(v, 4, 8) ? 'reserve-tiers' : at(v, 4, 6) ? 'large-gpu' : 'tp-tiers',
    defaultsRule: v5(20) ? 'newest' : v5(4) ? '0.5.4' : v5(3) ? '0.5.3' : at(v, 4, 8) ? '0.4.8' : '0.4',
    requestPoolPlusOne: !at(v, 4, 7),
    pageSize: at(v, 4, 4),
    prefillGraphReserve: v5(9),
    swaPool: v5(8) ? 'allowlist' : at(v, 4, 10) && !v5(0) ? 'windowed-classes' : 'none',
    swaSplit: v5(9) ? 'bytes' : 'layer-tokens',
    // Free memory before load on an 80 GB H100 at TP 1: 78.81 GiB in 2025 logs, 78.45 GiB in 2026 (of 79.19 visible).
    // Not a rule for every machine: sglog-001 (0.4.2, RTX 3090 under WSL2 / Docker Desktop) logs 22.76 GiB free
    // before load where this gives 23.58 − 0.38 = 23.20, and that log is predicted +10.6%. SGLang's own formula
    // (model_runner.py `profile_max_num_token`: rest = avail_after_load − avail_before_load × (1 − 0.88), / 57,344
    // bytes a token) reproduces its 105,531 tokens from the logged figures (8.37 − 22.76 × 0.12 = 5.64 GiB →
    // 105,584, the rest being the log's 2-decimal rounding), and the fraction 0.88, chunked prefill 2,048 and graph
    // batch 8 it logs are the ones used here. The gap is in the inputs, not in a rule: (1) 0.44 GiB less free before
    // load, which SGLang only measures (`get_available_gpu_memory`: empty_cache + torch.cuda.mem_get_info; nothing in
    // server_args.py, memory_hook.py or model_runner.py depends on the platform) — under WSL2 the Windows driver
    // (WDDM) and desktop hold that memory; (2) 0.20 GiB more taken by the load than the parameters (14.39 vs 14.19
    // GiB; sglog-002 shows 0.13 on Linux), likely PyTorch's allocator rounding and the rotary cache, not an SGLang
    // setting. Neither is an SGLang rule that generalises, so nothing is calibrated to it (n = 2).
    contextGiB: v5(9) ? 0.74 : 0.38,
    errorText: v5(14) ? 'loaded-weights' : 'not-enough-memory',
  };
}

/**
 * nvidia-smi's `memory.total` (MiB) of GPUs whose figure is known: what the driver reports, below the marketed size
 * (an 80 GB H100 shows 81,559 MiB; an A100 80GB the full 81,920). Read from nvidia-smi outputs.
 */
const NVIDIA_SMI_TOTAL_MIB: Readonly<Record<string, number>> = {
  'h100-sxm': 81559, h200: 143771, l40s: 46068, a40: 46068, l4: 23034, 'rtx-4090': 24564, a10: 23028, a10g: 23028,
};

/**
 * The GPU memory SGLang's tiers and reserve formula read: nvidia-smi's `memory.total` in MiB
 * (utils `get_device_memory_capacity` → `get_nvgpu_memory_capacity`, 0.4–0.5); the built size where the
 * figure is not known. Example: an H100 SXM at TP 1 on 0.5.6 → round((81,559 − 13,440) / 81,559, 3) = 0.835
 * (0.836 from 81,920).
 */
export function sglangGpuMemMiB(acc: Accelerator): number {
  return NVIDIA_SMI_TOTAL_MIB[acc.id] ?? acc.memoryBytes / MiB;
}

/** The windowed classes of 0.4.10 (gemma2.py, gemma3_causal.py, gemma3_mm.py, gemma3n_*.py define the window). */
const WINDOWED_CLASSES_0410 = new Set([
  'Gemma2ForCausalLM', 'Gemma3ForCausalLM', 'Gemma3ForConditionalGeneration', 'Gemma3nForCausalLM', 'Gemma3nForConditionalGeneration',
]);
/** `is_hybrid_swa_model`'s allowlist (model_config.py, 2026) for architectures with sliding layers. */
const HYBRID_SWA_ALLOWLIST = new Set([
  'GptOssForCausalLM', 'MiMoV2FlashForCausalLM', 'Step3p5ForCausalLM', 'Step3p7ForConditionalGeneration',
  'Gemma4ForCausalLM', 'Gemma4ForConditionalGeneration', 'Gemma4UnifiedForConditionalGeneration', 'LagunaForCausalLM',
  'MellumForCausalLM',
]);

/** Whether SGLang gives this model's sliding-window layers their own pool at this release. */
export function sglangHybridSwa(architecture: string, profile: SglangProfile): boolean {
  switch (profile.swaPool) {
    case 'none': return false;
    case 'windowed-classes': return WINDOWED_CLASSES_0410.has(architecture);
    case 'allowlist': return HYBRID_SWA_ALLOWLIST.has(architecture);
  }
}

/**
 * `chunked_prefill_size` and `cuda_graph_max_bs` when unset, by GPU memory (MiB) and version.
 * Example (0.5.4+): an 80 GB GPU at TP 1 → 8192 and 256; a 24 GB card → 2048 and 24.
 */
export function sglangSchedulerDefaults(acc: Accelerator, profile: SglangProfile, tp: number): { chunkedPrefillSize: number; cudaGraphMaxBs: number } {
  const mem = sglangGpuMemMiB(acc);
  const big = tp >= 4;
  switch (profile.defaultsRule) {
    case '0.4': return mem < 25000 ? { chunkedPrefillSize: 2048, cudaGraphMaxBs: big ? 80 : 8 } : { chunkedPrefillSize: 8192, cudaGraphMaxBs: 160 };
    case '0.4.8': return mem < 35 * 1024 ? { chunkedPrefillSize: 2048, cudaGraphMaxBs: big ? 80 : 8 } : { chunkedPrefillSize: mem < 160 * 1024 ? 8192 : 16384, cudaGraphMaxBs: 160 };
    default: {
      const small = profile.defaultsRule === 'newest' ? { chunkedPrefillSize: 4096, cudaGraphMaxBs: big ? 160 : 48 }
        : { chunkedPrefillSize: 2048, cudaGraphMaxBs: big ? 80 : profile.defaultsRule === '0.5.3' ? 16 : 24 };
      if (mem < 20 * 1024) return { chunkedPrefillSize: 2048, cudaGraphMaxBs: 8 };
      if (mem < 35 * 1024) return small;
      if (mem < 60 * 1024) return { chunkedPrefillSize: 4096, cudaGraphMaxBs: big ? 160 : 32 };
      if (mem < 160 * 1024) return { chunkedPrefillSize: 8192, cudaGraphMaxBs: big ? 512 : 256 };
      return { chunkedPrefillSize: 16384, cudaGraphMaxBs: 512 };
    }
  }
}

/** Prefill-graph token sizes SGLang captures (2026, `_generate_prefill_cuda_graph_batch_sizes`) up to `max`. */
function prefillGraphSizes(max: number): number {
  let n = 0;
  const ranges: Array<[number, number, number]> = [[4, 32, 4], [48, 256, 16], [288, 512, 32], [576, 1024, 64], [1280, 4096, 256], [4608, max, 512]];
  for (const [start, end, step] of ranges) for (let x = start; x <= Math.min(end, max); x += step) n++;
  return n;
}

/**
 * `mem_fraction_static` when unset. Examples: ≤ 0.4.5 at TP 1 → 0.88; 0.5.3+ on an 80 GB H100 at TP 1 with
 * chunked prefill 8192 and graph batch 256 → reserved max(512 + 12,288 + 512 + 128, 10,240) = 13,440 MiB →
 * round((81,559 − 13,440) / 81,559, 3) = 0.835.
 */
export function memFractionStatic(acc: Accelerator, profile: SglangProfile, s: { tp: number; pp: number; chunkedPrefillSize: number; cudaGraphMaxBs: number; mla: boolean }): number {
  const mem = sglangGpuMemMiB(acc);
  const parallel = s.tp * s.pp;
  const tpTiers = parallel >= 16 ? 0.79 : parallel >= 8 ? 0.81 : parallel >= 4 ? 0.85 : parallel >= 2 ? 0.87 : 0.88;
  const round3 = (x: number): number => Math.round(x * 1000) / 1000;
  switch (profile.fractionRule) {
    case 'tp-tiers': return tpTiers;
    case 'large-gpu': {
      if (mem <= 81920) return tpTiers;
      if (mem > 180000) return 0.79;
      return Math.min(0.88 + (48 * 1024 * 0.12) / mem, (mem - 18 * 1024) / mem);
    }
    case 'reserve-tiers': {
      const reserved = mem < 35 * 1024 ? (2.8 + parallel / 10) * 1024 : mem < 90 * 1024 ? (9.5 + parallel / 2) * 1024 : mem < 160 * 1024 ? (12 + parallel / 2) * 1024 : 32 * 1024;
      return round3((mem - reserved) / mem);
    }
    case 'computed-reserve': {
      let reserved = 512 + Math.max(s.chunkedPrefillSize, 2048) * 1.5 + s.cudaGraphMaxBs * 2 + (parallel / 8) * 1024;
      if (profile.prefillGraphReserve) reserved += s.mla ? 1536 : prefillGraphSizes(s.mla ? 2048 : s.chunkedPrefillSize) * 8;
      if (mem > 60 * 1024) reserved = Math.max(reserved, 10240);
      return round3((mem - reserved) / mem);
    }
  }
}

export interface SglangSettings {
  tp: number;
  pp: number;
  /** `--context-length`, else the model's. */
  contextLength: number;
  /** `--mem-fraction-static` when set. */
  memFractionStatic?: number;
  chunkedPrefillSize?: number;
  cudaGraphMaxBs?: number;
  maxRunningRequests?: number;
  pageSize?: number;
  kvBytes: number;
  activationDtypeBytes: number;
  stateDtypeBytes: number;
  topology: RankTopology;
}

/** The bytes one token takes in one layer's KV pool on one rank (`cell_size` per layer), 0 for layers without one. */
function layerCellBytes(layer: LayerDescription, kvBytes: number, tp: number): number {
  const a = layer.attention;
  if (!a || layer.crossAttention || a.kvSharedWith !== undefined) return 0;
  if (a.type === 'mla') return (a.mlaLatentDim ?? 0) * kvBytes + (a.indexerBytesPerToken ?? 0);
  return kvHeadsPerRank(a.kvHeads, tp) * a.headDim * 2 * kvBytes;
}

export interface SglangSizing extends VllmResult {
  /** What SGLang resolved: the fraction, chunked prefill, graph batch, running requests, page size. */
  resolved: { memFractionStatic: number; chunkedPrefillSize: number; cudaGraphMaxBs: number; maxRunningRequests: number; pageSize: number };
  /** `max_total_num_tokens` of the sliding-window pool when the model has one. */
  swaTokens?: number;
}

/**
 * SGLang's startup per rank: free memory before load `pre` (the visible memory less the CUDA context and, at TP ≥ 2,
 * NCCL and custom all-reduce buffers), free after the weights `post = pre − weights`, then
 * `rest = post − pre × (1 − mem_fraction_static)` (`profile_max_num_token`), `max_total_num_tokens =
 * rest // cell_size` rounded down to whole pages, the minimum over ranks.
 */
export function emulateSglang(model: ModelDescription, plan: WeightPlan, acc: Accelerator, s: SglangSettings, profile: SglangProfile): SglangSizing {
  const defaults = sglangSchedulerDefaults(acc, profile, s.tp);
  const chunkedPrefillSize = s.chunkedPrefillSize ?? defaults.chunkedPrefillSize;
  const cudaGraphMaxBs = s.cudaGraphMaxBs ?? defaults.cudaGraphMaxBs;
  const mla = model.layers.some((l) => l.attention?.type === 'mla');
  // On a GPU smaller than SGLang's reserve the formula goes below zero: nothing is static, and the pool check fails.
  const fraction = Math.max(0, s.memFractionStatic ?? memFractionStatic(acc, profile, { tp: s.tp, pp: s.pp, chunkedPrefillSize, cudaGraphMaxBs, mla }));
  const pageSize = profile.pageSize ? Math.max(1, s.pageSize ?? 1) : 1;
  const total = acc.visibleMemoryGiB * GiB;
  // Distributed init (NCCL, custom all-reduce IPC buffers) before the pre-load reading: ~0.16 GiB per rank with
  // custom all-reduce (1.25 GiB at TP 8 on H100), ~0.13 GiB without.
  const distributed = s.tp * s.pp <= 1 ? 0 : customAllReduceEnabled(s.tp, s.topology) ? 0.16 * s.tp * GiB : 0.13 * GiB;
  const pre = total - profile.contextGiB * GiB - distributed;
  const ranges = pipelineLayerRanges(model.numLayers, s.pp);
  const hybrid = sglangHybridSwa(model.architecture, profile);
  const ranks = ranges.map((range, stage): RankBudget & { cellBytes: number; swaCellBytes: number; fullCellBytes: number; state: number; profiled: number } => {
    const kinds = layerKinds(model, range.start, range.end);
    const weightBytes = weightBytesPerRank(model, plan, { tp: s.tp, pp: ranges.length, stage });
    let full = 0;
    let swa = 0;
    let state = 0;
    for (const { layer, count } of kinds) {
      const cell = layerCellBytes(layer, s.kvBytes, s.tp) * count;
      if (layer.attention?.type === 'sliding' && hybrid) swa += cell; else full += cell;
      if (layer.mamba) state += layerStateBytesPerSequence(layer.mamba, s.stateDtypeBytes, s.tp) * count;
    }
    const post = pre - weightBytes;
    let rest = post - pre * (1 - fraction);
    // Mamba / linear-attention hybrids: a state pool takes r / (1 + r) of the rest (mamba_full_memory_ratio 0.9).
    if (state > 0 && rest > 0) rest -= Math.floor((rest * (0.9 / 1.9)) / state) * state;
    // Sliding-window hybrids: each full-pool token brings 0.8 tokens of the sliding pool.
    const cellBytes = full + 0.8 * swa;
    // profile_max_num_token's count: over every layer's cell when the split comes after ('layer-tokens'), else over
    // the split cell ('bytes', and models with one pool).
    const profileCell = swa > 0 && profile.swaSplit === 'layer-tokens' ? full + swa : cellBytes;
    const profiled = rest > 0 && profileCell > 0 ? Math.floor(rest / profileCell) : 0;
    return {
      stage, layers: kinds, layerCount: range.end - range.start, loraBytes: 0,
      totalBytes: total, requestedBytes: pre * fraction, weightBytes,
      activationPeakBytes: pre * (1 - fraction), nonTorchBytes: total - pre, cudaGraphBytes: 0,
      availableKvBytes: rest, kvBytesPerToken: cellBytes, stateBytesPerSequence: 0,
      numBlocks: 0, numGroups: 1, blocksPerRequest: 0, neededBytes: 0,
      cellBytes, swaCellBytes: swa, fullCellBytes: full, state, profiled,
    };
  });
  // init_memory_pool: pages of the profiled count, the minimum over pipeline stages.
  let profiled = Infinity;
  let tokens = Infinity;
  for (const r of ranks) {
    profiled = Math.min(profiled, r.profiled);
    tokens = Math.min(tokens, Math.floor(r.profiled / pageSize) * pageSize);
  }
  if (!Number.isFinite(tokens)) tokens = profiled = 0;
  if (profile.swaSplit === 'layer-tokens' && ranks.some((r) => r.swaCellBytes > 0)) {
    // set_num_token_hybrid (#7367): tokens × num_hidden_layers spread over full + 0.8 × sliding layers; the full
    // pool's share is max_total_num_tokens (not rounded to pages again).
    let swaLayers = 0;
    for (const { layer, count } of layerKinds(model, 0, model.numLayers)) if (layer.attention?.type === 'sliding') swaLayers += count;
    tokens = Math.trunc((tokens * model.numLayers) / (0.8 * swaLayers + (model.numLayers - swaLayers)));
  }
  // The request pool (init_memory_pool: clamp(profiled / context_len × 512, 2048, 4096), from the count before page
  // rounding and the split; one more slot before 0.4.7, or --max-running-requests) caps max_running_requests at
  // min(max_total_num_tokens // 2, pool) unless the flag is set (tp_worker.py: min(flag, pool) = the flag).
  const est = Math.min(4096, Math.max(2048, Math.trunc((profiled / Math.max(1, s.contextLength)) * 512)));
  const maxRunningRequests = s.maxRunningRequests !== undefined
    ? s.maxRunningRequests
    : Math.min(Math.floor(tokens / 2), est + (profile.requestPoolPlusOne ? 1 : 0));
  for (const r of ranks) {
    r.numBlocks = Math.floor(tokens / pageSize);
    r.blocksPerRequest = Math.ceil(s.contextLength / pageSize);
    r.neededBytes = s.contextLength * r.cellBytes;
  }
  let binding = ranks[0];
  for (const r of ranks) if (r.availableKvBytes < binding.availableKvBytes) binding = r;
  // The weights load when they fit in the free memory; whether they leave a KV pool is the next question.
  const weightsFit = ranks.every((r) => r.weightBytes < pre);
  const fits = tokens > 0 && tokens >= s.contextLength;
  let errorMessage: string | undefined;
  if (tokens <= 0) {
    const minimum = 1 - (pre - binding.weightBytes) / pre;
    errorMessage = profile.errorText === 'loaded-weights'
      ? `Loaded weights leave no GPU memory for the KV cache under --mem-fraction-static=${fraction}. Raise --mem-fraction-static above ${(Math.ceil(minimum * 1000) / 1000).toFixed(3)} (minimum viable = 1 - available/pre = ${minimum.toFixed(4)}).`
      : `Not enough memory. Please try to increase --mem-fraction-static.${profile.fractionRule === 'computed-reserve' ? ` Current value: self.server_args.mem_fraction_static=${fraction}` : ''}`;
  } else if (!fits) {
    // SGLang starts, and caps what one request may hold (scheduler: max_req_input_len = min(context_len − 1,
    // max_total_num_tokens − 1)); a longer input is refused at request time.
    errorMessage = `max_total_num_tokens=${tokens} is less than --context-length ${s.contextLength}: SGLang starts, but caps a request's input at max_req_input_len=${Math.min(s.contextLength, tokens) - 1} tokens and refuses longer ones`;
  }
  return {
    ranks, reported: ranks[0], binding, numBlocks: Math.floor(tokens / pageSize), kvCacheTokens: tokens,
    maxConcurrency: tokens / Math.max(1, s.contextLength), fits: fits && weightsFit, weightsFit,
    estimatedMaxModelLen: tokens, errorMessage,
    resolved: { memFractionStatic: fraction, chunkedPrefillSize, cudaGraphMaxBs, maxRunningRequests, pageSize },
    swaTokens: ranks.some((r) => r.swaCellBytes > 0) ? Math.floor(tokens * 0.8) : undefined,
  };
}
