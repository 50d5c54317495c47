// Finds the config.json (and the files beside it) of the model a deployment names:
//   1. a path relative to the document or a workspace folder (folder or config.json itself);
//   2. a config.json in the workspace whose `_name_or_path` names it, or whose folder has its name;
//   3. the local Hugging Face cache (HF_HUB_CACHE, HF_HOME/hub, ~/.cache/huggingface/hub);
//   4. the bundled catalog (instruct/chat/quantized variants resolve to their base with a note);
//   5. only with `inferenceBudget.hub.allowDownload` (and a trusted workspace): the hub's config.json.
// The rules (id parsing, cache layout, variant names, URL) are pure, in src/core/modelResolution.ts.
import * as fs from 'fs';
import * as http from 'http';
import * as https from 'https';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import { ParsedJson, parseConfigText } from '../core/configText';
import {
  NameKey, SIDE_FILES, bundledEntryFiles, hfCacheFolderName, hfCacheRoots, hubConfigUrl, matchCatalog, nameKey, nameKeysMatch, nameOrPathKey, parseModelReference, redactUrl,
  referenceBaseName,
} from '../core/modelResolution';
import type { ModelFiles } from '../core/types';
import { bundledModels } from './bundledCatalog';
import { FileFacts, listFolder, readFileBytes, statFile } from './files';
import type { Logger } from './log';
import type { Settings } from './settings';

/** A workspace config.json, with what lookups compare. */
interface WorkspaceConfig { uri: vscode.Uri; config: unknown; nameOrPath?: NameKey; folder: string }

export type ModelSource = 'document' | 'workspace' | 'hf-cache' | 'bundled' | 'hub';

export interface ResolvedModel {
  files: ModelFiles;
  source: ModelSource;
  /** Where the config came from, for people (a path, `bundled:<id>`, a URL). */
  location: string;
  /** The file the config came from, when it is one (links in hovers). */
  uri?: vscode.Uri;
  /** A caveat: a variant resolved to its base's shapes, ... */
  note?: string;
}

export type Resolution =
  | { ok: true; model: ResolvedModel }
  | { ok: false; reference: string; tried: string[] };

/** Largest config.json (or sibling index) read from disk or the network. */
const MAX_CONFIG_BYTES = 8 * 1024 * 1024;
const DOWNLOAD_TIMEOUT_MS = 10_000;

/**
 * Lower-cased names per folder (undefined when it cannot be listed), shared by the resolutions of one batch.
 * A manifest names dozens of models: one listing answers for all of them where a stat per candidate would ask
 * the file system each time. A new batch lists again, so a model downloaded meanwhile is found.
 */
type Listings = Map<string, Promise<Set<string> | undefined>>;

export class ModelResolver {
  /** Results by reference + context, dropped when workspace config files change. */
  private readonly cache = new Map<string, { result: Promise<Resolution>; batch: Listings; failed: boolean }>();
  /** Downloaded configs by URL (kept across invalidations: the hub's config does not change under us). */
  private readonly downloaded = new Map<string, Promise<unknown>>();
  /** Every workspace config.json, read once (dropped when one changes): lookups are then in memory. */
  private workspaceIndex: Promise<WorkspaceConfig[]> | undefined;

  constructor(private readonly log: Logger, private readonly env: NodeJS.ProcessEnv = process.env) {}

  /** Forget what was found (a config.json in the workspace was created, changed or deleted). */
  invalidate(): void {
    this.cache.clear();
    this.workspaceIndex = undefined;
  }

  /** Resolutions of several references from one document, started together and sharing folder listings. */
  resolveAll(references: readonly string[], document: vscode.Uri, settings: Settings): Promise<Resolution>[] {
    const listings: Listings = new Map();
    return references.map((r) => this.resolve(r, document, settings, listings));
  }

