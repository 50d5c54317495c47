import * as assert from 'assert';
import { parseConfigText, replacePythonJsonLiterals } from '../../../src/core/configText';
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
});
