// Emulation of vLLM's startup memory sizing, per GPU rank (see ../shared/docs/accounting.md §4).
// Calibrated on vLLM 0.19.0 startup logs with global coefficients only: nothing is keyed by model name.

import { Accelerator } from '../types';
import { LayerDescription, LayerKind, ModelDescription, layerKinds } from '../model';
import { CacheSpec, cacheSpecOf, groupKey, maxMemoryUsageBytes, pageSizeBytes } from '../cacheSpec';
import { VOCAB_PADDING, WeightPlan, pipelineLayerRanges, rotaryCacheBytes, weightBytesPerRank } from '../weights';

export const GiB = 1024 ** 3;

export interface VllmProfile {
  version: string;
  /** The V1 engine (0.8+); the V0 engine profiled differently. */
  v1: boolean;
  defaultGpuMemoryUtilization: number;
  /** Newer releases subtract the CUDA-graph estimate before sizing the KV cache. */
  subtractsCudaGraphs: boolean;
  /** Activation peak relative to 0.17+ (the dummy-run peak fell ~60% at 0.17.0). */
  activationScale: number;
  /** `--max-model-len auto` / -1: the longest context that fits (`_auto_fit_max_model_len`, PR #29431). */
  autoFitMaxModelLen: boolean;
  /** `--kv-cache-memory-bytes` is read (PR #21489). */
  kvCacheMemoryBytes: boolean;
}

/** The version used when nothing names one: the release the emulation was calibrated on. */
export const DEFAULT_VLLM_VERSION = '0.19.0';
/** The newest release whose memory rules are emulated (`latest`, `nightly` and newer versions use it). */
export const NEWEST_VLLM_VERSION = '0.34.0';

export type Version = [number, number, number];

