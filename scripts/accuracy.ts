// `npm run accuracy`: every ground-truth record beside our prediction, the error, and a summary.

import { FAMILIES, decodeErrors, decodeRows, fitAll, longerContextRows, predictSeconds, summarize } from './fitDecode';
import { coefficientsFor } from '../src/core/expected';
import { vllmProfile } from '../src/core/engine/vllm';
import { STARTUP_LOG_FILES, compareDecode, compareLlamacpp, compareSglang, compareStartup, decodeRecords, engineVersionOf, type StartupComparison, isV1Record, llamacppRecords, loggedUtilization, median, sglangRecords, startupRecords } from './groundTruth';

const pct = (x: number | undefined): string => (x === undefined ? '—' : `${x >= 0 ? '+' : ''}${(x * 100).toFixed(2)}%`);
const pad = (s: string, n: number): string => (s.length >= n ? s.slice(0, n) : s + ' '.repeat(n - s.length));
const GiB = 1024 ** 3;

function startupSection(file: string): void {
  console.log(`vLLM startup logs (../shared/ground-truth/${file}): "Available KV cache memory" and "GPU KV cache size"`);
  console.log([pad('id', 8), pad('model', 44), pad('vllm', 8), pad('tp×pp', 6), pad('KV GiB meas→pred', 20), pad('err', 8), pad('KV tokens meas→pred', 24), pad('err', 8), pad('weights err', 11), 'outcome'].join(' '));
  const v1KvErrors: number[] = [];
  let failuresPredicted = 0;
  let failuresTotal = 0;
  let notCompared = 0;
  const comparisons = startupRecords(file).map((r) => compareStartup(r));
  for (const c of comparisons) {
    const r = c.record;
    if (c.error || !c.report) { notCompared++; console.log(pad(r.id, 8), pad(r.model_id, 44), 'not compared:', c.error); continue; }
    const rep = c.report;
    const kvErr = c.kvCacheTokensError ?? c.kvCacheGiBError;
    if (isV1Record(r) && kvErr !== undefined) v1KvErrors.push(Math.abs(kvErr));
    if (c.measuredFailed) { failuresTotal++; if (c.predictedFailed) failuresPredicted++; }
    const outcome = c.measuredFailed
      ? `failed; predicted ${c.predictedFailed ? `failure (estimated max model len ${rep.capacity.estimatedMaxModelLen})` : 'START (miss)'}`
      : `started; predicted ${c.predictedFailed ? 'FAILURE (miss)' : 'start'}`;
    console.log([
      pad(r.id, 8), pad(r.model_id, 44), pad(rep.settings.engineVersion, 8), pad(`${rep.settings.tensorParallel}×${rep.settings.pipelineParallel}`, 6),
      pad(`${r.kv_cache_gib ?? '—'} → ${(rep.perGpu.kvCacheBytes / GiB).toFixed(2)}`, 20), pad(pct(c.kvCacheGiBError), 8),
      pad(`${r.kv_cache_tokens ?? '—'} → ${rep.capacity.kvCacheTokens}`, 24), pad(pct(c.kvCacheTokensError), 8), pad(pct(c.weightsGiBError), 11), outcome,
    ].join(' '));
  }
  const within5 = v1KvErrors.filter((e) => e <= 0.05).length;
  console.log(`Summary ${file} (V1 records, GPU KV cache size): n=${v1KvErrors.length}${notCompared ? ` (${notCompared} not compared)` : ''}, median |error| ${(median(v1KvErrors) * 100).toFixed(2)}%, ${within5}/${v1KvErrors.length} within 5% (${((within5 / Math.max(1, v1KvErrors.length)) * 100).toFixed(0)}%), max |error| ${(Math.max(...v1KvErrors) * 100).toFixed(2)}%; logged failures predicted: ${failuresPredicted}/${failuresTotal}`);
  versionReadingNote(comparisons);
  inconsistentRecordsNote(comparisons);
}

