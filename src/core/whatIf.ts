// What-if variants of a deployment: the engine run again with one thing changed, for the figures hovers and the
// panel show beside the deployment's own (the saving of grouped KV heads over full multi-head attention, decode at
// batch 1 and at full concurrency). Pure: each is computeBudget on changed inputs or a changed config, nothing else.
import { BudgetOptions, computeBudget } from './budget';
import type { BudgetInputs, BudgetReport, ModelFiles } from './types';

/** The report of the engine on these files and inputs, undefined when it does not size them. */
function sized(files: ModelFiles, inputs: BudgetInputs, options: BudgetOptions): BudgetReport | undefined {
  try {
    const r = computeBudget(files, inputs, options);
    return r.ok ? r.report : undefined;
  } catch {
    return undefined;
  }
}

/** The KV cache of a model with grouped (or latent) KV heads against the same model with full multi-head attention. */
export interface FullMhaComparison {
  /** KV bytes per token, all layers, as configured (the report's `model.kvBytesPerToken`). */
  kvBytesPerToken: number;
  /** KV bytes per token with one KV head per attention head. */
  fullMhaKvBytesPerToken: number;
  /** fullMhaKvBytesPerToken − kvBytesPerToken; 0 when grouping saves nothing here (full MHA already, an MLA cache). */
  savedBytesPerToken: number;
  /** fullMhaKvBytesPerToken / kvBytesPerToken: how many times smaller the configured cache is (1: no saving). */
  ratio: number;
  /** Tokens of KV cache per GPU with full MHA, and full-length requests they hold (the capacity side of the saving). */
  fullMhaKvCacheTokens: number;
  fullMhaMaxConcurrency: number;
  /** The full-MHA deployment as the engine sizes it. */
  fullMha: BudgetReport;
}

/**
 * The same model with full multi-head attention: `num_key_value_heads` (and its aliases `multi_query_group_num`,
 * `n_head_kv`; `multi_query` off) set to the attention heads in the config object at `level` (path segments from
 * the top: `[]`, or `['text_config']` for a model whose language model is nested), sized with the same inputs.
 *
 * Worked example, Llama-3.1-8B in bf16 (32 layers, 32 attention heads, 8 KV heads, head_dim 128): configured,
 * 2 (K and V) × 32 layers × 8 heads × 128 × 2 B = 131,072 B per token; with full MHA, 2 × 32 × 32 × 128 × 2 =
 * 524,288 B per token; saved 393,216 B per token, ratio 4.
 *
 * Undefined when the config has no attention head count at that level, or either side does not size.
 */
export function fullMhaComparison(files: ModelFiles, inputs: BudgetInputs, options: BudgetOptions = {}, level: readonly string[] = []): FullMhaComparison | undefined {
  if (!files.config || typeof files.config !== 'object') return undefined;
  const configured = sized(files, inputs, options);
  if (!configured) return undefined;
  const clone = structuredClone(files.config) as Record<string, unknown>;
  let holder: Record<string, unknown> = clone;
  for (const s of level) {
    const next = holder[s];
    if (!next || typeof next !== 'object') return undefined;
    holder = next as Record<string, unknown>;
  }
  const heads = holder.num_attention_heads ?? holder.n_head;
  if (typeof heads !== 'number') return undefined;
  for (const k of ['num_key_value_heads', 'multi_query_group_num', 'n_head_kv']) if (k in holder) holder[k] = heads;
  if (!('num_key_value_heads' in holder)) holder.num_key_value_heads = heads;
  if ('multi_query' in holder) holder.multi_query = false;
  const fullMha = sized({ ...files, config: clone }, inputs, options);
  if (!fullMha) return undefined;
  const kv = configured.model.kvBytesPerToken;
  const full = fullMha.model.kvBytesPerToken;
  return {
    kvBytesPerToken: kv,
    fullMhaKvBytesPerToken: full,
    savedBytesPerToken: Math.max(0, full - kv),
    ratio: kv > 0 ? full / kv : 1,
    fullMhaKvCacheTokens: fullMha.capacity.kvCacheTokens,
    fullMhaMaxConcurrency: fullMha.capacity.maxConcurrency,
    fullMha,
  };
}

/**
 * Decode of one request alone (batch 1) for a deployment whose report may be at another batch: the report's own
 * decode when it is at batch 1 already, else the engine run again with `batch: 1`.
 *
 * Worked example: a deployment sized at batch 32 reports decode at 32 requests; this gives the per-request speed of a
 * single request on the same GPUs (memory-bound: the weights read once per token for one request).
 */
export function batchOneDecode(files: ModelFiles | undefined, inputs: BudgetInputs, report: BudgetReport, options: BudgetOptions = {}): BudgetReport['decode'] | undefined {
  if (report.decode.batch === 1) return report.decode;
  if (!files) return undefined;
  return sized(files, { ...inputs, batch: 1 }, options)?.decode;
}

/**
 * The batch of full-length requests a deployment can decode at once: the requests of max_model_len the KV cache
 * holds, capped by max_num_seqs, at least 1. Worked example: a KV cache of 1,000,000 tokens at max_model_len 8,192
 * holds 122.07 requests; with max_num_seqs 256 the full batch is floor(122.07) = 122.
 */
export function fullConcurrencyBatch(report: BudgetReport): number {
  return Math.max(1, Math.floor(Math.min(report.capacity.maxConcurrency, report.settings.maxNumSeqs)));
}

/**
 * Decode with the deployment full: `fullConcurrencyBatch(report)` requests, each at max_model_len tokens of
 * context. Undefined when a full-length request does not fit (there is no full batch) or the engine does not size
 * the variant.
 */
export function fullConcurrencyDecode(files: ModelFiles | undefined, inputs: BudgetInputs, report: BudgetReport, options: BudgetOptions = {}): BudgetReport['decode'] | undefined {
  if (!files || !report.capacity.contextFits) return undefined;
  return sized(files, { ...inputs, batch: fullConcurrencyBatch(report), context: report.capacity.maxModelLen }, options)?.decode;
}
