// SGLang's startup sizing, with the expected values worked out here from SGLang's formulas
// (server_args.py / memory_hook.py reserve, model_runner.py profile_max_num_token, the KV pool's cell size).

import * as assert from 'assert';
import { findAccelerator } from '../../../src/core/hardware';
import { memFractionStatic, sglangProfile, sglangSchedulerDefaults } from '../../../src/core/engine/sglang';
import { compareSglang, sglangRecords } from '../../../scripts/groundTruth';
import { GiB, budget, readConfig } from './helpers';

const gpu = (name: string) => { const r = findAccelerator(name); if (!r.ok) throw new Error(r.message); return r.accelerator; };

describe('SGLang startup emulation', () => {
  it('picks mem_fraction_static as each release does', () => {
    const h100 = gpu('H100 SXM');
    const mem = 81559; // nvidia-smi's memory.total on an 80 GB H100 (MiB), which SGLang reads
    // ≤ 0.4.5: by TP only.
    const old = sglangProfile('0.4.2')!;
    assert.deepStrictEqual([1, 2, 4, 8, 16].map((tp) => memFractionStatic(h100, old, { tp, pp: 1, chunkedPrefillSize: 8192, cudaGraphMaxBs: 160, mla: false })), [0.88, 0.87, 0.85, 0.81, 0.79]);
    // 0.4.8–0.5.2: (9.5 + tp·pp/2) GiB reserved below 90 GiB.
    const tiers = sglangProfile('0.5.2')!;
    assert.strictEqual(memFractionStatic(h100, tiers, { tp: 8, pp: 1, chunkedPrefillSize: 8192, cudaGraphMaxBs: 160, mla: false }), Math.round(((mem - (9.5 + 4) * 1024) / mem) * 1000) / 1000);
    // 0.5.3+: 512 + 1.5 × chunk + 2 × graph batch + tp·pp/8 GiB, at least 10 GiB above 60 GiB.
    const computed = sglangProfile('0.5.6')!;
    const reserved = Math.max(512 + 8192 * 1.5 + 256 * 2 + (1 / 8) * 1024, 10240);
    assert.strictEqual(memFractionStatic(h100, computed, { tp: 1, pp: 1, chunkedPrefillSize: 8192, cudaGraphMaxBs: 256, mla: false }), Math.round(((mem - reserved) / mem) * 1000) / 1000);
    // The 10 GiB floor binds for a small chunk on a large GPU.
    assert.strictEqual(memFractionStatic(h100, computed, { tp: 1, pp: 1, chunkedPrefillSize: 2048, cudaGraphMaxBs: 8, mla: false }), Math.round(((mem - 10240) / mem) * 1000) / 1000);
  });

  it('takes chunked prefill and graph batch defaults by GPU memory', () => {
    const p = sglangProfile('0.5.6')!;
    assert.deepStrictEqual(sglangSchedulerDefaults(gpu('RTX 4090'), p, 1), { chunkedPrefillSize: 2048, cudaGraphMaxBs: 24 });
    assert.deepStrictEqual(sglangSchedulerDefaults(gpu('L40S'), p, 4), { chunkedPrefillSize: 4096, cudaGraphMaxBs: 160 });
    assert.deepStrictEqual(sglangSchedulerDefaults(gpu('H100 SXM'), p, 1), { chunkedPrefillSize: 8192, cudaGraphMaxBs: 256 });
    assert.deepStrictEqual(sglangSchedulerDefaults(gpu('B200'), p, 8), { chunkedPrefillSize: 16384, cudaGraphMaxBs: 512 });
    assert.deepStrictEqual(sglangSchedulerDefaults(gpu('RTX 4090'), sglangProfile('0.4.2')!, 1), { chunkedPrefillSize: 2048, cudaGraphMaxBs: 8 });
  });

  /**
   * The pool from SGLang's formula: pre = visible − context (− distributed init), post = pre − weights,
   * rest = post − pre × (1 − f), tokens = rest // cell rounded down to pages.
   */
  const pool = (visibleGiB: number, contextGiB: number, weightBytes: number, f: number, cell: number): number => {
    const pre = visibleGiB * GiB - contextGiB * GiB;
    return Math.floor((pre - weightBytes - pre * (1 - f)) / cell);
  };

  it('sizes a dense GQA model: Llama-3.1-8B on an 80 GB H100 at TP 1, SGLang 0.5.6', () => {
    const r = budget('llama3.1/Meta-Llama-3.1-8B', { gpu: 'H100 SXM', engine: 'sglang@0.5.6' });
    const cell = 8 * 128 * 2 * 32 * 2; // KV heads × head_dim × (K, V) × layers × bf16
    assert.strictEqual(r.settings.engine, 'sglang');
    assert.strictEqual(r.settings.gpuMemoryUtilization, 0.835); // (81,559 − 13,440) / 81,559 MiB
    assert.strictEqual(r.capacity.kvCacheTokens, pool(79.19, 0.38, r.perGpu.weightBytes, 0.835, cell));
    // max_running_requests: min(clamp(tokens / 131072 × 512, 2048, 4096), tokens // 2).
    const t = r.capacity.kvCacheTokens;
    assert.strictEqual(r.settings.maxNumSeqs, Math.min(Math.min(4096, Math.max(2048, Math.floor((t / 131072) * 512))), Math.floor(t / 2)));
  });

  it('sizes MLA by its latent (no K/V pair): DeepSeek-V3 on 8 × H200, one latent of 576 per layer per rank', () => {
    const r = budget('deepseek-v3/DeepSeek-V3', { gpu: 'H200', tensorParallel: 8, gpuCount: 8, engine: 'sglang@0.5.6', maxModelLen: 32768 });
    const cell = (512 + 64) * 61 * 2;
    assert.strictEqual(r.perGpu.kvBytesPerToken, cell);
    const f = r.settings.gpuMemoryUtilization;
    // H200: chunk 8192, graph batch 512 at TP ≥ 4; reserved 512 + 12,288 + 1,024 + 1,024 MiB (no floor: 14,848 > 10,240).
    const mem = 143771; // nvidia-smi's memory.total on an H200 (MiB)
    assert.strictEqual(f, Math.round(((mem - (512 + 12288 + 1024 + 1024)) / mem) * 1000) / 1000);
    // Distributed init at TP 8 with custom all-reduce: ~0.16 GiB per rank counted before the pre-load reading.
    assert.strictEqual(r.capacity.kvCacheTokens, pool(gpu('H200').visibleMemoryGiB, 0.38 + 0.16 * 8, r.perGpu.weightBytes, f, cell));
  });

  it('splits sliding-window models into a full pool and a 0.8 × sliding pool where the release does (Gemma3: 0.4.10 only)', () => {
    const c = readConfig('gemma3/gemma-3-27b-it');
    const text = c.text_config as Record<string, number>;
    const perLayer = 2 * text.num_key_value_heads * text.head_dim * 2;
    const full = 10 * perLayer, sliding = 52 * perLayer; // 62 layers: every sixth is global
    const r = budget('gemma3/gemma-3-27b-it', { gpu: 'L40S', tensorParallel: 2, gpuCount: 2, engine: 'sglang@0.5.6', maxModelLen: 32768 });
    // 0.5.x: Gemma3 opts out of the hybrid pool (server_args.py, #8895): every layer in one pool. At TP 2 the 16 KV
    // heads split: half the bytes per rank.
    assert.strictEqual(r.perGpu.kvBytesPerToken, (full + sliding) / 2);
    const split = budget('gemma3/gemma-3-27b-it', { gpu: 'L40S', tensorParallel: 2, gpuCount: 2, engine: 'sglang@0.4.10', maxModelLen: 32768 });
    assert.strictEqual(split.perGpu.kvBytesPerToken, (full + 0.8 * sliding) / 2);
    const old = budget('gemma3/gemma-3-27b-it', { gpu: 'L40S', tensorParallel: 2, gpuCount: 2, engine: 'sglang@0.4.2', maxModelLen: 32768 });
    assert.strictEqual(old.perGpu.kvBytesPerToken, (full + sliding) / 2);
  });

  it('says in SGLang\'s words when the weights leave nothing', () => {
    // Llama-3.1-70B in FP8 (~68 GiB) loads on an H100 but leaves less than the static share needs.
    const r = budget('llama3.1/Meta-Llama-3.1-70B', { gpu: 'H100 SXM', engine: 'sglang@0.5.6', maxModelLen: 8192, quantization: 'fp8' });
    assert.strictEqual(r.capacity.fits, false);
    assert.strictEqual(r.capacity.weightsFit, true);
    const newer = budget('llama3.1/Meta-Llama-3.1-70B', { gpu: 'H100 SXM', engine: 'sglang@latest', maxModelLen: 8192, quantization: 'fp8' });
    assert.ok(newer.diagnostics.some((d) => /Loaded weights leave no GPU memory for the KV cache under --mem-fraction-static=/.test(d.message)));
    assert.ok(r.diagnostics.some((d) => /Not enough memory\. Please try to increase --mem-fraction-static\./.test(d.message)));
  });

  it('reproduces the published SGLang startup logs within 1% where the machine is native Linux', () => {
    const results = sglangRecords().map(compareSglang);
    assert.strictEqual(results.length, 2);
    for (const c of results) assert.ok(c.report, `${c.record.id}: ${c.error}`);
    const docs = results.find((c) => c.record.id === 'sglog-002')!;
    assert.ok(Math.abs(docs.tokensError!) < 0.01, String(docs.tokensError));
    assert.strictEqual(docs.report!.settings.maxNumSeqs, 2049);
  });
});
