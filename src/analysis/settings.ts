// The `inferenceBudget.*` settings as one typed, validated snapshot, and how they fill a deployment's inputs.
// Pure: the editor reads the values from VS Code's configuration, the CLI from its defaults and flags.
import { findAccelerator, validateAccelerator } from '../core/hardware';
import type { Accelerator, BudgetInputs } from '../core/types';

export interface Settings {
  defaultGpu: string;
  /** GPUs for a bare config.json (also its tensor parallelism); deployments state their own. */
  gpuCount?: number;
  engine?: string;
  gpuMemoryUtilization?: number;
  workload: { batch?: number; context?: number; prompt?: number };
  /** Price per GPU-hour by GPU name or alias (`H100`, `nvidia-l4`), `*` for any other; none invented. */
  pricing: ReadonlyMap<string, number>;
  customGpus: Accelerator[];
  /** Custom GPU and pricing entries that failed validation, with the reasons (logged at activation). */
  invalidCustomGpus: string[];
  allowDownload: boolean;
  maxFileSizeBytes: number;
  maxDocuments: number;
  /**
   * `inferenceBudget.models`: model ids or globs (`acme/llama-ft-*`) mapped to a config.json path (absolute, `~`,
   * workspace-relative) or to another model id, applied before any other lookup. In order; the first match wins.
   */
  models?: ModelAlias[];
}

/** One entry of `inferenceBudget.models` (or of a budget file's `models:`, or of check's --models file). */
export interface ModelAlias {
  /** A model id or a glob (`*` any characters, `?` one), compared case-insensitively. */
  pattern: string;
  /** A config.json path (or its folder), or a model id to size it as. */
  target: string;
  /** Where the entry comes from, for people: `inferenceBudget.models`, `models: in x.budget.yaml`, `--models FILE`. */
  origin: string;
  /** Folder a relative path target starts from (a budget file's, a --models file's); else the workspace folders. */
  baseDir?: string;
}

export const DEFAULT_MAX_FILE_SIZE_BYTES = 5 * 1024 * 1024;
export const DEFAULT_MAX_DOCUMENTS = 1000;

/** The defaults package.json declares for each setting (VS Code answers them; the CLI starts from them). */
export const SETTING_DEFAULTS: Readonly<Record<string, unknown>> = {
  defaultGpu: 'H100', gpuCount: null, engine: '', gpuMemoryUtilization: null,
  'workload.batch': 1, 'workload.context': null, 'workload.prompt': 1024, pricing: {},
  customGpus: [], 'hub.allowDownload': false,
  'limits.maxFileSizeBytes': DEFAULT_MAX_FILE_SIZE_BYTES, 'limits.maxDocuments': DEFAULT_MAX_DOCUMENTS,
  models: {},
};

/** Settings as a fresh install has them, with some values overridden (the CLI's flags). */
export function defaultSettings(overrides: Readonly<Record<string, unknown>> = {}, isTrusted = true): Settings {
  return settingsFromValues((key) => (key in overrides ? overrides[key] : SETTING_DEFAULTS[key]), isTrusted);
}

const posInt = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : undefined;
const posNum = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : undefined;
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() ? v.trim() : undefined);

/**
 * Settings from raw values, keyed as in package.json without the section (`workload.batch`, `hub.allowDownload`).
 * Invalid values fall back to the defaults. `isTrusted` false turns the hub download off whatever the setting says.
 */
