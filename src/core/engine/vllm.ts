// Emulation of vLLM's startup memory sizing, per GPU rank (see ../shared/docs/accounting.md §4).
// Calibrated on vLLM 0.19.0 startup logs with global coefficients only: nothing is keyed by model name.

import { Accelerator } from '../types';
import { memoized } from '../memo';
import { LayerDescription, LayerKind, ModelDescription, copiesIn, layerKinds } from '../model';
import { CacheSpec, cacheSpecOf, groupKey, maxMemoryUsageBytes, pageSizeBytes } from '../cacheSpec';
import { MXFP4_PADDING_256, Mxfp4Padding, NO_SCHEME, VOCAB_PADDING, WeightPlan, pipelineLayerRanges, rotaryCacheBytes, weightBytesPerRank } from '../weights';
import type { SpeculativeMethod } from '../speculative';

export const GiB = 1024 ** 3;

/**
 * How the sampler warm-up of the profiling run does top-k/top-p (vllm/v1/sample/ops/topk_topp_sampler.py), which
 * sets its memory per logit element: FlashInfer's kernel (≤ 0.11.0, and again from 0.21, #40376), PyTorch's
 * full-vocabulary sort (0.11.1–0.16: FlashInfer off by default, #26859), or the Triton top-k/top-p kernel
 * (0.17–0.20, #33538 — the "~60 % activation drop" at 0.17). `samplerPathFor` applies
 * `VLLM_USE_FLASHINFER_SAMPLER` and a missing FlashInfer install on top of the release's default.
 */
export type SamplerPath = 'flashinfer' | 'native-sort' | 'triton';

