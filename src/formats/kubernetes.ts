// Kubernetes manifests: workloads, LeaderWorkerSet, KServe InferenceService / ServingRuntime.
import type { DeploymentSpec, FormatProblem, InPlaceEdit, InputKey, ServingEngine, SourceRange } from './types';
import {
  ACCELERATOR_RESOURCES, GPU_RESOURCE_KEYS, Invocation, SpecBuilder, applyArgs, applyEnvEntry, applyImage, commandsOf, eolOf, findCommand,
  flagInsertions, indentOf, lineEnd, ollamaContext, ollamaModelIn, scalarRaw, scalarTarget,
} from './common';
import { ParsedArgs, TGI_ENV_NAME, TGI_INPUT_LIMIT_ENV, envTable } from './engines';
import { wordRange } from './shell';
import type { YSeq } from './yaml';
import { parseCount } from './values';
import { VarValue, expandKubernetesWord } from './variables';
import {
  YMap, YNode, YScalar, columnOf, get, getMap, getScalar, getSeq, innerRange, isMap, isScalar, pairOf, scalarWithMap, str,
} from './yaml';

const POD_TEMPLATE_KINDS = new Set(['Deployment', 'StatefulSet', 'ReplicaSet', 'DaemonSet', 'Job', 'ReplicationController', 'Rollout']);

/** Node labels that name the GPU (or TPU), most specific first. */
export const GPU_LABELS = [
  'nvidia.com/gpu.product',
  'cloud.google.com/gke-tpu-accelerator',
  'amd.com/gpu.product-name',
  'beta.amd.com/gpu.product-name',
  'gpu.nvidia.com/class',
  'karpenter.k8s.aws/instance-gpu-name',
  'cloud.google.com/gke-accelerator',
  'node.kubernetes.io/instance-type',
  'beta.kubernetes.io/instance-type',
];

/** Keys whose block values no reader needs; the fast parser skips them. */
export const K8S_SKIP_KEYS: ReadonlySet<string> = new Set([
  'ports', 'volumeMounts', 'volumes', 'livenessProbe', 'readinessProbe', 'startupProbe', 'securityContext', 'annotations',
  'labels', 'managedFields', 'status', 'matchLabels', 'volumeClaimTemplates', 'topologySpreadConstraints',
  'imagePullSecrets', 'dnsConfig', 'hostAliases', 'readinessGates', 'openAPIV3Schema', 'rules', 'subjects',
  'podAntiAffinity', 'podAffinity', 'tolerations', 'healthcheck', 'logging', 'networks', 'secrets', 'configs',
]);

/** Text a document must contain to hold a serving container (cheap pre-filter before parsing). */
export const ENGINE_HINT = /vllm|sglang|text-generation|huggingface|hf:\/\/|servingEngineSpec|llama[._-]?cpp|llama-server|ollama/i;

export function looksLikeManifest(root: YNode | null): root is YMap {
  return isMap(root) && !!str(get(root, 'apiVersion')) && !!str(get(root, 'kind'));
}

/** What the documents of one file share: the data of its ConfigMaps, by name, for `valueFrom` in env. */
export interface ManifestContext { configMaps: Map<string, Map<string, VarValue>> }

export function newManifestContext(): ManifestContext {
  return { configMaps: new Map() };
}

interface Ctx { text: string; problems: FormatProblem[]; out: DeploymentSpec[]; manifest: ManifestContext }

export function readManifest(text: string, root: YMap, problems: FormatProblem[], out: DeploymentSpec[], manifest = newManifestContext()): void {
  walk({ text, problems, out, manifest }, root, 0);
}

/** The file holds a ConfigMap (`kind: ConfigMap`), so env may come from it. A scan for a rare capital is cheap. */
export function hasConfigMaps(text: string): boolean {
  return text.includes('ConfigMap');
}

/** A document's env references a ConfigMap (configMapKeyRef, configMapRef): read it once every ConfigMap of the file is known. */
export function usesConfigMaps(segment: string): boolean {
  return segment.includes('configMapKeyRef') || segment.includes('configMapRef');
}

