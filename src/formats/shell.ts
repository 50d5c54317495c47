// Words of a command line, each character mapped back to the source text.
import { OffsetMap, offsetAt } from './scalar';
import type { SourceRange } from './types';
import type { YScalar, YSeq } from './yaml';

export interface Word {
  /** The word after quote removal. */
  text: string;
  /** Source offset of each character of `text`. */
  idx: OffsetMap;
  /** Source range of the word as written, quotes included. */
  rawStart: number;
  rawEnd: number;
  /** The YAML list item this word is (argument lists), with its list. */
  item?: YScalar;
  seq?: YSeq;
  /** The YAML scalar holding the command line this word comes from (shell strings). */
  scalar?: YScalar;
}

/** Source range of `word.text.slice(a, b)` and whether the source spells exactly that text. */
export function wordRange(source: string, w: Word, a = 0, b = w.text.length): { range: SourceRange; exact: boolean } {
  if (w.text.length === 0 || a >= b) {
    const at = a < w.text.length ? offsetAt(w.idx, a) : w.rawEnd;
    return { range: { start: at, end: at }, exact: a >= b && w.text.length === 0 };
  }
  let start = offsetAt(w.idx, a);
  let end = offsetAt(w.idx, b - 1) + 1;
  let exact = end - start === b - a && source.slice(start, end) === w.text.slice(a, b);
  if (typeof w.idx !== 'number') {
    // A word put together from several places (a variable filled in) can run backwards: cover all of it.
    let contiguous = true;
    for (let k = a + 1; k < b; k++) {
      const at = w.idx[k];
      if (at !== w.idx[k - 1] + 1) contiguous = false;
      if (at < start) start = at;
      if (at + 1 > end) end = at + 1;
    }
    if (!contiguous) exact = false;
  }
  // An unterminated `${` at the end of a block scalar takes in its synthesized final newline: stay in the text.
  if (end > source.length) { end = source.length; start = Math.min(start, end); exact = false; }
  return { range: { start, end }, exact };
}

/** A word made of a whole YAML scalar (an item of an argument list). */
export function wordOfScalar(value: string, map: OffsetMap | undefined, s: YScalar, inner: SourceRange): Word {
  if (typeof map === 'number') return { text: value, idx: map, rawStart: s.start, rawEnd: s.end };
  const idx: number[] = [];
  if (map && map.length === value.length + 1) for (let k = 0; k < value.length; k++) idx.push(map[k]);
  else {
    // Unknown mapping: spread the characters over the inner range (ranges are then inexact).
    for (let k = 0; k < value.length; k++) idx.push(Math.min(inner.start + k, Math.max(inner.start, inner.end - 1)));
  }
  return { text: value, idx, rawStart: s.start, rawEnd: s.end };
}

const SEPARATORS = new Set([';', '&', '|', '(', ')', '\n']);

/**
 * Splits a shell command line into simple commands (`;`, `&&`, `||`, `|`, `&`, newlines,
 * parentheses separate them). Quotes and backslashes follow POSIX sh; `$(...)`, `${...}`
 * and backquotes stay inside the word. `map[i]` is the source offset of `s[i]`.
 */
export function shellCommands(s: string, map: OffsetMap): Word[][] {
  const commands: Word[][] = [];
  let words: Word[] = [];
  let text: string[] = [];
  // A word's offsets are kept as its first offset while they run on one by one (most words), else as an array.
  let idx: number[] | undefined;
  let first = 0;
  let inWord = false;
  let rawStart = 0;
  let lastRaw = 0;
  const src = typeof map === 'number'
    ? (i: number): number => map + i
    : (i: number): number => (i < map.length ? map[i] : map[map.length - 1] ?? 0);
  const push = (ch: string, i: number): void => {
    const at = src(i);
    if (idx) idx.push(at);
    else if (text.length === 0) first = at;
    else if (at !== first + text.length) {
      idx = [];
      for (let k = 0; k < text.length; k++) idx.push(first + k);
      idx.push(at);
    }
    text.push(ch);
  };
  const begin = (i: number): void => { if (!inWord) { inWord = true; rawStart = i; text = []; idx = undefined; } };
  const endWord = (): void => {
    if (!inWord) return;
    words.push({ text: text.join(''), idx: idx ?? first, rawStart: src(rawStart), rawEnd: src(lastRaw) + 1 });
    inWord = false;
  };
  const endCommand = (): void => { endWord(); if (words.length) commands.push(words); words = []; };
  let i = 0;
  const n = s.length;
  while (i < n) {
    const c = s[i];
    if (c === '\\') {
      if (s[i + 1] === '\n') { i += 2; continue; }            // line continuation
      if (i + 1 < n) { begin(i); push(s[i + 1], i + 1); lastRaw = i + 1; i += 2; continue; }
      begin(i); push(c, i); lastRaw = i; i++; continue;
    }
    if (c === ' ' || c === '\t' || c === '\r') { endWord(); i++; continue; }
    if (SEPARATORS.has(c) && !(c === '(' && inWord)) { endCommand(); i++; continue; }
    if (c === '#' && !inWord) { while (i < n && s[i] !== '\n') i++; continue; }
    if (c === "'") {
      begin(i);
      let j = i + 1;
      while (j < n && s[j] !== "'") { push(s[j], j); j++; }
      lastRaw = Math.min(j, n - 1); i = j + 1; continue;
    }
    if (c === '"') {
      begin(i);
      let j = i + 1;
      while (j < n && s[j] !== '"') {
        if (s[j] === '\\' && j + 1 < n && '$`"\\\n'.includes(s[j + 1])) {
          if (s[j + 1] !== '\n') push(s[j + 1], j + 1);
          j += 2; continue;
        }
        push(s[j], j); j++;
      }
      lastRaw = Math.min(j, n - 1); i = j + 1; continue;
    }
    if (c === '$' && (s[i + 1] === '(' || s[i + 1] === '{')) {
      begin(i);
      const open = s[i + 1];
      const close = open === '(' ? ')' : '}';
      let depth = 0;
      let j = i;
      for (; j < n; j++) {
        const d = s[j];
        push(d, j);
        if (d === open) depth++;
        else if (d === close) { depth--; if (depth === 0) break; }
      }
      lastRaw = Math.min(j, n - 1); i = j + 1; continue;
    }
    if (c === '`') {
      begin(i);
      let j = i;
      push(c, j); j++;
      while (j < n && s[j] !== '`') { push(s[j], j); j++; }
      if (j < n) push(s[j], j);
      lastRaw = Math.min(j, n - 1); i = j + 1; continue;
    }
    begin(i); push(c, i); lastRaw = i; i++;
  }
  endCommand();
  return commands;
}
