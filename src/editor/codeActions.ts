// Quick fixes from the engine's suggested values: set max model len to the largest that fits, switch the
// KV cache to fp8, raise tensor parallelism, lower max_num_seqs, ... The text edit comes from the readers'
// `editForInput`, which keeps the document's style (flags, quotes, lists, env vars). A deployment whose model
// is not known here is offered a `# inference-budget: model=` comment, asking for the id.
import * as vscode from 'vscode';
import type { BudgetDiagnostic, BudgetInputs } from '../core/types';
import { directiveInsertion } from '../analysis/directives';
import { editForInput } from '../formats';
import type { InputKey } from '../formats/types';
import { Analyzer, engineDiagnostics, rangeForDiagnostic, subjectOf, toRange } from './analysis';
import { DIAGNOSTIC_SOURCE } from './diagnostics';
import { guarded, Logger } from './log';
import { int } from './present';

export class BudgetCodeActionProvider implements vscode.CodeActionProvider {
  static readonly metadata: vscode.CodeActionProviderMetadata = { providedCodeActionKinds: [vscode.CodeActionKind.QuickFix] };

  constructor(private readonly analyzer: Analyzer, private readonly log: Logger) {}

  provideCodeActions(document: vscode.TextDocument, range: vscode.Range | vscode.Selection, context: vscode.CodeActionContext, token: vscode.CancellationToken): Promise<vscode.CodeAction[]> {
    return guarded(this.log, 'code actions', [], async () => {
      const analysis = await this.analyzer.analyze(document);
      if (!analysis || token.isCancellationRequested || analysis.version !== document.version) return [];
      const actions: vscode.CodeAction[] = [];
      for (const [index, item] of analysis.items.entries()) {
        const spec = item.spec;
        if (!spec) continue; // a bare config.json describes a model: nothing there to tune
        // Not sized because its model is unknown here: offer to say which it is, in a comment.
        const why = item.notSized;
        if (why && why.code.startsWith('model-') && toRange(document, why.range).intersection(range)) {
          const action = new vscode.CodeAction('Say which model this is (# inference-budget: model=…)', vscode.CodeActionKind.QuickFix);
          action.command = { command: NAME_MODEL_COMMAND, title: action.title, arguments: [document.uri.toString(), document.version, index] };
          action.diagnostics = context.diagnostics.filter((x) => x.source === DIAGNOSTIC_SOURCE && x.code === why.code);
          actions.push(action);
        }
        const findings = engineDiagnostics(item).map((d) => ({ d, range: toRange(document, rangeForDiagnostic(analysis, item, d)) }));
        const touched = (r: vscode.Range) => !!r.intersection(range);
        // A deployment that does not fit offers every way out (shorter context, fp8 KV cache) wherever its
        // error is; other fixes show on their own finding.
        const fitTouched = findings.some((f) => FIT_CODES.has(f.d.code) && touched(f.range));
        const seen = new Set<string>();
        for (const { d, range: target } of findings) {
          const key = subjectOf(d);
          if (d.suggestedValue === undefined || !key || key === 'model') continue;
          if (!touched(target) && !(fitTouched && FIT_CODES.has(d.code))) continue;
          const id = `${key}=${d.suggestedValue}`;
          if (seen.has(id)) continue;
          const edit = editForInput(analysis.text, spec, key as InputKey, d.suggestedValue);
          if (!edit) continue;
          seen.add(id);
          const action = new vscode.CodeAction(fixTitle(key, d.suggestedValue), vscode.CodeActionKind.QuickFix);
          const we = new vscode.WorkspaceEdit();
          we.replace(document.uri, toRange(document, edit.range), edit.newText);
          action.edit = we;
          action.diagnostics = context.diagnostics.filter((x) => x.source === DIAGNOSTIC_SOURCE && x.code === d.code);
          action.isPreferred = isPreferred(d);
          actions.push(action);
        }
      }
      return actions;
    });
  }
}

export const NAME_MODEL_COMMAND = 'inferenceBudget.nameModel';

/**
 * Asks for a model id and writes `# inference-budget: model=<id>` above the deployment (the quick fix for a
 * deployment whose model is a mount path, a template or unknown).
 */
export function registerNameModel(context: vscode.ExtensionContext, analyzer: Analyzer, log: Logger): void {
  context.subscriptions.push(vscode.commands.registerCommand(NAME_MODEL_COMMAND, (uriArg?: unknown, versionArg?: unknown, indexArg?: unknown) =>
    guarded(log, 'name the model', false, async () => {
      const document = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uriArg);
      if (!document || document.version !== versionArg || typeof indexArg !== 'number') return false;
      const analysis = await analyzer.analyze(document);
      const spec = analysis?.items[indexArg]?.spec;
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

/** The title a person reads in the light bulb menu. */
export function fixTitle(key: keyof BudgetInputs, value: number | string): string {
  const v = typeof value === 'number' ? int(value) : value;
  switch (key) {
    case 'maxModelLen': return `Set max model len to ${v} (the largest that fits)`;
    case 'kvCacheDtype': return `Switch the KV cache to ${v}`;
    case 'tensorParallel': return `Raise tensor parallelism to ${v}`;
    case 'pipelineParallel': return `Set pipeline parallelism to ${v}`;
    case 'maxNumSeqs': return `Lower max_num_seqs to ${v}`;
    case 'gpuMemoryUtilization': return `Set gpu_memory_utilization to ${v}`;
    case 'gpu': return `Use GPU ${v}`;
    case 'gpuCount': return `Use ${v} GPUs`;
    default: return `Set ${key} to ${v}`;
  }
}

function isPreferred(d: BudgetDiagnostic): boolean {
  return ['kv-does-not-fit', 'context-does-not-fit', 'max-model-len-above-max-position', 'weights-do-not-fit', 'unknown-gpu'].includes(d.code);
}
