// Readers of AIBrix workloads (StormService, RayClusterFleet, Deployments with AIBrix labels), the Helm values of
// vLLM's own chart, llm-d's model service and KubeAI's models catalog, and the KubeAI / KAITO / llmaz fields checked
// against their CRD sources. Each test writes a minimal example of the form; expected values are worked out in the
// test from the fields written (a group of N pods of G GPUs is N × G GPUs), and the text at each range is the value
// as written.
import * as assert from 'assert';
import { DeploymentSpec, InputKey, applyEdit, editForInput, parseDocument } from '../../../src/formats';
import { k8sDeployment, slice } from './helpers';

function value(text: string, d: DeploymentSpec, key: InputKey, expected: unknown, written: string): void {
  assert.deepStrictEqual(d.inputs[key], expected, key);
  assert.strictEqual(slice(text, d.valueRanges[key]), written, `${key} range`);
}

function model(text: string, d: DeploymentSpec, expected: string, written = expected): void {
  assert.strictEqual(d.model?.name, expected);
  assert.strictEqual(slice(text, d.model?.range), written, 'model range');
}

describe('formats: AIBrix workloads', () => {
  const storm = `apiVersion: orchestration.aibrix.ai/v1alpha1
kind: StormService
metadata:
  name: pd
spec:
  replicas: 1
  template:
    spec:
      roles:
        - name: prefill
          replicas: 1
          podGroupSize: 2
          template:
            metadata:
              labels:
                model.aibrix.ai/name: qwen3-8b
            spec:
              initContainers:
                - name: init-model
                  image: aibrix/runtime:v0.3.0
                  command: [aibrix_download, --model-uri, Qwen/Qwen3-8B, --local-dir, /models/]
              containers:
                - name: prefill
                  image: vllm/vllm-openai:v0.9.2
                  command: ["sh", "-c"]
                  args:
                    - |
                      python3 -m vllm.entrypoints.openai.api_server \\
                      --model /models/Qwen3-8B \\
                      --tensor-parallel-size 4
                  env:
                    - name: VLLM_USE_FLASHINFER_SAMPLER
                      value: "0"
                  resources:
                    limits:
                      nvidia.com/gpu: 2
        - name: decode
          replicas: 3
          template:
            metadata:
              labels:
                model.aibrix.ai/name: qwen3-8b
            spec:
              containers:
                - name: decode
                  image: vllm/vllm-openai:v0.9.2
                  command: ["vllm", "serve"]
                  args: ["--max-model-len", "8192"]
                  resources:
                    limits:
                      nvidia.com/gpu: 1
        - name: routing
          template:
            spec:
              containers:
                - name: router
                  image: aibrix/gateway-plugins:v0.4.0
`;

  it('StormService: one deployment per serving role; a pod group is podGroupSize × the pod\'s GPUs over that many nodes', () => {
    const doc = parseDocument('storm.yaml', storm);
    assert.strictEqual(doc.kind, 'aibrix');
    assert.deepStrictEqual(doc.deployments.map((d) => d.label), [
      'StormService/pd · role prefill · container prefill', 'StormService/pd · role decode · container decode',
    ]);
    const [prefill, decode] = doc.deployments;
    assert.strictEqual(prefill.kind, 'aibrix');
    // The model argument is a mount path: the init container's `aibrix_download --model-uri` names the repository.
    model(storm, prefill, 'Qwen/Qwen3-8B');
    value(storm, prefill, 'engine', 'vllm@0.9.2', '0.9.2');
    value(storm, prefill, 'tensorParallel', 4, '4');
    value(storm, prefill, 'gpuCount', 2 * 2, '2');
    value(storm, prefill, 'nodes', 2, '2');
    assert.strictEqual(slice(storm, prefill.keyRanges.nodes), 'podGroupSize');
    value(storm, prefill, 'flashinferSampler', false, '0');
    // No model argument at all: the served name of the label (the catalog matches it by name).
    model(storm, decode, 'qwen3-8b');
    value(storm, decode, 'gpuCount', 1, '1');
    assert.strictEqual(decode.inputs.nodes, undefined);
    assert.deepStrictEqual(doc.problems.map((p) => [p.severity, slice(storm, p.range)]), [
      ['information', 'Qwen/Qwen3-8B'], ['information', 'qwen3-8b'],
    ]);
    assert.match(doc.problems[0].message, /aibrix_download --model-uri: the model argument \/models\/Qwen3-8B is a path/);
    assert.match(doc.problems[1].message, /label model\.aibrix\.ai\/name/);
    // A quick fix for the GPUs writes each pod's share: 6 GPUs over 2 pods is 3 a pod.
    const e = editForInput(storm, prefill, 'gpuCount', 6);
    assert.ok(e);
    const fixed = applyEdit(storm, e);
    assert.strictEqual(parseDocument('storm.yaml', fixed).deployments[0].inputs.gpuCount, 6);
    assert.ok(fixed.includes('nvidia.com/gpu: 3'));
  });

  it('a storage URI of aibrix_download (s3://, tos://) names no repository: the mount path stays', () => {
    const text = storm.replace('--model-uri, Qwen/Qwen3-8B', '--model-uri, "s3://bucket/models/Qwen3-8B/"');
    const d = parseDocument('storm.yaml', text).deployments[0];
    model(text, d, '/models/Qwen3-8B');
  });

  it('RayClusterFleet: the head runs the engine; worker pods add their GPUs and nodes', () => {
    const text = `apiVersion: orchestration.aibrix.ai/v1alpha1
kind: RayClusterFleet
metadata:
  name: coder
spec:
  replicas: 1
  template:
    metadata:
      labels:
        model.aibrix.ai/name: coder
    spec:
      headGroupSpec:
        template:
          spec:
            containers:
              - name: ray-head
                image: vllm/vllm-openai:v0.7.1
                command: ["/bin/bash", "-c"]
                args:
                  - >
                    eval "$KUBERAY_GEN_RAY_START_CMD" &

                    vllm serve Qwen/Qwen2.5-Coder-7B-Instruct --tensor-parallel-size 4 --distributed-executor-backend ray
                resources:
                  limits:
                    nvidia.com/gpu: 1
                  requests:
                    nvidia.com/gpu: 1
      workerGroupSpecs:
        - groupName: workers
          replicas: 3
          template:
            spec:
              containers:
                - name: ray-worker
                  image: vllm/vllm-openai:v0.7.1
                  command: ["/bin/bash", "-c", "eval \\"$KUBERAY_GEN_RAY_START_CMD\\" && tail -f /dev/null"]
                  resources:
                    limits:
                      nvidia.com/gpu: 1
`;
    const doc = parseDocument('fleet.yaml', text);
    assert.strictEqual(doc.kind, 'aibrix');
    assert.strictEqual(doc.deployments.length, 1);
    const d = doc.deployments[0];
    assert.strictEqual(d.label, 'RayClusterFleet/coder · head · container ray-head');
    model(text, d, 'Qwen/Qwen2.5-Coder-7B-Instruct');
    value(text, d, 'tensorParallel', 4, '4');
    value(text, d, 'gpuCount', 1 + 3 * 1, '1');
    value(text, d, 'nodes', 1 + 3, '3');
    assert.deepStrictEqual(doc.problems, []);
    // Every pod has one GPU: 8 GPUs over the 4 pods is 2 a pod, written in the head (limits and requests) and the worker.
    const fixed = applyEdit(text, editForInput(text, d, 'gpuCount', 8)!);
    assert.strictEqual((fixed.match(/nvidia\.com\/gpu: 2/g) ?? []).length, 3);
    assert.strictEqual(parseDocument('fleet.yaml', fixed).deployments[0].inputs.gpuCount, 8);
  });

  it('a Deployment with AIBrix labels: the model of aibrix_download, else the label when no model is named', () => {
    const container = `      - name: llm-engine
        image: vllm/vllm-openai:v0.8.5
        command: ["python3", "-m", "vllm.entrypoints.openai.api_server", "--model", "/models/deepseek-coder-6.7b-instruct", "--served-model-name", "deepseek-coder-7b"]
        resources:
          limits:
            nvidia.com/gpu: "1"
`;
    const init = `      initContainers:
      - name: init-model
        image: aibrix/runtime:v0.3.0
        command: ["aibrix_download", "--model-uri=deepseek-ai/deepseek-coder-6.7b-instruct", "--local-dir", "/models/"]
`;
    const withLabels = (t: string): string => t.replace('  template:\n', '  template:\n    metadata:\n      labels:\n        model.aibrix.ai/name: deepseek-coder-7b\n');
    const text = withLabels(k8sDeployment(container, init));
    const doc = parseDocument('deploy.yaml', text);
    assert.strictEqual(doc.kind, 'kubernetes');
    model(text, doc.deployments[0], 'deepseek-ai/deepseek-coder-6.7b-instruct');
    value(text, doc.deployments[0], 'gpuCount', 1, '1');
    // Without the downloader the mount path stays (its folder name is more specific than the served name).
    const noInit = withLabels(k8sDeployment(container));
    model(noInit, parseDocument('deploy.yaml', noInit).deployments[0], '/models/deepseek-coder-6.7b-instruct');
    // No model argument: the label names the served model.
    const bare = withLabels(k8sDeployment(container.replace('"--model", "/models/deepseek-coder-6.7b-instruct", ', '')));
    model(bare, parseDocument('deploy.yaml', bare).deployments[0], 'deepseek-coder-7b');
  });
});

