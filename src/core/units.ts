// Number formatting shared by the CLI, hovers, CodeLens and the panel, so they all say the same thing.

export const GIB = 1024 ** 3;
const MIB = 1024 ** 2;
const KIB = 1024;

/** Bytes in binary units: `14.99 GiB`, `128 KiB`. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return '—';
  const abs = Math.abs(bytes);
  if (abs >= 1024 * GIB) return `${(bytes / (1024 * GIB)).toFixed(2)} TiB`;
  if (abs >= GIB) return `${(bytes / GIB).toFixed(2)} GiB`;
  if (abs >= MIB) return `${(bytes / MIB).toFixed(1)} MiB`;
  if (abs >= KIB) return `${(bytes / KIB).toFixed(1)} KiB`;
  return `${Math.round(bytes)} B`;
}

/** Parameter counts: `8.03 B`, `560 M`. */
export function formatParams(n: number): string {
  if (!Number.isFinite(n)) return '—';
  if (n >= 1e12) return `${(n / 1e12).toFixed(2)} T`;
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(0)} M`;
  return n.toFixed(0);
}

/** Integers with thousands separators: `131,072`. */
export function formatInt(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '—';
}

export function formatRate(tokensPerSecond: number): string {
  if (!Number.isFinite(tokensPerSecond)) return '—';
  return tokensPerSecond >= 100 ? `${Math.round(tokensPerSecond).toLocaleString('en-US')} tok/s` : `${tokensPerSecond.toFixed(1)} tok/s`;
}

export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '—';
  if (s >= 1) return `${s.toFixed(2)} s`;
  if (s >= 1e-3) return `${(s * 1e3).toFixed(1)} ms`;
  return `${(s * 1e6).toFixed(0)} µs`;
}

export function formatFlops(f: number): string {
  if (!Number.isFinite(f)) return '—';
  if (f >= 1e15) return `${(f / 1e15).toFixed(2)} PFLOP`;
  if (f >= 1e12) return `${(f / 1e12).toFixed(2)} TFLOP`;
  if (f >= 1e9) return `${(f / 1e9).toFixed(2)} GFLOP`;
  return `${(f / 1e6).toFixed(2)} MFLOP`;
}
