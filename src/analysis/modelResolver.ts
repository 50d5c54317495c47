// Finds the config.json (and the files beside it) of the model a deployment names:
//   0. an alias first: `inferenceBudget.models` (settings.models), a budget file's `models:` map, check's --models:
//      an id or glob mapped to a config.json path or to another model id, which is then resolved by the steps below;
//   1. a path relative to the document or a workspace folder (folder or config.json itself);
//   2. a config.json in the workspace whose `_name_or_path` names it, or whose folder has its name;
//   3. the local Hugging Face cache (HF_HUB_CACHE, HF_HOME/hub, ~/.cache/huggingface/hub);
//   4. the bundled catalog (instruct/chat/quantized variants resolve to their base with a note);
//   5. only when the settings allow it and the host can: the hub's config.json (at most MAX_DOWNLOADS_PER_ANALYSIS
//      distinct downloads started per analysis, and an analysis waits for one at most its deadline).
// The order and the caching are here, once, for the editor and the CLI; where files live and how they are read
// is the host's (ResolverHost: VS Code URIs in the editor, paths in the CLI). No vscode import, no network: the
// download is the host's, and only the editor's host has one. The naming rules are in src/core/modelResolution.ts.
import { ParsedJson, parseConfigText } from '../core/configText';
import {
  NameKey, SIDE_FILES, bundledEntryFiles, hfCacheFolderName, hfCacheRoots, hubConfigUrl, matchAlias, matchCatalog, nameKey, similarModels, nameKeysMatch, nameOrPathKey, parseModelReference, redactUrl,
  referenceBaseName,
} from '../core/modelResolution';
import type { ModelFiles } from '../core/types';
import { budgetModelsMap, isBudgetFileName } from '../formats/budget';
import { bundledModels } from './bundledCatalog';
import type { Logger } from './log';
import { modelAliasesOf, ModelAlias, Settings } from './settings';

export interface FileFacts { isDirectory: boolean; size: number; mtimeMs?: number }

/** Where files are and how they are read, for locations of type U (a VS Code URI, a file system path). */
export interface ResolverHost<U> {
  /** A local file system path as a location (the Hugging Face cache). */
  file(fsPath: string): U;
  /** `base` joined with relative segments (`..` allowed). */
  join(base: U, ...segments: string[]): U;
  /** The location of an absolute path written in a document, in that document's scheme. */
  withPath(document: U, absolutePath: string): U;
  /** The path of a location with `/` separators. */
  pathOf(u: U): string;
  /** A stable string for caches and comparisons. */
  key(u: U): string;
  /** A document that is not on disk (nothing beside it). */
  isUntitled(u: U): boolean;
  stat(u: U): Promise<FileFacts>;
  /** Names of a folder's entries; rejects with code ENOENT / ENOTDIR where there is no such folder. */
  list(u: U): Promise<string[]>;
  /** The text of a file (an open document's current text where the host has one). */
  readText(u: U): Promise<string>;
  workspaceFolders(): readonly U[];
  /** The workspace's config.json files, at most `maxDocuments`. */
  findConfigs(maxDocuments: number): PromiseLike<U[]>;
  /** A location for people (workspace-relative where it can be). */
  display(u: U): string;
  homeDir(): string;
  /** Why the hub download setting is not honoured here (an untrusted workspace), if it is not. */
  downloadBlocked?(): string | undefined;
  /**
   * Downloads a hub config.json; absent where the host never uses the network (the CLI without --allow-download).
   * `known(url)`: the URL is downloaded, in flight or remembered as failed (asking again starts no request);
   * `deadlineMs`: the overall deadline of one download (src/analysis/hubFetch.ts's hubDownloader has both).
   */
  download?: ((url: string) => Promise<unknown>) & { known?(url: string): boolean; readonly deadlineMs?: number };
}