/** Keeps a ConfigMap's `data` for the env of containers in the same file. */
export function readConfigMap(text: string, root: YNode | null, manifest: ManifestContext): boolean {
  if (!isMap(root) || str(get(root, 'kind')) !== 'ConfigMap') return false;
  const name = str(get(getMap(root, 'metadata'), 'name'));
  const data = getMap(root, 'data');
  if (!name || !data) return true;
  const values = new Map<string, VarValue>();
  for (const p of data.pairs) if (isScalar(p.value)) values.set(p.key.value, scalarValue(text, p.value));
  manifest.configMaps.set(name, values);
  return true;
}

/** A scalar's text with the source offset of each character. */
function scalarValue(text: string, s: YScalar): VarValue {
  const d = scalarWithMap(text, s);
  if (d && (typeof d.map === 'number' || d.map.length === s.value.length + 1)) return { text: s.value, idx: d.map };
  const inner = innerRange(text, s);
  const idx: number[] = [];
  for (let k = 0; k < s.value.length; k++) idx.push(Math.min(inner.start + k, Math.max(inner.start, inner.end - 1)));
  return { text: s.value, idx };
}

/**
 * The container's environment as Kubernetes expands `$(VAR)` in command and args: `env` values, `valueFrom`
 * a ConfigMap key, and `envFrom` ConfigMaps (env wins), from ConfigMaps in the same file.
 */
function containerVariables(ctx: Ctx, c: YMap): Map<string, VarValue> | undefined {
  const env = getSeq(c, 'env');
  const envFrom = getSeq(c, 'envFrom');
  if (!env && !envFrom) return undefined;
  const vars = new Map<string, VarValue>();
  if (envFrom) {
    for (const it of envFrom.items) {
      const name = str(get(getMap(it, 'configMapRef'), 'name'));
      const data = name ? ctx.manifest.configMaps.get(name) : undefined;
      const prefix = str(get(it, 'prefix')) ?? '';
      if (data) for (const [k, v] of data) vars.set(prefix + k, v);
    }
  }
  if (env) {
    for (const it of env.items) {
      const name = str(get(it, 'name'));
      if (!name) continue;
      const value = getScalar(it, 'value');
      if (value) { vars.set(name, scalarValue(ctx.text, value)); continue; }
      const ref = getMap(it, 'valueFrom', 'configMapKeyRef');
      const found = ref ? ctx.manifest.configMaps.get(str(get(ref, 'name')) ?? '')?.get(str(get(ref, 'key')) ?? '') : undefined;
      if (found) vars.set(name, found);
    }
  }
  return vars.size ? vars : undefined;
}

function walk(ctx: Ctx, doc: YMap, depth: number): void {
  const kind = str(get(doc, 'kind')) ?? '';
  const name = str(get(getMap(doc, 'metadata'), 'name')) ?? '(unnamed)';
  const prefix = `${kind}/${name}`;
  const spec = getMap(doc, 'spec');
  if (kind === 'List' && depth < 4) {
    const items = getSeq(doc, 'items');
    if (items) for (const it of items.items) if (isMap(it)) walk(ctx, it, depth + 1);
    return;
  }
  if (kind === 'Pod') { if (spec) pod(ctx, spec, prefix, {}); return; }
  if (kind === 'CronJob') {
    const ps = getMap(spec, 'jobTemplate', 'spec', 'template', 'spec');
    if (ps) pod(ctx, ps, prefix, {});
    return;
  }
  if (kind === 'LeaderWorkerSet') { lws(ctx, spec, prefix); return; }
  if (kind === 'InferenceService') { inferenceService(ctx, spec, prefix); return; }
  if (kind === 'ServingRuntime' || kind === 'ClusterServingRuntime') { if (spec) pod(ctx, spec, prefix, {}); return; }
  const ps = getMap(spec, 'template', 'spec');
  if (ps && (POD_TEMPLATE_KINDS.has(kind) || getSeq(ps, 'containers'))) pod(ctx, ps, prefix, {});
}

interface PodOptions {
  /** LeaderWorkerSet: GPUs of the other pods of the group. */
  extraGpus?: { perPod: number; pods: number; sizeRange?: SourceRange; workerTargets?: InPlaceEdit['targets'] };
  labelSuffix?: string;
  /** Where the CodeLens goes when the container has no name (KServe `model:`). */
  anchorKey?: YScalar;
}

