// YAML documents as a small tree with source offsets.
//
// A fast, linear parser handles the YAML that deployment files use (block and flow
// collections, all scalar styles, comments). Anything else (anchors, tags, complex
// keys, directives, malformed input) falls back to the `yaml` library, whose errors
// become problems. Both produce the same tree.
import * as YAML from 'yaml';
import { Decoded, ScalarStyle, Unsupported, decodeBlock, decodeFlow } from './scalar';
import { MAX_NESTING, clampProblems, nestingProblem } from './limits';
import { keepShapeAlive } from '../core/shapes';
import type { FormatProblem } from './types';

export interface YScalar {
  kind: 'scalar';
  style: ScalarStyle;
  /** Source range of the whole scalar (quotes and block header included; trailing newlines excluded). */
  start: number;
  end: number;
  /** Decoded string (before type resolution). */
  value: string;
  /** Indentation of the parent node (block scalars), -1 when unknown. */
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

export interface YamlParse { docs: YDoc[]; problems: FormatProblem[] }

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

/** YAML 1.2 core schema resolution of a plain scalar. */
export function resolvePlain(v: string): unknown {
  if (v === '' || v === '~' || v === 'null' || v === 'Null' || v === 'NULL') return null;
  if (v === 'true' || v === 'True' || v === 'TRUE') return true;
  if (v === 'false' || v === 'False' || v === 'FALSE') return false;
  if (/^[-+]?[0-9]+$/.test(v)) return Number(v);
  if (/^0o[0-7]+$/.test(v)) return parseInt(v.slice(2), 8);
  if (/^0x[0-9a-fA-F]+$/.test(v)) return parseInt(v.slice(2), 16);
  if (/^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/.test(v)) return Number(v);
  if (/^[-+]?\.(inf|Inf|INF)$/.test(v)) return v[0] === '-' ? -Infinity : Infinity;
  if (/^\.(nan|NaN|NAN)$/.test(v)) return NaN;
  return v;
}

/** Plain JavaScript value of a node (for schema validation). */
export function toJS(n: YNode | null | undefined, depth = 0): unknown {
  if (!n || depth > 64) return null;
  if (n.kind === 'scalar') {
    if (n.fromLib) return n.libValue;
    return n.style === 'plain' ? resolvePlain(n.value) : n.value;
  }
  if (n.kind === 'seq') return n.items.map((i) => toJS(i, depth + 1));
  const o: Record<string, unknown> = {};
  for (const p of n.pairs) o[p.key.value] = toJS(p.value, depth + 1);
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
  while (q > 0 && text.charCodeAt(q - 1) !== 10) q--;
  // A byte-order mark is zero-width: it is not indentation.
  if (q === 0 && p > 0 && text.charCodeAt(0) === 0xfeff) q = 1;
  return p - q;
}

// ---------------------------------------------------------------------------
// Fast parser.

const SPACE = 32, TAB = 9, LF = 10, CR = 13;

function charTable(chars: string): Uint8Array {
  const t = new Uint8Array(128);
  for (const ch of chars) t[ch.charCodeAt(0)] = 1;
  return t;
}
const NODE_IND = charTable('&*!?%@`,]}#|>');
const KEY_IND = charTable('-&*!?%@`,[]{}#|>');
const VALUE_IND = charTable('&*!?%@`,]}');
const FLOW_KEY_IND = charTable('&*!?|>%@`,]#[{');
const FLOW_IND = charTable('&*!?|>%@`,]}#');
function has(t: Uint8Array, c: number): boolean { return c >= 0 && c < 128 && t[c] === 1; }

/**
 * Duplicate-key check before `key` joins `pairs`, without allocating for small maps: the pairs are scanned, and
 * a map past 12 keys gets a set. Returns false for a duplicate, else the set to pass next time.
 */
function addKey(pairs: readonly YPair[], key: string, keys: Set<string> | undefined): Set<string> | undefined | false {
  if (keys) {
    if (keys.has(key)) return false;
    keys.add(key);
    return keys;
  }
  for (const p of pairs) if (p.key.value === key) return false;
  if (pairs.length < 12) return undefined;
  const set = new Set(pairs.map((p) => p.key.value));
  set.add(key);
  return set;
}

/** A collection nested deeper than MAX_NESTING: reported as is, never handed to the `yaml` library (it recurses too). */
class TooDeep extends Error {
  constructor(readonly offset: number) { super('nesting too deep'); }
}

class FastParser {
  pos: number;
  /** Collections open around the current position. */
  private depth = 0;
  constructor(private readonly t: string, start: number, private readonly limit: number, private readonly skip?: ReadonlySet<string>) { this.pos = start; }

