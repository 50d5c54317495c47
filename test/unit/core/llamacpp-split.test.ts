// llama.cpp's layer split over several GPUs (`-ts`), its unified or per-slot KV cache (`--kv-unified`, `-np`) and
// Ollama's OLLAMA_GPU_OVERHEAD, with the expected values worked out here from the engines' own rules:
// - src/llama-model.cpp `load_tensors`: cumulative, normalised split points; a layer slot goes to the first GPU whose
//   point is above (il − i_gpu_start) / act_gpu_layers; slot n_layer is the output layer;
// - src/llama-context.cpp: n_ctx padded to 256; unified → one stream of n_ctx cells, else n_ctx_seq =
//   pad(n_ctx / n_seq_max, 256) cells per slot and n_ctx = n_ctx_seq × n_seq_max;
// - tools/server/server.cpp: -np auto → 4 slots with kv_unified = true; an explicit -np keeps kv_unified false;
// - Ollama envconfig / llm/server.go (< 0.30) / server/routes.go: bytes per GPU held back; the default num_ctx tier.

import * as assert from 'assert';
import {
  LlamaCppSettings, emulateLlamaCpp, llamaContextPerStream, llamaLayerDevices, ollamaDefaultNumCtx, ollamaGpuOverheadRule,
  parseTensorSplit,
} from '../../../src/core/engine/llamacpp';
import { findAccelerator } from '../../../src/core/hardware';
import type { Accelerator } from '../../../src/core/types';
import { parseDocument } from '../../../src/formats';
import { k8sDeployment } from '../formats/helpers';
import { model } from './helpers';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

function gpu(name: string): Accelerator {
  const r = findAccelerator(name);
  if (!r.ok) throw new Error(r.message);
  return r.accelerator;
}

// Meta-Llama-3.1-8B: 32 layers, 8 KV heads of 128. K and V rows in f16: 8 × 128 × 2 × 2 = 4,096 bytes per cell per layer.
const LLAMA = 'llama3.1/Meta-Llama-3.1-8B';
const KV_CELL_LAYER = 8 * 128 * 2 * 2;
// Round numbers for the weights, so the split is easy to follow: 200 MiB per layer, a 500 MiB output layer.
const PER_LAYER = 200 * MiB;
const OUTPUT = 500 * MiB;
const NORM = 16 * 1024;
const EMBD = 500 * MiB;

function settings(extra: Partial<LlamaCppSettings> = {}): LlamaCppSettings {
  return {
    contextLength: 8192, parallel: 1, cacheTypeK: 'f16', cacheTypeV: 'f16', flashAttention: true, ubatch: 512,
    fit: false, fitMarginBytes: 1024 * MiB,
    weights: { perLayer: new Array<number>(32).fill(PER_LAYER), tokenEmbd: EMBD, output: OUTPUT, outputNorm: NORM },
    ...extra,
  };
}
const plan = { baseDtypeBytes: 2 };

