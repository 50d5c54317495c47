import * as assert from 'assert';
import { schemeFromConfig, schemeFromName } from '../../../src/core/quantization';
import { pipelineLayerRanges, rotaryCacheBytes, totalWeightBytes, weightBytesPerRank } from '../../../src/core/weights';
import { assertWithin, budget, model, readConfig, readSide } from './helpers';

const llama8b = { h: 4096, L: 32, H: 32, Hkv: 8, d: 128, I: 14336, V: 128256 };
const linearPerLayer = (s: typeof llama8b): number => s.h * s.H * s.d + 2 * s.h * s.Hkv * s.d + s.H * s.d * s.h + 3 * s.h * s.I;

describe('weights', () => {
  it('stores bf16 Llama-3.1-8B at 2 bytes per parameter', () => {
    assert.strictEqual(totalWeightBytes(model('llama3.1/Meta-Llama-3.1-8B'), { baseDtypeBytes: 2 }), 8_030_261_248 * 2);
  });

  it('keeps embeddings, head and norms in 16-bit under fp8 and converts the linear layers', () => {
    const s = llama8b;
    const linear = s.L * linearPerLayer(s);
    const rest = 2 * s.V * s.h + s.L * 2 * s.h + s.h;
    const expected = linear * (8.002 / 8) + rest * 2;
    assertWithin(totalWeightBytes(model('llama3.1/Meta-Llama-3.1-8B'), { baseDtypeBytes: 2, scheme: schemeFromName('fp8') }), expected, 1e-9, 'fp8');
  });

  it('sizes GPTQ int4 g128 as 4 bits plus a 16-bit scale and 4-bit zero per 128 weights', () => {
    const s = llama8b;
    const linear = s.L * linearPerLayer(s);
    const rest = 2 * s.V * s.h + s.L * 2 * s.h + s.h;
    const expected = (linear * (4 + 20 / 128)) / 8 + rest * 2;
    assertWithin(totalWeightBytes(model('llama3.1/Meta-Llama-3.1-8B'), { baseDtypeBytes: 2, scheme: schemeFromName('gptq') }), expected, 1e-9, 'gptq');
  });

  it('quantizes only gpt-oss experts with MXFP4 (4.25 bits) and keeps attention, router, embeddings in bf16', () => {
    const m = model('gpt-oss/gpt-oss-20b');
    const scheme = schemeFromConfig(m.quantizationConfig)!;
    assert.strictEqual(scheme.weightDtype, 'mxfp4');
    const h = 2880, I = 2880, E = 32, L = 24;
    const expertWeights = L * E * (h * 2 * I + I * h);
    const expertBiases = L * E * (2 * I + h);
    const other = m.weights.reduce((t, g) => t + g.params, 0) - expertWeights - expertBiases;
    const expected = (expertWeights * 4.25) / 8 + (expertBiases + other) * 2;
    assertWithin(totalWeightBytes(m, { baseDtypeBytes: 2, scheme }), expected, 1e-6, 'gpt-oss-20b');
  });

  it('uses GGUF block sizes for every matrix (Q4_0 4.5 bits, Q8_0 8.5 bits)', () => {
    const m = model('llama2/Llama-2-7b-hf');
    const matrices = m.weights.filter((g) => g.role !== 'norm' && g.role !== 'bias').reduce((t, g) => t + g.params, 0);
    const norms = m.weights.filter((g) => g.role === 'norm').reduce((t, g) => t + g.params, 0);
    assertWithin(totalWeightBytes(m, { baseDtypeBytes: 2, scheme: schemeFromName('q4_0') }), (matrices * 4.5) / 8 + norms * 4, 1e-9, 'q4_0');
    assertWithin(totalWeightBytes(m, { baseDtypeBytes: 2, scheme: schemeFromName('q8_0') }), (matrices * 8.5) / 8 + norms * 4, 1e-9, 'q8_0');
  });

  it('splits layers across pipeline stages like vLLM (extra layers before the last stage)', () => {
    assert.deepStrictEqual(pipelineLayerRanges(32, 4).map((r) => r.end - r.start), [8, 8, 8, 8]);
    assert.deepStrictEqual(pipelineLayerRanges(61, 4).map((r) => r.end - r.start), [15, 15, 16, 15]);
    assert.deepStrictEqual(pipelineLayerRanges(62, 4).map((r) => r.end - r.start), [15, 16, 16, 15]);
    assert.deepStrictEqual(pipelineLayerRanges(3, 8).map((r) => r.end - r.start), [1, 1, 1]);
  });

  it('shards weights per rank: TP divides linears and pads the vocabulary to 64, PP gives the embedding to stage 0', () => {
    const m = model('llama3.1/Meta-Llama-3.1-8B');
    const s = llama8b;
    const norms = s.L * 2 * s.h + s.h;
    const tp2 = weightBytesPerRank(m, { baseDtypeBytes: 2 }, { tp: 2, pp: 1, stage: 0 });
    assert.strictEqual(tp2, ((s.L * linearPerLayer(s)) / 2) * 2 + 2 * ((Math.ceil(s.V / 64) * 64) / 2) * s.h * 2 + norms * 2);
    const pp4first = weightBytesPerRank(m, { baseDtypeBytes: 2 }, { tp: 1, pp: 4, stage: 0 });
    assert.strictEqual(pp4first, (8 * (linearPerLayer(s) + 2 * s.h) + s.V * s.h) * 2);
    const pp4middle = weightBytesPerRank(m, { baseDtypeBytes: 2 }, { tp: 1, pp: 4, stage: 1 });
    assert.strictEqual(pp4middle, 8 * (linearPerLayer(s) + 2 * s.h) * 2);
  });

  it('keeps vLLM rotary tables: positions x rotary dim (linear scaling multiplies positions; Gemma 3 keeps two)', () => {
    assert.strictEqual(rotaryCacheBytes(model('llama3.1/Meta-Llama-3.1-8B'), 2), 131072 * 128 * 2);
    assert.strictEqual(rotaryCacheBytes(model('gemma3/gemma-3-4b-it'), 2), (131072 * 8 + 131072) * 256 * 2);
    assert.strictEqual(rotaryCacheBytes(model('phi/phi-2'), 2), 2048 * 32 * 2);
  });

  it('reports the exact stored bytes of a safetensors index beside the config', () => {
    const index = readSide('mistral/Mistral-7B-v0.1', 'model.safetensors.index.json') as { metadata: { total_size: number } };
    assert.strictEqual(budget('mistral/Mistral-7B-v0.1').model.weightBytes, index.metadata.total_size);
    // An fp32 checkpoint is held in 16-bit by vLLM: half the stored bytes.
    const fp32 = readSide('llama3/Reflection-Llama-3.1-70B', 'model.safetensors.index.json') as { metadata: { total_size: number } };
    assert.strictEqual(budget('llama3/Reflection-Llama-3.1-70B').model.weightBytes, fp32.metadata.total_size / 2);
    assert.ok(readConfig('mistral/Mistral-7B-v0.1'));
  });
});
