// The language model tool's answers (src/editor/toolReport.ts): a model + GPU request becomes a budget file the
// budget reader takes; a document's analysis becomes text for the chat model plus check's JSON.
import * as assert from 'assert';
import * as path from 'path';
import { analyzeFile } from '../../../src/cli/check';
import { FileModelResolver } from '../../../src/cli/fileResolver';
import { defaultSettings } from '../../../src/analysis/settings';
import { analysisItems } from '../../../src/analysis/analyze';
import { splitGpuCount } from '../../../src/core/hardware';
import { budgetTextForRequest, TOOL_REQUEST_FILE_NAME, toolAnswer } from '../../../src/editor/toolReport';
import * as fs from 'fs';

const REPO = path.resolve(__dirname, '..', '..', '..', '..');
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

async function analyze(file: string, text = fs.readFileSync(file, 'utf8')) {
  return analyzeFile(file, text, defaultSettings(), new FileModelResolver(quiet, { workspaceFolders: [] , env: {} }), quiet);
}

describe('splitGpuCount', () => {
  it('reads a count in front of a GPU name, and leaves names that start with digits alone', () => {
    assert.deepStrictEqual(splitGpuCount('4xH100'), { gpu: 'H100', count: 4 });
    assert.deepStrictEqual(splitGpuCount('8x A100-80GB'), { gpu: 'A100-80GB', count: 8 });
    assert.deepStrictEqual(splitGpuCount('2*L40S'), { gpu: 'L40S', count: 2 });
    assert.deepStrictEqual(splitGpuCount(' 2 × H200 '), { gpu: 'H200', count: 2 });
    assert.deepStrictEqual(splitGpuCount('4090'), { gpu: '4090' });
    assert.deepStrictEqual(splitGpuCount('RTX 4090'), { gpu: 'RTX 4090' });
    assert.deepStrictEqual(splitGpuCount('0xH100'), { gpu: '0xH100' });
  });
});

describe('budgetTextForRequest', () => {
  it('writes the request as a budget file: hardware, engine settings and workload by the schema\'s names', () => {
    const r = budgetTextForRequest({ model: 'meta-llama/Llama-3.1-8B-Instruct', gpu: '2xH100', engine: 'vllm@0.11.0', maxModelLen: 32768, tensorParallel: 2, promptTokens: 4096 });
    assert.ok(r.ok);
    assert.deepStrictEqual(JSON.parse(r.text), {
      name: 'meta-llama/Llama-3.1-8B-Instruct', model: 'meta-llama/Llama-3.1-8B-Instruct',
      hardware: { gpu: 'H100', count: 2 },
      engine: { name: 'vllm', version: '0.11.0', tensorParallel: 2, maxModelLen: 32768 },
      workload: { promptTokens: 4096 },
    });
  });
  it('refuses a request with no model, or whose GPU count contradicts gpuCount', () => {
    assert.strictEqual(budgetTextForRequest({ gpu: 'H100' }).ok, false);
    const r = budgetTextForRequest({ model: 'x/y', gpu: '4xH100', gpuCount: 2 });
    assert.ok(!r.ok && /4 GPUs.*gpuCount says 2/.test(r.message));
  });
  it('the budget reader sizes the request: Llama-3.1-8B KV per token from its shapes (32 layers × 8 KV heads × 128 × 2 × 2 bytes)', async () => {
    const r = budgetTextForRequest({ model: path.join(REPO, 'examples/models/Llama-3.1-8B'), gpu: '2xH100', tensorParallel: 2, maxModelLen: 8192 });
    assert.ok(r.ok);
    const analysis = await analyze(path.join(REPO, TOOL_REQUEST_FILE_NAME), r.text);
    const result = analysisItems(analysis)[0];
    assert.ok(result?.status === 'sized', JSON.stringify(result));
    assert.strictEqual(result.report.model.kvBytesPerToken, 32 * 8 * 128 * 2 * 2);
    assert.strictEqual(result.report.hardware.count, 2);
    assert.strictEqual(result.report.settings.tensorParallel, 2);
    assert.strictEqual(result.report.capacity.maxModelLen, 8192);
  });
});

describe('toolAnswer', () => {
  it('the walkthrough example: does not fit, with the KV per request worked out from the shapes, and check\'s JSON', async () => {
    const file = path.join(REPO, 'examples/walkthrough/llama-8b-on-l4.yaml');
    const answer = toolAnswer('llama-8b-on-l4.yaml', await analyze(file));
    // 131,072 tokens × 131,072 bytes per token = 16 GiB.
    assert.strictEqual((131072 * 32 * 8 * 128 * 2 * 2) / 2 ** 30, 16);
    assert.match(answer.text, /^## .*: does not fit$/m);
    assert.match(answer.text, /16\.00 GiB/);
    assert.match(answer.text, /NVIDIA L4/);
    assert.strictEqual(answer.data.path, 'llama-8b-on-l4.yaml');
    assert.strictEqual(answer.data.deployments.length, 1);
    const d = answer.data.deployments[0];
    assert.strictEqual(d.fits, false);
    assert.strictEqual(d.modelId, 'meta-llama/Llama-3.1-8B-Instruct');
    const line = fs.readFileSync(file, 'utf8').split('\n').findIndex((l) => l.includes('"131072"')) + 1;
    assert.ok(d.diagnostics.some((x) => x.severity === 'error' && x.line === line), JSON.stringify(d.diagnostics));
  });
  it('a file with nothing to size says so', async () => {
    const answer = toolAnswer('notes.yaml', await analyze(path.join(REPO, 'notes.yaml'), 'just: text\n'));
    assert.match(answer.text, /no deployment or model config/);
    assert.strictEqual(answer.data.deployments.length, 0);
  });
});
