// Entry of the roofline panel's webview bundle (dist/webview/main.js).
//
// Receives `state` / `error` messages from the extension host (validated with `isHostMessage`),
// draws three charts with Observable Plot and a form of vscode-elements controls, and posts
// `ready`, `controlsChanged`, `export` and `openDocument` messages back (validated with
// `isWebviewMessage` before they leave).

import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-collapsible/index.js';
import '@vscode-elements/elements/dist/vscode-label/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import type { VscodeButton } from '@vscode-elements/elements/dist/vscode-button/vscode-button.js';
import type { VscodeCheckbox } from '@vscode-elements/elements/dist/vscode-checkbox/vscode-checkbox.js';
import type { VscodeSingleSelect } from '@vscode-elements/elements/dist/vscode-single-select/vscode-single-select.js';
import type { VscodeTextfield } from '@vscode-elements/elements/dist/vscode-textfield/vscode-textfield.js';
import {
  type ChartId, type ExportFormat, type HostMessage, isHostMessage, isPanelControls, isPanelState, isWebviewMessage,
  KV_CACHE_DTYPES, LIMITS, type PanelControls, type PanelState, WEIGHT_PRECISIONS, type WebviewMessage,
} from '../src/panel/messages';
import { csvFromMemory, csvFromPoints, csvFromThroughput } from '../src/panel/csv';
import { renderMemory, renderRoofline, renderThroughput, type Theme } from './charts';
import { serializeChart, svgToPng } from './exporter';
import { memoryTable, rooflineTables, throughputTable } from './tables';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState<T>(state: T): T;
}
declare function acquireVsCodeApi(): VsCodeApi;

/** What the webview persists through `vscode.setState` (revived by the host's serializer). */
interface SavedState {
  state: PanelState;
  view: ViewPrefs;
}
interface ViewPrefs {
  tables: Record<ChartId, boolean>;
  showOperators: boolean;
}

const DEBOUNCE_MS = 150;
const CHARTS: readonly { id: ChartId; title: string; describe: string }[] = [
  { id: 'roofline', title: 'Roofline', describe: 'Log-log roofline: memory roof (bandwidth slope), compute roofs per data type with ridge points, and the prefill, decode and per-operator points.' },
  { id: 'throughput', title: 'Decode throughput vs batch', describe: 'Ceilings of tokens per second per request and in total against batch size, log axes, the expected total with its band, and the maximum-concurrency wall.' },
  { id: 'memory', title: 'Memory per GPU', describe: 'One stacked bar per GPU: weights, activation peak, engine reserve, KV cache, free.' },
];

const vscode = acquireVsCodeApi();
/** The page's CSP nonce, given to every <style> element Plot creates. */
const NONCE = (document.querySelector('script[nonce]') as HTMLScriptElement | null)?.nonce ?? '';
// Lit falls back to <style> elements where constructable stylesheets are missing; give them the nonce.
(globalThis as { litNonce?: string }).litNonce = NONCE;

let current: PanelState | undefined;
let view: ViewPrefs = { tables: { roofline: false, throughput: false, memory: false }, showOperators: true };
let debounceTimer: ReturnType<typeof setTimeout> | undefined;
let renderQueued = false;
let lastWidth = 0;
const chartSvgs: Partial<Record<ChartId, SVGSVGElement>> = {};

// ---- DOM helpers ------------------------------------------------------------------------------

function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  e.append(...children);
  return e;
}

function post(message: WebviewMessage): void {
  if (isWebviewMessage(message)) vscode.postMessage(message);
}

// ---- theme ------------------------------------------------------------------------------------

