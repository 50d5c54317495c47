// The hardware catalog: loading, lookup by the names deployments use, validation of
// user-defined GPUs, and roofline helpers. Pure: no vscode import, no I/O.

import type { ErrorObject } from 'ajv';
import catalog from './hardware-catalog.json';
import { validateAccelerator as acceleratorSchema, validateCatalog as catalogSchemaValidator } from '../generated/validators';
import type { Accelerator, AcceleratorLookup } from './types';
import { keyedTable } from './keyedTable';

/** The accelerator used when a deployment names none. */
export const DEFAULT_ACCELERATOR_ID = 'h100-sxm';

/** Data types with a peak FLOP/s figure in the catalog. */
export type FlopsDtype = keyof Accelerator['flopsPerSecond'];
export const FLOPS_DTYPES: readonly FlopsDtype[] = ['fp32', 'tf32', 'bf16', 'fp16', 'fp8', 'int8', 'fp4'];

const GIB = 2 ** 30;
/** Longest GPU name `findAccelerator` will look at. */
export const MAX_GPU_NAME_LENGTH = 200;

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as Record<string, unknown>)) deepFreeze(v);
  }
  return value;
}

const BUILTIN: readonly Accelerator[] = deepFreeze(
  (catalog as unknown as { accelerators: Accelerator[] }).accelerators,
);

/** The built-in catalog plus `extra` (user-defined GPUs; one with a built-in id replaces it). */
export function listAccelerators(extra?: Accelerator[]): Accelerator[] {
  if (!extra || extra.length === 0) return BUILTIN.slice();
  const ids = new Set(extra.map((e) => e.id));
  return [...BUILTIN.filter((b) => !ids.has(b.id)), ...extra];
}

/** The accelerator with this exact id, if any. */
export function getAccelerator(id: string, extra?: Accelerator[]): Accelerator | undefined {
  return listAccelerators(extra).find((a) => a.id === id);
}

/**
 * A GPU as people type it with a count in front: `4xH100` → { count: 4, gpu: 'H100' }; `8x A100-80GB`,
 * `2*L40S`, `2 × H200` likewise; `H100` → { gpu: 'H100' } (no count). The count is a whole number ≥ 1 followed
 * by x, ×, or *; names that merely start with digits (`4090`) are not split.
 */
export function splitGpuCount(text: string): { gpu: string; count?: number } {
  const m = /^\s*(\d{1,6})\s*[x×*]\s*(\S.*?)\s*$/i.exec(text);
  if (!m || Number(m[1]) < 1) return { gpu: text.trim() };
  return { gpu: m[2], count: Number(m[1]) };
}

// ---------------------------------------------------------------------------------------
// Name normalisation

/**
 * Light normalisation used for exact matching: lower case, accents and trademark signs
 * dropped, every run of other characters (space, `-`, `_`, `/`, `.`, parentheses, commas)
 * becomes one space.
 */
export function normalizeGpuName(s: string): string {
  return s
    .replace(/[\u2122\u00ae\u00a9]/g, ' ')
    .replace(/\u00d7/g, ' x ')
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
}

/** Words that never identify a model. */
const FILLER = new Set([
  'nvidia', 'geforce', 'tesla', 'quadro', 'apple', 'amd', 'radeon', 'instinct', 'intel', 'habana', 'google', 'cloud',
  'tpu', 'gpu', 'gpus', 'core', 'cores', 'graphics', 'card', 'accelerator', 'tensor', 'unified', 'memory', 'the',
  'with', 'and', 'chip', 'soc', 'silicon',
]);
/** Memory technology and packaging words: they may be present or not. */
const SOFT = /^(hbm\d*e?|gddr\d+x?|lpddr\d+x?|ddr\d+|ecc|oam|module)$/;
/** Words that make a different product: a name that has one only matches a query that has it too. */
const MARKERS = new Set([
  'ti', 'super', 'pro', 'max', 'ultra', 'nvl', 'lite', 'mega', 'laptop', 'mobile', 'notebook', 'nano', 'nx', 'maxq',
]);

