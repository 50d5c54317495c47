// Inference Budget: while you edit a model config or a deployment, tells whether it fits and how fast it decodes.
// activate() only wires the editor layer (src/editor/*) to the engine (src/core) and the readers (src/formats).
import * as vscode from 'vscode';
import { Analyzer } from './editor/analysis';
import { BudgetCodeActionProvider, registerNameModel } from './editor/codeActions';
import { BudgetCodeLensProvider } from './editor/codeLens';
import { registerCommands } from './editor/commands';
import { DiagnosticsController } from './editor/diagnostics';
import { DOCUMENT_SELECTOR, isRelevant } from './editor/documents';
import { BudgetHoverProvider } from './editor/hover';
import { createLogger } from './editor/log';
import { registerSizeTool } from './editor/lmTool';
import { registerRooflinePanel } from './editor/rooflinePanel';
import { ModelResolver } from './editor/modelResolver';
import { SECTION } from './editor/settings';
import { GpuStatusBar } from './editor/statusBar';

export function activate(context: vscode.ExtensionContext): void {
  const log = createLogger();
  context.subscriptions.push(log);
  const resolver = new ModelResolver(log);
  const analyzer = new Analyzer(resolver, log);
  reportInvalidCustomGpus();

  function reportInvalidCustomGpus(): void {
    for (const problem of analyzer.currentSettings.invalidCustomGpus) log.warn(`ignored invalid setting: ${problem}`);
  }

  context.subscriptions.push(
    vscode.languages.registerHoverProvider(DOCUMENT_SELECTOR, new BudgetHoverProvider(analyzer, log)),
    vscode.languages.registerCodeActionsProvider(DOCUMENT_SELECTOR, new BudgetCodeActionProvider(analyzer, log), BudgetCodeActionProvider.metadata),
    vscode.languages.registerCodeLensProvider(DOCUMENT_SELECTOR, new BudgetCodeLensProvider(analyzer, log)),
    new DiagnosticsController(analyzer, log, isRelevant),
    new GpuStatusBar(analyzer, log, isRelevant),
  );
  registerCommands(context, analyzer, log);
  registerNameModel(context, analyzer, log);
  registerRooflinePanel(context, analyzer, log);
  registerSizeTool(context, analyzer, log);

  // Settings and trust change what is computed (the hub download is off in untrusted workspaces).
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (!e.affectsConfiguration(SECTION)) return;
      analyzer.reloadSettings();
      reportInvalidCustomGpus();
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => analyzer.reloadSettings()),
  );

  // The Analyzer follows documents closing, workspace config.json files changing and late Hub downloads.
  context.subscriptions.push(analyzer.watchWorkspace());
  // The workspace's model configs are read in the background now, not when the first deployment is opened.
  void resolver.indexWorkspace(analyzer.currentSettings.maxDocuments).then((n) => log.info(`indexed ${n} config.json file${n === 1 ? '' : 's'} in the workspace`));
  log.info(`activated (VS Code ${vscode.version})`);
}

export function deactivate(): void { /* disposables do the work */ }