export interface VllmProfile {
  version: string;
  /** The V1 engine (0.8+); the V0 engine profiled differently. */
  v1: boolean;
  /** `CacheConfig.gpu_memory_utilization` default: 0.9, 0.92 from 0.21 (#38284). */
  defaultGpuMemoryUtilization: number;
  /** The CUDA-graph estimate is subtracted before sizing the KV cache (0.21+, #38284). */
  subtractsCudaGraphs: boolean;
  samplerPath: SamplerPath;
  /**
   * Where the non-torch baseline is taken (`MemorySnapshot` in `gpu_worker.py`): before distributed init (≤ 0.10:
   * NCCL communicators are charged), after it (0.11+, #25359), and from 0.18 with CUDA-graph profiling inside the
   * window (#30515), which leaves graph-exec memory behind.
   */
  nonTorchBaseline: 'before-distributed-init' | 'after-distributed-init' | 'with-graph-profiling';
  /** FlashInfer all-reduce + RMSNorm fusion workspaces at TP ≥ 2 on NVLink Hopper/Blackwell (on by default, 0.17+, #34299). */
  allReduceFusion: boolean;
  /**
   * CUDA-graph capture sizes (`_set_cudagraph_sizes`): 0.10 `[1, 2, 4] + range(8, max + 1, 8)`; 0.11.1+ step 16
   * from 256 (#26016). max = min(2 × max_num_seqs, 512, max_num_batched_tokens).
   */
  captureSizeStep256: 8 | 16;
  /**
   * Scheduling steps in flight at once (async scheduling's two batches in the startup bound for sliding windows,
   * #47728, 0.26+): a sliding layer keeps its window plus this many steps of tokens.
   */
  inFlightBatches: 1 | 2;
  /** The startup checks leave one block aside for the null block (#47272, #48724, 0.26+). */
  nullBlockInChecks: boolean;
  /** `--max-model-len auto` / -1: the longest context that fits (`_auto_fit_max_model_len`, #29431, 0.14+). */
  autoFitMaxModelLen: boolean;
  /** `--kv-cache-memory-bytes` is read (#21489, 0.11+). */
  kvCacheMemoryBytes: boolean;
  /**
   * `_get_kv_cache_groups_uniform_page_size` (vllm/v1/core/kv_cache_utils.py): layers per group are the smallest
   * bucket's count, or the largest's when it is below this many times the smallest, padding the others (0: never,
   * before 0.12). 1.25 from 0.12 (#29303: "gpt-oss-20b + eagle, 12 sw + 13 full" padded to 13 + 13), 1.5 from
   * 0.18 (#36684, for drafters that add layers to one attention type).
   */
  groupSizeSlack: number;
  /**
   * Capture sizes count drafted tokens: max = min(2 × max_num_seqs × (1 + num_speculative_tokens), 512)
   * (`_set_cudagraph_sizes`, vllm/config/vllm.py, #30330, 0.13+).
   */
  graphSizesCountDraftTokens: boolean;
  /**
   * Multi-layer MTP (min(num_nextn_predict_layers, k) > 1) keeps k − 1 more tokens in every sliding window
   * (`extra_retained_tokens`, set in `get_kv_cache_configs`, #50062, 0.26+).
   */
  mtpWindowRetention: boolean;
  /**
   * `EngineArgs.create_engine_config` refuses LoRA with speculation when max_num_batched_tokens < max_num_seqs ×
   * (1 + k): "Consider increasing max_num_batched_tokens or decreasing num_speculative_tokens" (#21068, 0.12+).
   */
  loraSpeculationBatchCheck: boolean;
  /** `--swap-space` is a flag (V0's CPU swap space, unused by V1); removed in 0.18 (#36216), then refused. */
  swapSpaceFlag: boolean;
  /** `--calculate-kv-scales` is a flag (deprecated in 0.18, #37201; removed in 0.26, #49389, then refused). */
  calculateKvScalesFlag: boolean;
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

/**
 * Version rules 0.6 to 0.34, by release (each field's doc cites the change). What the profiling run charges before
 * the KV cache, read in vLLM's source (commits dated against the releases that first shipped them):
 * - ≤ 0.7: the V0 engine (one forward pass of max_num_batched_tokens, small logits).
 * - 0.8–0.10: V1 `profile_run` = `_dummy_run(max_num_batched_tokens)` then `_dummy_sampler_run` over
 *   min(max_num_seqs, tokens) rows; `init_snapshot` before distributed init (NCCL charged); FlashInfer sampler.
 * - 0.11.0: snapshot after distributed init (#25359, 2025-09-23); `--kv-cache-memory-bytes` (#21489,
 *   2025-09-11); FlashInfer sampler still on by default.
 * - 0.11.1–0.16: full-vocabulary sort sampler (#26859, 2025-10-14); capture sizes step 16 from 256 (#26016).
 * - 0.14: `--max-model-len auto` (#29431). 0.17: Triton sampler (#33538); all-reduce fusion workspaces (#34299).
 * - 0.18: CUDA-graph profiling inside the window (#30515). 0.21: FlashInfer sampler again (#40376), utilization
 *   0.92 and the graph estimate subtracted (#38284). 0.26: two in-flight batches, null block (#47728, #47272).
 * Scheduler defaults (`get_batch_defaults`, vllm/engine/arg_utils.py) did not change from 0.10.1 to 0.19: see
 * `defaultSchedulerLimits`.
 */
export function vllmProfile(version: string): VllmProfile | undefined {
  const v = parseVersion(version);
  if (!v) return undefined;
  const v1 = atLeast(v, 0, 8);
  const from = (minor: number, patch = 0): boolean => compareVersions(v, [0, minor, patch]) >= 0;
  return {
    version: `${v[0]}.${v[1]}.${v[2]}`,
    v1,
    defaultGpuMemoryUtilization: from(21) ? 0.92 : 0.9,
    subtractsCudaGraphs: from(21),
    samplerPath: from(21) ? 'flashinfer' : from(17) ? 'triton' : from(11, 1) ? 'native-sort' : 'flashinfer',
    nonTorchBaseline: from(18) ? 'with-graph-profiling' : from(11) ? 'after-distributed-init' : 'before-distributed-init',
    allReduceFusion: from(17),
    captureSizeStep256: from(11, 1) ? 16 : 8,
    inFlightBatches: from(26) ? 2 : 1,
    nullBlockInChecks: from(26),
    autoFitMaxModelLen: from(14),
    kvCacheMemoryBytes: from(11),
    groupSizeSlack: from(18) ? 1.5 : from(12) ? 1.25 : 0,
    graphSizesCountDraftTokens: from(13),
    mtpWindowRetention: from(26),
    loraSpeculationBatchCheck: from(12),
    swapSpaceFlag: !from(18),
    calculateKvScalesFlag: !from(26),
  };
}

/**
 * Whether vLLM runs the model on Model Runner V2 (vllm/v1/worker/gpu/): Qwen3 dense models from 0.22 (#39337),
 * Llama and Mistral dense from 0.23 (#43458), every dense model from 0.25, every model from 0.29 (#53183).
 */
export function usesModelRunnerV2(model: ModelDescription, profile: VllmProfile): boolean {
  const v = parseVersion(profile.version)!;
  const from = (minor: number): boolean => compareVersions(v, [0, minor, 0]) >= 0;
  if (from(29)) return true;
  const dense = !model.layers.some((l) => l.moe || l.mamba);
  if (!dense) return false;
  if (from(25)) return true;
  if (from(23) && (model.family === 'llama' || model.family === 'mistral')) return true;
  return from(22) && model.family === 'qwen3';
}

/**
 * Whether the CUDA-graph estimate is taken off the KV budget: from 0.21 (#38284), except on Model Runner V2
 * before its estimator existed (its `profile_cudagraph_memory` returned 0 until #49233, after 0.25.1).
 */
export function cudaGraphEstimateApplied(model: ModelDescription, profile: VllmProfile): boolean {
  if (!profile.subtractsCudaGraphs) return false;
  const v = parseVersion(profile.version)!;
  return !(usesModelRunnerV2(model, profile) && compareVersions(v, [0, 26, 0]) < 0);
}

/**
 * `EngineArgs.get_batch_defaults` (vllm/engine/arg_utils.py, 0.10–0.26) for `vllm serve`: a device of ≥ 70 GiB
 * that is not an A100 batches 8,192 tokens and 1,024 sequences, others 2,048 and 256. Unified-memory devices
 * (GB10, Jetson) report no NVML memory, so vLLM reads 0 and takes the small defaults. Unset batched tokens are
 * also capped at max_num_seqs × max_model_len.
 */
export function defaultSchedulerLimits(acc: Accelerator, profile: VllmProfile, maxModelLen: number): { maxNumBatchedTokens: number; maxNumSeqs: number } {
  if (!profile.v1) {
    // V0 without chunked prefill batches a whole max-length prompt; chunked prefill (long contexts) uses 2048.
    return { maxNumBatchedTokens: maxModelLen > 32768 ? 2048 : Math.max(maxModelLen, 2048), maxNumSeqs: 256 };
  }
  const unified = acc.interconnect.kind === 'unified' || acc.unifiedMemory === true;
  const big = !unified && acc.visibleMemoryGiB >= 70 && !/a100/i.test(acc.id + acc.name);
  const limits = big ? { maxNumBatchedTokens: 8192, maxNumSeqs: 1024 } : { maxNumBatchedTokens: 2048, maxNumSeqs: 256 };
  return { ...limits, maxNumBatchedTokens: Math.min(limits.maxNumBatchedTokens, limits.maxNumSeqs * maxModelLen) };
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
  /**
   * The FlashInfer top-k/top-p sampler: true for `VLLM_USE_FLASHINFER_SAMPLER=1`, false for `=0` or where FlashInfer
   * is not installed (a pip install without it logs "FlashInfer is not available. Falling back to the PyTorch-native
   * implementation of top-p & top-k sampling"); unset: the release's default (`samplerPathFor`).
   */
  flashinferSampler?: boolean;
  /** `--kv-cache-memory-bytes`: the KV cache size per GPU, taken as is (utilization ignored). */
  kvCacheMemoryBytes?: number;
  /** `--num-gpu-blocks-override`: blocks allocated whatever memory is free. */
  numGpuBlocksOverride?: number;
  /** `--cpu-offload-gb` in bytes: weights per GPU kept in CPU memory. */
  cpuOffloadBytes?: number;
  /** `--enable-lora` with `--max-loras` / `--max-lora-rank`. */
  lora?: { maxLoras: number; maxLoraRank: number };
  /** Weights a speculative drafter (MTP or EAGLE layer) adds on the last pipeline stage's ranks. */
  draftWeightBytes?: number;
  /** `--speculative-config`: the drafter's KV layers and tokens (see `VllmSpeculation`). */
  speculative?: VllmSpeculation;
  topology: RankTopology;
}

/** What a speculative drafter changes at startup besides its weights. */
export interface VllmSpeculation {
  method: SpeculativeMethod;
  /** `num_speculative_tokens`. */
  tokens: number;
  /** The checkpoint's MTP layers (`num_nextn_predict_layers`). */
  mtpLayers: number;
  /**
   * The drafter's layers, on the last stage. vLLM loads the drafter under the target's config, so each of its
   * attention layers gets a KV spec of its own and joins the KV cache groups (`GPUModelRunner.get_kv_cache_spec`,
   * vllm/v1/worker/gpu_model_runner.py; `EagleProposer.load_model` finds them as the layers the draft added,
   * vllm/v1/spec_decode/eagle.py; V1, 0.8–0.34).
   */
  kvLayers: readonly LayerKind[];
}

/** `extra_retained_tokens` of sliding windows: k − 1 under multi-layer MTP (`use_multi_module_mtp`, 0.26+), else 0. */
export function slidingExtraRetainedTokens(spec: VllmSpeculation | undefined, profile: VllmProfile): number {
  if (!spec || !profile.mtpWindowRetention || spec.method !== 'mtp') return 0;
  return Math.min(spec.mtpLayers, spec.tokens) > 1 ? spec.tokens - 1 : 0;
}

/** Tokens per sequence in a decode step: 1, or 1 + k while speculating (`decode_query_len`, 0.13+). */
export function decodeQueryLen(spec: VllmSpeculation | undefined, profile: VllmProfile): number {
  return spec && profile.graphSizesCountDraftTokens ? 1 + spec.tokens : 1;
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
  // V1 (`profile_run`, gpu_model_runner.py): a forward pass of T tokens (residual stream, norms and compiled-graph
  // buffers ~6.5 h wide), then on the last stage `_dummy_sampler_run` over min(max_num_seqs, T) rows of
  // full-vocabulary logits with top-k/top-p on. Logits are all-gathered, so TP does not shard them.
  const forward = T * b * (6.5 * h + widest);
  const reqs = Math.min(s.maxNumSeqs, T);
  const sampler = lastStage ? T * h * b + reqs * paddedVocab * samplerBytesPerLogit(samplerPathFor(profile, s.flashinferSampler), b) : 0;
  return Math.max(forward, sampler);
}

/**
 * Which top-k/top-p implementation `TopKTopPSampler.__init__` (vllm/v1/sample/ops/topk_topp_sampler.py) picks on
 * CUDA, by release, given `VLLM_USE_FLASHINFER_SAMPLER` (`flashinfer`: true = 1, false = 0 or not installed):
 * - v0.10.1, v0.11.0: FlashInfer whenever `import flashinfer.sampling` succeeds and the variable is not 0
 *   (`envs.VLLM_USE_FLASHINFER_SAMPLER is not False`: unset means on); otherwise `forward_native`, whose
 *   `apply_top_k_top_p` sorts the whole vocabulary (the same code as 0.11.1–0.16). The vllm/vllm-openai images
 *   ship FlashInfer (docker/Dockerfile installs flashinfer-python 0.3.1 at v0.11.0); requirements/cuda.txt does
 *   not list it, so a plain pip install falls back to the sort.
 * - v0.11.1–v0.16: FlashInfer only with the variable set to 1 (`elif envs.VLLM_USE_FLASHINFER_SAMPLER:`, #26859,
 *   2025-10-14, first released in 0.11.1); otherwise the full-vocabulary sort.
 * - v0.17–v0.20: FlashInfer only with 1; otherwise `apply_top_k_top_p_triton` for batches of 8 rows or more
 *   (#33538, 2026-02-17).
 * - v0.21+: FlashInfer by default (#40376, 2026-04-29); with 0 (or without FlashInfer) the Triton kernel.
 */
export function samplerPathFor(profile: VllmProfile, flashinfer?: boolean): SamplerPath {
  if (flashinfer === undefined) return profile.samplerPath;
  if (flashinfer) return 'flashinfer';
  const v = parseVersion(profile.version)!;
  return compareVersions(v, [0, 17, 0]) >= 0 ? 'triton' : 'native-sort';
}

/**
 * Peak bytes per logit element of the sampler warm-up (`_dummy_sampler_run`, gpu_model_runner.py, v0.10.1–v0.19:
 * min(max_num_seqs, max_num_batched_tokens) rows of model-dtype logits, temperature 0.5, top-p 0.9,
 * top-k vocab − 1, no logprobs, no penalties; `Sampler.forward` first makes an fp32 copy).
 * - FlashInfer (`flashinfer_sample` → `top_k_top_p_sampling_from_logits`): the logits, the fp32 copy, the top-k
 *   masked fp32 logits and their fp32 softmax (12 + dtype).
 * - Triton top-k/top-p: the same and an fp32 scratch row (13 + dtype, calibrated on the 0.19 logs).
 * - PyTorch's sort (`apply_top_k_top_p`, identical at v0.10.1 and v0.11.1–v0.16): `logits.sort()` gives fp32
 *   values and int64 indices and needs radix-sort buffers of its own, then softmax, cumsum, masks and the scatter
 *   back (36.4 + dtype, calibrated on the 0.15/0.16 Qwen3-14B sweep; it reproduces the activation the llm-d
 *   "~0.11.0" records logged for four vocabularies — Qwen3 151,936, Llama 3 128,256, gpt-oss 201,088 — within
 *   0.03 GiB, and kv2-005's 0.10.1 run without FlashInfer).
 */
export function samplerBytesPerLogit(path: SamplerPath, dtypeBytes: number): number {
  return path === 'native-sort' ? 36.4 + dtypeBytes : path === 'triton' ? 13 + dtypeBytes : 12 + dtypeBytes;
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
    if (!g.shape || g.layer === undefined) continue;
    if (g.role !== 'attention' && g.role !== 'mlp' && g.role !== 'shared-expert') continue;
    if (!g.quantizable) continue;
    // The copies of the group (one per layer it is repeated over) that this stage holds.
    const layers = copiesIn(g, range.start, range.end);
    if (layers <= 0) continue;
    const { input, output } = g.shape;
    const split = g.tp === 'split' ? tp : 1;
    elements += layers * (output >= input ? input + output / split : input / split + output);
  }
  return lora.maxLoras * lora.maxLoraRank * elements * dtypeBytes;
}