  private c(p: number): number { return p < this.limit ? this.t.charCodeAt(p) : -1; }
  private wsOrEnd(p: number): boolean {
    const c = this.c(p);
    return c === -1 || c === SPACE || c === TAB || c === LF || c === CR;
  }
  private col(p: number): number { return columnOf(this.t, p); }
  /** Enters a collection that starts at `at`. */
  private enter(at: number): void { if (++this.depth > MAX_NESTING) throw new TooDeep(at); }
  private isDash(p: number): boolean { return this.c(p) === 45 && this.wsOrEnd(p + 1); }
  private isDocEnd(p: number): boolean {
    return this.t.startsWith('...', p) && this.wsOrEnd(p + 3) && this.col(p) === 0;
  }
  private done(): boolean { return this.pos >= this.limit || this.isDocEnd(this.pos); }

  /** Rest of the current line must be blank or a comment; moves past the line break. */
  private restOfLine(): void {
    let p = this.pos;
    const start = p;
    while (p < this.limit && (this.c(p) === SPACE || this.c(p) === TAB)) p++;
    if (this.c(p) === 35) {
      if (p === start && p > 0 && !this.isBreakOrBlank(this.t.charCodeAt(p - 1))) throw new Unsupported('comment');
      while (p < this.limit && this.c(p) !== LF) p++;
    }
    if (this.c(p) === CR && this.c(p + 1) === LF) p++;
    if (p < this.limit && this.c(p) !== LF) throw new Unsupported('unexpected text');
    this.pos = p < this.limit ? p + 1 : this.limit;
  }
  private isBreakOrBlank(c: number): boolean { return c === SPACE || c === TAB || c === LF || c === CR; }

  /** At a line start: skips blank and comment lines, leaves pos at the first character of content. */
  private skipBlankLines(): void {
    let p = this.pos;
    while (p < this.limit) {
      let q = p;
      while (q < this.limit && this.c(q) === SPACE) q++;
      const c = this.c(q);
      if (c === TAB) {
        // Tabs are not indentation: only allowed on otherwise blank lines.
        let r = q;
        while (r < this.limit && (this.c(r) === SPACE || this.c(r) === TAB)) r++;
        const d = this.c(r);
        if (d === -1 || d === LF || d === CR || d === 35) q = r;
        else throw new Unsupported('tab indentation');
      }
      const d = this.c(q);
      if (d === 35) { while (q < this.limit && this.c(q) !== LF) q++; }
      else if (d === CR && this.c(q + 1) === LF) q++;
      else if (d !== LF && d !== -1) { this.pos = q; return; }
      p = q < this.limit ? q + 1 : this.limit;
    }
    this.pos = this.limit;
  }
  private nextContent(): void { this.restOfLine(); this.skipBlankLines(); }
  private skipInline(): void { while (this.c(this.pos) === SPACE || this.c(this.pos) === TAB) this.pos++; }

  parseDocument(): YNode | null {
    if (this.c(this.pos) === 0xfeff) this.pos++;
    this.skipBlankLines();
    if (this.pos >= this.limit) return null;
    if (this.c(this.pos) === 37) throw new Unsupported('directive');
    if (this.t.startsWith('---', this.pos) && this.wsOrEnd(this.pos + 3) && this.col(this.pos) === 0) {
      this.pos += 3;
      this.nextContent();
    }
    let node: YNode | null = null;
    if (!this.done()) node = this.parseNode(-1);
    if (this.pos < this.limit) {
      if (!this.isDocEnd(this.pos)) throw new Unsupported('trailing content');
      this.pos += 3;
      this.nextContent();
      if (this.pos < this.limit) throw new Unsupported('content after document end');
    }
    return node;
  }

  /** pos at a non-blank character; returns with pos at the next content (or limit). */
  private parseNode(parentIndent: number): YNode {
    const p = this.pos;
    const c = this.c(p);
    const col = this.col(p);
    if (c === 45 && this.wsOrEnd(p + 1)) return this.parseSeq(col);
    if (c === 91 || c === 123) return this.parseFlowValue();
    if (c === 34 || c === 39) {
      const q = this.parseQuoted(parentIndent);
      this.skipInline();
      if (this.c(this.pos) === 58 && this.wsOrEnd(this.pos + 1)) {
        if (this.t.slice(q.start, q.end).includes('\n')) throw new Unsupported('multi-line key');
        this.pos++;
        return this.parseMap(col, q);
      }
      this.nextContent();
      return q;
    }
    if (c === 124 || c === 62) return this.parseBlockScalar(parentIndent);
    if (has(NODE_IND, c)) throw new Unsupported('indicator');
    const k = this.findKeyColon(p);
    if (k === p) throw new Unsupported('empty key');
    if (k >= 0) {
      const key = this.plainScalar(p, this.trimEnd(p, k));
      this.pos = k + 1;
      return this.parseMap(col, key);
    }
    return this.parsePlain(parentIndent);
  }

