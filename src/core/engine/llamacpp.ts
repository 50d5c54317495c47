// Emulation of llama.cpp's (llama-server's) memory at load, per GPU: the repeating layers `-ngl` puts on the GPU
// (their weights and their KV), the output layer from ngl > n_layer, the compute buffer the scheduler reserves,
// and `--fit` (on by default since Dec 2025): a 1 GiB margin per device, the context shrunk when it was left at
// 0 (never below 4,096), then layers moved to the CPU when -ngl was left at its default; over several GPUs the
// layers follow `-ts` (or equal shares) and every GPU must meet the margin; `--kv-unified` or per-slot streams. Rules from
// ggml-org/llama.cpp (src/llama-kv-cache.cpp, llama-kv-cache-iswa.cpp, llama-context.cpp, llama-model.cpp,
// common/fit.cpp) as of late 2025 / 2026.

import type { Accelerator } from '../types';
import { LayerDescription, ModelDescription } from '../model';
import { WeightPlan, rankWeightTable } from '../weights';
import { GiB, RankBudget, VllmResult } from './vllm';

const MiB = 1024 ** 2;

/** `-ctk` / `-ctv` types and their bytes per element (ggml block size and bytes: q8_0 34 per 32, q4_0 18 per 32). */
export const LLAMA_CACHE_TYPES: Record<string, number> = {
  f32: 4, f16: 2, bf16: 2, q8_0: 34 / 32, q4_0: 18 / 32, q4_1: 20 / 32, iq4_nl: 18 / 32, q5_0: 22 / 32, q5_1: 24 / 32,
};

export interface LlamaCppSettings {
  /** `-c`: context for all slots together; undefined = 0 = the model's training context (and `--fit` may shrink it). */
  contextLength?: number;
  /** `-np`: slots; undefined = auto (4 slots sharing one unified pool). */
  parallel?: number;
  /** `-ngl`; undefined = default (all layers, and `--fit` may lower it). */
  gpuLayers?: number;
  /** `-ctk` / `-ctv`. */
  cacheTypeK: string;
  cacheTypeV: string;
  /** `-fa`: flash attention (on by default on CUDA). */
  flashAttention: boolean;
  /** `-ub` (512). */
  ubatch: number;
  /** `--fit` (on) and its margin (`-fitt`, 1,024 MiB). */
  fit: boolean;
  fitMarginBytes: number;
  /** Bytes of each decoder layer's weights and of the layer-less tensors (token_embd, output, output_norm). */
  weights?: { perLayer: number[]; tokenEmbd: number; output: number; outputNorm: number };
  /** GPUs the layers are split over (`--split-mode layer`, llama.cpp's default); 1 when absent. */
  gpus?: number;
  /**
   * `-ts 3,1`: each GPU's proportion of the layers (GPUs past the list get none). Absent or all zero: by each GPU's
   * free memory, which for identical GPUs is an equal split.
   */
  tensorSplit?: readonly number[];
  /**
   * `--kv-unified` (true) / `--no-kv-unified` (false): one KV buffer of `-c` cells shared by every slot, or one
   * stream of `-c / -np` cells per slot. Absent: llama-server's own choice, unified only when `-np` is left at auto
   * (tools/server/server.cpp: `n_parallel < 0` → 4 slots and `kv_unified = true`, PR #16736, in builds from
   * b7xxx, Nov 2025; before it `-np` defaulted to 1 and the cache was one stream either way).
   */
  kvUnified?: boolean;
  /**
   * Bytes held back from each GPU's free memory before anything is placed: Ollama's `OLLAMA_GPU_OVERHEAD` in the
   * releases whose own scheduler placed the layers (see `ollamaGpuOverheadRule`).
   */
  reservedBytesPerGpu?: number;
}

export interface LlamaCppSizing extends VllmResult {
  resolved: {
    contextLength: number; parallel: number; gpuLayers: number; unified: boolean; computeBufferBytes: number; fitNote?: string;
    /** Cells one slot can use: the whole context when unified, else `n_ctx_seq`. */
    contextPerSlot: number;
    /** What each GPU holds (one entry per GPU of the split), and which is the most loaded (the one reported). */
    perGpu: LlamaGpuLoad[];
    mostLoadedGpu: number;
  };
}

