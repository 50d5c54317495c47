// Operator resources and task files that run vLLM or SGLang: production-stack `VLLMRuntime`, NVIDIA Dynamo
// `DynamoGraphDeployment`, OME `ClusterServingRuntime` / `ServingRuntime`, KubeRay `RayService`, KServe
// `LLMInferenceService`, KubeAI `Model`, KAITO `Workspace`, llmaz `Playground`, AIBrix workloads (aibrix.ts) and
// SkyPilot tasks.
// Each value keeps the range where it is written; commands are read with the shared flag tables.
import type { DeploymentSpec, DocumentKind, FormatProblem, InputKey, ServingEngine, SourceRange } from './types';
import {
  ACCELERATOR_RESOURCES, Invocation, SpecBuilder, applyArgs, applyEnvEntry, applyImage, findCommand, flagInsertions, scalarRaw,
  scalarTarget, setValue, shellWordsOfScalar, wordsOfSeq,
} from './common';
import { FLAGS, ParsedArgs, findInvocation, normalizeFlag } from './engines';
import { gpuFromSelector, isMountPath, modelHint, readPodSpec } from './kubernetes';
import { looksLikeAibrix, readAibrix } from './aibrix';
import { findAccelerator } from '../core/hardware';
import { HELM_KEYS } from './helm';
import { offsetAt } from './scalar';
import type { Word } from './shell';
import { VarValue, expandComposeWord, expandKubernetesWord } from './variables';
import {
  YMap, YNode, YScalar, get, getMap, getScalar, getSeq, innerRange, isMap, isScalar, isSeq, pairOf, parseYaml, scalarWithMap, str,
} from './yaml';
import { keyedTable } from '../core/keyedTable';

/** Kinds of operator resources this module reads (apiVersion group, kind). */
const OPERATOR_KINDS: Readonly<Record<string, RegExp>> = keyedTable({
  VLLMRuntime: /production-stack/,
  DynamoGraphDeployment: /nvidia\.com|dynamo/,
  ClusterServingRuntime: /ome\.io/,
  ServingRuntime: /ome\.io/,
  RayService: /ray\.io/,
  LLMInferenceService: /serving\.kserve\.io/,
  Model: /kubeai\.org/,
  Workspace: /kaito\.sh/,
  Playground: /llmaz\.io/,
  StormService: /aibrix\.ai/,
  RayClusterFleet: /aibrix\.ai/,
});

/** The document is an operator resource this module reads. */
export function looksLikeOperator(root: YNode | null): root is YMap {
  if (!isMap(root)) return false;
  const kind = str(get(root, 'kind'));
  const api = str(get(root, 'apiVersion'));
  const re = kind ? OPERATOR_KINDS[kind] : undefined;
  return !!re && !!api && re.test(api);
}

/** Reads an operator resource; returns its document kind when it holds a deployment. */
export function readOperator(text: string, root: YMap, problems: FormatProblem[], out: DeploymentSpec[]): DocumentKind | undefined {
  const before = out.length;
  const kind = str(get(root, 'kind'));
  const name = str(get(getMap(root, 'metadata'), 'name')) ?? '(unnamed)';
  const spec = getMap(root, 'spec');
  const ctx: Ctx = { text, problems, out, root, prefix: `${kind}/${name}` };
  if (looksLikeAibrix(root)) return readAibrix(text, root, problems, out);
  // KAITO's Workspace keeps `resource` and `inference` at the top level.
  if (kind === 'Workspace') { kaitoWorkspace(ctx); return out.length > before ? out[before].kind : undefined; }
  if (!spec) return undefined;
  if (kind === 'VLLMRuntime') vllmRuntime(ctx, spec);
  else if (kind === 'DynamoGraphDeployment') dynamo(ctx, spec);
  else if (kind === 'ClusterServingRuntime' || kind === 'ServingRuntime') ome(ctx, spec);
  else if (kind === 'RayService') rayService(ctx, spec);
  else if (kind === 'LLMInferenceService') llmInferenceService(ctx, spec);
  else if (kind === 'Model') kubeaiModel(ctx, spec);
  else if (kind === 'Playground') llmazPlayground(ctx, spec);
  return out.length > before ? out[before].kind : undefined;
}

interface Ctx { text: string; problems: FormatProblem[]; out: DeploymentSpec[]; root: YMap; prefix: string }

/** The range of a `key: value` pair (for anchors). */
function pairRange(m: YMap | undefined, key: string): SourceRange | undefined {
  const p = pairOf(m, key);
  return p ? { start: p.key.start, end: p.value ? p.value.end : p.key.end } : undefined;
}

/** A scalar's text with the source offset of each character (for variables). */
function varOf(text: string, s: YScalar): VarValue {
  const d = scalarWithMap(text, s);
  if (d && (typeof d.map === 'number' || d.map.length >= s.value.length)) return { text: s.value, idx: d.map };
  const inner = innerRange(text, s);
  const idx: number[] = [];
  for (let k = 0; k < s.value.length; k++) idx.push(Math.min(inner.start + k, Math.max(inner.start, inner.end - 1)));
  return { text: s.value, idx };
}

/** Sets a scalar value of a map key as an input (plain YAML value, edited in place). */
function setScalar(b: SpecBuilder, key: InputKey, m: YMap | undefined, name: string): boolean {
  const p = pairOf(m, name);
  if (!p || !isScalar(p.value) || p.value.value === '') return false;
  b.set(key, scalarRaw(p.value), name, innerRange(b.text, p.value), innerRange(b.text, p.key), [scalarTarget(b.text, p.value, false)]);
  return true;
}

