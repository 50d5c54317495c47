// Quick fixes: a thin layer over `quickFixes` (src/analysis/fixes.ts), which proposes each fix as edits of every
// place that must agree (TP and the GPUs requested, a label value valid for its key, ...) and offers it only when
// the document analysed again with the edits fits, or is strictly better (the title then says what remains).
// Here they become code actions with one WorkspaceEdit each. A deployment whose model is not known here is
// offered a `# inference-budget: model=` comment, asking for the id.
import * as vscode from 'vscode';
import type { BudgetDiagnostic } from '../core/types';
import { directiveInsertion } from '../analysis/directives';
import { QuickFix, quickFixes } from '../analysis/fixes';
import { analysisItems, Analyzer, DocumentAnalysis, engineDiagnostics, rangeForDiagnostic, toRange } from './analysis';
import { DIAGNOSTIC_SOURCE } from './diagnostics';
import { guarded, Logger } from './log';
import { parseModelReference } from '../core/modelResolution';
import { UNKNOWN_MODEL_TITLES } from './unknownModel';
import { command, COMMAND, registerCommand } from './commandTable';

export { fixTitle } from '../analysis/fixes';

export class BudgetCodeActionProvider implements vscode.CodeActionProvider {
  static readonly metadata: vscode.CodeActionProviderMetadata = { providedCodeActionKinds: [vscode.CodeActionKind.QuickFix] };

  /** Fixes per analysis (one per document version) and item and findings asked about: each costs re-analyses. */
  private readonly cache = new WeakMap<DocumentAnalysis, Map<string, Promise<QuickFix[]>>>();

  constructor(private readonly analyzer: Analyzer, private readonly log: Logger) {}

  provideCodeActions(document: vscode.TextDocument, range: vscode.Range | vscode.Selection, context: vscode.CodeActionContext, token: vscode.CancellationToken): Promise<vscode.CodeAction[]> {
    return guarded(this.log, 'code actions', [], async () => {
      const analysis = await this.analyzer.analyze(document);
      if (!analysis || token.isCancellationRequested || analysis.version !== document.version) return [];
      // A bare config.json describes a model: nothing there to tune.
      if (analysis.kind !== 'deployments') return [];
      const actions: vscode.CodeAction[] = [];
      const ours = (codes: readonly string[]) => context.diagnostics.filter((x) => x.source === DIAGNOSTIC_SOURCE && codes.includes(codeOf(x)));
      for (const [index, item] of analysis.items.entries()) {
        // Not sized because its model is unknown here: offer to say which it is, in a comment.
        const why = item.status === 'not-found' || item.status === 'not-sized' ? item.notSized : undefined;
        if (why && why.code.startsWith('model-') && toRange(document, why.range).intersection(range)) {
          const action = new vscode.CodeAction('Say which model this is (# inference-budget: model=…)', vscode.CodeActionKind.QuickFix);
          action.command = command(COMMAND.nameModel, action.title, [document.uri.toString(), document.version, index]);
          action.diagnostics = ours([why.code]);
          actions.push(action);
          // A model looked up and not found: download its config, choose one, or size it as a similar model.
          if (item.status === 'not-found') {
            const reference = item.resolution.reference;
            type UnknownModelCommand = typeof COMMAND.downloadModelConfig | typeof COMMAND.chooseModelConfig | typeof COMMAND.sizeAsSimilarModel;
            const offered: [string, UnknownModelCommand][] = [
              ...(parseModelReference(reference)?.kind === 'hub' ? [[UNKNOWN_MODEL_TITLES.download, COMMAND.downloadModelConfig] as [string, UnknownModelCommand]] : []),
              [UNKNOWN_MODEL_TITLES.choose, COMMAND.chooseModelConfig],
              [UNKNOWN_MODEL_TITLES.similar, COMMAND.sizeAsSimilarModel],
            ];
            for (const [title, id] of offered) {
              const fix = new vscode.CodeAction(title, vscode.CodeActionKind.QuickFix);
              fix.command = command(id, title, [document.uri.toString(), reference]);
              fix.diagnostics = ours([why.code]);
              actions.push(fix);
            }
          }
        }
        const findings = engineDiagnostics(item).map((d) => ({ d, range: toRange(document, rangeForDiagnostic(analysis, item, d)) }));
        const touched = (r: vscode.Range) => !!r.intersection(range);
        // A deployment that does not fit offers every way out (shorter context, fp8 KV cache, more GPUs) wherever
        // its error is; other fixes show on their own finding.
        const fitTouched = findings.some((f) => FIT_CODES.has(f.d.code) && touched(f.range));
        const wanted = new Set<BudgetDiagnostic>(findings.filter((f) => touched(f.range) || (fitTouched && FIT_CODES.has(f.d.code))).map((f) => f.d));
        if (!wanted.size) continue;
        const fixes = await this.fixesFor(document, analysis, index, wanted);
        if (token.isCancellationRequested) return [];
        for (const fix of fixes) {
          const action = new vscode.CodeAction(fix.title, vscode.CodeActionKind.QuickFix);
          const we = new vscode.WorkspaceEdit();
          for (const e of fix.edits) we.replace(document.uri, toRange(document, e.range), e.newText);
          action.edit = we;
          action.diagnostics = ours(fix.diagnosticCodes);
          action.isPreferred = fix.preferred;
          actions.push(action);
        }
      }
      return actions;
    });
  }

