import * as assert from 'assert';
import { schemeFromConfig, schemeFromName } from '../../../src/core/quantization';
import { pipelineLayerRanges, rotaryCacheBytes, totalWeightBytes, weightBytesPerRank } from '../../../src/core/weights';
import { LayerDescription, WeightGroup, WeightSink, copiesIn, forEachCopy, sumParams } from '../../../src/core/model';
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
    const other = sumParams(m.weights) - expertWeights - expertBiases;
    const expected = (expertWeights * 4.25) / 8 + (expertBiases + other) * 2;
    assertWithin(totalWeightBytes(m, { baseDtypeBytes: 2, scheme }), expected, 1e-6, 'gpt-oss-20b');
  });

  it('uses GGUF block sizes for every matrix (Q4_0 4.5 bits, Q8_0 8.5 bits)', () => {
    const m = model('llama2/Llama-2-7b-hf');
    const matrices = sumParams(m.weights, (g) => g.role !== 'norm' && g.role !== 'bias');
    const norms = sumParams(m.weights, (g) => g.role === 'norm');
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

describe('weight groups folded over repeated layers (WeightSink)', () => {
  const layered = (m: { weights: WeightGroup[] }) => m.weights.filter((g) => g.layer !== undefined);

  it('folds Llama-3.1-8B\'s 32 identical layers into one copy of each group, 32 layers long, and keeps 8,030,261,248 parameters', () => {
    const m = model('llama3.1/Meta-Llama-3.1-8B');
    const groups = layered(m);
    assert.ok(groups.length > 0 && groups.length <= 8, `${groups.length} layered groups`);
    for (const g of groups) assert.deepStrictEqual([g.layer, g.layerSpan], [0, 32]);
    // The model card's count, and the per-layer sum: 32 × (q, k, v, o, gate, up, down + two norms).
    assert.strictEqual(sumParams(m.weights), 8_030_261_248);
    assert.strictEqual(sumParams(groups), 32 * (linearPerLayer(llama8b) + 2 * llama8b.h));
  });

  it('keeps DeepSeek-V3\'s three dense layers and its 58 MoE layers apart (first_k_dense_replace 3 of 61)', () => {
    const m = model('deepseek-v3/DeepSeek-V3.1');
    const runs = [...new Set(layered(m).map((g) => `${g.layer}+${g.layerSpan ?? 1}`))];
    assert.deepStrictEqual(runs, ['0+3', '3+58']);
  });

  it('folds gpt-oss\'s alternating sliding and full layers (the same weights) into one run of 24', () => {
    const m = model('gpt-oss/gpt-oss-20b');
    assert.ok(m.layers.some((l) => l.attention?.type === 'sliding') && m.layers.some((l) => l.attention?.type === 'full'));
    for (const g of layered(m)) assert.deepStrictEqual([g.layer, g.layerSpan], [0, 24]);
  });

  it('leaves a checkpoint quantized module by module (ModelOpt quantized_layers) one group per layer', () => {
    const m = model('deepseek-v4/DeepSeek-V4-Flash-NVFP4');
    const groups = layered(m);
    assert.ok(groups.every((g) => g.layerSpan === undefined));
    assert.strictEqual(new Set(groups.map((g) => g.layer)).size, m.numLayers);
  });

  it('folds only layers whose groups match one for one and whose experts are the same, keeping layer-less groups in place', () => {
    const dense: LayerDescription = { index: 0, mlpIntermediate: 8, gatedMlp: true, attention: { type: 'full', heads: 1, kvHeads: 1, headDim: 4 } };
    const moeA = { experts: 4, expertsPerToken: 2, expertIntermediate: 8, sharedExperts: 0, paramsPerExpert: 96 };
    const withMoe = (moe: typeof moeA): LayerDescription => ({ ...dense, moe, mlpIntermediate: 0 });
    const layers = [dense, dense, withMoe(moeA), withMoe({ ...moeA, expertsPerToken: 1 }), dense, dense].map((l, index) => ({ ...l, index }));
    const sink = new WeightSink();
    const add = (layer: number | undefined, params = 16) => sink.add('attention', params, 'split', layer, true, 4, 4);
    // Layers 0–1 fold; 2 and 3 have the same groups but differ in top-k; 4 stands alone (5 comes after a layer-less
    // group, and has two groups).
    for (const [layer, params] of [[undefined, 16], [0, 16], [1, 16], [2, 16], [3, 16], [4, 16], [undefined, 16], [5, 16], [5, 32]] as const) add(layer, params);
    const folded = sink.finish(layers);
    assert.deepStrictEqual(folded.map((x) => [x.layer, x.layerSpan]), [
      [undefined, undefined], [0, 2], [2, undefined], [3, undefined], [4, undefined], [undefined, undefined], [5, undefined], [5, undefined],
    ]);
    assert.strictEqual(sumParams(folded), 9 * 16 + 16);
    assert.deepStrictEqual(folded[1].shape, { input: 4, output: 4 });
  });

  it('gives one copy per layer when asked not to fold (per-layer quantization), in the order added', () => {
    const layer: LayerDescription = { index: 0, mlpIntermediate: 8, gatedMlp: true };
    const sink = new WeightSink();
    for (let i = 0; i < 3; i++) { sink.add('mlp', 10, 'split', i, true, 2, 5); sink.add('norm', 2, 'replicated', i, false); }
    const groups: WeightGroup[] = sink.finish([0, 1, 2].map((index) => ({ ...layer, index })), false);
    assert.deepStrictEqual(groups.map((g) => [g.role, g.layer, g.layerSpan]), [
      ['mlp', 0, undefined], ['norm', 0, undefined], ['mlp', 1, undefined], ['norm', 1, undefined], ['mlp', 2, undefined], ['norm', 2, undefined],
    ]);
  });

  it('folds a 3:1 hybrid by its period: Qwen3.5-27B\'s 64 layers (full_attention_interval 4) are four runs of 16, four layers apart', () => {
    const m = model('qwen3.5/Qwen3.5-27B');
    const runs = [...new Set(layered(m).map((g) => `${g.layer}+${g.layerSpan}x${g.layerStride}`))];
    assert.deepStrictEqual(runs, ['0+16x4', '1+16x4', '2+16x4', '3+16x4']);
    // The run at layer 3 holds the full-attention layers (3, 7, …, 63); the others the linear-attention ones.
    for (const g of layered(m)) forEachCopy(g, m.numLayers, (l) => assert.strictEqual(m.layers[l].attention?.type === 'full', g.layer === 3, `layer ${l}`));
  });

  it('folds Llama 3.2 Vision\'s cross-attention layers (3, 8, …, 98 of 100) and Kimi-K3\'s 3:1 KDA/MLA stack with its first dense layer and last MLA layer apart', () => {
    const vision = model('multimodal/Llama-3.2-90B-Vision-Instruct');
    assert.deepStrictEqual([...new Set(layered(vision).map((g) => `${g.layer}+${g.layerSpan}x${g.layerStride}`))], ['0+20x5', '1+20x5', '2+20x5', '3+20x5', '4+20x5']);
    for (const g of layered(vision)) forEachCopy(g, vision.numLayers, (l) => assert.strictEqual(!!vision.layers[l].crossAttention, g.layer === 3));
    // Kimi-K3: full_attn_layers 4, 8, …, 92, 93 (1-based), first_k_dense_replace 1.
    const kimi = model('kimi-k3/Kimi-K3');
    assert.deepStrictEqual([...new Set(layered(kimi).map((g) => `${g.layer}+${g.layerSpan ?? 1}x${g.layerStride ?? 1}`))], ['0+1x1', '1+23x4', '2+23x4', '3+23x4', '4+22x4', '92+1x1']);
  });

  it('counts the copies of a strided group in a range of layers (a pipeline stage)', () => {
    const g: WeightGroup = { role: 'attention', params: 1, tp: 'split', layer: 3, layerSpan: 16, layerStride: 4, quantizable: true };
    assert.strictEqual(copiesIn(g, 0, 64), 16);
    assert.strictEqual(copiesIn(g, 0, 32), 8); // 3, 7, …, 31
    assert.strictEqual(copiesIn(g, 10, 20), 3); // 11, 15, 19
    assert.strictEqual(copiesIn(g, 64, 80), 0);
    assert.strictEqual(copiesIn({ ...g, layer: undefined }, 0, 64), 0);
  });

  it('gives back every layer\'s groups, in order, once folded (300 generated stacks: patterns, prefixes, odd layers, layer-less groups)', () => {
    let seed = 7;
    const rand = (k: number) => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % k; };
    const moeA = { experts: 8, expertsPerToken: 2, expertIntermediate: 16, sharedExperts: 0, paramsPerExpert: 1 };
    for (let c = 0; c < 300; c++) {
      const n = 1 + rand(60);
      const period = 1 + rand(6);
      const pattern = Array.from({ length: period }, () => rand(3));
      // A layer's kind: its place in the pattern, with a few layers anywhere of another kind.
      const kinds = Array.from({ length: n }, (_, i) => (rand(10) === 0 ? 3 + rand(2) : pattern[i % period]));
      const layers: LayerDescription[] = kinds.map((k, index) => ({ index, mlpIntermediate: 0, gatedMlp: true, ...(k === 4 ? { moe: moeA } : {}), ...(k === 2 ? { mamba: { kind: 'mamba2', convElements: 1, ssmElements: 1, ssmFloat32: true, heads: 1 } } : { attention: { type: 'full', heads: 1, kvHeads: 1, headDim: 8 } }) }));
      const expected: string[] = [];
      const sink = new WeightSink();
      const add = (layer: number | undefined, role: WeightGroup['role'], params: number) => {
        sink.add(role, params, 'split', layer, true, 2, params);
        expected.push(`${layer ?? '-'} ${role} ${params}`);
      };
      add(undefined, 'embedding', 1000);
      for (let i = 0; i < n; i++) {
        const groups = 1 + (kinds[i] % 3);
        for (let g = 0; g < groups; g++) add(i, g === 0 ? 'attention' : 'mlp', 10 * (kinds[i] + 1) + g);
        if (rand(40) === 0) add(undefined, 'norm', 7);
      }
      add(undefined, 'lm-head', 2000);
      const folded = sink.finish(layers);
      // Expanded: each layer's groups in the order they were added, and the layer-less groups in theirs.
      const perLayer = new Map<number, string[]>();
      const layerless: string[] = [];
      for (const g of folded) {
        if (g.layer === undefined) layerless.push(`- ${g.role} ${g.params}`);
        forEachCopy(g, n, (l) => { if (!perLayer.has(l)) perLayer.set(l, []); perLayer.get(l)!.push(`${l} ${g.role} ${g.params}`); });
      }
      const got = [...perLayer.keys()].sort((a, b) => a - b).flatMap((l) => perLayer.get(l)!);
      assert.deepStrictEqual(got, expected.filter((e) => !e.startsWith('-')), `case ${c}: ${kinds.join('')}`);
      assert.deepStrictEqual(layerless, expected.filter((e) => e.startsWith('-')), `case ${c}`);
      assert.ok(folded.length <= expected.length, `case ${c}`);
    }
  });
});