/** Records read at the release their source's `:latest` image was, and the summary had they been read as written. */
function versionReadingNote(comparisons: readonly StartupComparison[]): void {
  const records = comparisons.map((c) => c.record);
  const reread = records.filter((r) => engineVersionOf(r).basis === 'latest-in-month');
  if (!reread.length) return;
  // Only the re-read records change with the reading: the others keep their comparison.
  const asWritten = comparisons.filter((c) => isV1Record(c.record))
    .map((c) => (engineVersionOf(c.record).basis === 'latest-in-month' ? compareStartup(c.record, 'stated') : c))
    .map((c) => c.kvCacheTokensError ?? c.kvCacheGiBError).filter((e): e is number => e !== undefined).map(Math.abs);
  const within5 = asWritten.filter((e) => e <= 0.05).length;
  console.log(`  Version read from the source's image: ${reread.map((r) => `${r.id} → ${engineVersionOf(r).version}`).join(', ')} (inferred "${reread[0].vllm_version}": the release \`:latest\` was that month).`);
  console.log(`  Read as written instead: median |error| ${(median(asWritten) * 100).toFixed(2)}%, ${within5}/${asWritten.length} within 5%.`);
}

/** Records whose logged breakdown sums to another utilization than the one they state (before 0.21 only). */
function inconsistentRecordsNote(comparisons: readonly StartupComparison[]): void {
  for (const { record: r, report } of comparisons) {
    const implied = loggedUtilization(r);
    const stated = r.gpu_memory_utilization;
    if (implied === undefined || stated === undefined || !report || vllmProfile(report.settings.engineVersion)?.subtractsCudaGraphs !== false) continue;
    if (Math.abs(implied - stated) > 0.005) {
      console.log(`  ${r.id}: the record's own figures (weights + activation + non-torch + KV = ${(implied * r.total_gpu_memory_gib!).toFixed(2)} GiB) are ${implied.toFixed(3)} × its ${r.total_gpu_memory_gib} GiB, not the stated utilization ${stated}; scored at the stated value.`);
    }
  }
}

function decodeSection(): void {
  console.log('\nDecode at batch 1 (../shared/ground-truth/decode-batch1.json): measured vs our bandwidth/compute ceiling');
  console.log([pad('id', 8), pad('model', 34), pad('quant', 14), pad('hardware', 40), pad('gpus', 4), pad('measured', 9), pad('ceiling', 9), 'measured/ceiling'].join(' '));
  const ratios: number[] = [];
  let exceed = 0;
  let skipped = 0;
  for (const r of decodeRecords()) {
    const c = compareDecode(r);
    if (c.ratio === undefined) { skipped++; console.log(pad(r.id, 8), pad(r.model, 34), pad(r.quantization, 14), pad(r.hardware, 40), 'skipped:', c.skipped); continue; }
    ratios.push(c.ratio);
    if (c.ratio > 1) exceed++;
    console.log([pad(r.id, 8), pad(r.model, 34), pad(r.quantization, 14), pad(r.hardware, 40), pad(String(r.num_gpus), 4), pad(r.decode_tok_s.toFixed(1), 9), pad(c.ceilingTokensPerSecond!.toFixed(1), 9), c.ratio.toFixed(3) + (c.ratio > 1 ? '  EXCEEDS CEILING' : '')].join(' '));
  }
  console.log(`Summary (decode batch 1): n=${ratios.length} compared, ${skipped} skipped (model not in corpus), ${exceed} above the ceiling, median measured/ceiling ${median(ratios).toFixed(3)}, range ${Math.min(...ratios).toFixed(3)}–${Math.max(...ratios).toFixed(3)}`);
}

