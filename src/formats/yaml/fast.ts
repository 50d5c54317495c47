// The fast YAML path: a linear, allocation-light parser for the YAML that deployment files are written in. It
// exists for speed (multi-megabyte manifests) and must never disagree with the `yaml` library: for any input it
// either builds exactly the tree the library path builds (src/formats/yaml/library.ts: same values, same source
// ranges, same node shapes) or throws `Unsupported`, and the document is then read by the library. The
// differential test (test/unit/formats/yaml-differential.test.ts) holds it to that on the YAML test suite, the
// deployment corpus and generated variants.
//
// Supported subset (everything else declines):
// - documents: an optional `---` start and `...` end, comments, a byte-order mark; no directives (`%YAML`);
// - block mappings with plain or single-line quoted implicit keys (no `?` explicit keys, no empty keys, no
//   duplicate keys), block sequences (including `- - x` compact nesting and sequences at the indentation of their
//   parent key), indentation by spaces only (tabs only as separators and on blank lines);
// - flow sequences and mappings of scalars and flow collections (no `key: value` pairs inside `[...]`, no flow
//   collections as keys, no empty flow entries);
// - scalars: plain (multi-line by folding; a line ending in a comment ends the scalar, and more-indented text after
//   it declines, as the library reports it as an error), single- and double-quoted (escapes, multi-line), literal
//   and folded block scalars with chomping and indentation indicators;
// - anchors (`&a`) on values (not on keys, not on empty values) and aliases (`*a`) to an anchor earlier in the
//   document, merge keys (`<<: *a`) included: an alias is a copy of the anchored node (the library path builds
//   the same copies), within an expansion budget below the library's (past it, the document declines and the
//   library reports what it left out);
// - not supported: tags, complex keys, multi-line implicit keys, and any input the library reports an error or
//   warning for.
// Block values of keys in `skipKeys` reach readers as a `skipped` placeholder map with the value's range and no
// nodes; they are still read, so that whatever the library objects to there (duplicate keys, unclosed brackets,
// bad indentation) declines as anywhere else: checked line by line without nodes in the forms such blocks are
// written in (`skimBlock`), parsed in full otherwise.
import { ScalarStyle, Unsupported, decodeBlock, decodeFlow } from '../scalar';
import { MAX_NESTING } from '../limits';
import { aliasBudget } from './budget';
import { keepShapeAlive } from '../../core/shapes';
import { YMap, YNode, YPair, YScalar, YSeq, columnOf } from './nodes';

export { Unsupported };

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

// `FastParser.skimBlock`'s stacks, shared (it calls nothing that skims): per open collection its column, kind and
// first key; per open key its start and end.
const SKIM_MAP = 0, SKIM_SEQ = 1, SKIM_SEQ_AT_KEY = 2;
const SKIM_FRAMES = 32;
const SKIM_KEY_LIMIT = 256;
const SKIM_STACK = new Int32Array(3 * SKIM_FRAMES);
const SKIM_KEYS = new Int32Array(2 * SKIM_KEY_LIMIT);

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

/** Per skip set: 1 at (length × 128 + first character) of each of its keys (keys of 64 characters or more, or not ASCII first, are looked up). */
const skipKeyFilters = new WeakMap<ReadonlySet<string>, Uint8Array>();
function skipKeyFilter(skip: ReadonlySet<string>): Uint8Array {
  let filter = skipKeyFilters.get(skip);
  if (!filter) {
    filter = new Uint8Array(64 * 128);
    for (const k of skip) if (k.length > 0 && k.length < 64 && k.charCodeAt(0) < 128) filter[k.length * 128 + k.charCodeAt(0)] = 1;
    skipKeyFilters.set(skip, filter);
  }
  return filter;
}

/** A collection nested deeper than MAX_NESTING: reported as is, never handed to the `yaml` library (it recurses too). */
export class TooDeep extends Error {
  constructor(readonly offset: number) { super('nesting too deep'); }
}

