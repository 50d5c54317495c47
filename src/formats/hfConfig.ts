// Hugging Face config.json: tolerant JSON with the range of every key.
import * as jsonc from 'jsonc-parser';
import { MAX_NESTING, clampProblems, clampRange, nestingProblem } from './limits';
import type { ConfigKeyRange, DeploymentSpec, FormatProblem, ModelConfigDocument, SourceRange } from './types';

/** Files beside config.json that are not model configs. */
const NOT_MODEL_CONFIG = /(^|[\\/])(tokenizer_config|generation_config|preprocessor_config|processor_config|adapter_config|special_tokens_map|quantize_config|hf_quant_config|quant_config|chat_template|tokenizer|vocab|added_tokens|trainer_state|training_args)\.json$|\.index\.json$/i;

export function looksLikeModelConfig(fileName: string, config: unknown): boolean {
  if (NOT_MODEL_CONFIG.test(fileName)) return false;
  if (!config || typeof config !== 'object' || Array.isArray(config)) return false;
  const c = config as Record<string, unknown>;
  return Array.isArray(c.architectures) || (typeof c.model_type === 'string' && c.model_type !== '');
}

/** A config key as one segment of a dotted path: `.` and `\\` inside the key are escaped with a backslash. */
export function pathSegment(key: string): string {
  return /[.\\]/.test(key) ? key.replace(/[.\\]/g, '\\$&') : key;
}

interface Prescan {
  /** The text to parse: Python's NaN / Infinity rewritten to same-length stand-ins. */
  text: string;
  /** Offsets of NaN literals (rewritten to the string `"N"`). */
  nan: Set<number>;
  /** Offsets of strings with no closing quote (the JSON scanner ends them at the line break). */
  unterminated: Set<number>;
  /** Offset of the bracket that opens one level more than MAX_NESTING. */
  tooDeep?: number;
}

/**
 * One pass of jsonc-parser's own scanner over the text (so strings, comments and literals are
 * delimited exactly as the parser will see them):
 * - Python's json writes NaN / Infinity / -Infinity; JSON has no such tokens. Such literals
 *   (never text inside a string or comment) are rewritten to same-length stand-ins
 *   (`1e999999` parses to Infinity, `"N"` is remembered as NaN).
 * - The nesting depth is bounded: jsonc-parser recurses once per level.
 */
function prescan(text: string): Prescan {
  const nan = new Set<number>();
  const unterminated = new Set<number>();
  const scanner = jsonc.createScanner(text, true);
  const stack: number[] = [];
  const parts: string[] = [];
  let last = 0;
  let tooDeep: number | undefined;
  for (let tok = scanner.scan(); tok !== jsonc.SyntaxKind.EOF; tok = scanner.scan()) {
    switch (tok) {
      case jsonc.SyntaxKind.OpenBraceToken:
      case jsonc.SyntaxKind.OpenBracketToken:
        // Mismatched closing brackets are skipped by the parser, so only a matching one pops:
        // the depth counted here is never below the parser's.
        stack.push(tok);
        if (stack.length > MAX_NESTING) tooDeep = scanner.getTokenOffset();
        break;
      case jsonc.SyntaxKind.CloseBraceToken:
        if (stack[stack.length - 1] === jsonc.SyntaxKind.OpenBraceToken) stack.pop();
        break;
      case jsonc.SyntaxKind.CloseBracketToken:
        if (stack[stack.length - 1] === jsonc.SyntaxKind.OpenBracketToken) stack.pop();
        break;
      case jsonc.SyntaxKind.StringLiteral:
        if (scanner.getTokenError() === jsonc.ScanError.UnexpectedEndOfString) unterminated.add(scanner.getTokenOffset());
        break;
      case jsonc.SyntaxKind.Unknown: {
        const at = scanner.getTokenOffset();
        const word = scanner.getTokenValue();
        if ((word !== 'NaN' && word !== 'Infinity') || scanner.getTokenLength() !== word.length) break;
        if (at > 0 && /[\w$.+]/.test(text[at - 1])) break;
        parts.push(text.slice(last, at), word === 'NaN' ? '"N"' : '1e999999');
        if (word === 'NaN') nan.add(at);
        last = at + word.length;
        break;
      }
    }
    if (tooDeep !== undefined) break;
  }
  if (last === 0) return { text, nan, unterminated, tooDeep };
  parts.push(text.slice(last));
  return { text: parts.join(''), nan, unterminated, tooDeep };
}

/** Range of a value (strings: inside the quotes; an unterminated string has no closing quote; NaN: the literal). */
function valueRange(n: jsonc.Node, pre: Prescan): SourceRange {
  if (n.type === 'string' && !pre.nan.has(n.offset)) {
    const close = pre.unterminated.has(n.offset) ? 0 : 1;
    return { start: n.offset + 1, end: n.offset + Math.max(1, n.length - close) };
  }
  return { start: n.offset, end: n.offset + n.length };
}

