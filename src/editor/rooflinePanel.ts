// The roofline panel's host side: one WebviewPanel (`inferenceBudget.roofline`) showing the roofline, decode
// throughput and memory charts of the deployment in the active document (or of a bundled model).
//
// - `openRoofline` / `compareGpus` (via src/editor/commands.ts) bind the panel to a document's deployment;
//   Compare GPUs adds a quick pick of up to three GPUs. `openWithoutDocument` offers the bundled models.
// - The panel follows the active recognised document and updates on edits (debounced, through the Analyzer;
//   results for stale document versions are dropped).
// - Messages from the webview are validated with `isWebviewMessage` (invalid ones are logged and ignored):
//   `ready` → the latest state; `controlsChanged` → recomputed through the engine (src/panel/state.ts);
//   `export` → saved with a save dialog; `openDocument` → the document is revealed.
// - A WebviewPanelSerializer restores the panel after a reload (binding kept in workspaceState, controls from
//   the webview's own saved state).
import { randomBytes } from 'crypto';
import * as os from 'os';
import * as vscode from 'vscode';
import { renderPanelHtml } from '../../webview/index.html';
import {
  type ExportMessage, type HostMessage, isHostMessage, isPanelControls, isPanelState, isWebviewMessage, LIMITS,
  type PanelControls, type PanelState, PROTOCOL_VERSION,
} from '../panel/messages';
import { bundledModelOptions, bundledPanelModel, buildPanelState, initialControls, mergeControls, type PanelModel } from '../panel/state';
import { listAccelerators } from '../core/hardware';
import type { AnalyzedItem, Analyzer, DocumentAnalysis } from './analysis';
import { type PanelHost, type PanelTarget, setPanelHost } from './commands';
import { guarded, type Logger } from './log';
import { configInputs } from './settings';

export const ROOFLINE_VIEW_TYPE = 'inferenceBudget.roofline';
/** Context key: the active editor holds a deployment or model config the panel can show (editor/title menu). */
export const ROOFLINE_CONTEXT_KEY = 'inferenceBudget.rooflineAvailable';
const UPDATE_DEBOUNCE_MS = 200;
const BINDING_KEY = 'inferenceBudget.roofline.binding';
const LANGUAGES = ['json', 'jsonc', 'yaml', 'dockercompose', 'helm'];
const SCHEMES = ['file', 'untitled', 'vscode-vfs', 'vscode-remote'];

type Binding =
  | { kind: 'document'; uri: string; index: number; label: string; model: PanelModel; docControls: PanelControls }
  | { kind: 'bundled'; modelId: string; model: PanelModel };

/** What workspaceState keeps so that the serializer can bind a restored panel again. */
interface SavedBinding {
  kind: 'document' | 'bundled';
  uri?: string;
  index?: number;
  modelId?: string;
  controls?: PanelControls;
}

/** What the test hooks report (`inferenceBudget._lastPanelState`). */
export interface PanelSnapshot {
  open: boolean;
  visible: boolean;
  /** States posted since activation. */
  posted: number;
  state?: PanelState;
  error?: string;
  binding?: { kind: 'document' | 'bundled'; uri?: string; index?: number; modelId?: string };
  /** Invalid webview messages ignored since activation. */
  rejected: number;
}

interface GpuPickItem extends vscode.QuickPickItem { id: string }

function isCandidateDocument(d: vscode.TextDocument): boolean {
  return LANGUAGES.includes(d.languageId) && SCHEMES.includes(d.uri.scheme);
}

function freshNonce(): string {
  return randomBytes(18).toString('base64');
}

function describeInvalid(x: unknown): string {
  if (x === null || typeof x !== 'object') return typeof x;
  const type = (x as { type?: unknown }).type;
  return typeof type === 'string' ? `type "${type.slice(0, 40)}"` : 'object without a valid type';
}

function firstModelItem(analysis: DocumentAnalysis | undefined, preferred?: number): number {
  if (!analysis) return -1;
  if (preferred !== undefined && analysis.items[preferred]?.files) return preferred;
  return analysis.items.findIndex((it) => it.files !== undefined);
}

function modelOfItem(item: AnalyzedItem, analysis: DocumentAnalysis): PanelModel {
  return { files: item.files!, inputs: item.inputs, extraAccelerators: analysis.settings.customGpus, source: 'document' };
}

