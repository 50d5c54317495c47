import * as assert from 'assert';
import { GGML_TYPES, GgufError, readGgufHeader, ggufSplitOf } from '../../../src/formats/gguf';

/** Bytes per block from ggml's block structs (ggml-common.h), written out field by field. */
const QK_K = 256;
const STRUCT_BYTES: Record<string, [number, number]> = {
  F32: [1, 4], F16: [1, 2], BF16: [1, 2], F64: [1, 8], I8: [1, 1], I16: [1, 2], I32: [1, 4], I64: [1, 8],
  Q4_0: [32, 2 + 32 / 2], // fp16 d + 16 bytes of nibbles
  Q4_1: [32, 2 + 2 + 32 / 2], // d, m + nibbles
  Q5_0: [32, 2 + 4 + 32 / 2], // d + 32 high bits + nibbles
  Q5_1: [32, 2 + 2 + 4 + 32 / 2],
  Q8_0: [32, 2 + 32],
  Q8_1: [32, 2 + 2 + 32],
  Q2_K: [QK_K, QK_K / 16 + QK_K / 4 + 2 + 2], // scales, 2-bit values, d, dmin
  Q3_K: [QK_K, QK_K / 8 + QK_K / 4 + 12 + 2], // high-bit mask, low bits, 6-bit scales, d
  Q4_K: [QK_K, 2 + 2 + 12 + QK_K / 2],
  Q5_K: [QK_K, 2 + 2 + 12 + QK_K / 8 + QK_K / 2],
  Q6_K: [QK_K, QK_K / 2 + QK_K / 4 + QK_K / 16 + 2],
  Q8_K: [QK_K, 4 + QK_K + (QK_K / 16) * 2], // float d, values, int16 block sums
  IQ2_XXS: [QK_K, 2 + (QK_K / 8) * 2],
  IQ2_XS: [QK_K, 2 + (QK_K / 8) * 2 + QK_K / 32],
  IQ2_S: [QK_K, 2 + QK_K / 4 + QK_K / 32 + QK_K / 32],
  IQ3_XXS: [QK_K, 2 + (3 * QK_K) / 8],
  IQ3_S: [QK_K, 2 + QK_K / 4 + QK_K / 32 + QK_K / 8 + QK_K / 64],
  IQ1_S: [QK_K, 2 + QK_K / 8 + (QK_K / 32) * 2],
  IQ1_M: [QK_K, QK_K / 8 + QK_K / 16 + QK_K / 32],
  IQ4_NL: [32, 2 + 16],
  IQ4_XS: [QK_K, 2 + 2 + QK_K / 64 + QK_K / 2],
  TQ1_0: [QK_K, (QK_K - 4 * (QK_K / 64)) / 5 + QK_K / 64 + 2],
  TQ2_0: [QK_K, QK_K / 4 + 2],
  MXFP4: [32, 1 + 16], // e8m0 scale + 32 fp4 values
  NVFP4: [64, 64 / 16 + 64 / 2], // an fp8 scale per 16 values + 64 fp4 values
  Q1_0: [128, 2 + 128 / 8], // fp16 scale + one bit per value
  Q2_0: [64, 2 + 64 / 4], // fp16 scale + two bits per value
};

/** Writes a GGUF v3 file: metadata (string, u32, f32, bool, small and long arrays) and one tensor per ggml type. */
function buildGguf(opts: { version?: number; alignment?: number } = {}): { bytes: Uint8Array; expected: Array<{ name: string; dims: number[]; bytes: number }> } {
  const parts: number[] = [];
  const u8 = (v: number) => parts.push(v & 0xff);
  const u32 = (v: number) => { for (let i = 0; i < 4; i++) u8(v >>> (8 * i)); };
  const u64 = (v: number) => { u32(v % 2 ** 32); u32(Math.floor(v / 2 ** 32)); };
  const str = (s: string) => { const b = Buffer.from(s, 'utf8'); u64(b.length); for (const x of b) u8(x); };
  const f32 = (v: number) => { const b = Buffer.alloc(4); b.writeFloatLE(v); for (const x of b) u8(x); };
  for (const ch of 'GGUF') u8(ch.charCodeAt(0));
  u32(opts.version ?? 3);
  const types = GGML_TYPES;
  u64(types.length);
  const kvs: Array<() => void> = [
    () => { str('general.architecture'); u32(8); str('llama'); },
    () => { str('llama.block_count'); u32(4); u32(2); },
    () => { str('llama.rope.freq_base'); u32(6); f32(500000); },
    () => { str('tokenizer.ggml.add_bos_token'); u32(7); u8(1); },
    () => { str('llama.attention.head_count_kv'); u32(9); u32(4); u64(2); u32(8); u32(4); },
    // A vocabulary longer than the kept-array limit: counted, not kept.
    () => { str('tokenizer.ggml.tokens'); u32(9); u32(8); u64(5000); for (let i = 0; i < 5000; i++) str(`t${i}`); },
    () => { str('tokenizer.ggml.scores'); u32(9); u32(6); u64(5000); for (let i = 0; i < 5000; i++) f32(i); },
  ];
  if (opts.alignment) kvs.push(() => { str('general.alignment'); u32(4); u32(opts.alignment!); });
  u64(kvs.length);
  for (const kv of kvs) kv();
  const expected: Array<{ name: string; dims: number[]; bytes: number }> = [];
  let offset = 0;
  for (const t of types) {
    const [block, size] = STRUCT_BYTES[t.name];
    const dims = [block * 4, 3];
    const name = `blk.0.${t.name.toLowerCase()}.weight`;
    str(name); u32(dims.length); for (const d of dims) u64(d); u32(t.id); u64(offset);
    const bytes = (dims[0] / block) * size * dims[1];
    expected.push({ name, dims, bytes });
    offset += Math.ceil(bytes / 32) * 32;
  }
  return { bytes: Uint8Array.from(parts), expected };
}

