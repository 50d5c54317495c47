// `inference-budget model.gguf --gpus 2 --split-mode row`: the tensors' dims read from the GGUF header decide how
// each matrix is split by rows (ggml-cuda.cu `get_row_split`, 128-row rounding, slices padded to 512 values;
// a matrix whose own GPU would get no rows stays whole there). The file is written here; the expected bytes are
// worked out from ggml's block sizes (Q4_K 144 bytes per 256 values, Q6_K 210) and llama.cpp's placement rules.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runCliAsync } from '../../../src/cli/main';
import { capture } from './helpers';
import { TINY, TINY_LLAMA_EMBEDDING, TINY_LLAMA_META, TINY_LLAMA_OUTPUT, tinyLlamaLayer, writeGguf } from './ggufWriter';

const { HIDDEN, KV_HEADS, HEAD_DIM, VOCAB, CONTEXT } = TINY;
const META = TINY_LLAMA_META;
const layer = tinyLlamaLayer;
const TOKEN_EMBD = TINY_LLAMA_EMBEDDING;
const OUTPUT = TINY_LLAMA_OUTPUT;

describe('inference-budget FILE.gguf --split-mode', function () {
  this.timeout(20_000);
  let dir: string;
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ib-gguf-sm-')); });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function split(extra: string[]): Promise<Array<{ gpu: number; layers: number; output: boolean; weightBytes: number; kvBytes: number }>> {
    const file = path.join(dir, 'tiny-llama-Q4_K_M.gguf');
    writeGguf(file, META, [TOKEN_EMBD, ...OUTPUT, ...layer(0), ...layer(1)]);
    const c = capture();
    const code = await runCliAsync([file, '--json', '--gpu', 'H100', '--gpus', '2', ...extra], c.out, c.err);
    assert.strictEqual(code, 0, c.stderr());
    return (JSON.parse(c.stdout()) as { perGpu: { split: Array<{ gpu: number; layers: number; output: boolean; weightBytes: number; kvBytes: number }> } }).perGpu.split;
  }

  // Row bytes: Q4_K rows of 256 values 144, Q6_K rows of 256 values 210, of 512 values 420. A 256-value row is
  // half of MATRIX_ROW_PADDING: each slice of such a matrix gets one more block (144 or 210 bytes).
  const Q4 = 144, Q6 = 210, Q6_512 = 420;
  const NORMS = 2 * HIDDEN * 4;
  const KV_LAYER = CONTEXT * KV_HEADS * HEAD_DIM * 2 * 2;

  it('layer: both layers on GPU 0 (slots 0 and 1 of 3 below 0.5), the output layer on GPU 1', async () => {
    const s = await split([]);
    const layerBytes = NORMS + 2 * 256 * Q4 + 128 * Q4 + 128 * Q6 + 2 * 512 * Q4 + 256 * Q6_512;
    assert.deepStrictEqual(s.map((g) => [g.layers, g.output, g.weightBytes, g.kvBytes]), [
      [2, false, 2 * layerBytes, 2 * KV_LAYER],
      [0, true, HIDDEN * 4 + VOCAB * Q6, 0],
    ]);
  });

  it('row: matrices halved by rows with padding, 128-row k/v kept whole on their layer\'s GPU, output 384 | 616', async () => {
    const s = await split(['--split-mode', 'row']);
    // Per layer (both on GPU 0): q and o 256 rows → 128 | 128; gate and up 512 → 256 | 256; down 256 rows of 512
    // values → 128 | 128 (no padding); k and v 128 rows → GPU 0 would get 64 → 0 rows, so they stay whole on GPU 0.
    const split0 = 2 * (128 * Q4 + Q4) + 2 * (256 * Q4 + Q4) + 128 * Q6_512;
    const gpu0Layer = NORMS + split0 + 128 * Q4 + 128 * Q6;
    const gpu1Layer = split0;
    // The output matrix: 1,000 rows × 0.5 = 500 → 384 on GPU 0, 616 on GPU 1, each slice padded; output_norm on GPU 1.
    assert.deepStrictEqual(s.map((g) => [g.layers, g.output, g.weightBytes, g.kvBytes]), [
      [2, false, 2 * gpu0Layer + 384 * Q6 + Q6, 2 * KV_LAYER],
      [0, true, 2 * gpu1Layer + 616 * Q6 + Q6 + HIDDEN * 4, 0],
    ]);
  });

  it('none with --main-gpu 1: everything on GPU 1', async () => {
    const s = await split(['--split-mode', 'none', '--main-gpu', '1']);
    const all = [...layer(0), ...layer(1), ...OUTPUT].reduce((t, x) => t + x.bytes, 0);
    assert.deepStrictEqual(s.map((g) => [g.layers, g.output, g.weightBytes, g.kvBytes]), [[0, false, 0, 0], [2, true, all, 2 * KV_LAYER]]);
  });
});
