// Names read from files that are also members of Object.prototype (`constructor`, `toString`, `__proto__` …): a
// lookup table must find nothing for them. `--constructor 3` in a vLLM command line was read as an input named after
// Object's constructor, `-ctk constructor` passed llama.cpp's cache-type check, and `kind: toString` made the
// operator check throw.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { parseDocument } from '../../../src/formats';
import { DEPLOYMENT_INPUTS } from '../../../src/core/inputs';
import { computeBudget } from '../../../src/core/budget';
import { findAccelerator } from '../../../src/core/hardware';
import { normalizeConfig } from '../../../src/core/normalize';
import { ollamaModel } from '../../../src/analysis/ollamaLibrary';
import { looksLikeOperator } from '../../../src/formats/operators';
import { parseYaml } from '../../../src/formats/yaml';
import type { DeploymentSpec } from '../../../src/formats/types';
import { ROOT } from './helpers';

const CORPUS = path.resolve(ROOT, '..', 'shared', 'model-configs');

const NAMES = Object.getOwnPropertyNames(Object.prototype);
/** A config whose layers are named by block type (`layers_block_type`); one of them is renamed below. */
const NEMOTRON_3_ULTRA = JSON.parse(fs.readFileSync(path.join(CORPUS, 'nemotron-h', 'NVIDIA-Nemotron-3-Ultra-550B-A55B-BF16', 'config.json'), 'utf8')) as { layers_block_type: string[] };
const INPUT_KEYS = new Set<string>(DEPLOYMENT_INPUTS.map((s) => s.key));

/** Every input a reader took is a declared one, with a string, number or boolean value. */
function assertInputsSound(d: DeploymentSpec, where: string): void {
  for (const [key, value] of Object.entries(d.inputs)) {
    assert.ok(INPUT_KEYS.has(key), `${where}: input "${key.slice(0, 60)}" is not a declared input`);
    assert.ok(['string', 'number', 'boolean'].includes(typeof value), `${where}: input ${key} is a ${typeof value}`);
  }
}

function pod(image: string, args: string[], env: Array<[string, string]> = []): string {
  const envText = env.length ? `    env:\n${env.map(([n, v]) => `    - name: "${n}"\n      value: "${v}"\n`).join('')}` : '';
  return `apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    image: ${image}\n    args: ${JSON.stringify(args)}\n${envText}`;
}

describe('formats and engine: names that are members of Object.prototype', () => {
  it('the list covers the usual suspects', () => {
    for (const n of ['constructor', 'toString', 'valueOf', 'hasOwnProperty', '__proto__']) assert.ok(NAMES.includes(n), n);
  });

  for (const name of NAMES) {
    it(`"${name}" as a flag, an environment variable, a key, a kind or a value finds nothing`, () => {
      const docs: Array<[string, string]> = [
        ['vllm.yaml', pod('vllm/vllm-openai:v0.19.0', ['--model', 'acme/m-7b', `--${name}`, '3', `--no-${name}`, `--${name}=4`], [[name, '5'], [`VLLM_${name}`, '1']])],
        ['sglang.yaml', pod('lmsysorg/sglang:latest', ['python3', '-m', 'sglang.launch_server', '--model-path', 'acme/m-7b', `--${name}`, '2'])],
        ['tgi.yaml', pod('ghcr.io/huggingface/text-generation-inference:3.0', ['--model-id', 'acme/m-7b', `--${name}`, '2'], [[name, '7']])],
        ['llama.yaml', pod('ghcr.io/ggml-org/llama.cpp:server', ['-m', '/models/m.gguf', `--${name}`, '2', `--no-${name}`], [[name, '1'], [`LLAMA_ARG_${name}`, '2']])],
        ['ollama.yaml', pod('ollama/ollama:0.12.0', [], [[name, '9']])],
        ['values.yaml', `servingEngineSpec:\n  modelSpec:\n  - name: m\n    modelURL: acme/m-7b\n    vllmConfig:\n      "${name}": 3\n      maxModelLen: 4096\n`],
        ['chart-values.yaml', `image:\n  repository: vllm/vllm-openai\nvllm:\n  "${name}": 3\n  model: acme/m-7b\n`],
        ['inference-budget.yaml', `model: acme/m-7b\nhardware:\n  gpu: H100\n  "${name}": 2\nengine:\n  "${name}": 3\n  maxModelLen: 4096\n`],
        ['Modelfile', `FROM ./m.gguf\nPARAMETER ${name} 3\nPARAMETER num_ctx 4096\n`],
        ['operator.yaml', `apiVersion: kubeai.org/v1\nkind: "${name}"\nmetadata:\n  name: m\nspec:\n  url: hf://acme/m-7b\n  engine: "${name}"\n`],
      ];
      for (const [file, text] of docs) {
        const parsed = parseDocument(file, text);
        for (const d of parsed.deployments) assertInputsSound(d, `${file} with ${name}`);
      }
      // The one input each form declares is still read beside the odd name.
      const vllm = parseDocument('vllm.yaml', docs[0][1]).deployments[0];
      assert.strictEqual(vllm.model?.name, 'acme/m-7b');
      const values = parseDocument('values.yaml', docs[5][1]).deployments[0];
      assert.strictEqual(values.inputs.maxModelLen, 4096);

      // A resource kind named so is no operator resource, and asking does not throw.
      assert.strictEqual(looksLikeOperator(parseYaml(`apiVersion: kubeai.org/v1\nkind: "${name}"\n`).docs[0].root), false);
      // An Ollama model, a GPU, a layer block type and a llama.cpp cache type named so are unknown.
      assert.notStrictEqual(ollamaModel(`${name}:latest`)?.known, true);
      assert.strictEqual(findAccelerator(name).ok, false);
      const hybrid = normalizeConfig({ ...NEMOTRON_3_ULTRA, layers_block_type: NEMOTRON_3_ULTRA.layers_block_type.map((t, i) => (i === 1 ? name : t)) });
      assert.ok(!hybrid.ok && /unknown block type/.test(hybrid.unsupported), hybrid.ok ? 'sized' : hybrid.unsupported);
      const llama = computeBudget({ config: { architectures: ['LlamaForCausalLM'], model_type: 'llama', hidden_size: 4096, num_attention_heads: 32, num_key_value_heads: 8, intermediate_size: 14336, num_hidden_layers: 32, vocab_size: 128256, max_position_embeddings: 8192, torch_dtype: 'bfloat16' } }, { engine: 'llamacpp', kvCacheDtype: name, maxModelLen: 4096 });
      assert.ok(!llama.ok && /Unknown llama\.cpp cache type/.test(llama.unsupported), JSON.stringify(llama).slice(0, 200));
    });
  }
});
