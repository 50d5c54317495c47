// Speculative decoding: a cheap drafter proposes k tokens, the model verifies them in one step and keeps the
// accepted run plus one token of its own. The step reads the weights once for k + 1 tokens per sequence, which is
// why it lifts a memory-bound ceiling; the drafter's own reads and the verification's extra arithmetic are its price.
//
// Drafters, as vLLM (`--speculative-config {"method": …, "num_speculative_tokens": k}`) and SGLang
// (`--speculative-algorithm`, `--speculative-num-steps`) name them:
// - `mtp`: the checkpoint's own multi-token-prediction layer(s) (DeepSeek-V3/R1, GLM-4.5+, Qwen3-Next, MiMo);
// - `eagle` / `eagle3`: a separately trained one-layer head on the model's hidden states;
// - `ngram`: prompt lookup, no weights;
// - `draft`: a smaller model of the same tokenizer (its config is needed to size it; not read here).

import type { BudgetDiagnostic } from './types';
import type { ModelDescription } from './model';
import { distinctExpertsTouched } from './throughput';
import type { RankWeightTable } from './weights';

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
