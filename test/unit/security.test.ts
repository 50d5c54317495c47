// Security checks: what the shipped bundles may contain, what the manifest declares, where the network is
// used and behind which gate, that the Hugging Face token is never logged, the webview's Content-Security-
// Policy, and the message validators' behaviour on hostile input (what test/unit/panel/messages.test.ts does not
// already cover).
//
// The hub gate and the token handling are tested at unit level: src/editor/modelResolver.ts and settings.ts are
// loaded with a stub of the `vscode` module and pointed at local HTTP servers. The real-VS Code side of the
// token check is test/vscode/launcher.js, which scans every log and state file of the host runs for the token
// test/vscode/suite/resolution.test.ts hands the extension.
import * as assert from 'node:assert/strict';
import * as cp from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { isHostMessage, isPanelControls, isWebviewMessage, LIMITS, type PanelControls, PROTOCOL_VERSION } from '../../src/panel/messages';
import { panelCsp, renderPanelHtml } from '../../webview/index.html';
import type * as ResolverModule from '../../src/editor/modelResolver';
import type * as SettingsModule from '../../src/editor/settings';

function findRoot(start: string): string {
  let dir = start;
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg) && JSON.parse(fs.readFileSync(pkg, 'utf8')).name === 'inference-budget') return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error('repository root not found');
    dir = up;
  }
}

const root = findRoot(__dirname);
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));

/** Every .ts file under a folder of the repository, relative paths (forward slashes). */
function sources(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(path.relative(root, p).split(path.sep).join('/'));
    }
  };
  walk(path.join(root, dir));
  return out.sort();
}

const read = (rel: string) => fs.readFileSync(path.join(root, rel), 'utf8');

