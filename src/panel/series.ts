// Pure functions turning engine figures into chart series for the roofline panel.
// No vscode import, no DOM, no I/O: used by the host (to build PanelState) and by the webview.

import type { Accelerator, BoundRegime } from '../core/types';
import type { GpuPanelData, PanelPoint } from './messages';

/** A point of a roof: attainable FLOP/s at an arithmetic intensity. */
export interface RoofPoint {
  /** FLOPs per byte. */
  intensity: number;
  /** min(peak, intensity · bandwidth). */
  flopsPerSecond: number;
}

/** The two figures a roofline needs. */
export interface RooflineHardware {
  peakFlopsPerSecond: number;
  bandwidthBytesPerSecond: number;
}

/**
 * Shapes of one decoder layer (plus the LM head), on ONE rank: pass heads, kvHeads,
 * intermediate, vocab already divided by tensor parallelism (see `shardLayerShapes`).
 */
export interface LayerShapes {
  /** Hidden size h. */
  hidden: number;
  /** Query heads H. */
  heads: number;
  /** KV heads Hkv. */
  kvHeads: number;
  /** Head dimension d. */
  headDim: number;
  /** Dense MLP intermediate size I (gated: gate, up and down projections). */
  intermediate: number;
  /** Vocabulary size V. */
  vocab: number;
  /** Routed experts E (MoE layers only). */
  experts?: number;
  /** Experts per token k (MoE layers only). */
  expertsPerToken?: number;
  /** Intermediate size of one expert (MoE layers only; defaults to `intermediate`). */
  moeIntermediate?: number;
  /** Stored bytes per weight parameter (2 for bf16, 1 for fp8, 0.5 for int4, ...). */
  weightBytesPerParam: number;
  /** Bytes per KV-cache element (2 for bf16, 1 for fp8). */
  kvBytesPerElement: number;
}

/** A roofline point computed here, ready for `PanelPoint`. */
export type OperatorPoint = PanelPoint;

function assertPositive(name: string, x: number): void {
  if (!(typeof x === 'number' && Number.isFinite(x) && x > 0)) {
    throw new RangeError(`${name} must be a finite number > 0 (got ${x})`);
  }
}

function assertNonNegative(name: string, x: number): void {
  if (!(typeof x === 'number' && Number.isFinite(x) && x >= 0)) {
    throw new RangeError(`${name} must be a finite number ≥ 0 (got ${x})`);
  }
}

/** Ridge point of a roof: the intensity where the bandwidth slope meets the compute roof. */
export function ridgePoint(bandwidth: number, peak: number): number {
  assertPositive('bandwidth', bandwidth);
  assertPositive('peak', peak);
  return peak / bandwidth;
}

/** Attainable FLOP/s at an intensity: min(peak, I · bw). */
export function attainable(intensity: number, bandwidth: number, peak: number): number {
  return Math.min(peak, intensity * bandwidth);
}

/**
 * Points of the roof min(peak, I·bw) on a logarithmic grid from `minIntensity` to
 * `maxIntensity` (both included, `pointsPerDecade` per decade), with the exact ridge point
 * inserted when it lies inside the range. Sorted by intensity, no duplicates.
 */
export function rooflineCurve(
  bandwidth: number,
  peak: number,
  minIntensity: number,
  maxIntensity: number,
  pointsPerDecade = 8,
): RoofPoint[] {
  assertPositive('bandwidth', bandwidth);
  assertPositive('peak', peak);
  assertPositive('minIntensity', minIntensity);
  assertPositive('maxIntensity', maxIntensity);
  if (!(maxIntensity > minIntensity)) throw new RangeError('maxIntensity must exceed minIntensity');
  if (!(Number.isInteger(pointsPerDecade) && pointsPerDecade >= 1 && pointsPerDecade <= 1000)) {
    throw new RangeError('pointsPerDecade must be an integer in 1..1000');
  }
  const lo = Math.log10(minIntensity);
  const hi = Math.log10(maxIntensity);
  const steps = Math.max(1, Math.ceil((hi - lo) * pointsPerDecade));
  const xs: number[] = [minIntensity];
  for (let i = 1; i < steps; i++) xs.push(10 ** (lo + ((hi - lo) * i) / steps));
  xs.push(maxIntensity);
  const ridge = peak / bandwidth;
  if (ridge > minIntensity && ridge < maxIntensity) xs.push(ridge);
  xs.sort((a, b) => a - b);
  const out: RoofPoint[] = [];
  for (const x of xs) {
    if (out.length > 0 && out[out.length - 1].intensity === x) continue;
    out.push({ intensity: x, flopsPerSecond: attainable(x, bandwidth, peak) });
  }
  return out;
}