export class RooflinePanel implements PanelHost, vscode.Disposable {
  private panel?: vscode.WebviewPanel;
  private panelDisposables: vscode.Disposable[] = [];
  private binding?: Binding;
  private controls?: PanelControls;
  private lastState?: PanelState;
  /** The binding and controls `lastState` was built for (a reloaded webview gets it again without recomputing). */
  private renderedFor?: { binding: Binding; controls: PanelControls };
  private lastError?: string;
  private posted = 0;
  private rejected = 0;
  private updateTimer?: NodeJS.Timeout;
  private contextTimer?: NodeJS.Timeout;
  /** Bumped by every scheduled update: an analysis that finishes after a newer one was scheduled is dropped. */
  private generation = 0;
  /** The latest update asked for and not finished yet (a refresh must not replace a pending switch of document). */
  private requested?: { document: vscode.TextDocument; mode: 'follow' | 'refresh' };
  private gpuPick?: vscode.QuickPick<GpuPickItem>;
  private readonly disposables: vscode.Disposable[] = [];
  /** Test hook: the URI the next export is saved to instead of asking with a dialog. */
  nextSaveUri?: vscode.Uri;
  /** Test hook: the URI of the last export written. */
  lastExport?: vscode.Uri;

  constructor(private readonly context: vscode.ExtensionContext, private readonly analyzer: Analyzer, private readonly log: Logger) {
    this.disposables.push(
      vscode.window.onDidChangeActiveTextEditor((e) => {
        this.scheduleContextKey();
        if (e) this.onActiveDocument(e.document);
      }),
      vscode.workspace.onDidChangeTextDocument((e) => this.onDocumentChanged(e)),
      analyzer.onDidChange(() => {
        this.scheduleContextKey();
        this.scheduleRefresh();
      }),
    );
    this.scheduleContextKey();
  }

  // ---- PanelHost ---------------------------------------------------------------------------------

  openRoofline(target: PanelTarget): Promise<void> {
    return guarded(this.log, 'open roofline panel', undefined, () => this.bindTarget(target));
  }

  /** Opens the panel on the target, then offers a quick pick of up to three GPUs to compare (not awaited). */
  compareGpus(target: PanelTarget): Promise<void> {
    return guarded(this.log, 'compare GPUs', undefined, async () => {
      await this.bindTarget(target);
      this.showGpuPick();
    });
  }

  /** No document: a quick pick of the bundled models, shown with the engine's default deployment. */
  openWithoutDocument(modelId?: string): Promise<void> {
    return guarded(this.log, 'open roofline panel (bundled model)', undefined, async () => {
      let id = modelId;
      if (!id) {
        const pick = await vscode.window.showQuickPick(
          bundledModelOptions().map((o) => ({ label: o.name, id: o.id })),
          { title: 'Inference Budget: roofline of a bundled model', placeHolder: 'Choose a model (no model config or deployment is open)', matchOnDescription: true },
        );
        id = pick?.id;
      }
      if (!id) return;
      if (!this.bindBundled(id)) {
        void vscode.window.showWarningMessage(`Inference Budget: "${id}" is not a bundled model.`);
        return;
      }
      this.ensurePanel();
      this.render();
    });
  }

  // ---- binding -------------------------------------------------------------------------------------

  private async bindTarget(target: PanelTarget): Promise<void> {
    const model: PanelModel = { files: target.files, inputs: target.inputs, extraAccelerators: target.extraAccelerators, source: 'document' };
    const docControls = initialControls(model);
    this.binding = { kind: 'document', uri: target.uri, index: target.index, label: target.label, model, docControls };
    this.controls = docControls;
    this.ensurePanel();
    this.render();
  }

  private bindBundled(modelId: string, controls?: PanelControls): boolean {
    const model = bundledPanelModel(modelId, this.analyzer.currentSettings.customGpus, configInputs(this.analyzer.currentSettings));
    if (!model) return false;
    this.binding = { kind: 'bundled', modelId, model };
    const initial = initialControls(model);
    this.controls = controls ? { ...controls, model: modelId } : initial;
    return true;
  }

