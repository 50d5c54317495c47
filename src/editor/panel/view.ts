// One roofline webview panel, for exactly as long as its webview lives (the webview-sample pattern of
// microsoft/vscode-extension-samples): created by the controller (src/editor/rooflinePanel.ts) for a new panel or a
// restored one, given everything it needs, and disposed with its webview.
//
// - It sets the webview's options and HTML (a fresh nonce, the CSP of webview/index.html.ts, local resources
//   confined to dist/webview) and shows its subject (src/editor/panel/subject.ts) through the engine
//   (`buildPanelState`, src/panel/state.ts).
// - Messages from the webview are validated with `isWebviewMessage` (invalid ones are logged and ignored):
//   `ready` → the latest state; `controlsChanged` → recomputed; `export` → saved (./exports.ts);
//   `openDocument` → the document is revealed. Messages to it are checked with `isHostMessage` before posting.
import { randomBytes } from 'crypto';
import * as vscode from 'vscode';
import { renderPanelHtml } from '../../../webview/index.html';
import {
  type ExportMessage, type HostMessage, isHostMessage, isWebviewMessage, LIMITS, type PanelControls, type PanelState,
  PROTOCOL_VERSION,
} from '../../panel/messages';
import { buildPanelState } from '../../panel/state';
import { guarded, type Logger } from '../log';
import { type AskSaveUri, saveChartExport } from './exports';
import type { GpuPick, ShowGpuPick } from './gpuPicker';
import { type PanelSubject, type SavedBinding, savedBindingOf, withControls } from './subject';

export const ROOFLINE_VIEW_TYPE = 'inferenceBudget.roofline';

/** What a view tells its owner (the controller). */
export interface ViewEvents {
  /** A message was posted to the webview. */
  posted(view: RooflineView, message: HostMessage): void;
  /** A message from the webview failed validation and was ignored. */
  rejected(view: RooflineView, raw: unknown): void;
  /** The subject was shown: what to save for a restore after a reload. */
  shown(view: RooflineView, saved: SavedBinding | undefined): void;
  /** The webview was closed; the view is disposed. */
  disposed(view: RooflineView): void;
}

/** What a view needs from the extension, all of it given when it is created. */
export interface ViewServices {
  readonly extensionUri: vscode.Uri;
  readonly log: Logger;
  readonly events: ViewEvents;
  /** Where an export goes (the save dialog). */
  readonly askSaveUri: AskSaveUri;
  /** The Compare GPUs pick. */
  readonly showGpuPick: ShowGpuPick;
  /** A bundled model as a subject, with the current settings (the webview's model picker switches models). */
  readonly bundledSubject: (modelId: string, controls: PanelControls) => PanelSubject | undefined;
}

/** What the webview was last sent, so that a reloaded webview (`ready`) gets it again without recomputing. */
type Shown =
  | { kind: 'nothing' }
  | { kind: 'state'; state: PanelState; subject: PanelSubject }
  | { kind: 'error'; message: string };

function webviewRoot(extensionUri: vscode.Uri): vscode.Uri {
  return vscode.Uri.joinPath(extensionUri, 'dist', 'webview');
}

/** Options of a new roofline webview panel (the serializer's restored panels get the webview options again). */
function rooflinePanelOptions(extensionUri: vscode.Uri): vscode.WebviewOptions & vscode.WebviewPanelOptions {
  return { enableScripts: true, localResourceRoots: [webviewRoot(extensionUri)], retainContextWhenHidden: false, enableFindWidget: false };
}

