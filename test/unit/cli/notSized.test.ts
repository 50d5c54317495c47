// Saying why (issue 10, section 5): every deployment that is not sized gets one diagnostic on the text
// responsible, with a reason to act on; `# inference-budget: model=... gpu=...` says what the file cannot.
// Accelerators other than NVIDIA GPUs are sized on their catalog entry or not at all, never on the default GPU.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { directiveInsertion, findDirectives } from '../../../src/analysis/directives';
import { parseDocument } from '../../../src/formats';
import { checkFiles, DeploymentJson, FileJson } from '../../../src/cli/check';
import { ROOT, tempTree } from './helpers';
import { k8sDeployment } from '../formats/helpers';

const CATALOG = (JSON.parse(fs.readFileSync(path.join(ROOT, 'src', 'core', 'hardware-catalog.json'), 'utf8')) as { accelerators: { id: string; name: string }[] }).accelerators;
const catalogName = (id: string): string => CATALOG.find((a) => a.id === id)!.name;

const NOT_SIZED_CODES = new Set(['model-not-named', 'model-in-script', 'model-templated', 'model-is-path', 'model-storage-uri', 'model-not-found',
  'accelerator-not-in-catalog', 'accelerator-type-unknown', 'unsupported', 'engine-not-emulated']);

const deployment = k8sDeployment;

const vllmContainer = (args: string, resources = '', name = 'vllm') => `      - name: ${name}
        image: vllm/vllm-openai:v0.19.0
        args: ${args}
${resources ? `        resources:\n          limits:\n            ${resources}\n` : ''}`;