  private bindAnalysis(analysis: DocumentAnalysis, index: number, mode: 'follow' | 'refresh'): void {
    const item = analysis.items[index];
    const model = modelOfItem(item, analysis);
    const nextDoc = initialControls(model);
    const prev = this.binding;
    if (mode === 'refresh' && prev?.kind === 'document' && this.controls) {
      // Same document, new text or settings: the user's own choices stay, the rest follows the document.
      this.controls = mergeControls(this.controls, prev.docControls, nextDoc);
    } else {
      // Another document: its deployment, with the GPUs being compared kept beside its own.
      const others = (this.controls?.gpus.slice(1) ?? []).filter((g) => g !== nextDoc.gpus[0]);
      this.controls = { ...nextDoc, gpus: [nextDoc.gpus[0], ...others].slice(0, LIMITS.maxComparedGpus) };
    }
    this.binding = { kind: 'document', uri: analysis.uri, index, label: item.label, model, docControls: nextDoc };
  }

  // ---- following documents -------------------------------------------------------------------------

  private onActiveDocument(document: vscode.TextDocument): void {
    if (!this.panel || !isCandidateDocument(document)) return;
    if (this.binding?.kind === 'document' && this.binding.uri === document.uri.toString()) return;
    this.scheduleUpdate(document, 'follow');
  }

  private onDocumentChanged(e: vscode.TextDocumentChangeEvent): void {
    if (e.contentChanges.length === 0) return;
    if (vscode.window.activeTextEditor?.document === e.document) this.scheduleContextKey();
    if (!this.panel) return;
    if (this.binding?.kind !== 'document' || this.binding.uri !== e.document.uri.toString()) return;
    this.scheduleUpdate(e.document, 'refresh');
  }

