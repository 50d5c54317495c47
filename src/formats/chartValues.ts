// Helm values of charts whose values have a shape of their own:
// - llm-d's model service (llm-d-incubation/llm-d-modelservice charts/llm-d-modelservice: values.yaml and
//   templates/_helpers.tpl): `modelArtifacts` {uri (`hf://org/name`, `pvc://claim/path`, `pvc+hf://claim/.../org/name`),
//   name (the served name)}, `multinode` (a LeaderWorkerSet of `parallelism.workers` pods), `accelerator.type`, and per
//   role (`decode`, `prefill`): replicas, parallelism {tensor, data, dataLocal, workers}, acceleratorTypes {labelKey,
//   labelValues} and containers [{image, modelCommand (vllmServe | imageDefault | custom, the default), command, args,
//   env, resources}]. With vllmServe and imageDefault the chart writes the model and `--tensor-parallel-size` itself and
//   appends `args`; each pod gets dataLocal × tensor accelerators unless the container's limits say otherwise.
// - KubeAI's models chart (substratusai/kubeai charts/models: values.yaml, templates/models.yaml): `catalog.<name>` is
//   a Model spec, rendered when `enabled` (or `all.enabled`).
import type { DeploymentSpec, FormatProblem, InputKey, ServingEngine, SourceRange } from './types';
import { ACCELERATOR_RESOURCES, Invocation, SpecBuilder, applyArgs, applyImage, findCommand, flagInsertions, scalarRaw, scalarTarget, wordsOfSeq } from './common';
import { imageEntrypoint } from './engines';
import { gpuFromSelector, isMountPath } from './kubernetes';
import { gpuFromResources, readKubeaiModelSpec } from './operators';
import { valuesEnv } from './helm';
import { parseCount } from './values';
import { YMap, YScalar, get, getMap, getScalar, getSeq, innerRange, isMap, isScalar, isSeq, pairOf, str } from './yaml';
import { keyedTable } from '../core/keyedTable';

// ---------------------------------------------------------------------------
// llm-d model service.

/** The values configure llm-d's model service: model artifacts, or a decode / prefill role with containers. */
export function looksLikeLlmdValues(root: YMap): boolean {
  if (isMap(get(root, 'modelArtifacts')) && (isMap(get(root, 'decode')) || isMap(get(root, 'prefill')))) return true;
  return ['decode', 'prefill'].some((k) => isSeq(get(getMap(root, k), 'containers')) && isMap(get(getMap(root, k), 'parallelism')));
}

/** The chart's accelerator resources by `accelerator.type` (values.yaml `accelerator.resources`). */
const LLMD_RESOURCES: Readonly<Record<string, string>> = keyedTable({
  nvidia: 'nvidia.com/gpu', 'intel-i915': 'gpu.intel.com/i915', 'intel-xe': 'gpu.intel.com/xe', 'intel-gaudi': 'habana.ai/gaudi',
  amd: 'amd.com/gpu', google: 'google.com/tpu',
});

const HF_ID = /^[\w.-]+\/[\w.-]+$/;

const isTrue = (s: YScalar | undefined): boolean => !!s && scalarRaw(s) === true;
const isFalse = (s: YScalar | undefined): boolean => !!s && scalarRaw(s) === false;

interface ModelRef { name: string; range: SourceRange; note?: string }

