// CSV exports of the roofline panel's tables (points, throughput, memory): RFC 4180 text with formula-looking
// cells defused. Pure: used by the webview when the user exports a chart as CSV.

import type { GpuPanelData, PanelPoint } from './messages';

/** One CSV field (RFC 4180 quoting; text that a spreadsheet would run as a formula is prefixed with '). */
export function csvField(value: string | number | boolean | undefined | null): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  let s = String(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** CSV text (CRLF line ends, trailing CRLF) of a header and rows. */
export function csvFromRows(header: readonly string[], rows: readonly (readonly (string | number | boolean | undefined | null)[])[]): string {
  const lines = [header.map(csvField).join(',')];
  for (const r of rows) lines.push(r.map(csvField).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

export const POINT_CSV_HEADER = [
  'gpu', 'label', 'kind', 'flops', 'bytes', 'arithmetic_intensity_flop_per_byte',
  'attainable_flop_per_second', 'seconds', 'bound',
] as const;

/** CSV of roofline points (the `gpu` column is empty for points without one). */
export function csvFromPoints(points: readonly (Omit<PanelPoint, 'kind'> & { kind?: string; gpu?: string })[]): string {
  return csvFromRows(POINT_CSV_HEADER, points.map((p) => [
    p.gpu, p.label, p.kind, p.flops, p.bytes, p.arithmeticIntensity, p.attainableFlopsPerSecond, p.seconds, p.bound,
  ]));
}

/** CSV of the throughput series of every GPU. */
export function csvFromThroughput(perGpu: readonly Pick<GpuPanelData, 'gpuName' | 'throughput' | 'maxConcurrency'>[]): string {
  const rows: (string | number)[][] = [];
  for (const g of perGpu) {
    for (const t of g.throughput) {
      rows.push([g.gpuName, t.batch, t.tokensPerSecondPerRequest, t.tokensPerSecondTotal, t.expectedTokensPerSecondTotal, t.expectedLowTotal, t.expectedHighTotal, g.maxConcurrency]);
    }
  }
  return csvFromRows([
    'gpu', 'batch', 'ceiling_tokens_per_second_per_request', 'ceiling_tokens_per_second_total',
    'expected_tokens_per_second_total', 'expected_low_total', 'expected_high_total', 'max_concurrency',
  ], rows);
}

/** CSV of each GPU's memory split, bytes. */
export function csvFromMemory(perGpu: readonly Pick<GpuPanelData, 'gpuName' | 'memory'>[]): string {
  return csvFromRows(
    ['gpu', 'weights_bytes', 'activation_bytes', 'reserve_bytes', 'kv_cache_bytes', 'free_bytes', 'total_bytes'],
    perGpu.map((g) => [g.gpuName, g.memory.weightsBytes, g.memory.activationBytes, g.memory.reserveBytes, g.memory.kvCacheBytes, g.memory.freeBytes, g.memory.totalBytes]),
  );
}
