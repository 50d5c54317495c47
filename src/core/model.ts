// The one model description every other part of the engine works from.

import { memoized } from './memo';

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
  /**
   * How many consecutive layers from `layer` hold this group, each its own copy (`params` is one copy's): models
   * repeat a layer's groups dozens of times, and one group per run keeps normalised models small (`mergeLayerRuns`
   * in normalize.ts). Absent: 1.
   */
  layerSpan?: number;
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
  /**
   * Bytes one token adds to a sparse-attention indexer's key cache in this layer, on every rank (not split by
   * TP, whatever the KV dtype): DeepSeek V3.2 / GLM-5 fp8 keys plus one fp32 scale per 128, MiniMax-M3 bf16 keys.
   */
  indexerBytesPerToken?: number;
  /**
   * Tokens per cached entry (DeepSeek-V4 compressed attention: 4 or 128); 0 = the layer keeps only a fixed
   * sliding window, nothing that grows with the context. Undefined = one entry per token.
   */
  compressRatio?: number;
  /** Bytes of one cached entry when the engine fixes the layout whatever the KV dtype (DeepSeek-V4's 584). */
  entryBytes?: number;
  /** The earlier layer whose KV cache this layer reads (Gemma 3n/4 KV sharing): it allocates none of its own. */
  kvSharedWith?: number;
}

/** Which recurrent mixer keeps a layer's per-sequence state (vLLM sizes them all as `MambaSpec` pages). */
export type RecurrentKind = 'mamba' | 'mamba2' | 'gated-delta-net' | 'kimi-delta' | 'lightning' | 'short-conv';

