// Broken documents are not sized from fragments (issue 14, item 3), and what the editor and `check` show follows
// the engine's one verdict (item 1): a deployment whose YAML document holds a syntax error is "not sized: fix the
// syntax first"; a config.json with JSON syntax errors is not sized either, and its syntax errors are left to VS
// Code's JSON service when the document is one it validates; a bare config.json that does not fit the default GPU
// shows information, not a red error; CodeLens never says "fits" beside an error.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { analysisItems, analysisProblems, analyzeDocument, AnalysisHost, AnalyzedItem, DocumentAnalysis, DocumentInput, documentKindOf } from '../../src/analysis/analyze';
import { documentFindings, Finding } from '../../src/analysis/findings';
import type { Resolution } from '../../src/analysis/modelResolver';
import { defaultSettings } from '../../src/analysis/settings';
import { loadModelFiles } from '../../src/cli/modelFiles';
import { CONFIGS } from '../../scripts/groundTruth';
import { loadWithStub, makeVscodeStub } from './cli/vscodeStub';

const LLAMA_DIR = path.join(CONFIGS, 'llama3.1/Meta-Llama-3.1-8B');
const LLAMA_70B_DIR = path.join(CONFIGS, 'llama3.1/Meta-Llama-3.1-70B');
const log = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** Every model name resolves to the corpus's Llama-3.1-8B (the model is not what these tests are about). */
const host: AnalysisHost = {
  resolveAll: (refs) => refs.map(async (): Promise<Resolution> => {
    const loaded = loadModelFiles(LLAMA_DIR);
    if (!loaded.ok) throw new Error(loaded.message);
    return { ok: true, model: { files: loaded.files, source: 'workspace', location: LLAMA_DIR } };
  }),
  filesBeside: async (config) => ({ config }),
};

async function analyze(fileName: string, text: string, languageId?: string): Promise<DocumentAnalysis> {
  const doc: DocumentInput = { uri: `file:///ws/${fileName}`, fileName: `/ws/${fileName}`, version: 1, text, ...(languageId ? { languageId } : {}) };
  return analyzeDocument(doc, defaultSettings(), host, log);
}

