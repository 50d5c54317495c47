// The three charts of the roofline panel, drawn with Observable Plot on real log axes.

import * as Plot from '@observablehq/plot';
import type { GpuPanelData, PanelPoint, PanelState } from '../src/panel/messages';
import { ridgeFlopsPerByte } from '../src/core/roofline';
import { logDomain, memorySegments, MEMORY_COMPONENTS, powersOfTen, rooflineCurve, type MemoryComponentKey } from '../src/panel/series';
import * as fmt from '../src/core/units';
import { AROUND, type Box, type Candidate, legend, legendHeight, type LegendItem, overlaps, placeLabels, type LabelRequest, svgEl } from './svg';

/** Theme colours resolved from VS Code's CSS variables (Plot writes them into SVG attributes). */
export interface Theme {
  fg: string;
  bg: string;
  muted: string;
  grid: string;
  /** One colour per compared GPU. */
  gpu: string[];
  memory: Record<MemoryComponentKey, string>;
  /** Text drawn on top of coloured memory segments. */
  onColor: string;
  error: string;
  highContrast: boolean;
}

export interface ChartOptions {
  width: number;
  theme: Theme;
  /** Nonce for the <style> element Plot puts in each figure (CSP `style-src 'nonce-…'`). */
  nonce: string;
}

export interface RooflineOptions extends ChartOptions {
  showOperators: boolean;
}

type PlotSvg = SVGSVGElement & Plot.Plot;

const KIND_SYMBOL = { prefill: 'square', decode: 'circle', operator: 'diamond' } as const;
const DTYPE_DASHES = [undefined, '7 4', '2 3', '10 3 2 3'];
const TFLOPS = 1e12;
const FONT = 11;
/** Space between the legend (top margin) and the frame, for the y-axis label. */
const LEGEND_GAP = 30;

/** The y-axis label, drawn between the legend and the frame (Plot's own would collide with the legend). */
function yLabel(text: string, margin: { top: number }, theme: Theme): SVGTextElement {
  return svgEl('text', { x: 4, y: margin.top - 12, 'text-anchor': 'start', fill: theme.fg, 'data-role': 'y-label' }, `↑ ${text}`);
}

/** Gives Plot's <style> elements the page nonce so a strict CSP accepts them (before insertion). */
export function applyNonce(root: Element, nonce: string): void {
  if (!nonce) return;
  for (const s of Array.from(root.querySelectorAll('style'))) {
    s.nonce = nonce;
    s.setAttribute('nonce', nonce);
  }
}

function frameOf(w: number, h: number, m: { top: number; right: number; bottom: number; left: number }): Box {
  return { x: m.left, y: m.top, w: w - m.left - m.right, h: h - m.top - m.bottom };
}

/** Inserts an overlay below Plot's interactive tips (so tips stay on top). */
function insertOverlay(svg: SVGSVGElement, overlay: SVGGElement): void {
  const tip = svg.querySelector(':scope > g[aria-label="tip"]');
  if (tip) svg.insertBefore(overlay, tip);
  else svg.append(overlay);
}

function strokeWidth(theme: Theme, base: number): number {
  return theme.highContrast ? base + 1 : base;
}

function pointLabel(p: PanelPoint): string {
  return p.label;
}

interface PointRow extends PanelPoint {
  gpu: string;
  gi: number;
  tflops: number;
}

// ---- roofline ---------------------------------------------------------------------------------