  /** A flow collection that is a whole value (not a key); pos moves to the next content. */
  private parseFlowValue(): YNode {
    const n = this.parseFlow();
    this.skipInline();
    if (this.c(this.pos) === 58) throw new Unsupported('flow key');
    this.nextContent();
    return n;
  }

  private trimEnd(s: number, e: number): number {
    while (e > s && (this.c(e - 1) === SPACE || this.c(e - 1) === TAB)) e--;
    return e;
  }
  private plainScalar(s: number, e: number): YScalar {
    return { kind: 'scalar', style: 'plain', start: s, end: e, value: this.t.slice(s, e), parentIndent: -1 };
  }

  /** Index of the ':' of an implicit key on this line, or -1. */
  private findKeyColon(p: number): number {
    for (let q = p; q < this.limit; q++) {
      const c = this.t.charCodeAt(q);
      if (c === LF || c === CR) return -1;
      if (c === 58 && this.wsOrEnd(q + 1)) return q;
      if (c === 35 && q > p && (this.t.charCodeAt(q - 1) === SPACE || this.t.charCodeAt(q - 1) === TAB)) return -1;
    }
    return -1;
  }

  private parseMap(col: number, firstKey: YScalar): YMap {
    this.enter(firstKey.start);
    const pairs: YPair[] = [];
    let keys: Set<string> | undefined;
    let key = firstKey;
    let end = firstKey.end;
    for (;;) {
      const added = addKey(pairs, key.value, keys);
      if (added === false) throw new Unsupported('duplicate key');
      keys = added;
      const value = this.skip !== undefined && this.skip.has(key.value) ? this.skipMapValue(col) : this.parseMapValue(col);
      pairs.push({ key, value });
      end = value ? value.end : key.end;
      if (this.done()) break;
      const ind = this.col(this.pos);
      if (ind < col) break;
      if (ind > col) throw new Unsupported('bad indentation');
      key = this.parseKey();
    }
    this.depth--;
    return { kind: 'map', flow: false, start: firstKey.start, end, pairs };
  }

  private parseKey(): YScalar {
    const p = this.pos;
    const c = this.c(p);
    if (c === 34 || c === 39) {
      const q = this.parseQuoted(-1);
      if (this.t.slice(q.start, q.end).includes('\n')) throw new Unsupported('multi-line key');
      this.skipInline();
      if (!(this.c(this.pos) === 58 && this.wsOrEnd(this.pos + 1))) throw new Unsupported('key');
      this.pos++;
      return q;
    }
    if (has(KEY_IND, c)) throw new Unsupported('key indicator');
    const k = this.findKeyColon(p);
    if (k <= p) throw new Unsupported('no key');
    this.pos = k + 1;
    return this.plainScalar(p, this.trimEnd(p, k));
  }

  private parseMapValue(col: number): YNode | null {
    this.skipInline();
    const p = this.pos;
    const c = this.c(p);
    if (c === -1 || c === LF || c === CR || c === 35) {
      this.nextContent();
      if (this.done()) return null;
      const ind = this.col(this.pos);
      if (ind > col) return this.parseNode(col);
      if (ind === col && this.isDash(this.pos)) return this.parseSeq(col);
      return null;
    }
    if (c === 124 || c === 62) return this.parseBlockScalar(col);
    if (c === 45 && this.wsOrEnd(p + 1)) throw new Unsupported('seq in value');
    if (c === 91 || c === 123) return this.parseFlowValue();
    if (c === 34 || c === 39) {
      const q = this.parseQuoted(col);
      this.skipInline();
      if (this.c(this.pos) === 58) throw new Unsupported('quoted key in value');
      this.nextContent();
      return q;
    }
    if (has(VALUE_IND, c)) throw new Unsupported('indicator');
    return this.parsePlain(col);
  }

