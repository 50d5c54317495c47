// How many bits each weight takes once stored: from the checkpoint's quantization_config, an
// hf_quant_config.json (ModelOpt), or a user override (--quantization).

import { WeightDtype } from './types';
import { WeightGroup, WeightRole } from './model';
import { keepShapeAlive } from './shapes';

/** Which arithmetic the quantized matmuls run in (decides the roofline's compute roof). */
export type ComputeDtype = 'fp32' | 'bf16' | 'fp8' | 'int8' | 'fp4';

export interface QuantScheme {
  /** Short label, e.g. `gptq int4 g128`. */
  label: string;
  weightDtype: WeightDtype;
  /** Bits per converted weight including scales and zero points. */
  bitsPerWeight: number;
  /** Bits for routed-expert weights when they differ (llama.cpp's MXFP4 MoE files: experts MXFP4, the rest Q8_0). */
  expertBitsPerWeight?: number;
  /**
   * Mixed-precision checkpoints (ModelOpt MIXED_PRECISION, compressed-tensors with several config groups): bits of
   * each converted group, by its role and layer. `converts` says which groups are converted at all.
   */
  bitsOf?: (group: WeightGroup) => number | undefined;
  /** Which groups the quantizer converts; the rest keep the checkpoint dtype. */
  converts: (group: WeightGroup) => boolean;
  compute: ComputeDtype;
  /** A KV-cache dtype the checkpoint asks for (ModelOpt FP8 KV). */
  kvCacheDtype?: 'fp8';
  /** GGUF-style: the file stores norms in fp32 and every matrix quantized, embeddings included. */
  gguf?: boolean;
}

/** Bytes per element of an unquantized dtype name. */
export function dtypeBytes(dtype: string): number {
  const d = dtype.toLowerCase().replace('torch.', '');
  if (d === 'float32' || d === 'fp32' || d === 'f32' || d === 'float') return 4;
  if (d === 'fp8' || d.startsWith('float8') || d === 'int8' || d === 'uint8') return 1;
  return 2;
}

export function normalizeDtypeName(dtype: string | undefined): 'float32' | 'bfloat16' | 'float16' | undefined {
  if (!dtype) return undefined;
  const d = dtype.toLowerCase().replace('torch.', '').trim();
  if (d === 'float32' || d === 'fp32' || d === 'float') return 'float32';
  if (d === 'bfloat16' || d === 'bf16') return 'bfloat16';
  if (d === 'float16' || d === 'fp16' || d === 'half' || d === 'f16') return 'float16';
  return undefined;
}

/** Linear layers of the transformer body: what vLLM's linear-method quantizers convert. */
const bodyMatrix = (g: WeightGroup): boolean =>
  g.quantizable && (g.role === 'attention' || g.role === 'mlp' || g.role === 'expert' || g.role === 'shared-expert' || g.role === 'mamba');

/** GGUF files quantize every 2-D tensor, the token embedding and output head included. */
const anyMatrix = (g: WeightGroup): boolean => bodyMatrix(g) || g.role === 'embedding' || g.role === 'lm-head';

/** MXFP4 checkpoints keep attention in 16 bits (vLLM's Mxfp4Config quantizes the MoE experts and MLPs). */
const bodyMatrixButAttention = (g: WeightGroup): boolean => bodyMatrix(g) && g.role !== 'attention';

// The rules below that a checkpoint's config parameterises are methods of small classes, bound per scheme, not
// closures: a closure made per scheme loses its compiled code at each full GC (src/core/shapes.ts), and every
// weight group of every plan asks them.

/** A scheme's `converts` less the roles its skip list names. */
class RoleExclusion {
  constructor(private readonly base: (g: WeightGroup) => boolean, private readonly skipAttention: boolean,
    private readonly skipShared: boolean, private readonly skipMlp: boolean) {}

