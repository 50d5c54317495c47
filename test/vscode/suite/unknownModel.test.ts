// When a deployment's model is not found: the three quick fixes beside "Say which model this is" (download its
// config.json from the Hub — a local HTTP server stands in for it —, choose a config.json, size it as a similar
// model), the alias they write, the hover that says so, and the GPU hover without a model.
import * as assert from 'assert';
import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';
import * as vscode from 'vscode';
import { activate, closeAll, codeActions, codeLenses, codeOf, hoverText, positionOf, resetSettings, waitForCode, waitForDiagnostics, workspaceRoot, writeAndOpen } from './helpers';

const vllmConfig = (model: string) => `model: ${model}\ntensor-parallel-size: 1\nmax-model-len: 8192\ngpu-memory-utilization: 0.9\n`;
/** Markdown as people read it (backslash escapes removed). */
const plain = (s: string) => s.replace(/\\(.)/g, '$1');
const TITLES = [/^Say which model this is/, /^Download its config\.json from the Hugging Face Hub$/, /^Choose a config\.json…$/, /^Size it as a similar model…$/];

function llamaConfigText(): string {
  return fs.readFileSync(path.join(workspaceRoot(), 'models/Meta-Llama-3.1-8B/config.json'), 'utf8');
}

async function unknownModelFixes(doc: vscode.TextDocument): Promise<vscode.CodeAction[]> {
  const d = await waitForCode(doc.uri, 'model-not-found');
  const actions = await codeActions(doc, d.range);
  for (const t of TITLES) assert.ok(actions.some((a) => t.test(a.title)), `${t}; got ${JSON.stringify(actions.map((a) => a.title))}`);
  return actions;
}

async function run(action: vscode.CodeAction | undefined, options: Record<string, unknown>): Promise<{ ok: boolean; message: string; location?: string }> {
  assert.ok(action?.command, 'the quick fix runs a command');
  return (await vscode.commands.executeCommand(action.command.command, ...(action.command.arguments ?? []), options)) as { ok: boolean; message: string; location?: string };
}

