// Real-browser test of the roofline panel's webview bundle under the panel's CSP.
//
// Builds dist/webview, serves a page made by renderPanelHtml (plus a fake acquireVsCodeApi) from
// 127.0.0.1, opens it in headless Chromium through playwright-core, posts a fixture `state`
// message and checks the charts, tables, messages, exports and the absence of CSP violations.
//
//   node scripts/build-webview.js && npx tsc -p . && npx mocha --no-config --no-package --timeout 120000 out/test/browser/panel.browser.test.js
//
// Chromium: /usr/bin/chromium (Debian package) or $CHROMIUM_PATH; the suite is skipped without one.

import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { isWebviewMessage, type PanelState, type WebviewMessage } from '../../src/panel/messages';
import { renderPanelHtml } from '../../webview/index.html';

function findRoot(start: string): string {
  let dir = start;
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg) && fs.existsSync(path.join(dir, 'webview', 'main.ts'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`repository root not found above ${start}`);
    dir = up;
  }
}

const ROOT = findRoot(__dirname);
const RESULTS = path.join(ROOT, 'test-results');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync',
];

const fixture: PanelState = JSON.parse(fs.readFileSync(path.join(ROOT, 'test', 'browser', 'fixtures', 'state.json'), 'utf8'));

const DARK: Record<string, string> = {
  '--vscode-font-family': 'system-ui, "Ubuntu", "Droid Sans", sans-serif',
  '--vscode-font-size': '13px',
  '--vscode-font-weight': 'normal',
  '--vscode-editor-background': '#1f1f1f',
  '--vscode-editor-foreground': '#cccccc',
  '--vscode-foreground': '#cccccc',
  '--vscode-descriptionForeground': '#9d9d9d',
  '--vscode-errorForeground': '#f85149',
  '--vscode-focusBorder': '#0078d4',
  '--vscode-charts-foreground': '#cccccc',
  '--vscode-charts-lines': 'rgba(204, 204, 204, 0.5)',
  '--vscode-charts-blue': '#3794ff',
  '--vscode-charts-orange': '#d18616',
  '--vscode-charts-green': '#89d185',
  '--vscode-charts-purple': '#b180d7',
  '--vscode-charts-red': '#f14c4c',
  '--vscode-charts-yellow': '#cca700',
  '--vscode-button-background': '#0078d4',
  '--vscode-button-foreground': '#ffffff',
  '--vscode-button-hoverBackground': '#026ec1',
  '--vscode-button-secondaryBackground': '#313131',
  '--vscode-button-secondaryForeground': '#cccccc',
  '--vscode-button-secondaryHoverBackground': '#3c3c3c',
  '--vscode-button-border': 'rgba(255, 255, 255, 0.07)',
  '--vscode-input-background': '#313131',
  '--vscode-input-foreground': '#cccccc',
  '--vscode-input-border': '#3c3c3c',
  '--vscode-settings-textInputBackground': '#313131',
  '--vscode-settings-textInputForeground': '#cccccc',
  '--vscode-settings-textInputBorder': '#3c3c3c',
  '--vscode-settings-dropdownBackground': '#313131',
  '--vscode-settings-dropdownForeground': '#cccccc',
  '--vscode-settings-dropdownBorder': '#3c3c3c',
  '--vscode-settings-dropdownListBorder': '#454545',
  '--vscode-settings-checkboxBackground': '#313131',
  '--vscode-settings-checkboxForeground': '#cccccc',
  '--vscode-settings-checkboxBorder': '#3c3c3c',
  '--vscode-checkbox-background': '#313131',
  '--vscode-checkbox-border': '#3c3c3c',
  '--vscode-dropdown-background': '#313131',
  '--vscode-dropdown-foreground': '#cccccc',
  '--vscode-dropdown-border': '#3c3c3c',
  '--vscode-list-activeSelectionBackground': '#04395e',
  '--vscode-list-activeSelectionForeground': '#ffffff',
  '--vscode-list-hoverBackground': '#2a2d2e',
  '--vscode-badge-background': '#616161',
  '--vscode-badge-foreground': '#f8f8f8',
  '--vscode-panel-border': '#2b2b2b',
  '--vscode-widget-border': '#313131',
  '--vscode-editorWidget-border': '#454545',
  '--vscode-editorHoverWidget-background': '#202020',
  '--vscode-editorHoverWidget-foreground': '#cccccc',
  '--vscode-sideBarSectionHeader-background': '#181818',
  '--vscode-sideBarSectionHeader-foreground': '#cccccc',
  '--vscode-sideBarTitle-foreground': '#cccccc',
  '--vscode-inputValidation-errorBackground': '#5a1d1d',
  '--vscode-inputValidation-errorBorder': '#be1100',
  '--vscode-sideBar-background': '#181818',
  '--vscode-checkbox-foreground': '#cccccc',
  '--vscode-icon-foreground': '#cccccc',
  '--vscode-input-placeholderForeground': '#989898',
  '--vscode-list-focusOutline': '#0078d4',
  '--vscode-list-highlightForeground': '#2aaaff',
  '--vscode-list-focusHighlightForeground': '#2aaaff',
  '--vscode-list-hoverForeground': '#ffffff',
  '--vscode-scrollbar-shadow': '#000000',
  '--vscode-widget-shadow': 'rgba(0, 0, 0, 0.36)',
  '--vscode-toolbar-hoverOutline': 'transparent',
};

