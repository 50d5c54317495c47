// Small SVG helpers for overlays drawn on top of Observable Plot charts: legends and labels
// placed with simple collision avoidance. Only presentation attributes are set (no inline
// `style` attributes), so nothing here needs `style-src 'unsafe-inline'`.

const SVG_NS = 'http://www.w3.org/2000/svg';

export function svgEl<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number | undefined> = {},
  text?: string,
): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

export function overlaps(a: Box, b: Box): boolean {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

export function overlapArea(a: Box, b: Box): number {
  const w = Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y);
  return w > 0 && h > 0 ? w * h : 0;
}

/** Rough text width for layout before the SVG is in the document. */
export function textWidth(text: string, fontSize: number): number {
  return text.length * fontSize * 0.58;
}

export type Anchor = 'start' | 'middle' | 'end';

/** A candidate offset for a label relative to its anchor point. */
export interface Candidate {
  dx: number;
  dy: number;
  anchor: Anchor;
}

export const AROUND: Record<string, Candidate> = {
  right: { dx: 8, dy: 4, anchor: 'start' },
  left: { dx: -8, dy: 4, anchor: 'end' },
  above: { dx: 0, dy: -9, anchor: 'middle' },
  below: { dx: 0, dy: 16, anchor: 'middle' },
  aboveRight: { dx: 6, dy: -7, anchor: 'start' },
  belowRight: { dx: 6, dy: 15, anchor: 'start' },
  aboveLeft: { dx: -6, dy: -7, anchor: 'end' },
  belowLeft: { dx: -6, dy: 15, anchor: 'end' },
};

export interface LabelRequest {
  x: number;
  y: number;
  text: string;
  fill: string;
  candidates: Candidate[];
  /** Draw even when every candidate collides (at the first candidate). */
  required?: boolean;
  fontSize?: number;
  fontWeight?: string;
  /** Marks the <text> for tests and assistive tech. */
  role?: string;
}

function boxFor(x: number, y: number, c: Candidate, w: number, fs: number): Box {
  const left = c.anchor === 'start' ? x + c.dx : c.anchor === 'end' ? x + c.dx - w : x + c.dx - w / 2;
  return { x: left, y: y + c.dy - fs * 0.85, w, h: fs * 1.15 };
}

/**
 * Places labels greedily: each takes the first candidate position inside `frame` that overlaps
 * no box in `taken` (which gains the boxes of the labels placed). Text gets a halo in `halo`
 * for legibility over lines.
 */
export function placeLabels(
  requests: LabelRequest[],
  frame: Box,
  taken: Box[],
  halo: string,
  className = 'chart-label',
): SVGGElement {
  const g = svgEl('g', { class: className, 'pointer-events': 'none', 'text-anchor': 'start' });
  for (const r of requests) {
    const fs = r.fontSize ?? 11;
    const w = textWidth(r.text, fs);
    let chosen: { c: Candidate; box: Box } | undefined;
    for (const c of r.candidates) {
      const box = boxFor(r.x, r.y, c, w, fs);
      const inside = box.x >= frame.x - 2 && box.x + box.w <= frame.x + frame.w + 2 && box.y >= frame.y - 2 && box.y + box.h <= frame.y + frame.h + 2;
      if (inside && !taken.some((t) => overlaps(t, box))) {
        chosen = { c, box };
        break;
      }
    }
    if (!chosen && r.required && r.candidates.length > 0) {
      // Every spot collides: take the one that covers the least of what is already there.
      let best = Infinity;
      for (const c of r.candidates) {
        const box = boxFor(r.x, r.y, c, w, fs);
        const outside = box.w * box.h - overlapArea(frame, box);
        const cost = taken.reduce((sum, t) => sum + overlapArea(t, box), 0) + 4 * outside;
        if (cost < best) {
          best = cost;
          chosen = { c, box };
        }
      }
    }
    if (!chosen) continue;
    taken.push(chosen.box);
    g.append(svgEl('text', {
      x: (r.x + chosen.c.dx).toFixed(1),
      y: (r.y + chosen.c.dy).toFixed(1),
      'text-anchor': chosen.c.anchor,
      fill: r.fill,
      stroke: halo,
      'stroke-width': 3,
      'stroke-linejoin': 'round',
      'paint-order': 'stroke',
      'font-size': fs,
      'font-weight': r.fontWeight,
      'data-role': r.role,
    }, r.text));
  }
  return g;
}

export type LegendSwatch =
  | { kind: 'line'; color: string; dash?: string; width?: number }
  | { kind: 'symbol'; symbol: 'square' | 'circle' | 'diamond'; color: string }
  | { kind: 'rect'; color: string };

export interface LegendItem {
  label: string;
  swatch: LegendSwatch;
}

/** Draws `symbol` centred at (x, y). */
export function symbolShape(symbol: 'square' | 'circle' | 'diamond', x: number, y: number, size: number, fill: string): SVGElement {
  if (symbol === 'square') return svgEl('rect', { x: x - size, y: y - size, width: size * 2, height: size * 2, fill });
  if (symbol === 'circle') return svgEl('circle', { cx: x, cy: y, r: size, fill });
  const s = size * 1.35;
  return svgEl('path', { d: `M${x},${y - s}L${x + s},${y}L${x},${y + s}L${x - s},${y}Z`, fill });
}

/**
 * A horizontal legend wrapping onto rows within `maxWidth`; returns the group and its height.
 */
export function legend(items: LegendItem[], x: number, y: number, maxWidth: number, fg: string, fontSize = 11): { g: SVGGElement; height: number } {
  const g = svgEl('g', { class: 'chart-legend', 'font-size': fontSize, 'text-anchor': 'start', role: 'list', 'aria-label': 'Legend' });
  const rowHeight = fontSize + 7;
  let cx = x;
  let cy = y + fontSize;
  for (const item of items) {
    const w = 22 + textWidth(item.label, fontSize) + 14;
    if (cx > x && cx + w > x + maxWidth) {
      cx = x;
      cy += rowHeight;
    }
    const entry = svgEl('g', { role: 'listitem' });
    const midY = cy - fontSize * 0.35;
    const s = item.swatch;
    if (s.kind === 'line') {
      entry.append(svgEl('line', { x1: cx, x2: cx + 16, y1: midY, y2: midY, stroke: s.color, 'stroke-width': s.width ?? 2, 'stroke-dasharray': s.dash }));
    } else if (s.kind === 'symbol') {
      entry.append(symbolShape(s.symbol, cx + 8, midY, 3.5, s.color));
    } else {
      entry.append(svgEl('rect', { x: cx + 1, y: midY - 5, width: 14, height: 10, fill: s.color }));
    }
    entry.append(svgEl('text', { x: cx + 22, y: cy, fill: fg }, item.label));
    g.append(entry);
    cx += w;
  }
  return { g, height: cy - y + 6 };
}

/** How tall `legend` would be, without drawing it. */
export function legendHeight(items: LegendItem[], maxWidth: number, fontSize = 11): number {
  const rowHeight = fontSize + 7;
  let cx = 0;
  let rows = 1;
  for (const item of items) {
    const w = 22 + textWidth(item.label, fontSize) + 14;
    if (cx > 0 && cx + w > maxWidth) {
      cx = 0;
      rows++;
    }
    cx += w;
  }
  return fontSize + (rows - 1) * rowHeight + 6;
}
