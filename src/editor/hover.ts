// Hovers with numbers: on config.json keys (num_key_value_heads, max_position_embeddings, architectures,
// model_type, torch_dtype) and on deployment values (--max-model-len, --tensor-parallel-size, GPU limit, ...).
// Every number comes from a report of the engine.
import * as vscode from 'vscode';
import { computeBudget, upgradeImpact } from '../core/budget';
import type { BudgetInputs, BudgetReport, BudgetResult, ModelFiles } from '../core/types';
import type { InputKey, SourceRange } from '../formats/types';
import { AnalyzedItem, Analyzer, contains, DocumentAnalysis, engineOptions, toRange } from './analysis';
import { guarded, Logger } from './log';
import * as P from './present';
import { findAccelerator } from '../core/hardware';
import { gpuHoverMarkdown } from './gpuHover';
import { COMMAND, HOVER_COMMAND_IDS, hoverCommandLink } from './commandTable';

/** The commands a hover may run (its links are built by hoverCommandLink). */
export const HOVER_COMMANDS: string[] = [...HOVER_COMMAND_IDS];

export class BudgetHoverProvider implements vscode.HoverProvider {
  constructor(private readonly analyzer: Analyzer, private readonly log: Logger) {}

  provideHover(document: vscode.TextDocument, position: vscode.Position, token: vscode.CancellationToken): Promise<vscode.Hover | undefined> {
    return guarded(this.log, 'hover', undefined, async () => {
      const analysis = await this.analyzer.analyze(document);
      if (!analysis || token.isCancellationRequested || analysis.version !== document.version) return undefined;
      const offset = document.offsetAt(position);
      const found = analysis.modelConfig ? this.configHover(analysis, offset) : this.deploymentHover(analysis, offset);
      if (!found) return undefined;
      const markdown = new vscode.MarkdownString(found.markdown);
      markdown.isTrusted = { enabledCommands: HOVER_COMMANDS };
      markdown.supportThemeIcons = true;
      return new vscode.Hover(markdown, toRange(document, found.range));
    });
  }

  /** Runs the engine again with some inputs changed (batch 1, full concurrency, ...). */
  private variant(analysis: DocumentAnalysis, files: ModelFiles, inputs: BudgetInputs): BudgetReport | undefined {
    try {
      const r: BudgetResult = computeBudget(files, inputs, engineOptions(analysis.settings));
      return r.ok ? r.report : undefined;
    } catch (e) {
      this.log.warn(`engine variant failed: ${(e as Error).message}`);
      return undefined;
    }
  }

  // ---------------------------------------------------------------------------------------------------
  // config.json

  private configHover(analysis: DocumentAnalysis, offset: number): { range: SourceRange; markdown: string } | undefined {
    const cfg = analysis.modelConfig!;
    const item = analysis.items[0];
    if (!item) return undefined;
    let hit: { path: string; key: SourceRange; value: SourceRange; segments: readonly string[] } | undefined;
    for (const [path, r] of cfg.keyRanges) {
      if (contains(r.key, offset) || contains(r.value, offset)) {
        // The innermost (longest path) wins: text_config.num_key_value_heads over text_config.
        if (!hit || path.length > hit.path.length) hit = { path, ...r };
      }
    }
    if (!hit) return undefined;
    const name = hit.segments[hit.segments.length - 1];
    const range = { start: hit.key.start, end: Math.max(hit.key.end, hit.value.end) };
    const result = item.result;
    if (!result) {
      if (item.notSized && (['architectures', 'model_type'].includes(name) || /^architectures\.\d+$/.test(hit.path))) {
        return { range, markdown: `**Inference Budget**: not sized: ${P.md(item.notSized.reason)}` };
      }
      return undefined;
    }
    if (!result.ok) {
      if (['architectures', 'model_type'].includes(name) || /^architectures\.\d+$/.test(hit.path)) {
        return { range, markdown: `**Inference Budget**: this model is not sized: ${P.md(result.unsupported)}` };
      }
      return undefined;
    }
    const r = result.report;
    switch (name) {
      case 'num_key_value_heads':
      case 'num_attention_heads':
      case 'multi_query_group_num':
      case 'n_head_kv':
        return { range, markdown: this.kvHeadsHover(analysis, item, hit.path, r) };
      case 'max_position_embeddings':
      case 'max_sequence_length':
      case 'seq_length':
      case 'n_positions':
        return { range, markdown: this.maxPositionHover(r) };
      case 'torch_dtype':
      case 'dtype':
      case 'quantization_config':
      case 'quant_method':
        return { range, markdown: this.weightsHover(r) };
      case 'num_hidden_layers':
      case 'n_layer':
        return { range, markdown: `**${r.model.numLayers} layers** · KV cache per token (all layers, ${r.settings.kvCacheDtype}): ${P.bytesExact(r.model.kvBytesPerToken)}` };
      default:
        if (name === 'architectures' || name === 'model_type' || /^architectures\.\d+$/.test(hit.path) || name === '_name_or_path') {
          return { range, markdown: this.summaryCard(analysis, item, r) };
        }
        return undefined;
    }
  }