/** The accelerator count of a resources map (`limits` / `requests` with `nvidia.com/gpu`, ...). */
export function gpuFromResources(b: SpecBuilder, res: YMap | undefined): boolean {
  for (const m of [getMap(res, 'limits'), getMap(res, 'requests'), res]) {
    if (!m) continue;
    for (const p of m.pairs) {
      if (!ACCELERATOR_RESOURCES.has(p.key.value) || !isScalar(p.value)) continue;
      b.set('gpuCount', scalarRaw(p.value), p.key.value, innerRange(b.text, p.value), innerRange(b.text, p.key), [scalarTarget(b.text, p.value, false)]);
      if (p.key.value !== 'nvidia.com/gpu') b.accelerator = { resource: p.key.value, name: ACCELERATOR_RESOURCES.get(p.key.value)!, range: innerRange(b.text, p.key) };
      return true;
    }
  }
  return false;
}

/** `--served-model-name` names the model when the model argument is a mount path or an operator's variable (with a note). */
function servedNameHint(b: SpecBuilder, parsed: ParsedArgs): void {
  modelHint(b, parsed, [], undefined);
}

/** Dynamo's workers: `python3 -m dynamo.vllm` / `dynamo.sglang` take the engine's own flags. */
function dynamoInvocation(words: Word[]): Invocation | undefined {
  for (let i = 0; i + 1 < words.length; i++) {
    if (words[i].text !== '-m') continue;
    const m = /^dynamo\.(vllm|sglang)$/.exec(words[i + 1].text);
    if (m) return { engine: m[1] as ServingEngine, all: words, args: words.slice(i + 2), positionalModel: false };
  }
  return undefined;
}

interface RunnerRead { b: SpecBuilder; engine: ServingEngine }

/**
 * A container-like map (`image`, `command`, `args`, `env`, `resources`): the serving command, its flags, the image's
 * engine version (unless `engineImage` is false: a runtime image whose tag is not the engine's release) and GPUs.
 */
function readRunner(ctx: Ctx, c: YMap, engineImage: boolean, imageDefault = true): RunnerRead | undefined {
  const text = ctx.text;
  const imageNode = getScalar(c, 'image');
  const command = get(c, 'command');
  const args = get(c, 'args');
  const env = getSeq(c, 'env');
  const lookup = (name: string): VarValue | undefined => {
    for (const it of env?.items ?? []) {
      if (str(get(it, 'name')) !== name) continue;
      const v = getScalar(it, 'value');
      return v ? varOf(text, v) : undefined;
    }
    return undefined;
  };
  const expand = (w: Word): Word => expandKubernetesWord(w, lookup);
  let inv = findCommand(text, [command, args], imageNode?.value, { imageDefault: imageDefault && !command, expand });
  if (!inv) {
    const words = [command, args].flatMap((p) => (isSeq(p) ? wordsOfSeq(text, p).map(expand) : []));
    inv = dynamoInvocation(words);
  }
  if (!inv || (inv.engine !== 'vllm' && inv.engine !== 'sglang' && inv.engine !== 'tgi')) return undefined;
  const b = new SpecBuilder(text, ctx.problems);
  if (engineImage && imageNode) applyImage(b, inv.engine, imageNode, pairOf(c, 'image')?.key);
  else b.inputs.engine = inv.engine;
  const applied = applyArgs(b, inv);
  servedNameHint(b, applied.parsed);
  flagInsertions(b, inv, applied.parsed, !command ? { map: c, key: 'args', quoteValues: true } : undefined);
  gpuFromResources(b, getMap(c, 'resources'));
  b.span = { start: c.start, end: c.end };
  return { b, engine: inv.engine };
}

// ---------------------------------------------------------------------------
// production-stack VLLMRuntime: spec.model, spec.vllmConfig, spec.deploymentConfig.

function vllmRuntime(ctx: Ctx, spec: YMap): void {
  const text = ctx.text;
  const b = new SpecBuilder(text, ctx.problems);
  const model = getMap(spec, 'model');
  const vc = getMap(spec, 'vllmConfig');
  const dc = getMap(spec, 'deploymentConfig');
  const image = getMap(dc, 'image');
  const imageName = getScalar(image, 'name');
  if (imageName && /vllm/i.test(imageName.value)) applyImage(b, 'vllm', imageName, pairOf(image, 'name')?.key);
  else b.inputs.engine = 'vllm';
  const url = getScalar(model, 'modelURL');
  if (url) b.setModel(url.value, innerRange(text, url));
  for (const m of [model, vc]) {
    for (const p of m?.pairs ?? []) {
      const key = HELM_KEYS[p.key.value];
      if (key) setScalar(b, key, m, p.key.value);
    }
  }
  const extra = getSeq(vc, 'extraArgs');
  if (extra) {
    const words = wordsOfSeq(text, extra);
    applyArgs(b, { engine: 'vllm', all: words, args: words, positionalModel: false });
  }
  const res = getMap(dc, 'resources');
  setScalar(b, 'gpuCount', res, 'gpu');
  const gpuType = getScalar(res, 'gpuType');
  if (gpuType && gpuType.value && gpuType.value !== 'nvidia.com/gpu') {
    b.accelerator = { resource: gpuType.value, name: ACCELERATOR_RESOURCES.get(gpuType.value) ?? gpuType.value, range: innerRange(text, gpuType) };
  }
  gpuFromSelector(b, dc);
  b.span = { start: ctx.root.start, end: ctx.root.end };
  const anchor = pairRange(getMap(ctx.root, 'metadata'), 'name') ?? pairRange(ctx.root, 'kind')!;
  ctx.out.push(b.build('vllm-runtime', 'vllm', ctx.prefix, anchor));
}

