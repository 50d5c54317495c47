// AIBrix (vllm-project/aibrix) workloads: `StormService` roles, `RayClusterFleet` clusters, and the hints AIBrix puts
// on plain Deployments (the `model.aibrix.ai/name` label, the `aibrix_download` init container).
// Field names from the CRD sources of vllm-project/aibrix:
// - api/orchestration/v1alpha1/stormservice_types.go: spec.template (RoleSetTemplateSpec) .spec.roles;
// - api/orchestration/v1alpha1/roleset_types.go: RoleSpec {name, replicas, podGroupSize, template (a pod template)};
//   `podGroupSize` pods form one instance of the role (the engine spans them: `--nnodes`);
// - api/orchestration/v1alpha1/rayclusterfleet_types.go: spec.template.spec is a KubeRay RayCluster spec
//   (headGroupSpec.template, workerGroupSpecs[].{replicas, template}); the head runs `vllm serve` over the Ray cluster.
// - python/aibrix/aibrix/downloader/base.py (get_downloader): a `--model-uri` that is neither s3:// nor tos:// (nor
//   another storage scheme) is a Hugging Face repository id.
import type { DeploymentSpec, DocumentKind, FormatProblem, InPlaceEdit, SourceRange } from './types';
import { ACCELERATOR_RESOURCES, commandsOf, scalarTarget } from './common';
import { isMountPath, readPodSpec } from './kubernetes';
import { wordRange } from './shell';
import { parseCount } from './values';
import { INPUT_SPECS, checkInput } from '../core/inputs';
import { YMap, YNode, YScalar, get, getMap, getScalar, getSeq, innerRange, isMap, isScalar, pairOf, str } from './yaml';

/** The label AIBrix reads the served model name from (pkg/constants: model.aibrix.ai/name). */
export const AIBRIX_MODEL_LABEL = 'model.aibrix.ai/name';

const AIBRIX_KINDS = new Set(['StormService', 'RayClusterFleet']);

/** The document is an AIBrix workload this module reads (`orchestration.aibrix.ai`). */
export function looksLikeAibrix(root: YNode | null): root is YMap {
  if (!isMap(root)) return false;
  const kind = str(get(root, 'kind'));
  return !!kind && AIBRIX_KINDS.has(kind) && /aibrix\.ai\//.test(str(get(root, 'apiVersion')) ?? '');
}

/** Reads a StormService or RayClusterFleet; returns 'aibrix' when it holds a serving container. */
export function readAibrix(text: string, root: YMap, problems: FormatProblem[], out: DeploymentSpec[]): DocumentKind | undefined {
  const kind = str(get(root, 'kind'));
  const name = str(get(getMap(root, 'metadata'), 'name')) ?? '(unnamed)';
  const spec = getMap(root, 'spec');
  const before = out.length;
  if (kind === 'StormService') stormService(text, spec, `StormService/${name}`, problems, out);
  else if (kind === 'RayClusterFleet') fleet(text, spec, `RayClusterFleet/${name}`, problems, out);
  return out.length > before ? 'aibrix' : undefined;
}

// ---------------------------------------------------------------------------
// StormService: each role's pod template is read as a pod; a role of `podGroupSize` pods is one deployment over them.

function stormService(text: string, spec: YMap | undefined, prefix: string, problems: FormatProblem[], out: DeploymentSpec[]): void {
  const roles = getSeq(getMap(spec, 'template', 'spec'), 'roles');
  for (const role of roles?.items ?? []) {
    if (!isMap(role)) continue;
    const tmpl = getMap(role, 'template');
    const ps = getMap(tmpl, 'spec');
    if (!ps) continue;
    const before = out.length;
    readPodSpec(text, ps, `${prefix} · role ${str(get(role, 'name')) ?? '(unnamed)'}`, problems, out);
    const size = pairOf(role, 'podGroupSize');
    for (const d of out.slice(before)) {
      d.kind = 'aibrix';
      if (size && isScalar(size.value)) podGroup(text, d, size.value, size.key, problems);
      modelHints(text, d, ps, [get(getMap(tmpl, 'metadata'), 'labels'), get(getMap(spec, 'template', 'metadata'), 'labels')], problems);
    }
  }
}

/** A group of `size` identical pods: GPUs are size × the pod's, over `size` nodes (a quick fix writes the pod's share). */
function podGroup(text: string, d: DeploymentSpec, size: YScalar, sizeKey: YScalar, problems: FormatProblem[]): void {
  const r = parseCount(size.value, 'podGroupSize');
  const n = r.ok ? (r.value as number) : NaN;
  if (!Number.isInteger(n) || n <= 1) return;
  setChecked(d, 'nodes', n, innerRange(text, size), innerRange(text, sizeKey), problems);
  const per = d.inputs.gpuCount;
  if (typeof per !== 'number') return;
  if (!setChecked(d, 'gpuCount', per * n, d.valueRanges.gpuCount ?? innerRange(text, size), d.keyRanges.gpuCount, problems)) return;
  const edit = d.edit.inPlace.gpuCount;
  if (edit) edit.divisor = n * (edit.divisor ?? 1);
}

