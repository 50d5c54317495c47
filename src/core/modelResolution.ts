// Pure rules for turning the model a deployment names into places where its config.json can be found:
// Hugging Face ids, local paths, the HF cache layout, bundled-catalog variants and the hub URL.
// No I/O and no vscode import: src/editor/modelResolver.ts does the looking.

import { ParsedJson, parseCheckpointIndex, parseConfigText } from './configText';
import type { ModelFiles } from './types';

/** What a deployment's model reference looks like. */
export type ModelReference =
  | { kind: 'hub'; id: string; revision?: string }
  | { kind: 'path'; path: string; absolute: boolean };

const HUB_URL_PREFIX = /^(?:https?:\/\/)?(?:www\.)?(?:huggingface\.co|hf\.co)\//i;
const HF_ID = /^[A-Za-z0-9][\w.-]*\/[\w.-]+$/;

/**
 * Classifies a model reference: `meta-llama/Llama-3.1-8B`, `hf://org/name`, `https://huggingface.co/org/name`
 * are hub ids (an `@rev` or `:rev` suffix is a revision); `./x`, `../x`, `/models/x`, `C:\x` or one word are paths.
 */
export function parseModelReference(raw: string): ModelReference | undefined {
  let s = raw.trim().replace(/^['"]|['"]$/g, '');
  if (!s) return undefined;
  if (/^hf:\/\//i.test(s)) s = s.slice(5);
  else if (HUB_URL_PREFIX.test(s)) s = s.replace(HUB_URL_PREFIX, '').replace(/\/(?:tree|resolve|blob)\/([^/]+).*$/, '@$1');
  const absolute = s.startsWith('/') || /^[A-Za-z]:[\\/]/.test(s) || s.startsWith('~');
  if (!absolute && !s.startsWith('.') && !s.includes('\\')) {
    const m = /^([^@:]+?)(?:[@:]([\w.-]+))?$/.exec(s);
    if (m && HF_ID.test(m[1]) && !/\.(json|ya?ml|gguf|safetensors|bin)$/i.test(m[1])) {
      return m[2] ? { kind: 'hub', id: m[1], revision: m[2] } : { kind: 'hub', id: m[1] };
    }
  }
  return { kind: 'path', path: s, absolute };
}

/** `org/name` → `models--org--name`, the folder of the Hugging Face hub cache. */
export function hfCacheFolderName(id: string): string {
  return `models--${id.split('/').join('--')}`;
}

/**
 * The hub cache folders to look in, most specific first, as huggingface_hub resolves them:
 * HF_HUB_CACHE, then HF_HOME/hub, then XDG_CACHE_HOME/huggingface/hub, then ~/.cache/huggingface/hub.
 * Empty variables are ignored. Paths are joined with '/', which Node accepts on every platform.
 */
export function hfCacheRoots(env: Record<string, string | undefined>, homeDir: string): string[] {
  const roots: string[] = [];
  const add = (p: string | undefined) => { if (p && !roots.includes(p)) roots.push(p); };
  add(env.HF_HUB_CACHE || env.HUGGINGFACE_HUB_CACHE);
  if (env.HF_HOME) add(joinPath(env.HF_HOME, 'hub'));
  if (env.XDG_CACHE_HOME) add(joinPath(env.XDG_CACHE_HOME, 'huggingface', 'hub'));
  if (homeDir) add(joinPath(homeDir, '.cache', 'huggingface', 'hub'));
  return roots;
}

function joinPath(...parts: string[]): string {
  return parts.map((p, i) => (i === 0 ? p.replace(/[\\/]+$/, '') : p.replace(/^[\\/]+|[\\/]+$/g, ''))).join('/');
}

/** `${endpoint}/${id}/resolve/${revision}/config.json`, with the id's segments URL-encoded. */
export function hubConfigUrl(endpoint: string | undefined, id: string, revision = 'main'): string {
  const base = (endpoint && endpoint.trim() ? endpoint.trim() : 'https://huggingface.co').replace(/\/+$/, '');
  const path = id.split('/').map(encodeURIComponent).join('/');
  return `${base}/${path}/resolve/${encodeURIComponent(revision)}/config.json`;
}

/** A URL safe to show and log: credentials in an endpoint (`https://user:token@host`) are masked. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/i, '$1***@');
}

/**
 * Suffixes that name a variant of a base checkpoint with the same shapes: chat/instruct tunes and
 * re-quantized uploads. Removed one at a time from the end of the name.
 */
const VARIANT_SUFFIXES: { re: RegExp; what: 'instruct' | 'quantized' | 'format' }[] = [
  { re: /[-_.](?:gguf|ggml|mlx|onnx|hf|safetensors)$/i, what: 'format' },
  { re: /[-_.](?:awq|gptq|exl2|bnb|4bit|8bit|int4|int8|w4a16|w8a8|w8a16|w4a4|fp8|fp4|nvfp4|mxfp4|dynamic|static|quantized|unsloth|g128|g32|marlin|q[2-8](?:_k)?(?:_[msl])?|q[2-8]_[01]|fp16|bf16)$/i, what: 'quantized' },
  { re: /[-_.](?:instruct|chat|it|sft|dpo|rlhf|hf-chat|inst|base)$/i, what: 'instruct' },
  { re: /[-_.](?:v\d+(?:\.\d+)*|\d{4})$/i, what: 'instruct' },
];

export interface VariantCandidate {
  /** A name (without organisation) to look up. */
  name: string;
  /** What was removed to get it (empty for the name itself). */
  removed: string[];
  quantized: boolean;
}

/** `Llama-3.1-8B-Instruct-AWQ` → [`Llama-3.1-8B-Instruct-AWQ`, `Llama-3.1-8B-Instruct`, `Llama-3.1-8B`]. */
export function variantCandidates(nameOrId: string): VariantCandidate[] {
  let name = nameOrId.split('/').pop() ?? nameOrId;
  const out: VariantCandidate[] = [{ name, removed: [], quantized: false }];
  const removed: string[] = [];
  let quantized = false;
  for (let guard = 0; guard < 8; guard++) {
    const hit = VARIANT_SUFFIXES.find((v) => v.re.test(name));
    if (!hit) break;
    const m = hit.re.exec(name)!;
    removed.push(m[0].slice(1));
    if (hit.what === 'quantized') quantized = true;
    name = name.slice(0, m.index);
    if (!name) break;
    out.push({ name, removed: [...removed], quantized });
  }
  return out;
}

export interface CatalogEntry { id: string; config: unknown }

export interface CatalogMatch<T extends CatalogEntry> {
  entry: T;
  /** Set when the entry is a base checkpoint standing in for a variant. */
  note?: string;
  /** The requested name looked like a re-quantized upload: weight sizes may differ from the base's. */
  quantizedVariant: boolean;
}

/**
 * Finds a bundled model for an id: the exact id (case-insensitive), the same name under another
 * organisation, or the base checkpoint of an instruct/chat/quantized variant.
 */
export function matchCatalog<T extends CatalogEntry>(id: string, catalog: readonly T[]): CatalogMatch<T> | undefined {
  const lower = id.toLowerCase();
  const exact = catalog.find((e) => e.id.toLowerCase() === lower);
  if (exact) return { entry: exact, quantizedVariant: false };
  const byName = new Map<string, T>();
  for (const e of catalog) {
    const n = (e.id.split('/').pop() ?? e.id).toLowerCase();
    if (!byName.has(n)) byName.set(n, e);
    // Meta's older repos carry a "Meta-" prefix (Meta-Llama-3.1-8B = Llama-3.1-8B).
    const stripped = n.replace(/^meta-/, '');
    if (!byName.has(stripped)) byName.set(stripped, e);
  }
  for (const c of variantCandidates(id)) {
    const n = c.name.toLowerCase();
    const entry = byName.get(n) ?? byName.get(n.replace(/^meta-/, ''));
    if (!entry) continue;
    const sameName = c.removed.length === 0;
    const note = sameName
      ? `${id} resolved to the bundled ${entry.id} (same name)`
      : `${id} resolved to the shapes of the bundled ${entry.id} (variant: ${[...c.removed].reverse().join('-')})`
        + (c.quantized ? '; weight sizes follow the deployment\'s quantization setting, not the base checkpoint' : '');
    return { entry, note, quantizedVariant: c.quantized };
  }
  return undefined;
}

/** Does a config.json's `_name_or_path` point at this hub id or path (`org/name`, `.../name`)? */
export function nameOrPathMatches(config: unknown, reference: string): boolean {
  const key = nameOrPathKey(config);
  return key !== undefined && nameKeysMatch(key, nameKey(reference));
}

/** A name or path normalised for matching: the whole (lower case, '/' separators) and its last two segments. */
export interface NameKey { full: string; tail: string; nested: boolean }

export function nameKey(nameOrPath: string): NameKey {
  const full = nameOrPath.trim().replace(/\\/g, '/').replace(/\/+$/, '').toLowerCase();
  return { full, tail: full.split('/').slice(-2).join('/'), nested: full.includes('/') };
}

/** The key of a config's `_name_or_path` (undefined when it has none). Workspace indexes keep it per config. */
export function nameOrPathKey(config: unknown): NameKey | undefined {
  if (!config || typeof config !== 'object') return undefined;
  const v = (config as Record<string, unknown>)._name_or_path;
  return typeof v === 'string' && v.trim() ? nameKey(v) : undefined;
}

/** Same model: equal names, or, for a reference with a folder (`org/name`), the same last two segments. */
export function nameKeysMatch(config: NameKey, reference: NameKey): boolean {
  return config.full === reference.full || (reference.nested && config.tail === reference.tail);
}

/** The last path segment of a reference (`/models/Llama-3.1-8B/` → `Llama-3.1-8B`). */
export function referenceBaseName(reference: string): string {
  const parts = reference.replace(/\\/g, '/').replace(/\/+$/, '').split('/');
  return parts[parts.length - 1] ?? reference;
}

/** Files read beside a config.json, under their ModelFiles key; a checkpoint index is read for its metadata only. */
export const SIDE_FILES: ReadonlyArray<{ key: 'safetensorsIndex' | 'pytorchIndex' | 'quantizeConfig' | 'hfQuantConfig'; name: string; parse: (text: string) => ParsedJson }> = [
  { key: 'safetensorsIndex', name: 'model.safetensors.index.json', parse: parseCheckpointIndex },
  { key: 'pytorchIndex', name: 'pytorch_model.bin.index.json', parse: parseCheckpointIndex },
  { key: 'quantizeConfig', name: 'quantize_config.json', parse: parseConfigText },
  { key: 'hfQuantConfig', name: 'hf_quant_config.json', parse: parseConfigText },
];

/** The model files of a bundled catalog entry: its config and the side files it carries. */
export function bundledEntryFiles(entry: { id: string; config: unknown; files?: Record<string, unknown> }): ModelFiles {
  const files: ModelFiles = { config: entry.config, nameHint: entry.id };
  for (const { key } of SIDE_FILES) if (entry.files?.[key] !== undefined) files[key] = entry.files[key];
  return files;
}