const pad = (n: number, to: number): number => Math.ceil(n / to) * to;

/** KV bytes per cell of one layer (K + V rows), or 0 for a layer without a KV cache. MLA keeps K only (2026). */
export function llamaLayerKvBytesPerCell(layer: LayerDescription, typeK: string, typeV: string): number {
  const a = layer.attention;
  if (!a || layer.crossAttention || a.kvSharedWith !== undefined) return 0;
  const bk = LLAMA_CACHE_TYPES[typeK] ?? 2;
  const bv = LLAMA_CACHE_TYPES[typeV] ?? 2;
  if (a.type === 'mla') return (a.mlaLatentDim ?? 0) * bk;
  return a.kvHeads * a.headDim * (bk + bv);
}

/**
 * Cells a layer holds per stream: the context padded to 256; a sliding layer `min(ctx, window × (unified ?
 * slots : 1) + ubatch)` padded to 256.
 */
export function llamaLayerCells(layer: LayerDescription, ctxPerStream: number, slots: number, unified: boolean, ubatch: number): number {
  const a = layer.attention;
  if (a && (a.type === 'sliding' || a.type === 'chunked') && a.window) return pad(Math.min(ctxPerStream, a.window * (unified ? slots : 1) + ubatch), 256);
  return ctxPerStream;
}

/** Where llama.cpp puts a repeating layer for `ngl`: the last `ngl` layers go to the GPU. */
export const layerOnGpu = (il: number, nLayer: number, ngl: number): boolean => il >= Math.max(0, nLayer - ngl);

/**
 * `-ts 3,1` / `--tensor-split 3/1` as llama.cpp reads it (common/arg.cpp: the text split on `,` and `/`, each part a
 * float; devices past the list get 0). Returns the proportions, or a one-line reason.
 */
export function parseTensorSplit(text: string): number[] | string {
  const parts = text.trim().split(/[,/]+/);
  const out: number[] = [];
  for (const p of parts) {
    const t = p.trim();
    const n = /^[+]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t) ? Number(t) : NaN;
    if (!Number.isFinite(n) || n < 0) return `-ts takes proportions per GPU such as 3,1 (got "${text}")`;
    out.push(n);
  }
  if (!out.some((x) => x > 0)) return `-ts ${text} gives no GPU any share`;
  return out;
}

/**
 * The device of each layer slot under llama.cpp's default layer split (src/llama-model.cpp `load_tensors`, as of
 * the b6xxx–b7xxx builds of late 2025): slots 0..n_layer−1 are the repeating layers and slot n_layer the output
 * layer; `i_gpu_start = max(n_layer − ngl, 0)`, `act_gpu_layers = min(ngl, n_layer + 1)`; a slot below
 * `i_gpu_start` or past `act_gpu_layers` stays on the CPU (−1), else it goes to the first GPU whose cumulative,
 * normalised split point (float32) is above `(il − i_gpu_start) / act_gpu_layers` (`std::upper_bound`). Without
 * `-ts` the split is each GPU's free memory, so identical GPUs get equal shares. The input layer (token_embd) is
 * always on the CPU.
 * Example: 32 layers, all on GPU (ngl 33), `-ts 3,1` → split points 0.75, 1.0; slot il goes to GPU 0 while
 * il/33 < 0.75, i.e. layers 0–24 (25 layers) on GPU 0, layers 25–31 and the output layer on GPU 1.
 */
export function llamaLayerDevices(nLayer: number, ngl: number, split: readonly number[]): number[] {
  const f = Math.fround;
  const points: number[] = [];
  let sum = f(0);
  for (const x of split) { sum = f(sum + f(x)); points.push(sum); }
  for (let i = 0; i < points.length; i++) points[i] = f(points[i] / sum);
  const iGpuStart = Math.max(nLayer - ngl, 0);
  const act = points.length === 0 ? 0 : Math.min(ngl, nLayer + 1);
  const out: number[] = [];
  for (let il = 0; il <= nLayer; il++) {
    if (il < iGpuStart || il - iGpuStart >= act) { out.push(-1); continue; }
    const x = f((il - iGpuStart) / act);
    let d = 0;
    while (d < points.length - 1 && !(points[d] > x)) d++;
    out.push(d);
  }
  return out;
}

