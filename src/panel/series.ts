// Chart series of the roofline panel: the engine's numbers (src/core) shaped into what the charts draw — the roof
// as a polyline, log axes, the stacked memory bars. No roofline arithmetic of its own (src/core/roofline.ts has
// it), no vscode import, no DOM, no I/O: used by the webview's charts (webview/charts.ts, webview/tables.ts).

import { attainableFlopsPerSecond, ridgeFlopsPerByte } from '../core/roofline';
import type { GpuPanelData } from './messages';

/** A point of a roof polyline: attainable FLOP/s at an arithmetic intensity. */
export interface RoofPoint {
  /** FLOPs per byte. */
  intensity: number;
  /** min(peak, intensity · bandwidth). */
  flopsPerSecond: number;
}

function assertPositive(name: string, x: number): void {
  if (!(typeof x === 'number' && Number.isFinite(x) && x > 0)) {
    throw new RangeError(`${name} must be a finite number > 0 (got ${x})`);
  }
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
  const ridge = ridgeFlopsPerByte(peak, bandwidth);
  if (ridge > minIntensity && ridge < maxIntensity) xs.push(ridge);
  xs.sort((a, b) => a - b);
  const out: RoofPoint[] = [];
  for (const x of xs) {
    if (out.length > 0 && out[out.length - 1].intensity === x) continue;
    out.push({ intensity: x, flopsPerSecond: attainableFlopsPerSecond(x, peak, bandwidth) });
  }
  return out;
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
