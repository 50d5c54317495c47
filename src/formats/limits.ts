// Limits shared by the readers: how deep documents may nest, and ranges kept inside the text.
import type { FormatProblem, SourceRange } from './types';

/**
 * Deepest nesting of collections the readers accept (JSON arrays / objects, YAML block and flow
 * collections). Real configs and manifests nest fewer than 30 levels; the parsers recurse, so
 * a bound keeps hostile or broken input from overflowing the stack.
 */
export const MAX_NESTING = 100;

export const NESTING_MESSAGE = `Nesting deeper than ${MAX_NESTING} levels is not supported.`;

/** The problem for a collection that starts at `offset` one level past MAX_NESTING. */
export function nestingProblem(offset: number, textLength: number): FormatProblem {
  return { severity: 'error', message: NESTING_MESSAGE, range: clampRange({ start: offset, end: offset + 1 }, textLength) };
}

/** A range with 0 <= start <= end <= textLength (integral offsets). */
export function clampRange(r: SourceRange, textLength: number): SourceRange {
  const len = Math.max(0, Math.floor(textLength) || 0);
  const fix = (n: number): number => (Number.isFinite(n) ? Math.min(len, Math.max(0, Math.floor(n))) : n > 0 ? len : 0);
  const start = fix(r.start);
  const end = Math.max(start, fix(r.end));
  return { start, end };
}

/** Clamps the range of every problem into the text (in place); returns the array. */
export function clampProblems(problems: FormatProblem[], textLength: number): FormatProblem[] {
  for (const p of problems) {
    const r = p.range;
    if (!r || !(r.start >= 0 && r.start <= r.end && r.end <= textLength) || !Number.isInteger(r.start) || !Number.isInteger(r.end)) {
      p.range = clampRange(r ?? { start: 0, end: 0 }, textLength);
    }
  }
  return problems;
}