function readTheme(): Theme {
  const cs = getComputedStyle(document.body);
  const v = (name: string, fallback: string) => cs.getPropertyValue(name).trim() || fallback;
  const fg = v('--vscode-editor-foreground', v('--vscode-foreground', '#cccccc'));
  const blue = v('--vscode-charts-blue', '#3794ff');
  const orange = v('--vscode-charts-orange', '#d18616');
  const green = v('--vscode-charts-green', '#89d185');
  const purple = v('--vscode-charts-purple', '#b180d7');
  const bg = v('--vscode-editor-background', '#1e1e1e');
  return {
    fg,
    bg,
    muted: v('--vscode-descriptionForeground', fg),
    grid: v('--vscode-charts-lines', fg),
    gpu: [blue, orange, green],
    memory: {
      weightsBytes: blue,
      activationBytes: orange,
      reserveBytes: purple,
      kvCacheBytes: green,
      freeBytes: v('--vscode-charts-lines', 'rgba(128, 128, 128, 0.5)'),
    },
    onColor: bg,
    error: v('--vscode-charts-red', v('--vscode-errorForeground', '#f14c4c')),
    highContrast: document.body.classList.contains('vscode-high-contrast') || document.body.classList.contains('vscode-high-contrast-light'),
  };
}

// ---- layout -----------------------------------------------------------------------------------

const app = document.getElementById('app') ?? document.body.appendChild(h('main', { id: 'app' }));
app.replaceChildren();

const titleEl = h('h1', { id: 'panel-title' }, 'Inference budget');
const sourceEl = h('p', { class: 'source' });
const openDocButton = h('vscode-button', { secondary: '', id: 'open-document' }, 'Show document') as VscodeButton;
openDocButton.addEventListener('click', () => post({ type: 'openDocument' }));
const errorEl = h('div', { id: 'panel-error', class: 'error', role: 'alert', hidden: '' });
app.append(h('header', { class: 'panel-header' }, h('div', {}, titleEl, sourceEl), openDocButton), errorEl);

// Controls.
function field(label: string, id: string, control: HTMLElement, extraClass = ''): HTMLElement {
  control.id = id;
  const l = h('vscode-label', {}, label);
  (l as HTMLElement & { htmlFor: string }).htmlFor = id;
  if ('label' in control) (control as HTMLElement & { label: string }).label = label;
  control.setAttribute('aria-label', label);
  return h('div', { class: `field ${extraClass}`.trim() }, l, control);
}

function select(combobox: boolean): VscodeSingleSelect {
  const s = document.createElement('vscode-single-select');
  if (combobox) {
    s.combobox = true;
    s.filter = 'contains';
  }
  return s;
}

function numberField(min: number, max: number): VscodeTextfield {
  const t = document.createElement('vscode-textfield');
  t.type = 'number';
  t.min = min;
  t.max = max;
  t.step = 1;
  t.setAttribute('inputmode', 'numeric');
  return t;
}

const gpuSelects = [select(true), select(true), select(true)];
const gpuCountField = numberField(1, LIMITS.maxGpuCount);
const tpField = numberField(1, LIMITS.maxGpuCount);
const batchField = numberField(1, LIMITS.maxBatch);
const contextField = numberField(1, LIMITS.maxTokens);
const promptField = numberField(1, LIMITS.maxTokens);
const precisionSelect = select(false);
const kvSelect = select(false);
const modelSelect = select(true);
const modelField = field('Model (bundled)', 'ctl-model', modelSelect, 'wide');

const optionLists = new WeakMap<VscodeSingleSelect, string>();
function setOptions(sel: VscodeSingleSelect, options: { value: string; label: string }[]): void {
  const key = JSON.stringify(options);
  if (optionLists.get(sel) === key) return;
  optionLists.set(sel, key);
  sel.replaceChildren(...options.map((o) => {
    const opt = document.createElement('vscode-option');
    opt.setAttribute('value', o.value);
    opt.textContent = o.label;
    return opt;
  }));
}
setOptions(precisionSelect, WEIGHT_PRECISIONS.map((p) => ({ value: p, label: p === 'auto' ? 'auto (checkpoint)' : p })));
setOptions(kvSelect, KV_CACHE_DTYPES.map((p) => ({ value: p, label: p === 'auto' ? 'auto (model dtype)' : p })));

