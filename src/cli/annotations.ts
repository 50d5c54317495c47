// `check --format github`: GitHub Actions workflow commands (`::error file=...::message`), which the runner turns
// into annotations on the pull request's files. Pure: results in, lines out.
import * as path from 'path';
import type { FindingSeverity } from '../analysis/findings';
import type { LocatedResult } from './sarif';

/** GitHub has three annotation levels; information and hints are notices. */
const COMMAND: Record<FindingSeverity, 'error' | 'warning' | 'notice'> = { error: 'error', warning: 'warning', information: 'notice', hint: 'notice' };

/** A command's message: `%`, CR and LF escaped (GitHub's toolkit escapeData). */
export function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** A command's property value: as data, plus `:` and `,`, which delimit properties (toolkit escapeProperty). */
export function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/**
 * One workflow command per result. Columns go only on one-line ranges (GitHub ignores them otherwise); paths use
 * forward slashes, relative to the current folder as check prints them (the workspace root in an action).
 */
export function githubAnnotation(r: LocatedResult): string {
  const props: [string, string | number][] = [['file', r.path.split(path.sep).join('/')], ['line', r.line]];
  if (r.endLine === r.line) props.push(['col', r.column], ['endLine', r.endLine], ['endColumn', r.endColumn]);
  else props.push(['endLine', r.endLine]);
  props.push(['title', r.code]);
  return `::${COMMAND[r.severity]} ${props.map(([k, v]) => `${k}=${escapeProperty(String(v))}`).join(',')}::${escapeData(r.message)}`;
}

export function githubAnnotations(results: readonly LocatedResult[]): string[] {
  return results.map(githubAnnotation);
}
