import * as assert from 'assert';
import { STARTUP_LOG_FILES, compareStartup, engineVersionOf, isV1Record, latestVllmReleaseAt, loggedUtilization, median, startupRecords } from '../../../scripts/groundTruth';
import {
  DEFAULT_VLLM_VERSION, NEWEST_VLLM_VERSION, cudaGraphBytes, cudaGraphEstimateApplied, mxfp4PaddingFor, usesModelRunnerV2, cudaGraphCaptureSizes, customAllReduceEnabled, defaultSchedulerLimits, nonTorchBytes, vllmProfile,
} from '../../../src/core/engine/vllm';
import { findAccelerator } from '../../../src/core/hardware';
import { GiB, budget, model } from './helpers';

describe('vLLM startup emulation against published startup logs', () => {
  const comparisons = startupRecords().map((r) => compareStartup(r));

  it('predicts every record without error', () => {
    for (const c of comparisons) assert.ok(c.report, `${c.record.id}: ${c.error}`);
  });

  it('V1 "GPU KV cache size": median |error| <= 2% and >= 90% of records within 5%', () => {
    const errors = comparisons.filter((c) => isV1Record(c.record)).map((c) => Math.abs((c.kvCacheTokensError ?? c.kvCacheGiBError)!));
    assert.ok(errors.length >= 20);
    assert.ok(median(errors) <= 0.02, `median ${median(errors)}`);
    assert.ok(errors.filter((e) => e <= 0.05).length / errors.length >= 0.9);
  });

  it('predicts every logged failure as a failure with an estimated max model length', () => {
    const failures = comparisons.filter((c) => c.measuredFailed);
    assert.ok(failures.length >= 1);
    for (const c of failures) {
      assert.ok(c.predictedFailed, c.record.id);
      assert.ok(c.report!.capacity.estimatedMaxModelLen > 0 && c.report!.capacity.estimatedMaxModelLen < c.record.max_model_len!);
    }
    for (const c of comparisons.filter((x) => !x.measuredFailed)) assert.ok(!c.predictedFailed, `${c.record.id} started but predicted to fail`);
  });

  it('reproduces the logged weights within 1% where the log states them (rotary tables included); MXFP4 within 2.5%', () => {
    for (const c of comparisons) {
      if (c.weightsGiBError === undefined) continue;
      // MXFP4 experts are padded by the GPU's kernel layout; on Hopper that layout is inferred from the logs.
      const bound = c.report?.model.weightDtype === 'mxfp4' ? 0.025 : 0.01;
      assert.ok(Math.abs(c.weightsGiBError) < bound, `${c.record.id} weights error ${c.weightsGiBError}`);
    }
  });
});