export function renderRoofline(state: PanelState, o: RooflineOptions): PlotSvg {
  const { theme, width } = o;
  const gpus = state.perGpu;
  const rows: PointRow[] = [];
  gpus.forEach((g, gi) => {
    for (const p of g.points) {
      if (!o.showOperators && p.kind === 'operator') continue;
      if (!(p.arithmeticIntensity > 0 && p.attainableFlopsPerSecond > 0)) continue;
      rows.push({ ...p, gpu: g.gpuName, gi, tflops: p.attainableFlopsPerSecond / TFLOPS });
    }
  });
  const roofs = gpus.flatMap((g, gi) => g.roofs
    .filter((r) => r.peakFlopsPerSecond > 0 && g.bandwidthBytesPerSecond > 0)
    .map((r, ri) => ({
      gpu: g.gpuName,
      gi,
      ri,
      dtype: r.dtype,
      peak: r.peakFlopsPerSecond,
      bw: g.bandwidthBytesPerSecond,
      ridge: r.ridgePointFlopsPerByte > 0 ? r.ridgePointFlopsPerByte : ridgeFlopsPerByte(r.peakFlopsPerSecond, g.bandwidthBytesPerSecond),
    })));

  const xDomain = logDomain([...rows.map((r) => r.arithmeticIntensity), ...roofs.map((r) => r.ridge * 4), ...roofs.map((r) => r.ridge / 20)], [0.1, 1e4]);
  const yDomain = logDomain([
    ...rows.map((r) => r.tflops),
    ...roofs.map((r) => r.peak / TFLOPS * 1.5),
    ...gpus.map((g) => (g.bandwidthBytesPerSecond * xDomain[0]) / TFLOPS),
  ], [0.1, 1e4]);

  const dtypes = [...new Set(roofs.map((r) => r.dtype))];
  const dashOf = (dtype: string) => DTYPE_DASHES[dtypes.indexOf(dtype) % DTYPE_DASHES.length];
  const colorOf = (gi: number) => theme.gpu[gi % theme.gpu.length];

  const legendItems: LegendItem[] = [
    ...gpus.map((g, gi) => ({ label: g.gpuName, swatch: { kind: 'line', color: colorOf(gi), width: 2.5 } as const })),
    ...dtypes.map((d) => ({ label: `${d} roof`, swatch: { kind: 'line', color: theme.fg, dash: dashOf(d), width: 1.5 } as const })),
    ...(['prefill', 'decode', 'operator'] as const)
      .filter((k) => rows.some((r) => r.kind === k))
      .map((k) => ({ label: k === 'operator' ? 'operator (whole model)' : k, swatch: { kind: 'symbol', symbol: KIND_SYMBOL[k], color: theme.fg } as const })),
  ];
  const margin = { top: LEGEND_GAP + legendHeight(legendItems, width - 92), right: 30, bottom: 42, left: 62 };
  const height = Math.max(320, Math.min(520, Math.round(width * 0.58)));

  // Memory roofs (bandwidth slopes) up to each GPU's highest ridge; compute roofs flat from their ridge.
  const slopes = gpus.flatMap((g, gi) => {
    const mine = roofs.filter((r) => r.gi === gi);
    if (mine.length === 0) return [];
    const top = mine.reduce((a, b) => (b.peak > a.peak ? b : a));
    return rooflineCurve(g.bandwidthBytesPerSecond, top.peak, xDomain[0], xDomain[1], 24)
      .filter((p) => p.intensity <= top.ridge * (1 + 1e-12))
      .map((p) => ({ gi, x: p.intensity, y: p.flopsPerSecond / TFLOPS }));
  });
  const flats = roofs.map((r) => [
    { key: `${r.gi}:${r.ri}`, gi: r.gi, dtype: r.dtype, x: r.ridge, y: r.peak / TFLOPS },
    { key: `${r.gi}:${r.ri}`, gi: r.gi, dtype: r.dtype, x: xDomain[1], y: r.peak / TFLOPS },
  ]);

  const marks: Plot.Markish[] = [];
  gpus.forEach((_g, gi) => {
    marks.push(Plot.line(slopes.filter((s) => s.gi === gi), {
      x: 'x', y: 'y', stroke: colorOf(gi), strokeWidth: strokeWidth(theme, 2.5), clip: true,
      ariaDescription: 'memory roof',
    }));
  });
  for (const seg of flats) {
    const gi = seg[0].gi;
    marks.push(Plot.line(seg, {
      x: 'x', y: 'y', stroke: colorOf(gi), strokeWidth: strokeWidth(theme, 2), strokeDasharray: dashOf(seg[0].dtype), clip: true,
      ariaDescription: 'compute roof',
    }));
  }
  marks.push(Plot.dot(roofs, {
    x: 'ridge', y: (r: (typeof roofs)[number]) => r.peak / TFLOPS, r: 4, fill: theme.bg,
    stroke: (r: (typeof roofs)[number]) => colorOf(r.gi), strokeWidth: 2,
    ariaLabel: (r: (typeof roofs)[number]) => `ridge point ${r.gpu} ${r.dtype}: ${fmt.fixed(r.ridge)} FLOP/byte`,
    ariaDescription: 'ridge points',
  }));
  gpus.forEach((_g, gi) => {
    const mine = rows.filter((r) => r.gi === gi);
    if (mine.length === 0) return;
    marks.push(Plot.dot(mine, {
      x: 'arithmeticIntensity', y: 'tflops', symbol: 'kind', fill: colorOf(gi),
      stroke: theme.bg, strokeWidth: 1, r: (d: PointRow) => (d.kind === 'operator' ? 3.5 : 5),
      ariaLabel: (d: PointRow) => `${d.gpu} ${d.label}: ${fmt.fixed(d.arithmeticIntensity)} FLOP/byte, ${fmt.seconds(d.seconds)}, ${d.bound}-bound`,
      ariaDescription: 'roofline points',
    }));
  });
  marks.push(Plot.tip(rows, Plot.pointer({
    x: 'arithmeticIntensity', y: 'tflops',
    channels: {
      Point: 'label', GPU: 'gpu', Intensity: 'arithmeticIntensity', Attainable: 'tflops',
      FLOPs: 'flops', Bytes: 'bytes', Time: 'seconds', Bound: 'bound',
    },
    format: {
      x: false, y: false, Point: true, GPU: true,
      Intensity: (v: number) => `${fmt.fixed(v)} FLOP/byte`,
      Attainable: (v: number) => `${fmt.fixed(v)} TFLOP/s`,
      FLOPs: (v: number) => fmt.si(v, 'FLOP'),
      Bytes: (v: number) => fmt.bytes(v),
      Time: (v: number) => fmt.seconds(v),
      Bound: true,
    },
    lineWidth: 40,
    fill: theme.bg,
    stroke: theme.fg,
  })));

  const svg = Plot.plot({
    width, height, marginTop: margin.top, marginRight: margin.right, marginBottom: margin.bottom, marginLeft: margin.left,
    ariaLabel: 'Roofline chart',
    ariaDescription: `Attainable TFLOP/s against arithmetic intensity on log-log axes for ${gpus.map((g) => g.gpuName).join(', ')}.`,
    x: {
      type: 'log', domain: xDomain, ticks: powersOfTen(...xDomain), tickFormat: fmt.tick, grid: true,
      label: 'Arithmetic intensity (FLOP/byte)', labelArrow: 'right', labelAnchor: 'right',
    },
    y: {
      type: 'log', domain: yDomain, ticks: powersOfTen(...yDomain), tickFormat: fmt.tick, grid: true,
      label: null,
    },
    symbol: { domain: ['prefill', 'decode', 'operator'], range: ['square', 'circle', 'diamond'] },
    marks,
  }) as PlotSvg;
  applyNonce(svg, o.nonce);

  const sx = svg.scale('x')!;
  const sy = svg.scale('y')!;
  const frame = frameOf(width, height, margin);
  const occupied: Box[] = rows.map((r) => ({ x: sx.apply(r.arithmeticIntensity) - 5, y: sy.apply(r.tflops) - 5, w: 10, h: 10 }));
  const labels: LabelRequest[] = [];

  // Roof labels at the right end of each flat roof (one per distinct dtype and peak).
  const seenRoof = new Set<string>();
  for (const r of roofs) {
    const key = `${r.dtype}:${Math.round(r.peak / 1e11)}`;
    if (seenRoof.has(key)) continue;
    seenRoof.add(key);
    labels.push({
      x: sx.apply(xDomain[1]), y: sy.apply(r.peak / TFLOPS), text: `${r.dtype} ${fmt.fixed(r.peak / TFLOPS)} TFLOP/s`,
      fill: theme.fg, candidates: [{ dx: -4, dy: -6, anchor: 'end' }, { dx: -4, dy: 14, anchor: 'end' }, { dx: -150, dy: -6, anchor: 'end' }, { dx: -150, dy: 14, anchor: 'end' }], required: true, role: 'roof-label',
    });
  }
  // Ridge points.
  for (const r of roofs) {
    labels.push({
      x: sx.apply(r.ridge), y: sy.apply(r.peak / TFLOPS), text: `ridge ${fmt.fixed(r.ridge)} FLOP/byte`,
      fill: colorOf(r.gi),
      candidates: [AROUND.belowRight, AROUND.aboveLeft, { dx: 8, dy: 28, anchor: 'start' }, AROUND.belowLeft, { dx: -8, dy: -20, anchor: 'end' }, { dx: 8, dy: 41, anchor: 'start' }],
      required: true, role: 'ridge-label', fontWeight: '600',
    });
  }
  // Named points (prefill / decode) of the primary GPU, then operator clusters.
  const primary = rows.filter((r) => r.gi === 0);
  const around: Candidate[] = [AROUND.right, AROUND.belowRight, AROUND.left, AROUND.aboveLeft, AROUND.below, AROUND.above, { dx: 8, dy: 20, anchor: 'start' }, { dx: -8, dy: -12, anchor: 'end' }];
  const onRoof: Candidate[] = [AROUND.belowRight, AROUND.belowLeft, AROUND.below, { dx: 6, dy: 28, anchor: 'start' }, AROUND.aboveLeft, AROUND.aboveRight];
  for (const p of primary.filter((r) => r.kind !== 'operator')) {
    labels.push({
      x: sx.apply(p.arithmeticIntensity), y: sy.apply(p.tflops), text: pointLabel(p), fill: theme.fg,
      candidates: p.bound === 'compute' ? onRoof : around, role: 'point-label',
    });
  }
  const ops = primary.filter((r) => r.kind === 'operator').sort((a, b) => a.arithmeticIntensity - b.arithmeticIntensity);
  const clusters: PointRow[][] = [];
  for (const p of ops) {
    const last = clusters[clusters.length - 1];
    if (last && Math.abs(sx.apply(p.arithmeticIntensity) - sx.apply(last[0].arithmeticIntensity)) < 6
      && Math.abs(sy.apply(p.tflops) - sy.apply(last[0].tflops)) < 6) last.push(p);
    else clusters.push([p]);
  }
  for (const c of clusters) {
    labels.push({
      x: sx.apply(c[0].arithmeticIntensity), y: sy.apply(c[0].tflops), text: c.map((p) => p.label).join(', '),
      fill: theme.muted, fontSize: 10, candidates: [AROUND.aboveLeft, AROUND.left, AROUND.above, { dx: -8, dy: -20, anchor: 'end' }, AROUND.belowRight, AROUND.right],
      role: 'operator-label',
    });
  }
  const overlay = placeLabels(labels, frame, occupied, theme.bg);
  // Bandwidth labels along each memory roof, at the first spot along the slope that is free.
  gpus.forEach((g, gi) => {
    const text = `${g.gpuName.replace(/^NVIDIA |^AMD /, '')} ${fmt.si(g.bandwidthBytesPerSecond, 'B/s')}`;
    const w = text.length * 10 * 0.58;
    const lx0 = Math.log10(xDomain[0]);
    const lx1 = Math.log10(Math.min(xDomain[1], ...roofs.filter((r) => r.gi === gi).map((r) => r.ridge)));
    for (let t = 0.04; t < 0.9; t += 0.04) {
      const x = 10 ** (lx0 + t * (lx1 - lx0));
      const y = (g.bandwidthBytesPerSecond * x) / TFLOPS;
      if (y <= yDomain[0] || y >= yDomain[1]) continue;
      const px = sx.apply(x), py = sy.apply(y);
      const x2 = x * 2;
      const a = Math.atan2(sy.apply((g.bandwidthBytesPerSecond * x2) / TFLOPS) - py, sx.apply(x2) - px);
      // Text baseline 6px above the line (perpendicular), running along it.
      const ox = px + 6 * Math.sin(a), oy = py - 6 * Math.cos(a);
      const ex = ox + w * Math.cos(a), ey = oy + w * Math.sin(a);
      const box: Box = { x: Math.min(ox, ex) - 2, y: Math.min(oy, ey) - 10, w: Math.abs(ex - ox) + 4, h: Math.abs(ey - oy) + 12 };
      const inside = box.x >= frame.x && box.x + box.w <= frame.x + frame.w && box.y >= frame.y && box.y + box.h <= frame.y + frame.h;
      if (!inside || occupied.some((b) => overlaps(b, box))) continue;
      occupied.push(box);
      overlay.append(svgEl('text', {
        transform: `translate(${px.toFixed(1)},${py.toFixed(1)}) rotate(${((a * 180) / Math.PI).toFixed(1)})`, dy: -6, 'text-anchor': 'start',
        fill: colorOf(gi), stroke: theme.bg, 'stroke-width': 3, 'paint-order': 'stroke', 'font-size': 10, 'data-role': 'bandwidth-label',
      }, text));
      break;
    }
  });
  overlay.append(legend(legendItems, margin.left, 2, width - margin.left - margin.right, theme.fg).g, yLabel('Attainable TFLOP/s', margin, theme));
  insertOverlay(svg, overlay);
  return svg;
}

