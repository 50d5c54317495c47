import * as assert from 'assert';
import * as vscode from 'vscode';

describe('extension host smoke', () => {
  it('runs inside VS Code with the workspace open', () => {
    assert.ok(vscode.version.startsWith('1.'), vscode.version);
    assert.ok(vscode.workspace.workspaceFolders && vscode.workspace.workspaceFolders.length === 1);
  });
});