  /**
   * A model found is remembered until a workspace config changes (invalidate); one not found only within its
   * batch, so the next analysis looks again (a model downloaded meanwhile is found even if no file watcher saw
   * it). Where the lookup asks the hub, a failure is remembered too: an edit elsewhere sends no new request.
   */
  resolve(reference: string, document: vscode.Uri, settings: Settings, listings: Listings = new Map()): Promise<Resolution> {
    const key = JSON.stringify([reference, path.dirname(document.fsPath), settings.allowDownload, settings.maxDocuments]);
    const hit = this.cache.get(key);
    if (hit && (!hit.failed || hit.batch === listings)) return hit.result;
    const asksHub = settings.allowDownload && parseModelReference(reference)?.kind === 'hub';
    const result = this.doResolve(reference, document, settings, listings).catch((e): Resolution => {
      this.log.error(`resolving model "${reference}": ${(e as Error).message}`);
      return { ok: false, reference, tried: [`an error: ${(e as Error).message}`] };
    });
    const entry = { result, batch: listings, failed: false };
    void result.then((r) => { entry.failed = !r.ok && !asksHub; });
    this.cache.set(key, entry);
    return result;
  }

  /** The files beside a config.json (index, quantization configs), and a name hint from its folder. */
  async filesBeside(configUri: vscode.Uri, config: unknown): Promise<ModelFiles> {
    const files: ModelFiles = { config, nameHint: referenceBaseName(path.dirname(configUri.path)) };
    const dir = vscode.Uri.joinPath(configUri, '..');
    // One listing of the folder instead of a stat per sibling (most models have one or two of them).
    const present = await listFolder(dir).then((names) => new Set(names.map((n) => n.toLowerCase())), () => undefined);
    await Promise.all(SIDE_FILES.map(async ({ key, name, parse }) => {
      if (present && !present.has(name)) return;
      const value = await readJson(vscode.Uri.joinPath(dir, name), parse);
      if (value !== undefined) files[key] = value;
    }));
    return files;
  }

  private async doResolve(reference: string, document: vscode.Uri, settings: Settings, listings: Listings): Promise<Resolution> {
    const ref = parseModelReference(reference);
    const tried: string[] = [];
    if (!ref) return { ok: false, reference, tried: ['(empty model name)'] };

    // 1. A path: relative to the document, then to each workspace folder; absolute as is.
    const rel = ref.kind === 'path' ? ref.path : ref.id;
    const bases: vscode.Uri[] = [];
    let absolute: vscode.Uri | undefined;
    if (ref.kind === 'path' && ref.absolute) {
      const p = ref.path.startsWith('~') ? path.join(os.homedir(), ref.path.slice(1)) : ref.path;
      absolute = document.with({ path: p.replace(/\\/g, '/') });
    } else {
      if (document.scheme !== 'untitled') bases.push(vscode.Uri.joinPath(document, '..'));
      for (const f of vscode.workspace.workspaceFolders ?? []) bases.push(f.uri);
    }
    const first = rel.split(/[\\/]/)[0].toLowerCase();
    const candidates = absolute ? [{ uri: absolute, base: undefined }] : bases.map((base) => ({ uri: vscode.Uri.joinPath(base, rel), base }));
    const seen = new Set<string>();
    for (const { uri, base } of candidates) {
      if (seen.has(uri.toString())) continue;
      seen.add(uri.toString());
      // A candidate whose first folder is not in its base cannot exist (case-insensitive: the file system decides).
      const names = base && first && first !== '.' && first !== '..' ? await listing(listings, base) : undefined;
      const found = !names || names.has(first) ? await this.configAt(uri) : undefined;
      if (found) return { ok: true, model: { files: await this.filesBeside(found.uri, found.config), source: ref.kind === 'path' ? 'document' : 'workspace', location: vscode.workspace.asRelativePath(found.uri), uri: found.uri } };
      tried.push(`path ${displayPath(uri)}`);
    }

    // 2. A config.json in the workspace that names this model, or sits in a folder of its name.
    const base = referenceBaseName(ref.kind === 'hub' ? ref.id : ref.path).toLowerCase();
    const wanted = nameKey(ref.kind === 'hub' ? ref.id : ref.path);
    const configs = await this.workspaceConfigs(settings.maxDocuments);
    let byFolder: WorkspaceConfig | undefined;
    for (const c of configs) {
      if (c.nameOrPath && nameKeysMatch(c.nameOrPath, wanted)) {
        return { ok: true, model: { files: await this.filesBeside(c.uri, c.config), source: 'workspace', location: vscode.workspace.asRelativePath(c.uri), uri: c.uri } };
      }
      if (c.folder === base && !byFolder) byFolder = c;
    }
    if (byFolder) {
      return { ok: true, model: { files: await this.filesBeside(byFolder.uri, byFolder.config), source: 'workspace', location: vscode.workspace.asRelativePath(byFolder.uri), uri: byFolder.uri } };
    }
    tried.push(`workspace config.json files (${configs.length}) by _name_or_path and folder name`);

    if (ref.kind === 'hub') {
      // 3. The local Hugging Face cache.
      for (const root of hfCacheRoots(this.env, os.homedir())) {
        const found = await this.fromHfCache(root, ref.id, ref.revision, listings);
        if (found) return { ok: true, model: found };
        tried.push(`HF cache ${path.join(root, hfCacheFolderName(ref.id))}`);
      }
    }

    // 4. The bundled catalog (hub ids; a local path named like a known model also counts).
    const match = matchCatalog(ref.kind === 'hub' ? ref.id : referenceBaseName(ref.path), bundledModels());
    if (match) {
      return { ok: true, model: { files: bundledEntryFiles(match.entry), source: 'bundled', location: `bundled:${match.entry.id}`, note: match.note } };
    }
    tried.push(`the bundled catalog (${bundledModels().length} models)`);

    // 5. The hub, only when allowed.
    if (ref.kind === 'hub') {
      if (settings.allowDownload) {
        const url = hubConfigUrl(this.env.HF_ENDPOINT, ref.id, ref.revision);
        try {
          const config = await this.download(url);
          return { ok: true, model: { files: { config, nameHint: ref.id }, source: 'hub', location: redactUrl(url) } };
        } catch (e) {
          tried.push(`download of ${redactUrl(url)} (${redactUrl((e as Error).message)})`);
        }
      } else {
        tried.push(vscode.workspace.isTrusted
          ? 'no download (inferenceBudget.hub.allowDownload is off)'
          : 'no download (the workspace is not trusted)');
      }
    }
    return { ok: false, reference, tried };
  }