/** Limits on what one analysis asks of the hub. */
export interface HubLimits {
  /** Distinct downloads one analysis (one resolveAll batch) starts at most (default MAX_DOWNLOADS_PER_ANALYSIS). */
  maxDownloadsPerAnalysis?: number;
  /**
   * How long one analysis waits for a download in ms (default: the download's own deadline, plus a little so
   * that the download's message wins). A download still running then is "not found" for this analysis and
   * is used by a later one (onLateDownload says when it completes).
   */
  analysisDeadlineMs?: number;
}

/** Distinct hub downloads one document's analysis starts at most. */
export const MAX_DOWNLOADS_PER_ANALYSIS = 8;
/** The download deadline assumed where the host's downloader does not say (hubFetch's DOWNLOAD_DEADLINE_MS). */
const DEFAULT_DOWNLOAD_DEADLINE_MS = 15_000;

export type ModelSource = 'document' | 'workspace' | 'hf-cache' | 'bundled' | 'hub';

export interface ResolvedModel {
  files: ModelFiles;
  source: ModelSource;
  /** Where the config came from, for people (a path, `bundled:<id>`, a URL). */
  location: string;
  /** A caveat: a variant resolved to its base's shapes, ... */
  note?: string;
  /** Set when an alias named the config: the entry's pattern, what it maps to and where it is written. */
  alias?: { pattern: string; target: string; origin: string };
}

export type Resolution =
  | { ok: true; model: ResolvedModel }
  | { ok: false; reference: string; tried: string[] };

/** Largest config.json (or sibling index) read from disk or the network. */
export const MAX_CONFIG_BYTES = 8 * 1024 * 1024;

/**
 * Hub cache folders looked in after the usual ones (HF_HUB_CACHE, HF_HOME/hub, ~/.cache/huggingface/hub), by
 * every resolver of this process: the editor's own cache of configs downloaded by the "Download its config.json"
 * quick fix (src/editor/unknownModel.ts), in the Hub cache layout.
 */
const extraHubCacheRoots: string[] = [];

/** Adds a hub cache folder every resolver of this process looks in (after the usual ones). */
export function addHubCacheRoot(root: string): void {
  if (!extraHubCacheRoots.includes(root)) extraHubCacheRoots.push(root);
}

/**
 * What a failed hub download means for people: a gated or private repository (401/403), no such model (404), no
 * network, a timeout; other failures in their own words. `url` is shown without credentials.
 */
export function hubFailureMessage(id: string, url: string, error: unknown): string {
  const message = redactUrl(error instanceof Error ? error.message : String(error));
  const code = (error as NodeJS.ErrnoException)?.code ?? '';
  const shown = redactUrl(url);
  const status = /^HTTP (\d{3})/.exec(message)?.[1];
  if (status === '401' || status === '403') {
    return `${id} is gated or private on the Hub (HTTP ${status}): accept its license on its model page, then give VS Code or the CLI a Hugging Face access token that can read it (in the environment) and try again`;
  }
  if (status === '404') return `${id} has no config.json on the Hub (HTTP 404 from ${shown}): check the id and revision`;
  if (/timed out/i.test(message)) return `the Hub did not answer in time (${message})`;
  if (/^(ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ENETUNREACH|EHOSTUNREACH|ETIMEDOUT)$/.test(code)
    || /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ENETUNREACH|EHOSTUNREACH|getaddrinfo/.test(message)) {
    return `the Hub cannot be reached from here (offline? ${message}); set HF_ENDPOINT for a mirror, or choose a config.json instead`;
  }
  if (status) return `the Hub answered HTTP ${status} for ${shown}`;
  return message.includes(shown) ? message : `downloading ${shown} failed: ${message}`;
}

/**
 * A workspace config.json, with what lookups compare, and its model files (the side files read on first use, then
 * kept with the index: every reference that lands on this config shares one ModelFiles, and so the engine's
 * per-object memos).
 */
interface WorkspaceConfig<U> { uri: U; config: unknown; nameOrPath?: NameKey; folder: string; files?: Promise<ModelFiles> }

/** The workspace configs, in path order and by location key. */
interface WorkspaceIndex<U> { configs: WorkspaceConfig<U>[]; byKey: Map<string, WorkspaceConfig<U>> }

