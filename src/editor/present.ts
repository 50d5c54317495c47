// Words and numbers for hovers and CodeLens, from the engine's report fields only (formatting, no arithmetic
// beyond unit conversion for display).
import { type AnalyzedItem, unreachable } from '../analysis/analyze';
import type { BudgetReport } from '../core/types';
import { engineDisplayName, engineLabel } from '../core/engine/engine';
import { bytes, fixed, formatInt, si, visibleControls } from '../core/units';

export { bytes };

/** 131072 → "131,072". */
export const int = formatInt;

/** Bytes, readable and exact: "128.00 KiB (131,072 B)". */
export function bytesExact(n: number): string {
  return n < 1024 ? `${int(n)} B` : `${bytes(n)} (${int(n)} B)`;
}

/** 8030261248 → "8.03 B"; parameters are counted in billions as model cards do. */
export function params(n: number): string {
  return si(n, '', 3).replace(/ G$/, ' B');
}

export function tokensPerSecond(n: number): string {
  return `${fixed(n)} tok/s`;
}

export function concurrency(n: number): string {
  return n >= 100 ? int(n) : fixed(n);
}

/** "1× NVIDIA H100 SXM 80GB", "8× …". */
export function hardware(r: BudgetReport): string {
  return `${r.hardware.count}× ${r.hardware.name}`;
}

export function parallelism(r: BudgetReport): string {
  const s = r.settings;
  const parts = [`TP ${s.tensorParallel}`];
  if (s.pipelineParallel > 1) parts.push(`PP ${s.pipelineParallel}`);
  return parts.join(' · ');
}

export const engineName = engineDisplayName;

/** "vLLM 0.19.0". */
export function engine(r: BudgetReport): string {
  return engineLabel(r.settings.engine, r.settings.engineVersion);
}

/**
 * Decode speed per request as people will see it, beside the memory-bandwidth ceiling:
 * "~38.2 tok/s expected (33.9–41.0) · ceiling 55.1 tok/s".
 */
export function decodeSpeed(d: BudgetReport['decode']): string {
  const e = d.expected;
  return `~${tokensPerSecond(e.tokensPerSecondPerRequest)} expected (${fixed(e.low)}–${fixed(e.high)}) · ceiling ${tokensPerSecond(d.tokensPerSecondPerRequest)}`;
}

/** The same for the whole batch: "~1,210 tok/s expected in total · ceiling 1,760 tok/s". */
export function decodeSpeedTotal(d: BudgetReport['decode']): string {
  return `~${tokensPerSecond(d.expected.tokensPerSecondTotal)} expected in total · ceiling ${tokensPerSecond(d.tokensPerSecondTotal)}`;
}

/**
 * "0.412 per million output tokens at batch 1 · 0.0213 at full concurrency (92 requests), 2 GPUs at 2.5 per
 * GPU-hour" — in whatever currency the price was given.
 */
export function cost(c: NonNullable<BudgetReport['cost']>): string {
  return `${fixed(c.perMillionOutputTokens)} per million output tokens · ${fixed(c.atFullConcurrency.perMillionOutputTokens)} at full concurrency (${int(c.atFullConcurrency.batch)} requests); ${int(c.gpus)} GPU${c.gpus === 1 ? '' : 's'} at ${fixed(c.pricePerGpuHour)} per GPU-hour`;
}

/**
 * Where batching stops being nearly free: "batch 439 (the KV cache holds 3,464 at this context)", or why it never
 * does: "no batch: each request's KV read outweighs its arithmetic".
 */
export function computeBoundFrom(r: BudgetReport): string {
  const b = r.decode.computeBoundFromBatch;
  if (b === undefined) return 'no batch: each request\'s KV read outweighs its arithmetic';
  const held = Math.floor(r.capacity.kvCacheTokens / Math.max(1, r.decode.context));
  return `batch ${int(b)}${held < b ? ` — beyond the ${int(held)} requests the KV cache holds at this context` : ''}`;
}

/**
 * "mtp × 1: 1.85 tokens per step at 0.85 acceptance (DeepSeek-V3 …) → ~161 tok/s expected · ceiling 1,036 tok/s;
 * drafter weights 1.36 GiB per GPU".
 */
export function speculative(s: NonNullable<BudgetReport['decode']['speculative']>): string {
  return `${s.method} × ${int(s.draftTokens)}: ${fixed(s.tokensPerStep)} tokens per step at ${fixed(s.acceptanceRate)} acceptance (${md(s.acceptanceSource)}) → ~${tokensPerSecond(s.expectedTokensPerSecondPerRequest)} expected per request · ceiling ${tokensPerSecond(s.tokensPerSecondPerRequest)}; drafter weights ${bytes(s.draftWeightBytes)} per GPU${s.draftKvBytesPerToken ? `, drafter KV ${bytes(s.draftKvBytesPerToken)} per token` : ''}`;
}

/** "~29.2 ms when the prefix is cached · ~70.0 ms on average at 50 % hits". */
export function cachedPrefix(c: NonNullable<BudgetReport['prefill']['expected']['cachedPrefix']>): string {
  return `~${duration(c.secondsOnHit)} when the prefix is cached · ~${duration(c.meanSeconds)} on average at ${fixed(c.hitRate * 100)} % hits`;
}

/** 0.0123 → "12.3 ms", 2.5 → "2.50 s". */
export function duration(seconds: number): string {
  return seconds < 1 ? `${fixed(seconds * 1000)} ms` : `${fixed(seconds)} s`;
}

/** "memory-bound" / "compute-bound". */
export function bound(b: BudgetReport['decode']['bound']): string {
  return `${b}-bound`;
}