  /** Skips a block value by indentation (no parsing); inline values are parsed as usual. */
  private skipMapValue(col: number): YNode | null {
    this.skipInline();
    const c = this.c(this.pos);
    if (!(c === -1 || c === LF || c === CR || c === 35)) return this.parseMapValue(col);
    this.nextContent();
    if (this.done()) return null;
    const start = this.pos;
    const ind0 = this.col(start);
    const seq = ind0 === col && this.isDash(start);
    if (ind0 < col || (ind0 === col && !seq)) return null;
    let end = start;
    let p = start - ind0; // line start
    while (p < this.limit) {
      let q = p;
      while (q < this.limit && this.c(q) === SPACE) q++;
      let le = this.t.indexOf('\n', q);
      if (le < 0 || le > this.limit) le = this.limit;
      const c2 = this.c(q);
      const blank = q >= le || c2 === CR || c2 === 35 || c2 === TAB;
      if (!blank) {
        const ind = q - p;
        if (ind < col || (ind === col && !(seq && this.isDash(q)))) break;
        if (ind === 0 && (this.t.startsWith('...', q)) && this.wsOrEnd(q + 3)) break;
        let e = le;
        while (e > q && (this.c(e - 1) === SPACE || this.c(e - 1) === TAB || this.c(e - 1) === CR)) e--;
        end = e;
      }
      p = le + 1;
    }
    this.pos = end;
    this.nextContent();
    return { kind: 'map', flow: false, start, end, pairs: [], skipped: true };
  }

  private parseSeq(col: number): YSeq {
    const items: (YNode | null)[] = [];
    const start = this.pos;
    this.enter(start);
    let end = start + 1;
    for (;;) {
      this.pos++;
      this.skipInline();
      const c = this.c(this.pos);
      let item: YNode | null = null;
      if (c === -1 || c === LF || c === CR || c === 35) {
        end = Math.max(end, this.pos);
        this.nextContent();
        if (!this.done() && this.col(this.pos) > col) item = this.parseNode(col);
      } else {
        item = this.parseNode(col);
      }
      items.push(item);
      if (item) end = item.end;
      if (this.done()) break;
      const ind = this.col(this.pos);
      if (ind < col) break;
      if (ind > col) throw new Unsupported('bad indentation');
      if (!this.isDash(this.pos)) break;
    }
    this.depth--;
    return { kind: 'seq', flow: false, start, end, items };
  }

  private parseBlockScalar(parentIndent: number): YScalar {
    const hdr = this.pos;
    const style: ScalarStyle = this.c(hdr) === 124 ? 'literal' : 'folded';
    const d = decodeBlock(this.t, hdr, this.limit, parentIndent, false);
    this.pos = d.end;
    this.nextContent();
    return { kind: 'scalar', style, start: hdr, end: d.end, value: d.value, parentIndent };
  }

  private parsePlain(parentIndent: number): YScalar {
    const start = this.pos;
    let end = this.scanPlainLine(start, true);
    let multi = false;
    for (;;) {
      // Look at the following lines for a continuation.
      let p = end;
      while (p < this.limit && this.c(p) !== LF) p++;
      if (p >= this.limit) break;
      p++;
      let cont = -1;
      while (p < this.limit) {
        let q = p;
        while (q < this.limit && this.c(q) === SPACE) q++;
        const c = this.c(q);
        if (c === LF) { p = q + 1; continue; }
        if (c === CR && this.c(q + 1) === LF) { p = q + 2; continue; }
        if (c === -1) break;
        if (c === TAB) throw new Unsupported('tab');
        if (c === 35) break;
        if (q - p <= parentIndent) break;
        if (q - p === 0 && (this.t.startsWith('---', q) || this.t.startsWith('...', q)) && this.wsOrEnd(q + 3)) break;
        cont = q;
        break;
      }
      if (cont < 0) break;
      end = this.scanPlainLine(cont, false);
      multi = true;
    }
    const value = multi ? decodeFlow(this.t, start, end, 'plain', false).value : this.t.slice(start, end);
    this.pos = end;
    this.nextContent();
    return { kind: 'scalar', style: 'plain', start, end, value, parentIndent };
  }

  /** Scans one line of a plain scalar; returns the end of its last non-blank character. */
  private scanPlainLine(p: number, first: boolean): number {
    let last = p;
    for (let q = p; q < this.limit; q++) {
      const c = this.t.charCodeAt(q);
      if (c === LF || c === CR) break;
      if (c === 58 && this.wsOrEnd(q + 1)) throw new Unsupported('colon in plain scalar');
      if (c === 35 && q > p && (this.t.charCodeAt(q - 1) === SPACE || this.t.charCodeAt(q - 1) === TAB)) {
        if (!first) throw new Unsupported('comment in continuation');
        break;
      }
      if (c !== SPACE && c !== TAB) last = q + 1;
    }
    return last;
  }

