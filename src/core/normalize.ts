// Hugging Face config.json (any family) -> one ModelDescription.
// Parameter counts follow each family's module structure in transformers/vLLM; defaults that a
// config omits (Gemma 3 relies on Gemma3TextConfig defaults) are recorded as assumptions.

import {
  AttentionLayer, LayerDescription, MoeLayer, NormalizeResult, RotaryCache, WeightGroup, WeightSink,
} from './model';
import { keepShapeAlive } from './shapes';
import { keyedTable } from './keyedTable';

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** More layers than any real model has: refuse rather than build millions of layer descriptions. */
export const MAX_LAYERS = 4096;
const LAYER_KEYS = new Set(['num_hidden_layers', 'n_layer', 'n_layers', 'num_layers', 'depth', 'vt_num_hidden_layers', 'num_global_layers']);
const isPositiveInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0 && v < 1e12;

/** Reads keys by their family-specific names and remembers which values were assumed. */
class ConfigReader {
  readonly assumptions: string[] = [];
  readonly missing: string[] = [];
  /** Replaced by a copy when defaults are added (`applyFamilyDefaults`): the caller's config is never written. */
  constructor(public cfg: Json, readonly prefix = '') {}

  has(...keys: string[]): boolean {
    return keys.some((k) => this.cfg[k] !== undefined && this.cfg[k] !== null);
  }
  raw(...keys: string[]): unknown {
    for (const k of keys) if (this.cfg[k] !== undefined && this.cfg[k] !== null) return this.cfg[k];
    return undefined;
  }
  /** A positive integer under one of `keys`; else the default (recorded) or a missing-key note. */
  int(keys: string | string[], fallback?: number, why?: string): number {
    const names = Array.isArray(keys) ? keys : [keys];
    for (const k of names) {
      const v = this.cfg[k];
      if (isPositiveInt(v) && LAYER_KEYS.has(k) && v > MAX_LAYERS) {
        this.missing.push(`${this.prefix}${k} (${v} layers is more than the ${MAX_LAYERS} supported)`);
        return 0;
      }
      if (isPositiveInt(v)) return v;
      if (typeof v === 'number' && v === 0 && fallback === 0) return 0;
    }
    if (fallback !== undefined) {
      if (why) this.assumptions.push(`${this.prefix}${names[0]} = ${fallback} (${why})`);
      return fallback;
    }
    this.missing.push(this.prefix + names.join(' | '));
    return 0;
  }
  optInt(...keys: string[]): number | undefined {
    for (const k of keys) {
      const v = this.cfg[k];
      if (isPositiveInt(v)) return LAYER_KEYS.has(k) && v > MAX_LAYERS ? undefined : v;
    }
    return undefined;
  }
  num(key: string, fallback: number): number {
    const v = this.cfg[key];
    return typeof v === 'number' && Number.isFinite(v) ? v : fallback;
  }
  bool(key: string, fallback: boolean): boolean {
    const v = this.cfg[key];
    return typeof v === 'boolean' ? v : fallback;
  }
  str(key: string): string | undefined {
    const v = this.cfg[key];
    return typeof v === 'string' ? v : undefined;
  }
}
keepShapeAlive(new ConfigReader({}));
keepShapeAlive(new ConfigReader({}, 'text_config.'));

/** Shape of a standard decoder layer stack (Llama and the many families built like it). */
interface DecoderShape {
  hidden: number;
  vocab: number;
  layers: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  intermediate: number;
  qkvBias: boolean;
  oBias: boolean;
  mlpBias: boolean;
  gated: boolean;
  /** h-sized norm weight vectors per layer (2 for pre-norm Llama, 4 for Gemma 2/3). */
  normsPerLayer: number;
  /** LayerNorm with bias (doubles each norm). */
  normBias: boolean;
  /** q_norm/k_norm over head_dim (Qwen3, Gemma 3) or over the full projection (OLMo 2). */
  qkNorm: 'none' | 'per-head' | 'per-head-full' ;
  tie: boolean;
  lmHeadBias: boolean;
  learnedPositions: number;
  /** BLOOM's word_embeddings_layernorm. */
  embeddingNorm: boolean;
  finalNormBias: boolean;
}

function pushLinear(out: WeightSink, role: WeightGroup['role'], layer: number | undefined, input: number, output: number,
  bias: boolean, tp: WeightGroup['tp'] = 'split', biasTp: WeightGroup['tp'] = 'split', quantizable = true): void {
  out.add(role, input * output, tp, layer, quantizable, input, output);
  if (bias) out.add('bias', output, biasTp, layer, false);
}

/** A group no quantizer converts (sinks, compressors, biases, mixing weights): replicated attention by default. */
function pushFixed(out: WeightSink, layer: number | undefined, params: number, tp: WeightGroup['tp'] = 'replicated', role: WeightGroup['role'] = 'attention'): void {
  out.add(role, params, tp, layer, false);
}

function pushNorm(out: WeightSink, layer: number | undefined, size: number, count = 1, withBias = false): void {
  if (size <= 0 || count <= 0) return;
  out.add('norm', size * count * (withBias ? 2 : 1), 'replicated', layer, false);
}

function attentionWeights(out: WeightSink, layer: number, s: DecoderShape, heads = s.heads, kvHeads = s.kvHeads): void {
  const qDim = heads * s.headDim;
  const kvDim = kvHeads * s.headDim;
  pushLinear(out, 'attention', layer, s.hidden, qDim + 2 * kvDim, s.qkvBias);
  pushLinear(out, 'attention', layer, qDim, s.hidden, s.oBias, 'split', 'replicated');
  if (s.qkNorm === 'per-head') pushNorm(out, layer, s.headDim, 2);
  if (s.qkNorm === 'per-head-full') pushNorm(out, layer, qDim + kvDim);
}

function denseMlpWeights(out: WeightSink, layer: number, hidden: number, intermediate: number, gated: boolean, bias: boolean,
  role: WeightGroup['role'] = 'mlp'): void {
  if (intermediate <= 0) return;
  pushLinear(out, role, layer, hidden, (gated ? 2 : 1) * intermediate, bias);
  pushLinear(out, role, layer, intermediate, hidden, bias, 'split', 'replicated');
}

interface MoeWeightOptions {
  routerBias?: boolean;
  expertBias?: boolean;
  sharedIntermediate?: number;
  sharedGate?: boolean;
  gated?: boolean;
}

function moeWeights(out: WeightSink, layer: number, hidden: number, moe: MoeLayer, opts: MoeWeightOptions): void {
  const gated = opts.gated ?? true;
  pushLinear(out, 'router', layer, hidden, moe.experts, !!opts.routerBias, 'replicated', 'replicated', false);
  const upOut = (gated ? 2 : 1) * moe.expertIntermediate;
  const perExpert = hidden * upOut + moe.expertIntermediate * hidden;
  out.add('expert', perExpert * moe.experts, 'split', layer, true, hidden, moe.expertIntermediate, moe.experts);
  // Expert biases (gpt-oss) are routed like their experts but never quantized.
  if (opts.expertBias) out.add('expert', (upOut + hidden) * moe.experts, 'split', layer, false, -1, -1, moe.experts);
  const sharedWidth = opts.sharedIntermediate ?? moe.sharedExperts * moe.expertIntermediate;
  if (sharedWidth > 0) {
    denseMlpWeights(out, layer, hidden, sharedWidth, gated, false, 'shared-expert');
    if (opts.sharedGate) out.add('router', hidden, 'replicated', layer, false);
  }
}

function embeddings(out: WeightSink, s: DecoderShape, embedVocab = s.vocab): void {
  out.add('embedding', embedVocab * s.hidden, 'vocab', undefined, false, embedVocab, s.hidden);
  if (s.embeddingNorm) pushNorm(out, undefined, s.hidden, 1, true);
  if (s.learnedPositions > 0) out.add('position-embedding', s.learnedPositions * s.hidden, 'replicated', undefined, false);
}

function head(out: WeightSink, s: DecoderShape): void {
  pushNorm(out, undefined, s.hidden, 1, s.finalNormBias);
  if (!s.tie) {
    out.add('lm-head', s.vocab * s.hidden, 'vocab', undefined, false, s.hidden, s.vocab);
  }
  if (s.lmHeadBias) out.add('bias', s.vocab, 'vocab', undefined, false);
}

function attentionLayer(s: DecoderShape, type: AttentionLayer['type'] = 'full', window?: number): AttentionLayer {
  return { type, heads: s.heads, kvHeads: s.kvHeads, headDim: s.headDim, window };
}

/** Which layers slide, from `layer_types`, a pattern, or the family's rule. */
function slidingLayers(r: ConfigReader, family: string, layers: number): { sliding: boolean[]; window?: number } {
  const none = { sliding: new Array<boolean>(layers).fill(false) };
  const window = r.optInt('sliding_window', 'attention_window');
  const layerTypes = r.raw('layer_types');
  if (Array.isArray(layerTypes) && layerTypes.length >= layers) {
    const sliding: boolean[] = [];
    for (let i = 0; i < layers; i++) { const t: unknown = layerTypes[i]; sliding.push(typeof t === 'string' && t.includes('sliding')); }
    return { sliding, window: window ?? (sliding.some(Boolean) ? 4096 : undefined) };
  }
  if (family.startsWith('gemma3')) {
    const pattern = r.int('sliding_window_pattern', 6, 'Gemma3TextConfig default: five local layers, then one global');
    const w = window ?? r.int('sliding_window', 4096, 'Gemma3TextConfig default');
    return { sliding: Array.from({ length: layers }, (_, i) => (i + 1) % pattern !== 0), window: w };
  }
  if (family === 'gemma2' || family === 'cohere2') {
    const w = window ?? r.int('sliding_window', 4096, 'Gemma2Config default');
    return { sliding: Array.from({ length: layers }, (_, i) => i % 2 === 0), window: w };
  }
  if (family === 'gpt_oss') {
    return { sliding: Array.from({ length: layers }, (_, i) => i % 2 === 0), window: window ?? 128 };
  }
  if (window === undefined) return none;
  // Qwen2-style configs carry a sliding_window that is off unless use_sliding_window is true.
  if (r.has('use_sliding_window') && !r.bool('use_sliding_window', false)) return none;
  if (family.startsWith('qwen')) return none;
  const maxPos = r.optInt('max_position_embeddings');
  if (maxPos !== undefined && window >= maxPos) return none;
  return { sliding: new Array<boolean>(layers).fill(true), window };
}

function rotaryFor(r: ConfigReader, positions: number | undefined, rotaryDim: number, family: string): RotaryCache[] {
  if (!positions || rotaryDim <= 0) return [];
  const scaling = r.raw('rope_scaling');
  let factor = 1;
  let type = '';
  if (isObject(scaling)) {
    const t = scaling.rope_type ?? scaling.type;
    type = typeof t === 'string' ? t : '';
    // Real factors are 1-64; anything non-finite or absurd is ignored rather than sizing an infinite table.
    factor = typeof scaling.factor === 'number' && Number.isFinite(scaling.factor) && scaling.factor > 0 && scaling.factor <= 1024 ? scaling.factor : 1;
  }
  const caches: RotaryCache[] = [];
  if (type === 'linear' || type === 'dynamic') caches.push({ positions: Math.round(positions * factor), rotaryDim });
  else if (type === 'yarn' || type === 'deepseek_yarn') {
    const original = isObject(scaling) && isPositiveInt(scaling.original_max_position_embeddings) ? scaling.original_max_position_embeddings : positions / factor;
    caches.push({ positions: Math.round(original * factor), rotaryDim });
  } else if (type === 'longrope' || type === 'su') {
    const original = r.optInt('original_max_position_embeddings') ?? positions;
    caches.push({ positions: positions + original, rotaryDim });
  } else caches.push({ positions, rotaryDim });
  // Gemma 3 keeps a second, unscaled table for its local layers.
  if (family.startsWith('gemma3') && (type === 'linear' || type === 'dynamic')) caches.push({ positions, rotaryDim });
  return caches;
}

