// The library YAML path: documents read by the `yaml` library (YAML 1.2, unique keys), turned into the tree the
// fast path builds (src/formats/yaml/nodes.ts). Used for everything the fast path declines; its errors and
// warnings become problems.
import * as YAML from 'yaml';
import type { ScalarStyle } from '../scalar';
import { MAX_NESTING, nestingProblem } from '../limits';
import type { FormatProblem } from '../types';
import { YDoc, YNode, YPair, columnOf } from './nodes';
import { ALIAS_NODE_BUDGET, aliasBudget } from './budget';

export { ALIAS_NODE_BUDGET };

const SPACE = 32, TAB = 9, LF = 10, CR = 13;

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

/** Nodes of a document as the library read it (aliases one each): what its alias budget scales with. */
function sourceNodes(doc: YAML.Document): number {
  let n = 0;
  YAML.visit(doc, { Node() { n++; } });
  return n;
}

interface Conversion {
  doc: YAML.Document;
  text: string;
  base: number;
  /**
   * Copies of aliased nodes the document may build beyond its own nodes (src/formats/yaml/budget.ts; -1 until
   * the first alias), and how many may still be built.
   */
  budget: number;
  aliasLeft: number;
  /** Aliases left out when the budget ran out, and where the first was. */
  dropped: number;
  firstDropped: number;
}

/**
 * The library's node `n` as a tree node. `indent` is the indentation of the block collection holding it (-1 at
 * top level), recorded on block scalars as the fast path does; `aliased` is true under an alias.
 */
function fromLib(n: unknown, cv: Conversion, depth: number, indent: number, aliased: boolean): YNode | null {
  if (!n || depth > 64) return null;
  const { text, base } = cv;
  if (cv.budget < 0 && YAML.isAlias(n)) cv.aliasLeft = cv.budget = aliasBudget(sourceNodes(cv.doc));
  if ((aliased && --cv.aliasLeft < 0) || (YAML.isAlias(n) && cv.aliasLeft <= 0)) {
    if (cv.dropped++ === 0) cv.firstDropped = base + ((n as { range?: number[] }).range?.[0] ?? 0);
    return null;
  }
  if (YAML.isAlias(n)) {
    return fromLib(resolveAlias(n, cv.doc), cv, depth + 1, indent, true);
  }
  if (YAML.isScalar(n)) {
    const r = n.range;
    if (!r) return null;
    const style = STYLE[String(n.type)] ?? 'plain';
    const start = base + r[0];
    let end = base + r[1];
    const block = style === 'literal' || style === 'folded';
    if (block) {
      while (end > start && /[\s]/.test(text[end - 1])) end--;
    }
    const src = (n as { source?: unknown }).source;
    if (n.value === null && (src === '' || src === undefined) && style === 'plain' && r[0] === r[1]) return null;
    const value = typeof src === 'string' ? src : n.value === null || n.value === undefined ? '' : String(n.value);
    return { kind: 'scalar', style, start, end, value, parentIndent: block ? indent : -1, libValue: n.value, fromLib: true };
  }
  if (YAML.isMap(n)) {
    const r = n.range;
    const col = !n.flow && r ? columnOf(text, base + r[0]) : indent;
    const pairs: YPair[] = [];
    for (const p of n.items) {
      const k = fromLib(p.key, cv, depth + 1, col, aliased);
      if (!k || k.kind !== 'scalar') continue;
      pairs.push({ key: k, value: fromLib(p.value, cv, depth + 1, col, aliased) });
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
    const col = !n.flow && r ? columnOf(text, base + r[0]) : indent;
    const items = n.items.map((i) => fromLib(i, cv, depth + 1, col, aliased));
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
      // The library ends a quoted scalar at the first line that is indented less than the block it sits in, or at a
      // document marker ("Missing closing quote"), and reads on from there as block content: so does this count.
      const within = flow === 0 ? quotedScalarIndent(text, lineStart, p, indents) : 0;
      let q = p + 1;
      let cut = -1;
      for (; q < end; q++) {
        const d = text.charCodeAt(q);
        if (c === 34 && d === 92) { q++; continue; }
        if (d === LF && endsQuotedScalar(text, q + 1, end, within)) { cut = q; break; }
        if (d === c) {
          if (c === 39 && q + 1 < end && text.charCodeAt(q + 1) === 39) { q++; continue; }
          break;
        }
      }
      if (cut >= 0) {
        // Cut short: the lines from the one less indented on are block content.
        p = cut;
        continue;
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

/**
 * The indentation a continuation line of a quoted scalar starting at `quote` needs (the lexer's `indentNext`, yaml
 * 2.x parse/lexer.ts `continueScalar`): one past the line's indentation when an indicator (`- `, `? `, `key: `) comes
 * before the quote on its line, or one past the enclosing block's when the scalar begins the line. 0: only document
 * markers end it.
 * Example: `  - "a` needs 3 (the `-` at column 2); `key: "a` at column 0 needs 1; `"a` on its own line at top level, 0.
 */
function quotedScalarIndent(text: string, lineStart: number, quote: number, indents: readonly number[]): number {
  let first = lineStart;
  while (first < quote && (text.charCodeAt(first) === SPACE || text.charCodeAt(first) === TAB)) first++;
  if (first < quote) return first - lineStart + 1;
  // The scalar begins its line: the block it continues is the one before this line's own level.
  return indents.length >= 2 ? indents[indents.length - 2] + 1 : 0;
}

/** Whether the line starting at `at` ends a multi-line quoted scalar that needs indentation `within`. */
function endsQuotedScalar(text: string, at: number, end: number, within: number): boolean {
  let q = at;
  while (q < end && text.charCodeAt(q) === SPACE) q++;
  const c = q < end ? text.charCodeAt(q) : -1;
  if (c === -1 || c === LF || c === CR) return false; // blank lines continue it
  if (q === at && (c === 45 || c === 46)) {
    const marker = text.slice(at, at + 3);
    const after = at + 3 < end ? text.charCodeAt(at + 3) : -1;
    if ((marker === '---' || marker === '...') && (after === -1 || after === SPACE || after === TAB || after === LF || after === CR)) return true;
  }
  return within > 0 && q - at < within;
}

function lineEnd(text: string, p: number, end: number): number {
  const nl = text.indexOf('\n', p);
  return nl < 0 || nl > end ? end : nl;
}

/** Start of the line holding `p` (not before `start`). */
export function lineStartOf(text: string, p: number, start: number): number {
  let q = p;
  while (q > start && text.charCodeAt(q - 1) !== LF) q--;
  return q;
}

/** `first`: false when a nesting problem was already reported for this text (it is then not read again). */
export function parseWithLib(text: string, start: number, end: number, problems: FormatProblem[], first = true): YDoc[] {
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
    const cv: Conversion = { doc: d, text, base: start, budget: -1, aliasLeft: 0, dropped: 0, firstDropped: start };
    const root = fromLib(d.contents, cv, 0, -1, false);
    if (cv.dropped > 0) {
      problems.push({
        severity: 'warning',
        message: `YAML: aliases here expand to more than ${cv.budget.toLocaleString('en-US')} nodes; ${cv.dropped.toLocaleString('en-US')} of their nodes were not read.`,
        range: { start: cv.firstDropped, end: Math.min(cv.firstDropped + 1, end) },
      });
    }
    const r = d.range;
    out.push({ root, start: start + (r ? r[0] : 0), end: start + (r ? r[2] : seg.length), fromLib: true });
  }
  return out;
}

