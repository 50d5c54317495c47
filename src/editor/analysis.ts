// The editor's side of the analysis: one analysis per document version, kept for the hover, diagnostics, quick
// fixes and CodeLens providers. Reading, model resolution and sizing are src/analysis/analyze.ts, the code path
// `inference-budget check` runs too; this file only feeds it a VS Code document, the settings and the resolver.
import * as vscode from 'vscode';
import { AnalysisHost, analyzeDocument, DocumentAnalysis } from '../analysis/analyze';
import type { SourceRange } from '../formats/types';
import { readFileBytes } from './files';
import type { Logger } from './log';
import type { ModelResolver } from './modelResolver';
import { readSettings, Settings } from './settings';

export type { AnalyzedItem, DeploymentItem, DocumentAnalysis, ExtraAcceleratorsOption, SizedItem } from '../analysis/analyze';
export { analysisItems, contains, engineDiagnostics, engineOptions, itemIndexAt, rangeForDiagnostic, subjectOf, unreachable } from '../analysis/analyze';
export type { ConfigKeyAt, ConfigSubject } from '../formats/hfConfig';

export class Analyzer {
  private readonly cache = new Map<string, { key: string; result: Promise<DocumentAnalysis | undefined> }>();
  private settings: Settings;
  private settingsGeneration = 0;
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires when results may differ for the same text (settings or referenced models changed). */
  readonly onDidChange = this.changed.event;

  constructor(private readonly resolver: ModelResolver, private readonly log: Logger) {
    this.settings = readSettings();
  }

  get currentSettings(): Settings { return this.settings; }

  /** Settings changed: read them again and drop every result. */
  reloadSettings(): void {
    this.settings = readSettings();
    this.settingsGeneration++;
    this.cache.clear();
    this.resolver.invalidate();
    this.changed.fire();
  }

  /** A model config in the workspace changed: resolutions and results may differ. */
  invalidateModels(): void {
    this.resolver.invalidate();
    this.cache.clear();
    this.changed.fire();
  }

  forget(uri: vscode.Uri): void { this.cache.delete(uri.toString()); }

  /**
   * What invalidates results, followed here so that every provider sees the same analysis: a closed document's
   * result is dropped; a model config.json created, changed, deleted or edited in the workspace (debounced 300 ms)
   * and a Hub download that outlived its analysis's deadline make deployments be measured again.
   */
  watchWorkspace(): vscode.Disposable {
    let timer: NodeJS.Timeout | undefined;
    const modelsChanged = () => { clearTimeout(timer); timer = setTimeout(() => this.invalidateModels(), 300); };
    const watcher = vscode.workspace.createFileSystemWatcher('**/config.json');
    const disposables: vscode.Disposable[] = [
      watcher,
      watcher.onDidCreate(modelsChanged),
      watcher.onDidChange(modelsChanged),
      watcher.onDidDelete(modelsChanged),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.contentChanges.length && /(^|\/)config\.json$/.test(e.document.uri.path)) modelsChanged();
      }),
      vscode.workspace.onDidCloseTextDocument((d) => this.forget(d.uri)),
      this.resolver.onLateDownload(() => this.invalidateModels()),
      { dispose: () => clearTimeout(timer) },
    ];
    return vscode.Disposable.from(...disposables);
  }

  /** The analysis of a document's current version (shared by all providers). */
  analyze(document: vscode.TextDocument): Promise<DocumentAnalysis | undefined> {
    const uri = document.uri.toString();
    const key = `${document.version}|${this.settingsGeneration}`;
    const hit = this.cache.get(uri);
    if (hit && hit.key === key) return hit.result;
    const result = this.run(document).catch((e) => {
      this.log.error(`analysing ${document.uri.fsPath}: ${(e as Error)?.stack ?? e}`);
      return undefined;
    });
    this.cache.set(uri, { key, result });
    return result;
  }

  /**
   * Text that is not an open document (the language model tool's model + GPU request), analysed as if it were a
   * document at `uri`: models are looked up from there, as for a file in that folder. Not cached.
   */
  analyzeText(uri: vscode.Uri, text: string, languageId = 'yaml'): Promise<DocumentAnalysis> {
    return this.run({ uri, languageId, version: 0, getText: () => text });
  }

  private run(document: Pick<vscode.TextDocument, 'uri' | 'languageId' | 'version' | 'getText'>): Promise<DocumentAnalysis> {
    const settings = this.settings;
    const resolver = this.resolver;
    const host: AnalysisHost = {
      resolveAll: (references) => resolver.resolveAll(references, document.uri, settings),
      // An untitled config.json has nothing beside it.
      filesBeside: async (config) => (document.uri.scheme === 'untitled' ? { config } : resolver.filesBeside(document.uri, config)),
      readBeside: async (name) => (document.uri.scheme === 'untitled' ? undefined
        : readFileBytes(vscode.Uri.joinPath(document.uri, '..', name)).then((b) => new TextDecoder().decode(b), () => undefined)),
    };
    return analyzeDocument({
      uri: document.uri.toString(), fileName: document.uri.path, languageId: document.languageId, version: document.version, text: document.getText(),
    }, settings, host, this.log);
  }
}

/** Offsets → a VS Code range in this document. */
export function toRange(document: vscode.TextDocument, r: SourceRange): vscode.Range {
  return new vscode.Range(document.positionAt(r.start), document.positionAt(r.end));
}
