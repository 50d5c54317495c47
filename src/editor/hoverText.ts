// The hovers' text: Markdown built from a document's analysis and the engine's reports, no vscode import (unit
// tests call these directly). The provider (hover.ts) only finds what is under the cursor and wraps the string.
// Config keys are known here by subject (`kvHeads`, `maxPositionEmbeddings`, ...), never by name: the reader
// (src/formats/hfConfig.ts) says which subject a key is about. What-if figures (full MHA, batch 1, full
// concurrency, the newest engine release) are the engine's (src/core/whatIf.ts, upgradeImpact).
import { upgradeImpact } from '../core/budget';
import { findAccelerator } from '../core/hardware';
import type { BudgetReport } from '../core/types';
import { batchOneDecode, fullConcurrencyDecode, fullMhaComparison } from '../core/whatIf';
import type { DeploymentItem, DocumentAnalysis, FoundModel, MissingModel, ModelConfigAnalysis, SizedItem } from '../analysis/analyze';
import { analysisItems, contains, engineOptions, unreachable } from '../analysis/analyze';
import type { ConfigKeyAt } from '../formats/hfConfig';
import type { InputKey, SourceRange } from '../formats/types';
import { gpuHoverMarkdown } from './gpuHover';
import * as P from './present';

/** The command links a hover may hold, built by the caller (hover.ts: `hoverCommandLink`, which needs vscode). */
export interface HoverLinks {
  /** "Open Roofline Panel" for the item at this index of the analysis. */
  openRoofline(index: number): string;
  /** "Compare GPUs" for the item at this index. */
  compareGpus(index: number): string;
}

export interface HoverContext {
  links: HoverLinks;
  /** Where a failed engine comparison is reported (the hover is shown without it). */
  warn?(message: string): void;
}

// ---------------------------------------------------------------------------------------------------
// config.json

/** The hover of a config.json key (as `analysis.subjectAt(offset)` finds it); undefined when no figure is about it. */
export function configKeyHover(analysis: ModelConfigAnalysis, key: ConfigKeyAt, ctx: HoverContext): string | undefined {
  const item = analysis.item;
  switch (item.status) {
    case 'not-sized': return key.subject === 'model' ? `**Inference Budget**: not sized: ${P.md(item.notSized.reason)}` : undefined;
    case 'unsupported': return key.subject === 'model' ? `**Inference Budget**: this model is not sized: ${P.md(item.reason)}` : undefined;
    case 'sized': break;
    default: return unreachable(item);
  }
  const r = item.report;
  switch (key.subject) {
    case 'kvHeads': return kvHeadsHover(analysis, item, key.segments.slice(0, -1), r);
    case 'maxPositionEmbeddings': return maxPositionHover(r);
    case 'dtype':
    case 'quantization': return weightsHover(r);
    case 'layers': return `**${r.model.numLayers} layers** · KV cache per token (all layers, ${r.settings.kvCacheDtype}): ${P.bytesExact(r.model.kvBytesPerToken)}`;
    case 'model': return summaryCard(analysis, item, ctx);
    default: return undefined;
  }
}

/**
 * KV cache per token, and what grouped KV heads save over full multi-head attention in the config object at
 * `level` (the one holding the hovered key).
 */
function kvHeadsHover(analysis: DocumentAnalysis, item: SizedItem, level: readonly string[], r: BudgetReport): string {
  const lines = [`**KV cache per token**: ${P.bytesExact(r.model.kvBytesPerToken)} (${r.settings.kvCacheDtype}, ${r.model.numLayers} layers, whole model)`];
  const mha = fullMhaComparison(item.files, item.inputs, engineOptions(analysis.settings), level);
  if (mha && mha.savedBytesPerToken > 0) {
    lines.push(`With full multi-head attention (one KV head per attention head): ${P.bytesExact(mha.fullMhaKvBytesPerToken)} per token; grouped KV heads save ${P.int(mha.savedBytesPerToken)} B per token (${fixedRatio(mha.ratio)}× smaller).`);
  } else if (mha) {
    lines.push('The KV cache of this attention does not shrink with fewer KV heads here (full multi-head attention, or a latent/MLA cache).');
  }
  lines.push(`On ${P.md(P.hardware(r))} (${P.parallelism(r)}): ${P.bytesExact(r.perGpu.kvBytesPerToken)} per token per GPU.`);
  return lines.join('\n\n');
}