  converts(g: WeightGroup): boolean {
    if (!this.base(g)) return false;
    if (this.skipAttention && g.role === 'attention') return false;
    if (this.skipShared && g.role === 'shared-expert') return false;
    if (this.skipMlp && g.role === 'mlp') return false;
    return true;
  }
}
keepShapeAlive(new RoleExclusion(bodyMatrix, false, false, false));

function excluding(base: (g: WeightGroup) => boolean, patterns: string[]): (g: WeightGroup) => boolean {
  // Module-name patterns (`lm_head`, `re:.*self_attn.*`, `model.layers.*.mlp.router`) mapped to roles.
  const text = patterns.join(' ').toLowerCase();
  const skipAttention = /self_attn|attention|attn/.test(text);
  const skipShared = /shared_expert/.test(text);
  const skipDenseMlp = /mlp\\?\.\(?(gate|up|down)/.test(text) || /mlp\.(gate|up|down)_proj/.test(text);
  const skipAllMlp = /(^|[\s.*"])mlp($|[\s"])/.test(text);
  const exclusion = new RoleExclusion(base, skipAttention, skipShared, skipDenseMlp || skipAllMlp);
  return exclusion.converts.bind(exclusion);
}

/** Compressed-tensors with several config groups: each body role's bits, from the first group that targets it. */
class RoleBits {
  constructor(private readonly bitsByRole: ReadonlyMap<WeightRole, number>) {}
  converts(g: WeightGroup): boolean { return bodyMatrix(g) && this.bitsByRole.has(g.role); }
  bitsOf(g: WeightGroup): number | undefined { return this.bitsByRole.get(g.role); }
}
keepShapeAlive(new RoleBits(new Map()));

/** MXFP4: 4-bit e2m1 values and one 8-bit (ue8m0) scale per 32. */
const MXFP4_BITS = 4 + 8 / 32;
/** NVFP4: 4-bit e2m1 values, one fp8 (e4m3) scale per 16, one fp32 scale per tensor (negligible). */
const NVFP4_BITS = 4 + 8 / 16;

const groupOverhead = (bits: number, group: number, zeroBits: number): number =>
  group > 0 ? bits + (16 + zeroBits) / group : bits + 0.002;

/** Named schemes for `--quantization` and the vLLM method names that appear in deployments. */
export function schemeFromName(name: string): QuantScheme | undefined {
  const n = name.trim().toLowerCase().replace(/-/g, '_');
  const gguf = (label: string, dtype: WeightDtype, bits: number): QuantScheme =>
    ({ label, weightDtype: dtype, bitsPerWeight: bits, converts: anyMatrix, compute: 'bf16', gguf: true });
  switch (n) {
    case 'fp8': case 'fp8_dynamic': case 'w8a8_fp8': case 'fbgemm_fp8': case 'ptpc_fp8':
      return { label: 'fp8 (W8A8)', weightDtype: 'fp8', bitsPerWeight: 8.002, converts: bodyMatrix, compute: 'fp8' };
    case 'int8': case 'w8a8': case 'w8a8_int8': case 'smoothquant':
      return { label: 'int8 (W8A8)', weightDtype: 'int8', bitsPerWeight: 8.002, converts: bodyMatrix, compute: 'int8' };
    case 'int4': case 'w4a16': case 'compressed_tensors_w4a16':
      return { label: 'int4 (W4A16, group 128)', weightDtype: 'int4', bitsPerWeight: groupOverhead(4, 128, 0), converts: bodyMatrix, compute: 'bf16' };
    case 'gptq': case 'gptq_marlin': case 'gptq_bitblas': case 'exllama': case 'exl2':
      return { label: 'gptq int4 g128', weightDtype: 'int4', bitsPerWeight: groupOverhead(4, 128, 4), converts: bodyMatrix, compute: 'bf16' };
    case 'awq': case 'awq_marlin':
      return { label: 'awq int4 g128', weightDtype: 'int4', bitsPerWeight: groupOverhead(4, 128, 4), converts: bodyMatrix, compute: 'bf16' };
    case 'mxfp4':
      return { label: 'mxfp4', weightDtype: 'mxfp4', bitsPerWeight: MXFP4_BITS, converts: bodyMatrixButAttention, compute: 'bf16' };
    case 'nvfp4': case 'modelopt_fp4':
      return { label: 'nvfp4', weightDtype: 'nvfp4', bitsPerWeight: NVFP4_BITS, converts: bodyMatrix, compute: 'fp4' };
    case 'bitsandbytes': case 'bnb': case 'nf4': case 'bnb_4bit':
      return { label: 'bitsandbytes nf4', weightDtype: 'nf4', bitsPerWeight: 4.5, converts: bodyMatrix, compute: 'bf16' };
    case 'eetq':
      return { label: 'eetq int8 (weight-only)', weightDtype: 'int8', bitsPerWeight: 8.002, converts: bodyMatrix, compute: 'bf16' };
    case 'bitsandbytes_nf4': case 'bitsandbytes_fp4':
      return { label: name.trim(), weightDtype: 'nf4', bitsPerWeight: 4.5, converts: bodyMatrix, compute: 'bf16' };
    case 'marlin':
      return schemeFromName('gptq');
    case 'bnb_8bit': case 'llm_int8':
      return { label: 'bitsandbytes int8', weightDtype: 'int8', bitsPerWeight: 8.25, converts: bodyMatrix, compute: 'bf16' };
    case 'q4_0': return gguf('GGUF Q4_0', 'q4_0', 4.5);
    case 'q4_1': return gguf('GGUF Q4_1', 'q4_1', 5.0);
    case 'q4_k_m': case 'q4_k': return gguf('GGUF Q4_K_M', 'q4_k_m', 4.85);
    case 'q5_k_m': case 'q5_k': return gguf('GGUF Q5_K_M', 'q5_k_m', 5.69);
    case 'q6_k': return gguf('GGUF Q6_K', 'q6_k', 6.5625);
    case 'q8_0': return gguf('GGUF Q8_0', 'q8_0', 8.5);
    case 'iq1_s': return gguf('GGUF IQ1_S', 'int2', 1.5625);
    case 'mxfp4_moe': return { ...gguf('GGUF MXFP4 MoE', 'mxfp4', 8.5), expertBitsPerWeight: 4.25 };
    case 'f16': case 'fp16': case 'float16': case 'bf16': case 'bfloat16': case 'none':
      return undefined;
    default:
      return undefined;
  }
}

/** Quantization methods accepted by `--quantization` (for messages and completion). */
export const QUANTIZATION_NAMES = [
  'fp8', 'int8', 'int4', 'awq', 'gptq', 'mxfp4', 'nvfp4', 'bitsandbytes', 'compressed-tensors', 'modelopt',
  'q4_0', 'q4_1', 'q4_k_m', 'q5_k_m', 'q6_k', 'q8_0', 'iq1_s', 'mxfp4_moe', 'f16',
];

export function isKnownQuantization(name: string): boolean {
  const n = name.trim().toLowerCase().replace(/-/g, '_');
  return schemeFromName(n) !== undefined || ['f16', 'fp16', 'bf16', 'none', 'compressed_tensors', 'modelopt', 'gguf', 'gptq_marlin', 'awq_marlin'].includes(n);
}

/** A config value as text when it is a string or number; anything else (arrays, objects) reads as empty. */
const text = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');

/** Reads a checkpoint's quantization_config (HF), compressed-tensors groups, or hf_quant_config. */
export function schemeFromConfig(qc: Record<string, unknown> | undefined): QuantScheme | undefined {
  if (!qc) return undefined;
  const method = text(qc.quant_method ?? qc.quant_algo).toLowerCase();
  const skip = [qc.modules_to_not_convert, qc.ignore, qc.exclude_modules, qc.llm_int8_skip_modules]
    .flatMap((v) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []));
  const withSkip = (s: QuantScheme | undefined): QuantScheme | undefined => (s && skip.length ? { ...s, converts: excluding(s.converts, skip) } : s);
  // ModelOpt mixed precision, also when merged into a config that still says quant_method "fp8" (DeepSeek-V4 NVFP4).
  if (text(qc.quant_algo).toUpperCase() === 'MIXED_PRECISION') return modeloptMixedPrecision(qc);
  if (method === 'gptq' || method === 'awq') {
    const bits = typeof qc.bits === 'number' ? qc.bits : typeof qc.w_bit === 'number' ? qc.w_bit : 4;
    const group = typeof qc.group_size === 'number' ? qc.group_size : typeof qc.q_group_size === 'number' ? qc.q_group_size : 128;
    // GPTQ/AWQ kernels exist for 2, 3, 4 and 8 bits; other values are a broken config, not a format.
    if (![2, 3, 4, 8].includes(bits) || !Number.isInteger(group) || group === 0 || group < -1 || group > 1e6) return undefined;
    const dtype: WeightDtype = bits >= 8 ? 'int8' : bits === 4 ? 'int4' : bits === 3 ? 'int3' : 'int2';
    return withSkip({ label: `${method} int${bits}${group > 0 ? ` g${group}` : ' per-channel'}`, weightDtype: dtype, bitsPerWeight: groupOverhead(bits, group, bits), converts: bodyMatrix, compute: 'bf16' });
  }
  if (method === 'fp8' || method === 'fbgemm_fp8') {
    const fp8 = schemeFromName('fp8')!;
    // DeepSeek-V4 checkpoints: FP8 block-quantized body, routed experts in FP4 (`expert_dtype: "fp4"` beside the
    // quantization_config; MXFP4 layout: e2m1 values with one ue8m0 scale per 32).
    if (text(qc.expert_dtype).toLowerCase() === 'fp4') return withSkip({ ...fp8, label: 'fp8 + mxfp4 experts', expertBitsPerWeight: MXFP4_BITS });
    return withSkip(fp8);
  }
  if (method === 'mxfp4') return withSkip(schemeFromName('mxfp4'));
  if (method === 'bitsandbytes') {
    if (qc.load_in_8bit === true || qc._load_in_8bit === true) return withSkip(schemeFromName('bnb_8bit'));
    const double = qc.bnb_4bit_use_double_quant === true;
    return withSkip({ label: 'bitsandbytes nf4', weightDtype: 'nf4', bitsPerWeight: double ? 4.127 : 4.5, converts: bodyMatrix, compute: 'bf16' });
  }
  if (method === 'modelopt' || method === 'fp8_modelopt' || method === 'nvfp4') {
    const algo = (text(qc.quant_algo) || method).toUpperCase();
    const base = algo.includes('FP4') ? schemeFromName('nvfp4') : schemeFromName('fp8');
    return base ? withSkip({ ...base, label: `modelopt ${base.label}`, kvCacheDtype: modeloptKvCache(qc) }) : undefined;
  }
  if (method === 'compressed-tensors') {
    const groups = qc.config_groups && typeof qc.config_groups === 'object' ? Object.values(qc.config_groups as Record<string, unknown>) : [];
    const kv = qc.kv_cache_scheme && typeof qc.kv_cache_scheme === 'object' ? 'fp8' as const : undefined;
    const parts: Array<{ scheme: QuantScheme; roles: Set<WeightRole> | 'all' }> = [];
    for (const g of groups) {
      if (!g || typeof g !== 'object') continue;
      const scheme = compressedTensorsGroupScheme(g as Record<string, unknown>, text(qc.format));
      if (!scheme) return undefined;
      const targets = (g as Record<string, unknown>).targets;
      parts.push({ scheme, roles: targetRoles(Array.isArray(targets) ? targets.filter((t): t is string => typeof t === 'string') : ['Linear']) });
    }
    if (parts.length === 0) return withSkip(schemeFromName('fp8'));
    if (parts.length === 1 && parts[0].roles === 'all') return withSkip({ ...parts[0].scheme, kvCacheDtype: kv });
    // Several groups, or a group aimed at some modules only: each role takes the first group that targets it.
    const bitsByRole = new Map<WeightRole, number>();
    for (const { scheme, roles } of parts) {
      for (const role of roles === 'all' ? BODY_ROLES : roles) if (!bitsByRole.has(role)) bitsByRole.set(role, scheme.bitsPerWeight);
    }
    const roleBits = new RoleBits(bitsByRole);
    const main = dominantPart(parts).scheme;
    const label = parts.map((p) => p.scheme.label).filter((l, i, all) => all.indexOf(l) === i).join(' + ');
    return withSkip({
      ...main, label, kvCacheDtype: kv,
      converts: roleBits.converts.bind(roleBits),
      bitsOf: roleBits.bitsOf.bind(roleBits),
    });
  }
  return undefined;
}

