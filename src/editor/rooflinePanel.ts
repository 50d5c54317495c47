// The roofline panel's controller: lives as long as the extension and holds at most one view (a webview panel,
// src/editor/panel/view.ts, created per webview and disposed with it).
//
// - It is the commands' panel host (`setPanelHost`, src/editor/commands.ts): `openRoofline` / `compareGpus` bind the
//   panel to a document's deployment (Compare GPUs then offers src/editor/panel/gpuPicker.ts);
//   `openWithoutDocument` offers the bundled models.
// - It restores a panel after a reload (the WebviewPanelSerializer of `onWebviewPanel:inferenceBudget.roofline`:
//   binding kept in workspaceState, controls from the webview's own saved state).
// - It follows the active recognised document and its edits (debounced, through the Analyzer; results for stale
//   document versions are dropped), and keeps the `inferenceBudget.rooflineAvailable` context key.
// What a panel shows is src/editor/panel/subject.ts; its test commands are src/editor/panel/testSupport.ts.
import * as vscode from 'vscode';
import { isPanelControls, isPanelState, type PanelControls } from '../panel/messages';
import { bundledModelOptions } from '../panel/state';
import type { Analyzer } from './analysis';
import { type PanelHost, type PanelTarget, setPanelHost } from './commands';
import { guarded, type Logger } from './log';
import type { AskSaveUri } from './panel/exports';
import { type ShowGpuPick, showGpuPick } from './panel/gpuPicker';
import {
  analysisSubject, BINDING_KEY, bundledSubject, firstModelItem, isCandidateDocument, type PanelSubject, type SavedBinding,
  savedBindingOf, targetSubject, whyNotShown,
} from './panel/subject';
import { registerPanelTestCommands, withPanelTestSupport } from './panel/testSupport';
import { createRooflineWebviewPanel, ROOFLINE_VIEW_TYPE, RooflineView, type ViewEvents, type ViewServices } from './panel/view';

export { ROOFLINE_VIEW_TYPE } from './panel/view';
/** Context key: the active editor holds a deployment or model config the panel can show (editor/title menu). */
export const ROOFLINE_CONTEXT_KEY = 'inferenceBudget.rooflineAvailable';
const UPDATE_DEBOUNCE_MS = 200;

/** Sees the views the controller opens and what they post (nothing in the extension; the test commands record it). */
export interface PanelObserver {
  opened(view: RooflineView): void;
  posted: ViewEvents['posted'];
  rejected: ViewEvents['rejected'];
  closed(view: RooflineView): void;
}

/** Where the panel meets the user outside its webview: the save dialog, the GPU pick, and who watches. */
export interface PanelSeams {
  askSaveUri: AskSaveUri;
  showGpuPick: ShowGpuPick;
  observer: PanelObserver;
}

export const DEFAULT_PANEL_SEAMS: PanelSeams = {
  askSaveUri: (options) => vscode.window.showSaveDialog(options),
  showGpuPick,
  observer: { opened: () => undefined, posted: () => undefined, rejected: () => undefined, closed: () => undefined },
};

type UpdateMode = 'follow' | 'refresh';

