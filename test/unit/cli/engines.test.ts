// check over SGLang, llama.cpp and Ollama deployments: each sized by its own engine's rules, Ollama's library names
// read as the model they are built from, flags that are not read listed once per deployment, and the real llama.cpp
// and Ollama files of the corpus recognised.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { ollamaModel } from '../../../src/analysis/ollamaLibrary';
import { checkFiles, FileJson } from '../../../src/cli/check';
import { CORPUS, ROOT, position, tempTree } from './helpers';

/** Qwen3-8B's shapes from its bundled config (36 layers, 8 KV heads of 128). */
const QWEN3_8B = JSON.parse(fs.readFileSync(path.join(ROOT, 'src', 'core', 'bundled-models.json'), 'utf8')) as unknown;

function qwen3Config(): { num_hidden_layers: number; num_key_value_heads: number; head_dim: number } {
  const list = (Array.isArray(QWEN3_8B) ? QWEN3_8B : (QWEN3_8B as { models: unknown[] }).models) as Array<{ id: string; config: Record<string, number> }>;
  const c = list.find((m) => m.id === 'Qwen/Qwen3-8B')!.config;
  return { num_hidden_layers: c.num_hidden_layers, num_key_value_heads: c.num_key_value_heads, head_dim: c.head_dim };
}

const pod = (image: string, command: string, args: string): string =>
  `apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: c\n      image: ${image}\n${command ? `      command: ${command}\n` : ''}      args: ${args}\n      resources:\n        limits:\n          nvidia.com/gpu: 1\n`;