const BODY_ROLES: readonly WeightRole[] = ['attention', 'mlp', 'expert', 'shared-expert', 'mamba'];

/** One compressed-tensors config group's weight format. */
function compressedTensorsGroupScheme(group: Record<string, unknown>, topFormat: string): QuantScheme | undefined {
  const w = group.weights && typeof group.weights === 'object' ? group.weights as Record<string, unknown> : {};
  const bits = typeof w.num_bits === 'number' ? w.num_bits : 8;
  const type = text(w.type) || 'float';
  const size = typeof w.group_size === 'number' ? w.group_size : 0;
  if (![2, 3, 4, 8].includes(bits) || !Number.isInteger(size) || size < 0 || size > 1e6) return undefined;
  const format = (text(group.format) || topFormat).toLowerCase();
  if (bits === 8) return schemeFromName(type === 'int' && group.input_activations ? 'int8' : 'fp8');
  if (bits === 4 && type === 'float') {
    // MXFP4 packs 32 values per 8-bit scale; NVFP4 16 values per fp8 scale.
    return format.includes('mxfp4') || size === 32 ? schemeFromName('mxfp4') : schemeFromName('nvfp4');
  }
  const dtype = bits === 4 ? 'int4' as const : bits === 3 ? 'int3' as const : 'int2' as const;
  return { label: `compressed-tensors int${bits}${size ? ` g${size}` : ''}`, weightDtype: dtype, bitsPerWeight: groupOverhead(bits, size, 0), converts: bodyMatrix, compute: 'bf16' };
}

