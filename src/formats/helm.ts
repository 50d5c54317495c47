// Helm values of the vLLM production stack (servingEngineSpec.modelSpec[]).
// Helm values of other charts: a general rule for a values tree that configures a vLLM, SGLang or TGI server.
import type { DeploymentSpec, FormatProblem, InputKey, ServingEngine, SourceRange } from './types';
import {
  ACCELERATOR_RESOURCES, Invocation, SpecBuilder, applyArgs, applyEnvEntry, eolOf, findCommand, flagInsertions, indentOf, lineEnd, scalarRaw,
  scalarTarget, setValue, wordsOfSeq,
} from './common';
import { GPU_LABELS, gpuFromSelector, selectorFromTerms } from './kubernetes';
import { looksLikeKubeaiCatalog, looksLikeLlmdValues, readKubeaiCatalog, readLlmdValues } from './chartValues';
import { FLAGS, ParsedArgs, engineSpecOfImage, envTable, imageEntrypoint, normalizeFlag } from './engines';
import { gpuFromResources } from './operators';
import { YMap, YNode, YScalar, get, getMap, getScalar, getSeq, innerRange, isMap, isScalar, isSeq, pairOf, parseYaml, str } from './yaml';
import { keyedTable } from '../core/keyedTable';

/** vllmConfig keys of the chart (camelCase) to inputs. */
export const HELM_KEYS: Readonly<Record<string, InputKey>> = keyedTable({
  maxModelLen: 'maxModelLen', tensorParallelSize: 'tensorParallel', pipelineParallelSize: 'pipelineParallel',
  gpuMemoryUtilization: 'gpuMemoryUtilization', maxNumSeqs: 'maxNumSeqs', maxNumBatchedTokens: 'maxNumBatchedTokens',
  dtype: 'dtype', kvCacheDtype: 'kvCacheDtype', quantization: 'quantization', blockSize: 'blockSize',
});
/** Keys the chart turns into flags itself; other settings go to extraArgs. */
const NATIVE: Partial<Record<InputKey, string>> = {
  maxModelLen: 'maxModelLen', tensorParallel: 'tensorParallelSize', gpuMemoryUtilization: 'gpuMemoryUtilization',
  maxNumSeqs: 'maxNumSeqs', dtype: 'dtype',
};

export function looksLikeHelmStack(root: YNode | null): root is YMap {
  return isMap(root) && isMap(get(root, 'servingEngineSpec'));
}

