// `npm run fit-decode`: fits the expected-decode coefficients (src/core/decode-coefficients.json) on
// ../shared/ground-truth/decode-batch1.json. Per engine family: the achievable fraction of peak bandwidth, a fixed
// cost per layer and per GPU hand-off, by least squares on the relative error; families with few measurements fit
// the bandwidth fraction only. `npm run accuracy` reports the fit in-sample and under leave-one-GPU-out.

import * as fs from 'fs';
import * as path from 'path';
import { EngineFamily, FamilyCoefficients, coefficientsFor, engineFamily, expectedStepSeconds, hardwareClass } from '../src/core/expected';
import { findAccelerator } from '../src/core/hardware';
import { DecodeRecord, decodeBudget, decodeContextTokens, decodeParallelism, decodeRecords, median } from './groundTruth';

export interface DecodeRow {
  record: DecodeRecord;
  family: EngineFamily;
  /** Measured seconds per token. */
  measured: number;
  /** The ceiling's memory time, layers, GPU hand-offs, and what expectedStepSeconds needs. */
  memorySeconds: number;
  layers: number;
  hops: number;
  inputs: Parameters<typeof expectedStepSeconds>[0];
}

/** A decode measurement as a row of the fit: `tokensPerSecond` measured at `contextTokens` (mean context of the run). */
function decodeRow(r: DecodeRecord, contextTokens: number, tokensPerSecond: number): DecodeRow | undefined {
  const b = decodeBudget(r, contextTokens);
  const acc = findAccelerator(r.hardware);
  if (!b.ok || !acc.ok) return undefined;
  const rep = b.report;
  const { tp, pp } = decodeParallelism(r);
  const inputs = {
    family: engineFamily(r.engine, acc.accelerator), hardware: hardwareClass(acc.accelerator), bytes: rep.decode.bytesPerStep, flops: rep.decode.flopsPerStep,
    bandwidthBytesPerSecond: rep.roofline.memoryBandwidthBytesPerSecond, peakFlopsPerSecond: rep.roofline.peakFlopsPerSecond,
    layers: rep.model.numLayers, tp, stages: pp, tokens: 1, hiddenSize: 0, activationBytes: 2,
    interconnect: acc.accelerator.interconnect, nodes: 1,
  };
  return {
    record: r, family: inputs.family, measured: 1 / tokensPerSecond, memorySeconds: inputs.bytes / inputs.bandwidthBytesPerSecond,
    layers: inputs.layers, hops: pp - 1, inputs,
  };
}

/** Every decode measurement with a corpus model, as a row of the fit (at the context its metric says). */
export function decodeRows(): DecodeRow[] {
  return decodeRecords().map((r) => decodeRow(r, decodeContextTokens(r.metric), r.decode_tok_s)).filter((x): x is DecodeRow => x !== undefined);
}

/**
 * The same runs at longer generations (`other_contexts`: tg1024, tg4096, tg8192 from an empty context), which the
 * fit never sees: they test the context term (the KV read growing with the context) out of sample.
 */
export function longerContextRows(): DecodeRow[] {
  const rows: DecodeRow[] = [];
  for (const r of decodeRecords()) {
    for (const [key, tokensPerSecond] of Object.entries(r.other_contexts ?? {})) {
      const row = decodeRow(r, decodeContextTokens(key), tokensPerSecond);
      if (row) rows.push(row);
    }
  }
  return rows;
}

/** Solves A x = b for a small square system (Gaussian elimination); undefined when singular. */
function solve(a: number[][], b: number[]): number[] | undefined {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r][c]) > Math.abs(m[p][c])) p = r;
    if (Math.abs(m[p][c]) < 1e-18) return undefined;
    [m[c], m[p]] = [m[p], m[c]];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r][c] / m[c][c];
      for (let k = c; k <= n; k++) m[r][k] -= f * m[c][k];
    }
  }
  return m.map((row, i) => row[n] / row[i]);
}

const MIN_RECORDS_FOR_FIXED_COSTS = 6;

/**
 * Least squares on the relative error: measured ≈ a × memory + c × layers + h × hops, with a ≥ 1 (no faster than
 * peak bandwidth) and c, h ≥ 0; a variable that would leave its bound is held there and the rest fitted again.
 */