/**
 * Which weight roles a compressed-tensors group targets. `Linear` (or a class name) is every linear layer;
 * module-name patterns are read by the parts they name (`re:.*attn.*`, `re:.*ffn.*(gate|up|down)_proj$`).
 */
function targetRoles(targets: string[]): Set<WeightRole> | 'all' {
  const roles = new Set<WeightRole>();
  for (const t of targets) {
    const lower = t.toLowerCase();
    if (!/[.*:]/.test(t)) return 'all'; // a module class (Linear, FusedMoE): every linear layer
    if (/attn|attention|mixer\.(in|out)_proj/.test(lower)) { roles.add('attention'); if (/mixer/.test(lower)) roles.add('mamba'); }
    if (/shared_expert/.test(lower)) roles.add('shared-expert');
    else if (/expert/.test(lower)) roles.add('expert');
    else if (/ffn|mlp|(gate|up|down)_proj/.test(lower)) { roles.add('mlp'); roles.add('expert'); roles.add('shared-expert'); }
  }
  return roles;
}

/** The group that sets the headline label and compute dtype: the one aimed at the most roles, experts first. */
function dominantPart<T extends { roles: Set<WeightRole> | 'all' }>(parts: T[]): T {
  const score = (p: T): number => (p.roles === 'all' ? 100 : p.roles.size + (p.roles.has('expert') ? 10 : 0));
  return parts.reduce((best, p) => (score(p) > score(best) ? p : best));
}

