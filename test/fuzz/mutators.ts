// Mutators for configs (as JS values and as text) and deployment manifests (as text).
//
// Value mutations: delete keys, wrong types (string for number, object for array, null), zero /
// negative / huge (1e308, 2**53) / non-finite and NaN-like values ("NaN", "Infinity", -0), unicode
// in strings and keys (RTL marks, emoji, NUL, lone surrogates), deep nesting, very long strings,
// prototype-looking keys and values (__proto__, constructor), keys the engine reads with random values.
// Text mutations: truncation at random points, deleted / duplicated / swapped ranges, duplicated
// keys and lines, junk tokens, unicode, line-ending changes, deep nesting, long strings.

import { Rng } from './harness';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** A mutated value and what was done to it (printed with a failing case). */
export interface Mutated<T> { value: T; log: string[] }

// ---------------------------------------------------------------------------------------------
// Building blocks

export const UNICODE_BITS = [
  '\u202e', '\u200f', '\u200e', '\u2066', // RTL override, RTL / LTR marks, isolate
  '\u0000', '\u0001', '\u001f', '\u007f', // NUL and controls
  '😀', '👩‍👩‍👧‍👦', '🇺🇸', // emoji, ZWJ sequence, flag
  '\ud800', '\udfff', // lone surrogates
  '\ufeff', '\u200b', '\u00a0', '\u2028', '\u2029', // BOM, zero-width space, NBSP, line / paragraph separators
  'é', 'e\u0301', 'Å', 'ß', 'İ', 'ﬁ', '™', '×', // precomposed / combining / case-mapping oddities
  '中文', 'עברית', 'العربية', '\\', '"', "'", '\n', '\r\n', '\t', '#', ':', '- ', '{', '}', '[', ']', '&', '*', '!', '|', '>', '%', '@', '`',
];

/** Values that look like numbers without being usable ones. */
export const NUMBER_LIKE_STRINGS = ['NaN', 'Infinity', '-Infinity', '-0', '0', '1e308', '1e309', '-1', '32', '32.0', '0x20', '3_2', '32k', '1e3', ' 32 ', '', '٣٢', '３２'];

export const EXTREME_NUMBERS = [
  0, -0, -1, 1, 0.5, -0.5, 1e-300, Number.MIN_VALUE, 1e308, -1e308, Number.MAX_VALUE, 2 ** 53, 2 ** 53 + 2, -(2 ** 53),
  2 ** 31, 2 ** 31 - 1, 2 ** 32, 2 ** 32 + 1, 1e12, 1e12 - 1, 65536, 1e9, 3.999999, 1.5, 7, 13, 4096, 4097,
  NaN, Infinity, -Infinity,
];

/** Values an integer-count key could take that a caller would consider huge but "valid" (< 1e12). */
const LARGE_COUNTS = [1e4, 65536, 1e6, 2 ** 31 - 1, 1e9, 1e11, 1e12 - 1];

export const PROTO_WORDS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__'];

export function unicodeString(rng: Rng, base = ''): string {
  let s = base;
  const n = rng.int(1, 4);
  for (let i = 0; i < n; i++) {
    const at = rng.int(0, s.length);
    s = s.slice(0, at) + rng.pick(UNICODE_BITS) + s.slice(at);
  }
  return s;
}

export function longString(rng: Rng): string {
  const len = rng.pick([1000, 10_000, 100_000]);
  const unit = rng.pick(['a', 'ab ', '😀', 'H100 ', '9', '-', ' ', '\u202e', '{', '\\']);
  return unit.repeat(Math.ceil(len / unit.length)).slice(0, len);
}

/** `depth` nested arrays (or objects) around `inner`, built iteratively (no recursion). */
export function deepValue(depth: number, inner: Json, kind: 'array' | 'object' = 'array'): Json {
  let v: Json = inner;
  for (let i = 0; i < depth; i++) v = kind === 'array' ? [v] : { a: v };
  return v;
}

