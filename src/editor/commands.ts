// Commands: Open Roofline Panel, Compare GPUs, Select GPU, Size GGUF File, Open Example Deployment. The panel itself lives in the panel host
// (src/editor/rooflinePanel.ts), which registers itself with `setPanelHost`; these commands find the
// deployment (from CodeLens/hover arguments or the cursor) and hand it over.
import * as vscode from 'vscode';
import type { Accelerator, BudgetInputs, BudgetReport, ModelFiles } from '../core/types';
import { analysisItems, Analyzer, itemIndexAt } from './analysis';
import { guarded, Logger } from './log';
import { selectGpu } from './statusBar';
import { sizeGgufFile } from './gguf';
import { registerUnknownModelCommands } from './unknownModel';
import { COMMAND, registerCommand } from './commandTable';

/** What the panel needs to show one deployment. */
export interface PanelTarget {
  /** Document the deployment is in. */
  uri: string;
  /** Index of the deployment in the document. */
  index: number;
  label: string;
  files: ModelFiles;
  inputs: BudgetInputs;
  extraAccelerators: Accelerator[];
  /** The report already computed for these inputs. */
  report?: BudgetReport;
}

export interface PanelHost {
  openRoofline(target: PanelTarget): void | Thenable<void>;
  compareGpus(target: PanelTarget): void | Thenable<void>;
  /** With no recognised document: pick one of the bundled models. */
  openWithoutDocument?(): void | Thenable<void>;
}

let panelHost: PanelHost | undefined;

/** Called by the panel host once it is ready. */
export function setPanelHost(host: PanelHost | undefined): void { panelHost = host; }

export function registerCommands(context: vscode.ExtensionContext, analyzer: Analyzer, log: Logger): void {
  const open = (mode: 'roofline' | 'compare') => async (uriArg?: unknown, indexArg?: unknown): Promise<PanelTarget | undefined> =>
    guarded(log, `command ${mode}`, undefined, async () => {
      const target = await findTarget(analyzer, uriArg, indexArg);
      if (!target) {
        if (panelHost?.openWithoutDocument) {
          await panelHost.openWithoutDocument();
          return undefined;
        }
        void vscode.window.showInformationMessage('Inference Budget: open a model config.json or a deployment whose model is found, then run this again.');
        return undefined;
      }
      if (!panelHost) {
        log.warn('the roofline panel host is not available');
        void vscode.window.showInformationMessage(`Inference Budget: the roofline panel is not available in this build (${target.label}).`);
        return target;
      }
      await (mode === 'roofline' ? panelHost.openRoofline(target) : panelHost.compareGpus(target));
      return target;
    });
  context.subscriptions.push(
    registerCommand(COMMAND.openRoofline, open('roofline')),
    registerCommand(COMMAND.compareGpus, open('compare')),
    registerCommand(COMMAND.selectGpu, (query?: unknown) => selectGpu(analyzer, log, query)),
    registerCommand(COMMAND.sizeGgufFile, (uri?: unknown) => sizeGgufFile(analyzer, log, uri)),
    registerCommand(COMMAND.openExample, () => openExample(context.extensionUri, log)),
  );
  registerUnknownModelCommands(context, analyzer, log);
}

/** The example the walkthrough starts from, shipped in the VSIX. */
export const EXAMPLE_DEPLOYMENT_PATH = ['examples', 'walkthrough', 'llama-8b-on-l4.yaml'];

/**
 * "Open Example Deployment": the example as a new untitled YAML document, so it works with no folder open and
 * edits (the quick fix) never touch the extension's own copy.
 */
async function openExample(extensionUri: vscode.Uri, log: Logger): Promise<vscode.TextEditor | undefined> {
  return guarded(log, 'open example', undefined, async () => {
    const bytes = await vscode.workspace.fs.readFile(vscode.Uri.joinPath(extensionUri, ...EXAMPLE_DEPLOYMENT_PATH));
    const document = await vscode.workspace.openTextDocument({ language: 'yaml', content: new TextDecoder().decode(bytes) });
    return vscode.window.showTextDocument(document);
  });
}

/** The deployment named by (uri, index), else the one under the cursor in the active editor, else the first. */
async function findTarget(analyzer: Analyzer, uriArg: unknown, indexArg: unknown): Promise<PanelTarget | undefined> {
  let document: vscode.TextDocument | undefined;
  let index: number | undefined = typeof indexArg === 'number' && Number.isInteger(indexArg) ? indexArg : undefined;
  const uriText = uriArg instanceof vscode.Uri ? uriArg.toString() : typeof uriArg === 'string' ? uriArg : undefined;
  if (uriText) {
    document = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uriText)
      ?? await vscode.workspace.openTextDocument(vscode.Uri.parse(uriText));
  } else {
    document = vscode.window.activeTextEditor?.document;
  }
  if (!document) return undefined;
  const analysis = await analyzer.analyze(document);
  const items = analysis ? analysisItems(analysis) : [];
  if (!analysis || items.length === 0) return undefined;
  if (index === undefined) {
    const editor = vscode.window.activeTextEditor;
    const offset = editor && editor.document === document ? document.offsetAt(editor.selection.active) : -1;
    const under = itemIndexAt(items, offset);
    index = under >= 0 ? under : items.findIndex((it) => it.files !== undefined);
  }
  const item = items[index];
  if (!item || !item.files) return undefined;
  return {
    uri: analysis.uri,
    index,
    label: item.label,
    files: item.files,
    inputs: item.inputs,
    extraAccelerators: analysis.settings.customGpus,
    report: item.status === 'sized' ? item.report : undefined,
  };
}

