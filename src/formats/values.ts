// Reading and checking the values a document sets.
import type { InputKey } from './types';

export const INTEGER_KEYS: ReadonlySet<InputKey> = new Set<InputKey>([
  'gpuCount', 'tensorParallel', 'pipelineParallel', 'maxModelLen', 'maxNumBatchedTokens', 'maxNumSeqs', 'blockSize',
  'batch', 'context', 'prompt',
]);
export const FRACTION_KEYS: ReadonlySet<InputKey> = new Set<InputKey>(['gpuMemoryUtilization']);
export const STRING_KEYS: ReadonlySet<InputKey> = new Set<InputKey>(['gpu', 'dtype', 'quantization', 'kvCacheDtype', 'engine']);

export const MAX_COUNT = 1e9;

export type ValueResult =
  | { ok: true; value: number | string }
  | { ok: false; severity: 'error' | 'warning' | 'information'; message: string };

/** A value that a shell, Helm or Compose fills in: `$VAR`, `${VAR}`, `$(cmd)`, `{{ .Values.x }}`. */
export function isTemplated(s: string): boolean {
  return /\$[({A-Za-z_]|\{\{|`/.test(s);
}

const DECIMAL_SUFFIX: Record<string, number> = { k: 1e3, m: 1e6, g: 1e9, t: 1e12 };
const BINARY_SUFFIX: Record<string, number> = { K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 };

/**
 * Parses a whole number as vLLM does (`human_readable_int`): `8192`, `"8192"`, `8_192`,
 * `32k` (= 32,000), `32K` (= 32,768), `25.6k`. Binary suffixes take no decimals.
 */
export function parseCount(raw: unknown, what: string): ValueResult {
  if (typeof raw === 'number') return checkCount(raw, String(raw), what);
  if (typeof raw !== 'string') return { ok: false, severity: 'error', message: `${what} must be a whole number.` };
  const s = raw.trim();
  if (isTemplated(s)) return { ok: false, severity: 'information', message: `${what} is filled in at deploy time (${s}); it is not evaluated.` };
  const t = /^\d[\d_]*(\.\d+)?[kKmMgGtT]?$/.test(s) ? s.replace(/_/g, '') : s;
  const m = /^(\d+(?:\.\d+)?)([kKmMgGtT])$/.exec(t);
  if (m) {
    const [, num, suffix] = m;
    if (DECIMAL_SUFFIX[suffix] !== undefined) return checkCount(Math.floor(parseFloat(num) * DECIMAL_SUFFIX[suffix]), s, what);
    if (num.includes('.')) {
      return { ok: false, severity: 'error', message: `${what}: decimals are not allowed with the binary suffix ${suffix} ("${s}"); did you mean ${num}${suffix.toLowerCase()}?` };
    }
    return checkCount(parseInt(num, 10) * BINARY_SUFFIX[suffix], s, what);
  }
  if (/^[+-]?\d+$/.test(t)) return checkCount(parseInt(t, 10), s, what);
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return checkCount(Number(t), s, what);
  return { ok: false, severity: 'error', message: `${what} must be a whole number, not "${s}".` };
}

function checkCount(n: number, written: string, what: string): ValueResult {
  if (!Number.isFinite(n)) return { ok: false, severity: 'error', message: `${what} must be a finite whole number, not "${written}".` };
  if (!Number.isInteger(n)) return { ok: false, severity: 'error', message: `${what} must be a whole number, not ${written}.` };
  if (n <= 0) return { ok: false, severity: 'error', message: `${what} must be at least 1, not ${written}.` };
  if (n > MAX_COUNT) return { ok: false, severity: 'error', message: `${what} = ${written} is implausibly large (over 1e9).` };
  return { ok: true, value: n };
}

/** A fraction in (0, 1], e.g. `--gpu-memory-utilization 0.9`. */
export function parseFraction(raw: unknown, what: string): ValueResult {
  let n: number;
  if (typeof raw === 'number') n = raw;
  else if (typeof raw === 'string') {
    const s = raw.trim();
    if (isTemplated(s)) return { ok: false, severity: 'information', message: `${what} is filled in at deploy time (${s}); it is not evaluated.` };
    if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) return { ok: false, severity: 'error', message: `${what} must be a number between 0 and 1, not "${s}".` };
    n = Number(s);
  } else return { ok: false, severity: 'error', message: `${what} must be a number between 0 and 1.` };
  if (!Number.isFinite(n) || n <= 0 || n > 1) return { ok: false, severity: 'error', message: `${what} must be greater than 0 and at most 1, not ${String(raw).trim()}.` };
  return { ok: true, value: n };
}

export function parseText(raw: unknown, what: string): ValueResult {
  if (typeof raw === 'number' || typeof raw === 'boolean') return { ok: true, value: String(raw) };
  if (typeof raw !== 'string' || raw.trim() === '') return { ok: false, severity: 'error', message: `${what} is empty.` };
  const s = raw.trim();
  if (isTemplated(s)) return { ok: false, severity: 'information', message: `${what} is filled in at deploy time (${s}); it is not evaluated.` };
  return { ok: true, value: s };
}

/** Parses the value of a BudgetInputs key. */
export function parseInput(key: InputKey, raw: unknown, what: string): ValueResult {
  if (key === 'maxModelLen' && (raw === -1 || (typeof raw === 'string' && /^\s*(-1|auto)\s*$/i.test(raw)))) {
    return { ok: false, severity: 'information', message: `${what} = ${String(raw).trim()}: the engine picks the length at startup; it is not known here.` };
  }
  if (INTEGER_KEYS.has(key)) return parseCount(raw, what);
  if (FRACTION_KEYS.has(key)) return parseFraction(raw, what);
  return parseText(raw, what);
}

/** The text a value is written with, or undefined when it is not a valid value for the key. */
export function formatInput(key: InputKey, value: number | string): string | undefined {
  if (INTEGER_KEYS.has(key)) {
    const r = parseCount(value, key);
    return r.ok ? String(r.value) : undefined;
  }
  if (FRACTION_KEYS.has(key)) {
    const r = parseFraction(value, key);
    return r.ok ? String(r.value) : undefined;
  }
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  const s = String(value).trim();
  if (s === '' || /[\r\n]/.test(s)) return undefined;
  return s;
}