/**
 * Lower-cased names per folder (undefined when it cannot be listed), shared by the resolutions of one batch.
 * A manifest names dozens of models: one listing answers for all of them where a stat per candidate would ask
 * the file system each time. A new batch lists again, so a model downloaded meanwhile is found.
 */
export type Listings = Map<string, Promise<Set<string> | undefined>>;

export class ModelResolverCore<U> {
  /** Results by reference + context, dropped when workspace config files change. */
  private readonly cache = new Map<string, { result: Promise<Resolution>; batch: Listings; failed: boolean }>();
  /** Every workspace config.json, read once (dropped when one changes): lookups are then in memory. */
  private workspaceIndex: Promise<WorkspaceIndex<U>> | undefined;
  /** The index once read (a path lookup uses it only then: it never waits for the index). */
  private workspaceIndexRead: WorkspaceIndex<U> | undefined;
  /**
   * One ModelFiles per bundled catalog entry, for this resolver's life (the catalog does not change, so
   * invalidate() keeps them): a model resolved again after a workspace change is sized from the engine's memos.
   */
  private readonly bundledFiles = new WeakMap<object, ModelFiles>();
  /** JSON files read in a batch, by parser and location: a file two lookups of one analysis reach is read once. */
  private readonly batchReads = new WeakMap<Listings, Map<(text: string) => ParsedJson, Map<string, Promise<unknown>>>>();
  /** Hub URLs each batch (one analysis) has asked to download. */
  private readonly batchDownloads = new WeakMap<Listings, Set<string>>();
  /** Failures remembered only within their batch (the per-analysis cap, a download that outlived the analysis). */
  private readonly transient = new WeakSet<Resolution>();
  private readonly lateListeners = new Set<() => void>();

  constructor(protected readonly host: ResolverHost<U>, protected readonly log: Logger, protected readonly env: Record<string, string | undefined>,
    protected readonly hubLimits: HubLimits = {}) {}

  /**
   * Called when a download an analysis stopped waiting for completes (successfully or not): an analysis run
   * now resolves differently. The editor's Analyzer is the one to re-analyse (analyzer.invalidateModels()).
   */
  onLateDownload(listener: () => void): { dispose(): void } {
    this.lateListeners.add(listener);
    return { dispose: () => this.lateListeners.delete(listener) };
  }

  /** Forget what was found (a config.json in the workspace was created, changed or deleted). */
  invalidate(): void {
    this.cache.clear();
    this.workspaceIndex = undefined;
    this.workspaceIndexRead = undefined;
  }

  /** Resolutions of several references from one document, started together and sharing folder listings. */
  resolveAll(references: readonly string[], document: U, settings: Settings): Promise<Resolution>[] {
    const listings: Listings = new Map();
    return references.map((r) => this.resolve(r, document, settings, listings));
  }

  /**
   * A model found is remembered until a workspace config changes (invalidate); one not found only within its
   * batch, so the next analysis looks again (a model downloaded meanwhile is found even if no file watcher saw
   * it). Where the lookup asks the hub, a failure is remembered too: an edit elsewhere sends no new request.
   */
  resolve(reference: string, document: U, settings: Settings, listings: Listings = new Map()): Promise<Resolution> {
    // A budget file's own `models:` map (read from its current text) comes first, then the settings' entries.
    if (isBudgetFileName(this.host.pathOf(document)) && !this.host.isUntitled(document)) {
      return this.budgetAliases(document).then((own) => this.resolveWith(reference, document, settings, listings, [...own, ...(settings.models ?? [])]));
    }
    return this.resolveWith(reference, document, settings, listings, settings.models ?? []);
  }

  /** The `models:` map of a budget file (relative paths start at the file's folder). */
  private async budgetAliases(document: U): Promise<ModelAlias[]> {
    let text: string;
    try { text = await this.host.readText(document); } catch { return []; }
    const map = budgetModelsMap(text);
    if (!map) return [];
    const name = this.host.pathOf(document).split('/').pop() ?? 'the budget file';
    return modelAliasesOf(map, `models: in ${name}`, [], this.host.pathOf(this.host.join(document, '..')));
  }

