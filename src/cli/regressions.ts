// `check --diff BASE` / `check --baseline FILE`: what a change made worse, deployment by deployment. Pure: two
// check reports in (before and after), regressions out; check.ts does the git and file plumbing.
import * as path from 'path';
import type { DeploymentJson, DiagnosticJson, FileJson, Span } from '../analysis/checkJson';
import type { CheckJson } from './check';
import type { LocatedResult } from './sarif';

export type RegressionCode = 'regression-does-not-fit' | 'regression-not-sized' | 'regression-new-error' | 'regression-capacity' | 'regression-concurrency';

/** One thing made worse; always an error (it fails the check). */
export interface Regression extends LocatedResult {
  code: RegressionCode;
  /** The deployment's name; empty for a file's own problems (a new syntax error). */
  deployment: string;
  /** What it was and what it is: numbers for capacity and concurrency, words or a code otherwise; null when absent. */
  before: number | string | null;
  after: number | string | null;
  /** Capacity and concurrency: the change in percent (negative: down). */
  changePercent?: number;
}

export interface RegressionSummary {
  /** Deployments in the checked files now. */
  deployments: number;
  /** Of those, matched to one before the change. */
  compared: number;
  /** Of those, new (their file or the deployment itself absent before). */
  new: number;
  regressions: number;
}

export interface RegressionReport { regressions: Regression[]; summary: RegressionSummary }

/** 1-based position, end exclusive. */

export interface RegressionOptions {
  /** A drop in KV-cache tokens or concurrency larger than this (percent) is a regression. */
  thresholdPercent: number;
  /** Where each deployment of `after` is (files × deployments, parallel to it), for regressions of no diagnostic. */
  anchors?: (Span | undefined)[][];
}

export const DEFAULT_THRESHOLD_PERCENT = 10;

/** Errors a does-not-fit regression already says; not reported again as new errors. */
const FIT_CODES = new Set(['kv-does-not-fit', 'context-does-not-fit', 'weights-do-not-fit']);

/** Regressions from `before` to `after`, per file (by path) and deployment (by name, else by position). */
export function findRegressions(before: CheckJson, after: CheckJson, options: RegressionOptions): RegressionReport {
  const beforeFiles = new Map(before.files.map((f) => [pathKey(f.path), f]));
  const out: Regression[] = [];
  const summary: RegressionSummary = { deployments: 0, compared: 0, new: 0, regressions: 0 };
  after.files.forEach((file, fileIndex) => {
    const old = beforeFiles.get(pathKey(file.path));
    // A file's own problems (a new syntax error can hide its deployments).
    const oldProblemCodes = errorCodes(old?.problems ?? []);
    for (const d of firstPerCode(file.problems.filter((p) => p.severity === 'error' && !oldProblemCodes.has(p.code)))) {
      out.push(newError(file.path, '', d));
    }
    const matches = matchDeployments(old?.deployments ?? [], file.deployments);
    file.deployments.forEach((now, i) => {
      summary.deployments++;
      const was = matches[i];
      if (was) summary.compared++; else summary.new++;
      const anchor = options.anchors?.[fileIndex]?.[i];
      for (const r of deploymentRegressions(file, now, was, anchor, options.thresholdPercent)) out.push(r);
    });
  });
  summary.regressions = out.length;
  return { regressions: out, summary };
}

