// One verdict per deployment, shown alike everywhere (issue 14, items 1 and 3), in a real VS Code: CodeLens and
// hover never say "fits" next to an error; a YAML string cut short is "not sized: fix the syntax first"; a bare
// config.json that does not fit the default GPU is no red error; idle GPUs are a warning. The expected facts are
// worked out here from the config (32 heads, 8 KV heads: vLLM refuses TP 3).
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import {
  activate, closeAll, codeLenses, codeOf, describeDiagnostic, hoverText, ourDiagnostics, positionOf, resetSettings, sleep,
  waitForCode, waitForDiagnostics, workspaceRoot, writeAndOpen,
} from './helpers';

const LLAMA = 'models/Meta-Llama-3.1-8B/config.json';

function llamaConfig(): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(path.join(workspaceRoot(), LLAMA), 'utf8')) as Record<string, unknown>;
}

/** A vLLM config file serving the workspace's Llama-3.1-8B. */
const vllmConfig = (tp: number) => `model: ../models/Meta-Llama-3.1-8B\ntensor-parallel-size: ${tp}\nmax-model-len: 8192\ngpu-memory-utilization: 0.9\n`;

/** A Kubernetes Deployment of the same model (the model found by its folder name, as deploy/llama-8b-l4.yaml is). */
const k8s = (args: string[], gpus: number) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: llama
spec:
  template:
    spec:
      containers:
        - name: vllm
          image: vllm/vllm-openai:v0.19.0
          args:
${args.map((a) => `            - ${a}`).join('\n')}
          resources:
            limits:
              nvidia.com/gpu: ${gpus}
          volumeMounts:
            - name: models
              mountPath: /models
