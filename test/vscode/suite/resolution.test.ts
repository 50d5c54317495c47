// Where a deployment's model comes from: a relative path, the local Hugging Face cache, the bundled catalog,
// and — only when allowed — a download from the hub (a local HTTP server stands in for it).
import * as assert from 'assert';
import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';
import * as vscode from 'vscode';
import {
  activate, closeAll, codeLenses, codeOf, hoverText, n, ourDiagnostics, positionOf, resetSettings, setSetting, sleep, waitForCode,
  waitForDiagnostics, workspaceRoot, writeAndOpen,
} from './helpers';
import { kvBytesPerTokenGqa, readConfig } from './shapes';

/** The launcher fails the run if this string appears in any log. */
export const SECRET_TOKEN = 'hf_TESTTOKEN_must_never_be_logged_0123456789';

const vllmConfig = (model: string) => `model: ${model}\ntensor-parallel-size: 1\nmax-model-len: 8192\ngpu-memory-utilization: 0.9\n`;

function llamaConfigText(): string {
  return fs.readFileSync(path.join(workspaceRoot(), 'models/Meta-Llama-3.1-8B/config.json'), 'utf8');
}

describe('model resolution', function () {
  before(activate);
  after(async () => {
    await resetSettings(['hub.allowDownload']);
    await closeAll();
  });

  it('a path relative to the document', async () => {
    const doc = await writeAndOpen('deploy/relative.vllm.yaml', vllmConfig('../models/Meta-Llama-3.1-8B'));
    const [lens] = await codeLenses(doc, /fits/);
    assert.match(lens.command!.title, /^Meta-Llama-3\.1-8B on 1× NVIDIA H100/);
    const text = await hoverText(doc, positionOf(doc, 'Meta-Llama', 2), /Config/);
    assert.match(text, /models\/Meta-Llama-3\.1-8B\/config\.json/);
  });

  it('a model not found is looked up again by the next analysis (a folder created meanwhile is found)', async () => {
    const root = path.join(workspaceRoot(), 'deploy', 'later-models');
    fs.rmSync(root, { recursive: true, force: true });
    try {
      const doc = await writeAndOpen('deploy/later.vllm.yaml', vllmConfig('later-models/Later-Llama'));
      const missing = await waitForCode(doc.uri, 'model-not-found');
      assert.match(missing.message, /later-models\/Later-Llama/);
      fs.mkdirSync(path.join(root, 'Later-Llama'), { recursive: true });
      fs.writeFileSync(path.join(root, 'Later-Llama', 'config.json'), llamaConfigText());
      // An edit makes a new analysis whether or not a file watcher reported the new config.json.
      const edit = new vscode.WorkspaceEdit();
      edit.insert(doc.uri, new vscode.Position(doc.lineCount, 0), '# edited\n');
      assert.ok(await vscode.workspace.applyEdit(edit));
      await waitForDiagnostics(doc.uri, (ds) => !ds.some((d) => codeOf(d) === 'model-not-found'), 20_000);
      const [lens] = await codeLenses(doc, /fits/);
      assert.match(lens.command!.title, /^Later-Llama on 1× NVIDIA H100/);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('an unknown model is an information diagnostic on its name saying what was tried', async () => {
    await resetSettings(['hub.allowDownload']);
    const doc = await writeAndOpen('deploy/unknown.vllm.yaml', vllmConfig('acme/unknown-model-7b'));
    const d = await waitForCode(doc.uri, 'model-not-found');
    assert.strictEqual(d.severity, vscode.DiagnosticSeverity.Information);
    assert.strictEqual(doc.getText(d.range), 'acme/unknown-model-7b');
    assert.match(d.message, /HF cache/);
    assert.match(d.message, /bundled catalog/);
    assert.match(d.message, /allowDownload is off/);
    const [lens] = await codeLenses(doc, /not found/);
    assert.ok(lens);
  });

  it('the local Hugging Face cache (HF_HOME/hub/models--org--name/snapshots/<rev>/config.json, refs/main first)', async () => {
    const hfHome = process.env.HF_HOME;
    assert.ok(hfHome, 'the launcher sets HF_HOME to a private folder');
    const repo = path.join(hfHome, 'hub', 'models--acme--cached-llama');
    for (const rev of ['1111111111', '2222222222']) fs.mkdirSync(path.join(repo, 'snapshots', rev), { recursive: true });
    // refs/main points at the first snapshot; the second holds a broken config that must not be used.
    fs.writeFileSync(path.join(repo, 'snapshots', '1111111111', 'config.json'), llamaConfigText());
    fs.writeFileSync(path.join(repo, 'snapshots', '2222222222', 'config.json'), '{ broken');
    fs.mkdirSync(path.join(repo, 'refs'), { recursive: true });
    fs.writeFileSync(path.join(repo, 'refs', 'main'), '1111111111');
    const doc = await writeAndOpen('deploy/cached.vllm.yaml', vllmConfig('acme/cached-llama'));
    await codeLenses(doc, /fits/);
    const text = await hoverText(doc, positionOf(doc, 'acme/cached-llama', 2), /Config/);
    assert.match(text, /snapshots[\\/]+1111111111/);
    const kv = kvBytesPerTokenGqa(readConfig(path.join(repo, 'snapshots', '1111111111', 'config.json')));
    assert.ok(text.includes(`${n(kv)} B`), text);
  });

  it('downloads config.json from HF_ENDPOINT with the HF_TOKEN only when hub.allowDownload is on', async () => {
    const requests: { url?: string; auth?: string }[] = [];
    const body = llamaConfigText();
    const server = http.createServer((req, res) => {
      requests.push({ url: req.url, auth: req.headers.authorization });
      if (req.url === '/acme/remote-llama/resolve/main/config.json') {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(body);
      } else {
        res.writeHead(404);
        res.end();
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    const saved = { endpoint: process.env.HF_ENDPOINT, token: process.env.HF_TOKEN };
    process.env.HF_ENDPOINT = `http://127.0.0.1:${port}`;
    process.env.HF_TOKEN = SECRET_TOKEN;
    try {
      // Off (the default): no request at all.
      const doc = await writeAndOpen('deploy/remote.vllm.yaml', vllmConfig('acme/remote-llama'));
      await waitForCode(doc.uri, 'model-not-found');
      await sleep(300);
      assert.strictEqual(requests.length, 0);
      // On: one GET with the bearer token, then the deployment is sized.
      await setSetting('hub.allowDownload', true);
      await codeLenses(doc, /fits/, 20_000);
      await waitForDiagnostics(doc.uri, (ds) => !ds.some((d) => String(d.code) === 'model-not-found'));
      // (Other open documents naming unknown models are looked up too, now that downloads are on.)
      const ours = requests.filter((r) => r.url?.includes('remote-llama'));
      assert.deepStrictEqual(ours.map((r) => r.url), ['/acme/remote-llama/resolve/main/config.json']);
      assert.ok(requests.every((r) => r.auth === `Bearer ${SECRET_TOKEN}`));
      // A model the server does not have: the failure is reported, not thrown.
      const missing = await writeAndOpen('deploy/remote-missing.vllm.yaml', vllmConfig('acme/not-on-the-hub'));
      const d = await waitForCode(missing.uri, 'model-not-found');
      assert.match(d.message, /HTTP 404/);
      assert.ok(!d.message.includes(SECRET_TOKEN));
      for (const x of ourDiagnostics(missing.uri)) assert.ok(!x.message.includes(SECRET_TOKEN));
    } finally {
      process.env.HF_ENDPOINT = saved.endpoint;
      process.env.HF_TOKEN = saved.token;
      await resetSettings(['hub.allowDownload']);
      server.close();
    }
  });
});