function defaultShape(r: ConfigReader, over: Partial<DecoderShape> = {}): DecoderShape {
  const hidden = over.hidden ?? r.int(['hidden_size', 'n_embd', 'n_embed', 'd_model', 'dim']);
  const heads = over.heads ?? r.int(['num_attention_heads', 'n_head', 'n_heads']);
  const kvHeads = r.optInt('num_key_value_heads', 'num_kv_heads', 'n_head_kv', 'n_kv_heads') ?? heads;
  const headDim = r.optInt('head_dim') ?? (heads > 0 ? Math.floor(hidden / heads) : 0);
  return {
    hidden,
    vocab: r.int(['vocab_size', 'padded_vocab_size', 'n_vocab']),
    layers: over.layers ?? r.int(['num_hidden_layers', 'n_layer', 'n_layers', 'num_layers']),
    heads,
    kvHeads,
    headDim,
    intermediate: r.optInt('intermediate_size', 'n_inner', 'ffn_dim', 'ffn_hidden_size') ?? 4 * hidden,
    qkvBias: r.bool('attention_bias', false) || r.bool('use_qkv_bias', false) || r.bool('qkv_bias', false),
    oBias: r.bool('attention_bias', false),
    mlpBias: r.bool('mlp_bias', false),
    gated: true,
    normsPerLayer: 2,
    normBias: false,
    qkNorm: 'none',
    tie: r.bool('tie_word_embeddings', false),
    lmHeadBias: false,
    learnedPositions: 0,
    embeddingNorm: false,
    finalNormBias: false,
    ...over,
  };
}

interface Built {
  name: string;
  architecture: string;
  family: string;
  shape: DecoderShape;
  layers: LayerDescription[];
  weights: WeightSink;
  rotary: RotaryCache[];
  maxPos?: number;
}

/** Llama-like decoder: attention + (dense or MoE) MLP in every layer. */
function buildDecoder(r: ConfigReader, family: string, s: DecoderShape, opts: {
  /** Each layer's routed experts (undefined: a dense layer); absent: every layer dense. */
  moeByLayer?: readonly (MoeLayer | undefined)[];
  moeOpts?: MoeWeightOptions;
  /** Each layer's dense MLP width; absent: the shape's intermediate size. */
  denseIntermediateByLayer?: readonly number[];
  extraPerLayer?: (out: WeightSink, i: number) => void;
  rotaryDim?: number;
  embedVocab?: number;
}): Omit<Built, 'name' | 'architecture' | 'family'> {
  const weights = new WeightSink();
  const layers: LayerDescription[] = [];
  embeddings(weights, s, opts.embedVocab);
  const { sliding, window } = slidingLayers(r, family, s.layers);
  // Layers alike share their attention description (never mutated): fewer objects kept, and kinds compare by identity.
  const fullAttention = attentionLayer(s, 'full', undefined);
  const slidingAttention = attentionLayer(s, 'sliding', window);
  for (let i = 0; i < s.layers; i++) {
    attentionWeights(weights, i, s);
    const moe = opts.moeByLayer?.[i];
    const denseWidth = opts.denseIntermediateByLayer ? opts.denseIntermediateByLayer[i] : s.intermediate;
    if (moe) moeWeights(weights, i, s.hidden, moe, opts.moeOpts ?? {});
    else denseMlpWeights(weights, i, s.hidden, denseWidth, s.gated, s.mlpBias);
    pushNorm(weights, i, s.hidden, s.normsPerLayer, s.normBias);
    opts.extraPerLayer?.(weights, i);
    layers.push({
      index: i,
      attention: sliding[i] ? slidingAttention : fullAttention,
      moe,
      mlpIntermediate: moe ? 0 : denseWidth,
      gatedMlp: s.gated,
    });
  }
  head(weights, s);
  const maxPos = r.optInt('max_position_embeddings', 'n_positions', 'max_seq_len', 'max_sequence_length', 'seq_length');
  const rotaryDim = opts.rotaryDim ?? r.optInt('rotary_dim') ?? Math.floor(s.headDim * ropePartialFactor(r));
  return { shape: s, layers, weights, rotary: rotaryFor(r, maxPos, rotaryDim, family), maxPos };
}

function routedMoe(experts: number, topK: number, width: number, shared: number, hidden: number, gated = true): MoeLayer {
  return {
    experts, expertsPerToken: topK, expertIntermediate: width, sharedExperts: shared,
    paramsPerExpert: hidden * width * (gated ? 3 : 2),
  };
}

/**
 * Mixtral, Qwen2/3-MoE, PhiMoE, gpt-oss, Llama 4, DeepSeek-style keys: each layer's experts and dense width, as
 * arrays (data, not per-layer callbacks: a closure made per config loses its compiled code at each full GC, shapes.ts).
 */
function moePlan(r: ConfigReader, family: string, s: DecoderShape): {
  moeByLayer?: (MoeLayer | undefined)[]; denseIntermediateByLayer?: number[]; sharedIntermediate?: number;
} {
  const experts = r.optInt('num_local_experts', 'num_experts', 'n_routed_experts', 'moe_num_experts');
  if (!experts) return {};
  const topK = r.int(['num_experts_per_tok', 'experts_per_token', 'moe_top_k', 'top_k'], 2, 'router top-k not stated');
  const width = r.optInt('moe_intermediate_size') ?? s.intermediate;
  const shared = r.optInt('n_shared_experts', 'num_shared_experts') ?? 0;
  const sharedWidth = r.optInt('shared_expert_intermediate_size');
  const firstDense = r.optInt('first_k_dense_replace') ?? 0;
  const freq = r.optInt('moe_layer_freq', 'decoder_sparse_step', 'interleave_moe_layer_step') ?? 1;
  const mlpOnly = new Set(Array.isArray(r.raw('mlp_only_layers')) ? (r.raw('mlp_only_layers') as unknown[]).filter(isPositiveInt) : []);
  const moeLayerList = r.raw('moe_layers');
  const explicit = Array.isArray(moeLayerList) ? new Set(moeLayerList.filter((x): x is number => typeof x === 'number')) : undefined;
  const llama4Dense = family === 'llama4' ? r.optInt('intermediate_size_mlp') : undefined;
  const sharedCount = family === 'llama4' ? 1 : shared;
  // Every MoE layer shares one description (never mutated).
  const moe = routedMoe(experts, topK, width, sharedCount, s.hidden);
  const moeByLayer: (MoeLayer | undefined)[] = [];
  const denseIntermediateByLayer: number[] = [];
  for (let i = 0; i < s.layers; i++) {
    let isMoe: boolean;
    if (explicit) isMoe = explicit.has(i);
    else if (mlpOnly.has(i) || i < firstDense) isMoe = false;
    else if (family === 'llama4' || family.startsWith('qwen')) isMoe = (i + 1) % freq === 0;
    else isMoe = (i - firstDense) % freq === 0;
    moeByLayer.push(isMoe ? moe : undefined);
    denseIntermediateByLayer.push(isMoe ? 0 : (llama4Dense ?? s.intermediate));
  }
  return {
    moeByLayer, denseIntermediateByLayer,
    sharedIntermediate: sharedWidth ?? (sharedCount > 0 ? sharedCount * width : undefined),
  };
}

/** ViT-style vision towers of multimodal wrappers (SigLIP, Qwen2.5-VL, Mllama, Qwen3-VL, Kimi). */
function visionParams(vc: Json, textHidden: number, family: string): { params: number; note?: string } {
  const v = new ConfigReader(vc);
  if (v.has('qkv_hidden_size', 'merge_kernel_size')) return moonVitParams(v, textHidden);
  const h = v.optInt('hidden_size', 'vt_hidden_size', 'embed_dim', 'width');
  const layers = (v.optInt('num_hidden_layers', 'depth', 'vt_num_hidden_layers', 'layers') ?? 0) + (v.optInt('num_global_layers') ?? 0);
  if (!h || !layers) return { params: 0, note: 'vision_config without hidden size/depth: vision tower not counted' };
  const inter = v.optInt('intermediate_size', 'vt_intermediate_size', 'mlp_dim') ?? 4 * h;
  const patch = v.optInt('patch_size', 'spatial_patch_size') ?? 14;
  const channels = v.optInt('num_channels', 'in_chans', 'in_channels') ?? 3;
  const temporal = v.optInt('temporal_patch_size') ?? (family.startsWith('qwen2_5_vl') ? 2 : 1);
  // Qwen2.5-VL and Gemma 4 vision towers use gated MLPs.
  const gatedVision = family.startsWith('qwen2_5_vl') || family.startsWith('gemma4');
  const perLayer = 4 * h * h + 4 * h + (gatedVision ? 3 * h * inter + 2 * inter + h : 2 * h * inter + inter + h) + 4 * h;
  let params = layers * perLayer + channels * temporal * patch * patch * h + h;
  const image = v.optInt('image_size');
  if (image) params += Math.pow(Math.floor(image / patch), 2) * h;
  // Gemma 4: a factorised 2-D position table (one row per position per axis).
  const positionTable = v.optInt('position_embedding_size');
  if (positionTable) params += 2 * positionTable * h;
  // Projector into the language model: a merger MLP (Qwen-VL), a linear (Gemma 3), or Mllama's 7680->h.
  const outHidden = v.optInt('out_hidden_size') ?? textHidden;
  const merge = v.optInt('spatial_merge_size') ?? 1;
  if (merge > 1) {
    const mergedIn = h * merge * merge;
    params += h + mergedIn * mergedIn + mergedIn + mergedIn * outHidden + outHidden;
  } else {
    const projIn = v.optInt('vision_output_dim') ?? h;
    params += projIn * outHidden + (v.optInt('vision_output_dim') ? outHidden : h);
  }
  return { params };
}

/**
 * MoonViT (Kimi-K2.5/K3, vLLM `kimi_k25_vit.py`): bias-free blocks with RMSNorms, attention of width
 * `qkv_hidden_size`, a learned 2-D position table, and a patch-merger projector (merge window → text hidden).
 */
function moonVitParams(v: ConfigReader, textHidden: number): { params: number } {
  const h = v.int(['vt_hidden_size', 'hidden_size']);
  const layers = v.int(['vt_num_hidden_layers', 'num_hidden_layers']);
  const inter = v.optInt('vt_intermediate_size', 'intermediate_size') ?? 4 * h;
  const qkv = v.optInt('qkv_hidden_size') ?? h;
  const patch = v.optInt('patch_size') ?? 14;
  const perLayer = 2 * h + 3 * qkv * h + qkv * h + 2 * h * inter;
  const positions = (v.optInt('init_pos_emb_height') ?? 0) * (v.optInt('init_pos_emb_width') ?? 0) * h;
  const mergeRaw = v.raw('merge_kernel_size');
  const merge = Array.isArray(mergeRaw) ? mergeRaw.filter(isPositiveInt).reduce((a, b) => a * b, 1) : 1;
  const mergedIn = h * merge;
  const projector = mergedIn * mergedIn + mergedIn * textHidden + textHidden;
  return { params: 3 * patch * patch * h + positions + layers * perLayer + h + projector };
}