export function readHelmStack(text: string, root: YMap, problems: FormatProblem[], out: DeploymentSpec[]): void {
  const specs = getSeq(root, 'servingEngineSpec', 'modelSpec');
  if (!specs) return;
  const eol = eolOf(text);
  for (const item of specs.items) {
    if (!isMap(item)) continue;
    const b = new SpecBuilder(text, problems);
    const name = str(get(item, 'name')) ?? '(unnamed)';

    const tag = getScalar(item, 'tag');
    const m = tag ? /^(v?)(\d+\.\d+(?:\.\d+)?(?:\.post\d+)?)/.exec(tag.value) : null;
    const repo = str(get(item, 'repository')) ?? 'vllm/vllm-openai';
    if (tag && m && /vllm/i.test(repo)) {
      const inner = innerRange(text, tag);
      const range = { start: inner.start + m[1].length, end: inner.start + m[1].length + m[2].length };
      b.set('engine', `vllm@${m[2]}`, 'tag', range, innerRange(text, pairOf(item, 'tag')!.key),
        [{ range, context: 'word', exact: text.slice(range.start, range.end) === m[2] }], { versionOnly: true });
    } else b.inputs.engine = 'vllm';

    const url = getScalar(item, 'modelURL');
    if (url) b.setModel(url.value, innerRange(text, url));

    const gpuPair = pairOf(item, 'requestGPU');
    if (gpuPair && gpuPair.value && gpuPair.value.kind === 'scalar') {
      b.set('gpuCount', scalarRaw(gpuPair.value), 'requestGPU', innerRange(text, gpuPair.value), innerRange(text, gpuPair.key),
        [scalarTarget(text, gpuPair.value, false)]);
    }

    const vc = getMap(item, 'vllmConfig');
    if (vc) {
      for (const p of vc.pairs) {
        const key = HELM_KEYS[p.key.value];
        if (!key || !p.value || p.value.kind !== 'scalar') continue;
        b.set(key, scalarRaw(p.value), p.key.value, innerRange(text, p.value), innerRange(text, p.key), [scalarTarget(text, p.value, false)]);
      }
    }
    const extra = getSeq(vc, 'extraArgs');
    let inv: Invocation | undefined;
    let parsed: ParsedArgs | undefined;
    if (extra) {
      const words = wordsOfSeq(text, extra);
      inv = { engine: 'vllm', all: words, args: words, positionalModel: false };
      parsed = applyArgs(b, inv).parsed;
    }

    // The GPU type: a node selector label, else an In expression of nodeSelectorTerms.
    const selector = getMap(item, 'nodeSelector');
    const label = GPU_LABELS.map((l) => pairOf(selector, l)).find((p) => p && p.value && p.value.kind === 'scalar');
    const terms = getSeq(item, 'nodeSelectorTerms');
    const sel = terms ? selectorFromTerms(text, terms.items.filter((x): x is YMap => isMap(x))) : undefined;
    if (label && label.value && label.value.kind === 'scalar') {
      b.set('gpu', label.value.value, label.key.value, innerRange(text, label.value), innerRange(text, label.key), [scalarTarget(text, label.value, true)]);
    } else if (sel) b.set('gpu', sel.value.value, sel.label, innerRange(text, sel.value), innerRange(text, sel.key), [scalarTarget(text, sel.value, true)]);
    // requestGPUType names the extended resource (amd.com/gpu, ...); NVIDIA's is the chart's default.
    const gpuType = getScalar(item, 'requestGPUType');
    if (gpuType && gpuType.value !== 'nvidia.com/gpu') {
      b.accelerator = { resource: gpuType.value, name: ACCELERATOR_RESOURCES.get(gpuType.value) ?? gpuType.value, range: innerRange(text, gpuType) };
    }

    // Insertion sites: chart keys in vllmConfig, other flags in extraArgs.
    for (const [key, helmKey] of Object.entries(NATIVE) as [InputKey, string][]) {
      if (vc && !vc.flow) {
        b.offer(key, { type: 'map-key', at: lineEnd(text, vc.end), flow: false, indent: indentOf(text, vc.start), eol, key: helmKey });
      } else if (vc && vc.flow && vc.pairs.length) {
        const last = vc.pairs[vc.pairs.length - 1];
        b.offer(key, { type: 'map-key', at: last.value ? last.value.end : last.key.end, flow: true, indent: '', eol, key: helmKey });
      } else if (!vc) {
        const indent = indentOf(text, item.start);
        b.offer(key, { type: 'new-block', at: lineEnd(text, item.end), indent, childIndent: indent + '  ', eol, parentKey: 'vllmConfig', list: false, key: helmKey });
      }
    }
    if (inv && parsed) flagInsertions(b, inv, parsed);
    else if (vc && !vc.flow) {
      // No extraArgs yet: create it in vllmConfig.
      const none: Invocation = { engine: 'vllm', all: [], args: [], positionalModel: false };
      flagInsertions(b, none, { flags: [], positionals: [] }, { map: vc, key: 'extraArgs', quoteValues: true });
    }
    if (!gpuPair) {
      b.offer('gpuCount', { type: 'map-key', at: lineEnd(text, item.end), flow: false, indent: indentOf(text, item.start), eol, key: 'requestGPU' });
    }

    const namePair = pairOf(item, 'name');
    const anchor = namePair && namePair.value ? { start: namePair.key.start, end: namePair.value.end } : { start: item.start, end: item.start };
    b.span = { start: item.start, end: item.end };
    out.push(b.build('helm-vllm-stack', 'vllm', `modelSpec ${name}`, anchor));
  }
}

// ---------------------------------------------------------------------------
// Values of other charts (vLLM's own chart, OPEA's vLLM / TGI charts, charts that take a whole command line).
// vLLM's chart (vllm-project/vllm examples/online_serving/chart-helm: values.yaml, templates/deployment.yaml,
// configmap.yaml) keeps the container's whole command in `image.command`, its environment in `image.env` (a list), a
// ConfigMap of variables in `configs` (given to the container by envFrom), GPUs in `resources` and the GPU types in
// `gpuModels` (the values of a `nvidia.com/gpu.product In` node affinity).

