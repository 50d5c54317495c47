// Emulation of llama.cpp's (llama-server's) memory at load, per GPU: the repeating layers `-ngl` puts on the GPU
// (their weights and their KV), the output layer from ngl > n_layer, the compute buffer the scheduler reserves,
// and `--fit` (on by default since Dec 2025): a 1 GiB margin per device, the context shrunk when it was left at
// 0 (never below 4,096), then layers moved to the CPU when -ngl was left at its default. Rules from
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
}

export interface LlamaCppSizing extends VllmResult {
  resolved: { contextLength: number; parallel: number; gpuLayers: number; unified: boolean; computeBufferBytes: number; fitNote?: string };
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

interface Placement {
  weightsGpu: number; kvGpu: number; computeGpu: number; stateGpu: number;
  weightsCpu: number; kvCpu: number;
}

function place(model: ModelDescription, w: NonNullable<LlamaCppSettings['weights']>, s: LlamaCppSettings, ctx: number, slots: number, unified: boolean, ngl: number): Placement {
  const nLayer = model.numLayers;
  const streams = unified ? 1 : slots;
  const ctxPerStream = unified ? ctx : pad(Math.ceil(ctx / slots), 256);
  let weightsGpu = 0, weightsCpu = w.tokenEmbd, kvGpu = 0, kvCpu = 0, stateGpu = 0;
  let maxLayerKv = 0;
  const cpuLayers: number[] = [];
  model.layers.forEach((layer, il) => {
    const kv = llamaLayerKvBytesPerCell(layer, s.cacheTypeK, s.cacheTypeV) * llamaLayerCells(layer, ctxPerStream, slots, unified, s.ubatch) * streams;
    // Recurrent layers keep f32 conv and SSM state per slot.
    const state = layer.mamba ? (layer.mamba.convElements + layer.mamba.ssmElements) * 4 * Math.max(1, slots) : 0;
    if (layerOnGpu(il, nLayer, ngl)) { weightsGpu += w.perLayer[il] ?? 0; kvGpu += kv; stateGpu += state; } else { weightsCpu += w.perLayer[il] ?? 0; kvCpu += kv + state; cpuLayers.push(il); }
    maxLayerKv = Math.max(maxLayerKv, kv);
  });
  const outputOnGpu = ngl >= nLayer + 1;
  if (outputOnGpu) weightsGpu += w.output + w.outputNorm; else weightsCpu += w.output + w.outputNorm;
  return { weightsGpu, weightsCpu, kvGpu, kvCpu, stateGpu, computeGpu: ngl > 0 ? computeBuffer(model, s, ctxPerStream, outputOnGpu ? 0 : w.output, cpuLayers.length > 0, maxLayerKv) : 0 };
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
  const heads = Math.max(0, ...model.layers.map((l) => l.attention?.heads ?? 0));
  const scores = nKv * ub * heads * 4;
  const mask = nKv * ub * 4;
  const attention = scores + mask + (someKvOnCpu ? layerKvBytes : 4 * hidden);
  return Math.max(output, attention);
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
 * llama-server at load on one GPU (`-ngl` layers and their KV on it), with `--fit`. Slots: `-np` auto is 4 slots
 * sharing one unified pool of `-c` cells; an explicit `-np N` gives each slot `-c / N` cells.
 */
export function emulateLlamaCpp(model: ModelDescription, plan: WeightPlan, acc: Accelerator, s: LlamaCppSettings): LlamaCppSizing {
  const w = s.weights ?? llamaWeights(model, plan);
  const nLayer = model.numLayers;
  const trainCtx = model.maxPositionEmbeddings ?? 4096;
  const unified = s.parallel === undefined;
  const slots = s.parallel ?? 4;
  const free = acc.visibleMemoryGiB * GiB;
  const target = s.fit ? free - s.fitMarginBytes : free;
  let ctx = pad(s.contextLength ?? trainCtx, 256);
  let ngl = s.gpuLayers ?? nLayer + 1;
  const need = (c: number, n: number): number => { const p = place(model, w, s, c, slots, unified, n); return p.weightsGpu + p.kvGpu + p.stateGpu + p.computeGpu; };
  let fitNote: string | undefined;
  if (s.fit && need(ctx, ngl) > target) {
    const minCtx = 4096;
    if (s.contextLength === undefined && ctx > minCtx) {
      // Shrink the context (multiples of 256, not below 4,096) to the largest that meets the margin.
      let lo = minCtx, hi = ctx;
      if (need(lo, ngl) <= target) {
        while (hi - lo > 256) { const mid = pad(Math.floor((lo + hi) / 2), 256); if (need(mid, ngl) <= target) lo = mid; else hi = mid; }
        fitNote = `--fit: context reduced from ${ctx} to ${lo} to leave ${Math.round(s.fitMarginBytes / MiB)} MiB free`;
        ctx = lo;
      } else ctx = minCtx;
    }
    if (need(ctx, ngl) > target && s.gpuLayers === undefined) {
      let n = ngl;
      while (n > 0 && need(ctx, n) > target) n--;
      fitNote = `${fitNote ? `${fitNote}; ` : ''}--fit: ${Math.min(n, nLayer)} of ${nLayer} layers on the GPU${n > nLayer ? ' with the output layer' : ''}, context ${ctx}`;
      ngl = n;
    }
  }
  const p = place(model, w, s, ctx, slots, unified, ngl);
  const used = p.weightsGpu + p.kvGpu + p.stateGpu + p.computeGpu;
  const fits = used <= free;
  const kvPerToken = model.layers.reduce((t, l) => t + llamaLayerKvBytesPerCell(l, s.cacheTypeK, s.cacheTypeV), 0);
  const rank: RankBudget = {
    stage: 0, layers: [], layerCount: nLayer, loraBytes: 0, totalBytes: free, requestedBytes: target,
    weightBytes: p.weightsGpu, activationPeakBytes: p.computeGpu, nonTorchBytes: 0, cudaGraphBytes: 0,
    availableKvBytes: p.kvGpu, kvBytesPerToken: kvPerToken, stateBytesPerSequence: p.stateGpu,
    numBlocks: ctx, numGroups: 1, blocksPerRequest: unified ? ctx : ctx / slots, neededBytes: p.kvGpu + p.kvCpu,
  };
  const errorMessage = fits ? undefined
    : `needs ${(used / MiB).toFixed(2)} MiB on ${acc.name} (weights ${(p.weightsGpu / MiB).toFixed(2)}, KV ${(p.kvGpu / MiB).toFixed(2)}, compute ${(p.computeGpu / MiB).toFixed(2)}) but ${(free / MiB).toFixed(0)} MiB is free: CUDA out of memory at load or on the first prompt`;
  return {
    ranks: [rank], reported: rank, binding: rank, numBlocks: ctx, kvCacheTokens: ctx,
    maxConcurrency: slots, fits, weightsFit: p.weightsGpu <= free, estimatedMaxModelLen: ctx, errorMessage,
    resolved: { contextLength: ctx, parallel: slots, gpuLayers: Math.min(ngl, nLayer + 1), unified, computeBufferBytes: p.computeGpu, fitNote },
  };
}