function pod(ctx: Ctx, podSpec: YMap, prefix: string, opts: PodOptions): void {
  const containers = getSeq(podSpec, 'containers');
  if (!containers) return;
  for (const c of containers.items) {
    if (!isMap(c)) continue;
    container(ctx, c, podSpec, prefix, opts, false);
  }
}

/**
 * Whether a container's command or args may hold a `$(VAR)`: a `$` in the text of a scalar, or an escape that could
 * spell one. Each item is looked at in its own range (an item copied from an anchor has the anchor's). Most commands
 * hold neither, and their words are then not expanded one by one.
 */
function mayReferToVariables(text: string, parts: readonly (YNode | null | undefined)[]): boolean {
  for (const p of parts) {
    if (!p) continue;
    if (p.kind === 'seq') {
      if (mayReferToVariables(text, p.items)) return true;
      continue;
    }
    if (p.kind !== 'scalar') return true;
    for (let i = p.start; i < p.end; i++) {
      const c = text.charCodeAt(i);
      if (c === 36 /* $ */ || c === 92 /* backslash */) return true;
    }
  }
  return false;
}

function container(ctx: Ctx, c: YMap, podSpec: YMap, prefix: string, opts: PodOptions, kserveModel: boolean): boolean {
  const text = ctx.text;
  const imageNode = getScalar(c, 'image');
  const image = imageNode?.value;
  const command = get(c, 'command');
  const args = get(c, 'args');
  // The environment is read only when a word refers to it (most containers have env entries and no $(VAR)).
  let vars: Map<string, VarValue> | undefined | null = null;
  const lookup = (name: string): VarValue | undefined => {
    if (vars === null) vars = containerVariables(ctx, c);
    return vars?.get(name);
  };
  let inv: Invocation | undefined = findCommand(text, [command, args], image, {
    imageDefault: !command, forceEngine: kserveModel ? 'vllm' : undefined,
    expand: mayReferToVariables(text, [command, args]) ? (w) => expandKubernetesWord(w, lookup) : undefined,
  });
  const envSeq = getSeq(c, 'env');
  if (!inv && !command && !args && /text-generation-inference/.test(image ?? '')) inv = { engine: 'tgi', all: [], args: [], positionalModel: false };
  if (!inv) return false;
  const engine = inv.engine;
  const b = new SpecBuilder(text, ctx.problems);
  if (image && !kserveModel) applyImage(b, engine, imageNode, pairOf(c, 'image')?.key);
  else b.inputs.engine = engine;

  // TGI, llama-server and Ollama read their settings from the environment too; flags win over env.
  let envLimit: { value: number; range: SourceRange } | undefined;
  if (envSeq && envTable(engine)) envLimit = engineEnv(b, engine, envSeq);
  const applied = applyArgs(b, inv);
  if (engine === 'ollama') {
    // Ollama pulls its models at run time: a command of the container (or its postStart hook) may name one.
    const hook = get(getMap(c, 'lifecycle', 'postStart', 'exec'), 'command');
    ollamaModelIn(b, commandsOf(text, [command, args, hook], (w) => expandKubernetesWord(w, lookup)));
    ollamaContext(b);
  }
  if (kserveModel && !b.model) {
    const uri = getScalar(c, 'storageUri');
    if (uri) {
      const inner = innerRange(text, uri);
      const m = /^hf:\/\//.exec(uri.value);
      const off = m ? m[0].length : 0;
      b.setModel(uri.value.slice(off), { start: inner.start + off, end: inner.end });
    }
  }
  if (engine !== 'ollama' && engine !== 'llamacpp') modelHint(b, applied.parsed, [c, podSpec], envSeq);
  if (engine === 'tgi') {
    const limit = applied.inputLimit ?? envLimit;
    const total = b.inputs.maxModelLen;
    if (limit && total !== undefined && limit.value >= total) {
      ctx.problems.push({
        severity: 'warning', range: limit.range,
        message: `TGI needs the input limit (${limit.value}) to be below max total tokens (${total}).`,
      });
    }
  }

  // Flags absent from the command: new flags (or env vars when that is how the engine is configured).
  const fallbackKey = kserveModel || !command ? 'args' : undefined;
  if (engine !== 'ollama') flagInsertions(b, inv, applied.parsed, fallbackKey ? { map: c, key: fallbackKey, quoteValues: true } : undefined);
  const envNames = engine === 'tgi' && applied.parsed.flags.length === 0 ? TGI_ENV_NAME : engine === 'ollama' ? OLLAMA_ENV_NAME : undefined;
  if (envNames && envSeq && !envSeq.flow) {
    const env = envInsertion(text, envSeq);
    if (env) {
      for (const [key, name] of Object.entries(envNames) as [InputKey, string][]) {
        if (key === 'maxModelLen' && engine === 'ollama' && (b.inputs.maxNumSeqs ?? 1) > 1) continue;
        b.edit.insert[key] = { ...env, name };
      }
    }
  }

  gpuCount(b, c, opts);
  gpuSelector(b, podSpec);

  const cname = str(get(c, 'name'));
  const label = kserveModel ? `${prefix} · predictor model` : `${prefix} · container ${cname ?? '(unnamed)'}${opts.labelSuffix ?? ''}`;
  const namePair = pairOf(c, 'name');
  const anchor = namePair && namePair.value ? { start: namePair.key.start, end: namePair.value.end }
    : opts.anchorKey ? innerRange(text, opts.anchorKey) : { start: c.start, end: lineEnd(text, c.start) };
  b.span = { start: c.start, end: c.end };
  ctx.out.push(b.build('kubernetes', engine, label, anchor));
  return true;
}