describe('formats: Helm values of vLLM\'s chart, llm-d and KubeAI', () => {
  it('vLLM\'s chart: image.command, image.env, resources and gpuModels', () => {
    const text = `image:
  repository: "vllm/vllm-openai"
  tag: "v0.10.1"
  command: ["vllm", "serve", "Qwen/Qwen2.5-7B-Instruct", "--max-model-len", "8192", "--tensor-parallel-size", "2"]
  env:
    - name: VLLM_USE_FLASHINFER_SAMPLER
      value: "0"
containerPort: 8000
resources:
  requests:
    nvidia.com/gpu: 2
  limits:
    nvidia.com/gpu: 2
gpuModels:
  - "NVIDIA-L4"
`;
    const doc = parseDocument('values.yaml', text);
    assert.strictEqual(doc.kind, 'helm-values');
    const d = doc.deployments[0];
    assert.strictEqual(d.engine, 'vllm');
    value(text, d, 'engine', 'vllm@0.10.1', '0.10.1');
    model(text, d, 'Qwen/Qwen2.5-7B-Instruct');
    value(text, d, 'maxModelLen', 8192, '8192');
    value(text, d, 'tensorParallel', 2, '2');
    value(text, d, 'gpuCount', 2, '2');
    value(text, d, 'gpu', 'NVIDIA-L4', 'NVIDIA-L4');
    value(text, d, 'flashinferSampler', false, '0');
    // The chart's own placeholder names no GPU; `configs` (a ConfigMap the container takes by envFrom) sets variables.
    const other = text.replace('"NVIDIA-L4"', '"TYPE_GPU_USED"').replace(`  env:
    - name: VLLM_USE_FLASHINFER_SAMPLER
      value: "0"
`, '').replace('containerPort: 8000\n', 'containerPort: 8000\nconfigs:\n  VLLM_USE_FLASHINFER_SAMPLER: "1"\n');
    const o = parseDocument('values.yaml', other).deployments[0];
    assert.strictEqual(o.inputs.gpu, undefined);
    value(other, o, 'flashinferSampler', true, '1');
  });

  it('an env list or map of any chart reaches the input a Kubernetes container env sets (VLLM_USE_FLASHINFER_SAMPLER)', () => {
    const k8s = k8sDeployment(`      - name: vllm
        image: vllm/vllm-openai:v0.10.1
        args: ["--model", "Qwen/Qwen2.5-7B-Instruct"]
        env:
        - name: VLLM_USE_FLASHINFER_SAMPLER
          value: "1"
`);
    const fromPod = parseDocument('deploy.yaml', k8s).deployments[0];
    value(k8s, fromPod, 'flashinferSampler', true, '1');
    const list = `image:
  repository: vllm/vllm-openai
  tag: v0.10.1
args: ["--model", "Qwen/Qwen2.5-7B-Instruct"]
env:
  - name: VLLM_USE_FLASHINFER_SAMPLER
    value: "1"
`;
    const map = list.replace(/env:\n.*\n.*\n/, 'env:\n  VLLM_USE_FLASHINFER_SAMPLER: "1"\n');
    for (const t of [list, map]) {
      const d = parseDocument('values.yaml', t).deployments[0];
      assert.strictEqual(d.kind, 'helm-values');
      value(t, d, 'flashinferSampler', fromPod.inputs.flashinferSampler, '1');
      assert.strictEqual(slice(t, d.keyRanges.flashinferSampler), 'VLLM_USE_FLASHINFER_SAMPLER');
    }
  });

  const llmd = `modelArtifacts:
  uri: "hf://meta-llama/Llama-3.1-8B-Instruct"
  name: "meta-llama/Llama-3.1-8B-Instruct"
  size: 50Gi
routing:
  servicePort: 8000
decode:
  replicas: 2
  parallelism:
    tensor: 2
  acceleratorTypes:
    labelKey: nvidia.com/gpu.product
    labelValues:
      - NVIDIA-H100-80GB-HBM3
  containers:
  - name: "vllm"
    image: ghcr.io/llm-d/llm-d-cuda:v0.3.0
    modelCommand: vllmServe
    args:
      - "--max-model-len"
      - "32768"
    env:
      - name: VLLM_USE_FLASHINFER_SAMPLER
        value: "1"
prefill:
  replicas: 0
  containers:
  - name: "vllm"
    image: ghcr.io/llm-d/llm-d-cuda:v0.3.0
    modelCommand: vllmServe
`;

  it('llm-d model service: modelArtifacts.uri hf://, parallelism.tensor, acceleratorTypes; a role of no pods is not deployed', () => {
    const doc = parseDocument('values.yaml', llmd);
    assert.strictEqual(doc.kind, 'helm-values');
    assert.deepStrictEqual(doc.deployments.map((d) => d.label), ['values · decode container vllm']);
    const d = doc.deployments[0];
    assert.strictEqual(d.engine, 'vllm');
    model(llmd, d, 'meta-llama/Llama-3.1-8B-Instruct');
    assert.strictEqual(d.model!.range.start, llmd.indexOf('hf://') + 'hf://'.length);
    value(llmd, d, 'tensorParallel', 2, '2');
    // No accelerator limit: the chart requests dataLocal (1) × tensor (2) per pod.
    value(llmd, d, 'gpuCount', 1 * 2, '2');
    value(llmd, d, 'gpu', 'NVIDIA-H100-80GB-HBM3', 'NVIDIA-H100-80GB-HBM3');
    value(llmd, d, 'maxModelLen', 32768, '32768');
    value(llmd, d, 'flashinferSampler', true, '1');
    assert.deepStrictEqual(doc.problems, []);
  });

  it('llm-d model service: multinode spreads workers pods; a volume URI takes the served name as the model, with a note', () => {
    const multi = llmd.replace('routing:', 'multinode: true\nrouting:').replace('    tensor: 2\n', '    tensor: 8\n    workers: 2\n')
      .replace('uri: "hf://meta-llama/Llama-3.1-8B-Instruct"', 'uri: "pvc://models/llama"');
    const doc = parseDocument('values.yaml', multi);
    const d = doc.deployments[0];
    value(multi, d, 'gpuCount', 8 * 2, '8');
    value(multi, d, 'nodes', 2, '2');
    model(multi, d, 'meta-llama/Llama-3.1-8B-Instruct');
    assert.strictEqual(d.model!.range.start, multi.indexOf('name: "meta') + 'name: "'.length);
    assert.deepStrictEqual(doc.problems.map((p) => p.severity), ['information']);
    assert.match(doc.problems[0].message, /modelArtifacts\.name: the model is loaded from pvc:\/\/models\/llama/);
    // A custom command names its own model and flags; the container's limit is the pod's GPUs.
    const custom = llmd.replace('    modelCommand: vllmServe\n    args:\n      - "--max-model-len"\n      - "32768"\n',
      '    modelCommand: custom\n    command: ["vllm", "serve", "Qwen/Qwen3-8B", "--max-model-len", "4096"]\n    resources:\n      limits:\n        nvidia.com/gpu: "4"\n');
    const c = parseDocument('values.yaml', custom).deployments[0];
    model(custom, c, 'Qwen/Qwen3-8B');
    value(custom, c, 'maxModelLen', 4096, '4096');
    value(custom, c, 'gpuCount', 4, '4');
  });

  it('KubeAI models chart: the enabled catalog entries, as Model specs', () => {
    const text = `all:
  enabled: false
catalog:
  llama-3.1-8b-instruct-fp8-l4:
    enabled: true
    features: ["TextGeneration"]
    url: "hf://neuralmagic/Meta-Llama-3.1-8B-Instruct-FP8"
    engine: VLLM
    resourceProfile: nvidia-gpu-l4:1
    env:
      VLLM_USE_FLASHINFER_SAMPLER: "0"
    args:
    - --max-model-len=16384
  qwen2-500m-cpu:
    enabled: false
    url: "ollama://qwen2:0.5b"
    engine: OLlama
    resourceProfile: cpu:1
`;
    const doc = parseDocument('values.yaml', text);
    assert.strictEqual(doc.kind, 'helm-values');
    assert.deepStrictEqual(doc.deployments.map((d) => d.label), ['catalog llama-3.1-8b-instruct-fp8-l4']);
    const d = doc.deployments[0];
    model(text, d, 'neuralmagic/Meta-Llama-3.1-8B-Instruct-FP8');
    value(text, d, 'gpu', 'l4', 'l4');
    value(text, d, 'gpuCount', 1, '1');
    value(text, d, 'maxModelLen', 16384, '16384');
    value(text, d, 'flashinferSampler', false, '0');
    // all.enabled deploys every entry (the Ollama one too); none enabled is said.
    assert.strictEqual(parseDocument('values.yaml', text.replace('all:\n  enabled: false', 'all:\n  enabled: true')).deployments.length, 2);
    const none = parseDocument('values.yaml', text.replace('    enabled: true\n', '    enabled: false\n'));
    assert.strictEqual(none.deployments.length, 0);
    assert.match(none.problems[0].message, /No model of this catalog is enabled/);
  });
});