  private kvHeadsHover(analysis: DocumentAnalysis, item: AnalyzedItem, path: string, r: BudgetReport): string {
    const lines = [`**KV cache per token**: ${P.bytesExact(r.model.kvBytesPerToken)} (${r.settings.kvCacheDtype}, ${r.model.numLayers} layers, whole model)`];
    const mha = this.fullMhaReport(analysis, item, path);
    if (mha && mha.model.kvBytesPerToken > r.model.kvBytesPerToken) {
      lines.push(`With full multi-head attention (one KV head per attention head): ${P.bytesExact(mha.model.kvBytesPerToken)} per token; grouped KV heads save ${P.int(mha.model.kvBytesPerToken - r.model.kvBytesPerToken)} B per token (${fixedRatio(mha.model.kvBytesPerToken, r.model.kvBytesPerToken)}× smaller).`);
    } else if (mha) {
      lines.push('The KV cache of this attention does not shrink with fewer KV heads here (full multi-head attention, or a latent/MLA cache).');
    }
    lines.push(`On ${P.md(P.hardware(r))} (${P.parallelism(r)}): ${P.bytesExact(r.perGpu.kvBytesPerToken)} per token per GPU.`);
    return lines.join('\n\n');
  }

  /** The same model with num_key_value_heads = num_attention_heads at the same level of the config. */
  private fullMhaReport(analysis: DocumentAnalysis, item: AnalyzedItem, path: string): BudgetReport | undefined {
    const files = item.files;
    if (!files || !files.config || typeof files.config !== 'object') return undefined;
    const segments = path.split('.');
    const clone = structuredClone(files.config) as Record<string, unknown>;
    let holder: Record<string, unknown> = clone;
    for (const s of segments.slice(0, -1)) {
      const next = holder[s];
      if (!next || typeof next !== 'object') return undefined;
      holder = next as Record<string, unknown>;
    }
    const heads = holder.num_attention_heads ?? holder.n_head;
    if (typeof heads !== 'number') return undefined;
    for (const k of ['num_key_value_heads', 'multi_query_group_num', 'n_head_kv']) if (k in holder) holder[k] = heads;
    if (!('num_key_value_heads' in holder)) holder.num_key_value_heads = heads;
    if ('multi_query' in holder) holder.multi_query = false;
    return this.variant(analysis, { ...files, config: clone }, item.inputs);
  }

