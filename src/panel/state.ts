// Builds the roofline panel's `PanelState` from the budget engine, for a model and the panel's controls.
//
// Pure: no vscode import, no DOM, no I/O. Every figure comes from `computeBudget` (one call per compared GPU,
// plus one per extra decode batch of the throughput series) or from core (peak FLOP/s and ridge points of the
// accelerator; the whole model's per-operator decode points of `decodeOperatorPointsOfReport`, src/core/throughput.ts,
// which sum to the engine's decode point); the only
// arithmetic here is picking fields, scaling the expected band to the batch and the memory bar's "free" rest.

import { bundledModels } from '../analysis/bundledCatalog';
import { computeBudget } from '../core/budget';
import { DEFAULT_ACCELERATOR_ID, findAccelerator, type FlopsDtype, listAccelerators, peakFlops, ridgePointFlopsPerByte } from '../core/hardware';
import { bundledEntryFiles } from '../core/modelResolution';
import { decodeOperatorPointsOfReport } from '../core/throughput';
import type { Accelerator, BudgetInputs, BudgetReport, ModelFiles, RooflinePoint } from '../core/types';
import { bytes as formatBytes, formatInt, formatRate } from '../core/units';
import {
  type GpuPanelData, KV_CACHE_DTYPES, LIMITS, type PanelControls, type PanelMemory, type PanelOption, type PanelPoint,
  type PanelRoof, type PanelState, type ThroughputRow, WEIGHT_PRECISIONS,
} from './messages';

/** The model the panel shows and the deployment inputs its document states. */
export interface PanelModel {
  files: ModelFiles;
  /**
   * Inputs as the document (and the settings) state them. The panel's controls override gpu, gpuCount,
   * tensorParallel, batch, context and prompt, and quantization / kvCacheDtype unless they are `auto`;
   * everything else (maxModelLen, gpuMemoryUtilization, engine, pipelineParallel, ...) is kept.
   */
  inputs: BudgetInputs;
  extraAccelerators?: Accelerator[];
  source: 'document' | 'bundled';
  /** Bundled model id (source `bundled`). */
  modelId?: string;
}

export type BuildResult =
  | {
    ok: true;
    state: PanelState;
    /** GPUs that could not be computed (left out of `state.perGpu`), in words. */
    problems: string[];
    /** The engine's report of each GPU in `state.perGpu` at the chosen batch (same order). */
    reports: BudgetReport[];
  }
  | { ok: false; message: string };

/**
 * Batch sizes of the throughput series: 1, 2, 4, … up to the first ≥ max(2 × max concurrency, chosen batch, 8),
 * so that the series runs past the concurrency wall (the requests of the panel's context the KV cache holds).
 */
export function throughputBatches(maxConcurrency: number, batch: number): number[] {
  const upTo = Math.min(LIMITS.maxBatch, Math.max(Number.isFinite(maxConcurrency) ? 2 * maxConcurrency : 0, batch, 8));
  const out: number[] = [];
  for (let b = 1; b <= LIMITS.maxBatch; b *= 2) {
    out.push(b);
    if (b >= upTo) break;
  }
  return out;
}

// ---- bundled models ----------------------------------------------------------------------------


/** The bundled models, as options of the panel's model picker. */
export function bundledModelOptions(): PanelOption[] {
  return bundledModels().map((m) => ({ id: m.id.slice(0, LIMITS.maxIdLength), name: m.id.slice(0, LIMITS.maxNameLength) }));
}

/** The files of a bundled model, by id. */
export function bundledModelFiles(id: string): ModelFiles | undefined {
  const entry = bundledModels().find((m) => m.id === id);
  return entry ? bundledEntryFiles(entry) : undefined;
}

/** A bundled model as a panel model (default deployment: the engine's defaults). */
export function bundledPanelModel(id: string, extraAccelerators: Accelerator[] = [], inputs: BudgetInputs = {}): PanelModel | undefined {
  const files = bundledModelFiles(id);
  return files ? { files, inputs, extraAccelerators, source: 'bundled', modelId: id } : undefined;
}

