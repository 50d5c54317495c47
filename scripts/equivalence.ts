// `npm run equivalence -- --write FILE` records computeBudget over every corpus config × a grid of deployments;
// `npm run equivalence -- --compare FILE` says whether a refactor changed any result (relative tolerance 1e-9;
// discrete fields exactly). Used to prove that a restructure of the engine changed no number before new rules go in.

import * as fs from 'fs';
import * as path from 'path';
import { computeBudget } from '../src/core/budget';
import { BudgetInputs, BudgetResult } from '../src/core/types';
import { loadModelFiles } from '../src/cli/modelFiles';
import { CONFIGS } from './groundTruth';

const GPUS = ['H100 SXM', 'A100 SXM 80GB', 'RTX 4090', 'L4', 'H200', 'B200', 'M2 Ultra 76-core'];
const GRID: BudgetInputs[] = [];
for (const gpu of GPUS) {
  for (const [tp, pp] of [[1, 1], [2, 1], [4, 2], [8, 1]]) {
    GRID.push({ gpu, tensorParallel: tp, pipelineParallel: pp, gpuCount: tp * pp });
    GRID.push({ gpu, tensorParallel: tp, pipelineParallel: pp, gpuCount: tp * pp, maxModelLen: 8192, kvCacheDtype: 'fp8', gpuMemoryUtilization: 0.8 });
    GRID.push({ gpu, tensorParallel: tp, pipelineParallel: pp, gpuCount: tp * pp, maxModelLen: 32768, quantization: 'int4', maxNumSeqs: 64, maxNumBatchedTokens: 4096, engine: 'vllm@0.15.0' });
    GRID.push({ gpu, tensorParallel: tp, pipelineParallel: pp, gpuCount: tp * pp, maxModelLen: 4096, dtype: 'float16', engine: 'vllm@0.22.0', batch: 8, context: 2048, prompt: 512 });
  }
}

function corpusModels(): string[] {
  const out: string[] = [];
  for (const family of fs.readdirSync(CONFIGS).sort()) {
    const dir = path.join(CONFIGS, family);
    if (!fs.statSync(dir).isDirectory() || family.startsWith('_')) continue;
    for (const model of fs.readdirSync(dir).sort()) if (fs.existsSync(path.join(dir, model, 'config.json'))) out.push(`${family}/${model}`);
  }
  return out;
}

/** Every number and string of a result, flattened to `path = value`. */
function flatten(value: unknown, prefix: string, out: Map<string, unknown>): void {
  if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else out.set(prefix, value);
}

function snapshot(): Record<string, Record<string, unknown>> {
  const results: Record<string, Record<string, unknown>> = {};
  for (const rel of corpusModels()) {
    const loaded = loadModelFiles(path.join(CONFIGS, rel));
    if (!loaded.ok) continue;
    GRID.forEach((inputs, i) => {
      const r: BudgetResult = computeBudget(loaded.files, inputs);
      const flat = new Map<string, unknown>();
      flatten(r, '', flat);
      results[`${rel}#${i}`] = Object.fromEntries(flat);
    });
  }
  return results;
}

function main(): void {
  const [mode, file] = process.argv.slice(2);
  if ((mode !== '--write' && mode !== '--compare') || !file) {
    console.error('usage: equivalence --write FILE | --compare FILE');
    process.exit(2);
  }
  const now = snapshot();
  if (mode === '--write') {
    fs.writeFileSync(file, JSON.stringify(now));
    console.log(`wrote ${Object.keys(now).length} results to ${file}`);
    return;
  }
  const before = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, Record<string, unknown>>;
  let compared = 0;
  const differences: string[] = [];
  for (const [key, fields] of Object.entries(before)) {
    const after = now[key];
    if (!after) { differences.push(`${key}: missing now`); continue; }
    compared++;
    for (const [field, a] of Object.entries(fields)) {
      const b = after[field];
      const same = typeof a === 'number' && typeof b === 'number'
        ? a === b || Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b))
        : a === b;
      if (!same) differences.push(`${key} ${field}: ${JSON.stringify(a)} -> ${JSON.stringify(b)}`);
    }
  }
  console.log(`compared ${compared} results (${Object.keys(now).length} now): ${differences.length} differences`);
  for (const d of differences.slice(0, 40)) console.log(`  ${d}`);
  process.exit(differences.length ? 1 : 0);
}

main();
