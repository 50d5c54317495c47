// Property tests over the corpus models and random deployments: what must hold between two
// deployments that differ in one setting only. Settings whose vLLM defaults depend on the GPU or
// on max_model_len (max_num_batched_tokens, max_num_seqs, the decode context and prompt) are set
// explicitly, so each pair differs in exactly the setting under test.

import * as assert from 'assert';
import { computeBudget } from '../../src/core/budget';
import { listAccelerators } from '../../src/core/hardware';
import { Accelerator, BudgetInputs, BudgetReport, ModelFiles } from '../../src/core/types';
import { compareDecode, decodeRecords } from '../../scripts/groundTruth';
import { CorpusConfig, corpusConfigs } from './corpus';
import { Rng, cases, failWith, fuzz, noteStats } from './harness';

const GiB = 1024 ** 3;

interface Model { rel: string; files: ModelFiles }

/** Corpus models the engine sizes with its defaults (the others are refused, which is tested elsewhere). */
function models(): Model[] {
  return corpusConfigs()
    .filter((c): c is CorpusConfig & { files: ModelFiles } => !!c.files && computeBudget(c.files, {}).ok)
    .map((c) => ({ rel: c.rel, files: c.files }));
}

/** A valid deployment with every GPU- or length-dependent default pinned. */
function deployment(rng: Rng, gpus: readonly Accelerator[]): BudgetInputs {
  const tp = rng.pick([1, 1, 2, 4, 8]);
  const pp = rng.pick([1, 1, 1, 2, 4]);
  return {
    gpu: rng.pick(gpus).id,
    tensorParallel: tp,
    pipelineParallel: pp,
    maxModelLen: rng.logInt(128, 262_144),
    gpuMemoryUtilization: rng.pick([0.5, 0.8, 0.9, 0.92, 0.95]),
    maxNumBatchedTokens: rng.pick([512, 2048, 8192, 16384]),
    maxNumSeqs: rng.pick([64, 256, 1024]),
    kvCacheDtype: rng.pick(['auto', 'auto', 'fp8', 'bfloat16', 'float16']),
    quantization: rng.pick([undefined, undefined, undefined, 'fp8', 'int4', 'awq', 'mxfp4', 'nvfp4', 'q4_k_m', 'int8']),
    dtype: rng.pick([undefined, undefined, 'bfloat16', 'float16', 'float32']),
    engine: rng.pick(['vllm@0.19.0', 'vllm@0.21.0', 'vllm@0.10.2', 'vllm@0.6.4']),
    blockSize: rng.pick([16, 16, 32, 64]),
    batch: rng.pick([1, 8, 64]),
    context: rng.logInt(1, 32768),
    prompt: rng.logInt(1, 8192),
  };
}

function report(files: ModelFiles, inputs: BudgetInputs, extra?: Accelerator[]): BudgetReport | undefined {
  const r = computeBudget(files, inputs, { extraAccelerators: extra });
  return r.ok ? r.report : undefined;
}

const capacity = (r: BudgetReport) => ({
  kvCacheTokens: r.capacity.kvCacheTokens, maxConcurrency: r.capacity.maxConcurrency, numBlocks: r.capacity.numBlocks,
  kvCacheBytes: r.perGpu.kvCacheBytes, fits: r.capacity.fits, estimatedMaxModelLen: r.capacity.estimatedMaxModelLen,
});

/** Asserts a <= b for every capacity figure (`fits` as implication); `what` names the pair. Says whether the first figure differed. */
function notLess(lo: BudgetReport, hi: BudgetReport, figures: (keyof ReturnType<typeof capacity>)[], what: string, detail: unknown): 'strict' | 'equal' {
  const a = capacity(lo);
  const b = capacity(hi);
  const strict = (a[figures[0]] as number) < (b[figures[0]] as number);
  for (const f of figures) {
    if (f === 'fits') { if (a.fits && !b.fits) failWith(`${what}: fits with less but not with more`, { ...(detail as object), less: a, more: b }); continue; }
    if ((a[f] as number) > (b[f] as number)) failWith(`${what}: ${f} fell from ${a[f]} to ${b[f]}`, { ...(detail as object), less: a, more: b });
  }
  return strict ? 'strict' : 'equal';
}