describe('vLLM startup logs from other machines and users (the second file)', () => {
  const records = startupRecords(STARTUP_LOG_FILES[1]);

  it('reads an inferred version whose source ran `:latest` in a month as the release of that month', () => {
    assert.strictEqual(latestVllmReleaseAt('2026-01-01'), '0.13.0');
    assert.strictEqual(latestVllmReleaseAt('2025-11-01'), '0.11.0');
    assert.strictEqual(latestVllmReleaseAt('2025-01-01'), undefined);
    assert.deepStrictEqual(engineVersionOf({ vllm_version: '~0.11.0 (doc: v0.11.0 pod spec; earlier revision: :latest in Jan 2026)' }), { version: '0.13.0', basis: 'latest-in-month' });
    assert.deepStrictEqual(engineVersionOf({ vllm_version: '~0.6.4 (inferred)' }), { version: '0.6.4', basis: 'inferred' });
    assert.deepStrictEqual(engineVersionOf({ vllm_version: '0.13.0 (NGC container 26.01)' }), { version: '0.13.0', basis: 'stated' });
  });

  it('flags a record whose breakdown sums to another utilization than it states', () => {
    // kv2-007: 13.47 + 7.38 + 0.13 + 50.28 = 71.26 GiB = 0.90 x 79.18; kv2-008: 64.38 + 7.38 + 0.13 + 3.33 = 75.22 = 0.95 x 79.18.
    const byId = new Map(records.map((r) => [r.id, r]));
    assert.ok(Math.abs(loggedUtilization(byId.get('kv2-007')!)! - 71.26 / 79.18) < 1e-9);
    assert.ok(Math.abs(loggedUtilization(byId.get('kv2-008')!)! - 75.22 / 79.18) < 1e-9);
    assert.strictEqual(loggedUtilization(byId.get('kv2-001')!), undefined); // no activation logged
  });

  it('the January-2026 `:latest` records whose breakdowns are consistent: KV within 0.5% at that release (not at 0.11.0)', () => {
    const consistent = records.filter((r) => engineVersionOf(r).basis === 'latest-in-month' && r.kv_cache_gib! > 0)
      .filter((r) => { const u = loggedUtilization(r); return u === undefined || Math.abs(u - r.gpu_memory_utilization!) <= 0.005; });
    assert.ok(consistent.length >= 6, `${consistent.length}`);
    for (const r of consistent) {
      const atLatest = compareStartup(r).kvCacheGiBError!;
      const asWritten = compareStartup(r, 'stated').kvCacheGiBError!;
      assert.ok(Math.abs(atLatest) <= 0.005, `${r.id} at 0.13.0: ${atLatest}`);
      assert.ok(asWritten > 0.05, `${r.id} at 0.11.0: ${asWritten}`); // FlashInfer sampler: a smaller activation peak
    }
  });

  it('median |error| of the KV cache <= 1%', () => {
    const errors = records.filter(isV1Record).map((r) => compareStartup(r)).filter((c) => c.report)
      .map((c) => Math.abs((c.kvCacheTokensError ?? c.kvCacheGiBError)!)).filter((e) => Number.isFinite(e));
    assert.ok(errors.length >= 18, `${errors.length}`);
    assert.ok(median(errors) <= 0.01, `median ${median(errors)}`);
  });
});