/** The paddings below, one object each (the per-rank weight tables are memoised per padding). */
const MXFP4_PADDING_HOPPER: Mxfp4Padding = Object.freeze({ intermediate: 64, hidden: 256 });
const MXFP4_PADDING_MARLIN: Mxfp4Padding = Object.freeze({ intermediate: 128, hidden: 256 });

/**
 * How vLLM's MXFP4 MoE kernel pads expert matrices on a GPU (`Mxfp4MoEMethod.create_weights`,
 * model_executor/layers/quantization/mxfp4.py): Marlin before Hopper and on GB10 / GeForce Blackwell (intermediate
 * per rank to 128, hidden to 256), Triton on Hopper (intermediate to 64; its swizzled layout holds the hidden side
 * at a multiple of 256, as the gpt-oss logs on H100 show: 13.64 GiB for gpt-oss-20b, 64.38 GiB for gpt-oss-120b),
 * FlashInfer TRTLLM on Blackwell data-center parts (256 and 256).
 */
export function mxfp4PaddingFor(computeCapability: number | undefined): Mxfp4Padding {
  const major = Math.floor(computeCapability ?? 10);
  if (major === 9) return MXFP4_PADDING_HOPPER;
  if (major === 10) return MXFP4_PADDING_256;
  return MXFP4_PADDING_MARLIN;
}