/** Escapes Markdown specials in text that comes from documents (names, labels). */
export function md(text: string): string {
  // Control characters and line breaks first: a name must not start a new paragraph (where `[x](command:…)` or an
  // image would be read) nor carry escape sequences or bidirectional overrides.
  return visibleControls(text).replace(/[\\`*_{}[\]()#+\-.!|<>]/g, (c) => `\\${c}`);
}

/** Inline code for paths and URLs (backticks removed from the text). */
export function code(text: string): string {
  // A blank line would end the code span and let the rest render as markdown: line breaks are shown escaped.
  return `\`${visibleControls(text).replace(/`/g, '')}\``;
}

/**
 * The report's verdict (`report.verdict`, computed once by the engine) in a few words: `fits`, or what keeps the
 * deployment from starting — the first blocking finding, and how many more stand. Never "fits" beside an error.
 */
export function verdict(r: BudgetReport): string {
  if (r.verdict.fits) return 'fits';
  const [first, ...rest] = r.verdict.blocking;
  const words = first ? blockingWords(r, first) : !r.capacity.weightsFit ? 'weights do not fit' : `max_model_len ${int(r.capacity.maxModelLen)} does not fit`;
  return rest.length ? `${words} (+${rest.length} more)` : words;
}

/** The verdict with its icon, for CodeLens and hovers: "$(pass) fits" / "$(error) KV heads … (+1 more)". */
export function verdictWithIcon(r: BudgetReport, icon = '$(error)'): string {
  return r.verdict.fits ? '$(pass) fits' : `${icon} ${verdict(r)}`;
}

/** A sentence for hovers: "$(pass) **Fits.**" / "$(error) **Will not start**: <the first blocking finding> (and 1 more: …)". */
export function verdictSentence(r: BudgetReport): string {
  if (r.verdict.fits) return '$(pass) **Fits.**';
  const [first, ...rest] = r.verdict.blocking;
  const why = first ? first.message : verdict(r);
  return `$(error) **Will not start**: ${md(why)}${rest.length ? ` (and ${rest.length} more: ${rest.map((d) => d.code).join(', ')})` : ''}`;
}

/** Requests of the workload's context (the decode context) the KV cache holds: what max_num_seqs is judged at. */
export function requestsAtContext(r: BudgetReport): number {
  return Math.floor(r.capacity.kvCacheTokens / Math.max(1, r.decode.context));
}

/** A blocking finding in a few words (its message when no shorter form is known). */
function blockingWords(r: BudgetReport, d: BudgetReport['diagnostics'][number]): string {
  const s = r.settings;
  const c = r.capacity;
  switch (d.code) {
    case 'weights-do-not-fit': return `weights do not fit (${bytes(r.perGpu.weightBytes)} per GPU)`;
    case 'kv-does-not-fit':
    case 'context-does-not-fit': return `max_model_len ${int(c.maxModelLen)} does not fit (largest ${int(c.estimatedMaxModelLen)})`;
    case 'heads-not-divisible': return `attention heads not divisible by TP ${s.tensorParallel}`;
    case 'kv-heads-not-divisible': return `KV heads not divisible by TP ${s.tensorParallel}`;
    case 'parallel-exceeds-gpus': return `TP ${s.tensorParallel} × PP ${s.pipelineParallel} needs ${int(s.tensorParallel * s.pipelineParallel)} GPUs, ${int(r.hardware.count)} requested`;
    case 'max-model-len-above-max-position': return `max_model_len ${int(c.maxModelLen)} above the model's ${int(r.model.maxPositionEmbeddings ?? 0)}`;
    default: {
      const sentence = d.message.split(/(?<=[.;:])\s/)[0].replace(/[.;:]$/, '');
      return sentence.length > 80 ? `${sentence.slice(0, 79)}…` : sentence;
    }
  }
}

/**
 * The CodeLens title of a deployment (or of a model config's architectures line): "Llama-3.1-8B on 1× NVIDIA L4 ·
 * TP 1 · $(pass) fits · max concurrency 3.2 × 8,192 tokens · ~11.9 tok/s expected (ceiling 15.2 tok/s)".
 */
export function lensTitle(item: AnalyzedItem): string {
  switch (item.status) {
    case 'not-found': return `$(question) Inference Budget: model "${item.resolution.reference}" not found`;
    case 'not-sized': return `$(info) Inference Budget: not sized (${item.notSized.summary})`;
    case 'unsupported': return `$(info) Inference Budget: not sized (${item.reason})`;
    case 'sized': break;
    default: return unreachable(item);
  }
  const r = item.report;
  const c = r.capacity;
  const parts = [`${r.model.name} on ${hardware(r)}`, parallelism(r)];
  // The engine's one verdict; a bare config.json names no GPU, so not fitting the default one is information.
  parts.push(verdictWithIcon(r, item.spec ? '$(error)' : '$(info)'));
  if (r.verdict.fits) parts.push(`max concurrency ${concurrency(c.maxConcurrency)} × ${int(c.maxModelLen)} tokens`);
  if (c.weightsFit) {
    const batch = r.decode.batch > 1 ? ` × ${int(r.decode.batch)}` : '';
    parts.push(`~${tokensPerSecond(r.decode.expected.tokensPerSecondPerRequest)}${batch} expected (ceiling ${tokensPerSecond(r.decode.tokensPerSecondPerRequest)})`);
  }
  const title = parts.join(' · ');
  return item.spec && item.spec.engine !== r.settings.engine ? `${title} (sized with ${engineName(r.settings.engine)} rules)` : title;
}
