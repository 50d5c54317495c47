// How many bits each weight takes once stored: from the checkpoint's quantization_config, an
// hf_quant_config.json (ModelOpt), or a user override (--quantization).

import { WeightDtype } from './types';
import { WeightGroup } from './model';

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

function excluding(base: (g: WeightGroup) => boolean, patterns: string[]): (g: WeightGroup) => boolean {
  // Module-name patterns (`lm_head`, `re:.*self_attn.*`, `model.layers.*.mlp.router`) mapped to roles.
  const text = patterns.join(' ').toLowerCase();
  const skipAttention = /self_attn|attention|attn/.test(text);
  const skipShared = /shared_expert/.test(text);
  const skipDenseMlp = /mlp\\?\.\(?(gate|up|down)/.test(text) || /mlp\.(gate|up|down)_proj/.test(text);
  const skipAllMlp = /(^|[\s.*"])mlp($|[\s"])/.test(text);
  return (g) => {
    if (!base(g)) return false;
    if (skipAttention && g.role === 'attention') return false;
    if (skipShared && g.role === 'shared-expert') return false;
    if ((skipDenseMlp || skipAllMlp) && g.role === 'mlp') return false;
    return true;
  };
}

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
      return { label: 'mxfp4', weightDtype: 'mxfp4', bitsPerWeight: 4.25, converts: (g) => bodyMatrix(g) && g.role !== 'attention', compute: 'bf16' };
    case 'nvfp4': case 'modelopt_fp4':
      return { label: 'nvfp4', weightDtype: 'nvfp4', bitsPerWeight: 4.5, converts: bodyMatrix, compute: 'fp4' };
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
  if (method === 'gptq' || method === 'awq') {
    const bits = typeof qc.bits === 'number' ? qc.bits : typeof qc.w_bit === 'number' ? qc.w_bit : 4;
    const group = typeof qc.group_size === 'number' ? qc.group_size : typeof qc.q_group_size === 'number' ? qc.q_group_size : 128;
    // GPTQ/AWQ kernels exist for 2, 3, 4 and 8 bits; other values are a broken config, not a format.
    if (![2, 3, 4, 8].includes(bits) || !Number.isInteger(group) || group === 0 || group < -1 || group > 1e6) return undefined;
    const dtype: WeightDtype = bits >= 8 ? 'int8' : bits === 4 ? 'int4' : bits === 3 ? 'int3' : 'int2';
    return withSkip({ label: `${method} int${bits}${group > 0 ? ` g${group}` : ' per-channel'}`, weightDtype: dtype, bitsPerWeight: groupOverhead(bits, group, bits), converts: bodyMatrix, compute: 'bf16' });
  }
  if (method === 'fp8' || method === 'fbgemm_fp8') return withSkip(schemeFromName('fp8'));
  if (method === 'mxfp4') return withSkip(schemeFromName('mxfp4'));
  if (method === 'bitsandbytes') {
    if (qc.load_in_8bit === true || qc._load_in_8bit === true) return withSkip(schemeFromName('bnb_8bit'));
    const double = qc.bnb_4bit_use_double_quant === true;
    return withSkip({ label: 'bitsandbytes nf4', weightDtype: 'nf4', bitsPerWeight: double ? 4.127 : 4.5, converts: bodyMatrix, compute: 'bf16' });
  }
  if (method === 'modelopt' || method === 'fp8_modelopt' || method === 'nvfp4') {
    const algo = (text(qc.quant_algo) || method).toUpperCase();
    const base = algo.includes('FP4') ? schemeFromName('nvfp4') : schemeFromName('fp8');
    const kv = text(qc.kv_cache_quant_algo).toUpperCase() === 'FP8' ? 'fp8' as const : undefined;
    return base ? withSkip({ ...base, label: `modelopt ${base.label}`, kvCacheDtype: kv }) : undefined;
  }
  if (method === 'compressed-tensors') {
    const groups = qc.config_groups;
    const first = groups && typeof groups === 'object' ? Object.values(groups as Record<string, unknown>)[0] : undefined;
    const w = first && typeof first === 'object' ? (first as Record<string, unknown>).weights : undefined;
    const weights = w && typeof w === 'object' ? (w as Record<string, unknown>) : {};
    const bits = typeof weights.num_bits === 'number' ? weights.num_bits : 8;
    const type = text(weights.type) || 'float';
    const group = typeof weights.group_size === 'number' ? weights.group_size : 0;
    if (![2, 3, 4, 8].includes(bits) || !Number.isInteger(group) || group < 0 || group > 1e6) return undefined;
    const act = first && typeof first === 'object' ? (first as Record<string, unknown>).input_activations : undefined;
    let scheme: QuantScheme | undefined;
    if (bits === 8) scheme = schemeFromName(type === 'int' && act ? 'int8' : 'fp8');
    else if (bits === 4 && type === 'float') scheme = schemeFromName('nvfp4');
    else {
      const dtype: WeightDtype = bits === 4 ? 'int4' : bits === 3 ? 'int3' : 'int2';
      scheme = { label: `compressed-tensors int${bits}${group ? ` g${group}` : ''}`, weightDtype: dtype, bitsPerWeight: groupOverhead(bits, group, 0), converts: bodyMatrix, compute: 'bf16' };
    }
    const kv = qc.kv_cache_scheme && typeof qc.kv_cache_scheme === 'object' ? 'fp8' as const : undefined;
    return scheme ? withSkip({ ...scheme, kvCacheDtype: kv }) : undefined;
  }
  return undefined;
}