describe('vLLM accounting mechanics', () => {
  it('sizes Gemma 3 with the hybrid allocator: 5 full + 29 sliding layers form 7 groups of 5', () => {
    // kv-011 settings: 79.19 GiB, utilization 0.95, max_model_len 8192, block 16.
    const r = budget('gemma3/gemma-3-4b-it', { gpu: 'H100 SXM', maxModelLen: 8192, gpuMemoryUtilization: 0.95 });
    const page = 16 * 2 * 4 * 256 * 2; // one block of one layer
    const blocks = Math.floor(r.perGpu.kvCacheBytes / (page * 5));
    assert.strictEqual(r.capacity.numBlocks, blocks);
    assert.strictEqual(r.capacity.kvCacheTokens, Math.floor(blocks / 7) * 16);
    // Per request: the full group needs 8192/16 = 512 blocks; each sliding group min(1023 + 8192, 8192)/16 + 1 = 513.
    assert.ok(Math.abs(r.capacity.maxConcurrency - blocks / (512 + 6 * 513)) < 1e-9);
  });

  it('follows version behaviour: V0 profile, pre-0.17 activation, CUDA graphs subtracted from 0.21', () => {
    assert.strictEqual(vllmProfile('0.6.4')!.v1, false);
    assert.strictEqual(vllmProfile('0.10.1')!.samplerPath, 'flashinfer');
    assert.strictEqual(vllmProfile('0.15.0')!.samplerPath, 'native-sort');
    assert.strictEqual(vllmProfile('0.17.0')!.samplerPath, 'triton');
    assert.strictEqual(vllmProfile('0.19.0')!.subtractsCudaGraphs, false);
    assert.strictEqual(vllmProfile('0.21.0')!.subtractsCudaGraphs, true);
    assert.strictEqual(vllmProfile('0.21.0')!.defaultGpuMemoryUtilization, 0.92);
    assert.strictEqual(vllmProfile('banana'), undefined);
    assert.strictEqual(DEFAULT_VLLM_VERSION, '0.19.0');
    const old = budget('llama3.1/Meta-Llama-3.1-8B', { maxModelLen: 8192, engine: 'vllm@0.19.0' });
    const newer = budget('llama3.1/Meta-Llama-3.1-8B', { maxModelLen: 8192, engine: 'vllm@0.21.0', gpuMemoryUtilization: 0.9 });
    // 0.21 subtracts the graph estimate, and its FlashInfer sampler warm-up takes one byte less per logit than
    // 0.19's Triton kernel: 1,024 rows × 128,256 vocabulary entries.
    const samplerSaving = 1024 * 128256 * 1;
    assert.ok(Math.abs(old.perGpu.kvCacheBytes - newer.perGpu.kvCacheBytes - newer.perGpu.cudaGraphBytes + samplerSaving) < 1);
    // 0.11.1–0.16 sort the whole vocabulary: 38.4 bytes per logit for bf16, against 15 at 0.17.
    const sorting = budget('llama3.1/Meta-Llama-3.1-8B', { maxModelLen: 8192, engine: 'vllm@0.16.0' });
    const triton = budget('llama3.1/Meta-Llama-3.1-8B', { maxModelLen: 8192, engine: 'vllm@0.17.0' });
    assert.ok(Math.abs(sorting.perGpu.activationPeakBytes - triton.perGpu.activationPeakBytes - 1024 * 128256 * (38.4 - 15)) < 1);
  });

  it('uses vLLM serve defaults: 8192 tokens / 1024 sequences on big GPUs, 2048 / 256 elsewhere (and on A100)', () => {
    const p = vllmProfile('0.19.0')!;
    const lookup = (n: string) => { const r = findAccelerator(n); if (!r.ok) throw new Error(r.message); return r.accelerator; };
    assert.deepStrictEqual(defaultSchedulerLimits(lookup('H100 SXM'), p, 8192), { maxNumBatchedTokens: 8192, maxNumSeqs: 1024 });
    assert.deepStrictEqual(defaultSchedulerLimits(lookup('A100 SXM 80GB'), p, 8192), { maxNumBatchedTokens: 2048, maxNumSeqs: 256 });
    assert.deepStrictEqual(defaultSchedulerLimits(lookup('4090'), p, 8192), { maxNumBatchedTokens: 2048, maxNumSeqs: 256 });
    // GB10 has ~120 GiB but no NVML memory figure: vLLM reads 0 and takes the small defaults.
    assert.deepStrictEqual(defaultSchedulerLimits(lookup('GB10'), p, 8192), { maxNumBatchedTokens: 2048, maxNumSeqs: 256 });
    // Unset batched tokens are capped at max_num_seqs × max_model_len.
    assert.deepStrictEqual(defaultSchedulerLimits(lookup('H100 SXM'), p, 4), { maxNumBatchedTokens: 4096, maxNumSeqs: 1024 });
  });

  it('pads MXFP4 experts as the GPU\'s kernel does: Marlin before Hopper and on GB10, Triton on Hopper, TRTLLM on Blackwell', () => {
    assert.deepStrictEqual(mxfp4PaddingFor(8.0), { intermediate: 128, hidden: 256 });
    assert.deepStrictEqual(mxfp4PaddingFor(12.1), { intermediate: 128, hidden: 256 });
    assert.deepStrictEqual(mxfp4PaddingFor(9.0), { intermediate: 64, hidden: 256 });
    assert.deepStrictEqual(mxfp4PaddingFor(10.0), { intermediate: 256, hidden: 256 });
    // gpt-oss-120b at TP 1 on H100: 36 layers × 128 experts, hidden 2880 → 3072, width 2880 (a multiple of 64):
    // the expert matrices hold 36 × 128 × 3 × 3072 × 2880 values at 4.25 bits.
    const h100 = budget('gpt-oss/gpt-oss-120b', { gpu: 'H100 SXM', maxModelLen: 4096 });
    const a100 = budget('gpt-oss/gpt-oss-120b', { gpu: 'A100 SXM 80GB', maxModelLen: 4096 });
    // On A100 Marlin pads the width to 2944 as well: the difference is the extra 64 columns of every matrix.
    const extra = 36 * 128 * 3 * 3072 * (2944 - 2880) * (4.25 / 8);
    assert.ok(Math.abs(a100.perGpu.weightBytes - h100.perGpu.weightBytes - extra) < 1, String(a100.perGpu.weightBytes - h100.perGpu.weightBytes));
  });

  it('charges non-torch memory by version and topology: ~2 GiB from TP 2 on NVLink Hopper at 0.17+, NCCL only without custom all-reduce', () => {
    const hgx = { interconnect: 'nvswitch', computeCapability: 9, nodes: 1 };
    const p19 = vllmProfile('0.19.0')!;
    assert.strictEqual(nonTorchBytes(1, 1, 0, p19, hgx), 0.25 * GiB);
    assert.ok(nonTorchBytes(2, 1, 0, p19, hgx) > 2 * GiB);
    // Stages before the last run no sampler: 0.07 GiB in the 0.19 pipeline-parallel logs.
    assert.strictEqual(nonTorchBytes(1, 2, 0, p19, hgx), 0.07 * GiB);
    // Across nodes or without peer-to-peer there is no custom all-reduce, so no fusion workspace: NCCL's buffers.
    assert.ok(nonTorchBytes(2, 1, 0, p19, { ...hgx, nodes: 2 }) < 0.5 * GiB);
    assert.ok(nonTorchBytes(4, 1, 0, p19, { interconnect: 'pcie', computeCapability: 8.9, nodes: 1 }) < 0.5 * GiB);
    assert.strictEqual(customAllReduceEnabled(4, { interconnect: 'pcie-p2p', nodes: 1 }), false);
    assert.strictEqual(customAllReduceEnabled(2, { interconnect: 'pcie-p2p', nodes: 1 }), true);
    assert.strictEqual(customAllReduceEnabled(3, hgx), false);
    // 0.11–0.17: the baseline follows distributed init (0.13 GiB on one GPU); 0.18 adds graph profiling (0.25).
    assert.strictEqual(nonTorchBytes(1, 1, 0, vllmProfile('0.16.0')!, hgx), 0.13 * GiB);
    assert.strictEqual(nonTorchBytes(1, 1, 0, vllmProfile('0.18.0')!, hgx), 0.25 * GiB);
  });

  it('sizes CUDA graphs by their capture sizes, which shrink with max_num_seqs', () => {
    const p = vllmProfile('0.21.0')!;
    // 1, 2, 4, 8…248 by 8 (31), 256…512 by 16 (17) = 51 sizes; max_num_seqs 64 → 1, 2, 4, 8…128 = 19 sizes.
    assert.strictEqual(cudaGraphCaptureSizes(1024, 8192, p).length, 51);
    assert.deepStrictEqual(cudaGraphCaptureSizes(64, 8192, p).slice(-3), [112, 120, 128]);
    assert.strictEqual(cudaGraphCaptureSizes(64, 8192, p).length, 19);
    // The estimate charges the largest and the second largest for every further size.
    const ratio = cudaGraphBytes(32, { maxNumSeqs: 64, maxNumBatchedTokens: 8192 }, p) / cudaGraphBytes(32, { maxNumSeqs: 1024, maxNumBatchedTokens: 8192 }, p);
    assert.ok(Math.abs(ratio - (128 + 120 * 18) / (512 + 496 * 50)) < 1e-12);
  });

  it('writes the failure in vLLM words with the estimated max model length of a binary search', () => {
    const r = budget('llama3.1/Meta-Llama-3.1-8B', { gpu: '4090', maxModelLen: 131072 });
    assert.strictEqual(r.capacity.fits, false);
    const d = r.diagnostics.find((x) => x.code === 'kv-does-not-fit')!;
    assert.match(d.message, /^max_model_len 131,072 needs 16\.00 GiB of KV per request; \d+\.\d\d GiB is available on NVIDIA GeForce RTX 4090 24GB; the largest that fits is [\d,]+\. vLLM: /);
    assert.match(d.message, /To serve at least one request with the models's max seq len \(131072\), \(16\.00 GiB KV cache is needed, which is larger than the available KV cache memory \(\d+\.\d\d GiB\)\. Based on the available memory, the estimated maximum model length is \d+\. Try increasing `gpu_memory_utilization` or decreasing `max_model_len` when initializing the engine\.$/);
    // Full-attention Llama: the estimate is the whole blocks that fit, each block 16 tokens x 128 KiB.
    const blocks = Math.floor(r.perGpu.kvCacheBytes / (16 * 131072));
    assert.strictEqual(r.capacity.estimatedMaxModelLen, blocks * 16);
    assert.strictEqual(d.suggestedValue, blocks * 16);
    const atEstimate = budget('llama3.1/Meta-Llama-3.1-8B', { gpu: '4090', maxModelLen: blocks * 16 });
    assert.strictEqual(atEstimate.capacity.fits, true);
  });

  it('takes the tightest pipeline stage for the block count', () => {
    const r = budget('llama3.1/Meta-Llama-3.1-8B', { maxModelLen: 8192, pipelineParallel: 4, gpuMemoryUtilization: 0.95 });
    // The last stage holds the LM head and the sampler's activation peak, so it has fewer blocks than stage 0.
    const stage0Blocks = Math.floor(r.perGpu.kvCacheBytes / (16 * 8 * 2 * 8 * 128 * 2));
    assert.ok(r.capacity.numBlocks < stage0Blocks);
  });
});

describe('vLLM flags that change the budget', () => {
  const base = { gpu: 'H100 SXM', maxModelLen: 8192, gpuMemoryUtilization: 0.9 } as const;
  // Llama-3.1-8B: 32 layers × 2 × 8 KV heads × 128 × 2 bytes = 131,072 bytes per token; a 16-token block is 2 MiB.
  const blockBytes = 16 * 32 * 2 * 8 * 128 * 2;

  it('--enforce-eager reserves nothing for CUDA graphs where vLLM would subtract them (0.21+)', () => {
    const graphs = budget('llama3.1/Meta-Llama-3.1-8B', { ...base, engine: 'vllm@0.21.0' });
    const eager = budget('llama3.1/Meta-Llama-3.1-8B', { ...base, engine: 'vllm@0.21.0', enforceEager: true });
    assert.ok(graphs.perGpu.cudaGraphBytes > 0 && graphs.perGpu.cudaGraphSubtracted);
    assert.strictEqual(eager.perGpu.cudaGraphBytes, 0);
    assert.strictEqual(eager.perGpu.cudaGraphSubtracted, false);
    assert.ok(Math.abs(eager.perGpu.kvCacheBytes - graphs.perGpu.kvCacheBytes - graphs.perGpu.cudaGraphBytes) < 1);
  });

  it('--kv-cache-memory-bytes is the KV cache, whatever the utilization leaves', () => {
    const bytes = 10 * GiB;
    const r = budget('llama3.1/Meta-Llama-3.1-8B', { ...base, kvCacheMemoryBytes: bytes });
    assert.strictEqual(r.perGpu.kvCacheBytes, bytes);
    assert.strictEqual(r.capacity.numBlocks, Math.floor(bytes / blockBytes));
    assert.strictEqual(r.capacity.kvCacheTokens, Math.floor(bytes / blockBytes) * 16);
  });

  it('--num-gpu-blocks-override sets the block count (and so the tokens and concurrency)', () => {
    const r = budget('llama3.1/Meta-Llama-3.1-8B', { ...base, numGpuBlocksOverride: 1000 });
    assert.strictEqual(r.capacity.numBlocks, 1000);
    assert.strictEqual(r.capacity.kvCacheTokens, 16000);
    assert.ok(Math.abs(r.capacity.maxConcurrency - 1000 / (8192 / 16)) < 1e-9);
  });

  it('--cpu-offload-gb takes that many GiB of weights off each GPU', () => {
    const r = budget('llama3.1/Meta-Llama-3.1-8B', base);
    const off = budget('llama3.1/Meta-Llama-3.1-8B', { ...base, cpuOffloadGb: 4 });
    assert.ok(Math.abs(r.perGpu.weightBytes - off.perGpu.weightBytes - 4 * GiB) < 1);
    assert.ok(Math.abs(off.perGpu.kvCacheBytes - r.perGpu.kvCacheBytes - 4 * GiB) < 1);
  });

  it('--enable-lora preallocates max_loras × max_lora_rank A and B stacks for every attention and MLP linear layer', () => {
    // Per layer (input → output): qkv 4096 → 6144 and gate_up 4096 → 28672 are column-parallel (A whole, B split);
    // o_proj 4096 → 4096 likewise; down 14336 → 4096 is row-parallel (A split, B whole). TP 1: every side whole.
    const perLayer = (4096 + 6144) + (4096 + 4096) + (4096 + 28672) + (14336 + 4096);
    const want = 4 * 16 * 32 * perLayer * 2;
    const r = budget('llama3.1/Meta-Llama-3.1-8B', { ...base, enableLora: true, maxLoras: 4, maxLoraRank: 16 });
    assert.strictEqual(r.perGpu.loraBytes, want);
    const plain = budget('llama3.1/Meta-Llama-3.1-8B', base);
    assert.ok(Math.abs(r.perGpu.weightBytes - plain.perGpu.weightBytes - want) < 1);
    // Defaults: one adapter of rank 16.
    assert.strictEqual(budget('llama3.1/Meta-Llama-3.1-8B', { ...base, enableLora: true }).perGpu.loraBytes, want / 4);
    // At TP 2 the split sides halve: B of column-parallel layers, A of row-parallel ones.
    const tp2PerLayer = (4096 + 6144 / 2) + (4096 + 4096 / 2) + (4096 + 28672 / 2) + (14336 / 2 + 4096);
    const tp2 = budget('llama3.1/Meta-Llama-3.1-8B', { ...base, enableLora: true, maxLoras: 4, maxLoraRank: 16, tensorParallel: 2, gpuCount: 2 });
    assert.strictEqual(tp2.perGpu.loraBytes, 4 * 16 * 32 * tp2PerLayer * 2);
  });

  it('--max-model-len auto (-1) picks the longest context that fits, from vLLM 0.14', () => {
    const full = budget('llama3.1/Meta-Llama-3.1-8B', { gpu: '4090' });
    assert.strictEqual(full.capacity.fits, false);
    const auto = budget('llama3.1/Meta-Llama-3.1-8B', { gpu: '4090', maxModelLen: -1 });
    assert.strictEqual(auto.capacity.fits, true);
    assert.strictEqual(auto.settings.maxModelLen, full.capacity.estimatedMaxModelLen);
    assert.ok(auto.model.assumptions.some((a) => /auto: reduced from 131,072/.test(a)));
    // Where the whole context fits, auto keeps it.
    assert.strictEqual(budget('llama3.1/Meta-Llama-3.1-8B', { gpu: 'H100 SXM', maxModelLen: -1 }).settings.maxModelLen, 131072);
    assert.throws(() => budget('llama3.1/Meta-Llama-3.1-8B', { gpu: '4090', maxModelLen: -1, engine: 'vllm@0.10.1' }), /needs vLLM 0\.14/);
  });

  it('reads latest, nightly and versions newer than the newest emulated as the newest, and says so', () => {
    for (const spec of ['vllm@latest', 'vllm@nightly', 'vllm@9.1.0']) {
      const r = budget('llama3.1/Meta-Llama-3.1-8B', { ...base, engine: spec });
      assert.strictEqual(r.settings.engineVersion, NEWEST_VLLM_VERSION, spec);
      assert.ok(r.model.assumptions.some((a) => a.includes(NEWEST_VLLM_VERSION)), spec);
    }
  });
});

describe('vLLM 0.22+ rules', () => {
  it('routes models to Model Runner V2 as vLLM does, and skips its graph estimate until the estimator exists (0.26)', () => {
    const qwen = model('qwen3/Qwen3-8B');
    const llama = model('llama3.1/Meta-Llama-3.1-8B');
    const mixtral = model('mixtral/Mixtral-8x7B-v0.1');
    assert.strictEqual(usesModelRunnerV2(qwen, vllmProfile('0.22.0')!), true);
    assert.strictEqual(usesModelRunnerV2(llama, vllmProfile('0.22.0')!), false);
    assert.strictEqual(usesModelRunnerV2(llama, vllmProfile('0.23.0')!), true);
    assert.strictEqual(usesModelRunnerV2(mixtral, vllmProfile('0.25.0')!), false);
    assert.strictEqual(usesModelRunnerV2(mixtral, vllmProfile('0.29.0')!), true);
    assert.strictEqual(cudaGraphEstimateApplied(qwen, vllmProfile('0.22.0')!), false);
    assert.strictEqual(cudaGraphEstimateApplied(mixtral, vllmProfile('0.22.0')!), true);
    assert.strictEqual(cudaGraphEstimateApplied(qwen, vllmProfile('0.26.0')!), true);
    assert.strictEqual(cudaGraphEstimateApplied(qwen, vllmProfile('0.20.0')!), false);
  });

  it('sets the null block aside in the startup check from 0.26', () => {
    // A fixed 10 GiB KV cache for Llama-3.1-8B: 5,120 blocks of 2 MiB, 16 tokens each.
    const inputs = { gpu: 'H100 SXM', kvCacheMemoryBytes: 10 * GiB, maxModelLen: 131072 };
    assert.strictEqual(budget('llama3.1/Meta-Llama-3.1-8B', { ...inputs, engine: 'vllm@0.25.0' }).capacity.estimatedMaxModelLen, 5120 * 16);
    assert.strictEqual(budget('llama3.1/Meta-Llama-3.1-8B', { ...inputs, engine: 'vllm@0.26.0' }).capacity.estimatedMaxModelLen, 5119 * 16);
  });

  it('holds two in-flight steps of tokens in sliding windows from 0.26 (async scheduling)', () => {
    // Gemma 3 4B: 29 sliding layers of 1,024 tokens; 8,192 batched tokens; block 16; 32,768-token requests.
    const r25 = budget('gemma3/gemma-3-4b-it', { gpu: 'H100 SXM', maxModelLen: 32768, kvCacheMemoryBytes: 20 * GiB, engine: 'vllm@0.25.0' });
    const r26 = budget('gemma3/gemma-3-4b-it', { gpu: 'H100 SXM', maxModelLen: 32768, kvCacheMemoryBytes: 20 * GiB, engine: 'vllm@0.26.0' });
    const page = 16 * 2 * 4 * 256 * 2;
    const full = 5 * (32768 / 16) * page;
    const sliding = (inFlight: number) => 29 * (Math.ceil(Math.min(1023 + inFlight, 32768) / 16) + 1) * page;
    assert.strictEqual(r25.capacity.kvBytesPerRequest, full + sliding(8192));
    assert.strictEqual(r26.capacity.kvBytesPerRequest, full + sliding(16384));
  });
});
