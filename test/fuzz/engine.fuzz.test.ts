// Fuzzing the engine: mutated corpus configs x random deployments through normalizeConfig,
// computeBudget and the CLI. The engine's contract: never throw; a report has no NaN, no
// Infinity, no negative byte or count anywhere; a refusal says why in words.

import * as assert from 'assert';
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { computeBudget } from '../../src/core/budget';
import { listAccelerators, validateAccelerator } from '../../src/core/hardware';
import { normalizeConfig } from '../../src/core/normalize';
import { BudgetInputs, BudgetResult, ModelFiles } from '../../src/core/types';
import { runCli } from '../../src/cli/main';
import { CorpusConfig, REPO_ROOT, corpusConfigs, corpusKeys, gpuNames } from './corpus';
import { Rng, badNumber, cases, failWith, fuzz, show } from './harness';

/** Model fields copied from the config as written (not figures the engine computed). */
const RAW_MODEL_KEYS = new Set(['quantizationConfig']);
import { randomArgv, randomInputs } from './inputs';
import { CAUGHT_THROW, checkBudgetResult, clampLayerHazards } from './checks';
import { Json, mutateText, mutateValue } from './mutators';

/** ModelFiles with (sometimes) mutated side files. */
function sideFiles(rng: Rng, files: ModelFiles | undefined, log: string[]): Partial<ModelFiles> {
  const out: Partial<ModelFiles> = {};
  if (files?.safetensorsIndex !== undefined) out.safetensorsIndex = files.safetensorsIndex;
  if (files?.quantizeConfig !== undefined) out.quantizeConfig = files.quantizeConfig;
  if (files?.hfQuantConfig !== undefined) out.hfQuantConfig = files.hfQuantConfig;
  if (rng.bool(0.15)) {
    const total = rng.pick<unknown>([0, -1, 1e308, NaN, Infinity, '12345', 'abc', null, 2 ** 53, 1, [], { a: 1 }]);
    out[rng.bool() ? 'safetensorsIndex' : 'pytorchIndex'] = rng.bool(0.8) ? { metadata: { total_size: total } } : rng.pick<unknown>([null, 'x', [], { metadata: null }, 7]);
    log.push(`side index total_size = ${show(total)}`);
  }
  if (rng.bool(0.1)) {
    out.quantizeConfig = rng.pick<unknown>([{ bits: rng.pick([0, -4, 4, 8, 3, 1e308, NaN, '4']), group_size: rng.pick([0, -1, 128, 1e-9, NaN]) }, null, 'gptq', [], { bits: {} }]);
    log.push(`quantizeConfig = ${show(out.quantizeConfig)}`);
  }
  if (rng.bool(0.1)) {
    out.hfQuantConfig = rng.pick<unknown>([{ quantization: { quant_algo: rng.pick(['FP8', 'NVFP4', 'W4A16_AWQ', '', 'x', null]), kv_cache_quant_algo: rng.pick(['FP8', null, 7]) } }, { quantization: null }, { quantization: [] }, 'x']);
    log.push(`hfQuantConfig = ${show(out.hfQuantConfig)}`);
  }
  return out;
}