describe('check: SGLang, llama.cpp and Ollama by their own rules', function () {
  this.timeout(20_000);
  let dir: string;
  let files: Map<string, FileJson>;
  const texts: Record<string, string> = {
    'sglang.yaml': pod('lmsysorg/sglang:v0.5.6', '["python3", "-m", "sglang.launch_server"]', '["--model-path", "Qwen/Qwen3-8B", "--context-length", "8192", "--cuda-graph-max-bs", "8"]'),
    'llama.yaml': pod('ghcr.io/ggml-org/llama.cpp:server-cuda', '', '["-hf", "unsloth/Qwen3-8B-GGUF:Q8_0", "-c", "16384", "--cpu-moe"]'),
    'Modelfile': 'FROM qwen3:8b\nPARAMETER num_ctx 8192\n',
    'ollama.yaml': 'services:\n  ollama:\n    image: ollama/ollama\n',
    'unknown.Modelfile': 'FROM someone/custom-model:latest\n',
  };
  before(async () => {
    dir = tempTree(texts);
    const report = await checkFiles(Object.keys(texts).map((f) => path.join(dir, f)), { resolver: { workspaceFolders: [], env: {}, homeDir: dir } });
    files = new Map(report.files.map((f) => [path.basename(f.path), f]));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('SGLang deployments carry their release and are sized by SGLang\'s rules', () => {
    const d = files.get('sglang.yaml')!.deployments[0];
    assert.deepStrictEqual([d.engine, d.sized, (d.report as { settings: { engine: string } }).settings.engine, d.engineVersion], ['sglang', true, 'sglang', '0.5.6']);
  });

  it('llama.cpp: the -hf GGUF type and the context are what the engine sizes', () => {
    const d = files.get('llama.yaml')!.deployments[0];
    const r = d.report as { settings: { engine: string; maxModelLen: number }; model: { weightDtype: string; kvBytesPerToken: number } };
    assert.deepStrictEqual([d.engine, r.settings.engine, r.model.weightDtype, r.settings.maxModelLen], ['llamacpp', 'llamacpp', 'q8_0', 16384]);
  });

  it('flags that are not read are one information finding on the first of them', () => {
    const d = files.get('llama.yaml')!.deployments[0];
    const found = d.diagnostics.filter((x) => x.code === 'flags-not-read');
    assert.strictEqual(found.length, 1);
    assert.strictEqual(found[0].severity, 'information');
    assert.match(found[0].message, /^Flags not read: --cpu-moe \(/);
    const text = texts['llama.yaml'];
    const at = position(text, text.indexOf('"--cpu-moe"') + 1);
    assert.deepStrictEqual([found[0].line, found[0].column], [at.line, at.column]);
    assert.match(files.get('sglang.yaml')!.deployments[0].diagnostics.find((x) => x.code === 'flags-not-read')!.message, /--cuda-graph-max-bs/);
  });

  it('an Ollama library name is its Hugging Face model in Q4_K_M; num_ctx is the context of llama.cpp\'s one slot', () => {
    const d = files.get('Modelfile')!.deployments[0];
    assert.deepStrictEqual([d.engine, d.modelId, d.sized], ['ollama', 'qwen3:8b', true]);
    const r = d.report as { settings: { engine: string; maxModelLen: number }; model: { weightDtype: string; kvBytesPerToken: number } };
    const c = qwen3Config();
    assert.deepStrictEqual([r.settings.engine, r.settings.maxModelLen, r.model.weightDtype], ['llamacpp', 8192, 'q4_k_m']);
    // K and V in f16 for every layer.
    assert.strictEqual(r.model.kvBytesPerToken, c.num_hidden_layers * 2 * c.num_key_value_heads * c.head_dim * 2);
    assert.ok(d.diagnostics.some((x) => x.code === 'model-variant' && /qwen3:8b is Ollama's build of Qwen\/Qwen3-8B \(Q4_K_M\)/.test(x.message)), JSON.stringify(d.diagnostics));
  });

  it('says why an Ollama deployment is not sized: the model is pulled at run time, or its name is not known', () => {
    const none = files.get('ollama.yaml')!.deployments[0];
    assert.deepStrictEqual([none.engine, none.sized], ['ollama', false]);
    assert.match(none.notSizedReason!, /Ollama pulls its models at run time/);
    const unknown = files.get('unknown.Modelfile')!.deployments[0];
    assert.match(unknown.notSizedReason!, /Ollama model "someone\/custom-model:latest" is not one whose Hugging Face model is known/);
  });
});

describe('Ollama library names', () => {
  it('size and GGUF type from the tag; the default build is Q4_K_M', () => {
    const cases: Array<[string, string, string | undefined]> = [
      ['llama3.1:8b', 'meta-llama/Llama-3.1-8B-Instruct', 'q4_k_m'],
      ['llama3.1', 'meta-llama/Llama-3.1-8B-Instruct', 'q4_k_m'],
      ['qwen2.5-coder:32b-instruct-q8_0', 'Qwen/Qwen2.5-Coder-32B-Instruct', 'q8_0'],
      ['qwen3:30b-a3b', 'Qwen/Qwen3-30B-A3B', 'q4_k_m'],
      ['library/mixtral:8x22b', 'mistralai/Mixtral-8x22B-Instruct-v0.1', 'q4_k_m'],
      ['gemma3:27b-it-fp16', 'google/gemma-3-27b-it', undefined],
      // gpt-oss ships its own MXFP4 weights.
      ['gpt-oss:120b', 'openai/gpt-oss-120b', undefined],
      ['hf.co/unsloth/Qwen3-8B-GGUF:Q5_K_M', 'unsloth/Qwen3-8B-GGUF', 'q5_k_m'],
    ];
    for (const [name, hubId, quantization] of cases) {
      const m = ollamaModel(name);
      assert.ok(m?.known, name);
      assert.deepStrictEqual([m.hubId, m.quantization], [hubId, quantization], name);
    }
    assert.deepStrictEqual(ollamaModel('llama3.1:13b'), { known: false });
    assert.deepStrictEqual(ollamaModel('someone/custom:latest'), { known: false });
    assert.strictEqual(ollamaModel('./model.gguf'), undefined);
  });
});

describe('check: the corpus\'s llama.cpp and Ollama files', function () {
  this.timeout(30_000);
  it('are recognised, with the engine they run and why they are not sized', async () => {
    const names = ['llamacpp-stack__docker-compose.dynamic.cuda.yml', 'quick-llamacpp__docker-compose.ubuntu.yml',
      'ollama-docker__docker-compose-ollama-gpu.yaml', 'ollama-helm__values.yaml'];
    const report = await checkFiles(names.map((n) => path.join(CORPUS, n)), { resolver: { workspaceFolders: [], env: {}, homeDir: CORPUS } });
    const got = report.files.map((f) => [f.kind, f.deployments.map((d) => [d.engine, d.modelId, d.diagnostics.find((x) => x.severity === 'information' && /^Not sized/.test(x.message))?.code])]);
    assert.deepStrictEqual(got, [
      // A router with no model (models are loaded on request); its image is a variable with a default.
      ['docker-compose', [['llamacpp', null, 'model-not-named']]],
      // The full image's --server runs llama-server on a model mounted into the container; the downloader is no server.
      ['docker-compose', [['llamacpp', '/models/default-model.gguf', 'model-is-path']]],
      ['docker-compose', [['ollama', null, 'model-not-named']]],
      // The chart's defaults: no GPU, no model.
      ['helm-ollama', [['ollama', null, 'runs-on-cpu']]],
    ]);
  });
});
