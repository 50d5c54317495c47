// Decode and prefill ceilings from bytes moved and FLOPs done, and the roofline they sit on.

import { Accelerator, BoundRegime, RooflinePoint } from './types';
import { LayerDescription, ModelDescription, layerKinds } from './model';
import { layerKvBytesPerToken } from './kvcache';
import { cacheSpecOf, tokensKept } from './cacheSpec';
import { memoized } from './memo';
import { ComputeDtype } from './quantization';
import { RankWeightTable, WeightPlan, pipelineLayerRanges, rankWeightTable } from './weights';

export interface ParallelPlan { tp: number; pp: number }

type StageRanges = ReturnType<typeof pipelineLayerRanges>;

/** Expected distinct experts a batch of `batch` tokens routes to, with uniform routing. */
export function distinctExpertsTouched(experts: number, topK: number, batch: number): number {
  if (experts <= 0) return 0;
  const k = Math.min(topK, experts);
  return experts * (1 - Math.pow(1 - k / experts, Math.max(0, batch)));
}

/**
 * Dense peak FLOP/s for the arithmetic the weights run in. A ceiling must not undercut any real kernel,
 * so the 16-bit path takes the best of bf16/fp16/fp32 (Pascal's fp16 is slow; llama.cpp uses fp32 there)
 * and integer-dot-product paths (GGUF, W8A8) the best of int8 and that.
 */
export function peakFlopsFor(acc: Accelerator, compute: ComputeDtype): { flops: number; dtype: string } {
  const f = acc.flopsPerSecond;
  const sixteen = Math.max(f.bf16 ?? 0, f.fp16 ?? 0, f.fp32 ?? 0);
  const sixteenName = sixteen === (f.bf16 ?? 0) ? 'bf16' : sixteen === (f.fp16 ?? 0) ? 'fp16' : 'fp32';
  if (compute === 'fp8' && f.fp8) return { flops: f.fp8, dtype: 'fp8' };
  if (compute === 'int8' && (f.int8 ?? 0) > sixteen) return { flops: f.int8!, dtype: 'int8' };
  if (compute === 'fp4' && f.fp4) return { flops: f.fp4, dtype: 'fp4' };
  if (compute === 'fp32' && f.fp32) return { flops: f.fp32, dtype: 'fp32' };
  return { flops: sixteen, dtype: sixteenName };
}

/**
 * What one rank of one stage reads and computes per step, from the model's per-rank weight table:
 * bytes always read in full, bytes read in part (embedding rows, routed experts) and matmul FLOPs per token.
 */
interface StageSummary {
  fullBytes: number;
  /** Embedding tables: one row per sequence is read. */
  rowTables: Array<{ bytes: number; rows: number }>;
  /** Routed experts grouped by (experts, top-k): the distinct experts a batch touches are read. */
  expertGroups: Map<string, { bytes: number; experts: number; topK: number }>;
  matmulFlopsPerToken: number;
}

/** Summaries per weight table and pipeline size: every budget of the model with that plan and TP reads them. */
const summaries = new WeakMap<RankWeightTable, Map<number, StageSummary[]>>();

function stageSummaries(d: DecodeInputs, stages: StageRanges): StageSummary[] {
  const table = rankWeightTable(d.model, d.plan, d.par.tp);
  const byStages = memoized(summaries, table, () => new Map<number, StageSummary[]>());
  return memoized(byStages, stages.length, () => summarizeStages(d, table, stages));
}

function summarizeStages(d: DecodeInputs, table: RankWeightTable, stages: StageRanges): StageSummary[] {
  const { model } = d;
  const last = stages.length - 1;
  const out = stages.map((range, stage): StageSummary => {
    const sum: StageSummary = { fullBytes: 0, rowTables: [], expertGroups: new Map(), matmulFlopsPerToken: 0 };
    for (let i = range.start; i < range.end; i++) {
      sum.fullBytes += table.fullBytes[i];
      sum.matmulFlopsPerToken += table.matmulFlopsPerToken[i];
      const moe = model.layers[i]?.moe;
      if (table.expertBytes[i] > 0 && moe) {
        const key = `${moe.experts}/${moe.expertsPerToken}`;
        const e = sum.expertGroups.get(key) ?? { bytes: 0, experts: moe.experts, topK: moe.expertsPerToken };
        e.bytes += table.expertBytes[i];
        sum.expertGroups.set(key, e);
      }
    }
    for (const t of table.rowTables) {
      if (t.layer === undefined ? stage === 0 : t.layer >= range.start && t.layer < range.end) sum.rowTables.push(t);
    }
    if (stage === last) {
      sum.fullBytes += table.lastStageFullBytes;
      sum.matmulFlopsPerToken += table.lastStageMatmulFlopsPerToken;
      // A tied embedding doubles as the LM head and is read (and multiplied) in full on the last stage.
      if (table.tiedHeadBytes !== undefined) {
        sum.fullBytes += table.tiedHeadBytes;
        sum.matmulFlopsPerToken += (2 * model.vocabSize * model.hiddenSize) / d.par.tp;
      }
    }
    return sum;
  });
  return out;
}