/** The text with comments removed (line and block comments outside string literals; good enough for our sources). */
function stripComments(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '"' || c === "'" || c === '`') {
      const q = c;
      let j = i + 1;
      while (j < text.length && text[j] !== q) { if (text[j] === '\\') j++; j++; }
      out += text.slice(i, j + 1);
      i = j + 1;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === '/' && text[i + 1] === '*') {
      const e = text.indexOf('*/', i + 2);
      i = e < 0 ? text.length : e + 2;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** Lines (1-based) of a text that match a pattern, as `file:line: text`. */
function matches(rel: string, text: string, re: RegExp): string[] {
  const out: string[] = [];
  text.split('\n').forEach((line, i) => { if (re.test(line)) out.push(`${rel}:${i + 1}: ${line.trim()}`); });
  return out;
}

/** A few characters around each match, for failure messages about minified bundles. */
function contexts(text: string, re: RegExp, max = 3): string[] {
  const out: string[] = [];
  const g = new RegExp(re.source, re.flags.includes('g') ? re.flags : re.flags + 'g');
  let m: RegExpExecArray | null;
  while ((m = g.exec(text)) && out.length < max) out.push(`…${text.slice(Math.max(0, m.index - 120), m.index + 60)}…`);
  return out;
}

// ---------------------------------------------------------------------------------------------------------

describe('security: built bundles', function () {
  const bundles = ['dist/extension.js', 'dist/webview/main.js'];

  before(function () {
    this.timeout(180_000);
    if (bundles.some((b) => !fs.existsSync(path.join(root, b)))) {
      cp.execFileSync(process.execPath, ['esbuild.js'], { cwd: root, stdio: 'ignore' });
    }
  });

  for (const b of bundles) {
    it(`${b} evaluates no code from strings (no eval(, new Function(, Function()`, () => {
      const text = fs.readFileSync(path.join(root, b), 'utf8');
      for (const [what, re] of [
        ['eval(', /(?<![\w$])eval\s*\(/],
        ['new Function(', /\bnew\s+Function\s*\(/],
        ['Function( called without new', /(?<![\w$.]|new\s)Function\s*\(/],
      ] as [string, RegExp][]) {
        const found = contexts(text, re);
        const hint = found.some((f) => /scopeRefs|validateFunctionCode/.test(f))
          ? '\n(Ajv compiles its validators with new Function at run time: precompile them at build time with ajv/dist/standalone.)'
          : '';
        assert.equal(found.length, 0, `${b} contains ${what}:\n${found.join('\n')}${hint}`);
      }
    });
  }

  it('the manifest\'s main is the minified extension bundle', () => {
    assert.equal(path.posix.normalize(String(pkg.main)), 'dist/extension.js');
    const text = fs.readFileSync(path.join(root, 'dist', 'extension.js'), 'utf8');
    const lines = text.split('\n').length;
    assert.ok(text.length / lines > 500, `dist/extension.js does not look minified (${lines} lines for ${text.length} characters)`);
    // The build that makes it says so too (esbuild.js: the Node bundles share `minify: true`).
    assert.match(read('esbuild.js'), /minify:\s*true/);
  });
});

describe('security: manifest', () => {
  const manifests: [string, Record<string, unknown>][] = [['package.json', pkg]];

  it('declares untrusted and virtual workspace support; the hub download is restricted when untrusted', () => {
    const caps = pkg.capabilities as Record<string, unknown> | undefined;
    assert.ok(caps, 'capabilities');
    const untrusted = caps.untrustedWorkspaces as { supported?: unknown; restrictedConfigurations?: string[]; description?: string } | undefined;
    const virtual = caps.virtualWorkspaces as boolean | { supported?: unknown } | undefined;
    assert.ok(untrusted && [true, false, 'limited'].includes(untrusted.supported as never), 'capabilities.untrustedWorkspaces.supported');
    assert.ok(virtual !== undefined && (typeof virtual === 'boolean' || [true, false, 'limited'].includes(virtual.supported as never)), 'capabilities.virtualWorkspaces');
    if (untrusted.supported === 'limited') {
      assert.ok(untrusted.description, 'a limited untrusted-workspace support says what is limited');
      assert.ok(untrusted.restrictedConfigurations?.includes('inferenceBudget.hub.allowDownload'), 'inferenceBudget.hub.allowDownload is a restricted setting');
    }
    const props = (pkg.contributes?.configuration?.properties ?? {}) as Record<string, { default?: unknown }>;
    assert.equal(props['inferenceBudget.hub.allowDownload']?.default, false, 'the hub download is off by default');
  });

  for (const [name, m] of manifests) {
    it(`${name}: no eager activation (*, onStartupFinished)`, () => {
      const events = m.activationEvents as string[] | undefined;
      if (name === 'package.json') assert.ok(Array.isArray(events) && events.length > 0, 'activationEvents');
      for (const e of events ?? []) assert.ok(e !== '*' && e !== 'onStartupFinished', `activation event ${e}`);
    });
  }
});

// ---------------------------------------------------------------------------------------------------------

describe('security: network use in the sources', () => {
  const RESOLVER = 'src/analysis/hubFetch.ts';
  const files = [...sources('src'), ...sources('webview')];
  const code = new Map(files.map((f) => [f, stripComments(read(f))]));

  it('only the hub fetch imports a network module; processes are started only by the CLI (git for check --diff)', () => {
    const re = /(?:from\s+|require\(\s*|import\(\s*)['"](?:node:)?(?:http|https|http2|net|tls|dgram|dns|undici)['"]/;
    const found = files.flatMap((f) => matches(f, code.get(f)!, re)).filter((m) => !m.startsWith(RESOLVER + ':'));
    assert.deepEqual(found, []);
    assert.ok(matches(RESOLVER, code.get(RESOLVER)!, re).length > 0, 'the hub fetch is where the download lives');
    const processes = /(?:from\s+|require\(\s*|import\(\s*)['"](?:node:)?child_process['"]/;
    assert.deepEqual(files.flatMap((f) => matches(f, code.get(f)!, processes)).filter((m) => !m.startsWith('src/cli/')), []);
  });

  it('no fetch / XMLHttpRequest / WebSocket / sendBeacon / net.* anywhere; http(s).get|request only in the resolver', () => {
    const anywhere = /(?<![\w$.])fetch\s*\(|\bXMLHttpRequest\b|\bWebSocket\b|\bEventSource\b|\bsendBeacon\b|\bimportScripts\b|(?<![\w$.])net\.\w+/;
    assert.deepEqual(files.flatMap((f) => matches(f, code.get(f)!, anywhere)), []);
    const httpCalls = /\bhttps?\.(?:get|request)\b/;
    assert.deepEqual(files.flatMap((f) => matches(f, code.get(f)!, httpCalls)).filter((m) => !m.startsWith(RESOLVER + ':')), []);
  });

  it('the webview builds no DOM from strings and evaluates no code', () => {
    const re = /\.innerHTML\s*=|\.outerHTML\s*=|insertAdjacentHTML|document\.write|createContextualFragment|(?<![\w$.])eval\s*\(|\bnew\s+Function\s*\(/;
    assert.deepEqual(sources('webview').flatMap((f) => matches(f, code.get(f)!, re)), []);
  });

  it('the token is read in one place and never passed to a logger', () => {
    const tokenRead = files.flatMap((f) => matches(f, code.get(f)!, /HF_TOKEN|HUGGING_FACE_HUB_TOKEN/));
    assert.ok(tokenRead.every((m) => m.startsWith(RESOLVER + ':')), `the token is read outside the resolver:\n${tokenRead.join('\n')}`);
    // Arguments of every logging call: no token, header or credential in them.
    const call = /\b(?:log|logger|channel|console|this\.log|this\.logger)\.(?:info|warn|error|debug|trace|log|appendLine|append)\s*\(/g;
    const bad: string[] = [];
    for (const f of files) {
      const text = code.get(f)!;
      let m: RegExpExecArray | null;
      while ((m = call.exec(text))) {
        let depth = 1;
        let j = m.index + m[0].length;
        for (; j < text.length && depth > 0; j++) { if (text[j] === '(') depth++; else if (text[j] === ')') depth--; }
        const args = text.slice(m.index + m[0].length, j - 1);
        if (/token|authori[sz]ation|headers|bearer|secret|password|\benv\b/i.test(args)) bad.push(`${f}: ${m[0]}${args})`);
      }
    }
    assert.deepEqual(bad, []);
  });
});

// ---------------------------------------------------------------------------------------------------------
// The hub gate and the token, at unit level: the resolver with a stub of `vscode` and local HTTP servers.

const SECRET = 'hf_UNITTESTTOKEN_never_logged_9876543210';

class StubUri {
  constructor(readonly scheme: string, readonly path: string) {}
  static file(p: string): StubUri { return new StubUri('file', path.resolve(p).split(path.sep).join('/')); }
  static joinPath(b: StubUri, ...s: string[]): StubUri { return new StubUri(b.scheme, path.posix.join(b.path, ...s)); }
  get fsPath(): string { return this.path; }
  with(c: { scheme?: string; path?: string }): StubUri { return new StubUri(c.scheme ?? this.scheme, c.path ?? this.path); }
  toString(): string { return `${this.scheme}://${this.path}`; }
}

interface Stub { workspace: { isTrusted: boolean }; config: Record<string, unknown> }

function makeVscodeStub(state: Stub): unknown {
  const notFound = () => Object.assign(new Error('not found'), { code: 'FileNotFound' });
  return {
    Uri: StubUri,
    FileType: { Unknown: 0, File: 1, Directory: 2, SymbolicLink: 64 },
    workspace: {
      get isTrusted() { return state.workspace.isTrusted; },
      workspaceFolders: undefined,
      textDocuments: [],
      fs: { stat: async () => { throw notFound(); }, readFile: async () => { throw notFound(); } },
      findFiles: async () => [],
      asRelativePath: (u: StubUri | string) => (typeof u === 'string' ? u : u.fsPath),
      getConfiguration: () => ({ get: (k: string) => state.config[k] }),
    },
  };
}

interface Seen { url: string; authorization?: string }

function server(handler: (req: http.IncomingMessage, res: http.ServerResponse) => void): Promise<{ port: number; seen: Seen[]; close: () => Promise<void> }> {
  const seen: Seen[] = [];
  const srv = http.createServer((req, res) => { seen.push({ url: req.url ?? '', authorization: req.headers.authorization }); handler(req, res); });
  return new Promise((resolve) => {
    srv.listen(0, '127.0.0.1', () => resolve({
      port: (srv.address() as AddressInfo).port, seen,
      close: () => new Promise<void>((r) => { srv.closeAllConnections?.(); srv.close(() => r()); }),
    }));
  });
}

const CONFIG = JSON.stringify({ architectures: ['LlamaForCausalLM'], model_type: 'llama', hidden_size: 256, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, intermediate_size: 512, vocab_size: 1000, max_position_embeddings: 2048, torch_dtype: 'bfloat16' });

describe('security: the hub download is gated and the token stays private', function () {
  this.timeout(20_000);
  const state: Stub = { workspace: { isTrusted: true }, config: {} };
  const stub = makeVscodeStub(state);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Module = require('module') as { _load: (request: string, ...rest: unknown[]) => unknown };
  const originalLoad = Module._load;
  const modulePaths = ['../../src/editor/modelResolver', '../../src/editor/settings'].map((p) => require.resolve(p));
  const saved = new Map<string, NodeJS.Module | undefined>();
  let resolverModule: typeof ResolverModule;
  let settingsModule: typeof SettingsModule;
  let hfHome: string;

  before(() => {
    Module._load = function load(this: unknown, request: string, ...rest: unknown[]) {
      return request === 'vscode' ? stub : originalLoad.call(this, request, ...rest);
    };
    // Fresh copies bound to this stub; whatever another test loaded is put back afterwards.
    for (const p of modulePaths) { saved.set(p, require.cache[p]); delete require.cache[p]; }
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    resolverModule = require('../../src/editor/modelResolver') as typeof ResolverModule;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    settingsModule = require('../../src/editor/settings') as typeof SettingsModule;
    hfHome = fs.mkdtempSync(path.join(os.tmpdir(), 'ib-security-hf-'));
  });

  after(() => {
    Module._load = originalLoad;
    for (const [p, m] of saved) { if (m) require.cache[p] = m; else delete require.cache[p]; }
    fs.rmSync(hfHome, { recursive: true, force: true });
  });

  function logger() {
    const lines: string[] = [];
    return { lines, info: (m: string) => lines.push(m), warn: (m: string) => lines.push(m), error: (m: string) => lines.push(m) };
  }

  function settings(allowDownload: boolean): SettingsModule.Settings {
    return {
      defaultGpu: 'H100', workload: {}, pricing: new Map(), customGpus: [], invalidCustomGpus: [], allowDownload,
      maxFileSizeBytes: 5 * 1024 * 1024, maxDocuments: 100,
    };
  }

  async function resolve(reference: string, allowDownload: boolean, endpoint: string) {
    const log = logger();
    const r = new resolverModule.ModelResolver(log, { HF_ENDPOINT: endpoint, HF_TOKEN: SECRET, HF_HOME: hfHome, HF_HUB_CACHE: path.join(hfHome, 'hub') });
    const doc = StubUri.file(path.join(hfHome, 'deploy', 'vllm.yaml'));
    const result = await r.resolve(reference, doc as never, settings(allowDownload));
    return { result, log };
  }

  it('nothing goes out while inferenceBudget.hub.allowDownload is off (the default)', async () => {
    const s = await server((_req, res) => { res.writeHead(200, { 'content-type': 'application/json' }); res.end(CONFIG); });
    try {
      const { result } = await resolve('ib-security-test/zz-no-such-model', false, `http://127.0.0.1:${s.port}`);
      assert.equal(result.ok, false);
      assert.equal(s.seen.length, 0, 'no request reached the hub');
      assert.ok(!result.ok && result.tried.some((t) => /no download/.test(t)), JSON.stringify(result));
      state.workspace.isTrusted = false;
      const untrusted = await resolve('ib-security-test/zz-no-such-model', false, `http://127.0.0.1:${s.port}`);
      assert.ok(!untrusted.result.ok && untrusted.result.tried.some((t) => /not trusted/.test(t)), JSON.stringify(untrusted.result));
      assert.equal(s.seen.length, 0);
    } finally {
      state.workspace.isTrusted = true;
      await s.close();
    }
  });

  it('the setting is ignored in an untrusted workspace', () => {
    state.config = { 'hub.allowDownload': true };
    try {
      assert.equal(settingsModule.readSettings(true).allowDownload, true);
      assert.equal(settingsModule.readSettings(false).allowDownload, false);
      state.workspace.isTrusted = false;
      assert.equal(settingsModule.readSettings().allowDownload, false, 'the default follows vscode.workspace.isTrusted');
    } finally {
      state.config = {};
      state.workspace.isTrusted = true;
    }
  });

  it('with the setting on: one request, the token only in its Authorization header, never in logs or results', async () => {
    const s = await server((_req, res) => { res.writeHead(200, { 'content-type': 'application/json' }); res.end(CONFIG); });
    try {
      const { result, log } = await resolve('ib-security-test/zz-downloaded', true, `http://127.0.0.1:${s.port}`);
      assert.ok(result.ok, JSON.stringify(result));
      assert.equal(result.model.source, 'hub');
      assert.equal(s.seen.length, 1);
      assert.equal(s.seen[0].url, '/ib-security-test/zz-downloaded/resolve/main/config.json');
      assert.equal(s.seen[0].authorization, `Bearer ${SECRET}`);
      assert.ok(log.lines.length > 0, 'the download is logged');
      assert.ok(!log.lines.join('\n').includes(SECRET), `token in the log: ${log.lines.join('\n')}`);
      assert.ok(!JSON.stringify({ location: result.model.location, note: result.model.note }).includes(SECRET));
    } finally {
      await s.close();
    }
  });

  it('a failed download says why without the token', async () => {
    const s = await server((_req, res) => { res.writeHead(401); res.end('{"error":"unauthorized"}'); });
    try {
      const { result, log } = await resolve('ib-security-test/zz-private', true, `http://127.0.0.1:${s.port}`);
      assert.equal(result.ok, false);
      assert.equal(s.seen.length, 1);
      const text = JSON.stringify(result) + log.lines.join('\n');
      assert.ok(!result.ok && result.tried.some((t) => /401/.test(t)), JSON.stringify(result));
      assert.ok(!text.includes(SECRET), `token in the result or log: ${text}`);
    } finally {
      await s.close();
    }
  });

  it('a failed download is not asked again by later analyses (an edit elsewhere sends no request)', async () => {
    const s = await server((_req, res) => { res.writeHead(404); res.end('{"error":"not found"}'); });
    try {
      const r = new resolverModule.ModelResolver(logger(), { HF_ENDPOINT: `http://127.0.0.1:${s.port}`, HF_TOKEN: SECRET, HF_HOME: hfHome, HF_HUB_CACHE: path.join(hfHome, 'hub') });
      const doc = StubUri.file(path.join(hfHome, 'deploy', 'vllm.yaml'));
      for (let analysis = 0; analysis < 3; analysis++) {
        const [result] = await Promise.all(r.resolveAll(['ib-security-test/zz-missing', 'ib-security-test/zz-missing'], doc as never, settings(true)));
        assert.equal(result.ok, false);
      }
      assert.equal(s.seen.length, 1, 'one request for three analyses of two deployments');
    } finally {
      await s.close();
    }
  });

  it('a redirect to another host does not carry the token', async () => {
    const cdn = await server((_req, res) => { res.writeHead(200, { 'content-type': 'application/json' }); res.end(CONFIG); });
    const hub = await server((req, res) => { res.writeHead(302, { location: `http://127.0.0.1:${cdn.port}/cdn${req.url}` }); res.end(); });
    try {
      const { result, log } = await resolve('ib-security-test/zz-redirected', true, `http://127.0.0.1:${hub.port}`);
      assert.ok(result.ok, JSON.stringify(result));
      assert.equal(hub.seen.length, 1);
      assert.equal(hub.seen[0].authorization, `Bearer ${SECRET}`);
      assert.equal(cdn.seen.length, 1);
      assert.equal(cdn.seen[0].authorization, undefined, 'the token went to another host');
      assert.ok(!log.lines.join('\n').includes(SECRET));
    } finally {
      await hub.close();
      await cdn.close();
    }
  });
});

// ---------------------------------------------------------------------------------------------------------

describe('security: webview Content-Security-Policy', () => {
  const nonce = 'Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA==';
  const cspSource = 'https://*.vscode-cdn.net';
  const html = renderPanelHtml({
    scriptUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/dist/webview/main.js',
    styleUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/dist/webview/panel.css',
    codiconsUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/dist/webview/codicon.css',
    cspSource, nonce,
  });
  const decode = (s: string) => s.replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

  function policy(): Map<string, string[]> {
    const metas = [...html.matchAll(/<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]*)"/gi)];
    assert.equal(metas.length, 1, 'exactly one CSP meta element');
    const out = new Map<string, string[]>();
    for (const d of decode(metas[0][1]).split(';').map((x) => x.trim()).filter(Boolean)) {
      const [name, ...values] = d.split(/\s+/);
      assert.ok(!out.has(name), `directive ${name} appears once`);
      out.set(name, values);
    }
    return out;
  }

  it("default-src 'none'; script-src is the nonce and nothing else; no unsafe-* anywhere", () => {
    const p = policy();
    assert.deepEqual(p.get('default-src'), ["'none'"]);
    assert.deepEqual(p.get('script-src'), [`'nonce-${nonce}'`]);
    for (const [name, values] of p) {
      for (const v of values) assert.ok(!/unsafe-|^\*$|^data:$|^blob:$/.test(v) || (name === 'img-src' && v === 'data:'), `${name} ${v}`);
    }
    for (const d of ['connect-src', 'frame-src', 'child-src', 'worker-src', 'object-src']) {
      assert.ok(!p.has(d), `${d} is not opened (stays 'none' through default-src)`);
    }
    assert.equal(panelCsp(cspSource, nonce).includes('unsafe'), false);
  });

  it('the policy comes before any resource; every script has the nonce and a src, no inline code or handlers', () => {
    const cspAt = html.search(/<meta\s+http-equiv="Content-Security-Policy"/i);
    const firstResource = html.search(/<(script|link|style|img)\b/i);
    assert.ok(cspAt >= 0 && cspAt < firstResource, 'the CSP meta precedes the first script/link');
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];
    assert.ok(scripts.length >= 1);
    for (const [, attrs, body] of scripts) {
      assert.match(attrs, new RegExp(`\\bnonce="${nonce.replace(/[+/=]/g, (c) => `\\${c}`)}"`));
      assert.match(attrs, /\bsrc="/);
      assert.equal(body.trim(), '', 'no inline script');
    }
    assert.doesNotMatch(html, /\son[a-z]+\s*=/i, 'no inline event handlers');
    assert.doesNotMatch(html, /<style\b/i, 'no inline style element');
  });

  it('refuses values that would break out of the policy or the attributes', () => {
    const base = { scriptUri: 'a.js', styleUri: 'a.css', cspSource, nonce };
    assert.throws(() => renderPanelHtml({ ...base, cspSource: "https://x; script-src 'unsafe-inline'" }));
    assert.throws(() => renderPanelHtml({ ...base, cspSource: 'https://x\nscript-src *' }));
    assert.throws(() => renderPanelHtml({ ...base, nonce: "abc' 'unsafe-inline" }));
    assert.throws(() => renderPanelHtml({ ...base, nonce: 'short' }));
    const out = renderPanelHtml({ ...base, scriptUri: 'x.js"></script><script>alert(1)</script>' });
    assert.doesNotMatch(out, /<script>alert/);
    assert.equal([...out.matchAll(/<script\b/g)].length, 1);
  });

  it('the panel view (src/editor/panel/view.ts) validates messages, confines resources and uses a random nonce', function () {
    const file = path.join(root, 'src', 'editor', 'panel', 'view.ts');
    const text = stripComments(fs.readFileSync(file, 'utf8'));
    assert.match(text, /onDidReceiveMessage/);
    assert.match(text, /isWebviewMessage\(/, 'messages from the webview are validated');
    assert.match(text, /renderPanelHtml\(/, 'the HTML comes from the shell with the CSP');
    assert.match(text, /localResourceRoots\s*:/, 'local resources are confined');
    assert.doesNotMatch(text, /enableCommandUris\s*:\s*true/, 'no command URIs in the webview');
    assert.doesNotMatch(text, /Math\.random/, 'the nonce is not from Math.random');
    assert.match(text, /randomBytes\(|getRandomValues\(|randomUUID\(/, 'the nonce is from a CSPRNG');
  });
});

describe('security: message validators on hostile input', () => {
  const controls: PanelControls = {
    gpus: ['h100-sxm'], gpuCount: 1, tensorParallel: 1, batch: 32, context: 8192, prompt: 1024,
    weightPrecision: 'auto', kvCacheDtype: 'auto',
  };

  it('rejects __proto__ / constructor / prototype keys as JSON.parse makes them', () => {
    for (const json of [
      '{"type":"ready","__proto__":{"polluted":true}}',
      '{"type":"openDocument","constructor":{"prototype":{"polluted":true}}}',
      `{"type":"controlsChanged","controls":${JSON.stringify(controls).replace(/}$/, ',"__proto__":{"polluted":true}}')}}`,
      `{"type":"controlsChanged","controls":${JSON.stringify(controls).replace(/}$/, ',"prototype":1}')}}`,
    ]) {
      assert.equal(isWebviewMessage(JSON.parse(json)), false, json);
    }
    assert.equal(isHostMessage(JSON.parse('{"type":"error","message":"x","__proto__":{"polluted":true}}')), false);
    assert.equal(({} as Record<string, unknown>).polluted, undefined, 'nothing was polluted');
  });

  it('rejects values that are not plain data', () => {
    for (const m of [new Date(), new Map([['type', 'ready']]), Object.assign(['ready'], { type: 'ready' }), Object.assign(() => 0, { type: 'ready' })]) {
      assert.equal(isWebviewMessage(m), false, String(m));
    }
    assert.equal(isPanelControls({ ...controls, gpus: new Set(['h100-sxm']) }), false);
  });

  it('rejects oversized input without reading it, and deeply nested input without recursion', () => {
    // An array of a million GPUs is refused on its length: count the elements the validator reads.
    let elementsRead = 0;
    const huge = new Proxy(new Array(1_000_000).fill('h100-sxm'), {
      get(target, key, receiver) { if (typeof key === 'string' && /^\d+$/.test(key)) elementsRead++; return Reflect.get(target, key, receiver); },
    });
    assert.equal(isWebviewMessage({ type: 'controlsChanged', controls: { ...controls, gpus: huge } }), false);
    assert.ok(elementsRead <= LIMITS.maxComparedGpus + 1, `${elementsRead} elements read`);
    // 100,000 levels deep: a recursive validator would overflow the stack (RangeError) instead of answering false.
    let deep: unknown = 'h100-sxm';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    assert.equal(isWebviewMessage({ type: 'controlsChanged', controls: { ...controls, gpus: [deep] } }), false);
    let nested: Record<string, unknown> = { type: 'error', message: 'x' };
    for (let i = 0; i < 100_000; i++) nested = { type: 'state', version: PROTOCOL_VERSION, state: nested };
    assert.equal(isHostMessage(nested), false);
  });
});
