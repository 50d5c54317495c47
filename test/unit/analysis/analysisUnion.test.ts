// The analysis as a discriminated union (issue 14 item 4): a document is a model config, deployments, skipped or
// unrelated, and each item is sized (a report), unsupported (the engine's refusal), not-found (its model looked up
// and not found) or not-sized (another reason, by code). Each kind carries its own fields and no others, so no
// consumer can read a report of an item that has none.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import {
  AnalysisHost, analysisItems, analysisProblems, analyzeDocument, budgetResultOf, DocumentAnalysis, documentKindOf, engineDiagnostics,
} from '../../../src/analysis/analyze';
import { fileJson } from '../../../src/analysis/checkJson';
import { documentFindings } from '../../../src/analysis/findings';
import type { Resolution } from '../../../src/analysis/modelResolver';
import { defaultSettings } from '../../../src/analysis/settings';
import { loadModelFiles } from '../../../src/cli/modelFiles';
import { lensTitle } from '../../../src/editor/present';
import { CONFIGS } from '../../../scripts/groundTruth';

const LLAMA_DIR = path.join(CONFIGS, 'llama3.1/Meta-Llama-3.1-8B');
const LLAMA_ID = 'meta-llama/Llama-3.1-8B';
const log = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** Only Llama-3.1-8B is known; every other name is looked up and not found. */
const host: AnalysisHost = {
  resolveAll: (refs) => refs.map(async (ref): Promise<Resolution> => {
    if (ref !== LLAMA_ID) return { ok: false, reference: ref, tried: ['the workspace', 'the Hugging Face cache'] };
    const loaded = loadModelFiles(LLAMA_DIR);
    if (!loaded.ok) throw new Error(loaded.message);
    return { ok: true, model: { files: loaded.files, source: 'workspace', location: LLAMA_DIR } };
  }),
  filesBeside: async (config) => ({ config }),
};

function analyze(fileName: string, text: string, settings = defaultSettings()): Promise<DocumentAnalysis> {
  return analyzeDocument({ uri: `file:///ws/${fileName}`, fileName: `/ws/${fileName}`, version: 1, text }, settings, host, log);
}

const compose = (model: string): string => `services:
  vllm:
    image: vllm/vllm-openai:v0.19.0
    command: ["--model", "${model}", "--max-model-len", "8192"]
    deploy:
      resources:
        reservations:
          devices:
            - driver: nvidia
              count: 1
              capabilities: [gpu]
`;

const pod = (model: string): string => `apiVersion: v1
kind: Pod
metadata:
  name: llm
spec:
  containers:
    - name: vllm
      image: vllm/vllm-openai:v0.19.0
      args: ["--model", "${model}"]
      resources:
        limits:
          nvidia.com/gpu: 1
`;

