// Inference Budget files (`*.budget.yaml`, `inference-budget.yaml`), checked against schemas/budget.schema.json.
import type { ErrorObject } from 'ajv';
import { validateBudgetFile } from '../generated/validators';
import type { DeploymentSpec, FormatProblem, InputKey, ServingEngine, SourceRange, WorkloadSpec } from './types';
import { SpecBuilder, eolOf, indentOf, lineEnd, scalarRaw, scalarTarget } from './common';
import { STRING_KEYS } from './values';
import { parseCount } from './values';
import { YMap, YNode, YPair, getMap, innerRange, isMap, isScalar, pairOf, parseYaml, toJS } from './yaml';
import { keyedTable } from '../core/keyedTable';

export const BUDGET_FILE_NAME = /(^|[\\/])([^\\/]+\.budget\.ya?ml|inference-budget\.ya?ml)$/i;

export function isBudgetFileName(fileName: string): boolean { return BUDGET_FILE_NAME.test(fileName); }

const ENGINE_KEYS: Readonly<Record<string, InputKey>> = keyedTable({
  tensorParallel: 'tensorParallel', pipelineParallel: 'pipelineParallel', maxModelLen: 'maxModelLen',
  gpuMemoryUtilization: 'gpuMemoryUtilization', maxNumSeqs: 'maxNumSeqs', maxNumBatchedTokens: 'maxNumBatchedTokens',
  kvCacheDtype: 'kvCacheDtype', quantization: 'quantization', dtype: 'dtype', blockSize: 'blockSize',
});
const HARDWARE_KEYS: Readonly<Record<string, InputKey>> = keyedTable({ gpu: 'gpu', count: 'gpuCount', pricePerGpuHour: 'pricePerGpuHour' });

const pairIndexes = new WeakMap<YNode, Map<string, YPair>>();

/**
 * `pairOf` with a map's own keys indexed once: a file with 40,000 unknown keys gets 40,000 schema errors, each
 * located in constant time instead of a scan of the map (merge keys still go through `pairOf`).
 */
function indexedPairOf(m: YNode | null, key: string): YPair | undefined {
  if (!isMap(m)) return undefined;
  let index = pairIndexes.get(m);
  if (!index) {
    index = new Map();
    for (const p of m.pairs) if (!index.has(p.key.value)) index.set(p.key.value, p);
    pairIndexes.set(m, index);
  }
  return index.get(key) ?? (index.has('<<') ? pairOf(m, key) : undefined);
}

/** The node at a JSON pointer (`/engine/maxModelLen`) and the pair holding it. */
function nodeAt(root: YNode | null, pointer: string): { node: YNode | null; pair?: YPair } {
  let node: YNode | null = root;
  let pair: YPair | undefined;
  if (pointer === '') return { node };
  for (const raw of pointer.split('/').slice(1)) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (isMap(node)) { pair = indexedPairOf(node, seg); node = pair?.value ?? null; if (!pair) break; }
    else if (node && node.kind === 'seq') { node = node.items[Number(seg)] ?? null; pair = undefined; }
    else break;
  }
  return { node, pair };
}

function rangeOfNode(text: string, n: YNode): SourceRange {
  return isScalar(n) ? innerRange(text, n) : { start: n.start, end: Math.min(n.end, lineEnd(text, n.start)) };
}

