// Reads the `inferenceBudget.*` settings into one typed, validated snapshot.
import * as vscode from 'vscode';
import { validateAccelerator } from '../core/hardware';
import type { Accelerator, BudgetInputs } from '../core/types';

export const SECTION = 'inferenceBudget';

export interface Settings {
  defaultGpu: string;
  /** GPUs for a bare config.json (also its tensor parallelism); deployments state their own. */
  gpuCount?: number;
  engine?: string;
  gpuMemoryUtilization?: number;
  workload: { batch?: number; context?: number; prompt?: number };
  customGpus: Accelerator[];
  /** Custom GPU entries that failed validation, with the reasons (already logged). */
  invalidCustomGpus: string[];
  allowDownload: boolean;
  maxFileSizeBytes: number;
  maxDocuments: number;
}

const DEFAULT_MAX_FILE_SIZE = 5 * 1024 * 1024;
const DEFAULT_MAX_DOCUMENTS = 1000;

const posInt = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : undefined;
const posNum = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : undefined;
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() ? v.trim() : undefined);

/** Reads the settings. `isTrusted` false turns the hub download off whatever the setting says. */
export function readSettings(isTrusted = vscode.workspace.isTrusted): Settings {
  const c = vscode.workspace.getConfiguration(SECTION);
  const custom: Accelerator[] = [];
  const invalid: string[] = [];
  const raw = c.get<unknown>('customGpus');
  if (Array.isArray(raw)) {
    raw.forEach((entry, i) => {
      let verdict: ReturnType<typeof validateAccelerator>;
      try {
        verdict = validateAccelerator(entry);
      } catch (e) {
        invalid.push(`customGpus[${i}]: ${(e as Error).message}`);
        return;
      }
      if (verdict.ok) custom.push(verdict.accelerator);
      else invalid.push(`customGpus[${i}]${describeEntry(entry)}: ${verdict.errors.join('; ')}`);
    });
  } else if (raw !== undefined && raw !== null) {
    invalid.push('customGpus must be an array of accelerator objects');
  }
  const gpuMemoryUtilization = posNum(c.get('gpuMemoryUtilization'));
  return {
    defaultGpu: str(c.get('defaultGpu')) ?? 'H100',
    gpuCount: posInt(c.get('gpuCount')),
    engine: str(c.get('engine')),
    gpuMemoryUtilization: gpuMemoryUtilization !== undefined && gpuMemoryUtilization <= 1 ? gpuMemoryUtilization : undefined,
    workload: {
      batch: posInt(c.get('workload.batch')),
      context: posInt(c.get('workload.context')),
      prompt: posInt(c.get('workload.prompt')),
    },
    customGpus: custom,
    invalidCustomGpus: invalid,
    allowDownload: c.get<boolean>('hub.allowDownload') === true && isTrusted,
    maxFileSizeBytes: posInt(c.get('limits.maxFileSizeBytes')) ?? DEFAULT_MAX_FILE_SIZE,
    maxDocuments: posInt(c.get('limits.maxDocuments')) ?? DEFAULT_MAX_DOCUMENTS,
  };
}

function describeEntry(entry: unknown): string {
  if (entry && typeof entry === 'object') {
    const o = entry as Record<string, unknown>;
    const name = typeof o.id === 'string' ? o.id : typeof o.name === 'string' ? o.name : undefined;
    if (name) return ` (${name.slice(0, 60)})`;
  }
  return '';
}

/** Inputs a bare config.json is measured with: everything comes from the settings. */
export function configInputs(s: Settings): BudgetInputs {
  const inputs: BudgetInputs = { gpu: s.defaultGpu };
  if (s.gpuCount) { inputs.gpuCount = s.gpuCount; inputs.tensorParallel = s.gpuCount; }
  if (s.engine) inputs.engine = s.engine;
  if (s.gpuMemoryUtilization) inputs.gpuMemoryUtilization = s.gpuMemoryUtilization;
  return withWorkload(inputs, s, undefined);
}

/**
 * Inputs of a deployment: what the document states wins; the settings only fill what a deployment
 * cannot say (the GPU when it names none, the engine, the workload used for throughput figures).
 */
export type Workload = Partial<Pick<BudgetInputs, 'batch' | 'context' | 'prompt'>>;

export function deploymentInputs(s: Settings, stated: BudgetInputs, workload?: Workload): BudgetInputs {
  const inputs: BudgetInputs = {};
  for (const [k, v] of Object.entries(stated) as [keyof BudgetInputs, unknown][]) {
    if (v !== undefined && v !== null) (inputs as Record<string, unknown>)[k] = v;
  }
  if (inputs.gpu === undefined) inputs.gpu = s.defaultGpu;
  if (inputs.engine === undefined && s.engine) inputs.engine = s.engine;
  return withWorkload(inputs, s, workload);
}

function withWorkload(inputs: BudgetInputs, s: Settings, w: Workload | undefined): BudgetInputs {
  const batch = inputs.batch ?? w?.batch ?? s.workload.batch;
  const context = inputs.context ?? w?.context ?? s.workload.context;
  const prompt = inputs.prompt ?? w?.prompt ?? s.workload.prompt;
  if (batch !== undefined) inputs.batch = batch;
  if (context !== undefined) inputs.context = context;
  if (prompt !== undefined) inputs.prompt = prompt;
  return inputs;
}