interface Parsed {
  /** Identifying tokens, in order, without duplicates. */
  tokens: string[];
  /** Memory sizes stated (`80GB`), GiB. */
  memGiB: number[];
  /** GPU count stated (`8x H100`). */
  count?: number;
}

function parseName(light: string): Parsed {
  const s = ` ${light} `
    .replace(/ mac ?book (pro|air) /g, ' ')
    .replace(/ mac (pro|studio|mini) /g, ' ')
    .replace(/ imac /g, ' ')
    .replace(/ pci (e|express) /g, ' pcie ')
    .replace(/ max q /g, ' maxq ');
  const raw = s.split(' ').filter((t) => t.length > 0);
  const tokens: string[] = [];
  const memGiB: number[] = [];
  let count: number | undefined;
  for (let i = 0; i < raw.length; i++) {
    const t = raw[i];
    const next = raw[i + 1];
    let m: RegExpMatchArray | null;
    // Core counts: `76-core GPU`, `76core`, `76c`; a CPU core count is dropped.
    let cores: string | undefined;
    if (/^\d+$/.test(t) && (next === 'core' || next === 'cores' || next === 'c')) {
      cores = t;
      i++;
    } else if ((m = t.match(/^(\d+)(?:core|cores|c)$/))) {
      cores = m[1];
    }
    if (cores !== undefined) {
      const after = raw[i + 1];
      if (after === 'cpu') {
        i++;
        continue;
      }
      if (after === 'gpu') i++;
      tokens.push(`${Number(cores)}core`);
      continue;
    }
    // Memory sizes: `80GB`, `80 GB`, `80GiB`, `80G`; storage sizes (`1TB`) are dropped.
    if ((m = t.match(/^(\d+)(?:gb|gib)$/))) {
      memGiB.push(Number(m[1]));
      continue;
    }
    if (/^\d+$/.test(t) && (next === 'gb' || next === 'gib')) {
      memGiB.push(Number(t));
      i++;
      continue;
    }
    if ((m = t.match(/^(\d+)g$/)) && Number(m[1]) >= 4) {
      memGiB.push(Number(m[1]));
      continue;
    }
    if (/^\d+tb$/.test(t) || (/^\d+$/.test(t) && next === 'tb')) {
      if (next === 'tb') i++;
      continue;
    }
    // GPU counts: `8x`, `x8`, `8 x`.
    if ((m = t.match(/^(\d+)x$/)) || (m = t.match(/^x(\d+)$/))) {
      count = Number(m[1]);
      continue;
    }
    if (/^\d+$/.test(t) && next === 'x') {
      count = Number(t);
      i++;
      continue;
    }
    if (t === 'x' && next !== undefined && /^\d+$/.test(next)) {
      count = Number(next);
      i++;
      continue;
    }
    // Years (`Mar 2026`).
    if (/^(199\d|20[0-4]\d)$/.test(t)) continue;
    tokens.push(/^sxm\d$/.test(t) ? 'sxm' : t);
  }
  return { tokens: [...new Set(tokens)], memGiB, count };
}

// ---------------------------------------------------------------------------------------
// Index

interface Form {
  tokens: Set<string>;
  /** Tokens that count against a match when the query lacks them (filler and soft removed). */
  extra: string[];
  markers: string[];
  /** Memory sizes the name states (`A100 80GB`), GiB. */
  memGiB: number[];
}

interface IndexedEntry {
  acc: Accelerator;
  custom: boolean;
  forms: Form[];
  /** Light-normalised name, id, aliases and instance types, for similarity. */
  lightNames: string[];
}

interface Index {
  entries: IndexedEntry[];
  exact: Map<string, IndexedEntry[]>;
  /** Light-normalised instance type -> [entry, count]. */
  instances: Map<string, Array<[IndexedEntry, number]>>;
  vocab: Set<string>;
}

/** Machine identifiers matched only exactly: instance types and GKE accelerator names. */
function isExactOnly(alias: string, acc: Accelerator): boolean {
  if (acc.instanceGpuCounts && Object.prototype.hasOwnProperty.call(acc.instanceGpuCounts, alias)) return true;
  return /^(nvidia|tpu)-[a-z0-9-]+$/.test(alias);
}