export function parseModelConfig(text: string): ModelConfigDocument {
  const doc = readJson(text);
  clampProblems(doc.problems, text.length);
  return doc;
}

function readJson(text: string): ModelConfigDocument {
  const problems: FormatProblem[] = [];
  const keyRanges = new Map<string, ConfigKeyRange>();
  try {
    const pre = prescan(text);
    const { text: src, nan } = pre;
    if (pre.tooDeep !== undefined) {
      problems.push(nestingProblem(pre.tooDeep, text.length));
      return { config: undefined, keyRanges, problems };
    }
    const errors: jsonc.ParseError[] = [];
    const tree = jsonc.parseTree(src, errors, { allowTrailingComma: true, disallowComments: false, allowEmptyContent: true });
    for (const e of errors) {
      problems.push({
        severity: 'error',
        message: `JSON: ${jsonc.printParseErrorCode(e.error).replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase()}.`,
        range: clampRange({ start: e.offset, end: e.offset + e.length }, text.length),
      });
    }
    const convert = (n: jsonc.Node, path: string, segments: readonly string[], depth: number): unknown => {
      if (depth > MAX_NESTING) return undefined;
      switch (n.type) {
        case 'object': {
          const o: Record<string, unknown> = {};
          for (const p of n.children ?? []) {
            const [k, v] = p.children ?? [];
            if (!k || typeof k.value !== 'string') continue;
            const segment = pathSegment(k.value);
            const childPath = path ? `${path}.${segment}` : segment;
            const childSegments = [...segments, k.value];
            if (v) keyRanges.set(childPath, { key: valueRange(k, pre), value: valueRange(v, pre), segments: childSegments });
            // Defined, not assigned: a "__proto__" key is data, as JSON.parse (the CLI) reads it, never a prototype.
            Object.defineProperty(o, k.value, { value: v ? convert(v, childPath, childSegments, depth + 1) : undefined, enumerable: true, writable: true, configurable: true });
          }
          return o;
        }
        case 'array':
          return (n.children ?? []).map((c, i) => convert(c, path ? `${path}.${i}` : String(i), [...segments, String(i)], depth + 1));
        case 'string':
          return nan.has(n.offset) ? NaN : n.value;
        default:
          return n.value;
      }
    };
    if (!tree) {
      if (text.trim() === '') problems.push({ severity: 'error', message: 'The file is empty.', range: { start: 0, end: 0 } });
      return { config: undefined, keyRanges, problems };
    }
    const value = convert(tree, '', [], 0);
    if (!value || typeof value !== 'object' || Array.isArray(value)) {
      problems.push({ severity: 'error', message: 'A model config must be a JSON object.', range: { start: tree.offset, end: tree.offset + Math.min(tree.length, 1) } });
      return { config: undefined, keyRanges, problems };
    }
    return { config: value as Record<string, unknown>, keyRanges, problems };
  } catch (e) {
    problems.push({ severity: 'error', message: `Could not read the JSON: ${String((e as Error).message ?? e)}`, range: { start: 0, end: 0 } });
    return { config: undefined, keyRanges, problems };
  }
}

/** One deployment standing for the model of a config.json (no engine settings). */
export function readModelConfig(fileName: string, doc: ModelConfigDocument): DeploymentSpec {
  const cfg = doc.config ?? {};
  const nameOrPath = cfg._name_or_path;
  const parts = fileName.split(/[\\/]/).filter(Boolean);
  const folder = parts.length >= 2 ? parts[parts.length - 2] : undefined;
  let model: DeploymentSpec['model'];
  const r = doc.keyRanges.get('_name_or_path');
  if (typeof nameOrPath === 'string' && nameOrPath.trim() !== '' && r) model = { name: nameOrPath, range: r.value };
  else {
    // A model name is never empty: the folder, else model_type, else the first architecture.
    const at = doc.keyRanges.get('architectures') ?? doc.keyRanges.get('model_type');
    const arch = Array.isArray(cfg.architectures) ? cfg.architectures[0] : undefined;
    const nonEmpty = (s: unknown): string | undefined => (typeof s === 'string' && s.trim() !== '' ? s : undefined);
    const name = nonEmpty(folder) ?? nonEmpty(cfg.model_type) ?? nonEmpty(arch) ?? 'model';
    model = { name, range: at ? at.key : { start: 0, end: 0 } };
  }
  const anchorKey = doc.keyRanges.get('architectures') ?? doc.keyRanges.get('model_type') ?? doc.keyRanges.get('_name_or_path');
  const anchor = anchorKey ? anchorKey.key : { start: 0, end: 0 };
  return {
    kind: 'hf-config', engine: 'vllm', label: model.name, model, inputs: {}, valueRanges: {}, keyRanges: {}, anchor,
    edit: { inPlace: {}, insert: {} },
  };
}