/** What decides a rank's communication buffers: the node's links and architecture, and how the ranks are spread. */
export interface RankTopology {
  /** The catalog's interconnect kind of the GPU (nvswitch, nvlink, pcie-p2p, pcie, unified, …). */
  interconnect: string;
  /** NVIDIA compute capability as a number (9.0, 10.0); undefined for other vendors. */
  computeCapability?: number;
  /** Nodes the tensor-parallel group spans (1 = one machine). */
  nodes: number;
}

/**
 * Whether vLLM's custom all-reduce runs (`CustomAllreduce.__init__`, device_communicators/custom_all_reduce.py):
 * off across nodes, for world sizes other than 2, 4, 6 and 8, for more than two GPUs without full NVLink, and
 * without peer-to-peer access.
 */
export function customAllReduceEnabled(tp: number, t: RankTopology): boolean {
  if (t.nodes > 1 || ![2, 4, 6, 8].includes(tp)) return false;
  const nvlink = t.interconnect === 'nvlink' || t.interconnect === 'nvswitch';
  if (tp > 2 && !nvlink) return false;
  return nvlink || t.interconnect === 'pcie-p2p';
}

const NON_TORCH = {
  /** TP 1, last stage: what profiling leaves outside torch (kernels loaded, cuBLAS handles). */
  beforeDistributedInit: 0.03 * GiB,
  afterDistributedInit: 0.13 * GiB,
  /** From 0.18 graph profiling runs inside the window and leaves graph-exec memory (#30515). */
  withGraphProfiling: 0.25 * GiB,
  /** Stages before the last: no sampler, no LM head. */
  earlierStage: 0.07 * GiB,
  /** NCCL communicator buffers, charged when the baseline predates distributed init (≤ 0.10) or without custom all-reduce. */
  nccl: 0.12 * GiB,
  /** Custom all-reduce IPC buffers and NCCL's lazily connected channels over NVLink (0.11–0.16 logs). */
  customAllReduce: 0.55 * GiB,
} as const;