function makeForm(light: string): Form {
  const { tokens, memGiB } = parseName(light);
  const ids = tokens.filter((t) => !FILLER.has(t));
  return {
    tokens: new Set(ids),
    extra: ids.filter((t) => !SOFT.test(t)),
    markers: ids.filter((t) => MARKERS.has(t)),
    memGiB,
  };
}

function buildIndex(builtin: readonly Accelerator[], extra: Accelerator[] | undefined): Index {
  const customIds = new Set((extra ?? []).map((e) => e.id));
  const all = [...builtin.filter((b) => !customIds.has(b.id)), ...(extra ?? [])];
  const index: Index = { entries: [], exact: new Map(), instances: new Map(), vocab: new Set() };
  for (const acc of all) {
    const custom = customIds.has(acc.id);
    const names = [acc.id, acc.name, ...(Array.isArray(acc.aliases) ? acc.aliases : [])];
    const instanceTypes = acc.instanceGpuCounts ? Object.keys(acc.instanceGpuCounts) : [];
    const entry: IndexedEntry = { acc, custom, forms: [], lightNames: [] };
    const seen = new Set<string>();
    for (const name of [...names, ...instanceTypes]) {
      if (typeof name !== 'string') continue;
      const light = normalizeGpuName(name);
      if (!light || seen.has(light)) continue;
      seen.add(light);
      entry.lightNames.push(light);
      const list = index.exact.get(light) ?? [];
      if (!list.includes(entry)) list.push(entry);
      index.exact.set(light, list);
      if (isExactOnly(name, acc)) continue;
      const form = makeForm(light);
      if (form.tokens.size === 0) continue;
      entry.forms.push(form);
      for (const t of form.tokens) index.vocab.add(t);
    }
    for (const type of instanceTypes) {
      const n = acc.instanceGpuCounts?.[type];
      if (typeof n !== 'number') continue;
      const light = normalizeGpuName(type);
      const list = index.instances.get(light) ?? [];
      list.push([entry, n]);
      index.instances.set(light, list);
    }
    index.entries.push(entry);
  }
  return index;
}

let builtinIndex: Index | undefined;
/** Index per `extra` array, kept while the array holds the same entries. */
const extraIndexes = new WeakMap<Accelerator[], { items: Accelerator[]; index: Index }>();

function getIndex(extra?: Accelerator[]): Index {
  if (!extra || extra.length === 0) return (builtinIndex ??= buildIndex(BUILTIN, undefined));
  const cached = extraIndexes.get(extra);
  if (cached && cached.items.length === extra.length && cached.items.every((a, i) => a === extra[i])) {
    return cached.index;
  }
  const index = buildIndex(BUILTIN, extra);
  extraIndexes.set(extra, { items: [...extra], index });
  return index;
}

// ---------------------------------------------------------------------------------------
// Lookup

function memoryCompatible(acc: Accelerator, gib: number): boolean {
  const mem = acc.memoryBytes / GIB;
  // Unified memory is sold in several sizes; the catalog holds the largest.
  if (acc.vendor === 'apple') return gib <= mem + 0.5;
  const tol = Math.max(1, mem * 0.05);
  return Math.abs(gib - mem) <= tol || Math.abs(gib - acc.visibleMemoryGiB) <= tol;
}

/** Split a token the catalog doesn't know (`rtx4090`, `h100sxm`) into two it does. */
function splitUnknown(t: string, vocab: Set<string>): string[] | undefined {
  for (let i = 1; i < t.length; i++) {
    const a = t.slice(0, i);
    const b = t.slice(i);
    if ((vocab.has(a) || FILLER.has(a)) && vocab.has(b)) return FILLER.has(a) ? [b] : [a, b];
  }
  return undefined;
}

function display(query: string): string {
  // eslint-disable-next-line no-control-regex
  const clean = query.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ').trim();
  return clean.length > 60 ? `${clean.slice(0, 57)}...` : clean;
}