/** A random JSON-ish value (NaN / Infinity / -0 included: readers hand those to the engine). */
export function randomValue(rng: Rng, depth = 0): Json {
  const kind = rng.weighted<string>([
    [4, 'number'], [2, 'int'], [3, 'string'], [1, 'bool'], [1, 'null'], [depth < 3 ? 1 : 0, 'array'], [depth < 3 ? 1 : 0, 'object'],
    [1, 'numberString'], [1, 'proto'],
  ]);
  switch (kind) {
    case 'number': return rng.pick(EXTREME_NUMBERS);
    case 'int': return rng.logInt(1, 1e6);
    case 'string': return rng.bool(0.3) ? unicodeString(rng, rng.pick(['', 'llama', 'bfloat16', 'fp8', 'sliding_attention'])) : rng.pick(['', 'llama', 'float16', 'bfloat16', 'float32', 'fp8', 'gptq', 'awq', 'mxfp4', 'yarn', 'linear', 'sliding_attention', 'full_attention', 'M*-M', 'LlamaForCausalLM']);
    case 'bool': return rng.bool();
    case 'null': return null;
    case 'array': return Array.from({ length: rng.int(0, 4) }, () => randomValue(rng, depth + 1));
    case 'object': {
      const o: { [k: string]: Json } = {};
      for (let i = rng.int(0, 3); i > 0; i--) o[rng.pick(['bits', 'group_size', 'quant_method', 'factor', 'rope_type', 'type', 'a'])] = randomValue(rng, depth + 1);
      return o;
    }
    case 'numberString': return rng.pick(NUMBER_LIKE_STRINGS);
    default: return rng.pick(PROTO_WORDS);
  }
}

/** A value of the wrong type for `v`. */
export function wrongType(rng: Rng, v: Json): Json {
  if (typeof v === 'number') return rng.pick<Json>([String(v), [v], { value: v }, null, true, rng.pick(NUMBER_LIKE_STRINGS)]);
  if (typeof v === 'string') return rng.pick<Json>([Number(v) || 0, [v], { v }, null, false, 1]);
  if (typeof v === 'boolean') return rng.pick<Json>([v ? 'true' : 'false', v ? 1 : 0, null, [v]]);
  if (Array.isArray(v)) return rng.pick<Json>([{ ...Object.fromEntries(v.map((x, i) => [String(i), x])) }, v.join(','), v.length, null, {}]);
  if (v && typeof v === 'object') return rng.pick<Json>([Object.values(v), JSON.stringify(v).slice(0, 200), null, [], 0]);
  return rng.pick<Json>(['null', 0, {}, [], false]);
}

const cloneCache = new WeakMap<object, string>();

/** A deep copy (JSON values; non-finite numbers become null, as in a JSON file). */
function clone<T>(v: T): T {
  if (v === undefined) return v;
  if (v === null || typeof v !== 'object') return v;
  let text = cloneCache.get(v as object);
  if (text === undefined) {
    text = JSON.stringify(v, (_k, x) => (typeof x === 'number' && !Number.isFinite(x) ? null : x));
    cloneCache.set(v as object, text);
  }
  return JSON.parse(text) as T;
}

/** A place in the tree; `path` is built on demand (most slots are never printed). */
class Slot {
  constructor(readonly parent: { [k: string]: Json } | Json[], readonly key: string | number, private readonly parentPath: () => string) {}
  get path(): string {
    const p = this.parentPath();
    return typeof this.key === 'number' ? `${p}[${this.key}]` : p ? `${p}.${this.key}` : this.key;
  }
}

/** Every container slot of `root` (up to a bound), outermost first. */
function slots(root: Json, limit = 400): Slot[] {
  const out: Slot[] = [];
  const queue: { v: Json; path: () => string }[] = [{ v: root, path: () => '' }];
  for (let q = 0; q < queue.length && out.length < limit; q++) {
    const { v, path } = queue[q];
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length && out.length < limit; i++) {
        const s = new Slot(v, i, path);
        out.push(s);
        const x = v[i];
        if (x && typeof x === 'object') queue.push({ v: x, path: () => s.path });
      }
    } else if (v && typeof v === 'object') {
      for (const k of Object.keys(v)) {
        if (out.length >= limit) break;
        const s = new Slot(v, k, path);
        out.push(s);
        const x = v[k];
        if (x && typeof x === 'object') queue.push({ v: x, path: () => s.path });
      }
    }
  }
  return out;
}

