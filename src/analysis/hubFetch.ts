// The one network access of the extension and the CLI: a hub config.json, fetched only where the user allowed
// it (the editor's inferenceBudget.hub.allowDownload in a trusted workspace, the CLI's --allow-download).
// Node's http(s) only: no vscode import.
//
// Limits (issue 11): every download has an overall deadline (headers and body, redirects included: not only an
// idle timeout, which a server sending one byte every few seconds never trips), a byte cap enforced while the
// body streams (and from Content-Length before it does), at most a few requests in flight at once, one request
// per URL while it is in flight (callers share it), and a failure remembered for a while so that later
// analyses do not ask again. The per-analysis cap on how many downloads one document starts is the resolver's
// (src/analysis/modelResolver.ts), which also bounds how long an analysis waits.
import * as http from 'http';
import * as https from 'https';
import { parseConfigText } from '../core/configText';
import { redactUrl } from '../core/modelResolution';
import type { Logger } from './log';
import { type HubLimits, MAX_CONFIG_BYTES } from './modelResolver';

/** The whole response (headers + body, through redirects) within this, else the download fails. */
export const DOWNLOAD_DEADLINE_MS = 15_000;
/** Downloads in flight at once per downloader; the others wait their turn (their deadline starts when they do). */
export const MAX_CONCURRENT_DOWNLOADS = 4;
/** How long a failed download is remembered (not asked again) by the downloader. */
export const FAILURE_MEMORY_MS = 5 * 60_000;

/** The environment the hub download reads, for usage texts (the token's name is spelled here only). */
export const HUB_ENVIRONMENT = 'HF_ENDPOINT, default https://huggingface.co; HF_TOKEN or HUGGING_FACE_HUB_TOKEN sent as a bearer token';

/** The hub token huggingface_hub reads (HF_TOKEN, then the older HUGGING_FACE_HUB_TOKEN); undefined when unset or empty. */
export function hubToken(env: Record<string, string | undefined>): string | undefined {
  return env.HF_TOKEN || env.HUGGING_FACE_HUB_TOKEN || undefined;
}

export interface FetchOptions {
  /** Redirects followed at most (default 5). */
  redirects?: number;
  userAgent?: string;
  /** Overall deadline for the whole response in ms (default DOWNLOAD_DEADLINE_MS). */
  deadlineMs?: number;
  /** Largest body accepted in bytes (default MAX_CONFIG_BYTES). */
  maxBytes?: number;
}

export interface DownloaderOptions extends Omit<FetchOptions, 'redirects'> {
  /** Downloads in flight at once (default MAX_CONCURRENT_DOWNLOADS). */
  concurrency?: number;
  /** How long a failure is remembered in ms (default FAILURE_MEMORY_MS; 0: not remembered). */
  failureMemoryMs?: number;
}

/** The hub's limits as hosts take them: the downloader's (deadline, cap, concurrency) and the resolver's (per analysis). */
export type HubOptions = DownloaderOptions & HubLimits;

/** A download function for ResolverHost.download, with what the resolver asks of it. */
export interface HubDownloader {
  (url: string): Promise<unknown>;
  /** Whether the URL is downloaded, being downloaded, or remembered as failed (asking again starts nothing new). */
  known(url: string): boolean;
  /** The overall deadline of one download in ms. */
  readonly deadlineMs: number;
}

/**
 * A download function for ResolverHost.download: configs by URL, fetched once (the hub's config does not change
 * under us), a URL in flight shared by every caller, failures remembered for `failureMemoryMs`, at most
 * `concurrency` requests at once. Logs the URL, never the token.
 */
export function hubDownloader(env: Record<string, string | undefined>, log: Logger, userAgent = 'inference-budget-vscode', options: DownloaderOptions = {}): HubDownloader {
  const deadlineMs = options.deadlineMs ?? DOWNLOAD_DEADLINE_MS;
  const failureMemoryMs = options.failureMemoryMs ?? FAILURE_MEMORY_MS;
  const limit = limiter(Math.max(1, options.concurrency ?? MAX_CONCURRENT_DOWNLOADS));
  const downloaded = new Map<string, { result: Promise<unknown>; failedAt?: number }>();
  const current = (url: string) => {
    const entry = downloaded.get(url);
    if (entry?.failedAt !== undefined && Date.now() - entry.failedAt >= failureMemoryMs) { downloaded.delete(url); return undefined; }
    return entry;
  };
  const download = ((url: string) => {
    const hit = current(url);
    if (hit) return hit.result;
    const entry: { result: Promise<unknown>; failedAt?: number } = {
      result: limit(() => {
        log.info(`downloading ${redactUrl(url)}`); // never the token, nor credentials in HF_ENDPOINT
        return fetchJson(url, hubToken(env), { userAgent, deadlineMs, maxBytes: options.maxBytes });
      }),
    };
    entry.result.catch(() => {
      if (failureMemoryMs > 0) entry.failedAt = Date.now();
      else if (downloaded.get(url) === entry) downloaded.delete(url);
    });
    downloaded.set(url, entry);
    return entry.result;
  }) as HubDownloader;
  download.known = (url) => current(url) !== undefined;
  (download as { deadlineMs: number }).deadlineMs = deadlineMs;
  return download;
}