// ---- controls ----------------------------------------------------------------------------------

function clampInt(v: number | undefined, min: number, max: number, fallback: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) return fallback;
  return Math.min(max, Math.max(min, Math.round(v)));
}

/** The catalog id of a GPU name (`H100`, `g5.xlarge`, an id), or undefined. */
export function gpuIdOf(name: string | undefined, extra?: Accelerator[]): string | undefined {
  if (!name) return undefined;
  const found = findAccelerator(name, extra);
  return found.ok ? found.accelerator.id : undefined;
}

/**
 * The controls a model opens with: the document's GPU, GPU count, tensor parallelism and workload as the engine
 * reads them (its report), weight precision and KV dtype `auto` (= as the document/checkpoint says).
 * `gpus` replaces the GPU list (Compare GPUs); the first stays the document's GPU when omitted.
 */
export function initialControls(model: PanelModel, gpus?: string[]): PanelControls {
  const r = computeBudget(model.files, model.inputs, { extraAccelerators: model.extraAccelerators });
  const report = r.ok ? r.report : undefined;
  const primary = report?.hardware.id ?? gpuIdOf(model.inputs.gpu, model.extraAccelerators) ?? DEFAULT_ACCELERATOR_ID;
  const list = (gpus && gpus.length ? gpus : [primary]).filter((g, i, a) => typeof g === 'string' && g.length > 0 && a.indexOf(g) === i);
  const tp = report?.settings.tensorParallel ?? model.inputs.tensorParallel ?? 1;
  const controls: PanelControls = {
    gpus: list.slice(0, LIMITS.maxComparedGpus).map((g) => g.slice(0, LIMITS.maxIdLength)),
    gpuCount: clampInt(report?.hardware.count ?? model.inputs.gpuCount ?? tp, 1, LIMITS.maxGpuCount, 1),
    tensorParallel: clampInt(tp, 1, LIMITS.maxGpuCount, 1),
    batch: clampInt(report?.settings.batch ?? model.inputs.batch, 1, LIMITS.maxBatch, 1),
    context: clampInt(report?.settings.context ?? model.inputs.context, 1, LIMITS.maxTokens, 1024),
    prompt: clampInt(report?.settings.prompt ?? model.inputs.prompt, 1, LIMITS.maxTokens, 1024),
    weightPrecision: 'auto',
    kvCacheDtype: 'auto',
  };
  if (controls.gpus.length === 0) controls.gpus = [primary];
  if (model.source === 'bundled' && model.modelId) controls.model = model.modelId.slice(0, LIMITS.maxIdLength);
  return controls;
}

/**
 * Controls after the document changed: a control the user has not moved away from the document's value
 * (`current[k] === previousDoc[k]`) follows the document's new value; the user's own choices stay.
 */
export function mergeControls(current: PanelControls, previousDoc: PanelControls, nextDoc: PanelControls): PanelControls {
  const out: PanelControls = { ...current, gpus: [...current.gpus] };
  for (const k of ['gpuCount', 'tensorParallel', 'batch', 'context', 'prompt', 'weightPrecision', 'kvCacheDtype'] as const) {
    if (current[k] === previousDoc[k]) (out as unknown as Record<string, unknown>)[k] = nextDoc[k];
  }
  if (current.gpus[0] === previousDoc.gpus[0] && nextDoc.gpus[0]) {
    out.gpus = [nextDoc.gpus[0], ...current.gpus.slice(1).filter((g) => g !== nextDoc.gpus[0])];
  }
  return out;
}

/** Engine inputs for one GPU of the comparison under `controls`. */
export function inputsFor(base: BudgetInputs, controls: PanelControls, gpu: string, batch = controls.batch): BudgetInputs {
  const inputs: BudgetInputs = {
    ...base,
    gpu,
    gpuCount: controls.gpuCount,
    tensorParallel: controls.tensorParallel,
    batch,
    context: controls.context,
    prompt: controls.prompt,
  };
  if (controls.weightPrecision !== 'auto') inputs.quantization = controls.weightPrecision;
  if (controls.kvCacheDtype !== 'auto') inputs.kvCacheDtype = controls.kvCacheDtype;
  return inputs;
}

