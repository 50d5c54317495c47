// Contract checks shared by the engine, reader and property suites.

import * as assert from 'assert';
import { BudgetResult } from '../../src/core/types';
import { badNumber } from './harness';
import { LAYER_COUNT_KEYS } from './mutators';

/**
 * Layer counts above this are clamped before a case runs: normalizeConfig builds every layer, so a
 * config with num_hidden_layers 1e7 exhausts the heap (a process crash no try/catch can catch).
 * That bug is pinned by the isolated child-process tests in engine.fuzz.test.ts; the clamp only
 * keeps it from taking the whole fuzz run down. Set FUZZ_NO_LAYER_CLAMP=1 once it is fixed.
 */
export const LAYER_CLAMP = 512;
const CLAMP = process.env.FUZZ_NO_LAYER_CLAMP !== '1';

/** Clamps the layer counts a config can make the engine iterate over; returns what it did. */
export function clampLayerHazards(value: unknown): string[] {
  const log: string[] = [];
  if (!CLAMP) return log;
  const fix = (o: unknown, where: string): void => {
    if (!o || typeof o !== 'object' || Array.isArray(o)) return;
    const r = o as Record<string, unknown>;
    for (const k of LAYER_COUNT_KEYS) {
      if (typeof r[k] === 'number' && (r[k] as number) > LAYER_CLAMP && (r[k] as number) < 1e12) { log.push(`clamped ${where}${k} ${r[k]} -> ${LAYER_CLAMP}`); r[k] = LAYER_CLAMP; }
    }
    if (typeof r.hybrid_override_pattern === 'string' && r.hybrid_override_pattern.length > LAYER_CLAMP) {
      log.push(`clamped ${where}hybrid_override_pattern length ${r.hybrid_override_pattern.length}`);
      r.hybrid_override_pattern = r.hybrid_override_pattern.slice(0, LAYER_CLAMP);
    }
    if (Array.isArray(r.block_configs) && r.block_configs.length > LAYER_CLAMP) {
      log.push(`clamped ${where}block_configs length ${r.block_configs.length}`);
      r.block_configs = r.block_configs.slice(0, LAYER_CLAMP);
    }
  };
  fix(value, '');
  if (value && typeof value === 'object') {
    fix((value as Record<string, unknown>).text_config, 'text_config.');
    fix((value as Record<string, unknown>).llm_config, 'llm_config.');
  }
  return log;
}

/** Messages that mean an exception was thrown inside the engine and caught by its outer guard. */
export const CAUGHT_THROW = /^(unsupported: )?(Internal error while computing the budget|could not read this config):|Internal error while computing the budget:/;

export interface CheckOptions {
  /** The inputs are well-typed (strings where strings go): a caught internal exception is then a bug. */
  wellTyped: boolean;
}

/** The contract of computeBudget's result. Throws (assert) with a precise message on violation. */
export function checkBudgetResult(result: BudgetResult, opts: CheckOptions): void {
  assert.ok(result && typeof result === 'object' && typeof result.ok === 'boolean', 'result is not { ok: boolean }');
  if (!result.ok) {
    assert.ok(typeof result.unsupported === 'string' && result.unsupported.trim() !== '', 'ok:false with an empty message');
    assert.ok(Array.isArray(result.diagnostics) && result.diagnostics.length > 0, 'ok:false without diagnostics');
    for (const d of result.diagnostics) assert.ok(typeof d.message === 'string' && d.message.trim() !== '', `diagnostic ${d.code} without a message`);
    if (opts.wellTyped && CAUGHT_THROW.test(result.unsupported)) {
      assert.fail(`caught internal exception surfaced as the message: ${result.unsupported.slice(0, 200)}`);
    }
    return;
  }
  const report = result.report;
  const b = badNumber(report);
  if (b) assert.fail(Number.isFinite(b.value) ? `report.${b.path} is negative (${b.value})` : `report.${b.path} is ${b.value}`);
  for (const d of report.diagnostics) {
    assert.ok(typeof d.message === 'string' && d.message.trim() !== '', `diagnostic ${d.code} without a message`);
    assert.ok(!/NaN|Infinity|undefined/.test(d.message), `diagnostic ${d.code} message shows NaN/Infinity/undefined: ${d.message.slice(0, 200)}`);
  }
  const c = report.capacity;
  for (const k of ['numBlocks', 'kvCacheTokens', 'estimatedMaxModelLen', 'maxModelLen'] as const) {
    assert.ok(Number.isInteger(c[k]), `capacity.${k} is not an integer (${c[k]})`);
  }
  assert.ok(typeof report.model.name === 'string', 'model.name is not a string');
  if (c.fits) assert.ok(c.weightsFit, 'fits but weights do not fit');
}