/** Sets a value computed from several fields, when the inputs table takes it (else says so at the value). */
function setChecked(d: DeploymentSpec, key: 'nodes' | 'gpuCount', value: number, range: SourceRange, keyRange: SourceRange | undefined,
  problems: FormatProblem[]): boolean {
  const spec = INPUT_SPECS.get(key)!;
  const verdict = checkInput(spec, value);
  if (!verdict.ok) {
    delete d.inputs[key];
    problems.push({ severity: 'error', message: `${spec.label}: ${verdict.message}.`, range });
    return false;
  }
  d.inputs[key] = value;
  d.valueRanges[key] = range;
  if (keyRange) d.keyRanges[key] = keyRange;
  return true;
}

// ---------------------------------------------------------------------------
// RayClusterFleet: the head pod runs the engine over the Ray cluster; the workers add their GPUs and nodes.

/** The accelerator count of a pod (its first container that requests one). */
function podAccelerators(text: string, ps: YMap | undefined): { count: number; value: YScalar; key: YScalar; targets: InPlaceEdit['targets'] } | undefined {
  for (const c of getSeq(ps, 'containers')?.items ?? []) {
    if (!isMap(c)) continue;
    const limits = getMap(c, 'resources', 'limits');
    const requests = getMap(c, 'resources', 'requests');
    for (const m of [limits, requests]) {
      for (const p of m?.pairs ?? []) {
        if (!ACCELERATOR_RESOURCES.has(p.key.value) || !isScalar(p.value)) continue;
        const r = parseCount(p.value.value, p.key.value);
        if (!r.ok || typeof r.value !== 'number' || r.value <= 0) continue;
        const targets = [scalarTarget(text, p.value, false)];
        const other = m === limits ? pairOf(requests, p.key.value) : undefined;
        if (other && isScalar(other.value) && other.value.value === p.value.value) targets.push(scalarTarget(text, other.value, false));
        return { count: r.value, value: p.value, key: p.key, targets };
      }
    }
  }
  return undefined;
}

function fleet(text: string, spec: YMap | undefined, prefix: string, problems: FormatProblem[], out: DeploymentSpec[]): void {
  const cluster = getMap(spec, 'template', 'spec');
  const head = getMap(cluster, 'headGroupSpec', 'template', 'spec');
  if (!head) return;
  const before = out.length;
  readPodSpec(text, head, `${prefix} · head`, problems, out);
  // Worker pods: replicas (KubeRay's default is 1) × the pod's accelerators.
  const workers: { pods: number; gpus?: ReturnType<typeof podAccelerators>; replicas?: YScalar }[] = [];
  for (const g of getSeq(cluster, 'workerGroupSpecs')?.items ?? []) {
    if (!isMap(g)) continue;
    const rep = getScalar(g, 'replicas') ?? getScalar(g, 'minReplicas');
    const r = rep ? parseCount(rep.value, 'replicas') : undefined;
    const pods = r && r.ok && typeof r.value === 'number' ? r.value : 1;
    if (pods <= 0) continue;
    workers.push({ pods, gpus: podAccelerators(text, getMap(g, 'template', 'spec')), replicas: rep });
  }
  const workerPods = workers.reduce((s, w) => s + w.pods, 0);
  const workerGpus = workers.reduce((s, w) => s + w.pods * (w.gpus?.count ?? 0), 0);
  const firstGpus = workers.find((w) => w.gpus)?.gpus;
  for (const d of out.slice(before)) {
    d.kind = 'aibrix';
    modelHints(text, d, head, [get(getMap(spec, 'template', 'metadata'), 'labels'), get(getMap(cluster, 'headGroupSpec', 'template', 'metadata'), 'labels')], problems);
    if (!workerPods) continue;
    const nodesAt = workers.find((w) => w.replicas)?.replicas;
    setChecked(d, 'nodes', workerPods + 1, nodesAt ? innerRange(text, nodesAt) : d.anchor, undefined, problems);
    if (!workerGpus || !firstGpus) continue;
    const headGpus = typeof d.inputs.gpuCount === 'number' ? d.inputs.gpuCount : 0;
    const range = d.valueRanges.gpuCount ?? innerRange(text, firstGpus.value);
    const keyRange = d.keyRanges.gpuCount ?? innerRange(text, firstGpus.key);
    if (!headGpus && firstGpus.key.value !== 'nvidia.com/gpu') {
      d.accelerator = { resource: firstGpus.key.value, name: ACCELERATOR_RESOURCES.get(firstGpus.key.value)!, range: innerRange(text, firstGpus.key) };
    }
    if (!setChecked(d, 'gpuCount', headGpus + workerGpus, range, keyRange, problems)) continue;
    // Every pod with the same GPUs: a new total is written per pod (total / pods), in the head and the workers alike.
    const pods = workerPods + 1;
    const same = headGpus > 0 && workers.every((w) => w.gpus?.count === headGpus);
    const headEdit = d.edit.inPlace.gpuCount;
    if (same && headEdit) d.edit.inPlace.gpuCount = { targets: [...headEdit.targets, ...workers.flatMap((w) => w.gpus!.targets)], divisor: pods };
    else delete d.edit.inPlace.gpuCount;
    delete d.edit.insert.gpuCount;
  }
}