/** Opens a new, empty roofline webview panel beside the active editor. */
export function createRooflineWebviewPanel(extensionUri: vscode.Uri): vscode.WebviewPanel {
  return vscode.window.createWebviewPanel(
    ROOFLINE_VIEW_TYPE, 'Roofline', { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, rooflinePanelOptions(extensionUri));
}

function freshNonce(): string {
  return randomBytes(18).toString('base64');
}

function describeInvalid(x: unknown): string {
  if (x === null || typeof x !== 'object') return typeof x;
  const type = (x as { type?: unknown }).type;
  return typeof type === 'string' ? `type "${type.slice(0, 40)}"` : 'object without a valid type';
}

export class RooflineView implements vscode.Disposable {
  private current: PanelSubject;
  private shown: Shown = { kind: 'nothing' };
  /** Listeners of the webview and open GPU picks: they go with the view. */
  private readonly listeners: vscode.Disposable[] = [];
  private readonly picks = new Set<GpuPick>();
  private disposed = false;

  /** Takes `panel` (new or restored), gives it its HTML and shows `subject`. */
  constructor(readonly panel: vscode.WebviewPanel, subject: PanelSubject, private readonly services: ViewServices) {
    this.current = subject;
    const root = webviewRoot(services.extensionUri);
    panel.webview.options = { enableScripts: true, localResourceRoots: [root] };
    panel.webview.html = renderPanelHtml({
      scriptUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(root, 'main.js')).toString(),
      styleUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(root, 'panel.css')).toString(),
      cspSource: panel.webview.cspSource,
      nonce: freshNonce(),
    });
    this.listeners.push(
      panel.webview.onDidReceiveMessage((m: unknown) => { void this.receive(m); }),
      panel.onDidDispose(() => this.dispose()),
    );
    this.render();
  }

  /** What the panel shows (the controller follows documents by it). */
  get subject(): PanelSubject {
    return this.current;
  }

  /** Shows another subject, or the same one after its document or the settings changed. */
  show(subject: PanelSubject): void {
    this.current = subject;
    this.render();
  }

  reveal(): void {
    this.panel.reveal(undefined, true);
  }

  /** Says in the panel why its charts are not up to date (they stay as they are). */
  showError(message: string): void {
    this.postError(message);
  }

  /** Offers the Compare GPUs pick; the GPUs chosen replace the compared ones. */
  pickGpusToCompare(): void {
    if (this.disposed || this.current.kind === 'empty') return;
    for (const p of this.picks) p.dispose();
    const pick = this.services.showGpuPick(this.current.controls.gpus, this.current.model.extraAccelerators);
    this.picks.add(pick);
    void pick.chosen.then((ids) => {
      this.picks.delete(pick);
      if (this.disposed || !ids || ids.length === 0 || this.current.kind === 'empty') return;
      this.show(withControls(this.current, { ...this.current.controls, gpus: ids.slice(0, LIMITS.maxComparedGpus) }));
    });
  }

  // ---- rendering -------------------------------------------------------------------------------------

  /** Computes the state for the subject and posts it. */
  private render(): void {
    if (this.disposed) return;
    const subject = this.current;
    if (subject.kind === 'empty') {
      this.postError(subject.message);
      return;
    }
    let result: ReturnType<typeof buildPanelState>;
    try {
      result = buildPanelState(subject.model, subject.controls);
    } catch (e) {
      this.services.log.error(`roofline panel: ${(e as Error)?.stack ?? e}`);
      result = { ok: false, message: `Internal error while building the charts: ${(e as Error)?.message ?? e}` };
    }
    if (!result.ok) {
      this.postError(result.message);
      return;
    }
    this.panel.title = `Roofline: ${result.reports[0].model.name}`.slice(0, 120);
    if (this.post({ type: 'state', version: PROTOCOL_VERSION, state: result.state })) this.shown = { kind: 'state', state: result.state, subject };
    if (result.problems.length) this.postError(`Not shown: ${result.problems.join('; ')}`);
    this.services.events.shown(this, savedBindingOf(subject));
  }

  private post(message: HostMessage): boolean {
    if (this.disposed) return false;
    const type = message.type;
    if (!isHostMessage(message)) {
      this.services.log.error(`roofline panel: refused to post an invalid ${type} message`);
      return false;
    }
    void this.panel.webview.postMessage(message);
    this.services.events.posted(this, message);
    return true;
  }

  private postError(message: string): void {
    const text = message.slice(0, LIMITS.maxErrorLength);
    if (this.post({ type: 'error', message: text })) this.shown = { kind: 'error', message: text };
  }

  // ---- messages from the webview ------------------------------------------------------------------

  /** Every message from the webview goes through here. */
  async receive(raw: unknown): Promise<void> {
    if (this.disposed) return;
    if (!isWebviewMessage(raw)) {
      this.services.log.warn(`roofline panel: ignored an invalid message from the webview (${describeInvalid(raw)})`);
      this.services.events.rejected(this, raw);
      return;
    }
    await guarded(this.services.log, `roofline panel message ${raw.type}`, undefined, async () => {
      switch (raw.type) {
        case 'ready':
          // The webview (re)loaded: give it the latest figures (or the last error).
          if (this.shown.kind === 'state' && this.shown.subject === this.current) this.post({ type: 'state', version: PROTOCOL_VERSION, state: this.shown.state });
          else if (this.current.kind !== 'empty') this.render();
          else if (this.shown.kind === 'error') this.post({ type: 'error', message: this.shown.message });
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
    const subject = this.current;
    if (subject.kind === 'bundled' && controls.model !== undefined && controls.model !== subject.modelId) {
      const other = this.services.bundledSubject(controls.model, controls);
      if (!other) {
        this.postError(`"${controls.model}" is not a bundled model.`);
        return;
      }
      this.show(other);
      return;
    }
    if (subject.kind !== 'empty') this.show(withControls(subject, controls));
  }

  private async exportChart(msg: ExportMessage): Promise<void> {
    const title = this.shown.kind === 'state' ? this.shown.state.title : undefined;
    const documentUri = this.current.kind === 'document' ? this.current.uri : undefined;
    await saveChartExport(msg, title, documentUri, this.services.askSaveUri, this.services.log);
  }

  /** The column beside the panel, for documents opened from it. */
  private besideColumn(): vscode.ViewColumn {
    return this.panel.viewColumn === vscode.ViewColumn.One ? vscode.ViewColumn.Two : vscode.ViewColumn.One;
  }

  private async openDocument(): Promise<void> {
    const subject = this.current;
    if (subject.kind === 'document') {
      const visible = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === subject.uri);
      const doc = visible?.document ?? await vscode.workspace.openTextDocument(vscode.Uri.parse(subject.uri));
      await vscode.window.showTextDocument(doc, { viewColumn: visible?.viewColumn ?? this.besideColumn(), preview: false });
      return;
    }
    // A bundled model (or nothing yet): pick a model config or deployment; the panel follows it once it is open.
    const picked = await vscode.window.showOpenDialog({
      canSelectMany: false, openLabel: 'Open', title: 'Open a model config.json or a deployment',
      filters: { 'Model configs and deployments': ['json', 'yaml', 'yml'] },
      defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
    });
    if (!picked?.[0]) return;
    const doc = await vscode.workspace.openTextDocument(picked[0]);
    await vscode.window.showTextDocument(doc, { viewColumn: this.besideColumn(), preview: false });
  }

  // ---- lifetime ----------------------------------------------------------------------------------------

  /**
   * Extension shutdown (window reload included): the listeners and picks go, the webview itself is left to VS Code
   * so that the serializer can restore it.
   */
  detach(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const p of this.picks) p.dispose();
    this.picks.clear();
    for (const d of this.listeners.splice(0)) d.dispose();
  }

  /** Closes the webview (or follows its closing): everything of the view goes with it. */
  dispose(): void {
    if (this.disposed) return;
    this.detach();
    this.panel.dispose();
    this.services.events.disposed(this);
  }
}
