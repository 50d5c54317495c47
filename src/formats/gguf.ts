// GGUF files (llama.cpp's model format), read from the header only: metadata and tensor infos. The reader asks
// for byte ranges as it goes, so a 100 GB file costs the header's reads (the vocabulary arrays dominate: a few MB),
// never its tensor data. Pure: the caller supplies the byte source (a file, a buffer in tests).
//
// Layout (ggml/docs/gguf.md, ggml/src/gguf.cpp): "GGUF", u32 version (1–3), tensor count and metadata count
// (u64; u32 in version 1), then metadata key/value pairs, then tensor infos (name, n_dims, dims, ggml type, offset),
// then padding to `general.alignment` (32 by default) and the tensor data.
import { keyedTable } from '../core/keyedTable';

/** One ggml tensor type: elements per block and bytes per block (ggml/src/ggml.c `type_traits`). */
export interface GgmlType { id: number; name: string; blockSize: number; typeSize: number }

/**
 * Every ggml type a GGUF file can hold, by its enum value: `enum ggml_type` in ggml/include/ggml.h and the
 * `blck_size` / `type_size` of ggml/src/ggml.c `type_traits` on ggml-org/llama.cpp master of late 2026 (ids 0–42,
 * GGML_TYPE_COUNT 43; NVFP4 = 40, Q1_0 = 41, Q2_0 = 42 are the newest). The ids missing here were removed: see
 * REMOVED_GGML_TYPES. Example: Q4_K stores 256 values in 144 bytes (two fp16 scales, 12 bytes of 6-bit sub-block
 * scales, 128 bytes of 4-bit values) = 4.5 bits per weight; IQ4_XS 256 in 136 = 4.25.
 */
export const GGML_TYPES: readonly GgmlType[] = [
  { id: 0, name: 'F32', blockSize: 1, typeSize: 4 },
  { id: 1, name: 'F16', blockSize: 1, typeSize: 2 },
  { id: 2, name: 'Q4_0', blockSize: 32, typeSize: 18 },
  { id: 3, name: 'Q4_1', blockSize: 32, typeSize: 20 },
  { id: 6, name: 'Q5_0', blockSize: 32, typeSize: 22 },
  { id: 7, name: 'Q5_1', blockSize: 32, typeSize: 24 },
  { id: 8, name: 'Q8_0', blockSize: 32, typeSize: 34 },
  { id: 9, name: 'Q8_1', blockSize: 32, typeSize: 36 },
  { id: 10, name: 'Q2_K', blockSize: 256, typeSize: 84 },
  { id: 11, name: 'Q3_K', blockSize: 256, typeSize: 110 },
  { id: 12, name: 'Q4_K', blockSize: 256, typeSize: 144 },
  { id: 13, name: 'Q5_K', blockSize: 256, typeSize: 176 },
  { id: 14, name: 'Q6_K', blockSize: 256, typeSize: 210 },
  { id: 15, name: 'Q8_K', blockSize: 256, typeSize: 292 },
  { id: 16, name: 'IQ2_XXS', blockSize: 256, typeSize: 66 },
  { id: 17, name: 'IQ2_XS', blockSize: 256, typeSize: 74 },
  { id: 18, name: 'IQ3_XXS', blockSize: 256, typeSize: 98 },
  { id: 19, name: 'IQ1_S', blockSize: 256, typeSize: 50 },
  { id: 20, name: 'IQ4_NL', blockSize: 32, typeSize: 18 },
  { id: 21, name: 'IQ3_S', blockSize: 256, typeSize: 110 },
  { id: 22, name: 'IQ2_S', blockSize: 256, typeSize: 82 },
  { id: 23, name: 'IQ4_XS', blockSize: 256, typeSize: 136 },
  { id: 24, name: 'I8', blockSize: 1, typeSize: 1 },
  { id: 25, name: 'I16', blockSize: 1, typeSize: 2 },
  { id: 26, name: 'I32', blockSize: 1, typeSize: 4 },
  { id: 27, name: 'I64', blockSize: 1, typeSize: 8 },
  { id: 28, name: 'F64', blockSize: 1, typeSize: 8 },
  { id: 29, name: 'IQ1_M', blockSize: 256, typeSize: 56 },
  { id: 30, name: 'BF16', blockSize: 1, typeSize: 2 },
  { id: 34, name: 'TQ1_0', blockSize: 256, typeSize: 54 },
  { id: 35, name: 'TQ2_0', blockSize: 256, typeSize: 66 },
  { id: 39, name: 'MXFP4', blockSize: 32, typeSize: 17 },
  { id: 40, name: 'NVFP4', blockSize: 64, typeSize: 36 },
  { id: 41, name: 'Q1_0', blockSize: 128, typeSize: 18 },
  { id: 42, name: 'Q2_0', blockSize: 64, typeSize: 18 },
];

