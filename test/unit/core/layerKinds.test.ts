// Layer kinds (layers alike but for their index, counted) and the per-rank weight tables built from one pass
// over the weight groups. Counts come from the configs' own layer patterns; table sums are checked against
// the per-stage placement rules (every group on exactly one stage, the tied head once more on the last).
import * as assert from 'assert';
import { layerKinds } from '../../../src/core/model';
import { normalizeConfig } from '../../../src/core/normalize';
import { schemeFromConfig } from '../../../src/core/quantization';
import { MXFP4_PADDING_256, WeightPlan, pipelineLayerRanges, rankWeightTable, weightBytesPerRank } from '../../../src/core/weights';
import { allCorpusConfigs, model, readConfig } from './helpers';

const counts = (rel: string, start?: number, end?: number): number[] => layerKinds(model(rel), start, end).map((k) => k.count);

describe('layer kinds', () => {
  it('a dense model is one kind: 32 layers of Llama-3.1-8B, 8 per stage at PP 4', () => {
    assert.deepStrictEqual(counts('llama3.1/Meta-Llama-3.1-8B'), [32]);
    for (const r of pipelineLayerRanges(32, 4)) assert.deepStrictEqual(counts('llama3.1/Meta-Llama-3.1-8B', r.start, r.end), [8]);
  });

  it('gpt-oss-20b alternates sliding and full attention (layer_types): 12 + 12, sliding first', () => {
    const types = readConfig('gpt-oss/gpt-oss-20b').layer_types as string[];
    const kinds = layerKinds(model('gpt-oss/gpt-oss-20b'));
    assert.deepStrictEqual(kinds.map((k) => [k.layer.attention?.type, k.count]), [
      ['sliding', types.filter((t) => t === 'sliding_attention').length],
      ['full', types.filter((t) => t === 'full_attention').length],
    ]);
    assert.strictEqual(kinds[0].layer.index, 0);
    assert.strictEqual(kinds[1].layer.index, 1);
  });

  it('DeepSeek-V3: first_k_dense_replace dense layers, then MoE layers', () => {
    const cfg = readConfig('deepseek-v3/DeepSeek-V3') as { num_hidden_layers: number; first_k_dense_replace: number };
    const kinds = layerKinds(model('deepseek-v3/DeepSeek-V3'));
    assert.deepStrictEqual(kinds.map((k) => [Boolean(k.layer.moe), k.count]), [[false, cfg.first_k_dense_replace], [true, cfg.num_hidden_layers - cfg.first_k_dense_replace]]);
  });

  it('Nemotron-H: one kind per character of hybrid_override_pattern (Mamba, attention, MLP)', () => {
    const pattern = (readConfig('nemotron-h/Nemotron-H-56B-Base-8K') as { hybrid_override_pattern: string }).hybrid_override_pattern;
    const expected = new Map<string, number>();
    for (const ch of pattern) expected.set(ch, (expected.get(ch) ?? 0) + 1);
    const kinds = layerKinds(model('nemotron-h/Nemotron-H-56B-Base-8K'));
    const what = (k: (typeof kinds)[number]): string => (k.layer.mamba ? 'M' : k.layer.attention ? '*' : '-');
    assert.deepStrictEqual(new Map(kinds.map((k) => [what(k), k.count])), expected);
  });

  it('tells apart layers that differ in any field, and counts every layer of every corpus model once', () => {
    for (const rel of allCorpusConfigs()) {
      const r = normalizeConfig(readConfig(rel));
      if (!r.ok) continue;
      const kinds = layerKinds(r.model);
      assert.strictEqual(kinds.reduce((n, k) => n + k.count, 0), r.model.layers.length, rel);
      // Every layer equals (all but its index) its kind's first layer, and no two kinds are equal.
      const strip = (l: object): string => JSON.stringify({ ...l, index: 0 });
      const kindKeys = kinds.map((k) => strip(k.layer));
      assert.strictEqual(new Set(kindKeys).size, kinds.length, `${rel}: duplicate kinds`);
      for (const l of r.model.layers) assert.ok(kindKeys.includes(strip(l)), `${rel}: layer ${l.index} has no kind`);
    }
  });
});

describe('per-rank weight tables', () => {
  it('places every group on exactly one pipeline stage; a tied embedding is held again by the last stage', () => {
    for (const rel of ['llama3.1/Meta-Llama-3.1-8B', 'llama3.2/Llama-3.2-1B', 'deepseek-v3/DeepSeek-V3', 'gpt-oss/gpt-oss-20b', 'gemma3/gemma-3-4b-it', 'nemotron-h/Nemotron-H-56B-Base-8K']) {
      const m = model(rel);
      const plan: WeightPlan = { baseDtypeBytes: 2, scheme: schemeFromConfig(m.quantizationConfig) };
      for (const tp of [1, 2, 8]) {
        const whole = weightBytesPerRank(m, plan, { tp, pp: 1, stage: 0 });
        for (const pp of [2, 3, 4]) {
          let sum = 0;
          for (let stage = 0; stage < pp; stage++) sum += weightBytesPerRank(m, plan, { tp, pp, stage });
          const tiedHead = m.tieWordEmbeddings ? rankWeightTable(m, plan, tp).tiedHeadBytes ?? 0 : 0;
          const expected = whole + tiedHead;
          assert.ok(Math.abs(sum - expected) <= 1e-9 * expected, `${rel} tp ${tp} pp ${pp}: ${sum} vs ${expected}`);
        }
      }
    }
  });

  it('pads MXFP4 experts only in what vLLM allocates (gpt-oss-20b: 2880 -> 3072 columns at TP 1)', () => {
    const m = model('gpt-oss/gpt-oss-20b');
    const plan: WeightPlan = { baseDtypeBytes: 2, scheme: schemeFromConfig(m.quantizationConfig) };
    const stored = weightBytesPerRank(m, plan, { tp: 1, pp: 1, stage: 0 });
    const allocated = weightBytesPerRank(m, plan, { tp: 1, pp: 1, stage: 0, mxfp4ExpertPadding: MXFP4_PADDING_256 });
    // 24 layers x 32 experts x 3 matrices; hidden 2880 and width 2880 both padded to 3072, 4.25 bits per weight.
    const padded = 24 * 32 * 3 * (3072 * 3072 - 2880 * 2880) * (4.25 / 8);
    assert.ok(Math.abs(allocated - stored - padded) <= 1e-9 * padded, `${allocated - stored} vs ${padded}`);
  });

  it('builds one table per model, plan and TP size, and reuses it', () => {
    const m = model('llama3.1/Meta-Llama-3.1-8B');
    const plan: WeightPlan = { baseDtypeBytes: 2 };
    assert.strictEqual(rankWeightTable(m, plan, 2), rankWeightTable(m, { baseDtypeBytes: 2 }, 2));
    assert.notStrictEqual(rankWeightTable(m, plan, 2), rankWeightTable(m, plan, 4));
    assert.notStrictEqual(rankWeightTable(m, plan, 2), rankWeightTable(m, { baseDtypeBytes: 4 }, 2));
  });
});
