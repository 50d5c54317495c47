// The GPU hover without a model: what a deployment's GPU is to the engine (memory as the runtime reports it,
// bandwidth, dense FLOP/s per data type, FP8/FP4, interconnect), for a deployment whose model is unknown or a
// budget file that names only hardware. Pure: figures from the accelerator catalog entry, formatting only.
import type { Accelerator } from '../core/types';
import { formatInt, si } from '../core/units';
import { md } from './present';

const DTYPES: { key: keyof Accelerator['flopsPerSecond']; label: string }[] = [
  { key: 'fp4', label: 'FP4' }, { key: 'fp8', label: 'FP8' }, { key: 'int8', label: 'INT8' }, { key: 'bf16', label: 'BF16' },
  { key: 'fp16', label: 'FP16' }, { key: 'tf32', label: 'TF32' }, { key: 'fp32', label: 'FP32' },
];

const INTERCONNECTS: Record<string, string> = {
  nvswitch: 'NVLink through NVSwitch (all-to-all)', nvlink: 'NVLink (bridged pairs)', 'pcie-p2p': 'PCIe with peer-to-peer',
  pcie: 'PCIe (no peer-to-peer)', unified: 'one package, shared memory',
};

/** "3,350 GB/s". */
export function gbPerSecond(bytesPerSecond: number): string {
  return `${formatInt(Math.round(bytesPerSecond / 1e9))} GB/s`;
}

/**
 * Markdown for a GPU: name (and how many), visible memory per GPU (and in all), memory bandwidth, dense FLOP/s
 * for each data type it has, FP8 and FP4 support, interconnect. `why` says why no model figures are shown.
 */
export function gpuHoverMarkdown(acc: Accelerator, count = 1, why?: string): string {
  const n = Math.max(1, Math.floor(count));
  const memory = `${acc.visibleMemoryGiB} GiB visible per GPU${acc.unifiedMemory ? ' (shared with the CPU)' : ''}`
    + ` (sold as ${Math.round(acc.memoryBytes / 1e9)} GB)${n > 1 ? `; ${formatGiB(acc.visibleMemoryGiB * n)} GiB on ${n} GPUs` : ''}`;
  const flops = DTYPES.filter((d) => typeof acc.flopsPerSecond[d.key] === 'number' && acc.flopsPerSecond[d.key]! > 0)
    .map((d) => `${d.label} ${flopsPerSecond(acc.flopsPerSecond[d.key]!)}`);
  const has = (k: 'fp8' | 'fp4') => (typeof acc.flopsPerSecond[k] === 'number' && acc.flopsPerSecond[k]! > 0 ? 'yes' : 'no');
  const link = acc.interconnect;
  const rows: [string, string][] = [
    ['Memory', memory],
    ['Bandwidth', `${gbPerSecond(acc.memoryBandwidthBytesPerSecond)} per GPU`],
    ['Dense FLOP/s', flops.length ? flops.join(' · ') : 'not stated'],
    ['FP8 / FP4', `FP8 ${has('fp8')} · FP4 ${has('fp4')}`],
    ['Interconnect', `${md(INTERCONNECTS[link.kind] ?? link.kind)}${link.bandwidthBytesPerSecond > 0 ? `, ${gbPerSecond(link.bandwidthBytesPerSecond)}` : ''}`],
  ];
  if (acc.computeCapability) rows.push(['Compute capability', acc.computeCapability]);
  const title = `**${n > 1 ? `${n}× ` : ''}${md(acc.name)}**`;
  const table = ['| | |', '|---|---|', ...rows.map(([k, v]) => `| ${k} | ${v} |`)].join('\n');
  return [title, table, ...(why ? [why] : [])].join('\n\n');
}

/** 989.4e12 → "989 TFLOP/s". */
export function flopsPerSecond(x: number): string {
  return si(x, 'FLOP/s');
}

function formatGiB(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toFixed(2);
}
