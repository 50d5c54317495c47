// The one network access of the extension and the CLI: a hub config.json, fetched only where the user allowed
// it (the editor's inferenceBudget.hub.allowDownload in a trusted workspace, the CLI's --allow-download).
// Node's http(s) only: no vscode import.
import * as http from 'http';
import * as https from 'https';
import { parseConfigText } from '../core/configText';
import { redactUrl } from '../core/modelResolution';
import type { Logger } from './log';

/** Largest config.json downloaded. */
const MAX_DOWNLOAD_BYTES = 8 * 1024 * 1024;
const DOWNLOAD_TIMEOUT_MS = 10_000;

/** The environment the hub download reads, for usage texts (the token's name is spelled here only). */
export const HUB_ENVIRONMENT = 'HF_ENDPOINT, default https://huggingface.co; HF_TOKEN or HUGGING_FACE_HUB_TOKEN sent as a bearer token';

/** The hub token huggingface_hub reads (HF_TOKEN, then the older HUGGING_FACE_HUB_TOKEN); undefined when unset or empty. */
export function hubToken(env: Record<string, string | undefined>): string | undefined {
  return env.HF_TOKEN || env.HUGGING_FACE_HUB_TOKEN || undefined;
}

/**
 * A download function for ResolverHost.download: configs by URL, fetched once (the hub's config does not change
 * under us), failures not remembered (the next try asks again). Logs the URL, never the token.
 */
export function hubDownloader(env: Record<string, string | undefined>, log: Logger, userAgent = 'inference-budget-vscode'): (url: string) => Promise<unknown> {
  const downloaded = new Map<string, Promise<unknown>>();
  return (url) => {
    let p = downloaded.get(url);
    if (!p) {
      p = fetchJson(url, hubToken(env), 5, userAgent);
      p.catch(() => downloaded.delete(url));
      downloaded.set(url, p);
      log.info(`downloading ${redactUrl(url)}`); // never the token, nor credentials in HF_ENDPOINT
    }
    return p;
  };
}

/** GET a JSON document over http(s) with an optional bearer token, a size cap and a timeout. */
export function fetchJson(url: string, token: string | undefined, redirects = 5, userAgent = 'inference-budget-vscode'): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const get = u.protocol === 'http:' ? http.get : u.protocol === 'https:' ? https.get : undefined;
    if (!get) { reject(new Error(`unsupported protocol ${u.protocol}`)); return; }
    const headers: Record<string, string> = { Accept: 'application/json', 'User-Agent': userAgent };
    if (token) headers.Authorization = `Bearer ${token}`;
    const req = get(u, { headers, timeout: DOWNLOAD_TIMEOUT_MS }, (res) => {
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400 && res.headers.location) {
        res.resume();
        if (redirects <= 0) { reject(new Error('too many redirects')); return; }
        // The hub redirects to a CDN for LFS files; config.json is small and usually served directly.
        const next = new URL(res.headers.location, u).toString();
        // The token only goes to the same host.
        fetchJson(next, new URL(next).host === u.host ? token : undefined, redirects - 1, userAgent).then(resolve, reject);
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