export function fitFamily(rows: DecodeRow[]): FamilyCoefficients | undefined {
  if (rows.length === 0) return undefined;
  const features = (r: DecodeRow): number[] => [r.memorySeconds, r.layers, r.hops];
  let free = rows.length >= MIN_RECORDS_FOR_FIXED_COSTS ? [0, 1, 2] : [0];
  if (!rows.some((r) => r.hops > 0)) free = free.filter((i) => i !== 2);
  const fixed: number[] = [1, 0, 0];
  let x = [...fixed];
  for (let round = 0; round < 3; round++) {
    const ata = free.map(() => free.map(() => 0));
    const atb = free.map(() => 0);
    for (const r of rows) {
      const f = features(r).map((v) => v / r.measured);
      const rest = [0, 1, 2].filter((i) => !free.includes(i)).reduce((t, i) => t + fixed[i] * f[i], 0);
      free.forEach((i, p) => {
        atb[p] += f[i] * (1 - rest);
        free.forEach((j, q) => { ata[p][q] += f[i] * f[j]; });
      });
    }
    const sol = solve(ata, atb);
    if (!sol) break;
    x = [...fixed];
    free.forEach((i, p) => { x[i] = sol[p]; });
    const bounds = [1, 0, 0];
    const violating = free.filter((i) => x[i] < bounds[i]);
    if (!violating.length) break;
    for (const i of violating) { fixed[i] = bounds[i]; x[i] = bounds[i]; }
    free = free.filter((i) => !violating.includes(i));
    if (!free.length) break;
  }
  const coefficients: FamilyCoefficients = { bandwidthFraction: 1 / x[0], secondsPerLayer: x[1], secondsPerHop: x[2], low: 1, high: 1, records: rows.length };
  const ratios = rows.map((r) => r.measured / predictSeconds(r, coefficients)).sort((a, b) => a - b);
  coefficients.low = quantile(ratios, 0.1);
  coefficients.high = quantile(ratios, 0.9);
  return coefficients;
}

export function predictSeconds(r: DecodeRow, c: FamilyCoefficients): number {
  return expectedStepSeconds(r.inputs, c);
}

export function quantile(sorted: number[], q: number): number {
  if (!sorted.length) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos), hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export const FAMILIES: EngineFamily[] = ['serving', 'llama.cpp-cuda', 'llama.cpp-metal', 'mlc', 'exllama', 'lmdeploy'];

/**
 * Coefficients for every family, and for a family on a hardware class where that class has enough measurements
 * (`family|class`); a family without measurements takes the serving engines' (the closest kind).
 */
export function fitAll(rows: DecodeRow[]): Record<string, FamilyCoefficients> {
  const out: Record<string, FamilyCoefficients> = {};
  for (const f of FAMILIES) {
    const mine = rows.filter((r) => r.family === f);
    const c = fitFamily(mine);
    if (c) out[f] = c;
    for (const hw of ['datacenter', 'consumer', 'apple'] as const) {
      const sub = mine.filter((r) => r.inputs.hardware === hw);
      // A finer fit only where it stands on its own and leaves the family fit for the rest.
      if (sub.length >= MIN_RECORDS_FOR_FIXED_COSTS && sub.length < mine.length) out[`${f}|${hw}`] = fitFamily(sub)!;
    }
  }
  for (const f of FAMILIES) if (!out[f]) out[f] = { ...(out.serving ?? out['llama.cpp-cuda']), records: 0 };
  return out;
}

/** |log(measured / expected)| of each row, in-sample and with each GPU left out of its own fit. */
export function decodeErrors(rows: DecodeRow[]): { inSample: Array<{ row: DecodeRow; error: number }>; crossValidated: Array<{ row: DecodeRow; error: number }> } {
  const all = fitAll(rows);
  const inSample = rows.map((row) => ({ row, error: Math.abs(Math.log(row.measured / predictSeconds(row, coefficientsFor(row.family, row.inputs.hardware, all)))) }));
  const byGpu = new Map<string, DecodeRow[]>();
  for (const r of rows) byGpu.set(r.record.hardware, [...(byGpu.get(r.record.hardware) ?? []), r]);
  const crossValidated: Array<{ row: DecodeRow; error: number }> = [];
  for (const [gpu, held] of byGpu) {
    const fitted = fitAll(rows.filter((r) => r.record.hardware !== gpu));
    for (const row of held) crossValidated.push({ row, error: Math.abs(Math.log(row.measured / predictSeconds(row, coefficientsFor(row.family, row.inputs.hardware, fitted)))) });
  }
  return { inSample, crossValidated };
}

export function summarize(errors: number[]): string {
  const s = [...errors].sort((a, b) => a - b);
  return `n=${s.length}, median ${(Math.expm1(median(s)) * 100).toFixed(1)}%, p90 ${(Math.expm1(quantile(s, 0.9)) * 100).toFixed(1)}%`;
}

// Only as its own script: bundled into the accuracy report, `require.main === module` holds there too.
if (require.main === module && /fitDecode\.js$/.test(process.argv[1] ?? '')) {
  const rows = decodeRows();
  const all = fitAll(rows);
  const rounded = Object.fromEntries(Object.entries(all).map(([k, c]) => [k, {
    bandwidthFraction: Number(c.bandwidthFraction.toFixed(4)), secondsPerLayer: Number(c.secondsPerLayer.toExponential(4)),
    secondsPerHop: Number(c.secondsPerHop.toExponential(4)), low: Number(c.low.toFixed(3)), high: Number(c.high.toFixed(3)), records: c.records,
  }]));
  const file = path.resolve(__dirname, '..', '..', 'src', 'core', 'decode-coefficients.json');
  fs.writeFileSync(fs.existsSync(path.dirname(file)) ? file : path.resolve('src/core/decode-coefficients.json'), JSON.stringify(rounded, null, 2) + '\n');
  console.log(JSON.stringify(rounded, null, 2));
}
