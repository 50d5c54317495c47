// Expected speed: each term of the step-time model with values worked out here, the fitted coefficients checked
// against a fresh fit of the ground truth, and properties (never above the ceiling, more bandwidth never slower).

import * as assert from 'assert';
import { DECODE_COEFFICIENTS, allReduceSeconds, coefficientsFor, engineFamily, expectedStepSeconds, hardwareClass, linkLatencySeconds } from '../../../src/core/expected';
import { decodeErrors, decodeRows, fitAll, longerContextRows, predictSeconds, quantile } from '../../../scripts/fitDecode';
import { decodeContextTokens, median } from '../../../scripts/groundTruth';
import { budget } from './helpers';

describe('expected speed', () => {
  it('times a ring all-reduce: 2 (ranks − 1) steps of latency and bytes / ranks each', () => {
    // 8 ranks, 14,336 bytes (one token of a 7,168-wide bf16 hidden state), 900 GB/s NVSwitch, 5 µs per step.
    const t = allReduceSeconds(14336, 8, 9e11, 5e-6);
    assert.ok(Math.abs(t - (14 * 5e-6 + (14 / 8) * (14336 / 9e11))) < 1e-15);
    assert.strictEqual(allReduceSeconds(14336, 1, 9e11, 5e-6), 0);
    assert.deepStrictEqual([linkLatencySeconds('nvswitch', 1), linkLatencySeconds('pcie', 1), linkLatencySeconds('nvswitch', 2)], [5e-6, 10e-6, 20e-6]);
  });

  it('adds fixed per-layer costs, two all-reduces per layer and the pipeline hand-offs to the bandwidth-bound time', () => {
    const c = { bandwidthFraction: 0.8, secondsPerLayer: 50e-6, secondsPerHop: 300e-6, low: 0.9, high: 1.1, records: 10 };
    const x = {
      family: 'serving' as const, hardware: 'datacenter' as const, bytes: 16e9, flops: 16e9, bandwidthBytesPerSecond: 3.35e12, peakFlopsPerSecond: 989e12,
      layers: 32, tp: 2, stages: 2, tokens: 1, hiddenSize: 4096, activationBytes: 2, interconnect: { kind: 'nvswitch', bandwidthBytesPerSecond: 9e11 }, nodes: 1,
    };
    const want = 16e9 / (3.35e12 * 0.8) + 32 * 50e-6 + 2 * 32 * allReduceSeconds(4096 * 2, 2, 9e11, 5e-6) + 300e-6;
    assert.ok(Math.abs(expectedStepSeconds(x, c) - want) < 1e-12);
  });

  it('names engine families and hardware classes', () => {
    assert.strictEqual(engineFamily('llama.cpp Metal (llama-bench)', { vendor: 'apple' }), 'llama.cpp-metal');
    assert.strictEqual(engineFamily('llamacpp', { vendor: 'nvidia' }), 'llama.cpp-cuda');
    assert.strictEqual(engineFamily('vllm', { vendor: 'nvidia' }), 'serving');
    assert.strictEqual(hardwareClass({ vendor: 'nvidia', id: 'h100-sxm' }), 'datacenter');
    assert.strictEqual(hardwareClass({ vendor: 'nvidia', id: 'rtx-4090' }), 'consumer');
    // A finer fit where one exists, else the family's.
    assert.strictEqual(coefficientsFor('llama.cpp-cuda', 'datacenter'), DECODE_COEFFICIENTS['llama.cpp-cuda|datacenter']);
    assert.strictEqual(coefficientsFor('mlc', 'datacenter'), DECODE_COEFFICIENTS.mlc);
  });

  it('ships the coefficients a fresh fit of decode-batch1.json gives (regenerate with npm run fit-decode)', () => {
    const fresh = fitAll(decodeRows());
    assert.deepStrictEqual(Object.keys(DECODE_COEFFICIENTS).sort(), Object.keys(fresh).sort());
    for (const [k, c] of Object.entries(fresh)) {
      const shipped = DECODE_COEFFICIENTS[k];
      assert.ok(Math.abs(shipped.bandwidthFraction / c.bandwidthFraction - 1) < 1e-3, k);
      assert.ok(Math.abs(shipped.secondsPerLayer - c.secondsPerLayer) <= 1e-3 * Math.max(1e-9, c.secondsPerLayer), k);
      assert.strictEqual(shipped.records, c.records, k);
    }
  });

  it('meets its accuracy aims: median within 12 %, 90th percentile within 30 %, in-sample and leaving each GPU out', () => {
    const { inSample, crossValidated } = decodeErrors(decodeRows());
    for (const errors of [inSample, crossValidated].map((e) => e.map((x) => x.error).sort((a, b) => a - b))) {
      assert.ok(Math.expm1(median(errors)) <= 0.12, `median ${Math.expm1(median(errors))}`);
      assert.ok(Math.expm1(quantile(errors, 0.9)) <= 0.30, `p90 ${Math.expm1(quantile(errors, 0.9))}`);
    }
  });

  it('reads the mean context of a decode measurement from its metric: prompt plus half the generated tokens', () => {
    // Generating N tokens from an empty context reads 0 … N−1 tokens of KV: the mean step is at N/2.
    assert.strictEqual(decodeContextTokens('tg 512 (tokens/s generating 512 tokens from empty context, batch 1)'), 256);
    assert.strictEqual(decodeContextTokens('tg128 (Q4_0 TG column)'), 64);
    assert.strictEqual(decodeContextTokens('tg8192'), 4096);
    assert.strictEqual(decodeContextTokens('tg32 at depth 4096'), 4096 + 16);
    assert.strictEqual(decodeContextTokens('concurrency 1, 5000 in / 500 out: ITL 18.58 ms'), 5000 + 250);
    assert.strictEqual(decodeContextTokens('concurrency 1, ISL 128 / OSL 128: TPOT 16.1 ms'), 128 + 64);
    assert.strictEqual(decodeContextTokens('throughput(out tok/s), batch 1, prompt 1, output 128'), 1 + 64);
    assert.strictEqual(decodeContextTokens('single-stream decode tok/s (llm-perf-bench)'), 512);
  });

  it('holds its aims on the longer generations it was not fitted on (tg1024/tg4096/tg8192), never above the ceiling', () => {
    const fitted = fitAll(decodeRows());
    const rows = longerContextRows();
    assert.ok(rows.length >= 100, `${rows.length} rows`);
    const errors = rows.map((row) => Math.abs(Math.log(row.measured / predictSeconds(row, coefficientsFor(row.family, row.inputs.hardware, fitted))))).sort((a, b) => a - b);
    assert.ok(Math.expm1(median(errors)) <= 0.12, `median ${Math.expm1(median(errors))}`);
    assert.ok(Math.expm1(quantile(errors, 0.9)) <= 0.30, `p90 ${Math.expm1(quantile(errors, 0.9))}`);
    // Measured seconds per token never below the bandwidth-bound time at that context.
    for (const row of rows) assert.ok(row.measured >= row.memorySeconds, `${row.record.id} faster than its ceiling`);
    // The context term: at 8192 generated tokens the step reads more KV than at 1024.
    const byId = new Map<string, number[]>();
    for (const row of rows) byId.set(row.record.id, [...(byId.get(row.record.id) ?? []), row.inputs.bytes]);
    for (const [id, bytes] of byId) assert.ok(bytes[bytes.length - 1] > bytes[0], id);
  });

  it('never expects more than the ceiling; more bandwidth is never slower; tensor parallel pays its all-reduces', () => {
    const cases = [
      ['llama3.1/Meta-Llama-3.1-8B', { gpu: 'RTX 4090', maxModelLen: 8192 }],
      ['llama3.1/Meta-Llama-3.1-70B', { gpu: 'H100 SXM', tensorParallel: 4, gpuCount: 4, maxModelLen: 8192, batch: 16 }],
      ['deepseek-v3/DeepSeek-V3', { gpu: 'H200', tensorParallel: 8, gpuCount: 8, maxModelLen: 8192 }],
      ['qwen3/Qwen3-8B', { engine: 'llamacpp', gpu: 'M2 Ultra 76-core', quantization: 'q4_k_m' }],
    ] as const;
    for (const [rel, inputs] of cases) {
      const r = budget(rel, inputs);
      assert.ok(r.decode.expected.tokensPerSecondPerRequest <= r.decode.tokensPerSecondPerRequest * (1 + 1e-12), rel);
      assert.ok(r.decode.expected.low <= r.decode.expected.tokensPerSecondPerRequest && r.decode.expected.tokensPerSecondPerRequest <= r.decode.expected.high * (1 + 1e-12), rel);
      assert.ok(r.prefill.expected.seconds >= r.prefill.seconds, rel);
    }
    const slow = budget('llama3.1/Meta-Llama-3.1-8B', { gpu: 'RTX 4080', maxModelLen: 8192 });
    const fast = budget('llama3.1/Meta-Llama-3.1-8B', { gpu: 'RTX 4090', maxModelLen: 8192 });
    assert.ok(fast.decode.expected.tokensPerSecondPerRequest >= slow.decode.expected.tokensPerSecondPerRequest);
    // DeepSeek-V3 on 8 × H200: 61 layers × 2 all-reduces of 14 steps × 5 µs alone cost ~8.5 ms a token.
    const ds = budget('deepseek-v3/DeepSeek-V3', { gpu: 'H200', tensorParallel: 8, gpuCount: 8, maxModelLen: 8192 });
    assert.ok(1 / ds.decode.expected.tokensPerSecondPerRequest >= 61 * 2 * 14 * 5e-6);
  });
  it('expected prefill: prompt tokens per second at 60 % of peak FLOP/s, said to be uncalibrated, no band', () => {
    const r = budget('llama3.1/Meta-Llama-3.1-8B', { gpu: 'H100 SXM', maxModelLen: 16384, prompt: 8192 });
    const e = r.prefill.expected;
    assert.strictEqual(r.prefill.promptTokens, 8192);
    assert.ok(Math.abs(e.tokensPerSecond * e.seconds - 8192) < 1e-6);
    assert.ok(e.tokensPerSecond <= 8192 / r.prefill.seconds * (1 + 1e-12), 'never above the floor');
    // Llama 3.1 8B's matmuls per token, from its shapes: 32 layers × (2·4096² + 2·4096·1024 + 3·4096·14336) plus the
    // 4096 × 128,256 head = 7.50 B multiply-adds, 2 FLOPs each. Attention over the prompt adds more, so the rate is
    // below the matmul-only rate at 60 % of peak, and not far below it at 8k tokens.
    const matmulFlopsPerToken = 2 * (32 * (2 * 4096 * 4096 + 2 * 4096 * 1024 + 3 * 4096 * 14336) + 4096 * 128256);
    const matmulOnly = 0.6 * r.roofline.peakFlopsPerSecond / matmulFlopsPerToken;
    assert.ok(e.tokensPerSecond < matmulOnly && e.tokensPerSecond > 0.75 * matmulOnly, `${e.tokensPerSecond} vs ${matmulOnly}`);
    assert.match(e.basis, /uncalibrated: 60 % of peak FLOP\/s assumed/);
    assert.ok(!('low' in e) && !('high' in e), 'no band without measurements to fit one');
  });

  describe('cost per million output tokens', () => {
    const LLAMA = 'llama3.1/Meta-Llama-3.1-8B';

    it('is the price of every GPU held over the expected tokens per second, at the batch and at full concurrency', () => {
      const r = budget(LLAMA, { gpu: 'H100', gpuCount: 2, maxModelLen: 8192, pricePerGpuHour: 2.5, batch: 4 });
      assert.ok(r.cost);
      // 2 GPUs × 2.5 per hour = 5 per 3,600 s; a million tokens take 1e6 / (tokens per second) seconds.
      const perMillion = (tokensPerSecond: number) => (2 * 2.5 / 3600) * (1e6 / tokensPerSecond);
      assert.ok(Math.abs(r.cost.perMillionOutputTokens / perMillion(r.decode.expected.tokensPerSecondTotal) - 1) < 1e-12);
      assert.strictEqual(r.cost.gpus, 2);
      // Full concurrency at the decode context (min(8,192, 1,024) tokens): what the KV cache holds, under max_num_seqs.
      assert.strictEqual(r.cost.atFullConcurrency.batch, Math.min(r.settings.maxNumSeqs, Math.floor(r.capacity.kvCacheTokens / 1024)));
      const full = budget(LLAMA, { gpu: 'H100', gpuCount: 2, maxModelLen: 8192, batch: r.cost.atFullConcurrency.batch });
      assert.ok(Math.abs(r.cost.atFullConcurrency.perMillionOutputTokens / perMillion(full.decode.expected.tokensPerSecondTotal) - 1) < 1e-12);
      // Batching is the lever: hundreds of requests share each read of the weights.
      assert.ok(r.cost.atFullConcurrency.perMillionOutputTokens < r.cost.perMillionOutputTokens / 10);
    });

    it('is absent without a price (none is invented) and when the weights do not fit; a bad price is an input error', () => {
      assert.strictEqual(budget(LLAMA, { gpu: 'H100', maxModelLen: 8192 }).cost, undefined);
      assert.strictEqual(budget(LLAMA, { gpu: 'T4', maxModelLen: 8192, pricePerGpuHour: 0.35 }).cost, undefined);
      for (const bad of [0, -1, Number.NaN, 1e9]) {
        assert.throws(() => budget(LLAMA, { gpu: 'H100', maxModelLen: 8192, pricePerGpuHour: bad }), /pricePerGpuHour must be in \(0, 1000000\]/, String(bad));
      }
    });
  });
});