describe('properties', function () {
  this.timeout(120_000);
  const ms = models();
  const gpus = listAccelerators();

  before(() => {
    assert.ok(ms.length >= 2, `only ${ms.length} corpus models are sizable`);
  });

  /**
   * Runs a pair property. A case returns 'skip' (the engine refused a deployment), 'equal' (the pair
   * has the same figure) or 'strict' (it differs). Most cases must be neither skipped nor all equal:
   * a property that holds on nothing proves nothing.
   */
  const property = (name: string, body: (rng: Rng, model: Model) => 'skip' | 'equal' | 'strict'): void => {
    let strict = 0;
    const stats = fuzz(name, cases(name), (rng) => {
      const r = body(rng, rng.pick(ms));
      if (r === 'strict') strict++;
      return r !== 'skip';
    });
    const used = stats.ran - stats.skipped;
    stats.note = `${strict} of ${used} pairs differ`;
    assert.ok(stats.ran === 0 || stats.skipped < stats.ran / 2, `${name}: ${stats.skipped} of ${stats.ran} cases skipped (the engine refused the deployment)`);
    assert.ok(stats.ran < 20 || strict >= used * 0.1, `${name}: only ${strict} of ${used} pairs differ at all`);
  };

  it('more GPU memory utilization never lowers capacity (tokens, concurrency, blocks, fit)', () => {
    property('prop.utilization', (rng, m) => {
      const base = deployment(rng, gpus);
      const [u1, u2] = [rng.pick([0.05, 0.3, 0.5, 0.7, 0.85, 0.9]), rng.pick([0.9, 0.92, 0.95, 0.98, 1])].sort((a, b) => a - b);
      const lo = report(m.files, { ...base, gpuMemoryUtilization: u1 });
      const hi = report(m.files, { ...base, gpuMemoryUtilization: u2 });
      if (!lo || !hi) return 'skip';
      return notLess(lo, hi, ['kvCacheTokens', 'maxConcurrency', 'numBlocks', 'kvCacheBytes', 'fits', 'estimatedMaxModelLen'], `utilization ${u1} -> ${u2}`, { model: m.rel, inputs: base });
    });
  });

  it('a GPU with more memory (all other figures equal) never lowers capacity', () => {
    // Synthetic GPUs that differ from a catalog GPU only in memory, built once (the lookup index of
    // custom GPUs is cached per array). Their names have no "A100", so vLLM's GPU-class defaults would
    // not differ either; the scheduler limits are pinned in the deployment anyway.
    const sizes = [4, 6, 8, 12, 16, 24, 32, 40, 48, 64, 80, 96, 141, 192, 288];
    const likes = gpus.filter((_, i) => i % 2 === 0);
    const synthId = (like: Accelerator, gib: number): string => `fuzz-${like.id}-${gib}`;
    const extra: Accelerator[] = likes.flatMap((like) => sizes.map((gib) => ({
      ...like, id: synthId(like, gib), name: `Fuzz Synthetic ${like.id} ${gib}`, aliases: [], instanceGpuCounts: undefined,
      memoryBytes: Math.ceil(gib * 1.01 * GiB), visibleMemoryGiB: gib,
    })));
    property('prop.gpuMemory', (rng, m) => {
      const base = deployment(rng, gpus);
      const like = rng.pick(likes);
      const [g1, g2] = [rng.pick(sizes), rng.pick(sizes)].sort((a, b) => a - b);
      const lo = report(m.files, { ...base, gpu: synthId(like, g1) }, extra);
      const hi = report(m.files, { ...base, gpu: synthId(like, g2) }, extra);
      if (!lo || !hi) return 'skip';
      if (lo.hardware.id !== synthId(like, g1) || hi.hardware.id !== synthId(like, g2)) failWith('synthetic GPUs not resolved by id', { lo: lo.hardware.id, hi: hi.hardware.id });
      return notLess(lo, hi, ['kvCacheTokens', 'maxConcurrency', 'numBlocks', 'kvCacheBytes', 'fits', 'estimatedMaxModelLen'], `GPU memory ${g1} GiB -> ${g2} GiB (like ${like.id})`, { model: m.rel, inputs: base });
    });
  });

  it('a longer max_model_len never raises the concurrency', () => {
    property('prop.maxModelLen', (rng, m) => {
      const base = deployment(rng, gpus);
      const [l1, l2] = [rng.logInt(16, 262_144), rng.logInt(16, 262_144)].sort((a, b) => a - b);
      const short = report(m.files, { ...base, maxModelLen: l1 });
      const long = report(m.files, { ...base, maxModelLen: l2 });
      if (!short || !long) return 'skip';
      if (long.capacity.maxConcurrency > short.capacity.maxConcurrency) {
        failWith(`max_model_len ${l1} -> ${l2}: maxConcurrency rose from ${short.capacity.maxConcurrency} to ${long.capacity.maxConcurrency}`, { model: m.rel, inputs: base });
      }
      if (long.capacity.fits && !short.capacity.fits && short.capacity.weightsFit) failWith(`max_model_len ${l2} fits but ${l1} does not`, { model: m.rel, inputs: base });
      return long.capacity.maxConcurrency < short.capacity.maxConcurrency ? 'strict' : 'equal';
    });
  });

  it('an fp8 KV cache never lowers the token capacity or concurrency vs auto', () => {
    property('prop.fp8kv', (rng, m) => {
      const base = deployment(rng, gpus);
      const auto = report(m.files, { ...base, kvCacheDtype: 'auto' });
      const fp8 = report(m.files, { ...base, kvCacheDtype: 'fp8' });
      if (!auto || !fp8) return 'skip';
      if (fp8.perGpu.kvBytesPerToken > auto.perGpu.kvBytesPerToken) failWith('fp8 KV bytes per token above auto', { model: m.rel, inputs: base });
      return notLess(auto, fp8, ['kvCacheTokens', 'maxConcurrency', 'numBlocks', 'fits', 'estimatedMaxModelLen'], 'kv-cache-dtype auto -> fp8', { model: m.rel, inputs: base });
    });
  });

  it('more tensor parallelism never raises the weight bytes per GPU', () => {
    property('prop.tensorParallel', (rng, m) => {
      const base = deployment(rng, gpus);
      const [t1, t2] = [rng.pick([1, 2, 3, 4, 6, 8, 16]), rng.pick([1, 2, 4, 8, 12, 16, 32, 64])].sort((a, b) => a - b);
      if (t1 === t2) return 'equal';
      const a = report(m.files, { ...base, tensorParallel: t1, gpuCount: undefined });
      const b = report(m.files, { ...base, tensorParallel: t2, gpuCount: undefined });
      if (!a || !b) return 'skip';
      if (b.perGpu.weightBytes > a.perGpu.weightBytes) {
        failWith(`tensor parallel ${t1} -> ${t2}: perGpu.weightBytes rose from ${a.perGpu.weightBytes} to ${b.perGpu.weightBytes}`, { model: m.rel, inputs: base });
      }
      return b.perGpu.weightBytes < a.perGpu.weightBytes ? 'strict' : 'equal';
    });
  });

  it('the decode ceiling is at or above every measured batch-1 speed (decode-batch1.json)', function () {
    const records = decodeRecords();
    const below: string[] = [];
    let compared = 0;
    for (const r of records) {
      const c = compareDecode(r);
      if (c.skipped) continue;
      compared++;
      if (!(c.ceilingTokensPerSecond !== undefined && Number.isFinite(c.ceilingTokensPerSecond) && c.ceilingTokensPerSecond > 0)) {
        below.push(`${r.id} ${r.model} on ${r.num_gpus}x ${r.hardware} (${r.quantization}): ceiling ${c.ceilingTokensPerSecond}`);
      } else if (c.ceilingTokensPerSecond < r.decode_tok_s) {
        below.push(`${r.id} ${r.model} ${r.quantization} on ${r.num_gpus}x ${r.hardware} (${r.engine.split(' ')[0]}): measured ${r.decode_tok_s} tok/s > ceiling ${c.ceilingTokensPerSecond.toFixed(2)}`);
      }
    }
    noteStats('prop.decodeCeiling', records.length, records.length - compared, `${compared} of ${records.length} records compared; ${records.length - compared} skipped (shapes not in the corpus)`);
    assert.ok(compared >= records.length / 2, `only ${compared} of ${records.length} records compared`);
    assert.deepStrictEqual(below, [], `${below.length} of ${compared} measured speeds are above the engine's ceiling`);
  });
});
