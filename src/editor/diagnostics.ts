// Problems for model configs and deployments: the analysis's findings (the readers' problems, why a deployment
// is not sized, the engine's findings on the responsible range), the same list `inference-budget check` prints.
// Debounced per document, cancellable, and never published for a stale document version.
import * as vscode from 'vscode';
import { documentFindings, FindingSeverity } from '../analysis/findings';
import { Analyzer, DocumentAnalysis, toRange } from './analysis';
import { guarded, Logger } from './log';

export const DIAGNOSTIC_SOURCE = 'Inference Budget';
const DEBOUNCE_MS = 300;

export function toSeverity(s: FindingSeverity): vscode.DiagnosticSeverity {
  return s === 'error' ? vscode.DiagnosticSeverity.Error
    : s === 'warning' ? vscode.DiagnosticSeverity.Warning
      : s === 'hint' ? vscode.DiagnosticSeverity.Hint : vscode.DiagnosticSeverity.Information;
}

/** Every diagnostic of an analysis: its findings (src/analysis/findings.ts) as VS Code diagnostics. */
export function buildDiagnostics(document: vscode.TextDocument, analysis: DocumentAnalysis): vscode.Diagnostic[] {
  return documentFindings(analysis).map((f) => {
    const d = new vscode.Diagnostic(toRange(document, f.range), f.message, toSeverity(f.severity));
    d.source = DIAGNOSTIC_SOURCE;
    d.code = f.code;
    return d;
  });
}

export class DiagnosticsController implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection('inference-budget');
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly pending = new Map<string, vscode.CancellationTokenSource>();
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly analyzer: Analyzer, private readonly log: Logger, private readonly isRelevant: (d: vscode.TextDocument) => boolean) {
    this.disposables.push(
      this.collection,
      vscode.workspace.onDidOpenTextDocument((d) => this.schedule(d, 0)),
      vscode.workspace.onDidChangeTextDocument((e) => { if (e.contentChanges.length) this.schedule(e.document, DEBOUNCE_MS); }),
      vscode.workspace.onDidCloseTextDocument((d) => this.clear(d.uri)),
      analyzer.onDidChange(() => this.refreshAll()),
    );
    this.refreshAll();
  }

  /** Re-checks every open relevant document (settings or models changed). */
  refreshAll(): void {
    const docs = vscode.workspace.textDocuments.filter((d) => this.isRelevant(d));
    const limit = this.analyzer.currentSettings.maxDocuments;
    docs.slice(0, limit).forEach((d) => this.schedule(d, 0));
  }

  schedule(document: vscode.TextDocument, delay: number): void {
    if (!this.isRelevant(document)) return;
    const key = document.uri.toString();
    clearTimeout(this.timers.get(key));
    this.pending.get(key)?.cancel();
    this.timers.set(key, setTimeout(() => { this.timers.delete(key); void this.update(document); }, delay));
  }

  private async update(document: vscode.TextDocument): Promise<void> {
    const key = document.uri.toString();
    const cts = new vscode.CancellationTokenSource();
    this.pending.get(key)?.cancel();
    this.pending.set(key, cts);
    const version = document.version;
    await guarded(this.log, `diagnostics for ${document.uri.fsPath}`, undefined, async () => {
      const analysis = await this.analyzer.analyze(document);
      if (cts.token.isCancellationRequested || document.isClosed || document.version !== version) return;
      if (!analysis) { this.collection.delete(document.uri); return; }
      if (analysis.kind === 'skipped') this.log.info(`${document.uri.fsPath}: skipped, ${analysis.reason}`);
      this.collection.set(document.uri, buildDiagnostics(document, analysis));
    });
    if (this.pending.get(key) === cts) this.pending.delete(key);
    cts.dispose();
  }

  private clear(uri: vscode.Uri): void {
    const key = uri.toString();
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
    this.pending.get(key)?.cancel();
    this.collection.delete(uri);
  }

  dispose(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    for (const c of this.pending.values()) c.cancel();
    this.disposables.forEach((d) => d.dispose());
  }
}
