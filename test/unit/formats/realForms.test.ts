// Forms found in real deployment files (issue 10, section 3), each on a minimal example: variables the file
// sets itself, the entrypoint/command split, the `serve` subcommand, LeaderWorkerSet groups, accelerators other
// than NVIDIA GPUs and the GPU type from node affinity and chart node selectors.
import * as assert from 'assert';
import { DeploymentSpec, parseDocument } from '../../../src/formats';
import { k8sDeployment, slice } from './helpers';

function one(name: string, text: string, dotEnv?: Map<string, string>): DeploymentSpec {
  const doc = parseDocument(name, text, dotEnv ? { dotEnv } : {});
  assert.strictEqual(doc.deployments.length, 1, JSON.stringify(doc.deployments.map((d) => d.label)));
  return doc.deployments[0];
}

const deployment = k8sDeployment;

describe('formats: forms of real deployment files', () => {
  describe('Kubernetes $(VAR) in command and args', () => {
    it('takes env values; ranges point at the value where it is written', () => {
      const text = deployment(`      - name: vllm
        image: vllm/vllm-openai:v0.10.0
        command: ["python3", "-m", "vllm.entrypoints.openai.api_server"]
        args:
        - --model=$(MODEL_ID)
        - --max-model-len=$(MAX_LEN)
        env:
        - name: MODEL_ID
          value: google/gemma-7b-AWQ
        - name: MAX_LEN
          value: "8192"
`);
      const d = one('d.yaml', text);
      assert.strictEqual(d.model?.name, 'google/gemma-7b-AWQ');
      assert.strictEqual(slice(text, d.model?.range), 'google/gemma-7b-AWQ');
      assert.strictEqual(text.indexOf('google/gemma-7b-AWQ'), d.model?.range.start, 'the env value, not the args item');
      assert.strictEqual(d.inputs.maxModelLen, 8192);
      assert.strictEqual(slice(text, d.valueRanges.maxModelLen), '8192');
    });

    it('expands a $(VAR) that an args item takes from an anchor elsewhere, or spells with a YAML escape', () => {
      const env = `        env:
        - name: CHECKPOINT
          value: google/gemma-7b-AWQ
        - name: MAX_LEN
          value: "8192"
        - name: MODEL_FLAG
          value: &model "--model=$(CHECKPOINT)"
`;
      // The args list's own text holds no `$`: the variable comes through the alias (the anchor is in env). CHECKPOINT
      // is no name the readers take a model from on their own.
      const aliased = one('d.yaml', deployment(`      - name: vllm
        image: vllm/vllm-openai:v0.10.0
${env}        command: ["python3", "-m", "vllm.entrypoints.openai.api_server"]
        args: [*model, "--max-model-len", "4096"]
`));
      assert.strictEqual(aliased.model?.name, 'google/gemma-7b-AWQ');
      assert.strictEqual(aliased.inputs.maxModelLen, 4096);
      // "\x24" is a `$` in a double-quoted YAML string.
      const escaped = one('d.yaml', deployment(`      - name: vllm
        image: vllm/vllm-openai:v0.10.0
${env}        command: ["python3", "-m", "vllm.entrypoints.openai.api_server"]
        args: ["--model", "acme/other-7b", "--max-model-len=\\x24(MAX_LEN)"]
`));
      assert.strictEqual(escaped.model?.name, 'acme/other-7b');
      assert.strictEqual(escaped.inputs.maxModelLen, 8192);
    });

    it('takes valueFrom a ConfigMap of the same file, even one that comes later; $$(X) stays literal, unknown names stay', () => {
      const text = `${deployment(`      - name: vllm
        image: vllm/vllm-openai:v0.10.0
        args: ["--model", "$(MODEL)", "--served-model-name", "$$(MODEL)", "--max-num-seqs", "$(SEQS)"]
        env:
        - name: MODEL
          valueFrom:
            configMapKeyRef:
              name: llm-config
              key: model
`)}---
apiVersion: v1
kind: ConfigMap
metadata:
  name: llm-config
data:
  model: Qwen/Qwen3-8B
`;
      const doc = parseDocument('d.yaml', text);
      assert.strictEqual(doc.kind, 'kubernetes');
      assert.strictEqual(doc.deployments.length, 1);
      const d = doc.deployments[0];
      assert.strictEqual(d.model?.name, 'Qwen/Qwen3-8B');
      assert.strictEqual(slice(text, d.model?.range), 'Qwen/Qwen3-8B');
      // $(SEQS) is not defined: Kubernetes leaves it as written, so it is a value filled in at deploy time.
      assert.strictEqual(d.inputs.maxNumSeqs, undefined);
      assert.ok(doc.problems.some((p) => /filled in at deploy time \(\$\(SEQS\)\)/.test(p.message)), JSON.stringify(doc.problems));
    });

    it('takes envFrom ConfigMaps (env wins), in document order', () => {
      const text = `apiVersion: v1
kind: ConfigMap
metadata:
  name: defaults
data:
  MODEL: acme/from-config-map
  TP: "2"
---
${deployment(`      - name: a
        image: vllm/vllm-openai:v0.10.0
        args: ["--model", "$(MODEL)", "--tensor-parallel-size", "$(TP)"]
        envFrom:
        - configMapRef:
            name: defaults
        env:
        - name: MODEL
          value: acme/from-env
`)}---
${deployment(`      - name: b
        image: vllm/vllm-openai:v0.10.0
        args: ["--model", "$(MODEL)"]
        envFrom:
        - configMapRef:
            name: defaults
`)}`;
      const doc = parseDocument('d.yaml', text);
      assert.deepStrictEqual(doc.deployments.map((d) => [d.label, d.model?.name, d.inputs.tensorParallel]), [
        ['Deployment/llm · container a', 'acme/from-env', 2],
        ['Deployment/llm · container b', 'acme/from-config-map', undefined],
      ]);
    });

    it('expands inside an sh -c script', () => {
      const text = deployment(`      - name: vllm
        image: vllm/vllm-openai:v0.10.0
        command: ["sh", "-c", "vllm serve $(MODEL) --max-model-len 4096"]
        env:
        - name: MODEL
          value: Qwen/Qwen3-8B
`);
      assert.strictEqual(one('d.yaml', text).model?.name, 'Qwen/Qwen3-8B');
    });
  });

  describe('Compose ${VAR} and the .env beside the file', () => {
    const compose = `services:
  llm:
    image: vllm/vllm-openai:v0.10.0
    command: --model \${MODEL:-acme/default-model} --max-model-len \${LEN-4096} --tensor-parallel-size \${TP}
`;

    it('without a .env: defaults fill in, a variable with neither stays as written', () => {
      const d = one('compose.yaml', compose);
      assert.strictEqual(d.model?.name, 'acme/default-model');
      assert.strictEqual(slice(compose, d.model?.range), 'acme/default-model');
      assert.strictEqual(d.inputs.maxModelLen, 4096);
      assert.strictEqual(d.inputs.tensorParallel, undefined);
    });

    it('with a .env: its values win; an empty value takes the :- default but not the - one', () => {
      const d = one('compose.yaml', compose, new Map([['MODEL', 'Qwen/Qwen3-8B'], ['LEN', '8192'], ['TP', '2']]));
      assert.strictEqual(d.model?.name, 'Qwen/Qwen3-8B');
      // The value is not in this file: the range is the reference that names it.
      assert.strictEqual(slice(compose, d.model?.range), '${MODEL:-acme/default-model}');
      assert.deepStrictEqual([d.inputs.maxModelLen, d.inputs.tensorParallel], [8192, 2]);
      const empty = one('compose.yaml', compose, new Map([['MODEL', ''], ['LEN', ''], ['TP', '1']]));
      assert.strictEqual(empty.model?.name, 'acme/default-model');
      assert.ok(parseDocument('compose.yaml', compose, { dotEnv: new Map([['MODEL', ''], ['LEN', ''], ['TP', '1']]) }).problems
        .some((p) => /--max-model-len needs a value|whole number/.test(p.message)), 'LEN set but empty gives an empty value');
    });

    it('TGI environment entries are filled in too', () => {
      const text = `services:
  tgi:
    image: ghcr.io/huggingface/text-generation-inference:2.4.1
    environment:
      MODEL_ID: \${LLM_MODEL_ID}
      MAX_TOTAL_TOKENS: \${TOTAL:-4096}
`;
      const d = one('compose.yaml', text, new Map([['LLM_MODEL_ID', 'Qwen/Qwen3-8B']]));
      assert.deepStrictEqual([d.engine, d.model?.name, d.inputs.maxModelLen], ['tgi', 'Qwen/Qwen3-8B', 4096]);
    });

    it('parses .env files: export, quotes, comments', () => {
      const { parseDotEnv } = require('../../../src/formats') as typeof import('../../../src/formats');
      assert.deepStrictEqual([...parseDotEnv('# c\nexport A=1\nB="two words"\nC=x # note\nD=\n bad line\n')],
        [['A', '1'], ['B', 'two words'], ['C', 'x'], ['D', '']]);
    });
  });

  describe('the server named in the entrypoint, flags in the command; the serve subcommand', () => {
    it('compose: entrypoint string naming SGLang, flags in command', () => {
      const text = `services:
  sglang:
    image: lmsysorg/sglang:latest
    entrypoint: python3 -m sglang.launch_server
    command: --model-path Qwen/Qwen3-8B --tp 2 --context-length 8192
`;
      const d = one('compose.yaml', text);
      assert.deepStrictEqual([d.engine, d.model?.name, d.inputs.tensorParallel, d.inputs.maxModelLen], ['sglang', 'Qwen/Qwen3-8B', 2, 8192]);
    });

    it('compose: entrypoint `vllm serve` as a list, the model and flags in command', () => {
      const text = `services:
  vllm:
    image: my/vllm:1
    entrypoint: ["vllm", "serve"]
    command: ["Qwen/Qwen3-8B", "--max-model-len", "8192"]
`;
      const d = one('compose.yaml', text);
      assert.deepStrictEqual([d.engine, d.model?.name, d.inputs.maxModelLen], ['vllm', 'Qwen/Qwen3-8B', 8192]);
    });

    it('compose: a command that begins with `serve` on a vLLM image', () => {
      const text = `services:
  vllm:
    image: spark-vllm:latest
    command: >
      serve Qwen/Qwen3-8B
      --max-model-len 32768
`;
      const d = one('compose.yaml', text);
      assert.deepStrictEqual([d.model?.name, d.inputs.maxModelLen], ['Qwen/Qwen3-8B', 32768]);
      assert.strictEqual(slice(text, d.model?.range), 'Qwen/Qwen3-8B');
    });

    it('Kubernetes: args that begin with `serve` on a vLLM image', () => {
      const d = one('d.yaml', deployment(`      - name: vllm
        image: vllm/vllm-openai:latest
        args: ["serve", "Qwen/Qwen3-8B", "--tensor-parallel-size", "2"]
`));
      assert.deepStrictEqual([d.model?.name, d.inputs.tensorParallel], ['Qwen/Qwen3-8B', 2]);
    });
  });

  describe('LeaderWorkerSet', () => {
    it('leader and worker templates are one deployment of size pods; the worker flags are not a second one', () => {
      const server = (role: string) => `          - name: sglang-${role}
            image: lmsysorg/sglang:latest
            command: [python3, -m, sglang.launch_server, --model-path, Qwen/Qwen3-8B, --tp, "4", --nnodes, $(LWS_GROUP_SIZE)]
            resources:
              limits:
                nvidia.com/gpu: "2"
`;
      const text = `apiVersion: leaderworkerset.x-k8s.io/v1
kind: LeaderWorkerSet
metadata:
  name: sglang
spec:
  leaderWorkerTemplate:
    size: 2
    leaderTemplate:
      spec:
        containers:
${server('leader')}    workerTemplate:
      spec:
        containers:
${server('worker')}`;
      const d = one('lws.yaml', text);
      assert.strictEqual(d.label, 'LeaderWorkerSet/sglang · container sglang-leader (leader)');
      // 2 pods × 2 GPUs.
      assert.deepStrictEqual([d.inputs.gpuCount, d.inputs.tensorParallel], [4, 4]);
    });
  });

  describe('accelerators other than NVIDIA GPUs', () => {
    it('google.com/tpu with the GKE TPU accelerator label', () => {
      const text = deployment(`      - name: vllm-tpu
        image: vllm/vllm-tpu:latest
        args: ["--model=meta-llama/Llama-3.1-70B", "--tensor-parallel-size=8"]
        resources:
          limits:
            google.com/tpu: 8
`, `      nodeSelector:
        cloud.google.com/gke-tpu-topology: 2x4
        cloud.google.com/gke-tpu-accelerator: tpu-v6e-slice
`);
      const d = one('d.yaml', text);
      assert.deepStrictEqual([d.inputs.gpu, d.inputs.gpuCount], ['tpu-v6e-slice', 8]);
      assert.deepStrictEqual(d.accelerator && [d.accelerator.resource, slice(text, d.accelerator.range)], ['google.com/tpu', 'google.com/tpu']);
    });

    it('aws.amazon.com/neuron, amd.com/gpu with its product label, habana.ai/gaudi', () => {
      const pod = (resource: string, selector = '') => deployment(`      - name: vllm
        image: vllm/vllm-openai:latest
        args: ["--model", "Qwen/Qwen3-8B"]
        resources:
          limits:
            ${resource}: 1
`, selector);
      assert.deepStrictEqual(one('d.yaml', pod('aws.amazon.com/neuron')).accelerator?.name, 'AWS Neuron (Inferentia/Trainium)');
      const amd = one('d.yaml', pod('amd.com/gpu', '      nodeSelector:\n        amd.com/gpu.product-name: AMD_Instinct_MI300X_OAM\n'));
      assert.deepStrictEqual([amd.accelerator?.resource, amd.inputs.gpu], ['amd.com/gpu', 'AMD_Instinct_MI300X_OAM']);
      const gaudi = one('d.yaml', pod('habana.ai/gaudi'));
      assert.deepStrictEqual([gaudi.accelerator?.name, gaudi.inputs.gpu], ['Intel Gaudi', undefined]);
    });
  });

  describe('the GPU type from node affinity and chart node selectors', () => {
    it('nodeAffinity: required and preferred matchExpressions (operator In)', () => {
      const text = deployment(`      - name: vllm
        image: vllm/vllm-openai:latest
        args: ["--model", "Qwen/Qwen3-8B"]
`, `      affinity:
        nodeAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
            nodeSelectorTerms:
            - matchExpressions:
              - key: cloud.google.com/gke-accelerator
                operator: In
                values: [nvidia-l4]
`);
      const d = one('d.yaml', text);
      assert.strictEqual(d.inputs.gpu, 'nvidia-l4');
      assert.strictEqual(slice(text, d.keyRanges.gpu), 'cloud.google.com/gke-accelerator');
    });

    it('KServe: the predictor\'s nodeSelector', () => {
      const text = `apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: llm
spec:
  predictor:
    nodeSelector:
      nvidia.com/gpu.product: NVIDIA-A100-SXM4-80GB
    model:
      modelFormat:
        name: huggingface
      args: ["--model_id", "Qwen/Qwen3-8B"]
      resources:
        limits:
          nvidia.com/gpu: "1"
`;
      assert.strictEqual(one('isvc.yaml', text).inputs.gpu, 'NVIDIA-A100-SXM4-80GB');
    });

    it('production-stack values: a modelSpec nodeSelector, and requestGPUType naming another accelerator', () => {
      const text = `servingEngineSpec:
  modelSpec:
  - name: a
    modelURL: Qwen/Qwen3-8B
    requestGPU: 1
    nodeSelector:
      nvidia.com/gpu.product: NVIDIA-L40S
  - name: b
    modelURL: Qwen/Qwen3-8B
    requestGPU: 1
    requestGPUType: "amd.com/gpu"
`;
      const [a, b] = parseDocument('values.yaml', text).deployments;
      assert.strictEqual(a.inputs.gpu, 'NVIDIA-L40S');
      assert.deepStrictEqual([b.accelerator?.resource, slice(text, b.accelerator?.range)], ['amd.com/gpu', 'amd.com/gpu']);
    });
  });
});