/** Bytes of weights one step over `batch` tokens reads on one rank of one stage. */
function weightBytesTouched(sum: StageSummary, batch: number): number {
  let bytes = sum.fullBytes;
  for (const t of sum.rowTables) bytes += t.bytes * Math.min(1, batch / t.rows);
  for (const e of sum.expertGroups.values()) bytes += e.bytes * (distinctExpertsTouched(e.experts, e.topK, batch) / e.experts);
  return bytes;
}

/** Attention FLOPs per (query, cached token) pair in one layer on one rank: QK and AV, 2 FLOPs each. */
function attentionFlopsPerPair(layer: LayerDescription, tp: number): number {
  const a = layer.attention;
  if (!a || layer.crossAttention) return 0;
  const dim = a.type === 'mla' ? (a.mlaLatentDim ?? a.headDim) : a.headDim;
  return 4 * Math.max(1, a.heads / tp) * dim;
}

export interface StepFigures {
  seconds: number;
  bytes: number;
  weightBytes: number;
  kvBytes: number;
  flops: number;
  bound: BoundRegime;
}

export interface DecodeInputs {
  model: ModelDescription;
  plan: WeightPlan;
  acc: Accelerator;
  par: ParallelPlan;
  kvBytes: number;
  stateDtypeBytes: number;
  compute: ComputeDtype;
}

/**
 * One forward step of `tokens` tokens through every pipeline stage, one stage after another: each stage
 * takes max(bytes / bandwidth, FLOPs / peak). `perLayer` gives a layer's KV bytes moved and attention FLOPs.
 */
function forwardStep(d: DecodeInputs, tokens: number, perLayer: (l: LayerDescription) => { kv: number; attention: number }): StepFigures {
  const ranges = pipelineLayerRanges(d.model.numLayers, d.par.pp);
  const summaries = stageSummaries(d, ranges);
  const peak = peakFlopsFor(d.acc, d.compute).flops;
  const bw = d.acc.memoryBandwidthBytesPerSecond;
  let seconds = 0, bytes = 0, weightBytes = 0, kvBytes = 0, flops = 0, memoryTime = 0, computeTime = 0;
  ranges.forEach((range, stage) => {
    const w = weightBytesTouched(summaries[stage], tokens);
    let kv = 0;
    let attention = 0;
    for (const { layer, count } of layerKinds(d.model, range.start, range.end)) {
      const figures = perLayer(layer);
      kv += figures.kv * count;
      attention += figures.attention * count;
    }
    const f = tokens * summaries[stage].matmulFlopsPerToken + attention;
    const tMem = (w + kv) / bw;
    const tCompute = peak > 0 ? f / peak : 0;
    seconds += Math.max(tMem, tCompute);
    memoryTime += tMem;
    computeTime += tCompute;
    bytes += w + kv; weightBytes += w; kvBytes += kv; flops += f;
  });
  return { seconds, bytes, weightBytes, kvBytes, flops, bound: computeTime > memoryTime ? 'compute' : 'memory' };
}

/** One decode step for `batch` sequences at `context` tokens each: KV read, Mamba state read and written. */
export function decodeStep(d: DecodeInputs, batch: number, context: number): StepFigures {
  return forwardStep(d, batch, (l) => {
    const spec = cacheSpecOf(l, d.kvBytes, d.stateDtypeBytes, d.par.tp);
    // A layer that reads another layer's cache (or a fixed window only) still attends over the context.
    if (!spec) return { kv: 0, attention: batch * attentionFlopsPerPair(l, d.par.tp) * context };
    // A state is read and written back every step; a token cache is read over the tokens it keeps.
    if (spec.kind === 'state') return { kv: batch * 2 * spec.bytesPerSequence, attention: 0 };
    const kept = tokensKept(spec, context);
    return { kv: batch * spec.bytesPerToken * kept, attention: batch * attentionFlopsPerPair(l, d.par.tp) * kept };
  });
}

