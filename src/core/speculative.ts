// Speculative decoding: a cheap drafter proposes k tokens, the model verifies them in one step and keeps the
// accepted run plus one token of its own. The step reads the weights once for k + 1 tokens per sequence, which is
// why it lifts a memory-bound ceiling; the drafter's own reads and the verification's extra arithmetic are its price.
//
// Drafters, as vLLM (`--speculative-config {"method": …, "num_speculative_tokens": k}`) and SGLang
// (`--speculative-algorithm`, `--speculative-num-steps`) name them:
// - `mtp`: the checkpoint's own multi-token-prediction layer(s) (DeepSeek-V3/R1, GLM-4.5+, Qwen3-Next, MiMo);
// - `eagle` / `eagle3`: a separately trained one-layer head on the model's hidden states;
// - `ngram`: prompt lookup, no weights;
// - `draft`: a smaller model of the same tokenizer (sized from its config when the caller resolves it).

import type { BudgetDiagnostic } from './types';
import { LayerDescription, LayerKind, ModelDescription, layerKinds } from './model';
import { distinctExpertsTouched } from './throughput';
import { RankWeightTable, WeightPlan, rankWeightTable, weightBytesPerRank } from './weights';
import { cacheSpecOf } from './cacheSpec';
import type { VllmProfile, VllmSettings } from './engine/vllm';

export const SPECULATIVE_METHODS = ['mtp', 'eagle', 'eagle3', 'ngram', 'draft'] as const;
export type SpeculativeMethod = (typeof SPECULATIVE_METHODS)[number];

/** Acceptance rates with a published source; other drafters depend on the workload and need `acceptanceRate`. */
export const PUBLISHED_ACCEPTANCE: Readonly<Partial<Record<SpeculativeMethod, { rate: number; source: string }>>> = {
  mtp: {
    rate: 0.85,
    source: 'DeepSeek-V3 Technical Report (arXiv:2412.19437), §5.4.3: the second token predicted by MTP is accepted 85–90 % of the time',
  },
};

/** `"eagle-3"`, `"EAGLE3"`, `"deepseek_mtp"`, `"draft_model"` → the drafter kind; undefined when unknown. */
export function speculativeMethodOf(name: string | undefined): SpeculativeMethod | undefined {
  const n = (name ?? '').trim().toLowerCase().replace(/[-_\s]/g, '');
  if (!n) return undefined;
  if (n.includes('mtp') || n === 'nextn') return 'mtp';
  if (n === 'eagle3') return 'eagle3';
  if (n.startsWith('eagle')) return 'eagle';
  if (n === 'ngram' || n === 'promptlookup') return 'ngram';
  if (n === 'draft' || n === 'draftmodel' || n === 'standalone') return 'draft';
  return undefined;
}

/**
 * The drafter a `--speculative-config` `"model"` implies when no `"method"` is given, as `SpeculativeConfig.__post_init__`
 * (vllm/config/speculative.py, 0.10–0.34) detects it: `ngram`/`[ngram]`, `eagle-` or `eagle3` in the name, an MTP
 * checkpoint by its `model_type` (`deepseek_mtp`, `*_mtp`), otherwise a draft model.
 */
export function drafterOfModelName(model: string, draftConfig?: unknown): SpeculativeMethod {
  const name = model.trim().toLowerCase();
  if (name === 'ngram' || name === '[ngram]') return 'ngram';
  if (name.includes('eagle-')) return 'eagle';
  if (name.includes('eagle3')) return 'eagle3';
  const type = draftConfig && typeof draftConfig === 'object' ? (draftConfig as Record<string, unknown>).model_type : undefined;
  if (typeof type === 'string' && /mtp$/i.test(type)) return 'mtp';
  return 'draft';
}

/** A drafter's own config: speculators-format heads (`Eagle3Speculator`) keep the layer's in `transformer_layer_config`. */
export function draftConfigOf(config: unknown): unknown {
  const inner = config && typeof config === 'object' ? (config as Record<string, unknown>).transformer_layer_config : undefined;
  return inner && typeof inner === 'object' ? inner : config;
}