export function parseVersion(v: string): Version | undefined {
  const m = /^v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(v.trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : undefined;
}

export function compareVersions(a: Version, b: Version): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

const atLeast = (v: [number, number, number], major: number, minor: number): boolean =>
  v[0] > major || (v[0] === major && v[1] >= minor);

export function vllmProfile(version: string): VllmProfile | undefined {
  const v = parseVersion(version);
  if (!v) return undefined;
  const v1 = atLeast(v, 0, 8);
  return {
    version: `${v[0]}.${v[1]}.${v[2]}`,
    v1,
    defaultGpuMemoryUtilization: atLeast(v, 0, 21) ? 0.92 : 0.9,
    subtractsCudaGraphs: atLeast(v, 0, 21),
    activationScale: v1 && !atLeast(v, 0, 17) ? 2.5 : 1,
    autoFitMaxModelLen: atLeast(v, 0, 12),
    kvCacheMemoryBytes: atLeast(v, 0, 11),
  };
}

/** vLLM's defaults for `vllm serve`: big-memory GPUs (not A100) batch more tokens and sequences. */
export function defaultSchedulerLimits(acc: Accelerator, profile: VllmProfile, maxModelLen: number): { maxNumBatchedTokens: number; maxNumSeqs: number } {
  if (!profile.v1) {
    // V0 without chunked prefill batches a whole max-length prompt; chunked prefill (long contexts) uses 2048.
    return { maxNumBatchedTokens: maxModelLen > 32768 ? 2048 : Math.max(maxModelLen, 2048), maxNumSeqs: 256 };
  }
  const big = acc.visibleMemoryGiB >= 70 && !/a100/i.test(acc.id + acc.name);
  return big ? { maxNumBatchedTokens: 8192, maxNumSeqs: 1024 } : { maxNumBatchedTokens: 2048, maxNumSeqs: 256 };
}

export interface VllmSettings {
  tp: number;
  pp: number;
  maxModelLen: number;
  gpuMemoryUtilization: number;
  maxNumBatchedTokens: number;
  maxNumSeqs: number;
  blockSize: number;
  /** Bytes per KV element (fp8 = 1). */
  kvBytes: number;
  /** Bytes per activation element (the model dtype). */
  activationDtypeBytes: number;
  /** Bytes per element of Mamba state. */
  stateDtypeBytes: number;
  /** `--enforce-eager`: no CUDA graphs are captured, so none are estimated or held. */
  enforceEager?: boolean;
  /** `--kv-cache-memory-bytes`: the KV cache size per GPU, taken as is (utilization ignored). */
  kvCacheMemoryBytes?: number;
  /** `--num-gpu-blocks-override`: blocks allocated whatever memory is free. */
  numGpuBlocksOverride?: number;
  /** `--cpu-offload-gb` in bytes: weights per GPU kept in CPU memory. */
  cpuOffloadBytes?: number;
  /** `--enable-lora` with `--max-loras` / `--max-lora-rank`. */
  lora?: { maxLoras: number; maxLoraRank: number };
}

export interface RankBudget {
  stage: number;
  /** LoRA adapter slots (`max_loras` × `max_lora_rank`) preallocated on this rank, inside the weight figure. */
  loraBytes: number;
  /** The stage's layers by kind. */
  layers: readonly LayerKind[];
  layerCount: number;
  totalBytes: number;
  requestedBytes: number;
  weightBytes: number;
  activationPeakBytes: number;
  nonTorchBytes: number;
  cudaGraphBytes: number;
  availableKvBytes: number;
  kvBytesPerToken: number;
  stateBytesPerSequence: number;
  numBlocks: number;
  numGroups: number;
  blocksPerRequest: number;
  /** vLLM's max_memory_usage_bytes for one request of maxModelLen on this rank. */
  neededBytes: number;
}

export interface VllmResult {
  ranks: RankBudget[];
  /** The rank whose figures vLLM logs (rank 0). */
  reported: RankBudget;
  /** The rank with the fewest blocks (vLLM takes the minimum). */
  binding: RankBudget;
  numBlocks: number;
  kvCacheTokens: number;
  maxConcurrency: number;
  fits: boolean;
  weightsFit: boolean;
  estimatedMaxModelLen: number;
  /** vLLM's startup error when one request does not fit, in its own words. */
  errorMessage?: string;
}

/** Width (elements per token) of the largest transient tensor a layer makes during the dummy run. */
function layerActivationWidth(layer: LayerDescription, hidden: number, tp: number): number {
  let width = 0;
  const a = layer.attention;
  if (a) width = Math.max(width, ((a.heads + 2 * a.kvHeads) * a.headDim) / tp);
  if (layer.mlpIntermediate > 0) width = Math.max(width, ((layer.gatedMlp ? 3 : 2) * layer.mlpIntermediate) / tp);
  if (layer.moe) {
    const m = layer.moe;
    // Fused-MoE workspaces: gate_up output, activation output and per-expert down output for top-k copies of each token.
    width = Math.max(width, m.expertsPerToken * ((3 * m.expertIntermediate) / tp + hidden));
  }
  // Mamba in_proj output: gate and x branches at expand 2 (~4 h wide).
  if (layer.mamba) width = Math.max(width, (4 * hidden) / tp);
  return width;
}

/** Peak torch memory of vLLM's profiling run above the weights, per rank. */
export function activationPeakBytes(model: ModelDescription, layers: readonly LayerKind[], lastStage: boolean, s: VllmSettings, profile: VllmProfile): number {
  const h = model.hiddenSize;
  const T = s.maxNumBatchedTokens;
  const b = s.activationDtypeBytes;
  let widest = 0;
  for (const { layer } of layers) widest = Math.max(widest, layerActivationWidth(layer, h, s.tp));
  const paddedVocab = Math.ceil(model.vocabSize / VOCAB_PADDING) * VOCAB_PADDING;
  if (!profile.v1) {
    // V0 profiled one forward pass of T tokens; its logits (last token of each sequence) are small.
    return T * b * (3 * h + widest);
  }
  // V1: forward pass of T tokens (residual stream, norms and compiled-graph buffers ~6.5 h wide),
  // then a sampler pass over min(max_num_seqs, T) rows of full-vocabulary logits with top-k/top-p on:
  // logits in the model dtype plus fp32 copies, sort values and int64 sort indices (~13 bytes per element).
  const forward = T * b * (6.5 * h + widest);
  const reqs = Math.min(s.maxNumSeqs, T);
  const sampler = lastStage ? T * h * b + reqs * paddedVocab * (13 + b) : 0;
  return Math.max(forward, sampler) * profile.activationScale;
}

/**
 * LoRA slots vLLM preallocates on each rank (`BaseLayerWithLoRA.create_lora_weights`, vllm/lora/layers): for every
 * linear layer of attention and MLP, `max_loras` stacks of A (rank × input) and B (output × rank) in the model dtype.
 * A column-parallel layer (output ≥ input: qkv, gate_up) splits B across TP and keeps A whole; a row-parallel
 * one (o_proj, down) splits A and keeps B whole. Routed experts are not LoRA targets here.
 * Example: Llama-3.1-8B q/k/v (4096 → 6144), TP 1, 4 LoRAs of rank 16, bf16: 4 × 16 × (4096 + 6144) × 2 bytes.
 */
export function loraBytesPerRank(model: ModelDescription, range: { start: number; end: number }, lora: { maxLoras: number; maxLoraRank: number }, dtypeBytes: number, tp: number): number {
  let elements = 0;
  for (const g of model.weights) {
    if (!g.shape || g.layer === undefined || g.layer < range.start || g.layer >= range.end) continue;
    if (g.role !== 'attention' && g.role !== 'mlp' && g.role !== 'shared-expert') continue;
    if (!g.quantizable) continue;
    const { input, output } = g.shape;
    const split = g.tp === 'split' ? tp : 1;
    elements += output >= input ? input + output / split : input / split + output;
  }
  return lora.maxLoras * lora.maxLoraRank * elements * dtypeBytes;
}

/** CUDA context, cuBLAS/NCCL workspaces and custom all-reduce buffers outside torch's allocator. */
export function nonTorchBytes(tp: number, pp: number, profile: VllmProfile): number {
  if (!profile.v1) return (tp > 1 ? 2.0 : 0.35) * GiB;
  if (tp > 1) return (2.07 + 0.07 * Math.max(0, Math.log2(tp) - 1)) * GiB;
  return (pp > 1 ? 0.07 : 0.25) * GiB;
}

/** vLLM's estimate of CUDA-graph memory (piecewise graphs for each capture size). */
export function cudaGraphBytes(layersOnRank: number): number {
  return (0.35 + 0.015 * layersOnRank) * GiB;
}

const cdiv = (a: number, b: number): number => Math.ceil(a / b);

/** One kind of layer's cache on a rank: `count` layers alike. */
interface LayerSpec { spec: CacheSpec; key: string; pageBytes: number; count: number }

/** Token-cache specs of a stage's layers (state specs are sized per sequence, apart). */
function tokenCacheSpecs(layers: readonly LayerKind[], s: VllmSettings): LayerSpec[] {
  const specs: LayerSpec[] = [];
  for (const { layer, count } of layers) {
    const spec = cacheSpecOf(layer, s.kvBytes, s.stateDtypeBytes, s.tp);
    if (!spec || spec.kind === 'state') continue;
    specs.push({ spec, key: groupKey(spec), pageBytes: pageSizeBytes(spec, s.blockSize), count });
  }
  return specs;
}

/**
 * KV-cache groups as vLLM's hybrid allocator forms them (`_get_kv_cache_groups_uniform_page_size`,
 * vllm/v1/core/kv_cache_utils.py, 0.10–0.22): layers of one spec share a group; with several specs, groups
 * have as many layers as the smallest spec, and a block is that many layers' pages.
 */
function kvLayout(layers: readonly LayerKind[], s: VllmSettings): { specs: LayerSpec[]; numGroups: number; bytesPerBlock: number; groupKeys: string[] } {
  const specs = tokenCacheSpecs(layers, s);
  const counts = new Map<string, number>();
  for (const sp of specs) counts.set(sp.key, (counts.get(sp.key) ?? 0) + sp.count);
  if (counts.size <= 1) {
    return { specs, numGroups: specs.length ? 1 : 0, bytesPerBlock: specs.reduce((t, sp) => t + sp.pageBytes * sp.count, 0), groupKeys: [...counts.keys()] };
  }
  const groupSize = Math.min(...counts.values());
  const groupKeys: string[] = [];
  for (const [key, n] of counts) for (let i = 0; i < cdiv(n, groupSize); i++) groupKeys.push(key);
  const page = Math.max(...specs.map((sp) => sp.pageBytes));
  return { specs, numGroups: groupKeys.length, bytesPerBlock: groupSize * page, groupKeys };
}

/** Sum of `max_memory_usage_bytes` over the layers: what one request of `len` tokens needs on this rank. */
function neededBytes(specs: LayerSpec[], len: number, s: VllmSettings): number {
  let total = 0;
  for (const sp of specs) total += maxMemoryUsageBytes(sp.spec, len, s.blockSize, s.maxNumBatchedTokens) * sp.count;
  return total;
}

function blocksPerRequest(layout: ReturnType<typeof kvLayout>, len: number, s: VllmSettings): number {
  if (layout.numGroups <= 1) return layout.bytesPerBlock > 0 ? cdiv(neededBytes(layout.specs, len, s), layout.bytesPerBlock) : 0;
  let blocks = 0;
  for (const key of layout.groupKeys) {
    const sp = layout.specs.find((x) => x.key === key)!;
    blocks += maxMemoryUsageBytes(sp.spec, len, s.blockSize, s.maxNumBatchedTokens) / sp.pageBytes;
  }
  return blocks;
}

/** Recurrent state of one sequence on this rank (state specs). */
function stateBytes(layers: readonly LayerKind[], s: VllmSettings): number {
  let total = 0;
  for (const { layer, count } of layers) {
    const spec = cacheSpecOf(layer, s.kvBytes, s.stateDtypeBytes, s.tp);
    if (spec?.kind === 'state') total += spec.bytesPerSequence * count;
  }
  return total;
}

/** Largest max_model_len whose single request fits in `available` bytes (vLLM's binary search). */
function estimateMaxModelLen(specs: LayerSpec[], state: number, available: number, upper: number, s: VllmSettings): number {
  if (available <= state) return 0;
  let lo = 0;
  let hi = Math.max(1, upper);
  if (neededBytes(specs, hi, s) + state <= available) return hi;
  while (lo < hi) {
    const mid = Math.floor((lo + hi + 1) / 2);
    if (neededBytes(specs, mid, s) + state <= available) lo = mid; else hi = mid - 1;
  }
  return lo;
}

export function formatGiB(bytes: number): string {
  return (bytes / GiB).toFixed(2);
}

/** What each pipeline stage's rank holds before any KV cache: weights (with rotary tables), activation peak, non-torch. */
export function rankBaselines(model: ModelDescription, plan: WeightPlan, s: VllmSettings, profile: VllmProfile):
  Array<{ stage: number; layers: readonly LayerKind[]; layerCount: number; weightBytes: number; loraBytes: number; activation: number; nonTorch: number }> {
  const ranges = pipelineLayerRanges(model.numLayers, s.pp);
  const rotary = rotaryCacheBytes(model, s.activationDtypeBytes);
  return ranges.map((range, stage) => {
    const layers = layerKinds(model, range.start, range.end);
    const stored = weightBytesPerRank(model, plan, { tp: s.tp, pp: ranges.length, stage, mxfp4ExpertPadding: true });
    const lora = s.lora ? loraBytesPerRank(model, range, s.lora, s.activationDtypeBytes, s.tp) : 0;
    return {
      stage,
      layers,
      layerCount: layers.reduce((n, k) => n + k.count, 0),
      // `--cpu-offload-gb` keeps up to that many bytes of each GPU's weights in CPU memory.
      weightBytes: Math.max(0, stored - (s.cpuOffloadBytes ?? 0)) + rotary + lora,
      loraBytes: lora,
      activation: activationPeakBytes(model, layers, stage === ranges.length - 1, s, profile),
      nonTorch: nonTorchBytes(s.tp, s.pp, profile),
    };
  });
}

export function emulateVllm(model: ModelDescription, plan: WeightPlan, acc: Accelerator, s: VllmSettings, profile: VllmProfile): VllmResult {
  const total = acc.visibleMemoryGiB * GiB;
  const requested = total * s.gpuMemoryUtilization;
  const layouts: Array<ReturnType<typeof kvLayout>> = [];
  const ranks: RankBudget[] = rankBaselines(model, plan, s, profile).map(({ stage, layers, layerCount, weightBytes, loraBytes, activation, nonTorch }) => {
    const graphs = s.enforceEager ? 0 : cudaGraphBytes(layerCount);
    // determine_available_memory (vllm/v1/worker/gpu_worker.py): a stated KV size is taken as is.
    const available = s.kvCacheMemoryBytes !== undefined
      ? s.kvCacheMemoryBytes
      : requested - weightBytes - activation - nonTorch - (profile.subtractsCudaGraphs ? graphs : 0);
    const layout = kvLayout(layers, s);
    layouts.push(layout);
    const state = stateBytes(layers, s);
    const usable = Math.max(0, available);
    let numBlocks = 0;
    if (layout.bytesPerBlock > 0) numBlocks = Math.floor(usable / layout.bytesPerBlock);
    // get_num_blocks (kv_cache_utils.py): the override replaces the count; the fit check still uses the memory.
    if (s.numGpuBlocksOverride !== undefined) numBlocks = s.numGpuBlocksOverride;
    const blocks = blocksPerRequest(layout, s.maxModelLen, s);
    return {
      stage, loraBytes, layers, layerCount, totalBytes: total, requestedBytes: requested, weightBytes, activationPeakBytes: activation,
      nonTorchBytes: nonTorch, cudaGraphBytes: graphs, availableKvBytes: available,
      kvBytesPerToken: layout.specs.reduce((t, sp) => t + (sp.pageBytes / s.blockSize) * sp.count, 0),
      stateBytesPerSequence: state, numBlocks, numGroups: layout.numGroups, blocksPerRequest: blocks,
      neededBytes: neededBytes(layout.specs, s.maxModelLen, s) + state,
    };
  });
  // Concurrency and capacity follow the tightest rank.
  const concurrencyOf = (r: RankBudget): number => {
    if (r.stateBytesPerSequence > 0) return Math.max(0, r.availableKvBytes) / Math.max(1, r.neededBytes);
    return r.blocksPerRequest > 0 ? r.numBlocks / r.blocksPerRequest : Infinity;
  };
  let binding = ranks[0];
  for (const r of ranks) if (concurrencyOf(r) < concurrencyOf(binding)) binding = r;
  const maxConcurrency = concurrencyOf(binding);
  const numBlocks = Math.min(...ranks.map((r) => r.numBlocks));
  const kvCacheTokens = binding.stateBytesPerSequence > 0 || binding.numGroups === 0
    ? Math.floor(Math.min(maxConcurrency, 1e12) * s.maxModelLen)
    : Math.floor(numBlocks / Math.max(1, binding.numGroups)) * s.blockSize;
  const weightsFit = ranks.every((r) => r.weightBytes <= r.requestedBytes);
  const failing = ranks.find((r) => r.neededBytes > r.availableKvBytes);
  let estimatedMaxModelLen = s.maxModelLen;
  let errorMessage: string | undefined;
  for (const [i, r] of ranks.entries()) {
    const est = estimateMaxModelLen(layouts[i].specs, r.stateBytesPerSequence, r.availableKvBytes, s.maxModelLen, s);
    estimatedMaxModelLen = Math.min(estimatedMaxModelLen, est);
  }
  if (failing) {
    if (failing.availableKvBytes <= 0) {
      errorMessage = 'No available memory for the cache blocks. Try increasing `gpu_memory_utilization` when initializing the engine.';
    } else if (!profile.v1) {
      errorMessage = `The model's max seq len (${s.maxModelLen}) is larger than the maximum number of tokens that can be stored in KV cache (${kvCacheTokens}). Try increasing \`gpu_memory_utilization\` or decreasing \`max_model_len\` when initializing the engine.`;
    } else {
      errorMessage = `To serve at least one request with the models's max seq len (${s.maxModelLen}), (${formatGiB(failing.neededBytes)} GiB KV cache is needed, which is larger than the available KV cache memory (${formatGiB(failing.availableKvBytes)} GiB). Based on the available memory, the estimated maximum model length is ${estimatedMaxModelLen}. Try increasing \`gpu_memory_utilization\` or decreasing \`max_model_len\` when initializing the engine.`;
    }
  }
  return {
    ranks, reported: ranks[0], binding, numBlocks, kvCacheTokens,
    maxConcurrency: Number.isFinite(maxConcurrency) ? maxConcurrency : 0,
    fits: weightsFit && !failing, weightsFit, estimatedMaxModelLen, errorMessage,
  };
}