/**
 * Where the next `ch` of a text is, from `from` on (-1: none after it), kept until the parser passes it: parsers move
 * forward through the text, so each search covers new text and the text is searched about once in all.
 */
export interface NextSearch { readonly ch: string; from: number; at: number }
const newSearch = (ch: string): NextSearch => ({ ch, from: Infinity, at: -1 });
/** Backslashes, shared by the parsers of one text's documents, so that a text with none is searched once. */
export const newEscapeSearch = (): NextSearch => newSearch('\\');

export class FastParser {
  pos: number;
  /** Collections open around the current position. */
  private depth = 0;
  /** Indentation of the block collection holding the flow collection being read (its lines must be deeper). */
  private flowIndent = -1;
  /** Line feeds ahead, for quoted scalars on long lines (see nextBreak). */
  private readonly breaks = newSearch('\n');
  /** Anchored nodes by name (the last one wins), and anchors whose node is still being read. */
  private anchors: Map<string, YNode> | undefined = undefined;
  private pending: Set<string> | undefined = undefined;
  /** Nodes read from the source (aliases one each, their copies not counted), and nodes built by alias copies. */
  private nodes = 0;
  private copied = 0;
  /** Where the last content line found by skipBlankLines starts, and its first content character. */
  private lineStart = -1;
  private lineContent = -1;
  /** `escapes`: backslashes ahead, shared by the parsers of one text's documents (`newEscapeSearch`). */
  constructor(private readonly t: string, start: number, private readonly limit: number, private readonly skip?: ReadonlySet<string>,
    private readonly escapes: NextSearch = newEscapeSearch()) { this.pos = start; }

  /** Whether `key` is in `skip`: most keys are told apart by their length and first character, without hashing. */
  private skips(key: string): boolean {
    const filter = (this.skipFilter ??= skipKeyFilter(this.skip!));
    const first = key.charCodeAt(0);
    if (first < 128 && key.length < 64 && filter[key.length * 128 + first] === 0) return false;
    return this.skip!.has(key);
  }
  private skipFilter: Uint8Array | undefined = undefined;

