// Problems for model configs and deployments: the engine's findings on the responsible range, the readers'
// problems, and an information diagnostic for a model that could not be found. Debounced per document,
// cancellable, and never published for a stale document version.
import * as vscode from 'vscode';
import type { Severity } from '../core/types';
import { AnalyzedItem, Analyzer, DocumentAnalysis, engineDiagnostics, rangeForDiagnostic, toRange } from './analysis';
import { guarded, Logger } from './log';

export const DIAGNOSTIC_SOURCE = 'Inference Budget';
const DEBOUNCE_MS = 300;

export function toSeverity(s: Severity): vscode.DiagnosticSeverity {
  return s === 'error' ? vscode.DiagnosticSeverity.Error
    : s === 'warning' ? vscode.DiagnosticSeverity.Warning : vscode.DiagnosticSeverity.Information;
}

/** Every diagnostic of an analysis (pure translation: engine/readers → VS Code). */
export function buildDiagnostics(document: vscode.TextDocument, analysis: DocumentAnalysis): vscode.Diagnostic[] {
  const out: vscode.Diagnostic[] = [];
  for (const p of analysis.problems) {
    const d = new vscode.Diagnostic(toRange(document, p.range), p.message, toSeverity(p.severity));
    d.source = DIAGNOSTIC_SOURCE;
    d.code = 'format';
    out.push(d);
  }
  for (const item of analysis.items) {
    if (item.resolution && !item.resolution.ok) {
      const range = item.spec?.model?.range ?? item.anchor;
      const d = new vscode.Diagnostic(toRange(document, range),
        `Model "${item.resolution.reference}" not found, so this deployment is not sized. Tried: ${item.resolution.tried.join('; ')}.`,
        vscode.DiagnosticSeverity.Information);
      d.source = DIAGNOSTIC_SOURCE;
      d.code = 'model-not-found';
      out.push(d);
      continue;
    }
    if (item.result && !item.result.ok && item.result.diagnostics.length === 0) {
      const range = item.spec?.model?.range ?? item.anchor;
      const d = new vscode.Diagnostic(toRange(document, range),
        `Not sized: ${item.result.unsupported}`, vscode.DiagnosticSeverity.Information);
      d.source = DIAGNOSTIC_SOURCE;
      d.code = 'unsupported';
      out.push(d);
    }
    if (item.resolution?.ok && item.resolution.model.note) {
      const d = new vscode.Diagnostic(toRange(document, item.spec?.model?.range ?? item.anchor),
        item.resolution.model.note, vscode.DiagnosticSeverity.Hint);
      d.source = DIAGNOSTIC_SOURCE;
      d.code = 'model-variant';
      out.push(d);
    }
    out.push(...itemDiagnostics(document, analysis, item));
  }
  return out;
}

function itemDiagnostics(document: vscode.TextDocument, analysis: DocumentAnalysis, item: AnalyzedItem): vscode.Diagnostic[] {
  const result = item.result;
  // A serving engine the budget engine does not emulate (SGLang, TGI) is not a mistake in the document:
  // say it is not sized, as information, instead of an error on a valid image.
  if (result && !result.ok && item.spec && item.spec.engine !== 'vllm'
    && result.diagnostics.every((e) => e.code === 'invalid-input' && e.subject === 'engine')) {
    const d = new vscode.Diagnostic(toRange(document, item.spec.model?.range ?? item.anchor),
      `Not sized: ${result.unsupported}`, vscode.DiagnosticSeverity.Information);
    d.source = DIAGNOSTIC_SOURCE;
    d.code = 'engine-not-emulated';
    return [d];
  }
  return engineDiagnostics(item).map((e) => {
    const d = new vscode.Diagnostic(toRange(document, rangeForDiagnostic(analysis, item, e)), e.message, toSeverity(e.severity));
    d.source = DIAGNOSTIC_SOURCE;
    d.code = e.code;
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
      if (analysis.skipped) this.log.info(`${document.uri.fsPath}: skipped, ${analysis.skipped}`);
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
    this.analyzer.forget(uri);
  }

  dispose(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    for (const c of this.pending.values()) c.cancel();
    this.disposables.forEach((d) => d.dispose());
  }
}