// ---------------------------------------------------------------------------
// NVIDIA Dynamo DynamoGraphDeployment: spec.services.<name> with extraPodSpec.mainContainer running a worker.

function dynamo(ctx: Ctx, spec: YMap): void {
  const services = getMap(spec, 'services');
  for (const p of services?.pairs ?? []) {
    const svc = p.value;
    // The frontend (router) and planner run Dynamo itself, not an engine.
    if (!isMap(svc) || /^(frontend|planner)$/i.test(str(get(svc, 'componentType')) ?? '')) continue;
    const pod = getMap(svc, 'extraPodSpec');
    const main = getMap(pod, 'mainContainer');
    if (!main) continue;
    const r = readRunner(ctx, main, false, false);
    if (!r) continue;
    const b = r.b;
    // The service's own resources (`resources.limits.gpu`) are what Dynamo schedules.
    const res = getMap(svc, 'resources');
    if (!setScalar(b, 'gpuCount', getMap(res, 'limits'), 'gpu')) setScalar(b, 'gpuCount', getMap(res, 'requests'), 'gpu');
    gpuFromSelector(b, pod);
    b.span = { start: p.key.start, end: svc.end };
    ctx.out.push(b.build('dynamo', r.engine, `${ctx.prefix} · service ${p.key.value}`, { start: p.key.start, end: p.key.end }));
  }
}

// ---------------------------------------------------------------------------
// OME ClusterServingRuntime / ServingRuntime: engineConfig.runner (and decoderConfig.runner) is the server container.

function ome(ctx: Ctx, spec: YMap): void {
  for (const part of ['engineConfig', 'decoderConfig']) {
    const cfg = getMap(spec, part);
    const runner = getMap(cfg, 'runner') ?? getMap(cfg, 'leader', 'runner');
    if (!runner) continue;
    const r = readRunner(ctx, runner, true);
    if (!r) continue;
    gpuFromSelector(r.b, cfg);
    const cname = str(get(runner, 'name'));
    const anchor = pairRange(runner, 'name') ?? { start: runner.start, end: runner.start };
    ctx.out.push(r.b.build('ome-runtime', r.engine, `${ctx.prefix} · ${part} ${cname ?? 'runner'}`, anchor));
  }
}

// ---------------------------------------------------------------------------
// KubeRay RayService: serveConfigV2 (a YAML string) with Ray Serve LLM `llm_configs` (model_loading_config,
// engine_kwargs) or a vLLM app configured by `runtime_env.env_vars`; rayClusterConfig's workers hold the GPUs.

/** Environment variables of Ray Serve vLLM examples, to inputs. */
const RAY_ENV: Readonly<Record<string, InputKey | 'model'>> = keyedTable({
  MODEL_ID: 'model', MODEL_NAME: 'model', MAX_MODEL_LEN: 'maxModelLen', TENSOR_PARALLEL_SIZE: 'tensorParallel',
  PIPELINE_PARALLEL_SIZE: 'pipelineParallel', GPU_MEMORY_UTILIZATION: 'gpuMemoryUtilization', DTYPE: 'dtype',
});

function rayService(ctx: Ctx, spec: YMap): void {
  const text = ctx.text;
  const serve = getScalar(spec, 'serveConfigV2');
  const cluster = getMap(spec, 'rayClusterConfig');
  if (!serve) return;
  const d = scalarWithMap(text, serve);
  const inner = serve.value;
  const map = d ? d.map : innerRange(text, serve).start;
  /** Source range of an inner node's text. */
  const src = (s: YScalar): SourceRange => {
    const r = innerRange(inner, s);
    return r.end > r.start ? { start: offsetAt(map, r.start), end: offsetAt(map, r.end - 1) + 1 } : { start: offsetAt(map, r.start), end: offsetAt(map, r.start) };
  };
  const y = parseYaml(inner);
  const conf = y.docs[0]?.root;
  const apps = getSeq(conf, 'applications');
  for (const app of apps?.items ?? []) {
    if (!isMap(app)) continue;
    const appName = str(get(app, 'name')) ?? '(unnamed)';
    const llmConfigs = getSeq(getMap(app, 'args'), 'llm_configs');
    const configs: (YMap | undefined)[] = llmConfigs ? llmConfigs.items.filter(isMap) : [undefined];
    for (const lc of configs) {
      const env = getMap(app, 'runtime_env', 'env_vars');
      const importPath = str(get(app, 'import_path')) ?? '';
      if (!lc && !/vllm|llm/i.test(importPath) && !env) continue;
      const b = new SpecBuilder(text, ctx.problems);
      b.inputs.engine = 'vllm';
      // Values through the inner document: no in-place edits (a quick fix would have to re-indent the string).
      const setInner = (key: InputKey | 'model', v: YScalar, k: YScalar, what: string): void => {
        if (v.value === '' || v.value.includes('$') && key !== 'model') return;
        if (key === 'model') { b.setModel(v.value, src(v)); return; }
        setValue(b, 'vllm', key, scalarRaw(v), what, src(v), src(k), undefined);
      };
      for (const p of env?.pairs ?? []) {
        const key = RAY_ENV[p.key.value];
        if (key && isScalar(p.value)) setInner(key, p.value, p.key, p.key.value);
      }
      if (lc) {
        const id = getScalar(lc, 'model_loading_config', 'model_source') ?? getScalar(lc, 'model_loading_config', 'model_id');
        const idKey = pairOf(getMap(lc, 'model_loading_config'), 'model_source') ?? pairOf(getMap(lc, 'model_loading_config'), 'model_id');
        if (id && idKey) setInner('model', id, idKey.key, 'model_id');
        for (const p of getMap(lc, 'engine_kwargs')?.pairs ?? []) {
            const target = FLAGS.vllm[normalizeFlag(p.key.value)] as InputKey | 'model' | undefined;
          if (!target || !isScalar(p.value)) continue;
          setInner(target, p.value, p.key, p.key.value);
        }
        const acc = getScalar(lc, 'accelerator_type');
        if (acc) setInner('gpu', acc, pairOf(lc, 'accelerator_type')!.key, 'accelerator_type');
      }
      rayWorkers(b, cluster);
      b.span = { start: serve.start, end: serve.end };
      const anchor = pairRange(spec, 'serveConfigV2')!;
      ctx.out.push(b.build('ray-service', 'vllm', `${ctx.prefix} · application ${appName}`, { start: anchor.start, end: pairOf(spec, 'serveConfigV2')!.key.end }));
    }
  }
}