  private c(p: number): number { return p < this.limit ? this.t.charCodeAt(p) : -1; }
  private wsOrEnd(p: number): boolean {
    const c = this.c(p);
    return c === -1 || c === SPACE || c === TAB || c === LF || c === CR;
  }
  // The column of the content skipBlankLines just found is known without scanning back to the line start.
  private col(p: number): number { return p === this.lineContent && this.lineStart > 0 ? p - this.lineStart : columnOf(this.t, p); }
  /** Enters a collection that starts at `at`. */
  private enter(at: number): void {
    this.nodes++;
    if (++this.depth > MAX_NESTING) throw new TooDeep(at);
  }
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
      else if (d !== LF && d !== -1) {
        this.pos = q;
        // Only a true line start gives the column (a document may begin after `--- ` on the marker's line).
        const before = p > 0 ? this.t.charCodeAt(p - 1) : LF;
        this.lineStart = before === LF || before === CR ? p : -1;
        this.lineContent = q;
        return;
      }
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
    if (c === 38) return this.anchoredNode(parentIndent, false);
    if (c === 42) return this.blockAlias(parentIndent);
    const col = this.col(p);
    if (c === 45 && this.wsOrEnd(p + 1)) return this.parseSeq(col);
    if (c === 91 || c === 123) return this.parseFlowValue(parentIndent);
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
  private parseFlowValue(parentIndent: number): YNode {
    this.flowIndent = parentIndent;
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
    this.nodes++;
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
      const value = this.skip !== undefined && this.skips(key.value) ? this.skipMapValue(col) : this.parseMapValue(col);
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
    if (c === 38) return this.anchoredNode(col, true);
    if (c === 42) return this.blockAlias(col);
    if (c === -1 || c === LF || c === CR || c === 35) {
      this.nextContent();
      return this.done() ? null : this.blockValue(col);
    }
    if (c === 124 || c === 62) return this.parseBlockScalar(col);
    if (c === 45 && this.wsOrEnd(p + 1)) throw new Unsupported('seq in value');
    if (c === 91 || c === 123) return this.parseFlowValue(col);
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

  /**
   * The value of a key in `skipKeys`. A block collection is still read, so that everything the library would
   * object to in it (duplicate keys, unclosed brackets, bad indentation, anchors) declines as anywhere else, but
   * readers get a `skipped` placeholder with its range instead of its nodes; inline values are returned as is.
   * The forms such blocks are written in (labels, annotations, ports, probes) are checked without building nodes
   * (`skimBlock`); anything else is parsed in full.
   */
  private skipMapValue(col: number): YNode | null {
    this.skipInline();
    const c = this.c(this.pos);
    if (!(c === -1 || c === LF || c === CR || c === 35)) return this.parseMapValue(col);
    this.nextContent();
    if (this.done()) return null;
    const start = this.pos;
    if (this.skimBlock(col)) return { kind: 'map', flow: false, start, end: this.skimmedEnd, pairs: [], skipped: true };
    const v = this.blockValue(col);
    if (!v || v.kind === 'scalar' || v.flow) return v;
    return { kind: 'map', flow: false, start: v.start, end: v.end, pairs: [], skipped: true };
  }

  /** Where the last block `skimBlock` accepted ends (as the node parsed in full would). */
  private skimmedEnd = -1;

  /**
   * Checks the block collection at pos (a map value's first line, below `key:` at column `col`) without building
   * nodes, and moves past it as `blockValue` would; false (pos unchanged) for anything outside the forms it knows,
   * which is then parsed in full. Known: block maps of plain keys and block sequences (a sequence at its key's
   * column included), items `- key: value` and `- scalar`, values that are plain or quoted scalars on one line, and
   * comments. Everything else — anchors, aliases, tags, flow collections, block scalars, multi-line or escaped
   * scalars, quoted keys, empty items, tabs, duplicate keys, more than `SKIM_FRAMES` levels or
   * `SKIM_KEY_LIMIT` open keys — is left to the full parse, which reads or declines it exactly as elsewhere.
   */
  private skimBlock(col: number): boolean {
    const t = this.t;
    let q = this.pos;
    let ls = q - this.col(q);
    let frames = 0;
    let keys = 0;
    let nodes = 0;
    let end = -1;
    let resume = -1;
    // The line before opened a value with nothing after `key:` (its map's column), -1 when not.
    let openKey = -1;
    for (;;) {
      // q: the first character of a line's content, ls: the line's start.
      const c = this.c(q);
      if (c === TAB) return false;
      if (c === -1) break;
      if (c === LF || c === CR || c === 35) {
        const next = this.skimLineEnd(q);
        if (next < 0) return false;
        if (next >= this.limit) break;
        ls = next;
        q = this.skimIndent(ls);
        continue;
      }
      const ind = q - ls;
      if (ind === 0 && (t.startsWith('---', q) || t.startsWith('...', q)) && this.wsOrEnd(q + 3)) break;
      const dash = c === 45 && this.wsOrEnd(q + 1);
      if (frames === 0) {
        if (!(ind > col || (ind === col && dash))) return false;
        frames = this.skimPush(0, ind, dash ? (ind === col ? SKIM_SEQ_AT_KEY : SKIM_SEQ) : SKIM_MAP, keys);
        nodes++;
      } else if (openKey >= 0 && (ind > openKey || (ind === openKey && dash))) {
        // The open key's value: a block collection (a sequence may sit at the key's own column).
        if (frames >= SKIM_FRAMES) return false;
        frames = this.skimPush(frames, ind, dash ? (ind === openKey ? SKIM_SEQ_AT_KEY : SKIM_SEQ) : SKIM_MAP, keys);
        nodes++;
      } else {
        while (frames > 0 && ind < SKIM_STACK[3 * (frames - 1)]) keys = SKIM_STACK[3 * --frames + 2];
        if (frames > 0 && !dash && SKIM_STACK[3 * (frames - 1) + 1] === SKIM_SEQ_AT_KEY && ind === SKIM_STACK[3 * (frames - 1)]) {
          keys = SKIM_STACK[3 * --frames + 2];
        }
        // The block is over (a line between its column and `col` is then bad indentation for the map around it).
        if (frames === 0) break;
        if (ind > SKIM_STACK[3 * (frames - 1)]) return false;
      }
      openKey = -1;
      if (this.depth + frames > MAX_NESTING) return false;
      let at = q;
      if (SKIM_STACK[3 * (frames - 1) + 1] !== SKIM_MAP) {
        if (!dash) return false;
        at = q + 1;
        while (this.c(at) === SPACE) at++;
        const d = this.c(at);
        if (d === TAB || d === -1 || d === LF || d === CR || d === 35) return false;
        if (this.findKeyColon(at) >= 0) {
          // `- key: value`: a map at the item's column.
          if (frames >= SKIM_FRAMES) return false;
          frames = this.skimPush(frames, at - ls, SKIM_MAP, keys);
          nodes++;
          if (this.depth + frames > MAX_NESTING) return false;
        } else {
          const e = this.skimScalar(at);
          if (e < 0) return false;
          nodes++;
          end = resume = e;
          at = -1;
        }
      } else if (dash) {
        return false;
      }
      if (at >= 0) {
        // A key line of the innermost map.
        if (has(KEY_IND, this.c(at)) || this.c(at) === 34 || this.c(at) === 39) return false;
        const k = this.findKeyColon(at);
        if (k <= at) return false;
        const keyEnd = this.trimEnd(at, k);
        for (let i = SKIM_STACK[3 * (frames - 1) + 2]; i < keys; i++) if (this.sameText(SKIM_KEYS[2 * i], SKIM_KEYS[2 * i + 1], at, keyEnd)) return false;
        if (keys >= SKIM_KEY_LIMIT) return false;
        SKIM_KEYS[2 * keys] = at;
        SKIM_KEYS[2 * keys + 1] = keyEnd;
        keys++;
        nodes++;
        let v = k + 1;
        while (this.c(v) === SPACE) v++;
        const d = this.c(v);
        if (d === TAB) return false;
        if (d === -1 || d === LF || d === CR || d === 35) {
          openKey = SKIM_STACK[3 * (frames - 1)];
          end = keyEnd;
          resume = k + 1;
        } else {
          const e = this.skimScalar(v);
          if (e < 0) return false;
          nodes++;
          end = resume = e;
        }
      }
      const next = this.skimLineEnd(resume);
      if (next < 0) return false;
      if (next >= this.limit) break;
      ls = next;
      q = this.skimIndent(ls);
    }
    if (end < 0) return false;
    this.nodes += nodes;
    this.skimmedEnd = end;
    this.pos = resume;
    this.nextContent();
    return true;
  }

  /** Whether the text at [a, aEnd) is the text at [b, bEnd). */
  private sameText(a: number, aEnd: number, b: number, bEnd: number): boolean {
    if (aEnd - a !== bEnd - b) return false;
    for (let i = 0; i < aEnd - a; i++) if (this.t.charCodeAt(a + i) !== this.t.charCodeAt(b + i)) return false;
    return true;
  }

  /** Pushes a frame of `skimBlock` (column, kind, first key of the map); returns the new frame count. */
  private skimPush(frames: number, column: number, kind: number, keys: number): number {
    SKIM_STACK[3 * frames] = column;
    SKIM_STACK[3 * frames + 1] = kind;
    SKIM_STACK[3 * frames + 2] = keys;
    return frames + 1;
  }

  /** The first content position of the line starting at `ls` (spaces skipped). */
  private skimIndent(ls: number): number {
    let q = ls;
    while (this.c(q) === SPACE) q++;
    return q;
  }

  /**
   * From `p` (after a scalar, a key's colon, or at a comment or line break): the start of the next line, once the
   * rest of this one is blank or a comment after a blank; -1 for anything else. `limit` or past: the end.
   */
  private skimLineEnd(p: number): number {
    const from = p;
    while (this.c(p) === SPACE) p++;
    const c = this.c(p);
    if (c === 35) {
      if (p === from && p > 0 && !this.isBreakOrBlank(this.t.charCodeAt(p - 1))) return -1;
      const lf = this.nextBreak(p);
      return lf < 0 || lf >= this.limit ? this.limit : lf + 1;
    }
    if (c === -1) return this.limit;
    if (c === CR) return this.c(p + 1) === LF ? p + 2 : -1;
    return c === LF ? p + 1 : -1;
  }

  /**
   * A scalar value on one line at `p`, plain or quoted without escapes: the end of it, or -1 for any other value
   * (an indicator, a flow collection, a block scalar, an escape, a quote running past the line, `: ` in plain text).
   * The rest of the line is not looked at.
   */
  private skimScalar(p: number): number {
    const c = this.c(p);
    if (c === 34 || c === 39) {
      const close = this.t.indexOf(c === 34 ? '"' : "'", p + 1);
      if (close < 0 || close >= this.limit) return -1;
      const lf = this.nextBreak(p);
      if (lf >= 0 && lf < close) return -1;
      // An escape may be one the library rejects. (A doubled single quote, `''`, leaves a quote after the one found:
      // the caller's `skimLineEnd` refuses it, as anything on the line but blanks and a comment after a blank.)
      if (c === 34) {
        const escape = this.nextIndex(this.escapes, p + 1);
        if (escape >= 0 && escape < close) return -1;
      }
      return close + 1;
    }
    if (has(VALUE_IND, c) || c === 91 || c === 123 || c === 124 || c === 62 || (c === 45 && this.wsOrEnd(p + 1)) || c === TAB) return -1;
    // The first line of a plain scalar, as `parsePlain` reads it (`: ` in it declines there, and is left to it here).
    try {
      return this.scanPlainLine(p, true);
    } catch (e) {
      if (e instanceof Unsupported) return -1;
      throw e;
    }
  }

  /** The value of a map key on the lines below it (pos at their first content): a node, or null when it has none. */
  private blockValue(col: number): YNode | null {
    const ind = this.col(this.pos);
    if (ind > col) return this.parseNode(col);
    if (ind === col && this.isDash(this.pos)) return this.parseSeq(col);
    return null;
  }

  private parseSeq(col: number): YSeq {
    const items: (YNode | null)[] = [];
    const start = this.pos;
    this.enter(start);
    let end = start + 1;
    for (;;) {
      this.pos++;
      const sep = this.pos;
      this.skipInline();
      const c = this.c(this.pos);
      if (this.pos > sep + 1 || (this.pos > sep && this.t.charCodeAt(sep) === TAB)) this.checkSeqSeparator(sep);
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

  /** After `- ` and more blanks: a tab there cannot indent a nested block collection (the library rejects it). */
  private checkSeqSeparator(sep: number): void {
    let tab = false;
    for (let p = sep; p < this.pos; p++) if (this.t.charCodeAt(p) === TAB) tab = true;
    if (tab && this.opensBlockCollection(this.pos)) throw new Unsupported('tab before a nested block collection');
  }

  /** Whether a compact block collection (`- x`, `k: v`, a quoted key) starts at `p`. */
  private opensBlockCollection(p: number): boolean {
    const c = this.c(p);
    return this.isDash(p) || c === 34 || c === 39 || c === 63 || this.findKeyColon(p) >= 0;
  }

  private parseBlockScalar(parentIndent: number): YScalar {
    const hdr = this.pos;
    const style: ScalarStyle = this.c(hdr) === 124 ? 'literal' : 'folded';
    const d = decodeBlock(this.t, hdr, this.limit, parentIndent, false);
    this.pos = d.end;
    this.nextContent();
    this.nodes++;
    return { kind: 'scalar', style, start: hdr, end: d.end, value: d.value, parentIndent };
  }

  private parsePlain(parentIndent: number): YScalar {
    const start = this.pos;
    let end = this.scanPlainLine(start, true);
    let multi = false;
    for (;;) {
      // A comment ends the scalar: more-indented text after it is an error for the library (it is not folded in).
      const commented = this.commentAfter(end);
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
      if (commented) throw new Unsupported('text after a comment in a plain scalar');
      end = this.scanPlainLine(cont, false);
      multi = true;
    }
    const value = multi ? decodeFlow(this.t, start, end, 'plain', false).value : this.t.slice(start, end);
    this.pos = end;
    this.nextContent();
    this.nodes++;
    return { kind: 'scalar', style: 'plain', start, end, value, parentIndent: -1 };
  }

  /** Whether the rest of the line after `p` (blanks, then `#`) is a comment. */
  private commentAfter(p: number): boolean {
    while (this.c(p) === SPACE || this.c(p) === TAB) p++;
    return this.c(p) === 35;
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
    // The closing quote and whether the text needs decoding (escapes, doubled quotes, line breaks) are found with the
    // engine's own string search: most scalars need none, and their value is the text between the quotes. (A
    // generated manifest's annotations hold megabytes of quoted text; a loop over its characters dominated.)
    let plain = true;
    if (dq) {
      for (;;) {
        const q = this.t.indexOf('"', p);
        if (q < 0 || q >= this.limit) { p = this.limit; break; }
        const escape = this.nextIndex(this.escapes, p);
        if (escape >= 0 && escape < q) { plain = false; p = escape + 2; continue; }
        p = q;
        break;
      }
    } else {
      for (;;) {
        const q = this.t.indexOf("'", p);
        if (q < 0 || q >= this.limit) { p = this.limit; break; }
        if (this.c(q + 1) === 39) { plain = false; p = q + 2; continue; }
        p = q;
        break;
      }
    }
    if (p >= this.limit) throw new Unsupported('unterminated quote');
    // A line break makes it multi-line (the caller turned lone carriage returns into line feeds: `parseYaml`).
    const firstBreak = this.nextBreak(start);
    if (firstBreak >= 0 && firstBreak < p) {
      plain = false;
      this.checkQuotedLines(firstBreak, p, parentIndent);
    }
    const style = dq ? 'double' : 'single';
    const value = plain ? this.t.slice(start + 1, p) : decodeFlow(this.t, start + 1, p, style, false).value;
    this.pos = p + 1;
    this.nodes++;
    return { kind: 'scalar', style, start, end: p + 1, value, parentIndent: -1 };
  }

  /** The lines of a multi-line quoted scalar ending at `p`, from its first line break `firstBreak`. */
  private checkQuotedLines(firstBreak: number, p: number, parentIndent: number): void {
    for (let q = firstBreak; q >= 0 && q < p; q = this.t.indexOf('\n', q + 1)) {
      let r = q + 1;
      const d = this.c(r);
      // A document marker at the start of a line cannot be inside a quoted scalar.
      if ((d === 45 || d === 46) && this.t.startsWith(d === 45 ? '---' : '...', r)) throw new Unsupported('document marker in quotes');
      if (parentIndent < 0) continue;
      // Continuation lines of a multi-line quoted scalar must be indented past its parent.
      while (r < p && this.c(r) === SPACE) r++;
      const e = this.c(r);
      if (r - q - 1 <= parentIndent && e !== LF && e !== CR && r < p) throw new Unsupported('quoted scalar indentation');
    }
  }

  /** The first `search.ch` at or after `p` (-1: none), searched again only once `p` has passed the last one found. */
  private nextIndex(search: NextSearch, p: number): number {
    if (!(p >= search.from && (search.at < 0 || search.at >= p))) {
      search.from = p;
      search.at = this.t.indexOf(search.ch, p);
    }
    return search.at;
  }

  /** The first line feed at or after `p` (-1: none); cached, so that many quoted scalars on one long line stay linear. */
  private nextBreak(p: number): number {
    return this.nextIndex(this.breaks, p);
  }

  /**
   * An anchor or alias name at `p` (after `&` or `*`): letters, digits, `_`, `-`, `.`; it must end at a blank, a
   * line break or the end (in flow, also at `,`, `]`, `}`). Anything else declines.
   */
  private anchorName(p: number, flow: boolean): string {
    let q = p;
    for (; q < this.limit; q++) {
      const c = this.t.charCodeAt(q);
      if (!((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 45 || c === 46)) break;
    }
    const e = this.c(q);
    if (q === p || !(this.wsOrEnd(q) || (flow && (e === 44 || e === 93 || e === 125)))) throw new Unsupported('anchor name');
    return this.t.slice(p, q);
  }

  /** Reads the node anchored as `name` with `read`, and records it. */
  private anchored(name: string, read: () => YNode): YNode {
    const pending = (this.pending ??= new Set());
    if (pending.has(name)) throw new Unsupported('anchor inside its own node');
    pending.add(name);
    const node = read();
    pending.delete(name);
    (this.anchors ??= new Map()).set(name, node);
    return node;
  }

  /**
   * A block node after `&name` (pos at the `&`): the rest of the line, or a node on the lines below (indented
   * past `parentIndent`). `inMapValue`: the value of a block map's key. Declines for anchors on keys (`- &a k: v`), on empty values, or before an alias or a
   * tag.
   */
  private anchoredNode(parentIndent: number, inMapValue: boolean): YNode {
    const name = this.anchorName(this.pos + 1, false);
    this.pos += 1 + name.length;
    this.skipInline();
    const c = this.c(this.pos);
    if (c === 38 || c === 42 || c === 33) throw new Unsupported('anchor and another property');
    if (c === -1 || c === LF || c === CR || c === 35) {
      this.nextContent();
      if (this.done() || this.col(this.pos) <= parentIndent) throw new Unsupported('anchored value on a later line');
      const d = this.c(this.pos);
      if (d === 38 || d === 42 || d === 33 || d === 63) throw new Unsupported('anchored property');
      return this.anchored(name, () => this.parseNode(parentIndent));
    }
    if (c === 45 && this.wsOrEnd(this.pos + 1)) throw new Unsupported('anchored compact sequence');
    if ((!inMapValue && (c === 34 || c === 39)) || c === 63 || (c !== 91 && c !== 123 && this.findKeyColon(this.pos) >= 0)) throw new Unsupported('anchor on a key');
    return this.anchored(name, () => (inMapValue ? this.parseMapValue(parentIndent) : this.parseNode(parentIndent)) ?? this.declineEmpty());
  }
  private declineEmpty(): never { throw new Unsupported('anchored empty value'); }

  /** `*name` as a block value (pos at the `*`): the rest of the line must be blank or a comment. */
  private blockAlias(indent: number): YNode {
    const name = this.anchorName(this.pos + 1, false);
    this.pos += 1 + name.length;
    this.skipInline();
    if (this.c(this.pos) === 58) throw new Unsupported('alias as a key');
    const node = this.alias(name, indent);
    this.nextContent();
    return node;
  }

  /**
   * A copy of the node anchored as `name`, as the library path builds it (`indent`: the block collection around
   * the alias, which a block scalar copied on its own takes as its parent indentation). Declines for an unknown
   * anchor, and past half the library's expansion budget, so that the library never leaves out nodes the fast
   * path read (its count is at most twice this one: it also counts the aliases inside the copied node).
   */
  private alias(name: string, indent: number): YNode {
    const node = this.anchors?.get(name);
    // An alias inside the node of an anchor of its name names that node for the library (a recursive alias).
    if (!node || this.pending?.has(name)) throw new Unsupported('unknown anchor');
    // The alias is a node of the source (the library counts it too).
    const limit = aliasBudget(++this.nodes) / 2;
    const copy = this.copy(node, limit, this.depth + 2);
    // A block scalar aliased on its own takes the indentation around the alias (the library's conversion does).
    if (copy.kind === 'scalar' && (copy.style === 'literal' || copy.style === 'folded')) copy.parentIndent = indent;
    return copy;
  }

  /** A deep copy of `n` (block scalars inside keep their parent indentation: that of the collection holding them). */
  private copy(n: YNode, limit: number, depth: number): YNode {
    if (++this.copied > limit) throw new Unsupported('alias expansion budget');
    // The library reads no deeper than 64 levels and counts an alias as a level: stay well below.
    if (depth > 48) throw new Unsupported('deep alias copy');
    if (n.kind === 'scalar') return { kind: 'scalar', style: n.style, start: n.start, end: n.end, value: n.value, parentIndent: n.parentIndent };
    if (n.kind === 'seq') {
      const items: (YNode | null)[] = new Array<YNode | null>(n.items.length);
      for (let i = 0; i < n.items.length; i++) { const it = n.items[i]; items[i] = it ? this.copy(it, limit, depth + 2) : null; }
      return { kind: 'seq', flow: n.flow, start: n.start, end: n.end, items };
    }
    if (n.skipped) throw new Unsupported('alias to a skipped value');
    const pairs: YPair[] = new Array<YPair>(n.pairs.length);
    for (let i = 0; i < n.pairs.length; i++) {
      const p = n.pairs[i];
      pairs[i] = { key: this.copy(p.key, limit, depth + 2) as YScalar, value: p.value ? this.copy(p.value, limit, depth + 2) : null };
    }
    return { kind: 'map', flow: n.flow, start: n.start, end: n.end, pairs };
  }

  private skipFlowWs(): void {
    for (;;) {
      const c = this.c(this.pos);
      if (c === SPACE || c === TAB || c === CR) { this.pos++; continue; }
      if (c === LF) {
        // A line inside a flow collection: indented past the block collection holding it, by spaces (the
        // library rejects less; a closing bracket or a comment may come back to its column).
        let q = ++this.pos;
        while (this.c(q) === SPACE) q++;
        const d = this.c(q);
        if (d === TAB) throw new Unsupported('tab in flow indentation');
        if (q - this.pos <= this.flowIndent && d !== LF && d !== CR && d !== -1 && d !== 35 && d !== 93 && d !== 125) {
          throw new Unsupported('flow line indentation');
        }
        this.pos = q;
        continue;
      }
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
      else if ((c === 45 || c === 58 || c === 63) && this.flowSep(this.pos + 1)) throw new Unsupported('indicator in flow key');
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
    if (c === 38) {
      const name = this.anchorName(this.pos + 1, true);
      this.pos += 1 + name.length;
      this.skipInline();
      const d = this.c(this.pos);
      if (d === 38 || d === 42 || d === 44 || d === 93 || d === 125 || d === 58 || d === -1 || d === LF || d === CR || d === 35) throw new Unsupported('anchor in flow');
      return this.anchored(name, () => this.parseFlowNode());
    }
    if (c === 42) {
      const name = this.anchorName(this.pos + 1, true);
      this.pos += 1 + name.length;
      return this.alias(name, this.flowIndent);
    }
    if (c === 91 || c === 123) return this.parseFlow();
    if (c === 34 || c === 39) return this.parseQuoted(-1);
    if (has(FLOW_IND, c)) throw new Unsupported('flow indicator');
    if ((c === 45 || c === 58 || c === 63) && this.flowSep(this.pos + 1)) throw new Unsupported('indicator in flow');
    return this.flowPlain();
  }

  /** A blank, a line break, the end or a flow indicator at `p`. */
  private flowSep(p: number): boolean {
    const c = this.c(p);
    return this.wsOrEnd(p) || c === 44 || c === 91 || c === 93 || c === 123 || c === 125;
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