/** A roofline point for `flops` and `bytes` on `hw`: time = max(flops/peak, bytes/bw). */
export function rooflinePoint(
  label: string,
  kind: PanelPoint['kind'],
  flops: number,
  bytes: number,
  hw: RooflineHardware,
): OperatorPoint {
  assertNonNegative('flops', flops);
  assertPositive('bytes', bytes);
  assertPositive('peakFlopsPerSecond', hw.peakFlopsPerSecond);
  assertPositive('bandwidthBytesPerSecond', hw.bandwidthBytesPerSecond);
  const computeSeconds = flops / hw.peakFlopsPerSecond;
  const memorySeconds = bytes / hw.bandwidthBytesPerSecond;
  const intensity = flops / bytes;
  const bound: BoundRegime = computeSeconds > memorySeconds ? 'compute' : 'memory';
  return {
    label,
    kind,
    flops,
    bytes,
    arithmeticIntensity: intensity,
    attainableFlopsPerSecond: attainable(intensity, hw.bandwidthBytesPerSecond, hw.peakFlopsPerSecond),
    seconds: Math.max(computeSeconds, memorySeconds),
    bound,
  };
}

/** KV-cache bytes one token holds in one layer: K and V, Hkv heads of d elements. */
export function kvBytesPerTokenPerLayer(shapes: LayerShapes): number {
  return 2 * shapes.kvHeads * shapes.headDim * shapes.kvBytesPerElement;
}

/** Expected number of distinct experts a batch of B tokens touches when each picks k of E uniformly: E·(1-(1-k/E)^B). */
export function distinctExpertsTouched(experts: number, expertsPerToken: number, batch: number): number {
  assertPositive('experts', experts);
  assertPositive('expertsPerToken', expertsPerToken);
  if (expertsPerToken > experts) throw new RangeError('expertsPerToken must not exceed experts');
  return experts * (1 - (1 - expertsPerToken / experts) ** batch);
}

/** Labels of the operator points (stable: the webview and tests look them up). */
export const OPERATOR_LABELS = {
  qkv: 'QKV projection',
  attention: 'Attention (KV read)',
  output: 'Output projection',
  mlp: 'MLP',
  moe: 'MoE experts',
  lmHead: 'LM head',
} as const;

/**
 * Per-operator FLOPs and bytes of ONE decode step of ONE decoder layer (plus the LM head) at
 * batch B (B sequences, one new token each) and context C, as roofline points on `acc`.
 *
 * - QKV projection: flops 2·B·h·(H+2Hkv)·d; bytes h·(H+2Hkv)·d·wBytes + B·h·aBytes (in) + B·(H+2Hkv)·d·aBytes (out)
 * - Attention: flops 4·B·C·H·d (QKᵀ and PV); bytes B·C·kvBytesPerTokenPerLayer (the KV read)
 * - Output projection: flops 2·B·H·d·h; bytes H·d·h·wBytes + B·H·d·aBytes + B·h·aBytes
 * - MLP, dense gated: flops 2·B·3·h·I; bytes 3·h·I·wBytes + 2·B·h·aBytes
 * - MLP, MoE: flops 2·B·k·3·h·Iₑ + 2·B·h·E (router); bytes E·(1-(1-k/E)^B)·3·h·Iₑ·wBytes (distinct
 *   experts touched) + h·E·wBytes (router) + 2·B·h·aBytes
 * - LM head: flops 2·B·h·V; bytes h·V·wBytes + B·h·aBytes + B·V·aBytes
 *
 * @param dtypeBytes bytes per activation element (2 for bf16 activations).
 * @param kvBytes KV-cache bytes per token per layer on this rank, as the engine sized it (MLA,
 *   replicated heads, fp8 ...); when omitted, 2·Hkv·d·kvBytesPerElement from `shapes`.
 */