function containers(root: Json): { v: { [k: string]: Json }; path: string }[] {
  const out: { v: { [k: string]: Json }; path: string }[] = [];
  if (root && typeof root === 'object' && !Array.isArray(root)) out.push({ v: root, path: '' });
  for (const s of slots(root, 200)) {
    const x = (s.parent as Record<string, Json>)[s.key as string];
    if (x && typeof x === 'object' && !Array.isArray(x)) out.push({ v: x, get path() { return s.path; } });
  }
  return out;
}

/** Integer-count keys the engine loops over (a layer count of 1e7 is a separate, isolated test). */
export const LAYER_COUNT_KEYS = ['num_hidden_layers', 'n_layer', 'n_layers', 'num_layers'];

// ---------------------------------------------------------------------------------------------
// Value mutations

export interface ValueMutationOptions {
  /** Key names to add with random values (e.g. every key seen in the corpus). */
  keys?: readonly string[];
  /** Allow deep nesting (thousands of levels). */
  deep?: boolean;
  /** Allow 1e5..1e6-character strings. */
  long?: boolean;
}

/** Applies 1..`max` random mutations to a deep copy of `input`. */
export function mutateValue(rng: Rng, input: unknown, opts: ValueMutationOptions = {}, max = 4): Mutated<Json> {
  let root = clone(input) as Json;
  const log: string[] = [];
  const n = rng.int(1, max);
  for (let m = 0; m < n; m++) {
    const all = slots(root);
    const slot = all.length ? (rng.bool(0.6) ? all[rng.int(0, Math.min(all.length, 40) - 1)] : rng.pick(all)) : undefined;
    const op = rng.weighted<string>([
      [3, 'delete'], [3, 'wrongType'], [4, 'extreme'], [2, 'numberString'], [1, 'unicodeValue'], [1, 'unicodeKey'],
      [3, 'addKey'], [1, 'protoKey'], [1, 'protoValue'], [opts.deep === false ? 0 : 1, 'deep'], [opts.long === false ? 0 : 1, 'long'],
      [1, 'swap'], [1, 'largeCount'], [1, 'replaceRoot'], [1, 'emptyContainer'],
    ]);
    const get = (s: Slot): Json => (s.parent as Record<string | number, Json>)[s.key];
    const set = (s: Slot, v: Json): void => { (s.parent as Record<string | number, Json>)[s.key] = v; };
    try {
    switch (op) {
      case 'delete':
        if (!slot) break;
        if (Array.isArray(slot.parent)) slot.parent.splice(slot.key as number, 1); else delete slot.parent[slot.key as string];
        log.push(`delete ${slot.path}`);
        break;
      case 'wrongType':
        if (!slot) break;
        set(slot, wrongType(rng, get(slot)));
        log.push(`wrong type at ${slot.path}`);
        break;
      case 'extreme': {
        if (!slot) break;
        const v = rng.pick(EXTREME_NUMBERS);
        set(slot, v);
        log.push(`${slot.path} = ${Object.is(v, -0) ? '-0' : String(v)}`);
        break;
      }
      case 'numberString': {
        if (!slot) break;
        const v = rng.pick(NUMBER_LIKE_STRINGS);
        set(slot, v);
        log.push(`${slot.path} = ${JSON.stringify(v)}`);
        break;
      }
      case 'unicodeValue': {
        if (!slot) break;
        const cur = get(slot);
        set(slot, unicodeString(rng, typeof cur === 'string' ? cur : String(cur)));
        log.push(`unicode in value ${slot.path}`);
        break;
      }
      case 'unicodeKey': {
        if (!slot || Array.isArray(slot.parent)) break;
        const v = get(slot);
        delete slot.parent[slot.key as string];
        const k = unicodeString(rng, slot.key as string);
        slot.parent[k] = v;
        log.push(`unicode in key ${slot.path} -> ${JSON.stringify(k)}`);
        break;
      }
      case 'addKey': {
        const targets = containers(root);
        if (!targets.length) break;
        const t = rng.bool(0.7) ? targets[0] : rng.pick(targets);
        const k = opts.keys && opts.keys.length ? rng.pick(opts.keys) : rng.pick(['num_hidden_layers', 'hidden_size', 'model_type']);
        const v = randomValue(rng);
        t.v[k] = v;
        log.push(`${t.path ? t.path + '.' : ''}${k} = ${typeof v === 'number' && !Number.isFinite(v) ? String(v) : JSON.stringify(v)?.slice(0, 80)}`);
        break;
      }
      case 'protoKey': {
        const targets = containers(root);
        if (!targets.length) break;
        const t = rng.pick(targets);
        const k = rng.pick(PROTO_WORDS);
        // Defined as an own property (JSON.parse does the same for "__proto__").
        Object.defineProperty(t.v, k, { value: randomValue(rng), enumerable: true, writable: true, configurable: true });
        log.push(`own key ${t.path ? t.path + '.' : ''}${k}`);
        break;
      }
      case 'protoValue':
        if (!slot) break;
        set(slot, rng.pick(PROTO_WORDS));
        log.push(`${slot.path} = ${JSON.stringify(get(slot))}`);
        break;
      case 'deep': {
        if (!slot) break;
        const depth = rng.pick([100, 1000, 10_000]);
        set(slot, deepValue(depth, get(slot), rng.bool() ? 'array' : 'object'));
        log.push(`${slot.path} nested ${depth} deep`);
        break;
      }
      case 'long':
        if (!slot) break;
        set(slot, longString(rng));
        log.push(`${slot.path} = long string`);
        break;
      case 'swap': {
        if (all.length < 2) break;
        const a = rng.pick(all);
        const b = rng.pick(all);
        const va = get(a);
        set(a, get(b));
        set(b, va);
        log.push(`swap ${a.path} <-> ${b.path}`);
        break;
      }
      case 'largeCount': {
        const targets = containers(root);
        if (!targets.length) break;
        const t = rng.bool(0.8) ? targets[0] : rng.pick(targets);
        const k = rng.pick(['hidden_size', 'vocab_size', 'intermediate_size', 'num_attention_heads', 'num_key_value_heads', 'head_dim',
          'max_position_embeddings', 'num_local_experts', 'num_experts', 'num_experts_per_tok', 'moe_intermediate_size', 'sliding_window',
          'kv_lora_rank', 'q_lora_rank', 'qk_rope_head_dim', 'pad_vocab_size_multiple', 'mamba_num_heads', 'state_size', ...LAYER_COUNT_KEYS]);
        const v = rng.pick(LARGE_COUNTS);
        t.v[k] = v;
        log.push(`${t.path ? t.path + '.' : ''}${k} = ${v}`);
        break;
      }
      case 'replaceRoot':
        if (rng.bool(0.8)) break; // rare: the whole config is not an object
        root = rng.pick<Json>([null, [], [root], 'config', 0, true]);
        log.push(`root replaced by ${JSON.stringify(root)?.slice(0, 40)}`);
        break;
      case 'emptyContainer':
        if (!slot) break;
        set(slot, Array.isArray(get(slot)) ? [] : {});
        log.push(`${slot.path} emptied`);
        break;
    }
    } catch (e) {
      // A mutation of an already deeply nested value can overflow the stack (String(), join, stringify): skip it.
      log.push(`(${op} skipped: ${(e as Error).message})`);
    }
  }
  return { value: root, log };
}