/** GPUs of a Ray cluster's worker groups (per pod × replicas × hosts), and their type; the head when no worker has any. */
function rayWorkers(b: SpecBuilder, cluster: YMap | undefined): void {
  const groups = getSeq(cluster, 'workerGroupSpecs');
  const pods: YMap[] = [];
  for (const g of groups?.items ?? []) { const ps = getMap(g, 'template', 'spec'); if (ps) pods.push(ps); }
  const head = getMap(cluster, 'headGroupSpec', 'template', 'spec');
  if (head) pods.push(head);
  for (const ps of pods) {
    for (const c of getSeq(ps, 'containers')?.items ?? []) {
      if (!isMap(c)) continue;
      if (gpuFromResources(b, getMap(c, 'resources'))) {
        if (b.inputs.gpu === undefined) gpuFromSelector(b, ps);
        return;
      }
    }
  }
}

// ---------------------------------------------------------------------------
// SkyPilot task YAML: `resources.accelerators` (`H100:8`), `num_nodes`, `envs`, and the `run:` script.

export function looksLikeSkyPilot(root: YNode | null): root is YMap {
  if (!isMap(root) || get(root, 'apiVersion') !== undefined || get(root, 'services') !== undefined) return false;
  const run = get(root, 'run');
  const res = get(root, 'resources');
  return isScalar(run) && (isMap(res) || isSeq(get(root, 'file_mounts')) || isMap(get(root, 'envs')) || get(root, 'num_nodes') !== undefined || get(root, 'setup') !== undefined);
}

export function readSkyPilot(text: string, root: YMap, problems: FormatProblem[], out: DeploymentSpec[]): number {
  const run = getScalar(root, 'run');
  if (!run) return 0;
  const res = getMap(root, 'resources');
  const envs = getMap(root, 'envs');
  // accelerators: `H100:8`, `H100`, `{H100: 8}`, or a list of choices (the first is read).
  let accNode: YNode | null | undefined = get(res, 'accelerators');
  if (isSeq(accNode)) accNode = accNode.items[0];
  let gpuName: { text: string; range: SourceRange; key?: SourceRange } | undefined;
  let gpuCount: { text: string; range: SourceRange; idx: VarValue } | undefined;
  const accKey = pairOf(res, 'accelerators')?.key;
  if (isScalar(accNode)) {
    const v = varOf(text, accNode);
    const m = /^\s*([^:\s]+)(?::\s*(\d+(?:\.\d+)?))?\s*$/.exec(accNode.value);
    if (m) {
      const at = (k: number): number => offsetAt(v.idx, k);
      const nameStart = accNode.value.indexOf(m[1]);
      gpuName = { text: m[1], range: { start: at(nameStart), end: at(nameStart + m[1].length - 1) + 1 } };
      if (m[2]) {
        const cs = accNode.value.lastIndexOf(m[2]);
        const idx: number[] = [];
        for (let k = 0; k < m[2].length; k++) idx.push(at(cs + k));
        gpuCount = { text: m[2], range: { start: at(cs), end: at(cs + m[2].length - 1) + 1 }, idx: { text: m[2], idx } };
      }
    }
  } else if (isMap(accNode) && accNode.pairs[0]) {
    const p = accNode.pairs[0];
    gpuName = { text: p.key.value, range: innerRange(text, p.key) };
    if (isScalar(p.value)) gpuCount = { text: p.value.value, range: innerRange(text, p.value), idx: varOf(text, p.value) };
  }
  const nodesNode = getScalar(root, 'num_nodes');
  const lookup = (name: string): VarValue | undefined => {
    if (name === 'SKYPILOT_NUM_GPUS_PER_NODE') return gpuCount?.idx;
    if (name === 'SKYPILOT_NUM_NODES' && nodesNode) return varOf(text, nodesNode);
    const v = getScalar(envs, name);
    return v && v.value !== '' ? varOf(text, v) : undefined;
  };
  let inv: Invocation | undefined;
  for (const cmd of shellWordsOfScalar(text, run)) {
    const words = cmd.map((w) => expandComposeWord(w, lookup));
    const found = findInvocation(words);
    if (found && (found.engine === 'vllm' || found.engine === 'sglang' || found.engine === 'tgi')) {
      inv = { engine: found.engine, all: words, args: words.slice(found.argStart), positionalModel: found.positionalModel };
      break;
    }
  }
  if (!inv) return 0;
  const b = new SpecBuilder(text, problems);
  b.inputs.engine = inv.engine;
  const applied = applyArgs(b, inv);
  servedNameHint(b, applied.parsed);
  flagInsertions(b, inv, applied.parsed);
  if (gpuName) b.set('gpu', gpuName.text, 'accelerators', gpuName.range, accKey ? innerRange(text, accKey) : undefined, undefined);
  const nodes = nodesNode ? Number(nodesNode.value) : 1;
  if (gpuCount) {
    const per = Number(gpuCount.text);
    if (nodes > 1 && Number.isInteger(nodes) && nodesNode) {
      b.set('nodes', nodes, 'num_nodes', innerRange(text, nodesNode), innerRange(text, pairOf(root, 'num_nodes')!.key), undefined);
      b.set('gpuCount', per * nodes, 'accelerators', gpuCount.range, accKey ? innerRange(text, accKey) : undefined, undefined);
    } else {
      b.set('gpuCount', gpuCount.text, 'accelerators', gpuCount.range, accKey ? innerRange(text, accKey) : undefined, [{ range: gpuCount.range, context: 'word', exact: text.slice(gpuCount.range.start, gpuCount.range.end) === gpuCount.text }]);
    }
  }
  b.span = { start: root.start, end: root.end };
  const runKey = pairOf(root, 'run')!.key;
  out.push(b.build('skypilot', inv.engine, 'SkyPilot task', innerRange(text, runKey)));
  return 1;
}


