// Seeded randomness and the case runner shared by the fuzz and property suites.
//
// Every case gets its own 32-bit seed, derived from the suite seed, the test name and the case
// index, so a failure prints one number that replays exactly that case:
//   FUZZ_SEED=<suite seed> (default below)        changes every case of every suite
//   FUZZ_CASES=<n>                                 total cases across the suites (default 100000)
//   FUZZ_REPLAY=<case seed>                        runs only that case in every fuzz loop
//   FUZZ_TIME_SCALE=<f>                            scales the wall-clock budget of the loops (45 s);
//                                                  Infinity runs every case however long it takes

import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/** mulberry32: tiny, fast, good enough to drive fuzzing; reproducible from one 32-bit seed. */
export class Rng {
  private s: number;
  constructor(seed: number) { this.s = seed >>> 0; }
  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Integer in [lo, hi] inclusive. */
  int(lo: number, hi: number): number { return lo + Math.floor(this.next() * (hi - lo + 1)); }
  bool(p = 0.5): boolean { return this.next() < p; }
  pick<T>(items: readonly T[]): T { return items[Math.floor(this.next() * items.length)]; }
  /** Log-uniform integer in [lo, hi] (lo >= 1): small and large magnitudes equally often. */
  logInt(lo: number, hi: number): number {
    const v = Math.exp(Math.log(lo) + this.next() * (Math.log(hi) - Math.log(lo)));
    return Math.max(lo, Math.min(hi, Math.round(v)));
  }
  /** A random subset (each item with probability p), order kept. */
  subset<T>(items: readonly T[], p: number): T[] { return items.filter(() => this.next() < p); }
  /** Picks by weight: `[[3, 'a'], [1, 'b']]`. */
  weighted<T>(choices: readonly (readonly [number, T])[]): T {
    const total = choices.reduce((t, [w]) => t + w, 0);
    let r = this.next() * total;
    for (const [w, v] of choices) { if ((r -= w) < 0) return v; }
    return choices[choices.length - 1][1];
  }
}

/** 32-bit string hash (FNV-1a) to derive per-test seeds. */
export function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) { h ^= s.charCodeAt(i); h = Math.imul(h, 0x01000193); }
  return h >>> 0;
}