function sglangSection(): void {
  console.log('SGLang startup logs (../shared/ground-truth/sglang-startup-logs.json): max_total_num_tokens and max_running_requests');
  const errors: number[] = [];
  for (const r of sglangRecords()) {
    const c = compareSglang(r);
    if (!c.report) { console.log(pad(r.id, 10), pad(r.model_id, 44), 'not compared:', c.error); continue; }
    if (c.tokensError !== undefined) errors.push(Math.abs(c.tokensError));
    console.log([pad(r.id, 10), pad(r.model_id, 44), pad(c.report.settings.engineVersion, 8),
      pad(`${r.max_total_num_tokens ?? '—'} → ${c.report.capacity.kvCacheTokens}`, 22), pad(pct(c.tokensError), 8),
      `max_running_requests ${r.max_running_requests ?? '—'} → ${c.report.settings.maxNumSeqs}`].join(' '));
  }
  console.log(`Summary sglang-startup-logs.json (max_total_num_tokens): n=${errors.length}, median |error| ${(median(errors) * 100).toFixed(2)}%, ${errors.filter((e) => e <= 0.05).length}/${errors.length} within 5%`);
}

function llamacppSection(): void {
  console.log('llama.cpp load logs (../shared/ground-truth/llamacpp-logs.json): the GPU\'s model, KV and compute buffers (MiB)');
  const worst: number[] = [];
  for (const r of llamacppRecords()) {
    const c = compareLlamacpp(r);
    if (!c.report) { console.log(pad(r.id, 10), pad(r.model_id, 44), 'not compared:', c.error); continue; }
    const p = c.report.perGpu;
    const mib = (b: number | undefined) => (b === undefined ? '—' : (b / 1024 ** 2).toFixed(2));
    worst.push(Math.max(...[c.modelBufferError, c.kvBufferError, c.computeBufferError].filter((e): e is number => e !== undefined).map(Math.abs)));
    console.log([pad(r.id, 10), pad(`-ngl ${c.report.capacity.gpuLayers ?? '—'} -c ${r.n_ctx}`, 18),
      `model ${r.model_buffer_mib?.CUDA0 ?? '—'} → ${mib(p.weightBytes)} ${pct(c.modelBufferError)}`,
      `· KV ${r.kv_buffer_mib_per_device?.CUDA0 ?? '—'} → ${mib(p.kvCacheBytes)} ${pct(c.kvBufferError)}`,
      `· compute ${r.compute_buffer_mib?.CUDA0 ?? '—'} → ${mib(p.computeBufferBytes)} ${pct(c.computeBufferError)}`].join(' '));
  }
  console.log(`Summary llamacpp-logs.json (GPU buffers): n=${worst.length}, worst |error| per record: median ${(median(worst) * 100).toFixed(2)}%, ${worst.filter((e) => e <= 0.05).length}/${worst.length} within 5%`);
}

/** Expected decode against the measurements: in-sample and with each GPU left out of the fit. */
function expectedSection(): void {
  const rows = decodeRows();
  const { inSample, crossValidated } = decodeErrors(rows);
  console.log('\nExpected decode (src/core/decode-coefficients.json, fitted by npm run fit-decode): |measured / expected − 1| from |log|');
  for (const family of FAMILIES) {
    const a = inSample.filter((x) => x.row.family === family).map((x) => x.error);
    const b = crossValidated.filter((x) => x.row.family === family).map((x) => x.error);
    if (a.length) console.log(`  ${pad(family, 16)} in-sample ${summarize(a)}; leave-one-GPU-out ${summarize(b)}`);
  }
  console.log(`Summary (expected decode): in-sample ${summarize(inSample.map((x) => x.error))}; leave-one-GPU-out ${summarize(crossValidated.map((x) => x.error))}`);
  // Held out of the fit: the same runs generating 1024–8192 tokens (the KV read grows with the context).
  const fitted = fitAll(rows);
  const longer = longerContextRows();
  const errors = longer.map((row) => Math.abs(Math.log(row.measured / predictSeconds(row, coefficientsFor(row.family, row.inputs.hardware, fitted)))));
  const aboveCeiling = longer.filter((row) => row.measured < row.memorySeconds * (1 - 1e-9)).length;
  console.log(`Summary (expected decode at longer contexts, other_contexts tg1024/tg4096/tg8192, not fitted): ${summarize(errors)}; ${aboveCeiling} above the ceiling`);
}

for (const file of STARTUP_LOG_FILES) { startupSection(file); console.log(''); }
sglangSection();
console.log('');
llamacppSection();
console.log('');
decodeSection();
expectedSection();