/** What one GPU holds at load. */
export interface LlamaGpuLoad {
  /** Repeating layers on this GPU. */
  layers: number;
  /** Whether the output layer (output.weight, output_norm) is on it. */
  output: boolean;
  weightBytes: number;
  kvBytes: number;
  stateBytes: number;
  computeBytes: number;
  /** weights + KV + recurrent state + compute. */
  usedBytes: number;
}

interface Placement {
  gpus: LlamaGpuLoad[];
  weightsCpu: number; kvCpu: number;
}

/** Per-stream cells (`n_ctx_seq`, src/llama-context.cpp): the whole padded context when unified, else `pad(n_ctx / n_seq_max, 256)`. */
export function llamaContextPerStream(ctx: number, slots: number, unified: boolean): number {
  return unified ? pad(ctx, 256) : pad(Math.floor(pad(ctx, 256) / Math.max(1, slots)), 256);
}

function place(model: ModelDescription, w: NonNullable<LlamaCppSettings['weights']>, s: LlamaCppSettings, ctx: number, slots: number, unified: boolean, ngl: number, split: readonly number[]): Placement {
  const nLayer = model.numLayers;
  const streams = unified ? 1 : slots;
  const ctxPerStream = llamaContextPerStream(ctx, slots, unified);
  const devices = llamaLayerDevices(nLayer, ngl, split);
  const gpus: LlamaGpuLoad[] = split.map(() => ({ layers: 0, output: false, weightBytes: 0, kvBytes: 0, stateBytes: 0, computeBytes: 0, usedBytes: 0 }));
  const maxLayerKv = gpus.map(() => 0);
  let weightsCpu = w.tokenEmbd, kvCpu = 0, someKvOnCpu = false, anyLayerKv = 0;
  model.layers.forEach((layer, il) => {
    const kv = llamaLayerKvBytesPerCell(layer, s.cacheTypeK, s.cacheTypeV) * llamaLayerCells(layer, ctxPerStream, slots, unified, s.ubatch) * streams;
    // Recurrent layers keep f32 conv and SSM state per slot.
    const state = layer.mamba ? (layer.mamba.convElements + layer.mamba.ssmElements) * 4 * Math.max(1, slots) : 0;
    const d = devices[il];
    anyLayerKv = Math.max(anyLayerKv, kv);
    if (d >= 0) {
      const g = gpus[d];
      g.layers++; g.weightBytes += w.perLayer[il] ?? 0; g.kvBytes += kv; g.stateBytes += state;
      maxLayerKv[d] = Math.max(maxLayerKv[d], kv);
    } else { weightsCpu += w.perLayer[il] ?? 0; kvCpu += kv + state; someKvOnCpu = true; }
  });
  const outDevice = devices[nLayer];
  if (outDevice >= 0) { gpus[outDevice].output = true; gpus[outDevice].weightBytes += w.output + w.outputNorm; } else weightsCpu += w.output + w.outputNorm;
  // The compute buffer: the GPU holding the output layer (or, with the output on the CPU, the GPU of the last
  // offloaded layer) holds the output stage; every GPU with layers holds its attention stage. Approximate for several
  // GPUs: llama.cpp's scheduler sizes each device's buffer from its own graph split.
  let last = -1;
  for (let il = nLayer; il >= 0; il--) if (devices[il] >= 0) { last = devices[il]; break; }
  gpus.forEach((g, d) => {
    if (g.layers === 0 && !g.output) return;
    g.computeBytes = d === last
      ? computeBuffer(model, s, ctxPerStream, outDevice >= 0 ? 0 : w.output, someKvOnCpu, anyLayerKv)
      : attentionBuffer(model, s, ctxPerStream, someKvOnCpu, maxLayerKv[d]);
    g.usedBytes = g.weightBytes + g.kvBytes + g.stateBytes + g.computeBytes;
  });
  return { gpus, weightsCpu, kvCpu };
}