/**
 * The smallest decode batch whose step is compute-bound at `context` tokens per sequence: the batch from which
 * adding requests stops being nearly free. Undefined when no batch up to `maxBatch` is — each sequence's KV read
 * then outweighs its arithmetic, as with grouped-query attention at long contexts.
 *
 * Example: Llama-3.1-8B in bf16 on an H100 (989 TFLOP/s dense, 3.35 TB/s) at 128 tokens reads 15.0 GB of weights
 * and 16.8 MB of KV per sequence for ~15 GFLOP per sequence: the step turns compute-bound near
 * 15.0e9 / 3.35e12 / (15e9 / 989e12 − 16.8e6 / 3.35e12) ≈ 440 sequences; at 1,024 tokens (134 MB of KV each) never.
 */
export function computeBoundDecodeBatch(d: DecodeInputs, context: number, maxBatch: number): number | undefined {
  if (decodeStep(d, maxBatch, context).bound !== 'compute') return undefined;
  // Compute grows faster with the batch than bytes do (weights are read once), so the regime switches once.
  let lo = 1;
  let hi = maxBatch;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (decodeStep(d, mid, context).bound === 'compute') hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Prefill of one prompt of `prompt` tokens: KV written; causal attention over ~prompt^2 / 2 pairs (windows cap it). */
export function prefillStep(d: DecodeInputs, prompt: number): StepFigures {
  return forwardStep(d, prompt, (l) => {
    const a = l.attention;
    const pairs = a && a.window && (a.type === 'sliding' || a.type === 'chunked')
      ? prompt * Math.min(a.window, prompt / 2) : (prompt * prompt) / 2;
    return { kv: prompt * layerKvBytesPerToken(l, d.kvBytes, d.par.tp), attention: attentionFlopsPerPair(l, d.par.tp) * pairs };
  });
}

/**
 * Prefill of a prompt whose first `cached` tokens are already in the prefix cache: only the other tokens go through
 * the layers; they read the cached KV and attend to it as well as to each other (windows cap both).
 *
 * Example: a 4,096-token prompt with a 3,072-token cached system prompt computes 1,024 tokens, whose causal attention
 * covers 1,024 × 3,072 + 1,024² / 2 pairs instead of 4,096² / 2 (43.8 % of them, and 25 % of the linear FLOPs).
 */
export function prefillStepWithCachedPrefix(d: DecodeInputs, prompt: number, cached: number): StepFigures {
  const prefix = Math.max(0, Math.min(cached, prompt - 1));
  const fresh = prompt - prefix;
  return forwardStep(d, fresh, (l) => {
    const a = l.attention;
    const perToken = layerKvBytesPerToken(l, d.kvBytes, d.par.tp);
    const windowed = a && a.window && (a.type === 'sliding' || a.type === 'chunked') ? a.window : undefined;
    const pairs = windowed
      ? fresh * Math.min(windowed, prefix + fresh / 2)
      : fresh * prefix + (fresh * fresh) / 2;
    const readPrefix = windowed ? Math.min(windowed, prefix) : prefix;
    return { kv: (fresh + readPrefix) * perToken, attention: attentionFlopsPerPair(l, d.par.tp) * pairs };
  });
}

/** Place a step on the roofline of one GPU. */
export function rooflinePoint(label: string, step: StepFigures, acc: Accelerator, peakFlops: number, ranks: number): RooflinePoint {
  const intensity = step.bytes > 0 ? step.flops / step.bytes : 0;
  const bw = acc.memoryBandwidthBytesPerSecond;
  const attainable = Math.min(peakFlops, intensity * bw);
  return {
    label,
    flops: step.flops * ranks,
    bytes: step.bytes * ranks,
    arithmeticIntensity: intensity,
    attainableFlopsPerSecond: attainable,
    seconds: step.seconds,
    bound: intensity < peakFlops / bw ? 'memory' : 'compute',
  };
}
