// The tree both YAML paths produce (src/formats/yaml/fast.ts and library.ts), and the helpers readers use on it.
//
// Node shapes are the same whichever path built a node, so that a reader cannot tell them apart:
// - a scalar's `start..end` covers the whole scalar (quotes and block header included; the trailing line breaks of
//   a block scalar excluded); `value` is the decoded string before type resolution;
// - `parentIndent` is the indentation of the block collection holding a block scalar (-1 at top level, and for
//   every scalar that is not a block scalar), which `scalarWithMap` needs to decode it again;
// - a block collection ends where its last node ends (not at the line breaks and comments after it); a flow
//   collection ends after its closing bracket;
// - a key is always a scalar; `fromLib` / `libValue` are set on scalars the library built (the resolved value,
//   which honours tags).
import { Decoded, ScalarStyle, decodeBlock, decodeFlow } from '../scalar';
import { resolvePlain } from './schema';
import type { FormatProblem } from '../types';

export interface YScalar {
  kind: 'scalar';
  style: ScalarStyle;
  /** Source range of the whole scalar (quotes and block header included; trailing newlines excluded). */
  start: number;
  end: number;
  /** Decoded string (before type resolution). */
  value: string;
  /** Indentation of the block collection holding a block scalar (-1 at top level and for other styles). */
  parentIndent: number;
  /** Value resolved by the `yaml` library (fallback path only). */
  libValue?: unknown;
  fromLib?: boolean;
}
export interface YPair { key: YScalar; value: YNode | null }
export interface YMap {
  kind: 'map'; flow: boolean; start: number; end: number; pairs: YPair[];
  /** A block value that was not parsed (a key in `ParseYamlOptions.skipKeys`); `start..end` covers it. */
  skipped?: boolean;
}
export interface YSeq { kind: 'seq'; flow: boolean; start: number; end: number; items: (YNode | null)[] }
export type YNode = YScalar | YMap | YSeq;

export interface YDoc {
  root: YNode | null;
  start: number;
  end: number;
  fromLib: boolean;
}

export interface YamlParse {
  docs: YDoc[];
  problems: FormatProblem[];
  /** With `path: 'fast'`: the documents the fast path declined (they are then missing from `docs`). */
  declined?: number;
}

// ---------------------------------------------------------------------------
// Helpers on the tree.

export function isMap(n: YNode | null | undefined): n is YMap { return !!n && n.kind === 'map'; }
export function isSeq(n: YNode | null | undefined): n is YSeq { return !!n && n.kind === 'seq'; }
export function isScalar(n: YNode | null | undefined): n is YScalar { return !!n && n.kind === 'scalar'; }

export function pairOf(m: YNode | null | undefined, key: string, depth = 0): YPair | undefined {
  if (!isMap(m)) return undefined;
  let merge: YNode | null | undefined;
  for (const p of m.pairs) {
    if (p.key.value === key) return p;
    if (p.key.value === '<<' && p.key.style === 'plain') merge = p.value;
  }
  // Merge keys (`<<: *defaults`, common in compose files): the merged maps, first one first.
  if (merge && depth < 8) {
    for (const src of isSeq(merge) ? merge.items : [merge]) {
      const found = pairOf(src, key, depth + 1);
      if (found) return found;
    }
  }
  return undefined;
}
export function get(m: YNode | null | undefined, key: string): YNode | null | undefined {
  return pairOf(m, key)?.value;
}
export function getPath(m: YNode | null | undefined, path: string[]): YNode | null | undefined {
  let n: YNode | null | undefined = m;
  for (const k of path) { n = get(n, k); if (!n) return n; }
  return n;
}
export function getMap(m: YNode | null | undefined, ...path: string[]): YMap | undefined {
  const n = getPath(m, path);
  return isMap(n) ? n : undefined;
}
export function getSeq(m: YNode | null | undefined, ...path: string[]): YSeq | undefined {
  const n = getPath(m, path);
  return isSeq(n) ? n : undefined;
}
export function getScalar(m: YNode | null | undefined, ...path: string[]): YScalar | undefined {
  const n = getPath(m, path);
  return isScalar(n) ? n : undefined;
}
/** The string of a scalar (null-like plain scalars give undefined). */
export function str(n: YNode | null | undefined): string | undefined {
  if (!isScalar(n)) return undefined;
  if (n.style === 'plain' && (n.value === '' || n.value === '~' || /^(null|Null|NULL)$/.test(n.value))) return undefined;
  return n.value;
}

/** Range of the text of a scalar: inside quotes; the content of a block scalar. */
export function innerRange(text: string, s: YScalar): { start: number; end: number } {
  if (s.style === 'single' || s.style === 'double') return { start: s.start + 1, end: Math.max(s.start + 1, s.end - 1) };
  if (s.style === 'literal' || s.style === 'folded') {
    let p = text.indexOf('\n', s.start);
    if (p < 0 || p >= s.end) return { start: s.end, end: s.end };
    p++;
    while (p < s.end && text[p] === ' ') p++;
    return { start: p, end: s.end };
  }
  return { start: s.start, end: s.end };
}

/**
 * Typed value of a scalar. `resolve` types plain scalars (default: the YAML 1.2 core schema, as the library
 * resolves them; `resolveYaml11` for files PyYAML reads); a scalar the library typed by an explicit tag keeps the
 * library's value.
 */
export function scalarValue(s: YScalar, resolve: (v: string) => unknown = resolvePlain): unknown {
  if (s.style !== 'plain') return s.fromLib ? s.libValue : s.value;
  if (resolve === resolvePlain) return s.fromLib ? s.libValue : resolvePlain(s.value);
  if (s.fromLib && !Object.is(s.libValue, resolvePlain(s.value))) return s.libValue;
  return resolve(s.value);
}

/** Plain JavaScript value of a node (for schema validation). */
export function toJS(n: YNode | null | undefined, depth = 0, resolve: (v: string) => unknown = resolvePlain): unknown {
  if (!n || depth > 64) return null;
  if (n.kind === 'scalar') return scalarValue(n, resolve);
  if (n.kind === 'seq') return n.items.map((i) => toJS(i, depth + 1, resolve));
  const o: Record<string, unknown> = {};
  for (const p of n.pairs) {
    const v = toJS(p.value, depth + 1, resolve);
    // `__proto__` is an ordinary key in YAML: an own property here, never the object's prototype.
    if (p.key.value === '__proto__') Object.defineProperty(o, '__proto__', { value: v, enumerable: true, writable: true, configurable: true });
    else o[p.key.value] = v;
  }
  return o;
}

/** Decoded value of a scalar with its source map, or undefined when the map cannot be trusted. */
export function scalarWithMap(text: string, s: YScalar): Decoded | undefined {
  try {
    let d: Decoded;
    switch (s.style) {
      case 'plain': d = decodeFlow(text, s.start, s.end, 'plain', true); break;
      case 'single': case 'double': d = decodeFlow(text, s.start + 1, s.end - 1, s.style, true); break;
      default: d = decodeBlock(text, s.start, text.length, s.parentIndent, true);
    }
    return d.value === s.value ? d : undefined;
  } catch {
    return undefined;
  }
}

export function columnOf(text: string, p: number): number {
  let q = p;
  // A carriage return alone is a line break too (YAML; parseYaml reads it as one).
  while (q > 0 && text.charCodeAt(q - 1) !== 10 && text.charCodeAt(q - 1) !== 13) q--;
  // A byte-order mark is zero-width: it is not indentation.
  if (q === 0 && p > 0 && text.charCodeAt(0) === 0xfeff) q = 1;
  return p - q;
}