function llamaLike(r: ConfigReader, family: string): Omit<Built, 'name' | 'architecture' | 'family'> {
  const over: Partial<DecoderShape> = {};
  if (family.startsWith('qwen2')) over.qkvBias = true;
  if (family === 'qwen3' || family === 'qwen3_moe' || family.startsWith('qwen3')) over.qkNorm = 'per-head';
  if (family.startsWith('gemma')) over.tie = r.bool('tie_word_embeddings', true);
  if (family === 'gemma2' || family.startsWith('gemma3')) over.normsPerLayer = 4;
  if (family.startsWith('gemma3')) over.qkNorm = 'per-head';
  if (family === 'olmo2') over.qkNorm = 'per-head-full';
  // These configs rely on their config class's default of tied embeddings (SmolLM3Config, GraniteConfig).
  if (family === 'granite' || family === 'granitemoe' || family === 'smollm3') over.tie = r.bool('tie_word_embeddings', true);
  if (family === 'stablelm') {
    over.normBias = !r.has('use_norm_bias') || r.bool('use_norm_bias', true);
    over.finalNormBias = over.normBias;
    over.normsPerLayer = r.bool('use_parallel_residual', false) ? 1 : 2;
  }
  if (family === 'phimoe') {
    over.normBias = true;
    over.finalNormBias = true;
    over.lmHeadBias = r.bool('lm_head_bias', false);
  }
  if (family === 'gpt_oss') { over.qkvBias = true; over.oBias = true; }
  if (family === 'molmo') { over.qkvBias = r.bool('qkv_bias', false); over.intermediate = Math.floor(r.int('intermediate_size') / 2); }
  const s = defaultShape(r, over);
  if (family === 'molmo') {
    // Molmo's embedding has 128 extra "new" token rows beside the vocabulary.
    s.vocab = r.int(['embedding_size', 'vocab_size']);
  }
  if (family === 'stablelm' && r.bool('qk_layernorm', false)) {
    // Per-head LayerNorm weights for q (heads x d) and k (kv heads x d).
    s.qkNorm = 'none';
  }
  const plan = moePlan(r, family, s);
  const built = buildDecoder(r, family, s, {
    moeByLayer: plan.moeByLayer,
    denseIntermediateByLayer: plan.denseIntermediateByLayer,
    moeOpts: {
      routerBias: family === 'gpt_oss',
      expertBias: family === 'gpt_oss',
      sharedIntermediate: plan.sharedIntermediate,
      sharedGate: family === 'qwen2_moe',
    },
    extraPerLayer: (out, i) => {
      if (family === 'gpt_oss') out.add('norm', s.heads, 'split', i, false);
      if (family === 'stablelm' && r.bool('qk_layernorm', false)) pushNorm(out, i, (s.heads + s.kvHeads) * s.headDim);
    },
  });
  return built;
}

/**
 * DeepSeek V3.2 / GLM-5 sparse-attention indexer keys in vLLM (`DeepseekV32IndexerCache`): fp8 values plus one
 * fp32 scale per 128, stored as bytes. Example: index_head_dim 128 → 128 + 4 = 132 bytes per token per layer.
 */
function dsaIndexerBytesPerToken(indexHeadDim: number): number {
  return indexHeadDim + 4 * Math.ceil(indexHeadDim / 128);
}

function deepseekLike(r: ConfigReader, family: string): Omit<Built, 'name' | 'architecture' | 'family'> {
  const native = r.has('dim') && !r.has('hidden_size');
  const s = defaultShape(r, { tie: false });
  if (native) {
    s.intermediate = r.int('inter_dim');
    s.kvHeads = s.heads;
  }
  const qLora = r.optInt('q_lora_rank');
  const kvLora = r.int('kv_lora_rank');
  const nope = r.int('qk_nope_head_dim');
  const rope = r.int('qk_rope_head_dim');
  const vDim = r.int('v_head_dim');
  const qHead = nope + rope;
  const experts = r.int(['n_routed_experts', 'num_experts']);
  const topK = r.int(['num_experts_per_tok', 'n_activated_experts']);
  const moeWidth = r.int(['moe_intermediate_size', 'moe_inter_dim']);
  const shared = r.optInt('n_shared_experts') ?? 0;
  const firstDense = r.optInt('first_k_dense_replace', 'n_dense_layers') ?? 0;
  const freq = r.optInt('moe_layer_freq') ?? 1;
  const indexerDim = r.optInt('index_head_dim');
  const weights = new WeightSink();
  const layers: LayerDescription[] = [];
  // One attention and one MoE description shared by the layers (never mutated).
  const attention: AttentionLayer = { type: 'mla', heads: s.heads, kvHeads: 1, headDim: qHead, mlaLatentDim: kvLora + rope, ...(indexerDim ? { indexerBytesPerToken: dsaIndexerBytesPerToken(indexerDim) } : {}) };
  const routed = routedMoe(experts, topK, moeWidth, shared, s.hidden);
  embeddings(weights, s);
  for (let i = 0; i < s.layers; i++) {
    if (qLora) {
      pushLinear(weights, 'attention', i, s.hidden, qLora, false, 'replicated');
      pushNorm(weights, i, qLora);
      pushLinear(weights, 'attention', i, qLora, s.heads * qHead, false);
    } else pushLinear(weights, 'attention', i, s.hidden, s.heads * qHead, false);
    pushLinear(weights, 'attention', i, s.hidden, kvLora + rope, false, 'replicated');
    pushNorm(weights, i, kvLora);
    pushLinear(weights, 'attention', i, kvLora, s.heads * (nope + vDim), false);
    pushLinear(weights, 'attention', i, s.heads * vDim, s.hidden, false);
    if (indexerDim) {
      // V3.2 sparse-attention indexer: wq_b, wk, k_norm, weights_proj.
      const idxHeads = r.int('index_n_heads', 64);
      pushLinear(weights, 'attention', i, qLora ?? s.hidden, idxHeads * indexerDim, false, 'replicated');
      pushLinear(weights, 'attention', i, s.hidden, indexerDim, false, 'replicated');
      pushNorm(weights, i, indexerDim, 1, true);
      pushLinear(weights, 'attention', i, s.hidden, idxHeads, false, 'replicated');
    }
    const isMoe = i >= firstDense && (i - firstDense) % freq === 0;
    const moe = isMoe ? routed : undefined;
    if (moe) {
      moeWeights(weights, i, s.hidden, moe, {});
      if (r.raw('topk_method') === 'noaux_tc' || r.raw('score_func') === 'sigmoid' || r.raw('scoring_func') === 'sigmoid') {
        weights.add('router', experts, 'replicated', i, false); // e_score_correction_bias
      }
    } else denseMlpWeights(weights, i, s.hidden, s.intermediate, true, false);
    pushNorm(weights, i, s.hidden, 2);
    layers.push({
      index: i,
      attention,
      moe,
      mlpIntermediate: moe ? 0 : s.intermediate,
      gatedMlp: true,
    });
  }
  head(weights, s);
  const maxPos = r.optInt('max_position_embeddings') ?? (native ? r.optInt('max_seq_len') : undefined);
  return { shape: s, layers, weights, rotary: rotaryFor(r, maxPos, rope, family), maxPos };
}

/**
 * Which layers are linear-attention layers: `layer_types` ("linear_attention" / "full_attention"), else every
 * `full_attention_interval`-th layer is full (Qwen3-Next, Qwen3.5: three Gated DeltaNet layers, then one).
 */
function linearAttentionLayers(r: ConfigReader, layers: number): boolean[] {
  const types = r.raw('layer_types');
  if (Array.isArray(types) && types.length >= layers) return types.slice(0, layers).map((t) => t === 'linear_attention');
  const interval = r.int('full_attention_interval', 4, 'Qwen3NextConfig default');
  return Array.from({ length: layers }, (_, i) => (i + 1) % interval !== 0);
}

/**
 * Qwen3-Next, Qwen3.5 and Qwen3.6 (vLLM `qwen3_next.py`, `qwen3_5.py`): Gated DeltaNet layers with a full
 * attention layer every `full_attention_interval`; full layers gate their output (q_proj is twice as wide).
 * A Gated DeltaNet layer projects to q, k (`linear_num_key_heads` × `linear_key_head_dim`), v and the output gate
 * z (`linear_num_value_heads` × `linear_value_head_dim`) plus one decay and one beta per value head, runs a causal
 * conv over q, k and v, and keeps per sequence a conv state of (kernel − 1) × conv width and a recurrent state of
 * one key × value matrix per value head.
 */
function gatedDeltaNetHybrid(r: ConfigReader, family: string): Omit<Built, 'name' | 'architecture' | 'family'> {
  const s = defaultShape(r, { qkNorm: 'per-head' });
  const kHeads = r.int('linear_num_key_heads');
  const vHeads = r.int('linear_num_value_heads');
  const kDim = r.int('linear_key_head_dim');
  const vDim = r.int('linear_value_head_dim');
  const kernel = r.int('linear_conv_kernel_dim', 4, 'Qwen3NextConfig default');
  const keyWidth = kHeads * kDim;
  const valueWidth = vHeads * vDim;
  const convWidth = 2 * keyWidth + valueWidth;
  const outputGate = r.bool('attn_output_gate', true);
  const linear = linearAttentionLayers(r, s.layers);
  const plan = moePlan(r, family, s);
  const weights = new WeightSink();
  const layers: LayerDescription[] = [];
  embeddings(weights, s);
  for (let i = 0; i < s.layers; i++) {
    let layer: LayerDescription;
    if (linear[i]) {
      pushLinear(weights, 'attention', i, s.hidden, 2 * keyWidth + 2 * valueWidth, false); // q, k, v, z
      pushLinear(weights, 'attention', i, s.hidden, 2 * vHeads, false); // b, a
      weights.add('attention', convWidth * kernel, 'split', i, false);
      weights.add('attention', 2 * vHeads, 'split', i, false); // dt_bias, A_log
      pushNorm(weights, i, vDim);
      pushLinear(weights, 'attention', i, valueWidth, s.hidden, false);
      layer = {
        index: i,
        mamba: { kind: 'gated-delta-net', convElements: convWidth * (kernel - 1), ssmElements: vHeads * kDim * vDim, ssmFloat32: ssmFloat32State(r, false), heads: vHeads },
        mlpIntermediate: 0, gatedMlp: true,
      };
    } else {
      const qWidth = s.heads * s.headDim * (outputGate ? 2 : 1);
      pushLinear(weights, 'attention', i, s.hidden, qWidth + 2 * s.kvHeads * s.headDim, s.qkvBias);
      pushLinear(weights, 'attention', i, s.heads * s.headDim, s.hidden, false);
      pushNorm(weights, i, s.headDim, 2);
      layer = { index: i, attention: attentionLayer(s), mlpIntermediate: 0, gatedMlp: true };
    }
    const moe = plan.moeByLayer?.[i];
    if (moe) {
      moeWeights(weights, i, s.hidden, moe, { sharedIntermediate: plan.sharedIntermediate, sharedGate: true });
      layer.moe = moe;
    } else {
      denseMlpWeights(weights, i, s.hidden, s.intermediate, true, false);
      layer.mlpIntermediate = s.intermediate;
    }
    pushNorm(weights, i, s.hidden, 2);
    layers.push(layer);
  }
  head(weights, s);
  const maxPos = r.optInt('max_position_embeddings');
  const partial = ropePartialFactor(r);
  return { shape: s, layers, weights, rotary: rotaryFor(r, maxPos, Math.floor(s.headDim * partial), family), maxPos };
}

