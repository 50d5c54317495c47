// Reading and checking the values a document sets. Which kind of value each input takes comes from the one table
// of deployment inputs (src/core/inputs.ts).
import type { InputKey } from './types';
import { DEPLOYMENT_INPUTS, INPUT_SPECS } from '../core/inputs';

const keysOf = (pick: (s: (typeof DEPLOYMENT_INPUTS)[number]) => boolean): ReadonlySet<InputKey> => new Set(DEPLOYMENT_INPUTS.filter(pick).map((s) => s.key));

export const INTEGER_KEYS: ReadonlySet<InputKey> = keysOf((s) => s.type === 'integer');
/** Numbers in (0, 1] (`--gpu-memory-utilization 0.9`). */
export const FRACTION_KEYS: ReadonlySet<InputKey> = keysOf((s) => s.type === 'number' && s.max === 1 && !!s.exclusiveMin);
/** Other numbers (`--cpu-offload-gb 4.5`). */
export const NUMBER_KEYS: ReadonlySet<InputKey> = keysOf((s) => s.type === 'number' && !FRACTION_KEYS.has(s.key));
/** Switches (`--enforce-eager`, `-fa on`, `OLLAMA_FLASH_ATTENTION=1`). */
export const BOOLEAN_KEYS: ReadonlySet<InputKey> = keysOf((s) => s.type === 'boolean');
export const STRING_KEYS: ReadonlySet<InputKey> = keysOf((s) => s.type === 'text');

export const MAX_COUNT = 1e9;

export type ValueResult =
  | { ok: true; value: number | string | boolean }
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
export function parseCount(raw: unknown, what: string, bounds: CountBounds = DEFAULT_BOUNDS): ValueResult {
  if (typeof raw === 'number') return checkCount(raw, String(raw), what, bounds);
  if (typeof raw !== 'string') return { ok: false, severity: 'error', message: `${what} must be a whole number.` };
  const s = raw.trim();
  // Plain digits, the usual spelling: no pattern to try.
  if (s.length > 0 && s.length <= 15 && isDigits(s)) return checkCount(Number(s), s, what, bounds);
  if (isTemplated(s)) return { ok: false, severity: 'information', message: `${what} is filled in at deploy time (${s}); it is not evaluated.` };
  const t = /^\d[\d_]*(\.\d+)?[kKmMgGtT]?$/.test(s) ? s.replace(/_/g, '') : s;
  const m = /^(\d+(?:\.\d+)?)([kKmMgGtT])$/.exec(t);
  if (m) {
    const [, num, suffix] = m;
    if (DECIMAL_SUFFIX[suffix] !== undefined) return checkCount(Math.floor(parseFloat(num) * DECIMAL_SUFFIX[suffix]), s, what, bounds);
    if (num.includes('.')) {
      return { ok: false, severity: 'error', message: `${what}: decimals are not allowed with the binary suffix ${suffix} ("${s}"); did you mean ${num}${suffix.toLowerCase()}?` };
    }
    return checkCount(parseInt(num, 10) * BINARY_SUFFIX[suffix], s, what, bounds);
  }
  if (/^[+-]?\d+$/.test(t)) return checkCount(parseInt(t, 10), s, what, bounds);
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return checkCount(Number(t), s, what, bounds);
  return { ok: false, severity: 'error', message: `${what} must be a whole number, not "${s}".` };
}

