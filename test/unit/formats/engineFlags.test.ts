// The readers' flag tables (derived from the one table of deployment inputs), switches, flags that are not read,
// and the engine an image tag pins. Expected spellings are vLLM's, SGLang's and TGI's own (their --help), written
// out here rather than taken from the inputs table.
import * as assert from 'assert';
import { DeploymentSpec, editForInput, parseDocument } from '../../../src/formats';
import { CANONICAL_FLAG, FLAGS, TGI_ENV } from '../../../src/formats/engines';
import { apply, replaceOnce, slice } from './helpers';

function one(name: string, text: string): DeploymentSpec {
  const doc = parseDocument(name, text);
  assert.strictEqual(doc.deployments.length, 1, JSON.stringify(doc.deployments.map((d) => d.label)));
  return doc.deployments[0];
}

const pod = (image: string, args: string, command = ''): string =>
  `apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: c\n      image: ${image}\n${command}      args: ${args}\n`;

describe('formats: engine flag tables', () => {
  it('reads speculative decoding as vLLM (--speculative-config, or the older flags) and SGLang write it', () => {
    const llama = '"--model", "meta-llama/Llama-3.1-8B-Instruct"';
    let d = one('s.yaml', pod('vllm/vllm-openai:v0.19.0', `[${llama}, "--speculative-config", '{"method": "eagle3", "model": "yuhuili/EAGLE3-LLaMA3.1-Instruct-8B", "num_speculative_tokens": 3}']`));
    assert.deepStrictEqual([d.inputs.speculativeMethod, d.inputs.speculativeTokens], ['eagle3', 3]);
    d = one('s.yaml', pod('vllm/vllm-openai:v0.19.0', `[${llama}, '--speculative-config={"model": "[ngram]", "num_speculative_tokens": 5}']`));
    assert.deepStrictEqual([d.inputs.speculativeMethod, d.inputs.speculativeTokens], ['ngram', 5]);
    d = one('s.yaml', pod('vllm/vllm-openai:v0.8.5', `[${llama}, "--speculative-model", "yuhuili/EAGLE-LLaMA3-Instruct-8B", "--num-speculative-tokens", "4"]`));
    assert.deepStrictEqual([d.inputs.speculativeMethod, d.inputs.speculativeTokens], ['eagle', 4]);
    d = one('s.yaml', pod('lmsysorg/sglang:v0.4.9', '["--model-path", "deepseek-ai/DeepSeek-V3", "--speculative-algorithm", "NEXTN", "--speculative-num-steps", "2"]', '      command: ["python3", "-m", "sglang.launch_server"]\n'));
    assert.deepStrictEqual([d.inputs.speculativeMethod, d.inputs.speculativeTokens], ['NEXTN', 2]);
    const config = 'model: deepseek-ai/DeepSeek-V3\ntensor-parallel-size: 8\nspeculative-config:\n  method: deepseek_mtp\n  num_speculative_tokens: 1\n';
    d = one('vllm.yaml', config);
    assert.deepStrictEqual([d.inputs.speculativeMethod, d.inputs.speculativeTokens], ['deepseek_mtp', 1]);
    const broken = pod('vllm/vllm-openai:v0.19.0', `[${llama}, "--speculative-config", "{method: eagle"]`);
    const doc = parseDocument('b.yaml', broken);
    assert.strictEqual(doc.deployments[0].inputs.speculativeMethod, undefined);
    assert.ok(doc.problems.some((p) => /not valid JSON/.test(p.message) && slice(broken, p.range) === '{method: eagle'), JSON.stringify(doc.problems));
  });

  it('--max-model-len auto and -1 are vLLM\'s automatic fit (-1), handed to the engine, which knows from which release', () => {
    for (const v of ['auto', '"-1"', 'AUTO']) {
      const d = one('auto.yaml', pod('vllm/vllm-openai:v0.19.0', `["--model", "meta-llama/Llama-3.1-8B", "--max-model-len", ${v.startsWith('"') ? v : `"${v}"`}]`));
      assert.strictEqual(d.inputs.maxModelLen, -1, v);
    }
  });

  it('vLLM, SGLang and TGI flags map to the inputs they set', () => {
    const vllm: Record<string, string> = {
      model: 'model', 'tensor-parallel-size': 'tensorParallel', tp: 'tensorParallel', 'pipeline-parallel-size': 'pipelineParallel',
      'max-model-len': 'maxModelLen', 'gpu-memory-utilization': 'gpuMemoryUtilization', 'max-num-seqs': 'maxNumSeqs',
      'max-num-batched-tokens': 'maxNumBatchedTokens', 'kv-cache-dtype': 'kvCacheDtype', quantization: 'quantization', q: 'quantization',
      dtype: 'dtype', 'block-size': 'blockSize', 'enforce-eager': 'enforceEager', 'kv-cache-memory-bytes': 'kvCacheMemoryBytes',
      'num-gpu-blocks-override': 'numGpuBlocksOverride', 'cpu-offload-gb': 'cpuOffloadGb', 'enable-lora': 'enableLora',
      'max-loras': 'maxLoras', 'max-lora-rank': 'maxLoraRank',
    };
    const sglang: Record<string, string> = {
      'model-path': 'model', 'mem-fraction-static': 'gpuMemoryUtilization', 'context-length': 'maxModelLen',
      'max-running-requests': 'maxNumSeqs', 'chunked-prefill-size': 'maxNumBatchedTokens', 'page-size': 'blockSize',
      tp: 'tensorParallel', 'tp-size': 'tensorParallel', 'kv-cache-dtype': 'kvCacheDtype', quantization: 'quantization',
    };
    const tgi: Record<string, string> = {
      'model-id': 'model', 'num-shard': 'tensorParallel', 'max-total-tokens': 'maxModelLen', 'max-batch-prefill-tokens': 'maxNumBatchedTokens',
      'max-batch-size': 'maxNumSeqs', quantize: 'quantization', 'cuda-memory-fraction': 'gpuMemoryUtilization',
    };
    for (const [engine, expected] of [['vllm', vllm], ['sglang', sglang], ['tgi', tgi]] as const) {
      for (const [flag, key] of Object.entries(expected)) assert.strictEqual(FLAGS[engine][flag], key, `${engine} --${flag}`);
    }
    // Quick fixes write each engine's own long spelling.
    assert.strictEqual(CANONICAL_FLAG.vllm.maxModelLen, 'max-model-len');
    assert.strictEqual(CANONICAL_FLAG.sglang.maxModelLen, 'context-length');
    assert.strictEqual(CANONICAL_FLAG.sglang.tensorParallel, 'tp-size');
    assert.strictEqual(CANONICAL_FLAG.tgi.maxNumSeqs, 'max-batch-size');
    assert.strictEqual(CANONICAL_FLAG.llamacpp.maxModelLen, 'ctx-size');
    assert.deepStrictEqual([TGI_ENV.MODEL_ID, TGI_ENV.NUM_SHARD, TGI_ENV.MAX_TOTAL_TOKENS], ['model', 'tensorParallel', 'maxModelLen']);
  });

  it('vLLM switches take no value; --no-X turns them off; the flags that change memory are read', () => {
    const text = pod('vllm/vllm-openai:v0.19.0', '["--enforce-eager", "Qwen/Qwen3-8B", "--enable-lora", "--max-loras", "4", "--max-lora-rank", "64", '
      + '"--kv-cache-memory-bytes", "8G", "--cpu-offload-gb", "2.5", "--num-gpu-blocks-override", "1000"]', '      command: ["vllm", "serve"]\n');
    const d = one('p.yaml', text);
    // `--enforce-eager` does not swallow the model after it: the model is the positional argument.
    assert.strictEqual(d.model?.name, 'Qwen/Qwen3-8B');
    assert.deepStrictEqual(d.inputs, {
      engine: 'vllm@0.19.0', enforceEager: true, enableLora: true, maxLoras: 4, maxLoraRank: 64, kvCacheMemoryBytes: 8 * 2 ** 30,
      cpuOffloadGb: 2.5, numGpuBlocksOverride: 1000,
    });
    assert.strictEqual(slice(text, d.keyRanges.enforceEager), '--enforce-eager');
    const off = one('p.yaml', pod('vllm/vllm-openai:v0.19.0', '["--model", "m", "--no-enforce-eager", "--no-enable-lora"]'));
    assert.deepStrictEqual([off.inputs.enforceEager, off.inputs.enableLora], [false, false]);
    // Values outside what the input takes are problems at their range, left out of the inputs.
    const badText = pod('vllm/vllm-openai:v0.19.0', '["--model", "m", "--cpu-offload-gb", "lots", "--kv-cache-memory-bytes", "0"]');
    const bad = parseDocument('p.yaml', badText);
    assert.deepStrictEqual(bad.problems.map((p) => [p.severity, slice(badText, p.range)]), [['error', 'lots'], ['error', '0']]);
    assert.deepStrictEqual(bad.deployments[0].inputs, { engine: 'vllm@0.19.0' });
    // In a vLLM config file a switch is a key with true or false.
    const cfg = one('serve.yaml', 'model: m\nenforce-eager: true\nenable_lora: false\n');
    assert.deepStrictEqual([cfg.inputs.enforceEager, cfg.inputs.enableLora], [true, false]);
  });

  it('lists flags that may change memory and are not read, once each, in the order written', () => {
    const text = pod('vllm/vllm-openai:v0.19.0', '["--model", "m", "--max-num-partial-prefills", "2", "--host", "0.0.0.0", "--mm-processor-cache-gb", "4", '
      + '"--max-num-partial-prefills", "3", "--served-model-name", "x", "--structured-outputs-config.backend", "xgrammar"]');
    const doc = parseDocument('p.yaml', text);
    const d = doc.deployments[0];
    assert.deepStrictEqual(d.unread?.names, ['--max-num-partial-prefills', '--mm-processor-cache-gb']);
    assert.strictEqual(slice(text, d.unread?.range), '--max-num-partial-prefills');
    // A vLLM config file's keys are flags too.
    const cfg = one('serve.yaml', 'model: m\nmax-model-len: 4096\nmm-processor-cache-gb: 8\nhost: 0.0.0.0\n');
    assert.deepStrictEqual(cfg.unread?.names, ['mm-processor-cache-gb']);
    // Nothing to list: no finding.
    assert.strictEqual(one('p.yaml', pod('vllm/vllm-openai:v0.19.0', '["--model", "m", "--port", "8000"]')).unread, undefined);
  });

  it('SGLang flags as the inputs table says; graph and data-parallel flags are listed as not read', () => {
    const text = pod('lmsysorg/sglang:v0.5.6', '["--model-path", "Qwen/Qwen3-8B", "--mem-fraction-static", "0.8", "--context-length", "8192", '
      + '"--max-running-requests", "64", "--chunked-prefill-size", "4096", "--page-size", "16", "--tp", "2", "--kv-cache-dtype", "fp8_e5m2", '
      + '"--cuda-graph-max-bs", "32", "--disable-cuda-graph", "--dp", "2", "--host", "0.0.0.0"]', '      command: ["python3", "-m", "sglang.launch_server"]\n');
    const d = one('p.yaml', text);
    assert.strictEqual(d.engine, 'sglang');
    assert.deepStrictEqual(d.inputs, {
      engine: 'sglang@0.5.6', gpuMemoryUtilization: 0.8, maxModelLen: 8192, maxNumSeqs: 64, maxNumBatchedTokens: 4096, blockSize: 16,
      tensorParallel: 2, kvCacheDtype: 'fp8_e5m2',
    });
    // --disable-cuda-graph takes no value: --dp after it is a flag of its own.
    assert.deepStrictEqual(d.unread?.names, ['--cuda-graph-max-bs', '--disable-cuda-graph', '--dp']);
  });
});