const source = (bytes: Uint8Array, log?: Array<[number, number]>) => async (offset: number, length: number): Promise<Uint8Array> => {
  log?.push([offset, length]);
  return bytes.subarray(offset, Math.min(bytes.length, offset + length));
};

describe('formats: GGUF headers', () => {
  it('reads metadata and the exact bytes of a tensor of every ggml type', async () => {
    const { bytes, expected } = buildGguf();
    const h = await readGgufHeader(source(bytes));
    assert.strictEqual(h.version, 3);
    assert.strictEqual(h.metadata.get('general.architecture'), 'llama');
    assert.strictEqual(h.metadata.get('llama.block_count'), 2);
    assert.strictEqual(h.metadata.get('llama.rope.freq_base'), 500000);
    assert.strictEqual(h.metadata.get('tokenizer.ggml.add_bos_token'), true);
    assert.deepStrictEqual(h.metadata.get('llama.attention.head_count_kv'), [8, 4]);
    assert.deepStrictEqual(h.metadata.get('tokenizer.ggml.tokens'), { arrayOf: 'string', count: 5000 });
    assert.deepStrictEqual(h.metadata.get('tokenizer.ggml.scores'), { arrayOf: 'f32', count: 5000 });
    assert.strictEqual(h.tensors.length, expected.length);
    for (const [i, e] of expected.entries()) {
      assert.strictEqual(h.tensors[i].name, e.name);
      assert.deepStrictEqual(h.tensors[i].dims, e.dims);
      assert.strictEqual(h.tensors[i].bytes, e.bytes, e.name);
    }
    assert.strictEqual(h.tensorBytes, expected.reduce((t, e) => t + e.bytes, 0));
    assert.strictEqual(h.headerBytes, bytes.length);
    assert.strictEqual(h.dataOffset, Math.ceil(bytes.length / 32) * 32);
    // Every type the table knows has its struct written out above.
    assert.deepStrictEqual(GGML_TYPES.map((t) => [t.blockSize, t.typeSize]), GGML_TYPES.map((t) => STRUCT_BYTES[t.name]));
  });

  it('reads the header only, in bounded chunks, and honours general.alignment', async () => {
    const { bytes } = buildGguf({ alignment: 64 });
    // A 100 GB file: the source only has the header; asking beyond it would fail the test.
    const log: Array<[number, number]> = [];
    const h = await readGgufHeader(source(bytes, log));
    assert.strictEqual(h.dataOffset % 64, 0);
    assert.ok(log.every(([o]) => o < bytes.length));
    assert.ok(log.length < 10, `${log.length} reads`);
  });

  it('rejects what is not a GGUF header with one line', async () => {
    const { bytes } = buildGguf();
    const cases: Array<[Uint8Array, RegExp]> = [
      [Uint8Array.from(Buffer.from('PK\u0003\u0004 not gguf')), /not a GGUF file/],
      [bytes.subarray(0, 200), /ends inside its header/],
      [(() => { const b = Uint8Array.from(bytes); b[4] = 9; return b; })(), /version 9/],
    ];
    for (const [b, re] of cases) await assert.rejects(readGgufHeader(source(b)), (e: Error) => e instanceof GgufError && re.test(e.message));
    // An absurd tensor count is refused before anything is allocated for it.
    const huge = Uint8Array.from(bytes);
    new DataView(huge.buffer).setBigUint64(8, 10n ** 12n, true);
    await assert.rejects(readGgufHeader(source(huge)), /tensors is more than/);
  });

  it('names the parts of a split model', () => {
    const s = ggufSplitOf('Qwen3-235B-A22B-Q4_K_M-00001-of-00003.gguf')!;
    assert.deepStrictEqual([s.index, s.count, s.pattern(3)], [1, 3, 'Qwen3-235B-A22B-Q4_K_M-00003-of-00003.gguf']);
    assert.strictEqual(ggufSplitOf('model.gguf'), undefined);
  });
});
