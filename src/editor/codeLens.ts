// One CodeLens per deployment (and one on a model config's architectures line): model, GPUs, whether it
// fits, maximum concurrency and decode speed. Clicking opens the roofline panel for that deployment.
import * as vscode from 'vscode';
import { analysisItems, Analyzer, toRange } from './analysis';
import { guarded, Logger } from './log';
import { lensTitle } from './present';
import { command, COMMAND } from './commandTable';

export class BudgetCodeLensProvider implements vscode.CodeLensProvider {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;

  constructor(private readonly analyzer: Analyzer, private readonly log: Logger) {
    analyzer.onDidChange(() => this.changed.fire());
  }

  provideCodeLenses(document: vscode.TextDocument, token: vscode.CancellationToken): Promise<vscode.CodeLens[]> {
    return guarded(this.log, 'CodeLens', [], async () => {
      const analysis = await this.analyzer.analyze(document);
      if (!analysis || token.isCancellationRequested) return [];
      return analysisItems(analysis).map((item, index) => new vscode.CodeLens(toRange(document, item.anchor),
        command(COMMAND.openRoofline, lensTitle(item), [analysis.uri, index], 'Inference Budget: open the roofline panel for this deployment')));
    });
  }
}

/** The lens title: a pure function of the item, in present.ts (unit-tested without VS Code). */
export { lensTitle };