function levenshtein(a: string, b: string): number {
  if (a === b) return 0;
  if (!a.length) return b.length;
  if (!b.length) return a.length;
  let prev = new Array<number>(b.length + 1);
  let cur = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[b.length];
}

function stripFiller(light: string): string {
  return light.split(' ').filter((t) => t && !FILLER.has(t)).join(' ');
}

function similarity(q: string, f: string): number {
  if (!q || !f) return 0;
  const qa = q.slice(0, 64);
  const fa = f.slice(0, 64);
  const lev = 1 - levenshtein(qa, fa) / Math.max(qa.length, fa.length);
  const qt = new Set(qa.split(' '));
  const ft = new Set(fa.split(' '));
  let common = 0;
  for (const t of qt) if (ft.has(t)) common++;
  const overlap = common / (qt.size + ft.size - common);
  const [short, long] = qa.length <= fa.length ? [qa, fa] : [fa, qa];
  const contains = short.length >= 2 && long.includes(short) ? 0.5 + (0.5 * short.length) / long.length : 0;
  return Math.max(lev, overlap, contains);
}

/** A model token (`h100`, `mi300x`, `4090`, `v5e`): its letters, number and suffix. */
interface ModelToken { letters: string; num: number; suffix: string }

function modelTokens(light: string): ModelToken[] {
  const out: ModelToken[] = [];
  for (const t of parseName(light).tokens) {
    if (FILLER.has(t) || SOFT.test(t)) continue;
    const m = /^([a-z]*)(\d+)([a-z]*)$/.exec(t);
    if (m && Number(m[2]) > 0) out.push({ letters: m[1], num: Number(m[2]), suffix: m[3] });
  }
  return out;
}

/** How far apart two positive numbers are, 0 (equal) to 1 (a factor of `span` powers of two or more). */
function logDistance(a: number, b: number, span: number): number {
  return Math.min(1, Math.abs(Math.log2(a / b)) / span);
}

/**
 * How much a catalog model token resembles the query's: the same family letters and number (H200 for H200),
 * the same letters and a near number (H200, H100 for H300), the same number in another family (B300), a near
 * number alone.
 */
function tokenResemblance(q: ModelToken, e: ModelToken): number {
  if (q.letters === e.letters) {
    if (q.num === e.num) return q.suffix === e.suffix ? 1 : 0.95;
    return 0.6 + 0.3 * (1 - logDistance(q.num, e.num, 2));
  }
  if (q.num === e.num) return 0.35;
  return 0.3 * (1 - logDistance(q.num, e.num, 2));
}

const VENDOR_WORDS: Readonly<Record<string, string>> = keyedTable({ nvidia: 'nvidia', geforce: 'nvidia', tesla: 'nvidia', quadro: 'nvidia', amd: 'amd', radeon: 'amd', instinct: 'amd', intel: 'intel', habana: 'intel', gaudi: 'intel', google: 'google', tpu: 'google', apple: 'apple' });

/**
 * The catalog names closest to an unknown query, best first: by the model token (family letters and number:
 * H300 is nearer H200 and H100 than V100), the vendor (named, or implied by the family letters), the memory
 * size stated (192GB nearer 180 GB than 16 GB), then by spelling.
 */
function closestNames(index: Index, light: string, n = 5): string[] {
  const q = stripFiller(light) || light;
  if (!q) return [];
  const parsed = parseName(light);
  const queryModels = modelTokens(light);
  const entryModels = new Map(index.entries.map((e) => [e, e.lightNames.flatMap((name) => modelTokens(name))]));
  // The vendor named, else the vendors whose models share the query's family letters (H → NVIDIA, MI → AMD).
  let vendors = new Set(parsed.tokens.map((t) => VENDOR_WORDS[t]).filter((v): v is string => !!v));
  if (!vendors.size && queryModels.length) {
    vendors = new Set(index.entries.filter((e) => entryModels.get(e)!.some((m) => queryModels.some((qm) => qm.letters && qm.letters === m.letters))).map((e) => e.acc.vendor));
  }
  const scored = index.entries.map((e) => {
    let spelling = 0;
    for (const name of e.lightNames) spelling = Math.max(spelling, similarity(q, stripFiller(name) || name));
    let family = 0;
    for (const qm of queryModels) for (const em of entryModels.get(e)!) family = Math.max(family, tokenResemblance(qm, em));
    const vendor = vendors.size ? (vendors.has(e.acc.vendor) ? 0.15 : -0.15) : 0;
    const mem = e.acc.memoryBytes / GIB;
    const memory = mem > 0 ? parsed.memGiB.reduce((best, g) => Math.max(best, 1 - logDistance(g, mem, 1)), 0) : 0;
    const score = family + vendor + 0.4 * memory + 0.3 * spelling;
    return { name: e.acc.name, score, memory, spelling };
  });
  scored.sort((a, b) => b.score - a.score || b.memory - a.memory || b.spelling - a.spelling || a.name.localeCompare(b.name));
  return scored.filter((s) => s.spelling > 0 || s.score > 0.2).slice(0, n).map((s) => s.name);
}