const form = h('form', { class: 'controls', 'aria-label': 'Deployment controls' },
  field('GPU', 'ctl-gpu-0', gpuSelects[0], 'wide'),
  field('Compare with', 'ctl-gpu-1', gpuSelects[1], 'wide'),
  field('And with', 'ctl-gpu-2', gpuSelects[2], 'wide'),
  modelField,
  field('GPU count', 'ctl-gpu-count', gpuCountField),
  field('Tensor parallel', 'ctl-tp', tpField),
  field('Batch', 'ctl-batch', batchField),
  field('Context (tokens)', 'ctl-context', contextField),
  field('Prompt (tokens)', 'ctl-prompt', promptField),
  field('Weight precision', 'ctl-precision', precisionSelect),
  field('KV cache dtype', 'ctl-kv', kvSelect),
);
form.addEventListener('submit', (e) => e.preventDefault());
const controlsSection = h('vscode-collapsible', { heading: 'Deployment', open: '', class: 'controls-section' }, form);
app.append(controlsSection);

const summaryEl = h('section', { class: 'summaries', 'aria-live': 'polite', 'aria-label': 'Summary' });
app.append(summaryEl);

// Chart cards.
interface Card {
  chart: HTMLElement;
  tableWrap: HTMLElement;
  toggle: VscodeButton;
  body: HTMLElement;
}
const cards = {} as Record<ChartId, Card>;
const chartsEl = h('div', { class: 'charts' });
app.append(chartsEl);

for (const c of CHARTS) {
  const headingId = `h-${c.id}`;
  const chart = h('div', { class: 'chart', id: `chart-${c.id}`, role: 'img', 'aria-label': `${c.title} chart. ${c.describe} The figures are in the data table.` });
  const tableWrap = h('div', { class: 'table-wrap collapsed', id: `table-${c.id}` });
  const toggle = h('vscode-button', { secondary: '', 'aria-controls': `table-${c.id}`, 'aria-expanded': 'false', class: 'table-toggle' }, 'Show table') as VscodeButton;
  toggle.addEventListener('click', () => {
    view.tables[c.id] = !view.tables[c.id];
    applyTableToggles();
    persist();
    scheduleRender();
  });
  const actions = h('div', { class: 'chart-actions', role: 'toolbar', 'aria-label': `${c.title} actions` });
  for (const format of ['svg', 'png', 'csv'] as const) {
    const b = h('vscode-button', { secondary: '', 'aria-label': `Export ${c.title} as ${format.toUpperCase()}`, 'data-export': `${c.id}:${format}` }, format.toUpperCase()) as VscodeButton;
    b.addEventListener('click', () => void exportChart(c.id, format));
    actions.append(b);
  }
  actions.append(toggle);
  const headRow = h('div', { class: 'chart-head' }, h('h2', { id: headingId }, c.title), actions);
  if (c.id === 'roofline') {
    const ops = document.createElement('vscode-checkbox') as VscodeCheckbox;
    ops.label = 'Operator points';
    ops.checked = view.showOperators;
    ops.id = 'ctl-operators';
    ops.addEventListener('change', () => {
      view.showOperators = ops.checked;
      persist();
      scheduleRender();
    });
    headRow.insertBefore(ops, actions);
  }
  const body = h('div', { class: 'chart-body' }, chart, tableWrap);
  chartsEl.append(h('section', { class: 'chart-card', 'aria-labelledby': headingId, id: `card-${c.id}` }, headRow, body));
  cards[c.id] = { chart, tableWrap, toggle, body };
}

function applyTableToggles(): void {
  for (const c of CHARTS) {
    const open = view.tables[c.id];
    const card = cards[c.id];
    card.tableWrap.classList.toggle('collapsed', !open);
    card.body.classList.toggle('with-table', open);
    card.toggle.setAttribute('aria-expanded', String(open));
    card.toggle.textContent = open ? 'Hide table' : 'Show table';
  }
}

// ---- controls ---------------------------------------------------------------------------------

function readInt(tf: VscodeTextfield, min: number, max: number): number | undefined {
  const text = String(tf.value).trim();
  const v = Number(text);
  const ok = text !== '' && Number.isInteger(v) && v >= min && v <= max;
  tf.invalid = !ok;
  return ok ? v : undefined;
}