// ---------------------------------------------------------------------------
// KServe LLMInferenceService (serving.kserve.io): spec.model.uri (`hf://org/name`), spec.replicas, spec.parallelism
// (tensor, pipeline), spec.template (the pod of the main container) and spec.worker (the other pods of a
// multi-node group); spec.prefill is the same again for the prefill pods.

/** `hf://org/name` of a scalar: the id and its range. */
function hfUri(text: string, s: YScalar | undefined): { id: string; range: SourceRange } | undefined {
  const m = s ? /^hf:\/\/([\w.-]+\/[\w.-]+)\/?$/.exec(s.value) : null;
  if (!s || !m) return undefined;
  const inner = innerRange(text, s);
  const range = { start: inner.start + 5, end: inner.start + 5 + m[1].length };
  return text.slice(range.start, range.end) === m[1] ? { id: m[1], range } : undefined;
}

function llmInferenceService(ctx: Ctx, spec: YMap): void {
  const text = ctx.text;
  const model = getMap(spec, 'model');
  const parts: [YMap, string][] = [[spec, '']];
  const prefill = getMap(spec, 'prefill');
  if (prefill) parts.push([prefill, ' · prefill']);
  for (const [part, suffix] of parts) {
    const tmpl = getMap(part, 'template');
    const worker = getMap(part, 'worker');
    if (part !== spec && !tmpl && !worker && !getMap(part, 'parallelism')) continue;
    const containers = (getSeq(tmpl, 'containers')?.items ?? []).filter(isMap);
    const main = containers.find((c) => str(get(c, 'name')) === 'main') ?? containers[0];
    const b = new SpecBuilder(text, ctx.problems);
    b.inputs.engine = 'vllm';
    let parsed: ParsedArgs | undefined;
    if (main) {
      const imageNode = getScalar(main, 'image');
      if (imageNode && /vllm/i.test(imageNode.value)) applyImage(b, 'vllm', imageNode, pairOf(main, 'image')?.key);
      const command = get(main, 'command');
      const args = get(main, 'args');
      if (command || args) {
        const inv = findCommand(text, [command, args], imageNode?.value, { imageDefault: !command, forceEngine: 'vllm' });
        if (inv && inv.engine === 'vllm') {
          parsed = applyArgs(b, inv).parsed;
          flagInsertions(b, inv, parsed, !command ? { map: main, key: 'args', quoteValues: true } : undefined);
        }
      }
    }
    // The model the controller passes: spec.model.uri `hf://org/name`; a path or an oci:// image names none.
    if (isMountPath(b.model?.name)) {
      const hf = hfUri(text, getScalar(model, 'uri'));
      if (hf) b.setModel(hf.id, hf.range);
      else if (!modelHint(b, parsed, [], main ? getSeq(main, 'env') : undefined)) {
        const n = getScalar(model, 'name');
        if (n && /^[\w.-]+\/[\w.-]+$/.test(n.value) && text.slice(innerRange(text, n).start, innerRange(text, n).end) === n.value) {
          b.setModel(n.value, innerRange(text, n));
          ctx.problems.push({ severity: 'information', range: innerRange(text, n), message: 'Model taken from model.name: model.uri names no Hugging Face model.' });
        }
      }
    }
    const par = getMap(part, 'parallelism');
    setScalar(b, 'tensorParallel', par, 'tensor');
    setScalar(b, 'pipelineParallel', par, 'pipeline');
    if (main) gpuFromResources(b, getMap(main, 'resources'));
    if (b.inputs.gpu === undefined && tmpl) gpuFromSelector(b, tmpl);
    // A multi-node group (worker pods beside the main one) runs on tensor × pipeline GPUs.
    const tp = b.inputs.tensorParallel ?? 1;
    const pp = b.inputs.pipelineParallel ?? 1;
    if (worker && b.inputs.gpuCount !== undefined && tp * pp > b.inputs.gpuCount && b.valueRanges.gpuCount) {
      b.set('gpuCount', tp * pp, 'parallelism', b.valueRanges.gpuCount, b.keyRanges.gpuCount, undefined);
    }
    b.span = { start: part.start, end: part.end };
    const anchor = pairRange(getMap(ctx.root, 'metadata'), 'name') ?? pairRange(ctx.root, 'kind')!;
    ctx.out.push(b.build('llm-inference-service', 'vllm', `${ctx.prefix}${suffix}`, anchor));
  }
}

// ---------------------------------------------------------------------------
// KubeAI Model (kubeai.org). Field names from substratusai/kubeai api/k8s/v1/model_types.go (ModelSpec): url
// (`hf://org/name`, `pvc://...`, `ollama://name`, `s3://`/`gs://`/`oss://`), engine (OLlama, VLLM, FasterWhisper,
// Infinity), resourceProfile (`<profile>:<count>`, profiles named for the accelerator: `nvidia-gpu-l4:1`,
// `amd-gpu-mi300x:1`, `google-tpu-v5e-2x2:4`, `cpu:2`), image, args and env (a map). The same fields make an entry of
// the `models` chart's catalog (charts/models/templates/models.yaml).