const LIGHT: Record<string, string> = {
  ...DARK,
  '--vscode-editor-background': '#ffffff',
  '--vscode-editor-foreground': '#3b3b3b',
  '--vscode-foreground': '#3b3b3b',
  '--vscode-descriptionForeground': '#3b3b3b',
  '--vscode-errorForeground': '#f85149',
  '--vscode-focusBorder': '#005fb8',
  '--vscode-charts-foreground': '#616161',
  '--vscode-charts-lines': 'rgba(97, 97, 97, 0.5)',
  '--vscode-charts-blue': '#1a85ff',
  '--vscode-charts-orange': '#d18616',
  '--vscode-charts-green': '#388a34',
  '--vscode-charts-purple': '#652d90',
  '--vscode-charts-red': '#e51400',
  '--vscode-button-background': '#005fb8',
  '--vscode-button-hoverBackground': '#0258a8',
  '--vscode-button-secondaryBackground': '#e5e5e5',
  '--vscode-button-secondaryForeground': '#3b3b3b',
  '--vscode-button-secondaryHoverBackground': '#cccccc',
  '--vscode-button-border': 'rgba(0, 0, 0, 0.1)',
  '--vscode-input-background': '#ffffff',
  '--vscode-input-foreground': '#3b3b3b',
  '--vscode-input-border': '#cecece',
  '--vscode-settings-textInputBackground': '#ffffff',
  '--vscode-settings-textInputForeground': '#3b3b3b',
  '--vscode-settings-textInputBorder': '#cecece',
  '--vscode-settings-dropdownBackground': '#ffffff',
  '--vscode-settings-dropdownForeground': '#3b3b3b',
  '--vscode-settings-dropdownBorder': '#cecece',
  '--vscode-settings-dropdownListBorder': '#cecece',
  '--vscode-settings-checkboxBackground': '#f8f8f8',
  '--vscode-settings-checkboxForeground': '#3b3b3b',
  '--vscode-settings-checkboxBorder': '#cecece',
  '--vscode-checkbox-background': '#f8f8f8',
  '--vscode-checkbox-border': '#cecece',
  '--vscode-dropdown-background': '#ffffff',
  '--vscode-dropdown-foreground': '#3b3b3b',
  '--vscode-dropdown-border': '#cecece',
  '--vscode-list-activeSelectionBackground': '#e8e8e8',
  '--vscode-list-activeSelectionForeground': '#000000',
  '--vscode-list-hoverBackground': '#f2f2f2',
  '--vscode-badge-background': '#cccccc',
  '--vscode-badge-foreground': '#3b3b3b',
  '--vscode-panel-border': '#e5e5e5',
  '--vscode-widget-border': '#e5e5e5',
  '--vscode-editorWidget-border': '#c8c8c8',
  '--vscode-editorHoverWidget-background': '#f8f8f8',
  '--vscode-editorHoverWidget-foreground': '#3b3b3b',
  '--vscode-sideBarSectionHeader-background': '#f8f8f8',
  '--vscode-sideBarSectionHeader-foreground': '#3b3b3b',
  '--vscode-sideBarTitle-foreground': '#3b3b3b',
  '--vscode-inputValidation-errorBackground': '#f2dede',
  '--vscode-inputValidation-errorBorder': '#be1100',
  '--vscode-sideBar-background': '#f8f8f8',
  '--vscode-checkbox-foreground': '#3b3b3b',
  '--vscode-icon-foreground': '#3b3b3b',
  '--vscode-input-placeholderForeground': '#767676',
  '--vscode-list-focusOutline': '#005fb8',
  '--vscode-list-highlightForeground': '#0066bf',
  '--vscode-list-focusHighlightForeground': '#0066bf',
  '--vscode-list-hoverForeground': '#000000',
  '--vscode-scrollbar-shadow': '#dddddd',
  '--vscode-widget-shadow': 'rgba(0, 0, 0, 0.16)',
};

/** The fixture's figures moved to another GPU (same model and settings): for the comparison view. */
function retarget(
  g: PanelState['perGpu'][number],
  gpu: { id: string; name: string; bandwidth: number; roofs: { dtype: string; peak: number }[]; totalGiB: number; maxConcurrency: number },
): PanelState['perGpu'][number] {
  const peak = gpu.roofs[0].peak;
  const points = g.points.map((p) => {
    const compute = p.flops / peak;
    const memory = p.bytes / gpu.bandwidth;
    return {
      ...p,
      attainableFlopsPerSecond: Math.min(peak, p.arithmeticIntensity * gpu.bandwidth),
      seconds: Math.max(compute, memory),
      bound: compute > memory ? 'compute' as const : 'memory' as const,
    };
  });
  const throughput = g.throughput.map((t) => {
    const d = g.points.find((p) => p.label === 'decode, batch 1')!;
    const bytes = d.bytes + (t.batch - 1) * (d.bytes - g.memory.weightsBytes);
    const s = Math.max((t.batch * d.flops) / peak, bytes / gpu.bandwidth);
    // Expected: 70 % of the ceiling, within 60–80 % (fixture values; the panel only draws them).
    return { batch: t.batch, tokensPerSecondPerRequest: 1 / s, tokensPerSecondTotal: t.batch / s, expectedTokensPerSecondTotal: 0.7 * t.batch / s, expectedLowTotal: 0.6 * t.batch / s, expectedHighTotal: 0.8 * t.batch / s };
  });
  const total = Math.round(gpu.totalGiB * 2 ** 30);
  const used = g.memory.weightsBytes + g.memory.activationBytes + g.memory.reserveBytes;
  const requested = Math.floor(total * 0.9);
  return {
    ...g,
    gpuId: gpu.id,
    gpuName: gpu.name,
    bandwidthBytesPerSecond: gpu.bandwidth,
    roofs: gpu.roofs.map((r) => ({ dtype: r.dtype, peakFlopsPerSecond: r.peak, ridgePointFlopsPerByte: r.peak / gpu.bandwidth })),
    points,
    throughput,
    maxConcurrency: gpu.maxConcurrency,
    memory: { ...g.memory, kvCacheBytes: requested - used, freeBytes: total - requested, totalBytes: total },
    summary: `${gpu.name}: the same deployment.`,
  };
}

