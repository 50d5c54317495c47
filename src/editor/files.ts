// File access for model resolution. A file: URI is read with Node's fs: the extension host's workspace.fs
// answers each call through the window (measured ~4 ms a call in code-server), and resolving a manifest's
// models stats, lists and reads dozens of files. Every other scheme (virtual workspaces) uses workspace.fs.
import * as fs from 'fs';
import * as vscode from 'vscode';
import type { FileFacts } from '../analysis/modelResolver';
import { readRegularFile } from '../analysis/boundedRead';

export async function statFile(uri: vscode.Uri): Promise<FileFacts> {
  if (uri.scheme === 'file') {
    const st = await fs.promises.stat(uri.fsPath);
    return { isDirectory: st.isDirectory(), size: st.size, mtimeMs: st.mtimeMs };
  }
  const st = await vscode.workspace.fs.stat(uri);
  return { isDirectory: (st.type & vscode.FileType.Directory) !== 0, size: st.size, mtimeMs: st.mtime };
}

/** Model configs and their side files are a few MB at most; a larger file (or a device behind a link) is refused. */
const MAX_MODEL_FILE_BYTES = 16 * 1024 * 1024;

export async function readFileBytes(uri: vscode.Uri): Promise<Uint8Array> {
  return uri.scheme === 'file' ? readRegularFile(uri.fsPath, MAX_MODEL_FILE_BYTES) : vscode.workspace.fs.readFile(uri);
}

/** Names of the entries of a folder. */
export async function listFolder(uri: vscode.Uri): Promise<string[]> {
  return uri.scheme === 'file' ? fs.promises.readdir(uri.fsPath) : (await vscode.workspace.fs.readDirectory(uri)).map(([name]) => name);
}
