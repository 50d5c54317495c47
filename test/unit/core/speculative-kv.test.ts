// The speculative drafter's KV cache at vLLM's startup: its attention layers get KV specs of their own that join the
// KV cache groups (GPUModelRunner.get_kv_cache_spec), so a block holds more pages and fewer tokens fit. Every
// expected value is worked out here from the configs' shapes and vLLM's formulas, with the KV memory pinned by
// --kv-cache-memory-bytes where the arithmetic should not depend on the rest of the emulation.
import * as assert from 'assert';
import * as path from 'path';
import { computeBudget } from '../../../src/core/budget';
import { BudgetInputs, BudgetReport, ModelFiles } from '../../../src/core/types';
import { loadModelFiles } from '../../../src/cli/modelFiles';
import { cudaGraphCaptureSizes, slidingExtraRetainedTokens, vllmProfile } from '../../../src/core/engine/vllm';
import { maxMemoryUsageBytes } from '../../../src/core/cacheSpec';
import { drafterOfModelName } from '../../../src/core/speculative';
import { CONFIGS, GiB, readConfig } from './helpers';

function files(rel: string): ModelFiles {
  const loaded = loadModelFiles(path.join(CONFIGS, rel));
  if (!loaded.ok) throw new Error(loaded.message);
  return loaded.files;
}

function report(f: ModelFiles, inputs: BudgetInputs, draft?: ModelFiles): BudgetReport {
  const r = computeBudget(f, inputs, draft ? { draft } : {});
  if (!r.ok) throw new Error(r.unsupported);
  return r.report;
}

const cdiv = (a: number, b: number): number => Math.ceil(a / b);