/**
 * The GPU compute buffer the scheduler reserves (the allocator's high-water mark; this is the shape that
 * reproduces llama.cpp's logs): the output stage holds the logits and hidden states of one ubatch, plus a copy of
 * the output weight when it lives on the CPU (op offload); without flash attention the attention stage holds the
 * f32 KQ scores of every head over the whole cache, the mask and, for a layer whose KV is on the CPU, copies of its
 * K and V. Example (Qwen3-8B, ubatch 512, 4,096 tokens, output on the CPU, Q8_0): 630.59 + 296.75 + 8 = 935.34 MiB.
 */
export function computeBuffer(model: ModelDescription, s: LlamaCppSettings, nKv: number, outputCopyBytes: number, someKvOnCpu: boolean, layerKvBytes: number): number {
  const ub = Math.min(s.ubatch, nKv);
  const hidden = model.hiddenSize * ub * 4;
  const logits = model.vocabSize * ub * 4;
  const output = logits + hidden + outputCopyBytes;
  if (s.flashAttention) return output;
  return Math.max(output, attentionBuffer(model, s, nKv, someKvOnCpu, layerKvBytes));
}

/**
 * The attention stage alone (a GPU that holds layers but not the output stage): without flash attention the f32 KQ
 * scores of every head over the cache, the mask and the layer's K/V copies or hidden states; with it, the hidden
 * states of one ubatch in and out.
 */
function attentionBuffer(model: ModelDescription, s: LlamaCppSettings, nKv: number, someKvOnCpu: boolean, layerKvBytes: number): number {
  const ub = Math.min(s.ubatch, nKv);
  const hidden = model.hiddenSize * ub * 4;
  if (s.flashAttention) return 2 * hidden;
  const heads = Math.max(0, ...model.layers.map((l) => l.attention?.heads ?? 0));
  const scores = nKv * ub * heads * 4;
  const mask = nKv * ub * 4;
  return scores + mask + (someKvOnCpu ? layerKvBytes : 4 * hidden);
}

/**
 * Weights per layer from a GGUF file's tensors (`blk.N.*`), or from the engine's own weight table for a Hugging
 * Face config with a GGUF type chosen (`--quantization q4_k_m`).
 */
export function llamaWeights(model: ModelDescription, plan: WeightPlan, ggufTensors?: ReadonlyArray<{ name: string; bytes: number }>): NonNullable<LlamaCppSettings['weights']> {
  const perLayer = new Array<number>(model.numLayers).fill(0);
  if (ggufTensors && ggufTensors.length) {
    let tokenEmbd = 0, output = 0, outputNorm = 0;
    for (const t of ggufTensors) {
      const m = /^blk\.(\d+)\./.exec(t.name);
      if (m) { const il = Number(m[1]); if (il < perLayer.length) perLayer[il] += t.bytes; continue; }
      if (t.name.startsWith('token_embd')) tokenEmbd += t.bytes;
      else if (t.name === 'output.weight') output += t.bytes;
      else outputNorm += t.bytes;
    }
    // Tied embeddings: the output layer holds a duplicate of token_embd.
    if (output === 0) output = tokenEmbd;
    return { perLayer, tokenEmbd, output, outputNorm };
  }
  const table = rankWeightTable(model, plan, 1);
  for (let i = 0; i < perLayer.length; i++) perLayer[i] = table.storedBytes[i];
  // GGUF files quantize the embedding and output tables too (Q6_K or the file's type); others keep them 16-bit.
  const bytesPerParam = plan.scheme?.gguf ? plan.scheme.bitsPerWeight / 8 : plan.baseDtypeBytes;
  const params = (role: 'embedding' | 'lm-head'): number => model.weights.filter((g) => g.role === role).reduce((t, g) => t + g.params, 0);
  const tokenEmbd = params('embedding') * bytesPerParam;
  const head = params('lm-head') * bytesPerParam;
  return { perLayer, tokenEmbd, output: head > 0 ? head : tokenEmbd, outputNorm: model.hiddenSize * 4 };
}

