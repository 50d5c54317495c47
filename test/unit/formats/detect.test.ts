import * as assert from 'assert';
import * as fs from 'fs';
import { BudgetInputs, DocumentKind, detectDocumentKind, editForInput, parseDocument } from '../../../src/formats';
import { EXAMPLES, read } from './helpers';


const KEYS: (keyof BudgetInputs)[] = [
  'gpu', 'gpuCount', 'tensorParallel', 'pipelineParallel', 'maxModelLen', 'gpuMemoryUtilization', 'maxNumBatchedTokens', 'maxNumSeqs',
  'dtype', 'quantization', 'kvCacheDtype', 'engine', 'blockSize',
];

describe('formats: detection', () => {
  const expected: Record<string, DocumentKind> = {
    'vllm-deployment.yaml': 'kubernetes',
    'vllm-sh-c.yaml': 'kubernetes',
    'multi-doc-service-deployment.yaml': 'kubernetes',
    'sglang-statefulset.yaml': 'kubernetes',
    'tgi-deployment.yaml': 'kubernetes',
    'kserve.yaml': 'kubernetes',
    'leaderworkerset.yaml': 'kubernetes',
    'docker-compose.yaml': 'docker-compose',
    'production-stack-values.yaml': 'helm-vllm-stack',
    'vllm-config.yaml': 'vllm-config',
    'llama-8b.budget.yaml': 'budget-file',
  };

  it('covers every example file', () => {
    assert.deepStrictEqual(fs.readdirSync(EXAMPLES).filter((f) => /\.ya?ml$/.test(f)).sort(), Object.keys(expected).sort());
  });

  for (const [name, kind] of Object.entries(expected)) {
    it(`detects ${name} as ${kind}`, () => {
      assert.strictEqual(detectDocumentKind(name, read(name)), kind);
      assert.strictEqual(detectDocumentKind(`/some/dir/${name}`, read(name)), kind);
    });
  }

  it('detects budget files by name', () => {
    assert.strictEqual(detectDocumentKind('prod.budget.yml', 'model: x/y\n'), 'budget-file');
    assert.strictEqual(detectDocumentKind('C:\\deploy\\inference-budget.yaml', 'model: x/y\n'), 'budget-file');
    assert.strictEqual(detectDocumentKind('budget.yaml', 'model: x/y\n'), undefined);
  });

  const unrelated: Record<string, string> = {
    'ci.yml': 'name: CI\non:\n  push:\n    branches: [main]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - run: npm test\n',
    'nginx.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n        - name: nginx\n          image: nginx:1.27\n          args: ["-g", "daemon off;"]\n',
    'compose.yaml': 'services:\n  db:\n    image: postgres:16\n    environment:\n      POSTGRES_PASSWORD: example\n',
    'values.yaml': 'replicaCount: 1\nimage:\n  repository: nginx\nservice:\n  type: ClusterIP\n',
    'train.yaml': '# nanoGPT-style training config\nblock_size: 1024\nn_layer: 12\ndtype: bfloat16\nlearning_rate: 6e-4\n',
    'openapi.yaml': 'openapi: 3.0.0\ninfo:\n  title: vLLM-compatible API\n  version: "1"\npaths: {}\n',
    'notes.yaml': '# we might deploy vllm later\nowner: ml-team\n',
    'list.yaml': '- a\n- b\n',
    'scalar.yaml': 'just text mentioning vllm serve\n',
    'eval.yaml': 'model: hf\nmodel_args:\n  pretrained: x/y\n  tensor_parallel_size: 2\n',
    'data.json': '{"name": "x", "items": [1, 2]}',
    'config.json': '{"hidden_size": 4096}',
  };
  for (const [name, text] of Object.entries(unrelated)) {
    it(`does not claim ${name}`, () => {
      assert.strictEqual(detectDocumentKind(name, text), undefined);
      const p = parseDocument(name, text);
      assert.deepStrictEqual(p.deployments, []);
    });
  }
});