function maxPositionHover(r: BudgetReport): string {
  const c = r.capacity;
  const lines = [
    `**One request of ${P.int(c.maxModelLen)} tokens** needs ${P.bytesExact(c.kvBytesPerRequest)} of KV cache per GPU (${r.settings.kvCacheDtype}).`,
    `On ${P.md(P.hardware(r))} (${P.parallelism(r)}, gpu_memory_utilization ${r.settings.gpuMemoryUtilization}): KV cache ${P.bytes(r.perGpu.kvCacheBytes)} per GPU = ${P.int(c.kvCacheTokens)} tokens.`,
  ];
  if (!c.weightsFit) lines.push(`$(error) The weights alone do not fit (${P.bytes(r.perGpu.weightBytes)} per GPU).`);
  else if (!c.contextFits) lines.push(`$(error) Does not fit: the largest context that fits is ${P.int(c.estimatedMaxModelLen)} tokens.`);
  else if (r.verdict.fits) lines.push(`$(pass) Fits: ${P.concurrency(c.maxConcurrency)} concurrent full-length requests.`);
  else lines.push(`The KV cache holds ${P.concurrency(c.maxConcurrency)} concurrent full-length requests, but:`, P.verdictSentence(r));
  return lines.join('\n\n');
}

function weightsHover(r: BudgetReport): string {
  return [
    `**Weights**: ${P.bytesExact(r.model.weightBytes)} (${P.md(r.model.weightDtype)}) for ${P.params(r.model.parametersTotal)} parameters (${P.int(r.model.parametersTotal)}).`,
    `Per GPU on ${P.md(P.hardware(r))} (${P.parallelism(r)}): ${P.bytes(r.perGpu.weightBytes)}.`,
  ].join('\n\n');
}

/** The model card: sizes, capacity and speed on the target GPU, with a link to the roofline panel. */
export function summaryCard(analysis: DocumentAnalysis, item: SizedItem, ctx: HoverContext, extra: string[] = []): string {
  const r = item.report;
  const m = r.model;
  const c = r.capacity;
  const index = analysisItems(analysis).indexOf(item);
  const options = engineOptions(analysis.settings);
  const batch1 = batchOneDecode(item.files, item.inputs, r, options);
  const full = fullConcurrencyDecode(item.files, item.inputs, r, options);
  const rows: [string, string][] = [
    ['Verdict', P.verdictWithIcon(r, item.spec ? '$(error)' : '$(info)')],
    ['Parameters', `${P.params(m.parametersTotal)} total (${P.int(m.parametersTotal)}), ${P.params(m.parametersActive)} active per token (${P.int(m.parametersActive)}, embeddings excluded)`],
    ['Weights', `${P.bytes(m.weightBytes)} ${P.md(m.weightDtype)} · ${P.bytes(r.perGpu.weightBytes)} per GPU`],
    ['KV cache per token', `${P.bytesExact(m.kvBytesPerToken)} (${r.settings.kvCacheDtype})`],
    ['KV cache per GPU', `${P.bytes(r.perGpu.kvCacheBytes)} = ${P.int(c.kvCacheTokens)} tokens`],
    ['Largest context that fits', `${P.int(c.estimatedMaxModelLen)} tokens`],
    [`Concurrency at ${P.int(c.maxModelLen)} tokens`, c.contextFits ? `${P.concurrency(c.maxConcurrency)} requests` : 'does not fit'],
  ];
  if (c.weightsFit && r.decode.context !== c.maxModelLen) rows.push([`Requests held at ${P.int(r.decode.context)} tokens (the workload's context)`, P.int(P.requestsAtContext(r))]);
  if (batch1) rows.push(['Decode, batch 1', `${P.decodeSpeed(batch1)} (${P.bound(batch1.bound)})`]);
  if (full) rows.push([`Decode, ${P.int(full.batch)} full-length requests`, `${P.decodeSpeedTotal(full)} (${P.bound(full.bound)})`]);
  if (c.weightsFit) rows.push([`Compute-bound from, at ${P.int(r.decode.context)} tokens`, P.computeBoundFrom(r)]);
  if (r.decode.speculative) rows.push([`Speculative decoding, batch ${P.int(r.decode.batch)}`, P.speculative(r.decode.speculative)]);
  if (r.cost) rows.push([`Cost at batch ${P.int(r.decode.batch)}`, P.cost(r.cost)]);
  if (c.weightsFit) rows.push([`First token, ${P.int(r.prefill.promptTokens)}-token prompt`, `~${P.duration(r.prefill.expected.seconds)} expected · floor ${P.duration(r.prefill.seconds)} (${P.bound(r.prefill.bound)}) · ~${P.tokensPerSecond(r.prefill.expected.tokensPerSecond)} prompt, uncalibrated`]);
  const cached = r.prefill.expected.cachedPrefix;
  if (c.weightsFit && cached) rows.push([`First token, ${P.int(cached.tokens)} prefix tokens cached`, P.cachedPrefix(cached)]);
  const title = `**${P.md(m.name)}** · ${P.md(m.architecture)} on ${P.md(P.hardware(r))} · ${P.parallelism(r)} · ${P.md(P.engine(r))}`;
  if (!r.verdict.fits && item.spec) extra = [...extra, P.verdictSentence(r)];
  const table = ['| | |', '|---|---|', ...rows.map(([k, v]) => `| ${k} | ${v} |`)].join('\n');
  const links = `${ctx.links.openRoofline(index)} · ${ctx.links.compareGpus(index)}`;
  const notes = m.assumptions.length ? [`_Assumed_: ${m.assumptions.map(P.md).join('; ')}`] : [];
  return [title, ...extra, table, ...notes, links].join('\n\n');
}

