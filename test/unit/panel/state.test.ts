// The roofline panel's state builder (src/panel/state.ts): every figure must be the engine's, and the
// engine's figures are checked here against values computed independently from the config's shapes.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { computeBudget } from '../../../src/core/budget';
import type { BudgetInputs, ModelFiles } from '../../../src/core/types';
import { isHostMessage, LIMITS, type PanelControls, type PanelState, PROTOCOL_VERSION } from '../../../src/panel/messages';
import { DECODE_OPERATOR_LABELS as OPERATOR_LABELS, weightBytesPerParameter as weightBytesPerParam } from '../../../src/core/throughput';
import { memorySegments } from '../../../src/panel/series';
import {
  buildPanelState, bundledModelFiles, bundledModelOptions, bundledPanelModel, gpuIdOf, initialControls, inputsFor,
  mergeControls, type PanelModel, throughputBatches,
} from '../../../src/panel/state';
import { ROOT } from './helpers';


function files(rel: string, nameHint: string): ModelFiles {
  return { config: JSON.parse(fs.readFileSync(path.join(ROOT, rel), 'utf8')), nameHint };
}

const LLAMA = files('examples/models/Llama-3.1-8B/config.json', 'Llama-3.1-8B');
const QWEN_MOE = files('examples/models/Qwen3-30B-A3B/config.json', 'Qwen3-30B-A3B');
const DEEPSEEK = files('test/vscode/workspace/models/DeepSeek-V3/config.json', 'DeepSeek-V3');

/** Llama-3.1-8B shapes, from its config.json. */
const L = { h: 4096, H: 32, Hkv: 8, d: 128, I: 14336, V: 128256, layers: 32 };
/** Weights one decode step reads: every decoder matrix and the LM head (the embedding table is not read), bf16. */
const LLAMA_DECODE_WEIGHT_BYTES = 2 * (L.layers * (L.h * (L.H + 2 * L.Hkv) * L.d + L.H * L.d * L.h + 3 * L.h * L.I + 2 * L.h) + L.h * L.V + L.h);
/** KV bytes per token, whole model, bf16: 2 (K, V) · layers · Hkv · d · 2 bytes = 131,072. */
const LLAMA_KV_PER_TOKEN = 2 * L.layers * L.Hkv * L.d * 2;
const H100 = { bw: 3.35e12, bf16: 989.4e12, fp8: 1978.9e12, visibleGiB: 79.19 };
const H200_BW = 4.8e12;

function model(f: ModelFiles, inputs: BudgetInputs = {}): PanelModel {
  return { files: f, inputs, source: 'document' };
}

function controls(over: Partial<PanelControls> = {}): PanelControls {
  return { gpus: ['h100-sxm'], gpuCount: 1, tensorParallel: 1, batch: 32, context: 8192, prompt: 1024, weightPrecision: 'auto', kvCacheDtype: 'auto', ...over };
}

function build(m: PanelModel, c: PanelControls): { state: PanelState; problems: string[] } {
  const r = buildPanelState(m, c);
  assert.ok(r.ok, r.ok ? '' : r.message);
  assert.ok(isHostMessage({ type: 'state', version: PROTOCOL_VERSION, state: r.state }), 'the state passes the protocol validator');
  return { state: r.state, problems: r.problems };
}

function report(f: ModelFiles, inputs: BudgetInputs) {
  const r = computeBudget(f, inputs);
  assert.ok(r.ok, r.ok ? '' : r.unsupported);
  return r.report;
}

function close(actual: number, expected: number, rel: number, what: string): void {
  assert.ok(Math.abs(actual / expected - 1) <= rel, `${what}: ${actual} vs ${expected} (${((actual / expected - 1) * 100).toFixed(3)}%)`);
}

const point = (s: PanelState, gi: number, label: string) => {
  const p = s.perGpu[gi].points.find((x) => x.label === label);
  assert.ok(p, `point "${label}" in ${JSON.stringify(s.perGpu[gi].points.map((x) => x.label))}`);
  return p;
};

