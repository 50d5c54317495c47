// llama.cpp's memory at load, with the expected values worked out here from ggml's block sizes and llama.cpp's
// placement rules, and checked against the three published load logs (../shared/ground-truth/llamacpp-logs.json).

import * as assert from 'assert';
import { LLAMA_CACHE_TYPES, layerOnGpu, llamaLayerCells } from '../../../src/core/engine/llamacpp';
import * as path from 'path';
import { readJsonFile } from '../../../scripts/groundTruth';
import { CONFIGS, budget, model } from './helpers';

const MiB = 1024 ** 2;
/** Q8_0: 32 values in 34 bytes (an fp16 scale and 32 int8). */
const q8 = (values: number): number => (values / 32) * 34;

describe('llama.cpp at load', () => {
  // Qwen3-8B in Q8_0: per layer q/o 4096×4096, k/v 4096×1024, gate/up/down 4096×12288 in Q8_0, four f32 norms.
  const perLayer = q8(2 * 4096 * 4096 + 2 * 4096 * 1024 + 3 * 4096 * 12288) + 4 * (2 * 4096 + 2 * 128);
  const kvPerCell = 8 * 128 * 2 * 2; // K and V rows in f16 for 8 KV heads of 128

  it('has the cache types of -ctk/-ctv with ggml\'s block overhead', () => {
    assert.deepStrictEqual({ ...LLAMA_CACHE_TYPES }, { f32: 4, f16: 2, bf16: 2, q8_0: 34 / 32, q4_0: 18 / 32, q4_1: 20 / 32, iq4_nl: 18 / 32, q5_0: 22 / 32, q5_1: 24 / 32 });
    const q8Cache = budget('qwen3/Qwen3-8B', { engine: 'llamacpp', gpu: 'H100 SXM', maxModelLen: 8192, kvCacheDtype: 'q8_0', quantization: 'q8_0' });
    assert.strictEqual(q8Cache.perGpu.kvCacheBytes, 36 * 8192 * 8 * 128 * 2 * (34 / 32));
  });

  it('places the last -ngl layers and their KV on the GPU, the output layer only past n_layer', () => {
    assert.deepStrictEqual([0, 16, 17, 35].map((il) => layerOnGpu(il, 36, 19)), [false, false, true, true]);
    // Weights as the logs print them (MiB, two decimals); KV 512 MiB per layer at 131,072 cells.
    for (const [ngl, wantWeights] of [[19, 3715.11], [11, 2150.85], [22, 4301.71]] as const) {
      const ctx = 131072;
      const r = budget('qwen3/Qwen3-8B', { engine: 'llamacpp', gpu: 'RTX 3060', quantization: 'q8_0', maxModelLen: ctx, maxNumSeqs: 1, gpuLayers: ngl, flashAttention: false, fit: false, kvCacheDtype: 'f16' });
      assert.strictEqual(r.perGpu.weightBytes, ngl * perLayer);
      assert.strictEqual(Math.round((r.perGpu.weightBytes / MiB) * 100) / 100, wantWeights);
      assert.strictEqual(r.perGpu.kvCacheBytes, ngl * ctx * kvPerCell);
      assert.strictEqual(r.perGpu.kvCacheBytes / MiB, ngl * 512);
      assert.strictEqual(r.capacity.gpuLayers, ngl);
    }
  });

  it('reproduces the load logs: model and KV buffers exactly, compute buffers within 3%', () => {
    const logs = readJsonFile<Array<Record<string, unknown>>>(path.join(CONFIGS, '..', 'ground-truth', 'llamacpp-logs.json'));
    for (const rec of logs) {
      const ngl = Number(String(rec.n_gpu_layers).split('/')[0]);
      const r = budget('qwen3/Qwen3-8B', {
        engine: 'llamacpp', gpu: rec.gpu_cli as string, quantization: 'q8_0', maxModelLen: rec.n_ctx as number, maxNumSeqs: rec.n_parallel as number,
        gpuLayers: ngl, flashAttention: rec.flash_attn as boolean, fit: false, kvCacheDtype: rec.cache_type_k as string,
      });
      const model = rec.model_buffer_mib as Record<string, number>;
      const kv = rec.kv_buffer_mib_per_device as Record<string, number>;
      const compute = rec.compute_buffer_mib as Record<string, number>;
      assert.strictEqual(Math.round((r.perGpu.weightBytes / MiB) * 100) / 100, model.CUDA0, `${rec.id} model`);
      assert.strictEqual(r.perGpu.kvCacheBytes / MiB, kv.CUDA0, `${rec.id} kv`);
      assert.ok(Math.abs(r.perGpu.computeBufferBytes! / MiB / compute.CUDA0 - 1) < 0.031, `${rec.id} compute ${r.perGpu.computeBufferBytes! / MiB} vs ${compute.CUDA0}`);
    }
  });

  it('keeps a sliding window\'s cells at window × slots + ubatch, padded to 256', () => {
    const g = model('gemma3/gemma-3-4b-it');
    assert.strictEqual(llamaLayerCells(g.layers[0], 32768, 4, true, 512), Math.ceil((1024 * 4 + 512) / 256) * 256);
    assert.strictEqual(llamaLayerCells(g.layers[5], 32768, 4, true, 512), 32768);
    assert.strictEqual(llamaLayerCells(g.layers[0], 32768, 4, false, 512), Math.ceil((1024 + 512) / 256) * 256);
  });

  it('--fit shrinks a context left at 0, then the GPU layers, to leave 1 GiB free', () => {
    // Qwen3-8B Q8_0 on a 12 GB card: the model's 40,960-token context does not fit with every layer on the GPU.
    const fit = budget('qwen3/Qwen3-8B', { engine: 'llamacpp', gpu: 'RTX 3060', quantization: 'q8_0' });
    const free = fit.perGpu.totalMemoryBytes;
    const used = fit.perGpu.weightBytes + fit.perGpu.kvCacheBytes + fit.perGpu.computeBufferBytes!;
    assert.ok(used <= free - 1024 * MiB, `${used / MiB} MiB used of ${free / MiB}`);
    assert.ok(fit.settings.maxModelLen >= 4096 && fit.settings.maxModelLen % 256 === 0);
    assert.ok(fit.model.assumptions.some((a) => /--fit/.test(a)));
    // With -c set, the context stays and layers move to the CPU instead.
    const fixed = budget('qwen3/Qwen3-8B', { engine: 'llamacpp', gpu: 'RTX 3060', quantization: 'q8_0', maxModelLen: 32768 });
    assert.strictEqual(fixed.settings.maxModelLen, 32768);
    assert.ok(fixed.capacity.gpuLayers! < 37);
  });

  it('gives Ollama its VRAM-tiered default context and one slot', () => {
    const small = budget('llama3.1/Meta-Llama-3.1-8B', { engine: 'ollama', gpu: 'RTX 3060', quantization: 'q4_k_m' });
    assert.strictEqual(small.settings.maxModelLen, 4096);
    assert.strictEqual(small.settings.maxNumSeqs, 1);
    // 24 GB class (23.58 GiB visible): 32k; 48 GB and up: 256k, capped by the model's own context.
    assert.strictEqual(budget('llama3.1/Meta-Llama-3.1-8B', { engine: 'ollama', gpu: 'RTX 3090', quantization: 'q4_k_m' }).settings.maxModelLen, 32768);
    assert.strictEqual(budget('llama3.1/Meta-Llama-3.1-8B', { engine: 'ollama', gpu: 'H100 SXM', quantization: 'q4_k_m' }).settings.maxModelLen, 131072);
  });
});