function listNames(names: string[], max = 8): string {
  return names.length <= max ? names.join(', ') : `${names.slice(0, max).join(', ')} and ${names.length - max} more`;
}

function ok(entry: IndexedEntry, count?: number): AcceleratorLookup {
  return count !== undefined && count > 0
    ? { ok: true, accelerator: entry.acc, impliedGpuCount: count }
    : { ok: true, accelerator: entry.acc };
}

function ambiguous(query: string, entries: IndexedEntry[]): AcceleratorLookup {
  const names = entries.map((e) => e.acc.name);
  return { ok: false, message: `GPU "${display(query)}" is ambiguous: ${listNames(names)}`, closest: names };
}

function unknown(query: string, index: Index, light: string): AcceleratorLookup {
  const closest = closestNames(index, light);
  const tail = closest.length ? `. Closest matches: ${closest.join(', ')}` : '';
  return { ok: false, message: `Unknown GPU "${display(query)}"${tail}`, closest };
}

function lookup(query: string, index: Index): AcceleratorLookup {
  const light = normalizeGpuName(query);
  if (!light) return { ok: false, message: 'No GPU name given', closest: [] };

  // 1. Exact: id, name, alias, instance type (SageMaker's `ml.` prefix allowed).
  for (const key of light.startsWith('ml ') ? [light, light.slice(3)] : [light]) {
    const hits = index.exact.get(key);
    if (!hits || hits.length === 0) continue;
    const preferred = hits.some((h) => h.custom) ? hits.filter((h) => h.custom) : hits;
    if (preferred.length > 1) return ambiguous(query, preferred);
    const inst = index.instances.get(key)?.find(([e]) => e === preferred[0]);
    return ok(preferred[0], inst?.[1]);
  }

  // 2. Tokens: every identifying token of the query must be in one name of the entry.
  const parsed = parseName(light);
  const queryTokens = new Set<string>();
  const hard: string[] = [];
  for (const t of parsed.tokens) {
    if (FILLER.has(t)) continue;
    if (SOFT.test(t)) {
      queryTokens.add(t);
      continue;
    }
    if (index.vocab.has(t) || MARKERS.has(t)) {
      queryTokens.add(t);
      hard.push(t);
      continue;
    }
    if (!/\d/.test(t)) continue; // a word the catalog doesn't use: noise
    const parts = splitUnknown(t, index.vocab);
    for (const p of parts ?? [t]) {
      queryTokens.add(p);
      hard.push(p);
    }
  }
  if (!hard.some((t) => t.length >= 2)) return unknown(query, index, light);

  let best = Infinity;
  let bestEntries: IndexedEntry[] = [];
  for (const entry of index.entries) {
    if (!parsed.memGiB.every((g) => memoryCompatible(entry.acc, g))) continue;
    let entryBest = Infinity;
    for (const form of entry.forms) {
      if (!hard.every((t) => form.tokens.has(t))) continue;
      if (!form.markers.every((m) => queryTokens.has(m))) continue;
      // A name that states a memory size matches a query that states a different one not at all,
      // and one that states none less well.
      if (form.memGiB.some((f) => parsed.memGiB.some((q) => Math.abs(f - q) > Math.max(1, f * 0.05)))) continue;
      const memExtra = form.memGiB.length > 0 && parsed.memGiB.length === 0 ? 1 : 0;
      const extra = form.extra.filter((t) => !queryTokens.has(t)).length + memExtra;
      entryBest = Math.min(entryBest, extra);
    }
    if (entryBest < best) {
      best = entryBest;
      bestEntries = [entry];
    } else if (entryBest === best && entryBest !== Infinity) {
      bestEntries.push(entry);
    }
  }
  if (bestEntries.length === 0) return unknown(query, index, light);
  const preferred = bestEntries.some((e) => e.custom) ? bestEntries.filter((e) => e.custom) : bestEntries;
  if (preferred.length > 1) return ambiguous(query, preferred);
  return ok(preferred[0], parsed.count);
}