describe('panel state: Llama-3.1-8B on one H100 SXM', () => {
  const c = controls();
  const { state } = build(model(LLAMA), c);
  const g = state.perGpu[0];
  const inputs = { gpu: 'h100-sxm', gpuCount: 1, tensorParallel: 1, context: 8192, prompt: 1024 };

  it('names the model and the GPU, and keeps the controls', () => {
    assert.equal(state.title, 'Llama-3.1-8B on 1× H100 SXM');
    assert.equal(state.source, 'document');
    assert.deepEqual(state.controls, c);
    assert.equal(g.gpuId, 'h100-sxm');
    assert.equal(g.gpuName, 'NVIDIA H100 SXM 80GB');
    assert.equal(g.bandwidthBytesPerSecond, H100.bw);
    assert.ok(state.gpuOptions.some((o) => o.id === 'mi300x'));
    assert.deepEqual(state.modelOptions, [], 'a document has no model picker');
  });

  it('the decode batch-1 point is the engine’s decode roofline point at batch 1', () => {
    const r1 = report(LLAMA, { ...inputs, batch: 1 });
    const p = point(state, 0, 'decode, batch 1');
    assert.equal(p.kind, 'decode');
    for (const k of ['flops', 'bytes', 'arithmeticIntensity', 'attainableFlopsPerSecond', 'seconds', 'bound'] as const) {
      assert.equal(p[k], r1.roofline.decode[k], k);
    }
    assert.equal(g.throughput[0].batch, 1);
    assert.equal(g.throughput[0].tokensPerSecondPerRequest, r1.decode.tokensPerSecondPerRequest);
  });

  it('decode at batch 1 reads the weights and the KV cache once: bandwidth / bytes, computed from the shapes', () => {
    const bytes = LLAMA_DECODE_WEIGHT_BYTES + 8192 * LLAMA_KV_PER_TOKEN;
    close(point(state, 0, 'decode, batch 1').bytes, bytes, 0.002, 'bytes per step');
    close(g.throughput[0].tokensPerSecondPerRequest, H100.bw / bytes, 0.002, 'tokens/s at batch 1');
    // 2 FLOPs per weight per token, plus attention 4·H·d·C per layer.
    const flops = (LLAMA_DECODE_WEIGHT_BYTES / 2) * 2 + L.layers * 4 * L.H * L.d * 8192;
    close(point(state, 0, 'decode, batch 1').flops, flops, 0.002, 'FLOPs per step');
    assert.equal(point(state, 0, 'decode, batch 1').bound, 'memory');
  });

  it('the chosen batch is the engine’s report at that batch', () => {
    const r = report(LLAMA, { ...inputs, batch: 32 });
    assert.deepEqual(
      { ...point(state, 0, 'decode, batch 32'), kind: undefined, label: undefined },
      { ...r.roofline.decode, kind: undefined, label: undefined },
    );
    const row = g.throughput.find((t) => t.batch === 32);
    assert.ok(row);
    assert.equal(row.tokensPerSecondTotal, r.decode.tokensPerSecondTotal);
    close(row.tokensPerSecondTotal, 32 * row.tokensPerSecondPerRequest, 1e-12, 'total = batch × per request');
    // The expected total is the engine's, its band the per-request spread times the batch, all under the ceiling.
    close(row.expectedTokensPerSecondTotal, r.decode.expected.tokensPerSecondTotal, 1e-12, 'expected total');
    close(row.expectedLowTotal, 32 * r.decode.expected.low, 1e-9, 'low × batch');
    close(row.expectedHighTotal, 32 * r.decode.expected.high, 1e-9, 'high × batch');
    for (const t of g.throughput) {
      assert.ok(t.expectedLowTotal <= t.expectedTokensPerSecondTotal && t.expectedTokensPerSecondTotal <= t.expectedHighTotal, `band at batch ${t.batch}`);
      assert.ok(t.expectedHighTotal <= t.tokensPerSecondTotal * (1 + 1e-12), `under the ceiling at batch ${t.batch}`);
    }
  });

  it('marks on the roofline the batch from which decode is compute-bound: at the ridge point or past it', () => {
    // At 128 tokens a Llama-3.1-8B sequence reads 16 MiB of KV for ~15 GFLOP: batching crosses the H100's ridge.
    const short = build(model(LLAMA), controls({ context: 128 })).state.perGpu[0];
    const knee = short.points.find((x) => /^decode turns compute-bound \(batch [\d,]+\)$/.test(x.label));
    assert.ok(knee, JSON.stringify(short.points.map((x) => x.label)));
    assert.equal(knee.bound, 'compute');
    assert.ok(knee.arithmeticIntensity >= H100.bf16 / H100.bw, `${knee.arithmeticIntensity} FLOP/byte at or past the ridge`);
    const batch = Number(/batch ([\d,]+)/.exec(knee.label)![1].replace(/,/g, ''));
    const before = report(LLAMA, inputsFor({}, controls({ context: 128 }), 'h100-sxm', batch - 1));
    assert.equal(before.roofline.decode.bound, 'memory', 'one request fewer is still memory-bound');
    // At 8,192 tokens (1 GiB of KV per sequence) no batch gets there, and no such point is drawn.
    assert.ok(!g.points.some((x) => x.label.startsWith('decode turns compute-bound')));
  });

  it('prefill sits at the prompt length', () => {
    const r = report(LLAMA, { ...inputs, batch: 32 });
    const p = point(state, 0, 'prefill, 1,024 tokens');
    assert.equal(p.kind, 'prefill');
    assert.equal(p.flops, r.roofline.prefill.flops);
    // 2 FLOPs per active weight per token, plus causal attention (4·H·d·P²/2 per layer).
    const flops = (LLAMA_DECODE_WEIGHT_BYTES / 2) * 2 * 1024 + L.layers * 4 * L.H * L.d * (1024 * 1024) / 2;
    close(p.flops, flops, 0.002, 'prefill FLOPs');
    assert.equal(p.bound, 'compute');
  });

  it('the max-concurrency wall is the engine’s capacity: KV cache tokens / max_model_len', () => {
    const r = report(LLAMA, { ...inputs, batch: 32 });
    assert.equal(g.maxConcurrency, r.capacity.maxConcurrency);
    close(g.maxConcurrency, r.capacity.kvCacheTokens / 131072, 1e-9, 'max concurrency');
    // KV tokens = KV bytes / bytes per token, in whole blocks of 16.
    assert.equal(r.capacity.kvCacheTokens % 16, 0);
    assert.ok(Math.abs(r.capacity.kvCacheTokens - r.perGpu.kvCacheBytes / LLAMA_KV_PER_TOKEN) < 16);
    const top = Math.floor(g.maxConcurrency);
    const p = point(state, 0, `decode, max concurrency (${top})`);
    assert.deepEqual(p.flops, report(LLAMA, { ...inputs, batch: top }).roofline.decode.flops);
  });

  it('the throughput series doubles the batch past the wall (twice max concurrency) and the chosen batch', () => {
    // The wall is at the panel's context (8,192 tokens), not max_model_len: KV tokens / 8,192 (~57 requests on an
    // H100), so the series runs to the first power of two at or past twice that.
    const r = report(LLAMA, { ...inputs, batch: 32 });
    close(g.contextConcurrency!, r.capacity.kvCacheTokens / 8192, 1e-12, 'requests of the panel context');
    const past = 2 ** Math.ceil(Math.log2(2 * g.contextConcurrency!));
    assert.deepEqual(g.throughput.map((t) => t.batch), Array.from({ length: Math.log2(past) + 1 }, (_, i) => 2 ** i));
    assert.ok(g.throughput.at(-1)!.batch >= 2 * g.contextConcurrency!);
    assert.ok(g.throughput.at(-1)!.batch >= 2 * g.maxConcurrency);
    for (let i = 1; i < g.throughput.length; i++) {
      assert.ok(g.throughput[i].tokensPerSecondTotal > g.throughput[i - 1].tokensPerSecondTotal, 'total grows with the batch');
      assert.ok(g.throughput[i].tokensPerSecondPerRequest < g.throughput[i - 1].tokensPerSecondPerRequest, 'per request falls');
    }
  });

  it('memory segments add up to the GPU’s memory (79.19 GiB visible)', () => {
    const r = report(LLAMA, { ...inputs, batch: 32 });
    const m = g.memory;
    assert.equal(m.totalBytes, r.perGpu.totalMemoryBytes);
    close(m.totalBytes, H100.visibleGiB * 2 ** 30, 1e-12, 'total');
    assert.equal(m.weightsBytes, r.perGpu.weightBytes);
    assert.equal(m.activationBytes, r.perGpu.activationPeakBytes);
    assert.equal(m.reserveBytes, r.perGpu.nonTorchBytes + r.perGpu.cudaGraphBytes);
    assert.equal(m.kvCacheBytes, r.perGpu.kvCacheBytes);
    const segs = memorySegments(state.perGpu);
    close(segs[segs.length - 1].end, r.perGpu.totalMemoryBytes, 1e-12, 'stacked bar');
    // vLLM keeps (1 - gpu_memory_utilization) of the memory free (10 % by default), less the CUDA graphs
    // when this version does not count them in the budget.
    assert.equal(r.perGpu.requestedMemoryBytes, 0.9 * r.perGpu.totalMemoryBytes);
    close(m.freeBytes, 0.1 * m.totalBytes - (r.perGpu.cudaGraphSubtracted ? 0 : r.perGpu.cudaGraphBytes), 1e-9, 'free');
    // The weights are the model's 8.03 B parameters in bf16 (plus vLLM's rotary cache).
    close(m.weightsBytes, 2 * 8_030_261_248, 0.005, 'weights');
  });

  it('roofs come from the accelerator: bf16 and fp8 (= int8) peaks with their ridge points', () => {
    assert.deepEqual(g.roofs.map((r) => r.dtype), ['bf16', 'fp8/int8']);
    assert.equal(g.roofs[0].peakFlopsPerSecond, H100.bf16);
    close(g.roofs[0].ridgePointFlopsPerByte, H100.bf16 / H100.bw, 1e-12, 'bf16 ridge');
    assert.equal(g.roofs[1].peakFlopsPerSecond, H100.fp8);
    close(g.roofs[1].ridgePointFlopsPerByte, H100.fp8 / H100.bw, 1e-12, 'fp8 ridge');
  });

  it('per-operator points describe the whole model at the chosen batch and context, and sum to its decode point', () => {
    const ops = g.points.filter((p) => p.kind === 'operator');
    assert.deepEqual(ops.map((p) => p.label), [
      OPERATOR_LABELS.embedding, OPERATOR_LABELS.qkv, OPERATOR_LABELS.attention, OPERATOR_LABELS.output, OPERATOR_LABELS.mlp, OPERATOR_LABELS.lmHead,
    ]);
    const B = 32;
    const C = 8192;
    assert.equal(point(state, 0, OPERATOR_LABELS.qkv).flops, L.layers * 2 * B * L.h * (L.H + 2 * L.Hkv) * L.d);
    assert.equal(point(state, 0, OPERATOR_LABELS.mlp).flops, L.layers * 2 * B * 3 * L.h * L.I);
    const attn = point(state, 0, OPERATOR_LABELS.attention);
    assert.equal(attn.bytes, B * C * LLAMA_KV_PER_TOKEN);
    assert.equal(attn.arithmeticIntensity, 4 * L.H / (2 * L.Hkv * 2), 'GQA attention: 4 FLOP/byte');
    assert.equal(attn.bound, 'memory');
    const decode = point(state, 0, 'decode, batch 32');
    close(ops.reduce((s, p) => s + p.bytes, 0), decode.bytes, 1e-12, 'Σ operator bytes');
    close(ops.reduce((s, p) => s + p.flops, 0), decode.flops, 1e-12, 'Σ operator FLOPs');
  });
});