/** `partial_rotary_factor` at top level or inside `rope_parameters` (transformers 5), within (0, 1]. */
function ropePartialFactor(r: ConfigReader): number {
  const params = r.raw('rope_parameters');
  const nested = isObject(params) && typeof params.partial_rotary_factor === 'number' ? params.partial_rotary_factor : undefined;
  const raw = r.num('partial_rotary_factor', nested ?? r.num('rotary_pct', 1));
  return raw > 0 && raw <= 1 ? raw : 1;
}

/**
 * LFM2 (vLLM `lfm2.py`): gated short-convolution layers and GQA attention layers (q/k norms), each followed by a
 * SwiGLU MLP. Attention layers come from `layer_types` or `full_attn_idxs` (0-based). A short-conv layer projects
 * to B, C and x (3 × hidden), runs a depthwise conv of `conv_L_cache` taps and keeps (taps − 1) × hidden of conv
 * state per sequence. The MLP width is `block_ff_dim`, auto-adjusted as in the model: 2/3 of it, times
 * `block_ffn_dim_multiplier`, rounded up to `block_multiple_of`.
 */
function lfm2(r: ConfigReader, family: string): Omit<Built, 'name' | 'architecture' | 'family'> {
  const s = defaultShape(r, { qkNorm: 'per-head', tie: r.bool('tie_word_embeddings', true) });
  let ff = r.optInt('block_ff_dim') ?? s.intermediate;
  if (r.bool('block_auto_adjust_ff_dim', false)) {
    ff = Math.floor((2 * ff) / 3);
    const multiplier = r.num('block_ffn_dim_multiplier', 1);
    if (!(multiplier > 0 && multiplier <= 64)) r.missing.push(`${r.prefix}block_ffn_dim_multiplier (a positive number up to 64)`);
    ff = Math.floor(multiplier * ff);
    const multiple = r.optInt('block_multiple_of') ?? 256;
    ff = multiple * Math.ceil(ff / multiple);
  }
  s.intermediate = ff;
  const types = r.raw('layer_types');
  const idxs = r.raw('full_attn_idxs');
  const attentionAt = Array.isArray(types) && types.length >= s.layers
    ? types.slice(0, s.layers).map((t) => t === 'full_attention')
    : Array.from({ length: s.layers }, (_, i) => Array.isArray(idxs) && idxs.includes(i));
  const taps = r.int('conv_L_cache', 3, 'Lfm2Config default');
  const convBias = r.bool('conv_bias', false);
  const weights = new WeightSink();
  const layers: LayerDescription[] = [];
  embeddings(weights, s);
  for (let i = 0; i < s.layers; i++) {
    let layer: LayerDescription;
    if (attentionAt[i]) {
      attentionWeights(weights, i, s);
      layer = { index: i, attention: attentionLayer(s), mlpIntermediate: ff, gatedMlp: true };
    } else {
      pushLinear(weights, 'attention', i, s.hidden, 3 * s.hidden, convBias);
      weights.add('attention', s.hidden * taps + (convBias ? s.hidden : 0), 'split', i, false);
      pushLinear(weights, 'attention', i, s.hidden, s.hidden, convBias);
      layer = { index: i, mamba: { kind: 'short-conv', convElements: s.hidden * (taps - 1), ssmElements: 0, ssmFloat32: false, heads: 1 }, mlpIntermediate: ff, gatedMlp: true };
    }
    denseMlpWeights(weights, i, s.hidden, ff, true, false);
    pushNorm(weights, i, s.hidden, 2);
    layers.push(layer);
  }
  head(weights, s);
  const maxPos = r.optInt('max_position_embeddings');
  return { shape: s, layers, weights, rotary: rotaryFor(r, maxPos, s.headDim, family), maxPos };
}

/**
 * Gemma 4 (vLLM `gemma4.py`): sliding layers (`head_dim`, `num_key_value_heads`, `sliding_window`) and full
 * layers (`global_head_dim`; with `attention_k_eq_v` they have no v_proj and `num_global_key_value_heads` heads).
 * vLLM copies k_proj into the V slot, so a k_eq_v layer still caches K and V. Every layer has a dense GeGLU MLP,
 * and with `enable_moe_block` a routed MoE beside it. The last `num_kv_shared_layers` layers read the cache of
 * an earlier layer of their type and allocate none. Per-layer input embeddings (`hidden_size_per_layer_input`)
 * add a gate and a projection per layer and one wide table.
 */
function gemma4(r: ConfigReader, family: string): Omit<Built, 'name' | 'architecture' | 'family'> {
  const s = defaultShape(r, { tie: r.bool('tie_word_embeddings', true), gated: true, normsPerLayer: 4, qkNorm: 'per-head' });
  const types = r.raw('layer_types');
  const full = Array.from({ length: s.layers }, (_, i) => Array.isArray(types) && types[i] === 'full_attention');
  const window = r.int('sliding_window', 512, 'Gemma4TextConfig default');
  const globalHeadDim = r.optInt('global_head_dim') ?? s.headDim;
  const kEqV = r.bool('attention_k_eq_v', false);
  const globalKvHeads = r.optInt('num_global_key_value_heads') ?? s.kvHeads;
  const shared = Math.min(s.layers, r.optInt('num_kv_shared_layers') ?? 0);
  const firstShared = s.layers - shared;
  const experts = r.bool('enable_moe_block', false) ? r.optInt('num_experts') : undefined;
  const moe = experts ? routedMoe(experts, r.int(['top_k_experts', 'num_experts_per_tok']), r.int('moe_intermediate_size'), 0, s.hidden) : undefined;
  const ple = r.optInt('hidden_size_per_layer_input') ?? 0;
  const doubleWide = r.bool('use_double_wide_mlp', false);
  const weights = new WeightSink();
  const layers: LayerDescription[] = [];
  embeddings(weights, s);
  if (ple > 0) {
    const pleVocab = r.optInt('vocab_size_per_layer_input') ?? s.vocab;
    weights.add('embedding', pleVocab * s.layers * ple, 'vocab', undefined, false, pleVocab, s.layers * ple);
    pushLinear(weights, 'mlp', undefined, s.hidden, s.layers * ple, false, 'replicated');
    pushNorm(weights, undefined, ple);
  }
  for (let i = 0; i < s.layers; i++) {
    const headDim = full[i] ? globalHeadDim : s.headDim;
    const kvHeads = full[i] && kEqV ? globalKvHeads : s.kvHeads;
    const kvShared = i >= firstShared;
    const kvProjections = kvShared ? 0 : full[i] && kEqV ? 1 : 2;
    pushLinear(weights, 'attention', i, s.hidden, s.heads * headDim + kvProjections * kvHeads * headDim, false);
    pushLinear(weights, 'attention', i, s.heads * headDim, s.hidden, false);
    pushNorm(weights, i, headDim, kvShared ? 1 : 2);
    const width = kvShared && doubleWide ? 2 * s.intermediate : s.intermediate;
    denseMlpWeights(weights, i, s.hidden, width, true, false);
    pushNorm(weights, i, s.hidden, 4);
    weights.add('norm', 1, 'replicated', i, false); // layer_scalar
    if (moe) {
      moeWeights(weights, i, s.hidden, moe, {});
      weights.add('router', s.hidden + moe.experts, 'replicated', i, false); // scale, per_expert_scale
      pushNorm(weights, i, s.hidden, 3);
    }
    if (ple > 0) {
      pushLinear(weights, 'mlp', i, s.hidden, ple, false);
      pushLinear(weights, 'mlp', i, ple, s.hidden, false);
      pushNorm(weights, i, s.hidden);
    }
    const kvSource = kvShared ? lastLayerOfType(full, firstShared, full[i]) : undefined;
    layers.push({
      index: i,
      attention: {
        type: full[i] ? 'full' : 'sliding', heads: s.heads, kvHeads, headDim, window: full[i] ? undefined : window,
        ...(kvSource !== undefined ? { kvSharedWith: kvSource } : {}),
      },
      moe,
      mlpIntermediate: width,
      gatedMlp: true,
    });
  }
  head(weights, s);
  const maxPos = r.optInt('max_position_embeddings');
  return { shape: s, layers, weights, rotary: rotaryFor(r, maxPos, s.headDim, family), maxPos };
}

/** The last layer before `end` whose type (full or not) is `full`: the layer a KV-shared layer reads from. */
function lastLayerOfType(full: boolean[], end: number, isFull: boolean): number | undefined {
  for (let j = end - 1; j >= 0; j--) if (full[j] === isFull) return j;
  return undefined;
}

/**
 * poolside Laguna (vLLM `laguna.py`): per-layer query heads (`num_attention_heads_per_layer`), 8 KV heads,
 * full and sliding layers from `layer_types`, q/k norms and a softplus output gate (`g_proj`: one value per
 * head, or per element with `gating: "per-element"`); a dense first layer (`mlp_layer_types` / `mlp_only_layers`),
 * then sigmoid-routed MoE with a score-correction bias and one shared SwiGLU expert.
 */
function laguna(r: ConfigReader, family: string): Omit<Built, 'name' | 'architecture' | 'family'> {
  const s = defaultShape(r, { qkNorm: 'per-head' });
  const headsRaw = r.raw('num_attention_heads_per_layer');
  const headsAt = (i: number): number => (Array.isArray(headsRaw) && isPositiveInt(headsRaw[i]) ? headsRaw[i] as number : s.heads);
  const { sliding, window } = slidingLayers(r, family, s.layers);
  const mlpTypes = r.raw('mlp_layer_types');
  const mlpOnly = r.raw('mlp_only_layers');
  const dense = (i: number): boolean => (Array.isArray(mlpTypes) ? mlpTypes[i] === 'dense' : Array.isArray(mlpOnly) ? mlpOnly.includes(i) : i === 0);
  const gating = r.raw('gating');
  const gatePerElement = gating === 'per-element';
  const experts = r.int('num_experts');
  const moe = routedMoe(experts, r.int('num_experts_per_tok'), r.int('moe_intermediate_size'), 1, s.hidden);
  const sharedWidth = r.optInt('shared_expert_intermediate_size') ?? moe.expertIntermediate;
  const weights = new WeightSink();
  const layers: LayerDescription[] = [];
  embeddings(weights, s);
  for (let i = 0; i < s.layers; i++) {
    const heads = headsAt(i);
    attentionWeights(weights, i, s, heads, s.kvHeads);
    if (gating !== false && gating !== undefined) pushLinear(weights, 'attention', i, s.hidden, heads * (gatePerElement ? s.headDim : 1), false);
    const layerMoe = dense(i) ? undefined : moe;
    if (layerMoe) {
      moeWeights(weights, i, s.hidden, layerMoe, { sharedIntermediate: sharedWidth });
      weights.add('router', experts, 'replicated', i, false); // e_score_correction_bias
    } else denseMlpWeights(weights, i, s.hidden, s.intermediate, true, false);
    pushNorm(weights, i, s.hidden, 2);
    layers.push({
      index: i,
      attention: { type: sliding[i] ? 'sliding' : 'full', heads, kvHeads: s.kvHeads, headDim: s.headDim, window: sliding[i] ? window : undefined },
      moe: layerMoe,
      mlpIntermediate: layerMoe ? 0 : s.intermediate,
      gatedMlp: true,
    });
  }
  head(weights, s);
  const maxPos = r.optInt('max_position_embeddings');
  return { shape: s, layers, weights, rotary: rotaryFor(r, maxPos, Math.floor(s.headDim * ropePartialFactor(r)), family), maxPos };
}