`;

const titles = (lenses: vscode.CodeLens[]) => lenses.map((l) => l.command?.title ?? '');

describe('issue 14 verdict: one verdict per deployment, shown alike', function () {
  before(async () => {
    await activate();
    await resetSettings(['defaultGpu', 'gpuCount', 'workload.batch', 'workload.context']);
  });
  after(closeAll);

  it('TP 3 on a model with 32 heads and 8 KV heads: errors, and neither CodeLens nor hover says "fits"', async () => {
    const cfg = llamaConfig();
    // vLLM: heads % TP must be 0 (32 % 3 = 2), and KV heads % TP when TP is smaller (8 % 3 = 2).
    assert.strictEqual((cfg.num_attention_heads as number) % 3, 2);
    assert.strictEqual((cfg.num_key_value_heads as number) % 3, 2);
    const doc = await writeAndOpen('verdict/tp3.vllm.yaml', vllmConfig(3));
    const kv = await waitForCode(doc.uri, 'kv-heads-not-divisible');
    assert.strictEqual(kv.severity, vscode.DiagnosticSeverity.Error);
    assert.strictEqual(doc.getText(kv.range), '3');
    assert.ok(ourDiagnostics(doc.uri).some((d) => codeOf(d) === 'heads-not-divisible' && d.severity === vscode.DiagnosticSeverity.Error));
    const lenses = await codeLenses(doc, /Meta-Llama-3\.1-8B on/);
    for (const t of titles(lenses)) {
      assert.doesNotMatch(t, /\$\(pass\)|\bfits\b|max concurrency/, t);
      assert.match(t, /\$\(error\) attention heads not divisible by TP 3/, t);
    }
    // The model's card and the TP value's hover: the verdict, never "Fits".
    const card = await hoverText(doc, positionOf(doc, 'Meta-Llama', 2), /Verdict/);
    assert.doesNotMatch(card, /\$\(pass\)|\bFits\b|\| \$\(pass\) fits/, card);
    assert.match(card, /\| Verdict \| \$\(error\) /);
    assert.match(card, /Will not start/);
    const tp = await hoverText(doc, positionOf(doc, 'tensor-parallel-size', 3), /TP 3/);
    assert.match(tp, /Will not start/);
    assert.doesNotMatch(tp, /\bFits\b|\$\(pass\)/);
    const len = await hoverText(doc, positionOf(doc, 'max-model-len', 3), /max_model_len/);
    assert.doesNotMatch(len, /\bFits\b|\$\(pass\)/);
  });

  it('the same model at TP 2 fits, and says so', async () => {
    const doc = await writeAndOpen('verdict/tp2.vllm.yaml', vllmConfig(2));
    const [lens] = await codeLenses(doc, /\$\(pass\) fits/);
    assert.match(lens.command!.title, /TP 2/);
    await sleep(300);
    const errors = ourDiagnostics(doc.uri).filter((d) => d.severity === vscode.DiagnosticSeverity.Error);
    assert.deepStrictEqual(errors.map(describeDiagnostic), []);
  });

  it('a truncated YAML string ("32768 cut short) is "not sized: fix the syntax first", with no sized CodeLens', async () => {
    const text = k8s(['--model', '/models/Meta-Llama-3.1-8B', '--max-model-len', '"32768'], 1);
    const doc = await writeAndOpen('verdict/truncated.yaml', text);
    const d = await waitForCode(doc.uri, 'syntax-error');
    assert.strictEqual(d.severity, vscode.DiagnosticSeverity.Information);
    assert.match(d.message, /^Not sized: fix the syntax first \(YAML: /);
    const lenses = await codeLenses(doc, /fix the syntax first/);
    assert.ok(lenses.length >= 1);
    for (const t of titles(lenses)) assert.doesNotMatch(t, /\bfits\b|does not fit|max concurrency|tok\/s|3,276/, t);
    // No finding sized from the fragment.
    await sleep(300);
    const sized = ourDiagnostics(doc.uri).filter((x) => /fit|max-num-seqs|heads|gpus/.test(codeOf(x)));
    assert.deepStrictEqual(sized.map(describeDiagnostic), []);
    // The syntax error itself is said (an error), once.
    assert.strictEqual(ourDiagnostics(doc.uri).filter((x) => x.severity === vscode.DiagnosticSeverity.Error && /^YAML: /.test(x.message)).length, 1);
  });

  it('a bare config.json that does not fit the default GPU has no Error-severity diagnostic', async () => {
    // Llama-3.1-70B's shapes: 80 layers of 8,192 wide, 64 heads, 8 KV heads, MLP 28,672: ~70.6 B parameters,
    // ~141 GB in bf16, far above one 80 GB H100 (the default GPU).
    const cfg = { ...llamaConfig(), hidden_size: 8192, intermediate_size: 28672, num_attention_heads: 64, num_hidden_layers: 80 };
    const params = 80 * (8192 * (64 + 2 * 8) * 128 + 64 * 128 * 8192 + 3 * 8192 * 28672 + 2 * 8192) + 2 * 8192 * 128256 + 8192;
    assert.ok(params * 2 > 80e9, String(params));
    const doc = await writeAndOpen('verdict/Huge-Llama/config.json', JSON.stringify(cfg, null, 2));
    const d = await waitForCode(doc.uri, 'weights-do-not-fit');
    assert.strictEqual(d.severity, vscode.DiagnosticSeverity.Information);
    await sleep(300);
    assert.deepStrictEqual(ourDiagnostics(doc.uri).filter((x) => x.severity === vscode.DiagnosticSeverity.Error).map(describeDiagnostic), []);
    const [lens] = await codeLenses(doc, /weights do not fit/);
    assert.match(lens.command!.title, /\$\(info\) weights do not fit/);
    assert.doesNotMatch(lens.command!.title, /\$\(pass\)|\$\(error\)|\bfits\b/);
  });

  it('a config.json with a JSON syntax error is not sized, and its syntax error is left to VS Code\'s JSON service', async () => {
    const text = JSON.stringify(llamaConfig(), null, 2).replace('"hidden_size": 4096,', '"hidden_size": 4096');
    const doc = await writeAndOpen('verdict/Broken-Llama/config.json', text);
    const d = await waitForCode(doc.uri, 'syntax-error');
    assert.strictEqual(d.severity, vscode.DiagnosticSeverity.Information);
    assert.match(d.message, /fix the syntax first/);
    const lenses = await codeLenses(doc, /fix the syntax first/);
    for (const t of titles(lenses)) assert.doesNotMatch(t, /\bfits\b|\$\(pass\)/, t);
    await sleep(300);
    assert.deepStrictEqual(ourDiagnostics(doc.uri).filter((x) => /^JSON: /.test(x.message)).map(describeDiagnostic), [], 'no duplicate of the JSON service');
  });

  it('4 GPUs at TP 2 gives a gpus-idle warning on the GPU count', async () => {
    const text = k8s(['--model', '/models/Meta-Llama-3.1-8B', '--max-model-len', '"8192"', '--tensor-parallel-size', '"2"'], 4);
    const doc = await writeAndOpen('verdict/idle.yaml', text);
    const d = await waitForCode(doc.uri, 'gpus-idle');
    assert.strictEqual(d.severity, vscode.DiagnosticSeverity.Warning);
    assert.strictEqual(d.message, '4 GPUs requested, TP 2 × PP 1 uses 2: 2 idle');
    assert.strictEqual(doc.getText(d.range), '4');
    await waitForDiagnostics(doc.uri, (ds) => !ds.some((x) => x.severity === vscode.DiagnosticSeverity.Error));
  });
});
