// Quick fixes leave a valid, fitting file: in a real VS Code, the fix for tensor parallelism raises the GPUs the
// manifest requests with it (no new error), and the fix for an unknown GPU label writes a valid label value.
import * as assert from 'assert';
import * as vscode from 'vscode';
import { activate, applyFix, closeAll, codeOf, describeDiagnostic, ourDiagnostics, resetSettings, waitForCode, waitForDiagnostics, writeAndOpen } from './helpers';

/** Kubernetes label values (the API server's grammar). */
const LABEL_VALUE = /^(?=.{1,63}$)[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

function manifest(label: string, gpus: string): string {
  return [
    'apiVersion: apps/v1',
    'kind: Deployment',
    'metadata:',
    '  name: llama-8b',
    'spec:',
    '  template:',
    '    spec:',
    '      nodeSelector:',
    `        nvidia.com/gpu.product: ${label}`,
    '      containers:',
    '        - name: vllm',
    '          image: vllm/vllm-openai:v0.19.0',
    '          args:',
    '            - --model',
    '            - /models/Meta-Llama-3.1-8B',
    '            - --max-model-len',
    '            - "131072"',
    '          resources:',
    '            limits:',
    `              nvidia.com/gpu: ${gpus}`,
    '            requests:',
    `              nvidia.com/gpu: ${gpus}`,
    '',
  ].join('\n');
}

const noError = (ds: vscode.Diagnostic[]) => !ds.some((d) => d.severity === vscode.DiagnosticSeverity.Error);

describe('quick fixes leave a valid, fitting file', function () {
  before(async () => {
    await activate();
    await resetSettings(['defaultGpu', 'gpuCount', 'workload.batch', 'hub.allowDownload']);
  });
  after(closeAll);

  it('the tensor parallel fix on a manifest with nvidia.com/gpu: "1" raises the GPUs too, leaving no error', async () => {
    // Llama-3.1-8B at 131,072 tokens on one L4: 16 GiB of KV for one request does not fit beside 15 GiB of weights.
    const doc = await writeAndOpen('deploy/fix-tp.yaml', manifest('NVIDIA-L4', '"1"'));
    const d = await waitForCode(doc.uri, 'kv-does-not-fit');
    const before = doc.getText();
    const after = await applyFix(doc, d.range, /^Raise tensor parallelism to 2 and request 2 GPUs$/);
    assert.strictEqual(after, before
      .replace('            - "131072"\n', '            - "131072"\n            - --tensor-parallel-size\n            - "2"\n')
      .replace(/nvidia\.com\/gpu: "1"/g, 'nvidia.com/gpu: "2"'));
    const ds = await waitForDiagnostics(doc.uri, (x) => noError(x) && !x.some((y) => codeOf(y) === 'kv-does-not-fit'));
    assert.ok(!ds.some((x) => codeOf(x) === 'parallel-exceeds-gpus'), ds.map(describeDiagnostic).join('\n'));
  });

  it('the unknown GPU label fix writes a valid label value for nvidia.com/gpu.product', async () => {
    const doc = await writeAndOpen('deploy/fix-label.yaml', manifest('H300-192GB', '"1"'));
    const d = await waitForCode(doc.uri, 'unknown-gpu');
    assert.strictEqual(doc.getText(d.range), 'H300-192GB');
    assert.doesNotMatch(d.message, /V100/);
    const after = await applyFix(doc, d.range, /^Use GPU NVIDIA-H200 /);
    const value = /nvidia\.com\/gpu\.product: (.*)\n/.exec(after)![1];
    assert.strictEqual(value, 'NVIDIA-H200');
    assert.match(value, LABEL_VALUE);
    await waitForDiagnostics(doc.uri, (ds) => noError(ds) && ds.length >= 0 && !ourDiagnostics(doc.uri).some((x) => codeOf(x) === 'unknown-gpu'));
  });
});