function schemaProblem(text: string, root: YNode | null, e: ErrorObject, whole: SourceRange): FormatProblem {
  const { node, pair } = nodeAt(root, e.instancePath);
  const where = e.instancePath ? e.instancePath.slice(1).replace(/\//g, '.') : 'budget file';
  let range = node ? rangeOfNode(text, node) : pair ? innerRange(text, pair.key) : whole;
  let message = `${where} ${e.message ?? 'is not valid'}.`;
  if (e.keyword === 'additionalProperties') {
    const prop = String((e.params as { additionalProperty?: string }).additionalProperty);
    const p = isMap(node) ? indexedPairOf(node, prop) : undefined;
    if (p) range = innerRange(text, p.key);
    message = `Unknown property "${prop}"${e.instancePath ? ` in ${where}` : ''}.`;
  } else if (e.keyword === 'required') {
    const prop = String((e.params as { missingProperty?: string }).missingProperty);
    message = `${e.instancePath ? where : 'The budget file'} needs "${prop}".`;
    if (pair) range = innerRange(text, pair.key);
    else if (!e.instancePath) range = { start: whole.start, end: lineEnd(text, whole.start) };
  } else if (e.keyword === 'enum') {
    const allowed = (e.params as { allowedValues?: unknown[] }).allowedValues ?? [];
    message = `${where} must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}.`;
  } else if (e.keyword === 'type') {
    message = `${where} must be ${String((e.params as { type?: string }).type).replace(',', ' or ')}.`;
  }
  return { severity: 'error', message, range };
}

export function readBudget(text: string, root: YNode | null, fileName: string, problems: FormatProblem[], out: DeploymentSpec[]): void {
  const whole = { start: 0, end: Math.min(text.length, lineEnd(text, 0)) };
  // Precompiled from schemas/budget.schema.json (scripts/generate-validators.js).
  const validateFn = validateBudgetFile;
  const schemaProblems: FormatProblem[] = [];
  if (!validateFn(toJS(root))) {
    for (const e of validateFn.errors ?? []) {
      if (e.keyword === 'if' || e.keyword === 'anyOf' || e.keyword === 'oneOf') continue;
      schemaProblems.push(schemaProblem(text, root, e, whole));
    }
  }
  // One problem per range: the schema's words win over the value checks below.
  const taken = new Set(schemaProblems.map((p) => `${p.range.start}:${p.range.end}`));
  for (const p of schemaProblems) problems.push(p);
  if (!isMap(root)) return;

  const local: FormatProblem[] = [];
  const b = new SpecBuilder(text, local);
  const eol = eolOf(text);

  const modelPair = pairOf(root, 'model');
  if (modelPair && isScalar(modelPair.value)) b.setModel(modelPair.value.value, innerRange(text, modelPair.value));

  const hardware = getMap(root, 'hardware');
  const engine = getMap(root, 'engine');
  let engineName: ServingEngine = 'vllm';
  const nameNode = engine ? pairOf(engine, 'name')?.value : undefined;
  if (isScalar(nameNode) && (nameNode.value === 'sglang' || nameNode.value === 'tgi' || nameNode.value === 'vllm')) engineName = nameNode.value;
  const versionPair = engine ? pairOf(engine, 'version') : undefined;
  if (versionPair && isScalar(versionPair.value)) {
    const v = versionPair.value;
    b.set('engine', `${engineName}@${v.value}`, 'engine.version', innerRange(text, v), innerRange(text, versionPair.key),
      [scalarTarget(text, v, true)], { versionOnly: true });
  } else {
    b.inputs.engine = engineName;
  }

  const section = (m: YMap | undefined, keys: Record<string, InputKey>, name: string): void => {
    if (m) {
      for (const p of m.pairs) {
        const key = keys[p.key.value];
        if (!key || !isScalar(p.value)) continue;
        // Text values stay strings when rewritten (a GPU named 4090 is the string "4090" in the schema).
        b.set(key, scalarRaw(p.value), `${name}.${p.key.value}`, innerRange(text, p.value), innerRange(text, p.key), [scalarTarget(text, p.value, STRING_KEYS.has(key))]);
      }
    }
    for (const [k, key] of Object.entries(keys)) {
      if (m && !m.flow) {
        b.offer(key, { type: 'map-key', at: lineEnd(text, m.end), flow: false, indent: indentOf(text, m.start), eol, key: k });
      } else if (!m && !root.flow && !pairOf(root, name)) {
        const indent = indentOf(text, root.start);
        b.offer(key, { type: 'new-block', at: lineEnd(text, root.end), indent, childIndent: indent + childStep(text, root), eol, parentKey: name, list: false, key: k });
      }
    }
  };
  section(hardware, HARDWARE_KEYS, 'hardware');
  section(engine, ENGINE_KEYS, 'engine');
  if (engine && !engine.flow && !versionPair) {
    b.offer('engine', { type: 'map-key', at: lineEnd(text, engine.end), flow: false, indent: indentOf(text, engine.start), eol, key: 'version', quoteValue: true });
  }

  const workload = getMap(root, 'workload');
  if (workload) {
    const w: WorkloadSpec = {};
    for (const p of workload.pairs) {
      const k = p.key.value as keyof WorkloadSpec;
      if (!['promptTokens', 'outputTokens', 'targetConcurrency', 'ttftMs', 'tpotMs'].includes(k) || !isScalar(p.value)) continue;
      const raw = scalarRaw(p.value);
      const range = innerRange(text, p.value);
      if (k === 'ttftMs' || k === 'tpotMs') {
        const n = typeof raw === 'number' ? raw : Number(raw);
        if (Number.isFinite(n) && n > 0 && n <= 1e9) w[k] = n;
        else local.push({ severity: 'error', message: `workload.${k} must be a positive number of milliseconds.`, range });
      } else {
        const r = parseCount(raw, `workload.${k}`);
        if (r.ok) w[k] = r.value as number;
        else local.push({ severity: r.severity, message: r.message, range });
      }
    }
    b.workload = w;
  }

  for (const p of local) if (!taken.has(`${p.range.start}:${p.range.end}`)) problems.push(p);
  const base = fileName.split(/[\\/]/).pop() ?? fileName;
  const label = b.model ? `${base} · ${b.model.name}` : base;
  const anchor = modelPair ? { start: modelPair.key.start, end: modelPair.value ? modelPair.value.end : modelPair.key.end }
    : root.pairs[0] ? innerRange(text, root.pairs[0].key) : { start: root.start, end: root.start };
  b.span = { start: 0, end: text.length };
  out.push(b.build('budget-file', engineName, label, anchor));
}

/**
 * A budget file's `models:` map (model ids or globs → a config.json path relative to the file, or a model id to
 * size it as), read from its text: the model resolver applies it before any other lookup. Entries whose value is
 * not a non-empty string are left out (the schema reports them).
 */
export function budgetModelsMap(text: string): Record<string, string> | undefined {
  if (!/^\s*models\s*:/m.test(text)) return undefined;
  let root: YNode | null;
  try { root = parseYaml(text).docs[0]?.root ?? null; } catch { return undefined; }
  const models = isMap(root) ? getMap(root, 'models') : undefined;
  if (!models) return undefined;
  const out: Record<string, string> = {};
  for (const p of models.pairs) {
    if (isScalar(p.value) && typeof p.value.value === 'string' && p.value.value.trim() && p.key.value.trim()) out[p.key.value.trim()] = p.value.value.trim();
  }
  return out;
}

function childStep(text: string, root: YMap): string {
  for (const p of root.pairs) {
    if (isMap(p.value) && !p.value.flow) {
      const step = indentOf(text, p.value.start).length - indentOf(text, root.start).length;
      if (step > 0) return ' '.repeat(step);
    }
  }
  return '  ';
}
