// llama.cpp's `-sm / --split-mode none|layer|row` and `-mg`, and llama-server's slots and KV streams
// (`-np`, `--kv-unified` / `--no-kv-unified`) by build, with every expected figure worked out here from the engine's
// own rules for Llama-3.2-1B (16 layers, hidden 2048, 8 KV heads of 64, FFN 8192, vocab 128,256, tied embeddings)
// in F16 on 2 GPUs:
// - src/llama.cpp `llama_prepare_model_devices`: `none` keeps only the `-mg` device;
// - src/llama-model.cpp `load_tensors`: layer slots 0..n_layer (the last is the output layer) go to the first GPU
//   whose cumulative, normalised split point is above (il − i_gpu_start) / act_gpu_layers; with `row` the GPU buffer
//   list starts with the CUDA split buffer, which only 2-D MUL_MAT weights can use;
// - src/llama-kv-cache.cpp: each layer's K/V on `model.dev_layer(il)` in every mode (PR #10026: with `row`, KV and the
//   non-matrix weights follow the layer split);
// - ggml-cuda.cu `get_row_split` / split buffer: GPU i holds rows [nrows × start_i, nrows × start_i+1), each bound
//   rounded down to 128 rows (MMQ tile on Volta+), the last GPU the rest; each slice padded to 512 values;
// - tools/server/server.cpp and src/llama-context.cpp: slots, `kv_unified`, n_ctx padded to 256, n_ctx_seq.

import * as assert from 'assert';
import {
  LlamaCppSettings, cudaSplitStarts, emulateLlamaCpp, llamaBuildOf, llamaRowSplit, llamaServerSlots, llamaWeights,
} from '../../../src/core/engine/llamacpp';
import { findAccelerator } from '../../../src/core/hardware';
import type { Accelerator } from '../../../src/core/types';
import { budget, model } from './helpers';

const GiB = 1024 ** 3;

function gpu(name: string): Accelerator {
  const r = findAccelerator(name);
  if (!r.ok) throw new Error(r.message);
  return r.accelerator;
}

const LLAMA_1B = 'llama3.2/Llama-3.2-1B';
const N_LAYER = 16, HIDDEN = 2048, KV_DIM = 8 * 64, FFN = 8192, VOCAB = 128256;

/** The tensors of an F16 GGUF of Llama-3.2-1B as llama.cpp names them: [ne0, ne1] and 2 bytes a value (norms f32). */
function ggufTensors(): Array<{ name: string; bytes: number; type: string; dims: number[] }> {
  const out: Array<{ name: string; bytes: number; type: string; dims: number[] }> = [];
  const f16 = (name: string, ne0: number, ne1: number): void => { out.push({ name, bytes: ne0 * ne1 * 2, type: 'F16', dims: [ne0, ne1] }); };
  const f32 = (name: string, ne0: number): void => { out.push({ name, bytes: ne0 * 4, type: 'F32', dims: [ne0] }); };
  f16('token_embd.weight', HIDDEN, VOCAB);
  for (let il = 0; il < N_LAYER; il++) {
    f32(`blk.${il}.attn_norm.weight`, HIDDEN);
    f16(`blk.${il}.attn_q.weight`, HIDDEN, HIDDEN);
    f16(`blk.${il}.attn_k.weight`, HIDDEN, KV_DIM);
    f16(`blk.${il}.attn_v.weight`, HIDDEN, KV_DIM);
    f16(`blk.${il}.attn_output.weight`, HIDDEN, HIDDEN);
    f32(`blk.${il}.ffn_norm.weight`, HIDDEN);
    f16(`blk.${il}.ffn_gate.weight`, HIDDEN, FFN);
    f16(`blk.${il}.ffn_up.weight`, HIDDEN, FFN);
    f16(`blk.${il}.ffn_down.weight`, FFN, HIDDEN);
  }
  f32('output_norm.weight', HIDDEN);
  return out;
}

// Per layer: q and o 8 MiB, k and v 2 MiB, gate/up/down 32 MiB each (116 MiB of matrices), two f32 norms 16 KiB.
const MATRICES = 2 * HIDDEN * HIDDEN * 2 + 2 * HIDDEN * KV_DIM * 2 + 3 * HIDDEN * FFN * 2;
const NORMS = 2 * HIDDEN * 4;
const LAYER = MATRICES + NORMS;
// The output layer: token_embd duplicated (tied), 128,256 rows of 4,096 bytes, and the f32 output_norm.
const OUTPUT_ROW = HIDDEN * 2;
const OUTPUT = VOCAB * OUTPUT_ROW;
const OUTPUT_NORM = HIDDEN * 4;
// K and V rows in f16: 8 × 64 × 2 × 2 = 2,048 bytes per cell per layer.
const KV_CELL_LAYER = KV_DIM * 2 * 2;