/** Keys holding the server's command line (a string or a list), at the top or in `image` (vLLM's chart). */
const CLI_KEYS = ['cli', 'command', 'cmd', 'serveCommand'];
/** Keys holding the container's environment: a list of `{name, value}` or a map of names to values. */
const ENV_KEYS = ['env', 'extraEnv', 'envVars', 'extraEnvVars'];
/** The placeholder of vLLM's chart for `gpuModels` (values.yaml ships it until the user names a GPU). */
const GPU_MODELS_PLACEHOLDER = 'TYPE_GPU_USED';
/** Keys holding extra flags of the server (lists). */
const ARG_KEYS = ['args', 'extraArgs', 'extraCmdArgs', 'extraArguments', 'serverArgs', 'engineArgs'];
/** Maps of the engine's own settings (chart keys in camelCase, or flag names). */
const ENGINE_MAPS: Readonly<Record<string, ServingEngine | undefined>> = keyedTable({ vllm: 'vllm', sglang: 'sglang', tgi: 'tgi', engine: undefined, server: undefined, vllmConfig: 'vllm' });
/** Where a chart names the model, most specific first. */
const MODEL_PATHS = [['model', 'repoId'], ['model', 'id'], ['model', 'name'], ['model', 'modelId'], ['modelId'], ['modelName'], ['modelURL'], ['LLM_MODEL_ID'], ['MODEL_ID'], ['model']];
/** Keys that say a chart spreads one server over several pods (LeaderWorkerSet, Ray). */
const MULTI_NODE_KEYS = ['distributed', 'multiNode', 'multinode', 'leaderWorkerSet', 'lws'];

/** A values tree (not a manifest, compose file or the production stack's) that may configure a server. */
export function looksLikeHelmValues(root: YNode | null): root is YMap {
  return isMap(root) && get(root, 'kind') === undefined && get(root, 'services') === undefined;
}

/** The engine of the chart's image, written as Helm values write it: `image: {repository, tag}`. */
function imageOf(root: YMap): { engine: ServingEngine; repo: string; tag?: YScalar; key: YScalar } | undefined {
  const p = pairOf(root, 'image');
  if (!p || !isMap(p.value)) return undefined;
  const repo = str(get(p.value, 'repository'));
  if (!repo) return undefined;
  const e = imageEntrypoint(repo)?.engine ?? (/sglang/i.test(repo) ? 'sglang' : undefined);
  if (e !== 'vllm' && e !== 'tgi' && e !== 'sglang') return undefined;
  return { engine: e, repo, tag: getScalar(p.value, 'tag'), key: p.key };
}

/** The engine's version from an image tag written apart from its repository. */
function versionOfTag(b: SpecBuilder, engine: ServingEngine, repo: string, tag: YScalar | undefined, key: YScalar): void {
  if (!tag || tag.value === '') { b.inputs.engine = engineSpecOfImage(engine, repo).spec; return; }
  const found = engineSpecOfImage(engine, `${repo}:${tag.value}`);
  const inner = innerRange(b.text, tag);
  if (found.at) {
    const start = inner.start + found.at.offset - repo.length - 1;
    const range = { start, end: start + found.at.length };
    const exact = found.at.editable && b.text.slice(range.start, range.end) === tag.value.slice(found.at.offset - repo.length - 1, found.at.offset - repo.length - 1 + found.at.length);
    b.set('engine', found.spec, 'image tag', range, innerRange(b.text, key), exact ? [{ range, context: 'word', exact }] : undefined, exact ? { versionOnly: true } : {});
  } else b.set('engine', found.spec, 'image tag', inner, innerRange(b.text, key), undefined);
}

/**
 * Reads a values tree of a chart that runs vLLM, SGLang or TGI: the server's command line (`cli:`), the image
 * (`image.repository`), engine settings (`vllm: {tensorParallelSize, maxModelLen, ...}`), extra flags
 * (`extraArgs`, `extraCmdArgs`), the model (`model.repoId`, `LLM_MODEL_ID`, ...), GPUs (`resources`) and GPU type
 * (`nodeSelector`, `affinity`). Returns whether it found a server.
 */
