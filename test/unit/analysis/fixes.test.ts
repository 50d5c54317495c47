// Quick fixes that leave a valid, fitting file (src/analysis/fixes.ts): each fix's edits are applied to the text
// here and the result analysed again; the engine must say it fits (the fix's own promise), and the edited values
// are checked independently (GPUs in limits and requests, compose device ids, Helm requestGPU, label values).
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { analyzeFile } from '../../../src/cli/check';
import { FileModelResolver } from '../../../src/cli/fileResolver';
import { defaultSettings, Settings } from '../../../src/analysis/settings';
import { analysisItems, type DocumentAnalysis } from '../../../src/analysis/analyze';
import { applyEdits, gpuValueFor, LABEL_VALUE, QuickFix, quickFixes } from '../../../src/analysis/fixes';
import { findAccelerator, getAccelerator } from '../../../src/core/hardware';
import { LLAMA_8B, tempTree } from '../cli/helpers';

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
const SHARED = path.resolve(__dirname, '..', '..', '..', '..', '..', 'shared', 'model-configs');
const LLAMA_70B = path.join(SHARED, 'llama3.1', 'Meta-Llama-3.1-70B', 'config.json');
/** Kubernetes label values (the API server's grammar). */
const LABEL_RE = /^(?=.{1,63}$)[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

interface Shapes { num_hidden_layers: number; num_key_value_heads: number; num_attention_heads: number; hidden_size: number }

describe('quick fixes leave a valid, fitting file', function () {
  this.timeout(60_000);
  let dir: string;
  const config70 = fs.readFileSync(LLAMA_70B, 'utf8');
  const shapes = JSON.parse(config70) as Shapes;
  before(() => {
    dir = tempTree({
      'Meta-Llama-3.1-70B/config.json': config70,
      'Llama-3.1-8B/config.json': fs.readFileSync(path.join(LLAMA_8B, 'config.json'), 'utf8'),
    });
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const resolver = () => new FileModelResolver(quiet, { workspaceFolders: [], env: {} });
  async function analyze(name: string, text: string, settings: Settings = defaultSettings()): Promise<DocumentAnalysis> {
    return analyzeFile(path.join(dir, name), text, settings, resolver(), quiet);
  }
  async function fixesOf(name: string, text: string, settings: Settings = defaultSettings(), item = 0): Promise<{ analysis: DocumentAnalysis; fixes: QuickFix[] }> {
    const analysis = await analyze(name, text, settings);
    const fixes = await quickFixes(analysis, item, (t) => analyzeFile(path.join(dir, name), t, settings, resolver(), quiet));
    return { analysis, fixes };
  }
  /** The deployment's verdict after the text is analysed again: fits, and no error finding. */
  async function verdict(name: string, text: string, settings: Settings = defaultSettings(), item = 0): Promise<{ fits: boolean; codes: string[] }> {
    const a = await analyze(name, text, settings);
    const it = analysisItems(a)[item];
    const report = it.status === 'sized' ? it.report : undefined;
    const codes = report ? report.diagnostics.filter((d) => d.severity === 'error').map((d) => d.code) : ['not-sized'];
    return { fits: !!report && report.capacity.fits && codes.length === 0, codes };
  }
  function fix(fixes: QuickFix[], title: RegExp): QuickFix {
    const f = fixes.find((x) => title.test(x.title));
    assert.ok(f, `a fix matching ${title}; got ${JSON.stringify(fixes.map((x) => x.title))}`);
    return f;
  }
  /** Every fix offered keeps its promise: the edited text fits, or the title says what remains. */
  async function everyFixKeepsItsPromise(name: string, text: string, fixes: QuickFix[], settings?: Settings): Promise<void> {
    for (const f of fixes) {
      const after = applyEdits(text, f.edits);
      assert.ok(after !== undefined, f.title);
      const v = await verdict(name, after, settings);
      assert.strictEqual(v.fits, f.outcome.fits, `${f.title}: ${v.codes.join()}`);
      if (!f.outcome.fits) assert.match(f.title, /\(still does not fit: .+\)$/);
    }
  }

  // 70B: 80 layers × 8 KV heads × 128 dims × 2 (K, V) × 2 bytes = 320 KiB of KV per token; 131,072 tokens = 40 GiB.
  const kvPerToken = shapes.num_hidden_layers * shapes.num_key_value_heads * (shapes.hidden_size / shapes.num_attention_heads) * 2 * 2;

  const manifest = (gpus: string, tp: number, label = 'NVIDIA-H100-80GB-HBM3', labelKey = 'nvidia.com/gpu.product') => [
    'apiVersion: apps/v1',
    'kind: Deployment',
    'metadata:',
    '  name: llama-70b',
    'spec:',
    '  template:',
    '    spec:',
    '      nodeSelector:',
    `        ${labelKey}: ${label}`,
    '      containers:',
    '        - name: vllm',
    '          image: vllm/vllm-openai:v0.19.0',
    '          args:',
    '            - --model',
    `            - ${tp === 0 ? './Llama-3.1-8B' : './Meta-Llama-3.1-70B'}`,
    '            - --max-model-len',
    '            - "131072"',
    ...(tp > 1 ? ['            - --tensor-parallel-size', `            - "${tp}"`] : []),
    '          resources:',
    '            limits:',
    `              nvidia.com/gpu: ${gpus}`,
    '            requests:',
    `              nvidia.com/gpu: ${gpus}`,
    '',
  ].join('\n');

  it('70B on one H100 at 131k: the TP fix is the smallest TP that fits, and raises the GPUs in limits and requests', async () => {
    assert.strictEqual(kvPerToken, 327680);
    const text = manifest('"1"', 1);
    const { fixes } = await fixesOf('deploy.yaml', text);
    const f = fix(fixes, /^Raise tensor parallelism to \d+/);
    assert.ok(f.outcome.fits, f.title);
    const tp = Number(/^Raise tensor parallelism to (\d+)/.exec(f.title)![1]);
    const after = applyEdits(text, f.edits)!;
    // The edited values, read independently: the flag added with its value, both GPU counts raised, quotes kept.
    assert.match(after, new RegExp(`- --tensor-parallel-size\\n {12}- "${tp}"\\n`));
    assert.match(after, new RegExp(`limits:\\n {14}nvidia\\.com/gpu: "${tp}"\\n {12}requests:\\n {14}nvidia\\.com/gpu: "${tp}"\\n`));
    assert.deepStrictEqual(await verdict('deploy.yaml', after), { fits: true, codes: [] });
    // Independent bounds: at TP 2, bf16 weights (≥ 2 × 70e9 bytes / 2 per GPU) plus 20 GiB of KV per GPU for
    // one request exceed 90 % of 80 GB; so the smallest TP that fits is at least 4 (64 heads, 8 KV heads: 4 splits).
    assert.ok((2 * 70e9) / 2 + (131072 * kvPerToken) / 2 > 0.9 * 80 * 2 ** 30);
    assert.strictEqual(tp, 4);
    // And the TP below it does not fit, edited the same way.
    const half = text.replace('            - "131072"\n', `            - "131072"\n            - --tensor-parallel-size\n            - "${tp / 2}"\n`).replace(/nvidia\.com\/gpu: "1"/g, `nvidia.com/gpu: "${tp / 2}"`);
    assert.strictEqual((await verdict('deploy.yaml', half)).fits, false);
    await everyFixKeepsItsPromise('deploy.yaml', text, fixes);
  });

  it('a manifest whose TP already exceeds its GPUs: the fix requests the GPUs in limits and requests', async () => {
    const text = manifest('"1"', 4);
    const { fixes } = await fixesOf('deploy.yaml', text);
    const f = fix(fixes, /^Request 4 GPUs/);
    const after = applyEdits(text, f.edits)!;
    assert.strictEqual(after, text.replace(/nvidia\.com\/gpu: "1"/g, 'nvidia.com/gpu: "4"'));
    assert.deepStrictEqual(await verdict('deploy.yaml', after), { fits: true, codes: [] });
  });

  it('compose: TP 2 → 4 extends device_ids to "0" … "3" (flow and block lists), or raises count', async () => {
    const service = (devices: string[]) => [
      'services:',
      '  llm:',
      '    image: vllm/vllm-openai:v0.19.0',
      '    command: ["--model", "./Meta-Llama-3.1-70B", "--max-model-len", "131072", "--tensor-parallel-size", "2"]',
      '    deploy:',
      '      resources:',
      '        reservations:',
      '          devices:',
      '            - driver: nvidia',
      ...devices,
      '              capabilities: [gpu]',
      '',
    ].join('\n');
    const cases: [string, string[], RegExp][] = [
      ['flow', ['              device_ids: ["0", "1"]'], /device_ids: \["0", "1", "2", "3"\]\n/],
      ['block', ['              device_ids:', "                - '0'", "                - '1'"], /device_ids:\n {16}- '0'\n {16}- '1'\n {16}- '2'\n {16}- '3'\n {14}capabilities/],
      ['count', ['              count: 2'], /count: 4\n/],
    ];
    for (const [what, devices, expected] of cases) {
      const text = service(devices);
      const before = await verdict('docker-compose.yaml', text);
      assert.strictEqual(before.fits, false, what);
      const { fixes } = await fixesOf('docker-compose.yaml', text);
      const f = fix(fixes, /^Raise tensor parallelism to 4 and request 4 GPUs$/);
      const after = applyEdits(text, f.edits)!;
      assert.match(after, expected, `${what}: ${after}`);
      assert.match(after, /"--tensor-parallel-size", "4"\]/, what);
      assert.deepStrictEqual(await verdict('docker-compose.yaml', after), { fits: true, codes: [] }, what);
      await everyFixKeepsItsPromise('docker-compose.yaml', text, fixes);
    }
  });

  it('Helm values of the vLLM production stack: the TP fix raises requestGPU with it', async () => {
    const text = [
      'servingEngineSpec:',
      '  modelSpec:',
      '    - name: llama70',
      '      repository: vllm/vllm-openai',
      '      tag: v0.19.0',
      '      modelURL: ./Meta-Llama-3.1-70B',
      '      requestGPU: 1',
      '      vllmConfig:',
      '        maxModelLen: 131072',
      '',
    ].join('\n');
    const { fixes } = await fixesOf('values.yaml', text);
    const f = fix(fixes, /^Raise tensor parallelism to 4/);
    const after = applyEdits(text, f.edits)!;
    assert.match(after, /requestGPU: 4\n/);
    assert.match(after, /tensorParallelSize: 4\n/);
    assert.deepStrictEqual(await verdict('values.yaml', after), { fits: true, codes: [] });
  });

  it('LeaderWorkerSet: GPUs per pod are raised in leader and worker (total / size)', async () => {
    const podSpec = (indent: string, command: string) => [
      `${indent}spec:`,
      `${indent}  containers:`,
      `${indent}    - name: vllm`,
      `${indent}      image: vllm/vllm-openai:v0.19.0`,
      `${indent}      command: [${command}]`,
      `${indent}      resources:`,
      `${indent}        limits:`,
      `${indent}          nvidia.com/gpu: "1"`,
    ];
    const text = [
      'apiVersion: leaderworkerset.x-k8s.io/v1',
      'kind: LeaderWorkerSet',
      'metadata:',
      '  name: llama-70b',
      'spec:',
      '  leaderWorkerTemplate:',
      '    size: 2',
      '    leaderTemplate:',
      ...podSpec('      ', '"vllm", "serve", "./Meta-Llama-3.1-70B", "--max-model-len", "131072", "--pipeline-parallel-size", "2"'),
      '    workerTemplate:',
      ...podSpec('      ', '"ray", "start", "--block"'),
      '',
    ].join('\n');
    const before = await verdict('lws.yaml', text);
    assert.strictEqual(before.fits, false, before.codes.join());
    const { fixes } = await fixesOf('lws.yaml', text);
    const f = fix(fixes, /^Raise tensor parallelism to \d+ and request \d+ GPUs/);
    const [, tp, world] = /^Raise tensor parallelism to (\d+) and request (\d+) GPUs/.exec(f.title)!.map(Number);
    assert.strictEqual(world, tp * 2);
    const after = applyEdits(text, f.edits)!;
    const perPod = [...after.matchAll(/nvidia\.com\/gpu: "(\d+)"/g)].map((m) => Number(m[1]));
    assert.deepStrictEqual(perPod, [world / 2, world / 2]);
    assert.deepStrictEqual(await verdict('lws.yaml', after), { fits: true, codes: [] });
  });

  it('an unknown GPU label: the fix writes a label value valid for its key, naming a GPU that fits', async () => {
    for (const [key, written, expected] of [
      ['nvidia.com/gpu.product', 'H300-192GB', /^NVIDIA-H200$/],
      ['cloud.google.com/gke-accelerator', 'nvidia-h300-192gb', /^nvidia-h200-141gb$/],
    ] as const) {
      const text = manifest('"1"', 0, written, key);
      const before = await verdict('deploy.yaml', text);
      assert.deepStrictEqual(before.codes, ['not-sized'], key);
      const { fixes } = await fixesOf('deploy.yaml', text);
      const gpuFixes = fixes.filter((f) => /^Use GPU /.test(f.title));
      assert.ok(gpuFixes.length >= 1, JSON.stringify(fixes.map((f) => f.title)));
      for (const f of gpuFixes) {
        const after = applyEdits(text, f.edits)!;
        const value = new RegExp(`${key.replace(/[./]/g, '\\$&')}: (.*)\\n`).exec(after)![1];
        assert.match(value, LABEL_RE, `${key}: ${value}`);
        assert.ok(findAccelerator(value).ok, value);
        assert.strictEqual((await verdict('deploy.yaml', after)).fits, f.outcome.fits, f.title);
      }
      const first = gpuFixes[0];
      const value = new RegExp(`${key.replace(/[./]/g, '\\$&')}: (.*)\\n`).exec(applyEdits(text, first.edits)!)![1];
      assert.match(value, expected, key);
      assert.ok(first.preferred && first.outcome.fits, first.title);
    }
  });

  it('label values come from the catalog aliases in the syntax of each key', () => {
    const acc = (id: string) => getAccelerator(id)!;
    assert.strictEqual(gpuValueFor('nvidia.com/gpu.product', acc('h100-sxm')), 'NVIDIA-H100-80GB-HBM3');
    assert.strictEqual(gpuValueFor('nvidia.com/gpu.product', acc('a100-sxm-80gb')), 'NVIDIA-A100-SXM4-80GB');
    assert.strictEqual(gpuValueFor('nvidia.com/gpu.product', acc('h200')), 'NVIDIA-H200');
    assert.strictEqual(gpuValueFor('cloud.google.com/gke-accelerator', acc('l4')), 'nvidia-l4');
    assert.strictEqual(gpuValueFor('cloud.google.com/gke-accelerator', acc('h100-sxm')), 'nvidia-h100-80gb');
    assert.strictEqual(gpuValueFor('cloud.google.com/gke-accelerator', acc('a100-sxm-40gb')), 'nvidia-tesla-a100');
    // Every catalog GPU written under the GFD key is a valid label value that reads back as the same GPU.
    for (const id of ['t4', 'a10g', 'l40s', 'h100-pcie', 'h200-nvl', 'b200', 'rtx-4090', 'rtx-6000-ada', 'mi300x']) {
      const v = gpuValueFor('nvidia.com/gpu.product', acc(id));
      assert.ok(v && LABEL_VALUE.test(v) && LABEL_RE.test(v), `${id}: ${v}`);
      const back = findAccelerator(v);
      assert.ok(back.ok && back.accelerator.id === id, `${id}: ${v}`);
    }
    // A budget file is not a label: the catalog name.
    assert.strictEqual(gpuValueFor('gpu', acc('h200')), 'NVIDIA H200 SXM 141GB');
  });

  it('closest matches for "H300-192GB" rank Hopper and Blackwell parts first, never a V100', () => {
    const r = findAccelerator('H300-192GB');
    assert.ok(!r.ok);
    const closest = (r as { closest: string[] }).closest;
    assert.ok(closest.length >= 3, closest.join());
    for (const name of closest.slice(0, 3)) {
      assert.doesNotMatch(name, /V100/, closest.join());
      assert.match(name, /NVIDIA (H|B|GB)\d+/, closest.join());
    }
    assert.strictEqual(closest[0], 'NVIDIA H200 SXM 141GB');
    const h300 = (findAccelerator('NVIDIA H300') as { closest: string[] }).closest;
    assert.ok(!h300.slice(0, 3).some((n) => /V100|A30/.test(n)), h300.join());
  });

  it('a fix that would not help is not offered; one that helps but does not fit says what remains', async () => {
    // Llama-3.1-8B at 1M tokens on one L4 (with a GPU count of 1 pinned): fp8 KV halves the need, still too long.
    const text = manifest('"1"', 0, 'nvidia-l4', 'cloud.google.com/gke-accelerator').replace('"131072"', '"1048576"');
    const { fixes } = await fixesOf('deploy.yaml', text);
    assert.ok(fixes.length > 0);
    await everyFixKeepsItsPromise('deploy.yaml', text, fixes);
    for (const f of fixes) if (!f.outcome.fits) assert.match(f.title, /still does not fit/);
    assert.ok(fixes.some((f) => f.outcome.fits), JSON.stringify(fixes.map((f) => f.title)));
  });
});