/** The model's last layer with a token cache of its own (what an MTP layer repeats, and an EAGLE head resembles). */
function lastCachedLayer(model: ModelDescription, full: boolean): LayerDescription | undefined {
  for (let i = model.layers.length - 1; i >= 0; i--) {
    const l = model.layers[i];
    const a = l.attention;
    if (!a || l.crossAttention || a.kvSharedWith !== undefined || a.compressRatio === 0) continue;
    if (full && (a.type === 'sliding' || a.type === 'chunked')) continue;
    return l;
  }
  return undefined;
}

export interface DraftKvLayers {
  /** Layers whose KV cache the drafter adds, by kind. */
  layers: LayerKind[];
  /** How their shapes were found, for the finding. */
  basis: 'mtp' | 'draft-config' | 'assumed';
}

/**
 * The layers with a KV cache a drafter adds; vLLM gives each attention layer of the drafter its own KV spec in the
 * target's KV cache groups (see `VllmSpeculation.kvLayers`). Undefined when they cannot be known (a draft model
 * without its config).
 * - `mtp`: the checkpoint's `num_nextn_predict_layers` MTP layers, each a decoder layer built from the model's own
 *   config (DeepSeekMTP, Glm4MoeMTP, Qwen3NextMTP): shaped like its last attention layer.
 * - `eagle`/`eagle3`: the head's layers from its config; without it, one full-attention layer shaped like the
 *   model's last one (EAGLE heads are one decoder layer of the target's width, `num_hidden_layers` 1).
 * - `draft`: every layer of the draft model (its config is needed). `ngram`: none.
 * Example: Llama-3.1-8B + EAGLE-3 at TP 1, bf16: one more layer of 2 × 8 × 128 × 2 = 4,096 bytes per token.
 */
export function draftKvLayers(method: SpeculativeMethod, model: ModelDescription, mtpLayers: number, draft?: ModelDescription): DraftKvLayers | undefined {
  if (method === 'ngram') return { layers: [], basis: 'assumed' };
  if (draft && method !== 'mtp') return { layers: [...layerKinds(draft)], basis: 'draft-config' };
  if (method === 'draft') return undefined;
  if (method === 'mtp') {
    const last = lastCachedLayer(model, false);
    return { layers: last && mtpLayers > 0 ? [{ layer: last, count: mtpLayers }] : [], basis: 'mtp' };
  }
  const like = lastCachedLayer(model, true) ?? lastCachedLayer(model, false);
  if (!like) return { layers: [], basis: 'assumed' };
  const a = like.attention!;
  const layer: LayerDescription = a.type === 'sliding' || a.type === 'chunked'
    ? { ...like, index: model.numLayers, attention: { ...a, type: 'full', window: undefined } }
    : like;
  return { layers: [{ layer, count: 1 }], basis: 'assumed' };
}

/**
 * Tokens one verification step emits per sequence when each of `k` drafted tokens is accepted with probability
 * `alpha`, independently (Leviathan et al. 2023, "Fast Inference from Transformers via Speculative Decoding", eq. 1):
 * (1 − α^(k+1)) / (1 − α). Example: α = 0.85, k = 1 → 1.85; k = 3 → 3.19.
 */
export function tokensPerVerifyStep(alpha: number, k: number): number {
  if (!(k >= 1)) return 1;
  if (alpha >= 1) return k + 1;
  if (!(alpha > 0)) return 1;
  return (1 - Math.pow(alpha, k + 1)) / (1 - alpha);
}

/**
 * Bytes one drafting pass reads on the last rank: a decoder layer shaped like the model's last (its dense weights
 * in full, the experts the batch routes to) and the LM head that turns its output into a token. MTP and EAGLE
 * heads run once per drafted token.
 */