/**
 * Find an accelerator by id, display name, alias (nvidia-smi name, Kubernetes label, GKE
 * accelerator, cloud instance type) or a loose name such as `RTX 4090 24GB` or
 * `Apple M2 Ultra (76-core GPU)`. Never throws.
 */
const catalogLookups = new Map<string, AcceleratorLookup>();

export function findAccelerator(query: string, extra?: Accelerator[]): AcceleratorLookup {
  try {
    if (typeof query !== 'string') return { ok: false, message: 'GPU name must be a string', closest: [] };
    if (query.length > MAX_GPU_NAME_LENGTH) {
      return {
        ok: false,
        message: `GPU name is too long (${query.length} characters; at most ${MAX_GPU_NAME_LENGTH})`,
        closest: [],
      };
    }
    // The catalog is fixed, so answers for it are remembered (deployments name the same few GPUs).
    if (extra && extra.length) return lookup(query, getIndex(extra));
    let answer = catalogLookups.get(query);
    if (!answer) {
      answer = lookup(query, getIndex(undefined));
      if (catalogLookups.size >= 1024) catalogLookups.clear();
      catalogLookups.set(query, answer);
    }
    return answer;
  } catch (err) {
    return {
      ok: false,
      message: `Could not look up GPU "${typeof query === 'string' ? display(query) : ''}": ${String(err)}`,
      closest: [],
    };
  }
}

// ---------------------------------------------------------------------------------------
// Validation of user-defined GPUs

const UNIT_HINTS: Readonly<Record<string, string>> = keyedTable({
  '/memoryBytes': 'memoryBytes is in bytes (80 GiB = 85899345920)',
  '/memoryBandwidthBytesPerSecond': 'memoryBandwidthBytesPerSecond is in bytes per second (3.35 TB/s = 3350000000000)',
});