/** Accepts only the values the protocol allows (defensive: the validators already checked them). */
function checkControls(c: PanelControls): string | undefined {
  if (!Array.isArray(c.gpus) || c.gpus.length < 1 || c.gpus.length > LIMITS.maxComparedGpus) return `compare 1 to ${LIMITS.maxComparedGpus} GPUs`;
  if (!(WEIGHT_PRECISIONS as readonly string[]).includes(c.weightPrecision)) return `unknown weight precision ${String(c.weightPrecision)}`;
  if (!(KV_CACHE_DTYPES as readonly string[]).includes(c.kvCacheDtype)) return `unknown KV cache dtype ${String(c.kvCacheDtype)}`;
  return undefined;
}

// ---- per-GPU figures ---------------------------------------------------------------------------

/** A core roofline point as a panel point. */
function panelPoint(p: RooflinePoint, kind: PanelPoint['kind'], label: string): PanelPoint {
  return {
    label: label.slice(0, LIMITS.maxLabelLength),
    kind,
    flops: p.flops,
    bytes: p.bytes,
    arithmeticIntensity: p.arithmeticIntensity,
    attainableFlopsPerSecond: p.attainableFlopsPerSecond,
    seconds: p.seconds,
    bound: p.bound,
  };
}

/** Compute roofs of an accelerator: the engine's own roof, then bf16 (or fp16), fp8, int8 and fp4 where it has them. */
export function roofsOf(acc: Accelerator, report: BudgetReport): PanelRoof[] {
  const roofs: PanelRoof[] = [{
    dtype: report.roofline.computeDtype,
    peakFlopsPerSecond: report.roofline.peakFlopsPerSecond,
    ridgePointFlopsPerByte: report.roofline.ridgePointFlopsPerByte,
  }];
  const sixteen: FlopsDtype = peakFlops(acc, 'bf16') !== undefined ? 'bf16' : 'fp16';
  for (const dtype of [sixteen, 'fp8', 'int8', 'fp4'] as FlopsDtype[]) {
    if (roofs.some((r) => r.dtype === dtype)) continue;
    const peak = peakFlops(acc, dtype);
    const ridge = ridgePointFlopsPerByte(acc, dtype);
    if (peak === undefined || ridge === undefined) continue;
    roofs.push({ dtype, peakFlopsPerSecond: peak, ridgePointFlopsPerByte: ridge });
  }
  // Data types with the same peak share one roof (H100: fp8 and int8 both 1978.9 TFLOP/s) named `fp8/int8`.
  const merged: PanelRoof[] = [];
  for (const r of roofs) {
    if (!(r.peakFlopsPerSecond > 0 && Number.isFinite(r.ridgePointFlopsPerByte))) continue;
    const same = merged.find((m) => m.peakFlopsPerSecond === r.peakFlopsPerSecond);
    if (same) same.dtype = `${same.dtype}/${r.dtype}`.slice(0, LIMITS.maxDtypeLength);
    else merged.push({ ...r });
  }
  return merged.sort((a, b) => a.peakFlopsPerSecond - b.peakFlopsPerSecond).slice(0, LIMITS.maxRoofs);
}

/** The per-GPU memory stack: weights, activation peak, engine reserve (non-torch + CUDA graphs), KV cache, free. */
export function memoryOf(report: BudgetReport): PanelMemory {
  const g = report.perGpu;
  const weightsBytes = g.weightBytes;
  const activationBytes = g.activationPeakBytes;
  const reserveBytes = g.nonTorchBytes + g.cudaGraphBytes;
  const kvCacheBytes = g.kvCacheBytes;
  const used = weightsBytes + activationBytes + reserveBytes + kvCacheBytes;
  return { weightsBytes, activationBytes, reserveBytes, kvCacheBytes, freeBytes: Math.max(0, g.totalMemoryBytes - used), totalBytes: g.totalMemoryBytes };
}