/** KubeAI's engines that this project sizes (FasterWhisper and Infinity serve speech and embeddings). */
const KUBEAI_ENGINES: Readonly<Record<string, ServingEngine>> = keyedTable({ vllm: 'vllm', ollama: 'ollama' });

/** A resourceProfile name's accelerator: the type (as the catalog names it) within the name, and its resource. */
function kubeaiProfile(name: string): { type: string; offset: number; resource: string } | undefined {
  const gpu = /^(nvidia|amd)-gpu-([\w.-]+)$/.exec(name);
  if (gpu) return { type: gpu[2], offset: gpu[1].length + 5, resource: gpu[1] === 'amd' ? 'amd.com/gpu' : 'nvidia.com/gpu' };
  // TPU profiles name the slice topology after the version (`google-tpu-v5e-2x2`); the count is chips.
  const tpu = /^google-(tpu-v[\w]+?)-\d+x\d+(?:x\d+)?$/.exec(name);
  if (tpu) return { type: tpu[1], offset: 'google-'.length, resource: 'google.com/tpu' };
  return undefined;
}

function kubeaiModel(ctx: Ctx, spec: YMap): void {
  const anchor = pairRange(getMap(ctx.root, 'metadata'), 'name') ?? pairRange(ctx.root, 'kind')!;
  const d = readKubeaiModelSpec(ctx.text, ctx.problems, spec, 'kubeai-model', ctx.prefix, anchor, { start: ctx.root.start, end: ctx.root.end });
  if (d) ctx.out.push(d);
}

/** A KubeAI model spec (a Model's `spec`, or an entry of the `models` chart's catalog) as a deployment. */
export function readKubeaiModelSpec(text: string, problems: FormatProblem[], spec: YMap, kind: DocumentKind, label: string,
  anchor: SourceRange, span: SourceRange): DeploymentSpec | undefined {
  const engine = KUBEAI_ENGINES[(str(get(spec, 'engine')) ?? '').toLowerCase()];
  if (!engine) return undefined;
  const b = new SpecBuilder(text, problems);
  const imageNode = getScalar(spec, 'image');
  if (imageNode && imageNode.value) applyImage(b, engine, imageNode, pairOf(spec, 'image')?.key);
  else b.inputs.engine = engine;
  const url = getScalar(spec, 'url');
  const hf = hfUri(text, url);
  if (hf) b.setModel(hf.id, hf.range);
  else if (url && url.value.startsWith('ollama://')) {
    const inner = innerRange(text, url);
    const name = url.value.slice('ollama://'.length);
    const range = { start: inner.start + 9, end: inner.start + 9 + name.length };
    if (name && text.slice(range.start, range.end) === name) b.setModel(name, range);
  } else if (url && /^[a-z0-9]+:\/\//i.test(url.value)) {
    // A volume or a bucket (pvc://, s3://, gs://, oss://): the model is named as the storage names it.
    b.setModel(url.value, innerRange(text, url));
  }
  // Environment first: flags win over variables.
  const env = getMap(spec, 'env');
  for (const p of env?.pairs ?? []) {
    if (!isScalar(p.value) || p.value.value === '') continue;
    applyEnvEntry(b, engine, p.key.value, scalarRaw(p.value), innerRange(text, p.value), innerRange(text, p.key), [scalarTarget(text, p.value, true)]);
  }
  const args = getSeq(spec, 'args');
  if (args && engine === 'vllm') {
    const words = wordsOfSeq(text, args);
    const inv: Invocation = { engine, all: words, args: words, positionalModel: false };
    flagInsertions(b, inv, applyArgs(b, inv).parsed);
  }
  const prof = getScalar(spec, 'resourceProfile');
  const m = prof ? /^([\w.-]+):(\d+)$/.exec(prof.value) : null;
  const acc = m ? kubeaiProfile(m[1]) : undefined;
  if (prof && m && acc) {
    const inner = innerRange(text, prof);
    const typeStart = inner.start + acc.offset;
    const countStart = inner.start + m[1].length + 1;
    const key = innerRange(text, pairOf(spec, 'resourceProfile')!.key);
    if (text.slice(typeStart, typeStart + acc.type.length) === acc.type && text.slice(countStart, countStart + m[2].length) === m[2]) {
      b.set('gpu', acc.type, 'resourceProfile', { start: typeStart, end: typeStart + acc.type.length }, key, undefined);
      const cr = { start: countStart, end: countStart + m[2].length };
      b.set('gpuCount', m[2], 'resourceProfile', cr, key, [{ range: cr, context: 'word', exact: true }]);
      if (acc.resource !== 'nvidia.com/gpu') {
        b.accelerator = { resource: acc.resource, name: ACCELERATOR_RESOURCES.get(acc.resource) ?? acc.resource, range: { start: inner.start, end: typeStart + acc.type.length } };
      }
    }
  }
  b.span = span;
  return b.build(kind, engine, label, anchor);
}

// ---------------------------------------------------------------------------
// KAITO Workspace (kaito.sh). Field names from kaito-project/kaito api/v1beta1/workspace_types.go: resource
// {instanceType (a cloud instance type: the catalog knows its GPUs), count (nodes), labelSelector}, inference
// {preset {name}, template (a pod template, instead of a preset)}. Preset names are KAITO's own: the model each runs is
// the Hugging Face repository of presets/workspace/models/supported_models.yaml (`version:` URL); a preset named
// `org/name` runs that repository.