export interface MambaLayer {
  kind: RecurrentKind;
  /** Elements of convolution state per sequence, TP=1 (kept in the model's dtype). */
  convElements: number;
  /** Elements of SSM / recurrent state per sequence, TP=1. */
  ssmElements: number;
  /** The SSM state is kept in float32 whatever the model dtype (`mamba_ssm_cache_dtype`, Nemotron-H's rule). */
  ssmFloat32: boolean;
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

/** Layers a group is held in (`layerSpan`, 1 when absent). */
export const layerSpanOf = (g: WeightGroup): number => g.layerSpan ?? 1;

/** Parameters of the groups (each copy of a group repeated over layers counted). */
export function sumParams(groups: readonly WeightGroup[], filter?: (g: WeightGroup) => boolean): number {
  let total = 0;
  for (const g of groups) if (!filter || filter(g)) total += g.params * layerSpanOf(g);
  return total;
}

/** Layers alike in everything but their index, and how many of them a range holds. */
export interface LayerKind {
  /** The first layer of this kind in the range. */
  layer: LayerDescription;
  count: number;
}

// Fields compared to tell layer kinds apart. `satisfies` makes a field added to the interfaces a compile error here.
const ATTENTION_FIELDS = Object.keys({ type: 1, heads: 1, kvHeads: 1, headDim: 1, window: 1, mlaLatentDim: 1, indexerBytesPerToken: 1, compressRatio: 1, entryBytes: 1, kvSharedWith: 1 } satisfies Record<keyof AttentionLayer, 1>) as (keyof AttentionLayer)[];
const MAMBA_FIELDS = Object.keys({ kind: 1, convElements: 1, ssmElements: 1, ssmFloat32: 1, heads: 1 } satisfies Record<keyof MambaLayer, 1>) as (keyof MambaLayer)[];
const MOE_FIELDS = Object.keys({ experts: 1, expertsPerToken: 1, expertIntermediate: 1, sharedExperts: 1, paramsPerExpert: 1 } satisfies Record<keyof MoeLayer, 1>) as (keyof MoeLayer)[];
const LAYER_FIELDS = { index: 'ignored', attention: ATTENTION_FIELDS, crossAttention: 'value', mamba: MAMBA_FIELDS, moe: MOE_FIELDS, mlpIntermediate: 'value', gatedMlp: 'value' } as const satisfies Record<keyof LayerDescription, unknown>;

function sameFields<T extends object>(a: T | undefined, b: T | undefined, fields: readonly (keyof T)[]): boolean {
  if (a === b) return true;
  if (!a || !b) return false;
  for (const f of fields) if (a[f] !== b[f]) return false;
  return true;
}

function sameKind(a: LayerDescription, b: LayerDescription): boolean {
  return a.crossAttention === b.crossAttention && a.mlpIntermediate === b.mlpIntermediate && a.gatedMlp === b.gatedMlp
    && sameFields(a.attention, b.attention, LAYER_FIELDS.attention) && sameFields(a.mamba, b.mamba, LAYER_FIELDS.mamba)
    && sameFields(a.moe, b.moe, LAYER_FIELDS.moe);
}

interface KindIndex { kindOf: Int32Array; first: LayerDescription[]; ranges: Map<number, readonly LayerKind[]> }
const kindIndexes = new WeakMap<ModelDescription, KindIndex>();

function kindIndex(model: ModelDescription): KindIndex {
  return memoized(kindIndexes, model, () => {
    const kindOf = new Int32Array(model.layers.length);
    const first: LayerDescription[] = [];
    let previous = -1;
    model.layers.forEach((layer, i) => {
      // Runs of one kind are the rule: the previous layer's kind first, then the others.
      let k = previous >= 0 && sameKind(first[previous], layer) ? previous : first.findIndex((f) => sameKind(f, layer));
      if (k < 0) k = first.push(layer) - 1;
      kindOf[i] = previous = k;
    });
    return { kindOf, first, ranges: new Map() };
  });
}

/**
 * Layers [start, end) of the model by kind, in order of first appearance. Models repeat a few layer shapes
 * (dense, MoE, sliding, full, Mamba), so sums over layers become a few products. Memoised per model and range.
 */
export function layerKinds(model: ModelDescription, start = 0, end = model.layers.length): readonly LayerKind[] {
  const index = kindIndex(model);
  const from = Math.max(0, start);
  const to = Math.min(end, model.layers.length);
  return memoized(index.ranges, from * 0x100000 + to, () => {
    const byKind = new Map<number, LayerKind>();
    for (let i = from; i < to; i++) {
      const k = index.kindOf[i];
      const kind = byKind.get(k);
      if (kind) kind.count++;
      else byKind.set(k, { layer: model.layers[i], count: 1 });
    }
    return [...byKind.values()];
  });
}

/** What the engine reads of a group's layer (weights.ts, throughput.ts): its experts, and whether it has a mixer. */
function sameLayerForWeights(a: LayerDescription | undefined, b: LayerDescription | undefined): boolean {
  if (!a || !b) return false;
  return sameFields(a.moe, b.moe, LAYER_FIELDS.moe) && (!!a.attention || !!a.mamba) === (!!b.attention || !!b.mamba);
}

function sameGroup(a: WeightGroup, b: WeightGroup): boolean {
  return a.role === b.role && a.params === b.params && a.tp === b.tp && a.quantizable === b.quantizable && a.experts === b.experts
    && a.layerSpan === undefined && b.layerSpan === undefined
    && (a.shape === b.shape || (a.shape !== undefined && b.shape !== undefined && a.shape.input === b.shape.input && a.shape.output === b.shape.output));
}

/**
 * The groups with each run of layers that repeat the same groups (in order) folded into one copy with `layerSpan`:
 * layer i's groups join the run of layers j … i − 1 when they match layer j's one for one, apart from the index,
 * and the two layers have the same experts and both or neither a mixer (what sizing reads of a group's layer).
 * Groups keep their order, so each layer's groups stay together as the builders pushed them. The groups given are
 * not changed.
 *
 * Example: Llama-3.1-8B's 32 identical layers (qkv, o, gate_up, down, norms: 5 groups each, 160 in all) become
 * 5 groups with `layerSpan` 32.
 */
export function mergeLayerRuns(groups: WeightGroup[], layers: readonly LayerDescription[]): WeightGroup[] {
  const out: WeightGroup[] = [];
  let folded = false;
  // The run being extended: where its first layer's groups start in `out`, how many, its first layer and its span.
  let runStart = -1;
  let runLength = 0;
  let runLayer = -1;
  let span = 0;
  const close = () => {
    if (runStart >= 0 && span > 1) {
      folded = true;
      for (let k = runStart; k < runStart + runLength; k++) out[k] = { ...out[k], layerSpan: span };
    }
    runStart = -1;
    span = 0;
  };
  let i = 0;
  while (i < groups.length) {
    const layer = groups[i].layer;
    if (layer === undefined || groups[i].layerSpan !== undefined) {
      close();
      out.push(groups[i++]);
      continue;
    }
    // This layer's segment: the groups from i that carry its index.
    let end = i + 1;
    while (end < groups.length && groups[end].layer === layer && groups[end].layerSpan === undefined) end++;
    const length = end - i;
    let joins = runStart >= 0 && layer === runLayer + span && length === runLength && sameLayerForWeights(layers[runLayer], layers[layer]);
    for (let k = 0; joins && k < length; k++) joins = sameGroup(out[runStart + k], groups[i + k]);
    if (joins) {
      span++;
    } else {
      close();
      runStart = out.length;
      runLength = length;
      runLayer = layer;
      span = 1;
      for (let k = i; k < end; k++) out.push(groups[k]);
    }
    i = end;
  }
  close();
  // Nothing repeats (hybrid stacks that alternate their mixers): the builder's own array, not a copy.
  return folded ? out : groups;
}
