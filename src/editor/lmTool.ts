// The language model tool `inference-budget_size`: chat agents in VS Code ask "does this deployment fit, how fast
// is it" and get the engine's report (as text, then as check's JSON) for the active file, a workspace path, or a
// model + GPU + settings. Everything is computed by the Analyzer the hover uses; toolReport.ts presents it.
import * as path from 'path';
import * as vscode from 'vscode';
import type { Analyzer } from './analysis';
import type { Logger } from './log';
import { budgetTextForRequest, SizeToolInput, TOOL_REQUEST_FILE_NAME, ToolAnswer, toolAnswer } from './toolReport';

export const SIZE_TOOL_NAME = 'inference-budget_size';

/** Fails the tool call with a sentence the chat model can act on (VS Code shows it as the tool's error). */
class ToolInputError extends Error {}

export class SizeDeploymentTool implements vscode.LanguageModelTool<SizeToolInput> {
  constructor(private readonly analyzer: Analyzer, private readonly log: Logger) {}

  prepareInvocation(options: vscode.LanguageModelToolInvocationPrepareOptions<SizeToolInput>): vscode.PreparedToolInvocation {
    const i = options.input ?? {};
    const what = i.path ?? (i.model ? `${i.model}${i.gpu ? ` on ${i.gpu}` : ''}` : vscode.window.activeTextEditor ? vscode.workspace.asRelativePath(vscode.window.activeTextEditor.document.uri) : 'the active file');
    return { invocationMessage: `Sizing ${what} with Inference Budget` };
  }

  async invoke(options: vscode.LanguageModelToolInvocationOptions<SizeToolInput>, token: vscode.CancellationToken): Promise<vscode.LanguageModelToolResult> {
    const answer = await this.answer(options.input ?? {});
    if (token.isCancellationRequested) throw new vscode.CancellationError();
    return new vscode.LanguageModelToolResult([
      new vscode.LanguageModelTextPart(answer.text),
      new vscode.LanguageModelTextPart(`Structured data (the same JSON as \`inference-budget check --format json\` prints for this file):\n${JSON.stringify(answer.data)}`),
    ]);
  }

  /** The answer for an input: a path, else a model request, else the active editor's document. */
  async answer(input: SizeToolInput): Promise<ToolAnswer> {
    if (typeof input !== 'object' || input === null) throw new ToolInputError('the input must be an object');
    if (input.path !== undefined) {
      const document = await this.openPath(input.path);
      return this.analyzeDocument(document);
    }
    if (input.model !== undefined) {
      const request = budgetTextForRequest(input);
      if (!request.ok) throw new ToolInputError(request.message);
      // Resolved as a budget file at the workspace root would be: workspace configs first, then cache, catalog.
      const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
      const uri = folder ? vscode.Uri.joinPath(folder, TOOL_REQUEST_FILE_NAME) : vscode.Uri.from({ scheme: 'untitled', path: TOOL_REQUEST_FILE_NAME });
      const analysis = await this.analyzer.analyzeText(uri, request.text);
      return toolAnswer(`${input.model}${input.gpu ? ` on ${input.gpu}` : ''}`, analysis);
    }
    const active = vscode.window.activeTextEditor?.document;
    if (!active) throw new ToolInputError('no file is open: pass a path, or a model (and a gpu)');
    return this.analyzeDocument(active);
  }

  private async analyzeDocument(document: vscode.TextDocument): Promise<ToolAnswer> {
    const analysis = await this.analyzer.analyze(document);
    const display = document.uri.scheme === 'file' ? vscode.workspace.asRelativePath(document.uri) : document.uri.toString();
    if (!analysis) {
      this.log.warn(`language model tool: ${display} could not be analysed`);
      throw new ToolInputError(`${display} could not be analysed (see the Inference Budget output channel)`);
    }
    return toolAnswer(display, analysis);
  }

  /** An absolute path, or one relative to a workspace folder; only files that exist. */
  private async openPath(p: string): Promise<vscode.TextDocument> {
    if (typeof p !== 'string' || !p.trim()) throw new ToolInputError('path must be a non-empty string');
    const candidates = path.isAbsolute(p) ? [vscode.Uri.file(p)] : (vscode.workspace.workspaceFolders ?? []).map((f) => vscode.Uri.joinPath(f.uri, p));
    for (const uri of candidates) {
      try {
        const stat = await vscode.workspace.fs.stat(uri);
        if (stat.type & vscode.FileType.File) return await vscode.workspace.openTextDocument(uri);
      } catch { /* not in this folder */ }
    }
    throw new ToolInputError(`no such file: ${p}${path.isAbsolute(p) ? '' : ' (in the workspace folders)'}`);
  }
}

/** Registers the tool where the editor has language model tools (VS Code 1.95+). */
export function registerSizeTool(context: vscode.ExtensionContext, analyzer: Analyzer, log: Logger): void {
  if (typeof vscode.lm?.registerTool !== 'function') {
    log.info('language model tools are not available in this editor: the inference-budget_size tool is not registered');
    return;
  }
  context.subscriptions.push(vscode.lm.registerTool(SIZE_TOOL_NAME, new SizeDeploymentTool(analyzer, log)));
}
