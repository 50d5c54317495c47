import * as assert from 'assert';
import { compareDecode, decodeRecords, median } from '../../../scripts/groundTruth';
import { distinctExpertsTouched, peakFlopsFor } from '../../../src/core/throughput';
import { findAccelerator } from '../../../src/core/hardware';
import { assertWithin, budget } from './helpers';

const acc = (n: string) => { const r = findAccelerator(n); if (!r.ok) throw new Error(r.message); return r.accelerator; };

describe('throughput ceilings', () => {
  it('expected distinct experts follows E(1 - (1 - k/E)^B)', () => {
    assert.strictEqual(distinctExpertsTouched(8, 2, 1), 2);
    assertWithin(distinctExpertsTouched(128, 8, 16), 128 * (1 - Math.pow(1 - 8 / 128, 16)), 1e-12, 'E=128 k=8 B=16');
    assert.ok(distinctExpertsTouched(256, 8, 1e6) <= 256);
    assert.strictEqual(distinctExpertsTouched(8, 2, 0), 0);
  });

  it('batch-1 decode of Llama-3.1-8B bf16 is bandwidth / bytes read (weights less the embedding table, plus KV)', () => {
    const h = 4096, V = 128256, params = 8_030_261_248;
    for (const [gpu, bw] of [['A100 SXM 80GB', 2.039e12], ['H100 SXM', 3.35e12]] as const) {
      const r = budget('llama3.1/Meta-Llama-3.1-8B', { gpu, batch: 1, context: 1024, maxModelLen: 8192 });
      const bytes = (params - V * h) * 2 + h * 2 + 1024 * 131072;
      assertWithin(r.decode.tokensPerSecondPerRequest, bw / bytes, 1e-6, gpu);
      assert.strictEqual(r.decode.bound, 'memory');
    }
  });

  it('batching raises total throughput and lowers per-request speed; MoE reads more experts as the batch grows', () => {
    const one = budget('qwen3-moe/Qwen3-30B-A3B', { batch: 1, context: 1024, maxModelLen: 8192 });
    const many = budget('qwen3-moe/Qwen3-30B-A3B', { batch: 64, context: 1024, maxModelLen: 8192 });
    assert.ok(many.decode.tokensPerSecondTotal > one.decode.tokensPerSecondTotal);
    assert.ok(many.decode.tokensPerSecondPerRequest < one.decode.tokensPerSecondPerRequest);
    assert.ok(many.decode.weightBytesPerStep > 2 * one.decode.weightBytesPerStep);
  });

  it('prefill FLOPs are 2 x active parameters x tokens plus causal attention, and compute-bound on an H100', () => {
    const r = budget('llama3.1/Meta-Llama-3.1-8B', { prompt: 2048, maxModelLen: 8192 });
    const activeMatmul = 8_030_261_248 - 128256 * 4096 - (32 * 2 * 4096 + 4096);
    const attention = 32 * 4 * 32 * 128 * (2048 * 2048) / 2;
    assertWithin(r.prefill.flops, 2 * activeMatmul * 2048 + attention, 1e-9, 'prefill flops');
    assert.strictEqual(r.prefill.bound, 'compute');
    assertWithin(r.roofline.ridgePointFlopsPerByte, acc('H100 SXM').flopsPerSecond.bf16! / 3.35e12, 1e-12, 'ridge');
    assert.ok(r.roofline.decode.arithmeticIntensity < 2 && r.roofline.decode.bound === 'memory');
  });

  it('uses FP8 tensor cores for W8A8 on Hopper, and the best 16-bit rate on Pascal', () => {
    assert.strictEqual(peakFlopsFor(acc('H100 SXM'), 'fp8').dtype, 'fp8');
    assert.strictEqual(peakFlopsFor(acc('A100 SXM 80GB'), 'fp8').dtype, 'bf16');
    const p40 = acc('NVIDIA Tesla P40');
    assert.strictEqual(peakFlopsFor(p40, 'bf16').flops, Math.max(p40.flopsPerSecond.fp16 ?? 0, p40.flopsPerSecond.fp32 ?? 0));
  });

  it('no published batch-1 decode measurement exceeds our ceiling for the same model, quantization and hardware', () => {
    const compared = decodeRecords().map(compareDecode).filter((c) => c.ratio !== undefined);
    assert.ok(compared.length >= 150, `${compared.length} compared`);
    for (const c of compared) assert.ok(c.ratio! <= 1, `${c.record.id} ${c.record.model} on ${c.record.hardware}: measured ${c.record.decode_tok_s} > ceiling ${c.ceilingTokensPerSecond}`);
    const m = median(compared.map((c) => c.ratio!));
    assert.ok(m > 0.4 && m < 0.95, `median measured/ceiling ${m} (a ceiling far above reality would be useless)`);
  });
  it('finds the batch from which decode is compute-bound: weights read once, KV and arithmetic per sequence', () => {
    const one = (context: number) => budget('llama3.1/Meta-Llama-3.1-8B', { gpu: 'H100', maxModelLen: 8192, context });
    const r = one(128);
    // Step time at batch b: max(b·F / peak, (W + b·K) / bw), with W the weights read once, K and F one sequence's
    // bytes (its KV and its row of the bf16 input embedding, 4,096 × 2 bytes) and FLOPs.
    const row = 4096 * 2;
    const W = r.decode.weightBytesPerStep - row;
    const K = r.decode.kvBytesPerStep + row;
    const F = r.decode.flopsPerStep;
    const peak = r.roofline.peakFlopsPerSecond;
    const bw = r.roofline.memoryBandwidthBytesPerSecond;
    assert.strictEqual(r.decode.kvBytesPerStep, 2 * 32 * 8 * 128 * 2 * 128, 'KV of 128 tokens');
    assert.strictEqual(r.decode.computeBoundFromBatch, Math.floor(W / bw / (F / peak - K / bw)) + 1);
    // At 1,024 tokens a sequence reads 128 MiB of KV for ~15.5 GFLOP: below the H100's ridge, never compute-bound.
    const long = one(1024);
    assert.ok(long.decode.flopsPerStep / peak < long.decode.kvBytesPerStep / bw);
    assert.strictEqual(long.decode.computeBoundFromBatch, undefined);
  });
  it('finds the compute-bound batch of an MoE model, whose step touches more experts as the batch grows', () => {
    // Qwen3-30B-A3B: 128 experts, 8 per token; the weight bytes a step reads grow with the batch until every expert
    // is touched, so the threshold is where b · (F/peak − K/bw) first exceeds W(b)/bw, W(b) itself rising with b.
    const at = (batch?: number) => budget('qwen3-moe/Qwen3-30B-A3B', { gpu: 'H100', maxModelLen: 8192, context: 128, batch });
    const b = at().decode.computeBoundFromBatch!;
    assert.ok(b > 1, `${b}`);
    assert.strictEqual(at(b).decode.bound, 'compute');
    assert.strictEqual(at(b - 1).decode.bound, 'memory');
    // The weight bytes of a step do grow with the batch here (fewer than all experts at batch 1).
    assert.ok(at(b).decode.weightBytesPerStep > at(1).decode.weightBytesPerStep * 1.5);
  });
  it('prefills only what the prefix cache does not hold: the rest of the prompt, attending to the cached prefix', () => {
    const inputs = { gpu: 'H100', maxModelLen: 8192, prompt: 4096 };
    const full = budget('llama3.1/Meta-Llama-3.1-8B', inputs);
    const r = budget('llama3.1/Meta-Llama-3.1-8B', { ...inputs, prefixTokens: 3072, prefixHitRate: 0.5 });
    const c = r.prefill.expected.cachedPrefix!;
    assert.deepStrictEqual([c.tokens, c.hitRate], [3072, 0.5]);
    // FLOPs: 2 per active parameter per token computed, plus 4 · heads · head_dim · layers per attended pair.
    // Both prompts are compute-bound on an H100, so the times go as the FLOPs.
    const linear = 2 * full.model.parametersActive;
    const perPair = 4 * 32 * 128 * 32;
    const flops = (fresh: number, prefix: number) => linear * fresh + perPair * (fresh * prefix + fresh * fresh / 2);
    const want = flops(1024, 3072) / flops(4096, 0);
    assert.ok(Math.abs(c.secondsOnHit / full.prefill.expected.seconds / want - 1) < 0.01, `${c.secondsOnHit / full.prefill.expected.seconds} vs ${want}`);
    assert.ok(Math.abs(c.meanSeconds - (0.5 * c.secondsOnHit + 0.5 * full.prefill.expected.seconds)) < 1e-12);
    assert.strictEqual(r.prefill.expected.seconds, full.prefill.expected.seconds, 'the miss is a full prefill');
    assert.strictEqual(full.prefill.expected.cachedPrefix, undefined);
  });
});
