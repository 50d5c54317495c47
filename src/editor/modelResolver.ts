// The model resolver of the editor: the lookup order and caching of src/analysis/modelResolver.ts over VS Code
// URIs (the workspace's folders and file search, open documents' text, virtual file systems), plus the one
// network access of the extension: the hub download, only with `inferenceBudget.hub.allowDownload` in a trusted
// workspace.
import * as http from 'http';
import * as https from 'https';
import * as os from 'os';
import * as vscode from 'vscode';
import { ModelResolverCore, ResolverHost } from '../analysis/modelResolver';
import { parseConfigText } from '../core/configText';
import { redactUrl } from '../core/modelResolution';
import { listFolder, readFileBytes, statFile } from './files';
import type { Logger } from './log';

export type { ModelSource, ResolvedModel, Resolution } from '../analysis/modelResolver';

/** Largest config.json downloaded. */
const MAX_DOWNLOAD_BYTES = 8 * 1024 * 1024;
const DOWNLOAD_TIMEOUT_MS = 10_000;

export class ModelResolver extends ModelResolverCore<vscode.Uri> {
  constructor(log: Logger, env: NodeJS.ProcessEnv = process.env) {
    super(vscodeHost(log, env), log, env);
  }
}

/** Locations are VS Code URIs: file: ones read with Node's fs (files.ts), others through workspace.fs. */
function vscodeHost(log: Logger, env: NodeJS.ProcessEnv): ResolverHost<vscode.Uri> {
  // Downloaded configs by URL (kept across invalidations: the hub's config does not change under us).
  const downloaded = new Map<string, Promise<unknown>>();
  return {
    file: (p) => vscode.Uri.file(p),
    join: (base, ...segments) => vscode.Uri.joinPath(base, ...segments),
    withPath: (document, p) => document.with({ path: p }),
    pathOf: (u) => u.path,
    key: (u) => u.toString(),
    isUntitled: (u) => u.scheme === 'untitled',
    stat: statFile,
    list: listFolder,
    readText: async (uri) => {
      const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
      return open ? open.getText() : new TextDecoder().decode(await readFileBytes(uri));
    },
    workspaceFolders: () => (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri),
    findConfigs: (max) => vscode.workspace.findFiles('**/config.json', '**/{node_modules,.git}/**', max),
    display: (uri) => (uri.scheme === 'file' ? vscode.workspace.asRelativePath(uri) : uri.toString()),
    homeDir: () => os.homedir(),
    downloadBlocked: () => (vscode.workspace.isTrusted ? undefined : 'the workspace is not trusted'),
    download: (url) => {
      let p = downloaded.get(url);
      if (!p) {
        p = fetchJson(url, env.HF_TOKEN || env.HUGGING_FACE_HUB_TOKEN || undefined);
        // Failures are not remembered: the next analysis tries again.
        p.catch(() => downloaded.delete(url));
        downloaded.set(url, p);
        log.info(`downloading ${redactUrl(url)}`); // never the token, nor credentials in HF_ENDPOINT
      }
      return p;
    },
  };
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
        if (size > MAX_DOWNLOAD_BYTES) { req.destroy(new Error('response too large')); return; }
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