  private fixesFor(document: vscode.TextDocument, analysis: DocumentAnalysis, index: number, wanted: Set<BudgetDiagnostic>): Promise<QuickFix[]> {
    let perAnalysis = this.cache.get(analysis);
    if (!perAnalysis) this.cache.set(analysis, (perAnalysis = new Map()));
    const all = engineDiagnostics(analysisItems(analysis)[index]);
    const key = `${index}|${all.map((d, i) => (wanted.has(d) ? i : '')).join(',')}`;
    let fixes = perAnalysis.get(key);
    if (!fixes) {
      // The edited text is analysed as this document would be (same folder, settings and resolver).
      const reanalyze = (text: string) => this.analyzer.analyzeText(document.uri, text, document.languageId);
      fixes = quickFixes(analysis, index, reanalyze, { only: (d) => wanted.has(d) }).catch((e) => {
        this.log.error(`quick fixes of ${document.uri.fsPath}: ${(e as Error)?.stack ?? e}`);
        return [];
      });
      perAnalysis.set(key, fixes);
    }
    return fixes;
  }
}

function codeOf(d: vscode.Diagnostic): string {
  return String(typeof d.code === 'object' && d.code !== null ? d.code.value : d.code);
}

/**
 * Asks for a model id and writes `# inference-budget: model=<id>` above the deployment (the quick fix for a
 * deployment whose model is a mount path, a template or unknown).
 */
export function registerNameModel(context: vscode.ExtensionContext, analyzer: Analyzer, log: Logger): void {
  context.subscriptions.push(registerCommand(COMMAND.nameModel, (uriArg?: unknown, versionArg?: unknown, indexArg?: unknown) =>
    guarded(log, 'name the model', false, async () => {
      const document = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uriArg);
      if (!document || document.version !== versionArg || typeof indexArg !== 'number') return false;
      const analysis = await analyzer.analyze(document);
      const spec = analysis && analysisItems(analysis)[indexArg]?.spec;
      if (!analysis || !spec) return false;
      const id = await vscode.window.showInputBox({
        title: 'Inference Budget: which model is this?',
        prompt: 'A Hugging Face id (org/name), a bundled model or a path to its config.json',
        placeHolder: 'meta-llama/Llama-3.1-8B-Instruct',
        validateInput: (v) => (v.trim() ? undefined : 'Type the model id'),
      });
      if (!id?.trim() || document.version !== versionArg) return false;
      const ins = directiveInsertion(analysis.text, spec, id.trim());
      const we = new vscode.WorkspaceEdit();
      we.insert(document.uri, document.positionAt(ins.at), ins.newText);
      return vscode.workspace.applyEdit(we);
    })));
}

/** Findings about a deployment that does not fit in memory, whose fixes are offered together. */
const FIT_CODES = new Set(['kv-does-not-fit', 'context-does-not-fit', 'fp8-kv-would-help']);