  /**
   * Downloads a model's config.json from the hub (HF_ENDPOINT, with the token hubFetch reads) whatever the download setting says: the
   * caller asked for it (the "Download its config.json" quick fix). Rejects with a message for people
   * (hubFailureMessage) where it fails or where this host has no network.
   */
  async downloadHubConfig(id: string, revision?: string): Promise<{ config: unknown; url: string }> {
    const url = hubConfigUrl(this.env.HF_ENDPOINT, id, revision);
    if (!this.host.download) throw new Error('no download here (no network access in this host)');
    const blocked = this.host.downloadBlocked?.();
    if (blocked) throw new Error(`no download: ${blocked}`);
    try {
      return { config: await this.host.download(url), url };
    } catch (e) {
      throw new Error(hubFailureMessage(id, url, e));
    }
  }

  private resolveWith(reference: string, document: U, settings: Settings, listings: Listings, aliases: readonly ModelAlias[]): Promise<Resolution> {
    const key = JSON.stringify([reference, this.host.key(this.host.join(document, '..')), settings.allowDownload, settings.maxDocuments,
      aliases.map((a) => [a.pattern, a.target, a.origin, a.baseDir])]);
    const hit = this.cache.get(key);
    if (hit && (!hit.failed || hit.batch === listings)) return hit.result;
    const asksHub = settings.allowDownload && !!this.host.download && parseModelReference(reference)?.kind === 'hub';
    const result = this.aliasedResolve(reference, document, settings, listings, aliases).catch((e): Resolution => {
      this.log.error(`resolving model "${reference}": ${(e as Error).message}`);
      return { ok: false, reference, tried: [`an error: ${(e as Error).message}`] };
    });
    const entry = { result, batch: listings, failed: false };
    void result.then((r) => { entry.failed = !r.ok && (!asksHub || this.transient.has(r)); });
    this.cache.set(key, entry);
    return result;
  }

  /**
   * The files beside a config.json (index, quantization configs), and a name hint from its folder. Within a batch
   * (`listings`), the folder's listing and the files read are shared with the batch's other lookups.
   */
  async filesBeside(configUri: U, config: unknown, listings?: Listings): Promise<ModelFiles> {
    const files: ModelFiles = { config, nameHint: referenceBaseName(posixDirname(this.host.pathOf(configUri))) };
    const dir = this.host.join(configUri, '..');
    // One listing of the folder instead of a stat per sibling (most models have one or two of them).
    const present = listings ? await this.listing(listings, dir)
      : await this.host.list(dir).then((names) => new Set(names.map((n) => n.toLowerCase())), () => undefined);
    await Promise.all(SIDE_FILES.map(async ({ key, name, parse }) => {
      if (present && !present.has(name)) return;
      const uri = this.host.join(dir, name);
      const value = await (listings ? this.readJsonIn(listings, uri, parse) : this.readJson(uri, parse));
      if (value !== undefined) files[key] = value;
    }));
    return files;
  }

  /** A workspace config's model files, read on the first lookup that lands on it and kept with the index. */
  private workspaceFiles(c: WorkspaceConfig<U>, listings: Listings): Promise<ModelFiles> {
    c.files ??= this.filesBeside(c.uri, c.config, listings);
    return c.files;
  }

  /** readJson, once per location, parser and batch (a checkpoint index is reduced to its metadata, a config kept whole). */
  private readJsonIn(listings: Listings, uri: U, parse: (text: string) => ParsedJson = parseConfigText): Promise<unknown> {
    let byParser = this.batchReads.get(listings);
    if (!byParser) this.batchReads.set(listings, byParser = new Map());
    let reads = byParser.get(parse);
    if (!reads) byParser.set(parse, reads = new Map());
    const key = this.host.key(uri);
    let read = reads.get(key);
    if (!read) reads.set(key, read = this.readJson(uri, parse));
    return read;
  }

