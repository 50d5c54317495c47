// Parameter counts and stored weight bytes, whole model and per GPU rank under tensor/pipeline parallelism.

import { ModelDescription, MoeLayer, WeightGroup, forEachCopy, layerSpanOf, sumParams } from './model';
import { memoized } from './memo';
import { QuantScheme, dtypeBytes } from './quantization';

/** vLLM pads vocabulary-parallel embeddings and heads to a multiple of 64 rows. */
export const VOCAB_PADDING = 64;

export interface WeightPlan {
  /** Unquantized dtype of the checkpoint or `--dtype` (bytes per element of groups a quantizer leaves alone). */
  baseDtypeBytes: number;
  scheme?: QuantScheme;
}

export function parametersTotal(model: ModelDescription): number {
  return parameterCounts(model).total;
}

/** Totals per model object: every budget of a model reports them. */
const parameterCountsMemo = new WeakMap<ModelDescription, { total: number; active: number }>();

function parameterCounts(model: ModelDescription): { total: number; active: number } {
  return memoized(parameterCountsMemo, model, () => ({ total: sumParams(model.weights), active: countActive(model) }));
}

/**
 * Parameters that take part in producing one token: routed experts scaled by top-k / experts,
 * the input embedding table and the vision tower left out (one embedding row is read per token).
 * This is how model cards state "active" parameters (gpt-oss 5.1B, Qwen3-30B-A3B 3B, DeepSeek-V3 37B).
 */
export function parametersActive(model: ModelDescription): number {
  return parameterCounts(model).active;
}

function countActive(model: ModelDescription): number {
  let active = 0;
  for (const g of model.weights) {
    if (g.role === 'embedding' || g.role === 'vision' || g.role === 'position-embedding') continue;
    active += (g.role === 'expert' ? g.params * expertFraction(model, g) : g.params) * layerSpanOf(g);
  }
  return active;
}

function expertFraction(model: ModelDescription, g: WeightGroup): number {
  const moe = g.layer !== undefined ? model.layers[g.layer]?.moe : undefined;
  return moe ? moe.expertsPerToken / moe.experts : 1;
}

/** Bytes one group takes when stored. */
export function groupBytes(g: WeightGroup, plan: WeightPlan): number {
  const s = plan.scheme;
  if (s && s.converts(g)) return (g.params * (s.bitsOf?.(g) ?? (g.role === 'expert' && s.expertBitsPerWeight ? s.expertBitsPerWeight : s.bitsPerWeight))) / 8;
  if (s?.gguf && (g.role === 'norm' || g.role === 'bias')) return g.params * 4;
  return g.params * plan.baseDtypeBytes;
}

export function totalWeightBytes(model: ModelDescription, plan: WeightPlan): number {
  return rankWeightTable(model, plan, 1).totalBytes;
}

/** Stage ranges per (layers, pipeline size): every sizing, decode and prefill step of every deployment asks. Frozen. */
const stageRanges = new Map<number, ReadonlyArray<Readonly<{ start: number; end: number }>>>();

/** vLLM's even split of layers across pipeline stages: extra layers go to the stages before the last. */
export function pipelineLayerRanges(numLayers: number, pp: number): ReadonlyArray<Readonly<{ start: number; end: number }>> {
  // One number per pair of whole numbers in range (always, for checked inputs); anything else is worked out each time.
  if (!(Number.isInteger(numLayers) && Number.isInteger(pp) && numLayers >= 0 && pp >= 0 && numLayers < 2 ** 20 && pp < 2 ** 20)) return layerRanges(numLayers, pp);
  return memoized(stageRanges, numLayers * 2 ** 20 + pp, () => Object.freeze(layerRanges(numLayers, pp).map((r) => Object.freeze(r))), 256);
}

function layerRanges(numLayers: number, pp: number): Array<{ start: number; end: number }> {
  const stages = Math.max(1, Math.min(pp, numLayers));
  const base = Math.floor(numLayers / stages);
  const counts = new Array<number>(stages).fill(base);
  const remaining = numLayers % stages;
  for (let i = 2; i < remaining + 2; i++) counts[stages - i] += 1;
  const ranges: Array<{ start: number; end: number }> = [];
  let start = 0;
  for (const c of counts) { ranges.push({ start, end: start + c }); start += c; }
  return ranges;
}

