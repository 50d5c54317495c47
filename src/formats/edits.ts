// Quick-fix edits: set a value in place, or insert it written like its neighbours.
import type { DeploymentSpec, FlagSpelling, InPlaceEdit, InputKey, Insertion, TextEdit, ValueContext } from './types';
import { spelledFlag } from './engines';
import { INTEGER_KEYS, FRACTION_KEYS, formatInput } from './values';
import { resolvePlain } from './yaml';

const WORD = /^[A-Za-z0-9._:/@+%=,-]+$/;

/** Text that reads back as the same string when written as a plain YAML scalar. */
function isPlainSafe(s: string): boolean {
  if (/^[A-Za-z0-9_./@+][A-Za-z0-9_./@+ -]*$/.test(s)) return !s.endsWith(' ');
  return /^-[A-Za-z0-9_.-][A-Za-z0-9_./@+=-]*$/.test(s);  // `--flag`, `--flag=value`
}

/** A YAML scalar for `s`: plain when that reads back as the same thing, double-quoted otherwise. */
export function yamlScalar(s: string, mustBeString: boolean): string {
  if (isPlainSafe(s)) {
    const r = resolvePlain(s);
    if (typeof r === 'string' || (!mustBeString && typeof r === 'number')) return s;
  }
  return JSON.stringify(s);
}

function quoted(s: string, q: string): string | undefined {
  if (q === '"') return JSON.stringify(s);
  if (q === "'") return `'${s.replace(/'/g, "''")}'`;
  return yamlScalar(s, true);
}

