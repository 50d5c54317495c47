import * as assert from 'assert';
import { editForInput, parseDocument } from '../../../src/formats';
import { read, slice, apply, replaceOnce } from './helpers';

describe('formats: docker-compose', () => {
  const name = 'docker-compose.yaml';
  const text = read(name);
  const doc = parseDocument(name, text);
  const [vllm, tgi] = doc.deployments;

  it('finds the vLLM and TGI services, not the UI', () => {
    assert.strictEqual(doc.kind, 'docker-compose');
    assert.deepStrictEqual(doc.problems, []);
    assert.deepStrictEqual(doc.deployments.map((d) => d.label), ['service vllm', 'service tgi']);
    assert.strictEqual(slice(text, vllm.anchor), 'vllm');
  });

  it('reads a command string and the device count', () => {
    assert.deepStrictEqual(vllm.inputs, {
      engine: 'vllm@0.19.0', quantization: 'awq', maxModelLen: 16384, gpuMemoryUtilization: 0.85, gpuCount: 1,
    });
    assert.strictEqual(vllm.model?.name, 'Qwen/Qwen2.5-14B-Instruct-AWQ');
    assert.strictEqual(slice(text, vllm.valueRanges.maxModelLen), '16384');
    assert.strictEqual(slice(text, vllm.keyRanges.maxModelLen), '--max-model-len');
    assert.strictEqual(slice(text, vllm.valueRanges.gpuCount), '1');
    assert.strictEqual(slice(text, vllm.keyRanges.gpuCount), 'count');
  });

  it('reads TGI flags, its environment and device_ids', () => {
    assert.strictEqual(tgi.engine, 'tgi');
    assert.deepStrictEqual(tgi.inputs, { dtype: 'bfloat16', tensorParallel: 2, maxModelLen: 4096, gpuCount: 2 });
    assert.strictEqual(tgi.model?.name, 'HuggingFaceH4/zephyr-7b-beta');
    assert.strictEqual(slice(text, tgi.valueRanges.tensorParallel), '2');
    assert.strictEqual(slice(text, tgi.keyRanges.dtype), 'DTYPE');
  });

  it('appends a flag to the command string', () => {
    const out = apply(text, editForInput(text, vllm, 'tensorParallel', 2));
    assert.strictEqual(out, replaceOnce(text, '--gpu-memory-utilization 0.85\n', '--gpu-memory-utilization 0.85 --tensor-parallel-size 2\n'));
  });

  it('adds items to a flow list', () => {
    const out = apply(text, editForInput(text, tgi, 'quantization', 'eetq'));
    assert.strictEqual(out, replaceOnce(text, '"--max-total-tokens", "4096"]', '"--max-total-tokens", "4096", "--quantize", "eetq"]'));
  });

  it('follows merge keys (x- extension fields)', () => {
    const t = [
      'x-vllm: &vllm',
      '  image: vllm/vllm-openai:v0.19.0',
      '  ipc: host',
      'services:',
      '  small:',
      '    <<: *vllm',
      '    command: ["--model", "Qwen/Qwen3-0.6B", "--max-model-len", "8192"]',
      '  large:',
      '    <<: *vllm',
      '    command: ["--model", "Qwen/Qwen3-32B", "--tensor-parallel-size", "2"]',
      '',
    ].join('\n');
    const r = parseDocument('compose.yml', t);
    assert.strictEqual(r.kind, 'docker-compose');
    assert.deepStrictEqual(r.deployments.map((d) => [d.label, d.inputs]), [
      ['service small', { engine: 'vllm@0.19.0', maxModelLen: 8192 }],
      ['service large', { engine: 'vllm@0.19.0', tensorParallel: 2 }],
    ]);
    assert.strictEqual(slice(t, r.deployments[1].valueRanges.engine), '0.19.0');
  });

  it('sets the device count', () => {
    const out = apply(text, editForInput(text, vllm, 'gpuCount', 2));
    assert.strictEqual(out, replaceOnce(text, '              count: 1\n', '              count: 2\n'));
  });
});