  /**
   * Reads the workspace's config.json files now (at activation), so the first deployment opened resolves its
   * models from memory instead of waiting for the workspace search. Resolves to the number of configs found.
   */
  async indexWorkspace(maxDocuments: number): Promise<number> {
    return (await this.workspaceConfigs(maxDocuments)).configs.length;
  }

  /** Reads and parses a JSON file (Python NaN/Infinity accepted); undefined when absent, too large or invalid. */
  async readJson(uri: U, parse: (text: string) => ParsedJson = parseConfigText): Promise<unknown> {
    try {
      const stat = await this.host.stat(uri);
      if (stat.isDirectory || stat.size > MAX_CONFIG_BYTES) return undefined;
      const parsed = parse(await this.host.readText(uri));
      return parsed.ok && parsed.value && typeof parsed.value === 'object' && !Array.isArray(parsed.value) ? parsed.value : undefined;
    } catch {
      return undefined;
    }
  }

  /** 0. An alias: its path target read as a config.json, or its model id resolved by the other steps. */
  private async aliasedResolve(reference: string, document: U, settings: Settings, listings: Listings, aliases: readonly ModelAlias[]): Promise<Resolution> {
    const alias = matchAlias(reference, aliases);
    if (!alias) return this.doResolve(reference, document, settings, listings);
    const info = { pattern: alias.pattern, target: alias.target, origin: alias.origin };
    const host = this.host;
    const target = parseModelReference(alias.target);
    const looksLikePath = target?.kind === 'path' && (target.absolute || /^\.\.?[\\/]/.test(alias.target) || /config\.json$/i.test(alias.target) || alias.target.includes('/') || alias.target.includes('\\'));
    if (target && looksLikePath && target.kind === 'path') {
      const candidates: U[] = [];
      if (target.absolute) {
        const p = target.path.startsWith('~') ? joinPosix(host.homeDir(), target.path.slice(1)) : target.path;
        candidates.push(host.withPath(document, p.replace(/\\/g, '/')));
      } else if (alias.baseDir) {
        candidates.push(host.join(host.withPath(document, alias.baseDir), target.path));
      } else {
        for (const folder of host.workspaceFolders()) candidates.push(host.join(folder, target.path));
      }
      for (const uri of candidates) {
        const found = await this.configAt(uri, listings);
        if (found) {
          const files = await this.filesOfFound(found, listings);
          return { ok: true, model: { files, source: 'document', location: host.display(found.uri), alias: info } };
        }
      }
      const where = candidates.length ? candidates.map((u) => host.display(u)).join(', ') : `${alias.target} (no workspace folder to start from)`;
      return { ok: false, reference, tried: [`${alias.origin} maps "${alias.pattern}" to ${alias.target}, but no config.json is there (${where})`] };
    }
    // A model id: looked up by the usual steps (never through another alias: no loops).
    const inner = await this.doResolve(alias.target, document, settings, listings);
    if (inner.ok) return { ok: true, model: { ...inner.model, alias: info } };
    return { ok: false, reference, tried: [`${alias.origin} maps "${alias.pattern}" to ${alias.target}, which is not found (tried: ${inner.tried.join('; ')})`] };
  }

