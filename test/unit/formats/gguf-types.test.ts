// Every ggml type id of `enum ggml_type` (ggml/include/ggml.h, ggml-org/llama.cpp master, late 2026: ids 0–42,
// GGML_TYPE_COUNT 43) in a GGUF file the test builds with ggufWriter, each tensor's bytes worked out here from the
// block structs of ggml-common.h (values per block, bytes per block); removed and unknown ids refuse the file.
import * as assert from 'assert';
import { GGML_TYPES, GgufError, ggmlBitsPerWeight, ggmlTypeByName, ggufModel, readGgufHeader } from '../../../src/formats/gguf';
import { GgufTensorSpec, ggufBytes } from '../cli/ggufWriter';

const QK_K = 256;
/** id → [name, values per block, bytes per block], the bytes summed field by field from each block struct. */
const TYPES: Array<[number, string, number, number]> = [
  [0, 'F32', 1, 4], [1, 'F16', 1, 2],
  [2, 'Q4_0', 32, 2 + 16], [3, 'Q4_1', 32, 2 + 2 + 16], [6, 'Q5_0', 32, 2 + 4 + 16], [7, 'Q5_1', 32, 2 + 2 + 4 + 16],
  [8, 'Q8_0', 32, 2 + 32], [9, 'Q8_1', 32, 2 + 2 + 32],
  [10, 'Q2_K', QK_K, QK_K / 16 + QK_K / 4 + 2 + 2], [11, 'Q3_K', QK_K, QK_K / 8 + QK_K / 4 + 12 + 2],
  [12, 'Q4_K', QK_K, 2 + 2 + 12 + QK_K / 2], [13, 'Q5_K', QK_K, 2 + 2 + 12 + QK_K / 8 + QK_K / 2],
  [14, 'Q6_K', QK_K, QK_K / 2 + QK_K / 4 + QK_K / 16 + 2], [15, 'Q8_K', QK_K, 4 + QK_K + (QK_K / 16) * 2],
  // i-quants: fp16 d, then the grid indices / signs / scales of each.
  [16, 'IQ2_XXS', QK_K, 2 + (QK_K / 8) * 2], [17, 'IQ2_XS', QK_K, 2 + (QK_K / 8) * 2 + QK_K / 32],
  [18, 'IQ3_XXS', QK_K, 2 + (3 * QK_K) / 8], [19, 'IQ1_S', QK_K, 2 + QK_K / 8 + (QK_K / 32) * 2],
  [20, 'IQ4_NL', 32, 2 + 16], [21, 'IQ3_S', QK_K, 2 + QK_K / 4 + QK_K / 32 + QK_K / 8 + QK_K / 64],
  [22, 'IQ2_S', QK_K, 2 + QK_K / 4 + QK_K / 32 + QK_K / 32], [23, 'IQ4_XS', QK_K, 2 + 2 + QK_K / 64 + QK_K / 2],
  [24, 'I8', 1, 1], [25, 'I16', 1, 2], [26, 'I32', 1, 4], [27, 'I64', 1, 8], [28, 'F64', 1, 8],
  [29, 'IQ1_M', QK_K, QK_K / 8 + QK_K / 16 + QK_K / 32], [30, 'BF16', 1, 2],
  // Ternary: 5 values per byte for most of the block, 4 per byte for the rest, fp16 d; TQ2_0 2 bits each + d.
  [34, 'TQ1_0', QK_K, (QK_K - 4 * (QK_K / 64)) / 5 + QK_K / 64 + 2], [35, 'TQ2_0', QK_K, QK_K / 4 + 2],
  [39, 'MXFP4', 32, 1 + 16], [40, 'NVFP4', 64, 64 / 16 + 64 / 2], [41, 'Q1_0', 128, 2 + 128 / 8], [42, 'Q2_0', 64, 2 + 64 / 4],
];

const META: Array<[string, string | number]> = [['general.architecture', 'llama'], ['llama.block_count', 1], ['llama.embedding_length', 512]];