// ---------------------------------------------------------------------------------------------------
// Subjects: what a config.json key is about, so the editor asks by subject and never names config keys.

/**
 * What a key of a model config is about: the KV heads (`num_key_value_heads` and the attention heads they group),
 * the context length (`max_position_embeddings`), the weights' dtype (`torch_dtype`) and quantization
 * (`quantization_config`), the layer count, or the model itself (`architectures`, `model_type`, `_name_or_path`).
 */
export type ConfigSubject = 'kvHeads' | 'maxPositionEmbeddings' | 'dtype' | 'quantization' | 'layers' | 'model';

/** Key names (the last segment of a path) by subject: the keys a hover on which is about that subject. */
const SUBJECT_KEYS: Record<ConfigSubject, readonly string[]> = {
  kvHeads: ['num_key_value_heads', 'num_attention_heads', 'multi_query_group_num', 'n_head_kv'],
  maxPositionEmbeddings: ['max_position_embeddings', 'max_sequence_length', 'seq_length', 'n_positions'],
  dtype: ['torch_dtype', 'dtype'],
  quantization: ['quantization_config', 'quant_method'],
  layers: ['num_hidden_layers', 'n_layer'],
  model: ['architectures', 'model_type', '_name_or_path'],
};

/** Where a subject is written, by the keys that say it (ranges lookups go through these only). */
const LOCATION_KEYS: Partial<Record<ConfigSubject, readonly string[]>> = {
  kvHeads: ['num_key_value_heads'],
  maxPositionEmbeddings: ['max_position_embeddings'],
  dtype: ['torch_dtype', 'dtype'],
  quantization: ['quantization_config'],
  layers: ['num_hidden_layers'],
  model: ['architectures', 'model_type'],
};

/** Subjects written as an object or a list: a finding about them goes on the key. */
const OBJECT_VALUED: ReadonlySet<ConfigSubject> = new Set(['quantization', 'model']);

/** The subject of one key, by its path; undefined for keys no figure is about. */
export function configSubjectOf(r: Pick<ConfigKeyRange, 'segments'>): ConfigSubject | undefined {
  const s = r.segments;
  const name = s[s.length - 1];
  // An item of `architectures` (`architectures.0`) is the model too.
  if (s.length === 2 && s[0] === 'architectures' && /^\d+$/.test(name)) return 'model';
  for (const subject of Object.keys(SUBJECT_KEYS) as ConfigSubject[]) if (SUBJECT_KEYS[subject].includes(name)) return subject;
  return undefined;
}

/** The key of a config under an offset (its key or its value), the innermost one: `text_config.num_key_value_heads` over `text_config`. */
export interface ConfigKeyAt {
  /** The subject of the key, undefined when no figure is about it. */
  subject: ConfigSubject | undefined;
  /** The key and its value, the range a hover covers. */
  range: SourceRange;
  /** Path segments of the key (`['text_config', 'num_key_value_heads']`): the object holding it is `segments.slice(0, -1)`. */
  segments: readonly string[];
}

export function configKeyAt(doc: Pick<ModelConfigDocument, 'keyRanges'>, offset: number): ConfigKeyAt | undefined {
  const within = (r: SourceRange): boolean => offset >= r.start && offset <= r.end;
  let hit: { path: string; r: ConfigKeyRange } | undefined;
  for (const [path, r] of doc.keyRanges) {
    if ((within(r.key) || within(r.value)) && (!hit || path.length > hit.path.length)) hit = { path, r };
  }
  if (!hit) return undefined;
  const { key, value, segments } = hit.r;
  return { subject: configSubjectOf(hit.r), range: { start: key.start, end: Math.max(key.end, value.end) }, segments };
}

/**
 * Where a subject is written in a config: the key that says it, at top level first, then nested (`text_config.*`);
 * its value's range, or the key's when the value is an object or a list (`quantization_config`, `architectures`).
 * Undefined when the config does not write it.
 */
export function configRangeOf(doc: Pick<ModelConfigDocument, 'keyRanges'>, subject: ConfigSubject): SourceRange | undefined {
  for (const name of LOCATION_KEYS[subject] ?? []) {
    const found = findConfigKey(doc.keyRanges, name);
    if (found) return OBJECT_VALUED.has(subject) ? found.key : found.value;
  }
  return undefined;
}

/** A key of a config by its name, at top level first, then nested (text_config.*). */
export function findConfigKey(ranges: ModelConfigDocument['keyRanges'], name: string): ConfigKeyRange | undefined {
  const top = ranges.get(name);
  if (top) return top;
  for (const r of ranges.values()) if (r.segments[r.segments.length - 1] === name) return r;
  return undefined;
}