  private async doResolve(reference: string, document: U, settings: Settings, listings: Listings): Promise<Resolution> {
    const host = this.host;
    const ref = parseModelReference(reference);
    const tried: string[] = [];
    if (!ref) return { ok: false, reference, tried: ['(empty model name)'] };

    // 1. A path: relative to the document, then to each workspace folder; absolute as is.
    const rel = ref.kind === 'path' ? ref.path : ref.id;
    const bases: U[] = [];
    let absolute: U | undefined;
    if (ref.kind === 'path' && ref.absolute) {
      const p = ref.path.startsWith('~') ? joinPosix(host.homeDir(), ref.path.slice(1)) : ref.path;
      absolute = host.withPath(document, p.replace(/\\/g, '/'));
    } else {
      if (!host.isUntitled(document)) bases.push(host.join(document, '..'));
      bases.push(...host.workspaceFolders());
    }
    const first = rel.split(/[\\/]/)[0].toLowerCase();
    const candidates = absolute ? [{ uri: absolute, base: undefined }] : bases.map((base) => ({ uri: host.join(base, rel), base }));
    const seen = new Set<string>();
    for (const { uri, base } of candidates) {
      const key = host.key(uri);
      if (seen.has(key)) continue;
      seen.add(key);
      // A candidate whose first folder is not in its base cannot exist (case-insensitive: the file system decides).
      const names = base && first && first !== '.' && first !== '..' ? await this.listing(listings, base) : undefined;
      const found = !names || names.has(first) ? await this.configAt(uri, listings) : undefined;
      if (found) return { ok: true, model: { files: await this.filesOfFound(found, listings), source: ref.kind === 'path' ? 'document' : 'workspace', location: host.display(found.uri) } };
      tried.push(`path ${host.display(uri)}`);
    }

    // 2. A config.json in the workspace that names this model, or sits in a folder of its name.
    const base = referenceBaseName(ref.kind === 'hub' ? ref.id : ref.path).toLowerCase();
    const wanted = nameKey(ref.kind === 'hub' ? ref.id : ref.path);
    const { configs } = await this.workspaceConfigs(settings.maxDocuments);
    let byFolder: WorkspaceConfig<U> | undefined;
    for (const c of configs) {
      if (c.nameOrPath && nameKeysMatch(c.nameOrPath, wanted)) {
        return { ok: true, model: { files: await this.workspaceFiles(c, listings), source: 'workspace', location: host.display(c.uri) } };
      }
      if (c.folder === base && !byFolder) byFolder = c;
    }
    if (byFolder) {
      return { ok: true, model: { files: await this.workspaceFiles(byFolder, listings), source: 'workspace', location: host.display(byFolder.uri) } };
    }
    tried.push(`workspace config.json files (${configs.length}) by _name_or_path and folder name`);

    if (ref.kind === 'hub') {
      // 3. The local Hugging Face cache.
      for (const root of hfCacheRoots(this.env, host.homeDir())) {
        const found = await this.fromHfCache(root, ref.id, ref.revision, listings);
        if (found) return { ok: true, model: found };
        tried.push(`HF cache ${joinPosix(root, hfCacheFolderName(ref.id))}`);
      }
      // The editor's own download cache: searched always, named among what was tried only once it exists (the
      // same message as check's until something was downloaded).
      for (const root of extraHubCacheRoots) {
        const found = await this.fromHfCache(root, ref.id, ref.revision, listings);
        if (found) return { ok: true, model: found };
        if (await host.stat(host.file(root)).then(() => true, () => false)) tried.push(`downloaded configs ${joinPosix(root, hfCacheFolderName(ref.id))}`);
      }
    }

    // 4. The bundled catalog (hub ids; a local path named like a known model also counts).
    const match = matchCatalog(ref.kind === 'hub' ? ref.id : referenceBaseName(ref.path), bundledModels());
    if (match) {
      let files = this.bundledFiles.get(match.entry);
      if (!files) this.bundledFiles.set(match.entry, files = bundledEntryFiles(match.entry));
      return { ok: true, model: { files, source: 'bundled', location: `bundled:${match.entry.id}`, note: match.note } };
    }
    tried.push(`the bundled catalog (${bundledModels().length} models)`);
    // The nearest bundled models of the same family and size: what "Size it as a similar model…" offers first.
    const nearest = similarModels(ref.kind === 'hub' ? ref.id : referenceBaseName(ref.path), bundledModels(), 3);
    if (nearest.length) tried.push(`nearest bundled models: ${nearest.map((m) => m.entry.id).join(', ')}`);

    // 5. The hub, only when allowed and the host downloads at all.
    if (ref.kind === 'hub') {
      const blocked = host.downloadBlocked?.();
      if (settings.allowDownload && host.download) {
        const url = hubConfigUrl(this.env.HF_ENDPOINT, ref.id, ref.revision);
        const shown = redactUrl(url);
        // The per-analysis cap: URLs already downloaded or in flight start nothing and are not counted.
        let started = this.batchDownloads.get(listings);
        if (!started) this.batchDownloads.set(listings, started = new Set());
        const max = Math.max(0, this.hubLimits.maxDownloadsPerAnalysis ?? MAX_DOWNLOADS_PER_ANALYSIS);
        if (!started.has(url) && !host.download.known?.(url)) {
          if (started.size >= max) {
            tried.push(`not downloaded: more than ${max} models in this document need the Hub; open them one at a time or add their configs to the workspace`);
            return this.transientFailure({ ok: false, reference, tried });
          }
          started.add(url);
        }
        const outcome = await this.withinDeadline(host.download(url), host.download.deadlineMs);
        if (outcome.state === 'ok') {
          return { ok: true, model: { files: { config: outcome.value, nameHint: ref.id }, source: 'hub', location: shown } };
        }
        if (outcome.state === 'late') {
          tried.push(`not found yet: the download of ${shown} is still running after ${Number((outcome.waitedMs / 1000).toFixed(1))} s (a later analysis uses it)`);
          return this.transientFailure({ ok: false, reference, tried });
        }
        const message = redactUrl(outcome.error.message);
        tried.push(message.includes(shown) ? message : `download of ${shown} (${message})`);
      } else {
        tried.push(blocked ? `no download (${blocked})`
          : !settings.allowDownload ? 'no download (inferenceBudget.hub.allowDownload is off)' : 'no download (no network here)');
      }
    }
    return { ok: false, reference, tried };
  }