/** ModelOpt's KV-cache quantization: `kv_cache_quant_algo: "FP8"` (hf_quant_config.json) or an 8-bit `kv_cache_scheme` (config.json). */
function modeloptKvCache(qc: Record<string, unknown>): 'fp8' | undefined {
  if (text(qc.kv_cache_quant_algo).toUpperCase() === 'FP8') return 'fp8';
  const scheme = qc.kv_cache_scheme;
  return scheme && typeof scheme === 'object' && (scheme as Record<string, unknown>).num_bits === 8 ? 'fp8' : undefined;
}

const HEAD_RE = /(^|\.)lm_head$|(^|\.)head$/;
const ATTENTION_RE = /attn|\.(q|k|v|o)_proj$|\.(wq|wkv|wo)/;
const MAMBA_RE = /mixer\.(in|out)_proj$/;
const MLP_RE = /mlp|ffn|\.(gate|up|down)_proj$/;
const MTP_RE = /(^|\.)mtp(\.|$)/;

/** The roles `quantized_layers` names, in the order they are tested (a role's index keys modeloptMixedPrecision's table). */
const MODULE_ROLES: readonly WeightRole[] = ['lm-head', 'shared-expert', 'expert', 'attention', 'mamba', 'mlp'];

/**
 * Role of a quantized module named in ModelOpt's `quantized_layers` (`model.layers.3.mlp.experts`,
 * `backbone.layers.1.mixer.in_proj`), as an index into MODULE_ROLES, or -1. Called once per entry (thousands in
 * an MoE checkpoint): plain substring tests first, the regular expressions (compiled once) only where needed.
 */