describe('llama.cpp: -ts / --tensor-split over several GPUs', () => {
  it('reads -ts as llama.cpp does: proportions split on , or /', () => {
    assert.deepStrictEqual(parseTensorSplit('3,1'), [3, 1]);
    assert.deepStrictEqual(parseTensorSplit('3/1'), [3, 1]);
    assert.deepStrictEqual(parseTensorSplit('0.6,0.4'), [0.6, 0.4]);
    assert.strictEqual(typeof parseTensorSplit('three,one'), 'string');
    assert.strictEqual(typeof parseTensorSplit('0,0'), 'string');
  });

  it('-ts 3,1 on 2 GPUs, 32 layers all offloaded: 25 layers on GPU 0; 7 and the output layer on GPU 1', () => {
    // Split points: 3/4 = 0.75 and 1. ngl = 33 (all): i_gpu_start 0, act_gpu_layers 33. Slot il goes to GPU 0 while
    // il / 33 < 0.75, i.e. il ≤ 24 (24/33 = 0.727, 25/33 = 0.758).
    const devices = llamaLayerDevices(32, 33, [3, 1]);
    const onGpu0 = devices.slice(0, 32).filter((d) => d === 0).length;
    const onGpu1 = devices.slice(0, 32).filter((d) => d === 1).length;
    assert.deepStrictEqual([onGpu0, onGpu1, devices[32]], [25, 7, 1]);
    assert.deepStrictEqual([devices[24], devices[25]], [0, 1]);

    const m = model(LLAMA);
    const r = emulateLlamaCpp(m, plan, gpu('H100 SXM'), settings({ gpus: 2, tensorSplit: [3, 1] }));
    const [g0, g1] = r.resolved.perGpu;
    assert.deepStrictEqual([g0.layers, g0.output, g1.layers, g1.output], [25, false, 7, true]);
    assert.strictEqual(g0.weightBytes, 25 * PER_LAYER);
    assert.strictEqual(g1.weightBytes, 7 * PER_LAYER + OUTPUT + NORM);
    // KV per layer: 8,192 cells × 4,096 bytes = 32 MiB.
    assert.strictEqual(g0.kvBytes, 25 * 8192 * KV_CELL_LAYER);
    assert.strictEqual(g1.kvBytes, 7 * 8192 * KV_CELL_LAYER);
    // The most loaded GPU is the one reported (and the one whose memory decides whether it fits).
    assert.strictEqual(r.resolved.mostLoadedGpu, 0);
    assert.strictEqual(r.reported.weightBytes, 25 * PER_LAYER);
    assert.strictEqual(r.reported.availableKvBytes, 25 * 8192 * KV_CELL_LAYER);
    assert.ok(g0.usedBytes > g1.usedBytes);
  });

  it('without -ts identical GPUs get equal shares; a partial -ngl splits only the offloaded layers', () => {
    // Equal: split points 0.5 and 1: il / 33 < 0.5 → il ≤ 16: 17 layers on GPU 0, 15 and the output layer on GPU 1.
    const even = llamaLayerDevices(32, 33, [1, 1]);
    assert.deepStrictEqual([even.filter((d) => d === 0).length, even.slice(0, 32).filter((d) => d === 1).length, even[32]], [17, 15, 1]);
    const r = emulateLlamaCpp(model(LLAMA), plan, gpu('H100 SXM'), settings({ gpus: 2 }));
    assert.deepStrictEqual(r.resolved.perGpu.map((g) => g.layers), [17, 15]);
    // -ngl 20 with -ts 3,1: i_gpu_start = 32 − 20 = 12, act = 20; layers 12..31; GPU 0 while (il − 12)/20 < 0.75,
    // i.e. il − 12 ≤ 14: 15 layers; GPU 1 gets 5; the output (slot 32: 32 − 12 = 20 ≥ 20) stays on the CPU.
    const partial = llamaLayerDevices(32, 20, [3, 1]);
    assert.deepStrictEqual(
      [partial.filter((d) => d === -1).length, partial.filter((d) => d === 0).length, partial.filter((d) => d === 1).length, partial[32]],
      [12 + 1, 15, 5, -1],
    );
    // A GPU past the -ts list gets nothing: -ts 1 on 2 GPUs puts every layer on GPU 0.
    assert.ok(llamaLayerDevices(32, 33, [1, 0]).every((d) => d === 0));
  });

  it('a single GPU is unchanged: all layers, output included, on GPU 0', () => {
    const r = emulateLlamaCpp(model(LLAMA), plan, gpu('H100 SXM'), settings());
    assert.strictEqual(r.resolved.perGpu.length, 1);
    assert.strictEqual(r.reported.weightBytes, 32 * PER_LAYER + OUTPUT + NORM);
    assert.strictEqual(r.reported.availableKvBytes, 32 * 8192 * KV_CELL_LAYER);
  });
});