describe('formats: the engine an image pins', () => {
  const engineOf = (image: string, command = '      command: ["python3", "-m", "sglang.launch_server"]\n'): unknown =>
    one('p.yaml', pod(image, '["--model-path", "m", "--model", "m"]', /sglang/.test(image) ? command : '')).inputs.engine;

  it('moving and missing tags run the newest release; SGLang post releases follow their release', () => {
    const cases: Array<[string, string]> = [
      ['vllm/vllm-openai:latest', 'vllm@latest'],
      ['vllm/vllm-openai:nightly', 'vllm@latest'],
      ['vllm/vllm-openai', 'vllm@latest'],
      ['docker.io/vllm/vllm-openai:v0.10.1', 'vllm@0.10.1'],
      // A digest pins a build whose version the reference does not say: the default version.
      ['vllm/vllm-openai@sha256:0123abcd', 'vllm'],
      ['lmsysorg/sglang:latest', 'sglang@latest'],
      ['lmsysorg/sglang', 'sglang@latest'],
      ['lmsysorg/sglang:dev', 'sglang@latest'],
      ['lmsysorg/sglang:v0.4.6.post1', 'sglang@0.4.6'],
      ['lmsysorg/sglang:v0.5.6-cu129-amd64', 'sglang@0.5.6'],
    ];
    for (const [image, spec] of cases) assert.strictEqual(engineOf(image), spec, image);
  });

  it('a release tag is edited in place; a moving tag is not replaced by a version', () => {
    const sg = pod('lmsysorg/sglang:v0.4.6.post1', '["--model-path", "m"]', '      command: ["python3", "-m", "sglang.launch_server"]\n');
    const d = one('p.yaml', sg);
    assert.strictEqual(slice(sg, d.valueRanges.engine), '0.4.6.post1');
    assert.strictEqual(apply(sg, editForInput(sg, d, 'engine', 'sglang@0.5.6')), replaceOnce(sg, 'sglang:v0.4.6.post1', 'sglang:v0.5.6'));
    const latest = pod('vllm/vllm-openai:latest', '["--model", "m"]');
    const l = one('p.yaml', latest);
    assert.strictEqual(slice(latest, l.valueRanges.engine), 'latest');
    assert.strictEqual(editForInput(latest, l, 'engine', 'vllm@0.19.0'), undefined);
  });
});
