// Fuzzing the document readers (src/formats): mutated and truncated manifests and configs through
// parseDocument, parseModelConfig and editForInput. Contract: never throw; every problem has a
// message and a range inside the text; every range a deployment reports is inside the text;
// an edit sets the value it was asked to set and leaves the rest of the document as it was.

import * as assert from 'assert';
import { computeBudget } from '../../src/core/budget';
import { INPUT_SPECS, checkInput } from '../../src/core/inputs';
import { BudgetInputs } from '../../src/core/types';
import { editForInput, parseDocument, parseModelConfig } from '../../src/formats';
import { findDirectives } from '../../src/analysis/directives';
import { DOCUMENT_KINDS, type DeploymentSpec, type FormatProblem, type InputKey, type ParsedDocument, type SourceRange, type TextEdit } from '../../src/formats/types';
import { formatInput, parseInput } from '../../src/formats/values';
import { checkBudgetResult } from './checks';
import { SampleDocument, corpusConfigs, gpuNames, sampleDocuments } from './corpus';
import { Rng, cases, failWith, fuzz } from './harness';
import { DTYPES, ENGINES, KV_DTYPES, QUANTS, gpuName } from './inputs';
import { UNICODE_BITS, deepValue, mutateText } from './mutators';

const KINDS = new Set<string>(DOCUMENT_KINDS);
const SEVERITIES = new Set(['error', 'warning', 'information']);
const INPUT_KEYS: InputKey[] = ['gpu', 'gpuCount', 'tensorParallel', 'pipelineParallel', 'maxModelLen', 'gpuMemoryUtilization', 'maxNumBatchedTokens',
  'maxNumSeqs', 'dtype', 'quantization', 'kvCacheDtype', 'engine', 'blockSize', 'batch', 'context', 'prompt'];
/** Messages of the readers' outer guard: an exception was thrown inside and caught. */
const CAUGHT_THROW = /could not read this document:|Could not read the JSON:|Maximum call stack size exceeded|too much recursion/;

function checkRange(r: SourceRange | undefined, len: number, what: string): void {
  if (!r || typeof r !== 'object') assert.fail(`${what}: no range`);
  if (!Number.isInteger(r.start) || !Number.isInteger(r.end)) assert.fail(`${what}: range ${JSON.stringify(r)} is not integral`);
  if (r.start < 0 || r.end < r.start || r.end > len) assert.fail(`${what}: range ${r.start}..${r.end} is outside the text (length ${len})`);
}

function checkProblems(problems: FormatProblem[], len: number): void {
  assert.ok(Array.isArray(problems), 'problems is not an array');
  for (const p of problems) {
    if (typeof p.message !== 'string' || p.message.trim() === '') assert.fail(`a problem has no message (${JSON.stringify(p).slice(0, 200)})`);
    if (!SEVERITIES.has(p.severity)) assert.fail(`problem severity ${String(p.severity)}`);
    checkRange(p.range, len, `problem "${p.message.slice(0, 80)}"`);
    if (CAUGHT_THROW.test(p.message)) assert.fail(`caught internal exception surfaced as a problem: ${p.message.slice(0, 200)}`);
  }
}

/** Every value a reader hands the engine is one the inputs table accepts (its type, bounds and special values). */
function checkInputs(inputs: BudgetInputs, what: string): void {
  for (const [k, v] of Object.entries(inputs)) {
    if (v === undefined) continue;
    const spec = INPUT_SPECS.get(k as InputKey);
    if (!spec) assert.fail(`${what}.inputs.${k} is not a declared input`);
    const verdict = checkInput(spec, v);
    if (!verdict.ok) assert.fail(`${what}.inputs.${k} = ${JSON.stringify(v)}: ${verdict.message}`);
    if (typeof v === 'string' && v.trim() === '') assert.fail(`${what}.inputs.${k} is an empty string`);
  }
}