// ---------------------------------------------------------------------------------------------
// Text mutations

const JUNK = ['{', '}', '[', ']', '"', "'", ':', ',', '\n', '\r\n', '\t', '  ', '- ', '# ', '---\n', '...\n', '&a ', '*a', '!!str ', '!!binary ', '|', '>-', '? ', '%YAML 1.2\n',
  '\\', '\\u', '\\ud800', 'NaN', 'Infinity', '-Infinity', 'null', 'true', '1e999', '-0', '0x1F', '/*', '*/', '//', '<<: *a', '@', '`', '\u0000', '\ufeff'];

function numberSpans(text: string): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = [];
  const re = /-?\d+(\.\d+)?([eE][+-]?\d+)?/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) && out.length < 500) out.push({ start: m.index, end: m.index + m[0].length });
  return out;
}

function lineStarts(text: string): number[] {
  const out = [0];
  for (let i = text.indexOf('\n'); i >= 0 && out.length < 5000; i = text.indexOf('\n', i + 1)) out.push(i + 1);
  return out;
}

export interface TextMutationOptions {
  /** 'json' adds JSON-specific mutations (duplicated "key": value pairs), 'yaml' YAML ones (duplicated lines, indentation). */
  syntax: 'json' | 'yaml';
  /** Allow deep nesting (10k levels) and very long strings. */
  heavy?: boolean;
}

