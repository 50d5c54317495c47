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
const VARIANT_SUFFIXES: { re: RegExp; what: 'instruct' | 'quantized' | 'format' | 'release' }[] = [
  { re: /[-_.](?:gguf|ggml|mlx|onnx|hf|safetensors)$/i, what: 'format' },
  { re: /[-_.](?:awq|gptq|exl2|bnb|4bit|8bit|int4|int8|w4a16|w8a8|w8a16|w4a4|fp8|fp4|nvfp4|mxfp4|dynamic|static|quantized|unsloth|g128|g32|marlin|q[2-8](?:_k)?(?:_[msl])?|q[2-8]_[01]|fp16|bf16)$/i, what: 'quantized' },
  { re: /[-_.](?:instruct|chat|it|sft|dpo|rlhf|hf-chat|inst|base)$/i, what: 'instruct' },
  // A release (`-2507`, `-0528`, `-v0.3`) may change shapes or limits (Qwen3-…-2507: 262,144 tokens where its
  // base has 40,960; Mistral-7B-v0.3: a larger vocabulary): never stood in for by another release.
  { re: /[-_.](?:v\d+(?:\.\d+)*|\d{4})$/i, what: 'release' },
];

export interface VariantCandidate {
  /** A name (without organisation) to look up. */
  name: string;
  /** What was removed to get it (empty for the name itself). */
  removed: string[];
  quantized: boolean;
  /** A release suffix was removed: this name is another release, not the same checkpoint. */
  otherRelease: boolean;
}

