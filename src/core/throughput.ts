// Decode and prefill ceilings from bytes moved and FLOPs done, and the roofline they sit on.

import { Accelerator, BoundRegime, BudgetReport, RooflinePoint } from './types';
import { LayerDescription, ModelDescription, layerKinds } from './model';
import { kvDtypeBytes, kvHeadsPerRank, layerKvBytesPerToken } from './kvcache';
import { cacheSpecOf, tokensKept } from './cacheSpec';
import { memoized } from './memo';
import { ComputeDtype, dtypeBytes, schemeFromName } from './quantization';
import { arithmeticIntensityFlopsPerByte, attainableFlopsPerSecond, boundRegime, ridgeFlopsPerByte, type Roof, rooflinePointOf } from './roofline';
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
  return { seconds, bytes, weightBytes, kvBytes, flops, bound: boundRegime(computeTime, memoryTime) };
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
  const intensity = arithmeticIntensityFlopsPerByte(step.flops, step.bytes);
  const bw = acc.memoryBandwidthBytesPerSecond;
  return {
    label,
    flops: step.flops * ranks,
    bytes: step.bytes * ranks,
    arithmeticIntensity: intensity,
    attainableFlopsPerSecond: attainableFlopsPerSecond(intensity, peakFlops, bw),
    seconds: step.seconds,
    bound: intensity < ridgeFlopsPerByte(peakFlops, bw) ? 'memory' : 'compute',
  };
}

// ---- per-operator decode: one decoder layer's operators on the roofline -------------------------------------

/** Labels of the per-operator decode points (stable: the panel, its CSV and the tests look them up). */
export const DECODE_OPERATOR_LABELS = {
  qkv: 'QKV projection',
  attention: 'Attention (KV read)',
  output: 'Output projection',
  mlp: 'MLP',
  moe: 'MoE experts',
  lmHead: 'LM head',
} as const;

/**
 * Shapes of one decoder layer (plus the LM head). `decodeLayerShapes` gives them for the whole model,
 * `decodeLayerShapesPerRank` for one tensor-parallel rank (what `decodeOperatorPoints` takes).
 */
export interface DecodeLayerShapes {
  /** Hidden size h. */
  hidden: number;
  /** Query heads H. */
  heads: number;
  /** KV heads Hkv. */
  kvHeads: number;
  /** Head dimension d. */
  headDim: number;
  /** Dense MLP intermediate size I (gated: gate, up and down projections); 0 when none. */
  intermediate: number;
  /** Vocabulary size V. */
  vocab: number;
  /** Routed experts E (MoE layers only). */
  experts?: number;
  /** Experts per token k (MoE layers only). */
  expertsPerToken?: number;
  /** Intermediate size of one routed expert (MoE layers only; defaults to `intermediate`). */
  moeIntermediate?: number;
  /** Stored bytes per weight parameter (2 for bf16, 1 for fp8, 0.5 for int4, ...). */
  weightBytesPerParam: number;
}

function assertPositive(name: string, x: number): void {
  if (!(typeof x === 'number' && Number.isFinite(x) && x > 0)) throw new RangeError(`${name} must be a finite number > 0 (got ${x})`);
}

function assertNonNegative(name: string, x: number): void {
  if (!(typeof x === 'number' && Number.isFinite(x) && x >= 0)) throw new RangeError(`${name} must be a finite number ≥ 0 (got ${x})`);
}

/** Stored bytes per weight parameter of a weight dtype the engine reports (`bfloat16`, `fp8`, `int4`, `mxfp4`, ...). */
export function weightBytesPerParameter(weightDtype: string): number {
  const scheme = schemeFromName(weightDtype);
  if (scheme) return scheme.bitsPerWeight / 8;
  const int = /^int(\d)$/.exec(weightDtype);
  if (int) return Number(int[1]) / 8;
  return dtypeBytes(weightDtype);
}

/** The decoder layer the operator points describe: the first MoE layer of an MoE model, else the first attention layer. */
export function representativeDecodeLayer(model: ModelDescription): LayerDescription | undefined {
  return model.layers.find((l) => l.moe && l.attention && !l.crossAttention)
    ?? model.layers.find((l) => l.attention && !l.crossAttention && l.attention.type === 'full')
    ?? model.layers.find((l) => l.attention && !l.crossAttention);
}