/** An engine's settings from a container's `env` list; returns TGI's input limit when one is set. */
function engineEnv(b: SpecBuilder, engine: ServingEngine, env: import('./yaml').YSeq): { value: number; range: SourceRange } | undefined {
  const text = b.text;
  let limit: { value: number; range: SourceRange } | undefined;
  for (const it of env.items) {
    if (!isMap(it)) continue;
    const nameNode = getScalar(it, 'name');
    const valueNode = getScalar(it, 'value');
    if (!nameNode || !valueNode) continue;
    const name = nameNode.value;
    const range = innerRange(text, valueNode);
    if (engine === 'tgi' && TGI_INPUT_LIMIT_ENV.has(name)) {
      const r = parseCount(scalarRaw(valueNode), name);
      if (r.ok) limit = { value: r.value as number, range };
      continue;
    }
    applyEnvEntry(b, engine, name, scalarRaw(valueNode), range, innerRange(text, nameNode), [scalarTarget(text, valueNode, true)]);
  }
  return limit;
}

/** Ollama's variables a quick fix adds, per input (the context only where one request is served at a time). */
const OLLAMA_ENV_NAME: Partial<Record<InputKey, string>> = { maxModelLen: 'OLLAMA_CONTEXT_LENGTH', kvCacheDtype: 'OLLAMA_KV_CACHE_TYPE' };

function envInsertion(text: string, env: import('./yaml').YSeq): { type: 'env-item'; at: number; indent: string; innerIndent: string; eol: string; name: string; valueQuote: string } | undefined {
  const items = env.items.filter(isMap);
  const last = env.items[env.items.length - 1];
  if (!last) return undefined;
  const first = items[0];
  const dashCol = columnOf(text, env.start);
  const inner = first ? columnOf(text, first.start) - dashCol : 2;
  let valueQuote = '"';
  for (const it of items) {
    const v = getScalar(it, 'value');
    if (v) { valueQuote = v.style === 'single' ? "'" : '"'; }
  }
  return {
    type: 'env-item', at: lineEnd(text, last.end), indent: ' '.repeat(dashCol), innerIndent: ' '.repeat(Math.max(1, inner)),
    eol: eolOf(text), name: '', valueQuote,
  };
}

