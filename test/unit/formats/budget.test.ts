import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { editForInput, parseDocument } from '../../../src/formats';
import { ROOT, slice, apply, replaceOnce } from './helpers';

const EXAMPLE = path.join(ROOT, 'examples/deployments/llama-8b.budget.yaml');

describe('formats: budget file', () => {
  const text = fs.readFileSync(EXAMPLE, 'utf8');
  const doc = parseDocument(EXAMPLE, text);
  const d = doc.deployments[0];

  it('reads model, hardware, engine and workload', () => {
    assert.strictEqual(doc.kind, 'budget-file');
    assert.deepStrictEqual(doc.problems, []);
    assert.strictEqual(d.engine, 'vllm');
    assert.strictEqual(d.label, 'llama-8b.budget.yaml · meta-llama/Llama-3.1-8B-Instruct');
    assert.deepStrictEqual(d.inputs, {
      engine: 'vllm@0.19.0', gpu: 'H100', gpuCount: 1, tensorParallel: 1, maxModelLen: 32768, gpuMemoryUtilization: 0.9,
      maxNumSeqs: 256, kvCacheDtype: 'auto',
    });
    assert.deepStrictEqual(d.workload, { promptTokens: 2048, outputTokens: 512, targetConcurrency: 32, ttftMs: 500, tpotMs: 50 });
    assert.strictEqual(d.model?.name, 'meta-llama/Llama-3.1-8B-Instruct');
    assert.strictEqual(slice(text, d.anchor), 'model: meta-llama/Llama-3.1-8B-Instruct');
  });

  it('has key and value ranges', () => {
    const want: Record<string, [string, string]> = {
      gpu: ['H100', 'gpu'], gpuCount: ['1', 'count'], maxModelLen: ['32768', 'maxModelLen'], engine: ['0.19.0', 'version'],
      gpuMemoryUtilization: ['0.9', 'gpuMemoryUtilization'], kvCacheDtype: ['auto', 'kvCacheDtype'],
    };
    for (const [k, [v, key]] of Object.entries(want)) {
      assert.strictEqual(slice(text, d.valueRanges[k as 'gpu']), v, k);
      assert.strictEqual(slice(text, d.keyRanges[k as 'gpu']), key, k);
    }
  });

  it('edits values and adds keys to their section', () => {
    assert.strictEqual(apply(text, editForInput(text, d, 'maxModelLen', 65536)), replaceOnce(text, 'maxModelLen: 32768', 'maxModelLen: 65536'));
    assert.strictEqual(apply(text, editForInput(text, d, 'engine', '0.20.0')), replaceOnce(text, 'version: "0.19.0"', 'version: "0.20.0"'));
    assert.strictEqual(apply(text, editForInput(text, d, 'gpu', 'H200')), replaceOnce(text, 'gpu: H100', 'gpu: H200'));
    assert.strictEqual(apply(text, editForInput(text, d, 'dtype', 'bfloat16')),
      replaceOnce(text, '  kvCacheDtype: auto\n', '  kvCacheDtype: auto\n  dtype: bfloat16\n'));
  });

  it('adds a missing section', () => {
    const t = 'model: Qwen/Qwen3-8B\nhardware:\n    gpu: L40S\n';
    const dd = parseDocument('inference-budget.yaml', t).deployments[0];
    assert.strictEqual(apply(t, editForInput(t, dd, 'maxModelLen', 8192)), t + 'engine:\n    maxModelLen: 8192\n');
    assert.strictEqual(apply(t, editForInput(t, dd, 'gpuCount', 2)), t + '    count: 2\n');
  });

  it('turns schema errors into problems at the offending text', () => {
    const t = [
      'model: meta-llama/Llama-3.1-8B-Instruct',
      'hardware:',
      '  gpu: H100',
      '  count: many',
      'engine:',
      '  name: llamacpp',
      '  maxModelLen: -4',
      '  gpuMemoryUtilization: 1.4',
      '  tensorParalel: 2',
      'workload:',
      '  ttftMs: fast',
      '',
    ].join('\n');
    const r = parseDocument('bad.budget.yml', t);
    assert.strictEqual(r.kind, 'budget-file');
    const got = r.problems.map((p) => [p.severity, t.slice(p.range.start, p.range.end)]).sort();
    assert.deepStrictEqual(got, [
      ['error', '-4'], ['error', '1.4'], ['error', 'fast'], ['error', 'llamacpp'], ['error', 'many'], ['error', 'tensorParalel'],
    ]);
    const unknown = r.problems.find((p) => t.slice(p.range.start, p.range.end) === 'tensorParalel');
    assert.match(unknown!.message, /Unknown property "tensorParalel"/);
    const name = r.problems.find((p) => t.slice(p.range.start, p.range.end) === 'llamacpp');
    assert.match(name!.message, /"vllm", "sglang", "tgi"/);
    // Bad values are left out of the inputs.
    const dd = r.deployments[0];
    assert.strictEqual(dd.inputs.maxModelLen, undefined);
    assert.strictEqual(dd.inputs.gpuCount, undefined);
    assert.strictEqual(dd.inputs.gpu, 'H100');
  });

  it('reads a price per GPU-hour under hardware, and refuses one that is not above 0 at its value', () => {
    const priced = replaceOnce(text, 'count: 1', 'count: 1\n  pricePerGpuHour: 2.49');
    const p = parseDocument('priced.budget.yaml', priced);
    assert.deepStrictEqual(p.problems, []);
    assert.strictEqual(p.deployments[0].inputs.pricePerGpuHour, 2.49);
    assert.strictEqual(slice(priced, p.deployments[0].valueRanges.pricePerGpuHour!), '2.49');
    const bad = replaceOnce(text, 'count: 1', 'count: 1\n  pricePerGpuHour: -3');
    const q = parseDocument('bad.budget.yaml', bad);
    assert.strictEqual(q.problems.length, 1, JSON.stringify(q.problems));
    assert.strictEqual(slice(bad, q.problems[0].range), '-3');
    assert.strictEqual(q.deployments[0]?.inputs.pricePerGpuHour, undefined);
  });

  it('accepts numbers written as strings and 32k', () => {
    const t = 'model: x/y\nengine:\n  maxModelLen: "32k"\n  maxNumBatchedTokens: 8_192\n';
    const r = parseDocument('a.budget.yaml', t);
    assert.deepStrictEqual(r.problems, []);
    assert.strictEqual(r.deployments[0].inputs.maxModelLen, 32000);
    assert.strictEqual(r.deployments[0].inputs.maxNumBatchedTokens, 8192);
  });

  it('needs a model', () => {
    const r = parseDocument('a.budget.yaml', 'hardware:\n  gpu: H100\n');
    assert.strictEqual(r.problems.length, 1);
    assert.match(r.problems[0].message, /needs "model"/);
    assert.deepStrictEqual(r.problems[0].range, { start: 0, end: 9 });
  });

  it('reports broken YAML and an empty file without throwing', () => {
    const broken = parseDocument('a.budget.yaml', 'model: x\nengine:\n  maxModelLen: [1, 2\n');
    assert.strictEqual(broken.kind, 'budget-file');
    assert.ok(broken.problems.some((p) => p.severity === 'error' && /^YAML/.test(p.message)));
    const empty = parseDocument('a.budget.yaml', '');
    assert.strictEqual(empty.kind, 'budget-file');
    assert.ok(empty.problems.length >= 1);
  });

  it('ships a draft-07 schema with a description on every property', () => {
    const schema = JSON.parse(fs.readFileSync(path.join(ROOT, 'schemas/budget.schema.json'), 'utf8'));
    assert.strictEqual(schema.$schema, 'http://json-schema.org/draft-07/schema#');
    const check = (s: { properties?: Record<string, { description?: string }> }, where: string): void => {
      for (const [k, v] of Object.entries(s.properties ?? {})) {
        assert.ok(v.description, `${where}.${k} has a description`);
        check(v as typeof s, `${where}.${k}`);
      }
    };
    check(schema, 'budget');
  });
});
