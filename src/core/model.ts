// The one model description every other part of the engine works from.

import { keepShapeAlive } from './shapes';
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
   * repeat a layer's groups dozens of times, and one group per run keeps normalised models small (`WeightSink`).. Absent: 1.
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
  // Builders share one MoE description among a model's MoE layers: identity settles most comparisons.
  if (a.moe !== b.moe && !sameFields(a.moe, b.moe, LAYER_FIELDS.moe)) return false;
  return (a.attention !== undefined || a.mamba !== undefined) === (b.attention !== undefined || b.mamba !== undefined);
}

type Role = WeightGroup['role'];
type Split = WeightGroup['tp'];

/**
 * Collects a model's weight groups as its builder makes them (normalize.ts), layer by layer, and keeps each run of
 * layers that repeat the same groups as one copy of them with `layerSpan`: layer i's groups join the run of layers
 * j … i − 1 when they match layer j's one for one (role, parameters, split, quantizability, shape, experts) in the
 * order they were added. A layer's groups are held as plain fields until the next layer shows whether they join,
 * so a repeated layer makes no objects at all. `finish` then splits a run where a layer's experts differ from its
 * first layer's, or where one has a mixer and the other not (what sizing reads of a group's layer).
 *
 * Example: Llama-3.1-8B's 32 identical layers (qkv, o, gate_up, down, norms: 5 groups each) give 5 groups with
 * `layerSpan` 32.
 */
export class WeightSink {
  private readonly out: WeightGroup[] = [];
  // The run being extended: where its first layer's groups start in `out`, how many, its first layer and its span.
  private runStart = -1;
  private runLength = 0;
  private runLayer = -1;
  private span = 0;
  // The groups of the layer being added, field by field (reused from layer to layer).
  private segmentLayer = -1;
  private segmentLength = 0;
  private readonly roles: Role[] = [];
  private readonly params: number[] = [];
  private readonly splits: Split[] = [];
  private readonly quantizable: boolean[] = [];
  private readonly inputs: number[] = [];
  private readonly outputs: number[] = [];
  private readonly experts: (number | undefined)[] = [];

  /** A group; `shapeInput`/`shapeOutput` are one matrix's rows and columns (negative: not a matrix). */
  add(role: Role, params: number, tp: Split, layer: number | undefined, quantizable: boolean, shapeInput = -1, shapeOutput = -1, experts?: number): void {
    if (layer === undefined) {
      this.endSegment();
      this.endRun();
      this.out.push(makeGroup(role, params, tp, undefined, quantizable, shapeInput, shapeOutput, experts));
      return;
    }
    if (layer !== this.segmentLayer) {
      this.endSegment();
      this.segmentLayer = layer;
    }
    const k = this.segmentLength++;
    this.roles[k] = role;
    this.params[k] = params;
    this.splits[k] = tp;
    this.quantizable[k] = quantizable;
    this.inputs[k] = shapeInput;
    this.outputs[k] = shapeOutput;
    this.experts[k] = experts;
  }

  /** The groups in the order added, runs folded (`fold` false: one copy per layer, as for per-layer quantization). */
  finish(layers: readonly LayerDescription[], fold = true): WeightGroup[] {
    this.endSegment();
    this.endRun();
    const out = this.out;
    let cuts = !fold;
    for (let i = 0; i < out.length && !cuts; i++) {
      const g = out[i];
      if (g.layerSpan === undefined) continue;
      for (let l = g.layer! + 1; l < g.layer! + g.layerSpan && !cuts; l++) cuts = !sameLayerForWeights(layers[g.layer!], layers[l]);
    }
    return cuts ? splitRuns(out, layers, fold) : out;
  }

  private endSegment(): void {
    const n = this.segmentLength;
    if (n === 0) return;
    const layer = this.segmentLayer;
    const out = this.out;
    let joins = this.runStart >= 0 && layer === this.runLayer + this.span && n === this.runLength;
    for (let k = 0; joins && k < n; k++) {
      const g = out[this.runStart + k];
      const input = this.inputs[k];
      joins = g.role === this.roles[k] && g.params === this.params[k] && g.tp === this.splits[k] && g.quantizable === this.quantizable[k]
        && g.experts === this.experts[k] && (g.shape === undefined ? input < 0 : g.shape.input === input && g.shape.output === this.outputs[k]);
    }
    if (joins) {
      this.span++;
    } else {
      this.endRun();
      this.runStart = out.length;
      this.runLength = n;
      this.runLayer = layer;
      this.span = 1;
      for (let k = 0; k < n; k++) {
        out.push(makeGroup(this.roles[k], this.params[k], this.splits[k], layer, this.quantizable[k], this.inputs[k], this.outputs[k], this.experts[k]));
      }
    }
    this.segmentLength = 0;
    this.segmentLayer = -1;
  }

  private endRun(): void {
    if (this.runStart >= 0 && this.span > 1) {
      for (let k = this.runStart; k < this.runStart + this.runLength; k++) this.out[k].layerSpan = this.span;
    }
    this.runStart = -1;
    this.span = 0;
  }
}

// Made once per config normalised: an idle one keeps its hidden class, and the code compiled for it, alive (shapes.ts).
keepShapeAlive(new WeightSink());

/** One group, every field set in one order (one object shape for the engine's loops over groups). */
function makeGroup(role: Role, params: number, tp: Split, layer: number | undefined, quantizable: boolean, shapeInput: number, shapeOutput: number, experts: number | undefined): WeightGroup {
  return { role, params, tp, layer, layerSpan: undefined, experts, quantizable, shape: shapeInput >= 0 ? { input: shapeInput, output: shapeOutput } : undefined };
}

/** `groups` with each run cut where a layer differs from the run's first in what sizing reads (every layer: `fold` false). */
function splitRuns(groups: readonly WeightGroup[], layers: readonly LayerDescription[], fold: boolean): WeightGroup[] {
  const out: WeightGroup[] = [];
  let i = 0;
  while (i < groups.length) {
    const head = groups[i];
    if (head.layerSpan === undefined) {
      out.push(head);
      i++;
      continue;
    }
    // The run's groups: those from i with its first layer and span.
    let end = i + 1;
    while (end < groups.length && groups[end].layer === head.layer && groups[end].layerSpan === head.layerSpan) end++;
    const first = head.layer!;
    const last = first + head.layerSpan;
    for (let start = first; start < last;) {
      let stop = start + 1;
      while (fold && stop < last && sameLayerForWeights(layers[start], layers[stop])) stop++;
      for (let k = i; k < end; k++) out.push({ ...groups[k], layer: start, layerSpan: stop - start > 1 ? stop - start : undefined });
      start = stop;
    }
    i = end;
  }
  return out;
}