  /** Settings or referenced models changed: the bound document is analysed again. */
  private scheduleRefresh(): void {
    if (!this.panel) return;
    if (this.requested) {
      // An update is pending or running: run it again (after the invalidation) rather than the bound document's.
      this.scheduleUpdate(this.requested.document, this.requested.mode);
      return;
    }
    if (!this.binding) return;
    if (this.binding.kind === 'bundled') {
      const keep = this.controls;
      if (this.bindBundled(this.binding.modelId, keep)) this.render();
      return;
    }
    const uri = this.binding.uri;
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri);
    if (doc) this.scheduleUpdate(doc, 'refresh');
  }

  private scheduleUpdate(document: vscode.TextDocument, mode: 'follow' | 'refresh'): void {
    clearTimeout(this.updateTimer);
    this.requested = { document, mode };
    const generation = ++this.generation;
    this.updateTimer = setTimeout(() => {
      void guarded(this.log, 'roofline panel update', undefined, () => this.update(document, generation, mode));
    }, UPDATE_DEBOUNCE_MS);
  }

  private async update(document: vscode.TextDocument, generation: number, mode: 'follow' | 'refresh'): Promise<void> {
    const version = document.version;
    const analysis = await this.analyzer.analyze(document);
    // A newer edit or document switch was scheduled meanwhile, or this version is already outdated.
    if (generation !== this.generation || !this.panel) return;
    // This version is already outdated: the change event of the newer one scheduled its own update.
    if (document.version !== version || (analysis && analysis.version !== version)) return;
    this.requested = undefined;
    if (!analysis || document.isClosed) return;
    const binding = this.binding;
    const sameDocument = binding?.kind === 'document' && binding.uri === analysis.uri;
    const index = firstModelItem(analysis, sameDocument ? binding.index : undefined);
    if (index < 0) {
      // Following: a document without a model is not the panel's business. Editing the bound one: say why.
      if (mode === 'refresh' && sameDocument) {
        const item = analysis.items[binding.index];
        const why = item?.resolution && !item.resolution.ok ? 'its model could not be found' : 'no model config or deployment could be read';
        this.postError(`${binding.label}: ${why} in the current text; the charts show the last version that could be read.`);
      }
      return;
    }
    this.bindAnalysis(analysis, index, sameDocument ? 'refresh' : 'follow');
    this.render();
  }

  private scheduleContextKey(): void {
    clearTimeout(this.contextTimer);
    this.contextTimer = setTimeout(() => {
      void guarded(this.log, 'roofline context key', undefined, async () => {
        const doc = vscode.window.activeTextEditor?.document;
        let available = false;
        if (doc && isCandidateDocument(doc)) available = firstModelItem(await this.analyzer.analyze(doc)) >= 0;
        await vscode.commands.executeCommand('setContext', ROOFLINE_CONTEXT_KEY, available);
      });
    }, UPDATE_DEBOUNCE_MS);
  }

  // ---- the panel -------------------------------------------------------------------------------------

  private webviewRoot(): vscode.Uri {
    return vscode.Uri.joinPath(this.context.extensionUri, 'dist', 'webview');
  }

  private webviewOptions(): vscode.WebviewOptions & vscode.WebviewPanelOptions {
    return { enableScripts: true, localResourceRoots: [this.webviewRoot()], retainContextWhenHidden: false, enableFindWidget: false };
  }

  private ensurePanel(): void {
    if (this.panel) {
      this.panel.reveal(undefined, true);
      return;
    }
    const panel = vscode.window.createWebviewPanel(
      ROOFLINE_VIEW_TYPE, 'Roofline', { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, this.webviewOptions());
    this.adopt(panel);
  }

  /** Takes a new or restored panel: options, HTML with a fresh nonce, listeners. */
  private adopt(panel: vscode.WebviewPanel): void {
    if (this.panel && this.panel !== panel) this.panel.dispose();
    this.panel = panel;
    panel.webview.options = { enableScripts: true, localResourceRoots: [this.webviewRoot()] };
    const root = this.webviewRoot();
    panel.webview.html = renderPanelHtml({
      scriptUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(root, 'main.js')).toString(),
      styleUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(root, 'panel.css')).toString(),
      cspSource: panel.webview.cspSource,
      nonce: freshNonce(),
    });
    this.panelDisposables.push(
      panel.webview.onDidReceiveMessage((m: unknown) => { void this.handleMessage(m); }),
      panel.onDidDispose(() => this.onPanelDisposed(panel)),
    );
  }

  private onPanelDisposed(panel: vscode.WebviewPanel): void {
    if (this.panel !== panel) return;
    this.panel = undefined;
    for (const d of this.panelDisposables.splice(0)) d.dispose();
    clearTimeout(this.updateTimer);
    this.generation++;
    this.requested = undefined;
    this.gpuPick?.dispose();
    this.gpuPick = undefined;
    this.binding = undefined;
    this.controls = undefined;
    this.renderedFor = undefined;
    void this.context.workspaceState.update(BINDING_KEY, undefined);
  }

  /** Computes the state for the current binding and controls and posts it. */
  private render(): void {
    if (!this.panel || !this.binding || !this.controls) return;
    let result: ReturnType<typeof buildPanelState>;
    try {
      result = buildPanelState(this.binding.model, this.controls);
    } catch (e) {
      this.log.error(`roofline panel: ${(e as Error)?.stack ?? e}`);
      result = { ok: false, message: `Internal error while building the charts: ${(e as Error)?.message ?? e}` };
    }
    if (!result.ok) {
      this.postError(result.message);
      return;
    }
    const state = result.state;
    this.controls = state.controls;
    this.panel.title = `Roofline: ${result.reports[0].model.name}`.slice(0, 120);
    if (this.post({ type: 'state', version: PROTOCOL_VERSION, state })) {
      this.lastState = state;
      this.renderedFor = { binding: this.binding, controls: this.controls };
      this.lastError = undefined;
      this.posted++;
    }
    if (result.problems.length) this.postError(`Not shown: ${result.problems.join('; ')}`);
    this.saveBinding();
  }

  private post(message: HostMessage): boolean {
    const type = message.type;
    if (!isHostMessage(message)) {
      this.log.error(`roofline panel: refused to post an invalid ${type} message`);
      return false;
    }
    void this.panel?.webview.postMessage(message);
    return true;
  }

  private postError(message: string): void {
    const text = message.slice(0, LIMITS.maxErrorLength);
    this.lastError = text;
    this.post({ type: 'error', message: text });
  }

  private saveBinding(): void {
    const b = this.binding;
    if (!b) return;
    const saved: SavedBinding = b.kind === 'document'
      ? { kind: 'document', uri: b.uri, index: b.index, controls: this.controls }
      : { kind: 'bundled', modelId: b.modelId, controls: this.controls };
    void this.context.workspaceState.update(BINDING_KEY, saved);
  }

  // ---- messages from the webview ------------------------------------------------------------------

  /** Every message from the webview goes through here (test hooks included). */
  async handleMessage(raw: unknown): Promise<void> {
    if (!isWebviewMessage(raw)) {
      this.rejected++;
      this.log.warn(`roofline panel: ignored an invalid message from the webview (${describeInvalid(raw)})`);
      return;
    }
    await guarded(this.log, `roofline panel message ${raw.type}`, undefined, async () => {
      switch (raw.type) {
        case 'ready':
          // The webview (re)loaded: give it the latest figures (or the last error).
          const rendered = this.renderedFor;
          if (this.lastState && rendered && rendered.binding === this.binding && rendered.controls === this.controls && !this.lastError) {
            this.post({ type: 'state', version: PROTOCOL_VERSION, state: this.lastState });
          } else if (this.binding && this.controls) {
            this.render();
          }
          else if (this.lastError) this.post({ type: 'error', message: this.lastError });
          return;
        case 'controlsChanged':
          this.applyControls(raw.controls);
          return;
        case 'export':
          await this.exportChart(raw);
          return;
        case 'openDocument':
          await this.openDocument();
          return;
      }
    });
  }

  private applyControls(controls: PanelControls): void {
    const b = this.binding;
    if (!b) return;
    if (b.kind === 'bundled') {
      const wanted = controls.model ?? b.modelId;
      if (wanted !== b.modelId) {
        if (!this.bindBundled(wanted, controls)) {
          this.postError(`"${wanted}" is not a bundled model.`);
          return;
        }
      } else {
        this.controls = { ...controls, model: b.modelId };
      }
    } else {
      const { model: _ignored, ...rest } = controls;
      this.controls = rest;
    }
    this.render();
  }

  private async exportChart(msg: ExportMessage): Promise<void> {
    const name = (this.lastState?.title ?? 'roofline').replace(/[^\w.-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 80) || 'roofline';
    const fileName = `${name}-${msg.chart}.${msg.format}`;
    const filters: Record<string, string[]> = msg.format === 'svg' ? { 'SVG image': ['svg'] } : msg.format === 'png' ? { 'PNG image': ['png'] } : { 'CSV table': ['csv'] };
    let target = this.nextSaveUri;
    this.nextSaveUri = undefined;
    if (!target) {
      target = await vscode.window.showSaveDialog({
        defaultUri: vscode.Uri.joinPath(this.defaultFolder(), fileName), filters, title: `Export the ${msg.chart} chart as ${msg.format.toUpperCase()}`,
      });
    }
    if (!target) return;
    let bytes: Uint8Array;
    if (msg.format === 'png') {
      bytes = Buffer.from(msg.data.slice('data:image/png;base64,'.length), 'base64');
      const signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
      if (bytes.length < 8 || signature.some((b, i) => bytes[i] !== b)) {
        this.log.warn('roofline panel: the exported PNG is not a PNG image; nothing saved');
        void vscode.window.showErrorMessage('Inference Budget: the chart could not be exported as PNG.');
        return;
      }
    } else {
      bytes = Buffer.from(msg.data, 'utf8');
    }
    await vscode.workspace.fs.writeFile(target, bytes);
    this.lastExport = target;
    vscode.window.setStatusBarMessage(`Inference Budget: saved ${vscode.workspace.asRelativePath(target)}`, 4000);
  }

  private defaultFolder(): vscode.Uri {
    const b = this.binding;
    if (b?.kind === 'document') {
      const uri = vscode.Uri.parse(b.uri);
      if (uri.scheme === 'file' || uri.scheme === 'vscode-remote' || uri.scheme === 'vscode-vfs') return vscode.Uri.joinPath(uri, '..');
    }
    return vscode.workspace.workspaceFolders?.[0]?.uri ?? vscode.Uri.file(os.homedir());
  }

  private async openDocument(): Promise<void> {
    const b = this.binding;
    if (b?.kind === 'document') {
      const uri = vscode.Uri.parse(b.uri);
      const visible = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === b.uri);
      const doc = visible?.document ?? await vscode.workspace.openTextDocument(uri);
      const column = visible?.viewColumn ?? (this.panel?.viewColumn === vscode.ViewColumn.One ? vscode.ViewColumn.Two : vscode.ViewColumn.One);
      await vscode.window.showTextDocument(doc, { viewColumn: column, preview: false });
      return;
    }
    // A bundled model: pick a model config or deployment; the panel follows it once it is open.
    const picked = await vscode.window.showOpenDialog({
      canSelectMany: false, openLabel: 'Open', title: 'Open a model config.json or a deployment',
      filters: { 'Model configs and deployments': ['json', 'yaml', 'yml'] },
      defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
    });
    if (!picked?.[0]) return;
    const doc = await vscode.workspace.openTextDocument(picked[0]);
    await vscode.window.showTextDocument(doc, { viewColumn: this.panel?.viewColumn === vscode.ViewColumn.One ? vscode.ViewColumn.Two : vscode.ViewColumn.One, preview: false });
  }

  // ---- Compare GPUs ------------------------------------------------------------------------------

  private showGpuPick(): void {
    this.gpuPick?.dispose();
    const extra = this.binding?.model.extraAccelerators;
    const current = new Set(this.controls?.gpus ?? []);
    const qp = vscode.window.createQuickPick<GpuPickItem>();
    qp.title = 'Inference Budget: compare GPUs';
    qp.placeholder = `Choose up to ${LIMITS.maxComparedGpus} GPUs (the first chosen is the primary)`;
    qp.canSelectMany = true;
    qp.matchOnDescription = true;
    qp.matchOnDetail = true;
    qp.items = listAccelerators(extra).map((a) => ({
      id: a.id, label: a.name, description: a.id, detail: a.aliases.slice(0, 4).join(', '),
    }));
    qp.selectedItems = qp.items.filter((i) => current.has(i.id));
    let order = [...(this.controls?.gpus ?? [])];
    qp.onDidChangeSelection((sel) => {
      // Keep the order of choice, and never more than three.
      const ids = sel.map((s) => s.id);
      order = [...order.filter((id) => ids.includes(id)), ...ids.filter((id) => !order.includes(id))];
      if (order.length > LIMITS.maxComparedGpus) {
        order = order.slice(0, LIMITS.maxComparedGpus);
        qp.selectedItems = qp.items.filter((i) => order.includes(i.id));
        qp.placeholder = `At most ${LIMITS.maxComparedGpus} GPUs can be compared`;
      }
    });
    qp.onDidAccept(() => {
      const ids = order.filter((id) => qp.selectedItems.some((s) => s.id === id));
      qp.hide();
      this.applyGpuChoice(ids);
    });
    qp.onDidHide(() => {
      qp.dispose();
      if (this.gpuPick === qp) this.gpuPick = undefined;
    });
    this.gpuPick = qp;
    qp.show();
  }

  private applyGpuChoice(ids: string[]): void {
    if (!this.controls || ids.length === 0) return;
    this.controls = { ...this.controls, gpus: ids.slice(0, LIMITS.maxComparedGpus) };
    this.render();
  }

  // ---- restore after reload ---------------------------------------------------------------------------

  async revive(panel: vscode.WebviewPanel, webviewState: unknown): Promise<void> {
    this.adopt(panel);
    const fromWebview = webviewState && typeof webviewState === 'object' ? (webviewState as { state?: unknown }).state : undefined;
    const restoredState = isPanelState(fromWebview) ? fromWebview : undefined;
    const saved = this.context.workspaceState.get<SavedBinding>(BINDING_KEY);
    const savedControls = restoredState?.controls ?? (isPanelControls(saved?.controls) ? saved.controls : undefined);
    await guarded(this.log, 'restore roofline panel', undefined, async () => {
      if (saved?.kind === 'document' && typeof saved.uri === 'string') {
        const uri = saved.uri;
        // The document may be gone (deleted, renamed): then the next fallback applies.
        const restored = await this.restoreDocument(uri, typeof saved.index === 'number' ? saved.index : undefined, savedControls)
          .catch((e) => { this.log.warn(`roofline panel: cannot restore ${uri}: ${(e as Error)?.message ?? e}`); return false; });
        if (restored) return;
      }
      const modelId = saved?.kind === 'bundled' ? saved.modelId : restoredState?.source === 'bundled' ? restoredState.controls.model : undefined;
      if (modelId && this.bindBundled(modelId, savedControls)) {
        this.render();
        return;
      }
      const active = vscode.window.activeTextEditor?.document;
      if (active && isCandidateDocument(active)) this.scheduleUpdate(active, 'follow');
      else this.postError('Open a model config.json or a deployment to see its roofline.');
    });
  }

  private async restoreDocument(uri: string, index: number | undefined, controls: PanelControls | undefined): Promise<boolean> {
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.parse(uri));
    const analysis = await this.analyzer.analyze(doc);
    const at = firstModelItem(analysis, index);
    if (!analysis || at < 0) return false;
    this.bindAnalysis(analysis, at, 'follow');
    if (controls) {
      const { model: _model, ...rest } = controls;
      this.controls = rest;
    }
    this.render();
    return true;
  }

  // ---- tests -----------------------------------------------------------------------------------------

  snapshot(): PanelSnapshot {
    const b = this.binding;
    return {
      open: this.panel !== undefined,
      visible: this.panel?.visible ?? false,
      posted: this.posted,
      state: this.lastState,
      error: this.lastError,
      binding: b ? (b.kind === 'document' ? { kind: 'document', uri: b.uri, index: b.index } : { kind: 'bundled', modelId: b.modelId }) : undefined,
      rejected: this.rejected,
    };
  }

  /** Test hook: accepts the open Compare GPUs quick pick with these GPU ids. */
  acceptGpuPick(ids: string[]): boolean {
    if (!this.gpuPick) return false;
    const qp = this.gpuPick;
    qp.hide();
    this.applyGpuChoice(ids);
    return true;
  }

  close(): void {
    this.panel?.dispose();
  }

  /** Test hook: closes the panel and restores it as the serializer would after a reload, from `webviewState`. */
  async reviveForTest(webviewState: unknown): Promise<void> {
    const saved = this.context.workspaceState.get<SavedBinding>(BINDING_KEY);
    this.close();
    await this.context.workspaceState.update(BINDING_KEY, saved);
    const panel = vscode.window.createWebviewPanel(ROOFLINE_VIEW_TYPE, 'Roofline', { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, this.webviewOptions());
    await this.revive(panel, webviewState);
  }

  /**
   * Extension shutdown (window reload included): listeners go, the panel itself is left to VS Code so that the
   * serializer can restore it, and the binding stays in workspaceState for that.
   */
  dispose(): void {
    clearTimeout(this.updateTimer);
    clearTimeout(this.contextTimer);
    this.generation++;
    this.gpuPick?.dispose();
    this.gpuPick = undefined;
    for (const d of this.panelDisposables.splice(0)) d.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
    this.panel = undefined;
  }
}

