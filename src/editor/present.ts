// Words and numbers for hovers and CodeLens, from the engine's report fields only (formatting, no arithmetic
// beyond unit conversion for display).
import type { BudgetReport } from '../core/types';
import { bytes, fixed, formatInt, si } from '../core/units';

export { bytes };

/** 131072 → "131,072". */
export const int = formatInt;

/** Bytes, readable and exact: "128.00 KiB (131,072 B)". */
export function bytesExact(n: number): string {
  return n < 1024 ? `${int(n)} B` : `${bytes(n)} (${int(n)} B)`;
}

/** 8030261248 → "8.03 B"; parameters are counted in billions as model cards do. */
export function params(n: number): string {
  return si(n, '', 3).replace(/ G$/, ' B');
}

export function tokensPerSecond(n: number): string {
  return `${fixed(n)} tok/s`;
}

export function concurrency(n: number): string {
  return n >= 100 ? int(n) : fixed(n);
}

/** "1× NVIDIA H100 SXM 80GB", "8× …". */
export function hardware(r: BudgetReport): string {
  return `${r.hardware.count}× ${r.hardware.name}`;
}

export function parallelism(r: BudgetReport): string {
  const s = r.settings;
  const parts = [`TP ${s.tensorParallel}`];
  if (s.pipelineParallel > 1) parts.push(`PP ${s.pipelineParallel}`);
  return parts.join(' · ');
}

export function engine(r: BudgetReport): string {
  return r.settings.engineVersion ? `${r.settings.engine} ${r.settings.engineVersion}` : r.settings.engine;
}

/** "memory-bound" / "compute-bound". */
export function bound(b: BudgetReport['decode']['bound']): string {
  return `${b}-bound`;
}

/** Escapes Markdown specials in text that comes from documents (names, labels). */
export function md(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, (c) => `\\${c}`);
}

/** Inline code for paths and URLs (backticks removed from the text). */
export function code(text: string): string {
  return `\`${text.replace(/`/g, '')}\``;
}

/** A one-line verdict: "fits" / "does not fit: …". */
export function verdict(r: BudgetReport): string {
  if (!r.capacity.weightsFit) return 'weights do not fit';
  if (!r.capacity.fits) return `max_model_len ${int(r.capacity.maxModelLen)} does not fit`;
  return 'fits';
}