/** The seed of case `index` of test `name` (a murmur3 finalizer over the three). */
export function caseSeed(suiteSeed: number, name: string, index: number): number {
  let h = (suiteSeed ^ hash32(name) ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0;
  h ^= h >>> 16; h = Math.imul(h, 0x85ebca6b); h ^= h >>> 13; h = Math.imul(h, 0xc2b2ae35); h ^= h >>> 16;
  return h >>> 0;
}

export const DEFAULT_SEED = 0x1b5eed01;
export const SUITE_SEED = parseSeed(process.env.FUZZ_SEED) ?? DEFAULT_SEED;
const REPLAY = parseSeed(process.env.FUZZ_REPLAY);
const TOTAL_CASES = Math.max(1, Math.floor(Number(process.env.FUZZ_CASES ?? '') || 100_000));
const TIME_SCALE = Number(process.env.FUZZ_TIME_SCALE ?? '') || 1; // Number('Infinity') is Infinity: no cap

function parseSeed(v: string | undefined): number | undefined {
  if (v === undefined || v.trim() === '') return undefined;
  const n = Number(v.trim());
  return Number.isFinite(n) ? n >>> 0 : hash32(v);
}

/**
 * Every fuzz loop: its share of FUZZ_CASES and the CPU milliseconds one case takes on the reference
 * machine (2 cores, idle). At the default 100,000 cases the loops take ~35 s of CPU.
 */
export const PLAN: Record<string, { share: number; msPerCase: number }> = {
  'engine.normalize': { share: 0.36, msPerCase: 0.25 },
  'engine.budget.mutated': { share: 0.10, msPerCase: 0.7 },
  'engine.budget.corpus': { share: 0.08, msPerCase: 0.4 },
  'engine.budget.wrongTypes': { share: 0.02, msPerCase: 0.9 },
  'engine.customGpu': { share: 0.01, msPerCase: 0.7 },
  'engine.cli': { share: 0.08, msPerCase: 0.2 },
  'prop.utilization': { share: 0.016, msPerCase: 0.5 },
  'prop.gpuMemory': { share: 0.016, msPerCase: 0.5 },
  'prop.maxModelLen': { share: 0.016, msPerCase: 0.5 },
  'prop.fp8kv': { share: 0.016, msPerCase: 0.5 },
  'prop.tensorParallel': { share: 0.016, msPerCase: 0.4 },
  'readers.parseDocument': { share: 0.06, msPerCase: 1.1 },
  'readers.parseModelConfig': { share: 0.16, msPerCase: 0.25 },
  'readers.editForInput': { share: 0.06, msPerCase: 0.5 },
  'readers.editForInput.badSpec': { share: 0.03, msPerCase: 0.1 },
};

/** The number of cases of loop `name`: its share of FUZZ_CASES. */
export function cases(name: string): number {
  const p = PLAN[name];
  if (!p) throw new Error(`fuzz loop ${name} is not in PLAN`);
  return Math.max(1, Math.round(TOTAL_CASES * p.share));
}

/**
 * Wall-clock budget of all fuzz loops together (default 45 s at FUZZ_CASES=100000, scaled with it and
 * with FUZZ_TIME_SCALE). On a machine slower or busier than the reference, each loop runs the first
 * part of its cases (the same ones, in the same order) and the summary says how many.
 */
const BUDGET_MS = 45_000 * Math.max(1, TOTAL_CASES / 100_000) * TIME_SCALE;
let budgetStart: number | undefined;
const loopsDone = new Set<string>();

/** Wall milliseconds loop `name` may take: its expected time, scaled down when the run is behind. */
function loopCap(name: string, count: number): number {
  if (!Number.isFinite(BUDGET_MS)) return Infinity;
  const now = Date.now();
  budgetStart ??= now;
  const expected = (n: string): number => (n === name ? count : cases(n)) * PLAN[n].msPerCase;
  const remainingExpected = Object.keys(PLAN).filter((n) => !loopsDone.has(n)).reduce((t, n) => t + expected(n), 0) || 1;
  const remainingBudget = BUDGET_MS - (now - budgetStart);
  // At most 1.2x its expected time, so that a slow machine cuts every loop a little, not the last ones a lot.
  return Math.max(1000, expected(name) * Math.min(1.2, remainingBudget / remainingExpected));
}

export const hex = (n: number): string => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;

/** Short, single-line rendering of a case for failure messages (strings and depth bounded). */
export function show(value: unknown, max = 600): string {
  const seen = new WeakSet<object>();
  let s: string;
  try {
    s = JSON.stringify(value, (_k, v) => {
      if (typeof v === 'number' && !Number.isFinite(v)) return `<${String(v)}>`;
      if (typeof v === 'bigint') return `<${v}n>`;
      if (v === undefined) return '<undefined>';
      if (typeof v === 'string' && v.length > 120) return `${v.slice(0, 60)}…<${v.length} chars>…${v.slice(-20)}`;
      if (v && typeof v === 'object') {
        if (seen.has(v)) return '<cycle>';
        seen.add(v);
      }
      return v;
    }) ?? String(value);
  } catch (e) {
    s = `<unprintable: ${(e as Error).message}>`;
  }
  return s.length > max ? `${s.slice(0, max)}…(${s.length} chars)` : s;
}

export interface Failure { seed: number; index: number; message: string; detail: string }

export interface FuzzStats {
  name: string; ran: number; skipped: number;
  /** Wall and CPU (user + system of this process) milliseconds. */
  ms: number; cpuMs: number;
  failures: Failure[]; note?: string;
}

const ALL_STATS: FuzzStats[] = [];
export function allStats(): FuzzStats[] { return ALL_STATS; }

/** Records a loop that did not go through `fuzz` (e.g. a fixed list of records) in the summary. */
export function noteStats(name: string, ran: number, skipped: number, note?: string): void {
  ALL_STATS.push({ name, ran, skipped, ms: 0, cpuMs: 0, failures: [], note });
}

// A summary of every loop after the run (mocha root hook: this module is loaded by each suite).
if (typeof after === 'function') {
  after(() => {
    if (!ALL_STATS.length) return;
    const total = ALL_STATS.reduce((t, s) => t + s.ran, 0);
    const lines = ALL_STATS.map((s) => `    ${s.name.padEnd(32)} ${String(s.ran).padStart(7)} cases ${String(s.skipped).padStart(6)} skipped ${String(s.ms).padStart(7)} ms ${String(s.cpuMs).padStart(7)} ms cpu${s.failures.length ? `  ${s.failures.length} FAILING` : ''}${s.note ? `  (${s.note})` : ''}`);
    process.stdout.write(`\n  fuzz summary (seed ${hex(SUITE_SEED)}, FUZZ_CASES=${TOTAL_CASES}): ${total} cases\n${lines.join('\n')}\n`);
  });
}

/**
 * Runs `count` cases of `body`, each with its own seeded Rng. A case fails by throwing (assert);
 * failures are collected (deduplicated by first line of message) and reported together at the
 * end with the seed to replay each. `body` returns false to count the case as skipped.
 * The loop's wall time is bounded (see `loopCap`): past it the remaining cases are not run and the
 * cut is reported. This keeps the suite bounded on a slow or busy machine.
 */
export function fuzz(name: string, count: number, body: (rng: Rng, index: number) => void | boolean): FuzzStats {
  const t0 = Date.now();
  const c0 = process.cpuUsage();
  const stats: FuzzStats = { name, ran: 0, skipped: 0, ms: 0, cpuMs: 0, failures: [] };
  const signatures = new Map<string, number>();
  const cap = loopCap(name, count);
  loopsDone.add(name);
  let capped = false;
  const indices = REPLAY !== undefined ? [-1] : Array.from({ length: count }, (_, i) => i);
  for (const index of indices) {
    if (REPLAY === undefined && Date.now() - t0 > cap) { capped = true; break; }
    const seed = REPLAY ?? caseSeed(SUITE_SEED, name, index);
    const rng = new Rng(seed);
    try {
      const r = body(rng, index);
      if (r === false) stats.skipped++;
      stats.ran++;
    } catch (err) {
      stats.ran++;
      const e = err as Error & { detail?: string; signature?: string };
      const message = String(e?.message ?? e);
      const sig = e?.signature ?? message.split('\n')[0].replace(/\d+(\.\d+)?(e[+-]?\d+)?/g, 'N').slice(0, 160);
      const n = signatures.get(sig) ?? 0;
      signatures.set(sig, n + 1);
      if (n < 3) stats.failures.push({ seed, index, message, detail: e?.detail ?? '' });
    }
  }
  stats.ms = Date.now() - t0;
  const c1 = process.cpuUsage(c0);
  stats.cpuMs = Math.round((c1.user + c1.system) / 1000);
  ALL_STATS.push(stats);
  if (capped) {
    stats.note = `time cap ${Math.round(cap)} ms: ${stats.ran} of ${count} cases run`;
    // Not a failure: the time cap keeps CI bounded on a slow machine. Say so loudly.
    process.stdout.write(`      [fuzz] ${name}: time cap ${cap} ms reached after ${stats.ran}/${count} cases\n`);
  }
  if (stats.failures.length) {
    const lines = [`${name}: ${stats.failures.length} distinct failing case(s) (${[...signatures.values()].reduce((a, b) => a + b, 0)} failing of ${stats.ran}); suite seed ${hex(SUITE_SEED)}`];
    for (const f of stats.failures) {
      lines.push(`  case #${f.index} seed ${hex(f.seed)} (replay: FUZZ_REPLAY=${hex(f.seed)}${SUITE_SEED !== DEFAULT_SEED ? ` FUZZ_SEED=${hex(SUITE_SEED)}` : ''})`);
      lines.push(`    ${f.message.split('\n').join('\n    ')}`);
      if (f.detail) lines.push(`    input: ${f.detail}`);
    }
    const file = path.join(os.tmpdir(), `inference-budget-fuzz-${name.replace(/[^\w.-]+/g, '_')}.txt`);
    try { fs.writeFileSync(file, lines.join('\n') + '\n'); lines.push(`  (also written to ${file})`); } catch { /* best effort */ }
    assert.fail(lines.join('\n'));
  }
  return stats;
}

/** A failure with the case attached, for `fuzz` to print. */
export function failWith(message: string, detail: unknown, signature?: string): never {
  const e = new Error(message) as Error & { detail?: string; signature?: string };
  e.detail = typeof detail === 'string' ? detail : show(detail, 2000);
  // Failures with the same signature are one bug: only the first few are printed.
  if (signature) e.signature = signature;
  throw e;
}

/** Every number reachable from `value` (path + value), for the report walk. */
export function numbersIn(value: unknown, at = '', out: { path: string; value: number }[] = [], depth = 0): { path: string; value: number }[] {
  if (depth > 50) return out;
  if (typeof value === 'number') out.push({ path: at, value });
  else if (Array.isArray(value)) value.forEach((v, i) => numbersIn(v, `${at}[${i}]`, out, depth + 1));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) numbersIn(v, at ? `${at}.${k}` : k, out, depth + 1);
  return out;
}

/**
 * The first number reachable from `value` that is not finite or is negative, with its path; undefined
 * when there is none. Fast (no path strings are built unless one is found).
 */
export function badNumber(value: unknown, skip?: ReadonlySet<string>): { path: string; value: number } | undefined {
  const bad = (v: unknown, depth: number): boolean => {
    if (typeof v === 'number') return !(v >= 0 && v !== Infinity);
    if (depth > 50 || !v || typeof v !== 'object') return false;
    if (Array.isArray(v)) { for (const x of v) if (bad(x, depth + 1)) return true; return false; }
    for (const k in v as Record<string, unknown>) {
      if (depth === 0 && skip?.has(k)) continue;
      if (bad((v as Record<string, unknown>)[k], depth + 1)) return true;
    }
    return false;
  };
  if (!bad(value, 0)) return undefined;
  const filtered = skip && value && typeof value === 'object' ? Object.fromEntries(Object.entries(value).filter(([k]) => !skip.has(k))) : value;
  return numbersIn(filtered).find((n) => !(n.value >= 0 && n.value !== Infinity));
}