/**
 * Memory outside torch's allocator that the profiling run leaves, per rank (`non_torch_increase` of
 * `memory_profiling`, vllm/utils/mem_utils.py). Its parts follow the version's baseline and the topology:
 * - one GPU: kernels, cuBLAS handles, and from 0.18 graph-exec memory of the graph profiling;
 * - tensor parallel without custom all-reduce (PCIe, across nodes): NCCL's buffers;
 * - with custom all-reduce (0.11–0.16): its IPC buffers and NCCL's NVLink channels, ~0.55 GiB;
 * - from 0.17 on NVLink Hopper/Blackwell with PP 1: FlashInfer's all-reduce fusion workspaces and NVLS buffers,
 *   ~2.1 GiB (the 0.19 H100 logs), a little more as TP grows.
 */
export function nonTorchBytes(tp: number, pp: number, stage: number, profile: VllmProfile, topology: RankTopology): number {
  if (!profile.v1) return (tp > 1 ? 2.0 : 0.35) * GiB;
  const last = stage === pp - 1;
  const base = !last ? NON_TORCH.earlierStage
    : profile.nonTorchBaseline === 'with-graph-profiling' ? NON_TORCH.withGraphProfiling
      : profile.nonTorchBaseline === 'after-distributed-init' ? NON_TORCH.afterDistributedInit : NON_TORCH.beforeDistributedInit;
  if (tp <= 1) return base;
  if (!customAllReduceEnabled(tp, topology) || profile.nonTorchBaseline === 'before-distributed-init') return base + NON_TORCH.nccl;
  const cc = topology.computeCapability ?? 0;
  const fusion = profile.allReduceFusion && pp === 1 && (Math.floor(cc) === 9 || Math.floor(cc) === 10);
  if (fusion) return (2.07 + 0.07 * Math.max(0, Math.log2(tp) - 1)) * GiB;
  return NON_TORCH.customAllReduce;
}