function gpuCount(b: SpecBuilder, c: YMap, opts: PodOptions): void {
  const text = b.text;
  const res = getMap(c, 'resources');
  const limits = getMap(res, 'limits');
  const requests = getMap(res, 'requests');
  for (const key of acceleratorKeys(limits, requests)) {
    const pl = pairOf(limits, key);
    const pr = pairOf(requests, key);
    const primary = pl ?? pr;
    if (!primary || !isScalar(primary.value)) continue;
    const v = primary.value;
    const targets = [scalarTarget(text, v, false)];
    const other = pl && pr && pr !== primary && isScalar(pr.value) ? pr.value : undefined;
    if (other) targets.push(scalarTarget(text, other, false));
    const range = innerRange(text, v);
    if (key !== 'nvidia.com/gpu') b.accelerator = { resource: key, name: ACCELERATOR_RESOURCES.get(key)!, range: innerRange(text, primary.key) };
    if (opts.extraGpus) {
      // A group of `size` pods is one deployment across that many nodes (vLLM then has no custom all-reduce).
      const sizeRange = opts.extraGpus.sizeRange ?? range;
      b.set('nodes', opts.extraGpus.pods + 1, 'leaderWorkerTemplate.size', sizeRange, undefined, undefined);
      const r = parseCount(scalarRaw(v), key);
      if (r.ok) {
        const total = (r.value as number) + opts.extraGpus.perPod * opts.extraGpus.pods;
        // Every pod with the same GPUs: a new total is written per pod (total / size) in leader and workers alike.
        const workers = opts.extraGpus.workerTargets;
        const same = workers && r.value === opts.extraGpus.perPod;
        const all = same ? [...targets, ...workers.filter((w) => !targets.some((t) => t.range.start === w.range.start))] : undefined;
        b.set('gpuCount', total, key, range, innerRange(text, primary.key), all, same ? { divisor: opts.extraGpus.pods + 1 } : {});
      } else {
        b.set('gpuCount', scalarRaw(v), key, range, innerRange(text, primary.key), undefined);
      }
    } else {
      b.set('gpuCount', scalarRaw(v), key, range, innerRange(text, primary.key), targets);
    }
    return;
  }
  // No GPU requested yet: add it to resources.limits when that map exists.
  if (limits && !limits.flow && !opts.extraGpus) {
    b.offer('gpuCount', {
      type: 'map-key', at: lineEnd(text, limits.end), flow: false, indent: indentOf(text, limits.start), eol: eolOf(text),
      key: 'nvidia.com/gpu', quoteValue: true,
    });
  }
}

/** The accelerator resources a container lists, in GPU_RESOURCE_KEYS order (one pass over its few keys). */
function acceleratorKeys(limits: YMap | undefined, requests: YMap | undefined): string[] {
  let found: string[] | undefined;
  for (const m of [limits, requests]) {
    if (m) for (const p of m.pairs) if (ACCELERATOR_RESOURCES.has(p.key.value) && !found?.includes(p.key.value)) (found ??= []).push(p.key.value);
  }
  if (!found) return [];
  return found.length > 1 ? GPU_RESOURCE_KEYS.filter((k) => found!.includes(k)) : found;
}

/** The GPU type of a pod-like spec: a GPU node label in `nodeSelector`, else an In expression of the node affinity. */
export function gpuFromSelector(b: SpecBuilder, podSpec: YMap | undefined): boolean {
  const text = b.text;
  const sel = getMap(podSpec, 'nodeSelector');
  for (const label of GPU_LABELS) {
    const p = pairOf(sel, label);
    if (p && isScalar(p.value) && p.value.value) {
      b.set('gpu', p.value.value, label, innerRange(text, p.value), innerRange(text, p.key), [scalarTarget(text, p.value, true)]);
      return true;
    }
  }
  const na = getMap(podSpec, 'affinity', 'nodeAffinity');
  const terms: YNode[] = [];
  const req = getSeq(na, 'requiredDuringSchedulingIgnoredDuringExecution', 'nodeSelectorTerms');
  if (req) for (const x of req.items) if (isMap(x)) terms.push(x);
  const pref = getSeq(na, 'preferredDuringSchedulingIgnoredDuringExecution');
  if (pref) for (const it of pref.items) { const p = getMap(it, 'preference'); if (p) terms.push(p); }
  const found = selectorFromTerms(text, terms);
  if (!found) return false;
  b.set('gpu', found.value.value, found.label, innerRange(text, found.value), innerRange(text, found.key), [scalarTarget(text, found.value, true)]);
  return true;
}

