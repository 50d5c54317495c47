// Expected speed beside the ceiling. A decode step moves the weights and KV at an achievable fraction of peak
// bandwidth, pays a fixed cost per layer (kernel launches and attention overheads), all-reduces twice per layer
// under tensor parallelism, and hands activations from GPU to GPU between pipeline stages. The fraction and the
// fixed costs are a few global coefficients per engine family, fitted on ../shared/ground-truth/decode-batch1.json
// by `npm run fit-decode` (scripts/fitDecode.ts) into decode-coefficients.json; the all-reduce term is physics:
// message size over link bandwidth plus the link's latency.

import type { Accelerator } from './types';
import COEFFICIENTS from './decode-coefficients.json';

/** Engines that decode alike: serving engines with CUDA graphs, llama.cpp on CUDA and on Metal, and others. */
export type EngineFamily = 'serving' | 'llama.cpp-cuda' | 'llama.cpp-metal' | 'mlc' | 'exllama' | 'lmdeploy';

export interface FamilyCoefficients {
  /** Achievable fraction of peak memory bandwidth. */
  bandwidthFraction: number;
  /** Fixed seconds per layer per step. */
  secondsPerLayer: number;
  /** Seconds per hand-off between GPUs of a layer split (pipeline). */
  secondsPerHop: number;
  /** Spread of the fit: the 10th and 90th percentile of measured / expected. */
  low: number;
  high: number;
  /** Records the coefficients were fitted on. */
  records: number;
}

/** HBM data-center parts and the rest: the same engine reaches a different share of their bandwidth. */
export type HardwareClass = 'datacenter' | 'consumer' | 'apple';

export function hardwareClass(acc: Pick<Accelerator, 'vendor' | 'id'>): HardwareClass {
  if (acc.vendor === 'apple') return 'apple';
  return /^(a100|a30|h100|h200|h20|b200|b300|gb200|mi\d|gaudi|tpu)/.test(acc.id) ? 'datacenter' : 'consumer';
}

/** Coefficients by `family` or, where enough measurements allowed a finer fit, `family|class`. */
export const DECODE_COEFFICIENTS = COEFFICIENTS as unknown as Record<string, FamilyCoefficients>;

/** The coefficients for an engine family on a hardware class: the finer fit when there is one. */
export function coefficientsFor(family: EngineFamily, hw: HardwareClass, table: Record<string, FamilyCoefficients> = DECODE_COEFFICIENTS): FamilyCoefficients {
  return table[`${family}|${hw}`] ?? table[family] ?? table.serving;
}

/** The family an engine and GPU decode like. */
export function engineFamily(engine: string, acc: Pick<Accelerator, 'vendor'>): EngineFamily {
  const e = engine.toLowerCase();
  if (/llama\.?cpp|ollama|llama-server|gguf/.test(e)) return acc.vendor === 'apple' ? 'llama.cpp-metal' : 'llama.cpp-cuda';
  if (/mlc/.test(e)) return 'mlc';
  if (/exllama/.test(e)) return 'exllama';
  if (/lmdeploy|turbomind/.test(e)) return 'lmdeploy';
  return 'serving';
}

/** Link latency per all-reduce step (seconds): NVLink/NVSwitch, PCIe, across nodes. */
export function linkLatencySeconds(interconnect: string, nodes: number): number {
  if (nodes > 1) return 20e-6;
  return interconnect === 'nvswitch' || interconnect === 'nvlink' ? 5e-6 : 10e-6;
}

/**
 * One ring all-reduce of `bytes` over `ranks`: 2 (ranks − 1) steps, each moving bytes / ranks over the link and
 * paying its latency. Example: 8 ranks, 14 KiB, 900 GB/s NVSwitch: 14 × 5 µs + 2 × 7/8 × 14,336 / 9e11 s ≈ 70 µs.
 */
export function allReduceSeconds(bytes: number, ranks: number, linkBytesPerSecond: number, latencySeconds: number): number {
  if (ranks <= 1) return 0;
  const steps = 2 * (ranks - 1);
  return steps * latencySeconds + (steps / ranks) * (bytes / Math.max(1, linkBytesPerSecond));
}

export interface ExpectedStepInputs {
  family: EngineFamily;
  hardware: HardwareClass;
  /** The ceiling step: bytes read, FLOPs, at peak. */
  bytes: number;
  flops: number;
  bandwidthBytesPerSecond: number;
  peakFlopsPerSecond: number;
  /** Layers one token passes through (all stages). */
  layers: number;
  tp: number;
  /** GPUs a layer split hands activations across (pipeline stages or llama.cpp's layer split). */
  stages: number;
  /** Tokens in the step (decode: the batch). */
  tokens: number;
  hiddenSize: number;
  activationBytes: number;
  interconnect: { kind: string; bandwidthBytesPerSecond: number };
  nodes: number;
}

/** Achievable fraction of peak FLOP/s for prefill (no prefill measurements to fit: an assumed, typical 60 %). */
export const PREFILL_FLOPS_FRACTION = 0.6;

/**
 * Expected seconds of one step: the memory or compute time at the family's achievable rates, whichever is larger,
 * plus fixed per-layer costs, two all-reduces per layer under tensor parallelism, and the pipeline hand-offs.
 */
export function expectedStepSeconds(x: ExpectedStepInputs, c: FamilyCoefficients = coefficientsFor(x.family, x.hardware)): number {
  const memory = x.bytes / (x.bandwidthBytesPerSecond * c.bandwidthFraction);
  const compute = x.peakFlopsPerSecond > 0 ? x.flops / (x.peakFlopsPerSecond * PREFILL_FLOPS_FRACTION) : 0;
  const message = x.tokens * x.hiddenSize * x.activationBytes;
  const allReduce = x.tp > 1 ? 2 * x.layers * allReduceSeconds(message, x.tp, x.interconnect.bandwidthBytesPerSecond, linkLatencySeconds(x.interconnect.kind, x.nodes)) : 0;
  return Math.max(memory, compute) + x.layers * c.secondsPerLayer + allReduce + Math.max(0, x.stages - 1) * c.secondsPerHop;
}
