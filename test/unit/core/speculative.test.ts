// Speculative decoding: tokens per verification step, the drafter's weights at startup, and the lifted speeds,
// each worked out here from the configs' shapes and the textbook formula.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { mtpLayersOf, speculativeMethodOf, tokensPerVerifyStep } from '../../../src/core/speculative';
import { CONFIGS, budget } from './helpers';

const config = (rel: string): Record<string, unknown> => JSON.parse(fs.readFileSync(path.join(CONFIGS, rel, 'config.json'), 'utf8'));

describe('speculative decoding', () => {
  it('emits (1 − α^(k+1)) / (1 − α) tokens per step: 1 + α + α² + … + α^k', () => {
    assert.ok(Math.abs(tokensPerVerifyStep(0.85, 1) - 1.85) < 1e-12);
    assert.ok(Math.abs(tokensPerVerifyStep(0.85, 3) - (1 + 0.85 + 0.85 ** 2 + 0.85 ** 3)) < 1e-12);
    assert.strictEqual(tokensPerVerifyStep(1, 4), 5);
    assert.strictEqual(tokensPerVerifyStep(0, 4), 1);
  });

  it('names drafters as vLLM and SGLang spell them, and reads the checkpoint\'s MTP layers', () => {
    assert.deepStrictEqual(['deepseek_mtp', 'EAGLE3', 'eagle', 'ngram', 'draft_model', 'medusa'].map(speculativeMethodOf), ['mtp', 'eagle3', 'eagle', 'ngram', 'draft', undefined]);
    assert.strictEqual(mtpLayersOf(config('deepseek-v3/DeepSeek-V3')), 1);
    assert.strictEqual(mtpLayersOf(config('deepseek-v3/Kimi-K2-Instruct')), 0);
    const qwen = config('qwen3.5/Qwen3.5-122B-A10B');
    const want = ((qwen.text_config ?? qwen) as Record<string, number>).mtp_num_hidden_layers;
    assert.ok(want >= 1);
    assert.strictEqual(mtpLayersOf(qwen), want);
  });

  it('DeepSeek-V3 with MTP on 8× H200: one more MoE layer of fp8 weights per rank, and the KV cache shrinks by it', () => {
    const base = { gpu: 'H200', gpuCount: 8, tensorParallel: 8, maxModelLen: 32768 };
    const without = budget('deepseek-v3/DeepSeek-V3', base);
    const withMtp = budget('deepseek-v3/DeepSeek-V3', { ...base, speculativeMethod: 'deepseek_mtp' });
    const s = withMtp.decode.speculative!;
    // One decoder layer: 256 routed + 1 shared expert of 3 × 7,168 × 2,048, and MLA (q_a 7,168 × 1,536, q_b 1,536 × 128 · 192,
    // kv_a 7,168 × 576, kv_b 512 × 128 · 256, o 128 · 128 × 7,168), one byte each in fp8, split over 8 ranks.
    const params = 257 * 3 * 7168 * 2048 + 7168 * 1536 + 1536 * 128 * 192 + 7168 * 576 + 512 * 128 * 256 + 128 * 128 * 7168;
    assert.ok(Math.abs(s.draftWeightBytes / (params / 8) - 1) < 0.03, `${s.draftWeightBytes} vs ${params / 8}`);
    assert.ok(Math.abs(withMtp.perGpu.weightBytes - without.perGpu.weightBytes - s.draftWeightBytes) < 1);
    assert.ok(withMtp.capacity.kvCacheTokens < without.capacity.kvCacheTokens);
    // The published acceptance rate, cited; one drafted token → 1.85 tokens per step.
    assert.strictEqual(s.acceptanceRate, 0.85);
    assert.match(s.acceptanceSource, /DeepSeek-V3 Technical Report/);
    assert.ok(s.expectedTokensPerSecondPerRequest > without.decode.expected.tokensPerSecondPerRequest);
    assert.ok(s.expectedTokensPerSecondPerRequest <= s.tokensPerSecondPerRequest);
  });

  it('Llama-3.1-8B with EAGLE-3 × 3 at 0.7: the ceiling is tokens per step over one weight read and three head passes', () => {
    const r = budget('llama3.1/Meta-Llama-3.1-8B', { gpu: 'H100', maxModelLen: 8192, speculativeMethod: 'eagle3', speculativeTokens: 3, acceptanceRate: 0.7 });
    const s = r.decode.speculative!;
    // A head pass reads one decoder layer (q, o 4,096²; k, v 4,096 × 1,024; MLP 3 × 4,096 × 14,336) and the LM head
    // (128,256 × 4,096), bf16.
    const layer = 2 * (2 * 4096 * 4096 + 2 * 4096 * 1024 + 3 * 4096 * 14336);
    const head = 2 * 128256 * 4096;
    const tokensPerStep = 1 + 0.7 + 0.49 + 0.343;
    const verify = r.decode.weightBytesPerStep + r.decode.kvBytesPerStep;
    const ceiling = tokensPerStep / ((verify + 3 * (layer + head)) / 3.35e12);
    assert.ok(Math.abs(s.tokensPerSecondPerRequest / ceiling - 1) < 0.005, `${s.tokensPerSecondPerRequest} vs ${ceiling}`);
    assert.ok(Math.abs(s.draftWeightBytes / layer - 1) < 0.001, 'the head is one decoder layer');
  });

  it('says why nothing is modelled: no MTP layers, an unknown drafter, no acceptance rate for EAGLE', () => {
    const code = (inputs: Record<string, unknown>) => budget('llama3.1/Meta-Llama-3.1-8B', { gpu: 'H100', maxModelLen: 8192, ...inputs });
    for (const [inputs, why] of [
      [{ speculativeMethod: 'mtp' }, /no multi-token-prediction layers/],
      [{ speculativeMethod: 'medusa' }, /unknown drafter/],
      [{ speculativeMethod: 'eagle' }, /no published acceptance rate/],
    ] as const) {
      const r = code(inputs);
      assert.strictEqual(r.decode.speculative, undefined);
      assert.ok(r.diagnostics.some((d) => d.code === 'speculative-not-modelled' && why.test(d.message)), JSON.stringify(r.diagnostics));
    }
  });
});