function readControls(): PanelControls | undefined {
  const gpus = [...new Set(gpuSelects.map((s) => s.value).filter((v) => v !== ''))].slice(0, LIMITS.maxComparedGpus);
  const gpuCount = readInt(gpuCountField, 1, LIMITS.maxGpuCount);
  const tensorParallel = readInt(tpField, 1, LIMITS.maxGpuCount);
  const batch = readInt(batchField, 1, LIMITS.maxBatch);
  const context = readInt(contextField, 1, LIMITS.maxTokens);
  const prompt = readInt(promptField, 1, LIMITS.maxTokens);
  if (gpus.length === 0 || gpuCount === undefined || tensorParallel === undefined || batch === undefined || context === undefined || prompt === undefined) return undefined;
  const controls: PanelControls = {
    gpus, gpuCount, tensorParallel, batch, context, prompt,
    weightPrecision: precisionSelect.value as PanelControls['weightPrecision'],
    kvCacheDtype: kvSelect.value as PanelControls['kvCacheDtype'],
  };
  if (current?.source === 'bundled' && modelSelect.value) controls.model = modelSelect.value;
  return isPanelControls(controls) ? controls : undefined;
}

function onControlInput(): void {
  if (debounceTimer !== undefined) clearTimeout(debounceTimer);
  debounceTimer = setTimeout(() => {
    debounceTimer = undefined;
    const controls = readControls();
    if (controls) post({ type: 'controlsChanged', controls });
  }, DEBOUNCE_MS);
}

for (const s of [...gpuSelects, precisionSelect, kvSelect, modelSelect]) s.addEventListener('change', onControlInput);
for (const t of [gpuCountField, tpField, batchField, contextField, promptField]) {
  t.addEventListener('input', onControlInput);
  t.addEventListener('change', onControlInput);
}

function syncControls(state: PanelState): void {
  const c = state.controls;
  const gpuOpts = state.gpuOptions.map((o) => ({ value: o.id, label: o.name }));
  setOptions(gpuSelects[0], gpuOpts);
  setOptions(gpuSelects[1], [{ value: '', label: '(none)' }, ...gpuOpts]);
  setOptions(gpuSelects[2], [{ value: '', label: '(none)' }, ...gpuOpts]);
  setOptions(modelSelect, state.modelOptions.map((o) => ({ value: o.id, label: o.name })));
  modelField.hidden = state.source !== 'bundled';
  // A pending (debounced) edit is newer than this state: leave the user's values alone.
  if (debounceTimer !== undefined) return;
  gpuSelects.forEach((s, i) => {
    s.value = c.gpus[i] ?? '';
  });
  const setNum = (tf: VscodeTextfield, v: number) => {
    if (document.activeElement === tf && tf.value === String(v)) return;
    tf.value = String(v);
    tf.invalid = false;
  };
  setNum(gpuCountField, c.gpuCount);
  setNum(tpField, c.tensorParallel);
  setNum(batchField, c.batch);
  setNum(contextField, c.context);
  setNum(promptField, c.prompt);
  precisionSelect.value = c.weightPrecision;
  kvSelect.value = c.kvCacheDtype;
  if (c.model) modelSelect.value = c.model;
}

// ---- rendering --------------------------------------------------------------------------------

function renderSummary(state: PanelState): void {
  summaryEl.replaceChildren(...state.perGpu.map((g) => h('p', { class: `summary ${g.fits ? 'fits' : 'no-fit'}` },
    h('span', { class: 'badge' }, g.fits ? 'fits' : 'does not fit'),
    ' ',
    h('strong', {}, g.gpuName),
    g.summary ? ` — ${g.summary}` : '',
  )));
}

function chartWidth(el: HTMLElement): number {
  return Math.max(320, Math.floor(el.clientWidth || app.clientWidth || 640));
}

function renderCharts(): void {
  renderQueued = false;
  const state = current;
  if (!state) return;
  if (state.perGpu.length === 0) {
    for (const c of CHARTS) {
      cards[c.id].chart.replaceChildren(h('p', { class: 'empty' }, 'No figures for this deployment.'));
      delete chartSvgs[c.id];
    }
    return;
  }
  const theme = readTheme();
  const draw = (id: ChartId, make: (width: number) => SVGSVGElement) => {
    const card = cards[id];
    try {
      const svg = make(chartWidth(card.chart));
      card.chart.replaceChildren(svg);
      chartSvgs[id] = svg;
    } catch (err) {
      delete chartSvgs[id];
      card.chart.replaceChildren(h('p', { class: 'error' }, `Could not draw this chart: ${err instanceof Error ? err.message : String(err)}`));
    }
  };
  draw('roofline', (width) => renderRoofline(state, { width, theme, nonce: NONCE, showOperators: view.showOperators }));
  draw('throughput', (width) => renderThroughput(state, { width, theme, nonce: NONCE }));
  draw('memory', (width) => renderMemory(state, { width, theme, nonce: NONCE }));
  lastWidth = app.clientWidth;
}