function moduleRoleIndex(name: string): number {
  const n = name.toLowerCase();
  if (n.endsWith('head') && HEAD_RE.test(n)) return 0;
  if (n.includes('shared_expert')) return 1;
  if (n.includes('experts')) return 2;
  if (ATTENTION_RE.test(n)) return 3;
  if (MAMBA_RE.test(n)) return 4;
  if (MLP_RE.test(n)) return 5;
  return -1;
}

/**
 * The decoder layer of a module name, as `(?:^|\.)layers\.(\d+)\.` finds it (its first match), without a match
 * object or substring: -1 when there is none, -2 for a number no layer index is written as (`007`, or too long).
 */
function moduleLayer(name: string): number {
  for (let i = name.indexOf('layers.'); i >= 0; i = name.indexOf('layers.', i + 1)) {
    if (i > 0 && name.charCodeAt(i - 1) !== 46) continue;
    let p = i + 7;
    let v = 0;
    const first = p;
    for (let c = name.charCodeAt(p); c >= 48 && c <= 57; c = name.charCodeAt(++p)) v = v * 10 + (c - 48);
    if (p === first || name.charCodeAt(p) !== 46) continue;
    return (p - first > 1 && name.charCodeAt(first) === 48) || p - first > 15 ? -2 : v;
  }
  return -1;
}

/** Bits per weight of a ModelOpt `quant_algo` (`NVFP4`, `W4A16_NVFP4`, `FP8`, `W4A8_AWQ`, `INT8_SQ`). */
function modeloptAlgoBits(algo: string): { bits: number; compute: ComputeDtype } | undefined {
  const a = algo.toUpperCase();
  if (a.includes('NVFP4') || a === 'FP4') return { bits: NVFP4_BITS, compute: a.startsWith('W4A16') ? 'bf16' : 'fp4' };
  if (a.includes('MXFP4')) return { bits: MXFP4_BITS, compute: 'bf16' };
  if (a.includes('FP8')) return { bits: 8.002, compute: 'fp8' };
  if (a.includes('AWQ') || a.includes('INT4')) return { bits: groupOverhead(4, 128, 0), compute: a.includes('A8') ? 'fp8' : 'bf16' };
  if (a.includes('INT8')) return { bits: 8.002, compute: 'int8' };
  return undefined;
}