describe('the analysis is a discriminated union (issue 14 item 4)', function () {
  this.timeout(20_000);
  // Llama-3.1-8B: 32 layers, 8 KV heads, head_dim 4096 / 32 = 128, K and V in bf16 (2 bytes).
  const config = JSON.parse(fs.readFileSync(path.join(LLAMA_DIR, 'config.json'), 'utf8')) as Record<string, number>;
  const kvBytesPerToken = 2 * config.num_hidden_layers * config.num_key_value_heads * (config.hidden_size / config.num_attention_heads) * 2;

  it('a config.json is a model config: one sized item, its ranges asked by subject, no deployment fields', async () => {
    assert.strictEqual(kvBytesPerToken, 131_072);
    const text = fs.readFileSync(path.join(LLAMA_DIR, 'config.json'), 'utf8');
    const a = await analyze('config.json', text);
    assert.strictEqual(a.kind, 'model-config');
    if (a.kind !== 'model-config') return;
    assert.ok(!('items' in a), 'a model config has one item, not a list');
    assert.strictEqual(documentKindOf(a), 'hf-config');
    assert.deepStrictEqual(analysisItems(a), [a.item]);
    const r = a.rangeOf('maxPositionEmbeddings');
    assert.ok(r);
    assert.strictEqual(Number(text.slice(r.start, r.end)), config.max_position_embeddings);
    const item = a.item;
    assert.strictEqual(item.status, 'sized');
    if (item.status !== 'sized') return;
    assert.strictEqual(item.spec, undefined);
    assert.strictEqual(item.resolution, undefined);
    assert.strictEqual(item.report.model.kvBytesPerToken, kvBytesPerToken);
    assert.deepStrictEqual(budgetResultOf(item), { ok: true, report: item.report });
    assert.strictEqual(engineDiagnostics(item), item.report.diagnostics);
  });

  it('a compose file naming an unknown model: a deployment with status not-found, its lookup and no result', async () => {
    const a = await analyze('docker-compose.yaml', compose('acme/unknown-model-7b'));
    assert.strictEqual(a.kind, 'deployments');
    if (a.kind !== 'deployments') return;
    assert.strictEqual(a.documentKind, 'docker-compose');
    assert.strictEqual(a.items.length, 1);
    const item = a.items[0];
    assert.strictEqual(item.status, 'not-found');
    if (item.status !== 'not-found') return;
    assert.deepStrictEqual([item.resolution.reference, item.resolution.tried], ['acme/unknown-model-7b', ['the workspace', 'the Hugging Face cache']]);
    assert.strictEqual(item.notSized.code, 'model-not-found');
    for (const key of ['result', 'report', 'files', 'diagnostics', 'unsizedDiagnostics']) assert.ok(!(key in item), `no ${key} on an item not found`);
    assert.strictEqual(budgetResultOf(item), undefined);
    assert.deepStrictEqual(engineDiagnostics(item), []);
    // One finding says so, as information on the model name; CodeLens and check's JSON say the same.
    const findings = documentFindings(a);
    assert.deepStrictEqual(findings.map((f) => [f.code, f.severity, a.text.slice(f.range.start, f.range.end)]), [['model-not-found', 'information', 'acme/unknown-model-7b']]);
    assert.strictEqual(lensTitle(item), '$(question) Inference Budget: model "acme/unknown-model-7b" not found');
    const json = fileJson('docker-compose.yaml', a).deployments[0];
    assert.deepStrictEqual([json.sized, json.report, json.fits], [false, null, null]);
    assert.match(json.notSizedReason ?? '', /^model "acme\/unknown-model-7b" not found/);
  });

  it('the same file naming a known model: status sized, with the lookup that found it', async () => {
    const a = await analyze('docker-compose.yaml', compose(LLAMA_ID));
    const item = analysisItems(a)[0];
    assert.strictEqual(item?.status, 'sized');
    if (item.status !== 'sized' || !item.spec) return;
    assert.strictEqual(item.resolution.ok && item.resolution.model.location, LLAMA_DIR);
    assert.strictEqual(item.report.settings.maxModelLen, 8192);
    assert.strictEqual(item.report.model.kvBytesPerToken, kvBytesPerToken);
  });

  it('other reasons are not-sized with their own code: a template is never looked up, a container path is', async () => {
    const templated = analysisItems(await analyze('pod.yaml', pod('$(MODEL_ID)')))[0];
    assert.strictEqual(templated?.status, 'not-sized');
    if (templated.status !== 'not-sized') return;
    assert.strictEqual(templated.notSized.code, 'model-templated');
    assert.strictEqual(templated.resolution, undefined, 'nothing was looked up');
    assert.match(lensTitle(templated), /^\$\(info\) Inference Budget: not sized \(model \$\(MODEL_ID\) is set at deploy time\)$/);

    const mounted = analysisItems(await analyze('pod.yaml', pod('/models/llama')))[0];
    assert.strictEqual(mounted?.status, 'not-sized');
    if (mounted.status !== 'not-sized') return;
    assert.strictEqual(mounted.notSized.code, 'model-is-path');
    assert.ok(mounted.resolution && !mounted.resolution.ok && mounted.resolution.reference === '/models/llama', 'looked up and not found');
    assert.strictEqual(mounted.files, undefined);
  });

  it('an Ollama name the library table lacks is not-sized (nothing looked up), and CodeLens says why', async () => {
    const item = analysisItems(await analyze('Modelfile', 'FROM someone/custom-model:latest\n'))[0];
    assert.strictEqual(item?.status, 'not-sized');
    if (item.status !== 'not-sized') return;
    assert.strictEqual(item.notSized.code, 'model-not-found');
    assert.strictEqual(item.resolution, undefined);
    assert.strictEqual(lensTitle(item), '$(info) Inference Budget: not sized (Ollama model someone/custom-model:latest not known)');
  });

  it('a GPU the engine does not know: status unsupported, the engine\'s reason and findings', async () => {
    const text = `name: chat\nmodel: ${LLAMA_ID}\nhardware:\n  gpu: H300-192GB\n  count: 1\n`;
    const a = await analyze('chat.budget.yaml', text);
    const item = analysisItems(a)[0];
    assert.strictEqual(item?.status, 'unsupported');
    if (item.status !== 'unsupported') return;
    assert.ok(!('report' in item));
    assert.match(item.reason, /H300-192GB/);
    assert.ok(item.diagnostics.some((d) => d.code === 'unknown-gpu'), JSON.stringify(item.diagnostics));
    assert.deepStrictEqual(budgetResultOf(item), { ok: false, unsupported: item.reason, diagnostics: item.diagnostics });
    assert.strictEqual(lensTitle(item), `$(info) Inference Budget: not sized (${item.reason})`);
    const json = fileJson('chat.budget.yaml', a).deployments[0];
    assert.deepStrictEqual([json.sized, json.notSizedReason, (json.report as { ok: boolean; error: string }).error], [false, item.reason, item.reason]);
  });

  it('a document larger than the limit is skipped: a reason, no items, no problems', async () => {
    const settings = defaultSettings({ 'limits.maxFileSizeBytes': 1024 });
    assert.strictEqual(settings.maxFileSizeBytes, 1024);
    const a = await analyze('docker-compose.yaml', compose(LLAMA_ID) + `# ${'x'.repeat(1024)}\n`, settings);
    assert.strictEqual(a.kind, 'skipped');
    if (a.kind !== 'skipped') return;
    assert.match(a.reason, /maxFileSizeBytes \(1024 bytes\)/);
    assert.ok(!('items' in a) && !('problems' in a));
    assert.deepStrictEqual([analysisItems(a), analysisProblems(a), documentFindings(a), documentKindOf(a)], [[], [], [], undefined]);
    assert.strictEqual(fileJson('big.yaml', a).kind, null);
  });

  it('YAML about something else is unrelated: nothing to say', async () => {
    const a = await analyze('values.yaml', 'replicaCount: 2\nimage:\n  repository: nginx\n  tag: "1.27"\nservice:\n  port: 80\n');
    assert.strictEqual(a.kind, 'unrelated');
    assert.deepStrictEqual(Object.keys(a).sort(), ['kind', 'settings', 'text', 'uri', 'version']);
    assert.deepStrictEqual([analysisItems(a), documentFindings(a), fileJson('values.yaml', a).kind], [[], [], null]);
  });
});