// ---------------------------------------------------------------------------------------------------
// deployments

/** What a deployment hover is about: the model name, or one of its inputs. */
export type DeploymentSubject = InputKey | 'model';

/** The deployment and the subject under an offset, with the range the hover covers (key and value together). */
export function deploymentSubjectAt(analysis: DocumentAnalysis, offset: number): { item: DeploymentItem; subject: DeploymentSubject; range: SourceRange } | undefined {
  if (analysis.kind !== 'deployments') return undefined;
  for (const item of analysis.items) {
    const spec = item.spec;
    if (spec.model && contains(spec.model.range, offset)) return { item, subject: 'model', range: spec.model.range };
    for (const key of Object.keys({ ...spec.valueRanges, ...spec.keyRanges }) as InputKey[]) {
      const v = spec.valueRanges[key];
      const k = spec.keyRanges[key];
      if ((v && contains(v, offset)) || (k && contains(k, offset))) {
        const range = v && k ? { start: Math.min(v.start, k.start), end: Math.max(v.end, k.end) } : (v ?? k)!;
        return { item, subject: key, range };
      }
    }
  }
  return undefined;
}

/** The hover of a deployment's model name or one of its inputs; undefined when nothing is said about it. */
export function deploymentHover(analysis: DocumentAnalysis, item: DeploymentItem, subject: DeploymentSubject, ctx: HoverContext): string | undefined {
  return subject === 'model' ? modelHover(analysis, item, ctx) : inputHover(analysis, item, subject, ctx);
}

function modelHover(analysis: DocumentAnalysis, item: DeploymentItem, ctx: HoverContext): string {
  switch (item.status) {
    case 'not-found': return notFoundLine(item.resolution);
    case 'not-sized': {
      const res = item.resolution;
      if (!res) return `Not sized: ${P.md(item.notSized.reason)}`;
      if (!res.ok) return notFoundLine(res);
      return `${configLine(res)}\n\nNot sized: ${P.md(item.notSized.reason)}`;
    }
    case 'unsupported': return `${configLine(item.resolution)}\n\nNot sized: ${P.md(item.reason)}`;
    case 'sized': break;
    default: return unreachable(item);
  }
  const r = item.report;
  const extra = [configLine(item.resolution)];
  if (item.spec.engine !== r.settings.engine) {
    extra.push(`_Note_: a ${P.md(P.engineName(item.spec.engine))} deployment sized with ${P.md(P.engine(r))}'s rules; ${P.md(P.engineName(item.spec.engine))}'s own memory planning differs.`);
  }
  return summaryCard(analysis, item, ctx, extra);
}

function notFoundLine(res: MissingModel): string {
  return `**${P.md(res.reference)}**: not found. Tried: ${res.tried.map(P.md).join('; ')}.`;
}

