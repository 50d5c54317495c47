// Saving a chart the webview exported (SVG text, PNG data: URL, CSV text) where the user says, with a save dialog.
// The webview drew the chart; the host only checks what it got and writes the bytes.
import * as os from 'os';
import * as vscode from 'vscode';
import type { ExportMessage } from '../../panel/messages';
import type { Logger } from '../log';

/** Asks where to save (VS Code's save dialog in the extension; a fixed answer in the tests). */
export type AskSaveUri = (options: vscode.SaveDialogOptions) => Thenable<vscode.Uri | undefined>;

const PNG_PREFIX = 'data:image/png;base64,';
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** A file name for an export of `chart` from a panel titled `title`: `Llama-3.1-8B-on-1-H100-roofline.svg`. */
export function exportFileName(title: string | undefined, msg: Pick<ExportMessage, 'chart' | 'format'>): string {
  const name = (title ?? 'roofline').replace(/[^\w.-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 80) || 'roofline';
  return `${name}-${msg.chart}.${msg.format}`;
}

/** The bytes to write for an export, or undefined when a PNG is not a PNG image. */
export function exportBytes(msg: Pick<ExportMessage, 'format' | 'data'>): Uint8Array | undefined {
  if (msg.format !== 'png') return Buffer.from(msg.data, 'utf8');
  const bytes = Buffer.from(msg.data.slice(PNG_PREFIX.length), 'base64');
  if (bytes.length < 8 || PNG_SIGNATURE.some((b, i) => bytes[i] !== b)) return undefined;
  return bytes;
}

/** The folder a save dialog opens in: the bound document's, else the first workspace folder, else home. */
export function defaultExportFolder(documentUri: string | undefined): vscode.Uri {
  if (documentUri) {
    const uri = vscode.Uri.parse(documentUri);
    if (uri.scheme === 'file' || uri.scheme === 'vscode-remote' || uri.scheme === 'vscode-vfs') return vscode.Uri.joinPath(uri, '..');
  }
  return vscode.workspace.workspaceFolders?.[0]?.uri ?? vscode.Uri.file(os.homedir());
}

/**
 * Asks where to save an export and writes it; returns where it was written (undefined when the user cancelled or
 * the PNG was refused).
 */
export async function saveChartExport(msg: ExportMessage, title: string | undefined, documentUri: string | undefined, ask: AskSaveUri, log: Logger): Promise<vscode.Uri | undefined> {
  const filters: Record<string, string[]> = msg.format === 'svg' ? { 'SVG image': ['svg'] } : msg.format === 'png' ? { 'PNG image': ['png'] } : { 'CSV table': ['csv'] };
  const target = await ask({
    defaultUri: vscode.Uri.joinPath(defaultExportFolder(documentUri), exportFileName(title, msg)),
    filters,
    title: `Export the ${msg.chart} chart as ${msg.format.toUpperCase()}`,
  });
  if (!target) return undefined;
  const bytes = exportBytes(msg);
  if (!bytes) {
    log.warn('roofline panel: the exported PNG is not a PNG image; nothing saved');
    void vscode.window.showErrorMessage('Inference Budget: the chart could not be exported as PNG.');
    return undefined;
  }
  await vscode.workspace.fs.writeFile(target, bytes);
  vscode.window.setStatusBarMessage(`Inference Budget: saved ${vscode.workspace.asRelativePath(target)}`, 4000);
  return target;
}