  private parseQuoted(parentIndent: number): YScalar {
    const start = this.pos;
    const dq = this.c(start) === 34;
    let p = start + 1;
    if (dq) {
      for (; p < this.limit; p++) {
        const c = this.t.charCodeAt(p);
        if (c === 92) { p++; continue; }
        if (c === 34) break;
      }
    } else {
      for (; p < this.limit; p++) {
        if (this.t.charCodeAt(p) === 39) {
          if (this.c(p + 1) === 39) { p++; continue; }
          break;
        }
      }
    }
    if (p >= this.limit) throw new Unsupported('unterminated quote');
    if (parentIndent >= 0) {
      // Continuation lines of a multi-line quoted scalar must be indented past its parent.
      for (let q = this.t.indexOf('\n', start); q >= 0 && q < p; q = this.t.indexOf('\n', q + 1)) {
        let r = q + 1;
        while (r < p && this.c(r) === SPACE) r++;
        const d = this.c(r);
        if (r - q - 1 <= parentIndent && d !== LF && d !== CR && r < p) throw new Unsupported('quoted scalar indentation');
      }
    }
    const style = dq ? 'double' : 'single';
    const value = decodeFlow(this.t, start + 1, p, style, false).value;
    this.pos = p + 1;
    return { kind: 'scalar', style, start, end: p + 1, value, parentIndent };
  }

  private skipFlowWs(): void {
    for (;;) {
      const c = this.c(this.pos);
      if (c === SPACE || c === TAB || c === LF || c === CR) { this.pos++; continue; }
      if (c === 35) {
        const prev = this.t.charCodeAt(this.pos - 1);
        if (!this.isBreakOrBlank(prev)) throw new Unsupported('comment');
        while (this.pos < this.limit && this.c(this.pos) !== LF) this.pos++;
        continue;
      }
      return;
    }
  }

  private parseFlow(): YMap | YSeq {
    const start = this.pos;
    const open = this.c(start);
    this.enter(start);
    this.pos++;
    if (open === 91) {
      const items: (YNode | null)[] = [];
      for (;;) {
        this.skipFlowWs();
        const c = this.c(this.pos);
        if (c === -1) throw new Unsupported('unterminated flow');
        if (c === 93) { this.pos++; break; }
        const item = this.parseFlowNode();
        this.skipFlowWs();
        const d = this.c(this.pos);
        if (d === 58) throw new Unsupported('flow pair');
        items.push(item);
        if (d === 44) { this.pos++; continue; }
        if (d === 93) { this.pos++; break; }
        throw new Unsupported('flow seq');
      }
      this.depth--;
      return { kind: 'seq', flow: true, start, end: this.pos, items };
    }
    const pairs: YPair[] = [];
    let keys: Set<string> | undefined;
    for (;;) {
      this.skipFlowWs();
      const c = this.c(this.pos);
      if (c === -1) throw new Unsupported('unterminated flow');
      if (c === 125) { this.pos++; break; }
      let key: YScalar;
      if (c === 34 || c === 39) key = this.parseQuoted(-1);
      else if (has(FLOW_KEY_IND, c)) throw new Unsupported('flow key');
      else key = this.flowPlain();
      this.skipFlowWs();
      if (this.c(this.pos) !== 58) throw new Unsupported('flow map without value');
      this.pos++;
      this.skipFlowWs();
      let value: YNode | null = null;
      const d = this.c(this.pos);
      if (d !== 44 && d !== 125) { value = this.parseFlowNode(); this.skipFlowWs(); }
      const added = addKey(pairs, key.value, keys);
      if (added === false) throw new Unsupported('duplicate key');
      keys = added;
      pairs.push({ key, value });
      const e = this.c(this.pos);
      if (e === 44) { this.pos++; continue; }
      if (e === 125) { this.pos++; break; }
      throw new Unsupported('flow map');
    }
    this.depth--;
    return { kind: 'map', flow: true, start, end: this.pos, pairs };
  }

  private parseFlowNode(): YNode {
    const c = this.c(this.pos);
    if (c === 91 || c === 123) return this.parseFlow();
    if (c === 34 || c === 39) return this.parseQuoted(-1);
    if (has(FLOW_IND, c)) throw new Unsupported('flow indicator');
    if (c === 45 && this.wsOrEnd(this.pos + 1)) throw new Unsupported('dash in flow');
    return this.flowPlain();
  }