  private transientFailure(r: Resolution): Resolution {
    this.transient.add(r);
    return r;
  }

  /** A download's outcome, or 'late' once the analysis has waited its deadline (the download goes on). */
  private withinDeadline(download: Promise<unknown>, downloadDeadlineMs: number | undefined): Promise<
    { state: 'ok'; value: unknown } | { state: 'failed'; error: Error } | { state: 'late'; waitedMs: number }> {
    const waitMs = this.hubLimits.analysisDeadlineMs ?? (downloadDeadlineMs ?? DEFAULT_DOWNLOAD_DEADLINE_MS) + 250;
    let late = false;
    return new Promise((resolve) => {
      const timer = setTimeout(() => { late = true; resolve({ state: 'late', waitedMs: waitMs }); }, waitMs);
      download.then(
        (value) => { clearTimeout(timer); if (late) this.lateDone(); else resolve({ state: 'ok', value }); },
        (e: unknown) => { clearTimeout(timer); if (late) this.lateDone(); else resolve({ state: 'failed', error: e instanceof Error ? e : new Error(String(e)) }); },
      );
    });
  }

  private lateDone(): void {
    for (const listener of [...this.lateListeners]) {
      try { listener(); } catch (e) { this.log.error(`after a download: ${(e as Error).message}`); }
    }
  }

  /**
   * The config.json at a path (a folder's, or the file itself). One the workspace index has read comes from it,
   * parsed once, with its model files shared.
   */
  private async configAt(uri: U, listings: Listings): Promise<{ uri: U; config: unknown; indexed?: WorkspaceConfig<U> } | undefined> {
    let stat: FileFacts;
    try { stat = await this.host.stat(uri); } catch { return undefined; }
    const file = stat.isDirectory ? this.host.join(uri, 'config.json') : uri;
    const indexed = this.workspaceIndexRead?.byKey.get(this.host.key(file));
    if (indexed) return { uri: indexed.uri, config: indexed.config, indexed };
    const config = await this.readJsonIn(listings, file);
    return config === undefined ? undefined : { uri: file, config };
  }

  private filesOfFound(found: { uri: U; config: unknown; indexed?: WorkspaceConfig<U> }, listings: Listings): Promise<ModelFiles> {
    return found.indexed ? this.workspaceFiles(found.indexed, listings) : this.filesBeside(found.uri, found.config, listings);
  }

