// KV-cache bytes per token and per request, per layer type, per rank.

import { LayerDescription, MambaLayer, ModelDescription, layerKinds } from './model';
import { KvCacheDtype } from './types';

export function kvDtypeBytes(kv: KvCacheDtype, modelDtypeBytes: number): number {
  if (kv === 'fp8') return 1;
  if (kv === 'float32') return 4;
  if (kv === 'bfloat16' || kv === 'float16') return 2;
  return modelDtypeBytes;
}

export function normalizeKvDtype(value: string | undefined): KvCacheDtype | undefined {
  if (value === undefined) return 'auto';
  const v = value.trim().toLowerCase();
  if (v === 'auto' || v === '') return 'auto';
  if (v === 'fp8' || v === 'fp8_e4m3' || v === 'fp8_e5m2' || v === 'fp8_inc' || v === 'fp8_ds_mla') return 'fp8';
  if (v === 'bfloat16' || v === 'bf16') return 'bfloat16';
  if (v === 'float16' || v === 'fp16' || v === 'half') return 'float16';
  if (v === 'float32' || v === 'fp32') return 'float32';
  return undefined;
}

/** KV heads held by one rank: divided across TP, replicated (one each) when fewer heads than ranks. */
export function kvHeadsPerRank(kvHeads: number, tp: number): number {
  return Math.max(1, Math.floor(kvHeads / tp));
}

/** Bytes one token adds to one layer's cache on one rank; 0 for layers without a token cache. */
export function layerKvBytesPerToken(layer: LayerDescription, kvBytes: number, tp: number): number {
  const a = layer.attention;
  if (!a || layer.crossAttention || a.kvSharedWith !== undefined) return 0;
  const indexer = a.indexerBytesPerToken ?? 0;
  if (a.compressRatio === 0) return 0;
  // Every rank keeps the whole MLA latent and the whole indexer key; compressed layers one entry per `ratio` tokens.
  if (a.type === 'mla') return ((a.entryBytes ?? (a.mlaLatentDim ?? 0) * kvBytes) + indexer) / (a.compressRatio ?? 1);
  return 2 * kvHeadsPerRank(a.kvHeads, tp) * a.headDim * kvBytes + indexer;
}

/** Whole model, one token, TP=1: every attention layer counted, sliding layers not capped. */
export function modelKvBytesPerToken(model: ModelDescription, kvBytes: number): number {
  let total = 0;
  for (const { layer, count } of layerKinds(model)) total += layerKvBytesPerToken(layer, kvBytes, 1) * count;
  return total;
}

/**
 * Bytes of one sequence's recurrent state in one layer on one rank: conv state in `stateDtypeBytes`, SSM state
 * in float32 where the model keeps it so (vLLM's `MambaStateDtypeCalculator`), both divided across TP.
 * Example: a Nemotron 3 Nano Mamba layer at TP 1, bf16: 3 × 6,144 × 2 + 64 × 64 × 128 × 4 = 2,134,016 bytes.
 */
export function layerStateBytesPerSequence(m: MambaLayer, stateDtypeBytes: number, tp: number): number {
  return (m.convElements * stateDtypeBytes + m.ssmElements * (m.ssmFloat32 ? 4 : stateDtypeBytes)) / tp;
}

/** Recurrent state of one sequence (Mamba and linear-attention layers), TP=1. */
export function modelStateBytesPerSequence(model: ModelDescription, stateDtypeBytes: number): number {
  let total = 0;
  for (const { layer, count } of layerKinds(model)) if (layer.mamba) total += layerStateBytesPerSequence(layer.mamba, stateDtypeBytes, 1) * count;
  return total;
}
