// The bundled catalog keeps the config keys the engine reads, and only those (scripts/generate-bundled-models.js).
// Which keys the engine reads is recorded, not listed by hand: every corpus config of the catalog is sized under
// several engines and settings through a Proxy that notes each key asked for (configReads.ts). The catalog's
// sizing equals the verbatim configs' in catalogCompaction.test.ts.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import type { BudgetInputs, ModelFiles } from '../../../src/core/types';
import { loadModelFiles } from '../../../src/cli/modelFiles';
import { CONFIGS } from './helpers';
import { KeyRead, recordReads, recorded, recordingEngine } from './configReads';

const ROOT = path.resolve(__dirname, '..', '..', '..', '..');

interface Generator {
  ENGINE_KEYS: Set<string>;
  ENUMERATED: Set<string>;
  trimConfig(config: unknown): unknown;
  trimSideFile(key: string, value: unknown): unknown;
  compactModuleNames(list: unknown[]): unknown[];
  catalogEntries(corpus: string): Entry[];
  catalogText(entries: Entry[]): string;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const generator = require(path.join(ROOT, 'scripts', 'generate-bundled-models.js')) as Generator;

interface Entry { id: string; folder: string; provenance: string; config: Record<string, unknown>; files?: Record<string, unknown> }
const CATALOG_FILE = path.join(ROOT, 'src', 'core', 'bundled-models.json');
const catalog = JSON.parse(fs.readFileSync(CATALOG_FILE, 'utf8')) as Entry[];

/** Settings that lead the engine down its different paths: each engine, tensor parallel, an fp8 KV cache, MTP, a quantization override. */
const SETTINGS: BudgetInputs[] = [
  { gpu: 'H100' },
  { gpu: 'H100', gpuCount: 8, tensorParallel: 8 },
  { gpu: 'H100', engine: 'sglang' },
  { gpu: 'H100', engine: 'llamacpp' },
  { gpu: 'H100', kvCacheDtype: 'fp8', maxModelLen: -1 },
  { gpu: 'B200', speculativeMethod: 'mtp', speculativeTokens: 2 },
  { gpu: 'H100', quantization: 'fp8' },
];

/** The keys the engine asks of the catalog's corpus configs and side files, and the objects whose keys it enumerates. */
function engineReads(): { reads: KeyRead[]; enumerated: (readonly string[])[] } {
  const engine = recordingEngine();
  return recordReads(() => {
    for (const e of catalog) {
      const loaded = loadModelFiles(path.join(CONFIGS, e.folder));
      if (!loaded.ok) throw new Error(`${e.folder}: ${loaded.message}`);
      const files: Record<string, unknown> = { nameHint: e.id };
      for (const [key, value] of Object.entries(loaded.files)) if (key !== 'nameHint') files[key] = recorded(value, key === 'config' ? [] : [key]);
      for (const inputs of SETTINGS) engine.budget.computeBudget(files as unknown as ModelFiles, inputs);
      engine.resolution.approximateParameters(files.config);
      engine.resolution.nameOrPathKey(files.config);
    }
  });
}

describe('bundled catalog: the config keys the engine reads, and only those', function () {
  this.timeout(120_000);
  let seen: { reads: KeyRead[]; enumerated: (readonly string[])[] };
  /** Key names asked of objects whose keys are not enumerated (those keep every key). */
  let asked: Map<string, string>;
  before(() => {
    seen = engineReads();
    const enumerated = new Set(seen.enumerated.map((p) => JSON.stringify(p)));
    asked = new Map();
    for (const r of seen.reads) if (!enumerated.has(JSON.stringify(r.parent)) && !asked.has(r.key)) asked.set(r.key, [...r.parent, r.key].join('.'));
  });

  it('records what the engine asks (the Proxy sees the reads that size a model)', () => {
    // Every model is sized from its layers, hidden size and vocabulary: those keys must have been asked for.
    for (const key of ['num_hidden_layers', 'hidden_size', 'vocab_size', 'num_key_value_heads', 'torch_dtype', 'quant_method', 'total_size']) {
      assert.ok(asked.has(key), key);
    }
    // And keys that only describe the checkpoint's training never are.
    for (const key of ['initializer_range', 'rms_norm_eps', 'transformers_version', 'bos_token_id', 'use_cache']) assert.ok(!asked.has(key), key);
  });

  it('the generator keeps every key the engine asks for', () => {
    const missing = [...asked].filter(([key]) => !generator.ENGINE_KEYS.has(key)).map(([key, where]) => `${key} (as ${where})`);
    assert.deepStrictEqual(missing, [], 'add these to ENGINE_KEYS in scripts/generate-bundled-models.js and run it');
    // Objects whose keys the engine enumerates keep all of them. The top of a config never is (the copy into
    // normalizeConfig's reader is recorded key by key).
    const names = seen.enumerated.map((p) => p[p.length - 1] ?? '(the config itself)');
    const whole = [...new Set(names)].filter((n) => n.endsWith(']') || !generator.ENUMERATED.has(n));
    assert.deepStrictEqual(whole, [], 'add these to ENUMERATED in scripts/generate-bundled-models.js and run it');
  });

  it('the catalog keeps no config key the engine never asks for', () => {
    const kept = new Set<string>();
    const walk = (v: unknown, allKeys: boolean): void => {
      if (Array.isArray(v)) { for (const x of v) walk(x, false); return; }
      if (!v || typeof v !== 'object') return;
      for (const [k, x] of Object.entries(v)) {
        if (!allKeys) kept.add(k);
        walk(x, generator.ENUMERATED.has(k));
      }
    };
    for (const e of catalog) walk(e.config, false);
    assert.deepStrictEqual([...kept].filter((k) => !asked.has(k)).sort(), []);
    // Each entry says what it is and where it comes from, and carries its config and side files; nothing else.
    for (const e of catalog) assert.deepStrictEqual(Object.keys(e).filter((k) => !['id', 'folder', 'provenance', 'config', 'files'].includes(k)), [], e.id);
  });
});

describe('bundled catalog: generated from the corpus', () => {
  it('is what the generator makes of the corpus today (run scripts/generate-bundled-models.js after the corpus changes)', () => {
    const text = fs.readFileSync(CATALOG_FILE, 'utf8');
    assert.strictEqual(text, generator.catalogText(generator.catalogEntries(CONFIGS)));
    // One entry a line, each starting with its id, ASCII only: what the loader indexes without parsing.
    const lines = text.split('\n');
    assert.strictEqual(lines[0], '[');
    assert.strictEqual(lines.length, catalog.length + 3); // `[`, the entries, `]`, the final newline
    catalog.forEach((e, i) => assert.ok(lines[i + 1].startsWith(`{"id":${JSON.stringify(e.id)},`), e.id));
    assert.ok(/^[\x20-\x7e\n]*$/.test(text));
  });

  it('keeps each corpus config with only the keys the engine reads, its values as they are', () => {
    const e = catalog.find((x) => x.id === 'Qwen/Qwen3-8B')!;
    const verbatim = JSON.parse(fs.readFileSync(path.join(CONFIGS, e.folder, 'config.json'), 'utf8')) as Record<string, unknown>;
    for (const [k, v] of Object.entries(e.config)) assert.deepStrictEqual(v, verbatim[k], k);
    for (const k of ['num_hidden_layers', 'num_key_value_heads', 'head_dim', 'hidden_size', 'max_position_embeddings', 'torch_dtype']) assert.ok(k in e.config, k);
    for (const k of ['rms_norm_eps', 'bos_token_id', 'transformers_version', 'use_cache']) assert.ok(k in verbatim && !(k in e.config), k);
  });

  it('writes a module-name list once per name, numbers between dots as *', () => {
    assert.deepStrictEqual(
      generator.compactModuleNames(['model.layers.0.self_attn.q_proj', 'model.layers.1.self_attn.q_proj', 'lm_head', 'model.layers.12.mlp.gate', 'model.layers.3', 7]),
      ['model.layers.*.self_attn.q_proj', 'lm_head', 'model.layers.*.mlp.gate', 'model.layers.*', 7]);
    // GLM-5-FP8 names every layer's modules it leaves unconverted: the catalog has each distinct module once.
    const e = catalog.find((x) => x.id === 'zai-org/GLM-5-FP8')!;
    const verbatim = (JSON.parse(fs.readFileSync(path.join(CONFIGS, e.folder, 'config.json'), 'utf8')) as { quantization_config: { modules_to_not_convert: string[] } }).quantization_config.modules_to_not_convert;
    const distinct = new Set(verbatim.map((n) => n.split('.').map((s) => (/^\d+$/.test(s) ? '*' : s)).join('.')));
    const kept = (e.config.quantization_config as { modules_to_not_convert: string[] }).modules_to_not_convert;
    assert.deepStrictEqual(new Set(kept), distinct);
    assert.strictEqual(kept.length, distinct.size);
    assert.ok(kept.length < verbatim.length / 10, `${kept.length} of ${verbatim.length}`);
  });
});