/**
 * ggml type ids that are no longer read (ggml.h keeps them as comments): Q4_2 and Q4_3 (2023), and the repacked
 * Q4_0_4_4 / Q4_0_4_8 / Q4_0_8_8 and IQ4_NL_4_4 / _4_8 / _8_8 ("support has been removed from gguf files"; ggml
 * now repacks Q4_0 and IQ4_NL at load instead). llama.cpp refuses a file holding them, so the budget does too.
 */
export const REMOVED_GGML_TYPES: Readonly<Record<number, string>> = {
  4: 'Q4_2', 5: 'Q4_3', 31: 'Q4_0_4_4', 32: 'Q4_0_4_8', 33: 'Q4_0_8_8', 36: 'IQ4_NL_4_4', 37: 'IQ4_NL_4_8', 38: 'IQ4_NL_8_8',
};

const TYPES_BY_ID = new Map(GGML_TYPES.map((t) => [t.id, t]));
const TYPES_BY_NAME = new Map(GGML_TYPES.map((t) => [t.name.toLowerCase(), t]));

export function ggmlType(id: number): GgmlType | undefined { return TYPES_BY_ID.get(id); }
export function ggmlTypeByName(name: string): GgmlType | undefined { return TYPES_BY_NAME.get(name.trim().toLowerCase()); }

/** Bits per weight of one ggml type (`type_size × 8 / blck_size`): IQ4_XS 4.25, IQ2_XXS 2.0625, TQ1_0 1.6875. */
export function ggmlBitsPerWeight(type: GgmlType): number {
  return (type.typeSize * 8) / type.blockSize;
}

/** Why a tensor's type id cannot be sized: "unknown ggml type 99 in tensor blk.0.attn_q.weight". */
export function unknownGgmlTypeMessage(typeId: number, tensor: string): string {
  const removed = REMOVED_GGML_TYPES[typeId];
  return removed
    ? `unknown ggml type ${typeId} in tensor ${tensor}: ${removed} was removed from GGUF files and llama.cpp no longer loads it (convert the model again)`
    : `unknown ggml type ${typeId} in tensor ${tensor}: newer than the types this reader knows (ids 0–${GGML_TYPES[GGML_TYPES.length - 1].id}), so the file is not sized`;
}

/** Bytes of one row of `elements` values (`ggml_row_size`); the row must be whole blocks. */
export function ggmlRowBytes(type: GgmlType, elements: number): number {
  return (elements / type.blockSize) * type.typeSize;
}

/** A metadata value as read: scalars as numbers/strings/booleans; arrays kept whole when small, else counted. */
export type GgufValue = number | bigint | string | boolean | GgufValue[] | { arrayOf: string; count: number };

export interface GgufTensor {
  name: string;
  dims: number[];
  type: GgmlType;
  /** Offset of the data within the data section. */
  offset: number;
  /** Exact stored bytes. */
  bytes: number;
}

export interface GgufHeader {
  version: number;
  metadata: Map<string, GgufValue>;
  tensors: GgufTensor[];
  /** Sum of the tensors' bytes. */
  tensorBytes: number;
  /** Where the tensor data starts (after the header and its alignment padding). */
  dataOffset: number;
  /** Bytes of header read. */
  headerBytes: number;
}

/** Reads `length` bytes at `offset` (fewer at the end of the file). */
export type ByteSource = (offset: number, length: number) => Promise<Uint8Array>;

export class GgufError extends Error {}

/** Bounds that keep a broken or hostile file from costing unbounded memory or time. */
export const GGUF_LIMITS = {
  tensors: 1_000_000, metadata: 100_000, stringBytes: 1 << 20, headerBytes: 256 << 20, dims: 8,
  /** Arrays longer than this are counted, not kept (vocabularies, merges). */
  keptArrayItems: 4096,
} as const;