  private async configAt(uri: vscode.Uri): Promise<{ uri: vscode.Uri; config: unknown } | undefined> {
    let stat: FileFacts;
    try { stat = await statFile(uri); } catch { return undefined; }
    const file = stat.isDirectory ? vscode.Uri.joinPath(uri, 'config.json') : uri;
    const config = await readJson(file);
    return config === undefined ? undefined : { uri: file, config };
  }

  /**
   * Reads the workspace's config.json files now (at activation), so the first deployment opened resolves its
   * models from memory instead of waiting for the workspace search. Resolves to the number of configs found.
   */
  async indexWorkspace(maxDocuments: number): Promise<number> {
    return (await this.workspaceConfigs(maxDocuments)).length;
  }

  private workspaceConfigs(maxDocuments: number): Promise<WorkspaceConfig[]> {
    if (!this.workspaceIndex) {
      this.workspaceIndex = Promise.resolve(vscode.workspace.findFiles('**/config.json', '**/{node_modules,.git}/**', maxDocuments))
        .then(async (uris) => {
          const sorted = uris.sort((a, b) => a.path.localeCompare(b.path));
          const read = await Promise.all(sorted.map(async (uri) => ({ uri, config: await readJson(uri) })));
          // Match keys computed once per config, not once per config per model looked up.
          return read.filter((e) => e.config !== undefined).map(({ uri, config }) => ({
            uri, config, nameOrPath: nameOrPathKey(config), folder: referenceBaseName(path.dirname(uri.path)).toLowerCase(),
          }));
        }, () => []);
    }
    return this.workspaceIndex;
  }

  private async fromHfCache(root: string, id: string, revision: string | undefined, listings: Listings): Promise<ResolvedModel | undefined> {
    const folder = hfCacheFolderName(id);
    const present = await listing(listings, vscode.Uri.file(root));
    if (present && !present.has(folder.toLowerCase())) return undefined;
    const repo = path.join(root, folder);
    const snapshots = path.join(repo, 'snapshots');
    let names: string[];
    try { names = await fs.promises.readdir(snapshots); } catch { return undefined; }
    // The revision a ref points at first (refs/main or the requested one), then the newest snapshot.
    const ordered: string[] = [];
    try {
      const refHash = (await fs.promises.readFile(path.join(repo, 'refs', revision ?? 'main'), 'utf8')).trim();
      if (names.includes(refHash)) ordered.push(refHash);
    } catch { /* no ref */ }
    if (revision && names.includes(revision)) ordered.push(revision);
    const stats = await Promise.all(names.map(async (n) => {
      try { return { n, t: (await fs.promises.stat(path.join(snapshots, n))).mtimeMs }; } catch { return { n, t: 0 }; }
    }));
    for (const s of stats.sort((a, b) => b.t - a.t)) if (!ordered.includes(s.n)) ordered.push(s.n);
    for (const n of ordered) {
      const uri = vscode.Uri.file(path.join(snapshots, n, 'config.json'));
      const config = await readJson(uri);
      if (config !== undefined) {
        const files = await this.filesBeside(uri, config);
        files.nameHint = id;
        return { files, source: 'hf-cache', location: uri.fsPath, uri };
      }
    }
    return undefined;
  }