function render(context: ValueContext, s: string): string | undefined {
  switch (context) {
    case 'word': return WORD.test(s) ? s : undefined;
    case 'yaml-double': return JSON.stringify(s).slice(1, -1);
    case 'yaml-single': return s.replace(/'/g, "''");
    case 'yaml-plain': return yamlScalar(s, false);
    case 'yaml-plain-string': return yamlScalar(s, true);
  }
  return undefined;
}

function valueText(key: InputKey, v: string): string {
  return yamlScalar(v, !(INTEGER_KEYS.has(key) || FRACTION_KEYS.has(key)));
}

function combine(text: string, edits: TextEdit[]): TextEdit | undefined {
  if (!edits.length) return undefined;
  const sorted = [...edits].sort((a, b) => a.range.start - b.range.start);
  for (let i = 1; i < sorted.length; i++) if (sorted[i].range.start < sorted[i - 1].range.end) return undefined;
  let newText = sorted[0].newText;
  for (let i = 1; i < sorted.length; i++) newText += text.slice(sorted[i - 1].range.end, sorted[i].range.start) + sorted[i].newText;
  return { range: { start: sorted[0].range.start, end: sorted[sorted.length - 1].range.end }, newText };
}

/** The flag an insertion writes for an input: as written in it, or spelled like the command's other flags. */
function flagOf(ins: { flag?: string; spelling?: FlagSpelling }, key: InputKey): string | undefined {
  return ins.flag ?? (ins.spelling ? spelledFlag(ins.spelling, key) : undefined);
}

function insertText(ins: Insertion, key: InputKey, v: string): string | undefined {
  switch (ins.type) {
    case 'seq-items': {
      const flag = flagOf(ins, key);
      if (!flag) return undefined;
      const items: (string | undefined)[] = ins.equals
        ? [quoted(`${flag}=${v}`, ins.flagQuote)]
        : [quoted(flag, ins.flagQuote), quoted(v, ins.valueQuote)];
      if (items.some((i) => i === undefined)) return undefined;
      return ins.flow ? items.map((i) => `, ${i}`).join('') : items.map((i) => `${ins.eol}${ins.indent}- ${i}`).join('');
    }
    case 'shell': {
      const flag = flagOf(ins, key);
      if (!flag || !WORD.test(v)) return undefined;
      return `${ins.gap}${flag}${ins.equals ? '=' : ' '}${v}`;
    }
    case 'map-key': {
      const val = ins.quoteValue ? JSON.stringify(v) : valueText(key, v);
      return ins.flow ? `, ${ins.key}: ${val}` : `${ins.eol}${ins.indent}${ins.key}: ${val}`;
    }
    case 'new-block':
      if (ins.list) {
        const flag = flagOf(ins, key);
        if (!flag) return undefined;
        const val = ins.quoteValues ? JSON.stringify(v) : yamlScalar(v, true);
        return `${ins.eol}${ins.indent}${ins.parentKey}:${ins.eol}${ins.childIndent}- ${flag}${ins.eol}${ins.childIndent}- ${val}`;
      }
      if (!ins.key) return undefined;
      return `${ins.eol}${ins.indent}${ins.parentKey}:${ins.eol}${ins.childIndent}${ins.key}: ${valueText(key, v)}`;
    case 'line':
      return WORD.test(v) ? `${ins.eol}${ins.prefix}${v}` : undefined;
    case 'env-item': {
      const val = ins.valueQuote === "'" ? `'${v.replace(/'/g, "''")}'` : JSON.stringify(v);
      return `${ins.eol}${ins.indent}- name: ${ins.name}${ins.eol}${ins.indent}${ins.innerIndent}value: ${val}`;
    }
  }
  return undefined;
}

/** The text after an edit. */
export function applyEdit(text: string, edit: TextEdit): string {
  return text.slice(0, edit.range.start) + edit.newText + text.slice(edit.range.end);
}

/** A text edit that sets `key` to `value` in this deployment, preserving the file's style (all its places as one edit). */
export function editForInput(text: string, spec: DeploymentSpec, key: keyof DeploymentSpec['inputs'], value: number | string): TextEdit | undefined {
  const edits = editsForInput(text, spec, key, value);
  return edits ? combine(text, edits) : undefined;
}

/** The ids "0" … "n-1" written as a device list in the style recorded by the reader. */
function deviceIdList(n: number, style: NonNullable<InPlaceEdit['deviceIds']>): string | undefined {
  if (!Number.isInteger(n) || n < 1 || n > 1024) return undefined;
  const q = style.quote === "'" || style.quote === '"' ? style.quote : '';
  const ids = Array.from({ length: n }, (_, i) => `${q}${i}${q}`);
  return style.flow ? `[${ids.join(', ')}]` : ids.map((id, i) => `${i ? `${style.eol}${style.indent}` : ''}- ${id}`).join('');
}

/**
 * Is the value at `range` an alias (`*limit`) or an anchored value (`&limit 8192`) that an alias elsewhere repeats?
 * `max-model-len: &l 8192` + `max-num-seqs: *l`: editing either would change both.
 */
export function sharedThroughAlias(text: string, range: { start: number; end: number }): boolean {
  let i = range.start;
  if (text[i] === '*') return true;
  // Back over the quote and spaces before the value, to an anchor `&name` if there is one.
  if (text[i - 1] === '"' || text[i - 1] === "'") i--;
  while (i > 0 && (text[i - 1] === ' ' || text[i - 1] === '\t')) i--;
  let j = i;
  while (j > 0 && /[^\s&,[\]{}]/.test(text[j - 1])) j--;
  if (j === 0 || text[j - 1] !== '&' || j === i) return false;
  const name = text.slice(j, i);
  const alias = new RegExp(`\\*${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![^\\s,\\]}])`);
  return alias.test(text);
}

/**
 * Every text edit that sets `key` to `value` in this deployment, one per place that holds it (GPU limits and
 * requests, LeaderWorkerSet pods, a compose device list), preserving the file's style; undefined when one of
 * them cannot be written. The edits do not overlap and are in document order.
 */
export function editsForInput(text: string, spec: DeploymentSpec, key: keyof DeploymentSpec['inputs'], value: number | string): TextEdit[] | undefined {
  try {
    if (typeof text !== 'string' || !spec || !spec.edit) return undefined;
    let v = formatInput(key, value);
    if (v === undefined) return undefined;
    const ip = spec.edit.inPlace[key];
    if (key === 'engine') {
      // Only the version is written (`vllm@0.20.0` or `0.20.0`); the engine itself is not switched.
      const m = /^(?:([a-z]+)@)?v?(\d+\.\d+(?:\.\d+)?(?:\.post\d+)?)$/i.exec(v);
      if (!m || (m[1] && m[1].toLowerCase() !== spec.engine)) return undefined;
      v = m[2];
    }
    if (ip) {
      let out = v;
      if (ip.divisor) {
        const n = Number(out) / ip.divisor;
        if (!Number.isInteger(n) || n < 1) return undefined;
        out = String(n);
      }
      const edits: TextEdit[] = [];
      for (const t of ip.targets) {
        if (!t.exact || t.range.start < 0 || t.range.end > text.length) return undefined;
        // A value shared through a YAML alias would change its other uses too: no fix is offered there.
        if (sharedThroughAlias(text, t.range)) return undefined;
        const s = ip.deviceIds ? deviceIdList(Number(out), ip.deviceIds) : render(t.context, out);
        if (s === undefined) return undefined;
        edits.push({ range: { start: t.range.start, end: t.range.end }, newText: s });
      }
      if (!edits.length) return undefined;
      edits.sort((a, b) => a.range.start - b.range.start);
      for (let i = 1; i < edits.length; i++) if (edits[i].range.start < edits[i - 1].range.end) return undefined;
      return edits;
    }
    const ins = spec.edit.insert[key];
    if (!ins || ins.at < 0 || ins.at > text.length) return undefined;
    const newText = insertText(ins, key, v);
    if (newText === undefined) return undefined;
    return [{ range: { start: ins.at, end: ins.at }, newText }];
  } catch {
    return undefined;
  }
}
