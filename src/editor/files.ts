// File access for model resolution. A file: URI is read with Node's fs: the extension host's workspace.fs
// answers each call through the window (measured ~4 ms a call in code-server), and resolving a manifest's
// models stats, lists and reads dozens of files. Every other scheme (virtual workspaces) uses workspace.fs.
import * as fs from 'fs';
import * as vscode from 'vscode';
import type { FileFacts } from '../analysis/modelResolver';

export async function statFile(uri: vscode.Uri): Promise<FileFacts> {
  if (uri.scheme === 'file') {
    const st = await fs.promises.stat(uri.fsPath);
    return { isDirectory: st.isDirectory(), size: st.size, mtimeMs: st.mtimeMs };
  }
  const st = await vscode.workspace.fs.stat(uri);
  return { isDirectory: (st.type & vscode.FileType.Directory) !== 0, size: st.size, mtimeMs: st.mtime };
}

export async function readFileBytes(uri: vscode.Uri): Promise<Uint8Array> {
  return uri.scheme === 'file' ? fs.promises.readFile(uri.fsPath) : vscode.workspace.fs.readFile(uri);
}

/** Names of the entries of a folder. */
export async function listFolder(uri: vscode.Uri): Promise<string[]> {
  return uri.scheme === 'file' ? fs.promises.readdir(uri.fsPath) : (await vscode.workspace.fs.readDirectory(uri)).map(([name]) => name);
}
