// `inference-budget gpus [FILTER]`: the hardware catalog as the engine sees it, to find the name to pass to --gpu.
import { parseArgs } from 'util';
import { listAccelerators, normalizeGpuName, peakFlops, supportsFp8 } from '../core/hardware';
import type { Accelerator } from '../core/types';

export const GPUS_USAGE = `Usage: inference-budget gpus [FILTER] [--json]

Lists the GPUs the engine knows: name, memory, memory bandwidth, dense BF16 TFLOPS, FP8 support and the other
names --gpu accepts. FILTER keeps the GPUs whose name, id or an alias contains every word of it (case-insensitive):
gpus h100, gpus "a100 80gb", gpus mi300.
Exit codes: 0 listed, 2 a usage error or a filter that matches nothing.`;

const GIB = 2 ** 30;

/** Aliases shown in the table (all are in --json): the shortest few, which are what people type. */
const ALIASES_SHOWN = 5;

export interface GpuJson {
  id: string;
  name: string;
  vendor: string;
  memoryGiB: number;
  memoryBandwidthTBps: number;
  bf16DenseTflops: number | null;
  fp8: boolean;
  aliases: string[];
}

function gpuJson(a: Accelerator): GpuJson {
  const bf16 = peakFlops(a, 'bf16');
  return {
    id: a.id, name: a.name, vendor: a.vendor,
    memoryGiB: round(a.memoryBytes / GIB, 2),
    memoryBandwidthTBps: round(a.memoryBandwidthBytesPerSecond / 1e12, 3),
    bf16DenseTflops: bf16 === undefined ? null : round(bf16 / 1e12, 1),
    fp8: supportsFp8(a),
    aliases: [...(a.aliases ?? [])],
  };
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Every word of the filter (normalised as GPU names are: `A100-80GB` → `a100 80gb`) is in one of the names. */
export function gpuMatches(a: Accelerator, filter: string): boolean {
  const words = normalizeGpuName(filter).split(' ').filter(Boolean);
  if (!words.length) return true;
  return [a.id, a.name, ...(a.aliases ?? [])].some((n) => {
    const light = normalizeGpuName(n);
    return words.every((w) => light.includes(w));
  });
}

function table(gpus: readonly GpuJson[]): string {
  const rows = gpus.map((g) => {
    const shortest = [...new Set([g.id, ...g.aliases])].sort((x, y) => x.length - y.length).slice(0, ALIASES_SHOWN);
    const more = g.aliases.length + 1 - shortest.length;
    return [g.name, String(g.memoryGiB), String(g.memoryBandwidthTBps), g.bf16DenseTflops === null ? '-' : String(g.bf16DenseTflops),
      g.fp8 ? 'yes' : 'no', shortest.join(', ') + (more > 0 ? ` (+${more} more)` : '')];
  });
  const header = ['GPU', 'MEMORY GiB', 'BANDWIDTH TB/s', 'BF16 TFLOPS', 'FP8', 'ALSO ACCEPTED'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const numeric = [false, true, true, true, false, false];
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : numeric[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** `inference-budget gpus ...` (argv after `gpus`); returns the exit code. */
export function runGpus(argv: string[], out: (s: string) => void, err: (s: string) => void): number {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, strict: true, options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
  } catch (e) {
    err(`inference-budget gpus: ${(e as Error).message.split('\n')[0]} (see --help)`);
    return 2;
  }
  if (parsed.values.help) { out(GPUS_USAGE); return 0; }
  // `gpus a100 80gb` and `gpus "a100 80gb"` mean the same.
  const filter = parsed.positionals.join(' ');
  const gpus = listAccelerators().filter((a) => gpuMatches(a, filter)).map(gpuJson);
  if (!gpus.length) { err(`inference-budget gpus: no GPU matches "${filter}" (inference-budget gpus lists them all)`); return 2; }
  out(parsed.values.json ? JSON.stringify(gpus, null, 2) : table(gpus));
  return 0;
}
