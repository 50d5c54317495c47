// Activation, commands, the default-GPU setting and custom GPUs.
import * as assert from 'assert';
import * as vscode from 'vscode';
import { activate, closeAll, codeLenses, open, resetSettings, setSetting, sleep } from './helpers';

const LLAMA = 'models/Meta-Llama-3.1-8B/config.json';

describe('commands and settings', function () {
  before(activate);
  after(async () => {
    await resetSettings(['defaultGpu', 'customGpus', 'gpuCount']);
    await closeAll();
  });

  it('registers its commands', async () => {
    const all = await vscode.commands.getCommands(true);
    for (const c of ['inferenceBudget.openRoofline', 'inferenceBudget.compareGpus', 'inferenceBudget.selectGpu']) {
      assert.ok(all.includes(c), c);
    }
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
