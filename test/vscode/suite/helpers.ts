// Helpers for the extension-host suites: open documents, wait for diagnostics, read hovers and lenses,
// apply quick fixes. Expected numbers are computed in the tests from the configs' shapes, never read back
// from the extension.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';

export const EXTENSION_ID = 'inference-budget.inference-budget';
export const SOURCE = 'Inference Budget';

export function workspaceRoot(): string {
  const f = vscode.workspace.workspaceFolders?.[0];
  assert.ok(f, 'a workspace folder is open');
  return f.uri.fsPath;
}

export function wsUri(rel: string): vscode.Uri {
  return vscode.Uri.file(path.join(workspaceRoot(), rel));
}

export async function activate(): Promise<vscode.Extension<unknown>> {
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(ext, `extension ${EXTENSION_ID} is installed`);
  await ext.activate();
  return ext;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Writes a file into the test workspace (a fresh copy per run) and opens it. */
export async function writeAndOpen(rel: string, text: string): Promise<vscode.TextDocument> {
  const file = path.join(workspaceRoot(), rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  return open(rel);
}

export async function open(rel: string): Promise<vscode.TextDocument> {
  const doc = await vscode.workspace.openTextDocument(wsUri(rel));
  await vscode.window.showTextDocument(doc, { preview: false });
  return doc;
}

export async function closeAll(): Promise<void> {
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
}

/** Position of the n-th (0-based) occurrence of `needle`, plus `delta` characters. */
export function positionOf(doc: vscode.TextDocument, needle: string, delta = 0, nth = 0): vscode.Position {
  const text = doc.getText();
  let i = -1;
  for (let k = 0; k <= nth; k++) {
    i = text.indexOf(needle, i + 1);
    assert.ok(i >= 0, `"${needle}" (occurrence ${nth}) in ${doc.uri.fsPath}`);
  }
  return doc.positionAt(i + delta);
}

export function rangeOf(doc: vscode.TextDocument, needle: string, nth = 0): vscode.Range {
  const start = positionOf(doc, needle, 0, nth);
  return new vscode.Range(start, doc.positionAt(doc.offsetAt(start) + needle.length));
}

function hoverToText(h: vscode.Hover): string {
  return h.contents.map((c) => (typeof c === 'string' ? c : (c as vscode.MarkdownString).value)).join('\n');
}

/** Text of our hover at a position (only hovers with our content, retried until it shows `expect`). */
export async function hoverText(doc: vscode.TextDocument, pos: vscode.Position, expect?: RegExp, timeoutMs = 15_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  do {
    const hovers = (await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, pos)) ?? [];
    last = hovers.map(hoverToText).join('\n---\n');
    if (!expect || expect.test(last)) return last;
    await sleep(200);
  } while (Date.now() < deadline);
  assert.fail(`hover at ${pos.line + 1}:${pos.character + 1} never matched ${expect}; last: ${last}`);
}

export function ourDiagnostics(uri: vscode.Uri): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === SOURCE);
}

/** Waits until our diagnostics of a document satisfy `ok` (they are debounced and computed asynchronously). */
export async function waitForDiagnostics(uri: vscode.Uri, ok: (d: vscode.Diagnostic[]) => boolean, timeoutMs = 15_000): Promise<vscode.Diagnostic[]> {
  const deadline = Date.now() + timeoutMs;
  let last: vscode.Diagnostic[] = [];
  while (Date.now() < deadline) {
    last = ourDiagnostics(uri);
    if (ok(last)) return last;
    await sleep(100);
  }
  assert.fail(`diagnostics of ${path.basename(uri.fsPath)} never matched; last: ${JSON.stringify(last.map(describeDiagnostic), null, 1)}`);
}

export function describeDiagnostic(d: vscode.Diagnostic): string {
  return `${vscode.DiagnosticSeverity[d.severity]} ${String(typeof d.code === 'object' ? d.code.value : d.code)} ${d.range.start.line + 1}:${d.range.start.character + 1}-${d.range.end.line + 1}:${d.range.end.character + 1} ${d.message}`;
}

export function codeOf(d: vscode.Diagnostic): string {
  return String(typeof d.code === 'object' ? d.code.value : d.code);
}

/** Waits for a diagnostic with this code and returns it. */
export async function waitForCode(uri: vscode.Uri, code: string, timeoutMs = 15_000): Promise<vscode.Diagnostic> {
  const ds = await waitForDiagnostics(uri, (d) => d.some((x) => codeOf(x) === code), timeoutMs);
  return ds.find((x) => codeOf(x) === code)!;
}

export async function codeLenses(doc: vscode.TextDocument, expect?: RegExp, timeoutMs = 15_000): Promise<vscode.CodeLens[]> {
  const deadline = Date.now() + timeoutMs;
  let lenses: vscode.CodeLens[] = [];
  do {
    lenses = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', doc.uri, 100)) ?? [];
    lenses = lenses.filter((l) => l.command?.command?.startsWith('inferenceBudget.'));
    if (!expect || lenses.some((l) => expect.test(l.command?.title ?? ''))) return lenses;
    await sleep(200);
  } while (Date.now() < deadline);
  assert.fail(`no CodeLens matched ${expect}; got ${JSON.stringify(lenses.map((l) => l.command?.title))}`);
}

export async function codeActions(doc: vscode.TextDocument, range: vscode.Range): Promise<vscode.CodeAction[]> {
  const actions = (await vscode.commands.executeCommand<(vscode.CodeAction | vscode.Command)[]>('vscode.executeCodeActionProvider', doc.uri, range)) ?? [];
  return actions.filter((a): a is vscode.CodeAction => 'edit' in a || 'kind' in a);
}

/** Finds the quick fix whose title matches, applies its edit, and returns the document text after it. */
export async function applyFix(doc: vscode.TextDocument, range: vscode.Range, title: RegExp): Promise<string> {
  const actions = await codeActions(doc, range);
  const action = actions.find((a) => title.test(a.title));
  assert.ok(action, `a quick fix matching ${title}; got ${JSON.stringify(actions.map((a) => a.title))}`);
  assert.ok(action.edit, 'the quick fix carries an edit');
  assert.ok(await vscode.workspace.applyEdit(action.edit), 'the edit applies');
  return doc.getText();
}

export async function setSetting(key: string, value: unknown): Promise<void> {
  await vscode.workspace.getConfiguration('inferenceBudget').update(key, value, vscode.ConfigurationTarget.Workspace);
  await sleep(50);
}

/** Removes test values of settings, from the workspace and the user settings (selectGpu may write there). */
export async function resetSettings(keys: string[]): Promise<void> {
  const c = vscode.workspace.getConfiguration('inferenceBudget');
  for (const k of keys) {
    const i = c.inspect(k);
    if (i?.workspaceValue !== undefined) await c.update(k, undefined, vscode.ConfigurationTarget.Workspace);
    if (i?.globalValue !== undefined) await c.update(k, undefined, vscode.ConfigurationTarget.Global);
  }
  await sleep(50);
}

/** Thousands separators as the extension's English text writes them: 131072 → "131,072". */
export function n(x: number | bigint): string {
  return x.toLocaleString('en-US');
}

/** Every integer written in a text, separators removed. */
export function integersIn(text: string): number[] {
  return (text.match(/\d{1,3}(?:,\d{3})+|\d+/g) ?? []).map((s) => Number(s.replace(/,/g, '')));
}
