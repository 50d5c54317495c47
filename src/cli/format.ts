// Human-readable report for the terminal.

import { engineLabel } from '../core/engine/engine';
import { BudgetReport } from '../core/types';
import { fixed, bytes as formatBytes, formatFlops, formatInt, formatParams, formatRate, seconds as formatSeconds } from '../core/units';

export function formatReport(r: BudgetReport): string {
  const m = r.model;
  const g = r.perGpu;
  const c = r.capacity;
  const s = r.settings;
  const lines: string[] = [];
  const gpus = `${r.hardware.count} × ${r.hardware.name}`;
  lines.push(`${m.name} (${m.architecture}) on ${gpus}, ${engineLabel(s.engine, s.engineVersion)}, TP ${s.tensorParallel} × PP ${s.pipelineParallel}`);
  lines.push(`Model     ${formatParams(m.parametersTotal)} parameters (${formatParams(m.parametersActive)} active) · weights ${formatBytes(m.weightBytes)} ${m.weightDtype} · KV ${formatBytes(m.kvBytesPerToken)}/token (${s.kvCacheDtype})${m.stateBytesPerSequence ? ` + ${formatBytes(m.stateBytesPerSequence)} state/sequence` : ''}`);
  lines.push(`Per GPU   ${formatBytes(g.totalMemoryBytes)} total · ${formatBytes(g.requestedMemoryBytes)} requested (${s.gpuMemoryUtilization}) · weights ${formatBytes(g.weightBytes)} · activation ${formatBytes(g.activationPeakBytes)} · non-torch ${formatBytes(g.nonTorchBytes)} · CUDA graphs ${formatBytes(g.cudaGraphBytes)}${g.cudaGraphSubtracted ? '' : ' (not subtracted)'} · KV cache ${formatBytes(g.kvCacheBytes)}`);
  // llama.cpp over several GPUs: what each one holds (the figures above are the most loaded one's).
  if (g.split && g.split.length > 1) {
    const parts = g.split.map((x) => `GPU ${x.gpu}${x.gpu === g.mostLoadedGpu ? ' (most loaded)' : ''} ${formatInt(x.layers)} layer${x.layers === 1 ? '' : 's'}${x.output ? ' + output' : ''} ${formatBytes(x.bytes)}`);
    lines.push(`Split     ${parts.join(' · ')}`);
  }
  // The engine's one verdict (report.verdict): never "fits" while an error stands.
  if (r.verdict.fits) {
    lines.push(`Capacity  fits: ${formatInt(c.kvCacheTokens)} tokens of KV cache · max concurrency ${c.maxConcurrency.toFixed(2)}× at ${formatInt(c.maxModelLen)} tokens`);
  } else if (!c.weightsFit) {
    lines.push('Capacity  does not fit: the weights alone exceed the requested memory');
  } else if (!c.contextFits) {
    lines.push(`Capacity  does not fit: ${contextDoesNotFit(r)}`);
  } else {
    const blocking = r.verdict.blocking.map((x) => x.code).join(', ');
    lines.push(`Capacity  will not start (${blocking}): ${formatInt(c.kvCacheTokens)} tokens of KV cache · max concurrency ${c.maxConcurrency.toFixed(2)}× at ${formatInt(c.maxModelLen)} tokens`);
  }
  const d = r.decode;
  const e = d.expected;
  lines.push(`Decode    batch ${formatInt(d.batch)} at ${formatInt(d.context)} tokens: ~${formatRate(e.tokensPerSecondPerRequest)} per request expected (${formatRate(e.low)}–${formatRate(e.high)}), ~${formatRate(e.tokensPerSecondTotal)} total · ceiling ${formatRate(d.tokensPerSecondPerRequest)} per request, ${formatRate(d.tokensPerSecondTotal)} total (${d.bound}-bound)`);
  lines.push(`Prefill   ${formatInt(r.prefill.promptTokens)} tokens: ~${formatSeconds(r.prefill.expected.seconds)} expected · floor ${formatSeconds(r.prefill.seconds)} (${formatFlops(r.prefill.flops)}, ${r.prefill.bound}-bound) · ~${formatRate(r.prefill.expected.tokensPerSecond)} expected, ${r.prefill.expected.basis}`);
  const sp = d.speculative;
  if (sp) lines.push(`          speculative ${sp.method} × ${sp.draftTokens}: ${sp.tokensPerStep.toFixed(2)} tokens per step at ${sp.acceptanceRate} acceptance (${sp.acceptanceSource}): ~${formatRate(sp.expectedTokensPerSecondPerRequest)} per request expected · ceiling ${formatRate(sp.tokensPerSecondPerRequest)}; drafter weights ${formatBytes(sp.draftWeightBytes)} per GPU${sp.draftKvBytesPerToken ? `, drafter KV ${formatBytes(sp.draftKvBytesPerToken)} per token` : ''}`);
  const cached = r.prefill.expected.cachedPrefix;
  if (cached) lines.push(`          with ${formatInt(cached.tokens)} prefix tokens cached: ~${formatSeconds(cached.secondsOnHit)} on a hit, ~${formatSeconds(cached.meanSeconds)} on average at ${(cached.hitRate * 100).toFixed(0)} % hits`);
  if (r.cost) {
    const k = r.cost;
    lines.push(`Cost      ${fixed(k.perMillionOutputTokens)} per million output tokens at batch ${formatInt(d.batch)} · ${fixed(k.atFullConcurrency.perMillionOutputTokens)} at full concurrency (${formatInt(k.atFullConcurrency.batch)} requests) · ${formatInt(k.gpus)} GPU${k.gpus === 1 ? '' : 's'} at ${k.pricePerGpuHour} per GPU-hour`);
  }
  const rf = r.roofline;
  lines.push(`Roofline  ridge ${rf.ridgePointFlopsPerByte.toFixed(0)} FLOP/byte (${rf.computeDtype}) · decode ${rf.decode.arithmeticIntensity.toFixed(1)} FLOP/byte · prefill ${rf.prefill.arithmeticIntensity.toFixed(0)} FLOP/byte`);
  const shown = r.diagnostics.filter((x) => x.code !== 'assumption');
  for (const x of shown) lines.push(`${x.severity.padEnd(11)} [${x.code}] ${x.message}`);
  for (const a of m.assumptions) lines.push(`assumption  ${a}`);
  return lines.join('\n');
}

/**
 * The context that does not fit, in the engine's words: vLLM's max_model_len and SGLang's --context-length need KV
 * per request; llama.cpp's -c is the whole cache over its slots.
 */
function contextDoesNotFit(r: BudgetReport): string {
  const c = r.capacity;
  if (r.settings.engine === 'llamacpp') {
    return `-c ${formatInt(c.maxModelLen)} needs ${formatBytes(c.kvBytesPerRequest)} of KV cache; the largest -c that fits is ${formatInt(c.estimatedMaxModelLen)}`;
  }
  const name = r.settings.engine === 'sglang' ? '--context-length' : 'max_model_len';
  return `${name} ${formatInt(c.maxModelLen)} needs ${formatBytes(c.kvBytesPerRequest)} of KV per request; ${formatBytes(r.perGpu.kvCacheBytes)} is available; the largest that fits is ${formatInt(c.estimatedMaxModelLen)}`;
}
