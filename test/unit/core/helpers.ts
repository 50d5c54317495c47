// Test helpers: read real corpus configs from ../shared and compute budgets on them.

import * as fs from 'fs';
import * as path from 'path';
import { computeBudget } from '../../../src/core/budget';
import { BudgetInputs, BudgetReport } from '../../../src/core/types';
import { loadModelFiles } from '../../../src/cli/modelFiles';
import { normalizeConfig } from '../../../src/core/normalize';
import { ModelDescription } from '../../../src/core/model';
import { CONFIGS } from '../../../scripts/groundTruth';

export { CONFIGS };

export function readConfig(rel: string): Record<string, unknown> {
  const file = path.join(CONFIGS, rel.endsWith('.json') ? rel : path.join(rel, 'config.json'));
  return JSON.parse(fs.readFileSync(file, 'utf8').replace(/(?<![\w"])-?Infinity(?![\w"])/g, 'null')) as Record<string, unknown>;
}

export function readSide(rel: string, name: string): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(path.join(CONFIGS, rel, name), 'utf8')) as Record<string, unknown>;
}

export function model(rel: string): ModelDescription {
  const r = normalizeConfig(readConfig(rel));
  if (!r.ok) throw new Error(`${rel}: ${r.unsupported}`);
  return r.model;
}

export function budget(rel: string, inputs: BudgetInputs = {}): BudgetReport {
  const loaded = loadModelFiles(path.join(CONFIGS, rel));
  if (!loaded.ok) throw new Error(loaded.message);
  const r = computeBudget(loaded.files, inputs);
  if (!r.ok) throw new Error(r.unsupported);
  return r.report;
}

/** Every config.json-like file in the corpus (native DeepSeek formats included). */
export function allCorpusConfigs(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/^config.*\.json$/.test(e.name)) out.push(path.relative(CONFIGS, p));
    }
  };
  walk(CONFIGS);
  return out.sort();
}

export const GiB = 1024 ** 3;

export function assertWithin(actual: number, expected: number, relTol: number, what: string): void {
  const err = Math.abs(actual / expected - 1);
  if (!(err <= relTol)) throw new Error(`${what}: ${actual} vs expected ${expected} (error ${(err * 100).toFixed(3)}% > ${(relTol * 100).toFixed(3)}%)`);
}