/**
 * llama-server at load (`-ngl` layers, their KV and the compute buffer on the GPUs, split by `-ts` over several),
 * with `--fit`. Slots: `-np` auto is 4 slots sharing one unified pool of `-c` cells; an explicit `-np N` gives each
 * slot `-c / N` cells unless `--kv-unified`. With several GPUs the most loaded one is reported, and `--fit` must leave
 * its margin on every one.
 */
export function emulateLlamaCpp(model: ModelDescription, plan: WeightPlan, acc: Accelerator, s: LlamaCppSettings): LlamaCppSizing {
  const w = s.weights ?? llamaWeights(model, plan);
  const nLayer = model.numLayers;
  const trainCtx = model.maxPositionEmbeddings ?? 4096;
  const unified = s.kvUnified ?? s.parallel === undefined;
  const slots = s.parallel ?? 4;
  const gpuCount = Math.max(1, Math.floor(s.gpus ?? 1));
  const split = Array.from({ length: gpuCount }, (_, i) => s.tensorSplit?.[i] ?? 0);
  // No -ts (or all zero): by free memory, equal for identical GPUs.
  if (!split.some((x) => x > 0)) split.fill(1);
  const free = acc.visibleMemoryGiB * GiB - (s.reservedBytesPerGpu ?? 0);
  const target = s.fit ? free - s.fitMarginBytes : free;
  let ctx = pad(s.contextLength ?? trainCtx, 256);
  let ngl = s.gpuLayers ?? nLayer + 1;
  /** How far the most loaded GPU is over the target (≤ 0: every GPU meets it). */
  const excess = (c: number, n: number): number => place(model, w, s, c, slots, unified, n, split).gpus.reduce((most, g) => Math.max(most, g.usedBytes - target), -Infinity);
  let fitNote: string | undefined;
  if (s.fit && excess(ctx, ngl) > 0) {
    const minCtx = 4096;
    if (s.contextLength === undefined && ctx > minCtx) {
      // Shrink the context (multiples of 256, not below 4,096) to the largest that meets the margin.
      let lo = minCtx, hi = ctx;
      if (excess(lo, ngl) <= 0) {
        while (hi - lo > 256) { const mid = pad(Math.floor((lo + hi) / 2), 256); if (excess(mid, ngl) <= 0) lo = mid; else hi = mid; }
        fitNote = `--fit: context reduced from ${ctx} to ${lo} to leave ${Math.round(s.fitMarginBytes / MiB)} MiB free`;
        ctx = lo;
      } else ctx = minCtx;
    }
    if (excess(ctx, ngl) > 0 && s.gpuLayers === undefined) {
      let n = ngl;
      while (n > 0 && excess(ctx, n) > 0) n--;
      fitNote = `${fitNote ? `${fitNote}; ` : ''}--fit: ${Math.min(n, nLayer)} of ${nLayer} layers on the GPU${gpuCount > 1 ? 's' : ''}${n > nLayer ? ' with the output layer' : ''}, context ${ctx}`;
      ngl = n;
    }
  }
  const p = place(model, w, s, ctx, slots, unified, ngl, split);
  let most = 0;
  p.gpus.forEach((g, i) => { if (g.usedBytes > p.gpus[most].usedBytes) most = i; });
  const g = p.gpus[most];
  const fits = p.gpus.every((x) => x.usedBytes <= free);
  const weightsFit = p.gpus.every((x) => x.weightBytes <= free);
  const kvPerToken = model.layers.reduce((t, l) => t + llamaLayerKvBytesPerCell(l, s.cacheTypeK, s.cacheTypeV), 0);
  const perSlot = llamaContextPerStream(ctx, slots, unified);
  const cells = unified ? perSlot : perSlot * slots;
  const kvGpu = p.gpus.reduce((t, x) => t + x.kvBytes, 0);
  const rank: RankBudget = {
    stage: 0, layers: [], layerCount: nLayer, loraBytes: 0, totalBytes: free, requestedBytes: target,
    weightBytes: g.weightBytes, activationPeakBytes: g.computeBytes, nonTorchBytes: 0, cudaGraphBytes: 0,
    availableKvBytes: g.kvBytes, kvBytesPerToken: kvPerToken, stateBytesPerSequence: g.stateBytes,
    numBlocks: cells, numGroups: 1, blocksPerRequest: perSlot, neededBytes: kvGpu + p.kvCpu,
  };
  // When it does not fit: the longest context (256 steps) that would, at these layers, with nothing left to spare.
  let longest = cells;
  if (!fits) {
    const over = (c: number): boolean => place(model, w, s, c, slots, unified, ngl, split).gpus.some((x) => x.usedBytes > free);
    let lo = 0, hi = ctx;
    while (hi - lo > 256) { const mid = pad(Math.floor((lo + hi) / 2), 256); if (mid >= hi) break; if (over(mid)) hi = mid; else lo = mid; }
    longest = lo > 0 && !over(lo) ? (unified ? lo : llamaContextPerStream(lo, slots, false) * slots) : 0;
  }
  const where = gpuCount > 1 ? `GPU ${most} of ${gpuCount} (${acc.name})` : acc.name;
  const errorMessage = fits ? undefined
    : `needs ${(g.usedBytes / MiB).toFixed(2)} MiB on ${where} (model ${(g.weightBytes / MiB).toFixed(2)}, KV ${(g.kvBytes / MiB).toFixed(2)}, compute ${(g.computeBytes / MiB).toFixed(2)}) but ${(free / MiB).toFixed(0)} MiB is free: llama.cpp fails with "cudaMalloc failed: out of memory" at load or on the first prompt`;
  return {
    ranks: [rank], reported: rank, binding: rank, numBlocks: cells, kvCacheTokens: cells,
    maxConcurrency: slots, fits, weightsFit, estimatedMaxModelLen: longest, errorMessage,
    resolved: { contextLength: cells, parallel: slots, gpuLayers: Math.min(ngl, nLayer + 1), unified, computeBufferBytes: g.computeBytes, fitNote, contextPerSlot: perSlot, perGpu: p.gpus, mostLoadedGpu: most },
  };
}