export class RooflinePanelController implements PanelHost, vscode.WebviewPanelSerializer, vscode.Disposable {
  private view: RooflineView | undefined;
  private readonly services: ViewServices;
  private updateTimer: NodeJS.Timeout | undefined;
  private contextTimer: NodeJS.Timeout | undefined;
  /** Bumped by every scheduled update: an analysis that finishes after a newer one was scheduled is dropped. */
  private generation = 0;
  /** The latest update asked for and not finished yet (a refresh must not replace a pending switch of document). */
  private requested: { document: vscode.TextDocument; mode: UpdateMode } | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly analyzer: Analyzer,
    private readonly log: Logger,
    private readonly seams: PanelSeams = DEFAULT_PANEL_SEAMS,
  ) {
    const events: ViewEvents = {
      posted: (view, message) => seams.observer.posted(view, message),
      rejected: (view, raw) => seams.observer.rejected(view, raw),
      shown: (view, saved) => { if (view === this.view) void context.workspaceState.update(BINDING_KEY, saved); },
      disposed: (view) => this.onViewDisposed(view),
    };
    this.services = {
      extensionUri: context.extensionUri,
      log,
      events,
      askSaveUri: seams.askSaveUri,
      showGpuPick: seams.showGpuPick,
      bundledSubject: (modelId, controls) => bundledSubject(modelId, analyzer.currentSettings, controls),
    };
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

  // ---- PanelHost -----------------------------------------------------------------------------------

  openRoofline(target: PanelTarget): Promise<void> {
    return guarded(this.log, 'open roofline panel', undefined, () => this.showSubject(targetSubject(target)));
  }

  /** Opens the panel on the target, then offers a quick pick of up to three GPUs to compare (not awaited). */
  compareGpus(target: PanelTarget): Promise<void> {
    return guarded(this.log, 'compare GPUs', undefined, () => {
      this.showSubject(targetSubject(target));
      this.view?.pickGpusToCompare();
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
      const subject = bundledSubject(id, this.analyzer.currentSettings);
      if (!subject) {
        void vscode.window.showWarningMessage(`Inference Budget: "${id}" is not a bundled model.`);
        return;
      }
      this.showSubject(subject);
    });
  }

  /** Shows a subject in the open panel (revealed), or in a new one. */
  private showSubject(subject: PanelSubject): void {
    if (this.view) {
      this.view.reveal();
      this.view.show(subject);
      return;
    }
    this.adopt(createRooflineWebviewPanel(this.context.extensionUri), subject);
  }

  /** A view for a new or restored webview panel; one panel at a time. */
  private adopt(panel: vscode.WebviewPanel, subject: PanelSubject): RooflineView {
    if (this.view && this.view.panel !== panel) this.view.dispose();
    const view = new RooflineView(panel, subject, this.services);
    this.view = view;
    this.seams.observer.opened(view);
    // The first state was saved before `this.view` was set: save it now.
    const saved = savedBindingOf(subject);
    if (saved) void this.context.workspaceState.update(BINDING_KEY, saved);
    return view;
  }

  private onViewDisposed(view: RooflineView): void {
    this.seams.observer.closed(view);
    if (this.view !== view) return;
    this.view = undefined;
    clearTimeout(this.updateTimer);
    this.generation++;
    this.requested = undefined;
    void this.context.workspaceState.update(BINDING_KEY, undefined);
  }

  // ---- following documents -------------------------------------------------------------------------

  private onActiveDocument(document: vscode.TextDocument): void {
    const subject = this.view?.subject;
    if (!subject || !isCandidateDocument(document)) return;
    if (subject.kind === 'document' && subject.uri === document.uri.toString()) return;
    this.scheduleUpdate(document, 'follow');
  }

  private onDocumentChanged(e: vscode.TextDocumentChangeEvent): void {
    if (e.contentChanges.length === 0) return;
    if (vscode.window.activeTextEditor?.document === e.document) this.scheduleContextKey();
    const subject = this.view?.subject;
    if (subject?.kind !== 'document' || subject.uri !== e.document.uri.toString()) return;
    this.scheduleUpdate(e.document, 'refresh');
  }

  /** Settings or referenced models changed: the bound document (or bundled model) is shown again. */
  private scheduleRefresh(): void {
    const view = this.view;
    if (!view) return;
    if (this.requested) {
      // An update is pending or running: run it again (after the invalidation) rather than the bound document's.
      this.scheduleUpdate(this.requested.document, this.requested.mode);
      return;
    }
    const subject = view.subject;
    if (subject.kind === 'bundled') {
      const again = bundledSubject(subject.modelId, this.analyzer.currentSettings, subject.controls);
      if (again) view.show(again);
      return;
    }
    if (subject.kind !== 'document') return;
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === subject.uri);
    if (doc) this.scheduleUpdate(doc, 'refresh');
  }

  private scheduleUpdate(document: vscode.TextDocument, mode: UpdateMode): void {
    clearTimeout(this.updateTimer);
    this.requested = { document, mode };
    const generation = ++this.generation;
    this.updateTimer = setTimeout(() => {
      void guarded(this.log, 'roofline panel update', undefined, () => this.update(document, generation, mode));
    }, UPDATE_DEBOUNCE_MS);
  }

  private async update(document: vscode.TextDocument, generation: number, mode: UpdateMode): Promise<void> {
    const version = document.version;
    const analysis = await this.analyzer.analyze(document);
    const view = this.view;
    // A newer edit or document switch was scheduled meanwhile, or the panel was closed.
    if (generation !== this.generation || !view) return;
    // This version is already outdated: the change event of the newer one scheduled its own update.
    if (document.version !== version || (analysis && analysis.version !== version)) return;
    this.requested = undefined;
    if (!analysis || document.isClosed) return;
    const subject = view.subject;
    const sameDocument = subject.kind === 'document' && subject.uri === analysis.uri;
    const index = firstModelItem(analysis, sameDocument ? subject.index : undefined);
    if (index < 0) {
      // Following: a document without a model is not the panel's business. Editing the bound one: say why.
      if (mode === 'refresh' && sameDocument) {
        view.showError(`${subject.label}: ${whyNotShown(analysis, subject.index)} in the current text; the charts show the last version that could be read.`);
      }
      return;
    }
    view.show(analysisSubject(analysis, index, subject, sameDocument ? 'refresh' : 'follow'));
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

  // ---- restore after reload ---------------------------------------------------------------------------

  /** The serializer: binds a restored webview panel again, from the saved binding and the webview's state. */
  async deserializeWebviewPanel(panel: vscode.WebviewPanel, webviewState: unknown): Promise<void> {
    const subject = await guarded(this.log, 'restore roofline panel', undefined, () => this.restoredSubject(webviewState));
    this.adopt(panel, subject ?? { kind: 'empty', message: 'Open a model config.json or a deployment to see its roofline.' });
  }

  private async restoredSubject(webviewState: unknown): Promise<PanelSubject | undefined> {
    const fromWebview = webviewState && typeof webviewState === 'object' ? (webviewState as { state?: unknown }).state : undefined;
    const restoredState = isPanelState(fromWebview) ? fromWebview : undefined;
    const saved = this.context.workspaceState.get<SavedBinding>(BINDING_KEY);
    const savedControls = restoredState?.controls ?? (isPanelControls(saved?.controls) ? saved.controls : undefined);
    if (saved?.kind === 'document' && typeof saved.uri === 'string') {
      const uri = saved.uri;
      // The document may be gone (deleted, renamed): then the next fallback applies.
      const restored = await this.documentSubject(uri, typeof saved.index === 'number' ? saved.index : undefined, savedControls)
        .catch((e) => { this.log.warn(`roofline panel: cannot restore ${uri}: ${(e as Error)?.message ?? e}`); return undefined; });
      if (restored) return restored;
    }
    const modelId = saved?.kind === 'bundled' ? saved.modelId : restoredState?.source === 'bundled' ? restoredState.controls.model : undefined;
    const bundled = modelId ? bundledSubject(modelId, this.analyzer.currentSettings, savedControls) : undefined;
    if (bundled) return bundled;
    const active = vscode.window.activeTextEditor?.document;
    return active && isCandidateDocument(active) ? this.documentSubject(active.uri.toString(), undefined, undefined) : undefined;
  }

  private async documentSubject(uri: string, index: number | undefined, controls: PanelControls | undefined): Promise<PanelSubject | undefined> {
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.parse(uri));
    const analysis = await this.analyzer.analyze(doc);
    const at = firstModelItem(analysis, index);
    if (!analysis || at < 0) return undefined;
    const subject = analysisSubject(analysis, at, { kind: 'empty', message: '' }, 'follow');
    if (!controls || subject.kind !== 'document') return subject;
    const { model: _model, ...rest } = controls;
    return { ...subject, controls: rest };
  }

  /**
   * Extension shutdown (window reload included): listeners go, the webview itself is left to VS Code so that the
   * serializer can restore it, and the binding stays in workspaceState for that.
   */
  dispose(): void {
    clearTimeout(this.updateTimer);
    clearTimeout(this.contextTimer);
    this.generation++;
    this.view?.detach();
    this.view = undefined;
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}

/**
 * Creates the panel's controller, registers it with the commands (`setPanelHost`) and as the serializer that restores
 * the panel after a reload; in development and test runs also the hidden test commands (src/editor/panel/testSupport.ts).
 */
export function registerRooflinePanel(context: vscode.ExtensionContext, analyzer: Analyzer, log: Logger): RooflinePanelController {
  const testing = context.extensionMode !== vscode.ExtensionMode.Production ? withPanelTestSupport(DEFAULT_PANEL_SEAMS) : undefined;
  const controller = new RooflinePanelController(context, analyzer, log, testing?.seams ?? DEFAULT_PANEL_SEAMS);
  setPanelHost(controller);
  context.subscriptions.push(
    controller,
    { dispose: () => setPanelHost(undefined) },
    vscode.window.registerWebviewPanelSerializer(ROOFLINE_VIEW_TYPE, controller),
  );
  if (testing) registerPanelTestCommands(context, controller, testing);
  return controller;
}
