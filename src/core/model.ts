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
   * How many layers hold this group, each its own copy (`params` is one copy's): `layer`, `layer + layerStride`, …
   * Models repeat a layer's groups dozens of times (every layer, or every fourth in a 3:1 hybrid), and one group per
   * run keeps normalised models small (`WeightSink`). Absent: 1.
   */
  layerSpan?: number;
  /** Layers between two copies of a group repeated over layers (`layerSpan`). Absent: 1 (consecutive layers). */
  layerStride?: number;
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
    for (let i = 0; i < model.layers.length; i++) {
      const layer = model.layers[i];
      // Runs of one kind are the rule: the previous layer's kind first, then the others.
      let k = previous >= 0 && sameKind(first[previous], layer) ? previous : -1;
      for (let j = 0; k < 0 && j < first.length; j++) if (sameKind(first[j], layer)) k = j;
      if (k < 0) k = first.push(layer) - 1;
      kindOf[i] = previous = k;
    }
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

/** Layers between copies of a group (`layerStride`, 1 when absent). */
export const layerStrideOf = (g: WeightGroup): number => g.layerStride ?? 1;

/**
 * Calls `each` with every layer below `numLayers` that holds a copy of the group (none for a layer-less group).
 * Example: `layer` 3, `layerSpan` 16, `layerStride` 4 → layers 3, 7, …, 63.
 */
export function forEachCopy(g: WeightGroup, numLayers: number, each: (layer: number) => void): void {
  if (g.layer === undefined) return;
  const stride = layerStrideOf(g);
  for (let k = 0, l = g.layer, span = layerSpanOf(g); k < span && l < numLayers; k++, l += stride) if (l >= 0) each(l);
}

/** How many copies of a group the layers [start, end) hold. */
export function copiesIn(g: WeightGroup, start: number, end: number): number {
  if (g.layer === undefined) return 0;
  const stride = layerStrideOf(g);
  const span = layerSpanOf(g);
  // Copies k with start <= layer + k * stride < end, 0 <= k < span.
  const first = Math.max(0, Math.ceil((start - g.layer) / stride));
  const last = Math.min(span - 1, Math.floor((end - 1 - g.layer) / stride));
  return Math.max(0, last - first + 1);
}

type Role = WeightGroup['role'];
type Split = WeightGroup['tp'];

/** Periods tried for the layer pattern of a hybrid stack (3:1 linear/full attention is 4; Llama 3.2 Vision's 5). */
const MAX_PERIOD = 16;
/** Kinds of layer told apart per model before every further layer counts as its own kind. */
const MAX_KINDS = 64;

/**
 * Collects a model's weight groups as its builder makes them (normalize.ts), as plain fields (no object per group),
 * and gives them back with the layers that repeat the same groups folded (`finish`): a layer's groups are alike
 * another's when they match one for one (role, parameters, split, quantizability, shape, experts) in the order
 * added and the two layers have the same experts and both or neither a mixer (what sizing reads of a group's layer).
 *
 * Layers of one kind are folded by the stack's period: runs of consecutive layers (period 1), or, for hybrids that
 * repeat a pattern (three linear-attention layers and one full, period 4), one run per position in the pattern,
 * `layerStride` apart, with the layers before and after the pattern (DeepSeek's first dense layers, Kimi-K3's last
 * full-attention layer) folded as consecutive runs. The period and window with the fewest runs win.
 *
 * Examples: Llama-3.1-8B's 32 identical layers give 5 groups, `layerSpan` 32; Qwen3.5-27B's 64 layers (16 × three
 * Gated DeltaNet and one full attention) give four runs of 16, `layerStride` 4.
 */
export class WeightSink {
  private count = 0;
  // The groups' fields, and the scratch of `finish`, from a pool: a manifest's first analysis normalises hundreds of
  // configs, and each would otherwise grow and drop arrays as long as its model's groups.
  private f: SinkBuffers = spareBuffers.pop() ?? newSinkBuffers();

  /** A group; `shapeInput`/`shapeOutput` are one matrix's rows and columns (negative: not a matrix). */
  add(role: Role, params: number, tp: Split, layer: number | undefined, quantizable: boolean, shapeInput = -1, shapeOutput = -1, experts?: number): void {
    const k = this.count++;
    const f = this.f;
    f.roles[k] = role;
    f.params[k] = params;
    f.splits[k] = tp;
    f.layers[k] = layer ?? -1;
    f.quantizable[k] = quantizable;
    f.inputs[k] = shapeInput;
    f.outputs[k] = shapeOutput;
    f.experts[k] = experts;
  }

  /** The groups in the order added, repeated layers folded (`fold` false: one copy per layer, for per-layer quantization). */
  finish(layerDescriptions: readonly LayerDescription[], fold = true): WeightGroup[] {
    const f = this.f;
    const out: WeightGroup[] = [];
    // Segments: each layer's groups as added (entries in a row with one layer index), and each layer-less entry.
    let segments = 0;
    for (let i = 0; i < this.count;) {
      let end = i + 1;
      if (f.layers[i] >= 0) while (end < this.count && f.layers[end] === f.layers[i]) end++;
      f.segLayer[segments] = f.layers[i];
      f.segFrom[segments] = i;
      f.segTo[segments++] = end;
      i = end;
    }
    if (!fold) {
      for (let sg = 0; sg < segments; sg++) this.pushSegment(out, sg, 1, 1);
      return this.release(out);
    }
    // The usual layout: layer-less groups, then layers 0 … n − 1 once each in order, then layer-less groups.
    let first = 0;
    while (first < segments && f.segLayer[first] < 0) first++;
    let n = 0;
    while (first + n < segments && f.segLayer[first + n] === n) n++;
    let usual = n > 0;
    for (let sg = first + n; sg < segments && usual; sg++) usual = f.segLayer[sg] < 0;
    // Kinds of the layered segments (in order): segments alike share one (the first of each kind stands for it).
    const kindOf = f.kindOf;
    const firsts = f.firsts;
    firsts.length = 0;
    let previous = -1;
    for (let sg = 0; sg < segments; sg++) {
      if (f.segLayer[sg] < 0) continue;
      // The previous layer's kind first: runs of one kind are the rule.
      let kind = previous >= 0 && previous < MAX_KINDS && this.alike(firsts[previous], sg, layerDescriptions) ? previous : -1;
      if (kind < 0 && firsts.length < MAX_KINDS) {
        for (let k = 0; k < firsts.length && kind < 0; k++) if (k !== previous && this.alike(firsts[k], sg, layerDescriptions)) kind = k;
        if (kind < 0) kind = firsts.push(sg) - 1;
      } else if (kind < 0) {
        kind = MAX_KINDS + sg;
      }
      kindOf[sg] = previous = kind;
    }
    if (!usual) {
      // Layer-less groups among the layers, or layers out of order: the segments in order, a layered one folding the
      // ones right after it of its kind on the next layers.
      for (let sg = 0; sg < segments;) {
        let end = sg + 1;
        if (f.segLayer[sg] >= 0) {
          while (end < segments && f.segLayer[end] === f.segLayer[end - 1] + 1 && kindOf[end] === kindOf[sg]) end++;
        }
        this.pushSegment(out, sg, end - sg, 1);
        sg = end;
      }
      return this.release(out);
    }
    // Here segment first + i holds layer i. The period and window with the fewest runs: layers [q, e) one run per
    // position in the period, the layers before and after it folded as consecutive runs. A window holds no break (a
    // layer whose kind differs from the one a period later), so the candidates for each period lie between breaks.
    const changesBefore = f.changesBefore;
    changesBefore[0] = 0;
    for (let i = 1; i <= n; i++) changesBefore[i] = changesBefore[i - 1] + (i < n && kindOf[first + i] !== kindOf[first + i - 1] ? 1 : 0);
    // Consecutive runs among layers [a, b).
    const runsIn = (a: number, b: number) => (b > a ? 1 + changesBefore[b - 1] - changesBefore[a] : 0);
    let bestRuns = runsIn(0, n), period = 1, q = 0, e = 0;
    // Every kind needs a run of its own: with as many consecutive runs as kinds, no period does better.
    const periods = bestRuns > firsts.length ? Math.min(MAX_PERIOD, n >> 1) : 1;
    for (let p = 2; p <= periods; p++) {
      let from = 0; // the window's first layer: after the last break seen
      for (let i = 0; i + p <= n; i++) {
        // A break at i (or the end of the layers) closes the window [from, i + p).
        if (i + p < n && kindOf[first + i] === kindOf[first + i + p]) continue;
        const to = i + p < n ? i + p : n;
        const runs = runsIn(0, from) + Math.min(p, to - from) + runsIn(to, n);
        if (runs < bestRuns) { bestRuns = runs; period = p; q = from; e = to; }
        from = i + 1;
      }
    }
    for (let sg = 0; sg < first; sg++) this.pushSegment(out, sg, 1, 1);
    this.pushConsecutive(out, first, 0, q);
    for (let r = q; r < Math.min(e, q + period); r++) this.pushSegment(out, first + r, Math.floor((e - 1 - r) / period) + 1, period);
    this.pushConsecutive(out, first, e, n);
    for (let sg = first + n; sg < segments; sg++) this.pushSegment(out, sg, 1, 1);
    return this.release(out);
  }

  private pushSegment(out: WeightGroup[], sg: number, span: number, stride: number): void {
    const f = this.f;
    for (let k = f.segFrom[sg]; k < f.segTo[sg]; k++) out.push(this.group(k, f.segLayer[sg], span, stride));
  }

  /** Layers [a, b) (segments first + a …) as consecutive runs of one kind. */
  private pushConsecutive(out: WeightGroup[], first: number, a: number, b: number): void {
    const kindOf = this.f.kindOf;
    for (let i = a; i < b;) {
      let end = i + 1;
      while (end < b && kindOf[first + end] === kindOf[first + i]) end++;
      this.pushSegment(out, first + i, end - i, 1);
      i = end;
    }
  }

  /** Gives the buffers back to the pool (the sink is done). */
  private release(out: WeightGroup[]): WeightGroup[] {
    if (spareBuffers.length < 4) spareBuffers.push(this.f);
    this.f = RELEASED;
    this.count = 0;
    return out;
  }

  /** Whether two layers' segments hold the same groups (one for one) on layers alike for sizing. */
  private alike(a: number, b: number, descriptions: readonly LayerDescription[]): boolean {
    const f = this.f;
    if (f.segTo[a] - f.segFrom[a] !== f.segTo[b] - f.segFrom[b]) return false;
    for (let i = f.segFrom[a], j = f.segFrom[b]; i < f.segTo[a]; i++, j++) {
      if (f.roles[i] !== f.roles[j] || f.params[i] !== f.params[j] || f.splits[i] !== f.splits[j] || f.quantizable[i] !== f.quantizable[j]
        || f.inputs[i] !== f.inputs[j] || f.outputs[i] !== f.outputs[j] || f.experts[i] !== f.experts[j]) return false;
    }
    return sameLayerForWeights(descriptions[f.segLayer[a]], descriptions[f.segLayer[b]]);
  }

  private group(k: number, layer: number, span: number, stride: number): WeightGroup {
    const f = this.f;
    const input = f.inputs[k];
    return {
      role: f.roles[k], params: f.params[k], tp: f.splits[k], layer: layer >= 0 ? layer : undefined,
      layerSpan: span > 1 ? span : undefined, layerStride: span > 1 && stride > 1 ? stride : undefined,
      experts: f.experts[k], quantizable: f.quantizable[k], shape: input >= 0 ? { input, output: f.outputs[k] } : undefined,
    };
  }
}

/** A sink's fields per group and the scratch of `finish` (per segment, per kind), kept between configs. */
interface SinkBuffers {
  roles: Role[]; params: number[]; splits: Split[]; layers: number[]; quantizable: boolean[]; inputs: number[]; outputs: number[];
  experts: (number | undefined)[];
  segLayer: number[]; segFrom: number[]; segTo: number[]; kindOf: number[]; firsts: number[]; changesBefore: number[];
}
const newSinkBuffers = (): SinkBuffers => ({
  roles: [], params: [], splits: [], layers: [], quantizable: [], inputs: [], outputs: [], experts: [],
  segLayer: [], segFrom: [], segTo: [], kindOf: [], firsts: [], changesBefore: [],
});
const spareBuffers: SinkBuffers[] = [];
/** What a finished sink holds: adding to it throws (its arrays are frozen). */
const RELEASED: SinkBuffers = Object.freeze(Object.fromEntries(Object.entries(newSinkBuffers()).map(([k, v]) => [k, Object.freeze(v)]))) as unknown as SinkBuffers;

// Made once per config normalised: an idle one keeps its hidden class, and the code compiled for it, alive (shapes.ts).
keepShapeAlive(new WeightSink());