/** Runs at most `n` tasks at once, in the order asked. */
function limiter(n: number): <T>(task: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: (() => void)[] = [];
  const next = () => {
    if (running >= n || !waiting.length) return;
    running++;
    waiting.shift()!();
  };
  return (task) => new Promise((resolve, reject) => {
    waiting.push(() => {
      let p: Promise<never>;
      try { p = task() as Promise<never>; } catch (e) { p = Promise.reject(e); }
      p.then(resolve, reject).finally(() => { running--; next(); });
    });
    next();
  });
}

/** "15 s", "1.5 s", "200 ms". */
function seconds(ms: number): string {
  return ms >= 1000 ? `${Number((ms / 1000).toFixed(1))} s` : `${Math.round(ms)} ms`;
}

/** "8 MiB", "512 KiB", "100 bytes". */
function bytes(n: number): string {
  return n >= 1024 * 1024 ? `${Number((n / 1024 / 1024).toFixed(1))} MiB` : n >= 1024 ? `${Number((n / 1024).toFixed(1))} KiB` : `${n} bytes`;
}

/**
 * GET a JSON document over http(s) with an optional bearer token (only in the Authorization header, and only to
 * the first host), a byte cap enforced while reading, and an overall deadline for the whole response. Error
 * messages name the URL without credentials, never the token.
 */
export function fetchJson(url: string, token: string | undefined, options: FetchOptions = {}): Promise<unknown> {
  const deadlineMs = options.deadlineMs ?? DOWNLOAD_DEADLINE_MS;
  const maxBytes = options.maxBytes ?? MAX_CONFIG_BYTES;
  const userAgent = options.userAgent ?? 'inference-budget-vscode';
  const shown = redactUrl(url);
  return new Promise((resolve, reject) => {
    let current: http.ClientRequest | undefined;
    let settled = false;
    const finish = (e: Error | undefined, value?: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (e) reject(e); else resolve(value);
    };
    const timer = setTimeout(() => {
      const e = new Error(`timed out after ${seconds(deadlineMs)} downloading ${shown}`);
      current?.destroy(e);
      finish(e);
    }, deadlineMs);
    const get = (target: string, bearer: string | undefined, redirects: number) => {
      let u: URL;
      try { u = new URL(target); } catch { finish(new Error(`invalid URL ${redactUrl(target)}`)); return; }
      const getter = u.protocol === 'http:' ? http.get : u.protocol === 'https:' ? https.get : undefined;
      if (!getter) { finish(new Error(`unsupported protocol ${u.protocol}`)); return; }
      const headers: Record<string, string> = { Accept: 'application/json', 'User-Agent': userAgent };
      if (bearer) headers.Authorization = `Bearer ${bearer}`;
      // The idle timeout is the deadline too; the deadline's timer is what bounds a trickling server.
      const req = getter(u, { headers, timeout: deadlineMs }, (res) => {
        if (settled) { res.destroy(); return; }
        const status = res.statusCode ?? 0;
        if (status >= 300 && status < 400 && res.headers.location) {
          res.resume();
          if (redirects <= 0) { finish(new Error(`too many redirects downloading ${shown}`)); return; }
          // The hub redirects to a CDN for LFS files; config.json is small and usually served directly.
          let next: URL;
          try { next = new URL(res.headers.location, u); } catch { finish(new Error(`invalid redirect downloading ${shown}`)); return; }
          // The token only goes to the same host.
          get(next.toString(), next.host === u.host ? bearer : undefined, redirects - 1);
          return;
        }
        if (status !== 200) { res.resume(); finish(new Error(`HTTP ${status}`)); return; }
        const declared = Number(res.headers['content-length']);
        if (Number.isFinite(declared) && declared > maxBytes) {
          const e = new Error(`response too large (${bytes(declared)}, over ${bytes(maxBytes)}) downloading ${shown}`);
          req.destroy(e);
          finish(e);
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          if (settled) return;
          size += c.length;
          if (size > maxBytes) {
            const e = new Error(`response too large (over ${bytes(maxBytes)}) downloading ${shown}`);
            req.destroy(e);
            finish(e);
            return;
          }
          chunks.push(c);
        });
        res.on('end', () => {
          if (settled) return;
          const parsed = parseConfigText(Buffer.concat(chunks).toString('utf8'));
          if (parsed.ok && parsed.value && typeof parsed.value === 'object' && !Array.isArray(parsed.value)) finish(undefined, parsed.value);
          else finish(new Error('the response is not a JSON object'));
        });
        res.on('error', (e) => finish(sanitized(e)));
        res.on('aborted', () => finish(new Error(`connection closed downloading ${shown}`)));
      });
      current = req;
      req.on('timeout', () => req.destroy(new Error(`timed out after ${seconds(deadlineMs)} without data downloading ${shown}`)));
      req.on('error', (e) => finish(sanitized(e)));
    };
    get(url, token, options.redirects ?? 5);
  });
}

/** A network error's message with credentials in a URL masked (Node's messages carry no headers). */
function sanitized(e: Error): Error {
  const message = e?.message ?? String(e);
  const masked = message.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/gi, '$1***@');
  return masked === message ? e : new Error(masked);
}