// ---------------------------------------------------------------------------
// Ollama's own rules around llama.cpp.

/**
 * What `OLLAMA_GPU_OVERHEAD` (bytes per GPU, envconfig/config.go `Uint64("OLLAMA_GPU_OVERHEAD", 0)`; a value that is
 * not a whole number is ignored with a warning) does in a release:
 * - `placement` (before 0.30, when Ollama placed the layers itself): llm/server.go `buildLayout` takes
 *   `FreeMemory × backoff + MinimumMemory() (457 MiB on CUDA/ROCm, ml/device.go) + GpuOverhead() + graph` off each
 *   GPU before assigning layers, so the overhead is memory the model may not use;
 * - `default-context` (0.30+, where llama-server's `--fit` places the layers: llm/llama_server.go passes no margin
 *   for it): the overhead only lowers the VRAM total that picks the default num_ctx (server/routes.go, summed over
 *   the GPUs, each `TotalMemory − GpuOverhead()`) and the "available" figure the scheduler logs (server/sched.go).
 * `latest` and unversioned Ollama use the newest rules.
 */
export function ollamaGpuOverheadRule(version: string | undefined): 'placement' | 'default-context' {
  const m = version ? /^v?(\d+)\.(\d+)/.exec(version) : null;
  if (!m) return 'default-context';
  const [major, minor] = [Number(m[1]), Number(m[2])];
  return major === 0 && minor < 30 ? 'placement' : 'default-context';
}

/**
 * Ollama's default num_ctx (v0.15.5+, server/routes.go): the GPUs' total memory, each less `OLLAMA_GPU_OVERHEAD`,
 * ≥ 47 GiB → 262,144; ≥ 23 GiB → 32,768; else 4,096 (the thresholds sit just under 48 and 24 GiB on purpose).
 * Example: one 24 GiB card → 32,768; with OLLAMA_GPU_OVERHEAD=2147483648 (2 GiB) it counts 22 GiB → 4,096.
 */
export function ollamaDefaultNumCtx(totalBytesPerGpu: number, gpus: number, overheadBytes = 0): number {
  const total = Math.max(0, totalBytesPerGpu - overheadBytes) * Math.max(1, gpus);
  return total >= 47 * GiB ? 262144 : total >= 23 * GiB ? 32768 : 4096;
}
