import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { detectDocumentKind, editForInput, looksLikeModelConfig, parseDocument, parseModelConfig } from '../../../src/formats';
import { ROOT } from './helpers';


/** The shared corpus of real config.json files, wherever this checkout keeps it. */
function corpusDir(): string | undefined {
  const candidates = [
    process.env.MODEL_CONFIGS_DIR,
    path.join(ROOT, 'shared/model-configs'),
    path.join(ROOT, '../shared/model-configs'),
    '/work/shared/model-configs',
  ];
  return candidates.find((c): c is string => !!c && fs.existsSync(c));
}

function jsonFiles(dir: string, out: string[] = []): string[] {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) jsonFiles(p, out);
    else if (e.name.endsWith('.json')) out.push(p);
  }
  return out.sort();
}

const dir = corpusDir();

describe('formats: Hugging Face config.json', () => {
  it('reads keys, nested keys and their ranges', () => {
    const text = '{\n  "architectures": ["MllamaForConditionalGeneration"],\n  "model_type": "mllama",\n  "text_config": {\n    "num_key_value_heads": 8,\n    "rope_scaling": {"factor": 8.0}\n  },\n  "_name_or_path": "meta-llama/Llama-3.2-90B-Vision-Instruct"\n}\n';
    const doc = parseModelConfig(text);
    assert.deepStrictEqual(doc.problems, []);
    assert.strictEqual((doc.config?.text_config as Record<string, unknown>).num_key_value_heads, 8);
    const r = doc.keyRanges.get('text_config.num_key_value_heads')!;
    assert.strictEqual(text.slice(r.key.start, r.key.end), 'num_key_value_heads');
    assert.strictEqual(text.slice(r.value.start, r.value.end), '8');
    const f = doc.keyRanges.get('text_config.rope_scaling.factor')!;
    assert.strictEqual(text.slice(f.value.start, f.value.end), '8.0');
    const mt = doc.keyRanges.get('model_type')!;
    assert.strictEqual(text.slice(mt.value.start, mt.value.end), 'mllama');
    assert.ok(looksLikeModelConfig('config.json', doc.config));

    // A key that holds dots (ModelOpt's quantized_layers) names one key, never a nested path.
    const dotted = '{"q": {"layers.0.ffn": {"algo": "NVFP4"}, "layers": {"0": {"ffn": {"algo": "FP8"}}}}}';
    const dd = parseModelConfig(dotted);
    const flat = dd.keyRanges.get('q.layers\\.0\\.ffn.algo')!;
    const nested = dd.keyRanges.get('q.layers.0.ffn.algo')!;
    assert.strictEqual(dotted.slice(flat.value.start, flat.value.end), 'NVFP4');
    assert.strictEqual(dotted.slice(nested.value.start, nested.value.end), 'FP8');
    assert.deepStrictEqual(flat.segments, ['q', 'layers.0.ffn', 'algo']);
    assert.deepStrictEqual(nested.segments, ['q', 'layers', '0', 'ffn', 'algo']);

    const parsed = parseDocument('/models/llama/config.json', text);
    assert.strictEqual(parsed.kind, 'hf-config');
    assert.strictEqual(parsed.deployments.length, 1);
    const d = parsed.deployments[0];
    assert.deepStrictEqual(d.inputs, {});
    assert.strictEqual(d.model?.name, 'meta-llama/Llama-3.2-90B-Vision-Instruct');
    assert.strictEqual(text.slice(d.model!.range.start, d.model!.range.end), 'meta-llama/Llama-3.2-90B-Vision-Instruct');
    assert.strictEqual(text.slice(d.anchor.start, d.anchor.end), 'architectures');
    assert.strictEqual(editForInput(text, d, 'maxModelLen', 4096), undefined);
  });

  it('names a model without _name_or_path after its folder', () => {
    const text = '{"model_type": "llama", "num_hidden_layers": 32}';
    const d = parseDocument('/m/Llama-3.1-8B/config.json', text).deployments[0];
    assert.strictEqual(d.model?.name, 'Llama-3.1-8B');
  });

  it('accepts Python\'s NaN and Infinity', () => {
    const text = '{"model_type": "nemotron_h", "time_step_limit": [0.0, Infinity], "x": -Infinity, "y": NaN, "s": "NaN Infinity"}';
    const doc = parseModelConfig(text);
    assert.deepStrictEqual(doc.problems, []);
    assert.deepStrictEqual(doc.config?.time_step_limit, [0, Infinity]);
    assert.strictEqual(doc.config?.x, -Infinity);
    assert.ok(Number.isNaN(doc.config?.y as number));
    assert.strictEqual(doc.config?.s, 'NaN Infinity');
  });

  it('reports malformed JSON with its position and does not throw', () => {
    const text = '{\n  "model_type": "llama",\n  "hidden_size": 4096\n  "num_hidden_layers": 32\n}';
    const doc = parseModelConfig(text);
    assert.ok(doc.problems.length >= 1);
    assert.strictEqual(doc.problems[0].severity, 'error');
    assert.strictEqual(text.slice(doc.problems[0].range.start, doc.problems[0].range.end), '"num_hidden_layers"');
    assert.strictEqual(doc.config?.model_type, 'llama', 'keeps what it could read');
    for (const bad of ['', '[', '{', '[1, 2]', '"x"', '{"a": }', '\u0000\u0001', '{"a": 1} trailing', 'null']) {
      const r = parseModelConfig(bad);
      assert.ok(Array.isArray(r.problems));
      assert.ok(r.config === undefined || typeof r.config === 'object');
    }
    const broken = parseDocument('config.json', '{"model_type": "llama", "hidden_size": ');
    assert.strictEqual(broken.kind, 'hf-config');
    assert.ok(broken.problems.length > 0);
  });

  it('tells model configs from other JSON', () => {
    assert.strictEqual(looksLikeModelConfig('config.json', { architectures: ['LlamaForCausalLM'] }), true);
    assert.strictEqual(looksLikeModelConfig('config.json', { model_type: 'gpt2' }), true);
    assert.strictEqual(looksLikeModelConfig('tokenizer_config.json', { model_type: 'llama' }), false);
    assert.strictEqual(looksLikeModelConfig('config.json', { dim: 2048, n_layers: 27 }), false);
    assert.strictEqual(looksLikeModelConfig('config.json', [1, 2]), false);
    assert.strictEqual(looksLikeModelConfig('config.json', null), false);
    assert.strictEqual(detectDocumentKind('package.json', '{"name": "x", "version": "1.0.0"}'), undefined);
    assert.strictEqual(detectDocumentKind('tsconfig.json', '{\n  // comment\n  "compilerOptions": {},\n}'), undefined);
  });

  describe('the shared corpus', function () {
    before(() => assert.ok(dir, 'the shared model-config corpus (../shared/model-configs) is missing'));
    this.timeout(60000);

    it('parses every config.json with no problems and exact key ranges', () => {
      const files = jsonFiles(dir!);
      assert.ok(files.length > 50, `found ${files.length} files`);
      let configs = 0;
      for (const file of files) {
        const text = fs.readFileSync(file, 'utf8');
        const doc = parseModelConfig(text);
        assert.deepStrictEqual(doc.problems, [], file);
        assert.ok(doc.config, file);
        const base = path.basename(file);
        const native = file.includes('_native-formats');
        if (base !== 'config.json' || native) {
          assert.strictEqual(looksLikeModelConfig(file, doc.config), false, file);
          continue;
        }
        configs++;
        assert.strictEqual(looksLikeModelConfig(file, doc.config), true, file);
        assert.strictEqual(detectDocumentKind(file, text), 'hf-config', file);
        for (const [keyPath, r] of doc.keyRanges) {
          const leaf = r.segments[r.segments.length - 1];
          if (/^\d+$/.test(leaf)) continue;
          assert.strictEqual(text.slice(r.key.start, r.key.end), leaf, `${file}: ${keyPath}`);
          const value: unknown = r.segments.reduce<unknown>((o, k) => (o as Record<string, unknown>)?.[k], doc.config);
          if (typeof value === 'number' && Number.isFinite(value)) {
            assert.strictEqual(Number(text.slice(r.value.start, r.value.end)), value, `${file}: ${keyPath}`);
          } else if (typeof value === 'string') {
            assert.strictEqual(JSON.parse(`"${text.slice(r.value.start, r.value.end)}"`), value, `${file}: ${keyPath}`);
          }
        }
        for (const k of ['num_hidden_layers', 'hidden_size', 'num_attention_heads', 'n_layer', 'text_config.num_hidden_layers']) {
          const r = doc.keyRanges.get(k);
          if (r) assert.strictEqual(text.slice(r.value.start, r.value.end), String(k.split('.').reduce<unknown>((o, kk) => (o as Record<string, unknown>)?.[kk], doc.config)), `${file}: ${k}`);
        }
      }
      assert.ok(configs > 50, `checked ${configs} config.json files`);
    });

    it('does not take the DeepSeek reference-inference files for HF configs', () => {
      const native = jsonFiles(path.join(dir!, '_native-formats'));
      assert.ok(native.length > 0);
      for (const file of native) {
        const text = fs.readFileSync(file, 'utf8');
        assert.strictEqual(looksLikeModelConfig(file, parseModelConfig(text).config), false, file);
        assert.strictEqual(detectDocumentKind(file, text), undefined, file);
      }
    });
  });
});
