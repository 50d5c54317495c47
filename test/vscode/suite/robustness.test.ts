// Malformed, huge and hostile documents: no exception reaches the extension host (the launcher also checks the
// host log), the user's text is never changed, and the providers keep answering.
import * as assert from 'assert';
import * as vscode from 'vscode';
import {
  activate, closeAll, codeLenses, hoverText, ourDiagnostics, positionOf, resetSettings, setSetting, sleep, waitForDiagnostics,
  writeAndOpen,
} from './helpers';

const BROKEN: [string, string][] = [
  ['broken/config.json', '{\n  "architectures": ["LlamaForCausalLM"],\n  "num_hidden_layers": 32,\n  "hidden_size": '],
  ['broken/wrong-types/config.json', JSON.stringify({ architectures: 'LlamaForCausalLM', model_type: 'llama', num_hidden_layers: -3, hidden_size: 'big', num_attention_heads: 0, num_key_value_heads: null, max_position_embeddings: 1e300, vocab_size: [] }, null, 2)],
  ['broken/nan/config.json', '{ "architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": NaN, "num_hidden_layers": Infinity, "rope_theta": -Infinity }'],
  ['broken/deploy.yaml', 'apiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n        - name: vllm\n          image: vllm/vllm-openai:v0.19.0\n          args: ["--model", "meta-llama/Llama-3.1-8B", "--max-model-len\n    : : :\n\t- ]]]\n'],
  ['broken/anchors.yaml', 'a: &a [*a, *a]\nb: &b {x: *b}\nkind: Deployment\n---\n--- !!binary |\n  ????\n%YAML 9.9\n'],
  ['broken/compose.yaml', 'services:\n  vllm:\n    image: vllm/vllm-openai\n    command: --model /models/x --max-model-len ten --tensor-parallel-size -2 --gpu-memory-utilization 7\n'],
  ['broken/empty.budget.yaml', ''],
  ['broken/numbers.budget.yaml', 'model: meta-llama/Llama-3.1-8B\nmaxModelLen: 1e400\ntensorParallel: 0.5\ngpu: 12345\n'],
];

describe('robustness', function () {
  before(activate);
  after(async () => {
    await resetSettings(['limits.maxFileSizeBytes']);
    await closeAll();
  });

  for (const [rel, text] of BROKEN) {
    it(`${rel}: no crash, text untouched, providers answer`, async () => {
      const doc = await writeAndOpen(rel, text);
      await sleep(500);
      const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, doc.positionAt(Math.floor(text.length / 2)));
      assert.ok(Array.isArray(hovers));
      const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', doc.uri);
      assert.ok(Array.isArray(lenses));
      const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', doc.uri, new vscode.Range(0, 0, doc.lineCount, 0));
      assert.ok(Array.isArray(actions));
      assert.strictEqual(doc.getText(), text, 'the document is unchanged');
      for (const d of ourDiagnostics(doc.uri)) {
        assert.ok(d.range.end.line < doc.lineCount || (d.range.end.line === doc.lineCount && d.range.end.character === 0), 'diagnostics stay inside the document');
      }
    });
  }

  it('typing quickly into a config only publishes diagnostics for the final version', async () => {
    const doc = await writeAndOpen('typing/config.json', '{}');
    const editor = await vscode.window.showTextDocument(doc);
    const finalText = JSON.stringify({ architectures: ['LlamaForCausalLM'], model_type: 'llama', hidden_size: 4096, intermediate_size: 14336, num_attention_heads: 32, num_hidden_layers: 32, num_key_value_heads: 8, vocab_size: 128256, max_position_embeddings: 131072, torch_dtype: 'bfloat16' }, null, 2);
    for (let i = 1; i <= finalText.length; i += 37) {
      await editor.edit((e) => e.replace(new vscode.Range(doc.positionAt(0), doc.positionAt(doc.getText().length)), finalText.slice(0, i)));
    }
    await editor.edit((e) => e.replace(new vscode.Range(doc.positionAt(0), doc.positionAt(doc.getText().length)), finalText));
    await codeLenses(doc, /fits/);
    const text = await hoverText(doc, positionOf(doc, '"num_key_value_heads"', 3), /KV cache per token/);
    assert.ok(text.includes('131,072 B'), text);
    await vscode.commands.executeCommand('workbench.action.files.revert');
  });

  it('a document over inferenceBudget.limits.maxFileSizeBytes is not analysed', async () => {
    await setSetting('limits.maxFileSizeBytes', 2048);
    const big = JSON.stringify({ architectures: ['LlamaForCausalLM'], model_type: 'llama', hidden_size: 4096, num_attention_heads: 32, num_hidden_layers: 32, num_key_value_heads: 8, vocab_size: 128256, intermediate_size: 14336, padding: 'x'.repeat(4096) }, null, 2);
    const doc = await writeAndOpen('big/config.json', big);
    await sleep(800);
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', doc.uri);
    assert.strictEqual((lenses ?? []).filter((l) => l.command?.command?.startsWith('inferenceBudget.')).length, 0);
    assert.strictEqual(ourDiagnostics(doc.uri).length, 0);
    await resetSettings(['limits.maxFileSizeBytes']);
    await codeLenses(doc, /Inference Budget|fits|does not fit/);
  });

  it('a JSON file that is not a model config gets nothing', async () => {
    const doc = await writeAndOpen('other/package.json', JSON.stringify({ name: 'x', version: '1.0.0', scripts: { test: 'mocha' } }, null, 2));
    await sleep(600);
    await waitForDiagnostics(doc.uri, (d) => d.length === 0, 2000);
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', doc.uri);
    assert.strictEqual((lenses ?? []).filter((l) => l.command?.command?.startsWith('inferenceBudget.')).length, 0);
  });
});