export interface RankPlacement {
  tp: number;
  pp: number;
  /** Pipeline stage of the rank. */
  stage: number;
  /** Pad MXFP4 MoE expert matrices as the GPU's MXFP4 kernel does (see `mxfp4PaddingFor` in the vLLM emulation). */
  mxfp4ExpertPadding?: Mxfp4Padding;
}

const padTo = (n: number, multiple: number): number => Math.ceil(n / multiple) * multiple;

/** Multiples an MXFP4 MoE kernel pads an expert's intermediate width per rank and its hidden size to. */
export interface Mxfp4Padding { intermediate: number; hidden: number }

/** The padding the first release of this emulation applied everywhere (FlashInfer TRTLLM on Blackwell). */
export const MXFP4_PADDING_256: Mxfp4Padding = { intermediate: 256, hidden: 256 };

/** Stored bytes of one group on one tensor-parallel rank. */
export function groupBytesPerRank(model: ModelDescription, g: WeightGroup, plan: WeightPlan, placement: RankPlacement): number {
  const { tp } = placement;
  if (g.tp === 'replicated') return groupBytes(g, plan);
  if (g.tp === 'vocab' && g.shape) {
    const vocab = g.role === 'embedding' ? g.shape.input : g.shape.output;
    const hidden = g.role === 'embedding' ? g.shape.output : g.shape.input;
    const rows = Math.ceil(padTo(vocab, VOCAB_PADDING) / tp);
    return g.params > 0 ? groupBytes(g, plan) * ((rows * hidden) / g.params) : 0;
  }
  if (placement.mxfp4ExpertPadding && g.role === 'expert' && g.shape && plan.scheme?.weightDtype === 'mxfp4' && plan.scheme.converts(g)) {
    const moe = g.layer !== undefined ? model.layers[g.layer]?.moe : undefined;
    if (moe) {
      const pad = placement.mxfp4ExpertPadding;
      const hidden = padTo(g.shape.input, pad.hidden);
      const width = padTo(Math.ceil(moe.expertIntermediate / tp), pad.intermediate);
      const perExpert = hidden * 2 * width + width * hidden;
      return (moe.experts * perExpert * plan.scheme.bitsPerWeight) / 8;
    }
  }
  return groupBytes(g, plan) / tp;
}

/**
 * What each tensor-parallel rank stores, per decoder layer and for the layer-less groups, under one plan and
 * TP size, built from the plan's layer sums; a pipeline stage's share is then a loop over its layers. The vLLM
 * emulation, decode, prefill and the TP suggestion all read it, and a manifest that deploys one model many ways
 * builds it once per (plan, TP) instead of walking hundreds of weight groups per stage per question.
 */
export interface RankWeightTable {
  tp: number;
  /** Stored bytes of the whole model, unsharded (totalWeightBytes). */
  totalBytes: number;
  /** Per decoder layer: bytes as vLLM allocates them (MXFP4 experts padded to its kernel's multiples of 256). */
  allocatedBytes: readonly number[];
  /** Per decoder layer: stored bytes without kernel padding. */
  storedBytes: readonly number[];
  /** Per decoder layer, what a forward step reads: groups read in full (not experts, not vision). */
  fullBytes: readonly number[];
  /** Per decoder layer: routed-expert bytes (of that layer's `moe`), read in part. */
  expertBytes: readonly number[];
  /**
   * Per decoder layer: matmul FLOPs per token on one rank (experts scaled by top-k / experts): split groups divided
   * by TP, replicated groups whole, as every rank computes them in full (`matmulFlopsPerTokenPerRank`).
   */
  matmulFlopsPerToken: readonly number[];
  /** Layer-less groups on the first stage (embeddings, vision tower) and on the last (final norm, LM head). */
  firstStageBytes: number;
  lastStageBytes: number;
  /** Embedding tables, one row per sequence read per step (layer undefined: first stage). */
  rowTables: ReadonlyArray<{ bytes: number; rows: number; layer?: number }>;
  /** Layer-less groups of the last stage as a forward step reads them. */
  lastStageFullBytes: number;
  /** Matmul FLOPs per token on one rank of the last stage's layer-less groups (the LM head), as `matmulFlopsPerToken`. */
  lastStageMatmulFlopsPerToken: number;
  /** The embedding table's bytes per rank when it doubles as the LM head (tie_word_embeddings), else undefined. */
  tiedHeadBytes?: number;
}