/** The fake VS Code webview API; it runs before the bundle under the same nonce. */
function shimScript(savedState: unknown): string {
  return `
window.__posted = [];
window.__csp = [];
window.__setStateCalls = 0;
window.__savedState = ${JSON.stringify(savedState ?? null).replace(/</g, '\\u003c')};
document.addEventListener('securitypolicyviolation', (e) => {
  window.__csp.push({ directive: e.violatedDirective, blocked: e.blockedURI, sample: e.sample });
});
let acquired = false;
window.acquireVsCodeApi = () => {
  if (acquired) throw new Error('acquireVsCodeApi called twice');
  acquired = true;
  return {
    postMessage: (m) => { window.__posted.push(JSON.parse(JSON.stringify(m))); },
    getState: () => window.__savedState === null ? undefined : window.__savedState,
    setState: (s) => { window.__setStateCalls++; window.__savedState = JSON.parse(JSON.stringify(s)); return s; },
  };
};
const theme = ${JSON.stringify(DARK)};
for (const [k, v] of Object.entries(theme)) document.documentElement.style.setProperty(k, v);
document.body.classList.add('vscode-dark');
document.body.dataset.vscodeThemeKind = 'vscode-dark';
`;
}

interface Served {
  url: string;
  close(): Promise<void>;
  setSavedState(s: unknown): void;
  nonce: string;
}

