// Decoding of YAML scalars with a map from each character of the value back to
// its offset in the source text. Linear in the size of the scalar.

export type ScalarStyle = 'plain' | 'single' | 'double' | 'literal' | 'folded';

/** Thrown when a construct is outside what the fast path handles; callers fall back to the `yaml` library. */
export class Unsupported extends Error {}

/**
 * Source offset of each character of a text: an array (map[i] for text[i], map[text.length] = source end), or,
 * for text spelled as is in the source (most scalars), the offset of its first character: no array per character.
 */
export type OffsetMap = number[] | number;

export function offsetAt(map: OffsetMap, i: number): number {
  return typeof map === 'number' ? map + i : map[i];
}

export interface Decoded {
  value: string;
  /** Source offset of each character of `value` (and of its end). Empty when not requested. */
  map: OffsetMap;
}

const ESCAPES: Record<string, string> = {
  '0': '\0', a: '\x07', b: '\b', t: '\t', '\t': '\t', n: '\n', v: '\v', f: '\f', r: '\r', e: '\x1b',
  ' ': ' ', '"': '"', '/': '/', '\\': '\\', N: '\x85', _: '\xa0', L: '\u2028', P: '\u2029',
};
const HEX_LEN: Record<string, number> = { x: 2, u: 4, U: 8 };

function isBlank(c: string): boolean { return c === ' ' || c === '\t'; }

/**
 * Decodes a flow scalar (plain, or the inside of a single/double quoted one) spanning
 * `[start, end)`, applying line folding and escapes.
 */
export function decodeFlow(text: string, start: number, end: number, style: 'plain' | 'single' | 'double', withMap: boolean): Decoded {
  let simple = true;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 || c === 13 || (c === 92 && style === 'double') || (c === 39 && style === 'single')) { simple = false; break; }
  }
  if (simple) return { value: text.slice(start, end), map: withMap ? start : [] };
  const out: string[] = [];
  const map: number[] = [];
  let protectedLen = 0;
  let i = start;
  while (i < end) {
    const c = text[i];
    if (c === '\r' && text[i + 1] === '\n') { i++; continue; }
    if (c === '\n') {
      const breakPos = i > start && text[i - 1] === '\r' ? i - 1 : i;
      while (out.length > protectedLen && isBlank(out[out.length - 1])) { out.pop(); map.pop(); }
      i++;
      let empties = 0;
      for (;;) {
        while (i < end && isBlank(text[i])) i++;
        if (i < end && text[i] === '\r' && text[i + 1] === '\n') i++;
        if (i < end && text[i] === '\n') { empties++; i++; continue; }
        break;
      }
      if (empties === 0) { out.push(' '); map.push(breakPos); }
      else for (let k = 0; k < empties; k++) { out.push('\n'); map.push(breakPos); }
      continue;
    }
    if (style === 'double' && c === '\\') {
      const n = text[i + 1];
      if (n === '\n' || (n === '\r' && text[i + 2] === '\n')) {
        i += n === '\n' ? 2 : 3;
        while (i < end && isBlank(text[i])) i++;
        protectedLen = out.length;
        continue;
      }
      if (n !== undefined && ESCAPES[n] !== undefined) {
        out.push(ESCAPES[n]); map.push(i); i += 2; protectedLen = out.length; continue;
      }
      const hexLen = n !== undefined ? HEX_LEN[n] : undefined;
      if (hexLen !== undefined) {
        const hex = text.slice(i + 2, i + 2 + hexLen);
        if (hex.length !== hexLen || !/^[0-9a-fA-F]+$/.test(hex)) throw new Unsupported('bad escape');
        const code = parseInt(hex, 16);
        if (code > 0x10ffff) throw new Unsupported('bad escape');
        const s = String.fromCodePoint(code);
        for (let k = 0; k < s.length; k++) { out.push(s[k]); map.push(i); }
        i += 2 + hexLen; protectedLen = out.length; continue;
      }
      throw new Unsupported('bad escape');
    }
    if (style === 'single' && c === "'") {
      out.push("'"); map.push(i); i += 2; continue;
    }
    out.push(c); map.push(i); i++;
  }
  map.push(end);
  return { value: out.join(''), map: withMap ? map : [] };
}

export interface BlockDecoded extends Decoded {
  /** End of the last non-empty content line (or of the header line when empty). */
  end: number;
}

function isDocMarkerAt(text: string, p: number, limit: number): boolean {
  const c = text[p];
  if ((c !== '-' && c !== '.') || text[p + 1] !== c || text[p + 2] !== c) return false;
  const n = p + 3 < limit ? text[p + 3] : undefined;
  return n === undefined || n === ' ' || n === '\t' || n === '\n' || n === '\r';
}

interface BlockLine { s: number; e: number; empty: boolean; more: boolean }

/**
 * Decodes a block scalar whose header (`|`, `>-`, `|+2`, ...) starts at `hdr`.
 * `parentIndent` is the indentation of the parent node (-1 at top level).
 */
