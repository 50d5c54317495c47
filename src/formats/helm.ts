// Helm values of the vLLM production stack (servingEngineSpec.modelSpec[]).
import type { DeploymentSpec, FormatProblem, InputKey } from './types';
import {
  ACCELERATOR_RESOURCES, Invocation, SpecBuilder, applyArgs, eolOf, flagInsertions, indentOf, lineEnd, scalarRaw, scalarTarget, wordsOfSeq,
} from './common';
import { GPU_LABELS, selectorFromTerms } from './kubernetes';
import type { ParsedArgs } from './engines';
import { YMap, YNode, get, getMap, getScalar, getSeq, innerRange, isMap, pairOf, str } from './yaml';

/** vllmConfig keys of the chart (camelCase) to inputs. */
const HELM_KEYS: Record<string, InputKey> = {
  maxModelLen: 'maxModelLen', tensorParallelSize: 'tensorParallel', pipelineParallelSize: 'pipelineParallel',
  gpuMemoryUtilization: 'gpuMemoryUtilization', maxNumSeqs: 'maxNumSeqs', maxNumBatchedTokens: 'maxNumBatchedTokens',
  dtype: 'dtype', kvCacheDtype: 'kvCacheDtype', quantization: 'quantization', blockSize: 'blockSize',
};
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