const VALUE_TYPES = ['u8', 'i8', 'u16', 'i16', 'u32', 'i32', 'f32', 'bool', 'string', 'array', 'u64', 'i64', 'f64'] as const;
const FIXED_SIZE: Record<string, number> = { u8: 1, i8: 1, u16: 2, i16: 2, u32: 4, i32: 4, f32: 4, bool: 1, u64: 8, i64: 8, f64: 8 };

/** A forward-only reader over a ByteSource with a read-ahead window. */
class Cursor {
  private buf: Uint8Array = new Uint8Array(0);
  private bufStart = 0;
  pos = 0;
  constructor(private readonly read: ByteSource, private readonly chunk = 1 << 16) {}

  private async ensure(n: number): Promise<DataView> {
    if (this.pos + n > GGUF_LIMITS.headerBytes) throw new GgufError(`the header is larger than ${GGUF_LIMITS.headerBytes} bytes`);
    const have = this.bufStart + this.buf.length - this.pos;
    if (this.pos < this.bufStart || have < n) {
      const want = Math.max(n, this.chunk);
      const bytes = await this.read(this.pos, want);
      if (bytes.length < n) throw new GgufError(`the file ends inside its header (at byte ${this.pos + bytes.length})`);
      this.buf = bytes;
      this.bufStart = this.pos;
    }
    const at = this.pos - this.bufStart;
    return new DataView(this.buf.buffer, this.buf.byteOffset + at, n);
  }

  async u32(): Promise<number> { const v = (await this.ensure(4)).getUint32(0, true); this.pos += 4; return v; }
  async u64(): Promise<number> {
    const v = (await this.ensure(8)).getBigUint64(0, true);
    this.pos += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new GgufError(`a count or size does not fit in 53 bits (${v})`);
    return Number(v);
  }
  async bytes(n: number): Promise<Uint8Array> {
    const view = await this.ensure(n);
    this.pos += n;
    return new Uint8Array(view.buffer, view.byteOffset, n);
  }
  skip(n: number): void { this.pos += n; }

  async scalar(type: string): Promise<number | bigint | boolean> {
    const view = await this.ensure(FIXED_SIZE[type]);
    this.pos += FIXED_SIZE[type];
    switch (type) {
      case 'u8': return view.getUint8(0);
      case 'i8': return view.getInt8(0);
      case 'u16': return view.getUint16(0, true);
      case 'i16': return view.getInt16(0, true);
      case 'u32': return view.getUint32(0, true);
      case 'i32': return view.getInt32(0, true);
      case 'f32': return view.getFloat32(0, true);
      case 'bool': return view.getUint8(0) !== 0;
      case 'u64': { const v = view.getBigUint64(0, true); return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v; }
      case 'i64': { const v = view.getBigInt64(0, true); return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v; }
      default: return view.getFloat64(0, true);
    }
  }
}

const decoder = new TextDecoder('utf-8', { fatal: false });

async function readString(c: Cursor, lengthBytes: 4 | 8): Promise<string> {
  const n = lengthBytes === 8 ? await c.u64() : await c.u32();
  if (n > GGUF_LIMITS.stringBytes) throw new GgufError(`a string of ${n} bytes is longer than the ${GGUF_LIMITS.stringBytes} allowed`);
  return decoder.decode(await c.bytes(n));
}

function valueType(id: number): string {
  const t = VALUE_TYPES[id];
  if (!t) throw new GgufError(`unknown metadata value type ${id}`);
  return t;
}

async function readValue(c: Cursor, type: string, lengthBytes: 4 | 8, depth = 0): Promise<GgufValue> {
  if (type === 'string') return readString(c, lengthBytes);
  if (type !== 'array') return c.scalar(type);
  if (depth > 2) throw new GgufError('arrays nested more than two deep');
  const itemType = valueType(await c.u32());
  const count = lengthBytes === 8 ? await c.u64() : await c.u32();
  if (count <= GGUF_LIMITS.keptArrayItems) {
    const items: GgufValue[] = [];
    for (let i = 0; i < count; i++) items.push(await readValue(c, itemType, lengthBytes, depth + 1));
    return items;
  }
  // Long arrays (vocabularies, merges, scores) are passed over: only their length is kept.
  if (itemType in FIXED_SIZE) c.skip(count * FIXED_SIZE[itemType]);
  else for (let i = 0; i < count; i++) await readValue(c, itemType, lengthBytes, depth + 1);
  return { arrayOf: itemType, count };
}

