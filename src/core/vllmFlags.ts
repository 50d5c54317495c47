// vLLM flags whose effect on startup GPU memory is nil, or only a tower left unloaded: read, checked as vLLM checks
// them, and said in one finding, rather than listed as not read. Each rule cites vLLM's source and the releases.

import type { BudgetDiagnostic, BudgetInputs, KvCacheDtype } from './types';
import { type ModelDescription, sumParams } from './model';
import type { VllmProfile } from './engine/vllm';
import { memoized } from './memo';
import { keyedTable } from './keyedTable';

/** vLLM's refusals at startup of settings it does not take (the deployment does not start). */
export const REFUSED = 'engine-refuses-settings';

/** A modality's items per prompt when `--limit-mm-per-prompt` leaves it out (`MultiModalConfig.get_limit_per_prompt`). */
export const DEFAULT_MM_LIMIT = 999;

/** Options each built-in modality's dummy data takes besides `count` (`ImageDummyOptions` … in vllm/config/multimodal.py). */
const MM_OPTIONS: Readonly<Record<string, readonly string[]>> = keyedTable({
  image: ['width', 'height'], video: ['num_frames', 'width', 'height'], audio: ['length'],
});

/**
 * `--limit-mm-per-prompt` as `MultiModalConfig._validate_limit_per_prompt` reads it (vllm/config/multimodal.py,
 * 0.11–0.34): a JSON object of modality → count, or → `{"count": n, "width": …}` (the configurable form, count 999
 * when left out); counts are whole numbers ≥ 0 and a built-in modality takes only its own options.
 * Example: `{"image": 2, "video": {"count": 0}}` → { image: 2, video: 0 }.
 */
export function parseLimitMmPerPrompt(text: string): { ok: true; limits: Record<string, number> } | { ok: false; message: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, message: `limitMmPerPrompt must be a JSON object such as {"image": 2, "video": 0} (got ${text})` };
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) return { ok: false, message: `limitMmPerPrompt must be a JSON object of modality → count (got ${text})` };
  const limits: Record<string, number> = {};
  const whole = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n >= 0;
  for (const [modality, v] of Object.entries(value as Record<string, unknown>)) {
    if (whole(v)) { limits[modality] = v; continue; }
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const o = v as Record<string, unknown>;
      const allowed = MM_OPTIONS[modality] ?? [];
      const extra = Object.keys(o).filter((k) => k !== 'count' && !allowed.includes(k));
      if (extra.length) return { ok: false, message: `limitMmPerPrompt.${modality} takes count${allowed.length ? `, ${allowed.join(', ')}` : ''} (not ${extra.join(', ')})` };
      if (o.count !== undefined && !whole(o.count)) return { ok: false, message: `limitMmPerPrompt.${modality}.count must be a whole number ≥ 0 (got ${JSON.stringify(o.count)})` };
      limits[modality] = o.count === undefined ? DEFAULT_MM_LIMIT : o.count as number;
      continue;
    }
    return { ok: false, message: `limitMmPerPrompt.${modality} must be a whole number ≥ 0 or {"count": n} (got ${JSON.stringify(v)})` };
  }
  return { ok: true, limits };
}

/**
 * The modalities a checkpoint's vision tower serves: images, and videos where the config names a video token
 * (Qwen2.5/3-VL, Qwen3.5, Gemma 4). vLLM builds the tower inside `_mark_tower_model(vllm_config, {"image",
 * "video"})` or `"image"` accordingly.
 */
export function visionTowerModalities(config: unknown): string[] {
  const has = (c: unknown): boolean => !!c && typeof c === 'object'
    && ['video_token_id', 'video_token_index', 'video_token'].some((k) => (c as Record<string, unknown>)[k] !== undefined);
  const top = config && typeof config === 'object' ? config as Record<string, unknown> : {};
  return has(top) || has(top.text_config) ? ['image', 'video'] : ['image'];
}

const visionless = new WeakMap<ModelDescription, ModelDescription>();

/** The model without its vision tower's weights (memoised per model, so per-model caches keep working). */
export function withoutVisionTower(model: ModelDescription): ModelDescription {
  return memoized(visionless, model, () => ({ ...model, weights: model.weights.filter((g) => g.role !== 'vision') }));
}

export type FlagFindings =
  | { ok: true; diagnostics: BudgetDiagnostic[]; visionTowerUnloaded: boolean }
  | { ok: false; message: string; subject: keyof BudgetInputs };

