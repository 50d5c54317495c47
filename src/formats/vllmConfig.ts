// vLLM config files (`vllm serve --config file.yaml`): engine arguments as top-level keys.
import type { DeploymentSpec, FormatProblem, InputKey } from './types';
import { SpecBuilder, applySpeculativeConfig, eolOf, indentOf, lineEnd, scalarTarget } from './common';
import { CANONICAL_FLAG, FLAGS, isNotMemoryFlag, normalizeFlag } from './engines';
import { YMap, YNode, get, innerRange, isMap, isScalar, resolveYaml11, scalarValue, toJS } from './yaml';
import { keyedTable } from '../core/keyedTable';

// vLLM loads `--config` files with PyYAML (`yaml.safe_load`, YAML 1.1): `max-model-len: 010` is 8, `1:30` is 90,
// `1_000` is 1000 and `enforce-eager: yes` is true there, so plain scalars here are typed by PyYAML's rules
// (`resolveYaml11`, src/formats/yaml/schema.ts), not by the YAML 1.2 core schema the other readers use.

/** Keys only a vLLM configuration has (any one makes a file a vLLM config). */
const DISTINCTIVE = new Set([
  'tensor-parallel-size', 'pipeline-parallel-size', 'max-model-len', 'gpu-memory-utilization', 'max-num-seqs',
  'max-num-batched-tokens', 'kv-cache-dtype', 'served-model-name', 'enable-prefix-caching', 'enforce-eager',
  'enable-chunked-prefill', 'swap-space', 'distributed-executor-backend', 'data-parallel-size', 'cpu-offload-gb',
  'max-num-partial-prefills', 'speculative-config', 'disable-log-requests',
]);

const KEYS: Readonly<Record<string, InputKey | 'model'>> = keyedTable(Object.fromEntries(
  Object.entries(FLAGS.vllm).filter(([k]) => k.length > 2 && k !== 'model-id'),
));

export function looksLikeVllmConfig(root: YNode | null): root is YMap {
  if (!isMap(root) || get(root, 'apiVersion') || get(root, 'services') || get(root, 'servingEngineSpec')) return false;
  let distinctive = 0;
  for (const p of root.pairs) {
    const k = normalizeFlag(p.key.value);
    if (DISTINCTIVE.has(k)) distinctive++;
    // Engine arguments are scalars (or small lists / JSON objects like speculative-config).
    if (DISTINCTIVE.has(k) && p.value && !isScalar(p.value) && k !== 'speculative-config' && k !== 'served-model-name') return false;
  }
  return distinctive > 0;
}

export function readVllmConfig(text: string, root: YMap, problems: FormatProblem[], out: DeploymentSpec[]): void {
  const b = new SpecBuilder(text, problems);
  b.inputs.engine = 'vllm';
  let modelKey: SourceRangeLike | undefined;
  let under = 0, hyph = 0;
  for (const p of root.pairs) {
    const raw = p.key.value;
    if (raw.includes('_')) under++; else if (raw.includes('-')) hyph++;
    const target = KEYS[normalizeFlag(raw)];
    if (normalizeFlag(raw) === 'speculative-config' && p.value) {
      // A YAML mapping, or the JSON text the command line takes.
      let config: unknown = toJS(p.value, 0, resolveYaml11);
      if (typeof config === 'string') { try { config = JSON.parse(config); } catch { /* reported as not an object */ } }
      applySpeculativeConfig(b, config, raw, isScalar(p.value) ? innerRange(text, p.value) : { start: p.value.start, end: p.value.end }, innerRange(text, p.key));
      continue;
    }
    if (!target) {
      // Engine arguments the budget does not read, and that may change memory, are listed once.
      if (!isNotMemoryFlag('vllm', normalizeFlag(raw))) b.noteUnread(raw, innerRange(text, p.key));
      continue;
    }
    if (!p.value || p.value.kind !== 'scalar') continue;
    if (target === 'model') {
      b.setModel(p.value.value, innerRange(text, p.value));
      modelKey = { start: p.key.start, end: p.value.end };
      continue;
    }
    b.set(target, scalarValue(p.value, resolveYaml11), raw, innerRange(text, p.value), innerRange(text, p.key), [scalarTarget(text, p.value, false)]);
  }
  const underscore = under > hyph;
  if (!root.flow) {
    const eol = eolOf(text);
    const at = lineEnd(text, root.end);
    const indent = indentOf(text, root.start);
    for (const [key, flag] of Object.entries(CANONICAL_FLAG.vllm) as [InputKey, string][]) {
      b.offer(key, { type: 'map-key', at, flow: false, indent, eol, key: underscore ? flag.replace(/-/g, '_') : flag });
    }
  }
  const first = root.pairs[0];
  const anchor = modelKey ?? (first ? { start: first.key.start, end: first.key.end } : { start: root.start, end: root.start });
  const label = b.model ? `vLLM config · ${b.model.name}` : 'vLLM config';
  b.span = { start: root.start, end: root.end };
  out.push(b.build('vllm-config', 'vllm', label, anchor));
}

interface SourceRangeLike { start: number; end: number }
