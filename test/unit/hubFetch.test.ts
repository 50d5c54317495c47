// The hub download's limits (issue 11, item 6): an overall deadline per download (a server trickling one byte at
// a time does not hold it), a byte cap while streaming, de-duplicated requests, a per-analysis cap on distinct
// downloads with a few in flight at once, an analysis that stops waiting at its deadline and a later one that
// uses the result, and the token only ever in the Authorization header. Local HTTP servers stand in for the hub
// (as in security.test.ts); the resolver is the CLI's (src/cli/fileResolver.ts), the code the editor shares.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { fetchJson, hubDownloader } from '../../src/analysis/hubFetch';
import { defaultSettings } from '../../src/analysis/settings';
import { analysisItems } from '../../src/analysis/analyze';
import { analyzeFile } from '../../src/cli/check';
import { FileModelResolver, FileResolverOptions } from '../../src/cli/fileResolver';

const SECRET = 'hf_HUBFETCHTEST_token_never_shown_0123456789';

const CONFIG = JSON.stringify({
  architectures: ['LlamaForCausalLM'], model_type: 'llama', hidden_size: 256, num_hidden_layers: 2, num_attention_heads: 4,
  num_key_value_heads: 2, intermediate_size: 512, vocab_size: 1000, max_position_embeddings: 2048, torch_dtype: 'bfloat16',
});

interface Seen { url: string; authorization?: string; headers: http.IncomingHttpHeaders }

interface TestServer { port: number; url: string; seen: Seen[]; inFlight: () => number; maxInFlight: () => number; close: () => Promise<void> }

function server(handler: (req: http.IncomingMessage, res: http.ServerResponse) => void): Promise<TestServer> {
  const seen: Seen[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const srv = http.createServer((req, res) => {
    seen.push({ url: req.url ?? '', authorization: req.headers.authorization, headers: req.headers });
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    let done = false;
    const end = () => { if (!done) { done = true; inFlight--; } };
    res.on('finish', end);
    res.on('close', end);
    handler(req, res);
  });
  return new Promise((resolve) => {
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as AddressInfo).port;
      resolve({
        port, url: `http://127.0.0.1:${port}`, seen, inFlight: () => inFlight, maxInFlight: () => maxInFlight,
        close: () => new Promise<void>((r) => { srv.closeAllConnections?.(); srv.close(() => r()); }),
      });
    });
  });
}

/** Headers, then one byte every `everyMs`, never ending (until the client goes away). */
function trickle(everyMs: number) {
  return (_req: http.IncomingMessage, res: http.ServerResponse) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('{');
    const t = setInterval(() => { if (!res.destroyed) res.write(' '); }, everyMs);
    res.on('close', () => clearInterval(t));
  };
}

const ok = (_req: http.IncomingMessage, res: http.ServerResponse) => { res.writeHead(200, { 'content-type': 'application/json' }); res.end(CONFIG); };
const notFound = (_req: http.IncomingMessage, res: http.ServerResponse) => { res.writeHead(404); res.end('{"error":"not found"}'); };

function logger() {
  const lines: string[] = [];
  return { lines, info: (m: string) => { lines.push(m); }, warn: (m: string) => { lines.push(m); }, error: (m: string) => { lines.push(m); } };
}

const now = () => Number(process.hrtime.bigint()) / 1e6;

async function rejection(p: Promise<unknown>): Promise<Error> {
  try { await p; } catch (e) { return e as Error; }
  throw new Error('expected a rejection');
}

/** A Kubernetes manifest of `n` vLLM Pods, the i-th naming model(i) (~130 bytes each: 500 ≈ 65 KB). */
function manifest(n: number, model: (i: number) => string): string {
  const docs: string[] = [];
  for (let i = 0; i < n; i++) {
    docs.push(`apiVersion: v1
kind: Pod
spec:
  containers:
    - image: vllm/vllm-openai
      args: [--model, ${model(i)}]
`);
  }
  return docs.join('---\n');
}

