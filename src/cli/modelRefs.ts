// What the config command takes besides a path: a model id (`meta-llama/Llama-3.1-8B-Instruct`, `org/name@rev`),
// resolved as the editor and `check` resolve a deployment's model (src/analysis/modelResolver.ts: workspace, local
// Hugging Face cache, bundled catalog, and the hub only with --allow-download), and aliases from a --models file.
import * as path from 'path';
import * as YAML from 'yaml';
import { ReadRefused, readRegularFileSync } from '../analysis/boundedRead';
import { bundledModels } from '../analysis/bundledCatalog';
import type { Logger } from '../analysis/log';
import type { ResolvedModel } from '../analysis/modelResolver';
import { defaultSettings } from '../analysis/settings';
import { hubConfigUrl, parseModelReference, redactUrl } from '../core/modelResolution';
import { FileModelResolver } from './fileResolver';
import { MAX_CONFIG_BYTES } from './modelFiles';

export interface ModelLookupOptions {
  /** Where relative paths start (the command line's current folder, or the --models file's folder). */
  baseDir: string;
  /** Folders searched for config.json files that name the model. */
  workspaceFolders: readonly string[];
  /** HF_HUB_CACHE, HF_HOME, XDG_CACHE_HOME, HF_ENDPOINT, HF_TOKEN. */
  env: Record<string, string | undefined>;
  homeDir?: string;
  allowDownload: boolean;
  log: Logger;
}

export type ModelLookup = { ok: true; model: ResolvedModel } | { ok: false; message: string };

/** Resolves a model reference the way a deployment's model is resolved; a miss says where it looked, in one line. */
export async function lookUpModel(reference: string, o: ModelLookupOptions): Promise<ModelLookup> {
  const resolver = new FileModelResolver(o.log, { workspaceFolders: o.workspaceFolders, env: o.env, homeDir: o.homeDir, allowDownload: o.allowDownload });
  const settings = defaultSettings({ 'hub.allowDownload': o.allowDownload });
  // The resolver looks beside a document first: the command line stands in the base folder.
  const r = await resolver.resolve(reference, path.join(o.baseDir, 'inference-budget'), settings);
  if (r.ok) return r;
  const ref = parseModelReference(reference);
  // The resolver's own words for a skipped download name the editor's setting; the CLI says which flag.
  const tried = r.tried.filter((t) => !t.startsWith('no download'));
  const closest = closestBundledIds(reference);
  const parts = [
    ref?.kind === 'hub' ? `model "${reference}" not found` : `no such file, folder or model: ${reference}`,
    `(looked at: ${tried.join('; ')})`,
  ];
  let message = parts.join(' ');
  if (closest.length) message += `; closest bundled models: ${closest.join(', ')}`;
  if (ref?.kind === 'hub' && !o.allowDownload) {
    message += `; pass --allow-download to fetch its config.json from ${redactUrl(hubConfigUrl(o.env.HF_ENDPOINT, ref.id, ref.revision))}`;
  }
  return { ok: false, message };
}

/** Character pairs of a lower-cased name, for a similarity that forgives typos (`Instrukt`) and reordering. */
function bigrams(s: string): Map<string, number> {
  const out = new Map<string, number>();
  const t = s.toLowerCase();
  for (let i = 0; i < t.length - 1; i++) out.set(t.slice(i, i + 2), (out.get(t.slice(i, i + 2)) ?? 0) + 1);
  return out;
}

/** Dice coefficient of two names' bigrams: 1 for equal names, 0 for names sharing no pair of characters. */
function dice(a: Map<string, number>, b: Map<string, number>): number {
  let common = 0;
  let total = 0;
  for (const n of a.values()) total += n;
  for (const [k, n] of b) { total += n; common += Math.min(n, a.get(k) ?? 0); }
  return total ? (2 * common) / total : 0;
}

/** The bundled model ids most like a reference (by name, the organisation ignored), best first. */
export function closestBundledIds(reference: string, max = 3): string[] {
  const name = (reference.split(/[@:]/)[0].split('/').pop() ?? reference).trim();
  if (!name) return [];
  const wanted = bigrams(name);
  return bundledModels()
    .map((m) => ({ id: m.id, score: dice(wanted, bigrams(m.id.split('/').pop() ?? m.id)) }))
    .filter((s) => s.score >= 0.4)
    .sort((a, b) => b.score - a.score)
    .slice(0, max)
    .map((s) => s.id);
}

export type AliasFile = { ok: true; aliases: ReadonlyMap<string, string>; file: string } | { ok: false; message: string };

/**
 * A --models file: a JSON or YAML mapping of alias to model id or path, `{"llama": "meta-llama/Llama-3.1-8B-Instruct",
 * "mine": "./models/my-model"}`. Paths are relative to the file's folder.
 */
export function readModelAliases(file: string): AliasFile {
  let text: string;
  try {
    text = readRegularFileSync(file, MAX_CONFIG_BYTES).toString('utf8');
  } catch (e) {
    return { ok: false, message: e instanceof ReadRefused ? e.message : `cannot read --models ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` };
  }
  let value: unknown;
  try {
    // JSON is YAML; aliases are capped so that a small file cannot expand into a huge one.
    value = YAML.parse(text, { maxAliasCount: 100 });
  } catch (e) {
    return { ok: false, message: `--models ${file} is not valid JSON or YAML: ${(e as Error).message}` };
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, message: `--models ${file} must map names to model ids or paths, e.g. {"llama": "meta-llama/Llama-3.1-8B-Instruct"}` };
  }
  const aliases = new Map<string, string>();
  for (const [name, target] of Object.entries(value as Record<string, unknown>)) {
    if (typeof target !== 'string' || !target.trim()) {
      return { ok: false, message: `--models ${file}: "${name}" must name a model id or a path (got ${JSON.stringify(target)?.slice(0, 40)})` };
    }
    aliases.set(name, target.trim());
  }
  return { ok: true, aliases, file };
}
