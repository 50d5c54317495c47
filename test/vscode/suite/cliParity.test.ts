// The editor and the CLI run the same engine: a hover shows the numbers `inference-budget --json` prints
// for the same inputs (the model config's defaults: the default GPU setting, batch 1, the settings' workload).
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as path from 'path';
import * as vscode from 'vscode';
import { EXTENSION_ID, activate, closeAll, hoverText, open, positionOf, resetSettings, workspaceRoot } from './helpers';

const LLAMA = 'models/Meta-Llama-3.1-8B/config.json';

interface CliJson {
  capacity: { estimatedMaxModelLen: number; maxConcurrency: number; maxModelLen: number };
  decode: { tokensPerSecondPerRequest: number; expected: { tokensPerSecondPerRequest: number; low: number; high: number } };
  model: { parametersTotal: number; kvBytesPerToken: number };
}

function cli(args: string[]): CliJson {
  const root = vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath;
  const out = execFileSync(process.execPath, [path.join(root, 'dist', 'cli.js'), ...args, '--json'], { encoding: 'utf8' });
  return JSON.parse(out) as CliJson;
}

describe('editor and CLI parity', function () {
  before(async () => {
    await activate();
    await resetSettings(['defaultGpu', 'gpuCount', 'engine', 'gpuMemoryUtilization', 'workload.batch', 'workload.context', 'workload.prompt']);
  });
  after(closeAll);

  it('the summary card of Llama-3.1-8B shows the CLI --json figures for the same GPU and workload', async () => {
    const settings = vscode.workspace.getConfiguration('inferenceBudget');
    const args = [path.join(workspaceRoot(), LLAMA), '--gpu', String(settings.get('defaultGpu')), '--batch', '1'];
    const context = settings.get<number | null>('workload.context');
    if (context) args.push('--context', String(context));
    args.push('--prompt', String(settings.get('workload.prompt')));
    const j = cli(args);
    const doc = await open(LLAMA);
    const text = await hoverText(doc, positionOf(doc, 'LlamaForCausalLM', 2), /Parameters/);
    const plain = text.replace(/,/g, '');
    assert.ok(plain.includes(String(j.model.parametersTotal)), `parameters ${j.model.parametersTotal}: ${text}`);
    assert.ok(plain.includes(String(j.model.kvBytesPerToken)), `KV/token ${j.model.kvBytesPerToken}: ${text}`);
    assert.ok(plain.includes(`${j.capacity.estimatedMaxModelLen} tokens`), `largest context ${j.capacity.estimatedMaxModelLen}: ${text}`);
    const c = j.capacity.maxConcurrency;
    const concurrency = c >= 100 ? String(Math.round(c)) : c >= 10 ? c.toFixed(1) : String(Number(c.toPrecision(3)));
    assert.ok(plain.includes(`${concurrency} requests`), `concurrency ${c}: ${text}`);
    const rate = j.decode.tokensPerSecondPerRequest;
    const shown = /Decode, batch 1 \| ~([\d.,]+) tok\/s expected \(([\d.,]+)–([\d.,]+)\) · ceiling ([\d.,]+) tok\/s/.exec(text);
    assert.ok(shown, text);
    const [expected, low, high, ceiling] = shown.slice(1).map((x) => Number(x.replace(/,/g, '')));
    assert.ok(Math.abs(ceiling / rate - 1) < 0.005, `decode ceiling ${ceiling} vs CLI ${rate}`);
    const e = j.decode.expected;
    for (const [a, b, what] of [[expected, e.tokensPerSecondPerRequest, 'expected'], [low, e.low, 'low'], [high, e.high, 'high']] as const) {
      assert.ok(Math.abs(a / b - 1) < 0.005, `${what} ${a} vs CLI ${b}`);
    }
  });
});
