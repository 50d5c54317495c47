// Version rules of the vLLM emulation that move the profiling run's activation peak: which top-k/top-p sampler the
// warm-up (`_dummy_sampler_run`) takes at each release and under VLLM_USE_FLASHINFER_SAMPLER. The expected figures
// are worked out here from vLLM's own code paths (rows × vocabulary × bytes per logit), not read off our output.

import * as assert from 'assert';
import { VllmSettings, activationPeakBytes, emulateVllm, samplerPathFor, vllmProfile } from '../../../src/core/engine/vllm';
import { findAccelerator } from '../../../src/core/hardware';
import { ModelDescription, layerKinds } from '../../../src/core/model';
import { GiB, budget, model } from './helpers';

/** vLLM serve on an H100 (`get_batch_defaults`): 8,192 batched tokens, 1,024 sequences; bf16. */
function settings(over: Partial<VllmSettings> = {}): VllmSettings {
  return {
    tp: 1, pp: 1, maxModelLen: 16000, gpuMemoryUtilization: 0.9, maxNumBatchedTokens: 8192, maxNumSeqs: 1024, blockSize: 128,
    kvBytes: 2, activationDtypeBytes: 2, stateDtypeBytes: 2, topology: { interconnect: 'nvswitch', computeCapability: 9.0, nodes: 1 },
    ...over,
  };
}

function activation(m: ModelDescription, version: string, over: Partial<VllmSettings> = {}): number {
  return activationPeakBytes(m, layerKinds(m, 0, m.numLayers), true, settings(over), vllmProfile(version)!);
}

// Bytes per logit element of the sampler warm-up, from the code each release runs (bf16 logits: 2 bytes):
// FlashInfer = bf16 logits + fp32 copy + fp32 top-k-masked logits + fp32 softmax = 2 + 4 + 4 + 4;
// Triton top-k/top-p = the same + an fp32 scratch row = 15; PyTorch full-vocabulary sort = 38.4 (0.15/0.16 logs).
const FLASHINFER = 2 + 4 + 4 + 4;
const TRITON = FLASHINFER + 1;
const SORT = 38.4;

