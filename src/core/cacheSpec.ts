// One cache spec per layer kind, after vLLM's `KVCacheSpec` classes (vllm/v1/kv_cache_interface.py, 0.8–0.22):
// each owns its bytes per token (or per sequence), its page size, the memory one request of a given length
// needs, and the tokens it keeps. The vLLM emulation, capacity figures and decode speed all ask these.

import { LayerDescription } from './model';
import { layerKvBytesPerToken, layerStateBytesPerSequence } from './kvcache';

export type CacheSpec =
  /** `FullAttentionSpec` / `MLAAttentionSpec`: every token of the context, in blocks of `block_size` tokens. */
  | { kind: 'full'; bytesPerToken: number }
  /** `SlidingWindowSpec`: the last `window` tokens (plus the tokens scheduled in one step). */
  | { kind: 'sliding'; bytesPerToken: number; window: number }
  /** `ChunkedLocalAttentionSpec` (Llama 4): the current chunk of `chunk` tokens. */
  | { kind: 'chunked'; bytesPerToken: number; chunk: number }
  /** `MambaSpec`: one fixed-size state per sequence (Mamba, Gated DeltaNet, KDA, lightning, short conv). */
  | { kind: 'state'; bytesPerSequence: number };

/**
 * The cache spec of one layer on one rank, or undefined for a layer that keeps nothing (a dense MLP block, a
 * cross-attention layer over image tokens, a layer that reads another layer's cache).
 * Example: a Llama-3.1-8B layer at TP 2, bf16 → { kind: 'full', bytesPerToken: 2 × 4 × 128 × 2 = 2048 }.
 */
export function cacheSpecOf(layer: LayerDescription, kvBytes: number, stateDtypeBytes: number, tp: number): CacheSpec | undefined {
  if (layer.mamba) return { kind: 'state', bytesPerSequence: layerStateBytesPerSequence(layer.mamba, stateDtypeBytes, tp) };
  const bytesPerToken = layerKvBytesPerToken(layer, kvBytes, tp);
  if (bytesPerToken <= 0) return undefined;
  const a = layer.attention!;
  if (a.type === 'sliding' && a.window) return { kind: 'sliding', bytesPerToken, window: a.window };
  if (a.type === 'chunked' && a.window) return { kind: 'chunked', bytesPerToken, chunk: a.window };
  return { kind: 'full', bytesPerToken };
}

/** Specs vLLM's hybrid allocator puts in one KV-cache group: same kind and same window. */
export function groupKey(spec: CacheSpec): string {
  switch (spec.kind) {
    case 'full': return 'full';
    case 'sliding': return `sliding:${spec.window}`;
    case 'chunked': return `chunked:${spec.chunk}`;
    case 'state': return 'state';
  }
}

/** `page_size_bytes`: one block of `blockSize` tokens (a state spec's page is one sequence's state). */
export function pageSizeBytes(spec: CacheSpec, blockSize: number): number {
  return spec.kind === 'state' ? spec.bytesPerSequence : spec.bytesPerToken * blockSize;
}

const cdiv = (a: number, b: number): number => Math.ceil(a / b);

/**
 * `max_memory_usage_bytes`: the most one request of `maxModelLen` tokens can hold in this layer.
 * Sliding windows keep `window − 1` tokens plus one scheduling step and one block of slack; chunked local
 * attention its chunk plus one step; a state spec one state.
 * Example: a 4096-token window, 8192 batched tokens, block 16, 131,072-token requests →
 * (cdiv(4095 + 8192, 16) + 1) pages = 769 pages.
 * `extraRetainedTokens`: tokens a sliding window keeps below its trailing edge (`SlidingWindowSpec.
 * extra_retained_tokens`, vllm/v1/kv_cache_interface.py, 0.26+: k − 1 under multi-layer MTP, #50062).
 */
export function maxMemoryUsageBytes(spec: CacheSpec, maxModelLen: number, blockSize: number, maxNumBatchedTokens: number, extraRetainedTokens = 0): number {
  const page = pageSizeBytes(spec, blockSize);
  switch (spec.kind) {
    case 'full': return cdiv(maxModelLen, blockSize) * page;
    case 'sliding': return (cdiv(Math.min(spec.window - 1 + extraRetainedTokens + maxNumBatchedTokens, maxModelLen), blockSize) + 1) * page;
    case 'chunked': return (cdiv(Math.min(spec.chunk + maxNumBatchedTokens, maxModelLen), blockSize) + 1) * page;
    case 'state': return page;
  }
}

/** Tokens of a sequence at `tokens` of context that the layer keeps and decode reads. */
export function tokensKept(spec: CacheSpec, tokens: number): number {
  switch (spec.kind) {
    case 'full': return tokens;
    case 'sliding': return Math.min(tokens, spec.window);
    case 'chunked': return Math.min(tokens, spec.chunk);
    case 'state': return 0;
  }
}