const KAITO_PRESETS: Readonly<Record<string, string>> = keyedTable({
  'llama-3.1-8b-instruct': 'meta-llama/Llama-3.1-8B-Instruct',
  'falcon-7b': 'tiiuae/falcon-7b', 'falcon-7b-instruct': 'tiiuae/falcon-7b-instruct',
  'falcon-40b': 'tiiuae/falcon-40b', 'falcon-40b-instruct': 'tiiuae/falcon-40b-instruct',
  'mistral-7b': 'mistralai/Mistral-7B-v0.3', 'mistral-7b-instruct': 'mistralai/Mistral-7B-Instruct-v0.3',
  'phi-2': 'microsoft/phi-2',
  'phi-3-mini-4k-instruct': 'microsoft/Phi-3-mini-4k-instruct', 'phi-3-mini-128k-instruct': 'microsoft/Phi-3-mini-128k-instruct',
  'phi-3-medium-4k-instruct': 'microsoft/Phi-3-medium-4k-instruct', 'phi-3-medium-128k-instruct': 'microsoft/Phi-3-medium-128k-instruct',
  'phi-3.5-mini-instruct': 'microsoft/Phi-3.5-mini-instruct', 'phi-4-mini-instruct': 'microsoft/Phi-4-mini-instruct', 'phi-4': 'microsoft/phi-4',
  'qwen2.5-coder-7b-instruct': 'Qwen/Qwen2.5-Coder-7B-Instruct', 'qwen2.5-coder-32b-instruct': 'Qwen/Qwen2.5-Coder-32B-Instruct',
  'deepseek-r1-distill-qwen-14b': 'deepseek-ai/DeepSeek-R1-Distill-Qwen-14B', 'deepseek-r1-distill-llama-8b': 'deepseek-ai/DeepSeek-R1-Distill-Llama-8B',
});

function kaitoWorkspace(ctx: Ctx): void {
  const text = ctx.text;
  const root = ctx.root;
  const inference = getMap(root, 'inference');
  const preset = getScalar(inference, 'preset', 'name');
  const podSpec = getMap(inference, 'template', 'spec');
  const anchor = pairRange(getMap(root, 'metadata'), 'name') ?? pairRange(root, 'kind')!;
  const found: DeploymentSpec[] = [];
  if (podSpec && !preset) {
    // A custom pod instead of a preset: its containers are read as Kubernetes containers.
    readPodSpec(text, podSpec, ctx.prefix, ctx.problems, found);
    for (const d of found) d.kind = 'kaito-workspace';
  } else if (preset) {
    const b = new SpecBuilder(text, ctx.problems);
    b.inputs.engine = 'vllm';
    const pr = innerRange(text, preset);
    const id = KAITO_PRESETS[preset.value.toLowerCase()] ?? (/^[\w.-]+\/[\w.-]+$/.test(preset.value) ? preset.value : undefined);
    if (id && text.slice(pr.start, pr.end) === preset.value) b.setModel(id, pr);
    else ctx.problems.push({ severity: 'information', range: pr, message: `Not sized: preset ${preset.value} is not a KAITO preset this version knows, nor a model id.` });
    b.span = { start: root.start, end: root.end };
    found.push(b.build('kaito-workspace', 'vllm', ctx.prefix, anchor));
  }
  const res = getMap(root, 'resource');
  const inst = getScalar(res, 'instanceType');
  for (const d of found) {
    if (!inst || !inst.value || d.inputs.gpu !== undefined) continue;
    // The instance type is the node: its GPUs (× count nodes) unless the pod asks for fewer.
    const b = new SpecBuilder(text, ctx.problems);
    const key = innerRange(text, pairOf(res, 'instanceType')!.key);
    b.set('gpu', inst.value, 'instanceType', innerRange(text, inst), key, [scalarTarget(text, inst, true)]);
    const acc = findAccelerator(inst.value);
    const per = acc.ok ? acc.impliedGpuCount : undefined;
    const countNode = getScalar(res, 'count');
    const nodes = countNode && /^\d+$/.test(countNode.value) ? Number(countNode.value) : 1;
    if (per !== undefined && d.inputs.gpuCount === undefined) b.set('gpuCount', per * nodes, 'instanceType', innerRange(text, inst), key, undefined);
    if (nodes > 1 && countNode) b.set('nodes', nodes, 'count', innerRange(text, countNode), innerRange(text, pairOf(res, 'count')!.key), undefined);
    for (const k of ['gpu', 'gpuCount', 'nodes'] as const) {
      if (!(k in b.valueRanges)) continue;
      if (b.inputs[k] !== undefined) (d.inputs as Record<string, unknown>)[k] = b.inputs[k];
      d.valueRanges[k] = b.valueRanges[k]!;
      if (b.keyRanges[k]) d.keyRanges[k] = b.keyRanges[k]!;
      const ip = b.edit.inPlace[k];
      if (ip) d.edit.inPlace[k] = ip; else delete d.edit.inPlace[k];
      delete d.edit.insert[k];
    }
  }
  for (const d of found) ctx.out.push(d);
}

// ---------------------------------------------------------------------------
// llmaz (InftyAI/llmaz). Field names from api/inference/v1alpha1/playground_types.go and config_types.go (Playground
// spec: modelClaim {modelName, inferenceFlavors}, modelClaims {models [{name, role}], inferenceFlavors},
// backendRuntimeConfig {backendName, version, envs, args, resources}; `backendConfig` {name, ...} and
// `inferenceFlavorClaims` in releases before) and api/core/v1alpha1/model_types.go (OpenModel spec: source
// {modelHub {modelID}, uri}, inferenceConfig.flavors [{name, limits (`requests` before), nodeSelector, params {TP,
// PP, INSTANCE-TYPE}}]). The claimed flavor's accelerators override the backend's resources.

