// One verdict per deployment (issue 14, item 1): `fits` is false whenever an error stands, the parallelism rules
// are vLLM's own (heads and KV heads against TP, TP × PP against the GPUs requested), max_num_seqs is judged at
// the workload's context. Expected values are worked out here from the configs, not taken from the engine.
import * as assert from 'assert';
import * as path from 'path';
import { computeBudget } from '../../../src/core/budget';
import type { BudgetInputs, BudgetReport } from '../../../src/core/types';
import { loadModelFiles } from '../../../src/cli/modelFiles';
import { buildPanelState, initialControls } from '../../../src/panel/state';
import { budget, CONFIGS, readConfig } from './helpers';

const LLAMA = 'llama3.1/Meta-Llama-3.1-8B';
const QWEN = 'qwen2.5/Qwen2.5-7B';
const MIXTRAL = 'mixtral/Mixtral-8x7B-v0.1';
const GPT_OSS = 'gpt-oss/gpt-oss-120b';

const codes = (r: BudgetReport): string[] => r.diagnostics.map((d) => d.code);
const errors = (r: BudgetReport) => r.diagnostics.filter((d) => d.severity === 'error');

/**
 * vLLM's rule, restated: `verify_with_parallel_config` needs num_attention_heads % tp == 0; `QKVParallelLinear`
 * divides the KV heads over TP when TP is smaller (`divide(total_num_kv_heads, tp)`) and replicates them when it
 * is not (`divide(tp, total_num_kv_heads)`); `divide` asserts that the division is exact.
 */
function vllmAccepts(heads: number, kvHeads: number, tp: number): { heads: boolean; kv: boolean } {
  return { heads: heads % tp === 0, kv: tp >= kvHeads ? tp % kvHeads === 0 : kvHeads % tp === 0 };
}