  private flowPlain(): YScalar {
    const start = this.pos;
    let last = start;
    let q = start;
    for (; q < this.limit; q++) {
      const c = this.t.charCodeAt(q);
      if (c === LF || c === CR || c === 44 || c === 91 || c === 93 || c === 123 || c === 125) break;
      if (c === 58) {
        const n = this.c(q + 1);
        if (n === -1 || n === SPACE || n === TAB || n === LF || n === CR || n === 44 || n === 93 || n === 125) break;
      }
      if (c === 35 && (this.t.charCodeAt(q - 1) === SPACE || this.t.charCodeAt(q - 1) === TAB)) break;
      if (c !== SPACE && c !== TAB) last = q + 1;
    }
    if (last === start) throw new Unsupported('empty flow scalar');
    this.pos = last;
    return this.plainScalar(start, last);
  }
}
keepShapeAlive(new FastParser('', 0, 0));
keepShapeAlive(new FastParser('', 0, 0, new Set()));

// ---------------------------------------------------------------------------
// Fallback through the `yaml` library.

const STYLE: Record<string, ScalarStyle> = {
  PLAIN: 'plain', QUOTE_DOUBLE: 'double', QUOTE_SINGLE: 'single', BLOCK_LITERAL: 'literal', BLOCK_FOLDED: 'folded',
};

/**
 * The node an alias names: the last anchor of that name before it, as YAML defines it. The library's
 * `Alias.resolve` walks the whole document for every alias (time quadratic in the aliases); here the anchors are
 * indexed once per document and each alias is a binary search.
 */
const anchorIndexes = new WeakMap<YAML.Document, Map<string, Array<{ pos: number; node: unknown }>>>();

function resolveAlias(alias: YAML.Alias, doc: YAML.Document): unknown {
  let index = anchorIndexes.get(doc);
  if (!index) {
    const built = new Map<string, Array<{ pos: number; node: unknown }>>();
    YAML.visit(doc, {
      Node(_key, node) {
        const anchor = (node as { anchor?: string }).anchor;
        const pos = node.range?.[0];
        if (anchor && pos !== undefined) {
          const list = built.get(anchor);
          if (list) list.push({ pos, node }); else built.set(anchor, [{ pos, node }]);
        }
      },
    });
    for (const list of built.values()) list.sort((a, b) => a.pos - b.pos);
    anchorIndexes.set(doc, built);
    index = built;
  }
  const list = index.get(alias.source);
  const at = alias.range?.[0];
  if (!list || at === undefined) return undefined;
  let lo = 0, hi = list.length; // the first anchor at or after the alias
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid].pos < at) lo = mid + 1; else hi = mid;
  }
  return lo > 0 ? list[lo - 1].node : undefined;
}

function fromLib(n: unknown, doc: YAML.Document, text: string, base: number, depth: number, budget: { left: number }): YNode | null {
  if (!n || depth > 64 || --budget.left < 0) return null;
  if (YAML.isAlias(n)) return fromLib(resolveAlias(n, doc), doc, text, base, depth + 1, budget);
  if (YAML.isScalar(n)) {
    const r = n.range;
    if (!r) return null;
    const style = STYLE[String(n.type)] ?? 'plain';
    const start = base + r[0];
    let end = base + r[1];
    if (style === 'literal' || style === 'folded') {
      while (end > start && /[\s]/.test(text[end - 1])) end--;
    }
    const src = (n as { source?: unknown }).source;
    if (n.value === null && (src === '' || src === undefined) && style === 'plain' && r[0] === r[1]) return null;
    const value = typeof src === 'string' ? src : n.value === null || n.value === undefined ? '' : String(n.value);
    return { kind: 'scalar', style, start, end, value, parentIndent: -1, libValue: n.value, fromLib: true };
  }
  if (YAML.isMap(n)) {
    const r = n.range;
    const pairs: YPair[] = [];
    for (const p of n.items) {
      const k = fromLib(p.key, doc, text, base, depth + 1, budget);
      if (!k || k.kind !== 'scalar') continue;
      pairs.push({ key: k, value: fromLib(p.value, doc, text, base, depth + 1, budget) });
    }
    const start = r ? base + r[0] : pairs[0]?.key.start ?? base;
    let end = r ? base + r[1] : start;
    if (!n.flow) {
      const last = pairs[pairs.length - 1];
      if (last) end = last.value ? last.value.end : last.key.end;
    }
    return { kind: 'map', flow: !!n.flow, start, end, pairs };
  }
  if (YAML.isSeq(n)) {
    const r = n.range;
    const items = n.items.map((i) => fromLib(i, doc, text, base, depth + 1, budget));
    const start = r ? base + r[0] : base;
    let end = r ? base + r[1] : start;
    if (!n.flow) {
      for (let k = items.length - 1; k >= 0; k--) { const it = items[k]; if (it) { end = it.end; break; } }
    }
    return { kind: 'seq', flow: !!n.flow, start, end, items };
  }
  return null;
}

