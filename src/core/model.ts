// The one model description every other part of the engine works from.

/** How a group of weights is split across tensor-parallel ranks. */
export type TpSplit =
  /** Divided across ranks (column/row parallel linear layers). */
  | 'split'
  /** Vocabulary-parallel embedding or LM head: vocab padded to 64, then divided. */
  | 'vocab'
  /** Every rank holds a copy (norms, routers, biases of row-parallel layers, MLA latent norms). */
  | 'replicated';

/** What a group of weights is, which decides whether a quantizer converts it. */
export type WeightRole =
  | 'attention' | 'mlp' | 'expert' | 'shared-expert' | 'router' | 'norm' | 'bias'
  | 'mamba' | 'embedding' | 'lm-head' | 'position-embedding' | 'vision';

export interface WeightGroup {
  role: WeightRole;
  /** Parameter count (elements). */
  params: number;
  tp: TpSplit;
  /** Decoder layer index; undefined for embeddings, final norm, LM head, vision tower. */
  layer?: number;
  /** For expert groups: experts in this group (params already include all of them). */
  experts?: number;
  /** A matrix weight (linear/conv) a weight-only quantizer converts; false for norms, biases, embeddings. */
  quantizable: boolean;
  /** For matrices: rows (input dim) and columns (output dim) of one matrix, used for kernel padding rules. */
  shape?: { input: number; output: number };
}

export type AttentionType = 'full' | 'sliding' | 'chunked' | 'mla';

export interface AttentionLayer {
  type: AttentionType;
  heads: number;
  kvHeads: number;
  headDim: number;
  /** Sliding window or local-attention chunk in tokens. */
  window?: number;
  /** MLA latent width: kv_lora_rank + qk_rope_head_dim (stored once per token per layer, never split by TP). */
  mlaLatentDim?: number;
  /** Extra per-token cache bytes at 1 byte per element (DeepSeek V3.2 indexer keys), not split by TP. */
  indexerDim?: number;
}

export interface MambaLayer {
  /** Elements of recurrent state per sequence (conv + SSM), TP=1. */
  stateElements: number;
  /** Number of SSM heads (for TP divisibility). */
  heads: number;
}

export interface MoeLayer {
  experts: number;
  expertsPerToken: number;
  /** Intermediate width of one routed expert. */
  expertIntermediate: number;
  sharedExperts: number;
  /** Parameters of one routed expert. */
  paramsPerExpert: number;
}

export interface LayerDescription {
  index: number;
  attention?: AttentionLayer;
  /** Cross-attention layers (Mllama) attend to image tokens only: their KV does not grow with text tokens. */
  crossAttention?: boolean;
  mamba?: MambaLayer;
  moe?: MoeLayer;
  /** Dense MLP intermediate width (0 when none). */
  mlpIntermediate: number;
  gatedMlp: boolean;
}

/** A rotary cos/sin table that vLLM keeps on the GPU (counted in its weight memory). */
export interface RotaryCache {
  positions: number;
  rotaryDim: number;
}

export interface ModelDescription {
  name: string;
  architecture: string;
  family: string;
  hiddenSize: number;
  vocabSize: number;
  numLayers: number;
  numAttentionHeads: number;
  numKeyValueHeads: number;
  headDim: number;
  intermediateSize: number;
  maxPositionEmbeddings?: number;
  tieWordEmbeddings: boolean;
  /** Checkpoint dtype from `torch_dtype`/`dtype`. */
  torchDtype: string;
  layers: LayerDescription[];
  weights: WeightGroup[];
  rotaryCaches: RotaryCache[];
  /** Raw quantization_config (possibly from text_config or hf_quant_config.json). */
  quantizationConfig?: Record<string, unknown>;
  /** Numbers taken from library defaults or assumptions rather than the config itself. */
  assumptions: string[];
}

export type NormalizeResult =
  | { ok: true; model: ModelDescription }
  | { ok: false; unsupported: string; missing: string[] };

export function sumParams(groups: readonly WeightGroup[], filter?: (g: WeightGroup) => boolean): number {
  let total = 0;
  for (const g of groups) if (!filter || filter(g)) total += g.params;
  return total;
}
