// The roofline: where a computation that does F FLOPs and moves B bytes sits under a GPU's two roofs (peak
// FLOP/s, memory bandwidth). One formula per quantity, used by the engine's report (src/core/throughput.ts
// `rooflinePoint`, the per-operator decode model there) and by the panel (src/panel/*, webview/*).
//
// Pure arithmetic, no imports but types: the webview bundle imports this module too.

import type { BoundRegime, RooflinePoint } from './types';

/** The two figures a roofline needs. */
export interface Roof {
  peakFlopsPerSecond: number;
  bandwidthBytesPerSecond: number;
}

/**
 * The ridge point: the arithmetic intensity where the bandwidth slope meets the compute roof, peak / bandwidth.
 * Below it a computation is memory-bound. H100 SXM in bf16: 989.4e12 / 3.35e12 ≈ 295 FLOP/byte.
 */
export function ridgeFlopsPerByte(peakFlopsPerSecond: number, bandwidthBytesPerSecond: number): number {
  return peakFlopsPerSecond / bandwidthBytesPerSecond;
}

/** FLOPs done per byte moved (0 when nothing is moved). */
export function arithmeticIntensityFlopsPerByte(flops: number, bytes: number): number {
  return bytes > 0 ? flops / bytes : 0;
}

/** The FLOP/s a computation of this intensity can reach on the roof: min(peak, intensity · bandwidth). */
export function attainableFlopsPerSecond(intensityFlopsPerByte: number, peakFlopsPerSecond: number, bandwidthBytesPerSecond: number): number {
  return Math.min(peakFlopsPerSecond, intensityFlopsPerByte * bandwidthBytesPerSecond);
}

/** The regime of a step from its two times: compute-bound only when the arithmetic takes longer than the traffic. */
export function boundRegime(computeSeconds: number, memorySeconds: number): BoundRegime {
  return computeSeconds > memorySeconds ? 'compute' : 'memory';
}

/**
 * One computation (F FLOPs, B bytes, B > 0) placed on a roof: its intensity, the FLOP/s it can reach and its time,
 * max(F / peak, B / bandwidth), bound by whichever of the two is longer.
 */
export function rooflinePointOf(label: string, flops: number, bytes: number, roof: Roof): RooflinePoint {
  const computeSeconds = flops / roof.peakFlopsPerSecond;
  const memorySeconds = bytes / roof.bandwidthBytesPerSecond;
  const intensity = arithmeticIntensityFlopsPerByte(flops, bytes);
  return {
    label,
    flops,
    bytes,
    arithmeticIntensity: intensity,
    attainableFlopsPerSecond: attainableFlopsPerSecond(intensity, roof.peakFlopsPerSecond, roof.bandwidthBytesPerSecond),
    seconds: Math.max(computeSeconds, memorySeconds),
    bound: boundRegime(computeSeconds, memorySeconds),
  };
}
