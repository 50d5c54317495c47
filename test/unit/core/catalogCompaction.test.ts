// The bundled catalog writes ModelOpt's per-expert `quantized_layers` as one entry per layer, projection and
// algorithm with a `count` (scripts/generate-bundled-models.js). Every model that has an hf_quant_config.json is
// sized here from the corpus folder (the verbatim file) and from its catalog entry: the figures must be equal.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { computeBudget } from '../../../src/core/budget';
import { approximateParameters, bundledEntryFiles } from '../../../src/core/modelResolution';
import { fullMhaComparison } from '../../../src/core/whatIf';
import type { BudgetInputs, BudgetReport, ModelFiles } from '../../../src/core/types';
import { loadModelFiles } from '../../../src/cli/modelFiles';
import { CONFIGS } from './helpers';

interface Entry { id: string; folder: string; config: unknown; files?: Record<string, unknown> }

const catalog = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', '..', '..', 'src', 'core', 'bundled-models.json'), 'utf8')) as Entry[];

function sized(files: ModelFiles, tp: number): BudgetReport {
  const r = computeBudget(files, { gpu: 'B200', gpuCount: tp, tensorParallel: tp, maxModelLen: 4096 });
  if (!r.ok) throw new Error(r.unsupported);
  return r.report;
}

describe('bundled catalog: compacted ModelOpt quantized_layers size exactly as the verbatim files', () => {
  const withQuant = catalog.filter((e) => e.files?.hfQuantConfig && fs.existsSync(path.join(CONFIGS, e.folder, 'hf_quant_config.json')));

  it('covers the models with a per-layer table, Nemotron 3.5 Lightning NVFP4 among them', () => {
    assert.ok(withQuant.some((e) => /Lightning.*NVFP4/.test(e.id)), withQuant.map((e) => e.id).join(', '));
    const lightning = withQuant.find((e) => /Lightning.*NVFP4/.test(e.id))!;
    const verbatim = JSON.parse(fs.readFileSync(path.join(CONFIGS, lightning.folder, 'hf_quant_config.json'), 'utf8')) as { quantization: { quantized_layers: Record<string, unknown> } };
    const compact = (lightning.files!.hfQuantConfig as { quantization: { quantized_layers: Record<string, { count?: number }> } }).quantization.quantized_layers;
    // Every module of the verbatim table is counted once in the compact one.
    const counted = Object.values(compact).reduce((n, e) => n + (e.count ?? 1), 0);
    assert.strictEqual(counted, Object.keys(verbatim.quantization.quantized_layers).length);
    assert.ok(Object.keys(compact).length < Object.keys(verbatim.quantization.quantized_layers).length / 10);
  });

  for (const tp of [1, 8]) {
    it(`weights, KV and capacity are equal at TP ${tp}`, () => {
      for (const e of withQuant) {
        const loaded = loadModelFiles(path.join(CONFIGS, e.folder));
        if (!loaded.ok) throw new Error(loaded.message);
        let fromFolder: BudgetReport;
        try { fromFolder = sized(loaded.files, tp); } catch { continue; } // a TP the model's heads refuse
        const fromCatalog = sized({ ...(e.files as object), config: e.config, nameHint: e.id } as ModelFiles, tp);
        assert.strictEqual(fromCatalog.model.weightBytes, fromFolder.model.weightBytes, `${e.id} weights`);
        assert.strictEqual(fromCatalog.model.weightDtype, fromFolder.model.weightDtype, `${e.id} dtype`);
        assert.strictEqual(fromCatalog.perGpu.weightBytes, fromFolder.perGpu.weightBytes, `${e.id} weights per GPU`);
        assert.strictEqual(fromCatalog.capacity.kvCacheTokens, fromFolder.capacity.kvCacheTokens, `${e.id} KV tokens`);
      }
    });
  }
});

// The catalog keeps only the keys the engine reads (scripts/generate-bundled-models.js, catalogFields.test.ts):
// every entry, sized from the catalog and from its verbatim corpus folder, gives the same report, to the last field.
describe('bundled catalog: every entry sizes exactly as its verbatim corpus config', () => {
  const H100 = (tp: number, more: BudgetInputs = {}): BudgetInputs => ({ gpu: 'H100', gpuCount: tp, tensorParallel: tp, ...more });
  const verbatimFiles = (e: Entry): ModelFiles => {
    const loaded = loadModelFiles(path.join(CONFIGS, e.folder));
    if (!loaded.ok) throw new Error(`${e.folder}: ${loaded.message}`);
    return { ...loaded.files, nameHint: e.id };
  };

  it('covers the whole catalog, from the corpus folders', () => {
    assert.ok(catalog.length > 150, String(catalog.length));
    for (const e of catalog) assert.ok(fs.existsSync(path.join(CONFIGS, e.folder, 'config.json')), e.folder);
  });

  for (const tp of [1, 8]) {
    it(`the same report on H100 at TP ${tp} (${tp === 1 ? 'vLLM, SGLang, llama.cpp, an fp8 KV cache' : 'vLLM'})`, () => {
      const settings = tp === 1 ? [H100(1), H100(1, { engine: 'sglang' }), H100(1, { engine: 'llamacpp' }), H100(1, { kvCacheDtype: 'fp8' })] : [H100(8)];
      let sized = 0;
      for (const e of catalog) {
        const fromCorpus = verbatimFiles(e);
        const fromCatalog = bundledEntryFiles(e);
        for (const inputs of settings) {
          const a = computeBudget(fromCatalog, inputs);
          assert.deepStrictEqual(a, computeBudget(fromCorpus, inputs), `${e.id} ${JSON.stringify(inputs)}`);
          if (a.ok) sized++;
        }
      }
      // Most models size at TP 8 too; those whose heads do not divide by 8 are refused the same way from both.
      assert.ok(sized > catalog.length * settings.length * 0.8, `${sized} sized`);
    });
  }

  it('the same full-MHA comparison, MTP drafter and approximate size', () => {
    for (const e of catalog) {
      const fromCorpus = verbatimFiles(e);
      const fromCatalog = bundledEntryFiles(e);
      assert.deepStrictEqual(fullMhaComparison(fromCatalog, H100(1)), fullMhaComparison(fromCorpus, H100(1)), e.id);
      const mtp: BudgetInputs = { gpu: 'B200', speculativeMethod: 'mtp', speculativeTokens: 2 };
      assert.deepStrictEqual(computeBudget(fromCatalog, mtp), computeBudget(fromCorpus, mtp), e.id);
      assert.strictEqual(approximateParameters(fromCatalog.config), approximateParameters(fromCorpus.config), e.id);
    }
  });

  it('would see a dropped key: Qwen3-8B without num_key_value_heads is sized differently', () => {
    const e = catalog.find((x) => x.id === 'Qwen/Qwen3-8B')!;
    const { num_key_value_heads: kvHeads, ...rest } = e.config as Record<string, unknown>;
    const full = sized(bundledEntryFiles(e), 1);
    const dropped = sized(bundledEntryFiles({ ...e, config: rest }), 1);
    // Layers × KV heads × head_dim × K and V × 2 bytes (bfloat16); without the key every attention head has its KV.
    const c = rest as { num_hidden_layers: number; num_attention_heads: number; head_dim: number };
    assert.ok(typeof kvHeads === 'number' && kvHeads < c.num_attention_heads);
    assert.strictEqual(full.model.kvBytesPerToken, c.num_hidden_layers * kvHeads * c.head_dim * 2 * 2);
    assert.strictEqual(dropped.model.kvBytesPerToken, c.num_hidden_layers * c.num_attention_heads * c.head_dim * 2 * 2);
  });
});
