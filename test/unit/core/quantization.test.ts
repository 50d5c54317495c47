import * as assert from 'assert';
import { dtypeBytes, isKnownQuantization, schemeFromConfig, schemeFromName } from '../../../src/core/quantization';
import { WeightGroup } from '../../../src/core/model';
import { model, readConfig, readSide } from './helpers';

const group = (role: WeightGroup['role']): WeightGroup => ({ role, params: 1, tp: 'split', quantizable: role !== 'norm' && role !== 'embedding', layer: 0 });

describe('quantization schemes', () => {
  it('reads GPTQ bits and group size (4-bit g128, 3-bit per-channel)', () => {
    const g128 = schemeFromConfig(readConfig('llama2/Llama-2-13B-chat-GPTQ').quantization_config as Record<string, unknown>)!;
    assert.strictEqual(g128.weightDtype, 'int4');
    assert.strictEqual(g128.bitsPerWeight, 4 + (16 + 4) / 128);
    const g3 = schemeFromConfig(readConfig('llama2/Genz-70b-GPTQ').quantization_config as Record<string, unknown>)!;
    assert.strictEqual(g3.weightDtype, 'int3');
    assert.ok(g3.bitsPerWeight > 3 && g3.bitsPerWeight < 3.01);
  });

  it('reads block-wise FP8 (Qwen3-32B-FP8) as 8 bits with W8A8 compute', () => {
    const s = schemeFromConfig(readConfig('qwen3/Qwen3-32B-FP8').quantization_config as Record<string, unknown>)!;
    assert.strictEqual(s.weightDtype, 'fp8');
    assert.strictEqual(s.compute, 'fp8');
    assert.ok(s.converts(group('attention')) && !s.converts(group('embedding')));
  });

  it('reads ModelOpt FP8 from hf_quant_config.json, with its FP8 KV cache and lm_head excluded', () => {
    const m = model('llama3.1/Llama-3.1-70B-Instruct-FP8-nvidia');
    const hf = readSide('llama3.1/Llama-3.1-70B-Instruct-FP8-nvidia', 'hf_quant_config.json') as { quantization: Record<string, unknown> };
    const s = schemeFromConfig({ quant_method: 'modelopt', ...hf.quantization })!;
    assert.strictEqual(s.weightDtype, 'fp8');
    assert.strictEqual(s.kvCacheDtype, 'fp8');
    assert.ok(!s.converts(group('lm-head')));
    assert.ok(m.weights.length > 0);
  });

  it('reads bitsandbytes NF4 (Molmo) and compressed-tensors int4 g32 that ignores attention and shared experts (Kimi K2.5)', () => {
    const nf4 = schemeFromConfig(readConfig('quantized-bnb/Molmo-7B-D-bnb-nf4').quantization_config as Record<string, unknown>)!;
    assert.strictEqual(nf4.weightDtype, 'nf4');
    const kimi = (readConfig('deepseek-v3/Kimi-K2.5').text_config as Record<string, unknown>).quantization_config as Record<string, unknown>;
    const s = schemeFromConfig(kimi)!;
    assert.strictEqual(s.weightDtype, 'int4');
    assert.strictEqual(s.bitsPerWeight, 4 + 16 / 32);
    assert.ok(s.converts(group('expert')));
    assert.ok(!s.converts(group('attention')));
    assert.ok(!s.converts(group('shared-expert')));
    assert.ok(!s.converts(group('mlp')), 'dense first-layer MLP is ignored by the mlp.(gate|up|down)_proj pattern');
  });

  it('reads mixed precision per module: ModelOpt quantized_layers (Qwen3.6 NVFP4) and merged exports (DeepSeek-V4 NVFP4)', () => {
    const qc = (readConfig('qwen3.6/Qwen3.6-27B-NVFP4').quantization_config ?? (readConfig('qwen3.6/Qwen3.6-27B-NVFP4').text_config as Record<string, unknown>).quantization_config) as Record<string, unknown>;
    const s = schemeFromConfig(qc)!;
    const bits = (g: WeightGroup): number | undefined => (s.converts(g) ? s.bitsOf!(g) : undefined);
    // model.language_model.layers.0.mlp.* are W4A16_NVFP4, layers.0.linear_attn.* FP8, lm_head NVFP4, embeddings untouched.
    assert.strictEqual(bits(group('mlp')), 4 + 8 / 16);
    assert.strictEqual(bits(group('attention')), 8.002);
    assert.strictEqual(bits({ role: 'lm-head', params: 1, tp: 'vocab', quantizable: false }), 4 + 8 / 16);
    assert.strictEqual(bits({ role: 'embedding', params: 1, tp: 'vocab', quantizable: false }), undefined);
    assert.strictEqual(s.kvCacheDtype, 'fp8');
    // DeepSeek-V4 NVFP4: only the routed experts are named (NVFP4); the export still says quant_method fp8 for the rest.
    const v4 = schemeFromConfig(readConfig('deepseek-v4/DeepSeek-V4-Flash-NVFP4').quantization_config as Record<string, unknown>)!;
    assert.strictEqual(v4.bitsOf!(group('expert')), 4 + 8 / 16);
    assert.strictEqual(v4.bitsOf!(group('attention')), 8.002);
  });

  it('reads several compressed-tensors groups by their targets, and MXFP4 by its format', () => {
    const mixed = schemeFromConfig(readConfig('deepseek-v4/DeepSeek-V4-Flash-NVFP4-FP8').quantization_config as Record<string, unknown>)!;
    // group_0: FP8 block on attention projections; group_1: NVFP4 on ffn gate/up/down.
    assert.strictEqual(mixed.bitsOf!(group('attention')), schemeFromName('fp8')!.bitsPerWeight);
    assert.strictEqual(mixed.bitsOf!(group('expert')), 4 + 8 / 16);
    assert.ok(!mixed.converts(group('router')));
    const k3 = (readConfig('kimi-k3/Kimi-K3').text_config as Record<string, unknown>).quantization_config as Record<string, unknown>;
    const mx = schemeFromConfig(k3)!;
    assert.strictEqual(mx.weightDtype, 'mxfp4');
    assert.strictEqual(mx.bitsPerWeight, 4 + 8 / 32);
    assert.ok(mx.converts(group('expert')) && !mx.converts(group('attention')) && !mx.converts(group('shared-expert')));
    // DeepSeek-V4's own checkpoint: FP8 block body, routed experts FP4 (expert_dtype beside the quantization_config).
    const base = model('deepseek-v4/DeepSeek-V4-Flash').quantizationConfig!;
    const v4 = schemeFromConfig(base)!;
    assert.strictEqual(v4.expertBitsPerWeight, 4 + 8 / 32);
    assert.strictEqual(v4.weightDtype, 'fp8');
  });

  it('knows the override names of the CLI and GGUF types', () => {
    for (const n of ['fp8', 'int8', 'int4', 'awq', 'gptq', 'mxfp4', 'nvfp4', 'q4_0', 'q4_k_m', 'q5_k_m', 'q6_k', 'q8_0', 'f16', 'compressed-tensors']) {
      assert.ok(isKnownQuantization(n), n);
    }
    assert.ok(!isKnownQuantization('int5'));
    assert.strictEqual(schemeFromName('q6_k')!.bitsPerWeight, 6.5625);
    assert.strictEqual(schemeFromName('nvfp4')!.compute, 'fp4');
    assert.strictEqual(schemeFromName('f16'), undefined);
  });

  it('sizes plain dtypes', () => {
    assert.strictEqual(dtypeBytes('float32'), 4);
    assert.strictEqual(dtypeBytes('torch.bfloat16'), 2);
    assert.strictEqual(dtypeBytes('float8_e4m3fn'), 1);
  });
});