/**
 * One model under one plan before tensor parallelism, per decoder layer: bytes every rank keeps whole and bytes
 * split across ranks, by how a forward step reads them, and matmul FLOPs per token. A TP table is then one
 * division per layer. Groups whose share is not a plain division (vocabulary-padded tables, MXFP4 experts with
 * kernel padding) and the layer-less groups are few: they are sized per TP size.
 */
interface PlanLayerSums {
  totalBytes: number;
  storedWhole: number[];
  storedSplit: number[];
  fullWhole: number[];
  fullSplit: number[];
  expertWhole: number[];
  expertSplit: number[];
  /** Matmul FLOPs per token of replicated groups (every rank computes them whole) and of split ones (before TP). */
  matmulFlopsPerTokenWhole: number[];
  matmulFlopsPerTokenSplit: number[];
  sizedPerTp: WeightGroup[];
  /** Σ over groups on a pipeline stage of what TP ranks hold of them together at least (`weightBytesPerRankLowerBound`). */
  atLeastOverRanks: number;
}

/**
 * `n` zeros. Plain arrays, not typed ones: a typed array of more than a few elements costs an allocation outside the
 * heap (and the collector's bookkeeping of it), and a manifest's models build thousands of these small arrays.
 */
const zeros = (n: number): number[] => new Array<number>(n).fill(0);

interface PlanMemo { sums: PlanLayerSums; tables: Map<number | string, RankWeightTable> }

/** The memo key of a plan without a quantization scheme (memos per scheme object are WeakMaps). */
export const NO_SCHEME = {};
/** Per model, per scheme object (budgets resolve one per model and override), per base dtype. */
const planMemos = new WeakMap<ModelDescription, WeakMap<object, Map<number, PlanMemo>>>();
const TABLES_PER_PLAN = 64;

/** The memo each plan object was last asked for with a model: a budget asks for its plan's tables several times. */
const planMemoOfPlan = new WeakMap<WeightPlan, { model: ModelDescription; memo: PlanMemo }>();

function planMemo(model: ModelDescription, plan: WeightPlan): PlanMemo {
  const known = planMemoOfPlan.get(plan);
  if (known !== undefined && known.model === model) return known.memo;
  const byScheme = memoized(planMemos, model, () => new WeakMap<object, Map<number, PlanMemo>>());
  const byDtype = memoized(byScheme, plan.scheme ?? NO_SCHEME, () => new Map<number, PlanMemo>());
  const memo = memoized(byDtype, plan.baseDtypeBytes, () => ({ sums: planLayerSums(model, plan), tables: new Map() }));
  planMemoOfPlan.set(plan, { model, memo });
  return memo;
}

const small = (x: number): boolean => Number.isInteger(x) && x >= 0 && x < 4096;

export function rankWeightTable(model: ModelDescription, plan: WeightPlan, tp: number, kernelPadding: Mxfp4Padding = MXFP4_PADDING_256): RankWeightTable {
  const memo = planMemo(model, plan);
  // The padding only changes MXFP4 experts (`groupBytesPerRank`): under any other plan every padding gives the same
  // table, built once.
  const padding = plan.scheme?.weightDtype === 'mxfp4' ? kernelPadding : MXFP4_PADDING_256;
  // A number for the usual small whole values (no string built per call: this is asked for every stage of every sizing).
  const key = small(tp) && small(padding.intermediate) && small(padding.hidden)
    ? (tp * 4096 + padding.intermediate) * 4096 + padding.hidden
    : `${tp}|${padding.intermediate}|${padding.hidden}`;
  return memoized(memo.tables, key, () => buildRankWeightTable(model, plan, memo.sums, tp, padding), TABLES_PER_PLAN);
}

/** Embedding tables: a step reads one row per sequence, no matmul. */
export const isRowTable = (g: WeightGroup): boolean => g.role === 'embedding' || g.role === 'position-embedding';
/** Matmul FLOPs one token does with a group on one unsplit copy: 2 per weight; routed experts scaled by top-k / experts. */
export const matmulFlopsPerToken = (g: WeightGroup, moe: MoeLayer | undefined): number =>
  isRowTable(g) || g.role === 'norm' || g.role === 'bias' ? 0 : 2 * (moe ? g.params * (moe.expertsPerToken / moe.experts) : g.params);