describe('panel state: controls', () => {
  it('tensor parallel 2 over 2 GPUs: the operators are the sums of both ranks, the weights per GPU halve', () => {
    const one = build(model(LLAMA), controls()).state.perGpu[0];
    const two = build(model(LLAMA), controls({ gpuCount: 2, tensorParallel: 2 })).state.perGpu[0];
    const qkv2 = point({ perGpu: [two] } as PanelState, 0, OPERATOR_LABELS.qkv);
    const qkv1 = point({ perGpu: [one] } as PanelState, 0, OPERATOR_LABELS.qkv);
    assert.equal(qkv2.flops, qkv1.flops);
    close(qkv2.seconds, qkv1.seconds / 2, 0.001, 'each rank reads half the QKV weights');
    close(two.memory.weightsBytes, one.memory.weightsBytes / 2, 0.01, 'weights per GPU');
    assert.equal(two.memory.weightsBytes, report(LLAMA, { gpu: 'h100-sxm', gpuCount: 2, tensorParallel: 2, batch: 32, context: 8192, prompt: 1024 }).perGpu.weightBytes);
  });

  it('fp8 KV cache doubles the tokens the cache holds; fp8 weights halve the weight bytes', () => {
    const base = build(model(LLAMA), controls()).state.perGpu[0];
    const kv8 = build(model(LLAMA), controls({ kvCacheDtype: 'fp8' })).state.perGpu[0];
    const w8 = build(model(LLAMA), controls({ weightPrecision: 'fp8' })).state.perGpu[0];
    close(kv8.memory.kvCacheBytes, base.memory.kvCacheBytes, 1e-9, 'same KV bytes');
    close(kv8.maxConcurrency, 2 * base.maxConcurrency, 0.001, 'max concurrency with fp8 KV');
    assert.ok(w8.memory.weightsBytes < 0.6 * base.memory.weightsBytes, 'fp8 weights');
    assert.equal(w8.memory.weightsBytes, report(LLAMA, { gpu: 'h100-sxm', gpuCount: 1, tensorParallel: 1, batch: 32, context: 8192, prompt: 1024, quantization: 'fp8' }).perGpu.weightBytes);
    // The operator model reads fp8 weights: 8.002 bits per parameter.
    close(point({ perGpu: [w8] } as PanelState, 0, OPERATOR_LABELS.mlp).bytes, L.layers * 3 * L.h * L.I * (8.002 / 8), 1e-12, 'fp8 MLP bytes');
    // fp8 weights compute on the fp8 roof.
    assert.equal(w8.roofs.find((r) => r.dtype.startsWith('fp8'))?.peakFlopsPerSecond, H100.fp8);
  });

  it('auto keeps what the document states (its quantization and KV dtype); other fields are kept too', () => {
    const stated = { gpu: 'H100', maxModelLen: 32768, kvCacheDtype: 'fp8', quantization: 'fp8', gpuMemoryUtilization: 0.8 };
    const c = controls({ batch: 4 });
    const inputs = inputsFor(stated, c, 'h200');
    assert.deepEqual(inputs, { ...stated, gpu: 'h200', gpuCount: 1, tensorParallel: 1, batch: 4, context: 8192, prompt: 1024 });
    assert.equal(inputsFor(stated, { ...c, kvCacheDtype: 'bfloat16', weightPrecision: 'bf16' }, 'h100-sxm').kvCacheDtype, 'bfloat16');
    const { state } = build(model(LLAMA, stated), c);
    close(state.perGpu[0].maxConcurrency, report(LLAMA, inputsFor(stated, c, 'h100-sxm')).capacity.maxConcurrency, 0, 'document inputs used');
  });

  it('initial controls follow the document’s deployment as the engine reads it', () => {
    const c = initialControls(model(LLAMA, { gpu: 'NVIDIA-H100-80GB-HBM3', tensorParallel: 2, batch: 8, context: 2048 }));
    assert.deepEqual(c, { gpus: ['h100-sxm'], gpuCount: 2, tensorParallel: 2, batch: 8, context: 2048, prompt: 1024, weightPrecision: 'auto', kvCacheDtype: 'auto' });
    // An instance type implies its GPU count.
    const g5 = initialControls(model(LLAMA, { gpu: 'g5.12xlarge' }));
    assert.equal(g5.gpus[0], 'a10g');
    assert.equal(g5.gpuCount, 4);
    // An unknown GPU falls back to the default (H100 SXM).
    assert.deepEqual(initialControls(model(LLAMA, { gpu: 'Quantum Flux 9000' })).gpus, ['h100-sxm']);
    assert.equal(gpuIdOf('A100 80GB SXM'), 'a100-sxm-80gb');
    assert.deepEqual(initialControls(model(LLAMA), ['h100-sxm', 'h200', 'h200', 'mi300x', 'l4']).gpus, ['h100-sxm', 'h200', 'mi300x']);
  });

  it('after an edit, controls the user did not touch follow the document; the user’s stay', () => {
    const before = controls({ batch: 1, tensorParallel: 1 });
    const user = { ...before, batch: 64, gpus: ['h100-sxm', 'h200'] };
    const after = controls({ batch: 1, tensorParallel: 2, gpuCount: 2, gpus: ['a100-sxm-80gb'] });
    assert.deepEqual(mergeControls(user, before, after), { ...user, tensorParallel: 2, gpuCount: 2, gpus: ['a100-sxm-80gb', 'h200'] });
  });

  it('throughput batches: powers of two up to the first ≥ max(2 × wall, batch, 8)', () => {
    assert.deepEqual(throughputBatches(54.33, 32), [1, 2, 4, 8, 16, 32, 64, 128]);
    assert.deepEqual(throughputBatches(0, 1), [1, 2, 4, 8]);
    assert.deepEqual(throughputBatches(3.38, 1), [1, 2, 4, 8]);
    assert.deepEqual(throughputBatches(3.38, 100), [1, 2, 4, 8, 16, 32, 64, 128]);
    assert.equal(throughputBatches(1e12, 1).at(-1), 2 ** 19, 'capped by the protocol’s largest batch (1e6)');
    assert.ok(throughputBatches(1e12, 1).length <= LIMITS.maxThroughputRows);
  });

  it('bytes per weight of the engine’s weight dtypes', () => {
    assert.equal(weightBytesPerParam('bfloat16'), 2);
    assert.equal(weightBytesPerParam('float32'), 4);
    assert.equal(weightBytesPerParam('int4'), 4.125 / 8);
    assert.equal(weightBytesPerParam('mxfp4'), 4.25 / 8);
    assert.equal(weightBytesPerParam('int3'), 3 / 8);
  });
});