function checkDeployment(d: DeploymentSpec, len: number, i: number): void {
  const what = `deployments[${i}]`;
  assert.ok(KINDS.has(d.kind), `${what}.kind ${String(d.kind)}`);
  assert.ok(typeof d.label === 'string', `${what}.label is not a string`);
  checkRange(d.anchor, len, `${what}.anchor`);
  if (d.model) {
    if (typeof d.model.name !== 'string' || d.model.name.trim() === '') assert.fail(`${what}.model.name is empty`);
    checkRange(d.model.range, len, `${what}.model.range`);
  }
  for (const [k, r] of Object.entries(d.valueRanges)) checkRange(r, len, `${what}.valueRanges.${k}`);
  for (const [k, r] of Object.entries(d.keyRanges)) checkRange(r, len, `${what}.keyRanges.${k}`);
  checkInputs(d.inputs, what);
}

export function checkParsedDocument(doc: ParsedDocument, text: string): void {
  assert.ok(doc && typeof doc === 'object', 'parseDocument returned no object');
  if (doc.kind !== undefined) assert.ok(KINDS.has(doc.kind), `kind ${String(doc.kind)}`);
  assert.ok(Array.isArray(doc.deployments), 'deployments is not an array');
  checkProblems(doc.problems, text.length);
  doc.deployments.forEach((d, i) => checkDeployment(d, text.length, i));
}

/** A value to set for `key`: usually valid, sometimes not (editForInput must then decline or write it safely). */
function editValue(rng: Rng, key: InputKey, gpus: readonly string[]): number | string {
  switch (key) {
    case 'gpuMemoryUtilization': return rng.pick<number | string>([0.5, 0.8, 0.85, 0.9, 0.92, 0.95, 1, 0.123456789, '0.7', 0, 1.5, -0.1, NaN, 'x', ' 0.9 ']);
    case 'gpu': return gpuName(rng, gpus);
    case 'dtype': return rng.pick(DTYPES);
    case 'quantization': return rng.pick(QUANTS);
    case 'kvCacheDtype': return rng.pick(KV_DTYPES);
    case 'engine': return rng.pick([...ENGINES, '0.20.0', 'v0.21.0', '0.19.1.post1', 'sglang@0.4.6', 'tgi@3.0.1', 'vllm@0.20.0', 'vllm@x']);
    default:
      return rng.weighted<() => number | string>([
        [6, () => rng.pick([1, 2, 4, 8, 16, 64, 256, 512, 2048, 8192, 32768, 131072])],
        [1, () => rng.logInt(1, 1e9)],
        [1, () => rng.pick(['32k', '64K', '4_096', '1.5k', ' 8 ', '1e3'])],
        [1, () => rng.pick([0, -1, 1.5, NaN, Infinity, 1e10, 'abc', '', '1\n2', '#8', '8 # x', unicodeDigit(rng)])],
      ])();
  }
}

/** Values the engine itself suggests or a person writes in the usual spelling: every format must take them. */
function isCanonical(key: InputKey, value: number | string): boolean {
  switch (key) {
    case 'kvCacheDtype': return ['auto', 'fp8', 'bfloat16', 'float16', 'float32'].includes(String(value));
    case 'dtype': return ['auto', 'bfloat16', 'float16', 'float32'].includes(String(value));
    case 'quantization': return ['fp8', 'int8', 'int4', 'awq', 'gptq', 'mxfp4', 'nvfp4'].includes(String(value));
    case 'engine': return /^vllm@\d+\.\d+\.\d+$/.test(String(value));
    case 'gpu': return /^[A-Za-z0-9][A-Za-z0-9 ._()-]*$/.test(String(value));
    default: return typeof value === 'number';
  }
}

function unicodeDigit(rng: Rng): string { return `8${rng.pick(UNICODE_BITS)}`; }

function applyEdit(text: string, e: TextEdit): string {
  return text.slice(0, e.range.start) + e.newText + text.slice(e.range.end);
}

const errorCount = (problems: FormatProblem[]): number => problems.filter((p) => p.severity === 'error').length;