function libProblems(doc: YAML.Document, base: number, limit: number, problems: FormatProblem[]): void {
  const all = [...doc.errors.map((e) => ['error', e] as const), ...doc.warnings.map((w) => ['warning', w] as const)];
  for (const [severity, e] of all) {
    const [s, t] = e.pos;
    problems.push({
      severity,
      message: 'YAML: ' + e.message.split('\n')[0],
      range: { start: Math.min(base + s, limit), end: Math.min(base + Math.max(t, s), limit) },
    });
  }
}

/**
 * Where the nesting of YAML text first goes past MAX_NESTING, estimated in one pass without
 * parsing, for text the `yaml` library is to read (it recurses once per level and overflows the
 * stack near a thousand). Block levels are counted by indentation (`- ` and `? ` open compact
 * collections), flow levels by brackets outside quotes and comments; the content of block
 * scalars is skipped. The estimate is not below the depth the library reaches for collections.
 */
export function nestingOverLimit(text: string, start: number, end: number): number | undefined {
  const indents: number[] = [];
  let flow = 0;
  let blockScalar = -1; // while >= 0: lines indented more than this belong to a block scalar
  let p = start;
  let lineStart = start;
  let atLineStart = true;
  const isBlank = (c: number): boolean => c === SPACE || c === TAB;
  while (p < end) {
    if (atLineStart) {
      atLineStart = false;
      lineStart = p;
      if (flow === 0) {
        let q = p;
        while (q < end && text.charCodeAt(q) === SPACE) q++;
        const c = q < end ? text.charCodeAt(q) : -1;
        const blank = c === -1 || c === LF || c === CR || c === 35 || c === TAB;
        if (blockScalar >= 0 && (blank || q - p > blockScalar)) {
          const nl = text.indexOf('\n', q);
          p = nl < 0 || nl >= end ? end : nl + 1;
          atLineStart = true;
          continue;
        }
        blockScalar = -1;
        if (!blank) {
          const col = q - p;
          while (indents.length && indents[indents.length - 1] >= col) indents.pop();
          indents.push(col);
          // Compact nested collections on one line: `- - x`, `- ? x`.
          while ((text.charCodeAt(q) === 45 || text.charCodeAt(q) === 63) && (q + 1 >= end || isBlank(text.charCodeAt(q + 1)))) {
            q++;
            while (q < end && isBlank(text.charCodeAt(q))) q++;
            indents.push(q - p);
          }
          if (indents.length + flow > MAX_NESTING) return q;
        }
        p = q;
        continue;
      }
    }
    const c = text.charCodeAt(p);
    const prev = p > lineStart ? text.charCodeAt(p - 1) : SPACE;
    const tokenStart = isBlank(prev) || (flow > 0 && (prev === 91 || prev === 123 || prev === 44 || prev === 58));
    if (c === LF) { atLineStart = true; p++; continue; }
    if (c === 35 && isBlank(prev)) {
      const nl = text.indexOf('\n', p);
      p = nl < 0 || nl >= end ? end : nl;
      continue;
    }
    if ((c === 34 || c === 39) && tokenStart) {
      let q = p + 1;
      for (; q < end; q++) {
        const d = text.charCodeAt(q);
        if (c === 34 && d === 92) { q++; continue; }
        if (d === c) {
          if (c === 39 && q + 1 < end && text.charCodeAt(q + 1) === 39) { q++; continue; }
          break;
        }
      }
      if (q < end) {
        // A quoted scalar may span lines: what follows its close is on the line it ends on.
        const nl = text.lastIndexOf('\n', q);
        if (nl > p) lineStart = nl + 1;
        p = q + 1;
        continue;
      }
    }
    if ((c === 91 || c === 123) && (flow > 0 || tokenStart)) {
      flow++;
      if (indents.length + flow > MAX_NESTING) return p;
    } else if ((c === 93 || c === 125) && flow > 0) {
      flow--;
    } else if ((c === 124 || c === 62) && flow === 0 && tokenStart && /^[|>][0-9+-]*[ \t]*(#.*)?\r?$/.test(text.slice(p, lineEnd(text, p, end)))) {
      blockScalar = indents.length ? indents[indents.length - 1] : 0;
    }
    p++;
  }
  return undefined;
}

function lineEnd(text: string, p: number, end: number): number {
  const nl = text.indexOf('\n', p);
  return nl < 0 || nl > end ? end : nl;
}

/** Start of the line holding `p` (not before `start`). */
function lineStartOf(text: string, p: number, start: number): number {
  let q = p;
  while (q > start && text.charCodeAt(q - 1) !== LF) q--;
  return q;
}

/** `first`: false when a nesting problem was already reported for this text (it is then not read again). */
function parseWithLib(text: string, start: number, end: number, problems: FormatProblem[], first = true): YDoc[] {
  const deep = nestingOverLimit(text, start, end);
  if (deep !== undefined) {
    if (!first) return [];
    // Not handed to the library (it would overflow the stack): what comes before the line is read.
    problems.push(nestingProblem(deep, text.length));
    const cut = lineStartOf(text, deep, start);
    return cut > start ? parseWithLib(text, start, cut, problems, false) : [];
  }
  const seg = start === 0 && end === text.length ? text : text.slice(start, end);
  const out: YDoc[] = [];
  let docs: YAML.Document[];
  try {
    const all = YAML.parseAllDocuments(seg, { prettyErrors: false, uniqueKeys: true });
    docs = Array.isArray(all) ? all : [];
  } catch (e) {
    problems.push({ severity: 'error', message: 'YAML: ' + String((e as Error).message ?? e), range: { start, end: start } });
    return out;
  }
  for (const d of docs) {
    libProblems(d, start, end, problems);
    const root = fromLib(d.contents, d, text, start, 0, { left: 200000 });
    const r = d.range;
    out.push({ root, start: start + (r ? r[0] : 0), end: start + (r ? r[2] : seg.length), fromLib: true });
  }
  return out;
}

// ---------------------------------------------------------------------------
// Documents.

/** Offsets where documents start (`---` lines); the first segment starts at 0. */
export function splitSegments(text: string): { start: number; end: number }[] {
  const starts: number[] = [0];
  let p = 0;
  for (;;) {
    const i = p === 0 && text.startsWith('---') ? 0 : text.indexOf('\n---', p);
    if (i < 0) break;
    const lineStart = i === 0 && p === 0 && text.startsWith('---') ? 0 : i + 1;
    const after = text.charCodeAt(lineStart + 3);
    if (Number.isNaN(after) || after === SPACE || after === TAB || after === LF || after === CR) {
      if (lineStart !== 0) starts.push(lineStart);
    }
    p = lineStart + 3;
  }
  const segs: { start: number; end: number }[] = [];
  for (let k = 0; k < starts.length; k++) segs.push({ start: starts[k], end: k + 1 < starts.length ? starts[k + 1] : text.length });
  return segs;
}

export interface ParseYamlOptions {
  /** Skip documents whose text this returns false for (they are not parsed at all). */
  filter?: (text: string, start: number, end: number) => boolean;
  /** Always use the `yaml` library (tests compare both). */
  forceLib?: boolean;
  /** Keys whose block values are skipped, not parsed (fast path only). */
  skipKeys?: ReadonlySet<string>;
  /** Receives each document as soon as it is parsed; the documents are then not kept (less memory held). */
  onDoc?: (doc: YDoc) => void;
}

export function parseYaml(text: string, opts: ParseYamlOptions = {}): YamlParse {
  const problems: FormatProblem[] = [];
  // Directives (%YAML) belong to the next document; leave such files to the library.
  const docs: YDoc[] = [];
  const emit = (d: YDoc): void => { if (opts.onDoc) opts.onDoc(d); else docs.push(d); };
  if (opts.forceLib || (text.includes('%') && /^%/m.test(text))) {
    for (const d of parseWithLib(text, 0, text.length, problems)) if (!opts.filter || opts.filter(text, d.start, d.end)) emit(d);
    return { docs, problems: clampProblems(problems, text.length) };
  }
  const parseSegment = (start: number, end: number, retry: boolean): void => {
    let root: YNode | null;
    try {
      root = new FastParser(text, start, end, opts.skipKeys).parseDocument();
    } catch (e) {
      if (e instanceof TooDeep) {
        // Neither this parser nor the library reads it; what comes before the line is read.
        problems.push(nestingProblem(e.offset, text.length));
        const cut = lineStartOf(text, e.offset, start);
        if (retry && cut > start) parseSegment(start, cut, false);
        return;
      }
      if (!(e instanceof Unsupported)) throw e;
      for (const d of parseWithLib(text, start, end, problems, retry)) emit(d);
      return;
    }
    if (root !== null) emit({ root, start, end, fromLib: false });
  };
  for (const seg of splitSegments(text)) {
    if (opts.filter && !opts.filter(text, seg.start, seg.end)) continue;
    parseSegment(seg.start, seg.end, true);
  }
  return { docs, problems: clampProblems(problems, text.length) };
}