// ---- throughput -------------------------------------------------------------------------------

interface ThroughputPoint {
  gpu: string;
  gi: number;
  batch: number;
  metric: 'total' | 'per request';
  tokensPerSecond: number;
}

export function renderThroughput(state: PanelState, o: ChartOptions): PlotSvg {
  const { theme, width } = o;
  const gpus = state.perGpu;
  const colorOf = (gi: number) => theme.gpu[gi % theme.gpu.length];
  const pts: ThroughputPoint[] = [];
  gpus.forEach((g, gi) => {
    for (const t of g.throughput) {
      if (t.tokensPerSecondTotal > 0) pts.push({ gpu: g.gpuName, gi, batch: t.batch, metric: 'total', tokensPerSecond: t.tokensPerSecondTotal });
      if (t.tokensPerSecondPerRequest > 0) pts.push({ gpu: g.gpuName, gi, batch: t.batch, metric: 'per request', tokensPerSecond: t.tokensPerSecondPerRequest });
    }
  });
  // What to expect in total, with the fit's spread as a band under the ceiling.
  const expected = gpus.flatMap((g, gi) => g.throughput
    .filter((t) => t.expectedTokensPerSecondTotal > 0 && t.expectedLowTotal > 0)
    .map((t) => ({ gpu: g.gpuName, gi, batch: t.batch, tokensPerSecond: t.expectedTokensPerSecondTotal, low: t.expectedLowTotal, high: t.expectedHighTotal })));
  // The wall is at the panel's context (the series' context), not at max_model_len.
  const walls = gpus.map((g, gi) => ({ gpu: g.gpuName, gi, maxConcurrency: g.contextConcurrency ?? g.maxConcurrency })).filter((w) => w.maxConcurrency > 0);
  const xDomain = logDomain([...pts.map((p) => p.batch), ...walls.map((w) => w.maxConcurrency * 1.2), state.controls.batch], [1, 1000]);
  const yDomain = logDomain([...pts.map((p) => p.tokensPerSecond), ...expected.map((e) => e.low)], [1, 1e4]);

  const legendItems: LegendItem[] = [
    ...gpus.map((g, gi) => ({ label: g.gpuName, swatch: { kind: 'line', color: colorOf(gi), width: 2.5 } as const })),
    { label: 'total tokens/s', swatch: { kind: 'line', color: theme.fg, width: 2 } },
    { label: 'tokens/s per request', swatch: { kind: 'line', color: theme.fg, dash: '6 4', width: 2 } },
    ...(expected.length ? [{ label: 'expected total (band: fit spread)', swatch: { kind: 'line', color: theme.fg, dash: '1 3', width: 2 } } as const] : []),
    { label: 'max concurrency', swatch: { kind: 'line', color: gpus.length > 1 ? theme.fg : theme.error, width: 3 } },
  ];
  const margin = { top: LEGEND_GAP + legendHeight(legendItems, width - 92), right: 30, bottom: 42, left: 62 };
  const height = Math.max(280, Math.min(420, Math.round(width * 0.45)));

  const marks: Plot.Markish[] = [];
  for (const w of walls) {
    marks.push(Plot.rect([w], {
      x1: 'maxConcurrency', x2: () => xDomain[1], y1: () => yDomain[0], y2: () => yDomain[1],
      fill: colorOf(w.gi), fillOpacity: 0.07, ariaHidden: 'true',
    }));
  }
  marks.push(Plot.ruleX([state.controls.batch], { stroke: theme.fg, strokeOpacity: 0.5, strokeDasharray: '2 3', ariaDescription: 'chosen batch' }));
  gpus.forEach((_g, gi) => {
    const mine = expected.filter((e) => e.gi === gi).sort((a, b) => a.batch - b.batch);
    if (mine.length === 0) return;
    marks.push(Plot.areaY(mine, { x: 'batch', y1: 'low', y2: 'high', fill: colorOf(gi), fillOpacity: 0.15, ariaDescription: 'expected band' }));
    marks.push(Plot.line(mine, {
      x: 'batch', y: 'tokensPerSecond', stroke: colorOf(gi), strokeWidth: strokeWidth(theme, 2), strokeDasharray: '1 3',
      ariaDescription: 'expected total',
    }));
  });
  gpus.forEach((_g, gi) => {
    for (const metric of ['total', 'per request'] as const) {
      const mine = pts.filter((p) => p.gi === gi && p.metric === metric).sort((a, b) => a.batch - b.batch);
      if (mine.length === 0) continue;
      marks.push(Plot.line(mine, {
        x: 'batch', y: 'tokensPerSecond', stroke: colorOf(gi), strokeWidth: strokeWidth(theme, 2),
        strokeDasharray: metric === 'total' ? undefined : '6 4', ariaDescription: `throughput ${metric}`,
      }));
      marks.push(Plot.dot(mine, {
        x: 'batch', y: 'tokensPerSecond', fill: colorOf(gi), r: 2.5,
        ariaLabel: (d: ThroughputPoint) => `${d.gpu} batch ${d.batch}: ${fmt.fixed(d.tokensPerSecond)} tokens/s ${d.metric}`,
        ariaDescription: `throughput points ${metric}`,
      }));
    }
  });
  marks.push(Plot.ruleX(walls, {
    x: 'maxConcurrency', stroke: (w: (typeof walls)[number]) => (gpus.length > 1 ? colorOf(w.gi) : theme.error), strokeWidth: strokeWidth(theme, 3),
    ariaLabel: (w: (typeof walls)[number]) => `${w.gpu} max concurrency ${fmt.fixed(w.maxConcurrency)}`,
    ariaDescription: 'max concurrency wall',
  }));
  marks.push(Plot.tip(pts, Plot.pointer({
    x: 'batch', y: 'tokensPerSecond', channels: { GPU: 'gpu', Series: 'metric', Batch: 'batch', 'Tokens/s': 'tokensPerSecond' },
    format: { x: false, y: false, GPU: true, Series: true, Batch: true, 'Tokens/s': (v: number) => fmt.fixed(v) },
    lineWidth: 40,
    fill: theme.bg, stroke: theme.fg,
  })));

  const svg = Plot.plot({
    width, height, marginTop: margin.top, marginRight: margin.right, marginBottom: margin.bottom, marginLeft: margin.left,
    ariaLabel: 'Decode throughput chart',
    ariaDescription: 'Ceilings of tokens per second per request and in total against decode batch size, log axes, with the expected total and its band below; the vertical wall is the maximum concurrency the KV cache allows.',
    x: { type: 'log', domain: xDomain, ticks: powersOfTen(...xDomain), tickFormat: fmt.tick, grid: true, label: 'Decode batch (concurrent requests)', labelArrow: 'right', labelAnchor: 'right' },
    y: { type: 'log', domain: yDomain, ticks: powersOfTen(...yDomain), tickFormat: fmt.tick, grid: true, label: null },
    marks,
  }) as PlotSvg;
  applyNonce(svg, o.nonce);

  const sx = svg.scale('x')!;
  const sy = svg.scale('y')!;
  const frame = frameOf(width, height, margin);
  const occupied: Box[] = pts.map((p) => ({ x: sx.apply(p.batch) - 3, y: sy.apply(p.tokensPerSecond) - 3, w: 6, h: 6 }));
  const wallSpots: Candidate[] = [0, 1, 2, 3, 4].flatMap((k) => [{ dx: -6, dy: 10 + 16 * k, anchor: 'end' as const }, { dx: 6, dy: 10 + 16 * k, anchor: 'start' as const }]);
  const labels: LabelRequest[] = walls.map((w) => ({
    x: sx.apply(w.maxConcurrency), y: frame.y + 4,
    text: `max concurrency ${fmt.fixed(w.maxConcurrency)}${gpus.length > 1 ? ` (${w.gpu.replace(/^NVIDIA |^AMD /, '')})` : ''}`,
    fill: gpus.length > 1 ? colorOf(w.gi) : theme.error, fontWeight: '600', required: true, role: 'wall-label',
    candidates: wallSpots,
  }));
  labels.push({
    x: sx.apply(state.controls.batch), y: frame.y + frame.h, text: `batch ${state.controls.batch}`, fill: theme.fg, role: 'batch-label',
    candidates: [{ dx: 4, dy: -6, anchor: 'start' }, { dx: -4, dy: -6, anchor: 'end' }],
  });
  // Series names at the right end of the primary GPU's lines.
  for (const metric of ['total', 'per request'] as const) {
    const mine = pts.filter((p) => p.gi === 0 && p.metric === metric).sort((a, b) => a.batch - b.batch);
    const last = mine[mine.length - 1];
    if (!last) continue;
    labels.push({
      x: sx.apply(last.batch), y: sy.apply(last.tokensPerSecond), text: metric === 'total' ? 'total' : 'per request',
      fill: theme.fg, role: 'series-label', candidates: [AROUND.aboveLeft, AROUND.belowLeft, AROUND.left, AROUND.right],
    });
  }
  const overlay = placeLabels(labels, frame, occupied, theme.bg);
  overlay.append(legend(legendItems, margin.left, 2, width - margin.left - margin.right, theme.fg).g, yLabel('Tokens/s', margin, theme));
  insertOverlay(svg, overlay);
  return svg;
}