/**
 * Sets `key` in one deployment and re-reads the document. Always: the edit's range is inside the
 * text and the result reads without throwing. When the document read cleanly: the same kind and
 * deployments come back, the edited one holds the new value, and no other input changed.
 */
function checkEdit(rng: Rng, fileName: string, text: string, doc: ParsedDocument, gpus: readonly string[], log: string[]): void {
  if (!doc.deployments.length) return;
  const index = rng.int(0, doc.deployments.length - 1);
  const spec = doc.deployments[index];
  const key = rng.bool(0.7) && Object.keys(spec.valueRanges).length ? rng.pick(Object.keys(spec.valueRanges) as InputKey[]) : rng.pick(INPUT_KEYS);
  const value = editValue(rng, key, gpus);
  log.push(`edit deployments[${index}] ${key} = ${JSON.stringify(value)}`);
  let edit: TextEdit | undefined;
  try {
    edit = editForInput(text, spec, key, value);
  } catch (e) {
    assert.fail(`editForInput threw: ${(e as Error).message}`);
  }
  if (!edit) return;
  checkRange(edit.range, text.length, 'edit');
  assert.ok(typeof edit.newText === 'string', 'edit.newText is not a string');
  const written = formatInput(key, value);
  if (written === undefined) assert.fail(`editForInput wrote ${JSON.stringify(edit.newText)} for a value formatInput rejects`);
  const after = applyEdit(text, edit);
  // The text outside the edited range is the original text.
  assert.strictEqual(after.slice(0, edit.range.start), text.slice(0, edit.range.start));
  assert.strictEqual(after.slice(edit.range.start + edit.newText.length), text.slice(edit.range.end));
  let doc2: ParsedDocument;
  try { doc2 = parseDocument(fileName, after); } catch (e) { return assert.fail(`parseDocument threw after the edit: ${(e as Error).message}`); }
  checkParsedDocument(doc2, after);
  if (errorCount(doc.problems) > 0) return; // a broken document: only safety is asked of the edit
  log.push(`edited: ${JSON.stringify(after.slice(Math.max(0, edit.range.start - 40), edit.range.start + edit.newText.length + 40))}`);
  if (errorCount(doc2.problems) > 0) {
    // A value the engine accepts but the format does not (a budget file's enums: `fp8_inc`, `FP8`) may
    // be refused by the format after the edit; quick fixes only write canonical values.
    if (!isCanonical(key, value)) return;
    assert.fail(`the edit made the document invalid: ${doc2.problems.filter((p) => p.severity === 'error').map((p) => p.message).join('; ').slice(0, 300)}`);
  }
  assert.strictEqual(doc2.kind, doc.kind, 'the edit changed the document kind');
  assert.strictEqual(doc2.deployments.length, doc.deployments.length, 'the edit changed the number of deployments');
  const spec2 = doc2.deployments[index];
  const expected = parseInput(key, written, key);
  if (key !== 'engine' && expected.ok && spec2.inputs[key] !== expected.value) {
    assert.fail(`after setting ${key} = ${JSON.stringify(written)} the document reads ${key} = ${JSON.stringify(spec2.inputs[key])}`);
  }
  for (const k of INPUT_KEYS) {
    if (k === key || (key === 'engine' && k === 'engine')) continue;
    if (spec.inputs[k] !== spec2.inputs[k]) {
      assert.fail(`setting ${key} changed ${k}: ${JSON.stringify(spec.inputs[k])} -> ${JSON.stringify(spec2.inputs[k])}`);
    }
  }
  doc.deployments.forEach((d, i) => {
    if (i === index) return;
    for (const k of INPUT_KEYS) if (d.inputs[k] !== doc2.deployments[i].inputs[k]) assert.fail(`editing deployments[${index}] changed deployments[${i}].${k}`);
  });
}

/** A file name for a document: its own, or one that makes the readers try another format. */
function fileNameFor(rng: Rng, doc: SampleDocument): string {
  if (rng.bool(0.85)) return doc.fileName;
  return rng.pick(['config.json', 'x.json', 'deploy.yaml', 'a.budget.yaml', 'inference-budget.yml', 'values.yaml', 'compose.yml', 'README', '', '\u202e.yaml', 'C:\\models\\config.json']);
}

