#!/usr/bin/env node
// Runs the extension's tests inside a REAL VS Code (code-server 4.100.3 + Debian chromium via playwright-core),
// offline. See /work/shared/docs/real-vscode-testing.md.
//
//   node test/vscode/launcher.js [--host-only | --ui-only] [--grep <regexp>] [--keep] [--vsix PATH]
//
// Phase 1 ("host"): code-server with extensionDevelopmentPath = repo root runs the mocha suite
//   out/test/vscode/suite/index.js inside the Node extension host; the suite writes
//   {passed, failed, failures[], tests[]} to the file named by INFERENCE_BUDGET_TEST_RESULTS.
// Phase 2 ("ui"): the VSIX (`vsce package`, or --vsix PATH / $INFERENCE_BUDGET_VSIX) is installed with
//   code-server --install-extension into a fresh --extensions-dir, and the playwright tests
//   out/test/vscode/ui/*.test.js drive the workbench; screenshots go to test-results/.
// Then the extension host logs of both phases are checked for errors raised by this extension.
//
// Exit code: 0 only when every test passed and the host reported. The last line is `N passed, N failed`.
'use strict';

const cp = require('child_process');
const fs = require('fs');
const http = require('http');
const net = require('net');
const os = require('os');
const path = require('path');

const repoRoot = path.resolve(__dirname, '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));
const codeServerEntry = path.join(repoRoot, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
const chromiumPath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const suiteIndex = path.join(repoRoot, 'out', 'test', 'vscode', 'suite', 'index.js');
const uiDir = path.join(repoRoot, 'out', 'test', 'vscode', 'ui');
const workspaceTemplate = path.join(repoRoot, 'test', 'vscode', 'workspace');
const resultsDir = path.join(repoRoot, 'test-results');

/** Must match SECRET_TOKEN in test/vscode/suite/resolution.test.ts. */
const SECRET_TOKEN = 'hf_TESTTOKEN_must_never_be_logged_0123456789';
const HOST_TIMEOUT_MS = Number(process.env.INFERENCE_BUDGET_HOST_TIMEOUT_MS || 8 * 60 * 1000);
const UI_TEST_TIMEOUT_MS = Number(process.env.INFERENCE_BUDGET_UI_TIMEOUT_MS || 90 * 1000);

const args = process.argv.slice(2);
const opt = {
  hostOnly: args.includes('--host-only'),
  uiOnly: args.includes('--ui-only'),
  keep: args.includes('--keep'),
  grep: args.includes('--grep') ? args[args.indexOf('--grep') + 1] : process.env.INFERENCE_BUDGET_TEST_GREP || '',
};


const log = (...a) => console.log('[vscode-tests]', ...a);

/** Processes started here, stopped by their own PID (process group) at exit. */
const children = new Set();
const tempDirs = [];

function stopChild(child) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  try { process.kill(-child.pid, 'SIGTERM'); } catch { try { child.kill('SIGTERM'); } catch { /* gone */ } }
}

function cleanup() {
  for (const c of children) stopChild(c);
  children.clear();
  if (!opt.keep) for (const d of tempDirs) { try { fs.rmSync(d, { recursive: true, force: true }); } catch { /* best effort */ } }
}
process.on('exit', cleanup);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { cleanup(); process.exit(130); });

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => resolve(port)); });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function httpOk(url) {
  return new Promise((resolve) => {
    const req = http.get(url, (res) => { res.resume(); resolve(res.statusCode === 200); });
    req.on('error', () => resolve(false));
    req.setTimeout(2000, () => { req.destroy(); resolve(false); });
  });
}

function copyDir(src, dst) {
  fs.cpSync(src, dst, { recursive: true, dereference: true });
}

/** A fresh workspace: test/vscode/workspace plus the repo's examples/ (read-only sources stay untouched). */
function makeWorkspace(root) {
  const ws = path.join(root, 'ws');
  fs.mkdirSync(ws, { recursive: true });
  if (fs.existsSync(workspaceTemplate)) copyDir(workspaceTemplate, ws);
  const examples = path.join(repoRoot, 'examples');
  if (fs.existsSync(examples)) copyDir(examples, path.join(ws, 'examples'));
  return ws;
}