describe('formats: Helm values of the vLLM production stack', () => {
  const name = 'production-stack-values.yaml';
  const text = read(name);
  const doc = parseDocument(name, text);
  const [llama, mistral] = doc.deployments;

  it('reads each modelSpec', () => {
    assert.strictEqual(doc.kind, 'helm-vllm-stack');
    assert.deepStrictEqual(doc.problems, []);
    assert.deepStrictEqual(doc.deployments.map((d) => d.label), ['modelSpec llama3', 'modelSpec mistral']);
    assert.deepStrictEqual(llama.inputs, {
      engine: 'vllm@0.19.0', gpuCount: 1, maxModelLen: 16384, dtype: 'bfloat16', gpuMemoryUtilization: 0.8, gpu: 'NVIDIA-RTX-A6000',
    });
    assert.strictEqual(llama.model?.name, 'meta-llama/Llama-3.1-8B-Instruct');
    assert.strictEqual(slice(text, llama.anchor), 'name: "llama3"');
    assert.deepStrictEqual(mistral.inputs, { engine: 'vllm', gpuCount: 2, tensorParallel: 2, maxModelLen: 32768 });
  });

  it('has ranges in vllmConfig, extraArgs, requestGPU and nodeSelectorTerms', () => {
    const want: Record<string, [string, string]> = {
      maxModelLen: ['16384', 'maxModelLen'], dtype: ['bfloat16', 'dtype'], gpuMemoryUtilization: ['0.8', '--gpu-memory-utilization'],
      gpuCount: ['1', 'requestGPU'], gpu: ['NVIDIA-RTX-A6000', 'nvidia.com/gpu.product'], engine: ['0.19.0', 'tag'],
    };
    for (const [k, [v, key]] of Object.entries(want)) {
      assert.strictEqual(slice(text, llama.valueRanges[k as 'gpu']), v, k);
      assert.strictEqual(slice(text, llama.keyRanges[k as 'gpu']), key, k);
    }
  });

  it('adds chart keys to vllmConfig', () => {
    const out = apply(text, editForInput(text, llama, 'tensorParallel', 2));
    assert.strictEqual(out, replaceOnce(text, '"--gpu-memory-utilization", "0.8"]\n', '"--gpu-memory-utilization", "0.8"]\n        tensorParallelSize: 2\n'));
  });

  it('adds other flags to extraArgs', () => {
    const out = apply(text, editForInput(text, llama, 'kvCacheDtype', 'fp8'));
    assert.strictEqual(out, replaceOnce(text, '"0.8"]', '"0.8", "--kv-cache-dtype", "fp8"]'));
  });

  it('creates extraArgs when there is none', () => {
    const out = apply(text, editForInput(text, mistral, 'kvCacheDtype', 'fp8'));
    assert.strictEqual(out, replaceOnce(text, '        maxModelLen: 32768\n', '        maxModelLen: 32768\n        extraArgs:\n          - --kv-cache-dtype\n          - "fp8"\n'));
    assert.strictEqual(parseDocument(name, out).deployments[1].inputs.kvCacheDtype, 'fp8');
  });

  it('sets values in place, quoted or not', () => {
    assert.strictEqual(apply(text, editForInput(text, llama, 'maxModelLen', 8192)), replaceOnce(text, 'maxModelLen: 16384', 'maxModelLen: 8192'));
    assert.strictEqual(apply(text, editForInput(text, llama, 'dtype', 'float16')), replaceOnce(text, 'dtype: "bfloat16"', 'dtype: "float16"'));
    assert.strictEqual(apply(text, editForInput(text, llama, 'gpuMemoryUtilization', 0.9)), replaceOnce(text, '"0.8"]', '"0.9"]'));
    assert.strictEqual(apply(text, editForInput(text, mistral, 'gpuCount', 4)), replaceOnce(text, 'requestGPU: 2', 'requestGPU: 4'));
  });
});

describe('formats: vLLM config file', () => {
  const name = 'vllm-config.yaml';
  const text = read(name);
  const doc = parseDocument(name, text);
  const d = doc.deployments[0];

  it('reads the engine arguments', () => {
    assert.strictEqual(doc.kind, 'vllm-config');
    assert.deepStrictEqual(doc.problems, []);
    assert.deepStrictEqual(d.inputs, {
      engine: 'vllm', tensorParallel: 4, maxModelLen: 65536, gpuMemoryUtilization: 0.92, maxNumSeqs: 64, maxNumBatchedTokens: 8192,
      kvCacheDtype: 'fp8',
    });
    assert.strictEqual(d.model?.name, 'meta-llama/Llama-3.3-70B-Instruct');
    assert.strictEqual(slice(text, d.anchor), 'model: meta-llama/Llama-3.3-70B-Instruct');
    assert.strictEqual(slice(text, d.keyRanges.tensorParallel), 'tensor-parallel-size');
    assert.strictEqual(slice(text, d.valueRanges.gpuMemoryUtilization), '0.92');
  });

  it('adds a key in the file\'s spelling', () => {
    assert.strictEqual(apply(text, editForInput(text, d, 'quantization', 'fp8')), text.replace(/\n$/, '\nquantization: fp8\n'));
    const under = 'model: x/y\ntensor_parallel_size: 2\nmax_model_len: 4096 # comment\n';
    const u = parseDocument('serve.yaml', under).deployments[0];
    assert.deepStrictEqual(u.inputs, { engine: 'vllm', tensorParallel: 2, maxModelLen: 4096 });
    assert.strictEqual(apply(under, editForInput(under, u, 'gpuMemoryUtilization', 0.8)), under + 'gpu_memory_utilization: 0.8\n');
  });

  it('sets a value in place', () => {
    assert.strictEqual(apply(text, editForInput(text, d, 'maxModelLen', '32k')), replaceOnce(text, 'max-model-len: 65536', 'max-model-len: 32000'));
  });

  it('inserts at the end of a file without a final newline', () => {
    const t = 'model: a/b\nmax-model-len: 1024';
    const dd = parseDocument('c.yaml', t).deployments[0];
    assert.strictEqual(apply(t, editForInput(t, dd, 'dtype', 'half')), 'model: a/b\nmax-model-len: 1024\ndtype: half');
  });
});
