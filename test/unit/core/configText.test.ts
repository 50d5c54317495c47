import * as assert from 'assert';
import { parseCheckpointIndex, parseConfigText, replacePythonJsonLiterals } from '../../../src/core/configText';
import * as fs from 'fs';
import * as path from 'path';
import { CONFIGS, readConfig } from './helpers';
import { parseModelConfig } from '../../../src/formats/hfConfig';
import { computeBudget } from '../../../src/core/budget';

describe('config text', () => {
  it('accepts the Infinity that Python writes into Nemotron-H', () => {
    const text = fs.readFileSync(path.join(CONFIGS, 'nemotron-h/Nemotron-H-56B-Base-8K/config.json'), 'utf8');
    assert.throws(() => JSON.parse(text));
    const r = parseConfigText(text);
    assert.ok(r.ok);
    if (r.ok) assert.deepStrictEqual((r.value as { time_step_limit: unknown }).time_step_limit, [0, null]);
  });
  it('leaves strings alone and reports real syntax errors', () => {
    assert.strictEqual(replacePythonJsonLiterals('{"a": "NaN Infinity", "b": -Infinity}'), '{"a": "NaN Infinity", "b": null}');
    const bad = parseConfigText('{"a": ');
    assert.strictEqual(bad.ok, false);
  });

  it('reduces every checkpoint index of the corpus to its metadata, as JSON.parse reads it', () => {
    const indexes: string[] = [];
    const walk = (d: string): void => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) walk(p); else if (/\.index\.json$/.test(e.name)) indexes.push(p);
      }
    };
    walk(CONFIGS);
    assert.ok(indexes.length >= 10, `${indexes.length} index files`);
    for (const file of indexes) {
      const text = fs.readFileSync(file, 'utf8');
      const r = parseCheckpointIndex(text);
      assert.ok(r.ok, file);
      assert.deepStrictEqual(r.value, { metadata: (JSON.parse(text) as { metadata: unknown }).metadata }, file);
    }
  });

  it('falls back to a whole parse when the metadata cannot be cut out, and refuses what is not an index', () => {
    const nested = '{"metadata": {"total_size": 10, "extra": {"a": 1}}, "weight_map": {"w": "f.safetensors"}}';
    assert.deepStrictEqual(parseCheckpointIndex(nested), { ok: true, value: { metadata: { total_size: 10, extra: { a: 1 } } } });
    assert.deepStrictEqual(parseCheckpointIndex('{"weight_map": {"w": "f.safetensors"}}'), { ok: true, value: {} });
    assert.strictEqual(parseCheckpointIndex('[1, 2]').ok, false);
    assert.strictEqual(parseCheckpointIndex('{"weight_map": ').ok, false);
  });
});

describe('hardening: config text and checkpoint indexes', () => {
  it('accepts a UTF-8 byte-order mark before the JSON', () => {
    const r = parseConfigText('\ufeff{"model_type": "llama"}');
    assert.ok(r.ok && (r.value as Record<string, unknown>).model_type === 'llama');
  });

  it('reads "__proto__" as data in the editor\'s parser, as JSON.parse does in the CLI', () => {
    const text = '{"architectures": ["LlamaForCausalLM"], "quantization_config": {"__proto__": {"quant_method": "gptq", "bits": 4}}}';
    const editor = parseModelConfig(text).config!.quantization_config as Record<string, unknown>;
    const cli = (JSON.parse(text) as Record<string, Record<string, unknown>>).quantization_config;
    assert.strictEqual(editor.quant_method, undefined);
    assert.strictEqual(cli.quant_method, undefined);
    assert.strictEqual(Object.getPrototypeOf(editor), Object.prototype);
  });

  it('ignores a checkpoint index whose total is far from what the shapes give, and says so', () => {
    const config = readConfig('llama3.1/Meta-Llama-3.1-8B');
    const r = computeBudget({ config, safetensorsIndex: { metadata: { total_size: 1e30 } } }, { maxModelLen: 8192 });
    assert.ok(r.ok);
    if (!r.ok) return;
    // 8,030,261,248 bf16 parameters.
    assert.strictEqual(r.report.model.weightBytes, 8_030_261_248 * 2);
    assert.ok(r.report.model.assumptions.some((a) => /checkpoint index says .* ignored/.test(a)));
  });
});