// ---------------------------------------------------------------------------
// Hints for the model when the engine's model argument is a path in the container (or absent).

/** The value of a label in a `labels` map (the fast parser leaves label maps unparsed: the line is read). */
export function labelValue(text: string, labels: YNode | null | undefined, key: string): { value: string; range: SourceRange } | undefined {
  if (!isMap(labels)) return undefined;
  if (!labels.skipped) {
    const s = getScalar(labels, key);
    return s && s.value ? { value: s.value, range: innerRange(text, s) } : undefined;
  }
  const block = text.slice(labels.start, labels.end);
  const k = key.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  // A label value: alphanumeric at both ends, `-`, `_`, `.` inside (Kubernetes' syntax), on its own line.
  const m = new RegExp(`^([ \\t]*(["']?)${k}\\2[ \\t]*:[ \\t]*(["']?))([A-Za-z0-9](?:[\\w.-]{0,61}[A-Za-z0-9])?)\\3[ \\t]*(?:#.*)?\\r?$`, 'm').exec(block);
  if (!m) return undefined;
  const start = labels.start + m.index + m[1].length;
  return { value: m[4], range: { start, end: start + m[4].length } };
}

/** Storage schemes the AIBrix downloader reads from; anything else is a Hugging Face repository id. */
const STORAGE_SCHEME = /^[a-z][\w+.-]*:\/\//i;
const HF_ID = /^[\w.-]+\/[\w.-]+$/;

/** The `--model-uri` of an `aibrix_download` init container, when it names a Hugging Face repository. */
function downloaderModel(text: string, podSpec: YMap): { value: string; range: SourceRange } | undefined {
  for (const c of getSeq(podSpec, 'initContainers')?.items ?? []) {
    if (!isMap(c)) continue;
    for (const words of commandsOf(text, [get(c, 'command'), get(c, 'args')])) {
      const at = words.findIndex((w) => /(^|\/)aibrix_download$/.test(w.text) || w.text === 'aibrix.downloader');
      if (at < 0) continue;
      for (let i = at + 1; i < words.length; i++) {
        const w = words[i];
        const eq = w.text.startsWith('--model-uri=') ? '--model-uri='.length : -1;
        const vw = eq > 0 ? w : w.text === '--model-uri' ? words[i + 1] : undefined;
        if (!vw) continue;
        const off = eq > 0 ? eq : 0;
        const v = vw.text.slice(off).replace(/\/+$/, '');
        if (STORAGE_SCHEME.test(v) || !HF_ID.test(v)) return undefined;
        const r = wordRange(text, vw, off, off + v.length);
        return r.exact ? { value: v, range: r.range } : undefined;
      }
    }
  }
  return undefined;
}

/**
 * When the engine's model is a path in the container (or absent): the Hugging Face id an `aibrix_download` init
 * container fetches; when no model is named at all (or only a variable), the served name of the
 * `model.aibrix.ai/name` label (a label value cannot hold `org/name`: the catalog matches it by name). With a note.
 */
function modelHints(text: string, d: DeploymentSpec, podSpec: YMap, labels: (YNode | null | undefined)[], problems: FormatProblem[]): void {
  const was = d.model?.name;
  if (!isMountPath(was)) return;
  const note = (what: string, range: SourceRange): void => {
    problems.push({
      severity: 'information', range,
      message: was ? `Model taken from ${what}: the model argument ${was} is a path in the container.` : `Model taken from ${what}.`,
    });
  };
  const dl = downloaderModel(text, podSpec);
  if (dl) { d.model = { name: dl.value, range: dl.range }; note('aibrix_download --model-uri', dl.range); return; }
  if (was !== undefined && !was.startsWith('$')) return;
  for (const l of labels) {
    const v = labelValue(text, l, AIBRIX_MODEL_LABEL);
    if (v) { d.model = { name: v.value, range: v.range }; note(`the label ${AIBRIX_MODEL_LABEL}`, v.range); return; }
  }
}

/** AIBrix's hints on a plain workload (Deployment, StatefulSet) whose containers the Kubernetes reader read. */
export function aibrixWorkloadHints(text: string, root: YMap, deployments: DeploymentSpec[], problems: FormatProblem[]): void {
  const tmpl = getMap(root, 'spec', 'template');
  const ps = getMap(tmpl, 'spec');
  if (!ps) return;
  const labels = [get(getMap(tmpl, 'metadata'), 'labels'), get(getMap(root, 'metadata'), 'labels')];
  for (const d of deployments) modelHints(text, d, ps, labels, problems);
}

/** The document `text[start, end)` mentions AIBrix (a cheap test before the tree is looked at). */
export function mentionsAibrix(text: string, start: number, end: number): boolean {
  return text.slice(start, end).includes('aibrix');
}