describe('verdict: one per deployment, false whenever an error stands', () => {
  it('Llama-3.1-8B (32 heads, 8 KV heads): TP 3 is refused, TP 2, 16 and 32 are not (16 and 32 replicate the KV heads)', () => {
    const cfg = readConfig(LLAMA) as { num_attention_heads: number; num_key_value_heads: number };
    assert.deepStrictEqual([cfg.num_attention_heads, cfg.num_key_value_heads], [32, 8]);
    // TP 3: 32 % 3 = 2 and 8 % 3 = 2; TP 16: 32 % 16 = 0, 16 >= 8 and 16 % 8 = 0 (two replicas of each KV head).
    assert.deepStrictEqual(vllmAccepts(32, 8, 3), { heads: false, kv: false });
    assert.deepStrictEqual(vllmAccepts(32, 8, 16), { heads: true, kv: true });
    assert.deepStrictEqual(vllmAccepts(32, 8, 12), { heads: false, kv: false });
    for (const tp of [1, 2, 3, 4, 6, 8, 12, 16, 32]) {
      const r = budget(LLAMA, { tensorParallel: tp, gpuCount: tp, maxModelLen: 8192 });
      const want = vllmAccepts(32, 8, tp);
      assert.strictEqual(codes(r).includes('heads-not-divisible'), !want.heads, `TP ${tp}: heads`);
      assert.strictEqual(codes(r).includes('kv-heads-not-divisible'), !want.kv, `TP ${tp}: KV heads`);
      // 8 KV heads are replicated from TP 16 on: a note, not an error.
      assert.strictEqual(codes(r).includes('kv-heads-replicated'), want.kv && tp > 8, `TP ${tp}: replicated`);
      assert.strictEqual(r.capacity.fits, want.heads && want.kv, `TP ${tp}: fits`);
      assert.strictEqual(r.verdict.fits, r.capacity.fits);
    }
    const tp3 = budget(LLAMA, { tensorParallel: 3, gpuCount: 3, maxModelLen: 8192 });
    // The KV cache still holds what it holds (the KV fact stays apart from the verdict).
    assert.strictEqual(tp3.capacity.contextFits, true);
    assert.ok(tp3.capacity.kvCacheTokens > 8192);
    assert.strictEqual(tp3.capacity.fits, false);
    assert.deepStrictEqual(tp3.verdict.blocking.map((d) => d.code), ['heads-not-divisible', 'kv-heads-not-divisible']);
    const kv = tp3.diagnostics.find((d) => d.code === 'kv-heads-not-divisible')!;
    assert.strictEqual(kv.severity, 'error');
    assert.strictEqual(kv.subject, 'tensorParallel');
    assert.match(kv.message, /8 KV heads .* tensor parallel 3/);
  });

  it('Qwen2.5-7B (28 heads, 4 KV heads): TP 7 divides the heads but not the KV heads, and is refused', () => {
    const cfg = readConfig(QWEN) as { num_attention_heads: number; num_key_value_heads: number };
    assert.deepStrictEqual([cfg.num_attention_heads, cfg.num_key_value_heads], [28, 4]);
    // 28 % 7 = 0, but 7 >= 4 and 7 % 4 = 3.
    assert.deepStrictEqual(vllmAccepts(28, 4, 7), { heads: true, kv: false });
    const r = budget(QWEN, { tensorParallel: 7, gpuCount: 7, maxModelLen: 8192 });
    assert.ok(!codes(r).includes('heads-not-divisible'));
    assert.deepStrictEqual(errors(r).map((d) => d.code), ['kv-heads-not-divisible']);
    assert.strictEqual(r.capacity.contextFits, true);
    assert.strictEqual(r.capacity.fits, false);
    const ok = budget(QWEN, { tensorParallel: 4, gpuCount: 4, maxModelLen: 8192 });
    assert.strictEqual(errors(ok).length, 0);
    assert.strictEqual(ok.capacity.fits, true);
  });

  it('fits is false whenever an error stands, and blocking lists exactly the errors', () => {
    const cases: BudgetInputs[] = [
      { tensorParallel: 3, gpuCount: 3, maxModelLen: 8192 },           // heads
      { tensorParallel: 4, gpuCount: 2, maxModelLen: 8192 },           // too few GPUs
      { maxModelLen: 262144 },                                        // above max_position_embeddings (131,072)
      { gpu: 'L4', maxModelLen: 131072 },                             // KV does not fit
      { gpu: 'T4', maxModelLen: 4096 },                               // weights do not fit in 16 GB
      { tensorParallel: 2, gpuCount: 2, maxModelLen: 8192 },          // fits
    ];
    for (const inputs of cases) {
      const r = budget(LLAMA, inputs);
      const errs = errors(r);
      assert.strictEqual(r.capacity.fits, errs.length === 0 && r.capacity.contextFits, JSON.stringify(inputs));
      assert.deepStrictEqual(r.verdict.blocking.filter((d) => d.severity === 'error'), errs, JSON.stringify(inputs));
    }
    assert.ok(codes(budget(LLAMA, cases[1])).includes('parallel-exceeds-gpus'));
    const above = budget(LLAMA, cases[2]);
    assert.ok(codes(above).includes('max-model-len-above-max-position'));
    assert.strictEqual(above.capacity.fits, false);
    const fine = budget(LLAMA, cases[5]);
    assert.deepStrictEqual(fine.verdict, { fits: true, blocking: [] });
  });

  it('the model\'s own context not fitting (a warning in words) blocks the verdict too', () => {
    const r = budget(LLAMA, { gpu: '4090' });
    assert.strictEqual(r.capacity.contextFits, false);
    assert.strictEqual(r.capacity.fits, false);
    assert.deepStrictEqual(r.verdict.blocking.map((d) => [d.code, d.severity]), [['context-does-not-fit', 'warning']]);
  });

  it('an unknown GPU does not hide the heads rules (they need no GPU)', () => {
    const loaded = loadModelFiles(path.join(CONFIGS, LLAMA));
    assert.ok(loaded.ok);
    const r = computeBudget(loaded.files, { gpu: 'H300-192GB', tensorParallel: 3 });
    assert.ok(!r.ok);
    assert.deepStrictEqual(r.diagnostics.map((d) => [d.code, d.severity]), [
      ['unknown-gpu', 'error'], ['heads-not-divisible', 'error'], ['kv-heads-not-divisible', 'error'],
    ]);
    const fine = computeBudget(loaded.files, { gpu: 'H300-192GB', tensorParallel: 2 });
    assert.ok(!fine.ok);
    assert.deepStrictEqual(fine.diagnostics.map((d) => d.code), ['unknown-gpu']);
  });

  it('GPUs: too few is an error, more than TP × PP uses is a gpus-idle warning (across nodes too); memory figures do not move', () => {
    const idle = budget(LLAMA, { tensorParallel: 2, gpuCount: 4, maxModelLen: 8192 });
    const w = idle.diagnostics.find((d) => d.code === 'gpus-idle')!;
    assert.strictEqual(w.severity, 'warning');
    assert.strictEqual(w.subject, 'gpuCount');
    // 4 requested, 2 × 1 used: 2 idle.
    assert.strictEqual(w.suggestedValue, 2);
    assert.match(w.message, /^4 GPUs requested, TP 2 × PP 1 uses 2: 2 idle$/);
    assert.strictEqual(idle.capacity.fits, true, 'a warning does not block');
    const exact = budget(LLAMA, { tensorParallel: 2, gpuCount: 2, maxModelLen: 8192 });
    assert.ok(!codes(exact).includes('gpus-idle'));
    // The warning changes no figure of the deployment.
    assert.deepStrictEqual(idle.perGpu, exact.perGpu);
    assert.deepStrictEqual({ ...idle.capacity }, { ...exact.capacity });
    // TP 2 × PP 2 uses all four.
    assert.ok(!codes(budget(LLAMA, { tensorParallel: 2, pipelineParallel: 2, gpuCount: 4, maxModelLen: 8192 })).includes('gpus-idle'));
    // 16 GPUs over 2 nodes at TP 8: 8 idle.
    const nodes = budget(LLAMA, { tensorParallel: 8, gpuCount: 16, nodes: 2, maxModelLen: 8192 });
    assert.match(nodes.diagnostics.find((d) => d.code === 'gpus-idle')!.message, /^16 GPUs requested over 2 nodes, TP 8 × PP 1 uses 8: 8 idle$/);
    const few = budget(LLAMA, { tensorParallel: 2, pipelineParallel: 2, gpuCount: 3, maxModelLen: 8192 });
    assert.strictEqual(few.diagnostics.find((d) => d.code === 'parallel-exceeds-gpus')?.severity, 'error');
    assert.strictEqual(few.capacity.fits, false);
    // llama.cpp splits layers over every GPU it is given: none idle.
    assert.ok(!codes(budget(LLAMA, { engine: 'llamacpp', gpuCount: 2, maxModelLen: 8192 })).includes('gpus-idle'));
  });

  it('max_num_seqs is judged at the workload\'s context, not at max_model_len', () => {
    // Mixtral-8x7B at TP 2 with 32,768-token requests and max_num_seqs 256, at a 4,096-token workload context.
    const inputs = { tensorParallel: 2, gpuCount: 2, maxModelLen: 32768, maxNumSeqs: 256 };
    const at4k = budget(MIXTRAL, { ...inputs, context: 4096 });
    const held4k = Math.floor(at4k.capacity.kvCacheTokens / 4096);
    const seqs = at4k.diagnostics.find((d) => d.code === 'max-num-seqs-above-capacity');
    assert.strictEqual(seqs !== undefined, 256 > held4k, `${held4k} requests of 4,096 tokens`);
    if (seqs) assert.strictEqual(seqs.suggestedValue, held4k);
    // At the default decode context (1,024 tokens) the cache holds more than 256 requests: no warning, where
    // judging at max_model_len would have said "lower it to" the few full-length requests it holds.
    const at1k = budget(MIXTRAL, inputs);
    assert.strictEqual(at1k.decode.context, 1024);
    assert.ok(Math.floor(at1k.capacity.kvCacheTokens / 1024) >= 256, String(at1k.capacity.kvCacheTokens));
    assert.ok(Math.floor(at1k.capacity.kvCacheTokens / 32768) < 256, 'the old rule would have warned');
    assert.ok(!codes(at1k).includes('max-num-seqs-above-capacity'));
    // At full length (context = max_model_len) the suggestion is the full-length requests.
    const full = budget(MIXTRAL, { ...inputs, context: 32768 });
    assert.strictEqual(full.diagnostics.find((d) => d.code === 'max-num-seqs-above-capacity')?.suggestedValue, Math.floor(full.capacity.kvCacheTokens / 32768));
  });

  it('gpt-oss-120b: max_num_seqs 256 is lowered to the requests of the workload\'s context, never to 1', () => {
    const r = budget(GPT_OSS, { maxNumSeqs: 256 });
    const held = Math.floor(r.capacity.kvCacheTokens / r.decode.context);
    const d = r.diagnostics.find((x) => x.code === 'max-num-seqs-above-capacity');
    assert.strictEqual(d !== undefined, 256 > held);
    if (d) {
      assert.strictEqual(d.suggestedValue, held);
      assert.ok(held > 1, `${held} requests of ${r.decode.context} tokens`);
      assert.match(d.message, new RegExp(`${r.decode.context.toLocaleString('en-US')} tokens \\(the workload's context\\)`));
    }
  });

  it('the panel\'s concurrency wall is the requests of its context, not of max_model_len', () => {
    // Qwen3-8B (max_position_embeddings 40,960) on an RTX 5090, at the panel's 1,024-token context.
    const loaded = loadModelFiles(path.join(CONFIGS, 'qwen3/Qwen3-8B'));
    assert.ok(loaded.ok);
    const model = { files: loaded.files, inputs: { gpu: 'rtx-5090' }, source: 'document' as const };
    const controls = initialControls(model);
    assert.strictEqual(controls.context, 1024);
    const built = buildPanelState(model, controls);
    assert.ok(built.ok);
    const g = built.state.perGpu[0];
    const r = built.reports[0];
    assert.strictEqual(r.settings.maxModelLen, 40960);
    // The engine's full-length figure stays as it is; the wall divides the same KV tokens by 1,024.
    assert.strictEqual(g.maxConcurrency, r.capacity.kvCacheTokens / 40960);
    assert.strictEqual(g.contextConcurrency, r.capacity.kvCacheTokens / 1024);
    assert.ok(g.maxConcurrency < 4 && g.contextConcurrency! > 40, `${g.maxConcurrency} / ${g.contextConcurrency}`);
    // Batches 2 to 64 are within what the cache holds at 1,024 tokens (the old wall put them beyond it).
    const beyond = g.throughput.filter((t) => t.batch > g.contextConcurrency!).map((t) => t.batch);
    assert.ok(g.throughput.some((t) => t.batch >= 64 && t.batch <= g.contextConcurrency!));
    assert.deepStrictEqual(beyond, g.throughput.map((t) => t.batch).filter((b) => b * 1024 > r.capacity.kvCacheTokens));
    assert.ok(g.throughput.at(-1)!.batch >= 2 * g.contextConcurrency!, 'the series runs past the wall');
  });
});
