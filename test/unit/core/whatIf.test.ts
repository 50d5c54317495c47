// What-if variants (src/core/whatIf.ts): the engine run again with one thing changed. Expected values are worked
// out here from each config's shapes, not through the code under test.
import * as assert from 'assert';
import * as path from 'path';
import { computeBudget } from '../../../src/core/budget';
import type { BudgetReport, ModelFiles } from '../../../src/core/types';
import { batchOneDecode, fullConcurrencyBatch, fullConcurrencyDecode, fullMhaComparison } from '../../../src/core/whatIf';
import { loadModelFiles } from '../../../src/cli/modelFiles';
import { CONFIGS, readConfig } from './helpers';

function files(rel: string): ModelFiles {
  const loaded = loadModelFiles(path.join(CONFIGS, rel));
  if (!loaded.ok) throw new Error(loaded.message);
  return loaded.files;
}

function report(f: ModelFiles, inputs = {}): BudgetReport {
  const r = computeBudget(f, inputs);
  if (!r.ok) throw new Error(r.unsupported);
  return r.report;
}

describe('what-if variants', () => {
  describe('fullMhaComparison', () => {
    it('Llama-3.1-8B: GQA 8 KV heads → 131,072 B per token; full MHA 32 heads → 524,288 B; 4× smaller', () => {
      const c = readConfig('llama3.1/Meta-Llama-3.1-8B') as Record<string, number>;
      const headDim = c.hidden_size / c.num_attention_heads; // 4096 / 32 = 128
      const gqa = 2 * c.num_hidden_layers * c.num_key_value_heads * headDim * 2; // K and V, bf16
      const mha = 2 * c.num_hidden_layers * c.num_attention_heads * headDim * 2;
      assert.strictEqual(gqa, 131_072);
      assert.strictEqual(mha, 524_288);
      const x = fullMhaComparison(files('llama3.1/Meta-Llama-3.1-8B'), { gpu: 'H100', maxModelLen: 8192 });
      assert.ok(x);
      assert.strictEqual(x.kvBytesPerToken, gqa);
      assert.strictEqual(x.fullMhaKvBytesPerToken, mha);
      assert.strictEqual(x.savedBytesPerToken, mha - gqa); // 393,216
      assert.strictEqual(x.ratio, 4);
      // Capacity: the KV memory holds its bytes / 524,288 tokens with full MHA (whole blocks; the activation peak,
      // and so the KV memory, moves a little with the KV heads), about 4× fewer than as configured.
      const own = report(files('llama3.1/Meta-Llama-3.1-8B'), { gpu: 'H100', maxModelLen: 8192 });
      const fit = x.fullMha.perGpu.kvCacheBytes / mha;
      assert.ok(x.fullMhaKvCacheTokens <= fit && x.fullMhaKvCacheTokens > fit - 64, `${x.fullMhaKvCacheTokens} vs ${fit}`);
      assert.strictEqual(x.fullMhaMaxConcurrency, x.fullMhaKvCacheTokens / 8192);
      const ratio = own.capacity.kvCacheTokens / x.fullMhaKvCacheTokens;
      assert.ok(ratio > 3.8 && ratio < 4.2, String(ratio));
    });

    it('gemma-3-27b-it: the attention of the nested text_config, at its level', () => {
      const t = (readConfig('gemma3/gemma-3-27b-it') as { text_config: Record<string, number> }).text_config;
      const gqa = 2 * t.num_hidden_layers * t.num_key_value_heads * t.head_dim * 2; // 2 · 62 · 16 · 128 · 2
      const mha = 2 * t.num_hidden_layers * t.num_attention_heads * t.head_dim * 2; // 2 · 62 · 32 · 128 · 2
      const x = fullMhaComparison(files('gemma3/gemma-3-27b-it'), { gpu: 'H200' }, {}, ['text_config']);
      assert.ok(x);
      assert.strictEqual(x.kvBytesPerToken, gqa);
      assert.strictEqual(x.fullMhaKvBytesPerToken, mha);
      assert.strictEqual(x.ratio, t.num_attention_heads / t.num_key_value_heads);
      // At the top level there are no attention heads to copy: no comparison.
      assert.strictEqual(fullMhaComparison(files('gemma3/gemma-3-27b-it'), { gpu: 'H200' }), undefined);
    });

    it('DeepSeek-V3 (MLA): the latent cache does not shrink with KV heads — no saving', () => {
      const c = readConfig('deepseek-v3/DeepSeek-V3') as Record<string, number>;
      const latent = c.num_hidden_layers * (c.kv_lora_rank + c.qk_rope_head_dim) * 2; // 61 · (512 + 64) · 2
      assert.strictEqual(latent, 70_272);
      const x = fullMhaComparison(files('deepseek-v3/DeepSeek-V3'), { gpu: 'H200', gpuCount: 8, tensorParallel: 8, maxModelLen: 8192 });
      assert.ok(x);
      assert.strictEqual(x.kvBytesPerToken, latent);
      assert.strictEqual(x.savedBytesPerToken, 0);
      assert.strictEqual(x.ratio, 1);
    });
  });

  describe('batch 1 and full concurrency', () => {
    const f = files('llama3.1/Meta-Llama-3.1-8B');
    const inputs = { gpu: 'H100', maxModelLen: 8192, batch: 16 };

    it('batchOneDecode: the report\'s own decode at batch 1, else the engine at batch 1', () => {
      const at16 = report(f, inputs);
      assert.strictEqual(at16.decode.batch, 16);
      const one = batchOneDecode(f, inputs, at16);
      assert.ok(one);
      assert.strictEqual(one.batch, 1);
      assert.deepStrictEqual(one, report(f, { ...inputs, batch: 1 }).decode);
      // One request alone is at least as fast per request as one of 16 (the weights are read for all of them).
      assert.ok(one.tokensPerSecondPerRequest >= at16.decode.tokensPerSecondPerRequest);
      const at1 = report(f, { ...inputs, batch: 1 });
      assert.strictEqual(batchOneDecode(undefined, inputs, at1), at1.decode);
    });

    it('fullConcurrencyBatch / fullConcurrencyDecode: the full-length requests the KV cache holds, capped by max_num_seqs', () => {
      const r = report(f, inputs);
      // 8,192 tokens × 131,072 B = 1 GiB per request; an H100's KV cache holds dozens of them.
      const held = r.capacity.kvCacheTokens / 8192;
      assert.ok(Math.abs(held - r.capacity.maxConcurrency) < 1e-9 || r.capacity.maxConcurrency <= held);
      const expected = Math.max(1, Math.floor(Math.min(r.capacity.maxConcurrency, r.settings.maxNumSeqs)));
      assert.strictEqual(fullConcurrencyBatch(r), expected);
      const full = fullConcurrencyDecode(f, inputs, r);
      assert.ok(full);
      assert.strictEqual(full.batch, expected);
      assert.strictEqual(full.context, 8192);
      // max_num_seqs below what the cache holds caps the batch.
      const capped = report(f, { ...inputs, maxNumSeqs: 4 });
      assert.strictEqual(fullConcurrencyBatch(capped), 4);
      assert.strictEqual(fullConcurrencyDecode(f, { ...inputs, maxNumSeqs: 4 }, capped)?.batch, 4);
    });

    it('fullConcurrencyDecode: none when a full-length request does not fit', () => {
      // 131,072 tokens × 131,072 B = 16 GiB of KV beside ~15 GiB of weights: more than a 24 GB L4 holds.
      const l4 = { gpu: 'L4', maxModelLen: 131072 };
      const r = report(f, l4);
      assert.strictEqual(r.capacity.contextFits, false);
      assert.strictEqual(fullConcurrencyDecode(f, l4, r), undefined);
    });
  });
});
