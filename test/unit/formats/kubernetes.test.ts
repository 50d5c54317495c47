import * as assert from 'assert';
import { DeploymentSpec, editForInput, editsForInput, parseDocument } from '../../../src/formats';
import { read, slice, apply, replaceOnce } from './helpers';

/** Checks each value range and key range slices to the given text. */
function ranges(text: string, d: DeploymentSpec, values: Record<string, string>, keys: Record<string, string>): void {
  for (const [k, v] of Object.entries(values)) assert.strictEqual(slice(text, d.valueRanges[k as keyof typeof d.valueRanges]), v, `value range of ${k}`);
  for (const [k, v] of Object.entries(keys)) assert.strictEqual(slice(text, d.keyRanges[k as keyof typeof d.keyRanges]), v, `key range of ${k}`);
}

describe('formats: Kubernetes', () => {
  describe('Deployment with list args (vllm-deployment.yaml)', () => {
    const name = 'vllm-deployment.yaml';
    const text = read(name);
    const doc = parseDocument(name, text);
    const d = doc.deployments[0];

    it('is one vLLM deployment with its inputs', () => {
      assert.strictEqual(doc.kind, 'kubernetes');
      assert.deepStrictEqual(doc.problems, []);
      assert.strictEqual(doc.deployments.length, 1);
      assert.strictEqual(d.engine, 'vllm');
      assert.strictEqual(d.label, 'Deployment/llama-8b · container vllm');
      assert.deepStrictEqual(d.inputs, {
        engine: 'vllm@0.19.0', maxModelLen: 131072, gpuMemoryUtilization: 0.92, maxNumSeqs: 128, gpuCount: 1,
        gpu: 'NVIDIA-H100-80GB-HBM3',
      });
      assert.strictEqual(d.model?.name, 'meta-llama/Llama-3.1-8B-Instruct');
      assert.strictEqual(slice(text, d.model?.range), 'meta-llama/Llama-3.1-8B-Instruct');
      assert.strictEqual(slice(text, d.anchor), 'name: vllm');
    });

    it('has the range of each value and key', () => {
      ranges(text, d,
        { maxModelLen: '131072', gpuMemoryUtilization: '0.92', maxNumSeqs: '128', gpuCount: '1', gpu: 'NVIDIA-H100-80GB-HBM3', engine: '0.19.0' },
        { maxModelLen: '--max-model-len', gpuMemoryUtilization: '--gpu-memory-utilization', maxNumSeqs: '--max-num-seqs', gpuCount: 'nvidia.com/gpu', gpu: 'nvidia.com/gpu.product', engine: 'image' });
    });

    it('sets a value in place, keeping the quotes', () => {
      const out = apply(text, editForInput(text, d, 'maxModelLen', 65536));
      assert.strictEqual(out, replaceOnce(text, '            - "131072"\n', '            - "65536"\n'));
    });

    it('sets a --flag=value in place', () => {
      const out = apply(text, editForInput(text, d, 'gpuMemoryUtilization', 0.95));
      assert.strictEqual(out, replaceOnce(text, '--gpu-memory-utilization=0.92', '--gpu-memory-utilization=0.95'));
    });

    it('adds an absent flag as list items after the last argument', () => {
      const out = apply(text, editForInput(text, d, 'tensorParallel', 2));
      assert.strictEqual(out, replaceOnce(text, '            - --enable-prefix-caching\n',
        '            - --enable-prefix-caching\n            - --tensor-parallel-size\n            - "2"\n'));
      const again = parseDocument(name, out).deployments[0];
      assert.strictEqual(again.inputs.tensorParallel, 2);
    });

    it('sets the GPU limit and request together', () => {
      const e = editForInput(text, d, 'gpuCount', 2);
      const out = apply(text, e);
      assert.strictEqual(out, text.replace(/nvidia\.com\/gpu: "1"/g, 'nvidia.com/gpu: "2"'));
      assert.ok(e && e.newText.startsWith('2"') && e.newText.endsWith('nvidia.com/gpu: "2'), 'one span from the first value to the second');
    });

    it('changes the image tag for an engine version', () => {
      const out = apply(text, editForInput(text, d, 'engine', 'vllm@0.20.1'));
      assert.strictEqual(out, replaceOnce(text, 'vllm/vllm-openai:v0.19.0', 'vllm/vllm-openai:v0.20.1'));
      assert.strictEqual(editForInput(text, d, 'engine', 'sglang@0.4.0'), undefined, 'does not switch engines');
    });

    it('sets the GPU label', () => {
      const out = apply(text, editForInput(text, d, 'gpu', 'NVIDIA-H200'));
      assert.strictEqual(out, replaceOnce(text, 'nvidia.com/gpu.product: NVIDIA-H100-80GB-HBM3', 'nvidia.com/gpu.product: NVIDIA-H200'));
    });

    it('refuses values that are not valid for the input', () => {
      assert.strictEqual(editForInput(text, d, 'maxModelLen', -5), undefined);
      assert.strictEqual(editForInput(text, d, 'gpuMemoryUtilization', 1.5), undefined);
      assert.strictEqual(editForInput(text, d, 'tensorParallel', 'two'), undefined);
    });
  });

  describe('shell string in command (vllm-sh-c.yaml)', () => {
    const name = 'vllm-sh-c.yaml';
    const text = read(name);
    const doc = parseDocument(name, text);
    const d = doc.deployments[0];

    it('reads the flags inside the string', () => {
      assert.strictEqual(doc.kind, 'kubernetes');
      assert.deepStrictEqual(doc.problems, []);
      assert.deepStrictEqual(d.inputs, {
        engine: 'vllm@0.9.2', tensorParallel: 2, maxModelLen: 8192, kvCacheDtype: 'fp8', gpuCount: 2, gpu: 'NVIDIA-A100-SXM4-80GB',
      });
      assert.strictEqual(d.model?.name, 'Qwen/Qwen2.5-32B-Instruct');
      ranges(text, d, { tensorParallel: '2', maxModelLen: '8192', kvCacheDtype: 'fp8', gpu: 'NVIDIA-A100-SXM4-80GB', gpuCount: '2' },
        { tensorParallel: '--tensor-parallel-size', maxModelLen: '--max-model-len', kvCacheDtype: '--kv-cache-dtype', gpu: 'nvidia.com/gpu.product' });
      // The range is inside the string, at the flag's own value.
      const r = d.valueRanges.maxModelLen!;
      assert.strictEqual(text.slice(r.start - 16, r.end), '--max-model-len 8192');
    });

    it('edits the value inside the string', () => {
      const out = apply(text, editForInput(text, d, 'maxModelLen', 16384));
      assert.strictEqual(out, replaceOnce(text, '--max-model-len 8192', '--max-model-len 16384'));
    });

    it('appends an absent flag to the vLLM command, before the next command', () => {
      const out = apply(text, editForInput(text, d, 'gpuMemoryUtilization', 0.9));
      assert.strictEqual(out, replaceOnce(text, '--port 8000 && echo stopped', '--port 8000 --gpu-memory-utilization 0.9 && echo stopped'));
      assert.strictEqual(parseDocument(name, out).deployments[0].inputs.gpuMemoryUtilization, 0.9);
    });

    it('sets a plain GPU limit', () => {
      const out = apply(text, editForInput(text, d, 'gpuCount', 4));
      assert.strictEqual(out, replaceOnce(text, 'nvidia.com/gpu: 2', 'nvidia.com/gpu: 4'));
    });
  });

  describe('multi-document manifest with a script (multi-doc-service-deployment.yaml)', () => {
    const name = 'multi-doc-service-deployment.yaml';
    const text = read(name);
    const doc = parseDocument(name, text);
    const d = doc.deployments[0];

    it('finds the Deployment among the other documents', () => {
      assert.strictEqual(doc.kind, 'kubernetes');
      assert.deepStrictEqual(doc.problems, []);
      assert.strictEqual(doc.deployments.length, 1);
      assert.strictEqual(d.label, 'Deployment/qwen-coder · container server');
      assert.deepStrictEqual(d.inputs, {
        engine: 'vllm@0.10.1', quantization: 'awq_marlin', maxModelLen: 32768, maxNumBatchedTokens: 4096,
        gpuMemoryUtilization: 0.9, gpuCount: 1, gpu: 'l40s',
      });
      assert.strictEqual(d.model?.name, 'Qwen/Qwen2.5-Coder-32B-Instruct-AWQ');
      ranges(text, d, { maxModelLen: '32K', quantization: 'awq_marlin', gpu: 'l40s' },
        { maxModelLen: '--max-model-len', gpu: 'karpenter.k8s.aws/instance-gpu-name' });
    });

    it('continues the command with a backslash line when adding a flag', () => {
      const out = apply(text, editForInput(text, d, 'tensorParallel', 2));
      assert.strictEqual(out, replaceOnce(text, '                --gpu-memory-utilization 0.9\n',
        '                --gpu-memory-utilization 0.9 \\\n                --tensor-parallel-size 2\n'));
      assert.strictEqual(parseDocument(name, out).deployments[0].inputs.tensorParallel, 2);
    });

    it('replaces a 32K value in place', () => {
      const out = apply(text, editForInput(text, d, 'maxModelLen', 16384));
      assert.strictEqual(out, replaceOnce(text, '--max-model-len 32K', '--max-model-len 16384'));
    });
  });

  describe('SGLang StatefulSet (sglang-statefulset.yaml)', () => {
    const name = 'sglang-statefulset.yaml';
    const text = read(name);
    const doc = parseDocument(name, text);
    const d = doc.deployments[0];

    it('maps SGLang flags to engine inputs', () => {
      assert.strictEqual(doc.kind, 'kubernetes');
      assert.deepStrictEqual(doc.problems, []);
      assert.strictEqual(d.engine, 'sglang');
      // SGLang is sized by its own rules: the image's release (v0.4.9.post2 follows 0.4.9's) goes to the engine.
      assert.deepStrictEqual(d.inputs, {
        engine: 'sglang@0.4.9', tensorParallel: 2, maxModelLen: 32768, gpuMemoryUtilization: 0.85, gpuCount: 2,
        gpu: 'nvidia-h200-141gb',
      });
      assert.strictEqual(d.model?.name, 'Qwen/Qwen3-32B');
      ranges(text, d, { tensorParallel: '2', maxModelLen: '32768', gpuMemoryUtilization: '0.85', gpu: 'nvidia-h200-141gb', engine: '0.4.9.post2' },
        { tensorParallel: '--tp-size', maxModelLen: '--context-length', gpuMemoryUtilization: '--mem-fraction-static', gpu: 'cloud.google.com/gke-accelerator', engine: 'image' });
      // --host and --port do not change memory: nothing is listed as not read.
      assert.strictEqual(d.unread, undefined);
    });

    it('adds an SGLang flag', () => {
      const out = apply(text, editForInput(text, d, 'maxNumSeqs', 64));
      assert.strictEqual(out, replaceOnce(text, '            - "30000"\n', '            - "30000"\n            - --max-running-requests\n            - "64"\n'));
    });

    it('sets the affinity value', () => {
      const out = apply(text, editForInput(text, d, 'gpu', 'nvidia-h100-80gb'));
      assert.strictEqual(out, replaceOnce(text, '- nvidia-h200-141gb', '- nvidia-h100-80gb'));
    });
  });

  describe('TGI with environment variables (tgi-deployment.yaml)', () => {
    const name = 'tgi-deployment.yaml';
    const text = read(name);
    const doc = parseDocument(name, text);
    const d = doc.deployments[0];

    it('reads MODEL_ID, NUM_SHARD, MAX_TOTAL_TOKENS, QUANTIZE', () => {
      assert.strictEqual(doc.kind, 'kubernetes');
      assert.deepStrictEqual(doc.problems, []);
      assert.strictEqual(d.engine, 'tgi');
      assert.deepStrictEqual(d.inputs, {
        tensorParallel: 1, maxModelLen: 8192, quantization: 'eetq', gpuCount: 1, gpu: 'g6e.xlarge',
      });
      assert.strictEqual(d.model?.name, 'mistralai/Mistral-7B-Instruct-v0.3');
      ranges(text, d, { tensorParallel: '1', maxModelLen: '8192', quantization: 'eetq', gpu: 'g6e.xlarge' },
        { tensorParallel: 'NUM_SHARD', maxModelLen: 'MAX_TOTAL_TOKENS', quantization: 'QUANTIZE', gpu: 'node.kubernetes.io/instance-type' });
    });

    it('sets an env value in place', () => {
      const out = apply(text, editForInput(text, d, 'maxModelLen', 16384));
      assert.strictEqual(out, replaceOnce(text, '              value: "8192"\n', '              value: "16384"\n'));
    });

    it('adds an env var for an absent setting', () => {
      const out = apply(text, editForInput(text, d, 'dtype', 'bfloat16'));
      assert.strictEqual(out, replaceOnce(text, '                  key: token\n',
        '                  key: token\n            - name: DTYPE\n              value: "bfloat16"\n'));
      assert.strictEqual(parseDocument(name, out).deployments[0].inputs.dtype, 'bfloat16');
    });

    it('warns when the input limit is not below the total', () => {
      const bad = replaceOnce(text, 'value: "7168"', 'value: "9000"');
      const p = parseDocument(name, bad).problems;
      assert.strictEqual(p.length, 1);
      assert.strictEqual(p[0].severity, 'warning');
      assert.strictEqual(bad.slice(p[0].range.start, p[0].range.end), '9000');
    });
  });

  describe('KServe (kserve.yaml)', () => {
    const name = 'kserve.yaml';
    const text = read(name);
    const doc = parseDocument(name, text);
    const [runtime, llama, qwen] = doc.deployments;

    it('reads the ServingRuntime container and both InferenceServices', () => {
      assert.strictEqual(doc.kind, 'kubernetes');
      assert.deepStrictEqual(doc.problems, []);
      assert.strictEqual(doc.deployments.length, 3);
      assert.strictEqual(runtime.label, 'ServingRuntime/vllm-runtime · container kserve-container');
      assert.deepStrictEqual(runtime.inputs, { engine: 'vllm', maxModelLen: 16384 });
      assert.strictEqual(runtime.model?.name, '/mnt/models');
      ranges(text, runtime, { maxModelLen: '16384' }, { maxModelLen: '--max-model-len' });

      assert.strictEqual(llama.label, 'InferenceService/llama3-8b · predictor model');
      assert.deepStrictEqual(llama.inputs, { engine: 'vllm', maxModelLen: 8192, dtype: 'bfloat16', gpuCount: 1, gpu: 'NVIDIA-L40S' });
      assert.strictEqual(llama.model?.name, 'meta-llama/Meta-Llama-3-8B-Instruct');
      assert.strictEqual(slice(text, llama.anchor), 'model');

      assert.deepStrictEqual(qwen.inputs, { engine: 'vllm', gpuCount: 1 });
      assert.strictEqual(qwen.model?.name, 'Qwen/Qwen2.5-7B-Instruct');
      assert.strictEqual(slice(text, qwen.model?.range), 'Qwen/Qwen2.5-7B-Instruct');
    });

    it('adds a quoted --flag=value item like its neighbours', () => {
      const out = apply(text, editForInput(text, runtime, 'tensorParallel', 2));
      assert.strictEqual(out, replaceOnce(text, '        - "--max-model-len=16384"\n', '        - "--max-model-len=16384"\n        - "--tensor-parallel-size=2"\n'));
    });

    it('adds vLLM flags with hyphens even beside KServe\'s own underscore flags', () => {
      const out = apply(text, editForInput(text, llama, 'tensorParallel', 2));
      assert.strictEqual(out, replaceOnce(text, '        - --dtype=bfloat16\n', '        - --dtype=bfloat16\n        - --tensor-parallel-size=2\n'));
    });

    it('creates args when the model has none', () => {
      const out = apply(text, editForInput(text, qwen, 'maxModelLen', 8192));
      assert.strictEqual(out, text.slice(0, text.length - 1) + '\n      args:\n        - --max-model-len\n        - "8192"\n');
      const again = parseDocument(name, out).deployments[2];
      assert.strictEqual(again.inputs.maxModelLen, 8192);
    });
  });

  describe('LeaderWorkerSet (leaderworkerset.yaml)', () => {
    const name = 'leaderworkerset.yaml';
    const text = read(name);
    const doc = parseDocument(name, text);
    const d = doc.deployments[0];

    it('reads the leader command from a multi-line double-quoted string', () => {
      assert.strictEqual(doc.kind, 'kubernetes');
      assert.deepStrictEqual(doc.problems, []);
      assert.strictEqual(doc.deployments.length, 1, 'workers run ray, not a server');
      assert.strictEqual(d.label, 'LeaderWorkerSet/vllm · container vllm-leader (leader)');
      // size 2: the leader and one worker pod, 8 GPUs each, on two nodes.
      assert.deepStrictEqual(d.inputs, { engine: 'vllm@0.19.0', tensorParallel: 8, pipelineParallel: 2, gpuCount: 16, nodes: 2 });
      assert.strictEqual(slice(text, d.valueRanges.nodes), '2');
      assert.strictEqual(d.model?.name, 'meta-llama/Meta-Llama-3.1-405B-Instruct');
      ranges(text, d, { tensorParallel: '8', pipelineParallel: '2', gpuCount: '8' },
        { tensorParallel: '--tensor-parallel-size', pipelineParallel: '--pipeline_parallel_size', gpuCount: 'nvidia.com/gpu' });
    });

    it('counts the GPUs of the whole group; a new total is written per pod, in leader and worker alike', () => {
      // size 2: 32 GPUs are 16 per pod; a total the pods cannot share equally is not written.
      const edits = editsForInput(text, d, 'gpuCount', 32);
      assert.ok(edits && edits.length === 2, JSON.stringify(edits));
      const out = apply(text, editForInput(text, d, 'gpuCount', 32));
      assert.strictEqual(out, text.replace(/nvidia\.com\/gpu: "8"/g, 'nvidia.com/gpu: "16"'));
      assert.strictEqual(parseDocument(name, out).deployments[0].inputs.gpuCount, 32);
      assert.strictEqual(editForInput(text, d, 'gpuCount', 17), undefined);
    });

    it('appends a flag inside the quoted string', () => {
      const out = apply(text, editForInput(text, d, 'maxModelLen', 32768));
      assert.strictEqual(out, replaceOnce(text, '--pipeline_parallel_size 2"', '--pipeline_parallel_size 2 --max-model-len 32768"'));
    });
  });

  describe('other workload shapes', () => {
    it('reads a Pod, a Job and a List', () => {
      const text = [
        'apiVersion: v1', 'kind: List', 'items:',
        '  - apiVersion: v1', '    kind: Pod', '    metadata: {name: p}', '    spec:', '      containers:',
        '        - name: c', '          image: vllm/vllm-openai:v0.8.5', '          command: [vllm, serve, facebook/opt-125m, --max-model-len, "2048"]',
        '  - apiVersion: batch/v1', '    kind: Job', '    metadata: {name: j}', '    spec:', '      template:', '        spec:', '          containers:',
        '            - name: bench', '              image: python:3.12', '              command: [python, -m, vllm.entrypoints.openai.api_server, --model, x/y, --dtype, half]',
        '',
      ].join('\n');
      const doc = parseDocument('list.yaml', text);
      assert.strictEqual(doc.kind, 'kubernetes');
      assert.deepStrictEqual(doc.deployments.map((d) => d.label), ['Pod/p · container c', 'Job/j · container bench']);
      assert.deepStrictEqual(doc.deployments[0].inputs, { engine: 'vllm@0.8.5', maxModelLen: 2048 });
      assert.strictEqual(doc.deployments[0].model?.name, 'facebook/opt-125m');
      assert.deepStrictEqual(doc.deployments[1].inputs, { engine: 'vllm', dtype: 'half' });
      const out = apply(text, editForInput(text, doc.deployments[0], 'tensorParallel', 2));
      assert.strictEqual(out, replaceOnce(text, '--max-model-len, "2048"]', '--max-model-len, "2048", --tensor-parallel-size, "2"]'));
    });

    it('ignores containers that do not serve a model', () => {
      const text = 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n        - name: nginx\n          image: nginx:1.27\n        - name: sidecar\n          image: busybox\n          command: ["sh", "-c", "echo vllm is elsewhere"]\n';
      const doc = parseDocument('web.yaml', text);
      assert.strictEqual(doc.kind, undefined);
      assert.deepStrictEqual(doc.deployments, []);
    });

    it('reports invalid values at their range and leaves them out', () => {
      const text = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: c\n      image: vllm/vllm-openai\n      args: ["m", "--max-model-len", "lots", "--tensor-parallel-size", "-2", "--gpu-memory-utilization", "1.7", "--max-num-seqs", "5000000000", "--dtype", "$(DTYPE)"]\n';
      const doc = parseDocument('p.yaml', text);
      const d = doc.deployments[0];
      // An untagged image runs the newest release.
      assert.deepStrictEqual(d.inputs, { engine: 'vllm@latest' });
      const got = doc.problems.map((p) => [p.severity, text.slice(p.range.start, p.range.end)]);
      assert.deepStrictEqual(got, [['error', 'lots'], ['error', '-2'], ['error', '1.7'], ['error', '5000000000'], ['information', '$(DTYPE)']]);
      // A quick fix can still overwrite the bad value.
      const out = apply(text, editForInput(text, d, 'maxModelLen', 4096));
      assert.strictEqual(out, replaceOnce(text, '"lots"', '"4096"'));
    });

    it('warns about a flag given twice and keeps the last value', () => {
      const text = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: c\n      image: vllm/vllm-openai\n      args: ["m", "--max-model-len", "4096", "--max-model-len=8192"]\n';
      const doc = parseDocument('p.yaml', text);
      assert.strictEqual(doc.deployments[0].inputs.maxModelLen, 8192);
      assert.strictEqual(doc.problems.length, 1);
      assert.strictEqual(doc.problems[0].severity, 'warning');
      assert.strictEqual(slice(text, doc.problems[0].range), '--max-model-len');
      assert.strictEqual(slice(text, doc.deployments[0].valueRanges.maxModelLen), '8192');
    });

    it('reads human-readable lengths the way vLLM does', () => {
      const mk = (v: string): number | undefined => parseDocument('p.yaml',
        `apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - name: c\n      image: vllm/vllm-openai\n      args: [m, --max-model-len, "${v}"]\n`).deployments[0].inputs.maxModelLen;
      assert.strictEqual(mk('32k'), 32000);
      assert.strictEqual(mk('32K'), 32768);
      assert.strictEqual(mk('1k'), 1000);
      assert.strictEqual(mk('25.6k'), 25600);
      assert.strictEqual(mk('131_072'), 131072);
      assert.strictEqual(mk('1.5K'), undefined);
    });

    it('adds the GPU limit to resources.limits and a GPU label to nodeSelector', () => {
      const text = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  nodeSelector:\n    pool: gpu\n  containers:\n    - name: c\n      image: vllm/vllm-openai\n      resources:\n        limits:\n          memory: 16Gi\n';
      const d = parseDocument('p.yaml', text).deployments[0];
      assert.strictEqual(apply(text, editForInput(text, d, 'gpuCount', 1)),
        replaceOnce(text, '          memory: 16Gi\n', '          memory: 16Gi\n          nvidia.com/gpu: "1"\n'));
      assert.strictEqual(apply(text, editForInput(text, d, 'gpu', 'NVIDIA-L4')), replaceOnce(text, '    pool: gpu\n', '    pool: gpu\n    nvidia.com/gpu.product: NVIDIA-L4\n'));
    });

    it('keeps CRLF line endings when inserting', () => {
      const text = 'apiVersion: v1\r\nkind: Pod\r\nmetadata:\r\n  name: p\r\nspec:\r\n  containers:\r\n    - name: c\r\n      image: vllm/vllm-openai\r\n      args:\r\n        - m\r\n        - --dtype\r\n        - half\r\n';
      const d = parseDocument('p.yaml', text).deployments[0];
      assert.strictEqual(slice(text, d.valueRanges.dtype), 'half');
      const out = apply(text, editForInput(text, d, 'maxModelLen', 4096));
      assert.strictEqual(out, replaceOnce(text, '        - half\r\n', '        - half\r\n        - --max-model-len\r\n        - "4096"\r\n'));
    });
  });
});