/** Where the model's config was read from, and the alias that named it. */
function configLine(res: FoundModel): string {
  const alias = res.model.alias;
  // A path that leads out of the workspace (`../../..`, an absolute path) is read all the same, and said so.
  const outside = (res.model.source === 'document' || res.model.source === 'workspace') && /^(\/|~|[A-Za-z]:[\\/])/.test(res.model.location);
  return `_Config_: ${P.code(res.model.location)}${outside ? ' (outside the workspace folders)' : ''}${res.model.note ? ` — ${P.md(res.model.note)}` : ''}`
    + (alias ? `\n\nSized as ${P.md(alias.target)} (${P.md(alias.origin)}${/[*?]/.test(alias.pattern) ? `: ${P.md(alias.pattern)}` : ''})` : '');
}

function inputHover(analysis: DocumentAnalysis, item: DeploymentItem, key: InputKey, ctx: HoverContext): string | undefined {
  if (item.status !== 'sized') {
    // The GPU without a model (unknown, not named, not sized): what the GPU is to the engine.
    if (key === 'gpu' || key === 'gpuCount') {
      const gpu = gpuWithoutModel(analysis, item);
      if (gpu) return gpu;
    }
    return whyNotSized(item);
  }
  const r = item.report;
  const c = r.capacity;
  const g = r.perGpu;
  switch (key) {
    case 'maxModelLen':
      return [
        `**max_model_len ${P.int(r.settings.maxModelLen)}**: one full-length request needs ${P.bytesExact(c.kvBytesPerRequest)} of KV cache per GPU.`,
        `KV cache: ${P.bytes(g.kvCacheBytes)} per GPU = ${P.int(c.kvCacheTokens)} tokens → ${c.contextFits ? `${P.concurrency(c.maxConcurrency)} concurrent full-length requests` : '**does not fit**'}.`,
        `Largest max_model_len that fits: ${P.int(c.estimatedMaxModelLen)} tokens${r.model.maxPositionEmbeddings ? ` (model maximum ${P.int(r.model.maxPositionEmbeddings)})` : ''}.`,
      ].join('\n\n');
    case 'tensorParallel':
    case 'pipelineParallel':
      return [
        `**${P.parallelism(r)}** on ${P.md(P.hardware(r))}: weights ${P.bytes(g.weightBytes)} per GPU (of ${P.bytes(r.model.weightBytes)}).`,
        `KV cache per token per GPU: ${P.bytesExact(g.kvBytesPerToken)}; KV cache ${P.bytes(g.kvCacheBytes)} per GPU = ${P.int(c.kvCacheTokens)} tokens.`,
        `Decode at batch ${P.int(r.decode.batch)}, per request: ${P.decodeSpeed(r.decode)} (${P.bound(r.decode.bound)}).`,
        P.verdictSentence(r),
      ].join('\n\n');
    case 'gpuMemoryUtilization':
      return [
        `**gpu_memory_utilization ${r.settings.gpuMemoryUtilization}**: ${P.bytes(g.requestedMemoryBytes)} of ${P.bytes(g.totalMemoryBytes)} per GPU.`,
        `| | per GPU |\n|---|---|\n| Weights | ${P.bytes(g.weightBytes)} |\n| Activation peak | ${P.bytes(g.activationPeakBytes)} |\n| Non-torch | ${P.bytes(g.nonTorchBytes)} |\n| CUDA graphs | ${P.bytes(g.cudaGraphBytes)}${g.cudaGraphSubtracted ? '' : ' (not subtracted)'} |\n| **KV cache** | **${P.bytes(g.kvCacheBytes)}** = ${P.int(c.kvCacheTokens)} tokens |`,
      ].join('\n\n');
    case 'kvCacheDtype':
      return [
        `**KV cache ${r.settings.kvCacheDtype}**: ${P.bytesExact(r.model.kvBytesPerToken)} per token (whole model), ${P.bytesExact(g.kvBytesPerToken)} per GPU.`,
        `${P.int(c.kvCacheTokens)} tokens in ${P.bytes(g.kvCacheBytes)} per GPU; ${c.contextFits ? `${P.concurrency(c.maxConcurrency)} concurrent requests of ${P.int(c.maxModelLen)} tokens` : `largest context that fits: ${P.int(c.estimatedMaxModelLen)} tokens`}.`,
      ].join('\n\n');
    case 'maxNumSeqs':
      return [
        `**max_num_seqs ${P.int(r.settings.maxNumSeqs)}**: the KV cache holds ${P.int(c.kvCacheTokens)} tokens = ${P.int(P.requestsAtContext(r))} requests of ${P.int(r.decode.context)} tokens (the workload's context), ${P.concurrency(c.maxConcurrency)} of ${P.int(c.maxModelLen)} tokens (full length).`,
        `Decode at batch ${P.int(r.decode.batch)}: ${P.decodeSpeedTotal(r.decode)} (${P.bound(r.decode.bound)}).`,
      ].join('\n\n');
    case 'maxNumBatchedTokens':
      return `**max_num_batched_tokens ${P.int(r.settings.maxNumBatchedTokens)}**: activation peak ${P.bytes(g.activationPeakBytes)} per GPU.`;
    case 'gpu':
    case 'gpuCount':
      return [
        `**${P.md(P.hardware(r))}**: ${r.hardware.visibleMemoryGiB} GiB visible per GPU, ${P.int(r.hardware.memoryBandwidthBytesPerSecond / 1e9)} GB/s.`,
        `Weights ${P.bytes(g.weightBytes)} + KV cache ${P.bytes(g.kvCacheBytes)} per GPU (${P.parallelism(r)}); ${P.verdictWithIcon(r)}.`,
        `Decode at batch ${P.int(r.decode.batch)}, per request: ${P.decodeSpeed(r.decode)} (${P.bound(r.decode.bound)}). ${ctx.links.compareGpus(analysisItems(analysis).indexOf(item))}`,
      ].join('\n\n');
    case 'quantization':
    case 'dtype':
      return weightsHover(r);
    case 'engine':
      return engineHover(analysis, item, r, ctx);
    default:
      return undefined;
  }
}