/** Whole-model shapes of one decoder layer; undefined for a layer without (self-)attention. */
export function decodeLayerShapes(model: ModelDescription, layer: LayerDescription, weightBytesPerParam: number): DecodeLayerShapes | undefined {
  const a = layer.attention;
  if (!a || !(a.heads > 0) || !(a.headDim > 0) || !(model.hiddenSize > 0) || !(model.vocabSize > 0)) return undefined;
  const shapes: DecodeLayerShapes = {
    hidden: model.hiddenSize,
    heads: a.heads,
    kvHeads: Math.max(1, a.kvHeads),
    headDim: a.headDim,
    intermediate: layer.mlpIntermediate,
    vocab: model.vocabSize,
    weightBytesPerParam,
  };
  if (layer.moe && layer.moe.experts > 0) {
    // Routed experts only (shared experts are a dense MLP beside them).
    shapes.experts = layer.moe.experts;
    shapes.expertsPerToken = Math.min(layer.moe.expertsPerToken, layer.moe.experts);
    shapes.moeIntermediate = layer.moe.expertIntermediate;
  }
  return shapes;
}

/**
 * Shapes on one rank under tensor parallelism `tp`: query heads, intermediate sizes and vocabulary split; KV heads
 * as `kvHeadsPerRank` holds them (split, replicated one per rank when fewer heads than ranks).
 */
export function decodeLayerShapesPerRank(shapes: DecodeLayerShapes, tp: number): DecodeLayerShapes {
  if (!(Number.isInteger(tp) && tp >= 1)) throw new RangeError('tensor parallel size must be an integer ≥ 1');
  if (tp === 1) return { ...shapes };
  return {
    ...shapes,
    heads: shapes.heads / tp,
    kvHeads: kvHeadsPerRank(shapes.kvHeads, tp),
    intermediate: shapes.intermediate / tp,
    vocab: shapes.vocab / tp,
    moeIntermediate: shapes.moeIntermediate === undefined ? undefined : shapes.moeIntermediate / tp,
  };
}

/**
 * FLOPs and bytes of each operator of ONE decode step of ONE decoder layer (plus the LM head) on one rank, at batch
 * B (B sequences, one new token each) and context C, placed on `roof` (`rooflinePointOf`):
 *
 * - QKV projection: flops 2·B·h·(H+2Hkv)·d; bytes h·(H+2Hkv)·d·wBytes + B·h·aBytes (in) + B·(H+2Hkv)·d·aBytes (out)
 * - Attention: flops 4·B·C·H·d (QKᵀ and PV); bytes B·C·kvBytesPerTokenPerLayer (the KV read)
 * - Output projection: flops 2·B·H·d·h; bytes H·d·h·wBytes + B·H·d·aBytes + B·h·aBytes
 * - MLP, dense gated: flops 2·B·3·h·I; bytes 3·h·I·wBytes + 2·B·h·aBytes
 * - MLP, MoE: flops 2·B·k·3·h·Iₑ + 2·B·h·E (router); bytes `distinctExpertsTouched`(E, k, B)·3·h·Iₑ·wBytes
 *   + h·E·wBytes (router) + 2·B·h·aBytes
 * - LM head: flops 2·B·h·V; bytes h·V·wBytes + B·h·aBytes + B·V·aBytes
 *
 * @param shapes per-rank shapes (`decodeLayerShapesPerRank`).
 * @param activationBytesPerElement bytes per activation element (2 for bf16 activations).
 * @param kvBytesPerTokenPerLayer KV-cache bytes one token holds in this layer on this rank, as the engine sizes it
 *   (`layerKvBytesPerToken`: MLA, replicated heads, fp8 ...).
 * @throws RangeError for shapes or inputs that are not finite and positive.
 */
