// The status bar item showing the GPU of the deployment under the cursor (else the default GPU), and
// `inferenceBudget.selectGpu`: a searchable quick pick of the hardware catalog (plus custom GPUs) whose choice
// updates `inferenceBudget.defaultGpu`.
import * as vscode from 'vscode';
import { findAccelerator, listAccelerators } from '../core/hardware';
import type { Accelerator } from '../core/types';
import { analysisItems, AnalyzedItem, Analyzer, itemIndexAt, unreachable } from './analysis';
import { guarded, Logger } from './log';
import * as P from './present';
import { bytes, int } from './present';
import { SECTION } from './settings';
import { command, COMMAND } from './commandTable';

export class GpuStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('inferenceBudget.gpu', vscode.StatusBarAlignment.Right, 100);
  private readonly disposables: vscode.Disposable[] = [this.item];

  constructor(private readonly analyzer: Analyzer, private readonly log: Logger, private readonly isRelevant: (d: vscode.TextDocument) => boolean) {
    this.item.name = 'Inference Budget GPU';
    this.item.command = command(COMMAND.selectGpu, 'Select Default GPU', []);
    this.disposables.push(
      analyzer.onDidChange(() => this.update()),
      vscode.window.onDidChangeActiveTextEditor(() => this.update()),
      // The cursor moved to another deployment: its GPU (analyses are cached per document version).
      vscode.window.onDidChangeTextEditorSelection((e) => { if (e.textEditor === vscode.window.activeTextEditor) this.update(); }),
    );
    this.update();
  }

  update(): void {
    const s = this.analyzer.currentSettings;
    let label = s.defaultGpu;
    let tooltip = `Inference Budget: default GPU "${s.defaultGpu}" (click to choose)`;
    try {
      const found = findAccelerator(s.defaultGpu, s.customGpus);
      if (found.ok) {
        label = shortName(found.accelerator);
        tooltip = `Inference Budget: default GPU ${found.accelerator.name}, ${found.accelerator.visibleMemoryGiB} GiB visible, `
          + `${int(found.accelerator.memoryBandwidthBytesPerSecond / 1e9)} GB/s (click to choose)`;
      } else {
        label = `$(warning) ${s.defaultGpu}`;
        tooltip = `Inference Budget: unknown GPU "${s.defaultGpu}". ${found.message}`;
      }
    } catch (e) {
      this.log.error(`status bar: ${(e as Error).message}`);
    }
    const text = `$(chip) ${label}${s.gpuCount && s.gpuCount > 1 ? ` ×${s.gpuCount}` : ''}`;
    this.item.text = text;
    this.item.tooltip = tooltip;
    const editor = vscode.window.activeTextEditor;
    if (!editor || this.isRelevant(editor.document)) this.item.show(); else this.item.hide();
    // The active file's deployments, by the engine's one verdict (the words CodeLens and hover use).
    const generation = ++this.generation;
    if (!editor || !this.isRelevant(editor.document)) return;
    void this.analyzer.analyze(editor.document).then((analysis) => {
      if (generation !== this.generation || !analysis) return;
      const items = analysisItems(analysis);
      const lines = fileVerdicts(items);
      if (lines.length === 0) return;
      const blocked = items.some((i) => i.spec && i.status === 'sized' && !i.report.verdict.fits);
      const here = items[itemIndexAt(items, editor.document.offsetAt(editor.selection.active))];
      const shown = here?.spec && here.status === 'sized' ? deploymentGpu(here) : undefined;
      this.item.text = `${shown ? `$(chip) ${shown}` : text}${blocked ? ' $(error)' : ''}`;
      this.item.tooltip = `${shown ? `Inference Budget: ${here!.label} runs on ${shown}\n` : ''}${tooltip}\n\nThis file:\n${lines.join('\n')}`;
    }, (e) => this.log.error(`status bar: ${(e as Error)?.message ?? e}`));
  }

  private generation = 0;

  dispose(): void { this.disposables.forEach((d) => d.dispose()); }
}

/** One line per analysed item: "label: fits" / "label: KV heads not divisible by TP 3 (+1 more)" / "label: not sized (…)". */
export function fileVerdicts(items: readonly AnalyzedItem[]): string[] {
  return items.slice(0, 20).map((item) => `${item.label}: ${itemVerdict(item)}`);
}

function itemVerdict(item: AnalyzedItem): string {
  switch (item.status) {
    case 'sized': return P.verdict(item.report);
    case 'unsupported': return `not sized (${item.reason})`;
    case 'not-found':
    case 'not-sized': return `not sized (${item.notSized.summary})`;
    default: return unreachable(item);
  }
}

/** `H100 SXM 80GB ×4`: the GPUs a sized deployment runs on, as the engine resolved them. */
export function deploymentGpu(item: AnalyzedItem): string | undefined {
  if (item.status !== 'sized') return undefined;
  const count = item.report.hardware.count;
  return `${shortName({ name: item.report.hardware.name })}${count > 1 ? ` ×${count}` : ''}`;
}

function shortName(a: Pick<Accelerator, 'name'>): string {
  return a.name.replace(/^(NVIDIA|AMD|Intel|Google|Apple)\s+/i, '');
}

interface GpuPick extends vscode.QuickPickItem { accelerator: Accelerator }

/**
 * `inferenceBudget.selectGpu [gpu]`: with an argument (id, name or alias), sets it directly; otherwise a
 * quick pick. The setting is written where it is already set (workspace or user), else in the user settings.
 */
export async function selectGpu(analyzer: Analyzer, log: Logger, query?: unknown): Promise<string | undefined> {
  return guarded(log, 'select GPU', undefined, async () => {
    const s = analyzer.currentSettings;
    let chosen: Accelerator | undefined;
    if (typeof query === 'string' && query.trim()) {
      const found = findAccelerator(query, s.customGpus);
      if (!found.ok) {
        void vscode.window.showWarningMessage(`Inference Budget: unknown GPU "${query}". ${found.message}`);
        return undefined;
      }
      chosen = found.accelerator;
    } else {
      const current = findAccelerator(s.defaultGpu, s.customGpus);
      const items: GpuPick[] = listAccelerators(s.customGpus).map((a) => ({
        accelerator: a,
        label: a.name,
        description: `${bytes(a.visibleMemoryGiB * 2 ** 30)} · ${int(a.memoryBandwidthBytesPerSecond / 1e9)} GB/s`,
        detail: a.aliases.slice(0, 6).join(', '),
        picked: current.ok && current.accelerator.id === a.id,
      }));
      const pick = await vscode.window.showQuickPick(items, {
        title: 'Inference Budget: default GPU',
        placeHolder: 'Type to search by name or alias (H100, MI300X, g5.xlarge, ...)',
        matchOnDescription: true,
        matchOnDetail: true,
      });
      chosen = pick?.accelerator;
    }
    if (!chosen) return undefined;
    const config = vscode.workspace.getConfiguration(SECTION);
    const inspect = config.inspect<string>('defaultGpu');
    const target = inspect?.workspaceFolderValue !== undefined ? vscode.ConfigurationTarget.WorkspaceFolder
      : inspect?.workspaceValue !== undefined ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
    await config.update('defaultGpu', chosen.id, target);
    log.info(`default GPU set to ${chosen.name} (${chosen.id})`);
    return chosen.id;
  });
}