describe('check: why a deployment is not sized', function () {
  this.timeout(20_000);
  let dir: string;
  const files: Record<string, string> = {
    'no-model.vllm.yaml': 'max-model-len: 4096\ntensor-parallel-size: 1\n',
    'templated.yaml': deployment(vllmContainer('["--model=$(MODEL_ID)"]')),
    'mount.yaml': deployment(vllmContainer('["--model", "/mnt/models"]')),
    'storage.yaml': `apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: llm
spec:
  predictor:
    model:
      modelFormat:
        name: huggingface
      storageUri: s3://models/llm-demo/
`,
    'unknown-hub.yaml': deployment(vllmContainer('["--model", "acme/not-a-known-model-7b"]')),
    'neuron.yaml': deployment(vllmContainer('["--model", "Qwen/Qwen3-8B"]', 'aws.amazon.com/neuron: 1')),
    'amd.yaml': deployment(vllmContainer('["--model", "Qwen/Qwen3-8B"]', 'amd.com/gpu: 1')),
    'tpu-unknown.yaml': deployment(vllmContainer('["--model", "Qwen/Qwen3-8B"]', 'google.com/tpu: 4'),
      '      nodeSelector:\n        cloud.google.com/gke-tpu-accelerator: tpu-v99-slice\n'),
    'tpu.yaml': deployment(vllmContainer('["--model=meta-llama/Llama-3.1-70B", "--tensor-parallel-size=8", "--max-model-len=4096"]', 'google.com/tpu: 8'),
      '      nodeSelector:\n        cloud.google.com/gke-tpu-accelerator: tpu-v6e-slice\n'),
  };
  let report: Map<string, FileJson>;

  before(async () => {
    dir = tempTree(files);
    const hf = path.join(dir, 'empty-hf');
    const names = Object.keys(files);
    const r = await checkFiles(names.map((n) => path.join(dir, n)), { resolver: { workspaceFolders: [], env: { HF_HOME: hf }, homeDir: hf } });
    report = new Map(r.files.map((f, i) => [names[i], f]));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** The one not-sized diagnostic of the file's only deployment, with the text it covers. */
  function why(name: string): { d: DeploymentJson; code: string; message: string; text: string } {
    const f = report.get(name)!;
    assert.strictEqual(f.deployments.length, 1, name);
    const d = f.deployments[0];
    assert.strictEqual(d.sized, false, `${name} is not sized`);
    const reasons = d.diagnostics.filter((x) => NOT_SIZED_CODES.has(x.code));
    assert.strictEqual(reasons.length, 1, `${name}: one reason, got ${JSON.stringify(d.diagnostics)}`);
    const x = reasons[0];
    assert.strictEqual(x.severity, 'information');
    const lines = files[name].split('\n');
    const text = x.line === x.endLine ? lines[x.line - 1].slice(x.column - 1, x.endColumn - 1) : '(several lines)';
    assert.ok(d.notSizedReason && x.message.toLowerCase().includes(d.notSizedReason.split(';')[0].slice(0, 30).toLowerCase()), `${name}: the reason is the message's`);
    return { d, code: x.code, message: x.message, text };
  }

  it('no model named: on the deployment, saying how to name it', () => {
    const w = why('no-model.vllm.yaml');
    assert.strictEqual(w.code, 'model-not-named');
    assert.match(w.message, /names no model \(it is given on the command line/);
    assert.match(w.message, /# inference-budget: model=org\/name/);
  });

  it('a variable the file does not set: on the variable', () => {
    const w = why('templated.yaml');
    assert.deepStrictEqual([w.code, w.text], ['model-templated', '$(MODEL_ID)']);
    assert.match(w.message, /filled in at deploy time \(\$\(MODEL_ID\)\)/);
  });

  it('a mount path and a storage URI: on the model, saying what it is', () => {
    const mount = why('mount.yaml');
    assert.deepStrictEqual([mount.code, mount.text], ['model-is-path', '/mnt/models']);
    assert.match(mount.message, /a path inside the container/);
    const storage = why('storage.yaml');
    assert.deepStrictEqual([storage.code, storage.text], ['model-storage-uri', 's3://models/llm-demo/']);
  });

  it('a hub id that is nowhere here: what was tried and what to do', () => {
    const w = why('unknown-hub.yaml');
    assert.deepStrictEqual([w.code, w.text], ['model-not-found', 'acme/not-a-known-model-7b']);
    assert.match(w.message, /Tried: .*HF cache .*the bundled catalog/);
    assert.match(w.message, /Put its config\.json in the workspace or the Hugging Face cache, or say which model/);
  });

  it('an accelerator the catalog lacks, or one whose type is not stated: on the resource or label, never the default GPU', () => {
    const neuron = why('neuron.yaml');
    assert.deepStrictEqual([neuron.code, neuron.text], ['accelerator-not-in-catalog', 'aws.amazon.com/neuron']);
    assert.match(neuron.message, /^Not sized: AWS Neuron \(Inferentia\/Trainium\) \(aws\.amazon\.com\/neuron\) is not in the catalog/);
    assert.strictEqual(neuron.d.gpu, 'AWS Neuron (Inferentia/Trainium)');
    const amd = why('amd.yaml');
    assert.deepStrictEqual([amd.code, amd.text], ['accelerator-type-unknown', 'amd.com/gpu']);
    const tpu = why('tpu-unknown.yaml');
    assert.deepStrictEqual([tpu.code, tpu.text], ['accelerator-not-in-catalog', 'tpu-v99-slice']);
  });

  it('a TPU named by its node label is sized on that TPU', () => {
    const [d] = report.get('tpu.yaml')!.deployments;
    assert.strictEqual(d.sized, true, JSON.stringify(d.diagnostics));
    assert.deepStrictEqual([d.gpu, d.gpuCount, d.tensorParallel], [catalogName('tpu-v6e'), 8, 8]);
    assert.strictEqual((d.report as { hardware: { id: string } }).hardware.id, 'tpu-v6e');
  });
});

describe('check: # inference-budget: comments', function () {
  this.timeout(20_000);
  let dir: string;
  before(() => {
    dir = tempTree({
      'above.yaml': deployment(`      # inference-budget: model=Qwen/Qwen3-8B gpu="NVIDIA L4"
${vllmContainer('["--model", "/mnt/models", "--max-model-len", "4096"]', 'nvidia.com/gpu: 1', 'first')}${vllmContainer('["--model", "/mnt/other"]', '', 'second')}`),
      'top.yaml': `# inference-budget: model=Qwen/Qwen3-8B\n${deployment(vllmContainer('["--model", "/mnt/models"]'))}`,
      'compose.yaml': `services:
  a:
    image: vllm/vllm-openai:v0.19.0
    command: ["--model", "/data"]  # inference-budget: model=Qwen/Qwen3-8B gpus=2
  b:
    image: vllm/vllm-openai:v0.19.0
    command: ["--model", "/data", "--served-model-name", "inference-budget: model=not-a-comment"]
`,
      '.env': 'unused=1\n',
    });
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function run(name: string): Promise<DeploymentJson[]> {
    const hf = path.join(dir, 'empty-hf');
    return (await checkFiles([path.join(dir, name)], { resolver: { workspaceFolders: [], env: { HF_HOME: hf }, homeDir: hf } })).files[0].deployments;
  }

  it('above a container: that container takes its model and GPU, the next one not', async () => {
    const [first, second] = await run('above.yaml');
    assert.deepStrictEqual([first.modelId, first.modelSource, first.gpu, first.sized], ['Qwen/Qwen3-8B', 'bundled', catalogName('l4'), true]);
    assert.deepStrictEqual([second.modelId, second.sized], ['/mnt/other', false]);
  });

  it('at the top of the file: the first deployment after it', async () => {
    const [d] = await run('top.yaml');
    assert.deepStrictEqual([d.modelId, d.sized], ['Qwen/Qwen3-8B', true]);
  });

  it('on a line of a compose service: that service (gpus too); text that is not a comment is ignored', async () => {
    const [a, b] = await run('compose.yaml');
    assert.deepStrictEqual([a.modelId, a.gpuCount, a.sized], ['Qwen/Qwen3-8B', 2, true]);
    assert.deepStrictEqual([b.modelId, b.sized], ['/data', false]);
  });

  it('finds keys and value ranges; quoted values may hold spaces', () => {
    const text = 'x: 1  # inference-budget: model=org/name gpu="RTX 4090" other=1\n';
    const [d] = findDirectives(text);
    assert.strictEqual(text.slice(d.model!.range.start, d.model!.range.end), 'org/name');
    assert.strictEqual(text.slice(d.gpu!.range.start, d.gpu!.range.end), 'RTX 4090');
    assert.strictEqual(text.slice(d.gpu!.key.start, d.gpu!.key.end), 'gpu');
    assert.deepStrictEqual(findDirectives('args: ["x#inference-budget: model=a/b"]\n'), []);
  });
});

describe('check: the quick fix that names the model', () => {
  it('writes the comment above the deployment, indented like it, and then that deployment (only) is sized', async () => {
    const text = deployment(`${vllmContainer('["--model", "Qwen/Qwen3-8B"]', '', 'first')}${vllmContainer('["--model", "/mnt/models"]', '', 'second')}`);
    const second = parseDocument('d.yaml', text).deployments[1];
    const ins = directiveInsertion(text, second, 'Qwen/Qwen3-0.6B');
    const after = text.slice(0, ins.at) + ins.newText + text.slice(ins.at);
    assert.ok(after.includes('      # inference-budget: model=Qwen/Qwen3-0.6B\n      - name: second\n'), after);
    const dir = tempTree({ 'd.yaml': after });
    try {
      const hf = path.join(dir, 'empty-hf');
      const deployments = (await checkFiles([path.join(dir, 'd.yaml')], { resolver: { workspaceFolders: [], env: { HF_HOME: hf }, homeDir: hf } })).files[0].deployments;
      assert.deepStrictEqual(deployments.map((d) => [d.modelId, d.sized]), [['Qwen/Qwen3-8B', true], ['Qwen/Qwen3-0.6B', true]]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('at the top of a vLLM config, with CRLF line ends kept; ids with spaces are quoted', () => {
    const text = 'max-model-len: 4096\r\n';
    const spec = parseDocument('x.vllm.yaml', text).deployments[0];
    assert.deepStrictEqual(directiveInsertion(text, spec, 'org/name'), { at: 0, newText: '# inference-budget: model=org/name\r\n' });
    assert.strictEqual(directiveInsertion(text, spec, 'RTX model').newText, '# inference-budget: model="RTX model"\r\n');
  });
});

describe('check: the .env beside a compose file', () => {
  it('fills the model in, as Compose does', async () => {
    const dir = tempTree({
      'compose.yaml': 'services:\n  llm:\n    image: vllm/vllm-openai:v0.19.0\n    command: --model ${LLM_MODEL_ID} --max-model-len 4096\n',
      '.env': '# set by the deploy script\nLLM_MODEL_ID=Qwen/Qwen3-8B\n',
    });
    try {
      const hf = path.join(dir, 'empty-hf');
      const [d] = (await checkFiles([path.join(dir, 'compose.yaml')], { resolver: { workspaceFolders: [], env: { HF_HOME: hf }, homeDir: hf } })).files[0].deployments;
      assert.deepStrictEqual([d.modelId, d.sized], ['Qwen/Qwen3-8B', true]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