/** MLA projections (DeepSeek-V2/V3 and Kimi's gated MLA): q through a LoRA (or direct), kv through a latent. */
function mlaWeights(out: WeightSink, layer: number, r: ConfigReader, hidden: number, heads: number, outputGate: boolean): { latent: number; qHead: number } {
  const qLora = r.optInt('q_lora_rank');
  const kvLora = r.int('kv_lora_rank');
  const nope = r.int('qk_nope_head_dim');
  const rope = r.int('qk_rope_head_dim');
  const vDim = r.int('v_head_dim');
  const qHead = nope + rope;
  if (qLora) {
    pushLinear(out, 'attention', layer, hidden, qLora, false, 'replicated');
    pushNorm(out, layer, qLora);
    pushLinear(out, 'attention', layer, qLora, heads * qHead, false);
  } else pushLinear(out, 'attention', layer, hidden, heads * qHead, false);
  pushLinear(out, 'attention', layer, hidden, kvLora + rope, false, 'replicated');
  pushNorm(out, layer, kvLora);
  pushLinear(out, 'attention', layer, kvLora, heads * (nope + vDim), false);
  if (outputGate) pushLinear(out, 'attention', layer, hidden, heads * vDim, false);
  pushLinear(out, 'attention', layer, heads * vDim, hidden, false);
  return { latent: kvLora + rope, qHead };
}

/**
 * Kimi Linear and Kimi-K3 (vLLM `kimi_linear.py`, `models/kimi_k3`): Kimi Delta Attention layers and gated MLA
 * layers, listed 1-based in `linear_attn_config.kda_layers` / `full_attn_layers`. A KDA layer projects q, k, v
 * (heads × head_dim each) and an output gate (full rank, or low rank through head_dim), a low-rank decay gate and
 * one beta per head, with short depthwise convs on q, k and v; per sequence it keeps (kernel − 1) × 3 × heads ×
 * head_dim of conv state and a float32 head_dim × head_dim matrix per head. MoE layers route experts in a latent
 * of `routed_expert_hidden_size` (down- and up-projections around them) beside full-width shared experts.
 * Attention residuals (`attn_res_block_size`) add two norms and two 1 × hidden projections per layer.
 */
function kimiLinear(r: ConfigReader, family: string): Omit<Built, 'name' | 'architecture' | 'family'> {
  const s = defaultShape(r, { tie: r.bool('tie_word_embeddings', false) });
  const lac = r.raw('linear_attn_config');
  const la = new ConfigReader(isObject(lac) ? lac : {}, `${r.prefix}linear_attn_config.`);
  const kdaHeads = la.int('num_heads');
  const kdaDim = la.int('head_dim');
  const kernel = la.int('short_conv_kernel_size', 4, 'KimiLinearConfig default');
  const fullRankGate = la.bool('use_full_rank_gate', false);
  const kdaList = la.raw('kda_layers');
  const kda = new Set(Array.isArray(kdaList) ? kdaList.filter(isPositiveInt) : []);
  r.missing.push(...la.missing);
  r.assumptions.push(...la.assumptions);
  const P = kdaHeads * kdaDim;
  const outputGate = r.bool('mla_use_output_gate', false);
  const experts = r.optInt('num_experts', 'n_routed_experts');
  const firstDense = r.optInt('first_k_dense_replace') ?? 0;
  const freq = r.optInt('moe_layer_freq') ?? 1;
  const latent = r.optInt('routed_expert_hidden_size');
  const moe = experts
    ? routedMoe(experts, r.int(['num_experts_per_token', 'num_experts_per_tok']), r.int('moe_intermediate_size'), r.optInt('num_shared_experts', 'n_shared_experts') ?? 0, latent ?? s.hidden)
    : undefined;
  const attnRes = r.optInt('attn_res_block_size') !== undefined;
  const weights = new WeightSink();
  const layers: LayerDescription[] = [];
  embeddings(weights, s);
  for (let i = 0; i < s.layers; i++) {
    let layer: LayerDescription;
    if (kda.has(i + 1)) {
      pushLinear(weights, 'attention', i, s.hidden, 3 * P, false); // q, k, v
      if (fullRankGate) pushLinear(weights, 'attention', i, s.hidden, P, false);
      else { pushLinear(weights, 'attention', i, s.hidden, kdaDim, false); pushLinear(weights, 'attention', i, kdaDim, P, false); }
      pushLinear(weights, 'attention', i, s.hidden, kdaDim, false); // f_a
      pushLinear(weights, 'attention', i, kdaDim, P, false); // f_b
      pushLinear(weights, 'attention', i, s.hidden, kdaHeads, false); // beta
      weights.add('attention', 3 * P * kernel + kdaHeads + P, 'split', i, false); // convs, A_log, dt_bias
      pushNorm(weights, i, kdaDim);
      pushLinear(weights, 'attention', i, P, s.hidden, false);
      layer = { index: i, mamba: { kind: 'kimi-delta', convElements: 3 * P * (kernel - 1), ssmElements: kdaHeads * kdaDim * kdaDim, ssmFloat32: true, heads: kdaHeads }, mlpIntermediate: 0, gatedMlp: true };
    } else {
      const { latent: mlaLatent, qHead } = mlaWeights(weights, i, r, s.hidden, s.heads, outputGate);
      layer = { index: i, attention: { type: 'mla', heads: s.heads, kvHeads: 1, headDim: qHead, mlaLatentDim: mlaLatent }, mlpIntermediate: 0, gatedMlp: true };
    }
    if (moe && i >= firstDense && i % freq === 0) {
      pushLinear(weights, 'router', i, s.hidden, moe.experts, false, 'replicated', 'replicated', false);
      weights.add('router', moe.experts, 'replicated', i, false); // e_score_correction_bias
      if (latent) {
        pushLinear(weights, 'mlp', i, s.hidden, latent, false, 'replicated');
        pushLinear(weights, 'mlp', i, latent, s.hidden, false, 'replicated');
        if (r.bool('latent_moe_use_norm', false)) pushNorm(weights, i, latent);
      }
      weights.add('expert', moe.paramsPerExpert * moe.experts, 'split', i, true, latent ?? s.hidden, moe.expertIntermediate, moe.experts);
      denseMlpWeights(weights, i, s.hidden, moe.sharedExperts * moe.expertIntermediate, true, false, 'shared-expert');
      layer.moe = moe;
    } else {
      denseMlpWeights(weights, i, s.hidden, s.intermediate, true, false);
      layer.mlpIntermediate = s.intermediate;
    }
    pushNorm(weights, i, s.hidden, attnRes ? 6 : 2);
    layers.push(layer);
  }
  head(weights, s);
  if (attnRes) pushNorm(weights, undefined, s.hidden, 2);
  const maxPos = r.optInt('max_position_embeddings');
  return { shape: s, layers, weights, rotary: rotaryFor(r, maxPos, r.optInt('qk_rope_head_dim') ?? 0, family), maxPos };
}

/**
 * MiniMax-M1 / Text-01 (vLLM `minimax_text_01.py`): `attn_type_list` marks lightning (linear) attention layers
 * (0) and softmax GQA layers (1). A lightning layer projects q, k, v and an output gate (heads × head_dim each)
 * and keeps per sequence one head_dim × head_dim state per head, in the model dtype; every layer is MoE.
 */
function minimaxLinear(r: ConfigReader, family: string): Omit<Built, 'name' | 'architecture' | 'family'> {
  const s = defaultShape(r);
  const typesRaw = r.raw('attn_type_list');
  const softmax = (i: number): boolean => Array.isArray(typesRaw) && typesRaw[i] === 1;
  const inner = s.heads * s.headDim;
  const plan = moePlan(r, family, s);
  const weights = new WeightSink();
  const layers: LayerDescription[] = [];
  embeddings(weights, s);
  for (let i = 0; i < s.layers; i++) {
    let layer: LayerDescription;
    if (softmax(i)) {
      attentionWeights(weights, i, s);
      layer = { index: i, attention: attentionLayer(s), mlpIntermediate: 0, gatedMlp: true };
    } else {
      pushLinear(weights, 'attention', i, s.hidden, 3 * inner, false);
      pushLinear(weights, 'attention', i, s.hidden, inner, false); // output_gate
      pushLinear(weights, 'attention', i, inner, s.hidden, false);
      pushNorm(weights, i, inner);
      layer = { index: i, mamba: { kind: 'lightning', convElements: 0, ssmElements: s.heads * s.headDim * s.headDim, ssmFloat32: false, heads: s.heads }, mlpIntermediate: 0, gatedMlp: true };
    }
    const moe = plan.moeByLayer?.[i];
    if (moe) { moeWeights(weights, i, s.hidden, moe, { sharedIntermediate: r.optInt('shared_intermediate_size') ?? 0 }); layer.moe = moe; }
    else { denseMlpWeights(weights, i, s.hidden, s.intermediate, true, false); layer.mlpIntermediate = s.intermediate; }
    pushNorm(weights, i, s.hidden, 2);
    layers.push(layer);
  }
  head(weights, s);
  const maxPos = r.optInt('max_position_embeddings');
  return { shape: s, layers, weights, rotary: rotaryFor(r, maxPos, r.optInt('rotary_dim') ?? s.headDim, family), maxPos };
}

/**
 * MiniMax-M3 (vLLM `models/minimax_m3`): softmax GQA in every layer with per-head q/k norms; the layers marked in
 * `sparse_attention_config.sparse_attention_freq` add a lightning indexer (query heads and one shared key head of
 * `sparse_index_dim`) whose keys vLLM caches beside the KV (bf16 by default). `moe_layer_freq` marks MoE layers;
 * the others are dense with `dense_intermediate_size`.
 */