export function draftPassBytes(model: ModelDescription, table: RankWeightTable, batch: number): number {
  const last = model.numLayers - 1;
  if (last < 0) return 0;
  const moe = model.layers[last]?.moe;
  const experts = moe ? table.expertBytes[last] * distinctExpertsTouched(moe.experts, moe.expertsPerToken, batch) / Math.max(1, moe.experts) : 0;
  return table.fullBytes[last] + experts + table.lastStageFullBytes + (table.tiedHeadBytes ?? 0);
}

/** Weights the drafter adds on the last rank: MTP and EAGLE heads are one decoder layer each (the LM head is shared). */
export function draftWeightBytes(method: SpeculativeMethod, model: ModelDescription, table: RankWeightTable, mtpLayers: number): number {
  const last = model.numLayers - 1;
  if (last < 0 || method === 'ngram' || method === 'draft') return 0;
  const layers = method === 'mtp' ? Math.max(1, mtpLayers) : 1;
  return layers * table.allocatedBytes[last];
}

export interface SpeculativeFigures {
  method: SpeculativeMethod;
  draftTokens: number;
  acceptanceRate: number;
  /** Where the acceptance rate comes from: the setting, or the published figure it defaults to. */
  acceptanceSource: string;
  tokensPerStep: number;
  /** Ceiling per request with speculation: tokens per step over the verify and draft times. */
  tokensPerSecondPerRequest: number;
  /** The same with the engine family's achievable rates. */
  expectedTokensPerSecondPerRequest: number;
  /** Weights the drafter adds on the last rank (counted in the startup sizing). */
  draftWeightBytes: number;
  /** KV-cache bytes per token the drafter's layers add on the last rank (counted in the startup sizing). */
  draftKvBytesPerToken: number;
}

/** Says why speculation is not modelled for a request, as a finding. */
export function speculativeNote(method: string, why: string): BudgetDiagnostic {
  return { severity: 'information', code: 'speculative-not-modelled', subject: 'speculativeMethod', message: `speculative decoding (${method}): ${why}` };
}

/** MTP layers a checkpoint carries: `num_nextn_predict_layers` (DeepSeek, GLM, MiMo) or `mtp_num_hidden_layers` (Qwen3-Next). */
export function mtpLayersOf(config: unknown): number {
  const read = (c: unknown): number | undefined => {
    if (!c || typeof c !== 'object') return undefined;
    const o = c as Record<string, unknown>;
    for (const key of ['num_nextn_predict_layers', 'mtp_num_hidden_layers', 'num_mtp_layers']) {
      const v = o[key];
      if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 64) return v;
    }
    return undefined;
  };
  const top = config && typeof config === 'object' ? config as Record<string, unknown> : {};
  return read(top) ?? read(top.text_config) ?? read(top.language_config) ?? 0;
}

export type SpeculationPlan =
  | { ok: true; method: SpeculativeMethod; draftTokens: number; mtpLayers: number; acceptance?: { rate: number; source: string } }
  | { ok: false; note: BudgetDiagnostic };

/**
 * What a deployment's speculative-decoding settings amount to: the drafter, tokens per step, and the acceptance rate
 * (the given one, else the published one), or why nothing is modelled.
 */
export function speculationPlan(config: unknown, method: string, draftTokens: number | undefined, acceptanceRate: number | undefined): SpeculationPlan {
  const kind = speculativeMethodOf(method);
  if (!kind) return { ok: false, note: speculativeNote(method, `unknown drafter; ${SPECULATIVE_METHODS.join(', ')} are modelled`) };
  const mtpLayers = mtpLayersOf(config);
  if (kind === 'mtp' && mtpLayers === 0) return { ok: false, note: speculativeNote(method, 'this checkpoint has no multi-token-prediction layers (num_nextn_predict_layers is 0 or absent)') };
  const published = PUBLISHED_ACCEPTANCE[kind];
  const acceptance = acceptanceRate !== undefined ? { rate: acceptanceRate, source: 'the acceptance rate given' } : published;
  return { ok: true, method: kind, draftTokens: draftTokens ?? 1, mtpLayers, acceptance };
}

/**
 * Weights the drafter adds on the last stage's ranks: a draft model's own (its config resolved), an EAGLE head's
 * decoder layers from its config, else `draftWeightBytes` (layers shaped like the model's last).
 */