describe('unknown model: quick fixes', function () {
  before(activate);
  after(async () => {
    await resetSettings(['models']);
    await closeAll();
  });

  it('an unknown model offers the three quick fixes beside "Say which model this is", and names the nearest bundled models', async () => {
    const doc = await writeAndOpen('deploy/unknown-fixes.vllm.yaml', vllmConfig('acme/Llama-3.1-8B-finetune-v7'));
    await unknownModelFixes(doc);
    const d = await waitForCode(doc.uri, 'model-not-found');
    assert.match(d.message, /nearest bundled models: meta-llama\/(Meta-)?Llama-3\.1-8B/);
  });

  it('Download its config.json: against a local hub, downloads once, then the deployment is sized; 401 and 404 are said plainly', async () => {
    const requests: string[] = [];
    const body = llamaConfigText();
    const server = http.createServer((req, res) => {
      requests.push(req.url ?? '');
      if (req.url === '/acme/hub-only-llama/resolve/main/config.json') { res.writeHead(200, { 'Content-Type': 'application/json' }); res.end(body); }
      else if (req.url?.startsWith('/acme/gated-llama/')) { res.writeHead(401); res.end(); }
      else { res.writeHead(404); res.end(); }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const saved = process.env.HF_ENDPOINT;
    process.env.HF_ENDPOINT = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      const doc = await writeAndOpen('deploy/hub-only.vllm.yaml', vllmConfig('acme/hub-only-llama'));
      const actions = await unknownModelFixes(doc);
      const download = actions.find((a) => TITLES[1].test(a.title));
      const first = await run(download, { confirmed: true });
      assert.ok(first.ok, first.message);
      await waitForDiagnostics(doc.uri, (ds) => !ds.some((x) => codeOf(x) === 'model-not-found'), 20_000);
      await codeLenses(doc, /fits/, 20_000);
      const hover = await hoverText(doc, positionOf(doc, 'acme/hub-only-llama', 2), /Config/);
      assert.match(plain(hover), /models--acme--hub-only-llama/);
      // Asked again, and by another document: no second request (the file is kept in the extension's storage).
      const again = await run(download, { confirmed: true });
      assert.ok(again.ok && /before/.test(again.message), again.message);
      const other = await writeAndOpen('deploy/hub-only-2.vllm.yaml', vllmConfig('acme/hub-only-llama'));
      await codeLenses(other, /fits/, 20_000);
      assert.deepStrictEqual(requests.filter((u) => u.includes('hub-only-llama')), ['/acme/hub-only-llama/resolve/main/config.json']);

      const gatedDoc = await writeAndOpen('deploy/gated.vllm.yaml', vllmConfig('acme/gated-llama'));
      const gated = await run((await unknownModelFixes(gatedDoc)).find((a) => TITLES[1].test(a.title)), { confirmed: true });
      assert.ok(!gated.ok);
      assert.match(gated.message, /gated or private/);
      const missingDoc = await writeAndOpen('deploy/not-on-hub.vllm.yaml', vllmConfig('acme/not-on-the-hub-at-all'));
      const missing = await run((await unknownModelFixes(missingDoc)).find((a) => TITLES[1].test(a.title)), { confirmed: true });
      assert.ok(!missing.ok);
      assert.match(missing.message, /HTTP 404/);
    } finally {
      process.env.HF_ENDPOINT = saved;
      server.close();
    }
  });

  it('Size it as a similar model: writes an inferenceBudget.models alias; the deployment is sized and the hover says so', async () => {
    const doc = await writeAndOpen('deploy/similar.vllm.yaml', vllmConfig('acme/llama-ft-v7'));
    const actions = await unknownModelFixes(doc);
    const outcome = await run(actions.find((a) => TITLES[3].test(a.title)), { pick: 'meta-llama/Llama-3.1-8B-Instruct' });
    assert.ok(outcome.ok, outcome.message);
    const written = vscode.workspace.getConfiguration('inferenceBudget').inspect<Record<string, string>>('models')?.workspaceValue;
    assert.strictEqual(written?.['acme/llama-ft-v7'], 'meta-llama/Llama-3.1-8B-Instruct');
    await codeLenses(doc, /fits/, 20_000);
    const hover = plain(await hoverText(doc, positionOf(doc, 'acme/llama-ft-v7', 2), /Sized as/));
    assert.match(hover, /Sized as meta-llama\/Llama-3\.1-8B-Instruct \(inferenceBudget\.models\)/);
    assert.match(hover, /bundled:meta-llama\/Llama-3\.1-8B-Instruct/);
  });

  it('Choose a config.json…: writes a workspace-relative inferenceBudget.models entry; the deployment is sized from it', async () => {
    const doc = await writeAndOpen('deploy/choose.vllm.yaml', vllmConfig('acme/private-llama'));
    const actions = await unknownModelFixes(doc);
    const file = path.join(workspaceRoot(), 'models', 'Meta-Llama-3.1-8B', 'config.json');
    const outcome = await run(actions.find((a) => TITLES[2].test(a.title)), { configPath: file });
    assert.ok(outcome.ok, outcome.message);
    const written = vscode.workspace.getConfiguration('inferenceBudget').inspect<Record<string, string>>('models')?.workspaceValue;
    assert.strictEqual(written?.['acme/private-llama'], 'models/Meta-Llama-3.1-8B/config.json');
    await codeLenses(doc, /fits/, 20_000);
    const hover = plain(await hoverText(doc, positionOf(doc, 'acme/private-llama', 2), /Sized as/));
    assert.match(hover, /models\/Meta-Llama-3\.1-8B\/config\.json/);
  });

  it('the GPU hover works without a model: visible memory, bandwidth, FLOP/s, FP8/FP4, interconnect', async () => {
    const doc = await writeAndOpen('deploy/only-hardware.budget.yaml', 'model: acme/nobody-knows-this-7b\nhardware:\n  gpu: H100\n  count: 2\n');
    await waitForCode(doc.uri, 'model-not-found');
    const hover = plain(await hoverText(doc, positionOf(doc, 'H100', 1), /visible per GPU/));
    assert.match(hover, /2× NVIDIA H100/);
    assert.match(hover, /GB\/s per GPU/);
    assert.match(hover, /BF16 \d+(\.\d+)? TFLOP\/s/);
    assert.match(hover, /FP8 yes · FP4 no/);
    assert.match(hover, /Interconnect/);
    assert.match(hover, /was not found/);
  });
});
