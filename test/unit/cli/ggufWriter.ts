// Writes small GGUF v3 files for the tests (ggml/docs/gguf.md): "GGUF", version, tensor and metadata counts,
// key/value pairs, tensor infos, then the data section padded to 32 bytes (zeros; only its length matters).
import * as fs from 'fs';

/** A metadata value: a string, a u32, or an array of strings (counted by readers when long). */
export type GgufMeta = string | number | { strings: string[] };

export interface GgufTensorSpec { name: string; dims: number[]; type: number; bytes: number }

/** ggml type ids and their block sizes and bytes (ggml-common.h): Q4_K 144 bytes per 256 values, Q6_K 210, F32 4 per value. */
export const GGML = { F32: 0, Q4_K: 12, Q6_K: 14 } as const;
export const BLOCK: Record<number, [number, number]> = { [GGML.F32]: [1, 4], [GGML.Q4_K]: [256, 144], [GGML.Q6_K]: [256, 210] };

/** A tensor of `dims` in ggml type `type`, with its exact bytes: rows × (values per row / block) × bytes per block. */
export function tensor(name: string, dims: number[], type: number): GgufTensorSpec {
  const [block, size] = BLOCK[type];
  const rows = dims.slice(1).reduce((a, b) => a * b, 1);
  return { name, dims, type, bytes: rows * (dims[0] / block) * size };
}

/** The bytes of a GGUF file holding this metadata and these tensors' infos (and zeroed data unless `headerOnly`). */
export function ggufBytes(metadata: Array<[string, GgufMeta]>, tensors: GgufTensorSpec[], headerOnly = false): Buffer {
  const parts: Buffer[] = [];
  const u32 = (v: number): void => { const b = Buffer.alloc(4); b.writeUInt32LE(v); parts.push(b); };
  const u64 = (v: number): void => { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(v)); parts.push(b); };
  const str = (s: string): void => { const b = Buffer.from(s, 'utf8'); u64(b.length); parts.push(b); };
  parts.push(Buffer.from('GGUF'));
  u32(3);
  u64(tensors.length);
  u64(metadata.length);
  for (const [key, value] of metadata) {
    str(key);
    if (typeof value === 'string') { u32(8); str(value); } else if (typeof value === 'number') { u32(4); u32(value); } else {
      u32(9); u32(8); u64(value.strings.length);
      for (const s of value.strings) str(s);
    }
  }
  let offset = 0;
  for (const t of tensors) {
    str(t.name); u32(t.dims.length); for (const d of t.dims) u64(d); u32(t.type); u64(offset);
    offset += Math.ceil(t.bytes / 32) * 32;
  }
  const header = Buffer.concat(parts);
  if (headerOnly) return header;
  const padded = Math.ceil(header.length / 32) * 32;
  return Buffer.concat([header, Buffer.alloc(padded - header.length + offset)]);
}

export function writeGguf(file: string, metadata: Array<[string, GgufMeta]>, tensors: GgufTensorSpec[], headerOnly = false): void {
  fs.writeFileSync(file, ggufBytes(metadata, tensors, headerOnly));
}

/** Shapes of the two-layer Llama the GGUF tests build (`TINY_LLAMA`). */
export const TINY = { HIDDEN: 256, LAYERS: 2, HEADS: 4, KV_HEADS: 2, HEAD_DIM: 64, FFN: 512, VOCAB: 1000, CONTEXT: 4096 } as const;

/** A two-layer Llama in Q4_K_M's mix: Q4_K matrices, Q6_K for V, FFN down and the output; norms in F32. */
export const TINY_LLAMA_META: Array<[string, GgufMeta]> = [
  ['general.architecture', 'llama'], ['general.name', 'tiny-llama'], ['general.file_type', 15],
  ['llama.block_count', TINY.LAYERS], ['llama.embedding_length', TINY.HIDDEN], ['llama.attention.head_count', TINY.HEADS],
  ['llama.attention.head_count_kv', TINY.KV_HEADS], ['llama.attention.key_length', TINY.HEAD_DIM], ['llama.feed_forward_length', TINY.FFN],
  ['llama.context_length', TINY.CONTEXT], ['tokenizer.ggml.tokens', { strings: Array.from({ length: TINY.VOCAB }, (_, i) => `t${i}`) }],
];

/** The tensors of the tiny Llama's layer `il`. */
export function tinyLlamaLayer(il: number): GgufTensorSpec[] {
  const { HIDDEN, HEADS, KV_HEADS, HEAD_DIM, FFN } = TINY;
  return [
    tensor(`blk.${il}.attn_norm.weight`, [HIDDEN], GGML.F32),
    tensor(`blk.${il}.attn_q.weight`, [HIDDEN, HEADS * HEAD_DIM], GGML.Q4_K),
    tensor(`blk.${il}.attn_k.weight`, [HIDDEN, KV_HEADS * HEAD_DIM], GGML.Q4_K),
    tensor(`blk.${il}.attn_v.weight`, [HIDDEN, KV_HEADS * HEAD_DIM], GGML.Q6_K),
    tensor(`blk.${il}.attn_output.weight`, [HEADS * HEAD_DIM, HIDDEN], GGML.Q4_K),
    tensor(`blk.${il}.ffn_norm.weight`, [HIDDEN], GGML.F32),
    tensor(`blk.${il}.ffn_gate.weight`, [HIDDEN, FFN], GGML.Q4_K),
    tensor(`blk.${il}.ffn_up.weight`, [HIDDEN, FFN], GGML.Q4_K),
    tensor(`blk.${il}.ffn_down.weight`, [FFN, HIDDEN], GGML.Q6_K),
  ];
}

/** The tiny Llama's token embedding, and its output norm and head. */
export const TINY_LLAMA_EMBEDDING = tensor('token_embd.weight', [TINY.HIDDEN, TINY.VOCAB], GGML.Q4_K);
export const TINY_LLAMA_OUTPUT = [tensor('output_norm.weight', [TINY.HIDDEN], GGML.F32), tensor('output.weight', [TINY.HIDDEN, TINY.VOCAB], GGML.Q6_K)];