function gpuSelector(b: SpecBuilder, podSpec: YMap): void {
  if (gpuFromSelector(b, podSpec)) return;
  const text = b.text;
  const sel = getMap(podSpec, 'nodeSelector');
  if (sel && !sel.flow && sel.pairs.length) {
    b.offer('gpu', {
      type: 'map-key', at: lineEnd(text, sel.end), flow: false, indent: indentOf(text, sel.start), eol: eolOf(text),
      key: 'nvidia.com/gpu.product',
    });
  }
}

/** The first GPU label in `matchExpressions` (operator In) of node selector terms. */
export function selectorFromTerms(text: string, terms: YNode[]): { label: string; key: YScalar; value: YScalar } | undefined {
  void text;
  let best: { label: string; key: YScalar; value: YScalar; rank: number } | undefined;
  for (const t of terms) {
    const exprs = getSeq(t, 'matchExpressions');
    if (!exprs) continue;
    for (const e of exprs.items) {
      const key = getScalar(e, 'key');
      const op = str(get(e, 'operator'));
      const values = getSeq(e, 'values');
      if (!key || (op && op !== 'In') || !values) continue;
      const rank = GPU_LABELS.indexOf(key.value);
      const v = values.items.find(isScalar);
      if (rank < 0 || !v) continue;
      if (!best || rank < best.rank) best = { label: key.value, key, value: v, rank };
    }
  }
  return best;
}

function gpusOfPod(podSpec: YMap | undefined): number {
  const containers = getSeq(podSpec, 'containers');
  let total = 0;
  if (!containers) return 0;
  for (const c of containers.items) {
    const limits = getMap(c, 'resources', 'limits');
    const requests = getMap(c, 'resources', 'requests');
    for (const key of GPU_RESOURCE_KEYS) {
      const v = get(limits, key) ?? get(requests, key);
      if (isScalar(v)) { const r = parseCount(scalarRaw(v), key); if (r.ok) total += r.value as number; break; }
    }
  }
  return total;
}

/** Where the one GPU-requesting container of a pod writes its count (limits and requests); undefined unless exactly one does. */
function gpuTargetsOfPod(text: string, podSpec: YMap | undefined): InPlaceEdit['targets'] | undefined {
  const containers = getSeq(podSpec, 'containers');
  let found: InPlaceEdit['targets'] | undefined;
  for (const c of containers?.items ?? []) {
    const targets: InPlaceEdit['targets'] = [];
    for (const m of [getMap(c, 'resources', 'limits'), getMap(c, 'resources', 'requests')]) {
      for (const key of GPU_RESOURCE_KEYS) {
        const v = get(m, key);
        if (isScalar(v)) { targets.push(scalarTarget(text, v, false)); break; }
      }
    }
    if (!targets.length) continue;
    if (found) return undefined;
    found = targets;
  }
  return found;
}

function lws(ctx: Ctx, spec: YMap | undefined, prefix: string): void {
  const lwt = getMap(spec, 'leaderWorkerTemplate');
  if (!lwt) return;
  const sizeNode = getScalar(lwt, 'size');
  let size = 1;
  if (sizeNode) {
    const r = parseCount(scalarRaw(sizeNode), 'size');
    if (r.ok) size = r.value as number;
    else ctx.problems.push({ severity: r.severity, message: r.message, range: innerRange(ctx.text, sizeNode) });
  }
  const leader = getMap(lwt, 'leaderTemplate', 'spec');
  const worker = getMap(lwt, 'workerTemplate', 'spec');
  const leaderSpec = leader ?? worker;
  if (!leaderSpec) return;
  const workerGpus = gpusOfPod(worker);
  const extra = size > 1
    ? { perPod: workerGpus, pods: size - 1, sizeRange: sizeNode ? innerRange(ctx.text, sizeNode) : undefined, workerTargets: gpuTargetsOfPod(ctx.text, worker) }
    : undefined;
  // One deployment of `size` pods: the leader's command is the server; workers join it (ray, or the same
  // server with a node rank), so their flags are not a deployment of their own.
  pod(ctx, leaderSpec, prefix, { extraGpus: extra, labelSuffix: leader ? ' (leader)' : undefined });
}