describe('vLLM version rules: the sampler warm-up of the profiling run', () => {
  // Qwen3-0.6B (vocabulary 151,936, hidden 1,024): the sampler dominates the profile at 1,024 rows.
  const qwen = model('qwen3/Qwen3-0.6B');
  const rows = 1024;
  const vocab = 151936;
  /** The last hidden states of the dummy batch (tokens × hidden × bf16) stay alive under the sampler. */
  const hidden = 8192 * 1024 * 2;
  const expected = (bytesPerLogit: number): number => hidden + rows * vocab * bytesPerLogit;

  it('reads the model the way the formula assumes', () => {
    assert.strictEqual(qwen.vocabSize, vocab);
    assert.strictEqual(qwen.hiddenSize, 1024);
  });

  it('0.10.1 and 0.11.0: FlashInfer by default (VLLM_USE_FLASHINFER_SAMPLER unset counts as on)', () => {
    assert.strictEqual(samplerPathFor(vllmProfile('0.10.1')!), 'flashinfer');
    assert.strictEqual(samplerPathFor(vllmProfile('0.11.0')!), 'flashinfer');
    assert.ok(Math.abs(activation(qwen, '0.11.0') - expected(FLASHINFER)) < 1);
    // 2.05 GiB: well below the 5.56 GiB the llm-d "~0.11.0" records logged for Qwen3-0.6B.
    assert.ok(Math.abs(activation(qwen, '0.11.0') / GiB - 2.05) < 0.01);
  });

  it('0.10.1 and 0.11.0 without FlashInfer (=0, or not installed): the full-vocabulary sort of 0.11.1–0.16', () => {
    assert.strictEqual(samplerPathFor(vllmProfile('0.10.1')!, false), 'native-sort');
    assert.ok(Math.abs(activation(qwen, '0.11.0', { flashinferSampler: false }) - expected(SORT)) < 1);
  });

  it('0.11.1–0.16: the sort by default (#26859), FlashInfer only with VLLM_USE_FLASHINFER_SAMPLER=1', () => {
    for (const v of ['0.11.1', '0.12.0', '0.13.0', '0.14.1', '0.16.0']) {
      assert.strictEqual(samplerPathFor(vllmProfile(v)!), 'native-sort', v);
      assert.ok(Math.abs(activation(qwen, v) - expected(SORT)) < 1, v);
    }
    assert.ok(Math.abs(activation(qwen, '0.13.0', { flashinferSampler: true }) - expected(FLASHINFER)) < 1);
    // The llm-d records (H100, max_model_len 16000, block 128) logged 5.56 GiB "torch peak memory increase".
    assert.ok(Math.abs(activation(qwen, '0.13.0') / GiB / 5.56 - 1) < 0.005);
  });

  it('0.17–0.20: the Triton kernel (#33538); =1 gives FlashInfer', () => {
    assert.strictEqual(samplerPathFor(vllmProfile('0.17.0')!), 'triton');
    assert.ok(Math.abs(activation(qwen, '0.19.0') - expected(TRITON)) < 1);
    assert.ok(Math.abs(activation(qwen, '0.19.0', { flashinferSampler: true }) - expected(FLASHINFER)) < 1);
  });

  it('0.21+: FlashInfer by default again (#40376); =0 falls back to the Triton kernel, not the sort', () => {
    assert.strictEqual(samplerPathFor(vllmProfile('0.21.0')!), 'flashinfer');
    assert.ok(Math.abs(activation(qwen, '0.21.0') - expected(FLASHINFER)) < 1);
    assert.strictEqual(samplerPathFor(vllmProfile('0.21.0')!, false), 'triton');
    assert.ok(Math.abs(activation(qwen, '0.21.0', { flashinferSampler: false }) - expected(TRITON)) < 1);
  });

  it('the sort grows with the vocabulary: Llama 3 (128,256) and gpt-oss (201,088) against the logged 4.76 / 7.38 GiB', () => {
    const llama = model('llama3.1/Meta-Llama-3.1-8B');
    const llamaExpected = 8192 * 4096 * 2 + rows * 128256 * SORT;
    assert.ok(Math.abs(activation(llama, '0.13.0') - llamaExpected) < 1);
    assert.ok(Math.abs(llamaExpected / GiB / 4.76 - 1) < 0.005);
    const oss = model('gpt-oss/gpt-oss-20b');
    const ossExpected = 8192 * 2880 * 2 + rows * 201088 * SORT;
    assert.ok(Math.abs(activation(oss, '0.13.0') - ossExpected) < 1);
    assert.ok(Math.abs(ossExpected / GiB / 7.38 - 1) < 0.005);
  });

  it('the KV cache loses exactly what the sampler path adds: 0.10.1 on A100 40 GB without FlashInfer (kv2-005)', () => {
    // kv2-005: Qwen2-7B-Instruct, TP 2 on two nodes via Ray, utilization 0.5, max_model_len 16384; its log says
    // "FlashInfer is not available. Falling back to the PyTorch-native implementation of top-p & top-k sampling".
    // A100 defaults: 2,048 batched tokens, 256 sequences; vocabulary 152,064 (Qwen2.5-7B's shapes).
    const r = budget('qwen2.5/Qwen2.5-7B-Instruct', {
      gpu: 'NVIDIA A100-SXM4-40GB', gpuCount: 2, tensorParallel: 2, nodes: 2, maxModelLen: 16384, gpuMemoryUtilization: 0.5, engine: 'vllm@0.10.1',
    });
    const sortExtra = 256 * 152064 * (SORT - FLASHINFER);
    const m = model('qwen2.5/Qwen2.5-7B-Instruct');
    const acc = findAccelerator('NVIDIA A100-SXM4-40GB');
    if (!acc.ok) throw new Error(acc.message);
    const s = settings({ tp: 2, maxModelLen: 16384, gpuMemoryUtilization: 0.5, maxNumBatchedTokens: 2048, maxNumSeqs: 256, blockSize: 16, topology: { interconnect: 'pcie', computeCapability: 8.0, nodes: 2 } });
    const plan = { baseDtypeBytes: 2 };
    const p = vllmProfile('0.10.1')!;
    const withFi = emulateVllm(m, plan, acc.accelerator, s, p).reported.availableKvBytes;
    const without = emulateVllm(m, plan, acc.accelerator, { ...s, flashinferSampler: false }, p).reported.availableKvBytes;
    assert.ok(Math.abs(withFi - without - sortExtra) < 1);
    assert.ok(Math.abs(withFi - r.perGpu.kvCacheBytes) < 1, 'the direct emulation matches the budget');
    // Logged: 11.03 GiB. With FlashInfer assumed we are +8 %; without it, within 0.5 %.
    assert.ok(withFi / GiB / 11.03 - 1 > 0.07);
    assert.ok(Math.abs(without / GiB / 11.03 - 1) < 0.005);
  });
});