export function decodeOperatorPoints(
  shapes: LayerShapes,
  batch: number,
  context: number,
  dtypeBytes: number,
  kvBytes: number | undefined,
  acc: RooflineHardware,
): OperatorPoint[] {
  const { hidden: h, heads: H, kvHeads: Hkv, headDim: d, intermediate: I, vocab: V } = shapes;
  for (const [name, v] of Object.entries({ hidden: h, heads: H, kvHeads: Hkv, headDim: d, vocab: V })) assertPositive(name, v);
  assertNonNegative('intermediate', I);
  assertPositive('weightBytesPerParam', shapes.weightBytesPerParam);
  assertPositive('batch', batch);
  assertNonNegative('context', context);
  assertPositive('dtypeBytes', dtypeBytes);
  const w = shapes.weightBytesPerParam;
  const a = dtypeBytes;
  const B = batch;
  const C = context;
  const kvPerTokenLayer = kvBytes ?? kvBytesPerTokenPerLayer(shapes);
  assertNonNegative('kvBytes', kvPerTokenLayer);

  const points: OperatorPoint[] = [];
  const qkvOut = (H + 2 * Hkv) * d;
  points.push(rooflinePoint(OPERATOR_LABELS.qkv, 'operator', 2 * B * h * qkvOut, h * qkvOut * w + B * h * a + B * qkvOut * a, acc));
  if (C > 0 && kvPerTokenLayer > 0) {
    points.push(rooflinePoint(OPERATOR_LABELS.attention, 'operator', 4 * B * C * H * d, B * C * kvPerTokenLayer, acc));
  }
  points.push(rooflinePoint(OPERATOR_LABELS.output, 'operator', 2 * B * H * d * h, H * d * h * w + B * H * d * a + B * h * a, acc));

  if (shapes.experts !== undefined && shapes.experts > 0) {
    const E = shapes.experts;
    const k = shapes.expertsPerToken ?? 1;
    const Ie = shapes.moeIntermediate ?? I;
    assertPositive('moeIntermediate', Ie);
    const touched = distinctExpertsTouched(E, k, B);
    points.push(rooflinePoint(
      OPERATOR_LABELS.moe,
      'operator',
      2 * B * k * 3 * h * Ie + 2 * B * h * E,
      touched * 3 * h * Ie * w + h * E * w + 2 * B * h * a,
      acc,
    ));
  } else if (I > 0) {
    points.push(rooflinePoint(OPERATOR_LABELS.mlp, 'operator', 2 * B * 3 * h * I, 3 * h * I * w + 2 * B * h * a, acc));
  }

  points.push(rooflinePoint(OPERATOR_LABELS.lmHead, 'operator', 2 * B * h * V, h * V * w + B * h * a + B * V * a, acc));
  return points;
}

/**
 * Per-rank shapes under tensor parallelism `tp`: query heads, intermediate sizes and vocab split;
 * KV heads split too, but never below one (vLLM replicates KV heads when tp > Hkv).
 */
export function shardLayerShapes(shapes: LayerShapes, tp: number): LayerShapes {
  if (!(Number.isInteger(tp) && tp >= 1)) throw new RangeError('tensor parallel size must be an integer ≥ 1');
  if (tp === 1) return { ...shapes };
  return {
    ...shapes,
    heads: shapes.heads / tp,
    kvHeads: Math.max(1, shapes.kvHeads / tp),
    intermediate: shapes.intermediate / tp,
    vocab: shapes.vocab / tp,
    moeIntermediate: shapes.moeIntermediate === undefined ? undefined : shapes.moeIntermediate / tp,
  };
}

const ACCEL_DTYPE_ALIASES: Record<string, keyof Accelerator['flopsPerSecond']> = {
  bf16: 'bf16', bfloat16: 'bf16', fp16: 'fp16', float16: 'fp16', fp32: 'fp32', float32: 'fp32', tf32: 'tf32',
  fp8: 'fp8', int8: 'int8', fp4: 'fp4', mxfp4: 'fp4', nvfp4: 'fp4',
};

/** Roofline figures of a catalog accelerator for a compute dtype (falls back to bf16, then fp16). */
export function rooflineHardware(acc: Accelerator, computeDtype = 'bf16'): RooflineHardware | undefined {
  const key = ACCEL_DTYPE_ALIASES[computeDtype.toLowerCase()] ?? 'bf16';
  const peak = acc.flopsPerSecond[key] ?? acc.flopsPerSecond.bf16 ?? acc.flopsPerSecond.fp16;
  if (peak === undefined || !(peak > 0) || !(acc.memoryBandwidthBytesPerSecond > 0)) return undefined;
  return { peakFlopsPerSecond: peak, bandwidthBytesPerSecond: acc.memoryBandwidthBytesPerSecond };
}

// ---- axis helpers -----------------------------------------------------------------------------

/** The smallest power-of-ten interval [10^a, 10^b] (a < b) containing every positive finite value. */
export function logDomain(values: readonly number[], fallback: [number, number] = [0.1, 1000]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (!(Number.isFinite(v) && v > 0)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo === Infinity) return fallback;
  // A tiny tolerance so that exact powers of ten (1000 → 3) do not grow a decade from float error.
  const a = Math.floor(Math.log10(lo) + 1e-9);
  let b = Math.ceil(Math.log10(hi) - 1e-9);
  if (b <= a) b = a + 1;
  return [10 ** a, 10 ** b];
}

