// Hugging Face config.json (any family) -> one ModelDescription.
// Parameter counts follow each family's module structure in transformers/vLLM; defaults that a
// config omits (Gemma 3 relies on Gemma3TextConfig defaults) are recorded as assumptions.

import {
  AttentionLayer, LayerDescription, MoeLayer, NormalizeResult, RotaryCache, WeightGroup,
} from './model';
import { keepShapeAlive } from './shapes';

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
  constructor(readonly cfg: Json, readonly prefix = '') {}

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

function pushLinear(out: WeightGroup[], role: WeightGroup['role'], layer: number | undefined, input: number, output: number,
  bias: boolean, tp: WeightGroup['tp'] = 'split', biasTp: WeightGroup['tp'] = 'split'): void {
  out.push({ role, params: input * output, tp, layer, quantizable: true, shape: { input, output } });
  if (bias) out.push({ role: 'bias', params: output, tp: biasTp, layer, quantizable: false });
}

function pushNorm(out: WeightGroup[], layer: number | undefined, size: number, count = 1, withBias = false): void {
  if (size <= 0 || count <= 0) return;
  out.push({ role: 'norm', params: size * count * (withBias ? 2 : 1), tp: 'replicated', layer, quantizable: false });
}

function attentionWeights(out: WeightGroup[], layer: number, s: DecoderShape, heads = s.heads, kvHeads = s.kvHeads): void {
  const qDim = heads * s.headDim;
  const kvDim = kvHeads * s.headDim;
  pushLinear(out, 'attention', layer, s.hidden, qDim + 2 * kvDim, s.qkvBias);
  pushLinear(out, 'attention', layer, qDim, s.hidden, s.oBias, 'split', 'replicated');
  if (s.qkNorm === 'per-head') pushNorm(out, layer, s.headDim, 2);
  if (s.qkNorm === 'per-head-full') pushNorm(out, layer, qDim + kvDim);
}

