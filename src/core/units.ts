// Number formatting shared by the CLI, hovers, CodeLens and the roofline panel, so they all say the same thing.

const SI_PREFIXES = ['', 'k', 'M', 'G', 'T', 'P', 'E', 'Z'];

/** One formatter for every grouped integer: toLocaleString builds a new one per call (~4x slower). */
const GROUPED = new Intl.NumberFormat('en-US');

/** 1.23e12 → "1.23 T" (3 significant digits by default). */
export function si(value: number, unit = '', digits = 3): string {
  if (!Number.isFinite(value)) return '—';
  if (value === 0) return `0${unit ? ` ${unit}` : ''}`;
  let v = value;
  let i = 0;
  while (Math.abs(v) >= 999.5 && i < SI_PREFIXES.length - 1) {
    v /= 1000;
    i++;
  }
  const text = Math.abs(v) < 1 && i === 0 ? fixed(v) : String(Number(v.toPrecision(digits)));
  const suffix = `${SI_PREFIXES[i]}${unit}`;
  return suffix ? `${text} ${suffix}` : text;
}

/** A plain number with sensible precision: 295.34 → "295", 12.345 → "12.3", 1.1875 → "1.19". */
export function fixed(value: number): string {
  if (!Number.isFinite(value)) return '—';
  const a = Math.abs(value);
  if (a >= 100) return formatInt(value);
  if (a >= 10) return value.toFixed(1);
  if (a >= 0.01 || a === 0) return String(Number(value.toPrecision(3)));
  return value.toExponential(2);
}

/** Bytes in binary units: 16060522496 → "14.96 GiB". */
export function bytes(value: number): string {
  if (!Number.isFinite(value)) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = value;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? String(v) : v.toFixed(2)} ${units[i]}`;
}

export function gib(value: number): string {
  return `${(value / 2 ** 30).toFixed(2)} GiB`;
}

/** Seconds with a readable unit: 0.00512 → "5.12 ms". */
export function seconds(value: number): string {
  if (!Number.isFinite(value)) return '—';
  if (value === 0) return '0 s';
  if (value >= 1) return `${Number(value.toPrecision(3))} s`;
  if (value >= 1e-3) return `${Number((value * 1e3).toPrecision(3))} ms`;
  if (value >= 1e-6) return `${Number((value * 1e6).toPrecision(3))} µs`;
  return `${Number((value * 1e9).toPrecision(3))} ns`;
}

/** Tick labels for power-of-ten axes: 0.1 → "0.1", 1000 → "1,000". */
export function tick(value: number): string {
  if (!Number.isFinite(value)) return '';
  if (value >= 1) return formatInt(value);
  return String(Number(value.toPrecision(1)));
}

/** Integers with thousands separators: `131,072`. */
export function formatInt(n: number): string {
  return Number.isFinite(n) ? GROUPED.format(Math.round(n)) : '—';
}

/** Parameter counts: `8.03 B`, `560 M`. */
export function formatParams(n: number): string {
  if (!Number.isFinite(n)) return '—';
  if (n >= 1e12) return `${(n / 1e12).toFixed(2)} T`;
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(0)} M`;
  return n.toFixed(0);
}

/** Tokens per second: `209 tok/s`, `9.4 tok/s`. */
export function formatRate(tokensPerSecond: number): string {
  return `${fixed(tokensPerSecond)} tok/s`;
}

/** FLOP counts: `15.6 TFLOP`. */
export function formatFlops(flops: number): string {
  return si(flops, 'FLOP');
}

/**
 * Control characters from names in configs and documents (escape sequences, bells, line and paragraph separators,
 * bidirectional overrides) written as `\u001b`, so a name can neither drive a terminal nor break a line of
 * markdown: `"a\u001b[2Jb"` → `a\u001b[2Jb` shown literally. Keeps `\n` when `keepNewlines` (a report's own lines).
 */
export function visibleControls(text: string, keepNewlines = false): string {
  const re = keepNewlines
    ? /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g
    : /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
  return text.replace(re, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
