// What a new user meets first, and what chat agents call: the walkthrough, "Open Example Deployment" with no file
// of their own, and the language model tool `inference-budget_size` invoked through vscode.lm.invokeTool.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { activate, closeAll, EXTENSION_ID, sleep, waitForDiagnostics, writeAndOpen } from './helpers';

const TOOL = 'inference-budget_size';
/** Llama-3.1-8B's KV per token from its shapes: 32 layers × 8 KV heads × 128 dims × (K, V) × 2 bytes. */
const LLAMA_8B_KV_BYTES_PER_TOKEN = 32 * 8 * 128 * 2 * 2;

interface ToolData {
  path: string;
  deployments: Array<{ name: string; modelId: string | null; gpu: string | null; gpuCount: number | null; fits: boolean | null; sized: boolean;
    report: { ok: boolean; model?: { kvBytesPerToken: number }; capacity?: { maxModelLen: number } } | null; diagnostics: Array<{ severity: string; line: number }> }>;
}

async function invoke(input: object): Promise<{ text: string; data: ToolData }> {
  const result = await vscode.lm.invokeTool(TOOL, { input, toolInvocationToken: undefined });
  const texts = result.content.filter((p): p is vscode.LanguageModelTextPart => p instanceof vscode.LanguageModelTextPart).map((p) => p.value);
  assert.strictEqual(texts.length, 2, `two text parts, got ${JSON.stringify(result.content)}`);
  const json = texts[1].slice(texts[1].indexOf('\n') + 1);
  return { text: texts[0], data: JSON.parse(json) as ToolData };
}

describe('first run and the language model tool', function () {
  before(activate);
  after(closeAll);

  it('the walkthrough\'s steps name commands that exist and media that ship with the extension', async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    const walkthroughs = ext.packageJSON.contributes.walkthroughs as Array<{ id: string; steps: Array<{ id: string; description: string; media: Record<string, string> }> }>;
    assert.strictEqual(walkthroughs.length, 1);
    const steps = walkthroughs[0].steps;
    assert.deepStrictEqual(steps.map((s) => s.id), ['openExample', 'hover', 'quickFix', 'roofline', 'pickGpu']);
    const commands = await vscode.commands.getCommands(true);
    for (const s of steps) {
      for (const m of s.description.matchAll(/\(command:([\w.]+)\)/g)) assert.ok(commands.includes(m[1]), `${s.id}: command ${m[1]}`);
      for (const file of [s.media.image, s.media.markdown].filter(Boolean)) assert.ok(fs.existsSync(path.join(ext.extensionPath, file)), `${s.id}: ${file}`);
    }
    // Opening it is what the Welcome page does.
    await vscode.commands.executeCommand('workbench.action.openWalkthrough', `${EXTENSION_ID}#${walkthroughs[0].id}`, false);
  });

  it('Open Example Deployment opens an untitled copy that is sized: max_model_len 131,072 does not fit on an L4', async () => {
    await closeAll();
    const editor = await vscode.commands.executeCommand<vscode.TextEditor | undefined>('inferenceBudget.openExample');
    const doc = editor?.document ?? vscode.window.activeTextEditor?.document;
    assert.ok(doc, 'an editor is open');
    assert.strictEqual(doc.uri.scheme, 'untitled');
    assert.strictEqual(doc.languageId, 'yaml');
    const line = doc.getText().split('\n').findIndex((l) => l.includes('"131072"'));
    assert.ok(line > 0);
    const diags = await waitForDiagnostics(doc.uri, (d) => d.some((x) => x.severity === vscode.DiagnosticSeverity.Error && x.range.start.line === line));
    // 131,072 tokens × 128 KiB per token = 16 GiB of KV for one request.
    assert.strictEqual(131072 * LLAMA_8B_KV_BYTES_PER_TOKEN / 2 ** 30, 16);
    assert.ok(diags.some((x) => /16\.00 GiB/.test(x.message)), diags.map((d) => d.message).join('\n'));
  });

  it('is registered as a language model tool', () => {
    const tool = vscode.lm.tools.find((t) => t.name === TOOL);
    assert.ok(tool, `tools: ${vscode.lm.tools.map((t) => t.name).join(', ')}`);
    assert.match(tool.description, /fits/);
  });

  it('model + GPU: Llama-3.1-8B on 2xH100 at TP 2, with the KV per token from its shapes', async () => {
    const { text, data } = await invoke({ model: 'meta-llama/Llama-3.1-8B-Instruct', gpu: '2xH100', tensorParallel: 2, maxModelLen: 8192 });
    const d = data.deployments[0];
    assert.ok(d.sized, text);
    assert.strictEqual(d.gpuCount, 2);
    assert.match(d.gpu ?? '', /H100/);
    assert.strictEqual(d.fits, true);
    assert.strictEqual(d.report?.model?.kvBytesPerToken, LLAMA_8B_KV_BYTES_PER_TOKEN);
    assert.strictEqual(d.report?.capacity?.maxModelLen, 8192);
    assert.match(text, /: fits$/m);
  });

  it('a workspace path, and the active editor when given nothing', async () => {
    const doc = await writeAndOpen('deploy/tool-too-long.budget.yaml', 'model: meta-llama/Llama-3.1-8B-Instruct\nhardware:\n  gpu: L4\nengine:\n  maxModelLen: 131072\n');
    const byPath = await invoke({ path: 'deploy/tool-too-long.budget.yaml' });
    assert.strictEqual(byPath.data.deployments[0].fits, false, byPath.text);
    assert.match(byPath.text, /does not fit/);
    assert.strictEqual(vscode.window.activeTextEditor?.document.uri.toString(), doc.uri.toString());
    const active = await invoke({});
    assert.deepStrictEqual(active.data, byPath.data);
  });

  it('bad input is a clear error, not a crash: a missing file, a contradictory GPU count', async () => {
    await assert.rejects(() => invoke({ path: 'deploy/no-such-file.yaml' }), /no such file/);
    await assert.rejects(() => invoke({ model: 'meta-llama/Llama-3.1-8B-Instruct', gpu: '4xH100', gpuCount: 2 }), /gpuCount/);
    await sleep(0);
  });
});