/**
 * Matmul FLOPs one token does with a group on one tensor-parallel rank. A replicated matrix is computed in full on
 * every rank, so its FLOPs are not divided: vLLM builds MLA's q_a_proj and kv_a_proj_with_mqa, the sparse-attention
 * indexer's wq_b and the MoE gate as `ReplicatedLinear` (or a linear with `disable_tp`), whose forward multiplies the
 * whole weight on each rank (vllm/model_executor/models/deepseek_v2.py, DeepseekV2Attention, Indexer, DeepseekV2MoE;
 * vLLM main at 002d6073). Split groups (column/row parallel, vocabulary parallel) do 1 / TP of the work each.
 */
export const matmulFlopsPerTokenPerRank = (g: WeightGroup, moe: MoeLayer | undefined, tp: number): number =>
  g.tp === 'replicated' ? matmulFlopsPerToken(g, moe) : matmulFlopsPerToken(g, moe) / tp;

function planLayerSums(model: ModelDescription, plan: WeightPlan): PlanLayerSums {
  const n = Math.max(0, model.numLayers);
  const sums: PlanLayerSums = {
    totalBytes: 0, storedWhole: zeros(n), storedSplit: zeros(n), fullWhole: zeros(n), fullSplit: zeros(n), expertWhole: zeros(n),
    expertSplit: zeros(n), matmulFlopsPerTokenWhole: zeros(n), matmulFlopsPerTokenSplit: zeros(n), sizedPerTp: [], atLeastOverRanks: 0,
  };
  const mxfp4 = plan.scheme?.weightDtype === 'mxfp4';
  for (const g of model.weights) {
    const bytes = groupBytes(g, plan);
    const span = layerSpanOf(g);
    sums.totalBytes += bytes * span;
    const layer = g.layer;
    // TP ranks hold a group's bytes between them at least once (replicated ones once each, vocabulary rows padded
    // up); MXFP4 experts, padded by their kernel's own rule, are left out, and so are groups on no stage.
    if (layer === undefined || (layer >= 0 && layer < n)) {
      if (g.tp === 'vocab' && g.shape) sums.atLeastOverRanks += g.params > 0 ? bytes * span * Math.min(1, (g.shape.input * g.shape.output) / g.params) : 0;
      else if (!(mxfp4 && g.role === 'expert')) sums.atLeastOverRanks += bytes * span;
    }
    if (layer === undefined || g.tp === 'vocab' || (mxfp4 && g.role === 'expert') || isRowTable(g) || g.role === 'vision') {
      sums.sizedPerTp.push(g);
      continue;
    }
    if (!(layer >= 0 && layer < n)) continue; // on no pipeline stage
    const whole = g.tp === 'replicated';
    const moe = g.role === 'expert' ? model.layers[layer]?.moe : undefined;
    const stored = whole ? sums.storedWhole : sums.storedSplit;
    const read = moe ? (whole ? sums.expertWhole : sums.expertSplit) : (whole ? sums.fullWhole : sums.fullSplit);
    const flopsPerLayer = whole ? sums.matmulFlopsPerTokenWhole : sums.matmulFlopsPerTokenSplit;
    const flops = matmulFlopsPerToken(g, moe);
    forEachCopy(g, n, (l) => {
      stored[l] += bytes;
      read[l] += bytes;
      flopsPerLayer[l] += flops;
    });
  }
  return sums;
}