/**
 * Reads a GGUF header. Throws GgufError with a one-line reason for anything that is not a well-formed GGUF header
 * (wrong magic, truncated file, unknown tensor type, absurd counts).
 */
export async function readGgufHeader(read: ByteSource): Promise<GgufHeader> {
  const c = new Cursor(read);
  const magic = decoder.decode(await c.bytes(4));
  if (magic !== 'GGUF') throw new GgufError('not a GGUF file (the first four bytes are not "GGUF")');
  const version = await c.u32();
  if (version < 1 || version > 3) throw new GgufError(`GGUF version ${version} is not supported (1–3)`);
  const lengthBytes: 4 | 8 = version === 1 ? 4 : 8;
  const tensorCount = version === 1 ? await c.u32() : await c.u64();
  const metadataCount = version === 1 ? await c.u32() : await c.u64();
  if (tensorCount > GGUF_LIMITS.tensors) throw new GgufError(`${tensorCount} tensors is more than the ${GGUF_LIMITS.tensors} allowed`);
  if (metadataCount > GGUF_LIMITS.metadata) throw new GgufError(`${metadataCount} metadata entries is more than the ${GGUF_LIMITS.metadata} allowed`);
  const metadata = new Map<string, GgufValue>();
  for (let i = 0; i < metadataCount; i++) {
    const key = await readString(c, lengthBytes);
    const type = valueType(await c.u32());
    metadata.set(key, await readValue(c, type, lengthBytes));
  }
  const tensors: GgufTensor[] = [];
  let tensorBytes = 0;
  for (let i = 0; i < tensorCount; i++) {
    const name = await readString(c, lengthBytes);
    const nDims = await c.u32();
    if (nDims < 1 || nDims > GGUF_LIMITS.dims) throw new GgufError(`tensor ${name} has ${nDims} dimensions`);
    const dims: number[] = [];
    for (let d = 0; d < nDims; d++) dims.push(lengthBytes === 8 ? await c.u64() : await c.u32());
    const typeId = await c.u32();
    const type = ggmlType(typeId);
    if (!type) throw new GgufError(unknownGgmlTypeMessage(typeId, name));
    const offset = await c.u64();
    if (dims[0] % type.blockSize !== 0) throw new GgufError(`tensor ${name}: ${dims[0]} values per row is not whole ${type.name} blocks of ${type.blockSize}`);
    const rows = dims.slice(1).reduce((a, b) => a * b, 1);
    const bytes = ggmlRowBytes(type, dims[0]) * rows;
    if (!Number.isSafeInteger(bytes)) throw new GgufError(`tensor ${name} is too large`);
    tensors.push({ name, dims, type, offset, bytes });
    tensorBytes += bytes;
  }
  const alignmentValue = metadata.get('general.alignment');
  const alignment = typeof alignmentValue === 'number' && alignmentValue > 0 && alignmentValue <= 1 << 20 ? alignmentValue : 32;
  const dataOffset = Math.ceil(c.pos / alignment) * alignment;
  return { version, metadata, tensors, tensorBytes, dataOffset, headerBytes: c.pos };
}

/** `model-00001-of-00003.gguf` → its index (1-based) and count; undefined for a single-file model. */
export function ggufSplitOf(fileName: string): { index: number; count: number; pattern: (i: number) => string } | undefined {
  const m = /^(.*)-(\d{5})-of-(\d{5})\.gguf$/i.exec(fileName);
  if (!m) return undefined;
  const count = Number(m[3]);
  return { index: Number(m[2]), count, pattern: (i) => `${m[1]}-${String(i).padStart(5, '0')}-of-${m[3]}.gguf` };
}

/** What the engine needs of a GGUF model beside its config: every tensor's exact bytes and the file's own type. */
export interface GgufModelSummary {
  architecture: string;
  /** `general.file_type` as a name (Q4_K_M, Q8_0, …) when stated. */
  fileType?: string;
  tensors: Array<{ name: string; bytes: number; type: string; dims: number[] }>;
  tensorBytes: number;
}