/** Applies 1..`max` random text mutations. */
export function mutateText(rng: Rng, input: string, opts: TextMutationOptions, max = 3): Mutated<string> {
  let text = input;
  const log: string[] = [];
  const n = rng.int(1, max);
  for (let m = 0; m < n; m++) {
    const at = rng.int(0, text.length);
    const op = rng.weighted<string>([
      [3, 'truncate'], [2, 'deleteRange'], [2, 'duplicateRange'], [3, 'junk'], [3, 'number'], [2, 'unicode'], [1, 'crlf'], [1, 'bom'],
      [opts.heavy ? 1 : 0, 'deep'], [opts.heavy ? 1 : 0, 'long'], [2, 'duplicateKey'], [1, 'swapLines'], [1, 'indent'], [1, 'tabs'],
      [1, 'deleteChar'], [1, 'empty'],
    ]);
    switch (op) {
      case 'truncate':
        text = text.slice(0, at);
        log.push(`truncate at ${at}`);
        break;
      case 'deleteRange': {
        const len = rng.logInt(1, Math.max(1, Math.min(400, text.length)));
        text = text.slice(0, at) + text.slice(at + len);
        log.push(`delete ${len} at ${at}`);
        break;
      }
      case 'duplicateRange': {
        const len = rng.logInt(1, Math.max(1, Math.min(400, text.length)));
        const to = rng.int(0, text.length);
        text = text.slice(0, to) + text.slice(at, at + len) + text.slice(to);
        log.push(`copy ${len} from ${at} to ${to}`);
        break;
      }
      case 'junk': {
        const j = rng.pick(JUNK);
        text = text.slice(0, at) + j + text.slice(at);
        log.push(`insert ${JSON.stringify(j)} at ${at}`);
        break;
      }
      case 'number': {
        const spans = numberSpans(text);
        if (!spans.length) break;
        const s = rng.pick(spans);
        const v = rng.pick(['0', '-0', '-1', '1e308', '-1e308', '9007199254740992', '9007199254740993', '2147483648', '1e999', 'NaN', 'Infinity', '-Infinity',
          '0.0000001', '1.5', '4097', '1e12', '99999999999', '"32"', '0x10', '1_000', '32k', '1e+2', '.5', '5.', '00012']);
        text = text.slice(0, s.start) + v + text.slice(s.end);
        log.push(`number at ${s.start} -> ${v}`);
        break;
      }
      case 'unicode': {
        const u = rng.pick(UNICODE_BITS);
        text = text.slice(0, at) + u + text.slice(at);
        log.push(`insert ${JSON.stringify(u)} at ${at}`);
        break;
      }
      case 'crlf':
        text = rng.bool() ? text.replace(/\r?\n/g, '\r\n') : text.replace(/\r?\n/g, () => rng.pick(['\n', '\r\n', '\r']));
        log.push('line endings changed');
        break;
      case 'bom':
        text = '\ufeff' + text;
        log.push('BOM');
        break;
      case 'deep': {
        const depth = rng.pick([1000, 10_000, 50_000]);
        const style = rng.int(0, 3);
        let nest: string;
        if (style === 0) nest = '['.repeat(depth) + ']'.repeat(depth);
        else if (style === 1) nest = '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
        else if (style === 2) nest = '['.repeat(depth); // unclosed
        else nest = opts.syntax === 'yaml' ? Array.from({ length: Math.min(depth, 2000) }, (_, i) => ' '.repeat(i) + '- ').join('\n') + 'x' : '{"a":'.repeat(depth);
        text = text.slice(0, at) + nest + text.slice(at);
        log.push(`nest style ${style} depth ${depth} at ${at}`);
        break;
      }
      case 'long': {
        const s = longString(rng);
        text = text.slice(0, at) + s + text.slice(at);
        log.push(`long string (${s.length}) at ${at}`);
        break;
      }
      case 'duplicateKey': {
        if (opts.syntax === 'json') {
          const re = /"[^"\\\n]{1,60}"\s*:\s*(-?[\d.eE+-]+|"[^"\\\n]*"|true|false|null)\s*,?/g;
          const pairs: RegExpExecArray[] = [];
          let mm: RegExpExecArray | null;
          while ((mm = re.exec(text)) && pairs.length < 300) pairs.push(mm);
          if (!pairs.length) break;
          const p = rng.pick(pairs);
          const pair = p[0].replace(/,?\s*$/, '');
          const other = rng.pick(pairs);
          // Same key again, before or after, with a value copied from another pair.
          const value = other[1];
          const dup = pair.replace(/:\s*.*$/s, `: ${value}`);
          const pos = rng.bool() ? p.index : p.index + p[0].length;
          text = text.slice(0, pos) + dup + ', ' + text.slice(pos);
          log.push(`duplicate key ${pair.split(':')[0]} = ${value} at ${pos}`);
        } else {
          const starts = lineStarts(text);
          const i = rng.int(0, starts.length - 1);
          const line = text.slice(starts[i], starts[i + 1] ?? text.length);
          const to = rng.pick(starts);
          text = text.slice(0, to) + (line.endsWith('\n') ? line : line + '\n') + text.slice(to);
          log.push(`duplicate line ${i} at ${to}`);
        }
        break;
      }
      case 'swapLines': {
        const lines = text.split('\n');
        if (lines.length < 2) break;
        const a = rng.int(0, lines.length - 1);
        const b = rng.int(0, lines.length - 1);
        [lines[a], lines[b]] = [lines[b], lines[a]];
        text = lines.join('\n');
        log.push(`swap lines ${a} ${b}`);
        break;
      }
      case 'indent': {
        const starts = lineStarts(text);
        const s = rng.pick(starts);
        const d = rng.int(-4, 4);
        if (d > 0) text = text.slice(0, s) + ' '.repeat(d) + text.slice(s);
        else text = text.slice(0, s) + text.slice(s).replace(new RegExp(`^ {0,${-d}}`), '');
        log.push(`indent ${d} at ${s}`);
        break;
      }
      case 'tabs':
        text = text.replace(/^( {2})+/gm, (sp) => (rng.bool(0.3) ? '\t'.repeat(sp.length / 2) : sp));
        log.push('tabs for indentation');
        break;
      case 'deleteChar':
        text = text.slice(0, at) + text.slice(at + 1);
        log.push(`delete char at ${at}`);
        break;
      case 'empty':
        if (rng.bool(0.7)) break;
        text = rng.pick(['', ' ', '\n', '\ufeff', '{}', '[]', 'null', '---', '#', '"', '{', '-']);
        log.push(`text = ${JSON.stringify(text)}`);
        break;
    }
  }
  return { value: text, log };
}