/** Why a deployment is not sized, in one sentence for a hover. */
function whyNotSized(item: Exclude<DeploymentItem, SizedItem>): string {
  if (item.resolution && !item.resolution.ok) return `Not sized: model "${P.md(item.resolution.reference)}" was not found.`;
  return `Not sized: ${P.md(item.status === 'unsupported' ? item.reason : item.notSized.reason)}`;
}

/** The GPU hover of a deployment that is not sized: the accelerator's own figures, and why there are no others. */
function gpuWithoutModel(analysis: DocumentAnalysis, item: Exclude<DeploymentItem, SizedItem>): string | undefined {
  const name = item.inputs.gpu;
  if (!name) return undefined;
  const found = findAccelerator(name, analysis.settings.customGpus.length ? analysis.settings.customGpus : undefined);
  if (!found.ok) return undefined;
  const count = item.inputs.gpuCount ?? found.impliedGpuCount ?? 1;
  const why = item.resolution && !item.resolution.ok ? `Not sized: model "${P.md(item.resolution.reference)}" was not found; these are the GPU's own figures.`
    : whyNotSized(item);
  return gpuHoverMarkdown(found.accelerator, count, why);
}

/** The engine line: what this release reserves, and what the newest emulated release would hold instead. */
function engineHover(analysis: DocumentAnalysis, item: SizedItem, r: BudgetReport, ctx: HoverContext): string {
  const g = r.perGpu;
  const lines = [`**${P.md(P.engine(r))}**: block size ${r.settings.blockSize}, CUDA graphs ${P.bytes(g.cudaGraphBytes)} per GPU${g.cudaGraphSubtracted ? ' (subtracted before sizing the KV cache)' : ''}; KV cache ${P.int(r.capacity.kvCacheTokens)} tokens.`];
  try {
    const next = upgradeImpact(item.files, item.inputs, engineOptions(analysis.settings));
    if (next) {
      const pct = `${next.change >= 0 ? '+' : ''}${(next.change * 100).toFixed(1)} %`;
      lines.push(`On ${P.md(P.engineName(next.engine))} ${next.version}: ${P.int(next.kvCacheTokens)} tokens of KV cache (${pct})${next.fits ? '' : ', and max_model_len would not fit'}.`);
    }
  } catch (e) {
    ctx.warn?.(`upgrade comparison failed: ${(e as Error).message}`);
  }
  return lines.join('\n\n');
}

/** 4 → "4", 2.6667 → "2.67". */
function fixedRatio(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toFixed(2);
}