  private maxPositionHover(r: BudgetReport): string {
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

  private weightsHover(r: BudgetReport): string {
    return [
      `**Weights**: ${P.bytesExact(r.model.weightBytes)} (${P.md(r.model.weightDtype)}) for ${P.params(r.model.parametersTotal)} parameters (${P.int(r.model.parametersTotal)}).`,
      `Per GPU on ${P.md(P.hardware(r))} (${P.parallelism(r)}): ${P.bytes(r.perGpu.weightBytes)}.`,
    ].join('\n\n');
  }

  /** The model card: sizes, capacity and speed on the target GPU, with a link to the roofline panel. */
  private summaryCard(analysis: DocumentAnalysis, item: AnalyzedItem, r: BudgetReport, extra: string[] = []): string {
    const m = r.model;
    const c = r.capacity;
    const index = analysis.items.indexOf(item);
    const batch1 = item.files ? (r.decode.batch === 1 ? r : this.variant(analysis, item.files, { ...item.inputs, batch: 1 })) : undefined;
    const fullBatch = Math.max(1, Math.floor(Math.min(c.maxConcurrency, r.settings.maxNumSeqs)));
    const full = item.files && c.contextFits
      ? this.variant(analysis, item.files, { ...item.inputs, batch: fullBatch, context: c.maxModelLen })
      : undefined;
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
    if (batch1) rows.push(['Decode, batch 1', `${P.decodeSpeed(batch1.decode)} (${P.bound(batch1.decode.bound)})`]);
    if (full) rows.push([`Decode, ${P.int(full.decode.batch)} full-length requests`, `${P.decodeSpeedTotal(full.decode)} (${P.bound(full.decode.bound)})`]);
    if (c.weightsFit) rows.push([`Compute-bound from, at ${P.int(r.decode.context)} tokens`, P.computeBoundFrom(r)]);
    if (r.decode.speculative) rows.push([`Speculative decoding, batch ${P.int(r.decode.batch)}`, P.speculative(r.decode.speculative)]);
    if (r.cost) rows.push([`Cost at batch ${P.int(r.decode.batch)}`, P.cost(r.cost)]);
    if (c.weightsFit) rows.push([`First token, ${P.int(r.prefill.promptTokens)}-token prompt`, `~${P.duration(r.prefill.expected.seconds)} expected · floor ${P.duration(r.prefill.seconds)} (${P.bound(r.prefill.bound)})`]);
    const cached = r.prefill.expected.cachedPrefix;
    if (c.weightsFit && cached) rows.push([`First token, ${P.int(cached.tokens)} prefix tokens cached`, P.cachedPrefix(cached)]);
    const title = `**${P.md(m.name)}** · ${P.md(m.architecture)} on ${P.md(P.hardware(r))} · ${P.parallelism(r)} · ${P.md(P.engine(r))}`;
    if (!r.verdict.fits && item.spec) extra = [...extra, P.verdictSentence(r)];
    const table = ['| | |', '|---|---|', ...rows.map(([k, v]) => `| ${k} | ${v} |`)].join('\n');
    const links = `${hoverCommandLink(COMMAND.openRoofline, '$(graph-line) Open Roofline Panel', [analysis.uri, index], 'Open the roofline panel')} · ${hoverCommandLink(COMMAND.compareGpus, 'Compare GPUs', [analysis.uri, index])}`;
    const notes = m.assumptions.length ? [`_Assumed_: ${m.assumptions.map(P.md).join('; ')}`] : [];
    return [title, ...extra, table, ...notes, links].join('\n\n');
  }

  // ---------------------------------------------------------------------------------------------------
  // deployments

  private deploymentHover(analysis: DocumentAnalysis, offset: number): { range: SourceRange; markdown: string } | undefined {
    for (const item of analysis.items) {
      const spec = item.spec;
      if (!spec) continue;
      if (spec.model && contains(spec.model.range, offset)) {
        return { range: spec.model.range, markdown: this.modelHover(analysis, item) };
      }
      for (const key of Object.keys({ ...spec.valueRanges, ...spec.keyRanges }) as InputKey[]) {
        const v = spec.valueRanges[key];
        const k = spec.keyRanges[key];
        if ((v && contains(v, offset)) || (k && contains(k, offset))) {
          const range = v && k ? { start: Math.min(v.start, k.start), end: Math.max(v.end, k.end) } : (v ?? k)!;
          const markdown = this.inputHover(analysis, item, key);
          return markdown ? { range, markdown } : undefined;
        }
      }
    }
    return undefined;
  }

  private modelHover(analysis: DocumentAnalysis, item: AnalyzedItem): string {
    const res = item.resolution;
    if (!res) return item.notSized ? `Not sized: ${P.md(item.notSized.reason)}` : '';
    if (!res.ok) return `**${P.md(res.reference)}**: not found. Tried: ${res.tried.map(P.md).join('; ')}.`;
    const alias = res.model.alias;
    const from = `_Config_: ${P.code(res.model.location)}${res.model.note ? ` — ${P.md(res.model.note)}` : ''}`
      + (alias ? `\n\nSized as ${P.md(alias.target)} (${P.md(alias.origin)}${/[*?]/.test(alias.pattern) ? `: ${P.md(alias.pattern)}` : ''})` : '');
    if (!item.result) return item.notSized ? `${from}\n\nNot sized: ${P.md(item.notSized.reason)}` : from;
    if (!item.result.ok) return `${from}\n\nNot sized: ${P.md(item.result.unsupported)}`;
    const r = item.result.report;
    const extra = [from];
    if (item.spec && item.spec.engine !== r.settings.engine) {
      extra.push(`_Note_: a ${P.md(P.engineName(item.spec.engine))} deployment sized with ${P.md(P.engine(r))}'s rules; ${P.md(P.engineName(item.spec.engine))}'s own memory planning differs.`);
    }
    return this.summaryCard(analysis, item, r, extra);
  }

  private inputHover(analysis: DocumentAnalysis, item: AnalyzedItem, key: InputKey): string | undefined {
    // The GPU without a model (unknown, not named, not sized): what the GPU is to the engine.
    if ((key === 'gpu' || key === 'gpuCount') && (!item.result || !item.result.ok)) {
      const gpu = this.gpuWithoutModel(analysis, item);
      if (gpu) return gpu;
    }
    if (!item.result) {
      if (item.resolution && !item.resolution.ok) return `Not sized: model "${P.md(item.resolution.reference)}" was not found.`;
      return item.notSized ? `Not sized: ${P.md(item.notSized.reason)}` : undefined;
    }
    if (!item.result.ok) return `Not sized: ${P.md(item.result.unsupported)}`;
    const r = item.result.report;
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
          `Decode at batch ${P.int(r.decode.batch)}, per request: ${P.decodeSpeed(r.decode)} (${P.bound(r.decode.bound)}). ${hoverCommandLink(COMMAND.compareGpus, 'Compare GPUs', [analysis.uri, analysis.items.indexOf(item)])}`,
        ].join('\n\n');
      case 'quantization':
      case 'dtype':
        return this.weightsHover(r);
      case 'engine':
        return this.engineHover(analysis, item, r);
      default:
        return undefined;
    }
  }

  /** The GPU hover of a deployment that is not sized: the accelerator's own figures, and why there are no others. */
  private gpuWithoutModel(analysis: DocumentAnalysis, item: AnalyzedItem): string | undefined {
    const name = item.inputs.gpu;
    if (!name) return undefined;
    const found = findAccelerator(name, analysis.settings.customGpus.length ? analysis.settings.customGpus : undefined);
    if (!found.ok) return undefined;
    const count = item.inputs.gpuCount ?? found.impliedGpuCount ?? 1;
    const why = item.resolution && !item.resolution.ok ? `Not sized: model "${P.md(item.resolution.reference)}" was not found; these are the GPU's own figures.`
      : item.notSized ? `Not sized: ${P.md(item.notSized.reason)}`
        : item.result && !item.result.ok ? `Not sized: ${P.md(item.result.unsupported)}` : undefined;
    return gpuHoverMarkdown(found.accelerator, count, why);
  }

  /** The engine line: what this release reserves, and what the newest emulated release would hold instead. */
  private engineHover(analysis: DocumentAnalysis, item: AnalyzedItem, r: BudgetReport): string {
    const g = r.perGpu;
    const lines = [`**${P.md(P.engine(r))}**: block size ${r.settings.blockSize}, CUDA graphs ${P.bytes(g.cudaGraphBytes)} per GPU${g.cudaGraphSubtracted ? ' (subtracted before sizing the KV cache)' : ''}; KV cache ${P.int(r.capacity.kvCacheTokens)} tokens.`];
    if (item.files) {
      try {
        const next = upgradeImpact(item.files, item.inputs, engineOptions(analysis.settings));
        if (next) {
          const pct = `${next.change >= 0 ? '+' : ''}${(next.change * 100).toFixed(1)} %`;
          lines.push(`On ${P.md(P.engineName(next.engine))} ${next.version}: ${P.int(next.kvCacheTokens)} tokens of KV cache (${pct})${next.fits ? '' : ', and max_model_len would not fit'}.`);
        }
      } catch (e) {
        this.log.warn(`upgrade comparison failed: ${(e as Error).message}`);
      }
    }
    return lines.join('\n\n');
  }
}

function fixedRatio(a: number, b: number): string {
  const x = a / b;
  return Number.isInteger(x) ? String(x) : x.toFixed(2);
}