describe('fuzz: readers', function () {
  this.timeout(120_000);
  const docs = sampleDocuments();
  const configs = corpusConfigs();
  const gpus = gpuNames();
  const models = configs.filter((c) => c.files);

  it('parseDocument: mutated and truncated manifests', () => {
    fuzz('readers.parseDocument', cases('readers.parseDocument'), (rng) => {
      const d = rng.pick(docs);
      const m = mutateText(rng, d.text, { syntax: 'yaml', heavy: rng.bool(0.03) }, 3);
      const fileName = fileNameFor(rng, d);
      const detail = { source: d.fileName, fileName, mutations: m.log };
      let doc: ParsedDocument;
      // Compose files are read with the variables of a .env beside them, sometimes empty or with odd values.
      const dotEnv = rng.bool(0.3) ? new Map([['MODEL', rng.pick(['Qwen/Qwen3-8B', '', '${MODEL}', '$(X)'])], ['TP', rng.pick(['2', '', 'x'])]]) : undefined;
      try { doc = parseDocument(fileName, m.value, dotEnv ? { dotEnv } : {}); } catch (e) { return failWith(`parseDocument threw: ${(e as Error).message}`, detail); }
      try { checkParsedDocument(doc, m.value); } catch (e) { failWith((e as Error).message, detail); }
      // `# inference-budget:` comments: found without throwing, every range inside the text.
      try {
        for (const d of findDirectives(m.value)) {
          for (const v of [d.model, d.gpu, d.gpus]) if (v) assert.ok(v.range.start >= 0 && v.range.end <= m.value.length && v.key.end <= v.range.start, 'directive range');
        }
      } catch (e) { failWith(`findDirectives: ${(e as Error).message}`, detail); }
      // What the readers found goes to the engine as is (the editor does that): it must not upset it.
      if (doc.deployments.length && rng.bool(0.1)) {
        const spec = rng.pick(doc.deployments);
        const model = rng.pick(models);
        try { checkBudgetResult(computeBudget(model.files!, spec.inputs), { wellTyped: true }); } catch (e) { failWith(`engine on the document's inputs: ${(e as Error).message}`, { ...detail, model: model.rel, inputs: spec.inputs }); }
      }
    });
  });

  it('parseModelConfig / parseDocument: mutated and truncated config.json text', () => {
    fuzz('readers.parseModelConfig', cases('readers.parseModelConfig'), (rng) => {
      const c = rng.pick(configs);
      const m = mutateText(rng, c.text, { syntax: 'json', heavy: rng.bool(0.03) }, 3);
      const text = m.value;
      const detail = { config: c.rel, mutations: m.log };
      try {
        const r = parseModelConfig(text);
        assert.ok(r && typeof r === 'object', 'parseModelConfig returned no object');
        checkProblems(r.problems, text.length);
        if (r.config !== undefined) assert.ok(r.config && typeof r.config === 'object' && !Array.isArray(r.config), 'config is not an object');
        if (r.config === undefined && errorCount(r.problems) === 0) assert.fail('no config and no error problem');
        for (const [p, kr] of r.keyRanges) {
          checkRange(kr.key, text.length, `keyRanges ${p}.key`);
          checkRange(kr.value, text.length, `keyRanges ${p}.value`);
        }
        // Top-level key ranges cover the key as written (inside its quotes).
        if (r.config) {
          for (const k of Object.keys(r.config)) {
            const kr = r.keyRanges.get(k);
            if (!kr || k.includes('.')) continue;
            let read: unknown;
            try { read = JSON.parse(`"${text.slice(kr.key.start, kr.key.end)}"`); } catch { continue; }
            if (read !== k) assert.fail(`keyRanges.${k}.key covers ${JSON.stringify(text.slice(kr.key.start, kr.key.end))}`);
          }
        }
        const doc = parseDocument(rng.pick([c.rel, 'config.json', 'x.json', 'config.yaml']), text);
        checkParsedDocument(doc, text);
      } catch (e) {
        failWith((e as Error).message, detail);
      }
    });
  });

  it('editForInput: edits stay in range, set the value and leave the rest of the document alone', () => {
    fuzz('readers.editForInput', cases('readers.editForInput'), (rng) => {
      const d = rng.pick(docs);
      const mutated = rng.bool(0.5);
      const m = mutated ? mutateText(rng, d.text, { syntax: 'yaml' }, 2) : { value: d.text, log: [] as string[] };
      const text = m.value;
      const detail = { source: d.fileName, mutations: m.log };
      try {
        const doc = parseDocument(d.fileName, text);
        checkParsedDocument(doc, text);
        for (let k = rng.int(1, 3); k > 0; k--) checkEdit(rng, d.fileName, text, doc, gpus, m.log);
      } catch (e) {
        failWith((e as Error).message, detail);
      }
    });
  });

  it('editForInput: foreign or damaged specs are declined, never thrown on', () => {
    fuzz('readers.editForInput.badSpec', cases('readers.editForInput.badSpec'), (rng) => {
      const d = rng.pick(docs);
      const doc = parseDocument(d.fileName, d.text);
      const spec = doc.deployments.length ? rng.pick(doc.deployments) : undefined;
      const other = rng.pick(docs).text;
      const text = rng.pick([other, other.slice(0, rng.int(0, other.length)), '', d.text]);
      const bad: unknown = rng.pick<unknown>([spec, undefined, null, {}, { edit: null }, { edit: { inPlace: null, insert: null } },
        spec && { ...spec, edit: { inPlace: { maxModelLen: { targets: [{ range: { start: -5, end: 1e9 }, context: 'yaml-plain', exact: true }] } }, insert: {} } }]);
      const key = rng.pick([...INPUT_KEYS, 'constructor', '__proto__', 'toString'] as InputKey[]);
      const value = editValue(rng, INPUT_KEYS.includes(key) ? key : 'gpu', gpus);
      let e: TextEdit | undefined;
      try { e = editForInput(text, bad as DeploymentSpec, key, value); } catch (err) { return failWith(`editForInput threw: ${(err as Error).message}`, { source: d.fileName, key, value, spec: bad === spec ? 'own spec' : bad }); }
      if (e) {
        try { checkRange(e.range, text.length, 'edit'); } catch (err) { failWith((err as Error).message, { source: d.fileName, key, value }); }
      }
    });
  });

  describe('deep nesting (10k-100k levels)', () => {
    /** `ms`: CPU time (wall time is noisy on a shared CI machine). */
    interface Outcome { name: string; ms: number; error?: string; caught: string[] }
    const outcomes: Outcome[] = [];
    before(() => {
      const shapes: { name: string; fileName: string; text: string }[] = [];
      for (const depth of [10_000, 100_000]) {
        shapes.push(
          { name: `JSON arrays ${depth}`, fileName: 'config.json', text: `{"architectures": ["LlamaForCausalLM"], "x": ${'['.repeat(depth)}${']'.repeat(depth)}}` },
          { name: `JSON objects ${depth}`, fileName: 'config.json', text: `{"model_type": "llama", "x": ${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}` },
          { name: `JSON unclosed ${depth}`, fileName: 'config.json', text: `{"model_type": "llama", "x": ${'['.repeat(depth)}` },
          { name: `YAML flow seqs ${depth}`, fileName: 'deploy.yaml', text: `apiVersion: v1\nkind: Pod\nspec:\n  containers:\n    - image: vllm/vllm-openai\n      args: ${'['.repeat(depth)}${']'.repeat(depth)}\n` },
          { name: `YAML flow maps ${depth}`, fileName: 'deploy.yaml', text: `apiVersion: v1\nkind: Pod\nmetadata: ${'{a: '.repeat(depth)}1${'}'.repeat(depth)}\nspec: {containers: [{image: vllm/vllm-openai}]}\n` },
          { name: `YAML unclosed flow ${depth}`, fileName: 'vllm.yaml', text: `max-model-len: 8192\nx: ${'[{'.repeat(depth)}\n` },
          { name: `budget file nested ${depth}`, fileName: 'a.budget.yaml', text: `model: x\nengine: ${'['.repeat(depth)}${']'.repeat(depth)}\n` },
        );
      }
      // Block nesting by indentation (each level one more space): 3000 levels is 4.5M characters.
      shapes.push({ name: 'YAML block seqs 3000', fileName: 'deploy.yaml', text: `apiVersion: v1\nkind: Pod\nspec:\n  vllm:\n${Array.from({ length: 3000 }, (_, i) => `${' '.repeat(i + 4)}-`).join('\n')} x\n` });
      shapes.push({ name: 'YAML block maps 3000', fileName: 'vllm.yaml', text: `max-model-len: 8192\n${Array.from({ length: 3000 }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n')} 1\n` });
      for (const s of shapes) {
        const t0 = process.cpuUsage();
        const o: Outcome = { name: s.name, ms: 0, caught: [] };
        try {
          const doc = parseDocument(s.fileName, s.text);
          const problems = [...doc.problems];
          if (s.fileName.endsWith('.json')) problems.push(...parseModelConfig(s.text).problems);
          try { checkParsedDocument({ ...doc, problems: problems.filter((p) => !CAUGHT_THROW.test(p.message)) }, s.text); } catch (e) { o.error = (e as Error).message; }
          o.caught = problems.filter((p) => CAUGHT_THROW.test(p.message)).map((p) => p.message.slice(0, 120));
        } catch (e) {
          o.error = `threw: ${(e as Error).message}`;
        }
        const used = process.cpuUsage(t0);
        o.ms = Math.round((used.user + used.system) / 1000);
        outcomes.push(o);
      }
      // The engine: a config value 10k arrays deep (JSON.parse builds it; parseModelConfig cuts at 100 levels, the CLI does not).
      const base = configs.find((c) => /Llama-3\.2-1B\/config\.json$/.test(c.rel))?.value as Record<string, unknown> | undefined;
      for (const key of base ? ['torch_dtype', 'rope_scaling', 'quantization_config', 'architectures', 'layer_types', 'model_type', 'sliding_window'] : []) {
        const t0 = process.cpuUsage();
        const o: Outcome = { name: `engine: ${key} nested 10k deep`, ms: 0, caught: [] };
        try {
          const r = computeBudget({ config: { ...base, [key]: deepValue(10_000, 'bfloat16') } }, {});
          try { checkBudgetResult(r, { wellTyped: false }); } catch (e) { o.error = (e as Error).message; }
          if (!r.ok && /Maximum call stack|could not read this config:/.test(r.unsupported)) o.caught.push(r.unsupported.slice(0, 120));
        } catch (e) {
          o.error = `threw: ${(e as Error).message}`;
        }
        const used = process.cpuUsage(t0);
        o.ms = Math.round((used.user + used.system) / 1000);
        outcomes.push(o);
      }
    });

    it('readers and engine answer without throwing, with ranges inside the text, within 5 s of CPU each', () => {
      const bad = outcomes.filter((o) => o.error || o.ms > 5000).map((o) => `${o.name}: ${o.error ?? ''}${o.ms > 5000 ? ` took ${o.ms} ms of CPU` : ''}`);
      process.stdout.write(`      slowest: ${[...outcomes].sort((a, b) => b.ms - a.ms).slice(0, 3).map((o) => `${o.name} ${o.ms} ms`).join(', ')}\n`);
      assert.deepStrictEqual(bad, []);
    });

    it('deep nesting gets a precise problem, not a caught stack overflow (the readers recurse)', () => {
      const overflowed = outcomes.filter((o) => o.caught.length).map((o) => `${o.name}: ${o.caught[0]}`);
      assert.deepStrictEqual(overflowed, []);
    });
  });
});
