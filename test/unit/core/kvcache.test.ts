import * as assert from 'assert';
import { kvDtypeBytes, kvHeadsPerRank, layerKvBytesPerToken, modelKvBytesPerToken, modelStateBytesPerSequence, normalizeKvDtype } from '../../../src/core/kvcache';
import { cacheSpecOf, maxMemoryUsageBytes, pageSizeBytes, tokensKept } from '../../../src/core/cacheSpec';
import { model, readConfig } from './helpers';

/** 2 (K and V) x KV heads x head dim x bytes, per attention layer. */
const gqa = (layers: number, kvHeads: number, headDim: number, bytes = 2): number => layers * 2 * kvHeads * headDim * bytes;

describe('KV cache bytes per token (whole model, TP=1, every attention layer, sliding not capped)', () => {
  const cases: Array<[string, number]> = [
    ['llama3.1/Meta-Llama-3.1-8B', gqa(32, 8, 128)],
    ['llama3.1/Meta-Llama-3.1-70B', gqa(80, 8, 128)],
    ['llama2/Llama-2-7b-hf', gqa(32, 32, 128)],
    ['mistral/Mistral-7B-v0.1', gqa(32, 8, 128)],
    // Mistral Nemo states head_dim 128 although hidden/heads = 160.
    ['mistral/Mistral-Nemo-Instruct-2407', gqa(40, 8, 128)],
    ['qwen3/Qwen3-8B', gqa(36, 8, 128)],
    ['qwen3-moe/Qwen3-30B-A3B', gqa(48, 4, 128)],
    ['qwen2.5/Qwen2.5-7B', gqa(28, 4, 128)],
    ['gemma/gemma-2b-it', gqa(18, 1, 256)],
    // Gemma 3 4B relies on library defaults: 4 KV heads of 256.
    ['gemma3/gemma-3-4b-it', gqa(34, 4, 256)],
    ['gemma3/gemma-3-27b-it', gqa(62, 16, 128)],
    ['gpt-oss/gpt-oss-20b', gqa(24, 8, 64)],
    ['phi/Phi-3-mini-4k-instruct', gqa(32, 32, 3072 / 32)],
    ['phi/phi-2', gqa(32, 32, 80)],
    ['falcon/falcon-40b', gqa(60, 8, 64)],
    ['falcon/falcon-180b-chat', gqa(80, 8, 64)],
    ['gpt2/gpt2-xl', gqa(48, 25, 64)],
    ['bloom/bloom-560m', gqa(24, 16, 64)],
    ['opt/opt-1.3b', gqa(24, 32, 64)],
    ['gptj/gpt-j-6b', gqa(28, 16, 256)],
    ['gpt-neox/RedPajama-INCITE-7B-Base', gqa(32, 32, 128)],
    ['_partial/mpt-7b-instruct-resaved', gqa(32, 32, 128)],
    ['mixtral/Mixtral-8x7B-v0.1', gqa(32, 8, 128)],
    // Mllama: 20 of 100 layers are cross-attention to image tokens; only 80 grow with text.
    ['multimodal/Llama-3.2-90B-Vision-Instruct', gqa(80, 8, 128)],
    // MLA: (kv_lora_rank + qk_rope_head_dim) x bytes per layer, no factor 2. DeepSeek-V3: 61 x 576 x 2 = 70,272.
    ['deepseek-v3/DeepSeek-V3', 70_272],
    ['deepseek-v3/Kimi-K2-Instruct', 61 * 576 * 2],
  ];
  for (const [rel, expected] of cases) {
    it(rel, () => assert.strictEqual(modelKvBytesPerToken(model(rel), 2), expected));
  }

  it('counts only the attention layers of Nemotron-H', () => {
    const attention = [...String(readConfig('nemotron-h/Nemotron-H-56B-Base-8K').hybrid_override_pattern)].filter((c) => c === '*').length;
    assert.strictEqual(modelKvBytesPerToken(model('nemotron-h/Nemotron-H-56B-Base-8K'), 2), gqa(attention, 8, 128));
  });

  it('gives Mamba a per-sequence state and no per-token KV', () => {
    const m = model('mamba/mamba-2.8b-hf');
    assert.strictEqual(modelKvBytesPerToken(m, 2), 0);
    // Per layer: conv state inner x (kernel-1) + SSM state inner x state_size; inner = 2 x 2560.
    const inner = 5120;
    assert.strictEqual(modelStateBytesPerSequence(m, 2), 64 * (inner * 3 + inner * 16) * 2);
  });

  it('adds the DeepSeek V3.2 indexer keys (fp8 + 4-byte scale) to the MLA latent', () => {
    assert.strictEqual(modelKvBytesPerToken(model('deepseek-v3/DeepSeek-V3.2'), 2), 61 * (576 * 2 + 128 + 4));
  });

  it('halves with an fp8 cache', () => {
    const m = model('llama3.1/Meta-Llama-3.1-8B');
    assert.strictEqual(modelKvBytesPerToken(m, kvDtypeBytes('fp8', 2)), gqa(32, 8, 128, 1));
  });

  it('divides KV heads across TP and replicates them when there are fewer heads than ranks; MLA never divides', () => {
    assert.strictEqual(kvHeadsPerRank(8, 2), 4);
    assert.strictEqual(kvHeadsPerRank(8, 8), 1);
    assert.strictEqual(kvHeadsPerRank(8, 16), 1);
    assert.strictEqual(kvHeadsPerRank(1, 4), 1);
    const llama = model('llama3.1/Meta-Llama-3.1-70B').layers[0];
    assert.strictEqual(layerKvBytesPerToken(llama, 2, 4), 2 * 2 * 128 * 2);
    assert.strictEqual(layerKvBytesPerToken(llama, 2, 16), 2 * 1 * 128 * 2);
    const mla = model('deepseek-v3/DeepSeek-V3').layers[0];
    assert.strictEqual(layerKvBytesPerToken(mla, 2, 8), 576 * 2);
  });

  it('caps sliding layers at their window', () => {
    const g = model('gemma3/gemma-3-4b-it');
    const spec = (i: number) => cacheSpecOf(g.layers[i], 2, 2, 1)!;
    assert.strictEqual(tokensKept(spec(0), 8192), 1024);
    assert.strictEqual(tokensKept(spec(5), 8192), 8192);
    assert.strictEqual(tokensKept(spec(0), 500), 500);
  });

  it('sizes one request per spec as vLLM\'s max_memory_usage_bytes does', () => {
    // Gemma 3 4B: 4 KV heads of 256 → 4096 bytes per token per layer in bf16; block 16 → 65,536-byte pages.
    const g = model('gemma3/gemma-3-4b-it');
    const sliding = cacheSpecOf(g.layers[0], 2, 2, 1)!;
    const full = cacheSpecOf(g.layers[5], 2, 2, 1)!;
    assert.deepStrictEqual(sliding, { kind: 'sliding', bytesPerToken: 2 * 4 * 256 * 2, window: 1024 });
    assert.strictEqual(pageSizeBytes(full, 16), 65536);
    // Full: cdiv(131072, 16) pages. Sliding: (cdiv(min(1023 + 8192, 131072), 16) + 1) pages = 577 + 1.
    assert.strictEqual(maxMemoryUsageBytes(full, 131072, 16, 8192), 8192 * 65536);
    assert.strictEqual(maxMemoryUsageBytes(sliding, 131072, 16, 8192), (Math.ceil(9215 / 16) + 1) * 65536);
    // A Mamba layer's state is one page per sequence whatever the length.
    const nano = model('nemotron-h/NVIDIA-Nemotron-3-Nano-30B-A3B-NVFP4');
    const state = cacheSpecOf(nano.layers[0], 2, 2, 1)!;
    assert.strictEqual(state.kind, 'state');
    assert.strictEqual(maxMemoryUsageBytes(state, 1_000_000, 16, 8192), pageSizeBytes(state, 16));
  });

  it('normalises KV dtype names', () => {
    assert.strictEqual(normalizeKvDtype(undefined), 'auto');
    assert.strictEqual(normalizeKvDtype('fp8_e4m3'), 'fp8');
    assert.strictEqual(normalizeKvDtype('BF16'), 'bfloat16');
    assert.strictEqual(normalizeKvDtype('int3'), undefined);
    assert.strictEqual(kvDtypeBytes('auto', 4), 4);
    assert.strictEqual(kvDtypeBytes('float16', 4), 2);
  });
});