/** ModelOpt mixed precision: bits by (layer, role) under a numeric key, (layer + 1) * 8 + role index. */
class LayerRoleBits {
  constructor(private readonly byLayerRole: ReadonlyMap<number, number>, private readonly restBits: number | undefined) {}

  bitsOf(g: WeightGroup): number | undefined {
    const role = MODULE_ROLES.indexOf(g.role);
    const layer = g.layer ?? -1;
    const bits = role >= 0 && Number.isInteger(layer) && layer >= -1 ? this.byLayerRole.get((layer + 1) * 8 + role) : undefined;
    return bits ?? (this.restBits !== undefined && bodyMatrix(g) ? this.restBits : undefined);
  }

  converts(g: WeightGroup): boolean { return (g.quantizable || g.role === 'lm-head') && this.bitsOf(g) !== undefined; }
}
keepShapeAlive(new LayerRoleBits(new Map(), undefined));

/**
 * ModelOpt MIXED_PRECISION: `quantized_layers` names each quantized module with its own algorithm. Bits are kept
 * per (layer, role); what is not named keeps the checkpoint dtype.
 */
function modeloptMixedPrecision(qc: Record<string, unknown>): QuantScheme | undefined {
  const layersRaw = qc.quantized_layers;
  if (!layersRaw || typeof layersRaw !== 'object' || Array.isArray(layersRaw)) return undefined;
  const layers = layersRaw as Record<string, unknown>;
  // One pass over the entries (5,981 in Nemotron 3.5 Lightning NVFP4), building no string per entry: bits by
  // (layer, role) under a numeric key, (layer + 1) * 8 + role index; the bits of each algorithm looked up once.
  const byLayerRole = new Map<number, number>();
  const paramsByAlgo = new Map<string, number>();
  const algoBits = new Map<string, { bits: number; compute: ComputeDtype } | undefined>();
  for (const name of Object.keys(layers)) {
    const entry = layers[name];
    if (!entry || typeof entry !== 'object' || (name.includes('mtp') && MTP_RE.test(name))) continue;
    const algo = text((entry as Record<string, unknown>).quant_algo);
    let bits = algoBits.get(algo);
    if (bits === undefined && !algoBits.has(algo)) algoBits.set(algo, bits = modeloptAlgoBits(algo));
    if (!bits) continue;
    const role = moduleRoleIndex(name);
    if (role < 0) continue;
    const key = (moduleLayer(name) + 1) * 8 + role;
    if (!byLayerRole.has(key)) byLayerRole.set(key, bits.bits);
    // The bundled catalog writes the experts of one layer and projection as one entry with their `count`.
    const count = (entry as Record<string, unknown>).count;
    const modules = typeof count === 'number' && Number.isInteger(count) && count >= 1 ? count : 1;
    paramsByAlgo.set(algo, (paramsByAlgo.get(algo) ?? 0) + (role === 2 ? 100 : 1) * modules);
  }
  if (byLayerRole.size === 0) return undefined;
  // A merged export that still says quant_method "fp8" (DeepSeek-V4 NVFP4) keeps the rest FP8 block-quantized.
  const restBits = text(qc.quant_method).toLowerCase() === 'fp8' ? 8.002 : undefined;
  const headline = [...paramsByAlgo.entries()].sort((a, b) => b[1] - a[1])[0][0];
  const main = modeloptAlgoBits(headline)!;
  const bits = new LayerRoleBits(byLayerRole, restBits);
  const kv = modeloptKvCache(qc);
  return {
    label: `modelopt mixed (${[...paramsByAlgo.keys()].map((a) => a.toLowerCase()).join(' + ')})`,
    weightDtype: main.bits < 5 ? 'nvfp4' : 'fp8',
    bitsPerWeight: main.bits,
    converts: bits.converts.bind(bits),
    bitsOf: bits.bitsOf.bind(bits),
    compute: main.compute,
    kvCacheDtype: kv,
  };
}