export function readHelmValues(text: string, root: YMap, problems: FormatProblem[], out: DeploymentSpec[]): boolean {
  // Charts whose values have a shape of their own (llm-d's model service, KubeAI's models catalog).
  if (looksLikeLlmdValues(root)) return readLlmdValues(text, root, problems, out);
  if (looksLikeKubeaiCatalog(root)) return readKubeaiCatalog(text, root, problems, out);
  let inv: Invocation | undefined;
  let cliKey: YScalar | undefined;
  const imageMap = getMap(root, 'image');
  for (const m of [root, imageMap]) {
    for (const k of CLI_KEYS) {
      const p = pairOf(m, k);
      if (!p || !(isScalar(p.value) || isSeq(p.value))) continue;
      inv = findCommand(text, [p.value, m === imageMap ? get(m, 'args') : undefined], undefined, { imageDefault: false });
      if (inv && inv.engine !== 'vllm' && inv.engine !== 'sglang' && inv.engine !== 'tgi') inv = undefined;
      if (inv) { cliKey = p.key; break; }
    }
    if (inv) break;
  }
  const image = imageOf(root);
  let engineMap: { map: YMap; key: YScalar } | undefined;
  for (const [k, e] of Object.entries(ENGINE_MAPS)) {
    const p = pairOf(root, k);
    if (!p || !isMap(p.value)) continue;
    // A map of engine settings: at least one key the chart or the engine reads.
    const eng = e ?? inv?.engine ?? image?.engine ?? 'vllm';
    if (!p.value.pairs.some((x) => HELM_KEYS[x.key.value] || FLAGS[eng][normalizeFlag(x.key.value)])) continue;
    engineMap = { map: p.value, key: p.key };
    break;
  }
  const engine: ServingEngine | undefined = inv?.engine ?? image?.engine
    ?? (engineMap ? ENGINE_MAPS[engineMap.key.value] ?? undefined : undefined);
  if (!engine) return false;
  const b = new SpecBuilder(text, problems);
  if (image && image.engine === engine) {
    versionOfTag(b, engine, image.repo, image.tag, image.key);
  } else b.inputs.engine = engine;

  // The environment first: flags win over variables (upper-case keys that the chart passes to the container as the
  // engine's variables, OPEA: MAX_TOTAL_TOKENS; env lists and maps; vLLM's chart: image.env and configs).
  if (envTable(engine)) {
    for (const p of root.pairs) {
      if (!/^[A-Z][A-Z0-9_]*$/.test(p.key.value) || !isScalar(p.value) || p.value.value === '') continue;
      applyEnvEntry(b, engine, p.key.value, scalarRaw(p.value), innerRange(text, p.value), innerRange(text, p.key), [scalarTarget(text, p.value, true)]);
    }
    const envs = [...ENV_KEYS.map((k) => get(root, k)), get(imageMap, 'env')];
    if (isSeq(get(imageMap, 'command'))) envs.push(unskipped(text, get(root, 'configs')));
    for (const e of envs) valuesEnv(b, engine, e);
  }
  let parsed: ParsedArgs | undefined;
  if (inv) parsed = applyArgs(b, inv).parsed;
  if (engineMap) {
    for (const p of engineMap.map.pairs) {
      if (!isScalar(p.value) || p.value.value === '') continue;
      const target = (HELM_KEYS[p.key.value] as InputKey | undefined) ?? (FLAGS[engine][normalizeFlag(p.key.value)] as InputKey | 'model' | undefined);
      if (!target) continue;
      const range = innerRange(text, p.value);
      if (target === 'model') { if (!b.model) b.setModel(p.value.value, range); continue; }
      setValue(b, engine, target, scalarRaw(p.value), p.key.value, range, innerRange(text, p.key), [scalarTarget(text, p.value, false)]);
    }
  }
  for (const m of [root, engineMap?.map]) {
    for (const k of ARG_KEYS) {
      const seq = getSeq(m, k);
      if (!seq || !seq.items.length) continue;
      const words = wordsOfSeq(text, seq);
      applyArgs(b, { engine, all: words, args: words, positionalModel: false });
    }
  }
  if (!b.model) {
    for (const path of MODEL_PATHS) {
      const s = getScalar(root, ...path);
      if (s && s.value.trim() !== '') { b.setModel(s.value, innerRange(text, s)); break; }
    }
  }
  gpuFromResources(b, getMap(root, 'resources'));
  gpuFromSelector(b, root);
  gpuModels(b, root);
  multiNode(b, root);
  if (inv && parsed) flagInsertions(b, inv, parsed);

  const anchorKey = cliKey ?? engineMap?.key ?? image?.key;
  const anchor: SourceRange = anchorKey ? innerRange(text, anchorKey) : { start: root.start, end: root.start };
  b.span = { start: root.start, end: root.end };
  out.push(b.build('helm-values', engine, anchorKey ? `values · ${anchorKey.value}` : 'values', anchor));
  return true;
}

