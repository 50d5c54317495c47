// Decode and prefill ceilings from bytes moved and FLOPs done, the roofline they sit on, and the decode step split
// by operator (the one operator model the panel reads).

import { Accelerator, BoundRegime, BudgetReport, RooflinePoint } from './types';
import { LayerDescription, ModelDescription, WeightGroup, forEachCopy, layerKinds } from './model';
import { layerKvBytesPerToken } from './kvcache';
import { CacheSpec, cacheSpecOf, tokensKept } from './cacheSpec';
import { memoized } from './memo';
import { ComputeDtype, dtypeBytes, schemeFromName } from './quantization';
import { arithmeticIntensityFlopsPerByte, attainableFlopsPerSecond, boundRegime, ridgeFlopsPerByte, type Roof, rooflinePointOf } from './roofline';
import { RankWeightTable, WeightPlan, groupBytesPerRank, isRowTable, matmulFlopsPerTokenPerRank, pipelineLayerRanges, rankWeightTable } from './weights';

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
  expertGroups: Array<{ bytes: number; experts: number; topK: number }>;
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
  const out: StageSummary[] = [];
  for (let stage = 0; stage < stages.length; stage++) {
    const range = stages[stage];
    const sum: StageSummary = { fullBytes: 0, rowTables: [], expertGroups: [], matmulFlopsPerToken: 0 };
    for (let i = range.start; i < range.end; i++) {
      sum.fullBytes += table.fullBytes[i];
      sum.matmulFlopsPerToken += table.matmulFlopsPerToken[i];
      const moe = model.layers[i]?.moe;
      if (table.expertBytes[i] > 0 && moe) {
        let e: StageSummary['expertGroups'][number] | undefined;
        for (const g of sum.expertGroups) if (g.experts === moe.experts && g.topK === moe.expertsPerToken) { e = g; break; }
        if (!e) sum.expertGroups.push(e = { bytes: 0, experts: moe.experts, topK: moe.expertsPerToken });
        e.bytes += table.expertBytes[i];
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
    out.push(sum);
  }
  return out;
}

/** Bytes of weights one step over `batch` tokens reads on one rank of one stage. */
function weightBytesTouched(sum: StageSummary, batch: number): number {
  let bytes = sum.fullBytes;
  for (const t of sum.rowTables) bytes += t.bytes * Math.min(1, batch / t.rows);
  for (const e of sum.expertGroups) bytes += e.bytes * (distinctExpertsTouched(e.experts, e.topK, batch) / e.experts);
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

/** A stage's KV (and state) bytes moved and attention FLOPs in one step. */
interface StageCacheCost { kv: number; attention: number }

/**
 * One forward step of `tokens` tokens through every pipeline stage, one stage after another: each stage
 * takes max(bytes / bandwidth, FLOPs / peak). `perLayer` gives a layer's KV bytes moved and attention FLOPs.
 */
function forwardStep(d: DecodeInputs, tokens: number, perLayer: (l: LayerDescription) => { kv: number; attention: number }): StepFigures {
  return forwardStepByStage(d, tokens, (ctx, stage) => {
    const range = ctx.ranges[stage];
    let kv = 0;
    let attention = 0;
    for (const { layer, count } of layerKinds(d.model, range.start, range.end)) {
      const figures = perLayer(layer);
      kv += figures.kv * count;
      attention += figures.attention * count;
    }
    return { kv, attention };
  });
}

/** What every step over one set of decode inputs reads: the pipeline stages, their weight summaries, the GPU's peak. */
interface StepContext { ranges: StageRanges; summaries: StageSummary[]; peak: number; decodeKinds: DecodeLayerKind[][] }
const stepContexts = new WeakMap<DecodeInputs, StepContext>();

/** Worked out once per set of decode inputs: a budget steps them many times (its batch search above all). */
function stepContext(d: DecodeInputs): StepContext {
  return memoized(stepContexts, d, () => {
    const ranges = pipelineLayerRanges(d.model.numLayers, d.par.pp);
    return { ranges, summaries: stageSummaries(d, ranges), peak: peakFlopsFor(d.acc, d.compute).flops, decodeKinds: decodeLayerKinds(d) };
  });
}

/**
 * `forwardStep` with each stage's cache cost given whole: `perStage` gets the step context (the stages' ranges and
 * decode layer kinds), the stage's index, and two numbers of the caller's (decode: batch and context), so that it
 * can be a module-level function rather than a closure made per call, whose compiled code V8 drops at each full GC
 * (shapes.ts).
 */
function forwardStepByStage(d: DecodeInputs, tokens: number, perStage: (ctx: StepContext, stage: number, a: number, b: number) => StageCacheCost, a = 0, b = 0): StepFigures {
  const ctx = stepContext(d);
  const { ranges, summaries, peak } = ctx;
  const bw = d.acc.memoryBandwidthBytesPerSecond;
  let seconds = 0, bytes = 0, weightBytes = 0, kvBytes = 0, flops = 0, memoryTime = 0, computeTime = 0;
  for (let stage = 0; stage < ranges.length; stage++) {
    const w = weightBytesTouched(summaries[stage], tokens);
    const { kv, attention } = perStage(ctx, stage, a, b);
    const f = tokens * summaries[stage].matmulFlopsPerToken + attention;
    const tMem = (w + kv) / bw;
    const tCompute = peak > 0 ? f / peak : 0;
    seconds += Math.max(tMem, tCompute);
    memoryTime += tMem;
    computeTime += tCompute;
    bytes += w + kv; weightBytes += w; kvBytes += kv; flops += f;
  }
  return { seconds, bytes, weightBytes, kvBytes, flops, bound: boundRegime(computeTime, memoryTime) };
}

/** What one layer's cache costs one decode step on one rank: token-cache bytes read, state bytes read and written. */
interface DecodeLayerCache { kvBytes: number; stateBytes: number; attentionFlops: number }

/** The per-layer half of `decodeStep` (its operator breakdown, `decodeOperators`, reads the same). */
function decodeLayerCache(d: DecodeInputs, l: LayerDescription, batch: number, context: number): DecodeLayerCache {
  return decodeKindCache(cacheSpecOf(l, d.kvBytes, d.stateDtypeBytes, d.par.tp), attentionFlopsPerPair(l, d.par.tp), batch, context);
}

/** What one layer with cache spec `spec` (on this rank) costs one decode step. */
function decodeKindCache(spec: CacheSpec | undefined, flopsPerPair: number, batch: number, context: number): DecodeLayerCache {
  // A layer that reads another layer's cache (or a fixed window only) still attends over the context.
  if (!spec) return { kvBytes: 0, stateBytes: 0, attentionFlops: batch * flopsPerPair * context };
  // A state is read and written back every step; a token cache is read over the tokens it keeps.
  if (spec.kind === 'state') return { kvBytes: 0, stateBytes: batch * 2 * spec.bytesPerSequence, attentionFlops: 0 };
  const kept = tokensKept(spec, context);
  return { kvBytes: batch * spec.bytesPerToken * kept, stateBytes: 0, attentionFlops: batch * flopsPerPair * kept };
}

/** A layer kind of one stage as a decode step reads it: its cache spec on this rank and attention FLOPs per pair. */
interface DecodeLayerKind { count: number; spec: CacheSpec | undefined; flopsPerPair: number }
/** Per model, by what else they read (cache and state bytes, TP, PP): every deployment of a model at that plan shares them. */
const decodeKindsMemo = new WeakMap<ModelDescription, Map<string, DecodeLayerKind[][]>>();
const DECODE_KINDS_PER_MODEL = 64;

/** Each stage's layer kinds with what `decodeKindCache` asks of them (read once per set of decode inputs: `stepContext`). */
function decodeLayerKinds(d: DecodeInputs): DecodeLayerKind[][] {
  const byPlan = memoized(decodeKindsMemo, d.model, () => new Map<string, DecodeLayerKind[][]>());
  return memoized(byPlan, `${d.kvBytes}|${d.stateDtypeBytes}|${d.par.tp}|${d.par.pp}`, () => buildDecodeLayerKinds(d), DECODE_KINDS_PER_MODEL);
}

/** `decodeLayerKinds` on a memo miss (loops, not callbacks made per call: shapes.ts). */
function buildDecodeLayerKinds(d: DecodeInputs): DecodeLayerKind[][] {
  const stages: DecodeLayerKind[][] = [];
  for (const range of pipelineLayerRanges(d.model.numLayers, d.par.pp)) {
    const kinds: DecodeLayerKind[] = [];
    for (const { layer, count } of layerKinds(d.model, range.start, range.end)) {
      kinds.push({ count, spec: cacheSpecOf(layer, d.kvBytes, d.stateDtypeBytes, d.par.tp), flopsPerPair: attentionFlopsPerPair(layer, d.par.tp) });
    }
    stages.push(kinds);
  }
  return stages;
}

/** One decode step for `batch` sequences at `context` tokens each: KV read, Mamba state read and written. */
export function decodeStep(d: DecodeInputs, batch: number, context: number): StepFigures {
  return forwardStepByStage(d, batch, decodeStageCost, batch, context);
}

/** One stage's KV (and state) bytes and attention FLOPs in a decode step (`decodeStep`'s `perStage`). */
function decodeStageCost(ctx: StepContext, stage: number, batch: number, context: number): StageCacheCost {
  let kv = 0;
  let attention = 0;
  for (const { count, spec, flopsPerPair } of ctx.decodeKinds[stage]) {
    const c = decodeKindCache(spec, flopsPerPair, batch, context);
    kv += (c.kvBytes + c.stateBytes) * count;
    attention += c.attentionFlops * count;
  }
  return { kv, attention };
}

/**
 * The smallest decode batch whose step is compute-bound at `context` tokens per sequence: the batch from which
 * adding requests stops being nearly free. Undefined when no batch up to `maxBatch` is — each sequence's KV read
 * then outweighs its arithmetic, as with grouped-query attention at long contexts.
 *
 * Example: Llama-3.1-8B in bf16 on an H100 (989 TFLOP/s dense, 3.35 TB/s) at 128 tokens reads 15.0 GB of weights
 * and 16.8 MB of KV per sequence for ~15 GFLOP per sequence: the step turns compute-bound near
 * 15.0e9 / 3.35e12 / (15e9 / 989e12 − 16.8e6 / 3.35e12) ≈ 440 sequences; at 1,024 tokens (134 MB of KV each) never.
 * `stepAtOne`: `decodeStep(d, 1, context)` when the caller has it already.
 */
export function computeBoundDecodeBatch(d: DecodeInputs, context: number, maxBatch: number, stepAtOne?: StepFigures): number | undefined {
  const step = (batch: number): StepFigures => decodeStep(d, batch, context);
  if (step(maxBatch).bound !== 'compute') return undefined;
  const one = stepAtOne ?? step(1);
  if (one.bound === 'compute') return 1;
  // Compute grows faster with the batch than bytes do (weights are read once), so the regime switches once, at the
  // smallest b with b · (FLOPs / peak − KV bytes / bandwidth) per sequence > W(b) / bandwidth, W(b) being the weight
  // bytes b sequences touch (all of them for a dense model; more experts as b grows). That fixed point is found in a
  // few steps and checked on both sides; the bisection over [1, maxBatch] is the fallback (same answer).
  const guess = computeBoundGuess(d, one, step, maxBatch);
  if (guess && guess.figures.bound === 'compute' && step(guess.batch - 1).bound !== 'compute') return guess.batch;
  let lo = 1;
  let hi = maxBatch;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (step(mid).bound === 'compute') hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * The batch where the decode step's compute time overtakes its memory time, by fixed-point steps on W(b), with the
 * step's figures there; undefined when a sequence's own bytes take longer than its arithmetic, or at batch 1.
 */
function computeBoundGuess(d: DecodeInputs, one: StepFigures, step: (batch: number) => StepFigures, maxBatch: number): { batch: number; figures: StepFigures } | undefined {
  const peak = peakFlopsFor(d.acc, d.compute).flops;
  const bw = d.acc.memoryBandwidthBytesPerSecond;
  const perSequenceSeconds = (peak > 0 ? one.flops / peak : 0) - one.kvBytes / bw;
  if (!(perSequenceSeconds > 0) || !(bw > 0)) return undefined;
  let batch = 1;
  let figures = one;
  for (let i = 0; i < 8; i++) {
    const next = Math.min(maxBatch, Math.max(1, Math.floor(figures.weightBytes / bw / perSequenceSeconds) + 1));
    if (next === batch) break;
    batch = next;
    figures = step(batch);
  }
  return batch > 1 ? { batch, figures } : undefined;
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

// ---- per-operator decode: the decode step's bytes and FLOPs split by operator -------------------------------
// One accounting: the weights come group by group from the engine's own per-rank sizing (`groupBytesPerRank`,
// `matmulFlopsPerTokenPerRank`, the per-rank weight table for the layer-less groups), the caches from `decodeLayerCache`,
// both exactly as `decodeStep` reads them. So the operators of all layers plus the embedding and the LM head sum
// to the decode step's bytes and FLOPs, for every model: MLA projections, vocabularies padded under TP, sliding
// windows capped, recurrent states, routed experts and per-group quantization included.

/** Labels of the per-operator decode points (stable: the panel, its CSV and the tests look them up). */
export const DECODE_OPERATOR_LABELS = {
  qkv: 'QKV projection',
  attention: 'Attention (KV read)',
  output: 'Output projection',
  mlp: 'MLP',
  moe: 'MoE experts',
  lmHead: 'LM head',
  recurrentState: 'Linear attention / SSM state',
  embedding: 'Embedding',
} as const;

export type DecodeOperator = keyof typeof DECODE_OPERATOR_LABELS;

/**
 * The operators in the order a token meets them:
 * - `embedding`: one row per sequence of each embedding table (no FLOPs);
 * - `qkv`: the mixer's input side, every weight of an attention or recurrent mixer but its output projection: fused
 *   QKV, MLA's q/kv down- and up-projections (q_lora_rank, kv_lora_rank + qk_rope_head_dim, heads × (qk_nope +
 *   v_head_dim)) and their norms, sparse-attention indexers and compressors, linear attention's q/k/v/gate
 *   projections and convolutions, Mamba's in_proj/x_proj/dt_proj; with the layer's own norms;
 * - `attention`: the KV cache read (the tokens each layer keeps: sliding windows and chunks capped, MLA latents,
 *   compressed entries) and its 4 FLOPs per (head dim × query head × cached token);
 * - `recurrentState`: a linear-attention or SSM layer's fixed state, read and written back (no FLOPs counted);
 * - `output`: the projection back into the hidden size (o_proj, out_proj; DeepSeek-V4's grouped wo_a and wo_b, an
 *   MLA output gate);
 * - `mlp`: dense MLPs and shared experts; `moe`: the router and the routed experts a batch touches;
 * - `lmHead`: the final norm and the LM head (or the tied embedding doubling as it).
 */
export const DECODE_OPERATOR_ORDER: readonly DecodeOperator[] = ['embedding', 'qkv', 'attention', 'recurrentState', 'output', 'mlp', 'moe', 'lmHead'];

/** What one operator reads and computes in one decode step on one rank. */
export interface DecodeOperatorFigures {
  /** Weight bytes read (routed experts: those the batch touches; embedding tables: the rows of the batch). */
  weightBytes: number;
  /** KV-cache bytes read, or recurrent-state bytes read and written back. */
  cacheBytes: number;
  flops: number;
}

export type DecodeOperatorTable = Record<DecodeOperator, DecodeOperatorFigures>;

/** A decode step split by operator, on one tensor-parallel rank (summed over pipeline stages, as `decodeStep` is). */
export interface DecodeOperatorBreakdown {
  batch: number;
  context: number;
  /** Each decoder layer's operators (index = layer). */
  layers: DecodeOperatorTable[];
  /** The weights outside the decoder layers: embedding rows, final norm and LM head. */
  outside: DecodeOperatorTable;
  /** The whole model: every layer and the outside weights. Σ bytes = `decodeStep(...).bytes`, Σ flops = its flops. */
  total: DecodeOperatorTable;
}

function emptyOperatorTable(): DecodeOperatorTable {
  const t = {} as DecodeOperatorTable;
  for (const k of DECODE_OPERATOR_ORDER) t[k] = { weightBytes: 0, cacheBytes: 0, flops: 0 };
  return t;
}

/** Bytes one operator moves: weights and cache. */
export function operatorBytes(f: DecodeOperatorFigures): number {
  return f.weightBytes + f.cacheBytes;
}

/** Σ bytes and Σ FLOPs of a table. */
export function operatorTableSums(t: DecodeOperatorTable): { bytes: number; weightBytes: number; cacheBytes: number; flops: number } {
  let weightBytes = 0, cacheBytes = 0, flops = 0;
  for (const k of DECODE_OPERATOR_ORDER) { weightBytes += t[k].weightBytes; cacheBytes += t[k].cacheBytes; flops += t[k].flops; }
  return { bytes: weightBytes + cacheBytes, weightBytes, cacheBytes, flops };
}

const isMixerMatrix = (g: WeightGroup): boolean => (g.role === 'attention' || g.role === 'mamba') && g.shape !== undefined;

/** The operator of each layered weight group (undefined: not read by a decode step, or outside the layers). */
const groupOperatorMemo = new WeakMap<ModelDescription, Array<DecodeOperator | undefined>>();

function groupOperators(model: ModelDescription): Array<DecodeOperator | undefined> {
  return memoized(groupOperatorMemo, model, () => {
    const groups = model.weights;
    const h = model.hiddenSize;
    // A layer's output projection is its last mixer matrix back into the hidden size, with the matrices right before
    // it that feed it (DeepSeek-V4's grouped wo_a; an MLA output gate, multiplied into what o_proj reads).
    const lastOutput = new Map<number, number>();
    groups.forEach((g, i) => { if (g.layer !== undefined && isMixerMatrix(g) && g.shape!.output === h) lastOutput.set(g.layer, i); });
    const output = new Set<number>();
    for (const [layer, last] of lastOutput) {
      output.add(last);
      let into = groups[last].shape!.input;
      for (let j = last - 1; j >= 0; j--) {
        const g = groups[j];
        if (g.layer !== layer || !isMixerMatrix(g) || g.shape!.output !== into) break;
        output.add(j);
        into = g.shape!.input;
      }
    }
    const ops: Array<DecodeOperator | undefined> = new Array(groups.length);
    groups.forEach((g, i) => {
      if (g.layer === undefined || g.role === 'vision') return;
      if (isRowTable(g)) { ops[i] = 'embedding'; return; }
      const layer = model.layers[g.layer];
      const mixerSide: DecodeOperator = layer?.attention || layer?.mamba ? 'qkv' : layer?.moe ? 'moe' : 'mlp';
      switch (g.role) {
        // A bias is pushed right after its matrix (normalize.ts `pushLinear`).
        case 'bias': ops[i] = i > 0 && groups[i - 1].layer === g.layer ? ops[i - 1] ?? mixerSide : mixerSide; break;
        case 'attention': case 'mamba': ops[i] = output.has(i) ? 'output' : 'qkv'; break;
        case 'mlp': case 'shared-expert': ops[i] = 'mlp'; break;
        case 'expert': case 'router': ops[i] = 'moe'; break;
        case 'lm-head': ops[i] = 'lmHead'; break;
        default: ops[i] = mixerSide; // norms and scales of the layer
      }
    });
    return ops;
  });
}

/**
 * The decode step of `decodeStep(d, batch, context)` split by operator and by layer, on one rank.
 *
 * Example: Llama-3.1-8B in bf16 at TP 1, batch 1, context 8,192: each of 32 layers reads 2·4096·(32+2·8)·128 =
 * 50.3 MB of QKV weights plus 16 KB of norms, 8,192 × 4,096 = 33.6 MB of KV, 33.6 MB of output projection and
 * 352 MB of MLP; outside them one 8 KB embedding row and the 1.05 GB LM head.
 */
export function decodeOperators(d: DecodeInputs, batch: number, context: number): DecodeOperatorBreakdown {
  const { model, plan } = d;
  const tp = d.par.tp;
  const n = Math.max(0, model.numLayers);
  const layers = Array.from({ length: n }, emptyOperatorTable);
  const outside = emptyOperatorTable();
  const ops = groupOperators(model);
  const placement = { tp, pp: 1, stage: 0 };
  model.weights.forEach((g, i) => {
    const op = ops[i];
    if (op === undefined || !(g.layer! >= 0 && g.layer! < n)) return; // layer-less, vision, or on no pipeline stage
    const bytes = groupBytesPerRank(model, g, plan, placement);
    const moe = g.role === 'expert' ? model.layers[g.layer!]?.moe : undefined;
    const read = op === 'embedding' ? bytes * Math.min(1, batch / (g.shape?.input ?? model.vocabSize))
      : moe ? bytes * (distinctExpertsTouched(moe.experts, moe.expertsPerToken, batch) / moe.experts) : bytes;
    const flops = op === 'embedding' ? 0 : batch * matmulFlopsPerTokenPerRank(g, moe, tp);
    forEachCopy(g, n, (l) => {
      const f = layers[l][op];
      f.weightBytes += read;
      f.flops += flops;
    });
  });
  for (let i = 0; i < Math.min(n, model.layers.length); i++) {
    const c = decodeLayerCache(d, model.layers[i], batch, context);
    layers[i].attention.cacheBytes += c.kvBytes;
    layers[i].attention.flops += c.attentionFlops;
    layers[i].recurrentState.cacheBytes += c.stateBytes;
  }
  // Outside the layers, the engine's per-rank table: its embedding rows, last-stage groups and tied head.
  const table = rankWeightTable(model, plan, tp);
  for (const t of table.rowTables) if (t.layer === undefined) outside.embedding.weightBytes += t.bytes * Math.min(1, batch / t.rows);
  outside.lmHead.weightBytes += table.lastStageFullBytes;
  outside.lmHead.flops += batch * table.lastStageMatmulFlopsPerToken;
  if (table.tiedHeadBytes !== undefined) {
    outside.lmHead.weightBytes += table.tiedHeadBytes;
    outside.lmHead.flops += (batch * 2 * model.vocabSize * model.hiddenSize) / tp;
  }
  const total = emptyOperatorTable();
  for (const t of [...layers, outside]) {
    for (const k of DECODE_OPERATOR_ORDER) {
      total[k].weightBytes += t[k].weightBytes;
      total[k].cacheBytes += t[k].cacheBytes;
      total[k].flops += t[k].flops;
    }
  }
  return { batch, context, layers, outside, total };
}

/**
 * Roofline points of a table's operators (those that move bytes or do FLOPs), in `DECODE_OPERATOR_ORDER`, placed
 * on `roof` as `rooflinePoint` places the decode step: intensity and time of one rank, FLOPs and bytes of `ranks`.
 */
export function operatorRooflinePoints(table: DecodeOperatorTable, roof: Roof, ranks = 1): RooflinePoint[] {
  if (!(roof.peakFlopsPerSecond > 0 && roof.bandwidthBytesPerSecond > 0)) return [];
  const points: RooflinePoint[] = [];
  for (const k of DECODE_OPERATOR_ORDER) {
    const f = table[k];
    const bytes = operatorBytes(f);
    if (!(bytes > 0 || f.flops > 0)) continue;
    const p = rooflinePointOf(DECODE_OPERATOR_LABELS[k], f.flops, bytes, roof);
    points.push({ ...p, flops: p.flops * ranks, bytes: p.bytes * ranks });
  }
  return points;
}

/** The inputs each report's decode figures came from (set by `computeBudget`), for its operator breakdown. */
const decodeInputsOfReports = new WeakMap<BudgetReport, DecodeInputs>();

/** Remembers what a report's decode step was computed from, so that its operator breakdown reads the same inputs. */
export function rememberDecodeInputs(report: BudgetReport, d: DecodeInputs): void {
  decodeInputsOfReports.set(report, d);
}

/** The operator breakdown of a report's decode step (its batch and context); undefined for a report not from `computeBudget`. */
export function decodeOperatorsOfReport(report: BudgetReport): DecodeOperatorBreakdown | undefined {
  const d = decodeInputsOfReports.get(report);
  return d ? decodeOperators(d, report.decode.batch, report.decode.context) : undefined;
}

/**
 * The whole model's per-operator decode points of a report, placed like its decode point (`report.roofline.decode`:
 * FLOPs and bytes of all tensor-parallel ranks, whose sums they are). Empty when the report has no breakdown.
 */
export function decodeOperatorPointsOfReport(report: BudgetReport): RooflinePoint[] {
  const breakdown = decodeOperatorsOfReport(report);
  if (!breakdown) return [];
  return operatorRooflinePoints(breakdown.total, {
    peakFlopsPerSecond: report.roofline.peakFlopsPerSecond,
    bandwidthBytesPerSecond: report.roofline.memoryBandwidthBytesPerSecond,
  }, report.settings.tensorParallel);
}

/** Stored bytes per weight parameter of a weight dtype the engine reports (`bfloat16`, `fp8`, `int4`, `mxfp4`, ...). */
export function weightBytesPerParameter(weightDtype: string): number {
  const scheme = schemeFromName(weightDtype);
  if (scheme) return scheme.bitsPerWeight / 8;
  const int = /^int(\d)$/.exec(weightDtype);
  if (int) return Number(int[1]) / 8;
  return dtypeBytes(weightDtype);
}