/** `Llama-3.1-8B-Instruct-AWQ` → [`Llama-3.1-8B-Instruct-AWQ`, `Llama-3.1-8B-Instruct`, `Llama-3.1-8B`]. */
export function variantCandidates(nameOrId: string): VariantCandidate[] {
  let name = nameOrId.split('/').pop() ?? nameOrId;
  const out: VariantCandidate[] = [{ name, removed: [], quantized: false, otherRelease: false }];
  const removed: string[] = [];
  let quantized = false;
  let otherRelease = false;
  for (let guard = 0; guard < 8; guard++) {
    const hit = VARIANT_SUFFIXES.find((v) => v.re.test(name));
    if (!hit) break;
    const m = hit.re.exec(name)!;
    removed.push(m[0].slice(1));
    if (hit.what === 'quantized') quantized = true;
    if (hit.what === 'release') otherRelease = true;
    name = name.slice(0, m.index);
    if (!name) break;
    out.push({ name, removed: [...removed], quantized, otherRelease });
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

interface CatalogIndex<T> { byId: Map<string, T>; byName: Map<string, T> }
const catalogIndexes = new WeakMap<readonly CatalogEntry[], CatalogIndex<CatalogEntry>>();

/** A catalog's entries by id and by name (lower case), first entry first; built once per catalog array. */
function catalogIndex<T extends CatalogEntry>(catalog: readonly T[]): CatalogIndex<T> {
  let index = catalogIndexes.get(catalog) as CatalogIndex<T> | undefined;
  if (index) return index;
  index = { byId: new Map(), byName: new Map() };
  for (const e of catalog) {
    const id = e.id.toLowerCase();
    if (!index.byId.has(id)) index.byId.set(id, e);
    const n = (e.id.split('/').pop() ?? e.id).toLowerCase();
    if (!index.byName.has(n)) index.byName.set(n, e);
    // Meta's older repos carry a "Meta-" prefix (Meta-Llama-3.1-8B = Llama-3.1-8B).
    const stripped = n.replace(/^meta-/, '');
    if (!index.byName.has(stripped)) index.byName.set(stripped, e);
  }
  catalogIndexes.set(catalog, index as CatalogIndex<CatalogEntry>);
  return index;
}

/**
 * Finds a bundled model for an id: the exact id (case-insensitive), the same name under another
 * organisation, or the base checkpoint of an instruct/chat/quantized variant.
 */
export function matchCatalog<T extends CatalogEntry>(id: string, catalog: readonly T[]): CatalogMatch<T> | undefined {
  const { byId, byName } = catalogIndex(catalog);
  const exact = byId.get(id.toLowerCase());
  if (exact) return { entry: exact, quantizedVariant: false };
  for (const c of variantCandidates(id)) {
    // Only the exact release: a model whose own config is not here is "not found", its base named as a candidate.
    if (c.otherRelease) break;
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

// ---------------------------------------------------------------------------------------------------------------
// Aliases (inferenceBudget.models, a budget file's `models:`, check's --models) and similar models

/** A model id or glob (`acme/llama-ft-*`, `*-7b?`) as a case-insensitive whole-string pattern. */
export function globPattern(glob: string): RegExp {
  const body = glob.trim().split('').map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[\\^$.|+()[\]{}]/g, '\\$&'))).join('');
  return new RegExp(`^${body}$`, 'i');
}

/**
 * The first alias whose pattern matches a reference: the reference as written (quotes and a `hf://` or hub URL
 * prefix removed), or its hub id without the revision. Exact patterns are tried before globs.
 */
export function matchAlias<A extends { pattern: string }>(reference: string, aliases: readonly A[]): A | undefined {
  if (!aliases.length) return undefined;
  const ref = parseModelReference(reference);
  if (!ref) return undefined;
  const names = new Set([reference.trim().replace(/^['"]|['"]$/g, ''), ref.kind === 'hub' ? ref.id : ref.path]);
  const lower = [...names].map((n) => n.toLowerCase());
  const exact = aliases.find((a) => !/[*?]/.test(a.pattern) && lower.includes(a.pattern.trim().toLowerCase()));
  if (exact) return exact;
  return aliases.find((a) => /[*?]/.test(a.pattern) && [...names].some((n) => globPattern(a.pattern).test(n)));
}

/** Words that say which tune or upload a checkpoint is, not which model: ignored when comparing names. */
const GENERIC_TOKENS = new Set([
  'meta', 'instruct', 'chat', 'it', 'hf', 'base', 'sft', 'dpo', 'preview', 'fp8', 'fp16', 'bf16', 'nvfp4', 'fp4', 'awq', 'gptq',
  'int4', 'int8', 'dynamic', 'quantized', 'w8a8', 'w4a16', 'bnb', '4bit', '8bit', 'gguf', 'mlx', 'v0.1', 'v0.2', 'v0.3', 'v1',
]);

/** `acme/Llama-3.1-8B-finetune-v7` → [`llama`, `3.1`, `8b`, `finetune`, `v7`] (the organisation dropped). */
export function nameTokens(nameOrId: string): string[] {
  const name = (nameOrId.split(/[@:]/)[0].split('/').pop() ?? nameOrId).toLowerCase();
  return name.split(/[-_\s/]+/).filter(Boolean);
}

/** A parameter count written in a name: `8B` → 8e9, `0.6B` → 6e8, `560m` → 5.6e8, `8x7B` → 56e9 (the first one). */
export function parametersInName(nameOrId: string): number | undefined {
  for (const t of nameTokens(nameOrId)) {
    const m = /^(?:(\d+)x)?(\d+(?:\.\d+)?)([bm])$/.exec(t);
    if (m) return (m[1] ? Number(m[1]) : 1) * Number(m[2]) * (m[3] === 'b' ? 1e9 : 1e6);
  }
  return undefined;
}

/** A rough parameter count from a config's shapes (12·L·h² + vocab·h), for models whose name gives none. */
export function approximateParameters(config: unknown): number | undefined {
  if (!config || typeof config !== 'object') return undefined;
  let c = config as Record<string, unknown>;
  if (c.text_config && typeof c.text_config === 'object') c = c.text_config as Record<string, unknown>;
  const num = (...keys: string[]) => { for (const k of keys) if (typeof c[k] === 'number' && (c[k] as number) > 0) return c[k] as number; return undefined; };
  const layers = num('num_hidden_layers', 'n_layer', 'num_layers');
  const hidden = num('hidden_size', 'n_embd', 'd_model');
  if (!layers || !hidden) return undefined;
  const experts = num('num_local_experts', 'n_routed_experts', 'num_experts') ?? 1;
  const inter = num('moe_intermediate_size') && experts > 1 ? num('moe_intermediate_size')! * experts : num('intermediate_size') ?? 4 * hidden;
  return layers * (4 * hidden * hidden + 3 * hidden * inter) + (num('vocab_size') ?? 0) * hidden;
}

export interface SimilarModel<T> { entry: T; score: number; parameters?: number }

/**
 * Catalog models of the same family and size as an unknown one, best first: the name's family tokens in common
 * (Dice over the tokens, tune and upload words ignored) and the parameter count (written in the name, else the
 * config's shapes) close to the one in the unknown name. Only models sharing a family word are listed.
 */
export function similarModels<T extends CatalogEntry>(reference: string, catalog: readonly T[], max = 10): SimilarModel<T>[] {
  const family = (tokens: string[]) => tokens.filter((t) => !GENERIC_TOKENS.has(t));
  const wanted = family(nameTokens(reference));
  const wantedWords = new Set(wanted.filter((t) => /^[a-z]/.test(t) && !/^v\d/.test(t) && parametersInName(t) === undefined));
  const wantedParams = parametersInName(reference);
  const scored: SimilarModel<T>[] = [];
  for (const entry of catalog) {
    const tokens = family(nameTokens(entry.id));
    const words = tokens.filter((t) => wantedWords.has(t) || [...wantedWords].some((w) => w.length >= 4 && (t.startsWith(w) || w.startsWith(t)) && /^[a-z]/.test(t)));
    if (!words.length) continue;
    const set = new Set(tokens);
    // A version of the same major release counts half (Llama-3 is nearer Llama-3.1 than Llama-2).
    const major = (t: string) => (/^v?\d+(?:\.\d+)+$|^v?\d+$/.test(t) ? t.replace(/^v/, '').split('.')[0] : undefined);
    const common = wanted.reduce((n, t) => n + (set.has(t) ? 1 : major(t) !== undefined && tokens.some((u) => u !== t && major(u) === major(t)) ? 0.5 : 0), 0);
    const dice = (2 * common) / (wanted.length + tokens.length || 1);
    const parameters = parametersInName(entry.id) ?? approximateParameters(entry.config);
    let size = 0;
    if (wantedParams && parameters) {
      const ratio = Math.max(wantedParams, parameters) / Math.min(wantedParams, parameters);
      size = ratio <= 1.05 ? 1 : ratio <= 1.5 ? 0.6 : ratio <= 2.5 ? 0.3 : 0;
    }
    scored.push({ entry, score: dice + 0.2 * words.length / Math.max(1, wantedWords.size) + size, parameters });
  }
  return scored.sort((a, b) => b.score - a.score || a.entry.id.localeCompare(b.entry.id)).slice(0, max);
}