function minimaxM3(r: ConfigReader, family: string): Omit<Built, 'name' | 'architecture' | 'family'> {
  const s = defaultShape(r, { qkNorm: r.bool('use_qk_norm', true) ? 'per-head' : 'none' });
  const sparseRaw = r.raw('sparse_attention_config');
  const sc = new ConfigReader(isObject(sparseRaw) ? sparseRaw : {}, `${r.prefix}sparse_attention_config.`);
  const sparseFreq = sc.raw('sparse_attention_freq');
  const sparse = (i: number): boolean => sc.bool('use_sparse_attention', false) && Array.isArray(sparseFreq) && Boolean(sparseFreq[i]);
  const indexDim = sc.optInt('sparse_index_dim') ?? 128;
  const indexHeads = sc.optInt('sparse_num_index_heads') ?? 1;
  const moeFreq = r.raw('moe_layer_freq');
  const isMoe = (i: number): boolean => (Array.isArray(moeFreq) ? Boolean(moeFreq[i]) : i >= (r.optInt('first_k_dense_replace') ?? 0));
  const experts = r.int('num_local_experts');
  const moe = routedMoe(experts, r.int('num_experts_per_tok'), r.int(['moe_intermediate_size', 'intermediate_size']), r.optInt('n_shared_experts') ?? 0, s.hidden);
  const sharedWidth = (r.optInt('shared_intermediate_size') ?? moe.expertIntermediate) * moe.sharedExperts;
  const denseWidth = r.optInt('dense_intermediate_size') ?? s.intermediate;
  const weights = new WeightSink();
  const layers: LayerDescription[] = [];
  embeddings(weights, s);
  for (let i = 0; i < s.layers; i++) {
    attentionWeights(weights, i, s);
    const attention = attentionLayer(s);
    if (sparse(i)) {
      pushLinear(weights, 'attention', i, s.hidden, indexHeads * indexDim, false);
      pushLinear(weights, 'attention', i, s.hidden, indexDim, false, 'replicated');
      pushNorm(weights, i, indexDim, 2);
      attention.indexerBytesPerToken = indexDim * 2;
    }
    const layerMoe = isMoe(i) ? moe : undefined;
    if (layerMoe) {
      moeWeights(weights, i, s.hidden, layerMoe, { sharedIntermediate: sharedWidth });
      if (r.bool('use_routing_bias', false)) weights.add('router', experts, 'replicated', i, false);
    } else denseMlpWeights(weights, i, s.hidden, denseWidth, true, false);
    pushNorm(weights, i, s.hidden, 2);
    layers.push({ index: i, attention, moe: layerMoe, mlpIntermediate: layerMoe ? 0 : denseWidth, gatedMlp: true });
  }
  head(weights, s);
  const maxPos = r.optInt('max_position_embeddings');
  return { shape: s, layers, weights, rotary: rotaryFor(r, maxPos, r.optInt('rotary_dim') ?? s.headDim, family), maxPos };
}

/**
 * vLLM's DeepSeek-V4 cache entry (`fp8_ds_mla`): 448 fp8 NoPE values, 64 bf16 RoPE values, 7 ue8m0 scales and
 * one pad byte = 584 bytes, whatever `--kv-cache-dtype` says (FlashMLA asserts fp8 and rewrites it).
 */
const MAX_COMPRESS_RATIO = 65536;

export const DEEPSEEK_V4_ENTRY_BYTES = 448 + 64 * 2 + 7 + 1;

/**
 * DeepSeek-V4 (vLLM `models/deepseek_v4`, DeepSeek's `inference/model.py`): one 512-wide K=V latent per token,
 * compressed per layer by `compress_ratios[i]` (4: overlapping windows plus a sparse-attention indexer; 128: one
 * entry per 128 tokens; 0: the 128-token sliding window only). Query through a LoRA (`q_lora_rank`), output
 * through `o_groups` grouped low-rank projections (`o_lora_rank`), a per-head attention sink, manifold
 * hyper-connections (`hc_mult` residual streams) around attention and MoE, and MoE in every layer: the first
 * `num_hash_layers` route by a token-id table instead of a biased top-k. The MTP layer (the extra entry of
 * `compress_ratios`) is a speculative-decoding draft, not counted.
 */
function deepseekV4(r: ConfigReader, family: string): Omit<Built, 'name' | 'architecture' | 'family'> {
  const s = defaultShape(r, { tie: r.bool('tie_word_embeddings', false) });
  const hd = s.headDim;
  const ql = r.int('q_lora_rank');
  const ol = r.int('o_lora_rank');
  const og = r.int('o_groups', 1, 'no grouped output projection stated');
  const idxHeads = r.int('index_n_heads', 64, 'DeepSeek-V4 default');
  const idxDim = r.int('index_head_dim', 128, 'DeepSeek-V4 default');
  const hc = r.int('hc_mult', 1, 'no hyper-connections stated');
  const mix = (2 + hc) * hc;
  const hashLayers = r.optInt('num_hash_layers') ?? 0;
  const ratiosRaw = r.raw('compress_ratios');
  const ratio = (i: number): number => {
    const v = Array.isArray(ratiosRaw) ? ratiosRaw[i] : undefined;
    if (v === undefined) return 0;
    // Real ratios are 0, 4 and 128; anything else that is not a small whole number is a broken config.
    if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= MAX_COMPRESS_RATIO) return v;
    r.missing.push(`${r.prefix}compress_ratios[${i}] (a whole number from 0 to ${MAX_COMPRESS_RATIO})`);
    return 0;
  };
  if (!Array.isArray(ratiosRaw) || ratiosRaw.length < s.layers) r.assumptions.push(`${r.prefix}compress_ratios absent or short: layers without a ratio keep only the sliding window`);
  const moe = routedMoe(r.int('n_routed_experts'), r.int('num_experts_per_tok'), r.int('moe_intermediate_size'), r.optInt('n_shared_experts') ?? 0, s.hidden);
  const weights = new WeightSink();
  const layers: LayerDescription[] = [];
  embeddings(weights, s);
  for (let i = 0; i < s.layers; i++) {
    const rt = ratio(i);
    pushLinear(weights, 'attention', i, s.hidden, ql, false, 'replicated'); // wq_a
    pushNorm(weights, i, ql);
    pushLinear(weights, 'attention', i, ql, s.heads * hd, false); // wq_b
    pushLinear(weights, 'attention', i, s.hidden, hd, false, 'replicated'); // wkv
    pushNorm(weights, i, hd);
    pushLinear(weights, 'attention', i, (s.heads * hd) / og, og * ol, false); // wo_a (grouped)
    pushLinear(weights, 'attention', i, og * ol, s.hidden, false); // wo_b
    pushFixed(weights, i, s.heads, 'split'); // attn_sink
    if (rt > 0) {
      // Compressor (bf16, never quantized): kv and gate projections, a positional bias per window slot, a norm.
      const coff = rt === 4 ? 2 : 1;
      pushFixed(weights, i, 2 * coff * hd * s.hidden + rt * coff * hd + hd);
    }
    if (rt === 4) {
      pushLinear(weights, 'attention', i, ql, idxHeads * idxDim, false, 'replicated'); // indexer wq_b (fp8)
      pushFixed(weights, i, idxHeads * s.hidden + 2 * 2 * idxDim * s.hidden + 4 * 2 * idxDim + idxDim); // weights_proj, its compressor
    }
    pushLinear(weights, 'router', i, s.hidden, moe.experts, false, 'replicated', 'replicated', false);
    if (i >= hashLayers) pushFixed(weights, i, moe.experts, 'replicated', 'router'); // score-correction bias (hash layers use tid2eid)
    weights.add('expert', moe.paramsPerExpert * moe.experts, 'split', i, true, s.hidden, moe.expertIntermediate, moe.experts);
    denseMlpWeights(weights, i, s.hidden, moe.sharedExperts * moe.expertIntermediate, true, false, 'shared-expert');
    pushNorm(weights, i, s.hidden, 2);
    pushFixed(weights, i, 2 * (mix * hc * s.hidden + mix + 3), 'replicated', 'norm'); // hyper-connection mixing (attention, ffn)
    layers.push({
      index: i,
      attention: {
        type: 'mla', heads: s.heads, kvHeads: 1, headDim: hd, mlaLatentDim: hd, compressRatio: rt,
        entryBytes: DEEPSEEK_V4_ENTRY_BYTES, ...(rt === 4 ? { indexerBytesPerToken: dsaIndexerBytesPerToken(idxDim) } : {}),
      },
      moe,
      mlpIntermediate: 0,
      gatedMlp: true,
    });
  }
  head(weights, s);
  pushFixed(weights, undefined, hc * hc * s.hidden + hc + 1, 'replicated', 'norm'); // hc_head
  r.assumptions.push('DeepSeek-V4: the 128-token sliding window every layer keeps and the compressors\' ring state (a few MB per request) are not counted; vLLM packs blocks with ~2% of padding');
  const maxPos = r.optInt('max_position_embeddings');
  return { shape: s, layers, weights, rotary: rotaryFor(r, maxPos, r.optInt('qk_rope_head_dim') ?? 64, family), maxPos };
}

/** GPT-2, GPT-NeoX, GPT-J, OPT, BLOOM, Falcon, MPT, Phi(-2), MixFormer: 2-matrix MLPs with biases. */
function classicDecoder(r: ConfigReader, family: string): Omit<Built, 'name' | 'architecture' | 'family'> | undefined {
  const over: Partial<DecoderShape> = { gated: false, normBias: true, finalNormBias: true };
  switch (family) {
    case 'gpt2':
      Object.assign(over, { qkvBias: true, oBias: true, mlpBias: true, tie: r.bool('tie_word_embeddings', true), learnedPositions: r.int(['n_positions', 'max_position_embeddings'], 1024, 'GPT2Config default') });
      break;
    case 'gpt_neox':
      Object.assign(over, { qkvBias: true, oBias: true, mlpBias: true });
      break;
    case 'gptj':
      Object.assign(over, { mlpBias: true, normsPerLayer: 1, lmHeadBias: true });
      break;
    case 'opt':
      Object.assign(over, { qkvBias: r.bool('enable_bias', true), oBias: r.bool('enable_bias', true), mlpBias: r.bool('enable_bias', true), tie: r.bool('tie_word_embeddings', true), learnedPositions: r.int('max_position_embeddings', 2048, 'OPTConfig default') + 2 });
      break;
    case 'bloom':
      Object.assign(over, { qkvBias: true, oBias: true, mlpBias: true, tie: r.bool('tie_word_embeddings', true), embeddingNorm: true });
      break;
    case 'falcon': {
      const newArch = r.bool('new_decoder_architecture', false) || r.str('model_type') === 'RefinedWeb';
      const bias = r.bool('bias', false);
      const parallel = r.bool('parallel_attn', true);
      Object.assign(over, { qkvBias: bias, oBias: bias, mlpBias: bias, normsPerLayer: newArch ? 2 : parallel ? 1 : 2, tie: r.bool('tie_word_embeddings', true) });
      break;
    }
    case 'mpt': {
      const noBias = r.bool('no_bias', false);
      Object.assign(over, { qkvBias: !noBias, oBias: !noBias, mlpBias: !noBias, normBias: !noBias, finalNormBias: !noBias, tie: true, intermediate: r.int('expansion_ratio', 4) * r.int('d_model') });
      const attn = r.raw('attn_config');
      if (!(isObject(attn) && attn.alibi === true) && r.bool('learned_pos_emb', true)) over.learnedPositions = r.int('max_seq_len', 2048);
      break;
    }
    case 'phi':
    case 'mixformer-sequential':
      Object.assign(over, { qkvBias: true, oBias: true, mlpBias: true, normsPerLayer: 1, lmHeadBias: true, tie: false });
      break;
    default:
      return undefined;
  }
  const s = defaultShape(r, over);
  if (family === 'falcon') {
    if (r.bool('multi_query', false) && !r.has('n_head_kv', 'num_kv_heads')) s.kvHeads = 1;
    s.intermediate = r.optInt('ffn_hidden_size') ?? 4 * s.hidden;
  }
  if (family === 'gptj' || family === 'mixformer-sequential') s.intermediate = r.optInt('n_inner') ?? 4 * s.hidden;
  const rotaryDim = family === 'gpt2' || family === 'opt' || family === 'bloom' || family === 'mpt' ? 0 : undefined;
  return buildDecoder(r, family, s, { rotaryDim });
}