const m = model(LLAMA_1B);
const plan = { baseDtypeBytes: 2 };
const weights = llamaWeights(m, plan, ggufTensors());
const H100 = gpu('H100 SXM');

function settings(extra: Partial<LlamaCppSettings> = {}): LlamaCppSettings {
  return {
    contextLength: 8192, parallel: 1, cacheTypeK: 'f16', cacheTypeV: 'f16', flashAttention: true, ubatch: 512,
    fit: false, fitMarginBytes: GiB, weights, gpus: 2, ...extra,
  };
}

describe('llama.cpp: --split-mode over 2 GPUs', () => {
  it('reads the GGUF tensors as llama.cpp places them: per-layer bytes and the MUL_MAT matrices', () => {
    assert.deepStrictEqual(weights.perLayer, new Array<number>(N_LAYER).fill(LAYER));
    assert.deepStrictEqual([weights.output, weights.outputNorm, weights.tokenEmbd], [OUTPUT, OUTPUT_NORM, OUTPUT]);
    // Seven matrices a layer (the norms are 1-D); the output matrix is token_embd's shape.
    assert.strictEqual(weights.matrices?.perLayer[0].length, 7);
    assert.deepStrictEqual(weights.matrices?.output, { rows: VOCAB, rowBytes: OUTPUT_ROW, rowElements: HIDDEN });
    assert.strictEqual(weights.matrices!.perLayer[3].reduce((t, x) => t + x.rows * x.rowBytes, 0), MATRICES);
  });

  it('layer (the default): whole layers and their KV by equal shares, the output layer with the last', () => {
    // 17 slots (ngl = n_layer + 1), split points 0.5 and 1: slot il on GPU 0 while il / 17 < 0.5, i.e. il ≤ 8.
    const r = emulateLlamaCpp(m, plan, H100, settings());
    const [g0, g1] = r.resolved.perGpu;
    assert.deepStrictEqual([g0.layers, g1.layers, g0.output, g1.output], [9, 7, false, true]);
    assert.strictEqual(g0.weightBytes, 9 * LAYER);
    assert.strictEqual(g1.weightBytes, 7 * LAYER + OUTPUT + OUTPUT_NORM);
    // 8,192 cells per layer.
    assert.deepStrictEqual([g0.kvBytes, g1.kvBytes], [9 * 8192 * KV_CELL_LAYER, 7 * 8192 * KV_CELL_LAYER]);
    assert.deepStrictEqual([g0.rowSplitBytes, g1.rowSplitBytes], [0, 0]);
    // An explicit --split-mode layer is the same.
    const explicit = emulateLlamaCpp(m, plan, H100, settings({ splitMode: 'layer' }));
    assert.deepStrictEqual(explicit.resolved.perGpu.map((g) => g.weightBytes), [g0.weightBytes, g1.weightBytes]);
  });

  it('none: everything on the -mg GPU, the other one holds nothing (-ts is not used)', () => {
    for (const mainGpu of [0, 1]) {
      const r = emulateLlamaCpp(m, plan, H100, settings({ splitMode: 'none', mainGpu, tensorSplit: [3, 1] }));
      const main = r.resolved.perGpu[mainGpu];
      const other = r.resolved.perGpu[1 - mainGpu];
      assert.deepStrictEqual([main.layers, main.output], [16, true]);
      assert.strictEqual(main.weightBytes, 16 * LAYER + OUTPUT + OUTPUT_NORM);
      assert.strictEqual(main.kvBytes, 16 * 8192 * KV_CELL_LAYER);
      assert.deepStrictEqual([other.layers, other.weightBytes, other.kvBytes, other.usedBytes], [0, 0, 0, 0]);
      assert.strictEqual(r.resolved.mostLoadedGpu, mainGpu);
    }
  });

  it('row without -ts: every matrix halved by rows, norms and KV where the layer split puts them', () => {
    // The CUDA split starts at [0, 0.5]; rows of 2,048, 512, 8,192 and 128,256 halve to multiples of 128
    // (128,256 / 2 = 64,128 = 501 × 128), and every row holds 2,048 or 8,192 values (multiples of 512: no padding).
    assert.deepStrictEqual(cudaSplitStarts([], 2), [0, 0.5]);
    assert.deepStrictEqual(llamaRowSplit(VOCAB, [0, 0.5], 128), [64128, 64128]);
    const r = emulateLlamaCpp(m, plan, H100, settings({ splitMode: 'row' }));
    const [g0, g1] = r.resolved.perGpu;
    // Layers (and so norms and KV) as in layer mode: 9 and 7, the output layer on GPU 1.
    assert.deepStrictEqual([g0.layers, g1.layers, g1.output], [9, 7, true]);
    const half = 16 * (MATRICES / 2) + (OUTPUT / 2);
    assert.strictEqual(g0.weightBytes, half + 9 * NORMS);
    assert.strictEqual(g1.weightBytes, half + 7 * NORMS + OUTPUT_NORM);
    assert.deepStrictEqual([g0.rowSplitBytes, g1.rowSplitBytes], [half, half]);
    assert.deepStrictEqual([g0.kvBytes, g1.kvBytes], [9 * 8192 * KV_CELL_LAYER, 7 * 8192 * KV_CELL_LAYER]);
    // All the weights are somewhere, once.
    assert.strictEqual(g0.weightBytes + g1.weightBytes, 16 * LAYER + OUTPUT + OUTPUT_NORM);
  });

  it('row with -ts 3,1: layers 13 and 3, each matrix 3:1 by rows rounded down to 128', () => {
    // Layer split points 0.75, 1: il / 17 < 0.75 → il ≤ 12. CUDA starts [0, 0.75].
    // Rows: 2,048 → 1,536 | 512; 512 → 384 | 128; 8,192 → 6,144 | 2,048; 128,256 × 0.75 = 96,192 → 96,128 | 32,128.
    assert.deepStrictEqual(cudaSplitStarts([3, 1], 2), [0, 0.75]);
    assert.deepStrictEqual(llamaRowSplit(512, [0, 0.75], 128), [384, 128]);
    assert.deepStrictEqual(llamaRowSplit(VOCAB, [0, 0.75], 128), [96128, 32128]);
    const r = emulateLlamaCpp(m, plan, H100, settings({ splitMode: 'row', tensorSplit: [3, 1] }));
    const [g0, g1] = r.resolved.perGpu;
    assert.deepStrictEqual([g0.layers, g1.layers], [13, 3]);
    const layerRows0 = (2 * 1536 + 2 * 384) * HIDDEN * 2 + 2 * 6144 * HIDDEN * 2 + 1536 * FFN * 2;
    const layerRows1 = (2 * 512 + 2 * 128) * HIDDEN * 2 + 2 * 2048 * HIDDEN * 2 + 512 * FFN * 2;
    assert.strictEqual(layerRows0 + layerRows1, MATRICES);
    assert.strictEqual(g0.weightBytes, 16 * layerRows0 + 96128 * OUTPUT_ROW + 13 * NORMS);
    assert.strictEqual(g1.weightBytes, 16 * layerRows1 + 32128 * OUTPUT_ROW + 3 * NORMS + OUTPUT_NORM);
    assert.deepStrictEqual([g0.kvBytes, g1.kvBytes], [13 * 8192 * KV_CELL_LAYER, 3 * 8192 * KV_CELL_LAYER]);
  });

  it('row: a slice of a row that is not whole 512-value blocks is padded; a matrix with no rows for its own GPU stays whole', () => {
    // Bounds are float32 products truncated, then rounded down: 1,000 rows at 0.5 → 500 → 384.
    assert.deepStrictEqual(llamaRowSplit(1000, [0, 0.5], 128), [384, 616]);
    // One layer, one matrix of 576 values a row (576 % 512 = 64: each slice gets 448 more values of padding) and
    // a 128-row router (GPU 0's bound 64 rounds to 0 rows).
    const one = { ...m, numLayers: 2, layers: m.layers.slice(0, 2) };
    const rowBytes = 576 * 2;
    const w = {
      perLayer: [1024 * rowBytes + 128 * rowBytes, 1024 * rowBytes + 128 * rowBytes], tokenEmbd: 0, output: 0, outputNorm: 0,
      matrices: { perLayer: [0, 1].map(() => [{ rows: 1024, rowBytes, rowElements: 576 }, { rows: 128, rowBytes, rowElements: 576 }]), output: undefined },
    };
    const r = emulateLlamaCpp(one, plan, H100, settings({ splitMode: 'row', weights: w, gpuLayers: 2 }));
    const [g0, g1] = r.resolved.perGpu;
    assert.deepStrictEqual([g0.layers, g1.layers], [1, 1]);
    const pad = 448 * 2;
    // The 1,024-row matrices: 512 rows each plus padding, from both layers. The routers: layer 0's stays whole on
    // GPU 0 (its own GPU gets no rows); layer 1's goes to GPU 1 through the split buffer, all 128 rows, padded.
    assert.strictEqual(g0.weightBytes, 2 * (512 * rowBytes + pad) + 128 * rowBytes);
    assert.strictEqual(g1.weightBytes, 2 * (512 * rowBytes + pad) + 128 * rowBytes + pad);
  });

  it('--fit moves no layers with -ts set or --split-mode row over several GPUs, and sees one GPU with none', () => {
    // A context that does not fit two 24 GB cards: 2M cells × 16 layers × 2,048 bytes = 64 GiB of KV.
    const big = { contextLength: 2097152 };
    const layer = emulateLlamaCpp(m, plan, gpu('RTX 4090'), settings({ ...big, fit: true }));
    assert.ok(layer.resolved.gpuLayers < 17, 'layer split: --fit lowers -ngl');
    for (const extra of [{ tensorSplit: [1, 1] }, { splitMode: 'row' as const }]) {
      const r = emulateLlamaCpp(m, plan, gpu('RTX 4090'), settings({ ...big, fit: true, ...extra }));
      assert.strictEqual(r.resolved.gpuLayers, 17);
      assert.match(r.resolved.fitNote ?? '', /--fit moves no layers/);
    }
    const none = emulateLlamaCpp(m, plan, gpu('RTX 4090'), settings({ ...big, fit: true, splitMode: 'none' }));
    assert.ok(none.resolved.gpuLayers < 17);
  });

  it('the budget refuses an unknown split mode, the experimental tensor mode, and -mg past the GPUs with none', () => {
    assert.throws(() => budget(LLAMA_1B, { engine: 'llamacpp', gpuCount: 2, splitMode: 'rows' }), /--split-mode rows is not one of none, layer, row/);
    assert.throws(() => budget(LLAMA_1B, { engine: 'llamacpp', gpuCount: 2, splitMode: 'tensor' }), /--split-mode tensor/);
    assert.throws(() => budget(LLAMA_1B, { engine: 'llamacpp', gpuCount: 2, splitMode: 'none', mainGpu: 2 }), /invalid value for main_gpu: 2 \(available devices: 2\)/);
    // -mg with layer or row has no memory effect (PR #10026): same report as without it.
    const a = budget(LLAMA_1B, { engine: 'llamacpp', gpu: 'H100 SXM', gpuCount: 2, maxModelLen: 8192, splitMode: 'row', mainGpu: 1 });
    const b = budget(LLAMA_1B, { engine: 'llamacpp', gpu: 'H100 SXM', gpuCount: 2, maxModelLen: 8192, splitMode: 'row' });
    assert.deepStrictEqual(a.perGpu.split, b.perGpu.split);
    // From the config (no GGUF): the split report shows the row split, GPU 0 holding half the output rows.
    const none = budget(LLAMA_1B, { engine: 'llamacpp', gpu: 'H100 SXM', gpuCount: 2, maxModelLen: 8192, splitMode: 'none', mainGpu: 1 });
    assert.deepStrictEqual(none.perGpu.split?.map((g) => [g.layers, g.kvBytes]), [[0, 0], [16, 16 * 8192 * KV_CELL_LAYER]]);
  });
});

