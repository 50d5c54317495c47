// llama.cpp's llama-server and Ollama in Kubernetes manifests, compose files, the Ollama Helm chart's values and
// Modelfiles: their flags (common/arg.cpp), environment (LLAMA_ARG_*, OLLAMA_*) and parameters, as each reads them.
import * as assert from 'assert';
import { DeploymentSpec, editForInput, parseDocument } from '../../../src/formats';
import { apply, k8sDeployment, replaceOnce, slice } from './helpers';

function one(name: string, text: string, dotEnv?: Map<string, string>): DeploymentSpec {
  const doc = parseDocument(name, text, dotEnv ? { dotEnv } : {});
  assert.strictEqual(doc.deployments.length, 1, JSON.stringify(doc.deployments.map((d) => d.label)));
  return doc.deployments[0];
}

const deployment = k8sDeployment;

describe('formats: llama.cpp (llama-server)', () => {
  it('reads llama-server flags from a server image; -hf names the repository and its GGUF type', () => {
    const text = deployment(`      - name: llama
        image: ghcr.io/ggml-org/llama.cpp:server-cuda-b5000
        args: ["-hf", "unsloth/Qwen3-8B-GGUF:Q8_0", "-c", "16384", "-np", "4", "-ngl", "99", "-ctk", "q8_0", "-ctv", "q8_0",
               "-fa", "on", "-ub", "1024", "--fit", "off", "--host", "0.0.0.0", "--port", "8080", "-ts", "1,1", "--metrics"]
        resources:
          limits:
            nvidia.com/gpu: 1
`);
    const doc = parseDocument('d.yaml', text);
    assert.strictEqual(doc.kind, 'kubernetes');
    assert.deepStrictEqual(doc.problems, []);
    const d = doc.deployments[0];
    assert.strictEqual(d.engine, 'llamacpp');
    assert.strictEqual(d.model?.name, 'unsloth/Qwen3-8B-GGUF');
    assert.strictEqual(slice(text, d.model?.range), 'unsloth/Qwen3-8B-GGUF');
    assert.deepStrictEqual(d.inputs, {
      engine: 'llamacpp@b5000', quantization: 'q8_0', maxModelLen: 16384, maxNumSeqs: 4, gpuLayers: 99, kvCacheDtype: 'q8_0',
      flashAttention: true, ubatch: 1024, fit: false, gpuCount: 1, tensorSplit: '1,1',
    });
    assert.strictEqual(slice(text, d.keyRanges.maxModelLen), '-c');
    assert.strictEqual(slice(text, d.valueRanges.gpuLayers), '99');
    // -ts (tensor split) is read; --host, --port, --metrics leave memory unchanged.
    assert.strictEqual(d.unread, undefined);
    // A quick fix sets the value where it is written, and adds absent flags in llama-server's spelling.
    assert.strictEqual(apply(text, editForInput(text, d, 'maxModelLen', 8192)), replaceOnce(text, '"16384"', '"8192"'));
  });

  it('-c 0 and -ngl auto leave the engine its defaults; -ngl all puts every layer on the GPU; a bare -fa is on', () => {
    const d = one('d.yaml', deployment(`      - name: llama
        image: ghcr.io/ggml-org/llama.cpp:server
        args: ["-m", "/models/Qwen3-8B-Q4_K_M.gguf", "-c", "0", "-ngl", "all", "-fa", "--jinja"]
`));
    assert.strictEqual(d.model?.name, '/models/Qwen3-8B-Q4_K_M.gguf');
    // The file name says its GGUF type.
    assert.deepStrictEqual(d.inputs, { engine: 'llamacpp', quantization: 'q4_k_m', gpuLayers: 999, flashAttention: true });
    assert.ok(d.valueRanges.maxModelLen, '-c 0 is still where the context is written');
    const auto = one('d.yaml', deployment(`      - name: llama
        image: ghcr.io/ggml-org/llama.cpp:server
        args: ["-m", "/m/model.gguf", "-ngl", "auto", "-fa", "auto"]
`));
    assert.deepStrictEqual(auto.inputs, { engine: 'llamacpp' });
    // -ngl 0 keeps every layer on the CPU; an absent flag is added in llama-server's long spelling.
    const text = deployment(`      - name: llama
        image: ghcr.io/ggml-org/llama.cpp:server
        args: ["-m", "/m/model.gguf", "-ngl", "0"]
`);
    const cpu = one('d.yaml', text);
    assert.strictEqual(cpu.inputs.gpuLayers, 0);
    assert.strictEqual(apply(text, editForInput(text, cpu, 'maxNumSeqs', 4)), replaceOnce(text, '"-ngl", "0"]', '"-ngl", "0", "--parallel", "4"]'));
  });

  it('says when K and V caches differ (the budget sizes both with one type)', () => {
    const text = deployment(`      - name: llama
        command: ["/app/llama-server", "-m", "/m/model.gguf", "-ctk", "q8_0"]
        image: example/custom:1
`);
    const doc = parseDocument('d.yaml', text);
    assert.strictEqual(doc.deployments[0].engine, 'llamacpp');
    assert.deepStrictEqual(doc.problems.map((p) => [p.severity, slice(text, p.range)]), [['information', 'q8_0']]);
    assert.match(doc.problems[0].message, /-ctk q8_0, -ctv f16 by default/);
  });

  it('compose: full images serve with --server, light images do not serve; the image may be a variable with a default', () => {
    const text = `services:
  server:
    image: ghcr.io/ggml-org/llama.cpp:full-cuda
    command: --server -m /models/m.gguf --ctx-size 4096 --n-gpu-layers 999
  tools:
    image: ghcr.io/ggml-org/llama.cpp:full-cuda
    command: --convert --outtype q4_0 /models/
  cli:
    image: ghcr.io/ggml-org/llama.cpp:light-cuda
    command: -m /models/m.gguf -p "hello"
  router:
    image: \${LLAMA_IMAGE:-ghcr.io/ggml-org/llama.cpp:server-cuda-b4500}
`;
    const doc = parseDocument('compose.yaml', text);
    assert.deepStrictEqual(doc.deployments.map((d) => [d.label, d.engine, d.inputs.engine]), [
      ['service server', 'llamacpp', 'llamacpp'], ['service router', 'llamacpp', 'llamacpp@b4500'],
    ]);
    assert.deepStrictEqual([doc.deployments[0].inputs.maxModelLen, doc.deployments[0].inputs.gpuLayers], [4096, 999]);
  });

  it('reads LLAMA_ARG_* from the environment; flags win', () => {
    const d = one('compose.yaml', `services:
  llama:
    image: ghcr.io/ggml-org/llama.cpp:server-cuda
    command: ["-c", "4096"]
    environment:
      LLAMA_ARG_HF_REPO: ggml-org/gpt-oss-20b-GGUF
      LLAMA_ARG_CTX_SIZE: "8192"
      LLAMA_ARG_N_PARALLEL: "2"
      LLAMA_ARG_FLASH_ATTN: "off"
`);
    assert.strictEqual(d.model?.name, 'ggml-org/gpt-oss-20b-GGUF');
    assert.deepStrictEqual([d.inputs.maxModelLen, d.inputs.maxNumSeqs, d.inputs.flashAttention], [4096, 2, false]);
  });
});