/**
 * What `--max-cpu-loras`, `--limit-mm-per-prompt`, `--swap-space` and `--calculate-kv-scales` do at vLLM's startup:
 * - `--max-cpu-loras`: the CPU-side LRU of adapters (`LoRAConfig`, vllm/config/lora.py): no GPU memory; vLLM refuses
 *   a value below `--max-loras` ("max_cpu_loras (N) must be >= max_loras (M)"); 0 means max_loras (arg_utils.py).
 * - `--limit-mm-per-prompt`: 0 for every modality a tower serves leaves the tower unbuilt and unloaded
 *   (`_mark_tower_model`, model_executor/models/interfaces.py, 0.15+; per-model checks from 0.10.1, #22299); other
 *   limits size the encoder's dummy batch of the profiling run, which is not modelled.
 * - `--swap-space`: CPU memory per GPU for the V0 engine's swapping (`CacheConfig.swap_space`); V1 never swaps; the
 *   flag was removed in 0.18 (#36216), after which `vllm serve` stops at "unrecognized arguments".
 * - `--calculate-kv-scales`: fp8 k/v scales computed in the first forward pass (run without CUDA graphs): no memory;
 *   deprecated in 0.18 (#37201), removed in 0.26 (#49389).
 */
export function vllmFlagFindings(inputs: BudgetInputs, config: unknown, model: ModelDescription, profile: VllmProfile,
  lora: { maxLoras: number } | undefined, kvCacheDtype: KvCacheDtype): FlagFindings {
  const diagnostics: BudgetDiagnostic[] = [];
  /** Flags read with nothing to count on the GPU, each with why. */
  const nil: string[] = [];
  const v = profile.version;
  const refused = (subject: keyof BudgetInputs, message: string, suggestedValue?: number): void => {
    diagnostics.push({ severity: 'error', code: REFUSED, subject, message, ...(suggestedValue !== undefined ? { suggestedValue } : {}) });
  };

  const cpuLoras = inputs.maxCpuLoras;
  if (cpuLoras !== undefined) {
    if (!lora) nil.push(`--max-cpu-loras ${cpuLoras} (without --enable-lora: not used)`);
    else if (cpuLoras > 0 && cpuLoras < lora.maxLoras) {
      refused('maxCpuLoras', `vLLM refuses --max-cpu-loras below --max-loras: "max_cpu_loras (${cpuLoras}) must be >= max_loras (${lora.maxLoras})"`, lora.maxLoras);
    } else nil.push(`--max-cpu-loras ${cpuLoras} (adapters cached in CPU memory; the GPU holds --max-loras ${lora.maxLoras})`);
  }

  let visionTowerUnloaded = false;
  if (typeof inputs.limitMmPerPrompt === 'string' && inputs.limitMmPerPrompt.trim() !== '') {
    const parsed = parseLimitMmPerPrompt(inputs.limitMmPerPrompt.trim());
    if (!parsed.ok) return { ok: false, message: parsed.message, subject: 'limitMmPerPrompt' };
    const vision = sumParams(model.weights, (g) => g.role === 'vision');
    if (vision <= 0) {
      nil.push('--limit-mm-per-prompt (no vision tower is counted for this model)');
    } else {
      const modalities = visionTowerModalities(config);
      const limitOf = (m: string): number => parsed.limits[m] ?? DEFAULT_MM_LIMIT;
      visionTowerUnloaded = modalities.every((m) => limitOf(m) === 0);
      const written = modalities.map((m) => `${m} ${limitOf(m)}`).join(', ');
      diagnostics.push({
        severity: 'information', code: 'multimodal-limits', subject: 'limitMmPerPrompt',
        message: visionTowerUnloaded
          ? `--limit-mm-per-prompt (${written}): vLLM does not build or load the vision tower (${(vision / 1e6).toFixed(0)} M parameters), so its weights are not counted`
          : `--limit-mm-per-prompt (${written}): the vision tower is loaded; the encoder's dummy batch in the profiling run (sized by these limits) is not modelled`,
      });
    }
  }

  if (inputs.swapSpace !== undefined) {
    if (!profile.swapSpaceFlag) refused('swapSpace', `vLLM ${v} has no --swap-space (removed with the V0 engine in 0.18, #36216): \`vllm serve\` stops with "unrecognized arguments"; remove the flag`);
    else if (!profile.v1) nil.push(`--swap-space ${inputs.swapSpace} (GiB of CPU memory per GPU for swapped-out requests)`);
    else nil.push(`--swap-space ${inputs.swapSpace} (CPU swap of the V0 engine; V1 recomputes preempted requests and never uses it)`);
  }

  if (inputs.calculateKvScales !== undefined) {
    if (!profile.calculateKvScalesFlag) {
      refused('calculateKvScales', `vLLM ${v} has no --calculate-kv-scales (removed in 0.26, #49389): \`vllm serve\` stops with "unrecognized arguments"; fp8 KV scales come from the checkpoint or default to 1.0`);
    } else if (inputs.calculateKvScales) {
      nil.push(`--calculate-kv-scales (fp8 KV scales computed in the first forward pass${kvCacheDtype === 'fp8' ? '' : '; the KV cache is not fp8, so it does nothing'})`);
    }
  }

  if (nil.length) {
    diagnostics.push({
      severity: 'information', code: 'flags-without-gpu-memory',
      message: `Flags read that take no GPU memory at startup: ${nil.join('; ')}`,
    });
  }
  return { ok: true, diagnostics, visionTowerUnloaded };
}