async function startServer(name, { workspace, extensionsDir, env }) {
  const D = fs.mkdtempSync(path.join(os.tmpdir(), `ib-vscode-${name}-`));
  tempDirs.push(D);
  const port = await freePort();
  const udd = path.join(D, 'udd');
  const ext = extensionsDir || path.join(D, 'ext');
  fs.mkdirSync(ext, { recursive: true });
  // Settings for the run: no telemetry, no trust prompt, a calm workbench for screenshots.
  fs.mkdirSync(path.join(udd, 'User'), { recursive: true });
  fs.writeFileSync(path.join(udd, 'User', 'settings.json'), JSON.stringify({
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'telemetry.telemetryLevel': 'off',
    'security.workspace.trust.enabled': false,
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'update.mode': 'none',
    'editor.hover.delay': 100,
    'workbench.colorTheme': 'Default Light Modern',
    'window.commandCenter': false,
    'chat.commandCenter.enabled': false,
  }, null, 2));
  const serverLog = path.join(D, 'server.log');
  const out = fs.openSync(serverLog, 'a');
  const child = cp.spawn(process.execPath, [codeServerEntry,
    '--bind-addr', `127.0.0.1:${port}`, '--auth', 'none',
    '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust', '--disable-getting-started-override',
    '--user-data-dir', udd, '--extensions-dir', ext, workspace], {
    cwd: D,
    detached: true,
    stdio: ['ignore', out, out],
    env: { ...process.env, XDG_CONFIG_HOME: path.join(D, 'xdg'), ...env },
  });
  children.add(child);
  child.on('exit', () => children.delete(child));
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  while (!(await httpOk(`${base}/healthz`))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`code-server did not start (see ${serverLog}):\n${safeRead(serverLog).slice(-3000)}`);
    }
    await sleep(200);
  }
  return { D, port, base, udd, ext, child, serverLog, workspace };
}

function safeRead(f) { try { return fs.readFileSync(f, 'utf8'); } catch { return ''; } }

async function launchBrowser() {  // playwright gives each launch a fresh, temporary profile
  const { chromium } = require('playwright-core');
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
}

function walk(dir, pred, acc = []) {
  let entries;
  try { entries = fs.readdirSync(dir, { withFileTypes: true }); } catch { return acc; } // absent, or gone meanwhile
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, pred, acc); else if (e.isFile() && pred(p)) acc.push(p);
  }
  return acc;
}

/** Errors in the extension host logs that come from this extension (exceptions thrown by its code). */
function extensionHostErrors(udd) {
  const id = `${pkg.publisher}.${pkg.name}`;
  // The host's logs and the extension's own output channel: the extension logs an [error] only for an exception
  // it caught (with its stack), which is a bug too.
  const logs = walk(path.join(udd, 'logs'), (p) => /exthost/i.test(p) && p.endsWith('.log'));
  const ours = (t) => t.includes(id) || t.includes(path.join(repoRoot, 'dist')) || t.includes(`${id}-${pkg.version}`);
  const stamp = /^\d{4}-\d\d-\d\d[ T]\d\d:\d\d/;
  const found = [];
  for (const f of logs) {
    const lines = safeRead(f).split(/\r?\n/);
    for (let i = 0; i < lines.length; i++) {
      if (!stamp.test(lines[i]) || !/\[error\]/i.test(lines[i])) continue;
      // The error line and its stack (the lines up to the next time-stamped entry).
      let j = i + 1;
      while (j < lines.length && !stamp.test(lines[j])) j++;
      const entry = lines.slice(i, j).join('\n');
      if (ours(entry)) found.push(`${path.basename(f)}: ${entry}`);
    }
  }
  return found;
}

// ---------------------------------------------------------------------------------------------------
// Phase 1: mocha inside the extension host

