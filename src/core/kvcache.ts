// KV-cache bytes per token and per request, per layer type, per rank.

import { LayerDescription, ModelDescription, layerKinds } from './model';
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
  if (!a || layer.crossAttention) return 0;
  if (a.type === 'mla') {
    // Every rank keeps the whole latent; the V3.2 indexer adds fp8 keys plus a 4-byte scale.
    return (a.mlaLatentDim ?? 0) * kvBytes + (a.indexerDim ? a.indexerDim + 4 : 0);
  }
  return 2 * kvHeadsPerRank(a.kvHeads, tp) * a.headDim * kvBytes;
}

/** Whole model, one token, TP=1: every attention layer counted, sliding layers not capped. */
export function modelKvBytesPerToken(model: ModelDescription, kvBytes: number): number {
  let total = 0;
  for (const { layer, count } of layerKinds(model)) total += layerKvBytesPerToken(layer, kvBytes, 1) * count;
  return total;
}

/** Recurrent state of one sequence (Mamba layers), TP=1. */
export function modelStateBytesPerSequence(model: ModelDescription, stateDtypeBytes: number): number {
  let total = 0;
  for (const { layer, count } of layerKinds(model)) if (layer.mamba) total += layer.mamba.stateElements * stateDtypeBytes * count;
  return total;
}

/** Tokens a layer keeps for one sequence at context `tokens` (sliding windows cap it). */
export function tokensHeld(layer: LayerDescription, tokens: number): number {
  const a = layer.attention;
  if (a && (a.type === 'sliding' || a.type === 'chunked') && a.window) return Math.min(tokens, a.window);
  return tokens;
}