describe('speculative decoding: the drafter\'s KV cache (vLLM)', () => {
  const llama = files('llama3.1/Meta-Llama-3.1-8B');
  // Llama-3.1-8B, bf16, TP 1: 32 layers of 2 (K, V) × 8 KV heads × 128 × 2 bytes = 4,096 bytes per token each.
  const layerKv = 2 * 8 * 128 * 2;

  it('an EAGLE-3 head adds one layer of 2 · kvHeads · headDim · 2 bytes to every token, and a block holds 33 pages', () => {
    const pinned = 16 * GiB;
    const base = { gpu: 'H100', maxModelLen: 8192, kvCacheMemoryBytes: pinned };
    const without = report(llama, base);
    const withHead = report(llama, { ...base, speculativeMethod: 'eagle3' });
    assert.strictEqual(without.perGpu.kvBytesPerToken, 32 * layerKv);
    assert.strictEqual(withHead.perGpu.kvBytesPerToken, 33 * layerKv);
    // One KV cache group (every spec alike): a block is 16 tokens × every layer's page; tokens = blocks × 16.
    const blocksWithout = Math.floor(pinned / (16 * 32 * layerKv));
    const blocksWith = Math.floor(pinned / (16 * 33 * layerKv));
    assert.deepStrictEqual([without.capacity.numBlocks, without.capacity.kvCacheTokens], [blocksWithout, blocksWithout * 16]);
    assert.deepStrictEqual([withHead.capacity.numBlocks, withHead.capacity.kvCacheTokens], [blocksWith, blocksWith * 16]);
    assert.deepStrictEqual([blocksWithout * 16, blocksWith * 16], [131072, 127088]);
    // One request of 8,192 tokens: 512 blocks of 33 pages.
    assert.strictEqual(withHead.capacity.kvBytesPerRequest, cdiv(8192, 16) * 16 * 33 * layerKv);
    const finding = withHead.diagnostics.find((d) => d.code === 'speculative-drafter-kv');
    assert.ok(finding && /\+4,096 bytes per token per GPU/.test(finding.message) && /shaped like the model's last attention layer/.test(finding.message), JSON.stringify(finding));
  });

  it('the head\'s weights come out of the KV memory first, then its page shrinks what is left into fewer tokens', () => {
    const base = { gpu: 'H100', maxModelLen: 8192 };
    const without = report(llama, base);
    const withHead = report(llama, { ...base, speculativeMethod: 'eagle3' });
    // One decoder layer in bf16: q, o 4,096²; k, v 4,096 × 1,024; gate, up, down 4,096 × 14,336; two RMSNorms.
    const headBytes = 2 * (2 * 4096 * 4096 + 2 * 4096 * 1024 + 3 * 4096 * 14336 + 2 * 4096);
    assert.strictEqual(withHead.perGpu.weightBytes - without.perGpu.weightBytes, headBytes);
    assert.ok(Math.abs(without.perGpu.kvCacheBytes - withHead.perGpu.kvCacheBytes - headBytes) < 1);
    const blocks = Math.floor(withHead.perGpu.kvCacheBytes / (16 * 33 * layerKv));
    assert.strictEqual(withHead.capacity.kvCacheTokens, blocks * 16);
  });

  it('DeepSeek-V3 with its MTP layer: one more MLA latent (512 + 64) per token on every rank, 62 pages a block', () => {
    const pinned = 20 * GiB;
    const base = { gpu: 'H200', gpuCount: 8, tensorParallel: 8, maxModelLen: 32768, kvCacheMemoryBytes: pinned };
    const without = report(files('deepseek-v3/DeepSeek-V3'), base);
    const withMtp = report(files('deepseek-v3/DeepSeek-V3'), { ...base, speculativeMethod: 'deepseek_mtp' });
    const kv = withMtp.settings.kvCacheDtype === 'fp8' ? 1 : 2;
    const latent = (512 + 64) * kv;   // kv_lora_rank + qk_rope_head_dim, not split by TP
    assert.strictEqual(without.perGpu.kvBytesPerToken, 61 * latent);
    assert.strictEqual(withMtp.perGpu.kvBytesPerToken, 62 * latent);
    const block = withMtp.settings.blockSize;
    const blocks = Math.floor(pinned / (block * 62 * latent));
    assert.strictEqual(withMtp.capacity.kvCacheTokens, blocks * block);
    assert.ok(withMtp.diagnostics.some((d) => d.code === 'speculative-drafter-kv' && /1 MTP layer/.test(d.message)));
  });

  it('gpt-oss-20b + EAGLE-3: 12 sliding + 13 full layers are padded to two groups of 13 from 0.12, three groups of 12 before', () => {
    const pinned = 8 * GiB;
    const f = files('gpt-oss/gpt-oss-20b');
    const at = (version: string, method?: string) => report(f, { gpu: 'H100', maxModelLen: 8192, kvCacheMemoryBytes: pinned, engine: `vllm@${version}`, ...(method ? { speculativeMethod: method } : {}) });
    // A page: 16 tokens × 2 × 8 KV heads × 64 × 2 bytes. `_get_kv_cache_groups_uniform_page_size`: group size is the
    // smallest bucket (12), or the largest (13) when it is below 1.25 × (0.12+, #29303) / 1.5 × (0.18+, #36684) the
    // smallest; a block holds group-size pages, and each group takes a block per 16 tokens.
    const page = 16 * 2 * 8 * 64 * 2;
    const tokens = (groupSize: number, groups: number) => Math.floor(Math.floor(pinned / (groupSize * page)) / groups) * 16;
    assert.strictEqual(at('0.19.0').capacity.kvCacheTokens, tokens(12, 2));
    assert.strictEqual(at('0.19.0', 'eagle3').capacity.kvCacheTokens, tokens(13, 2));
    assert.strictEqual(at('0.15.0', 'eagle3').capacity.kvCacheTokens, tokens(13, 2));
    assert.strictEqual(at('0.11.0', 'eagle3').capacity.kvCacheTokens, tokens(12, 3));
    assert.deepStrictEqual([tokens(12, 2), tokens(13, 2), tokens(12, 3)], [174752, 161312, 116496]);
  });

  it('an EAGLE head\'s own config sizes its layers: two layers of 2 KV heads', () => {
    const pinned = 16 * GiB;
    const head: ModelFiles = {
      config: {
        architectures: ['LlamaForCausalLMEagle3'], model_type: 'llama', hidden_size: 4096, intermediate_size: 14336, num_attention_heads: 32,
        num_key_value_heads: 2, num_hidden_layers: 2, vocab_size: 128256, max_position_embeddings: 8192, rms_norm_eps: 1e-5, torch_dtype: 'bfloat16',
      },
    };
    const base = { gpu: 'H100', maxModelLen: 8192, kvCacheMemoryBytes: pinned, speculativeMethod: 'eagle3', speculativeModel: 'org/eagle3-head' };
    const r = report(llama, base, head);
    const headKv = 2 * (2 * 2 * 128 * 2);
    assert.strictEqual(r.perGpu.kvBytesPerToken, 32 * layerKv + headKv);
    // Its two decoder layers' weights (k, v now 4,096 × 256), bf16.
    const without = report(llama, { gpu: 'H100', maxModelLen: 8192, kvCacheMemoryBytes: pinned });
    assert.strictEqual(r.perGpu.weightBytes - without.perGpu.weightBytes, 2 * 2 * (2 * 4096 * 4096 + 2 * 4096 * 256 + 3 * 4096 * 14336 + 2 * 4096));
    // Different shapes, one attention type: one group whose block is the sum of the layers' pages.
    assert.strictEqual(r.capacity.kvCacheTokens, Math.floor(pinned / (16 * (32 * layerKv + headKv))) * 16);
    // The speculators format keeps the layer's config inside.
    const wrapped = report(llama, base, { config: { architectures: ['Eagle3Speculator'], speculators_model_type: 'eagle3', transformer_layer_config: head.config } });
    assert.strictEqual(wrapped.perGpu.kvBytesPerToken, r.perGpu.kvBytesPerToken);
  });

  it('a separate draft model (Llama-3.2-1B for Llama-3.1-8B): all its layers\' KV and all its weights; unsized without its config', () => {
    const inputs = { gpu: 'H100', maxModelLen: 8192, speculativeModel: 'meta-llama/Llama-3.2-1B', speculativeTokens: 4 };
    const without = report(llama, { gpu: 'H100', maxModelLen: 8192 });
    const r = report(llama, inputs, files('llama3.2/Llama-3.2-1B'));
    // "model" alone names a draft model (SpeculativeConfig.__post_init__: method draft_model unless detected).
    assert.strictEqual(drafterOfModelName('meta-llama/Llama-3.2-1B'), 'draft');
    // 16 layers × 2 × 8 KV heads × 64 × 2 bytes on top of the target's 32 × 4,096.
    assert.strictEqual(r.perGpu.kvBytesPerToken, 32 * layerKv + 16 * 2 * 8 * 64 * 2);
    // Llama-3.2-1B in bf16: 16 layers of q, o 2,048²; k, v 2,048 × 512; MLP 3 × 2,048 × 8,192; two norms; the tied
    // 128,256 × 2,048 embedding once; the final norm.
    const params = 16 * (2 * 2048 * 2048 + 2 * 2048 * 512 + 3 * 2048 * 8192 + 2 * 2048) + 128256 * 2048 + 2048;
    assert.strictEqual(r.perGpu.weightBytes - without.perGpu.weightBytes, 2 * params);
    assert.ok(r.diagnostics.some((d) => d.code === 'speculative-drafter-kv' && /16 attention layers/.test(d.message)));
    // Without the draft model's config nothing of it is counted, and the finding says so.
    const unsized = report(llama, inputs);
    assert.strictEqual(unsized.perGpu.kvBytesPerToken, 32 * layerKv);
    assert.strictEqual(unsized.perGpu.weightBytes, without.perGpu.weightBytes);
    assert.ok(unsized.diagnostics.some((d) => d.code === 'speculative-not-modelled' && /Llama-3\.2-1B\) is not sized/.test(d.message)));
  });

  it('names drafters from the model alone as vLLM detects them', () => {
    assert.deepStrictEqual(
      ['[ngram]', 'yuhuili/EAGLE-LLaMA3-Instruct-8B', 'yuhuili/EAGLE3-LLaMA3.1-Instruct-8B', 'AngelSlim/Qwen3-8B_eagle3', 'org/x'].map((m) => drafterOfModelName(m)),
      ['ngram', 'eagle', 'eagle3', 'eagle3', 'draft'],
    );
    assert.strictEqual(drafterOfModelName('org/x-mtp', { model_type: 'deepseek_mtp' }), 'mtp');
  });

  it('CUDA-graph capture sizes count 1 + k tokens per sequence from 0.13 (max_num_seqs 16, k = 3: up to 128, not 32)', () => {
    const v21 = vllmProfile('0.21.0')!;
    // vLLM's rule: [1, 2, 4] + every 8 up to min(2 × max_num_seqs × (1 + k), 512, max_num_batched_tokens).
    const expected = (max: number) => [1, 2, 4, ...Array.from({ length: max / 8 }, (_, i) => 8 * (i + 1))];
    assert.deepStrictEqual(cudaGraphCaptureSizes(16, 8192, v21, 4), expected(128));
    assert.deepStrictEqual(cudaGraphCaptureSizes(16, 8192, v21), expected(32));
    // The estimate charges the largest graph and the second for each other size: 128 + 120 × 18 vs 32 + 24 × 6.
    const base = { gpu: 'H100', maxModelLen: 8192, maxNumSeqs: 16, engine: 'vllm@0.21.0' };
    const plain = report(llama, base);
    const ngram = report(llama, { ...base, speculativeMethod: 'ngram', speculativeTokens: 3 });
    assert.ok(Math.abs(ngram.perGpu.cudaGraphBytes / plain.perGpu.cudaGraphBytes - (128 + 120 * 18) / (32 + 24 * 6)) < 1e-9);
    // n-gram lookup has no layers: the KV per token is the model's.
    assert.strictEqual(ngram.perGpu.kvBytesPerToken, plain.perGpu.kvBytesPerToken);
    // Before #30330 (0.12) the sizes ignored the drafted tokens.
    const old = { ...base, engine: 'vllm@0.12.0' };
    assert.strictEqual(report(llama, { ...old, speculativeMethod: 'ngram', speculativeTokens: 3 }).perGpu.cudaGraphBytes, report(llama, old).perGpu.cudaGraphBytes);
  });

  it('multi-layer MTP keeps k − 1 more tokens in every sliding window from 0.26 (extra_retained_tokens)', () => {
    const v26 = vllmProfile('0.26.0')!;
    const spec = (mtpLayers: number, tokens: number) => ({ method: 'mtp' as const, tokens, mtpLayers, kvLayers: [] });
    assert.deepStrictEqual([slidingExtraRetainedTokens(spec(3, 3), v26), slidingExtraRetainedTokens(spec(1, 3), v26), slidingExtraRetainedTokens(spec(3, 1), v26)], [2, 0, 0]);
    assert.strictEqual(slidingExtraRetainedTokens(spec(3, 3), vllmProfile('0.25.0')!), 0);
    // A 128-token window, 2 × 8,192 tokens in flight, block 16, one page p: (cdiv(127 + 2 + 16,384, 16) + 1) p.
    assert.strictEqual(maxMemoryUsageBytes({ kind: 'sliding', bytesPerToken: 1, window: 128 }, 32768, 16, 16384, 2), (cdiv(127 + 2 + 16384, 16) + 1) * 16);
    // gpt-oss-20b given three MTP layers: at k = 3 each of its 12 sliding layers needs one more block per request than at k = 1.
    const config = { ...readConfig('gpt-oss/gpt-oss-20b'), num_nextn_predict_layers: 3 };
    const f: ModelFiles = { config };
    const at = (k: number) => report(f, { gpu: 'H100', maxModelLen: 32768, engine: 'vllm@0.26.0', speculativeMethod: 'mtp', speculativeTokens: k });
    const page = 16 * 2 * 8 * 64 * 2;
    const inFlight = 2 * 8192;
    const slidingBlocks = (extra: number) => cdiv(Math.min(127 + extra + inFlight, 32768), 16) + 1;
    assert.strictEqual(at(3).capacity.kvBytesPerRequest - at(1).capacity.kvBytesPerRequest, 12 * (slidingBlocks(2) - slidingBlocks(0)) * page);
  });

  it('vLLM refuses LoRA with speculation when a step cannot hold max_num_seqs × (1 + k) tokens (0.12+)', () => {
    const base = { gpu: 'H100', maxModelLen: 8192, enableLora: true, maxNumSeqs: 256, speculativeMethod: 'ngram', speculativeTokens: 1 };
    const refused = report(llama, { ...base, maxNumBatchedTokens: 511 });
    const d = refused.diagnostics.find((x) => x.code === 'engine-refuses-settings');
    assert.ok(d && d.severity === 'error' && d.suggestedValue === 256 * 2 && /Consider increasing max_num_batched_tokens/.test(d.message), JSON.stringify(refused.diagnostics));
    assert.strictEqual(refused.verdict.fits, false);
    assert.ok(!report(llama, { ...base, maxNumBatchedTokens: 512 }).diagnostics.some((x) => x.code === 'engine-refuses-settings'));
    assert.ok(!report(llama, { ...base, maxNumBatchedTokens: 511, enableLora: false }).diagnostics.some((x) => x.code === 'engine-refuses-settings'));
    assert.ok(!report(llama, { ...base, maxNumBatchedTokens: 511, engine: 'vllm@0.11.0' }).diagnostics.some((x) => x.code === 'engine-refuses-settings'));
  });
});