/** Per-operator decode points of the whole model at the report's batch and context, on the report's GPU (core's operator model). */
export function operatorPoints(report: BudgetReport): PanelPoint[] {
  return decodeOperatorPointsOfReport(report).map((p) => panelPoint(p, 'operator', p.label));
}

function shortGpuName(name: string): string {
  return name.replace(/^(NVIDIA|AMD|Intel|Google|Apple)\s+(GeForce\s+|Tesla\s+|Instinct\s+)?/i, '').replace(/\s+\d+\s*GB$/i, '').trim() || name;
}

function summaryOf(report: BudgetReport): string {
  const c = report.capacity;
  const d = report.decode;
  const parts: string[] = [];
  parts.push(`${formatBytes(report.perGpu.weightBytes)} weights per GPU`);
  if (c.weightsFit) {
    parts.push(`KV cache ${formatInt(c.kvCacheTokens)} tokens (${c.maxConcurrency.toFixed(2)}× at ${formatInt(c.maxModelLen)} tokens)`);
  }
  let text = `${parts.join(', ')}; decode ${formatRate(d.tokensPerSecondTotal)} at batch ${formatInt(d.batch)}, ${d.bound}-bound.`;
  if (!c.fits) {
    // The engine's verdict: what blocks the deployment, first.
    const why = report.verdict.blocking[0] ?? report.diagnostics.find((x) => x.severity === 'warning');
    if (why) text += ` ${why.message}`;
  }
  return text.slice(0, LIMITS.maxSummaryLength);
}

/** Everything the panel shows for one GPU; `reports` caches the engine's answer per decode batch. */
function gpuData(model: PanelModel, controls: PanelControls, gpu: string):
  { ok: true; data: GpuPanelData; report: BudgetReport } | { ok: false; message: string } {
  const options = { extraAccelerators: model.extraAccelerators };
  const byBatch = new Map<number, BudgetReport>();
  const at = (batch: number): BudgetReport | string => {
    const hit = byBatch.get(batch);
    if (hit) return hit;
    const r = computeBudget(model.files, inputsFor(model.inputs, controls, gpu, batch), options);
    if (!r.ok) return r.unsupported;
    byBatch.set(batch, r.report);
    return r.report;
  };
  const main = at(controls.batch);
  if (typeof main === 'string') return { ok: false, message: main };
  const lookup = findAccelerator(main.hardware.id, model.extraAccelerators);
  if (!lookup.ok) return { ok: false, message: lookup.message };
  const acc = lookup.accelerator;

  const points: PanelPoint[] = [];
  points.push(panelPoint(main.roofline.prefill, 'prefill', `prefill, ${formatInt(main.settings.prompt)} tokens`));
  const one = at(1);
  if (typeof one !== 'string') points.push(panelPoint(one.roofline.decode, 'decode', 'decode, batch 1'));
  if (controls.batch !== 1) points.push(panelPoint(main.roofline.decode, 'decode', `decode, batch ${formatInt(controls.batch)}`));
  const fitting = Math.min(LIMITS.maxBatch, Math.floor(main.capacity.maxConcurrency));
  if (main.capacity.fits && fitting >= 1 && fitting !== 1 && fitting !== controls.batch) {
    const top = at(fitting);
    if (typeof top !== 'string') points.push(panelPoint(top.roofline.decode, 'decode', `decode, max concurrency (${formatInt(fitting)})`));
  }
  // The batching lever on the roofline: from this batch on, decode sits under the compute roof.
  const knee = main.decode.computeBoundFromBatch;
  if (knee !== undefined && knee <= LIMITS.maxBatch && knee !== controls.batch && knee !== fitting) {
    const turn = at(knee);
    if (typeof turn !== 'string') points.push(panelPoint(turn.roofline.decode, 'decode', `decode turns compute-bound (batch ${formatInt(knee)})`));
  }
  points.push(...operatorPoints(main));

  // The series are at the panel's context: the wall is the requests of that context the KV cache holds, not of
  // max_model_len (at 1,024 tokens a 40,960-token limit would put batch 2 "beyond max concurrency").
  const contextConcurrency = main.capacity.weightsFit ? main.capacity.kvCacheTokens / Math.max(1, main.decode.context) : 0;
  const throughput: ThroughputRow[] = [];
  for (const b of throughputBatches(contextConcurrency, controls.batch)) {
    const r = at(b);
    if (typeof r === 'string') continue;
    const e = r.decode.expected;
    // The band is the per-request spread scaled to the batch, as the total is.
    const perBatch = e.tokensPerSecondPerRequest > 0 ? e.tokensPerSecondTotal / e.tokensPerSecondPerRequest : 0;
    throughput.push({
      batch: b, tokensPerSecondPerRequest: r.decode.tokensPerSecondPerRequest, tokensPerSecondTotal: r.decode.tokensPerSecondTotal,
      expectedTokensPerSecondTotal: e.tokensPerSecondTotal, expectedLowTotal: e.low * perBatch, expectedHighTotal: e.high * perBatch,
    });
  }

  return {
    ok: true,
    report: main,
    data: {
      gpuId: main.hardware.id.slice(0, LIMITS.maxIdLength),
      gpuName: main.hardware.name.slice(0, LIMITS.maxNameLength),
      bandwidthBytesPerSecond: main.hardware.memoryBandwidthBytesPerSecond,
      roofs: roofsOf(acc, main),
      points: points.slice(0, LIMITS.maxPoints),
      throughput: throughput.slice(0, LIMITS.maxThroughputRows),
      maxConcurrency: main.capacity.maxConcurrency,
      contextConcurrency,
      memory: memoryOf(main),
      fits: main.capacity.fits,
      summary: summaryOf(main),
    },
  };
}