/** llama.cpp's `llama_ftype` names (`general.file_type`), for what the user calls the file. */
const FILE_TYPES: Record<number, string> = {
  0: 'F32', 1: 'F16', 2: 'Q4_0', 3: 'Q4_1', 7: 'Q8_0', 8: 'Q5_0', 9: 'Q5_1', 10: 'Q2_K', 11: 'Q3_K_S', 12: 'Q3_K_M',
  13: 'Q3_K_L', 14: 'Q4_K_S', 15: 'Q4_K_M', 16: 'Q5_K_S', 17: 'Q5_K_M', 18: 'Q6_K', 19: 'IQ2_XXS', 20: 'IQ2_XS',
  21: 'Q2_K_S', 22: 'IQ3_XS', 23: 'IQ3_XXS', 24: 'IQ1_S', 25: 'IQ4_NL', 26: 'IQ3_S', 27: 'IQ3_M', 28: 'IQ2_S',
  29: 'IQ2_M', 30: 'IQ4_XS', 31: 'IQ1_M', 32: 'BF16', 36: 'TQ1_0', 37: 'TQ2_0', 38: 'MXFP4_MOE',
};

/** GGUF architecture names to the model_type a Hugging Face config would carry. */
const ARCH_MODEL_TYPE: Readonly<Record<string, string>> = keyedTable({
  llama: 'llama', mistral3: 'mistral', qwen2: 'qwen2', qwen3: 'qwen3', qwen2moe: 'qwen2_moe', qwen3moe: 'qwen3_moe',
  gemma: 'gemma', gemma2: 'gemma2', gemma3: 'gemma3', phi3: 'phi3', deepseek2: 'deepseek_v3', 'gpt-oss': 'gpt_oss',
  gptoss: 'gpt_oss', falcon: 'falcon', starcoder2: 'starcoder2', olmo2: 'olmo2', granite: 'granite', exaone: 'exaone',
});

const num = (v: GgufValue | undefined): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/**
 * A Hugging Face-like config.json built from a GGUF file's metadata (`{arch}.block_count`, `.embedding_length`,
 * `.attention.head_count[_kv]`, `.attention.key_length`, `.feed_forward_length`, `.expert_count`, …), so the same
 * engine sizes it, and the tensors' exact bytes for what each device holds. Per-layer KV-head arrays take their
 * largest value.
 */
export function ggufModel(header: GgufHeader): { config: Record<string, unknown>; gguf: GgufModelSummary } {
  const m = header.metadata;
  const arch = typeof m.get('general.architecture') === 'string' ? m.get('general.architecture') as string : '';
  if (!arch) throw new GgufError('the file names no general.architecture');
  const get = (key: string): GgufValue | undefined => m.get(`${arch}.${key}`);
  const perLayerMax = (v: GgufValue | undefined): number | undefined =>
    Array.isArray(v) ? v.reduce<number>((most, x) => Math.max(most, typeof x === 'number' ? x : 0), -Infinity) : num(v);
  const heads = perLayerMax(get('attention.head_count'));
  const vocabValue = m.get('tokenizer.ggml.tokens');
  const vocab = num(get('vocab_size')) ?? (vocabValue && typeof vocabValue === 'object' && 'count' in vocabValue ? vocabValue.count : Array.isArray(vocabValue) ? vocabValue.length : undefined);
  const config: Record<string, unknown> = {
    architectures: [`${arch} (GGUF)`],
    model_type: ARCH_MODEL_TYPE[arch] ?? arch,
    hidden_size: num(get('embedding_length')),
    num_hidden_layers: num(get('block_count')),
    num_attention_heads: heads,
    num_key_value_heads: perLayerMax(get('attention.head_count_kv')) ?? heads,
    head_dim: num(get('attention.key_length')),
    intermediate_size: perLayerMax(get('feed_forward_length')),
    vocab_size: vocab,
    max_position_embeddings: num(get('context_length')),
    sliding_window: num(get('attention.sliding_window')),
    num_experts: num(get('expert_count')),
    num_experts_per_tok: num(get('expert_used_count')),
    moe_intermediate_size: num(get('expert_feed_forward_length')),
    kv_lora_rank: num(get('attention.kv_lora_rank')),
    tie_word_embeddings: !header.tensors.some((t) => t.name === 'output.weight'),
    torch_dtype: 'bfloat16',
  };
  for (const k of Object.keys(config)) if (config[k] === undefined) delete config[k];
  const fileType = num(m.get('general.file_type'));
  return {
    config,
    gguf: {
      architecture: arch,
      fileType: fileType !== undefined ? FILE_TYPES[fileType] ?? `type ${fileType}` : undefined,
      tensors: header.tensors.map((t) => ({ name: t.name, bytes: t.bytes, type: t.type.name, dims: t.dims })),
      tensorBytes: header.tensorBytes,
    },
  };
}