/** Powers of ten inside [lo, hi] (inclusive), as exact decimal values. */
export function powersOfTen(lo: number, hi: number): number[] {
  if (!(lo > 0 && hi >= lo && Number.isFinite(hi))) return [];
  const out: number[] = [];
  for (let e = Math.ceil(Math.log10(lo) - 1e-9); e <= Math.floor(Math.log10(hi) + 1e-9); e++) {
    out.push(Number(`1e${e}`));
  }
  return out;
}

// ---- derived series ---------------------------------------------------------------------------

export const MEMORY_COMPONENTS = [
  { key: 'weightsBytes', label: 'Weights' },
  { key: 'activationBytes', label: 'Activation peak' },
  { key: 'reserveBytes', label: 'Engine reserve' },
  { key: 'kvCacheBytes', label: 'KV cache' },
  { key: 'freeBytes', label: 'Free' },
] as const;

export type MemoryComponentKey = (typeof MEMORY_COMPONENTS)[number]['key'];

export interface MemorySegment {
  gpu: string;
  component: string;
  key: MemoryComponentKey;
  bytes: number;
  /** Cumulative bytes before this segment in the bar. */
  start: number;
  end: number;
  totalBytes: number;
}

/** Segments of each GPU's stacked memory bar, in stacking order (weights first, free last). */
export function memorySegments(perGpu: readonly Pick<GpuPanelData, 'gpuName' | 'memory'>[]): MemorySegment[] {
  const out: MemorySegment[] = [];
  for (const g of perGpu) {
    let start = 0;
    for (const c of MEMORY_COMPONENTS) {
      const bytes = g.memory[c.key];
      out.push({ gpu: g.gpuName, component: c.label, key: c.key, bytes, start, end: start + bytes, totalBytes: g.memory.totalBytes });
      start += bytes;
    }
  }
  return out;
}

// ---- CSV --------------------------------------------------------------------------------------

/** One CSV field (RFC 4180 quoting; text that a spreadsheet would run as a formula is prefixed with '). */
export function csvField(value: string | number | boolean | undefined | null): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  let s = String(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** CSV text (CRLF line ends, trailing CRLF) of a header and rows. */
export function csvFromRows(header: readonly string[], rows: readonly (readonly (string | number | boolean | undefined | null)[])[]): string {
  const lines = [header.map(csvField).join(',')];
  for (const r of rows) lines.push(r.map(csvField).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

export const POINT_CSV_HEADER = [
  'gpu', 'label', 'kind', 'flops', 'bytes', 'arithmetic_intensity_flop_per_byte',
  'attainable_flop_per_second', 'seconds', 'bound',
] as const;

/** CSV of roofline points (the `gpu` column is empty for points without one). */
export function csvFromPoints(points: readonly (Omit<PanelPoint, 'kind'> & { kind?: string; gpu?: string })[]): string {
  return csvFromRows(POINT_CSV_HEADER, points.map((p) => [
    p.gpu, p.label, p.kind, p.flops, p.bytes, p.arithmeticIntensity, p.attainableFlopsPerSecond, p.seconds, p.bound,
  ]));
}

/** CSV of the throughput series of every GPU. */
export function csvFromThroughput(perGpu: readonly Pick<GpuPanelData, 'gpuName' | 'throughput' | 'maxConcurrency'>[]): string {
  const rows: (string | number)[][] = [];
  for (const g of perGpu) {
    for (const t of g.throughput) {
      rows.push([g.gpuName, t.batch, t.tokensPerSecondPerRequest, t.tokensPerSecondTotal, t.expectedTokensPerSecondTotal, t.expectedLowTotal, t.expectedHighTotal, g.maxConcurrency]);
    }
  }
  return csvFromRows([
    'gpu', 'batch', 'ceiling_tokens_per_second_per_request', 'ceiling_tokens_per_second_total',
    'expected_tokens_per_second_total', 'expected_low_total', 'expected_high_total', 'max_concurrency',
  ], rows);
}

/** CSV of each GPU's memory split, bytes. */
export function csvFromMemory(perGpu: readonly Pick<GpuPanelData, 'gpuName' | 'memory'>[]): string {
  return csvFromRows(
    ['gpu', 'weights_bytes', 'activation_bytes', 'reserve_bytes', 'kv_cache_bytes', 'free_bytes', 'total_bytes'],
    perGpu.map((g) => [g.gpuName, g.memory.weightsBytes, g.memory.activationBytes, g.memory.reserveBytes, g.memory.kvCacheBytes, g.memory.freeBytes, g.memory.totalBytes]),
  );
}