function deploymentRegressions(file: FileJson, now: DeploymentJson, was: DeploymentJson | undefined, anchor: Span | undefined, thresholdPercent: number): Regression[] {
  const out: Regression[] = [];
  const at = (d: DiagnosticJson | undefined): Span => d ?? anchor ?? now.diagnostics[0] ?? { line: 1, column: 1, endLine: 1, endColumn: 1 };
  const base = { path: file.path, severity: 'error' as const, deployment: now.name };
  const errors = now.diagnostics.filter((d) => d.severity === 'error');
  // A new deployment that does not fit is as bad as one that stopped fitting.
  const stoppedFitting = now.fits === false && (was === undefined || was.fits === true);
  if (stoppedFitting) {
    const cause = errors.find((d) => FIT_CODES.has(d.code)) ?? errors[0];
    out.push({
      ...base, ...span(at(cause)), code: 'regression-does-not-fit', before: was ? 'fits' : null, after: 'does not fit',
      message: `${was ? 'fits → does not fit' : 'new deployment does not fit'}${cause ? `: ${cause.message}` : ''}`,
    });
  }
  if (was?.sized && !now.sized) {
    out.push({
      ...base, ...span(at(now.diagnostics[0])), code: 'regression-not-sized', before: 'sized', after: 'not sized',
      message: `sized → not sized${now.notSizedReason ? `: ${now.notSizedReason}` : ''}`,
    });
  }
  const oldCodes = errorCodes(was?.diagnostics ?? []);
  for (const d of firstPerCode(errors.filter((e) => !oldCodes.has(e.code) && !(stoppedFitting && FIT_CODES.has(e.code))))) {
    out.push(newError(file.path, now.name, d));
  }
  // Capacity is compared only between two fitting deployments: a deployment that stopped fitting says so above.
  if (was?.fits === true && now.fits === true) {
    const drops: [RegressionCode, number | undefined, number | undefined, (b: number, a: number) => string][] = [
      ['regression-capacity', kvCacheTokens(was), kvCacheTokens(now), (b, a) => `KV cache ${formatTokens(b)} → ${formatTokens(a)} tokens`],
      ['regression-concurrency', maxConcurrency(was), maxConcurrency(now), (b, a) => `max concurrency ${formatTimes(b)}× → ${formatTimes(a)}×`],
    ];
    for (const [code, b, a, describe] of drops) {
      if (b === undefined || a === undefined || b <= 0) continue;
      const changePercent = ((a - b) / b) * 100;
      if (-changePercent <= thresholdPercent) continue;
      out.push({ ...base, ...span(at(undefined)), code, before: b, after: a, changePercent, message: `${describe(b, a)} (${formatPercent(changePercent)})` });
    }
  }
  return out;
}

function newError(filePath: string, deployment: string, d: DiagnosticJson): Regression {
  return {
    path: filePath, severity: 'error', deployment, ...span(d), code: 'regression-new-error', before: null, after: d.code,
    message: `new error [${d.code}]: ${d.message}`,
  };
}

function span(s: Span): Span {
  return { line: s.line, column: s.column, endLine: s.endLine, endColumn: s.endColumn };
}

function errorCodes(diagnostics: readonly DiagnosticJson[]): Set<string> {
  return new Set(diagnostics.filter((d) => d.severity === 'error').map((d) => d.code));
}

/** One regression per new code, on its first occurrence. */
function firstPerCode(diagnostics: readonly DiagnosticJson[]): DiagnosticJson[] {
  const first = new Map<string, DiagnosticJson>();
  for (const d of diagnostics) if (!first.has(d.code)) first.set(d.code, d);
  return [...first.values()];
}

/**
 * For each deployment now, the one it was: the only one of the same name, else the one at the same position
 * (a renamed deployment) unless that one is another's by name; undefined for a new deployment.
 */
export function matchDeployments(before: readonly DeploymentJson[], after: readonly DeploymentJson[]): (DeploymentJson | undefined)[] {
  const byName = new Map<string, DeploymentJson[]>();
  for (const d of before) byName.set(d.name, [...(byName.get(d.name) ?? []), d]);
  const uniqueNow = new Map<string, number>();
  for (const d of after) uniqueNow.set(d.name, (uniqueNow.get(d.name) ?? 0) + 1);
  const matched = after.map((d) => (byName.get(d.name)?.length === 1 && uniqueNow.get(d.name) === 1 ? byName.get(d.name)![0] : undefined));
  const taken = new Set(matched.filter((d): d is DeploymentJson => !!d));
  return matched.map((m, i) => {
    if (m) return m;
    const same = before[i];
    return same && !taken.has(same) ? same : undefined;
  });
}

/** Paths as check prints them, compared with `./`, doubled and back slashes ironed out. */
function pathKey(p: string): string {
  return path.posix.normalize(p.split(path.sep).join('/'));
}

/** A number of a deployment's report (`capacity.kvCacheTokens`), undefined when absent or not finite. */
function reportNumber(d: DeploymentJson, section: string, key: string): number | undefined {
  const part = d.report?.[section];
  const n = part && typeof part === 'object' ? (part as Record<string, unknown>)[key] : undefined;
  return typeof n === 'number' && Number.isFinite(n) ? n : undefined;
}

export function kvCacheTokens(d: DeploymentJson): number | undefined {
  return reportNumber(d, 'capacity', 'kvCacheTokens');
}

export function maxConcurrency(d: DeploymentJson): number | undefined {
  return reportNumber(d, 'capacity', 'maxConcurrency');
}

function formatTokens(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function formatTimes(n: number): string {
  return n >= 1 ? n.toFixed(1) : n.toPrecision(2);
}

/** `−75%`, `−5.3%`, `+12%` (a real minus sign, one decimal at most). */
export function formatPercent(p: number): string {
  const rounded = Number(Math.abs(p).toFixed(1));
  return `${p < 0 ? '−' : '+'}${rounded}%`;
}
