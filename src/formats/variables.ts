// Variables a deployment file fills in itself: Kubernetes `$(VAR)` in command/args from the container's env,
// and Compose `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `$VAR` from the .env file beside it. A word keeps
// where each character came from, so a value taken from an env entry is edited (and flagged) where it is written.
import type { OffsetMap } from './scalar';
import { offsetAt } from './scalar';
import type { Word } from './shell';

/** A variable's text and the source offset of each of its characters. */
export interface VarValue { text: string; idx: OffsetMap }

/** A variable's value; `at` is where the reference is written (for values whose text is not in the document). */
export type VarLookup = (name: string, at: { start: number; end: number }) => VarValue | undefined;

/**
 * A value from outside the document (a .env file): its first character at the start of the reference that names
 * it and the others at its end, so its range is the whole reference (and never edited in place).
 */
export function valueAt(text: string, at: { start: number; end: number }): VarValue {
  const idx: number[] = [];
  for (let k = 0; k < text.length; k++) idx.push(k === 0 ? at.start : Math.max(at.start, at.end - 1));
  return { text, idx };
}

/** Builds text and offsets piece by piece. */
class Pieces {
  readonly chars: string[] = [];
  readonly idx: number[] = [];
  add(text: string, idx: OffsetMap, from = 0, to = text.length): void {
    for (let k = from; k < to; k++) { this.chars.push(text[k]); this.idx.push(offsetAt(idx, k)); }
  }
}

/** Source range of w.text[from..to] (both included). */
function span(w: Word, from: number, to: number): { start: number; end: number } {
  return { start: offsetAt(w.idx, from), end: offsetAt(w.idx, to) + 1 };
}

function withText(w: Word, p: Pieces): Word {
  return { ...w, text: p.chars.join(''), idx: p.idx };
}

/**
 * Kubernetes: `$(NAME)` is replaced by the variable when it is defined, and kept as written otherwise;
 * `$$(NAME)` is a literal `$(NAME)`.
 */
export function expandKubernetesWord(w: Word, lookup: VarLookup): Word {
  const t = w.text;
  if (!t.includes('$(')) return w;
  const p = new Pieces();
  let i = 0;
  while (i < t.length) {
    // `$$(` is a literal `$(`: the `$` kept is the first, so the word no longer spells its source (not edited in place).
    if (t[i] === '$' && t[i + 1] === '$' && t[i + 2] === '(') { p.add(t, w.idx, i, i + 1); i += 2; continue; }
    if (t[i] === '$' && t[i + 1] === '(') {
      const close = t.indexOf(')', i + 2);
      const name = close > 0 ? t.slice(i + 2, close) : '';
      const value = /^[A-Za-z_][\w.-]*$/.test(name) ? lookup(name, span(w, i, close)) : undefined;
      if (value) { p.add(value.text, value.idx); i = close + 1; continue; }
    }
    p.add(t, w.idx, i, i + 1);
    i++;
  }
  return withText(w, p);
}

/**
 * Compose: `${NAME}`, `${NAME:-default}` (default when unset or empty), `${NAME-default}` (when unset), `$NAME`;
 * `$$` is a literal `$`. A variable neither set nor defaulted is kept as written (the file does not say it).
 */
export function expandComposeWord(w: Word, lookup: VarLookup): Word {
  const t = w.text;
  if (!t.includes('$')) return w;
  const p = new Pieces();
  let i = 0;
  while (i < t.length) {
    if (t[i] !== '$') { p.add(t, w.idx, i, i + 1); i++; continue; }
    if (t[i + 1] === '$') { p.add(t, w.idx, i, i + 1); i += 2; continue; }
    if (t[i + 1] === '{') {
      const close = t.indexOf('}', i + 2);
      const m = close > 0 ? /^([A-Za-z_]\w*)(?:(:?)([-?+])(.*))?$/s.exec(t.slice(i + 2, close)) : null;
      if (m) {
        const [, name, colon, op, rest] = m;
        const value = lookup(name, span(w, i, close));
        const set = value !== undefined && (colon !== ':' || value.text !== '');
        if (!op || op === '?') {
          if (value !== undefined) { p.add(value.text, value.idx); i = close + 1; continue; }
        } else if (op === '-') {
          if (set) p.add(value!.text, value!.idx);
          else { const from = i + 2 + name.length + colon.length + 1; p.add(t, w.idx, from, from + rest.length); }
          i = close + 1;
          continue;
        } else if (op === '+') {
          if (set) { const from = i + 2 + name.length + colon.length + 1; p.add(t, w.idx, from, from + rest.length); }
          i = close + 1;
          continue;
        }
      }
    } else {
      const m = /^[A-Za-z_]\w*/.exec(t.slice(i + 1));
      const value = m ? lookup(m[0], span(w, i, i + m[0].length)) : undefined;
      if (m && value) { p.add(value.text, value.idx); i += 1 + m[0].length; continue; }
    }
    p.add(t, w.idx, i, i + 1);
    i++;
  }
  return withText(w, p);
}

/** Compose's .env file: `NAME=value` lines, `export` allowed, quotes removed, `#` comments. Offsets are into `text`. */
export function parseDotEnv(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][\w.-]*)\s*=\s*(.*)$/.exec(line);
    if (!m) continue;
    let v = m[2].trim();
    const q = v[0];
    if ((q === '"' || q === "'") && v.lastIndexOf(q) > 0) v = v.slice(1, v.lastIndexOf(q));
    else v = v.replace(/\s+#.*$/, '');
    out.set(m[1], v);
  }
  return out;
}
