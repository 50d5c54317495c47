// Regression tests for the fast YAML path's divergences from the `yaml` library (issue 11 item 3, issue 14 item
// 4): each minimal input reads as the library (or PyYAML, for vLLM config files) reads it, through the readers.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { parseDocument } from '../../../src/formats';
import { ALIAS_NODE_BUDGET, YNode, parseYaml, resolveYaml11, scalarValue } from '../../../src/formats/yaml';
import { K8S_SKIP_KEYS } from '../../../src/formats/kubernetes';
import { computeBudget } from '../../../src/core/budget';

const ROOT = path.resolve(__dirname, '../../../..');

function valueAt(text: string, key: string, opts: Parameters<typeof parseYaml>[1] = {}): unknown {
  const root = parseYaml(text, opts).docs[0]?.root;
  assert.ok(root && root.kind === 'map');
  const v = root.pairs.find((p) => p.key.value === key)?.value as YNode | null | undefined;
  return v && v.kind === 'scalar' ? v.value : v;
}

const errors = (problems: { severity: string; message: string }[]): string[] => problems.filter((p) => p.severity === 'error').map((p) => p.message);

describe('formats: YAML hardening (the fast path is exact or declines)', function () {
  this.timeout(60000);

  it('a comment folded into a multi-line plain scalar is the YAML error the library reports, not a dropped flag', () => {
    const compose = [
      'services:',
      '  vllm:',
      '    image: vllm/vllm-openai:v0.8.5',
      '    command: --model meta-llama/Llama-3.1-8B --max-model-len 8192 # was 32768',
      '      --tensor-parallel-size 2',
      '',
    ].join('\n');
    const y = parseYaml(compose);
    assert.ok(errors(y.problems).length > 0, 'a YAML error');
    assert.deepStrictEqual(y.problems, parseYaml(compose, { path: 'library' }).problems, "the library's problems");
    const doc = parseDocument('docker-compose.yaml', compose);
    assert.ok(errors(doc.problems).some((m) => /^YAML:/.test(m)), 'the document reports the YAML error');
    // Never the old silent reading: the command line without its TP flag, and no problem at all.
    assert.ok(!(doc.deployments.length > 0 && doc.problems.length === 0));
    // The same in a sequence item and at the top level.
    for (const t of ['- --model m # c\n  --tp 2\n', 'k: v # c\n  w\n', 'a # c\nb\n']) assert.ok(errors(parseYaml(t).problems).length > 0, t);
  });

  it('keep chomping (|+) at the end of the file reads as the library reads it', () => {
    for (const [text, value] of [
      ['a: |+\n  keep\n\n', 'keep\n\n'],
      ['a: |+\n  keep\n', 'keep\n'],
      ['a: |+\n  keep', 'keep\n'],
      ['a: |+\n  keep\n\n  ', 'keep\n\n'],
      ['a: |+\n  keep\n\n\n', 'keep\n\n\n'],
      ['a: >+\n  x\n\n', 'x\n\n'],
    ] as const) {
      assert.strictEqual(valueAt(text, 'a'), value, JSON.stringify(text));
      assert.strictEqual(valueAt(text, 'a', { path: 'library' }), value, `library: ${JSON.stringify(text)}`);
    }
  });

  it('reads CR-only line endings (a line break in YAML) and finds the deployment', () => {
    const lf = [
      'apiVersion: apps/v1',
      'kind: Deployment',
      'metadata:',
      '  name: llama',
      'spec:',
      '  template:',
      '    spec:',
      '      containers:',
      '      - name: vllm',
      '        image: vllm/vllm-openai:v0.8.5',
      '        args: ["--model", "meta-llama/Llama-3.1-8B", "--max-model-len", "8192"]',
      '        resources:',
      '          limits:',
      '            nvidia.com/gpu: 1',
      '',
    ].join('\n');
    const cr = lf.replace(/\n/g, '\r');
    const a = parseDocument('d.yaml', lf), b = parseDocument('d.yaml', cr);
    assert.strictEqual(b.deployments.length, 1);
    assert.deepStrictEqual(errors(b.problems), []);
    assert.strictEqual(b.deployments[0].inputs.maxModelLen, 8192);
    assert.deepStrictEqual(b.deployments[0].inputs, a.deployments[0].inputs);
    assert.deepStrictEqual(b.deployments[0].model, a.deployments[0].model, 'same ranges (a CR is one character, as a LF)');
    // Both paths read it the same way.
    assert.deepStrictEqual(parseYaml(cr).docs.length, parseYaml(cr, { path: 'library' }).docs.length);
  });

  it('reports duplicate keys and unclosed brackets inside values the readers skip (ports:, labels:)', () => {
    const base = (ports: string): string => [
      'apiVersion: v1',
      'kind: Pod',
      'metadata:',
      '  name: p',
      '  labels:',
      '    app: x',
      'spec:',
      '  containers:',
      '  - name: vllm',
      '    image: vllm/vllm-openai',
      '    args: ["--model", "m"]',
      '    ports:',
      ports,
      '',
    ].join('\n');
    const cases = [
      ['    - containerPort: 8000\n      containerPort: 8001', /unique/i],
      ['    - containerPort: [8000', /./],
      ['    - name: "http\n      containerPort: 8000', /./],
    ] as const;
    for (const [ports, message] of cases) {
      const text = base(ports);
      assert.ok(parseYaml(text, { skipKeys: K8S_SKIP_KEYS }).problems.some((p) => p.severity === 'error' && message.test(p.message)), ports);
      assert.ok(errors(parseDocument('pod.yaml', text).problems).length > 0, `parseDocument: ${ports}`);
    }
    const labels = base('    - containerPort: 8000').replace('    app: x', '    app: x\n    app: y');
    assert.ok(errors(parseDocument('pod.yaml', labels).problems).some((m) => /unique/i.test(m)), 'duplicate label');
    // Valid skipped values still read by the fast path, as a placeholder with the library's range.
    const ok = base('    - containerPort: 8000 # http\n      protocol: TCP');
    const fast = parseYaml(ok, { path: 'fast', skipKeys: K8S_SKIP_KEYS });
    assert.strictEqual(fast.declined, 0);
    assert.deepStrictEqual(fast.problems, []);
  });

  it('a 12,000-pod List with one anchor keeps every deployment (library path) and sizes them', () => {
    const pod = (i: number): string =>
      `- {apiVersion: v1, kind: Pod, metadata: {name: p${i}}, spec: {containers: [{name: c, image: vllm/vllm-openai, args: [--model, meta-llama/Llama-3.1-8B, --max-model-len, "8192"]}]}}\n`;
    const parts = ['apiVersion: v1\nkind: List\nmetadata: {annotations: {owner: &owner team}}\nitems:\n'];
    for (let i = 0; i < 12000; i++) parts.push(pod(i));
    const text = parts.join('');
    const doc = parseDocument('list.yaml', text);
    assert.strictEqual(doc.deployments.length, 12000);
    assert.deepStrictEqual(errors(doc.problems), []);
    assert.ok(!doc.problems.some((p) => /aliases/.test(p.message)), 'nothing dropped');
    const last = doc.deployments[11999];
    assert.strictEqual(last.inputs.maxModelLen, 8192);
    assert.strictEqual(last.model?.name, 'meta-llama/Llama-3.1-8B');
    const config = JSON.parse(fs.readFileSync(path.join(ROOT, 'examples/models/Llama-3.1-8B/config.json'), 'utf8')) as Record<string, unknown>;
    const sized = computeBudget({ config }, { ...last.inputs, gpu: 'H100' });
    assert.ok(sized.ok, 'sized');
  });

  it('aliases that expand past the budget say how many nodes were left out', () => {
    // Nine levels of ten aliases each: 10^9 nodes if expanded.
    const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let k = 1; k < 9; k++) lines.push(`a${k}: &a${k} [${Array(10).fill(`*a${k - 1}`).join(', ')}]`);
    // 10^9 nodes if expanded: answering at all (within the test's timeout) shows the budget held.
    const y = parseYaml(lines.join('\n') + '\n');
    const w = y.problems.find((p) => /aliases here expand to more than/.test(p.message));
    assert.ok(w, 'a problem says so');
    assert.ok(new RegExp(ALIAS_NODE_BUDGET.toLocaleString('en-US')).test(w.message));
  });

  it('reads vLLM config files with YAML 1.1 scalars, as vLLM (PyYAML) reads them', () => {
    const text = 'model: meta-llama/Llama-3.1-8B\nmax-model-len: 010\nmax-num-seqs: 1_000\ntensor-parallel-size: 0x2\nenforce-eager: yes\n';
    const d = parseDocument('vllm-config.yaml', text);
    assert.strictEqual(d.kind, 'vllm-config');
    assert.strictEqual(d.deployments[0].inputs.maxModelLen, 8);
    assert.strictEqual(d.deployments[0].inputs.maxNumSeqs, 1000);
    assert.strictEqual(d.deployments[0].inputs.tensorParallel, 2);
    // PyYAML's resolver, value by value (not the yaml library's 1.1 schema: `y`, `1e3`, `08` stay strings there).
    const cases: [string, unknown][] = [
      ['010', 8], ['1:30', 90], ['190:20:30.15', 685230.15], ['0x1F', 31], ['0b101', 5], ['1_000', 1000], ['-0o17', '-0o17'],
      ['yes', true], ['No', false], ['on', true], ['OFF', false], ['y', 'y'], ['n', 'n'], ['1e3', '1e3'], ['1.5e+3', 1500],
      ['08', '08'], ['0', 0], ['~', null], ['', null], ['.inf', Infinity], ['-.Inf', -Infinity], ['1.', 1], ['.5', 0.5], ['true', true],
    ];
    for (const [v, want] of cases) assert.ok(Object.is(resolveYaml11(v), want), `${v} -> ${String(resolveYaml11(v))}, want ${String(want)}`);
    // Kubernetes and compose files keep YAML 1.2: `010` is 10 there.
    const k8s = parseYaml('a: 010\nb: yes\n').docs[0].root;
    assert.ok(k8s && k8s.kind === 'map');
    assert.deepStrictEqual(k8s.pairs.map((p) => p.value && p.value.kind === 'scalar' ? scalarValue(p.value) : undefined), [10, 'yes']);
  });
});