/**
 * CUDA-graph capture sizes (`VllmConfig._set_cudagraph_sizes`, vllm/config/vllm.py): 1, 2, 4, then every 8 up to
 * 248 and every 16 (0.11.1+; every 8 before) up to max = min(2 × max_num_seqs × decode_query_len, 512,
 * max_num_batched_tokens), decode_query_len = 1 + num_speculative_tokens while speculating (0.13+, else 1).
 * Example: max_num_seqs 1024, 8192 batched tokens → 51 sizes up to 512; max_num_seqs 64 → 19 sizes up to 128.
 */
export function cudaGraphCaptureSizes(maxNumSeqs: number, maxNumBatchedTokens: number, profile: VllmProfile, queryLen = 1): number[] {
  const max = Math.max(1, Math.min(2 * maxNumSeqs * queryLen, 512, maxNumBatchedTokens));
  const sizes = [1, 2, 4].filter((x) => x <= max);
  for (let b = 8; b <= max; b += b < 256 ? 8 : profile.captureSizeStep256) sizes.push(b);
  return sizes;
}

/**
 * vLLM's CUDA-graph memory estimate (`profile_cudagraph_memory`, gpu_model_runner.py, 0.18+): it captures the two
 * largest sizes and charges the second for each further size, `first + second × (n − 1)`. A graph holds buffers for
 * its batch, so its cost grows with its size; the total is scaled from what the 0.19 logs show for the default
 * 51 sizes (0.35 GiB + 15 MiB per layer).
 */
export function cudaGraphBytes(layersOnRank: number, s: { maxNumSeqs: number; maxNumBatchedTokens: number; speculative?: VllmSpeculation }, profile: VllmProfile): number {
  const atDefault = 512 + 496 * 50;
  // The sizes come in increasing order: the two largest are the last two.
  const sizes = cudaGraphCaptureSizes(s.maxNumSeqs, s.maxNumBatchedTokens, profile, decodeQueryLen(s.speculative, profile));
  const n = sizes.length;
  const work = n > 1 ? sizes[n - 1] + sizes[n - 2] * (n - 1) : sizes[0];
  return (0.35 + 0.015 * layersOnRank) * GiB * (work / atDefault);
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
 * vllm/v1/core/kv_cache_utils.py, 0.10–0.34): layers of one spec share a group; with several specs, groups
 * have as many layers as the smallest spec (or the largest, within `groupSizeSlack` of it: the others are padded),
 * and a block is that many layers' pages.
 * Example: gpt-oss-20b (12 sliding + 12 full) with an EAGLE head (+1 full) on 0.18+: 13 < 1.5 × 12, so two groups of
 * 13 (the sliding one padded by a layer), a block is 13 pages; before 0.12, groups of 12: one sliding, two full.
 */
function kvLayout(layers: readonly LayerKind[], s: VllmSettings, profile: VllmProfile): { specs: LayerSpec[]; numGroups: number; bytesPerBlock: number; groupKeys: string[] } {
  const specs = tokenCacheSpecs(layers, s);
  const counts = new Map<string, number>();
  for (const sp of specs) counts.set(sp.key, (counts.get(sp.key) ?? 0) + sp.count);
  if (counts.size <= 1) {
    return { specs, numGroups: specs.length ? 1 : 0, bytesPerBlock: specs.reduce((t, sp) => t + sp.pageBytes * sp.count, 0), groupKeys: [...counts.keys()] };
  }
  const smallest = Math.min(...counts.values());
  let largest = 0;
  for (const n of counts.values()) largest = Math.max(largest, n);
  const groupSize = profile.groupSizeSlack > 0 && largest < smallest * profile.groupSizeSlack ? largest : smallest;
  const groupKeys: string[] = [];
  for (const [key, n] of counts) for (let i = 0; i < cdiv(n, groupSize); i++) groupKeys.push(key);
  const page = Math.max(...specs.map((sp) => sp.pageBytes));
  return { specs, numGroups: groupKeys.length, bytesPerBlock: groupSize * page, groupKeys };
}

