// The roofline panel in the real VS Code: the command opens one webview panel whose state carries the
// engine's figures for the document; controls, edits, the active document, Compare GPUs, exports, bundled
// models and the restore path all go through the host. The host's last posted state is read with the hidden
// command `inferenceBudget._lastPanelState`; webview messages are replayed with `inferenceBudget._panelTest`
// (the same validated handler the webview's messages go through). Both come from src/editor/panel/testSupport.ts,
// registered in development and test runs only.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { PanelSnapshot } from '../../../src/editor/panel/testSupport';
import { computeBudget } from '../../../src/core/budget';
import type { BudgetInputs } from '../../../src/core/types';
import type { PanelControls, PanelState } from '../../../src/panel/messages';
import { activate, closeAll, open, resetSettings, sleep, workspaceRoot, writeAndOpen } from './helpers';
import { kvBytesPerTokenGqa, readConfig } from './shapes';

const LLAMA = 'models/Meta-Llama-3.1-8B/config.json';
const L4_DEPLOYMENT = 'deploy/llama-8b-l4.yaml';
const VIEW_TYPE = 'inferenceBudget.roofline';

type Snapshot = PanelSnapshot;

const snapshot = async (): Promise<Snapshot> => (await vscode.commands.executeCommand<Snapshot>('inferenceBudget._lastPanelState'))!;
const panelTest = <T = Snapshot>(op: string, arg?: unknown): Thenable<T> => vscode.commands.executeCommand<T>('inferenceBudget._panelTest', op, arg);

async function waitFor(what: string, ok: (s: Snapshot) => boolean, timeoutMs = 20_000): Promise<Snapshot> {
  const deadline = Date.now() + timeoutMs;
  let s = await snapshot();
  while (!ok(s)) {
    if (Date.now() > deadline) assert.fail(`${what}: never happened; last snapshot ${JSON.stringify({ ...s, state: s.state && { title: s.state.title, controls: s.state.controls, gpus: s.state.perGpu.map((g) => g.gpuId) } })}`);
    await sleep(100);
    s = await snapshot();
  }
  return s;
}