export function decodeOperatorPoints(
  shapes: DecodeLayerShapes,
  batch: number,
  contextTokens: number,
  activationBytesPerElement: number,
  kvBytesPerTokenPerLayer: number,
  roof: Roof,
): RooflinePoint[] {
  const { hidden: h, heads: H, kvHeads: Hkv, headDim: d, intermediate: I, vocab: V } = shapes;
  for (const [name, v] of Object.entries({ hidden: h, heads: H, kvHeads: Hkv, headDim: d, vocab: V })) assertPositive(name, v);
  assertNonNegative('intermediate', I);
  assertPositive('weightBytesPerParam', shapes.weightBytesPerParam);
  assertPositive('batch', batch);
  assertNonNegative('contextTokens', contextTokens);
  assertPositive('activationBytesPerElement', activationBytesPerElement);
  assertNonNegative('kvBytesPerTokenPerLayer', kvBytesPerTokenPerLayer);
  assertPositive('peakFlopsPerSecond', roof.peakFlopsPerSecond);
  assertPositive('bandwidthBytesPerSecond', roof.bandwidthBytesPerSecond);
  const w = shapes.weightBytesPerParam;
  const a = activationBytesPerElement;
  const B = batch;
  const C = contextTokens;
  const kv = kvBytesPerTokenPerLayer;
  const L = DECODE_OPERATOR_LABELS;
  const point = (label: string, flops: number, bytes: number): RooflinePoint => {
    assertPositive(`bytes of ${label}`, bytes);
    return rooflinePointOf(label, flops, bytes, roof);
  };

  const points: RooflinePoint[] = [];
  const qkvOut = (H + 2 * Hkv) * d;
  points.push(point(L.qkv, 2 * B * h * qkvOut, h * qkvOut * w + B * h * a + B * qkvOut * a));
  if (C > 0 && kv > 0) points.push(point(L.attention, 4 * B * C * H * d, B * C * kv));
  points.push(point(L.output, 2 * B * H * d * h, H * d * h * w + B * H * d * a + B * h * a));
  if (shapes.experts !== undefined && shapes.experts > 0) {
    const E = shapes.experts;
    const k = shapes.expertsPerToken ?? 1;
    const Ie = shapes.moeIntermediate ?? I;
    assertPositive('expertsPerToken', k);
    assertPositive('moeIntermediate', Ie);
    const touched = distinctExpertsTouched(E, k, B);
    points.push(point(L.moe, 2 * B * k * 3 * h * Ie + 2 * B * h * E, touched * 3 * h * Ie * w + h * E * w + 2 * B * h * a));
  } else if (I > 0) {
    points.push(point(L.mlp, 2 * B * 3 * h * I, 3 * h * I * w + 2 * B * h * a));
  }
  points.push(point(L.lmHead, 2 * B * h * V, h * V * w + B * h * a + B * V * a));
  return points;
}

/**
 * The per-operator decode points of a report: its model's representative layer (`representativeDecodeLayer`) on one
 * rank, at the report's batch and context, weight and KV dtypes, on the report's roof. Empty when the model has no
 * layer the operator model can express (no attention layer, shapes that do not split evenly).
 *
 * @param activationBytesPerElement bytes per activation element the engine runs with (4 for float32, else 2).
 */
export function decodeOperatorPointsOfReport(model: ModelDescription, report: BudgetReport, activationBytesPerElement: number): RooflinePoint[] {
  const layer = representativeDecodeLayer(model);
  if (!layer) return [];
  const shapes = decodeLayerShapes(model, layer, weightBytesPerParameter(report.model.weightDtype));
  if (!shapes) return [];
  const tp = report.settings.tensorParallel;
  const kv = layerKvBytesPerToken(layer, kvDtypeBytes(report.settings.kvCacheDtype, activationBytesPerElement), tp);
  try {
    return decodeOperatorPoints(decodeLayerShapesPerRank(shapes, tp), report.settings.batch, report.settings.context, activationBytesPerElement, kv, {
      peakFlopsPerSecond: report.roofline.peakFlopsPerSecond,
      bandwidthBytesPerSecond: report.roofline.memoryBandwidthBytesPerSecond,
    });
  } catch (e) {
    if (e instanceof RangeError) return [];
    throw e;
  }
}