const k8s = (args: string[], gpus = '1', extra = ''): string => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: llm
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
${extra}`;

const ARGS = ['--model', 'meta-llama/Llama-3.1-8B', '--max-model-len', '"32768"'];
const sizingCodes = new Set(['kv-does-not-fit', 'weights-do-not-fit', 'context-does-not-fit', 'max-num-seqs-above-capacity', 'heads-not-divisible', 'kv-heads-not-divisible', 'gpus-idle', 'parallel-exceeds-gpus']);
const itemFindings = (a: DocumentAnalysis, index: number): Finding[] => documentFindings(a).filter((f) => f.item === index);

/** lensTitle from the editor, loaded with `vscode` stubbed (the title itself is a pure function of the item). */
function lensTitleOf(item: AnalyzedItem): string {
  const loaded = loadWithStub<{ lensTitle: (i: AnalyzedItem) => string }>([require.resolve('../../src/editor/codeLens')], makeVscodeStub());
  try {
    return loaded.modules[0].lensTitle(item);
  } finally {
    loaded.restore();
  }
}

describe('broken documents are not sized from fragments', function () {
  this.timeout(20_000);

  it('control: the intact deployment is sized with max_model_len 32,768', async () => {
    const a = await analyze('deploy.yaml', k8s(ARGS));
    const item = analysisItems(a)[0];
    assert.ok(item.status === 'sized');
    assert.strictEqual(item.report.settings.maxModelLen, 32768);
  });

  it('a YAML string cut short ("32768 with no closing quote) is "not sized: fix the syntax first", with no sizing findings', async () => {
    const text = k8s(ARGS).replace('"32768"', '"32768');
    const a = await analyze('deploy.yaml', text);
    assert.strictEqual(documentKindOf(a), 'kubernetes');
    // The reader alone would have read a fragment: never 32,768, and sized it.
    assert.ok(analysisProblems(a).some((p) => p.severity === 'error' && /^YAML: /.test(p.message)), JSON.stringify(analysisProblems(a)));
    const item = analysisItems(a)[0];
    assert.ok(item.status === 'not-sized', 'the engine is not run');
    assert.strictEqual(item.notSized.code, 'syntax-error');
    assert.strictEqual(item.notSized.summary, 'fix the syntax first');
    const findings = itemFindings(a, 0);
    assert.deepStrictEqual(findings.map((f) => [f.code, f.severity]), [['syntax-error', 'information']]);
    assert.match(findings[0].message, /^Not sized: fix the syntax first \(YAML: .*line \d+\)/);
    assert.ok(!findings.some((f) => sizingCodes.has(f.code)));
    // The syntax error itself stays a finding of the document (an error on its range).
    assert.ok(documentFindings(a).some((f) => f.item === undefined && f.severity === 'error' && /^YAML: /.test(f.message)));
    const title = lensTitleOf(item);
    assert.match(title, /not sized \(fix the syntax first\)/);
    assert.doesNotMatch(title, /fits|max concurrency|tok\/s/);
  });

  it('a syntax error in another YAML document of the file leaves this deployment sized', async () => {
    const good = k8s(ARGS);
    const broken = k8s(ARGS).replace('"32768"', '"32768').replace('name: llm', 'name: broken');
    for (const [text, sized] of [[`${good}---\n${broken}`, [true, false]], [`${broken}---\n${good}`, [false, true]]] as const) {
      const a = await analyze('deploy.yaml', text);
      assert.strictEqual(analysisItems(a).length, 2);
      analysisItems(a).forEach((item, i) => {
        if (sized[i]) {
          assert.ok(item.status === 'sized', `${i}: ${JSON.stringify(item)}`);
          assert.strictEqual(item.report.settings.maxModelLen, 32768);
        } else {
          assert.ok(item.status === 'not-sized', String(i));
          assert.strictEqual(item.notSized.code, 'syntax-error', String(i));
        }
      });
    }
  });

  it('a config.json with a JSON syntax error is not sized; VS Code\'s JSON service owns the syntax error (no duplicate)', async () => {
    const text = fs.readFileSync(path.join(LLAMA_DIR, 'config.json'), 'utf8');
    // Drop the comma after the first value: `"a": 1 "b": 2`.
    const broken = text.replace(/,(\s*\n)/, '$1');
    assert.notStrictEqual(broken, text);
    const inEditor = await analyze('config.json', broken, 'json');
    assert.strictEqual(inEditor.kind, 'model-config');
    const item = analysisItems(inEditor)[0];
    assert.ok(item.status === 'not-sized', 'not sized, never shown as fits');
    assert.strictEqual(item.notSized.code, 'syntax-error');
    const findings = documentFindings(inEditor);
    assert.ok(!findings.some((f) => /^JSON: /.test(f.message)), 'no JSON syntax error beside VS Code\'s own');
    assert.deepStrictEqual(findings.map((f) => [f.code, f.severity]), [['syntax-error', 'information']]);
    assert.match(findings[0].message, /^Not sized: fix the syntax first \(JSON: /);
    assert.match(lensTitleOf(item), /not sized \(fix the syntax first\)/);
    // Where no JSON service runs (the CLI names no language), the syntax error is said.
    const inCli = await analyze('config.json', broken);
    assert.ok(documentFindings(inCli).some((f) => f.item === undefined && f.severity === 'error' && /^JSON: /.test(f.message)));
    const inCliItem = analysisItems(inCli)[0];
    assert.strictEqual(inCliItem.status === 'not-sized' && inCliItem.notSized.code, 'syntax-error');
    // The intact config is sized.
    const intact = await analyze('config.json', text, 'json');
    assert.strictEqual(analysisItems(intact)[0].status, 'sized');
  });

  it('a bare config.json that does not fit the default GPU shows information, not an error; its CodeLens does not say fits', async () => {
    const text = fs.readFileSync(path.join(LLAMA_70B_DIR, 'config.json'), 'utf8');
    const a = await analyze('config.json', text, 'json');
    const item = analysisItems(a)[0];
    assert.ok(item.status === 'sized');
    // 70.6 B parameters in bf16 (141 GB) on one 80 GB H100: the weights do not fit.
    assert.strictEqual(item.report.capacity.weightsFit, false);
    assert.strictEqual(item.report.capacity.fits, false);
    const findings = documentFindings(a);
    assert.ok(findings.some((f) => f.code === 'weights-do-not-fit' && f.severity === 'information'));
    assert.ok(!findings.some((f) => f.severity === 'error'), JSON.stringify(findings.filter((f) => f.severity === 'error')));
    const title = lensTitleOf(item);
    assert.match(title, /\$\(info\) weights do not fit/);
    assert.doesNotMatch(title, /\$\(error\)|\$\(pass\)|\bfits\b/);
  });

  it('CodeLens says no "fits" next to an error: 8 KV heads at TP 3', async () => {
    const a = await analyze('deploy.yaml', k8s([...ARGS, '--tensor-parallel-size', '"3"'], '3'));
    const item = analysisItems(a)[0];
    assert.ok(item.status === 'sized');
    assert.strictEqual(item.report.capacity.contextFits, true, 'the KV cache alone would hold it');
    const findings = itemFindings(a, 0);
    assert.ok(findings.some((f) => f.code === 'kv-heads-not-divisible' && f.severity === 'error'));
    assert.ok(findings.some((f) => f.code === 'heads-not-divisible' && f.severity === 'error'));
    // Both on the tensor parallel value.
    for (const f of findings.filter((x) => /heads-not-divisible/.test(x.code))) assert.strictEqual(a.text.slice(f.range.start, f.range.end), '3');
    const title = lensTitleOf(item);
    assert.match(title, /\$\(error\) attention heads not divisible by TP 3 \(\+1 more\)/);
    assert.doesNotMatch(title, /\$\(pass\)|\bfits\b|max concurrency/);
    // The status bar's tooltip says the same words for the active file.
    const loaded = loadWithStub<{ fileVerdicts: (i: readonly AnalyzedItem[]) => string[] }>([require.resolve('../../src/editor/statusBar')], makeVscodeStub());
    try {
      assert.deepStrictEqual(loaded.modules[0].fileVerdicts(analysisItems(a)), [`${item.label}: attention heads not divisible by TP 3 (+1 more)`]);
    } finally {
      loaded.restore();
    }
  });

  it('4 GPUs at TP 2: a gpus-idle warning on the GPU count', async () => {
    const a = await analyze('deploy.yaml', k8s([...ARGS, '--tensor-parallel-size', '"2"'], '4'));
    const f = itemFindings(a, 0).find((x) => x.code === 'gpus-idle')!;
    assert.strictEqual(f.severity, 'warning');
    assert.strictEqual(f.message, '4 GPUs requested, TP 2 × PP 1 uses 2: 2 idle');
    assert.strictEqual(a.text.slice(f.range.start, f.range.end), '4');
    assert.match(lensTitleOf(analysisItems(a)[0]), /\$\(pass\) fits/);
  });

  it('an accelerator not in the catalog does not hide the heads rules (they need no GPU)', async () => {
    const text = k8s([...ARGS, '--tensor-parallel-size', '"3"'], '3').replace('nvidia.com/gpu', 'amd.com/gpu');
    const a = await analyze('deploy.yaml', text);
    const item = analysisItems(a)[0];
    assert.ok(item.status === 'not-sized');
    assert.match(item.notSized.code, /^accelerator-/);
    const findings = itemFindings(a, 0);
    // 32 heads and 8 KV heads: TP 3 divides neither.
    assert.deepStrictEqual(findings.filter((f) => f.severity === 'error').map((f) => f.code), ['heads-not-divisible', 'kv-heads-not-divisible']);
    const ok = await analyze('deploy.yaml', k8s([...ARGS, '--tensor-parallel-size', '"2"'], '2').replace('nvidia.com/gpu', 'amd.com/gpu'));
    assert.deepStrictEqual(itemFindings(ok, 0).filter((f) => f.severity !== 'information' && f.severity !== 'hint').map((f) => f.code), []);
  });

  it('a budget file\'s workload context judges max_num_seqs (prompt + output tokens)', async () => {
    const text = `name: chat
model: meta-llama/Llama-3.1-8B
hardware:
  gpu: H100
  count: 1
engine:
  name: vllm
  maxModelLen: 32768
  maxNumSeqs: 1024
workload:
  promptTokens: 2048
  outputTokens: 512
`;
    const a = await analyze('chat.budget.yaml', text);
    const item = analysisItems(a)[0];
    assert.ok(item.status === 'sized');
    const r = item;
    assert.strictEqual(r.report.decode.context, 2048 + 512);
    const held = Math.floor(r.report.capacity.kvCacheTokens / 2560);
    const f = itemFindings(a, 0).find((x) => x.code === 'max-num-seqs-above-capacity');
    assert.strictEqual(f !== undefined, 1024 > held, `${held} requests of 2,560 tokens`);
    const d = r.report.diagnostics.find((x) => x.code === 'max-num-seqs-above-capacity');
    if (d) assert.strictEqual(d.suggestedValue, held);
  });
});