describe('formats: Ollama', () => {
  it('compose: the server settings from the environment; the context is per request, times the requests served', () => {
    const text = `services:
  ollama:
    image: ollama/ollama:0.6.2
    environment:
      - OLLAMA_CONTEXT_LENGTH=8192
      - OLLAMA_NUM_PARALLEL=4
      - OLLAMA_KV_CACHE_TYPE=q8_0
      - OLLAMA_FLASH_ATTENTION=1
      - OLLAMA_GPU_OVERHEAD=536870912
      - OLLAMA_KEEP_ALIVE=24h
    deploy:
      resources:
        reservations:
          devices:
            - driver: nvidia
              count: 1
              capabilities: [gpu]
`;
    const d = one('compose.yaml', text);
    assert.strictEqual(d.engine, 'ollama');
    // llama.cpp runs with -c 8192 × 4 and -np 4.
    assert.deepStrictEqual(d.inputs, {
      engine: 'ollama@0.6.2', maxModelLen: 32768, maxNumSeqs: 4, kvCacheDtype: 'q8_0', flashAttention: true, gpuCount: 1,
      gpuOverheadBytes: 536870912,
    });
    assert.strictEqual(slice(text, d.valueRanges.maxModelLen), '8192');
    assert.strictEqual(d.unread, undefined);
    // The file keeps the per-request context: 65,536 cells over 4 requests is 16,384 each.
    assert.strictEqual(apply(text, editForInput(text, d, 'maxModelLen', 65536)), replaceOnce(text, 'OLLAMA_CONTEXT_LENGTH=8192', 'OLLAMA_CONTEXT_LENGTH=16384'));
    assert.strictEqual(d.model, undefined, 'the model is pulled at run time');
  });

  it('Kubernetes: the model a command or postStart hook pulls', () => {
    const script = one('d.yaml', deployment(`      - name: ollama
        image: ollama/ollama
        command: ["/bin/sh", "-c", "ollama serve & sleep 5; ollama pull llama3.1:8b; wait"]
`));
    assert.deepStrictEqual([script.engine, script.model?.name, script.inputs.engine], ['ollama', 'llama3.1:8b', 'ollama']);
    const text = deployment(`      - name: ollama
        image: ollama/ollama:latest
        env:
          - name: OLLAMA_CONTEXT_LENGTH
            value: "16384"
        lifecycle:
          postStart:
            exec:
              command: ["/bin/sh", "-c", "ollama run qwen3:8b"]
`);
    const hook = one('d.yaml', text);
    assert.strictEqual(hook.model?.name, 'qwen3:8b');
    assert.strictEqual(slice(text, hook.model?.range), 'qwen3:8b');
    assert.strictEqual(hook.inputs.maxModelLen, 16384);
  });

  it('the Ollama chart: models pulled at start, GPUs, extraEnv; without a GPU it runs on the CPU', () => {
    const text = `image:
  repository: ollama/ollama
  tag: "0.9.0"
ollama:
  gpu:
    enabled: true
    type: nvidia
    number: 2
  models:
    pull:
      - llama3.2:1b
    run:
      - qwen3:8b
extraEnv:
  - name: OLLAMA_CONTEXT_LENGTH
    value: "4096"
nodeSelector:
  nvidia.com/gpu.product: NVIDIA-L4
`;
    const doc = parseDocument('values.yaml', text);
    assert.strictEqual(doc.kind, 'helm-ollama');
    const d = doc.deployments[0];
    assert.strictEqual(d.model?.name, 'qwen3:8b');
    assert.deepStrictEqual(d.inputs, { engine: 'ollama@0.9.0', maxModelLen: 4096, gpuCount: 2, gpu: 'NVIDIA-L4' });
    assert.strictEqual(d.accelerator, undefined);
    const cpu = one('values.yaml', 'image:\n  repository: ollama/ollama\nollama:\n  gpu:\n    enabled: false\n  models:\n    pull: []\n');
    assert.strictEqual(cpu.accelerator?.resource, 'cpu');
    assert.strictEqual(cpu.model, undefined);
  });

  it('Modelfile: FROM and the parameters that size memory; TEMPLATE text is not read', () => {
    const text = `# A chat model with a longer context
FROM llama3.1:8b
TEMPLATE """{{ .System }}
PARAMETER num_ctx 99
{{ .Prompt }}"""
PARAMETER temperature 0.2
parameter num_ctx 16384
PARAMETER num_gpu 20
SYSTEM You are terse.
`;
    const doc = parseDocument('Modelfile', text);
    assert.strictEqual(doc.kind, 'modelfile');
    const d = doc.deployments[0];
    assert.deepStrictEqual([d.engine, d.model?.name, slice(text, d.model?.range)], ['ollama', 'llama3.1:8b', 'llama3.1:8b']);
    assert.deepStrictEqual(d.inputs, { engine: 'ollama', maxModelLen: 16384, gpuLayers: 20 });
    assert.strictEqual(apply(text, editForInput(text, d, 'maxModelLen', 8192)), replaceOnce(text, 'num_ctx 16384', 'num_ctx 8192'));
    // An absent parameter is added on a line of its own after the last one.
    assert.strictEqual(apply(text, editForInput(text, d, 'ubatch', 256)), replaceOnce(text, 'PARAMETER num_gpu 20\n', 'PARAMETER num_gpu 20\nPARAMETER num_batch 256\n'));
    const gguf = one('qwen.Modelfile', 'FROM ./Qwen3-8B-Q5_K_M.gguf\nPARAMETER num_batch 256\n');
    assert.deepStrictEqual(gguf.inputs, { engine: 'ollama', quantization: 'q5_k_m', ubatch: 256 });
    assert.strictEqual(parseDocument('Modelfile', '# no FROM\nPARAMETER num_ctx 4096\n').kind, undefined);
  });
});