function isDigits(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** The whole numbers a count may take: at least 1 (0 for llama.cpp's `-ngl 0`), at most 1e9 unless the input allows more. */
export interface CountBounds { min: number; max: number }
const DEFAULT_BOUNDS: CountBounds = { min: 1, max: MAX_COUNT };

function checkCount(n: number, written: string, what: string, bounds: CountBounds): ValueResult {
  if (!Number.isFinite(n)) return { ok: false, severity: 'error', message: `${what} must be a finite whole number, not "${written}".` };
  if (!Number.isInteger(n)) return { ok: false, severity: 'error', message: `${what} must be a whole number, not ${written}.` };
  if (n < bounds.min) return { ok: false, severity: 'error', message: `${what} must be at least ${bounds.min}, not ${written}.` };
  if (n > bounds.max) return { ok: false, severity: 'error', message: `${what} = ${written} is implausibly large (over ${bounds.max === MAX_COUNT ? '1e9' : bounds.max}).` };
  return { ok: true, value: n };
}

/** Bounds of an integer input, as the inputs table declares them (readers refuse at the value what the engine would). */
function boundsOf(key: InputKey): CountBounds {
  const spec = INPUT_SPECS.get(key);
  if (!spec || spec.type !== 'integer') return DEFAULT_BOUNDS;
  return { min: spec.min, max: spec.max };
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

/** A number of at least 0 (`--cpu-offload-gb 4`). */
export function parseNumber(raw: unknown, what: string): ValueResult {
  const s = typeof raw === 'number' ? String(raw) : typeof raw === 'string' ? raw.trim() : '';
  if (isTemplated(s)) return { ok: false, severity: 'information', message: `${what} is filled in at deploy time (${s}); it is not evaluated.` };
  const n = /^[+]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s) ? Number(s) : NaN;
  if (!Number.isFinite(n) || n < 0) return { ok: false, severity: 'error', message: `${what} must be a number of at least 0, not "${s}".` };
  return { ok: true, value: n };
}

/** A number checked against its input's declared range (`prefixHitRate` in [0, 1]). */
function withinBounds(key: InputKey, r: ValueResult, what: string): ValueResult {
  const spec = INPUT_SPECS.get(key);
  if (!r.ok || !spec || spec.type !== 'number') return r;
  const n = r.value as number;
  if ((spec.exclusiveMin ? n <= spec.min : n < spec.min) || n > spec.max) {
    return { ok: false, severity: 'error', message: `${what} must be in ${spec.exclusiveMin ? '(' : '['}${spec.min}, ${spec.max}], not ${n}.` };
  }
  return r;
}

/** A switch: `true`/`false`, `on`/`off`, `1`/`0`, `yes`/`no`, `enabled`/`disabled` (llama.cpp's is_truthy / is_falsey). */
export function parseSwitch(raw: unknown, what: string): ValueResult {
  if (typeof raw === 'boolean') return { ok: true, value: raw };
  const s = typeof raw === 'number' ? String(raw) : typeof raw === 'string' ? raw.trim().toLowerCase() : '';
  if (isTemplated(s)) return { ok: false, severity: 'information', message: `${what} is filled in at deploy time (${s}); it is not evaluated.` };
  if (/^(true|on|1|yes|enabled)$/.test(s)) return { ok: true, value: true };
  if (/^(false|off|0|no|disabled)$/.test(s)) return { ok: true, value: false };
  return { ok: false, severity: 'error', message: `${what} must be on or off, not "${s}".` };
}

/** Parses the value of a BudgetInputs key. */
export function parseInput(key: InputKey, raw: unknown, what: string): ValueResult {
  // vLLM 0.14+ `--max-model-len auto` / -1: the longest length that fits, which the engine emulation searches for
  // (and refuses, with the reason, for a release that does not have it).
  const special = INPUT_SPECS.get(key);
  if (special?.type === 'integer' && special.special && (raw === special.special.value || (typeof raw === 'string' && new RegExp(`^\\s*(${special.special.value}|auto)\\s*$`, 'i').test(raw)))) {
    return { ok: true, value: special.special.value };
  }
  if (INTEGER_KEYS.has(key)) return parseCount(raw, what, boundsOf(key));
  if (FRACTION_KEYS.has(key)) return parseFraction(raw, what);
  if (NUMBER_KEYS.has(key)) return withinBounds(key, parseNumber(raw, what), what);
  if (BOOLEAN_KEYS.has(key)) return parseSwitch(raw, what);
  return parseText(raw, what);
}

/** The text a value is written with, or undefined when it is not a valid value for the key. */
export function formatInput(key: InputKey, value: number | string): string | undefined {
  if (INTEGER_KEYS.has(key)) {
    const r = parseCount(value, key, boundsOf(key));
    return r.ok ? String(r.value) : undefined;
  }
  if (FRACTION_KEYS.has(key)) {
    const r = parseFraction(value, key);
    return r.ok ? String(r.value) : undefined;
  }
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  const s = String(value).trim();
  if (s === '' || /[\r\n]/.test(s)) return undefined;
  // A switch is written as given only when it reads as one (`1`, `on`, `false`): `2` would make the file invalid.
  if (BOOLEAN_KEYS.has(key) && !parseSwitch(s, key).ok) return undefined;
  return s;
}