function formatError(e: ErrorObject): string {
  const path = e.instancePath ? e.instancePath.slice(1).replace(/\//g, '.') : '';
  const where = path || 'the accelerator';
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return `${path ? `${path}: ` : ''}missing required property "${String(p.missingProperty)}"`;
    case 'additionalProperties':
      return `${path ? `${path}: ` : ''}unknown property "${String(p.additionalProperty)}"`;
    case 'enum':
      return `${where} must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'type':
      return `${where} must be ${p.type === 'array' || p.type === 'object' || p.type === 'integer' ? 'an' : 'a'} ${String(p.type)}`;
    case 'minimum':
    case 'exclusiveMinimum':
      if (UNIT_HINTS[e.instancePath]) return `${UNIT_HINTS[e.instancePath]}; ${where} ${e.message ?? 'is too small'}`;
      return `${where} ${e.message ?? 'is too small'}`;
    case 'pattern':
      return `${where} must use lower case letters, digits, ".", "_" and "-" only`;
    case 'minProperties':
      return `${where} must give at least one data type (fp32, tf32, bf16, fp16, fp8, int8, fp4)`;
    default:
      return `${where} ${e.message ?? 'is invalid'}`;
  }
}

function defaultVisibleGiB(vendor: string, memoryBytes: number): number {
  const gib = memoryBytes / GIB;
  const visible = vendor === 'apple' ? gib * 0.75 : gib - Math.max(0.5, gib * 0.01);
  return Math.round(Math.max(visible, gib * 0.5) * 100) / 100;
}

/**
 * Validate a user-defined GPU against `#/definitions/accelerator` and fill in defaults
 * (visible memory, PCIe 4.0 interconnect, no aliases, source `user-defined`).
 */
export function validateAccelerator(obj: unknown): { ok: true; accelerator: Accelerator } | { ok: false; errors: string[] } {
  // Validators are precompiled from the schema (scripts/generate-validators.js): no code generated at run time.
  const validate = acceleratorSchema;
  if (!validate(obj)) {
    const errors = [...new Set((validate.errors ?? []).map(formatError))];
    return { ok: false, errors: errors.length ? errors : ['invalid accelerator'] };
  }
  const o = obj as Accelerator;
  const errors: string[] = [];
  for (const dtype of FLOPS_DTYPES) {
    const v = o.flopsPerSecond[dtype];
    if (v !== undefined && v < 1e9) {
      errors.push(`flopsPerSecond.${dtype} is in FLOP/s, not TFLOPS (989 TFLOPS = 989000000000000); got ${v}`);
    }
  }
  if (o.visibleMemoryGiB !== undefined && o.visibleMemoryGiB > o.memoryBytes / GIB + 1e-9) {
    errors.push(
      `visibleMemoryGiB (${o.visibleMemoryGiB}) is more than memoryBytes (${(o.memoryBytes / GIB).toFixed(2)} GiB)`,
    );
  }
  if (errors.length) return { ok: false, errors };
  const aliases = [...(o.aliases ?? [])];
  for (const type of Object.keys(o.instanceGpuCounts ?? {})) if (!aliases.includes(type)) aliases.push(type);
  const accelerator: Accelerator = {
    id: o.id,
    name: o.name,
    vendor: o.vendor,
    memoryBytes: o.memoryBytes,
    visibleMemoryGiB: o.visibleMemoryGiB ?? defaultVisibleGiB(o.vendor, o.memoryBytes),
    memoryBandwidthBytesPerSecond: o.memoryBandwidthBytesPerSecond,
    flopsPerSecond: { ...o.flopsPerSecond },
    interconnect: o.interconnect ? { ...o.interconnect } : { kind: 'pcie', bandwidthBytesPerSecond: 64e9 },
    aliases,
    source: o.source ?? 'user-defined',
  };
  if (o.instanceGpuCounts) accelerator.instanceGpuCounts = { ...o.instanceGpuCounts };
  if (o.unifiedMemory !== undefined) accelerator.unifiedMemory = o.unifiedMemory;
  if (o.computeCapability !== undefined) accelerator.computeCapability = o.computeCapability;
  return { ok: true, accelerator };
}

/** Validate a whole catalog document (`{ accelerators: [...] }`) against the schema. */
export function validateCatalog(obj: unknown): string[] {
  const validate = catalogSchemaValidator;
  return validate(obj) ? [] : [...new Set((validate.errors ?? []).map(formatError))];
}

// ---------------------------------------------------------------------------------------
// Roofline helpers

/** Dense peak FLOP/s for a data type, or undefined where the hardware has no such path. */
export function peakFlops(acc: Accelerator, dtype: FlopsDtype): number | undefined {
  const v = acc.flopsPerSecond?.[dtype];
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : undefined;
}

/** Whether the hardware has FP8 tensor/matrix units. */
export function supportsFp8(acc: Accelerator): boolean {
  return peakFlops(acc, 'fp8') !== undefined;
}

/** Arithmetic intensity (FLOP per byte of memory traffic) above which a kernel is compute-bound. */
export function ridgePointFlopsPerByte(acc: Accelerator, dtype: FlopsDtype): number | undefined {
  const peak = peakFlops(acc, dtype);
  const bw = acc.memoryBandwidthBytesPerSecond;
  if (peak === undefined || !(bw > 0)) return undefined;
  return peak / bw;
}

/** Visible (runtime-reported) memory in bytes. */
export function visibleMemoryBytes(acc: Accelerator): number {
  return acc.visibleMemoryGiB * GIB;
}