/** The GPU options of the panel: the catalog plus custom GPUs. */
export function gpuOptions(extra?: Accelerator[]): PanelOption[] {
  return listAccelerators(extra).slice(0, LIMITS.maxOptions).map((a) => ({
    id: a.id.slice(0, LIMITS.maxIdLength),
    name: (a.name || a.id).slice(0, LIMITS.maxNameLength),
  }));
}

/**
 * The panel's state for a model under `controls`: one engine report per compared GPU (in the order of
 * `controls.gpus`; a GPU the engine cannot size is left out and named in `problems`). Fails only when no GPU
 * can be sized (unsupported model, invalid inputs).
 */
export function buildPanelState(model: PanelModel, controls: PanelControls): BuildResult {
  const bad = checkControls(controls);
  if (bad) return { ok: false, message: bad };
  const perGpu: GpuPanelData[] = [];
  const reports: BudgetReport[] = [];
  const problems: string[] = [];
  for (const gpu of controls.gpus) {
    const g = gpuData(model, controls, gpu);
    if (g.ok) {
      perGpu.push(g.data);
      reports.push(g.report);
    } else {
      problems.push(`${gpu}: ${g.message}`);
    }
  }
  if (perGpu.length === 0) return { ok: false, message: problems.join('\n').slice(0, LIMITS.maxErrorLength) || 'nothing to show' };
  const first = reports[0];
  const title = `${first.model.name} on ${first.hardware.count}× ${perGpu.map((g) => shortGpuName(g.gpuName)).join(' vs ')}`;
  const state: PanelState = {
    title: title.slice(0, LIMITS.maxTitleLength),
    source: model.source,
    controls: { ...controls, gpus: [...controls.gpus] },
    gpuOptions: gpuOptions(model.extraAccelerators),
    modelOptions: model.source === 'bundled' ? bundledModelOptions() : [],
    perGpu,
  };
  return { ok: true, state, problems, reports };
}