/** Tabs of the roofline panel in every editor group (the view type carries a `mainThreadWebview-` prefix). */
function panelTabs(): vscode.Tab[] {
  return vscode.window.tabGroups.all.flatMap((g) => g.tabs)
    .filter((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith(VIEW_TYPE));
}

/** The tab model reaches the extension host asynchronously: wait for `n` panel tabs. */
async function waitForTabs(n: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (panelTabs().length !== n) {
    if (Date.now() > deadline) assert.fail(`expected ${n} roofline panel tab(s), found ${panelTabs().length}`);
    await sleep(100);
  }
}

/** Puts the config's text back, saved, whatever auto-save did with the edits. */
async function restoreText(doc: vscode.TextDocument, text: string): Promise<void> {
  if (doc.getText() !== text) {
    const e = new vscode.WorkspaceEdit();
    e.replace(doc.uri, new vscode.Range(doc.positionAt(0), doc.positionAt(doc.getText().length)), text);
    assert.ok(await vscode.workspace.applyEdit(e));
  }
  if (doc.isDirty) await doc.save();
  if (fs.readFileSync(doc.uri.fsPath, 'utf8') !== text) fs.writeFileSync(doc.uri.fsPath, text);
}

function engine(config: unknown, inputs: BudgetInputs) {
  const r = computeBudget({ config }, inputs);
  assert.ok(r.ok, r.ok ? '' : r.unsupported);
  return r.report;
}

function inputsOf(c: PanelControls, gpu: string, batch = c.batch): BudgetInputs {
  return { gpu, gpuCount: c.gpuCount, tensorParallel: c.tensorParallel, batch, context: c.context, prompt: c.prompt };
}

function decodeBatch1(s: PanelState, gi = 0) {
  const p = s.perGpu[gi].points.find((x) => x.label === 'decode, batch 1');
  assert.ok(p, 'a decode batch-1 point');
  return { point: p, row: s.perGpu[gi].throughput[0] };
}

describe('roofline panel', function () {
  this.timeout(60_000);
  let llamaText: string;

  before(async () => {
    await activate();
    await resetSettings(['defaultGpu', 'gpuCount', 'workload.batch', 'workload.context', 'workload.prompt', 'customGpus']);
    await closeAll();
    llamaText = fs.readFileSync(path.join(workspaceRoot(), LLAMA), 'utf8');
  });
  after(async () => {
    await panelTest('close');
    // The corpus config must leave this suite as it came (later suites read it).
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.fsPath === path.join(workspaceRoot(), LLAMA));
    if (doc) await restoreText(doc, llamaText);
    else fs.writeFileSync(path.join(workspaceRoot(), LLAMA), llamaText);
    await closeAll();
  });

  it('Open Roofline Panel on a model config opens one panel with the engine’s decode figures', async () => {
    const doc = await open(LLAMA);
    const before = (await snapshot()).posted;
    await vscode.commands.executeCommand('inferenceBudget.openRoofline');
    const s = await waitFor('a state posted', (x) => x.open && x.posted > before && !!x.state);
    await waitForTabs(1);
    const state = s.state!;
    assert.strictEqual(state.source, 'document');
    assert.strictEqual(s.binding?.uri, doc.uri.toString());
    assert.deepStrictEqual(state.controls.gpus, ['h100-sxm']);
    assert.match(state.title, /Meta-Llama-3\.1-8B on 1× H100 SXM/);

    // The same inputs through the engine: decode at batch 1 must be identical.
    const config = JSON.parse(doc.getText());
    const r1 = engine(config, inputsOf(state.controls, 'H100', 1));
    const { point, row } = decodeBatch1(state);
    assert.strictEqual(row.batch, 1);
    assert.strictEqual(row.tokensPerSecondPerRequest, r1.decode.tokensPerSecondPerRequest);
    assert.strictEqual(point.seconds, r1.roofline.decode.seconds);
    assert.strictEqual(point.bytes, r1.roofline.decode.bytes);

    // And from the config's shapes: batch-1 decode reads every decoder weight, the LM head and the KV of the
    // context once, at 3.35 TB/s.
    const c = readConfig(path.join(workspaceRoot(), LLAMA));
    const h = c.hidden_size;
    const d = h / c.num_attention_heads;
    const perLayer = h * (c.num_attention_heads + 2 * c.num_key_value_heads) * d + c.num_attention_heads * d * h + 3 * h * c.intermediate_size + 2 * h;
    const weights = 2 * (c.num_hidden_layers * perLayer + h * c.vocab_size + h);
    const bytes = weights + state.controls.context * kvBytesPerTokenGqa(c);
    assert.ok(Math.abs(point.bytes / bytes - 1) < 0.002, `bytes per step ${point.bytes} vs ${bytes}`);
    assert.ok(Math.abs(row.tokensPerSecondPerRequest / (3.35e12 / bytes) - 1) < 0.002, `tok/s ${row.tokensPerSecondPerRequest}`);

    // The wall and the memory bar are the engine's.
    const r = engine(config, inputsOf(state.controls, 'H100'));
    assert.strictEqual(state.perGpu[0].maxConcurrency, r.capacity.maxConcurrency);
    const m = state.perGpu[0].memory;
    assert.ok(Math.abs(m.weightsBytes + m.activationBytes + m.reserveBytes + m.kvCacheBytes + m.freeBytes - r.perGpu.totalMemoryBytes) < 1);

    // Running it again reuses the panel.
    await vscode.commands.executeCommand('inferenceBudget.openRoofline');
    await sleep(300);
    await waitForTabs(1);
  });

  it('a controlsChanged message recomputes through the engine; an invalid one is ignored', async () => {
    const s0 = await snapshot();
    const c: PanelControls = { ...s0.state!.controls, batch: 16, gpus: ['h100-sxm', 'h200'] };
    const s = await panelTest('message', { type: 'controlsChanged', controls: c });
    assert.strictEqual(s.state!.controls.batch, 16);
    assert.deepStrictEqual(s.state!.perGpu.map((g) => g.gpuId), ['h100-sxm', 'h200']);
    const config = JSON.parse(llamaText);
    const h200 = engine(config, inputsOf(c, 'h200', 1));
    assert.strictEqual(decodeBatch1(s.state!, 1).row.tokensPerSecondPerRequest, h200.decode.tokensPerSecondPerRequest);
    const at16 = engine(config, inputsOf(c, 'h100-sxm', 16));
    assert.strictEqual(s.state!.perGpu[0].throughput.find((t) => t.batch === 16)?.tokensPerSecondTotal, at16.decode.tokensPerSecondTotal);
    assert.ok(s.state!.perGpu[0].points.some((p) => p.label === 'decode, batch 16'));

    const bad = await panelTest('message', { type: 'controlsChanged', controls: { ...c, gpus: [], batch: -1 } });
    assert.strictEqual(bad.rejected, s.rejected + 1, 'rejected');
    assert.strictEqual(bad.posted, s.posted, 'nothing posted');
    const extra = await panelTest('message', { type: 'controlsChanged', controls: c, evil: true });
    assert.strictEqual(extra.rejected, s.rejected + 2);
    const notObject = await panelTest('message', '<script>');
    assert.strictEqual(notObject.rejected, s.rejected + 3);
  });

  it('an edit of the document updates the panel (debounced); the user’s batch and GPUs stay', async () => {
    const doc = await open(LLAMA);
    const before = await snapshot();
    const edit = new vscode.WorkspaceEdit();
    const at = doc.getText().indexOf('"num_hidden_layers": 32');
    assert.ok(at >= 0);
    edit.replace(doc.uri, new vscode.Range(doc.positionAt(at), doc.positionAt(at + '"num_hidden_layers": 32'.length)), '"num_hidden_layers": 16');
    assert.ok(await vscode.workspace.applyEdit(edit));
    const s = await waitFor('the edit reaches the panel', (x) => x.posted > before.posted && x.state!.perGpu[0].throughput[0].tokensPerSecondPerRequest > before.state!.perGpu[0].throughput[0].tokensPerSecondPerRequest * 1.5);
    const state = s.state!;
    assert.strictEqual(state.controls.batch, 16, 'the user’s batch stays');
    assert.deepStrictEqual(state.controls.gpus, ['h100-sxm', 'h200']);
    const edited = JSON.parse(doc.getText());
    assert.strictEqual(edited.num_hidden_layers, 16);
    const r1 = engine(edited, inputsOf(state.controls, 'h100-sxm', 1));
    assert.strictEqual(decodeBatch1(state).row.tokensPerSecondPerRequest, r1.decode.tokensPerSecondPerRequest);

    // Several quick edits: only the last version is shown.
    for (const layers of [20, 24, 28]) {
      const e = new vscode.WorkspaceEdit();
      const text = doc.getText();
      const i = text.search(/"num_hidden_layers": \d+/);
      const len = text.slice(i).match(/"num_hidden_layers": \d+/)![0].length;
      e.replace(doc.uri, new vscode.Range(doc.positionAt(i), doc.positionAt(i + len)), `"num_hidden_layers": ${layers}`);
      assert.ok(await vscode.workspace.applyEdit(e));
      await sleep(20);
    }
    const r28 = engine(JSON.parse(doc.getText()), inputsOf(state.controls, 'h100-sxm', 1));
    await waitFor('the last edit shown', (x) => x.state!.perGpu[0].throughput[0].tokensPerSecondPerRequest === r28.decode.tokensPerSecondPerRequest);

    // Back to the original text (saved: auto-save may have written an edit to disk).
    await restoreText(doc, llamaText);
    const r32 = engine(JSON.parse(llamaText), inputsOf(state.controls, 'h100-sxm', 1));
    await waitFor('the reverted text shown', (x) => x.state!.perGpu[0].throughput[0].tokensPerSecondPerRequest === r32.decode.tokensPerSecondPerRequest);
  });

  it('follows the active recognised document: a deployment on an L4', async () => {
    await open(L4_DEPLOYMENT);
    const s = await waitFor('the panel follows the deployment', (x) => x.state?.perGpu[0].gpuId === 'l4');
    assert.ok(s.binding?.uri?.endsWith('llama-8b-l4.yaml'));
    assert.strictEqual(s.state!.perGpu[0].fits, false, 'the 128k context does not fit on an L4');
    assert.ok(s.state!.perGpu[0].maxConcurrency < 1, 'less than one full-length request');
    assert.ok(!s.state!.perGpu[0].points.some((p) => p.label.startsWith('decode, max concurrency')));
    assert.deepStrictEqual(s.state!.controls.gpus.slice(1), ['h200'], 'the compared GPU stays');
    // A document the panel cannot show leaves it alone.
    const before = await snapshot();
    await writeAndOpen('misc/plain.json', '{"hello": "world"}\n');
    await sleep(600);
    assert.strictEqual((await snapshot()).binding?.uri, before.binding?.uri);
  });

  it('Compare GPUs opens a quick pick and shows up to three GPUs', async () => {
    await open(LLAMA);
    await waitFor('back on the config', (x) => x.state?.perGpu[0].gpuId === 'h100-sxm');
    await vscode.commands.executeCommand('inferenceBudget.compareGpus');
    await sleep(300);
    assert.strictEqual(await panelTest<boolean>('acceptGpuPick', ['h100-sxm', 'h200', 'mi300x', 'l4']), true, 'the quick pick was open');
    const s = await waitFor('three GPUs', (x) => x.state?.perGpu.length === 3);
    assert.deepStrictEqual(s.state!.perGpu.map((g) => g.gpuId), ['h100-sxm', 'h200', 'mi300x']);
    const config = JSON.parse(llamaText);
    for (const [i, g] of s.state!.perGpu.entries()) {
      assert.strictEqual(decodeBatch1(s.state!, i).row.tokensPerSecondPerRequest, engine(config, inputsOf(s.state!.controls, g.gpuId, 1)).decode.tokensPerSecondPerRequest, g.gpuId);
    }
  });

  it('exports are written where the save dialog says (CSV text, PNG bytes); a bad PNG is refused by the validator', async () => {
    const dir = path.join(workspaceRoot(), 'exports');
    fs.mkdirSync(dir, { recursive: true });
    const csv = vscode.Uri.file(path.join(dir, 'points.csv'));
    await panelTest('nextSaveUri', csv.toString());
    await panelTest('message', { type: 'export', format: 'csv', chart: 'roofline', data: 'gpu,label\r\nH100,decode\r\n' });
    assert.strictEqual(fs.readFileSync(csv.fsPath, 'utf8'), 'gpu,label\r\nH100,decode\r\n');
    // A 1×1 PNG.
    const png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
    const pngUri = vscode.Uri.file(path.join(dir, 'chart.png'));
    await panelTest('nextSaveUri', pngUri.toString());
    await panelTest('message', { type: 'export', format: 'png', chart: 'memory', data: `data:image/png;base64,${png}` });
    const bytes = fs.readFileSync(pngUri.fsPath);
    assert.deepStrictEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    assert.strictEqual(bytes.length, Buffer.from(png, 'base64').length);
    const before = await snapshot();
    await panelTest('message', { type: 'export', format: 'png', chart: 'memory', data: 'data:text/html,<b>x</b>' });
    assert.strictEqual((await snapshot()).rejected, before.rejected + 1);
  });

  it('a bundled model (no document): source bundled, and the model picker switches models', async () => {
    const s = await panelTest('openBundled', 'Qwen/Qwen3-8B');
    assert.strictEqual(s.state!.source, 'bundled');
    assert.strictEqual(s.state!.controls.model, 'Qwen/Qwen3-8B');
    assert.ok(s.state!.modelOptions.some((o) => o.id === 'meta-llama/Meta-Llama-3.1-8B'));
    assert.match(s.state!.title, /Qwen3-8B/);
    const switched = await panelTest('message', { type: 'controlsChanged', controls: { ...s.state!.controls, model: 'meta-llama/Meta-Llama-3.1-8B' } });
    assert.match(switched.state!.title, /Llama-3\.1-8B/);
    assert.strictEqual(switched.binding?.modelId, 'meta-llama/Meta-Llama-3.1-8B');
  });

  it('restores after a reload from the saved binding and the webview’s state', async () => {
    const s0 = await snapshot();
    const restored = await panelTest('revive', { state: s0.state, view: { tables: { roofline: false, throughput: false, memory: false }, showOperators: true } });
    assert.ok(restored.open);
    assert.strictEqual(restored.binding?.modelId, 'meta-llama/Meta-Llama-3.1-8B');
    assert.deepStrictEqual(restored.state!.controls, s0.state!.controls);
    await waitForTabs(1);
  });

  it('closing the panel disposes it; the command opens a fresh one', async () => {
    await panelTest('close');
    assert.strictEqual((await snapshot()).open, false);
    await waitForTabs(0);
    await open(LLAMA);
    await vscode.commands.executeCommand('inferenceBudget.openRoofline');
    const s = await waitFor('reopened', (x) => x.open && x.state?.source === 'document');
    assert.deepStrictEqual(s.state!.controls.gpus, ['h100-sxm'], 'a fresh panel starts from the document');
    await waitForTabs(1);
  });

  it('"Show document" (openDocument) reveals the bound document', async () => {
    const s0 = await snapshot();
    assert.strictEqual(s0.binding?.kind, 'document');
    await writeAndOpen('misc/plain.json', '{"hello": "world"}\n'); // not a model: the panel stays on the config
    await sleep(400);
    assert.ok(vscode.window.activeTextEditor?.document.uri.fsPath.endsWith('plain.json'));
    await panelTest('message', { type: 'openDocument' });
    assert.strictEqual(vscode.window.activeTextEditor?.document.uri.toString(), s0.binding?.uri);
  });

  it('restores a document-bound panel with the controls the webview saved', async () => {
    const s0 = await snapshot();
    const saved = { ...s0.state!, controls: { ...s0.state!.controls, batch: 8, gpus: ['h100-sxm', 'b200'] } };
    const restored = await panelTest('revive', { state: saved, view: { tables: { roofline: true, throughput: false, memory: false }, showOperators: false } });
    assert.strictEqual(restored.binding?.kind, 'document');
    assert.strictEqual(restored.binding?.uri, s0.binding?.uri);
    assert.strictEqual(restored.state!.source, 'document');
    assert.strictEqual(restored.state!.controls.batch, 8);
    assert.deepStrictEqual(restored.state!.perGpu.map((g) => g.gpuId), ['h100-sxm', 'b200']);
    await waitForTabs(1);
    // A webview state that is not a panel state is ignored: the saved binding alone restores the panel.
    const again = await panelTest('revive', { state: { title: 42 } });
    assert.strictEqual(again.binding?.uri, s0.binding?.uri);
    assert.ok(again.state);
  });
});
