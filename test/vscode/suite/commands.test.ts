// Activation, commands, the default-GPU setting and custom GPUs.
import * as assert from 'assert';
import * as vscode from 'vscode';
import * as path from 'path';
import type { BudgetReport } from '../../../src/core/types';
import { GGML, GgufMeta, tensor, writeGguf } from '../../unit/cli/ggufWriter';
import { COMMAND } from '../../../src/editor/commandTable';
import { activate, closeAll, codeLenses, hoverText, open, positionOf, resetSettings, setSetting, sleep, workspaceRoot } from './helpers';

const LLAMA = 'models/Meta-Llama-3.1-8B/config.json';

describe('commands and settings', function () {
  before(activate);
  after(async () => {
    await resetSettings(['defaultGpu', 'customGpus', 'gpuCount']);
    await closeAll();
  });

  it('registers every command of the command table, and contributes exactly the public ones', async () => {
    const all = await vscode.commands.getCommands(true);
    for (const c of Object.values(COMMAND)) assert.ok(all.includes(c), c);
    const ext = vscode.extensions.getExtension('inference-budget.inference-budget')!;
    const contributed = (ext.packageJSON.contributes.commands as { command: string }[]).map((c) => c.command);
    assert.deepStrictEqual(contributed.filter((c) => !(Object.values(COMMAND) as string[]).includes(c)), [], 'every contributed command is in the table');
    for (const c of ['inferenceBudget.openRoofline', 'inferenceBudget.compareGpus', 'inferenceBudget.selectGpu', 'inferenceBudget.sizeGgufFile', 'inferenceBudget.openExample']) {
      assert.ok(contributed.includes(c), c);
    }
  });

  it('Size GGUF File sizes a GGUF file from its header with llama.cpp\'s rules and shows the report', async () => {
    // A one-layer Llama in Q4_K (144 bytes per 256 values) with F32 norms, written here.
    const meta: Array<[string, GgufMeta]> = [
      ['general.architecture', 'llama'], ['general.name', 'tiny-gguf'], ['general.file_type', 15], ['llama.block_count', 1],
      ['llama.embedding_length', 256], ['llama.attention.head_count', 4], ['llama.attention.head_count_kv', 2],
      ['llama.attention.key_length', 64], ['llama.feed_forward_length', 512], ['llama.context_length', 2048],
      ['tokenizer.ggml.tokens', { strings: Array.from({ length: 512 }, (_, i) => `t${i}`) }],
    ];
    const onGpu = [
      tensor('output_norm.weight', [256], GGML.F32), tensor('output.weight', [256, 512], GGML.Q4_K),
      tensor('blk.0.attn_norm.weight', [256], GGML.F32), tensor('blk.0.attn_q.weight', [256, 256], GGML.Q4_K),
      tensor('blk.0.attn_k.weight', [256, 128], GGML.Q4_K), tensor('blk.0.attn_v.weight', [256, 128], GGML.Q4_K),
      tensor('blk.0.attn_output.weight', [256, 256], GGML.Q4_K), tensor('blk.0.ffn_norm.weight', [256], GGML.F32),
      tensor('blk.0.ffn_gate.weight', [256, 512], GGML.Q4_K), tensor('blk.0.ffn_up.weight', [256, 512], GGML.Q4_K),
      tensor('blk.0.ffn_down.weight', [512, 256], GGML.Q4_K),
    ];
    const file = path.join(workspaceRoot(), 'models', 'tiny-gguf-Q4_K_M.gguf');
    writeGguf(file, meta, [tensor('token_embd.weight', [256, 512], GGML.Q4_K), ...onGpu]);
    const r = await vscode.commands.executeCommand<BudgetReport | undefined>('inferenceBudget.sizeGgufFile', vscode.Uri.file(file));
    assert.ok(r, 'a report');
    assert.strictEqual(r.model.name, 'tiny-gguf');
    assert.strictEqual(r.settings.engine, 'llamacpp');
    // llama.cpp keeps the input embedding on the host: the GPU holds every other tensor, byte for byte.
    assert.strictEqual(r.perGpu.weightBytes, onGpu.reduce((t, x) => t + x.bytes, 0));
    // f16 K and V of 2 × 64 per token for the whole 2,048-token context.
    assert.strictEqual(r.perGpu.kvCacheBytes, 2 * 2 * 64 * 2 * 2048);
    const shown = vscode.workspace.textDocuments.find((d) => d.isUntitled && d.getText().includes('tiny-gguf'));
    assert.ok(shown, 'the report is shown in an editor');
    assert.match(shown.getText(), /llama\.cpp/);
  });

  it('the manifest activates on JSON/YAML and budget files only (no "*"), and declares trust and virtual workspace support', () => {
    const pkg = vscode.extensions.getExtension('inference-budget.inference-budget')!.packageJSON;
    const events: string[] = pkg.activationEvents;
    assert.ok(!events.includes('*'), 'no * activation');
    for (const e of ['onLanguage:json', 'onLanguage:yaml', 'workspaceContains:**/*.budget.yaml']) assert.ok(events.includes(e), e);
    assert.strictEqual(pkg.capabilities.untrustedWorkspaces.supported, 'limited');
    assert.ok(pkg.capabilities.untrustedWorkspaces.restrictedConfigurations.includes('inferenceBudget.hub.allowDownload'));
    assert.ok(pkg.capabilities.virtualWorkspaces);
    assert.strictEqual(pkg.contributes.configuration.properties['inferenceBudget.hub.allowDownload'].default, false);
    assert.ok(pkg.contributes.yamlValidation.some((v: { fileMatch: string[] }) => v.fileMatch.includes('*.budget.yaml')));
  });

  it('selectGpu with an alias writes the catalog id to inferenceBudget.defaultGpu, and the CodeLens follows', async () => {
    const doc = await open(LLAMA);
    await codeLenses(doc, /H100/);
    const id = await vscode.commands.executeCommand<string>('inferenceBudget.selectGpu', 'NVIDIA A100-SXM4-80GB');
    assert.strictEqual(id, 'a100-sxm-80gb');
    assert.strictEqual(vscode.workspace.getConfiguration('inferenceBudget').get('defaultGpu'), 'a100-sxm-80gb');
    await codeLenses(doc, /A100/);
    await resetSettings(['defaultGpu']);
    await codeLenses(doc, /H100/);
  });

  it('selectGpu with an unknown name changes nothing', async () => {
    const before = vscode.workspace.getConfiguration('inferenceBudget').inspect('defaultGpu')?.workspaceValue;
    const id = await vscode.commands.executeCommand<string | undefined>('inferenceBudget.selectGpu', 'Quantum Flux 9000');
    assert.strictEqual(id, undefined);
    assert.strictEqual(vscode.workspace.getConfiguration('inferenceBudget').inspect('defaultGpu')?.workspaceValue, before);
  });

  it('a valid custom GPU can be the default; an invalid one is ignored without breaking anything', async () => {
    await setSetting('customGpus', [
      {
        id: 'lab-card-48', name: 'Lab Card 48GB', vendor: 'nvidia', memoryBytes: 48e9, memoryBandwidthBytesPerSecond: 1e12,
        flopsPerSecond: { bf16: 2e14 }, interconnect: { kind: 'pcie', bandwidthBytesPerSecond: 64e9 }, aliases: ['labcard'], source: 'test',
      },
      { id: 'broken', name: 'Broken', memoryBytes: -1 },
      'not an object',
    ]);
    await setSetting('defaultGpu', 'labcard');
    const doc = await open(LLAMA);
    const lenses = await codeLenses(doc, /Lab Card 48GB/);
    assert.strictEqual(lenses.length, 1);
    await resetSettings(['customGpus', 'defaultGpu']);
    await codeLenses(doc, /H100/);
  });

  it('a custom GPU name with Markdown in it is shown as text in every hover: no command link, no remote image', async () => {
    const evil = 'Evil [click](command:inferenceBudget.selectGpu?%5B%22h100%22%5D) ![x](https://example.invalid/b.png)';
    await setSetting('customGpus', [{
      id: 'evil-card', name: evil, vendor: 'nvidia', memoryBytes: 48e9, memoryBandwidthBytesPerSecond: 1e12,
      flopsPerSecond: { bf16: 2e14 }, interconnect: { kind: 'pcie', bandwidthBytesPerSecond: 64e9 }, aliases: ['evilcard'], source: 'test',
    }]);
    await setSetting('defaultGpu', 'evilcard');
    const doc = await open(LLAMA);
    for (const key of ['"max_position_embeddings"', '"num_key_value_heads"', '"torch_dtype"', 'LlamaForCausalLM']) {
      const text = await hoverText(doc, positionOf(doc, key, 3), /Evil/);
      // Our own links are [..](command:inferenceBudget.openRoofline?…) and compareGpus; the name's must be escaped.
      assert.doesNotMatch(text, /(^|[^\\])\]\(command:inferenceBudget\.selectGpu/, `${key}: ${text}`);
      assert.doesNotMatch(text, /(^|[^\\])!\[/, `${key}: ${text}`);
    }
    await resetSettings(['customGpus', 'defaultGpu']);
    await codeLenses(doc, /H100/);
  });

  it('openRoofline and compareGpus find the deployment from CodeLens arguments and from the cursor', async () => {
    const doc = await open(LLAMA);
    const [lens] = await codeLenses(doc, /fits/);
    const fromLens = await vscode.commands.executeCommand<{ label: string; index: number; inputs: { gpu?: string } }>(
      lens.command!.command, ...(lens.command!.arguments ?? []));
    assert.ok(fromLens, 'a target');
    assert.strictEqual(fromLens.index, 0);
    assert.strictEqual(fromLens.inputs.gpu, 'H100');
    const fromCursor = await vscode.commands.executeCommand<{ index: number }>('inferenceBudget.compareGpus');
    assert.strictEqual(fromCursor?.index, 0);
    await sleep(100);
  });
});
