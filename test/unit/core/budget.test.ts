import * as assert from 'assert';
import { computeBudget, resolveEngine, upgradeImpact } from '../../../src/core/budget';
import { budget, readConfig } from './helpers';

const codes = (r: ReturnType<typeof budget>): string[] => r.diagnostics.map((d) => d.code);

describe('computeBudget', () => {
  it('flags parallelism larger than the GPUs, heads not divisible by TP, and replicated KV heads', () => {
    const r = budget('llama3.1/Meta-Llama-3.1-8B', { tensorParallel: 4, gpuCount: 2, maxModelLen: 8192 });
    assert.ok(codes(r).includes('parallel-exceeds-gpus'));
    const odd = budget('llama3.1/Meta-Llama-3.1-8B', { tensorParallel: 3, maxModelLen: 8192 });
    const heads = odd.diagnostics.find((d) => d.code === 'heads-not-divisible')!;
    assert.match(heads.message, /\(32\).*\(3\)/);
    const rep = budget('llama3.1/Meta-Llama-3.1-70B', { tensorParallel: 16, gpuCount: 16, maxModelLen: 8192 });
    assert.strictEqual(rep.diagnostics.find((d) => d.code === 'kv-heads-replicated')?.severity, 'information');
  });

  it('flags weights that do not fit and suggests the smallest tensor parallel size that does', () => {
    const r = budget('llama3.1/Meta-Llama-3.1-70B', { gpu: 'H100 SXM', maxModelLen: 8192, gpuCount: 8 });
    const d = r.diagnostics.find((x) => x.code === 'weights-do-not-fit')!;
    assert.strictEqual(d.severity, 'error');
    // 141 GB of bf16 weights: TP 2 leaves ~66 GiB per GPU of weights, too much with activations; TP 4 fits.
    assert.ok(d.suggestedValue === 2 || d.suggestedValue === 4, String(d.suggestedValue));
    const fixed = budget('llama3.1/Meta-Llama-3.1-70B', { gpu: 'H100 SXM', maxModelLen: 8192, tensorParallel: Number(d.suggestedValue), gpuCount: 8 });
    assert.ok(fixed.capacity.weightsFit);
  });

  it('flags max_model_len above max_position_embeddings, max_num_seqs above capacity, and FP8 on GPUs without it', () => {
    const r = budget('llama2/Llama-2-7b-hf', { maxModelLen: 8192 });
    assert.strictEqual(r.diagnostics.find((d) => d.code === 'max-model-len-above-max-position')?.suggestedValue, 4096);
    // max_num_seqs is judged at the workload's context (here the default decode context, min(32768, 1024)), not at
    // max_model_len: the suggestion is the requests of that context the KV cache holds.
    const seqs = budget('llama3.1/Meta-Llama-3.1-8B', { gpu: '4090', maxModelLen: 32768, maxNumSeqs: 256 });
    assert.strictEqual(seqs.decode.context, 1024);
    const w = seqs.diagnostics.find((d) => d.code === 'max-num-seqs-above-capacity')!;
    assert.strictEqual(w.suggestedValue, Math.floor(seqs.capacity.kvCacheTokens / 1024));
    const a100 = budget('llama3.1/Meta-Llama-3.1-8B', { gpu: 'A100 SXM 80GB', kvCacheDtype: 'fp8', maxModelLen: 8192 });
    assert.strictEqual(a100.diagnostics.find((d) => d.code === 'fp8-unsupported')?.severity, 'warning');
    const h100 = budget('llama3.1/Meta-Llama-3.1-8B', { gpu: 'H100 SXM', kvCacheDtype: 'fp8', maxModelLen: 8192 });
    assert.ok(!codes(h100).includes('fp8-unsupported'));
  });

  it('warns when a bare config does not fit its own context, with the largest that fits', () => {
    const r = budget('llama3.1/Meta-Llama-3.1-8B', { gpu: '4090' });
    const d = r.diagnostics.find((x) => x.code === 'context-does-not-fit')!;
    assert.strictEqual(d.severity, 'warning');
    assert.strictEqual(d.suggestedValue, r.capacity.estimatedMaxModelLen);
    assert.match(d.message, /131,072/);
  });

  it('applies the checkpoint FP8 KV of ModelOpt and an explicit fp8 KV override (twice the tokens)', () => {
    const bf16 = budget('llama3.1/Meta-Llama-3.1-8B', { maxModelLen: 8192 });
    const fp8 = budget('llama3.1/Meta-Llama-3.1-8B', { maxModelLen: 8192, kvCacheDtype: 'fp8' });
    assert.strictEqual(fp8.settings.kvCacheDtype, 'fp8');
    assert.strictEqual(bf16.settings.kvCacheDtype, 'bfloat16');
    assert.ok(Math.abs(fp8.capacity.numBlocks / bf16.capacity.numBlocks - 2) < 1e-3);
    const modelopt = budget('llama3.1/Llama-3.1-70B-Instruct-FP8-nvidia', { tensorParallel: 2, gpuCount: 2, maxModelLen: 8192 });
    assert.strictEqual(modelopt.settings.kvCacheDtype, 'fp8');
    assert.strictEqual(modelopt.model.weightDtype, 'fp8');
  });

  it('rejects bad inputs with a message instead of throwing', () => {
    const config = readConfig('llama3.1/Meta-Llama-3.1-8B');
    const bad: Array<Record<string, unknown>> = [
      { tensorParallel: 0 }, { tensorParallel: -2 }, { maxModelLen: NaN }, { maxModelLen: 1e12 }, { gpuMemoryUtilization: 1.5 },
      { gpuMemoryUtilization: -0.1 }, { kvCacheDtype: 'int3' }, { quantization: 'int5' }, { dtype: 'int8' }, { engine: 'tgi' },
      { engine: 'vllm@x.y' }, { batch: 2.5 }, { gpu: 'Banana 9000' },
    ];
    for (const inputs of bad) {
      const r = computeBudget({ config }, inputs);
      assert.strictEqual(r.ok, false, JSON.stringify(inputs));
      if (!r.ok) assert.ok(r.diagnostics[0].message.length > 5);
    }
    const unknownGpu = computeBudget({ config }, { gpu: 'H10O' });
    assert.ok(!unknownGpu.ok && unknownGpu.diagnostics[0].code === 'unknown-gpu' && /H100/.test(unknownGpu.unsupported));
    const unsupported = computeBudget({ config: { architectures: ['WeirdForCausalLM'] } });
    assert.ok(!unsupported.ok && /^unsupported: /.test(unsupported.unsupported));
  });

  it('reads engine versions', () => {
    const r = resolveEngine('vllm@0.6.4');
    assert.ok(r.ok && r.name === 'vllm' && r.profile.v1 === false);
    assert.ok(resolveEngine(undefined).ok);
    const sg = resolveEngine('sglang@0.4.2');
    assert.ok(sg.ok && sg.name === 'sglang' && sg.profile.version === '0.4.2');
    assert.ok(!resolveEngine('tgi').ok);
    assert.ok(!resolveEngine('sglang@0.3.0').ok);
  });

  it('produces finite, non-negative figures for every corpus model on its default deployment', () => {
    const { allCorpusConfigs } = require('./helpers') as typeof import('./helpers');
    for (const rel of allCorpusConfigs()) {
      const r = computeBudget({ config: readConfig(rel) }, { gpu: 'H100 SXM', gpuCount: 8, tensorParallel: 8 });
      assert.ok(r.ok, rel);
      if (!r.ok) continue;
      const walk = (v: unknown, where: string): void => {
        if (typeof v === 'number') assert.ok(Number.isFinite(v), `${rel} ${where} = ${v}`);
        else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, `${where}.${k}`);
      };
      walk(r.report, 'report');
      for (const key of ['weightBytes', 'kvCacheBytes', 'activationPeakBytes'] as const) assert.ok(r.report.perGpu[key] >= 0, `${rel} ${key}`);
    }
  });
});