function denseMlpWeights(out: WeightGroup[], layer: number, hidden: number, intermediate: number, gated: boolean, bias: boolean,
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

function moeWeights(out: WeightGroup[], layer: number, hidden: number, moe: MoeLayer, opts: MoeWeightOptions): void {
  const gated = opts.gated ?? true;
  pushLinear(out, 'router', layer, hidden, moe.experts, !!opts.routerBias, 'replicated', 'replicated');
  out[out.length - (opts.routerBias ? 2 : 1)].quantizable = false;
  const upOut = (gated ? 2 : 1) * moe.expertIntermediate;
  const perExpert = hidden * upOut + moe.expertIntermediate * hidden;
  out.push({
    role: 'expert', params: perExpert * moe.experts, tp: 'split', layer, experts: moe.experts, quantizable: true,
    shape: { input: hidden, output: moe.expertIntermediate },
  });
  // Expert biases (gpt-oss) are routed like their experts but never quantized.
  if (opts.expertBias) out.push({ role: 'expert', params: (upOut + hidden) * moe.experts, tp: 'split', layer, experts: moe.experts, quantizable: false });
  const sharedWidth = opts.sharedIntermediate ?? moe.sharedExperts * moe.expertIntermediate;
  if (sharedWidth > 0) {
    denseMlpWeights(out, layer, hidden, sharedWidth, gated, false, 'shared-expert');
    if (opts.sharedGate) out.push({ role: 'router', params: hidden, tp: 'replicated', layer, quantizable: false });
  }
}

function embeddings(out: WeightGroup[], s: DecoderShape, embedVocab = s.vocab): void {
  out.push({ role: 'embedding', params: embedVocab * s.hidden, tp: 'vocab', quantizable: false, shape: { input: embedVocab, output: s.hidden } });
  if (s.embeddingNorm) pushNorm(out, undefined, s.hidden, 1, true);
  if (s.learnedPositions > 0) out.push({ role: 'position-embedding', params: s.learnedPositions * s.hidden, tp: 'replicated', quantizable: false });
}

function head(out: WeightGroup[], s: DecoderShape): void {
  pushNorm(out, undefined, s.hidden, 1, s.finalNormBias);
  if (!s.tie) {
    out.push({ role: 'lm-head', params: s.vocab * s.hidden, tp: 'vocab', quantizable: false, shape: { input: s.hidden, output: s.vocab } });
  }
  if (s.lmHeadBias) out.push({ role: 'bias', params: s.vocab, tp: 'vocab', quantizable: false });
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
    const sliding = layerTypes.slice(0, layers).map((t) => typeof t === 'string' && t.includes('sliding'));
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
    layers: r.int(['num_hidden_layers', 'n_layer', 'n_layers', 'num_layers']),
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
  weights: WeightGroup[];
  rotary: RotaryCache[];
  maxPos?: number;
}

/** Llama-like decoder: attention + (dense or MoE) MLP in every layer. */
function buildDecoder(r: ConfigReader, family: string, s: DecoderShape, opts: {
  moeForLayer?: (i: number) => MoeLayer | undefined;
  moeOpts?: MoeWeightOptions;
  denseIntermediateForLayer?: (i: number) => number;
  extraPerLayer?: (out: WeightGroup[], i: number) => void;
  rotaryDim?: number;
  embedVocab?: number;
}): Omit<Built, 'name' | 'architecture' | 'family'> {
  const weights: WeightGroup[] = [];
  const layers: LayerDescription[] = [];
  embeddings(weights, s, opts.embedVocab);
  const { sliding, window } = slidingLayers(r, family, s.layers);
  for (let i = 0; i < s.layers; i++) {
    attentionWeights(weights, i, s);
    const moe = opts.moeForLayer?.(i);
    const denseWidth = opts.denseIntermediateForLayer ? opts.denseIntermediateForLayer(i) : s.intermediate;
    if (moe) moeWeights(weights, i, s.hidden, moe, opts.moeOpts ?? {});
    else denseMlpWeights(weights, i, s.hidden, denseWidth, s.gated, s.mlpBias);
    pushNorm(weights, i, s.hidden, s.normsPerLayer, s.normBias);
    opts.extraPerLayer?.(weights, i);
    layers.push({
      index: i,
      attention: attentionLayer(s, sliding[i] ? 'sliding' : 'full', sliding[i] ? window : undefined),
      moe,
      mlpIntermediate: moe ? 0 : denseWidth,
      gatedMlp: s.gated,
    });
  }
  head(weights, s);
  const maxPos = r.optInt('max_position_embeddings', 'n_positions', 'max_seq_len', 'max_sequence_length', 'seq_length');
  const partialRaw = r.num('partial_rotary_factor', r.num('rotary_pct', 1));
  const partial = partialRaw > 0 && partialRaw <= 1 ? partialRaw : 1;
  const rotaryDim = opts.rotaryDim ?? r.optInt('rotary_dim') ?? Math.floor(s.headDim * partial);
  return { shape: s, layers, weights, rotary: rotaryFor(r, maxPos, rotaryDim, family), maxPos };
}

function routedMoe(experts: number, topK: number, width: number, shared: number, hidden: number, gated = true): MoeLayer {
  return {
    experts, expertsPerToken: topK, expertIntermediate: width, sharedExperts: shared,
    paramsPerExpert: hidden * width * (gated ? 3 : 2),
  };
}

/** Mixtral, Qwen2/3-MoE, PhiMoE, gpt-oss, Llama 4, DeepSeek-style keys. */
function moePlan(r: ConfigReader, family: string, s: DecoderShape): {
  moeForLayer?: (i: number) => MoeLayer | undefined; denseIntermediateForLayer?: (i: number) => number; sharedIntermediate?: number;
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
  const isMoe = (i: number): boolean => {
    if (explicit) return explicit.has(i);
    if (mlpOnly.has(i) || i < firstDense) return false;
    if (family === 'llama4') return (i + 1) % freq === 0;
    if (family.startsWith('qwen')) return (i + 1) % freq === 0;
    return (i - firstDense) % freq === 0;
  };
  const llama4Dense = family === 'llama4' ? r.optInt('intermediate_size_mlp') : undefined;
  const sharedCount = family === 'llama4' ? 1 : shared;
  return {
    moeForLayer: (i) => (isMoe(i) ? routedMoe(experts, topK, width, sharedCount, s.hidden) : undefined),
    denseIntermediateForLayer: (i) => (isMoe(i) ? 0 : (llama4Dense ?? s.intermediate)),
    sharedIntermediate: sharedWidth ?? (sharedCount > 0 ? sharedCount * width : undefined),
  };
}

/** ViT-style vision towers of multimodal wrappers (SigLIP, Qwen2.5-VL, Mllama, Qwen3-VL, Kimi). */
function visionParams(vc: Json, textHidden: number, family: string): { params: number; note?: string } {
  const v = new ConfigReader(vc);
  const h = v.optInt('hidden_size', 'vt_hidden_size', 'embed_dim', 'width');
  const layers = (v.optInt('num_hidden_layers', 'depth', 'vt_num_hidden_layers', 'layers') ?? 0) + (v.optInt('num_global_layers') ?? 0);
  if (!h || !layers) return { params: 0, note: 'vision_config without hidden size/depth: vision tower not counted' };
  const inter = v.optInt('intermediate_size', 'vt_intermediate_size', 'mlp_dim') ?? 4 * h;
  const patch = v.optInt('patch_size', 'spatial_patch_size') ?? 14;
  const channels = v.optInt('num_channels', 'in_chans', 'in_channels') ?? 3;
  const temporal = v.optInt('temporal_patch_size') ?? (family.startsWith('qwen2_5_vl') ? 2 : 1);
  const gatedVision = family.startsWith('qwen2_5_vl');
  const perLayer = 4 * h * h + 4 * h + (gatedVision ? 3 * h * inter + 2 * inter + h : 2 * h * inter + inter + h) + 4 * h;
  let params = layers * perLayer + channels * temporal * patch * patch * h + h;
  const image = v.optInt('image_size');
  if (image) params += Math.pow(Math.floor(image / patch), 2) * h;
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

function llamaLike(r: ConfigReader, family: string): Omit<Built, 'name' | 'architecture' | 'family'> {
  const over: Partial<DecoderShape> = {};
  if (family.startsWith('qwen2')) over.qkvBias = true;
  if (family === 'qwen3' || family === 'qwen3_moe' || family.startsWith('qwen3')) over.qkNorm = 'per-head';
  if (family.startsWith('gemma')) over.tie = r.bool('tie_word_embeddings', true);
  if (family === 'gemma2' || family.startsWith('gemma3')) over.normsPerLayer = 4;
  if (family.startsWith('gemma3')) over.qkNorm = 'per-head';
  if (family === 'olmo2') over.qkNorm = 'per-head-full';
  if (family === 'granite' || family === 'granitemoe') over.tie = r.bool('tie_word_embeddings', true);
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
    moeForLayer: plan.moeForLayer,
    denseIntermediateForLayer: plan.denseIntermediateForLayer,
    moeOpts: {
      routerBias: family === 'gpt_oss',
      expertBias: family === 'gpt_oss',
      sharedIntermediate: plan.sharedIntermediate,
      sharedGate: family === 'qwen2_moe',
    },
    extraPerLayer: (out, i) => {
      if (family === 'gpt_oss') out.push({ role: 'norm', params: s.heads, tp: 'split', layer: i, quantizable: false });
      if (family === 'stablelm' && r.bool('qk_layernorm', false)) pushNorm(out, i, (s.heads + s.kvHeads) * s.headDim);
    },
  });
  return built;
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
  const weights: WeightGroup[] = [];
  const layers: LayerDescription[] = [];
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
    const moe = isMoe ? routedMoe(experts, topK, moeWidth, shared, s.hidden) : undefined;
    if (moe) {
      moeWeights(weights, i, s.hidden, moe, {});
      if (r.raw('topk_method') === 'noaux_tc' || r.raw('score_func') === 'sigmoid' || r.raw('scoring_func') === 'sigmoid') {
        weights.push({ role: 'router', params: experts, tp: 'replicated', layer: i, quantizable: false }); // e_score_correction_bias
      }
    } else denseMlpWeights(weights, i, s.hidden, s.intermediate, true, false);
    pushNorm(weights, i, s.hidden, 2);
    layers.push({
      index: i,
      attention: { type: 'mla', heads: s.heads, kvHeads: 1, headDim: qHead, mlaLatentDim: kvLora + rope, indexerDim },
      moe,
      mlpIntermediate: moe ? 0 : s.intermediate,
      gatedMlp: true,
    });
  }
  head(weights, s);
  const maxPos = r.optInt('max_position_embeddings') ?? (native ? r.optInt('max_seq_len') : undefined);
  return { shape: s, layers, weights, rotary: rotaryFor(r, maxPos, rope, family), maxPos };
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
  const s = defaultShape(r, { hidden: h, vocab, tie, gated: false, kvHeads: r.optInt('num_key_value_heads') ?? 1, heads });
  s.headDim = r.optInt('attention_head_dim', 'head_dim') ?? (s.heads > 0 ? Math.floor(h / s.heads) : 0);
  const weights: WeightGroup[] = [];
  const layers: LayerDescription[] = [];
  embeddings(weights, s);
  const convKernel = r.int('conv_kernel', 4, 'Mamba default');
  const stateSize = r.int(['state_size', 'ssm_state_size'], 16, 'Mamba default');
  if (family === 'mamba') {
    const inner = r.optInt('intermediate_size') ?? r.num('expand', 2) * h;
    const dtRank = r.optInt('time_step_rank') ?? Math.ceil(h / 16);
    for (let i = 0; i < s.layers; i++) {
      pushLinear(weights, 'mamba', i, h, 2 * inner, r.bool('use_bias', false));
      weights.push({ role: 'mamba', params: inner * convKernel + (r.bool('use_conv_bias', true) ? inner : 0), tp: 'split', layer: i, quantizable: false });
      pushLinear(weights, 'mamba', i, inner, dtRank + 2 * stateSize, false);
      pushLinear(weights, 'mamba', i, dtRank, inner, true);
      weights.push({ role: 'mamba', params: inner * stateSize + inner, tp: 'split', layer: i, quantizable: false });
      pushLinear(weights, 'mamba', i, inner, h, r.bool('use_bias', false));
      pushNorm(weights, i, h);
      layers.push({ index: i, mamba: { stateElements: inner * (convKernel - 1) + inner * stateSize, heads: 1 }, mlpIntermediate: 0, gatedMlp: false });
    }
    head(weights, s);
    return { shape: s, layers, weights, rotary: [], maxPos: undefined };
  }
  const pattern = r.str('hybrid_override_pattern');
  if (!pattern || pattern.length > MAX_LAYERS) return undefined;
  const mHeads = r.int('mamba_num_heads');
  const mHeadDim = r.int('mamba_head_dim');
  const inner = mHeads * mHeadDim;
  const groups = r.int('n_groups', 1, 'Mamba2 default');
  const convDim = inner + 2 * groups * stateSize;
  const mlpWidth = r.int('intermediate_size');
  [...pattern].forEach((c, i) => {
    if (c === 'M') {
      pushLinear(weights, 'mamba', i, h, 2 * inner + 2 * groups * stateSize + mHeads, r.bool('use_bias', false));
      weights.push({ role: 'mamba', params: convDim * convKernel + (r.bool('use_conv_bias', true) ? convDim : 0), tp: 'split', layer: i, quantizable: false });
      weights.push({ role: 'mamba', params: 3 * mHeads + inner, tp: 'split', layer: i, quantizable: false });
      pushLinear(weights, 'mamba', i, inner, h, r.bool('use_bias', false));
      layers.push({ index: i, mamba: { stateElements: convDim * (convKernel - 1) + mHeads * mHeadDim * stateSize, heads: mHeads }, mlpIntermediate: 0, gatedMlp: false });
    } else if (c === '*') {
      attentionWeights(weights, i, s);
      layers.push({ index: i, attention: attentionLayer(s), mlpIntermediate: 0, gatedMlp: false });
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

/** DeciLM / Nemotron-NAS: per-layer block_configs with variable KV heads and FFN widths. */
function deciLike(r: ConfigReader, family: string): Omit<Built, 'name' | 'architecture' | 'family'> | undefined {
  const blocks = r.raw('block_configs');
  if (!Array.isArray(blocks) || blocks.length > MAX_LAYERS) return undefined;
  const s = defaultShape(r, { intermediate: 0 });
  const weights: WeightGroup[] = [];
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
      const mult = typeof ffn.ffn_mult === 'number' ? ffn.ffn_mult : 4;
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
        out.push({ role: 'norm', params: 2, tp: 'replicated', layer: i, quantizable: false });
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

function applyFamilyDefaults(r: ConfigReader, family: string): void {
  const defaults = FAMILY_DEFAULTS.get(family);
  if (!defaults) return;
  for (const [key, value] of Object.entries(defaults)) {
    if (r.cfg[key] === undefined || r.cfg[key] === null) {
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
  const inner: Json = textCfg ? { ...textCfg } : { ...config };
  if (textCfg) {
    for (const k of ['tie_word_embeddings', 'torch_dtype', 'dtype', 'quantization_config']) {
      if (inner[k] === undefined && config[k] !== undefined) inner[k] = config[k];
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
  if (/^(deepseek|kimi)/.test(family)) family = 'deepseek_v3';
  applyFamilyDefaults(r, family);
  if (!family && !architecture) {
    return { ok: false, unsupported: 'no `architectures` or `model_type`: this does not look like a model config', missing: ['architectures', 'model_type'] };
  }

  let built: Omit<Built, 'name' | 'architecture' | 'family'> | undefined;
  if (family === 'deepseek_v3' || family === 'deepseek_v2' || r.has('kv_lora_rank')) built = deepseekLike(r, family);
  else if (family === 'mamba' || family === 'nemotron_h') built = mambaLike(r, family);
  else if (family === 'deci' || family === 'nemotron-nas' || r.has('block_configs')) built = deciLike(r, family);
  else if (family === 'mllama') built = mllamaText(r, family);
  else built = classicDecoder(r, family) ?? (r.has('hidden_size', 'n_embd', 'n_embed', 'd_model') ? llamaLike(r, family) : undefined);

  if (!built) {
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
    if (vision.params > 0) built.weights.push({ role: 'vision', params: vision.params, tp: 'replicated', quantizable: false });
    if (vision.note) assumptions.push(vision.note);
  } else if (textCfg && config.vision_config === undefined && /Conditional|VL|Vision/.test(architecture)) {
    assumptions.push('vision_config absent: only the language model is counted');
  }
  const statedDtype = [r.raw('torch_dtype'), r.raw('dtype'), outer.raw('torch_dtype'), outer.raw('dtype')].find((v): v is string => typeof v === 'string' && v.length < 64);
  const torchDtype = statedDtype ?? 'bfloat16';
  if (!statedDtype) assumptions.push('torch_dtype absent: bfloat16 assumed');
  let quantizationConfig = isObject(inner.quantization_config) ? inner.quantization_config : undefined;
  if (!quantizationConfig && isObject(options.quantizeConfig)) quantizationConfig = { quant_method: 'gptq', ...options.quantizeConfig };
  if (isObject(options.hfQuantConfig) && isObject(options.hfQuantConfig.quantization)) {
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
      weights: built.weights,
      rotaryCaches: built.rotary,
      quantizationConfig: native && config.dtype === 'fp8' ? { quant_method: 'fp8', weight_block_size: [128, 128] } : quantizationConfig,
      assumptions,
    },
  };
}
