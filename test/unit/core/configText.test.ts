import * as assert from 'assert';
import { parseCheckpointIndex, parseConfigText, replacePythonJsonLiterals } from '../../../src/core/configText';
import * as fs from 'fs';
import * as path from 'path';
import { CONFIGS } from './helpers';

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