/**
 * Creates the panel host, registers it with the commands (`setPanelHost`) and the serializer that restores the
 * panel after a reload; in development and test runs also the hidden test commands
 * `inferenceBudget._lastPanelState` and `inferenceBudget._panelTest`.
 */
export function registerRooflinePanel(context: vscode.ExtensionContext, analyzer: Analyzer, log: Logger): RooflinePanel {
  const host = new RooflinePanel(context, analyzer, log);
  setPanelHost(host);
  context.subscriptions.push(
    host,
    { dispose: () => setPanelHost(undefined) },
    vscode.window.registerWebviewPanelSerializer(ROOFLINE_VIEW_TYPE, {
      deserializeWebviewPanel: (panel, state) => host.revive(panel, state),
    }),
  );
  if (context.extensionMode !== vscode.ExtensionMode.Production) {
    context.subscriptions.push(
      vscode.commands.registerCommand('inferenceBudget._lastPanelState', () => host.snapshot()),
      vscode.commands.registerCommand('inferenceBudget._panelTest', async (op: unknown, arg?: unknown) => {
        switch (op) {
          case 'message': await host.handleMessage(arg); return host.snapshot();
          case 'openBundled': await host.openWithoutDocument(typeof arg === 'string' ? arg : undefined); return host.snapshot();
          case 'acceptGpuPick': return host.acceptGpuPick(Array.isArray(arg) ? arg.filter((x): x is string => typeof x === 'string') : []);
          case 'nextSaveUri': host.nextSaveUri = typeof arg === 'string' ? vscode.Uri.parse(arg) : undefined; return true;
          case 'lastExport': return host.lastExport?.toString();
          case 'close': host.close(); return true;
          case 'revive': await host.reviveForTest(arg); return host.snapshot();
          default: return host.snapshot();
        }
      }),
    );
  }
  return host;
}