describe('llama-server: slots and unified or per-slot KV, by build', () => {
  it('newest (-np auto): 4 slots in one unified pool even with --no-kv-unified; an explicit -np is per slot', () => {
    for (const build of [undefined, 7400, 9026]) {
      assert.deepStrictEqual(llamaServerSlots(undefined, undefined, build), { slots: 4, unified: true });
      assert.deepStrictEqual(llamaServerSlots(undefined, false, build), { slots: 4, unified: true });
      assert.deepStrictEqual(llamaServerSlots(4, undefined, build), { slots: 4, unified: false });
      assert.deepStrictEqual(llamaServerSlots(1, undefined, build), { slots: 1, unified: false });
      assert.deepStrictEqual(llamaServerSlots(3, true, build), { slots: 3, unified: true });
    }
  });

  it('PR #16736 builds (b7079): -np 1 without -kvu becomes 4 unified slots; before them one slot', () => {
    assert.deepStrictEqual(llamaServerSlots(undefined, undefined, 7079), { slots: 4, unified: true });
    assert.deepStrictEqual(llamaServerSlots(1, undefined, 7079), { slots: 4, unified: true });
    assert.deepStrictEqual(llamaServerSlots(1, false, 7079), { slots: 4, unified: true });
    assert.deepStrictEqual(llamaServerSlots(1, true, 7079), { slots: 1, unified: true });
    assert.deepStrictEqual(llamaServerSlots(2, undefined, 7079), { slots: 2, unified: false });
    assert.deepStrictEqual(llamaServerSlots(undefined, undefined, 6000), { slots: 1, unified: false });
    assert.deepStrictEqual(llamaServerSlots(4, undefined, 6000), { slots: 4, unified: false });
    assert.deepStrictEqual([llamaBuildOf('b7079'), llamaBuildOf('7079'), llamaBuildOf('latest'), llamaBuildOf(undefined)], [7079, 7079, undefined, undefined]);
  });

  it('KV per slot: -c 10000 -np 3 per slot is 3 streams of pad(10,240 / 3) = 3,584 cells; unified one of 10,240', () => {
    // n_ctx = pad(10,000, 256) = 10,240; n_ctx_seq = pad(floor(10,240 / 3) = 3,413, 256) = 3,584; n_ctx = 3 × 3,584.
    const one = { gpus: 1, contextLength: 10000, parallel: 3 };
    const perSlot = emulateLlamaCpp(m, plan, H100, settings({ ...one, kvUnified: false }));
    assert.deepStrictEqual([perSlot.resolved.unified, perSlot.resolved.contextPerSlot, perSlot.kvCacheTokens], [false, 3584, 10752]);
    assert.strictEqual(perSlot.reported.availableKvBytes, N_LAYER * 3 * 3584 * KV_CELL_LAYER);
    const unified = emulateLlamaCpp(m, plan, H100, settings({ ...one, kvUnified: true }));
    assert.deepStrictEqual([unified.resolved.unified, unified.resolved.contextPerSlot, unified.kvCacheTokens], [true, 10240, 10240]);
    assert.strictEqual(unified.reported.availableKvBytes, N_LAYER * 10240 * KV_CELL_LAYER);
    // -np auto with --no-kv-unified: the newest server still makes one pool of 10,240 for 4 slots.
    const auto = emulateLlamaCpp(m, plan, H100, settings({ ...one, parallel: undefined, kvUnified: false }));
    assert.deepStrictEqual([auto.resolved.parallel, auto.resolved.unified, auto.kvCacheTokens], [4, true, 10240]);
    // A b7079 server with -np 1 written: 4 slots, one pool.
    const b7079 = emulateLlamaCpp(m, plan, H100, settings({ ...one, parallel: 1, build: 7079 }));
    assert.deepStrictEqual([b7079.resolved.parallel, b7079.resolved.unified], [4, true]);
  });

  it('--fit with -c left at 0 and per-slot KV gives every stream the trained context (newest), not n_ctx_train / -np', () => {
    // 131,072 trained positions, -np 2, no -kvu, H100: the newest fit starts from 2 × 131,072 cells and keeps them
    // (16 layers × 262,144 × 2,048 bytes = 8 GiB of KV fits); before PR #27496 n_ctx is the trained context, split.
    const base = { gpus: 1, contextLength: undefined, parallel: 2, fit: true };
    const newest = emulateLlamaCpp(m, plan, H100, settings(base));
    assert.deepStrictEqual([newest.resolved.contextPerSlot, newest.kvCacheTokens], [131072, 262144]);
    assert.strictEqual(newest.reported.availableKvBytes, N_LAYER * 262144 * KV_CELL_LAYER);
    const older = emulateLlamaCpp(m, plan, H100, settings({ ...base, build: 10000 }));
    assert.deepStrictEqual([older.resolved.contextPerSlot, older.kvCacheTokens], [65536, 131072]);
    // With -np 4 on a 12 GB card (4 × 131,072 cells = 16 GiB of KV) the context shrinks in steps of 256 × 4,
    // staying divisible by the streams.
    const small = emulateLlamaCpp(m, plan, gpu('RTX 3060'), settings({ ...base, parallel: 4 }));
    assert.ok(small.kvCacheTokens < 4 * 131072 && small.kvCacheTokens >= 4 * 4096, String(small.kvCacheTokens));
    assert.strictEqual(small.kvCacheTokens % 1024, 0);
    assert.strictEqual(small.resolved.contextPerSlot * 4, small.kvCacheTokens);
    assert.match(small.resolved.fitNote ?? '', /context reduced from 524288/);
  });
});
