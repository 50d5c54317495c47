// "Inference Budget: Size GGUF File…": a GGUF file is binary, so it gets no hover; this command reads its header
// (bounded reads, every part of a split model), sizes it with llama.cpp's rules (or the engine setting) on the
// default GPU, and shows the report beside the editor with a way to the roofline panel.
import * as vscode from 'vscode';
import { computeBudget } from '../core/budget';
import type { BudgetReport } from '../core/types';
import { engineOptions } from '../analysis/analyze';
import { configInputs } from '../analysis/settings';
import { loadGgufModelFiles } from '../cli/modelFiles';
import { formatReport } from '../cli/format';
import type { Analyzer } from './analysis';
import { guarded, Logger } from './log';
import * as P from './present';

export async function sizeGgufFile(analyzer: Analyzer, log: Logger, uriArg?: unknown): Promise<BudgetReport | undefined> {
  return guarded(log, 'size GGUF file', undefined, async () => {
    const uri = uriArg instanceof vscode.Uri ? uriArg
      : (await vscode.window.showOpenDialog({ canSelectMany: false, filters: { 'GGUF models': ['gguf'] }, openLabel: 'Size' }))?.[0];
    if (!uri) return undefined;
    if (uri.scheme !== 'file') {
      void vscode.window.showWarningMessage('Inference Budget: only GGUF files on this machine can be read.');
      return undefined;
    }
    const loaded = await loadGgufModelFiles(uri.fsPath);
    if (!loaded.ok) {
      void vscode.window.showErrorMessage(`Inference Budget: ${loaded.message}`);
      return undefined;
    }
    const settings = analyzer.currentSettings;
    const inputs = { ...configInputs(settings), engine: settings.engine ?? 'llamacpp' };
    const result = computeBudget(loaded.files, inputs, engineOptions(settings));
    if (!result.ok) {
      void vscode.window.showErrorMessage(`Inference Budget: ${result.unsupported}`);
      return undefined;
    }
    const r = result.report;
    const doc = await vscode.workspace.openTextDocument({ language: 'plaintext', content: `${uri.fsPath}${loaded.parts > 1 ? ` (${loaded.parts} parts)` : ''}\n\n${formatReport(r)}\n` });
    await vscode.window.showTextDocument(doc, { preview: true, viewColumn: vscode.ViewColumn.Beside });
    void vscode.window.showInformationMessage(`Inference Budget: ${r.model.name} (${r.model.weightDtype}) on ${P.hardware(r)}, ${P.engine(r)}: ${P.verdict(r)}; ~${P.tokensPerSecond(r.decode.expected.tokensPerSecondPerRequest)} expected.`);
    return r;
  });
}
