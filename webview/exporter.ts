// Export of a chart as self-contained SVG text or a PNG data: URL.

import type { Theme } from './charts';

const SVG_NS = 'http://www.w3.org/2000/svg';

/**
 * Serialises a chart's <svg> so it renders the same outside the webview: theme colours and
 * fonts inlined (CSS variables do not exist in a saved file), a background, no transient tip.
 */
export function serializeChart(svg: SVGSVGElement, theme: Theme): string {
  const clone = svg.cloneNode(true) as SVGSVGElement;
  clone.setAttribute('xmlns', SVG_NS);
  for (const tip of Array.from(clone.querySelectorAll('g[aria-label="tip"]'))) tip.replaceChildren();
  for (const s of Array.from(clone.querySelectorAll('style'))) s.removeAttribute('nonce');
  const cs = getComputedStyle(svg);
  // CSSOM writes (not setAttribute('style')) are allowed under a CSP without 'unsafe-inline'.
  clone.style.color = cs.color || theme.fg;
  clone.style.fontFamily = cs.fontFamily;
  clone.style.fontSize = cs.fontSize;
  clone.style.setProperty('--plot-background', theme.bg);
  const width = svg.width.baseVal.value || svg.getBoundingClientRect().width;
  const height = svg.height.baseVal.value || svg.getBoundingClientRect().height;
  const bg = document.createElementNS(SVG_NS, 'rect');
  bg.setAttribute('x', '0');
  bg.setAttribute('y', '0');
  bg.setAttribute('width', String(width));
  bg.setAttribute('height', String(height));
  bg.setAttribute('fill', theme.bg);
  const firstGraphic = Array.from(clone.children).find((c) => c.tagName.toLowerCase() !== 'style') ?? null;
  clone.insertBefore(bg, firstGraphic);
  return `<?xml version="1.0" encoding="UTF-8"?>\n${new XMLSerializer().serializeToString(clone)}`;
}

/** Rasterises SVG text through an <img> (data: URL, allowed by the panel's img-src) and a canvas. */
export async function svgToPng(svgText: string, width: number, height: number, scale = 2): Promise<string> {
  const img = new Image();
  img.width = width;
  img.height = height;
  img.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svgText)}`;
  await img.decode();
  const canvas = document.createElement('canvas');
  canvas.width = Math.round(width * scale);
  canvas.height = Math.round(height * scale);
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('no 2D canvas context');
  ctx.scale(scale, scale);
  ctx.drawImage(img, 0, 0, width, height);
  return canvas.toDataURL('image/png');
}
