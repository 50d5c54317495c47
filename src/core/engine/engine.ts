// The serving engines whose startup sizing is emulated, behind one interface: vLLM, SGLang and llama.cpp (which
// Ollama runs), each with its own profiles, defaults, sizing and error texts.

import type { Accelerator } from '../types';
import type { ModelDescription } from '../model';
import type { WeightPlan } from '../weights';
import { memoized } from '../memo';
import { DEFAULT_SGLANG_VERSION, NEWEST_SGLANG_VERSION, SglangProfile, sglangProfile } from './sglang';
import {
  DEFAULT_VLLM_VERSION, NEWEST_VLLM_VERSION, VllmProfile, VllmResult, VllmSettings, compareVersions, defaultSchedulerLimits,
  emulateVllm, parseVersion, vllmProfile,
} from './vllm';

/** What one engine emulation offers the budget. */
export interface ServingEngineEmulation<Profile, Settings, Sizing> {
  readonly name: string;
  /** The version used when a deployment names none. */
  readonly defaultVersion: string;
  /** The newest release whose rules are emulated; `latest`, `nightly` and newer versions use it. */
  readonly newestVersion: string;
  profile(version: string): Profile | undefined;
  /** Scheduler limits the engine picks when the deployment does not set them. */
  schedulerDefaults(acc: Accelerator, profile: Profile, maxModelLen: number): { maxNumBatchedTokens: number; maxNumSeqs: number };
  /** What the engine does at startup: per-rank memory, KV-cache blocks, whether a request fits, its error text. */
  sizeAtStartup(model: ModelDescription, plan: WeightPlan, acc: Accelerator, settings: Settings, profile: Profile): Sizing;
}

export const VLLM: ServingEngineEmulation<VllmProfile, VllmSettings, VllmResult> = {
  name: 'vllm',
  defaultVersion: DEFAULT_VLLM_VERSION,
  newestVersion: NEWEST_VLLM_VERSION,
  profile: vllmProfile,
  schedulerDefaults: defaultSchedulerLimits,
  sizeAtStartup: emulateVllm,
};

export type EngineResolution =
  | { ok: true; name: 'vllm'; profile: VllmProfile; engine: typeof VLLM; /** Said to the user when the version was read loosely. */ note?: string }
  | { ok: true; name: 'sglang'; profile: SglangProfile; note?: string }
  /** llama.cpp's llama-server, or Ollama (which runs GGUF models through it with its own defaults). */
  | { ok: true; name: 'llamacpp'; profile: { version: string; ollama: boolean }; note?: string }
  | { ok: false; message: string };

/** How each engine spells its own name, for people: `vllm` → "vLLM", `llamacpp` → "llama.cpp". */
export function engineDisplayName(name: string): string {
  return ENGINE_DISPLAY_NAMES[name.toLowerCase()] ?? name;
}

/** "vLLM 0.19.0", "llama.cpp" (no version): the engine as reports name it. */
export function engineLabel(engine: string, version: string | undefined): string {
  const name = engineDisplayName(engine);
  return version ? `${name} ${version}` : name;
}

const ENGINE_DISPLAY_NAMES: Record<string, string> = { vllm: 'vLLM', sglang: 'SGLang', llamacpp: 'llama.cpp', ollama: 'Ollama' };

/** Moving tags that mean "the newest release". */
const MOVING_TAGS = new Set(['latest', 'nightly', 'main', 'stable']);

/** Engine specs seen, resolved once (a manifest repeats a few). */
const engines = new Map<string, EngineResolution>();

/**
 * Parses an engine spec into an emulation and a version profile: `vllm` (the default version), `vllm@0.19.0`,
 * `vllm@v0.6.4`, `vllm@latest` (the newest emulated release, said in a note), `vllm@0.99` (newer than the newest
 * emulated: the newest rules, said in a note).
 */
export function resolveEngine(spec: string | undefined): EngineResolution {
  return memoized(engines, spec ?? '', () => parseEngine(spec), 64);
}

function parseEngine(spec: string | undefined): EngineResolution {
  const text = (spec ?? 'vllm').trim();
  const [name, rawVersion] = text.split('@');
  const version = rawVersion?.trim().toLowerCase();
  if (name.toLowerCase() === 'sglang') return parseSglang(version, rawVersion);
  const lower = name.toLowerCase();
  if (lower === 'llamacpp' || lower === 'llama.cpp' || lower === 'llama-server' || lower === 'ollama') {
    // One set of rules: llama.cpp as of late 2025 / 2026 (--fit on, 256-cell padding, unified auto slots).
    return { ok: true, name: 'llamacpp', profile: { version: version && !MOVING_TAGS.has(version) ? version : 'latest', ollama: lower === 'ollama' } };
  }
  if (name.toLowerCase() !== 'vllm') {
    return { ok: false, message: `Unknown engine "${name}": vllm, sglang, llamacpp and ollama are emulated (e.g. vllm@0.19.0, sglang@0.5.6, llamacpp)` };
  }
  if (version && MOVING_TAGS.has(version)) {
    return { ok: true, name: 'vllm', engine: VLLM, profile: vllmProfile(VLLM.newestVersion)!, note: `vllm@${version} is read as vLLM ${VLLM.newestVersion}, the newest release whose memory rules are emulated` };
  }
  const parsed = version ? parseVersion(version) : undefined;
  if (version && !parsed) return { ok: false, message: `Cannot read vLLM version "${rawVersion}" (expected e.g. vllm@0.19.0)` };
  if (parsed && compareVersions(parsed, parseVersion(VLLM.newestVersion)!) > 0) {
    return { ok: true, name: 'vllm', engine: VLLM, profile: vllmProfile(VLLM.newestVersion)!, note: `vLLM ${parsed.join('.')} is newer than the newest emulated release (${VLLM.newestVersion}): its rules are used` };
  }
  const profile = vllmProfile(version ?? VLLM.defaultVersion);
  if (!profile) return { ok: false, message: `Cannot read vLLM version "${rawVersion}" (expected e.g. vllm@0.19.0)` };
  return { ok: true, name: 'vllm', engine: VLLM, profile };
}

/** `sglang`, `sglang@0.4.2`, `sglang@latest`: SGLang's own profile (versions from 0.4). */
function parseSglang(version: string | undefined, raw: string | undefined): EngineResolution {
  if (!version) return { ok: true, name: 'sglang', profile: sglangProfile(DEFAULT_SGLANG_VERSION)! };
  if (MOVING_TAGS.has(version)) {
    return { ok: true, name: 'sglang', profile: sglangProfile(NEWEST_SGLANG_VERSION)!, note: `sglang@${version} is read as SGLang ${NEWEST_SGLANG_VERSION}, the newest release whose memory rules are emulated` };
  }
  const parsed = parseVersion(version);
  if (!parsed) return { ok: false, message: `Cannot read SGLang version "${raw}" (expected e.g. sglang@0.5.6)` };
  if (compareVersions(parsed, parseVersion(NEWEST_SGLANG_VERSION)!) > 0) {
    return { ok: true, name: 'sglang', profile: sglangProfile(NEWEST_SGLANG_VERSION)!, note: `SGLang ${parsed.join('.')} is newer than the newest emulated release (${NEWEST_SGLANG_VERSION}): its rules are used` };
  }
  const profile = sglangProfile(version);
  if (!profile) return { ok: false, message: `SGLang ${parsed.join('.')} is older than the first emulated release (0.4.0)` };
  return { ok: true, name: 'sglang', profile };
}
