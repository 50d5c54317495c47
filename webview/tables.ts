// Data tables beside each chart: the same figures as the charts, for screen readers and copying.

import type { PanelState } from '../src/panel/messages';
import { MEMORY_COMPONENTS } from '../src/panel/series';
import * as fmt from '../src/core/units';

type Cell = { text: string; value?: number | string; header?: boolean };

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

function table(caption: string, head: string[], rows: Cell[][], numericFrom = 1): HTMLTableElement {
  const t = el('table', { class: 'data-table' });
  t.append(el('caption', {}, caption));
  const thead = el('thead');
  const hr = el('tr');
  head.forEach((h, i) => hr.append(el('th', { scope: 'col', class: i >= numericFrom ? 'num' : '' }, h)));
  thead.append(hr);
  t.append(thead);
  const tbody = el('tbody');
  for (const r of rows) {
    const tr = el('tr');
    r.forEach((c, i) => {
      const cell = c.header ? el('th', { scope: 'row' }, c.text) : el('td', {}, c.text);
      if (i >= numericFrom && !c.header) cell.className = 'num';
      if (c.value !== undefined) cell.dataset.value = String(c.value);
      tr.append(cell);
    });
    tbody.append(tr);
  }
  t.append(tbody);
  return t;
}

export function rooflineTables(state: PanelState): HTMLTableElement[] {
  const multi = state.perGpu.length > 1;
  const pointRows: Cell[][] = [];
  for (const g of state.perGpu) {
    for (const p of g.points) {
      pointRows.push([
        { text: multi ? `${p.label} (${g.gpuName})` : p.label, header: true, value: p.label },
        { text: p.kind, value: p.kind },
        { text: fmt.si(p.flops, 'FLOP'), value: p.flops },
        { text: fmt.bytes(p.bytes), value: p.bytes },
        { text: fmt.fixed(p.arithmeticIntensity), value: p.arithmeticIntensity },
        { text: fmt.fixed(p.attainableFlopsPerSecond / 1e12), value: p.attainableFlopsPerSecond },
        { text: fmt.seconds(p.seconds), value: p.seconds },
        { text: p.bound, value: p.bound },
      ]);
    }
  }
  const roofRows: Cell[][] = [];
  for (const g of state.perGpu) {
    for (const r of g.roofs) {
      roofRows.push([
        { text: `${g.gpuName} ${r.dtype}`, header: true },
        { text: fmt.fixed(r.peakFlopsPerSecond / 1e12), value: r.peakFlopsPerSecond },
        { text: fmt.si(g.bandwidthBytesPerSecond, 'B/s'), value: g.bandwidthBytesPerSecond },
        { text: fmt.fixed(r.ridgePointFlopsPerByte), value: r.ridgePointFlopsPerByte },
      ]);
    }
  }
  return [
    table('Roofline points', ['Point', 'Kind', 'FLOPs', 'Bytes', 'Intensity (FLOP/byte)', 'Attainable (TFLOP/s)', 'Time', 'Bound'], pointRows, 2),
    table('Roofs', ['GPU and dtype', 'Peak (TFLOP/s)', 'Bandwidth', 'Ridge point (FLOP/byte)'], roofRows),
  ];
}

/** Requests of the panel's context the KV cache holds: beyond it a batch waits (the series are at that context). */
function wallOf(g: PanelState['perGpu'][number]): number {
  return g.contextConcurrency ?? g.maxConcurrency;
}

export function throughputTable(state: PanelState): HTMLTableElement {
  const rows: Cell[][] = [];
  for (const g of state.perGpu) {
    for (const t of g.throughput) {
      rows.push([
        { text: state.perGpu.length > 1 ? `${g.gpuName}, batch ${t.batch}` : `batch ${t.batch}`, header: true, value: t.batch },
        { text: fmt.fixed(t.tokensPerSecondPerRequest), value: t.tokensPerSecondPerRequest },
        { text: fmt.fixed(t.tokensPerSecondTotal), value: t.tokensPerSecondTotal },
        { text: `~${fmt.fixed(t.expectedTokensPerSecondTotal)} (${fmt.fixed(t.expectedLowTotal)}–${fmt.fixed(t.expectedHighTotal)})`, value: t.expectedTokensPerSecondTotal },
        { text: t.batch > wallOf(g) ? 'beyond max concurrency' : '', value: t.batch > wallOf(g) ? 'over' : 'ok' },
      ]);
    }
  }
  const walls = state.perGpu.map((g) => `${g.gpuName}: ${fmt.fixed(wallOf(g))}`).join('; ');
  return table(`Decode throughput (max concurrency at ${fmt.formatInt(state.controls.context)} tokens: ${walls})`, ['Batch', 'Ceiling tokens/s per request', 'Ceiling tokens/s total', 'Expected tokens/s total', 'Note'], rows);
}

export function memoryTable(state: PanelState): HTMLTableElement {
  const rows: Cell[][] = state.perGpu.map((g) => [
    { text: g.gpuName, header: true },
    ...MEMORY_COMPONENTS.map((c) => ({ text: fmt.gib(g.memory[c.key]), value: g.memory[c.key] })),
    { text: fmt.gib(g.memory.totalBytes), value: g.memory.totalBytes },
  ]);
  return table('Memory per GPU', ['GPU', ...MEMORY_COMPONENTS.map((c) => c.label), 'Total'], rows);
}