describe('upgrade impact', () => {
  it('says what the newest release holds for a deployment pinned to an older one', () => {
    const files = { config: readConfig('llama3.1/Meta-Llama-3.1-8B') };
    const inputs = { gpu: 'H100 SXM', maxModelLen: 8192, engine: 'vllm@0.19.0' };
    const impact = upgradeImpact(files, inputs)!;
    const now = computeBudget(files, inputs);
    const next = computeBudget(files, { ...inputs, engine: 'vllm@0.34.0' });
    assert.ok(now.ok && next.ok);
    if (!now.ok || !next.ok) return;
    assert.strictEqual(impact.version, '0.34.0');
    assert.strictEqual(impact.kvCacheTokens, next.report.capacity.kvCacheTokens);
    assert.ok(Math.abs(impact.change - (next.report.capacity.kvCacheTokens / now.report.capacity.kvCacheTokens - 1)) < 1e-12);
    // Nothing to say on the newest rules, for llama.cpp, or for a moving tag (already the newest).
    assert.strictEqual(upgradeImpact(files, { ...inputs, engine: 'vllm@0.34.0' }), undefined);
    assert.strictEqual(upgradeImpact(files, { ...inputs, engine: 'vllm@latest' }), undefined);
    assert.strictEqual(upgradeImpact(files, { ...inputs, engine: 'llamacpp' }), undefined);
    assert.strictEqual(upgradeImpact(files, { ...inputs, engine: 'sglang@0.4.2' })!.version, '0.5.21');
  });
});
