// Parameter counts and stored weight bytes, whole model and per GPU rank under tensor/pipeline parallelism.

import { ModelDescription, WeightGroup, sumParams } from './model';
import { QuantScheme, dtypeBytes } from './quantization';

/** vLLM pads vocabulary-parallel embeddings and heads to a multiple of 64 rows. */
export const VOCAB_PADDING = 64;

export interface WeightPlan {
  /** Unquantized dtype of the checkpoint or `--dtype` (bytes per element of groups a quantizer leaves alone). */
  baseDtypeBytes: number;
  scheme?: QuantScheme;
}

export function parametersTotal(model: ModelDescription): number {
  return sumParams(model.weights);
}

/**
 * Parameters that take part in producing one token: routed experts scaled by top-k / experts,
 * the input embedding table and the vision tower left out (one embedding row is read per token).
 * This is how model cards state "active" parameters (gpt-oss 5.1B, Qwen3-30B-A3B 3B, DeepSeek-V3 37B).
 */
export function parametersActive(model: ModelDescription): number {
  let active = 0;
  for (const g of model.weights) {
    if (g.role === 'embedding' || g.role === 'vision' || g.role === 'position-embedding') continue;
    active += g.role === 'expert' ? g.params * expertFraction(model, g) : g.params;
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
  if (s && s.converts(g)) return (g.params * (g.role === 'expert' && s.expertBitsPerWeight ? s.expertBitsPerWeight : s.bitsPerWeight)) / 8;
  if (s?.gguf && (g.role === 'norm' || g.role === 'bias')) return g.params * 4;
  return g.params * plan.baseDtypeBytes;
}

export function totalWeightBytes(model: ModelDescription, plan: WeightPlan): number {
  let bytes = 0;
  for (const g of model.weights) bytes += groupBytes(g, plan);
  return bytes;
}

/** vLLM's even split of layers across pipeline stages: extra layers go to the stages before the last. */
export function pipelineLayerRanges(numLayers: number, pp: number): Array<{ start: number; end: number }> {
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
  /** Pad quantized MoE expert matrices as vLLM's MXFP4 kernels do (multiples of 256). */
  mxfp4ExpertPadding?: boolean;
}

/** Whether a group lives on the given pipeline stage (of `stages` from pipelineLayerRanges). */
export function groupOnStage(g: WeightGroup, stage: number, stages: ReadonlyArray<{ start: number; end: number }>): boolean {
  const range = stages[Math.min(stage, stages.length - 1)];
  if (g.layer !== undefined) return g.layer >= range.start && g.layer < range.end;
  if (g.role === 'embedding' || g.role === 'position-embedding' || g.role === 'vision') return stage === 0;
  // Final norm and LM head (or the tied embedding reused as head) live on the last stage.
  return stage === stages.length - 1;
}

const padTo = (n: number, multiple: number): number => Math.ceil(n / multiple) * multiple;

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
      const hidden = padTo(g.shape.input, 256);
      const width = padTo(Math.ceil(moe.expertIntermediate / tp), 256);
      const perExpert = hidden * 2 * width + width * hidden;
      return (moe.experts * perExpert * plan.scheme.bitsPerWeight) / 8;
    }
  }
  return groupBytes(g, plan) / tp;
}

/** Stored weight bytes on one rank (TP shard of the layers of its pipeline stage). */
export function weightBytesPerRank(model: ModelDescription, plan: WeightPlan, placement: RankPlacement): number {
  const stages = pipelineLayerRanges(model.numLayers, placement.pp);
  let bytes = 0;
  for (const g of model.weights) {
    if (!groupOnStage(g, placement.stage, stages)) continue;
    bytes += groupBytesPerRank(model, g, plan, placement);
  }
  // Tied embeddings: the last stage needs the table as its head when it is not also the first.
  if (model.tieWordEmbeddings && placement.pp > 1 && placement.stage === placement.pp - 1 && placement.stage !== 0) {
    const emb = model.weights.find((g) => g.role === 'embedding');
    if (emb) bytes += groupBytesPerRank(model, emb, plan, placement);
  }
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
