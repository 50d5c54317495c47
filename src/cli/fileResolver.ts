// The model resolver of the CLI: the lookup order and caching the editor uses (src/analysis/modelResolver.ts)
// over plain file system paths. The workspace is the folders given (none by default in scripts). The network is
// used only where the caller asks (the config command's --allow-download): `check` never downloads.
import { readRegularFile } from '../analysis/boundedRead';
import { MAX_CONFIG_BYTES } from './modelFiles';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { hubDownloader, HubOptions } from '../analysis/hubFetch';
import { ModelResolverCore, ResolverHost } from '../analysis/modelResolver';
import type { Logger } from '../analysis/log';

export interface FileResolverOptions {
  /** Workspace folders searched for config.json files (absolute or relative to the current directory). */
  workspaceFolders?: readonly string[];
  /** Environment read for the Hugging Face cache (HF_HUB_CACHE, HF_HOME, XDG_CACHE_HOME). */
  env?: Record<string, string | undefined>;
  /** Home folder (~ in model paths, ~/.cache/huggingface/hub). */
  homeDir?: string;
  /** Fetch hub configs (HF_ENDPOINT, HF_TOKEN from `env`) when the settings allow downloads; off by default. */
  allowDownload?: boolean;
  /** The download's deadline, byte cap and concurrency, and the per-analysis cap and wait (defaults in hubFetch.ts). */
  hub?: HubOptions;
}

/** Folders never searched for config.json files (the editor's findFiles exclude). */
const SKIPPED_FOLDERS = new Set(['node_modules', '.git']);

export class FileModelResolver extends ModelResolverCore<string> {
  constructor(log: Logger, options: FileResolverOptions = {}) {
    const env = options.env ?? process.env;
    const folders = (options.workspaceFolders ?? []).map((f) => path.resolve(f));
    const host = fileHost(folders, options.homeDir ?? os.homedir());
    if (options.allowDownload) host.download = hubDownloader(env, log, 'inference-budget-cli', options.hub);
    super(host, log, env, options.hub);
  }
}

function fileHost(folders: readonly string[], homeDir: string): ResolverHost<string> {
  return {
    file: (p) => path.resolve(p),
    join: (base, ...segments) => path.join(base, ...segments),
    withPath: (_document, p) => path.resolve(p),
    pathOf: (p) => p.split(path.sep).join('/'),
    key: (p) => p,
    isUntitled: () => false,
    stat: async (p) => {
      const st = await fs.promises.stat(p);
      return { isDirectory: st.isDirectory(), size: st.size, mtimeMs: st.mtimeMs };
    },
    list: (p) => fs.promises.readdir(p),
    readText: async (p) => (await readRegularFile(p, MAX_CONFIG_BYTES)).toString('utf8'),
    workspaceFolders: () => folders,
    findConfigs: (max) => findConfigFiles(folders, max),
    display: (p) => displayPath(folders, p),
    homeDir: () => homeDir,
  };
}

/** Relative to the workspace folder holding it, as VS Code's asRelativePath; else the absolute path. */
function displayPath(folders: readonly string[], p: string): string {
  for (const f of folders) {
    const rel = path.relative(f, p);
    if (rel && !rel.startsWith('..') && !path.isAbsolute(rel)) return rel.split(path.sep).join('/');
  }
  return p;
}

/** The config.json files under the folders, breadth first, at most `max`. */
async function findConfigFiles(folders: readonly string[], max: number): Promise<string[]> {
  const out: string[] = [];
  const queue = [...folders];
  while (queue.length && out.length < max) {
    const dir = queue.shift()!;
    let entries: fs.Dirent[];
    try { entries = await fs.promises.readdir(dir, { withFileTypes: true }); } catch { continue; }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) { if (!SKIPPED_FOLDERS.has(e.name)) queue.push(p); } else if (e.name === 'config.json' && out.length < max) out.push(p);
    }
  }
  return out;
}