async function runHostSuite() {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ib-vscode-ws-'));
  tempDirs.push(root);
  const workspace = makeWorkspace(root);
  const resultsFile = path.join(root, 'host-results.json');
  const hfHome = path.join(root, 'hf-home');
  fs.mkdirSync(hfHome, { recursive: true });
  const env = {
    INFERENCE_BUDGET_TEST_RESULTS: resultsFile,
    INFERENCE_BUDGET_TEST_WORKSPACE: workspace,
    INFERENCE_BUDGET_TEST_GREP: opt.grep,
    INFERENCE_BUDGET_REPO_ROOT: repoRoot,
    // A private, empty Hugging Face cache: tests that need one fill it themselves.
    HF_HOME: hfHome,
    HF_HUB_CACHE: '',
    HF_ENDPOINT: 'http://127.0.0.1:9',
    HF_TOKEN: '',
  };
  const server = await startServer('host', { workspace, env });
  log(`host suite: code-server on ${server.base} (pid ${server.child.pid}), workspace ${workspace}`);
  const remote = (p) => `vscode-remote://127.0.0.1:${server.port}${p}`;
  const payload = [
    ['extensionDevelopmentPath', remote(repoRoot)],
    ['extensionTestsPath', remote(suiteIndex)],
  ];
  const url = `${server.base}/?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
  const browser = await launchBrowser();
  let result;
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.on('pageerror', (e) => { if (process.env.INFERENCE_BUDGET_TEST_VERBOSE) log('page error:', e.message); });
    await page.goto(url, { waitUntil: 'domcontentloaded' });
    const deadline = Date.now() + HOST_TIMEOUT_MS;
    let printed = 0;
    const progress = resultsFile + '.progress';
    while (Date.now() < deadline) {
      const lines = safeRead(progress).split('\n').filter(Boolean);
      for (; printed < lines.length; printed++) console.log('  ' + lines[printed]);
      if (fs.existsSync(resultsFile)) {
        try { result = JSON.parse(fs.readFileSync(resultsFile, 'utf8')); break; } catch { /* being written */ }
      }
      if (server.child.exitCode !== null) break;
      await sleep(250);
    }
    const lines = safeRead(progress).split('\n').filter(Boolean);
    for (; printed < lines.length; printed++) console.log('  ' + lines[printed]);
  } finally {
    await browser.close().catch(() => {});
    await sleep(300);
    stopChild(server.child);
  }
  if (!result) {
    log(`the extension host never reported (timeout ${HOST_TIMEOUT_MS} ms). server log tail:\n${safeRead(server.serverLog).slice(-4000)}`);
    dumpExtHostLogs(server.udd);
    return { passed: 0, failed: 1, failures: [{ title: 'extension host suite', error: 'the extension host never reported results' }], udd: server.udd };
  }
  return { ...result, udd: server.udd };
}

function dumpExtHostLogs(udd) {
  for (const f of walk(path.join(udd, 'logs'), (p) => /exthost/i.test(p) && p.endsWith('.log'))) {
    log(`--- ${f}\n${safeRead(f).slice(-4000)}`);
  }
}

// ---------------------------------------------------------------------------------------------------
// Phase 2: UI tests with the extension installed

/**
 * The VSIX users install: `vsce package` with no flags (its vscode:prepublish builds dist/), unless --vsix PATH or
 * INFERENCE_BUDGET_VSIX names one already built (.ci/run builds it once).
 */
function packageVsix(dir) {
  const given = args.includes('--vsix') ? args[args.indexOf('--vsix') + 1] : process.env.INFERENCE_BUDGET_VSIX;
  if (given) return path.resolve(given);
  const out = path.join(dir, `${pkg.name}-${pkg.version}.vsix`);
  log(`packaging ${out} (vsce package)`);
  cp.execFileSync(process.execPath, [path.join(repoRoot, 'node_modules', '@vscode', 'vsce', 'vsce'), 'package', '--out', out], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'inherit'] });
  return out;
}

/** Installs a VSIX into an extensions folder with code-server's own `--install-extension`; returns its folder. */
function installVsix(vsix, extensionsDir) {
  fs.mkdirSync(extensionsDir, { recursive: true });
  const r = cp.spawnSync(process.execPath, [codeServerEntry, '--extensions-dir', extensionsDir, '--install-extension', vsix], {
    encoding: 'utf8', env: { ...process.env, XDG_CONFIG_HOME: path.join(extensionsDir, '..', 'xdg') }, timeout: 120_000,
  });
  const folder = path.join(extensionsDir, `${pkg.publisher}.${pkg.name}-${pkg.version}`);
  if (r.status !== 0 || !fs.existsSync(path.join(folder, 'package.json'))) {
    throw new Error(`code-server --install-extension ${vsix} failed (exit ${r.status}):\n${(r.stdout || '') + (r.stderr || '')}`.slice(0, 3000));
  }
  log(`installed ${path.basename(vsix)} into ${extensionsDir}`);
  return folder;
}

/** The extensions folder of the UI tests, with the extension installed when the run starts (a rebuild meanwhile does not leak in). */
let uiExtensionsDir;

async function runUiTests() {
  const files = walk(uiDir, (p) => p.endsWith('.test.js')).sort();
  if (files.length === 0) { log('no UI tests found in ' + uiDir); return { passed: 0, failed: 0, failures: [] }; }
  if (!fs.existsSync(path.join(repoRoot, pkg.main || 'dist/extension.js'))) {
    return { passed: 0, failed: 1, failures: [{ title: 'ui', error: `${pkg.main} is not built` }] };
  }
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ib-vscode-uiws-'));
  tempDirs.push(root);
  const workspace = makeWorkspace(root);
  const extensionsDir = uiExtensionsDir;
  const hfHome = path.join(root, 'hf-home');
  fs.mkdirSync(hfHome, { recursive: true });
  const server = await startServer('ui', {
    workspace, extensionsDir,
    env: { HF_HOME: hfHome, HF_HUB_CACHE: '', HF_ENDPOINT: 'http://127.0.0.1:9', HF_TOKEN: '' },
  });
  log(`ui tests: code-server on ${server.base} (pid ${server.child.pid})`);
  fs.mkdirSync(resultsDir, { recursive: true });
  const grep = opt.grep ? new RegExp(opt.grep) : null;
  const res = { passed: 0, failed: 0, failures: [], udd: server.udd };
  const browser = await launchBrowser();
  try {
    for (const file of files) {
      const mod = require(file);
      const tests = mod.tests || [];
      for (const t of tests) {
        const title = `${path.basename(file, '.test.js')}: ${t.name}`;
        if (grep && !grep.test(title)) continue;
        const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
        const page = await context.newPage();
        const ctx = { page, base: server.base, workspace, resultsDir, repoRoot, log };
        const t0 = Date.now();
        try {
          await withTimeout(t.run(ctx), t.timeoutMs || UI_TEST_TIMEOUT_MS, title);
          res.passed++;
          console.log(`  ✔ [ui] ${title} (${Date.now() - t0} ms)`);
        } catch (e) {
          res.failed++;
          const msg = (e && e.stack) || String(e);
          res.failures.push({ title: `[ui] ${title}`, error: msg });
          console.log(`  ✘ [ui] ${title}\n      ${msg.split('\n').join('\n      ')}`);
          await page.screenshot({ path: path.join(resultsDir, `FAILED-${title.replace(/[^\w.-]+/g, '_')}.png`) }).catch(() => {});
        } finally {
          await context.close().catch(() => {});
        }
      }
    }
  } finally {
    await browser.close().catch(() => {});
    await sleep(300);
    stopChild(server.child);
  }
  return res;
}

function withTimeout(p, ms, what) {
  let t;
  return Promise.race([
    Promise.resolve(p).finally(() => clearTimeout(t)),
    new Promise((_, reject) => { t = setTimeout(() => reject(new Error(`${what}: timed out after ${ms} ms`)), ms); }),
  ]);
}

// ---------------------------------------------------------------------------------------------------

async function main() {
  const missing = [];
  if (!fs.existsSync(codeServerEntry)) missing.push('code-server (node_modules/code-server)');
  if (!fs.existsSync(chromiumPath)) missing.push(`chromium (${chromiumPath})`);
  try { require.resolve('playwright-core'); } catch { missing.push('playwright-core'); }
  if (missing.length) {
    console.error(`[vscode-tests] missing: ${missing.join(', ')}. Run: bash scripts/install-test-deps.sh`);
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
  if (!opt.hostOnly) {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'ib-vscode-install-'));
    tempDirs.push(d);
    uiExtensionsDir = path.join(d, 'extensions');
    // The UI tests run the packaged VSIX as users install it.
    installVsix(packageVsix(d), uiExtensionsDir);
  }
  const totals = { passed: 0, failed: 0, failures: [] };
  const add = (r, label) => {
    totals.passed += r.passed || 0;
    totals.failed += r.failed || 0;
    for (const f of r.failures || []) totals.failures.push(f);
    log(`${label}: ${r.passed || 0} passed, ${r.failed || 0} failed`);
  };
  const udds = [];
  if (!opt.uiOnly) {
    if (!fs.existsSync(suiteIndex)) {
      add({ passed: 0, failed: 1, failures: [{ title: 'host suite', error: `${suiteIndex} missing: run npm run compile-tests` }] }, 'extension host');
    } else {
      const r = await runHostSuite();
      udds.push(r.udd);
      add(r, 'extension host');
    }
  }
  if (!opt.hostOnly) {
    const r = await runUiTests();
    if (r.udd) udds.push(r.udd);
    add(r, 'ui');
  }
  // No exception from this extension may reach the extension host log (malformed files included).
  const hostErrors = udds.flatMap(extensionHostErrors);
  if (hostErrors.length) {
    add({ passed: 0, failed: 1, failures: [{ title: 'extension host log has errors from this extension', error: hostErrors.join('\n---\n').slice(0, 6000) }] }, 'host log');
  } else if (udds.length) {
    add({ passed: 1, failed: 0 }, 'host log (no errors from this extension)');
  }
  // The workspace's config.json files are indexed in the background at activation (the output channel says so).
  if (udds.length) {
    const channel = udds.flatMap((u) => walk(path.join(u, 'logs'), (p) => p.endsWith('.log') && safeRead(p).includes('activated (VS Code')));
    const indexed = channel.some((f) => /indexed \d+ config\.json files? in the workspace/.test(safeRead(f)));
    add(indexed ? { passed: 1, failed: 0 } : { passed: 0, failed: 1, failures: [{ title: 'the workspace index is built at activation', error: channel.length ? `no "indexed N config.json files" line in ${channel.join(', ')}` : 'the output channel log was not found' }] }, 'workspace indexed at activation');
  }
  // The HF token a test hands the extension must never be written anywhere (logs, output channel, state).
  const leaks = udds.flatMap((u) => walk(path.dirname(u), (p) => {
    try {
      const st = fs.statSync(p);
      return st.isFile() && st.size < 50 * 1024 * 1024 && safeRead(p).includes(SECRET_TOKEN);
    } catch { return false; } // sockets and files that went away
  }));
  if (leaks.length) add({ passed: 0, failed: 1, failures: [{ title: 'the test HF token was written to disk', error: leaks.join('\n') }] }, 'token leak');
  else if (udds.length) add({ passed: 1, failed: 0 }, 'no token in logs or state');
  if (totals.failures.length) {
    console.log('\nFailures:');
    totals.failures.forEach((f, i) => console.log(`  ${i + 1}) ${f.title}\n     ${String(f.error).split('\n').join('\n     ')}`));
  }
  cleanup();
  console.log(`${totals.passed} passed, ${totals.failed} failed`);
  process.exit(totals.failed === 0 && totals.passed > 0 ? 0 : 1);
}

main().catch((e) => {
  console.error('[vscode-tests] launcher error:', (e && e.stack) || e);
  cleanup();
  console.log('0 passed, 1 failed');
  process.exit(1);
});
