// Decode and prefill ceilings from bytes moved and FLOPs done, and the roofline they sit on.

import { Accelerator, BoundRegime, RooflinePoint } from './types';
import { LayerDescription, ModelDescription, WeightGroup } from './model';
import { layerKvBytesPerToken, tokensHeld } from './kvcache';
import { ComputeDtype } from './quantization';
import { WeightPlan, groupBytesPerRank, groupOnStage, pipelineLayerRanges } from './weights';

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

/** Bytes of weights one decode step reads on one rank of one stage. */
function weightBytesTouched(model: ModelDescription, plan: WeightPlan, par: ParallelPlan, stages: StageRanges, stage: number, batch: number): number {
  let bytes = 0;
  for (const g of model.weights) {
    if (!groupOnStage(g, stage, stages)) continue;
    const full = groupBytesPerRank(model, g, plan, { tp: par.tp, pp: par.pp, stage });
    bytes += full * touchedFraction(model, g, batch);
  }
  // A tied embedding doubles as the LM head and is read in full on the last stage.
  if (model.tieWordEmbeddings && stage === stages.length - 1) {
    const emb = model.weights.find((g) => g.role === 'embedding');
    if (emb) bytes += groupBytesPerRank(model, emb, plan, { tp: par.tp, pp: par.pp, stage });
  }
  return bytes;
}

function touchedFraction(model: ModelDescription, g: WeightGroup, batch: number): number {
  if (g.role === 'vision') return 0;
  if (g.role === 'embedding' || g.role === 'position-embedding') {
    // Decode reads one row per sequence, not the table.
    const rows = g.shape?.input ?? model.vocabSize;
    return Math.min(1, batch / rows);
  }
  if (g.role === 'expert') {
    const moe = g.layer !== undefined ? model.layers[g.layer]?.moe : undefined;
    if (moe) return distinctExpertsTouched(moe.experts, moe.expertsPerToken, batch) / moe.experts;
  }
  return 1;
}

/** FLOPs of one token through the layers of a stage (matmuls: 2 per active weight), per rank. */
function matmulFlopsPerToken(model: ModelDescription, par: ParallelPlan, stages: StageRanges, stage: number): number {
  let params = 0;
  for (const g of model.weights) {
    if (!groupOnStage(g, stage, stages)) continue;
    if (g.role === 'embedding' || g.role === 'vision' || g.role === 'position-embedding' || g.role === 'norm' || g.role === 'bias') continue;
    const moe = g.role === 'expert' && g.layer !== undefined ? model.layers[g.layer]?.moe : undefined;
    params += moe ? g.params * (moe.expertsPerToken / moe.experts) : g.params;
  }
  if (model.tieWordEmbeddings && stage === stages.length - 1) {
    params += model.vocabSize * model.hiddenSize;
  }
  return (2 * params) / par.tp;
}

/** Attention FLOPs for one query token against `context` cached tokens in one layer (QK and AV). */
function attentionFlops(layer: LayerDescription, context: number, tp: number): number {
  const a = layer.attention;
  if (!a || layer.crossAttention) return 0;
  const headsPerRank = Math.max(1, a.heads / tp);
  const dim = a.type === 'mla' ? (a.mlaLatentDim ?? a.headDim) : a.headDim;
  return 4 * headsPerRank * dim * tokensHeld(layer, context);
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

/** One decode step for `batch` sequences at `context` tokens each: stages run one after another. */
export function decodeStep(d: DecodeInputs, batch: number, context: number): StepFigures {
  const ranges = pipelineLayerRanges(d.model.numLayers, d.par.pp);
  const peak = peakFlopsFor(d.acc, d.compute).flops;
  const bw = d.acc.memoryBandwidthBytesPerSecond;
  let seconds = 0, bytes = 0, weightBytes = 0, kvBytes = 0, flops = 0;
  let memoryTime = 0, computeTime = 0;
  ranges.forEach((range, stage) => {
    const layers = d.model.layers.slice(range.start, range.end);
    const w = weightBytesTouched(d.model, d.plan, d.par, ranges, stage, batch);
    let kv = 0;
    let attn = 0;
    for (const l of layers) {
      kv += batch * layerKvBytesPerToken(l, d.kvBytes, d.par.tp) * tokensHeld(l, context);
      if (l.mamba) kv += batch * 2 * (l.mamba.stateElements * d.stateDtypeBytes) / d.par.tp;
      attn += batch * attentionFlops(l, context, d.par.tp);
    }
    const f = batch * matmulFlopsPerToken(d.model, d.par, ranges, stage) + attn;
    const tMem = (w + kv) / bw;
    const tCompute = peak > 0 ? f / peak : 0;
    seconds += Math.max(tMem, tCompute);
    memoryTime += tMem;
    computeTime += tCompute;
    bytes += w + kv; weightBytes += w; kvBytes += kv; flops += f;
  });
  return { seconds, bytes, weightBytes, kvBytes, flops, bound: computeTime > memoryTime ? 'compute' : 'memory' };
}

/** Prefill of one prompt of `prompt` tokens (causal attention: half the square). */
export function prefillStep(d: DecodeInputs, prompt: number): StepFigures {
  const ranges = pipelineLayerRanges(d.model.numLayers, d.par.pp);
  const peak = peakFlopsFor(d.acc, d.compute).flops;
  const bw = d.acc.memoryBandwidthBytesPerSecond;
  let seconds = 0, bytes = 0, weightBytes = 0, kvBytes = 0, flops = 0, memoryTime = 0, computeTime = 0;
  ranges.forEach((range, stage) => {
    const layers = d.model.layers.slice(range.start, range.end);
    const w = weightBytesTouched(d.model, d.plan, d.par, ranges, stage, prompt);
    let kv = 0;
    let attn = 0;
    for (const l of layers) {
      kv += prompt * layerKvBytesPerToken(l, d.kvBytes, d.par.tp);
      // Sum over positions of attended tokens: ~prompt^2 / 2 (capped by sliding windows).
      const attended = l.attention && l.attention.window && (l.attention.type === 'sliding' || l.attention.type === 'chunked')
        ? prompt * Math.min(l.attention.window, prompt / 2) : (prompt * prompt) / 2;
      if (l.attention && !l.crossAttention) {
        const a = l.attention;
        const dim = a.type === 'mla' ? (a.mlaLatentDim ?? a.headDim) : a.headDim;
        attn += 4 * Math.max(1, a.heads / d.par.tp) * dim * attended;
      }
    }
    const f = prompt * matmulFlopsPerToken(d.model, d.par, ranges, stage) + attn;
    const tMem = (w + kv) / bw;
    const tCompute = peak > 0 ? f / peak : 0;
    seconds += Math.max(tMem, tCompute);
    memoryTime += tMem; computeTime += tCompute;
    bytes += w + kv; weightBytes += w; kvBytes += kv; flops += f;
  });
  return { seconds, bytes, weightBytes, kvBytes, flops, bound: computeTime > memoryTime ? 'compute' : 'memory' };
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
