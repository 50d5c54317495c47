// Test support for the roofline panel, outside its production classes: registered only in development and test runs
// (`context.extensionMode !== Production`). It wraps the panel's seams (src/editor/rooflinePanel.ts `PanelSeams`) to
// record what the views post and to answer the save dialog and the GPU pick, and registers two hidden commands that
// the real-VS-Code tests (test/vscode/suite/panel.test.ts) drive:
//
// - `inferenceBudget._lastPanelState` → a `PanelSnapshot`;
// - `inferenceBudget._panelTest(op, arg)`: `message` (a raw webview message through the view's validated handler),
//   `openBundled`, `acceptGpuPick`, `nextSaveUri`, `close`, `revive` (close, then restore as the serializer would).
import * as vscode from 'vscode';
import type { PanelState } from '../../panel/messages';
import type { PanelSeams, RooflinePanelController } from '../rooflinePanel';
import type { GpuPick } from './gpuPicker';
import { BINDING_KEY, type SavedBinding } from './subject';
import { createRooflineWebviewPanel, type RooflineView } from './view';

/** What `inferenceBudget._lastPanelState` reports. */
export interface PanelSnapshot {
  open: boolean;
  visible: boolean;
  /** States posted since activation. */
  posted: number;
  /** The last state posted (kept after the panel closes). */
  state?: PanelState;
  /** The last error posted since that state. */
  error?: string;
  binding?: { kind: 'document' | 'bundled'; uri?: string; index?: number; modelId?: string };
  /** Invalid webview messages ignored since activation. */
  rejected: number;
}

/** The recording seams and what they recorded. */
export interface PanelTestSupport {
  readonly seams: PanelSeams;
  snapshot(): PanelSnapshot;
  /** The open view, if any. */
  view(): RooflineView | undefined;
  /** The next export is saved here instead of asking. */
  saveNextExportTo(uri: vscode.Uri | undefined): void;
  /** Accepts the open Compare GPUs pick with these ids; false when none is open. */
  acceptGpuPick(ids: string[]): boolean;
}

/** Wraps `seams` so that the tests can read what the panel did and stand in for the user. */
export function withPanelTestSupport(seams: PanelSeams): PanelTestSupport {
  let view: RooflineView | undefined;
  let posted = 0;
  let rejected = 0;
  let state: PanelState | undefined;
  let error: string | undefined;
  let nextSaveUri: vscode.Uri | undefined;
  let pick: GpuPick | undefined;
  const recording: PanelSeams = {
    askSaveUri: (options) => {
      const uri = nextSaveUri;
      nextSaveUri = undefined;
      return uri ? Promise.resolve(uri) : seams.askSaveUri(options);
    },
    showGpuPick: (current, extra) => {
      pick = seams.showGpuPick(current, extra);
      return pick;
    },
    observer: {
      opened: (v) => { view = v; seams.observer.opened(v); },
      posted: (v, message) => {
        if (message.type === 'state') {
          posted++;
          state = message.state;
          error = undefined;
        } else {
          error = message.message;
        }
        seams.observer.posted(v, message);
      },
      rejected: (v, raw) => { rejected++; seams.observer.rejected(v, raw); },
      closed: (v) => { if (view === v) view = undefined; seams.observer.closed(v); },
    },
  };
  return {
    seams: recording,
    view: () => view,
    snapshot: () => {
      const subject = view?.subject;
      return {
        open: view !== undefined,
        visible: view?.panel.visible ?? false,
        posted,
        state,
        error,
        binding: subject?.kind === 'document' ? { kind: 'document', uri: subject.uri, index: subject.index }
          : subject?.kind === 'bundled' ? { kind: 'bundled', modelId: subject.modelId } : undefined,
        rejected,
      };
    },
    saveNextExportTo: (uri) => { nextSaveUri = uri; },
    acceptGpuPick: (ids) => pick?.accept(ids) ?? false,
  };
}

/** Registers `inferenceBudget._lastPanelState` and `inferenceBudget._panelTest` (development and test runs only). */
export function registerPanelTestCommands(context: vscode.ExtensionContext, controller: RooflinePanelController, support: PanelTestSupport): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('inferenceBudget._lastPanelState', () => support.snapshot()),
    vscode.commands.registerCommand('inferenceBudget._panelTest', async (op: unknown, arg?: unknown) => {
      switch (op) {
        case 'message': await support.view()?.receive(arg); return support.snapshot();
        case 'openBundled': await controller.openWithoutDocument(typeof arg === 'string' ? arg : undefined); return support.snapshot();
        case 'acceptGpuPick': return support.acceptGpuPick(Array.isArray(arg) ? arg.filter((x): x is string => typeof x === 'string') : []);
        case 'nextSaveUri': support.saveNextExportTo(typeof arg === 'string' ? vscode.Uri.parse(arg) : undefined); return true;
        case 'close': support.view()?.dispose(); return true;
        case 'revive': {
          // As after a reload: the panel goes (which forgets the binding), the binding is saved again, and the
          // serializer gets a fresh webview panel with the webview's state.
          const saved = context.workspaceState.get<SavedBinding>(BINDING_KEY);
          support.view()?.dispose();
          await context.workspaceState.update(BINDING_KEY, saved);
          await controller.deserializeWebviewPanel(createRooflineWebviewPanel(context.extensionUri), arg);
          return support.snapshot();
        }
        default: return support.snapshot();
      }
    }),
  );
}