export function drafterWeightBytes(method: SpeculativeMethod, model: ModelDescription, plan: WeightPlan, tp: number, mtpLayers: number,
  draft?: ModelDescription, draftPlan?: WeightPlan): number {
  if (draft && draftPlan && method === 'draft') return weightBytesPerRank(draft, draftPlan, { tp, pp: 1, stage: 0 });
  if (draft && draftPlan && (method === 'eagle' || method === 'eagle3')) {
    const table = rankWeightTable(draft, draftPlan, tp);
    return table.allocatedBytes.reduce((t, b) => t + b, 0);
  }
  return draftWeightBytes(method, model, rankWeightTable(model, plan, tp), mtpLayers);
}

/** KV-cache bytes per token the drafter's layers add on one rank (sliding layers counted per token too). */
export function drafterKvBytesPerToken(layers: readonly LayerKind[], kvBytes: number, stateDtypeBytes: number, tp: number): number {
  let total = 0;
  for (const { layer, count } of layers) {
    const spec = cacheSpecOf(layer, kvBytes, stateDtypeBytes, tp);
    if (spec && spec.kind !== 'state') total += spec.bytesPerToken * count;
  }
  return total;
}

/**
 * What the budget says of a drafter at vLLM's startup: the KV cache its layers add (or that a draft model without
 * its config is not sized), and vLLM's refusal of LoRA with speculation when a step cannot hold every sequence's
 * 1 + k tokens (`EngineArgs.create_engine_config`, vllm/engine/arg_utils.py, #21068, 0.12+).
 */
export function drafterFindings(method: SpeculativeMethod, k: number, draftName: string | undefined, drafter: DraftKvLayers | undefined,
  s: VllmSettings, profile: VllmProfile, loraOn: boolean): BudgetDiagnostic[] {
  const out: BudgetDiagnostic[] = [];
  if (!drafter) {
    out.push(speculativeNote(method, `the draft model${draftName ? ` (${draftName})` : ''} is not sized: its config is not available here, so its weights and KV cache are not counted`));
  } else if (drafter.layers.length) {
    const n = drafter.layers.reduce((t, l) => t + l.count, 0);
    const perToken = drafterKvBytesPerToken(drafter.layers, s.kvBytes, s.stateDtypeBytes, s.tp);
    const why = drafter.basis === 'assumed'
      ? ` (shaped like the model's last attention layer: ${draftName ? `the config of ${draftName} is not available` : 'no drafter model (speculativeModel) is named'})`
      : drafter.basis === 'draft-config' ? ` (from ${draftName ?? 'the drafter'}'s config)` : ` (the checkpoint's ${n} MTP layer${n === 1 ? '' : 's'})`;
    out.push({
      severity: 'information', code: 'speculative-drafter-kv', subject: 'speculativeMethod',
      message: `speculative decoding (${method}): the drafter's ${n} attention layer${n === 1 ? '' : 's'} keep${n === 1 ? 's' : ''} a KV cache of ${n === 1 ? 'its' : 'their'} own in vLLM's KV cache groups: +${Math.round(perToken).toLocaleString('en-US')} bytes per token per GPU, counted${why}`,
    });
  }
  const need = s.maxNumSeqs * (1 + k);
  if (loraOn && profile.loraSpeculationBatchCheck && s.maxNumBatchedTokens < need) {
    out.push({
      severity: 'error', code: 'engine-refuses-settings', subject: 'maxNumBatchedTokens', suggestedValue: need,
      message: `vLLM ${profile.version} refuses LoRA with speculative decoding when max_num_batched_tokens (${s.maxNumBatchedTokens.toLocaleString('en-US')}) is below max_num_seqs × (1 + num_speculative_tokens) (${s.maxNumSeqs.toLocaleString('en-US')} × ${1 + k} = ${need.toLocaleString('en-US')}): "Consider increasing max_num_batched_tokens or decreasing num_speculative_tokens"`,
    });
  }
  return out;
}