/** Mamba (v1) and Nemotron-H style hybrids (M = Mamba2, * = attention, - = MLP). */
function mambaLike(r: ConfigReader, family: string): Omit<Built, 'name' | 'architecture' | 'family'> | undefined {
  const h = r.int(['hidden_size', 'd_model']);
  const heads = r.optInt('num_attention_heads') ?? 1;
  const vocabRaw = r.int('vocab_size');
  const pad = r.optInt('pad_vocab_size_multiple') ?? 1;
  const vocab = Math.ceil(vocabRaw / pad) * pad;
  const tie = r.bool('tie_word_embeddings', family === 'mamba');
  const pattern = family === 'mamba' ? undefined : hybridPattern(r);
  if (family !== 'mamba' && (!pattern || pattern.length > MAX_LAYERS)) return undefined;
  const s = defaultShape(r, { hidden: h, vocab, tie, gated: false, kvHeads: r.optInt('num_key_value_heads') ?? 1, heads, ...(pattern ? { layers: pattern.length } : {}) });
  s.headDim = r.optInt('attention_head_dim', 'head_dim') ?? (s.heads > 0 ? Math.floor(h / s.heads) : 0);
  const weights = new WeightSink();
  const layers: LayerDescription[] = [];
  embeddings(weights, s);
  const convKernel = r.int('conv_kernel', 4, 'Mamba default');
  // vLLM keeps Nemotron-H's SSM state in float32 unless the config says otherwise (NemotronHForCausalLMConfig).
  const ssmFloat32 = ssmFloat32State(r, family === 'nemotron_h');
  const stateSize = r.int(['state_size', 'ssm_state_size'], 16, 'Mamba default');
  if (family === 'mamba') {
    const inner = r.optInt('intermediate_size') ?? r.num('expand', 2) * h;
    const dtRank = r.optInt('time_step_rank') ?? Math.ceil(h / 16);
    for (let i = 0; i < s.layers; i++) {
      pushLinear(weights, 'mamba', i, h, 2 * inner, r.bool('use_bias', false));
      weights.add('mamba', inner * convKernel + (r.bool('use_conv_bias', true) ? inner : 0), 'split', i, false);
      pushLinear(weights, 'mamba', i, inner, dtRank + 2 * stateSize, false);
      pushLinear(weights, 'mamba', i, dtRank, inner, true);
      weights.add('mamba', inner * stateSize + inner, 'split', i, false);
      pushLinear(weights, 'mamba', i, inner, h, r.bool('use_bias', false));
      pushNorm(weights, i, h);
      layers.push({ index: i, mamba: { kind: 'mamba', convElements: inner * (convKernel - 1), ssmElements: inner * stateSize, ssmFloat32, heads: 1 }, mlpIntermediate: 0, gatedMlp: false });
    }
    head(weights, s);
    return { shape: s, layers, weights, rotary: [], maxPos: undefined };
  }
  if (!pattern) return undefined;
  const mHeads = r.int('mamba_num_heads');
  const mHeadDim = r.int('mamba_head_dim');
  const inner = mHeads * mHeadDim;
  const groups = r.int('n_groups', 1, 'Mamba2 default');
  const convDim = inner + 2 * groups * stateSize;
  const mlpWidth = r.optInt('intermediate_size') ?? 0;
  const moeLayer = pattern.includes('E') ? nemotronMoe(r, h) : undefined;
  [...pattern].forEach((c, i) => {
    if (c === 'M') {
      pushLinear(weights, 'mamba', i, h, 2 * inner + 2 * groups * stateSize + mHeads, r.bool('use_bias', false));
      weights.add('mamba', convDim * convKernel + (r.bool('use_conv_bias', true) ? convDim : 0), 'split', i, false);
      weights.add('mamba', 3 * mHeads + inner, 'split', i, false);
      pushLinear(weights, 'mamba', i, inner, h, r.bool('use_bias', false));
      layers.push({ index: i, mamba: { kind: 'mamba2', convElements: convDim * (convKernel - 1), ssmElements: mHeads * mHeadDim * stateSize, ssmFloat32, heads: mHeads }, mlpIntermediate: 0, gatedMlp: false });
    } else if (c === '*') {
      attentionWeights(weights, i, s);
      layers.push({ index: i, attention: attentionLayer(s), mlpIntermediate: 0, gatedMlp: false });
    } else if (c === 'E' && moeLayer) {
      nemotronMoeWeights(weights, i, h, moeLayer);
      layers.push({ index: i, moe: moeLayer.moe, mlpIntermediate: 0, gatedMlp: false });
    } else {
      denseMlpWeights(weights, i, h, mlpWidth, false, r.bool('mlp_bias', false));
      layers.push({ index: i, mlpIntermediate: mlpWidth, gatedMlp: false });
    }
    pushNorm(weights, i, h);
  });
  s.layers = pattern.length;
  head(weights, s);
  const maxPos = r.optInt('max_position_embeddings');
  return { shape: s, layers, weights, rotary: rotaryFor(r, maxPos, s.headDim, family), maxPos };
}

/** Whether the config asks for a float32 SSM state (`mamba_ssm_cache_dtype`, or Qwen3.5's `mamba_ssm_dtype`). */
function ssmFloat32State(r: ConfigReader, fallback: boolean): boolean {
  const stated = r.str('mamba_ssm_cache_dtype') ?? r.str('mamba_ssm_dtype');
  return stated === undefined || stated === 'auto' ? fallback : /float32|fp32/.test(stated);
}

/** Letters of Nemotron-H's layer pattern per block type (transformers 5 configs spell them as words). */
const NEMOTRON_BLOCK_LETTERS: Readonly<Record<string, string>> = keyedTable({ mamba: 'M', attention: '*', mlp: '-', moe: 'E' });

/**
 * The decoder's block pattern, one letter per layer: `hybrid_override_pattern` ("MEM*E…", Nemotron-H and
 * Nemotron 3 Nano/Super) or `layers_block_type` (["mamba", "moe", "attention", …], Nemotron 3 Ultra and 3.5).
 * The MTP block (`mtp_*`) is a speculative-decoding head that vLLM loads only as a draft model: not counted.
 */
function hybridPattern(r: ConfigReader): string | undefined {
  const pattern = r.str('hybrid_override_pattern');
  if (pattern) return pattern;
  const types = r.raw('layers_block_type');
  if (!Array.isArray(types) || types.length === 0 || types.length > MAX_LAYERS) return undefined;
  let out = '';
  for (const t of types) {
    const letter = typeof t === 'string' ? NEMOTRON_BLOCK_LETTERS[t] : undefined;
    if (!letter) {
      // Name the bad entry without serialising it (it may be nested arbitrarily deep).
      const what = typeof t === 'string' ? `"${t.slice(0, 40)}"` : Array.isArray(t) ? 'a list' : t === null ? 'null' : `a ${typeof t}`;
      r.missing.push(`${r.prefix}layers_block_type (unknown block type ${what}; expected mamba, attention, mlp or moe)`);
      return undefined;
    }
    out += letter;
  }
  return out;
}

interface NemotronMoe { moe: MoeLayer; latent?: number; sharedWidth: number }

/**
 * Nemotron 3 MoE block (vLLM `NemotronHMoE`): a sigmoid router with a score-correction bias, routed experts
 * that are two-matrix ReLU² MLPs, shared experts of `moe_shared_expert_intermediate_size`, and, with
 * `moe_latent_size`, a down-projection into the latent the routed experts work in and an up-projection back.
 */
function nemotronMoe(r: ConfigReader, hidden: number): NemotronMoe {
  const experts = r.int('n_routed_experts');
  const topK = r.int('num_experts_per_tok');
  const width = r.int('moe_intermediate_size');
  const latent = r.optInt('moe_latent_size');
  const sharedCount = r.optInt('n_shared_experts') ?? 0;
  const sharedWidth = r.optInt('moe_shared_expert_intermediate_size') ?? sharedCount * width;
  const moe = routedMoe(experts, topK, width, sharedCount, latent ?? hidden, false);
  return { moe, latent, sharedWidth };
}

function nemotronMoeWeights(out: WeightSink, layer: number, hidden: number, m: NemotronMoe): void {
  const expertDim = m.latent ?? hidden;
  pushLinear(out, 'router', layer, hidden, m.moe.experts, false, 'replicated', 'replicated', false);
  out.add('router', m.moe.experts, 'replicated', layer, false); // e_score_correction_bias
  out.add('expert', m.moe.paramsPerExpert * m.moe.experts, 'split', layer, true, expertDim, m.moe.expertIntermediate, m.moe.experts);
  if (m.latent) {
    pushLinear(out, 'mlp', layer, hidden, m.latent, false, 'replicated');
    pushLinear(out, 'mlp', layer, m.latent, hidden, false, 'replicated');
  }
  denseMlpWeights(out, layer, hidden, m.sharedWidth, false, false, 'shared-expert');
}

/** DeciLM / Nemotron-NAS: per-layer block_configs with variable KV heads and FFN widths. */
function deciLike(r: ConfigReader, family: string): Omit<Built, 'name' | 'architecture' | 'family'> | undefined {
  const blocks = r.raw('block_configs');
  if (!Array.isArray(blocks) || blocks.length > MAX_LAYERS) return undefined;
  const s = defaultShape(r, { intermediate: 0 });
  const weights = new WeightSink();
  const layers: LayerDescription[] = [];
  embeddings(weights, s);
  blocks.forEach((b, i) => {
    const attn = isObject(b) && isObject(b.attention) ? b.attention : {};
    const ffn = isObject(b) && isObject(b.ffn) ? b.ffn : {};
    let attention: AttentionLayer | undefined;
    if (attn.replace_with_linear === true) pushLinear(weights, 'attention', i, s.hidden, s.hidden, false);
    else if (attn.no_op !== true) {
      const group = isPositiveInt(attn.n_heads_in_group) ? attn.n_heads_in_group : 1;
      const kvHeads = Math.max(1, Math.floor(s.heads / group));
      attentionWeights(weights, i, s, s.heads, kvHeads);
      attention = { type: 'full', heads: s.heads, kvHeads, headDim: s.headDim };
      pushNorm(weights, i, s.hidden);
    }
    let width = 0;
    if (ffn.replace_with_linear === true) pushLinear(weights, 'mlp', i, s.hidden, s.hidden, false);
    else if (ffn.no_op !== true) {
      // Real multipliers are 1-6; a non-finite or absurd one is ignored rather than sizing an infinite MLP.
      const mult = typeof ffn.ffn_mult === 'number' && ffn.ffn_mult > 0 && ffn.ffn_mult <= 64 ? ffn.ffn_mult : 4;
      width = Math.ceil(Math.floor((2 * mult * s.hidden) / 3) / 256) * 256;
      denseMlpWeights(weights, i, s.hidden, width, true, false);
      pushNorm(weights, i, s.hidden);
    }
    layers.push({ index: i, attention, mlpIntermediate: width, gatedMlp: true });
  });
  s.layers = blocks.length;
  head(weights, s);
  const maxPos = r.optInt('max_position_embeddings');
  return { shape: s, layers, weights, rotary: rotaryFor(r, maxPos, s.headDim, family), maxPos };
}

