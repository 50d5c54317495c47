// Helm values of the Ollama chart (otwld/ollama-helm): `image`, `ollama.gpu`, `ollama.models.pull/run`, `extraEnv`,
// `resources`, `nodeSelector`.
import type { DeploymentSpec, FormatProblem, InputKey } from './types';
import { ACCELERATOR_RESOURCES, SpecBuilder, applyEnvEntry, applyImage, eolOf, indentOf, lineEnd, ollamaContext, scalarRaw, scalarTarget } from './common';
import { GPU_LABELS } from './kubernetes';
import { YMap, YNode, get, getMap, getScalar, getSeq, innerRange, isMap, isScalar, pairOf, str } from './yaml';

/** The chart's values: an `ollama:` section beside an Ollama `image`. */
export function looksLikeOllamaChart(root: YNode | null): root is YMap {
  if (!isMap(root) || !isMap(get(root, 'ollama'))) return false;
  const repo = str(get(getMap(root, 'image'), 'repository'));
  const o = getMap(root, 'ollama');
  return (repo !== undefined && /(^|\/)ollama$/i.test(repo)) || !!get(o, 'models') || !!get(o, 'gpu');
}

export function readOllamaChart(text: string, root: YMap, problems: FormatProblem[], out: DeploymentSpec[]): void {
  const b = new SpecBuilder(text, problems);
  const o = getMap(root, 'ollama')!;

  // The image's tag is the Ollama release (`tag: ""` is the chart's appVersion).
  const image = getMap(root, 'image');
  const repo = getScalar(image, 'repository');
  const tag = getScalar(image, 'tag');
  if (repo && tag && tag.value.trim() !== '') applyImage(b, 'ollama', tag, pairOf(image, 'tag')?.key, `${repo.value}:${tag.value}`);
  else b.inputs.engine = 'ollama';

  // The models the chart pulls when the pod starts: the first one run (kept loaded), else the first pulled.
  // (Chart versions before 1.0 held one list, `ollama.models: [llama3.1]`.)
  const models = getMap(o, 'models');
  const lists = [getSeq(models, 'run'), getSeq(models, 'pull'), getSeq(o, 'models')];
  const first = lists.map((s) => s?.items.find(isScalar)).find((x) => x !== undefined);
  if (first && isScalar(first)) b.setModel(first.value, innerRange(text, first));

  const extraEnv = getSeq(root, 'extraEnv');
  if (extraEnv) {
    for (const it of extraEnv.items) {
      const name = getScalar(it, 'name');
      const value = getScalar(it, 'value');
      if (name && value) applyEnvEntry(b, 'ollama', name.value, scalarRaw(value), innerRange(text, value), innerRange(text, name), [scalarTarget(text, value, true)]);
    }
  }
  ollamaContext(b);

  const gpu = getMap(o, 'gpu');
  const enabled = pairOf(gpu, 'enabled');
  if (!enabled || !isScalar(enabled.value) || scalarRaw(enabled.value) !== true) {
    // The chart's default: no GPU requested, the model runs on the CPU.
    const at = enabled && isScalar(enabled.value) ? innerRange(text, enabled.value) : innerRange(text, pairOf(root, 'ollama')!.key);
    b.accelerator = { resource: 'cpu', name: 'the CPU (ollama.gpu.enabled is not true)', range: at };
  } else {
    const number = pairOf(gpu, 'number');
    if (number && isScalar(number.value)) {
      b.set('gpuCount', scalarRaw(number.value), 'ollama.gpu.number', innerRange(text, number.value), innerRange(text, number.key), [scalarTarget(text, number.value, false)]);
    } else if (gpu && !gpu.flow) {
      b.offer('gpuCount', { type: 'map-key', at: lineEnd(text, gpu.end), flow: false, indent: indentOf(text, gpu.start), eol: eolOf(text), key: 'number' });
    }
    const type = getScalar(gpu, 'type');
    if (type && type.value.toLowerCase() === 'amd') b.accelerator = { resource: 'amd.com/gpu', name: ACCELERATOR_RESOURCES.get('amd.com/gpu')!, range: innerRange(text, type) };
  }
  const selector = getMap(root, 'nodeSelector');
  for (const label of GPU_LABELS) {
    const p = pairOf(selector, label);
    if (p && isScalar(p.value)) {
      b.set('gpu', p.value.value, label, innerRange(text, p.value), innerRange(text, p.key), [scalarTarget(text, p.value, true)]);
      break;
    }
  }

  // Settings a quick fix adds go to extraEnv (a block list).
  if (extraEnv && !extraEnv.flow && extraEnv.items.length) {
    const lastItem = extraEnv.items[extraEnv.items.length - 1]!;
    const firstItem = extraEnv.items.find(isMap);
    const dash = indentOf(text, extraEnv.start);
    const inner = firstItem ? ' '.repeat(Math.max(1, indentOf(text, firstItem.start).length - dash.length)) : '  ';
    const env = { type: 'env-item' as const, at: lineEnd(text, lastItem.end), indent: dash, innerIndent: inner, eol: eolOf(text), valueQuote: '"' };
    const names: Partial<Record<InputKey, string>> = { kvCacheDtype: 'OLLAMA_KV_CACHE_TYPE' };
    if ((b.inputs.maxNumSeqs ?? 1) <= 1) names.maxModelLen = 'OLLAMA_CONTEXT_LENGTH';
    for (const [key, name] of Object.entries(names) as [InputKey, string][]) b.offer(key, { ...env, name });
  }

  const anchorPair = pairOf(root, 'ollama')!;
  b.span = { start: root.start, end: root.end };
  out.push(b.build('helm-ollama', 'ollama', 'Ollama chart', innerRange(text, anchorPair.key)));
}