/**
 * A chart that spreads one server over several pods (`distributed.enabled: true`) runs tensor × pipeline parallel
 * GPUs in all: with fewer per pod, the deployment is that many pods of the pod's GPUs.
 */
function multiNode(b: SpecBuilder, root: YMap): void {
  const p = MULTI_NODE_KEYS.map((k) => pairOf(root, k)).find((x) => x && isMap(x.value));
  const enabled = p ? getScalar(p.value, 'enabled') : undefined;
  if (!p || !enabled || scalarRaw(enabled) !== true) return;
  const perPod = b.inputs.gpuCount;
  const world = (b.inputs.tensorParallel ?? 1) * (b.inputs.pipelineParallel ?? 1);
  const range = b.valueRanges.gpuCount;
  if (typeof perPod !== 'number' || !range || perPod <= 0 || world <= perPod || world % perPod !== 0) return;
  b.set('nodes', world / perPod, `${p.key.value}.enabled`, innerRange(b.text, enabled), innerRange(b.text, p.key), undefined);
  b.set('gpuCount', world, 'resources', range, b.keyRanges.gpuCount, undefined);
}

/**
 * A chart's environment for the container: a list of `{name, value}` (Kubernetes' form; `valueFrom` is not
 * followed) or a map of names to values. Each variable is read as the engine reads it (VLLM_USE_FLASHINFER_SAMPLER, ...).
 */
export function valuesEnv(b: SpecBuilder, engine: ServingEngine, env: YNode | null | undefined): void {
  const text = b.text;
  const one = (name: YScalar, value: YScalar): void => {
    if (value.value === '') return;
    applyEnvEntry(b, engine, name.value, scalarRaw(value), innerRange(text, value), innerRange(text, name), [scalarTarget(text, value, true)]);
  };
  if (isSeq(env)) {
    for (const it of env.items) {
      const n = getScalar(it, 'name');
      const v = getScalar(it, 'value');
      if (n && v) one(n, v);
    }
  } else if (isMap(env)) {
    for (const p of env.pairs) if (isScalar(p.value)) one(p.key, p.value);
  }
}

/**
 * A block map the fast parser skipped (keys no manifest reader needs, such as compose's `configs`), parsed on its own:
 * the text around it is blanked, so offsets hold.
 */
function unskipped(text: string, node: YNode | null | undefined): YNode | null | undefined {
  if (!isMap(node) || !node.skipped) return node;
  const blank = (s: string): string => s.replace(/[^\r\n]/g, ' ');
  const only = blank(text.slice(0, node.start)) + text.slice(node.start, node.end) + blank(text.slice(node.end));
  const root = parseYaml(only).docs[0]?.root;
  return isMap(root) ? root : undefined;
}

/** vLLM's chart: `gpuModels` lists the GPU products the pod may run on (the first is sized). */
function gpuModels(b: SpecBuilder, root: YMap): void {
  if (b.inputs.gpu !== undefined || b.valueRanges.gpu) return;
  const p = pairOf(root, 'gpuModels');
  const first = isSeq(p?.value) ? p!.value.items.find(isScalar) : undefined;
  if (!p || !first || first.value.trim() === '' || first.value === GPU_MODELS_PLACEHOLDER) return;
  b.set('gpu', first.value, 'gpuModels', innerRange(b.text, first), innerRange(b.text, p.key), [scalarTarget(b.text, first, true)]);
}