describe('formats: KubeAI, KAITO and llmaz fields from their CRD sources', () => {
  it('KubeAI Model: env (a map), image, a TPU and an AMD resource profile; engines not sized are left out', () => {
    const text = `apiVersion: kubeai.org/v1
kind: Model
metadata:
  name: llama-tpu
spec:
  features: [TextGeneration]
  url: hf://meta-llama/Meta-Llama-3.1-8B-Instruct
  engine: VLLM
  image: vllm/vllm-tpu:v0.9.1
  env:
    VLLM_USE_FLASHINFER_SAMPLER: "0"
  args:
    - --tensor-parallel-size=4
  resourceProfile: google-tpu-v5e-2x2:4
`;
    const d = parseDocument('model.yaml', text).deployments[0];
    value(text, d, 'engine', 'vllm@0.9.1', '0.9.1');
    value(text, d, 'flashinferSampler', false, '0');
    value(text, d, 'tensorParallel', 4, '4');
    value(text, d, 'gpu', 'tpu-v5e', 'tpu-v5e');
    value(text, d, 'gpuCount', 4, '4');
    assert.strictEqual(d.accelerator?.resource, 'google.com/tpu');
    const amd = text.replace('google-tpu-v5e-2x2:4', 'amd-gpu-mi300x:8');
    const a = parseDocument('model.yaml', amd).deployments[0];
    value(amd, a, 'gpu', 'mi300x', 'mi300x');
    value(amd, a, 'gpuCount', 8, '8');
    assert.strictEqual(a.accelerator?.resource, 'amd.com/gpu');
    const whisper = parseDocument('model.yaml', text.replace('engine: VLLM', 'engine: FasterWhisper'));
    assert.strictEqual(whisper.deployments.length, 0);
  });

  it('KAITO Workspace: a preset maps to its Hugging Face repository; a template is read as a pod', () => {
    const text = `apiVersion: kaito.sh/v1beta1
kind: Workspace
metadata:
  name: phi
resource:
  instanceType: Standard_NC24ads_A100_v4
  labelSelector:
    matchLabels:
      apps: phi
inference:
  preset:
    name: phi-3.5-mini-instruct
`;
    const doc = parseDocument('ws.yaml', text);
    const d = doc.deployments[0];
    // presets/workspace/models/supported_models.yaml: phi-3.5-mini-instruct is microsoft/Phi-3.5-mini-instruct.
    model(text, d, 'microsoft/Phi-3.5-mini-instruct', 'phi-3.5-mini-instruct');
    assert.deepStrictEqual(doc.problems, []);
    const tmpl = text.replace(`  preset:
    name: phi-3.5-mini-instruct
`, `  template:
    spec:
      containers:
      - name: vllm
        image: vllm/vllm-openai:v0.10.0
        args: ["--model", "Qwen/Qwen2.5-7B-Instruct", "--max-model-len", "4096"]
`);
    const t = parseDocument('ws.yaml', tmpl);
    assert.strictEqual(t.kind, 'kaito-workspace');
    const td = t.deployments[0];
    assert.strictEqual(td.label, 'Workspace/phi · container vllm');
    model(tmpl, td, 'Qwen/Qwen2.5-7B-Instruct');
    value(tmpl, td, 'maxModelLen', 4096, '4096');
    // The pod asks for no GPU: the instance type's (one A100) is the deployment's.
    value(tmpl, td, 'gpu', 'Standard_NC24ads_A100_v4', 'Standard_NC24ads_A100_v4');
    value(tmpl, td, 'gpuCount', 1, 'Standard_NC24ads_A100_v4');
  });

  const llmaz = `apiVersion: llmaz.io/v1alpha1
kind: OpenModel
metadata:
  name: qwen2-7b
spec:
  familyName: qwen2
  source:
    modelHub:
      modelID: Qwen/Qwen2-7B-Instruct
  inferenceConfig:
    flavors:
      - name: l4
        limits:
          nvidia.com/gpu: 4
        nodeSelector:
          nvidia.com/gpu.product: NVIDIA-L4
      - name: a100
        limits:
          nvidia.com/gpu: 2
        nodeSelector:
          nvidia.com/gpu.product: NVIDIA-A100-SXM4-80GB
        params:
          TP: "2"
---
apiVersion: inference.llmaz.io/v1alpha1
kind: Playground
metadata:
  name: qwen2-7b
spec:
  replicas: 1
  modelClaims:
    models:
      - name: qwen2-7b
        role: main
    inferenceFlavors: [a100]
  backendRuntimeConfig:
    backendName: vllm
    version: v0.7.3
    envs:
      - name: VLLM_USE_FLASHINFER_SAMPLER
        value: "1"
    args:
      - --max-model-len
      - "8192"
    resources:
      limits:
        cpu: 4
`;

  it('llmaz Playground: modelClaims, the claimed flavor\'s GPUs, node selector and TP, backend version and envs', () => {
    const doc = parseDocument('playground.yaml', llmaz);
    assert.strictEqual(doc.kind, 'llmaz-playground');
    const d = doc.deployments[0];
    model(llmaz, d, 'Qwen/Qwen2-7B-Instruct');
    value(llmaz, d, 'engine', 'vllm@0.7.3', '0.7.3');
    value(llmaz, d, 'maxModelLen', 8192, '8192');
    value(llmaz, d, 'flashinferSampler', true, '1');
    // The claimed flavor (a100), not the first one.
    value(llmaz, d, 'gpuCount', 2, '2');
    value(llmaz, d, 'gpu', 'NVIDIA-A100-SXM4-80GB', 'NVIDIA-A100-SXM4-80GB');
    value(llmaz, d, 'tensorParallel', 2, '2');
    assert.deepStrictEqual(doc.problems, []);
  });

  it('llmaz before backendRuntimeConfig: backendConfig {name}, modelClaim, flavor requests; the first flavor without a claim', () => {
    const old = llmaz.replace(`  modelClaims:
    models:
      - name: qwen2-7b
        role: main
    inferenceFlavors: [a100]
  backendRuntimeConfig:
    backendName: vllm`, `  modelClaim:
    modelName: qwen2-7b
  backendConfig:
    name: vllm`).replace(/limits:\n {10}nvidia/g, 'requests:\n          nvidia');
    const d = parseDocument('playground.yaml', old).deployments[0];
    model(old, d, 'Qwen/Qwen2-7B-Instruct');
    value(old, d, 'gpuCount', 4, '4');
    value(old, d, 'gpu', 'NVIDIA-L4', 'NVIDIA-L4');
    value(old, d, 'maxModelLen', 8192, '8192');
  });
});