function renderTables(state: PanelState): void {
  cards.roofline.tableWrap.replaceChildren(...rooflineTables(state));
  cards.throughput.tableWrap.replaceChildren(throughputTable(state));
  cards.memory.tableWrap.replaceChildren(memoryTable(state));
}

function scheduleRender(): void {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(renderCharts);
}

function persist(): void {
  if (!current) return;
  const saved: SavedState = { state: current, view };
  vscode.setState(saved);
}

function applyState(state: PanelState): void {
  current = state;
  errorEl.hidden = true;
  errorEl.textContent = '';
  titleEl.textContent = state.title || 'Inference budget';
  sourceEl.textContent = state.source === 'document' ? 'Model from the open document' : 'Bundled model';
  // The host decides what opening means: reveal the source document, or pick one for a bundled model.
  openDocButton.textContent = state.source === 'document' ? 'Show document' : 'Open a model document…';
  syncControls(state);
  renderSummary(state);
  renderTables(state);
  app.setAttribute('aria-busy', 'false');
  scheduleRender();
}

function onHostMessage(msg: HostMessage): void {
  if (msg.type === 'state') {
    applyState(msg.state);
    persist();
  } else {
    errorEl.textContent = msg.message;
    errorEl.hidden = false;
  }
}

// ---- export -----------------------------------------------------------------------------------

async function exportChart(chart: ChartId, format: ExportFormat): Promise<void> {
  const state = current;
  if (!state) return;
  let data: string;
  if (format === 'csv') {
    data = chart === 'roofline'
      ? csvFromPoints(state.perGpu.flatMap((g) => g.points.map((p) => ({ ...p, gpu: g.gpuName }))))
      : chart === 'throughput' ? csvFromThroughput(state.perGpu) : csvFromMemory(state.perGpu);
  } else {
    const svg = chartSvgs[chart];
    if (!svg) return;
    const text = serializeChart(svg, readTheme());
    data = format === 'svg' ? text : await svgToPng(text, svg.width.baseVal.value, svg.height.baseVal.value);
  }
  post({ type: 'export', format, chart, data });
}

// ---- start ------------------------------------------------------------------------------------

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  // Anything that is not a well-formed host message is ignored.
  if (isHostMessage(event.data)) onHostMessage(event.data);
});

new ResizeObserver(() => {
  if (current && Math.abs(app.clientWidth - lastWidth) >= 8) scheduleRender();
}).observe(app);

// VS Code switches themes by changing body classes and the CSS variables on <html>.
const themeObserver = new MutationObserver(() => scheduleRender());
themeObserver.observe(document.body, { attributes: true, attributeFilter: ['class', 'style', 'data-vscode-theme-id'] });
themeObserver.observe(document.documentElement, { attributes: true, attributeFilter: ['class', 'style'] });

function restore(): void {
  const saved = vscode.getState() as Partial<SavedState> | undefined;
  if (!saved || typeof saved !== 'object') return;
  const v = saved.view;
  if (v && typeof v === 'object' && typeof v.showOperators === 'boolean' && v.tables && typeof v.tables === 'object') {
    view = {
      showOperators: v.showOperators,
      tables: { roofline: v.tables.roofline === true, throughput: v.tables.throughput === true, memory: v.tables.memory === true },
    };
    const ops = document.getElementById('ctl-operators') as VscodeCheckbox | null;
    if (ops) ops.checked = view.showOperators;
  }
  if (isPanelState(saved.state)) applyState(saved.state);
}

applyTableToggles();
restore();
if (!current) summaryEl.replaceChildren(h('p', { class: 'empty' }, 'Waiting for figures from Inference Budget…'));
post({ type: 'ready' });