async function serve(): Promise<Served> {
  let savedState: unknown = null;
  const nonce = crypto.randomBytes(18).toString('base64').replace(/[+/=]/g, 'x');
  const files: Record<string, { file: string; type: string }> = {
    '/dist/webview/main.js': { file: path.join(ROOT, 'dist', 'webview', 'main.js'), type: 'text/javascript; charset=utf-8' },
    '/dist/webview/panel.css': { file: path.join(ROOT, 'dist', 'webview', 'panel.css'), type: 'text/css; charset=utf-8' },
  };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname === '/' || url.pathname === '/index.html') {
      const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const html = renderPanelHtml({
        scriptUri: `${origin}/dist/webview/main.js`,
        styleUri: `${origin}/dist/webview/panel.css`,
        cspSource: origin,
        nonce,
      });
      // The shim goes right before the bundle's <script>, with the page nonce.
      const shim = `<script nonce="${nonce}">${shimScript(url.searchParams.has('restore') ? savedState : null)}</script>\n  `;
      const page = html.replace(`<script nonce="${nonce}" src=`, `${shim}<script nonce="${nonce}" src=`);
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(page);
      return;
    }
    if (url.pathname === '/favicon.ico') {
      res.writeHead(204).end();
      return;
    }
    const f = files[url.pathname];
    if (!f) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': f.type, 'cache-control': 'no-store' });
    fs.createReadStream(f.file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    nonce,
    setSavedState: (s) => {
      savedState = s;
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

type PageWindow = Window & {
  __posted: WebviewMessage[];
  __csp: { directive: string; blocked: string; sample: string }[];
  __savedState: unknown;
  __setStateCalls: number;
};

async function posted(page: Page): Promise<WebviewMessage[]> {
  return page.evaluate(() => (window as unknown as PageWindow).__posted);
}

async function postToWebview(page: Page, message: unknown): Promise<void> {
  await page.evaluate((m) => window.postMessage(m, '*'), message);
}

async function waitForCharts(page: Page): Promise<void> {
  await page.waitForFunction(() => ['roofline', 'throughput', 'memory'].every((id) => document.querySelector(`#chart-${id} svg`)));
}

/** Centre x/y (viewport px) of tick labels of an axis, keyed by label text. */
async function tickCenters(page: Page, chart: string, axis: 'x' | 'y'): Promise<Record<string, number>> {
  return page.evaluate(({ chart, axis }) => {
    const out: Record<string, number> = {};
    const texts = document.querySelectorAll(`#chart-${chart} svg g[aria-label="${axis}-axis tick label"] text`);
    for (const t of Array.from(texts)) {
      const r = t.getBoundingClientRect();
      out[t.textContent ?? ''] = axis === 'x' ? r.x + r.width / 2 : r.y + r.height / 2;
    }
    return out;
  }, { chart, axis });
}

async function centerOf(page: Page, selector: string): Promise<{ x: number; y: number }> {
  return page.$eval(selector, (e) => {
    const r = e.getBoundingClientRect();
    return { x: r.x + r.width / 2, y: r.y + r.height / 2 };
  });
}

/** Pixel position of `value` on a log axis given the tick centres at 1 and 10 (or any two decades). */
function logPosition(ticks: Record<string, number>, lo: string, hi: string, value: number): number {
  const a = ticks[lo];
  const b = ticks[hi];
  const decade = (b - a) / (Math.log10(Number(hi.replace(/,/g, ''))) - Math.log10(Number(lo.replace(/,/g, ''))));
  return a + (Math.log10(value) - Math.log10(Number(lo.replace(/,/g, '')))) * decade;
}

describe('roofline panel webview (real browser)', function () {
  this.timeout(180_000);
  let context: BrowserContext | undefined;
  let page: Page;
  let server: Served;
  let userDataDir: string;
  const consoleMessages: string[] = [];
  const pageErrors: string[] = [];

  before(async function () {
    // npm test installs Chromium first (scripts/install-test-deps.sh); a missing browser is a failure, not a skip.
    assert.ok(fs.existsSync(CHROMIUM), `no Chromium at ${CHROMIUM}: run bash scripts/install-test-deps.sh (or set CHROMIUM_PATH)`);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { buildWebview } = require(path.join(ROOT, 'scripts', 'build-webview.js')) as { buildWebview(o?: { quiet?: boolean }): Promise<{ bytes: number }> };
    await buildWebview({ quiet: true });
    fs.mkdirSync(RESULTS, { recursive: true });
    server = await serve();
    userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ib-chromium-'));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 900 },
      deviceScaleFactor: 1,
    });
    page = context.pages()[0] ?? await context.newPage();
    page.on('console', (m) => consoleMessages.push(`${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    await page.goto(server.url);
    await page.waitForFunction(() => (window as unknown as PageWindow).__posted.length > 0, undefined, { timeout: 15_000 }).catch((err) => {
      throw new Error(`the webview never posted "ready": ${String(err)}\nconsole:\n${consoleMessages.join('\n')}\npage errors:\n${pageErrors.join('\n')}`);
    });
  });

  after(async () => {
    await context?.close();
    await server?.close();
    if (userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true });
  });

  it('the bundle is small and has no eval / new Function', () => {
    const js = fs.readFileSync(path.join(ROOT, 'dist', 'webview', 'main.js'), 'utf8');
    assert.ok(js.length <= 400 * 1024, `bundle is ${js.length} bytes`);
    assert.doesNotMatch(js, /\beval\s*\(/);
    assert.doesNotMatch(js, /new\s+Function\s*\(/);
    assert.doesNotMatch(js, /\bFunction\s*\(\s*["'`]/);
    assert.ok(fs.existsSync(path.join(ROOT, 'dist', 'webview', 'panel.css')));
  });

  it('posts ready on load, before any state', async () => {
    const msgs = await posted(page);
    assert.deepEqual(msgs[0], { type: 'ready' });
    assert.ok(msgs.every((m) => isWebviewMessage(m)));
  });

  it('enforces the CSP (a style element without the nonce is blocked)', async () => {
    const blocked = await page.evaluate(async () => {
      const w = window as unknown as PageWindow;
      const before = w.__csp.length;
      const s = document.createElement('style');
      s.textContent = 'body { outline: 1px solid red; }';
      document.head.append(s);
      await new Promise((r) => setTimeout(r, 100));
      const hit = w.__csp.length > before;
      s.remove();
      w.__csp.splice(before);
      return hit;
    });
    assert.ok(blocked, 'the canary inline style was not reported: CSP is not in force');
    consoleMessages.length = 0;
  });

  it('renders three charts from a state message and persists it with setState', async () => {
    await postToWebview(page, { type: 'state', version: 1, state: fixture });
    await waitForCharts(page);
    const sizes = await page.evaluate(() => ['roofline', 'throughput', 'memory'].map((id) => {
      const svg = document.querySelector(`#chart-${id} svg`)!;
      return { id, w: svg.getBoundingClientRect().width, h: svg.getBoundingClientRect().height, label: svg.getAttribute('aria-label') };
    }));
    for (const s of sizes) {
      assert.ok(s.w > 300 && s.h > 100, `${s.id} chart is ${s.w}×${s.h}`);
      assert.ok(s.label, `${s.id} svg has no aria-label`);
    }
    for (const id of ['roofline', 'throughput', 'memory']) {
      const label = await page.getAttribute(`#chart-${id}`, 'aria-label');
      assert.ok(label && label.length > 10, `#chart-${id} aria-label`);
    }
    assert.equal(await page.textContent('#panel-title'), fixture.title);
    const saved = await page.evaluate(() => (window as unknown as PageWindow).__savedState) as { state: PanelState };
    assert.deepEqual(saved.state, fixture);
  });

  it('draws the roofline on real log-log axes', async () => {
    const xs = await tickCenters(page, 'roofline', 'x');
    const ys = await tickCenters(page, 'roofline', 'y');
    for (const t of ['1', '10', '100']) {
      assert.ok(t in xs, `x tick "${t}" missing: ${Object.keys(xs).join(' ')}`);
      assert.ok(t in ys, `y tick "${t}" missing: ${Object.keys(ys).join(' ')}`);
    }
    // Powers of ten equally spaced: logarithmic, not linear.
    assert.ok(Math.abs((xs['100'] - xs['10']) - (xs['10'] - xs['1'])) < 1.5, 'x decades are not equally spaced');
    assert.ok(Math.abs((ys['100'] - ys['10']) - (ys['10'] - ys['1'])) < 1.5, 'y decades are not equally spaced');
    assert.ok(xs['10'] - xs['1'] > 40, 'x decade too narrow');
    assert.ok(ys['1'] > ys['10'], 'y axis grows upwards');
  });

  it('marks and labels the ridge points (≈ 295 FLOP/byte for bf16)', async () => {
    const labels = await page.$$eval('#chart-roofline text[data-role="ridge-label"]', (els) => els.map((e) => e.textContent));
    assert.ok(labels.includes('ridge 295 FLOP/byte'), labels.join(' | '));
    assert.ok(labels.includes('ridge 591 FLOP/byte'), labels.join(' | '));
    const xs = await tickCenters(page, 'roofline', 'x');
    const ridge = await centerOf(page, '#chart-roofline g[aria-description="ridge points"] [aria-label$="bf16: 295 FLOP/byte"]');
    const expected = logPosition(xs, '100', '1,000', 989.4e12 / 3.35e12);
    assert.ok(Math.abs(ridge.x - expected) < 1.5, `ridge dot at ${ridge.x}, expected ${expected}`);
    const roofLabels = await page.$$eval('#chart-roofline text[data-role="roof-label"]', (els) => els.map((e) => e.textContent));
    assert.deepEqual(roofLabels.sort(), ['bf16 989 TFLOP/s', 'fp8 1,979 TFLOP/s']);
  });

  it('plots the decode batch-1 point at the fixture intensity', async () => {
    const p = fixture.perGpu[0].points.find((q) => q.label === 'decode, batch 1')!;
    const sel = '#chart-roofline g[aria-description="roofline points"] [aria-label^="NVIDIA H100 SXM 80GB decode, batch 1:"]';
    const label = await page.getAttribute(sel, 'aria-label');
    assert.match(label ?? '', /1\.19 FLOP\/byte/);
    const xs = await tickCenters(page, 'roofline', 'x');
    const ys = await tickCenters(page, 'roofline', 'y');
    const c = await centerOf(page, sel);
    assert.ok(Math.abs(c.x - logPosition(xs, '1', '10', p.arithmeticIntensity)) < 1.5, `x ${c.x}`);
    assert.ok(Math.abs(c.y - logPosition(ys, '1', '10', p.attainableFlopsPerSecond / 1e12)) < 1.5, `y ${c.y}`);
    // Every fixture point is drawn (prefill, three decode points, five operators).
    const n = await page.$$eval('#chart-roofline g[aria-description="roofline points"] > *', (els) => els.length);
    assert.equal(n, fixture.perGpu[0].points.length);
    const names = await page.$$eval('#chart-roofline text[data-role="point-label"]', (els) => els.map((e) => e.textContent));
    assert.ok(names.includes('decode, batch 1') && names.includes('prefill, 1024 tokens'), names.join(' | '));
  });

  it('shows a tooltip with FLOPs, bytes, intensity, time and bound', async () => {
    const sel = '#chart-roofline g[aria-description="roofline points"] [aria-label^="NVIDIA H100 SXM 80GB decode, batch 1:"]';
    const c = await centerOf(page, sel);
    await page.mouse.move(c.x + 1, c.y + 1);
    await page.waitForFunction(() => (document.querySelector('#chart-roofline g[aria-label="tip"]')?.textContent ?? '').includes('FLOPs'));
    const tip = await page.$eval('#chart-roofline g[aria-label="tip"]', (g) => Array.from(g.querySelectorAll('tspan')).map((t) => t.textContent).join(' '));
    for (const part of ['decode, batch 1', 'FLOPs', '20.4 GFLOP', 'Bytes', '15.96 GiB', '1.19 FLOP/byte', 'Time', '5.11 ms', 'Bound', 'memory']) {
      assert.ok(tip.includes(part), `tooltip lacks "${part}": ${tip}`);
    }
    await page.locator('#card-roofline').screenshot({ path: path.join(RESULTS, 'panel-tooltip.png') });
    await page.mouse.move(1, 1);
    assert.deepEqual(await page.evaluate(() => (window as unknown as PageWindow).__csp), []);
  });

  it('draws the max-concurrency wall on the throughput chart', async () => {
    const g = fixture.perGpu[0];
    const wall = '#chart-throughput g[aria-description="max concurrency wall"] line';
    assert.match((await page.getAttribute(wall, 'aria-label')) ?? '', /max concurrency 54\.3/);
    const xs = await tickCenters(page, 'throughput', 'x');
    const c = await centerOf(page, wall);
    assert.ok(Math.abs(c.x - logPosition(xs, '10', '100', g.maxConcurrency)) < 1.5, `wall at ${c.x}`);
    const text = await page.textContent('#chart-throughput text[data-role="wall-label"]');
    assert.equal(text, 'max concurrency 54.3');
    const ys = await tickCenters(page, 'throughput', 'y');
    assert.ok(Math.abs((ys['100'] - ys['1,000']) - (ys['1,000'] - ys['10,000'])) < 1.5, 'throughput y is log');
    const dots = await page.$$eval('#chart-throughput g[aria-description^="throughput points"] > *', (els) => els.length);
    assert.equal(dots, g.throughput.length * 2);
  });

  it('draws the expected total under the ceiling, with its band, on the throughput chart', async () => {
    const start = (sel: string) => page.$eval(sel, (el) => {
      const m = /^M([\d.]+),([\d.]+)/.exec(el.getAttribute('d') ?? '');
      return m ? { x: Number(m[1]), y: Number(m[2]) } : undefined;
    });
    const ceiling = await start('#chart-throughput g[aria-description="throughput total"] path');
    const expected = await start('#chart-throughput g[aria-description="expected total"] path');
    assert.ok(ceiling && expected, 'both lines drawn');
    assert.ok(Math.abs(ceiling.x - expected.x) < 0.5, 'both start at batch 1');
    // The fixture expects 70 % of the ceiling: log10(1 / 0.7) of a decade lower on the log axis.
    const ys = await tickCenters(page, 'throughput', 'y');
    const decade = ys['100'] - ys['1,000'];
    assert.ok(Math.abs(expected.y - ceiling.y - decade * Math.log10(1 / 0.7)) < 1.5, `expected ${expected.y}, ceiling ${ceiling.y}, decade ${decade}`);
    assert.equal(await page.$$eval('#chart-throughput g[aria-description="expected band"] path', (ps) => ps.length), 1);
    assert.match((await page.textContent('#chart-throughput')) ?? '', /expected total \(band: fit spread\)/);
  });

  it('stacks the memory bar so its segments sum to the total', async () => {
    const m = fixture.perGpu[0].memory;
    const geo = await page.evaluate(() => {
      const rects = Array.from(document.querySelectorAll('#chart-memory g[aria-description="memory segments"] rect'));
      const total = document.querySelector<SVGLineElement>('#chart-memory g[aria-description="memory total"] line')!;
      return {
        rects: rects.map((r) => ({ x: Number(r.getAttribute('x')), w: Number(r.getAttribute('width')), label: r.getAttribute('aria-label') })),
        totalX: total.getBoundingClientRect().x + total.getBoundingClientRect().width / 2 - (total.ownerSVGElement!.getBoundingClientRect().x),
      };
    });
    assert.equal(geo.rects.length, 5);
    const sum = geo.rects.reduce((a, r) => a + r.w, 0);
    assert.ok(Math.abs(geo.rects[0].x + sum - geo.totalX) < 1, `segments end at ${geo.rects[0].x + sum}, total at ${geo.totalX}`);
    for (let i = 1; i < geo.rects.length; i++) {
      assert.ok(Math.abs(geo.rects[i].x - (geo.rects[i - 1].x + geo.rects[i - 1].w)) < 0.01, 'segments are contiguous');
    }
    const cells = await page.$$eval('#table-memory tbody tr td', (tds) => tds.map((td) => Number((td as HTMLElement).dataset.value)));
    assert.equal(cells.length, 6);
    assert.equal(cells.slice(0, 5).reduce((a, b) => a + b, 0), cells[5]);
    assert.equal(cells[5], m.totalBytes);
    assert.equal(m.weightsBytes + m.activationBytes + m.reserveBytes + m.kvCacheBytes + m.freeBytes, m.totalBytes);
  });

  it('has data tables with every point, present while visually collapsed', async () => {
    const rows = await page.$$eval('#table-roofline table:first-of-type tbody tr', (trs) => trs.map((tr) => ({
      label: (tr.querySelector('th') as HTMLElement).dataset.value,
      intensity: Number((tr.children[4] as HTMLElement).dataset.value),
    })));
    assert.deepEqual(rows.map((r) => r.label), fixture.perGpu[0].points.map((p) => p.label));
    const b1 = fixture.perGpu[0].points.find((p) => p.label === 'decode, batch 1')!;
    assert.equal(rows.find((r) => r.label === 'decode, batch 1')!.intensity, b1.arithmeticIntensity);
    assert.equal(await page.$$eval('#table-throughput tbody tr', (trs) => trs.length), fixture.perGpu[0].throughput.length);
    // Collapsed: in the DOM and the accessibility tree, clipped to 1px.
    assert.equal(await page.getAttribute('#card-roofline .table-toggle', 'aria-expanded'), 'false');
    const box = await page.$eval('#table-roofline', (e) => e.getBoundingClientRect().width);
    assert.ok(box <= 1);
    const snapshot = await page.locator('#table-roofline').ariaSnapshot();
    assert.match(snapshot, /table/);
    assert.match(snapshot, /decode, batch 1/);
    await page.click('#card-roofline .table-toggle');
    assert.equal(await page.getAttribute('#card-roofline .table-toggle', 'aria-expanded'), 'true');
    assert.ok(await page.$eval('#table-roofline', (e) => e.getBoundingClientRect().width) > 200);
    await page.click('#card-roofline .table-toggle');
    await waitForCharts(page);
  });

  it('labels every control and reaches them with the keyboard', async () => {
    const unlabeled = await page.$$eval('form.controls vscode-single-select, form.controls vscode-textfield',
      (els) => els.filter((e) => !e.getAttribute('aria-label') || !document.querySelector(`vscode-label[for="${e.id}"]`)).map((e) => e.id));
    assert.deepEqual(unlabeled, []);
    await page.focus('body');
    const reached = new Set<string>();
    for (let i = 0; i < 40; i++) {
      await page.keyboard.press('Tab');
      const id = await page.evaluate(() => {
        const a = document.activeElement as HTMLElement | null;
        return a?.id || a?.dataset.export || a?.className || a?.tagName || '';
      });
      reached.add(id);
    }
    for (const id of ['ctl-gpu-0', 'ctl-batch', 'ctl-context', 'ctl-precision', 'roofline:svg', 'memory:csv']) {
      assert.ok(reached.has(id), `${id} not reached by Tab: ${[...reached].join(', ')}`);
    }
  });

  it('posts one debounced controlsChanged when a control changes', async () => {
    const before = (await posted(page)).length;
    const input = page.locator('#ctl-batch input');
    await input.fill('');
    await input.pressSequentially('128', { delay: 30 });
    await page.waitForTimeout(450);
    const after = (await posted(page)).slice(before);
    const changes = after.filter((m) => m.type === 'controlsChanged');
    assert.equal(changes.length, 1, JSON.stringify(after));
    const msg = changes[0];
    assert.ok(isWebviewMessage(msg));
    assert.deepEqual(msg, { type: 'controlsChanged', controls: { ...fixture.controls, batch: 128 } });
    // An invalid value marks the field and posts nothing.
    await input.fill('0');
    await page.waitForTimeout(350);
    assert.equal((await posted(page)).slice(before).filter((m) => m.type === 'controlsChanged').length, 1);
    assert.equal(await page.$eval('#ctl-batch', (e) => (e as HTMLElement & { invalid: boolean }).invalid), true);
    await input.fill(String(fixture.controls.batch));
    await page.waitForTimeout(350);
  });

  it('compares a second GPU picked from the searchable select', async () => {
    const before = (await posted(page)).length;
    const combo = page.locator('#ctl-gpu-1 input');
    await combo.click();
    await combo.pressSequentially('H200', { delay: 20 });
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await page.waitForTimeout(400);
    const changes = (await posted(page)).slice(before).filter((m) => m.type === 'controlsChanged');
    assert.ok(changes.length >= 1, 'no controlsChanged after picking a GPU');
    const last = changes[changes.length - 1] as Extract<WebviewMessage, { type: 'controlsChanged' }>;
    assert.deepEqual(last.controls.gpus, ['h100-sxm', 'h200']);
    await page.keyboard.press('Escape');
  });

  it('ignores invalid host messages and shows host errors', async () => {
    const bad: unknown[] = [
      { type: 'state', version: 2, state: { ...fixture, title: 'v2' } },
      { type: 'state', version: 1, state: { ...fixture, title: 'nan', perGpu: [{ ...fixture.perGpu[0], bandwidthBytesPerSecond: Number.NaN }] } },
      { type: 'state', version: 1, state: { ...fixture, title: 'extra', extra: 1 } },
      { type: 'state', version: 1, state: { ...fixture, title: 'huge', gpuOptions: Array.from({ length: 5000 }, (_, i) => ({ id: `g${i}`, name: `G${i}` })) } },
      { type: 'rerender' },
      'state',
      null,
    ];
    for (const m of bad) await postToWebview(page, m);
    await page.waitForTimeout(200);
    assert.equal(await page.textContent('#panel-title'), fixture.title);
    await postToWebview(page, { type: 'error', message: 'The model could not be read.' });
    await page.waitForSelector('#panel-error:not([hidden])');
    assert.equal(await page.textContent('#panel-error'), 'The model could not be read.');
    await postToWebview(page, { type: 'state', version: 1, state: fixture });
    await page.waitForSelector('#panel-error[hidden]', { state: 'attached' });
  });

  it('exports SVG, PNG and CSV through export messages', async () => {
    const before = (await posted(page)).length;
    await page.click('vscode-button[data-export="roofline:svg"]');
    await page.click('vscode-button[data-export="roofline:png"]');
    await page.click('vscode-button[data-export="roofline:csv"]');
    await page.click('vscode-button[data-export="memory:csv"]');
    await page.click('vscode-button[data-export="throughput:png"]');
    await page.waitForFunction((n) => (window as unknown as PageWindow).__posted.filter((m) => m.type === 'export').length >= n, 5, { timeout: 10_000 });
    const exports = (await posted(page)).slice(before).filter((m): m is Extract<WebviewMessage, { type: 'export' }> => m.type === 'export');
    for (const e of exports) assert.ok(isWebviewMessage(e), `${e.chart} ${e.format} fails validation`);
    const svg = exports.find((e) => e.chart === 'roofline' && e.format === 'svg')!;
    assert.match(svg.data, /^<\?xml[^>]*>\s*<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assert.doesNotMatch(svg.data, /var\(--/);
    assert.match(svg.data, /ridge 295 FLOP\/byte/);
    const png = exports.find((e) => e.chart === 'roofline' && e.format === 'png')!;
    assert.match(png.data, /^data:image\/png;base64,/);
    const pngBytes = Buffer.from(png.data.slice('data:image/png;base64,'.length), 'base64');
    assert.equal(pngBytes.subarray(1, 4).toString('latin1'), 'PNG');
    assert.ok(pngBytes.readUInt32BE(16) >= 1000, `PNG width ${pngBytes.readUInt32BE(16)}`);
    fs.writeFileSync(path.join(RESULTS, 'panel-roofline-export.png'), pngBytes);
    fs.writeFileSync(path.join(RESULTS, 'panel-roofline-export.svg'), svg.data);
    const tp = exports.find((e) => e.chart === 'throughput' && e.format === 'png')!;
    fs.writeFileSync(path.join(RESULTS, 'panel-throughput-export.png'), Buffer.from(tp.data.split(',')[1], 'base64'));
    const csv = exports.find((e) => e.chart === 'roofline' && e.format === 'csv')!;
    const lines = csv.data.trimEnd().split('\r\n');
    assert.equal(lines[0], 'gpu,label,kind,flops,bytes,arithmetic_intensity_flop_per_byte,attainable_flop_per_second,seconds,bound');
    assert.equal(lines.length, 1 + fixture.perGpu[0].points.length);
    assert.ok(lines.some((l) => l.startsWith('NVIDIA H100 SXM 80GB,"decode, batch 1",decode,')));
    const mem = exports.find((e) => e.chart === 'memory' && e.format === 'csv')!;
    assert.match(mem.data, /^gpu,weights_bytes,/);
  });

  it('saves a dark-theme screenshot', async () => {
    await page.mouse.move(1, 1);
    await waitForCharts(page);
    await page.screenshot({ path: path.join(RESULTS, 'panel-dark.png'), fullPage: true });
  });

  it('follows a switch to the light theme and saves a screenshot', async () => {
    const darkFill = await page.getAttribute('#chart-memory g[aria-description="memory segments"] rect', 'fill');
    await page.evaluate((vars) => {
      for (const [k, v] of Object.entries(vars)) document.documentElement.style.setProperty(k, v);
      document.body.classList.remove('vscode-dark');
      document.body.classList.add('vscode-light');
    }, LIGHT);
    await page.waitForFunction((old) => document.querySelector('#chart-memory g[aria-description="memory segments"] rect')?.getAttribute('fill') !== old, darkFill);
    const fill = await page.getAttribute('#chart-memory g[aria-description="memory segments"] rect', 'fill');
    assert.equal(fill, LIGHT['--vscode-charts-blue']);
    const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    assert.equal(bg, 'rgb(255, 255, 255)');
    await page.screenshot({ path: path.join(RESULTS, 'panel-light.png'), fullPage: true });
  });

  it('overlays up to three GPUs (comparison screenshot, narrow viewport)', async () => {
    const base = fixture.perGpu[0];
    const compare: PanelState = {
      ...fixture,
      title: 'Llama-3.1-8B-Instruct: H100 SXM vs H200 vs A100',
      controls: { ...fixture.controls, gpus: ['h100-sxm', 'h200', 'a100-sxm-80gb'] },
      perGpu: [
        base,
        retarget(base, { id: 'h200', name: 'NVIDIA H200 141GB', bandwidth: 4.8e12, roofs: [{ dtype: 'bf16', peak: 989.4e12 }, { dtype: 'fp8', peak: 1978.9e12 }], totalGiB: 139.8, maxConcurrency: 134.6 }),
        retarget(base, { id: 'a100-sxm-80gb', name: 'NVIDIA A100 SXM4 80GB', bandwidth: 2.039e12, roofs: [{ dtype: 'bf16', peak: 312e12 }], totalGiB: 79.15, maxConcurrency: 54.1 }),
      ],
    };
    await postToWebview(page, { type: 'state', version: 1, state: compare });
    await page.waitForFunction(() => document.querySelectorAll('#chart-memory g[aria-description="memory segments"] rect').length === 15);
    const roofPoints = await page.$$eval('#chart-roofline g[aria-description="roofline points"]', (gs) => gs.length);
    assert.equal(roofPoints, 3);
    const walls = await page.$$eval('#chart-throughput g[aria-description="max concurrency wall"] line', (ls) => ls.length);
    assert.equal(walls, 3);
    const ridges = await page.$$eval('#chart-roofline text[data-role="ridge-label"]', (els) => els.map((e) => e.textContent));
    assert.ok(ridges.includes('ridge 153 FLOP/byte'), ridges.join(' | '));
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.waitForTimeout(100);
    await page.screenshot({ path: path.join(RESULTS, 'panel-compare.png'), fullPage: true });
    await page.setViewportSize({ width: 640, height: 900 });
    await page.waitForFunction(() => (document.querySelector('#chart-roofline svg')?.getBoundingClientRect().width ?? 0) < 640);
    await page.screenshot({ path: path.join(RESULTS, 'panel-narrow.png'), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 900 });
    await postToWebview(page, { type: 'state', version: 1, state: fixture });
    await page.waitForFunction(() => document.querySelectorAll('#chart-memory g[aria-description="memory segments"] rect').length === 5);
  });

  it('revives from vscode.getState() without a host message', async () => {
    const saved = await page.evaluate(() => (window as unknown as PageWindow).__savedState);
    server.setSavedState(saved);
    const p2 = await context!.newPage();
    const errors: string[] = [];
    p2.on('pageerror', (e) => errors.push(String(e)));
    await p2.goto(`${server.url}?restore=1`);
    await waitForCharts(p2);
    assert.equal(await p2.textContent('#panel-title'), fixture.title);
    const msgs = await posted(p2);
    assert.deepEqual(msgs[0], { type: 'ready' });
    assert.deepEqual((await p2.evaluate(() => (window as unknown as PageWindow).__csp)), []);
    assert.deepEqual(errors, []);
    await p2.close();
  });

  it('had no CSP violations, console errors or page errors', async () => {
    const csp = await page.evaluate(() => (window as unknown as PageWindow).__csp);
    assert.deepEqual(csp, []);
    assert.deepEqual(consoleMessages.filter((m) => /Content[- ]Security[- ]Policy|Refused to/i.test(m)), []);
    assert.deepEqual(consoleMessages.filter((m) => m.startsWith('error')), []);
    assert.deepEqual(pageErrors, []);
  });
});