// ---- memory -----------------------------------------------------------------------------------

const GIB = 2 ** 30;

export function renderMemory(state: PanelState, o: ChartOptions): PlotSvg {
  const { theme, width } = o;
  const gpus: GpuPanelData[] = state.perGpu;
  const segs = memorySegments(gpus).map((s) => ({ ...s, x1: s.start / GIB, x2: s.end / GIB }));
  const names = gpus.map((g) => g.gpuName);
  const longest = names.reduce((m, n) => Math.max(m, n.length), 0);
  const legendItems: LegendItem[] = MEMORY_COMPONENTS.map((c) => ({ label: c.label, swatch: { kind: 'rect', color: theme.memory[c.key] } as const }));
  const left = Math.min(200, Math.max(70, Math.round(longest * 6.4) + 14));
  const margin = { top: 12 + legendHeight(legendItems, width - left - 24), right: 24, bottom: 42, left };
  const height = margin.top + margin.bottom + 46 * Math.max(1, gpus.length);
  const maxX = Math.max(1, ...gpus.map((g) => g.memory.totalBytes / GIB), ...segs.map((s) => s.x2));

  const marks: Plot.Markish[] = [
    Plot.barX(segs, {
      x1: 'x1', x2: 'x2', y: 'gpu', fill: (s: (typeof segs)[number]) => theme.memory[s.key],
      stroke: theme.bg, strokeWidth: 1,
      ariaLabel: (s: (typeof segs)[number]) => `${s.gpu} ${s.component}: ${fmt.gib(s.bytes)}`,
      ariaDescription: 'memory segments',
    }),
    Plot.tickX(gpus, {
      x: (g: GpuPanelData) => g.memory.totalBytes / GIB, y: 'gpuName', stroke: theme.fg, strokeWidth: 2.5, inset: -4,
      ariaLabel: (g: GpuPanelData) => `${g.gpuName} total ${fmt.gib(g.memory.totalBytes)}`,
      ariaDescription: 'memory total',
    }),
    Plot.tip(segs, Plot.pointerY({
      x1: 'x1', x2: 'x2', y: 'gpu',
      channels: { GPU: 'gpu', Component: 'component', Size: (s: (typeof segs)[number]) => fmt.gib(s.bytes), Total: (s: (typeof segs)[number]) => fmt.gib(s.totalBytes) },
      format: { x1: false, x2: false, y: false, GPU: true, Component: true, Size: true, Total: true },
      lineWidth: 40,
      fill: theme.bg, stroke: theme.fg,
    })),
  ];

  const svg = Plot.plot({
    width, height, marginTop: margin.top, marginRight: margin.right, marginBottom: margin.bottom, marginLeft: margin.left,
    ariaLabel: 'GPU memory chart',
    ariaDescription: 'Memory of one GPU split into weights, activation peak, engine reserve, KV cache and free memory, one stacked bar per compared GPU.',
    x: { domain: [0, maxX], nice: true, grid: true, label: 'GiB per GPU', labelArrow: 'right', labelAnchor: 'right' },
    y: { domain: names, label: null, padding: 0.25, tickFormat: (n: string) => (n.length > 30 ? `${n.slice(0, 29)}…` : n) },
    marks,
  }) as PlotSvg;
  applyNonce(svg, o.nonce);

  const sx = svg.scale('x')!;
  const sy = svg.scale('y')!;
  const band = sy.bandwidth ?? 20;
  const overlay = svgEl('g', { class: 'chart-label', 'pointer-events': 'none' });
  for (const s of segs) {
    const x1 = sx.apply(s.x1);
    const x2 = sx.apply(s.x2);
    const text = `${s.component} ${(s.bytes / GIB).toFixed(1)}`;
    const short = `${(s.bytes / GIB).toFixed(1)}`;
    const fits = (t: string) => t.length * FONT * 0.58 + 8 < x2 - x1;
    const label = fits(text) ? text : fits(short) ? short : '';
    if (!label) continue;
    overlay.append(svgEl('text', {
      x: ((x1 + x2) / 2).toFixed(1), y: (sy.apply(s.gpu) + band / 2 + 4).toFixed(1), 'text-anchor': 'middle', 'font-size': FONT,
      fill: s.key === 'freeBytes' ? theme.fg : theme.onColor, 'data-role': 'segment-label',
    }, label));
  }
  gpus.forEach((g) => {
    if (g.fits) return;
    overlay.append(svgEl('text', {
      x: (sx.apply(g.memory.totalBytes / GIB) - 4).toFixed(1), y: (sy.apply(g.gpuName) - 4).toFixed(1), 'text-anchor': 'end', 'font-size': FONT,
      'font-weight': 600, fill: theme.error, 'data-role': 'fit-label',
    }, 'does not fit'));
  });
  overlay.append(legend(legendItems, margin.left, 2, width - margin.left - margin.right, theme.fg).g);
  insertOverlay(svg, overlay);
  return svg;
}