function inferenceService(ctx: Ctx, spec: YMap | undefined, prefix: string): void {
  const predictor = getMap(spec, 'predictor');
  if (!predictor) return;
  const model = getMap(predictor, 'model');
  if (model) {
    const fmt = str(get(getMap(model, 'modelFormat'), 'name'))?.toLowerCase() ?? '';
    const runtime = str(get(model, 'runtime'))?.toLowerCase() ?? '';
    const isLLM = /huggingface|vllm/.test(fmt) || /huggingface|vllm/.test(runtime);
    container(ctx, model, predictor, prefix, { anchorKey: pairOf(predictor, 'model')?.key }, isLLM);
  }
  const containers = getSeq(predictor, 'containers');
  if (containers) for (const c of containers.items) if (isMap(c)) container(ctx, c, predictor, prefix, {}, false);
}


// ---------------------------------------------------------------------------
// Model hints: a model argument that is a mount path names no model; KServe's `storageUri: hf://org/name`, the
// served model name or a MODEL_ID / MODEL_NAME variable then does, and a note says where the model was taken from.

/** A model argument that is a path in the container (`/mnt/models`, `/data`, `/models/...`), or an unset variable. */
export function isMountPath(name: string | undefined): boolean {
  return name === undefined || /^(\/|\$)/.test(name);
}

const HF_ID = /^[\w.-]+\/[\w.-]+$/;

/**
 * When the model is a mount path (or absent), takes the model from `storageUri: hf://org/name` (of the maps given,
 * first found), else `--served-model-name org/name`, else a `MODEL_ID` / `MODEL_NAME` env value, with a note.
 */
export function modelHint(b: SpecBuilder, parsed: ParsedArgs | undefined, uriMaps: (YMap | undefined)[], env: YSeq | undefined): boolean {
  const text = b.text;
  const was = b.model?.name;
  if (!isMountPath(was)) return false;
  const note = (what: string, range: SourceRange): true => {
    b.problems.push({
      severity: 'information', range,
      message: was ? `Model taken from ${what}: the model argument ${was} is a path in the container.` : `Model taken from ${what}.`,
    });
    return true;
  };
  for (const m of uriMaps) {
    const uri = getScalar(m, 'storageUri');
    const hf = uri ? /^hf:\/\/([\w.-]+\/[\w.-]+)\/?$/.exec(uri.value) : null;
    if (!uri || !hf) continue;
    const inner = innerRange(text, uri);
    const range = { start: inner.start + 5, end: inner.start + 5 + hf[1].length };
    if (text.slice(range.start, range.end) !== hf[1]) continue;
    b.setModel(hf[1], range);
    return note('storageUri', range);
  }
  const f = parsed?.flags.find((x) => x.name === 'served-model-name' && x.valueWord);
  if (f && f.valueWord) {
    const v = f.valueWord.text.slice(f.valueOffset).trim();
    const range = wordRange(text, f.valueWord, f.valueOffset).range;
    if (HF_ID.test(v) && text.slice(range.start, range.end) === v) {
      b.setModel(v, range);
      return note('--served-model-name', range);
    }
  }
  for (const it of env?.items ?? []) {
    const name = str(get(it, 'name'));
    if (name !== 'MODEL_ID' && name !== 'MODEL_NAME') continue;
    const v = getScalar(it, 'value');
    if (!v || !HF_ID.test(v.value)) continue;
    const range = innerRange(text, v);
    if (text.slice(range.start, range.end) !== v.value) continue;
    b.setModel(v.value, range);
    return note(name, range);
  }
  return false;
}

/** Reads the serving containers of a pod spec that another resource holds (AIBrix StormService roles, KAITO templates). */
export function readPodSpec(text: string, podSpec: YMap, prefix: string, problems: FormatProblem[], out: DeploymentSpec[], manifest = newManifestContext()): void {
  pod({ text, problems, out, manifest }, podSpec, prefix, {});
}