const LLMAZ_BACKENDS: Readonly<Record<string, ServingEngine>> = keyedTable({ vllm: 'vllm', sglang: 'sglang', tgi: 'tgi', llamacpp: 'llamacpp', ollama: 'ollama' });

/** The OpenModel of this file with that name. */
function openModel(text: string, name: string): YMap | undefined {
  for (const d of parseYaml(text).docs) {
    const r = d.root;
    if (!isMap(r) || str(get(r, 'kind')) !== 'OpenModel' || !/llmaz\.io/.test(str(get(r, 'apiVersion')) ?? '')) continue;
    if (str(get(getMap(r, 'metadata'), 'name')) === name) return r;
  }
  return undefined;
}

function llmazPlayground(ctx: Ctx, spec: YMap): void {
  const text = ctx.text;
  const brc = getMap(spec, 'backendRuntimeConfig') ?? getMap(spec, 'backendConfig');
  const backend = (str(get(brc, 'backendName')) ?? str(get(brc, 'name')) ?? 'vllm').toLowerCase();
  const engine = LLMAZ_BACKENDS[backend];
  if (!engine) return;
  const b = new SpecBuilder(text, ctx.problems);
  const version = getScalar(brc, 'version');
  const vm = version ? /^(v?)(\d+\.\d+(?:\.\d+)?(?:\.post\d+)?)/.exec(version.value) : null;
  if (version && vm && (engine === 'vllm' || engine === 'sglang')) {
    const inner = innerRange(text, version);
    const range = { start: inner.start + vm[1].length, end: inner.start + vm[1].length + vm[2].length };
    const exact = text.slice(range.start, range.end) === vm[2];
    b.set('engine', `${engine}@${vm[2]}`, 'version', range, innerRange(text, pairOf(brc, 'version')!.key), exact ? [{ range, context: 'word', exact }] : undefined, exact ? { versionOnly: true } : {});
  } else b.inputs.engine = engine;
  // The claimed model: modelClaim, else the main model of modelClaims.
  const claim = getMap(spec, 'modelClaim');
  const claims = getMap(spec, 'modelClaims');
  const mainRef = (getSeq(claims, 'models')?.items ?? []).filter(isMap).find((m) => (str(get(m, 'role')) ?? 'main') === 'main');
  const claimName = str(get(claim, 'modelName')) ?? str(get(mainRef, 'name'));
  const flavorNames = getSeq(claim ?? claims, 'inferenceFlavors') ?? getSeq(claim ?? claims, 'inferenceFlavorClaims');
  const om = claimName ? openModel(text, claimName) : undefined;
  let flavor: YMap | undefined;
  if (om) {
    const source = getMap(om, 'spec', 'source');
    const id = getScalar(source, 'modelHub', 'modelID');
    const uri = getScalar(source, 'uri');
    if (id && id.value) b.setModel(id.value, innerRange(text, id));
    else if (uri && uri.value.startsWith('ollama://')) {
      const inner = innerRange(text, uri);
      const name = uri.value.slice('ollama://'.length);
      const range = { start: inner.start + 9, end: inner.start + 9 + name.length };
      if (name && text.slice(range.start, range.end) === name) b.setModel(name, range);
    } else if (uri && uri.value) b.setModel(uri.value, innerRange(text, uri));
    const flavors = (getSeq(getMap(om, 'spec', 'inferenceConfig'), 'flavors')?.items ?? []).filter(isMap);
    const wanted = (flavorNames?.items ?? []).filter(isScalar).map((s) => s.value);
    flavor = flavors.find((f) => wanted.includes(str(get(f, 'name')) ?? '')) ?? flavors[0];
  }
  // Environment first: flags win over variables.
  for (const it of getSeq(brc, 'envs')?.items ?? []) {
    const n = getScalar(it, 'name');
    const v = getScalar(it, 'value');
    if (!n || !v || v.value === '') continue;
    applyEnvEntry(b, engine, n.value, scalarRaw(v), innerRange(text, v), innerRange(text, n), [scalarTarget(text, v, true)]);
  }
  const args = getSeq(brc, 'args');
  if (args && engine !== 'ollama') {
    const words = wordsOfSeq(text, args);
    applyArgs(b, { engine, all: words, args: words, positionalModel: false });
  }
  if (flavor) {
    const params = getMap(flavor, 'params');
    if (b.inputs.tensorParallel === undefined) setScalar(b, 'tensorParallel', params, 'TP');
    if (b.inputs.pipelineParallel === undefined) setScalar(b, 'pipelineParallel', params, 'PP');
    gpuFromSelector(b, flavor);
  }
  // The flavor's accelerators (limits, or requests) win over the backend's resources.
  if (!(flavor && gpuFromResources(b, flavor))) gpuFromResources(b, getMap(brc, 'resources'));
  const inst = getScalar(getMap(flavor, 'params'), 'INSTANCE-TYPE');
  if (b.inputs.gpu === undefined && inst && inst.value && findAccelerator(inst.value).ok) {
    b.set('gpu', inst.value, 'INSTANCE-TYPE', innerRange(text, inst), innerRange(text, pairOf(getMap(flavor, 'params'), 'INSTANCE-TYPE')!.key), undefined);
  }
  b.span = { start: ctx.root.start, end: ctx.root.end };
  const anchor = pairRange(getMap(ctx.root, 'metadata'), 'name') ?? pairRange(ctx.root, 'kind')!;
  ctx.out.push(b.build('llmaz-playground', engine, ctx.prefix, anchor));
}