/**
 * What `max_memory_usage_bytes` reads besides a layer's spec and the length: the block size, the tokens scheduled
 * but not settled at once (max_num_batched_tokens × batches in flight) and the tokens every sliding window keeps
 * below its trailing edge (`extra_retained_tokens`, multi-layer MTP). Worked out once per emulation.
 */
interface RequestTokens { blockSize: number; inFlightTokens: number; slidingExtraRetainedTokens: number }

/** Sum of `max_memory_usage_bytes` over the layers: what one request of `len` tokens needs on this rank. */
function neededBytes(specs: LayerSpec[], len: number, r: RequestTokens): number {
  let total = 0;
  for (const sp of specs) total += maxMemoryUsageBytes(sp.spec, len, r.blockSize, r.inFlightTokens, r.slidingExtraRetainedTokens) * sp.count;
  return total;
}

function blocksPerRequest(layout: ReturnType<typeof kvLayout>, len: number, r: RequestTokens): number {
  if (layout.numGroups <= 1) return layout.bytesPerBlock > 0 ? cdiv(neededBytes(layout.specs, len, r), layout.bytesPerBlock) : 0;
  let blocks = 0;
  for (const key of layout.groupKeys) {
    const sp = layout.specs.find((x) => x.key === key)!;
    blocks += maxMemoryUsageBytes(sp.spec, len, r.blockSize, r.inFlightTokens, r.slidingExtraRetainedTokens) / sp.pageBytes;
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
function estimateMaxModelLen(specs: LayerSpec[], state: number, available: number, upper: number, r: RequestTokens): number {
  if (available <= state) return 0;
  let lo = 0;
  let hi = Math.max(1, upper);
  if (neededBytes(specs, hi, r) + state <= available) return hi;
  while (lo < hi) {
    const mid = Math.floor((lo + hi + 1) / 2);
    if (neededBytes(specs, mid, r) + state <= available) lo = mid; else hi = mid - 1;
  }
  return lo;
}

export function formatGiB(bytes: number): string {
  return (bytes / GiB).toFixed(2);
}

/** What one pipeline stage's rank holds before any KV cache (`rankBaselines`). */
export interface RankBaseline { stage: number; layers: readonly LayerKind[]; layerCount: number; weightBytes: number; loraBytes: number; activation: number; nonTorch: number }

/**
 * Baselines per model, profile and quantization scheme, then per the settings they read (`baselineKey`): a deployment
 * is sized once and its TP suggestion asks again at each TP size (the deployment's own among them), and a document
 * edited in place asks again with only the utilization or the context changed. Frozen: shared by every caller.
 */
const baselineMemo = new WeakMap<ModelDescription, WeakMap<VllmProfile, WeakMap<object, Map<string, readonly RankBaseline[]>>>>();
const BASELINES_PER_PLAN = 64;

/** Everything of the plan and settings `computeRankBaselines` reads, and nothing else. */
function baselineKey(plan: WeightPlan, s: VllmSettings): string {
  const t = s.topology;
  return `${plan.baseDtypeBytes}|${s.tp}|${s.pp}|${s.activationDtypeBytes}|${s.maxNumBatchedTokens}|${s.maxNumSeqs}|${s.flashinferSampler}|${s.cpuOffloadBytes}|`
    + `${s.lora ? `${s.lora.maxLoras}x${s.lora.maxLoraRank}` : ''}|${s.draftWeightBytes}|${t.computeCapability}|${t.interconnect}|${t.nodes}`;
}

/** What each pipeline stage's rank holds before any KV cache: weights (with rotary tables), activation peak, non-torch. */
export function rankBaselines(model: ModelDescription, plan: WeightPlan, s: VllmSettings, profile: VllmProfile): readonly RankBaseline[] {
  const byProfile = memoized(baselineMemo, model, () => new WeakMap<VllmProfile, WeakMap<object, Map<string, readonly RankBaseline[]>>>());
  const byScheme = memoized(byProfile, profile, () => new WeakMap<object, Map<string, readonly RankBaseline[]>>());
  const bySettings = memoized(byScheme, plan.scheme ?? NO_SCHEME, () => new Map<string, readonly RankBaseline[]>());
  return memoized(bySettings, baselineKey(plan, s), () => Object.freeze(computeRankBaselines(model, plan, s, profile).map((b) => Object.freeze(b))), BASELINES_PER_PLAN);
}

function computeRankBaselines(model: ModelDescription, plan: WeightPlan, s: VllmSettings, profile: VllmProfile): RankBaseline[] {
  const ranges = pipelineLayerRanges(model.numLayers, s.pp);
  const rotary = rotaryCacheBytes(model, s.activationDtypeBytes);
  return ranges.map((range, stage) => {
    const layers = layerKinds(model, range.start, range.end);
    const stored = weightBytesPerRank(model, plan, { tp: s.tp, pp: ranges.length, stage, mxfp4ExpertPadding: mxfp4PaddingFor(s.topology.computeCapability) });
    const lora = s.lora ? loraBytesPerRank(model, range, s.lora, s.activationDtypeBytes, s.tp) : 0;
    return {
      stage,
      layers,
      layerCount: layers.reduce((n, k) => n + k.count, 0),
      // `--cpu-offload-gb` keeps up to that many bytes of each GPU's weights in CPU memory.
      weightBytes: Math.max(0, stored - (s.cpuOffloadBytes ?? 0)) + rotary + lora + (stage === ranges.length - 1 ? s.draftWeightBytes ?? 0 : 0),
      loraBytes: lora,
      activation: activationPeakBytes(model, layers, stage === ranges.length - 1, s, profile),
      nonTorch: nonTorchBytes(s.tp, ranges.length, stage, profile, s.topology),
    };
  });
}

/** KV bytes per token of a rank's cache groups: each spec's page over the block size, times its layers. */
function kvBytesPerTokenOf(specs: readonly LayerSpec[], blockSize: number): number {
  let bytes = 0;
  for (const sp of specs) bytes += (sp.pageBytes / blockSize) * sp.count;
  return bytes;
}

export function emulateVllm(model: ModelDescription, plan: WeightPlan, acc: Accelerator, s: VllmSettings, profile: VllmProfile): VllmResult {
  const tokens: RequestTokens = {
    blockSize: s.blockSize, inFlightTokens: s.maxNumBatchedTokens * profile.inFlightBatches,
    slidingExtraRetainedTokens: slidingExtraRetainedTokens(s.speculative, profile),
  };
  const applyGraphs = cudaGraphEstimateApplied(model, profile);
  const total = acc.visibleMemoryGiB * GiB;
  const requested = total * s.gpuMemoryUtilization;
  const layouts: Array<ReturnType<typeof kvLayout>> = [];
  const baselines = rankBaselines(model, plan, s, profile);
  const ranks: RankBudget[] = baselines.map(({ stage, layers, layerCount, weightBytes, loraBytes, activation, nonTorch }) => {
    const graphs = s.enforceEager ? 0 : cudaGraphBytes(layerCount, s, profile);
    // determine_available_memory (vllm/v1/worker/gpu_worker.py): a stated KV size is taken as is.
    const available = s.kvCacheMemoryBytes !== undefined
      ? s.kvCacheMemoryBytes
      : requested - weightBytes - activation - nonTorch - (applyGraphs ? graphs : 0);
    // The drafter's attention layers join the last stage's KV cache groups.
    const draft = stage === baselines.length - 1 ? s.speculative?.kvLayers ?? [] : [];
    const cached = draft.length ? [...layers, ...draft] : layers;
    const layout = kvLayout(cached, s, profile);
    layouts.push(layout);
    const state = stateBytes(cached, s);
    const usable = Math.max(0, available);
    let numBlocks = 0;
    if (layout.bytesPerBlock > 0) numBlocks = Math.floor(usable / layout.bytesPerBlock);
    // get_num_blocks (kv_cache_utils.py): the override replaces the count; the fit check still uses the memory.
    if (s.numGpuBlocksOverride !== undefined) numBlocks = s.numGpuBlocksOverride;
    const blocks = blocksPerRequest(layout, s.maxModelLen, tokens);
    return {
      stage, loraBytes, layers, layerCount, totalBytes: total, requestedBytes: requested, weightBytes, activationPeakBytes: activation,
      nonTorchBytes: nonTorch, cudaGraphBytes: graphs, availableKvBytes: available,
      kvBytesPerToken: kvBytesPerTokenOf(layout.specs, s.blockSize),
      stateBytesPerSequence: state, numBlocks, numGroups: layout.numGroups, blocksPerRequest: blocks,
      neededBytes: neededBytes(layout.specs, s.maxModelLen, tokens) + state,
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
  // _check_enough_kv_cache_memory: from 0.26 the null block's bytes are set aside before the check.
  const checkMemory = (r: RankBudget, i: number): number => r.availableKvBytes - (profile.nullBlockInChecks ? layouts[i].bytesPerBlock : 0);
  const failing = ranks.find((r, i) => r.neededBytes > checkMemory(r, i));
  let estimatedMaxModelLen = s.maxModelLen;
  let errorMessage: string | undefined;
  for (const [i, r] of ranks.entries()) {
    const est = estimateMaxModelLen(layouts[i].specs, r.stateBytesPerSequence, checkMemory(r, i), s.maxModelLen, tokens);
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