describe('hub download: deadline, byte cap, de-duplication, per-analysis cap', function () {
  this.timeout(30_000);
  let home: string;
  const servers: TestServer[] = [];

  before(() => { home = fs.mkdtempSync(path.join(os.tmpdir(), 'ib-hubfetch-')); });
  after(() => fs.rmSync(home, { recursive: true, force: true }));
  afterEach(async () => { while (servers.length) await servers.pop()!.close(); });

  async function hub(handler: (req: http.IncomingMessage, res: http.ServerResponse) => void): Promise<TestServer> {
    const s = await server(handler);
    servers.push(s);
    return s;
  }

  function resolver(s: TestServer, log = logger(), hubOptions: FileResolverOptions['hub'] = {}): FileModelResolver {
    return new FileModelResolver(log, {
      allowDownload: true, workspaceFolders: [], homeDir: home, hub: hubOptions,
      env: { HF_ENDPOINT: s.url, HF_TOKEN: SECRET, HF_HOME: path.join(home, 'hf'), HF_HUB_CACHE: path.join(home, 'hf', 'hub') },
    });
  }

  const settings = () => defaultSettings({ 'hub.allowDownload': true });
  const doc = () => path.join(home, 'deploy', 'vllm.yaml');

  it('a server trickling 1 byte every 200 ms fails at the deadline (1 s), within deadline + 500 ms, with a clear message', async () => {
    const s = await hub(trickle(200));
    const t0 = now();
    const e = await rejection(fetchJson(`${s.url}/acme/slow/resolve/main/config.json`, SECRET, { deadlineMs: 1000 }));
    const ms = now() - t0;
    assert.match(e.message, /^timed out after 1 s downloading http:\/\/127\.0\.0\.1:\d+\/acme\/slow\/resolve\/main\/config\.json$/);
    assert.ok(ms >= 950 && ms < 1500, `failed after ${ms.toFixed(0)} ms`);
    assert.ok(!e.message.includes(SECRET));
    assert.equal(s.seen[0].authorization, `Bearer ${SECRET}`);
  });

  it('through the resolver: the trickling download is "not found" with the deadline\'s message, and is not asked again', async () => {
    const s = await hub(trickle(200));
    const log = logger();
    const r = resolver(s, log, { deadlineMs: 1000 });
    const t0 = now();
    const result = await r.resolve('acme/trickled', doc(), settings());
    const ms = now() - t0;
    assert.ok(ms < 1500, `resolved after ${ms.toFixed(0)} ms`);
    assert.ok(!result.ok && result.tried.some((t) => /^timed out after 1 s downloading http:.*\/acme\/trickled\/resolve\/main\/config\.json$/.test(t)), JSON.stringify(result));
    await r.resolve('acme/trickled', doc(), settings());
    assert.equal(s.seen.length, 1, 'a failed download is remembered');
    assert.ok(!(JSON.stringify(result) + log.lines.join('\n')).includes(SECRET));
  });

  it('a slow header (nothing sent) fails at the deadline too', async () => {
    const s = await hub(() => { /* never answers */ });
    const t0 = now();
    const e = await rejection(fetchJson(`${s.url}/x/config.json`, undefined, { deadlineMs: 500 }));
    assert.match(e.message, /^timed out after 500 ms downloading /);
    assert.ok(now() - t0 < 1000);
  });

  it('the byte cap holds while streaming (no Content-Length) and from Content-Length', async () => {
    const big = Buffer.alloc(2 * 1024 * 1024, 0x20);
    const chunked = await hub((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      let sent = 0;
      const push = () => { while (sent < 64 && !res.destroyed) { sent++; if (!res.write(big.subarray(0, 64 * 1024))) { res.once('drain', push); return; } } res.end(); };
      push();
    });
    const e1 = await rejection(fetchJson(`${chunked.url}/a/config.json`, SECRET, { maxBytes: 1024 * 1024 }));
    assert.match(e1.message, /^response too large \(over 1 MiB\) downloading http:/);
    const declared = await hub((_req, res) => { res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(big.length) }); res.end(big); });
    const e2 = await rejection(fetchJson(`${declared.url}/b/config.json`, SECRET, { maxBytes: 1024 * 1024 }));
    assert.match(e2.message, /^response too large \(2 MiB, over 1 MiB\)/);
    assert.ok(!(e1.message + e2.message).includes(SECRET));
  });

  it('a 69 KB manifest naming 500 distinct unknown models: at most 8 requests reach the hub, at most 4 at once', async () => {
    const s = await hub((req, res) => setTimeout(() => notFound(req, res), 50));
    const text = manifest(500, (i) => `ib-hubtest/unknown-model-${i}`);
    assert.ok(text.length > 55_000 && text.length < 80_000, `${text.length} bytes`);
    const t0 = now();
    const analysis = await analyzeFile(doc(), text, settings(), resolver(s), logger());
    const ms = now() - t0;
    assert.equal(analysisItems(analysis).length, 500);
    assert.ok(s.seen.length <= 8, `${s.seen.length} requests`);
    assert.equal(s.seen.length, 8);
    assert.ok(s.maxInFlight() <= 4, `${s.maxInFlight()} requests at once`);
    const capped = analysisItems(analysis).filter((it) => it.resolution && !it.resolution.ok
      && it.resolution.tried.some((t) => t === 'not downloaded: more than 8 models in this document need the Hub; open them one at a time or add their configs to the workspace'));
    assert.equal(capped.length, 492);
    assert.ok(ms < 10_000, `analysis took ${ms.toFixed(0)} ms`);
    for (const seen of s.seen) assert.equal(seen.authorization, `Bearer ${SECRET}`);
  });

  it('the cap is configurable and counts distinct URLs only (a model named twice is one download)', async () => {
    const s = await hub(ok);
    const text = manifest(20, (i) => `ib-hubtest/twice-${i % 3}`);
    const analysis = await analyzeFile(doc(), text, settings(), resolver(s, logger(), { maxDownloadsPerAnalysis: 2 }), logger());
    assert.equal(s.seen.length, 2);
    const downloaded = new Set(s.seen.map((x) => x.url.split('/')[2]));
    const resolved = analysisItems(analysis).filter((it) => it.resolution?.ok).length;
    const naming = [0, 1, 2].filter((k) => downloaded.has(`twice-${k}`)).reduce((n, k) => n + (k === 2 ? 6 : 7), 0);
    assert.equal(downloaded.size, 2);
    assert.equal(resolved, naming, 'every deployment naming a downloaded model is resolved');
  });

  it('50 deployments naming the same model: exactly 1 request', async () => {
    const s = await hub((req, res) => setTimeout(() => ok(req, res), 100));
    const r = resolver(s);
    const analysis = await analyzeFile(doc(), manifest(50, () => 'ib-hubtest/shared-model'), settings(), r, logger());
    assert.equal(analysisItems(analysis).length, 50);
    assert.ok(analysisItems(analysis).every((it) => it.resolution?.ok && it.resolution.model.source === 'hub'));
    assert.equal(s.seen.length, 1);
    // Another document elsewhere naming it, and a second analysis: still one request.
    await analyzeFile(path.join(home, 'other', 'compose.yaml'), manifest(3, () => 'ib-hubtest/shared-model'), settings(), r, logger());
    await analyzeFile(doc(), manifest(50, () => 'ib-hubtest/shared-model'), settings(), r, logger());
    assert.equal(s.seen.length, 1);
  });

  it('resolutions of one URL from different folders share the request in flight', async () => {
    const s = await hub((req, res) => setTimeout(() => ok(req, res), 200));
    const r = resolver(s);
    const results = await Promise.all([1, 2, 3, 4, 5].map((i) => r.resolve('ib-hubtest/in-flight', path.join(home, `d${i}`, 'x.yaml'), settings())));
    assert.ok(results.every((x) => x.ok));
    assert.equal(s.seen.length, 1);
  });

  it('the analysis stops waiting at its deadline; the download goes on and a later analysis uses it', async () => {
    const s = await hub((req, res) => setTimeout(() => ok(req, res), 1200));
    const r = resolver(s, logger(), { analysisDeadlineMs: 300, deadlineMs: 5000 });
    let late = 0;
    const done = new Promise<void>((resolve) => r.onLateDownload(() => { late++; resolve(); }));
    const t0 = now();
    const first = await r.resolve('ib-hubtest/late', doc(), settings());
    const ms = now() - t0;
    assert.ok(ms < 800, `waited ${ms.toFixed(0)} ms`);
    assert.ok(!first.ok && first.tried.some((t) => /still running after 0\.3 s \(a later analysis uses it\)/.test(t)), JSON.stringify(first));
    await done;
    assert.equal(late, 1);
    const second = await r.resolve('ib-hubtest/late', doc(), settings());
    assert.ok(second.ok && second.model.source === 'hub', JSON.stringify(second));
    assert.equal(s.seen.length, 1, 'the later analysis used the download that was running');
  });

  it('the token is only in the Authorization header: not in the URL, other headers, errors or the log', async () => {
    for (const handler of [ok, notFound, trickle(100), (_req: http.IncomingMessage, res: http.ServerResponse) => { res.writeHead(401); res.end(); }]) {
      const s = await hub(handler);
      const log = logger();
      const r = resolver(s, log, { deadlineMs: 500 });
      const result = await r.resolve('ib-hubtest/private-model', doc(), settings());
      assert.equal(s.seen.length, 1);
      const { url, authorization, headers } = s.seen[0];
      assert.equal(authorization, `Bearer ${SECRET}`);
      assert.ok(!url.includes(SECRET));
      const others = Object.entries(headers).filter(([k]) => k !== 'authorization').map(([k, v]) => `${k}: ${v}`).join('\n');
      assert.ok(!others.includes(SECRET), others);
      const shown = JSON.stringify(result) + log.lines.join('\n');
      assert.ok(!shown.includes(SECRET), shown);
      await servers.pop()!.close();
    }
  });

  it('the downloader remembers failures for failureMemoryMs (0: asked again)', async () => {
    const s = await hub(notFound);
    const remembering = hubDownloader({ HF_TOKEN: SECRET }, logger());
    const url = `${s.url}/a/resolve/main/config.json`;
    await rejection(remembering(url));
    await rejection(remembering(url));
    assert.equal(s.seen.length, 1);
    assert.equal(remembering.known(url), true);
    const forgetting = hubDownloader({ HF_TOKEN: SECRET }, logger(), 'test', { failureMemoryMs: 0 });
    await rejection(forgetting(url));
    await rejection(forgetting(url));
    assert.equal(s.seen.length, 3);
    assert.equal(forgetting.known(url), false);
  });

  it('a redirect chain shares one deadline, and the token does not follow to another host', async () => {
    const slowCdn = await hub(trickle(100));
    const first = await hub((req, res) => { res.writeHead(302, { location: `${slowCdn.url}/cdn${req.url}` }); res.end(); });
    const t0 = now();
    const e = await rejection(fetchJson(`${first.url}/r/config.json`, SECRET, { deadlineMs: 800 }));
    assert.match(e.message, /^timed out after 800 ms downloading http:\/\/127\.0\.0\.1:\d+\/r\/config\.json$/);
    assert.ok(now() - t0 < 1300);
    assert.equal(first.seen[0].authorization, `Bearer ${SECRET}`);
    assert.equal(slowCdn.seen[0].authorization, undefined);
  });
});