describe('llama.cpp: --kv-unified against per-slot KV', () => {
  const m = model(LLAMA);
  it('pads n_ctx to 256 and gives each slot pad(n_ctx / n_seq_max, 256) cells unless unified', () => {
    // -c 10000 -np 3: n_ctx = pad(10000) = 10,240. Per slot: floor(10240 / 3) = 3,413 → pad → 3,584; n_ctx becomes
    // 3 × 3,584 = 10,752 ("n_ctx is not divisible by n_seq_max - rounding down to 10752").
    assert.strictEqual(llamaContextPerStream(10000, 3, false), 3584);
    assert.strictEqual(llamaContextPerStream(10000, 3, true), 10240);
    const perSlot = emulateLlamaCpp(m, plan, gpu('H100 SXM'), settings({ contextLength: 10000, parallel: 3 }));
    assert.strictEqual(perSlot.resolved.unified, false);
    assert.strictEqual(perSlot.resolved.contextPerSlot, 3584);
    assert.strictEqual(perSlot.kvCacheTokens, 3 * 3584);
    assert.strictEqual(perSlot.reported.availableKvBytes, 32 * 3 * 3584 * KV_CELL_LAYER);
    // --kv-unified: one stream of 10,240 cells that any slot may fill.
    const unified = emulateLlamaCpp(m, plan, gpu('H100 SXM'), settings({ contextLength: 10000, parallel: 3, kvUnified: true }));
    assert.strictEqual(unified.resolved.unified, true);
    assert.strictEqual(unified.resolved.contextPerSlot, 10240);
    assert.strictEqual(unified.kvCacheTokens, 10240);
    assert.strictEqual(unified.reported.availableKvBytes, 32 * 10240 * KV_CELL_LAYER);
  });

  it('defaults: -np auto is 4 slots sharing one unified pool; an explicit -np is per slot', () => {
    const auto = emulateLlamaCpp(m, plan, gpu('H100 SXM'), settings({ contextLength: 16384, parallel: undefined }));
    assert.deepStrictEqual([auto.resolved.parallel, auto.resolved.unified, auto.resolved.contextPerSlot], [4, true, 16384]);
    const four = emulateLlamaCpp(m, plan, gpu('H100 SXM'), settings({ contextLength: 16384, parallel: 4 }));
    assert.deepStrictEqual([four.resolved.parallel, four.resolved.unified, four.resolved.contextPerSlot], [4, false, 4096]);
    // Full attention: the same cells either way (16,384 = 4 × 4,096), so the same KV bytes.
    assert.strictEqual(four.reported.availableKvBytes, auto.reported.availableKvBytes);
    // --no-kv-unified with -np auto: server.cpp's auto branch sets kv_unified = true after the flags are read, so
    // still one pool of 16,384 (a per-slot cache needs an explicit -np).
    const off = emulateLlamaCpp(m, plan, gpu('H100 SXM'), settings({ contextLength: 16384, parallel: undefined, kvUnified: false }));
    assert.deepStrictEqual([off.resolved.unified, off.resolved.contextPerSlot], [true, 16384]);
  });

  it('sliding-window layers hold window × slots + ubatch cells unified, window + ubatch per slot', () => {
    const g = model('gemma3/gemma-3-4b-it');
    const window = g.layers[0].attention!.window!;
    const s = (kvUnified: boolean): LlamaCppSettings => ({
      contextLength: 32768, parallel: 4, kvUnified, cacheTypeK: 'f16', cacheTypeV: 'f16', flashAttention: true, ubatch: 512, fit: false, fitMarginBytes: GiB,
    });
    const cellBytes = (il: number): number => g.layers[il].attention!.kvHeads * g.layers[il].attention!.headDim * 4;
    const pad = (n: number): number => Math.ceil(n / 256) * 256;
    let unifiedKv = 0, perSlotKv = 0;
    g.layers.forEach((l, il) => {
      const sliding = l.attention?.type === 'sliding';
      unifiedKv += cellBytes(il) * (sliding ? pad(Math.min(32768, window * 4 + 512)) : 32768);
      perSlotKv += cellBytes(il) * 4 * (sliding ? pad(Math.min(8192, window + 512)) : 8192);
    });
    assert.strictEqual(emulateLlamaCpp(g, plan, gpu('H100 SXM'), s(true)).reported.availableKvBytes, unifiedKv);
    assert.strictEqual(emulateLlamaCpp(g, plan, gpu('H100 SXM'), s(false)).reported.availableKvBytes, perSlotKv);
  });
});