  private download(url: string): Promise<unknown> {
    let p = this.downloaded.get(url);
    if (!p) {
      p = fetchJson(url, this.env.HF_TOKEN || this.env.HUGGING_FACE_HUB_TOKEN || undefined);
      // Failures are not remembered: the next analysis tries again.
      p.catch(() => this.downloaded.delete(url));
      this.downloaded.set(url, p);
      this.log.info(`downloading ${redactUrl(url)}`); // never the token, nor credentials in HF_ENDPOINT
    }
    return p;
  }
}

/** The folder's names in this batch's listings (listed on first use). */
function listing(listings: Listings, folder: vscode.Uri): Promise<Set<string> | undefined> {
  let names = listings.get(folder.toString());
  if (!names) {
    // A missing folder holds nothing (an empty set); one that cannot be listed is looked into path by path.
    names = Promise.resolve().then(() => listFolder(folder)).then((entries) => new Set(entries.map((n) => n.toLowerCase())),
      (e: NodeJS.ErrnoException) => (e?.code === 'ENOENT' || e?.code === 'ENOTDIR' ? new Set<string>() : undefined));
    listings.set(folder.toString(), names);
  }
  return names;
}

function displayPath(uri: vscode.Uri): string {
  return uri.scheme === 'file' ? vscode.workspace.asRelativePath(uri) : uri.toString();
}

/** Reads and parses a JSON file (Python NaN/Infinity accepted); undefined when absent, too large or invalid. */
export async function readJson(uri: vscode.Uri, parse: (text: string) => ParsedJson = parseConfigText): Promise<unknown> {
  try {
    const stat = await statFile(uri);
    if (stat.isDirectory || stat.size > MAX_CONFIG_BYTES) return undefined;
    const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    const text = open ? open.getText() : new TextDecoder().decode(await readFileBytes(uri));
    const parsed = parse(text);
    return parsed.ok && parsed.value && typeof parsed.value === 'object' && !Array.isArray(parsed.value) ? parsed.value : undefined;
  } catch {
    return undefined;
  }
}

/** GET a JSON document over http(s) with an optional bearer token, a size cap and a timeout. */
function fetchJson(url: string, token: string | undefined, redirects = 5): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const get = u.protocol === 'http:' ? http.get : u.protocol === 'https:' ? https.get : undefined;
    if (!get) { reject(new Error(`unsupported protocol ${u.protocol}`)); return; }
    const headers: Record<string, string> = { Accept: 'application/json', 'User-Agent': 'inference-budget-vscode' };
    if (token) headers.Authorization = `Bearer ${token}`;
    const req = get(u, { headers, timeout: DOWNLOAD_TIMEOUT_MS }, (res) => {
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400 && res.headers.location) {
        res.resume();
        if (redirects <= 0) { reject(new Error('too many redirects')); return; }
        // The hub redirects to a CDN for LFS files; config.json is small and usually served directly.
        const next = new URL(res.headers.location, u).toString();
        // The token only goes to the same host.
        fetchJson(next, new URL(next).host === u.host ? token : undefined, redirects - 1).then(resolve, reject);
        return;
      }
      if (status !== 200) { res.resume(); reject(new Error(`HTTP ${status}`)); return; }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_CONFIG_BYTES) { req.destroy(new Error('response too large')); return; }
        chunks.push(c);
      });
      res.on('end', () => {
        const parsed = parseConfigText(Buffer.concat(chunks).toString('utf8'));
        if (parsed.ok && parsed.value && typeof parsed.value === 'object') resolve(parsed.value);
        else reject(new Error('the response is not a JSON object'));
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
  });
}