/** The model the chart passes to the engine (argsByProtocol in _helpers.tpl), or the served name as a hint. */
function llmdModel(text: string, art: YMap | undefined): ModelRef | undefined {
  const uri = getScalar(art, 'uri');
  const nameNode = getScalar(art, 'name');
  const exactName = nameNode && HF_ID.test(nameNode.value) && text.slice(innerRange(text, nameNode).start, innerRange(text, nameNode).end) === nameNode.value
    ? { name: nameNode.value, range: innerRange(text, nameNode) } : undefined;
  if (uri) {
    const inner = innerRange(text, uri);
    const m = /^(hf|pvc\+hf|pvc|oci):\/\/(.*)$/.exec(uri.value);
    if (m && m[1] === 'hf' && HF_ID.test(m[2].replace(/\/$/, ''))) {
      const id = m[2].replace(/\/$/, '');
      const start = inner.start + 5;
      if (text.slice(start, start + id.length) === id) return { name: id, range: { start, end: start + id.length } };
    }
    if (m && m[1] === 'pvc+hf') {
      // The Hugging Face cache on a volume: the last two segments are the repository.
      const seg = m[2].replace(/\/$/, '').split('/');
      const id = seg.length >= 3 ? seg.slice(-2).join('/') : '';
      const at = uri.value.lastIndexOf(id);
      if (id && HF_ID.test(id) && text.slice(inner.start + at, inner.start + at + id.length) === id) return { name: id, range: { start: inner.start + at, end: inner.start + at + id.length } };
    }
    // The chart's default (`hf://{{ .Values.modelArtifacts.name }}`): the name is the model.
    if (m && m[1] === 'hf' && /\{\{/.test(m[2]) && exactName) return exactName;
    if (m && m[1] !== 'hf' && exactName) return { ...exactName, note: `Model taken from modelArtifacts.name: the model is loaded from ${uri.value}.` };
    if (uri.value.trim() !== '') return { name: uri.value, range: inner };
  }
  return exactName;
}

/** A whole number of a map key (parallelism sizes), when written as one. */
function intOf(m: YMap | undefined, key: string): { value: number; node: YScalar } | undefined {
  const s = getScalar(m, key);
  if (!s) return undefined;
  const r = parseCount(scalarRaw(s), key);
  return r.ok && typeof r.value === 'number' ? { value: r.value, node: s } : undefined;
}

function setFrom(b: SpecBuilder, key: InputKey, m: YMap | undefined, name: string): boolean {
  const p = pairOf(m, name);
  if (!p || !isScalar(p.value) || p.value.value === '') return false;
  b.set(key, scalarRaw(p.value), name, innerRange(b.text, p.value), innerRange(b.text, p.key), [scalarTarget(b.text, p.value, false)]);
  return true;
}

export function readLlmdValues(text: string, root: YMap, problems: FormatProblem[], out: DeploymentSpec[]): boolean {
  const before = out.length;
  const model = llmdModel(text, getMap(root, 'modelArtifacts'));
  const multinode = isTrue(getScalar(root, 'multinode'));
  const accType = getScalar(root, 'accelerator', 'type');
  const type = accType?.value ?? 'nvidia';
  const resource = str(get(getMap(root, 'accelerator', 'resources'), type)) ?? LLMD_RESOURCES[type];
  for (const roleName of ['decode', 'prefill']) {
    const rolePair = pairOf(root, roleName);
    const role = isMap(rolePair?.value) ? rolePair!.value : undefined;
    if (!role || isFalse(getScalar(role, 'create'))) continue;
    // A role of no pods (the chart's default for prefill) deploys nothing.
    if (/^\s*0+\s*$/.test(str(get(role, 'replicas')) ?? '')) continue;
    const par = getMap(role, 'parallelism');
    for (const c of getSeq(role, 'containers')?.items ?? []) {
      if (!isMap(c)) continue;
      const image = getScalar(c, 'image');
      // The chart's default image is llm-d's simulator, which loads no model.
      if (image && /inference-sim/.test(image.value)) continue;
      const mode = str(get(c, 'modelCommand')) ?? 'custom';
      const command = get(c, 'command');
      let inv: Invocation | undefined;
      if (mode === 'custom') {
        inv = findCommand(text, [isSeq(command) && !command.items.length ? undefined : command, get(c, 'args')], image?.value, { imageDefault: !isSeq(command) || !command.items.length });
      } else {
        const args = getSeq(c, 'args');
        const words = args ? wordsOfSeq(text, args) : [];
        inv = { engine: 'vllm', all: words, args: words, positionalModel: false };
      }
      if (!inv || (inv.engine !== 'vllm' && inv.engine !== 'sglang' && inv.engine !== 'tgi')) continue;
      const engine: ServingEngine = inv.engine;
      const b = new SpecBuilder(text, problems);
      if (image && imageEntrypoint(image.value)?.engine === engine) applyImage(b, engine, image, pairOf(c, 'image')?.key);
      else b.inputs.engine = engine;
      valuesEnv(b, engine, get(c, 'env'));
      const parsed = applyArgs(b, inv).parsed;
      // vllmServe / imageDefault: the chart writes the model; a custom command names its own (else the artifacts do).
      if (model && (mode !== 'custom' || isMountPath(b.model?.name))) {
        b.setModel(model.name, model.range);
        if (model.note) problems.push({ severity: 'information', range: model.range, message: model.note });
      }
      // The chart's --tensor-parallel-size (and TP_SIZE for custom commands) is parallelism.tensor.
      if (b.inputs.tensorParallel === undefined) setFrom(b, 'tensorParallel', par, 'tensor');
      let derived = false;
      if (!gpuFromResources(b, getMap(c, 'resources')) && type !== 'cpu' && resource) {
        // numGpuPerWorker: dataLocal × tensor, dataLocal defaulting to data / workers, then data, then 1.
        const tp = intOf(par, 'tensor')?.value ?? 1;
        const data = intOf(par, 'data')?.value;
        const workers = intOf(par, 'workers')?.value;
        const dpl = intOf(par, 'dataLocal')?.value ?? (data && workers && data % workers === 0 ? data / workers : data) ?? 1;
        const at = intOf(par, 'tensor')?.node ?? intOf(par, 'dataLocal')?.node;
        const range = at ? innerRange(text, at) : innerRange(text, rolePair!.key);
        b.set('gpuCount', dpl * tp, 'parallelism', range, par ? innerRange(text, pairOf(role, 'parallelism')!.key) : undefined, undefined);
        derived = true;
      }
      if (resource && resource !== 'nvidia.com/gpu' && accType) {
        b.accelerator = { resource, name: ACCELERATOR_RESOURCES.get(resource) ?? resource, range: innerRange(text, accType) };
      }
      // The GPU type: acceleratorTypes (a node affinity on labelKey In labelValues), else the role's node selector.
      const types = getMap(role, 'acceleratorTypes');
      const first = getSeq(types, 'labelValues')?.items.find(isScalar);
      if (first && first.value && str(get(types, 'labelKey'))) {
        b.set('gpu', first.value, str(get(types, 'labelKey'))!, innerRange(text, first), innerRange(text, pairOf(types, 'labelValues')!.key), [scalarTarget(text, first, true)]);
      } else gpuFromSelector(b, role);
      // multinode: a LeaderWorkerSet of `workers` pods (data / dataLocal when not given), each with the pod's GPUs.
      const workers = intOf(par, 'workers') ?? undefined;
      const data = intOf(par, 'data')?.value;
      const dl = intOf(par, 'dataLocal')?.value;
      const pods = workers?.value ?? (data && dl && data % dl === 0 ? data / dl : 1);
      if (multinode && pods > 1 && typeof b.inputs.gpuCount === 'number' && b.valueRanges.gpuCount) {
        const at = workers?.node ?? getScalar(par, 'data')!;
        b.set('nodes', pods, 'parallelism.workers', innerRange(text, at), undefined, undefined);
        b.set('gpuCount', b.inputs.gpuCount * pods, 'parallelism', b.valueRanges.gpuCount, b.keyRanges.gpuCount, undefined);
      }
      flagInsertions(b, inv, parsed, mode !== 'custom' ? { map: c, key: 'args', quoteValues: true } : undefined);
      if (derived) {
        // The chart sizes the pod from parallelism.tensor: a fix of the tensor parallel size alone would change both.
        delete b.edit.inPlace.tensorParallel;
        delete b.edit.insert.tensorParallel;
      }
      b.span = { start: c.start, end: c.end };
      const cname = str(get(c, 'name')) ?? 'vllm';
      const namePair = pairOf(c, 'name');
      const anchor = namePair && namePair.value ? { start: namePair.key.start, end: namePair.value.end } : innerRange(text, rolePair!.key);
      out.push(b.build('helm-values', engine, `values · ${roleName} container ${cname}`, anchor));
    }
  }
  return out.length > before;
}

// ---------------------------------------------------------------------------
// KubeAI models catalog.

/** The values hold KubeAI's models catalog: entries that name an engine and a model URL. */
export function looksLikeKubeaiCatalog(root: YMap): boolean {
  const cat = getMap(root, 'catalog');
  return !!cat && cat.pairs.some((p) => isMap(p.value) && get(p.value, 'engine') !== undefined && get(p.value, 'url') !== undefined);
}

export function readKubeaiCatalog(text: string, root: YMap, problems: FormatProblem[], out: DeploymentSpec[]): boolean {
  const catPair = pairOf(root, 'catalog')!;
  const cat = catPair.value as YMap;
  const all = isTrue(getScalar(root, 'all', 'enabled'));
  let enabled = 0;
  for (const p of cat.pairs) {
    if (!isMap(p.value)) continue;
    const on = all || isTrue(getScalar(p.value, 'enabled'));
    if (!on) continue;
    enabled++;
    const d = readKubeaiModelSpec(text, problems, p.value, 'helm-values', `catalog ${p.key.value}`, innerRange(text, p.key), { start: p.key.start, end: p.value.end });
    if (d) out.push(d);
  }
  if (!enabled) {
    problems.push({
      severity: 'information', range: innerRange(text, catPair.key),
      message: 'No model of this catalog is enabled (catalog.<name>.enabled: true, or all.enabled: true): the chart deploys none, so none is sized.',
    });
  }
  return true;
}