describe('formats: malformed input', () => {
  it('reports YAML errors at the parser position', () => {
    const text = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: c\n      image: vllm/vllm-openai\n      args: ["m", "--max-model-len", "8192"\n';
    const r = parseDocument('pod.yaml', text);
    assert.strictEqual(r.kind, 'kubernetes');
    assert.ok(r.problems.length > 0);
    for (const p of r.problems) {
      assert.strictEqual(p.severity, 'error');
      assert.match(p.message, /^YAML: /);
      assert.ok(p.range.start >= 0 && p.range.end <= text.length && p.range.start <= p.range.end);
    }
  });

  it('does not report Go-template syntax of Helm chart templates as YAML errors', () => {
    const text = [
      'apiVersion: apps/v1',
      'kind: Deployment',
      'metadata:',
      '  name: {{ include "chart.fullname" . }}',
      'spec:',
      '  template:',
      '    spec:',
      '      containers:',
      '        - name: vllm',
      '          image: "vllm/vllm-openai:{{ .Values.image.tag }}"',
      '          args:',
      '            - {{ .Values.model | quote }}',
      '            - --max-model-len',
      '            - "{{ .Values.maxModelLen }}"',
      '          {{- with .Values.resources }}',
      '          resources:',
      '            {{- toYaml . | nindent 12 }}',
      '          {{- end }}',
      '',
    ].join('\n');
    const r = parseDocument('templates/deployment.yaml', text);
    assert.ok(r.problems.every((p) => !/^YAML/.test(p.message)), JSON.stringify(r.problems));
  });

  it('keeps reading the other documents of a manifest', () => {
    const good = read('vllm-deployment.yaml');
    const text = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: vllm-bad\ndata:\n  a: "unterminated\n---\n' + good;
    const r = parseDocument('all.yaml', text);
    assert.strictEqual(r.kind, 'kubernetes');
    assert.strictEqual(r.deployments.length, 1);
    assert.strictEqual(r.deployments[0].inputs.maxModelLen, 131072);
    const v = r.deployments[0].valueRanges.maxModelLen!;
    assert.strictEqual(text.slice(v.start, v.end), '131072');
    assert.ok(r.problems.some((p) => p.severity === 'error' && p.range.end <= text.indexOf('---')));
  });

  it('reads duplicate keys, tabs and anchors through the YAML library', () => {
    const text = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: c\n      image: &img vllm/vllm-openai:v0.19.0\n      args: ["m", "--dtype", "half"]\n      args: ["m"]\n';
    const r = parseDocument('dup.yaml', text);
    assert.ok(r.problems.some((p) => /unique/i.test(p.message)));
    const anchors = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: c\n      image: vllm/vllm-openai\n      args: &a ["m", "--max-model-len", "2048"]\n    - name: d\n      image: vllm/vllm-openai\n      args: *a\n';
    const a = parseDocument('anchors.yaml', anchors);
    assert.deepStrictEqual(a.problems, []);
    assert.deepStrictEqual(a.deployments.map((d) => d.inputs.maxModelLen), [2048, 2048]);
    const v = a.deployments[0].valueRanges.maxModelLen!;
    assert.strictEqual(anchors.slice(v.start, v.end), '2048');
  });

  it('never throws, whatever the text', function () {
    this.timeout(60000);
    const samples = fs.readdirSync(EXAMPLES).map((n) => [n, read(n)] as const);
    let seed = 7;
    const rand = (n: number): number => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
    const junk = ['"', "'", ':', '- ', '\n', '\t', '{', '[', ']', '}', '#', '|', '>', '&a', '*a', '!!str ', '\\', '---\n', '%YAML 1.2\n', '\r\n', '\u0000', '€'];
    for (const [name, text] of samples) {
      for (let cut = 0; cut < text.length; cut += 53) {
        const variants = [
          text.slice(0, cut),
          text.slice(0, cut) + junk[rand(junk.length)] + text.slice(cut),
          text.slice(0, cut) + text.slice(cut + 1 + rand(20)),
        ];
        for (const t of variants) {
          const r = parseDocument(name, t);
          for (const p of r.problems) assert.ok(p.range.start >= 0 && p.range.end <= t.length && p.range.start <= p.range.end, `${name} ${cut}`);
          for (const d of r.deployments) {
            for (const rg of [...Object.values(d.valueRanges), ...Object.values(d.keyRanges), d.anchor]) {
              assert.ok(rg && rg.start >= 0 && rg.end <= t.length && rg.start <= rg.end, `${name} ${cut}`);
            }
            for (const key of KEYS) {
              const e = editForInput(t, d, key, key === 'gpu' ? 'H100' : key === 'gpuMemoryUtilization' ? 0.5 : key === 'engine' ? '0.19.0' : ['dtype', 'quantization', 'kvCacheDtype'].includes(key) ? 'fp8' : 2);
              if (e) assert.ok(e.range.start >= 0 && e.range.end <= t.length);
            }
          }
        }
      }
    }
    for (const t of ['', '\n', '---', '...', '- - -', '{{{{', 'a: !!binary x', '\ufeffmodel: x', 'x'.repeat(100000)]) {
      for (const name of ['a.yaml', 'b.json', 'c.budget.yaml', 'config.json', 'noext']) parseDocument(name, t);
    }
    // Garbage arguments from JavaScript callers.
    parseDocument(undefined as unknown as string, null as unknown as string);
    const d = parseDocument('vllm-config.yaml', read('vllm-config.yaml')).deployments[0];
    assert.strictEqual(editForInput('', d, 'maxModelLen', 1), undefined);
    assert.strictEqual(editForInput(read('vllm-config.yaml'), d, 'maxModelLen', NaN), undefined);
    assert.strictEqual(editForInput(read('vllm-config.yaml'), d, 'dtype', 'a\nb'), undefined);
  });

  it('reads a large multi-document manifest', function () {
    this.timeout(60000);
    const one = read('vllm-deployment.yaml');
    const svc = 'apiVersion: v1\nkind: Service\nmetadata:\n  name: s\nspec:\n  ports:\n' + '    - port: 80\n      targetPort: 8000\n'.repeat(100);
    const parts: string[] = [];
    for (let i = 0; i < 250; i++) parts.push(one.replace('name: llama-8b', `name: llama-${i}`), svc);
    const text = parts.join('---\n');
    assert.ok(text.length > 1_000_000);
    const r = parseDocument('big.yaml', text);
    assert.strictEqual(r.deployments.length, 250);
    assert.deepStrictEqual(r.problems, []);
    const last = r.deployments[249];
    assert.strictEqual(last.label, 'Deployment/llama-249 · container vllm');
    assert.strictEqual(text.slice(last.valueRanges.maxModelLen!.start, last.valueRanges.maxModelLen!.end), '131072');
  });
});