/** Mllama: self-attention layers plus cross-attention layers that read image features. */
function mllamaText(r: ConfigReader, family: string): Omit<Built, 'name' | 'architecture' | 'family'> {
  const s = defaultShape(r, { tie: false });
  const crossList = r.raw('cross_attention_layers');
  const cross = new Set(Array.isArray(crossList) ? crossList.filter((x): x is number => typeof x === 'number') : []);
  const built = buildDecoder(r, family, s, {
    embedVocab: s.vocab + 8,
    extraPerLayer: (out, i) => {
      if (cross.has(i)) {
        pushNorm(out, i, s.headDim, 2);
        out.add('norm', 2, 'replicated', i, false);
      }
    },
  });
  for (const l of built.layers) if (cross.has(l.index)) l.crossAttention = true;
  return built;
}

/** Values transformers fills in when a config omits them (Gemma 3 configs rely on these). */
const FAMILY_DEFAULTS = new Map<string, Record<string, number>>([
  ['gemma3', {
    vocab_size: 262208, hidden_size: 2304, intermediate_size: 9216, num_hidden_layers: 26, num_attention_heads: 8,
    num_key_value_heads: 4, head_dim: 256, max_position_embeddings: 131072, sliding_window: 4096,
  }],
]);

function applyFamilyDefaults(r: ConfigReader, family: string, original: Json): void {
  const defaults = FAMILY_DEFAULTS.get(family);
  if (!defaults) return;
  for (const [key, value] of Object.entries(defaults)) {
    if (r.cfg[key] === undefined || r.cfg[key] === null) {
      // Never write into the caller's config.
      if (r.cfg === original) r.cfg = { ...original };
      r.cfg[key] = value;
      r.assumptions.push(`${r.prefix}${key} = ${value} (${family} library default; the config omits it)`);
    }
  }
}

const FAMILY_ALIASES = new Map<string, string>(Object.entries({
  RefinedWeb: 'falcon', RefinedWebModel: 'falcon', falcon: 'falcon',
  mistral: 'llama', mixtral: 'mixtral', llama: 'llama', internlm2: 'llama', yi: 'llama', deci: 'llama',
  phi3: 'llama', phi3small: 'llama', granite: 'granite', granitemoe: 'granitemoe', olmo: 'llama', olmo2: 'olmo2',
  starcoder2: 'starcoder2', cohere: 'llama', exaone: 'llama', baichuan: 'llama', minicpm: 'llama',
}));

const ARCH_FAMILY: [RegExp, string][] = [
  [/^GPT2/, 'gpt2'], [/^GPTNeoX/, 'gpt_neox'], [/^GPTJ/, 'gptj'], [/^OPT/, 'opt'], [/^Bloom/, 'bloom'],
  [/^(Falcon|RW)/, 'falcon'], [/^MPT/, 'mpt'], [/^MixFormer/, 'mixformer-sequential'], [/^Phi(For|Model)/, 'phi'],
  [/^Mamba(For|Model)/, 'mamba'], [/^NemotronH/, 'nemotron_h'], [/^DeciLM/, 'deci'], [/^Deepseek/, 'deepseek_v3'],
  [/^Gemma3/, 'gemma3'], [/^Gemma2/, 'gemma2'], [/^Gemma/, 'gemma'], [/^Molmo/, 'molmo'],
];

export interface NormalizeOptions { nameHint?: string; hfQuantConfig?: unknown; quantizeConfig?: unknown }

/** Turns any config.json into a ModelDescription, or says clearly why it cannot. Never throws. */
export function normalizeConfig(config: unknown, options: NormalizeOptions = {}): NormalizeResult {
  try {
    return normalizeUnsafe(config, options);
  } catch (err) {
    return { ok: false, unsupported: `could not read this config: ${(err as Error).message}`, missing: [] };
  }
}

function normalizeUnsafe(config: unknown, options: NormalizeOptions): NormalizeResult {
  if (!isObject(config)) return { ok: false, unsupported: 'the config is not a JSON object', missing: [] };
  const outer = new ConfigReader(config);
  const architectures = Array.isArray(config.architectures) ? config.architectures.filter((a): a is string => typeof a === 'string') : [];
  let architecture = architectures[0] ?? '';
  const outerType = outer.str('model_type') ?? '';
  // Multimodal wrappers keep the language model in text_config (or llm_config).
  const textCfg = isObject(config.text_config) ? config.text_config : isObject(config.llm_config) ? config.llm_config : undefined;
  // The config is read in place; a copy is made only to add keys (the wrapper's below, family defaults: `applyFamilyDefaults`).
  let inner: Json = textCfg ?? config;
  if (textCfg) {
    for (const k of ['tie_word_embeddings', 'torch_dtype', 'dtype', 'quantization_config']) {
      if (inner[k] === undefined && config[k] !== undefined) {
        if (inner === textCfg) inner = { ...textCfg };
        inner[k] = config[k];
      }
    }
  }
  const innerArch = textCfg && Array.isArray(textCfg.architectures) && typeof textCfg.architectures[0] === 'string' ? textCfg.architectures[0] : '';
  const r = new ConfigReader(inner, textCfg ? 'text_config.' : '');
  const native = !architecture && !outerType && config.dim !== undefined && config.kv_lora_rank !== undefined;
  if (native) architecture = 'DeepSeek native ModelArgs';
  let family = native ? 'deepseek_v3' : (r.str('model_type') ?? outerType).replace(/_text(_model)?$/, '');
  if (!family) family = ARCH_FAMILY.find(([re]) => re.test(innerArch || architecture))?.[1] ?? '';
  family = FAMILY_ALIASES.get(family) ?? family;
  if (/^qwen3_vl/.test(family)) family = family.includes('moe') ? 'qwen3_moe' : 'qwen3';
  if (family === 'qwen2_5_vl' || family === 'qwen2_vl') family = 'qwen2';
  if (/^(deepseek|kimi)/.test(family) && family !== 'kimi_linear' && family !== 'deepseek_v4') family = 'deepseek_v3';
  applyFamilyDefaults(r, family, textCfg ?? config);
  if (!family && !architecture) {
    return { ok: false, unsupported: 'no `architectures` or `model_type`: this does not look like a model config', missing: ['architectures', 'model_type'] };
  }

  let built: Omit<Built, 'name' | 'architecture' | 'family'> | undefined;
  if (family === 'deepseek_v4' || r.has('compress_ratios')) built = deepseekV4(r, family);
  else if (family === 'kimi_linear' || r.has('linear_attn_config')) built = kimiLinear(r, family);
  else if (family === 'minimax_m1' || family === 'minimax_text_01' || r.has('attn_type_list')) built = minimaxLinear(r, family);
  else if (family === 'minimax_m3') built = minimaxM3(r, family);
  else if (family === 'deepseek_v3' || family === 'deepseek_v2' || r.has('kv_lora_rank')) built = deepseekLike(r, family);
  else if (family === 'mamba' || family === 'nemotron_h') built = mambaLike(r, family);
  else if (family === 'lfm2') built = lfm2(r, family);
  else if (family === 'gemma4') built = gemma4(r, family);
  else if (family === 'laguna') built = laguna(r, family);
  else if (family === 'qwen3_next' || family === 'qwen3_5' || family === 'qwen3_5_moe') built = gatedDeltaNetHybrid(r, family);
  else if (family === 'deci' || family === 'nemotron-nas' || r.has('block_configs')) built = deciLike(r, family);
  else if (family === 'mllama') built = mllamaText(r, family);
  else built = classicDecoder(r, family) ?? (r.has('hidden_size', 'n_embd', 'n_embed', 'd_model') ? llamaLike(r, family) : undefined);

  if (!built) {
    // A builder that gave up over a value it could not read (a layer block type it does not know) says which; a
    // config without a hidden size is not one this reads.
    if (r.missing.length > 0 && !r.missing.some((m) => /(hidden_size|d_model)$/.test(m))) {
      return { ok: false, unsupported: `${architecture || family}: missing ${r.missing.join(', ')}; cannot size the model without them`, missing: [...r.missing] };
    }
    return { ok: false, unsupported: `architecture ${architecture || family} is not supported: no hidden size found`, missing: ['hidden_size'] };
  }
  if (r.missing.length > 0) {
    return {
      ok: false,
      unsupported: `${architecture || family}: missing ${r.missing.join(', ')}; cannot size the model without them`,
      missing: [...r.missing],
    };
  }
  if (built.layers.length === 0 || built.shape.hidden <= 0) {
    return { ok: false, unsupported: `${architecture || family}: the config declares no layers`, missing: ['num_hidden_layers'] };
  }
  const assumptions = [...outer.assumptions, ...r.assumptions];
  const visionCfg = isObject(config.vision_config) ? config.vision_config : undefined;
  if (visionCfg) {
    const vision = visionParams(visionCfg, built.shape.hidden, outerType);
    if (vision.params > 0) built.weights.add('vision', vision.params, 'replicated', undefined, false);
    if (vision.note) assumptions.push(vision.note);
  } else if (textCfg && config.vision_config === undefined && /Conditional|VL|Vision/.test(architecture)) {
    assumptions.push('vision_config absent: only the language model is counted');
  }
  const statedDtype = [r.raw('torch_dtype'), r.raw('dtype'), outer.raw('torch_dtype'), outer.raw('dtype')].find((v): v is string => typeof v === 'string' && v.length < 64);
  const torchDtype = statedDtype ?? 'bfloat16';
  if (!statedDtype) assumptions.push('torch_dtype absent: bfloat16 assumed');
  let quantizationConfig = isObject(inner.quantization_config) ? inner.quantization_config : undefined;
  // DeepSeek-V4 states the routed experts' format beside the quantization_config, not in it.
  if (quantizationConfig && typeof inner.expert_dtype === 'string') quantizationConfig = { ...quantizationConfig, expert_dtype: inner.expert_dtype };
  if (!quantizationConfig && isObject(options.quantizeConfig)) quantizationConfig = { quant_method: 'gptq', ...options.quantizeConfig };
  // A config.json whose quantization_config already carries ModelOpt's algorithm (merged exports) is kept whole.
  if (isObject(options.hfQuantConfig) && isObject(options.hfQuantConfig.quantization) && !(quantizationConfig && typeof quantizationConfig.quant_algo === 'string')) {
    quantizationConfig = { quant_method: 'modelopt', ...options.hfQuantConfig.quantization };
  }
  const nameFromConfig = typeof config._name_or_path === 'string' && config._name_or_path.trim() && !config._name_or_path.startsWith('/')
    ? config._name_or_path : undefined;
  return {
    ok: true,
    model: {
      name: nameFromConfig ?? options.nameHint ?? (architecture || family),
      architecture: architecture || family,
      family,
      hiddenSize: built.shape.hidden,
      vocabSize: built.shape.vocab,
      numLayers: built.layers.length,
      numAttentionHeads: built.shape.heads,
      numKeyValueHeads: built.shape.kvHeads,
      headDim: built.shape.headDim,
      intermediateSize: built.shape.intermediate,
      maxPositionEmbeddings: built.maxPos,
      tieWordEmbeddings: built.shape.tie,
      torchDtype: native ? 'bfloat16' : torchDtype,
      layers: built.layers,
      // A checkpoint quantized module by module (ModelOpt `quantized_layers`) may give each layer its own bits: its
      // groups stay one per layer (quantization.ts `modeloptMixedPrecision` reads their index).
      weights: built.weights.finish(built.layers, !(quantizationConfig && isObject(quantizationConfig.quantized_layers))),
      rotaryCaches: built.rotary,
      quantizationConfig: native && config.dtype === 'fp8' ? { quant_method: 'fp8', weight_block_size: [128, 128] } : quantizationConfig,
      assumptions,
    },
  };
}
