// Hovers with numbers: on config.json keys (the KV heads, the context length, dtype and quantization, the model
// itself) and on deployment values (--max-model-len, --tensor-parallel-size, GPU limit, ...). The provider finds
// what is under the cursor (by subject: the reader knows the key names) and wraps the text, which hoverText.ts builds
// from the engine's reports without vscode.
import * as vscode from 'vscode';
import type { SourceRange } from '../formats/types';
import { Analyzer, toRange } from './analysis';
import { COMMAND, HOVER_COMMAND_IDS, hoverCommandLink } from './commandTable';
import { configKeyHover, deploymentHover, deploymentSubjectAt, HoverContext } from './hoverText';
import { guarded, Logger } from './log';

/** The commands a hover may run (its links are built by hoverCommandLink). */
export const HOVER_COMMANDS: string[] = [...HOVER_COMMAND_IDS];

export class BudgetHoverProvider implements vscode.HoverProvider {
  constructor(private readonly analyzer: Analyzer, private readonly log: Logger) {}

  provideHover(document: vscode.TextDocument, position: vscode.Position, token: vscode.CancellationToken): Promise<vscode.Hover | undefined> {
    return guarded(this.log, 'hover', undefined, async () => {
      const analysis = await this.analyzer.analyze(document);
      if (!analysis || token.isCancellationRequested || analysis.version !== document.version) return undefined;
      const offset = document.offsetAt(position);
      const uri = analysis.uri;
      const ctx: HoverContext = {
        links: {
          openRoofline: (index) => hoverCommandLink(COMMAND.openRoofline, '$(graph-line) Open Roofline Panel', [uri, index], 'Open the roofline panel'),
          compareGpus: (index) => hoverCommandLink(COMMAND.compareGpus, 'Compare GPUs', [uri, index]),
        },
        warn: (message) => this.log.warn(message),
      };
      let found: { range: SourceRange; markdown: string | undefined } | undefined;
      if (analysis.kind === 'model-config') {
        const key = analysis.subjectAt(offset);
        if (key) found = { range: key.range, markdown: configKeyHover(analysis, key, ctx) };
      } else {
        const at = deploymentSubjectAt(analysis, offset);
        if (at) found = { range: at.range, markdown: deploymentHover(analysis, at.item, at.subject, ctx) };
      }
      if (!found?.markdown) return undefined;
      const markdown = new vscode.MarkdownString(found.markdown);
      markdown.isTrusted = { enabledCommands: HOVER_COMMANDS };
      markdown.supportThemeIcons = true;
      return new vscode.Hover(markdown, toRange(document, found.range));
    });
  }
}
