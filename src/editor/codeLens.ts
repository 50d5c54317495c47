// One CodeLens per deployment (and one on a model config's architectures line): model, GPUs, whether it
// fits, maximum concurrency and decode speed. Clicking opens the roofline panel for that deployment.
import * as vscode from 'vscode';
import { AnalyzedItem, Analyzer, toRange } from './analysis';
import { guarded, Logger } from './log';
import * as P from './present';
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
      return analysis.items.map((item, index) => new vscode.CodeLens(toRange(document, item.anchor),
        command(COMMAND.openRoofline, lensTitle(item), [analysis.uri, index], 'Inference Budget: open the roofline panel for this deployment')));
    });
  }
}

/** "Llama-3.1-8B on 1× NVIDIA L4 · TP 1 · $(pass) fits · max concurrency 3.2 × 8,192 tokens · ~11.9 tok/s expected (ceiling 15.2 tok/s)". */
export function lensTitle(item: AnalyzedItem): string {
  const res = item.resolution;
  if (item.notSized && item.notSized.code !== 'model-not-found') return `$(info) Inference Budget: not sized (${item.notSized.summary})`;
  if (res && !res.ok) return `$(question) Inference Budget: model "${res.reference}" not found`;
  const result = item.result;
  if (!result) return '$(info) Inference Budget: no model named';
  if (!result.ok) return `$(info) Inference Budget: not sized (${result.unsupported})`;
  const r = result.report;
  const c = r.capacity;
  const parts = [`${r.model.name} on ${P.hardware(r)}`, P.parallelism(r)];
  // The engine's one verdict; a bare config.json names no GPU, so not fitting the default one is information.
  parts.push(P.verdictWithIcon(r, item.spec ? '$(error)' : '$(info)'));
  if (r.verdict.fits) parts.push(`max concurrency ${P.concurrency(c.maxConcurrency)} × ${P.int(c.maxModelLen)} tokens`);
  if (c.weightsFit) {
    const batch = r.decode.batch > 1 ? ` × ${P.int(r.decode.batch)}` : '';
    parts.push(`~${P.tokensPerSecond(r.decode.expected.tokensPerSecondPerRequest)}${batch} expected (ceiling ${P.tokensPerSecond(r.decode.tokensPerSecondPerRequest)})`);
  }
  const title = parts.join(' · ');
  return item.spec && item.spec.engine !== r.settings.engine ? `${title} (sized with ${P.engineName(r.settings.engine)} rules)` : title;
}
