// The bundled catalog writes ModelOpt's per-expert `quantized_layers` as one entry per layer, projection and
// algorithm with a `count` (scripts/generate-bundled-models.js). Every model that has an hf_quant_config.json is
// sized here from the corpus folder (the verbatim file) and from its catalog entry: the figures must be equal.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { computeBudget } from '../../../src/core/budget';
import type { BudgetReport, ModelFiles } from '../../../src/core/types';
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