function read(bytes: Buffer): ReturnType<typeof readGgufHeader> {
  return readGgufHeader(async (offset, length) => new Uint8Array(bytes.buffer, bytes.byteOffset + offset, Math.max(0, Math.min(length, bytes.length - offset))));
}

describe('GGUF: every ggml type, bytes per tensor from block size and type size', () => {
  it('knows every id of enum ggml_type and nothing else', () => {
    assert.deepStrictEqual(GGML_TYPES.map((t) => [t.id, t.name, t.blockSize, t.typeSize]), TYPES.map(([id, name, block, size]) => [id, name, block, size]));
  });

  it('sizes a tensor of each type exactly: rows × (values per row / values per block) × bytes per block', async () => {
    // Rows of 1,024 values (whole blocks of 1, 32, 64, 128 and 256) and 3 rows, 2 deep.
    const tensors: GgufTensorSpec[] = TYPES.map(([id, name, block, size]) => ({
      name: `blk.0.${name.toLowerCase()}.weight`, dims: [1024, 3, 2], type: id, bytes: 3 * 2 * (1024 / block) * size,
    }));
    const header = await read(ggufBytes(META, tensors));
    assert.strictEqual(header.tensors.length, TYPES.length);
    for (const [i, t] of header.tensors.entries()) {
      const [, name, block, size] = TYPES[i];
      assert.strictEqual(t.type.name, name);
      assert.strictEqual(t.bytes, 6 * (1024 / block) * size, name);
    }
    assert.strictEqual(header.tensorBytes, tensors.reduce((s, t) => s + t.bytes, 0));
    // Examples in bits per weight: IQ4_XS 136 × 8 / 256 = 4.25; IQ2_XXS 66 × 8 / 256 = 2.0625; IQ1_S 50 × 8 / 256 = 1.5625.
    assert.strictEqual(ggmlBitsPerWeight(ggmlTypeByName('iq4_xs')!), 4.25);
    assert.strictEqual(ggmlBitsPerWeight(ggmlTypeByName('IQ2_XXS')!), 2.0625);
    assert.strictEqual(ggmlBitsPerWeight(ggmlTypeByName('iq1_s')!), 1.5625);
    assert.strictEqual(ggmlBitsPerWeight(ggmlTypeByName('tq1_0')!), 1.6875);
  });

  it('refuses a row that is not whole blocks', async () => {
    const bad: GgufTensorSpec = { name: 'blk.0.attn_q.weight', dims: [100, 4], type: 23, bytes: 0 };
    await assert.rejects(read(ggufBytes(META, [bad])), (e: Error) => e instanceof GgufError && /not whole IQ4_XS blocks of 256/.test(e.message));
  });

  it('says "unknown ggml type N in tensor X" for removed and unknown ids, and sizes nothing', async () => {
    const good: GgufTensorSpec = { name: 'blk.0.attn_k.weight', dims: [256, 2], type: 12, bytes: 2 * 144 };
    for (const [id, why] of [[31, /Q4_0_4_4 was removed from GGUF files/], [36, /IQ4_NL_4_4 was removed/], [4, /Q4_2 was removed/], [43, /newer than the types this reader knows \(ids 0–42\)/], [999, /not sized/]] as const) {
      const bytes = ggufBytes(META, [good, { name: 'blk.0.ffn_up.weight', dims: [256, 4], type: id, bytes: 0 }]);
      await assert.rejects(read(bytes), (e: Error) => {
        assert.ok(e instanceof GgufError, String(e));
        assert.match(e.message, new RegExp(`^unknown ggml type ${id} in tensor blk\\.0\\.ffn_up\\.weight`));
        assert.match(e.message, why);
        return true;
      });
    }
    // A file of known types is summarised; the same file with one unknown id never reaches ggufModel.
    const ok = await read(ggufBytes(META, [good]));
    assert.strictEqual(ggufModel(ok).gguf.tensorBytes, 288);
  });
});