describe('fuzz: engine', function () {
  this.timeout(120_000);
  const corpus = corpusConfigs().filter((c) => c.value !== undefined);
  const keys = corpusKeys();
  const gpus = gpuNames();

  before(() => {
    assert.ok(corpus.length > 0, 'no corpus configs found (../shared/model-configs or examples/models)');
  });

  const mutatedConfig = (rng: Rng, c: CorpusConfig, max = 4): { value: Json; log: string[] } => {
    const m = mutateValue(rng, c.value, { keys }, max);
    m.log.push(...clampLayerHazards(m.value));
    return m;
  };

  it('normalizeConfig: mutated corpus configs never throw; models have finite, non-negative figures', () => {
    fuzz('engine.normalize', cases('engine.normalize'), (rng) => {
      const c = rng.pick(corpus);
      const m = mutatedConfig(rng, c);
      const detail = { config: c.rel, mutations: m.log };
      let r;
      try {
        r = normalizeConfig(m.value, rng.bool(0.1) ? { nameHint: rng.pick(['', 'x', '\u202e😀']), quantizeConfig: { bits: rng.pick([0, 4, NaN]) } } : {});
      } catch (e) {
        return failWith(`normalizeConfig threw: ${(e as Error).message}`, detail);
      }
      if (!r.ok) {
        if (typeof r.unsupported !== 'string' || r.unsupported.trim() === '') failWith('ok:false with an empty message', detail);
        if (CAUGHT_THROW.test(r.unsupported)) failWith(`caught internal exception surfaced as the message: ${r.unsupported.slice(0, 200)}`, detail);
        return;
      }
      const b = badNumber(r.model, RAW_MODEL_KEYS);
      if (b) failWith(Number.isFinite(b.value) ? `model.${b.path} is negative (${b.value})` : `model.${b.path} is ${b.value}`, detail);
      if (r.model.layers.length !== r.model.numLayers) failWith(`numLayers ${r.model.numLayers} but ${r.model.layers.length} layers`, detail);
    });
  });

  it('computeBudget: mutated corpus configs x random deployments', () => {
    fuzz('engine.budget.mutated', cases('engine.budget.mutated'), (rng) => {
      const c = rng.pick(corpus);
      const m = mutatedConfig(rng, c, 3);
      const inputs = randomInputs(rng, { gpuNames: gpus, invalidRate: 0.05 });
      const files: ModelFiles = { config: m.value, nameHint: c.rel, ...sideFiles(rng, c.files, m.log) };
      const detail = { config: c.rel, mutations: m.log, inputs };
      let r: BudgetResult;
      try { r = computeBudget(files, inputs); } catch (e) { return failWith(`computeBudget threw: ${(e as Error).message}`, detail); }
      try { checkBudgetResult(r, { wellTyped: true }); } catch (e) { failWith((e as Error).message, detail); }
    });
  });

  it('computeBudget: corpus configs x random deployments (invalid values included)', () => {
    const usable = corpus.filter((c) => c.files);
    fuzz('engine.budget.corpus', cases('engine.budget.corpus'), (rng) => {
      const c = rng.pick(usable);
      const inputs = randomInputs(rng, { gpuNames: gpus, invalidRate: 0.1 });
      const detail = { config: c.rel, inputs };
      let r: BudgetResult;
      try { r = computeBudget(c.files!, inputs); } catch (e) { return failWith(`computeBudget threw: ${(e as Error).message}`, detail); }
      try { checkBudgetResult(r, { wellTyped: true }); } catch (e) { failWith((e as Error).message, detail); }
    });
  });

  it('computeBudget: wrongly typed inputs (strings for numbers, objects) never throw', () => {
    const usable = corpus.filter((c) => c.files);
    fuzz('engine.budget.wrongTypes', cases('engine.budget.wrongTypes'), (rng) => {
      const c = rng.pick(usable);
      const inputs = randomInputs(rng, { gpuNames: gpus, invalidRate: 0.1, wrongTypes: true }) as BudgetInputs;
      const extra = rng.bool(0.2) ? [{ ...rng.pick(listAccelerators()), id: 'fuzz-x', name: rng.pick(['Fuzz X', '', 'H100']) }] : undefined;
      const detail = { config: c.rel, inputs, extra: extra ? 'custom accelerator' : undefined };
      let r: BudgetResult;
      try { r = computeBudget(c.files!, inputs, { extraAccelerators: extra as never }); } catch (e) { return failWith(`computeBudget threw: ${(e as Error).message}`, detail); }
      try { checkBudgetResult(r, { wellTyped: false }); } catch (e) { failWith((e as Error).message, detail); }
    });
  });

  it('validateAccelerator + computeBudget: mutated catalog GPUs as custom GPUs', () => {
    const catalog = listAccelerators();
    const usable = corpus.filter((c) => c.files);
    let valid = 0;
    const stats = fuzz('engine.customGpu', cases('engine.customGpu'), (rng) => {
      const base = rng.pick(catalog);
      const m = mutateValue(rng, { ...base, id: 'my-gpu', name: 'My GPU' }, { deep: false, long: false, keys: ['memoryBytes', 'visibleMemoryGiB', 'memoryBandwidthBytesPerSecond', 'flopsPerSecond', 'interconnect', 'vendor', 'aliases', 'instanceGpuCounts', 'fp8', 'bf16', 'fp32'] }, 3);
      const detail = { gpu: base.id, mutations: m.log };
      let v;
      try { v = validateAccelerator(m.value); } catch (e) { return failWith(`validateAccelerator threw: ${(e as Error).message}`, detail); }
      if (!v.ok) {
        if (!Array.isArray(v.errors) || !v.errors.length || v.errors.some((x) => typeof x !== 'string' || !x.trim())) failWith('invalid accelerator without error messages', detail);
        return;
      }
      valid++;
      const c = rng.pick(usable);
      const inputs = { ...randomInputs(rng, { gpuNames: [v.accelerator.id], invalidRate: 0 }), gpu: v.accelerator.id };
      let r: BudgetResult;
      try { r = computeBudget(c.files!, inputs, { extraAccelerators: [v.accelerator] }); } catch (e) { return failWith(`computeBudget threw: ${(e as Error).message}`, { ...detail, config: c.rel, inputs }); }
      try { checkBudgetResult(r, { wellTyped: true }); } catch (e) { failWith((e as Error).message, { ...detail, accelerator: v.accelerator, config: c.rel, inputs }); }
    });
    stats.note = `${valid} accepted by validateAccelerator`;
  });

  describe('CLI', () => {
    let tmp = '';
    let files: string[] = [];

    before(() => {
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ib-fuzz-cli-'));
      const rng = new Rng(0xc11);
      files = corpus.filter((_, i) => i % 3 === 0).map((c) => path.dirname(c.file));
      files.push(...corpus.filter((_, i) => i % 5 === 1).map((c) => c.file));
      // Mutated configs on disk: text mutations (parse errors) and value mutations (engine refusals).
      for (let i = 0; i < 48; i++) {
        const c = rng.pick(corpus);
        const dir = path.join(tmp, `m${i}`);
        fs.mkdirSync(dir);
        let text: string;
        if (i % 2 === 0) text = mutateText(rng, c.text, { syntax: 'json' }).value;
        else {
          const m = mutateValue(rng, c.value, { keys: corpusKeys(), deep: false, long: false });
          clampLayerHazards(m.value);
          text = JSON.stringify(m.value) ?? 'null';
        }
        if (/"(num_hidden_layers|n_layers?|num_layers)"\s*:\s*\d{4,}/.test(text)) text = c.text; // see LAYER_CLAMP
        fs.writeFileSync(path.join(dir, 'config.json'), text);
        if (i % 7 === 0) fs.writeFileSync(path.join(dir, 'model.safetensors.index.json'), rng.pick(['{"metadata":{"total_size":-5}}', '{', '[]', '{"metadata":{"total_size":"1e400"}}']));
        files.push(rng.bool() ? dir : path.join(dir, 'config.json'));
      }
      fs.mkdirSync(path.join(tmp, 'empty'));
      fs.mkdirSync(path.join(tmp, 'dir-named', 'config.json'), { recursive: true });
      fs.writeFileSync(path.join(tmp, 'not-json.json'), 'model: llama\n');
      fs.writeFileSync(path.join(tmp, 'empty.json'), '');
      fs.writeFileSync(path.join(tmp, 'python-nan.json'), '{"architectures":["LlamaForCausalLM"],"hidden_size":NaN,"num_hidden_layers":Infinity}');
      fs.writeFileSync(path.join(tmp, '\u202e😀 config.json'), fs.readFileSync(corpus[0].file));
      files.push(path.join(tmp, 'empty'), path.join(tmp, 'dir-named'), path.join(tmp, 'not-json.json'), path.join(tmp, 'empty.json'),
        path.join(tmp, 'python-nan.json'), path.join(tmp, '\u202e😀 config.json'), path.join(tmp, 'does-not-exist'), '', '-', ' ', '\u0000',
        path.join(REPO_ROOT, 'examples', 'models'));
    });

    after(() => { if (tmp) fs.rmSync(tmp, { recursive: true, force: true }); });

    it('runCli: random argv exits 0/1/2/3, never throws, at most one stderr line', () => {
      fuzz('engine.cli', cases('engine.cli'), (rng) => {
        const argv = randomArgv(rng, files, gpus);
        const out: string[] = [];
        const err: string[] = [];
        let code: number;
        try {
          code = runCli(argv, (s) => out.push(s), (s) => err.push(s));
        } catch (e) {
          return failWith(`runCli threw: ${(e as Error).message}`, { argv });
        }
        const detail = { argv, code, err, out: out.join('\n').slice(0, 300) };
        if (![0, 1, 2, 3].includes(code)) failWith(`exit code ${code}`, detail);
        if (code === 0 || code === 1) {
          if (err.length) failWith(`exit ${code} with stderr`, detail);
          if (!out.join('').trim()) failWith(`exit ${code} with no output`, detail);
        } else {
          if (err.length !== 1) failWith(`exit ${code} with ${err.length} stderr writes`, detail);
          if (/[\r\n]/.test(err[0])) {
            failWith(`stderr has more than one line: ${JSON.stringify(err[0].slice(0, 300))}`, detail,
              `stderr lines: ${err[0].replace(/\/\S*/g, 'PATH').replace(/--?[\w-]+/g, '--FLAG').replace(/(got|token|JSON:|option)[^]*$/, '$1 …').slice(0, 100)}`);
          }
          if (!/^inference-budget: \S/.test(err[0])) failWith('stderr line does not start with "inference-budget: "', detail);
        }
        const dd = argv.indexOf('--');
        const json = argv.slice(0, dd < 0 ? argv.length : dd).includes('--json') && !argv.slice(0, dd < 0 ? argv.length : dd).some((a) => a === '-h' || a === '--help' || /^-h+$/.test(a));
        if (json && out.length) {
          let j: { ok?: boolean } | undefined;
          try { j = JSON.parse(out.join('\n')); } catch (e) { failWith(`--json output is not JSON: ${(e as Error).message}`, detail); }
          if (typeof j?.ok !== 'boolean') failWith('--json output has no boolean "ok"', detail);
          if (/(^|[^"\w])(NaN|Infinity)/.test(out.join('\n').replace(/"(?:[^"\\]|\\.)*"/g, '""'))) failWith('--json output has NaN/Infinity', detail);
        }
      });
    });
  });

  describe('known hazards (each in a child process with a heap and time limit)', () => {
    // A heap exhaustion cannot be caught in-process: each case runs in its own node process, all at once.
    const budgetJs = require.resolve('../../src/core/budget');
    const base = corpus.find((c) => /Llama-3\.2-1B\/config\.json$/.test(c.rel))?.value ?? corpus[0].value;
    const hazards: { name: string; config: unknown }[] = [
      { name: 'num_hidden_layers 10,000,000 (Llama 3.2 1B otherwise)', config: { ...(base as object), num_hidden_layers: 10_000_000 } },
      { name: 'n_layer 2**31-1 (GPT-2 family)', config: { architectures: ['GPT2LMHeadModel'], model_type: 'gpt2', n_embd: 64, n_head: 4, n_layer: 2 ** 31 - 1, vocab_size: 100, n_positions: 128 } },
      { name: 'hybrid_override_pattern of 1,000,000 characters (Nemotron-H)', config: { architectures: ['NemotronHForCausalLM'], model_type: 'nemotron_h', hidden_size: 64, num_attention_heads: 4, num_key_value_heads: 1, vocab_size: 100, mamba_num_heads: 4, mamba_head_dim: 16, intermediate_size: 128, hybrid_override_pattern: 'M-'.repeat(500_000) } },
    ];
    const LIMIT_MS = 5000;
    const results = new Map<string, Promise<string>>();
    const runIsolated = (config: unknown): Promise<string> => new Promise((resolve) => {
      const script = `const {computeBudget}=require(${JSON.stringify(budgetJs)});const cfg=JSON.parse(require('fs').readFileSync(0,'utf8'));const r=computeBudget({config:cfg},{});process.stdout.write(JSON.stringify({ok:r.ok}));`;
      const child = spawn(process.execPath, ['--max-old-space-size=256', '-e', script], { env: { ...process.env, NODE_PATH: path.join(REPO_ROOT, 'node_modules') }, stdio: ['pipe', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d) => { stderr += String(d); });
      const timer = setTimeout(() => { child.kill('SIGKILL'); }, LIMIT_MS);
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        if (signal === 'SIGKILL') resolve(`no answer within ${LIMIT_MS} ms`);
        else if (signal || code !== 0) resolve(`${signal ?? `exit ${code}`}: ${stderr.split('\n').filter((l) => /heap|Error/.test(l)).slice(0, 1).join('')}`);
        else resolve('');
      });
      child.stdin.end(JSON.stringify(config));
    });
    // All at once, when this block starts (they would slow the fuzz loops down if started earlier).
    before(() => { for (const h of hazards) results.set(h.name, runIsolated(h.config)); });
    for (const h of hazards) {
      it(`computeBudget answers within ${LIMIT_MS / 1000} s and 256 MB: ${h.name}`, async () => {
        const why = await results.get(h.name)!;
        assert.ok(!why, `computeBudget on ${h.name} did not answer: ${why}`);
      });
    }
  });
});