export function decodeBlock(text: string, hdr: number, limit: number, parentIndent: number, withMap: boolean): BlockDecoded {
  const folded = text[hdr] === '>';
  let p = hdr + 1;
  let chomp: 'clip' | 'strip' | 'keep' = 'clip';
  let explicit = 0;
  for (let k = 0; k < 2; k++) {
    const c = text[p];
    if (c === '-') { chomp = 'strip'; p++; }
    else if (c === '+') { chomp = 'keep'; p++; }
    else if (c >= '1' && c <= '9') { explicit = c.charCodeAt(0) - 48; p++; }
  }
  let sawSpace = false;
  while (p < limit && isBlank(text[p])) { p++; sawSpace = true; }
  if (p < limit && text[p] === '#') {
    if (!sawSpace) throw new Unsupported('comment without space');
    while (p < limit && text[p] !== '\n') p++;
  } else if (p < limit && text[p] !== '\n' && text[p] !== '\r') {
    throw new Unsupported('text after block scalar header');
  }
  let headerEnd = p;
  if (text[p] === '\r' && text[p + 1] === '\n') p++;
  if (headerEnd > hdr && text[headerEnd - 1] === '\r') headerEnd--;
  let indent = -1;
  if (explicit) {
    if (parentIndent < 0) throw new Unsupported('explicit indentation at top level');
    indent = parentIndent + explicit;
  }
  const lines: BlockLine[] = [];
  /** The most spaces on an empty line before the first content line (more than the indentation is an error). */
  let leadingSpaces = 0;
  let ls = p < limit ? p + 1 : limit;
  while (ls < limit) {
    let le = text.indexOf('\n', ls);
    if (le < 0 || le > limit) le = limit;
    let ce = le;
    if (ce > ls && text[ce - 1] === '\r') ce--;
    let sp = 0;
    while (ls + sp < ce && text[ls + sp] === ' ') sp++;
    if (sp === 0 && isDocMarkerAt(text, ls, limit)) break;
    const blank = ls + sp === ce;
    // A tab where indentation is expected: the library's reading differs from the spec's; left to it.
    if (text[ls + sp] === '\t' && (indent < 0 || sp < indent)) throw new Unsupported('tab in block scalar indentation');
    if (indent < 0 && blank) leadingSpaces = Math.max(leadingSpaces, sp);
    if (indent < 0 && !blank) {
      if (sp <= parentIndent) break;
      indent = sp;
      // Leading empty lines longer than the content indentation are an error in YAML.
      if (leadingSpaces > indent) throw new Unsupported('leading spaces');
    }
    if (blank) {
      if (indent >= 0 && sp > indent) lines.push({ s: ls + indent, e: ce, empty: false, more: true });
      else lines.push({ s: ce, e: ce, empty: true, more: false });
    } else {
      if (sp < indent) break;
      if (text[ls + sp] === '\t' && sp === indent && indent >= 0) {
        // Tab after the indentation is content (more-indented for folding).
      }
      const s = ls + indent;
      lines.push({ s, e: ce, empty: false, more: isBlank(text[s]) });
    }
    if (le >= limit) {
      // Kept trailing lines ending in spaces and no line break (the end of the text): the library counts the
      // last one as a line break or not depending on what precedes it; left to it.
      const l = lines[lines.length - 1];
      if (chomp === 'keep' && l && l.empty && text[le] !== '\n') throw new Unsupported('kept blank line at the end');
      ls = limit;
      break;
    }
    ls = le + 1;
  }
  let last = -1;
  for (let k = lines.length - 1; k >= 0; k--) if (!lines[k].empty) { last = k; break; }
  // A last line of spaces only (beyond the indentation): the library's range ends before it.
  if (last >= 0 && /^[ \t]*$/.test(text.slice(lines[last].s, lines[last].e))) throw new Unsupported('blank last line');
  const out: string[] = [];
  const map: number[] = [];
  const pushRange = (s: number, e: number): void => {
    out.push(text.slice(s, e));
    if (withMap) for (let q = s; q < e; q++) map.push(q);
  };
  const pushNl = (at: number, n: number): void => {
    for (let k = 0; k < n; k++) { out.push('\n'); if (withMap) map.push(at); }
  };
  let prevEnd = headerEnd;
  if (!folded) {
    for (let k = 0; k <= last; k++) {
      const l = lines[k];
      if (k > 0) pushNl(prevEnd, 1);
      if (!l.empty) pushRange(l.s, l.e);
      prevEnd = l.e;
    }
  } else {
    let first = true;
    let pending = 0;
    let prevMore = false;
    for (let k = 0; k <= last; k++) {
      const l = lines[k];
      if (l.empty) { pending++; continue; }
      if (first) pushNl(prevEnd, pending);
      else if (!prevMore && !l.more) {
        if (pending === 0) { out.push(' '); if (withMap) map.push(prevEnd); } else pushNl(prevEnd, pending);
      } else pushNl(prevEnd, pending + 1);
      pushRange(l.s, l.e);
      first = false; pending = 0; prevMore = l.more; prevEnd = l.e;
    }
  }
  const end = last >= 0 ? lines[last].e : headerEnd;
  if (last >= 0) {
    if (chomp === 'clip') pushNl(end, 1);
    else if (chomp === 'keep') pushNl(end, 1 + (lines.length - 1 - last));
  } else if (chomp === 'keep') {
    pushNl(end, lines.length);
  }
  if (withMap) map.push(end);
  return { value: out.join(''), map: withMap ? map : [], end };
}