  private workspaceConfigs(maxDocuments: number): Promise<WorkspaceIndex<U>> {
    if (!this.workspaceIndex) {
      const index: Promise<WorkspaceIndex<U>> = Promise.resolve(this.host.findConfigs(maxDocuments))
        .then(async (uris) => {
          const sorted = uris.sort((a, b) => this.host.pathOf(a).localeCompare(this.host.pathOf(b)));
          const read = await Promise.all(sorted.map(async (uri) => ({ uri, config: await this.readJson(uri) })));
          // Match keys computed once per config, not once per config per model looked up.
          const configs: WorkspaceConfig<U>[] = read.filter((e) => e.config !== undefined).map(({ uri, config }) => ({
            uri, config, nameOrPath: nameOrPathKey(config), folder: referenceBaseName(posixDirname(this.host.pathOf(uri))).toLowerCase(),
          }));
          return { configs, byKey: new Map(configs.map((c) => [this.host.key(c.uri), c])) };
        }, () => ({ configs: [], byKey: new Map() }));
      this.workspaceIndex = index;
      // Unless invalidate() dropped it meanwhile.
      void index.then((read) => { if (this.workspaceIndex === index) this.workspaceIndexRead = read; });
    }
    return this.workspaceIndex;
  }

  private async fromHfCache(root: string, id: string, revision: string | undefined, listings: Listings): Promise<ResolvedModel | undefined> {
    const host = this.host;
    const folder = hfCacheFolderName(id);
    const present = await this.listing(listings, host.file(root));
    if (present && !present.has(folder.toLowerCase())) return undefined;
    const repo = host.join(host.file(root), folder);
    const snapshots = host.join(repo, 'snapshots');
    let names: string[];
    try { names = await host.list(snapshots); } catch { return undefined; }
    // The revision a ref points at first (refs/main or the requested one), then the newest snapshot.
    const ordered: string[] = [];
    try {
      const refHash = (await host.readText(host.join(repo, 'refs', revision ?? 'main'))).trim();
      if (names.includes(refHash)) ordered.push(refHash);
    } catch { /* no ref */ }
    if (revision && names.includes(revision)) ordered.push(revision);
    const stats = await Promise.all(names.map(async (n) => {
      try { return { n, t: (await host.stat(host.join(snapshots, n))).mtimeMs ?? 0 }; } catch { return { n, t: 0 }; }
    }));
    for (const s of stats.sort((a, b) => b.t - a.t)) if (!ordered.includes(s.n)) ordered.push(s.n);
    for (const n of ordered) {
      const uri = host.join(snapshots, n, 'config.json');
      const config = await this.readJsonIn(listings, uri);
      if (config !== undefined) {
        const files = await this.filesBeside(uri, config, listings);
        files.nameHint = id;
        return { files, source: 'hf-cache', location: host.display(uri) };
      }
    }
    return undefined;
  }

  /** The folder's names in this batch's listings (listed on first use). */
  private listing(listings: Listings, folder: U): Promise<Set<string> | undefined> {
    const key = this.host.key(folder);
    let names = listings.get(key);
    if (!names) {
      // A missing folder holds nothing (an empty set); one that cannot be listed is looked into path by path.
      names = Promise.resolve().then(() => this.host.list(folder)).then((entries) => new Set(entries.map((n) => n.toLowerCase())),
        (e: NodeJS.ErrnoException) => (e?.code === 'ENOENT' || e?.code === 'ENOTDIR' ? new Set<string>() : undefined));
      listings.set(key, names);
    }
    return names;
  }
}

function posixDirname(p: string): string {
  const trimmed = p.replace(/\/+$/, '');
  const i = trimmed.lastIndexOf('/');
  return i > 0 ? trimmed.slice(0, i) : i === 0 ? '/' : '.';
}

function joinPosix(a: string, b: string): string {
  return `${a.replace(/[\\/]+$/, '')}/${b.replace(/^[\\/]+/, '')}`;
}