describe('panel state: comparisons, MoE, failures, bundled models', () => {
  it('compares three GPUs, each from its own engine report, in the order chosen', () => {
    const c = controls({ gpus: ['h100-sxm', 'h200', 'mi300x'] });
    const { state, problems } = build(model(LLAMA), c);
    assert.deepEqual(problems, []);
    assert.deepEqual(state.perGpu.map((g) => g.gpuId), ['h100-sxm', 'h200', 'mi300x']);
    assert.equal(state.title, 'Llama-3.1-8B on 1× H100 SXM vs H200 SXM vs MI300X');
    state.perGpu.forEach((g, i) => {
      const r = report(LLAMA, { gpu: c.gpus[i], gpuCount: 1, tensorParallel: 1, batch: 1, context: 8192, prompt: 1024 });
      assert.equal(g.throughput[0].tokensPerSecondPerRequest, r.decode.tokensPerSecondPerRequest, g.gpuId);
      assert.equal(g.maxConcurrency, report(LLAMA, { gpu: c.gpus[i], gpuCount: 1, tensorParallel: 1, batch: 32, context: 8192, prompt: 1024 }).capacity.maxConcurrency);
    });
    // Memory-bound decode at batch 1 scales with bandwidth: H200 4.8 TB/s vs H100 3.35 TB/s.
    close(state.perGpu[1].throughput[0].tokensPerSecondPerRequest / state.perGpu[0].throughput[0].tokensPerSecondPerRequest, H200_BW / H100.bw, 1e-9, 'H200 / H100');
    // H200 has 141 GB: more KV cache, a later wall.
    assert.ok(state.perGpu[1].maxConcurrency > 2 * state.perGpu[0].maxConcurrency);
    assert.ok(state.perGpu[1].throughput.at(-1)!.batch >= state.perGpu[1].maxConcurrency);
    assert.deepEqual(state.perGpu[2].roofs.map((r) => r.dtype), ['bf16', 'fp8/int8']);
  });

  it('a GPU the engine does not know is left out and named; all unknown fails with the reason', () => {
    const { state, problems } = build(model(LLAMA), controls({ gpus: ['h100-sxm', 'no-such-gpu'] }));
    assert.equal(state.perGpu.length, 1);
    assert.equal(problems.length, 1);
    assert.match(problems[0], /^no-such-gpu: /);
    const none = buildPanelState(model(LLAMA), controls({ gpus: ['no-such-gpu'] }));
    assert.equal(none.ok, false);
    const unsupported = buildPanelState(model({ config: { hello: 'world' } }), controls());
    assert.equal(unsupported.ok, false);
    assert.match(!unsupported.ok ? unsupported.message : '', /unsupported|cannot|architectures/i);
  });

  it('MoE (Qwen3-30B-A3B): the operator points use the routed experts', () => {
    const { state } = build(model(QWEN_MOE), controls({ batch: 16 }));
    const labels = state.perGpu[0].points.filter((p) => p.kind === 'operator').map((p) => p.label);
    assert.ok(labels.includes(OPERATOR_LABELS.moe));
    assert.ok(!labels.includes(OPERATOR_LABELS.mlp));
    // 48 layers of 128 experts, 8 per token, expert width 768, hidden 2048: 2·B·k·3·h·Ie + router 2·B·h·E.
    const moe = point(state, 0, OPERATOR_LABELS.moe);
    assert.equal(moe.flops, 48 * (2 * 16 * 8 * 3 * 2048 * 768 + 2 * 16 * 2048 * 128));
    // Distinct experts touched by 16 tokens: 128·(1-(1-8/128)^16); the router is read whole.
    const touched = 128 * (1 - (1 - 8 / 128) ** 16);
    close(moe.bytes, 48 * (touched * 3 * 2048 * 768 * 2 + 2048 * 128 * 2), 1e-12, 'MoE bytes');
  });

  it('a model that does not fit shows no max-concurrency point and no free memory', () => {
    const { state } = build(model(DEEPSEEK), controls());
    const g = state.perGpu[0];
    assert.equal(g.fits, false);
    assert.equal(g.maxConcurrency, 0);
    assert.ok(!g.points.some((p) => p.label.startsWith('decode, max concurrency')));
    assert.equal(g.memory.freeBytes, 0);
    assert.equal(g.memory.kvCacheBytes, 0);
    assert.match(g.summary, /Weights need .* GiB per GPU/);
  });

  it('bundled models: options, files and a state with the model picker', () => {
    const options = bundledModelOptions();
    assert.ok(options.length > 50);
    assert.ok(options.some((o) => o.id === 'meta-llama/Meta-Llama-3.1-8B'));
    assert.equal(bundledModelFiles('no/such-model'), undefined);
    const m = bundledPanelModel('meta-llama/Meta-Llama-3.1-8B');
    assert.ok(m);
    const c = initialControls(m);
    assert.equal(c.model, 'meta-llama/Meta-Llama-3.1-8B');
    const { state } = build(m, c);
    assert.equal(state.source, 'bundled');
    assert.equal(state.modelOptions.length, options.length);
    const r = report(m.files, { gpu: 'h100-sxm', gpuCount: 1, tensorParallel: 1, batch: 1, context: c.context, prompt: c.prompt });
    assert.equal(point(state, 0, 'decode, batch 1').seconds, r.roofline.decode.seconds);
    // A GPTQ checkpoint is sized from its quantize_config.json.
    const gptq = bundledModelFiles('TheBloke/Llama-2-13B-chat-GPTQ');
    assert.ok(gptq?.quantizeConfig);
  });

  it('builds the state of every bundled model on an H100 within the protocol limits', function () {
    this.timeout(120_000);
    for (const o of bundledModelOptions()) {
      const m = bundledPanelModel(o.id)!;
      const r = buildPanelState(m, { ...initialControls(m), gpus: ['h100-sxm', 'b200'] });
      if (!r.ok) continue; // the engine's own verdict (unsupported architectures are covered by its tests)
      assert.ok(isHostMessage({ type: 'state', version: PROTOCOL_VERSION, state: r.state }), o.id);
      assert.equal(r.state.perGpu.length, 2, o.id);
    }
  });
});
