// `inference-budget check` and the editor run one code path: in the real extension host, each real deployment
// file of ../shared/deployments (copied into the test workspace) gets exactly the diagnostics that
// `check --json --workspace <this workspace>` reports for it, same codes, messages and 1-based ranges.
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import {
  EXTENSION_ID, activate, closeAll, codeActions, codeLenses, codeOf, ourDiagnostics, resetSettings, sleep, waitForCode, waitForDiagnostics,
  workspaceRoot, writeAndOpen,
} from './helpers';

interface Reported { severity: string; code: string; message: string; line: number; column: number; endLine: number; endColumn: number }
interface CheckJson { files: { path: string; problems: Reported[]; deployments: { diagnostics: Reported[] }[] }[] }

const SEVERITY = ['error', 'warning', 'information', 'hint'];

function published(uri: vscode.Uri): Reported[] {
  return ourDiagnostics(uri).map((d) => ({
    severity: SEVERITY[d.severity], code: codeOf(d), message: d.message,
    line: d.range.start.line + 1, column: d.range.start.character + 1, endLine: d.range.end.line + 1, endColumn: d.range.end.character + 1,
  }));
}

describe('check and the editor agree on the real deployment corpus', function () {
  this.timeout(600_000);
  const repo = process.env.INFERENCE_BUDGET_REPO_ROOT ?? '';
  const corpus = path.resolve(repo, '..', 'shared', 'deployments');
  let files: string[] = [];

  before(async function () {
    await activate();
    await resetSettings(['defaultGpu', 'gpuCount', 'engine', 'gpuMemoryUtilization', 'workload.batch', 'workload.context', 'workload.prompt', 'hub.allowDownload']);
    files = fs.readdirSync(corpus).filter((f) => /\.ya?ml$/.test(f)).sort();
    fs.mkdirSync(path.join(workspaceRoot(), 'corpus'), { recursive: true });
    for (const f of files) fs.copyFileSync(path.join(corpus, f), path.join(workspaceRoot(), 'corpus', f));
  });
  after(closeAll);

  it('every file: the same diagnostics in the Problems panel as in check --json', async () => {
    assert.strictEqual(files.length, 65, `the corpus at ${corpus}`);
    const cli = path.join(vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath, 'dist', 'cli.js');
    const rel = files.map((f) => path.join('corpus', f));
    let stdout: string;
    try {
      stdout = execFileSync(process.execPath, [cli, 'check', '--json', '--workspace', workspaceRoot(), ...rel], { cwd: workspaceRoot(), encoding: 'utf8', maxBuffer: 64 << 20 });
    } catch (e) {
      stdout = (e as { stdout?: string }).stdout ?? '';
    }
    const report = JSON.parse(stdout) as CheckJson;
    const mismatches: string[] = [];
    let compared = 0;
    for (const [i, f] of report.files.entries()) {
      const expected = [...f.problems, ...f.deployments.flatMap((d) => d.diagnostics)];
      const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(path.join(workspaceRoot(), rel[i])));
      await vscode.window.showTextDocument(doc, { preview: true });
      // The CodeLens provider awaits the document's analysis; the diagnostics of that analysis follow it.
      await vscode.commands.executeCommand('vscode.executeCodeLensProvider', doc.uri);
      const deadline = Date.now() + (expected.length ? 10_000 : 500);
      let got = published(doc.uri);
      while (JSON.stringify(got) !== JSON.stringify(expected) && Date.now() < deadline) { await sleep(100); got = published(doc.uri); }
      try { assert.deepStrictEqual(got, expected); } catch (e) { mismatches.push(`${f.path}: ${(e as Error).message.slice(0, 1500)}`); }
      compared += expected.length;
    }
    assert.deepStrictEqual(mismatches, []);
    assert.ok(compared >= 40, `${compared} diagnostics compared`);
  });
});

describe('a deployment whose model is not known here', function () {
  before(activate);
  after(closeAll);

  it('says why on the model, offers the # inference-budget quick fix, and is sized once the comment names the model', async () => {
    const text = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: mounted
spec:
  template:
    spec:
      containers:
      - name: vllm
        image: vllm/vllm-openai:v0.19.0
        args: ["--model", "/mnt/models", "--max-model-len", "4096"]
`;
    const doc = await writeAndOpen('deploy/mounted.yaml', text);
    const d = await waitForCode(doc.uri, 'model-is-path');
    assert.strictEqual(doc.getText(d.range), '/mnt/models');
    assert.strictEqual(d.severity, vscode.DiagnosticSeverity.Information);
    assert.match(d.message, /^Not sized: the model "\/mnt\/models" is a path inside the container/);
    await codeLenses(doc, /not sized \(model \/mnt\/models is a path inside the container\)/);
    const actions = await codeActions(doc, d.range);
    const fix = actions.find((a) => /^Say which model this is/.test(a.title));
    assert.ok(fix?.command, `the quick fix is offered: ${JSON.stringify(actions.map((a) => a.title))}`);
    assert.strictEqual(fix.command.command, 'inferenceBudget.nameModel');
    // The command asks for the id in an input box; write what it writes: the comment above the container.
    const edit = new vscode.WorkspaceEdit();
    edit.insert(doc.uri, new vscode.Position(8, 0), '      # inference-budget: model=Qwen/Qwen3-8B\n');
    assert.ok(await vscode.workspace.applyEdit(edit));
    await waitForDiagnostics(doc.uri, (ds) => !ds.some((x) => codeOf(x) === 'model-is-path'));
    const [lens] = await codeLenses(doc, /fits/);
    assert.match(lens.command!.title, /^Qwen\/Qwen3-8B on 1× NVIDIA H100/);
  });
});