function buildRankWeightTable(model: ModelDescription, plan: WeightPlan, sums: PlanLayerSums, tp: number, padding: Mxfp4Padding): RankWeightTable {
  const n = Math.max(0, model.numLayers);
  const t = {
    tp, totalBytes: sums.totalBytes, allocatedBytes: zeros(n), storedBytes: zeros(n), fullBytes: zeros(n), expertBytes: zeros(n), matmulFlopsPerToken: zeros(n),
    firstStageBytes: 0, lastStageBytes: 0, rowTables: [] as Array<{ bytes: number; rows: number; layer?: number }>,
    lastStageFullBytes: 0, lastStageMatmulFlopsPerToken: 0, tiedHeadBytes: undefined as number | undefined,
  };
  for (let i = 0; i < n; i++) {
    t.storedBytes[i] = t.allocatedBytes[i] = sums.storedWhole[i] + sums.storedSplit[i] / tp;
    t.fullBytes[i] = sums.fullWhole[i] + sums.fullSplit[i] / tp;
    t.expertBytes[i] = sums.expertWhole[i] + sums.expertSplit[i] / tp;
    t.matmulFlopsPerToken[i] = sums.matmulFlopsPerTokenWhole[i] + sums.matmulFlopsPerTokenSplit[i] / tp;
  }
  const stored = { tp, pp: 1, stage: 0 };
  const allocated = { tp, pp: 1, stage: 0, mxfp4ExpertPadding: padding };
  for (const g of sums.sizedPerTp) {
    const layered = g.layer !== undefined;
    if (layered && !(g.layer! >= 0 && g.layer! < n)) continue; // on no pipeline stage
    const bytes = groupBytesPerRank(model, g, plan, stored);
    const moe = g.role === 'expert' && layered ? model.layers[g.layer!]?.moe : undefined;
    const flops = g.role === 'vision' ? 0 : matmulFlopsPerTokenPerRank(g, moe, tp);
    if (layered) {
      // Only MXFP4 experts are padded: other groups allocate what they store.
      const allocatedBytes = g.role === 'expert' ? groupBytesPerRank(model, g, plan, allocated) : bytes;
      forEachCopy(g, n, (l) => {
        t.allocatedBytes[l] += allocatedBytes;
        t.storedBytes[l] += bytes;
        // What a forward step reads and computes (the vision tower runs on images, not per token).
        if (g.role === 'vision') return;
        if (isRowTable(g)) t.rowTables.push({ bytes, rows: g.shape?.input ?? model.vocabSize, layer: l });
        else if (moe) t.expertBytes[l] += bytes;
        else t.fullBytes[l] += bytes;
        t.matmulFlopsPerToken[l] += flops;
      });
      continue;
    }
    if (isRowTable(g) || g.role === 'vision') t.firstStageBytes += bytes;
    else t.lastStageBytes += bytes;
    if (g.role === 'vision') continue;
    if (isRowTable(g)) t.rowTables.push({ bytes, rows: g.shape?.input ?? model.vocabSize, layer: undefined });
    else t.lastStageFullBytes += bytes;
    t.lastStageMatmulFlopsPerToken += flops;
  }
  const emb = model.tieWordEmbeddings ? model.weights.find((g) => g.role === 'embedding') : undefined;
  if (emb) t.tiedHeadBytes = groupBytesPerRank(model, emb, plan, stored);
  return t;
}

/**
 * A lower bound on the largest `weightBytesPerRank` (with kernel padding or without) over the pipeline stages at TP
 * `tp`, without building that TP size's table: the ranks of all stages together hold at least `atLeastOverRanks` /
 * `tp` each, so the fullest stage at least that over the number of stages. The TP suggestion rules out TP sizes by it.
 * Example: 140 GB of bf16 weights at TP 1 over one stage: at least 140 GB on the rank, more than an 80 GB GPU holds.
 */
export function weightBytesPerRankLowerBound(model: ModelDescription, plan: WeightPlan, tp: number, pp: number): number {
  const stages = pipelineLayerRanges(model.numLayers, pp).length;
  return planMemo(model, plan).sums.atLeastOverRanks / Math.max(1, tp) / Math.max(1, stages);
}

/** Stored weight bytes on one rank (TP shard of the layers of its pipeline stage). */
export function weightBytesPerRank(model: ModelDescription, plan: WeightPlan, placement: RankPlacement): number {
  const table = rankWeightTable(model, plan, placement.tp, placement.mxfp4ExpertPadding);
  const stages = pipelineLayerRanges(model.numLayers, placement.pp);
  const range = stages[Math.min(placement.stage, stages.length - 1)];
  const perLayer = placement.mxfp4ExpertPadding ? table.allocatedBytes : table.storedBytes;
  let bytes = 0;
  for (let i = range.start; i < range.end; i++) bytes += perLayer[i];
  if (placement.stage === 0) bytes += table.firstStageBytes;
  if (placement.stage === stages.length - 1) bytes += table.lastStageBytes;
  // Tied embeddings: the last stage needs the table as its head when it is not also the first.
  if (placement.pp > 1 && placement.stage === placement.pp - 1 && placement.stage !== 0) bytes += table.tiedHeadBytes ?? 0;
  return bytes;
}

/** Rotary cos/sin tables vLLM keeps on every rank, in the activation dtype. */
export function rotaryCacheBytes(model: ModelDescription, activationDtypeBytes: number): number {
  let bytes = 0;
  for (const c of model.rotaryCaches) bytes += c.positions * c.rotaryDim * activationDtypeBytes;
  return bytes;
}

export function checkpointDtypeBytes(model: ModelDescription): number {
  return dtypeBytes(model.torchDtype);
}