describe('Ollama: OLLAMA_GPU_OVERHEAD', () => {
  const m = model(LLAMA);
  it('is held back from each GPU\'s free memory: exactly 1 GiB less with 1 GiB', () => {
    const acc = gpu('RTX 4090');
    const base = emulateLlamaCpp(m, plan, acc, settings({ fit: true }));
    const held = emulateLlamaCpp(m, plan, acc, settings({ fit: true, reservedBytesPerGpu: GiB }));
    assert.strictEqual(base.reported.totalBytes - held.reported.totalBytes, GiB);
    assert.strictEqual(base.reported.totalBytes, acc.visibleMemoryGiB * GiB);
    // --fit's target (free − 1 GiB margin) moves with it.
    assert.strictEqual(base.reported.requestedBytes - held.reported.requestedBytes, GiB);
    assert.strictEqual(held.reported.requestedBytes, acc.visibleMemoryGiB * GiB - GiB - 1024 * MiB);
  });

  it('applies to placement before Ollama 0.30, and only to the default context from 0.30 (llama-server)', () => {
    assert.strictEqual(ollamaGpuOverheadRule('0.6.2'), 'placement');
    assert.strictEqual(ollamaGpuOverheadRule('0.24.0'), 'placement');
    assert.strictEqual(ollamaGpuOverheadRule('0.30.0'), 'default-context');
    assert.strictEqual(ollamaGpuOverheadRule('0.32.15'), 'default-context');
    assert.strictEqual(ollamaGpuOverheadRule(undefined), 'default-context');
    assert.strictEqual(ollamaGpuOverheadRule('latest'), 'default-context');
    // server/routes.go: Σ (TotalMemory − overhead) ≥ 47 GiB → 262,144; ≥ 23 GiB → 32,768; else 4,096.
    assert.strictEqual(ollamaDefaultNumCtx(24 * GiB, 1), 32768);
    assert.strictEqual(ollamaDefaultNumCtx(24 * GiB, 1, 2 * GiB), 4096);
    assert.strictEqual(ollamaDefaultNumCtx(24 * GiB, 2), 262144);
    assert.strictEqual(ollamaDefaultNumCtx(24 * GiB, 2, GiB), 32768);
    assert.strictEqual(ollamaDefaultNumCtx(80 * GiB, 1, GiB), 262144);
  });

  it('is read from compose, Kubernetes and the Ollama chart; -ts and --kv-unified from llama-server', () => {
    const compose = parseDocument('compose.yaml', `services:
  ollama:
    image: ollama/ollama:0.32.15
    environment:
      OLLAMA_GPU_OVERHEAD: "1073741824"
`).deployments[0];
    assert.strictEqual(compose.inputs.gpuOverheadBytes, GiB);
    assert.strictEqual(compose.unread, undefined);
    const chart = parseDocument('values.yaml', `ollama:
  gpu:
    enabled: true
    number: 1
extraEnv:
  - name: OLLAMA_GPU_OVERHEAD
    value: "536870912"
`).deployments[0];
    assert.strictEqual(chart.inputs.gpuOverheadBytes, 512 * MiB);
    const k8s = parseDocument('d.yaml', k8sDeployment(`      - name: ollama
        image: ollama/ollama:latest
        env:
          - name: OLLAMA_GPU_OVERHEAD
            value: "2147483648"
`)).deployments[0];
    assert.strictEqual(k8s.inputs.gpuOverheadBytes, 2 * GiB);
    const server = parseDocument('d.yaml', k8sDeployment(`      - name: llama
        image: ghcr.io/ggml-org/llama.cpp:server-cuda
        args: ["-m", "/m/model.gguf", "-ts", "3,1", "--kv-unified", "-np", "2"]
        env:
          - name: LLAMA_ARG_KV_UNIFIED
            value: "1"
`)).deployments[0];
    assert.strictEqual(server.inputs.tensorSplit, '3,1');
    assert.strictEqual(server.inputs.kvUnified, true);
    assert.strictEqual(server.unread, undefined);
  });
});