export function settingsFromValues(get: (key: string) => unknown, isTrusted: boolean): Settings {
  const custom: Accelerator[] = [];
  const invalid: string[] = [];
  const raw = get('customGpus');
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
  const gpuMemoryUtilization = posNum(get('gpuMemoryUtilization'));
  return {
    defaultGpu: str(get('defaultGpu')) ?? 'H100',
    gpuCount: posInt(get('gpuCount')),
    engine: str(get('engine')),
    gpuMemoryUtilization: gpuMemoryUtilization !== undefined && gpuMemoryUtilization <= 1 ? gpuMemoryUtilization : undefined,
    workload: {
      batch: posInt(get('workload.batch')),
      context: posInt(get('workload.context')),
      prompt: posInt(get('workload.prompt')),
    },
    pricing: pricingOf(get('pricing'), invalid),
    customGpus: custom,
    invalidCustomGpus: invalid,
    allowDownload: get('hub.allowDownload') === true && isTrusted,
    maxFileSizeBytes: posInt(get('limits.maxFileSizeBytes')) ?? DEFAULT_MAX_FILE_SIZE_BYTES,
    maxDocuments: posInt(get('limits.maxDocuments')) ?? DEFAULT_MAX_DOCUMENTS,
    models: modelAliasesOf(get('models'), 'inferenceBudget.models', invalid),
  };
}

/**
 * `{"acme/llama-ft-*": "meta-llama/Llama-3.1-8B-Instruct", "acme/mine": "./models/mine/config.json"}`: non-empty
 * names mapped to non-empty strings; anything else is reported (with the custom GPU problems) and left out.
 */
export function modelAliasesOf(raw: unknown, origin: string, invalid: string[] = [], baseDir?: string): ModelAlias[] {
  const out: ModelAlias[] = [];
  if (raw === undefined || raw === null) return out;
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    invalid.push(`${origin} must map model ids (or globs) to a config.json path or a model id, e.g. {"acme/llama-ft-*": "meta-llama/Llama-3.1-8B-Instruct"}`);
    return out;
  }
  for (const [pattern, target] of Object.entries(raw as Record<string, unknown>)) {
    if (pattern.trim() && typeof target === 'string' && target.trim()) {
      out.push(baseDir ? { pattern: pattern.trim(), target: target.trim(), origin, baseDir } : { pattern: pattern.trim(), target: target.trim(), origin });
    } else {
      invalid.push(`${origin}["${pattern.slice(0, 60)}"]: expected a config.json path or a model id, got ${JSON.stringify(target)?.slice(0, 40)}`);
    }
  }
  return out;
}

/** `{"H100": 2.5, "*": 1.8}`: positive finite prices under non-empty names; anything else is reported and left out. */
function pricingOf(raw: unknown, invalid: string[]): Map<string, number> {
  const prices = new Map<string, number>();
  if (raw === undefined || raw === null) return prices;
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    invalid.push('pricing must be an object of prices per GPU-hour by GPU name, e.g. {"H100": 2.5, "*": 1.8}');
    return prices;
  }
  for (const [name, price] of Object.entries(raw as Record<string, unknown>)) {
    if (name.trim() && typeof price === 'number' && Number.isFinite(price) && price > 0 && price <= 1e6) prices.set(name.trim(), price);
    else invalid.push(`pricing["${name.slice(0, 60)}"]: expected a price per GPU-hour above 0, got ${JSON.stringify(price)?.slice(0, 40)}`);
  }
  return prices;
}

/**
 * The price of the deployment's GPU: the entry whose name resolves to the same accelerator (so `H100`,
 * `NVIDIA H100 80GB HBM3` and `p5.48xlarge` all match), else `*`.
 */
export function pricePerGpuHourFor(s: Settings, gpu: string | undefined): number | undefined {
  if (s.pricing.size === 0) return undefined;
  const extra = s.customGpus.length ? s.customGpus : undefined;
  const target = gpu ? findAccelerator(gpu, extra) : undefined;
  if (target?.ok) {
    for (const [name, price] of s.pricing) {
      if (name === '*') continue;
      const found = findAccelerator(name, extra);
      if (found.ok && found.accelerator.id === target.accelerator.id) return price;
    }
  }
  return s.pricing.get('*');
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
  if (inputs.pricePerGpuHour === undefined) {
    const price = pricePerGpuHourFor(s, inputs.gpu);
    if (price !== undefined) inputs.pricePerGpuHour = price;
  }
  return inputs;
}
