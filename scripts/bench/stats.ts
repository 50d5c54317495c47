// Small statistics helpers shared by the Node and extension-host parts of the benchmark.

export interface Summary { n: number; min: number; p50: number; p90: number; p99: number; max: number; mean: number }

/** Nearest-rank percentile of sorted values (p in 0..100). */
function rank(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export function summarize(xs: number[]): Summary {
  const s = [...xs].sort((a, b) => a - b);
  const mean = s.reduce((a, b) => a + b, 0) / (s.length || 1);
  return { n: s.length, min: s[0] ?? Number.NaN, p50: rank(s, 50), p90: rank(s, 90), p99: rank(s, 99), max: s[s.length - 1] ?? Number.NaN, mean };
}

export function median(xs: number[]): number {
  return summarize(xs).p50;
}

/** A function that forces a full garbage collection, when V8 lets us have one (flag set at runtime). */
export function getGc(): (() => void) | undefined {
  const g = (globalThis as { gc?: () => void }).gc;
  if (typeof g === 'function') return g;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('v8').setFlagsFromString('--expose-gc');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const fn = require('vm').runInNewContext('gc') as unknown;
    return typeof fn === 'function' ? (fn as () => void) : undefined;
  } catch {
    return undefined;
  }
}

export function memory(): { rssBytes: number; heapUsedBytes: number; heapTotalBytes: number; externalBytes: number } {
  const m = process.memoryUsage();
  return { rssBytes: m.rss, heapUsedBytes: m.heapUsed, heapTotalBytes: m.heapTotal, externalBytes: m.external };
}
