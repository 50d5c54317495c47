// Hugging Face config.json: tolerant JSON with the range of every key.
import * as jsonc from 'jsonc-parser';
import type { DeploymentSpec, FormatProblem, ModelConfigDocument, SourceRange } from './types';

/** Files beside config.json that are not model configs. */
const NOT_MODEL_CONFIG = /(^|[\\/])(tokenizer_config|generation_config|preprocessor_config|processor_config|adapter_config|special_tokens_map|quantize_config|hf_quant_config|quant_config|chat_template|tokenizer|vocab|added_tokens|trainer_state|training_args)\.json$|\.index\.json$/i;

export function looksLikeModelConfig(fileName: string, config: unknown): boolean {
  if (NOT_MODEL_CONFIG.test(fileName)) return false;
  if (!config || typeof config !== 'object' || Array.isArray(config)) return false;
  const c = config as Record<string, unknown>;
  return Array.isArray(c.architectures) || (typeof c.model_type === 'string' && c.model_type !== '');
}

/**
 * Python's json writes NaN / Infinity / -Infinity; JSON has no such tokens. Rewrite them
 * outside strings to same-length stand-ins (`1e999999` parses to Infinity) and remember
 * where NaN was.
 */
function pythonLiterals(text: string): { text: string; nan: Set<number> } {
  const nan = new Set<number>();
  if (text.indexOf('Infinity') < 0 && text.indexOf('NaN') < 0) return { text, nan };
  const parts: string[] = [];
  let last = 0;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i];
    if (c === '"') {
      i++;
      while (i < n && text[i] !== '"') { if (text[i] === '\\') i++; i++; }
      i++;
      continue;
    }
    if (c === '/' && text[i + 1] === '/') { while (i < n && text[i] !== '\n') i++; continue; }
    if (c === '/' && text[i + 1] === '*') { const e = text.indexOf('*/', i + 2); i = e < 0 ? n : e + 2; continue; }
    if (c === 'I' && text.startsWith('Infinity', i) && !/[\w$]/.test(text[i + 8] ?? '') && !/[\w$]/.test(text[i - 1] ?? '')) {
      parts.push(text.slice(last, i), '1e999999');
      i += 8; last = i; continue;
    }
    if (c === 'N' && text.startsWith('NaN', i) && !/[\w$]/.test(text[i + 3] ?? '') && !/[\w$]/.test(text[i - 1] ?? '')) {
      parts.push(text.slice(last, i), '"N"');
      nan.add(i);
      i += 3; last = i; continue;
    }
    i++;
  }
  if (last === 0) return { text, nan };
  parts.push(text.slice(last));
  return { text: parts.join(''), nan };
}

function valueRange(n: jsonc.Node): SourceRange {
  if (n.type === 'string') return { start: n.offset + 1, end: n.offset + Math.max(1, n.length - 1) };
  return { start: n.offset, end: n.offset + n.length };
}

export function parseModelConfig(text: string): ModelConfigDocument {
  const problems: FormatProblem[] = [];
  const keyRanges = new Map<string, { key: SourceRange; value: SourceRange }>();
  try {
    const { text: src, nan } = pythonLiterals(text);
    const errors: jsonc.ParseError[] = [];
    const tree = jsonc.parseTree(src, errors, { allowTrailingComma: true, disallowComments: false, allowEmptyContent: true });
    for (const e of errors) {
      problems.push({
        severity: 'error',
        message: `JSON: ${jsonc.printParseErrorCode(e.error).replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase()}.`,
        range: { start: e.offset, end: e.offset + e.length },
      });
    }
    const convert = (n: jsonc.Node, path: string, depth: number): unknown => {
      if (depth > 100) return undefined;
      switch (n.type) {
        case 'object': {
          const o: Record<string, unknown> = {};
          for (const p of n.children ?? []) {
            const [k, v] = p.children ?? [];
            if (!k || typeof k.value !== 'string') continue;
            const childPath = path ? `${path}.${k.value}` : k.value;
            if (v) keyRanges.set(childPath, { key: valueRange(k), value: valueRange(v) });
            o[k.value] = v ? convert(v, childPath, depth + 1) : undefined;
          }
          return o;
        }
        case 'array':
          return (n.children ?? []).map((c, i) => convert(c, path ? `${path}.${i}` : String(i), depth + 1));
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
    const value = convert(tree, '', 0);
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
    const at = doc.keyRanges.get('architectures') ?? doc.keyRanges.get('model_type');
    const name = folder ?? (typeof cfg.model_type === 'string' ? cfg.model_type : 'model');
    model = { name, range: at ? at.key : { start: 0, end: 0 } };
  }
  const anchorKey = doc.keyRanges.get('architectures') ?? doc.keyRanges.get('model_type') ?? doc.keyRanges.get('_name_or_path');
  const anchor = anchorKey ? anchorKey.key : { start: 0, end: 0 };
  return {
    kind: 'hf-config', engine: 'vllm', label: model.name, model, inputs: {}, valueRanges: {}, keyRanges: {}, anchor,
    edit: { inPlace: {}, insert: {} },
  };
}
