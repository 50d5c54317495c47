// Readers of operator resources (production-stack VLLMRuntime, NVIDIA Dynamo, OME, KubeRay RayService), SkyPilot
// tasks and Helm values of other charts, on the real files of the shared corpus. Every expected value is a literal
// read by eye from the file (the comment names its line), and the text at each value's range is the value as written.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { DeploymentSpec, InputKey, parseDocument } from '../../../src/formats';
import { ROOT, slice } from './helpers';

/** The shared corpus of real deployment files, wherever this checkout keeps it. */
const CORPUS = [path.join(ROOT, 'shared/deployments'), path.join(ROOT, '../shared/deployments'), '/work/shared/deployments']
  .find((c) => fs.existsSync(c));

function load(name: string): { text: string; doc: ReturnType<typeof parseDocument> } {
  const text = fs.readFileSync(path.join(CORPUS!, name), 'utf8');
  return { text, doc: parseDocument(name, text) };
}

/** The input's value, and the text at its range as the file writes it. */
function value(text: string, d: DeploymentSpec, key: InputKey, expected: unknown, written: string): void {
  assert.deepStrictEqual(d.inputs[key], expected, key);
  assert.strictEqual(slice(text, d.valueRanges[key]), written, `${key} range`);
}

function model(text: string, d: DeploymentSpec, expected: string): void {
  assert.strictEqual(d.model?.name, expected);
  assert.strictEqual(slice(text, d.model?.range), expected, 'model range');
}

describe('formats: operator resources, SkyPilot tasks and chart values in the corpus', function () {
  before(function () { if (!CORPUS) this.skip(); });

  it('production-stack VLLMRuntime: spec.model, spec.vllmConfig, deploymentConfig.resources', () => {
    const { text, doc } = load('prodstack__production-stack_v1alpha1_vllmruntime.yaml');
    assert.strictEqual(doc.kind, 'vllm-runtime');
    assert.deepStrictEqual(doc.problems, []);
    assert.strictEqual(doc.deployments.length, 1);
    const d = doc.deployments[0];
    assert.strictEqual(d.engine, 'vllm');
    assert.strictEqual(d.label, 'VLLMRuntime/vllmruntime-sample');
    model(text, d, 'meta-llama/Llama-3.1-8B-Instruct'); // line 12: modelURL: "meta-llama/Llama-3.1-8B-Instruct"
    value(text, d, 'maxModelLen', 4096, '4096'); // line 16: maxModelLen: 4096
    value(text, d, 'maxNumSeqs', 32, '32'); // line 18: maxNumSeqs: 32
    value(text, d, 'tensorParallel', 1, '1'); // line 29: tensorParallelSize: 1
    value(text, d, 'gpuMemoryUtilization', 0.8, '0.8'); // line 30: gpuMemoryUtilization: "0.8"
    value(text, d, 'gpuCount', 1, '1'); // line 53: gpu: "1"
    assert.strictEqual(slice(text, d.keyRanges.gpuCount), 'gpu');
    assert.strictEqual(d.accelerator, undefined); // line 54: gpuType: "nvidia.com/gpu"
  });

  it('Dynamo DynamoGraphDeployment (SGLang): the worker service, not the frontend', () => {
    const { text, doc } = load('dynamo__sglang-agg.yaml');
    assert.strictEqual(doc.kind, 'dynamo');
    assert.deepStrictEqual(doc.deployments.map((d) => d.label), ['DynamoGraphDeployment/sglang-agg · service decode']);
    const d = doc.deployments[0];
    assert.strictEqual(d.engine, 'sglang'); // line 29: python3 -m dynamo.sglang
    assert.strictEqual(d.inputs.engine, 'sglang'); // the image tag (0.8.0) is Dynamo's release, not SGLang's
    model(text, d, 'Qwen/Qwen3-0.6B'); // line 33: --model-path Qwen/Qwen3-0.6B
    value(text, d, 'tensorParallel', 1, '1'); // line 39: --tp "1"
    value(text, d, 'gpuCount', 1, '1'); // line 22: resources.limits.gpu: "1"
    assert.strictEqual(slice(text, d.anchor), 'decode');
  });

  it('Dynamo DynamoGraphDeployment (vLLM): the worker model and GPUs', () => {
    const { text, doc } = load('dynamo__vllm-agg.yaml');
    assert.strictEqual(doc.kind, 'dynamo');
    assert.deepStrictEqual(doc.deployments.map((d) => d.label), ['DynamoGraphDeployment/vllm-agg · service worker']);
    const d = doc.deployments[0];
    assert.strictEqual(d.engine, 'vllm'); // line 35: python3 -m dynamo.vllm
    model(text, d, 'Qwen/Qwen3-0.6B'); // line 38: --model Qwen/Qwen3-0.6B
    value(text, d, 'gpuCount', 1, '1'); // line 23: gpu: "1"
    assert.strictEqual(d.inputs.maxModelLen, undefined); // not written
  });

  it('OME ClusterServingRuntime: engineConfig.runner, the served model name for $(MODEL_PATH)', () => {
    const { text, doc } = load('ome__llama-3-1-70b-instruct-rt.yaml');
    assert.strictEqual(doc.kind, 'ome-runtime');
    assert.strictEqual(doc.deployments.length, 1); // the router (routerConfig) runs no engine
    const d = doc.deployments[0];
    assert.strictEqual(d.engine, 'sglang');
    value(text, d, 'engine', 'sglang@0.5.5', '0.5.5.post3'); // line 39: image: docker.io/lmsysorg/sglang:v0.5.5.post3-cu129-amd64
    model(text, d, 'meta-llama/Meta-Llama-3.1-70B-Instruct'); // line 61: --served-model-name (the model path is $(MODEL_PATH))
    value(text, d, 'tensorParallel', 4, '4'); // line 57: --tp-size "4"
    value(text, d, 'gpuCount', 4, '4'); // line 73: limits nvidia.com/gpu: 4
    for (const name of ['ome__Qwen2.5-72B-Instruct-rt.yaml', 'ome__deepseek-v3-rt.yaml']) {
      const other = load(name);
      assert.strictEqual(other.doc.kind, 'ome-runtime', name);
      assert.strictEqual(other.doc.deployments[0].inputs.tensorParallel, 8, name); // --tp-size "8"
      assert.strictEqual(other.doc.deployments[0].inputs.gpuCount, 8, name); // nvidia.com/gpu: 8
    }
  });

  it('KubeRay RayService: the Serve application, the model variable it is given, the worker TPUs', () => {
    const { text, doc } = load('kuberay__ray-service.vllm-tpu-v6e-singlehost.yaml');
    assert.strictEqual(doc.kind, 'ray-service');
    assert.deepStrictEqual(doc.problems, []);
    const d = doc.deployments[0];
    assert.strictEqual(d.label, 'RayService/vllm-tpu · application llm');
    assert.strictEqual(d.engine, 'vllm');
    model(text, d, '$MODEL_ID'); // line 16: MODEL_ID: "$MODEL_ID" (set at deploy time)
    assert.strictEqual(d.inputs.maxModelLen, undefined); // line 17: MAX_MODEL_LEN: "$MAX_MODEL_LEN" is not a number
    value(text, d, 'gpuCount', 8, '8'); // line 98: google.com/tpu: "8"
    assert.strictEqual(d.accelerator?.resource, 'google.com/tpu');
    value(text, d, 'gpu', 'tpu-v6e-slice', 'tpu-v6e-slice'); // line 136: cloud.google.com/gke-tpu-accelerator
  });

  it('RayService with Ray Serve LLM llm_configs: model_loading_config and engine_kwargs inside serveConfigV2', () => {
    const text = `apiVersion: ray.io/v1
kind: RayService
metadata:
  name: llm
spec:
  serveConfigV2: |
    applications:
    - name: llms
      import_path: ray.serve.llm:build_openai_app
      args:
        llm_configs:
        - model_loading_config:
            model_id: Qwen/Qwen2.5-7B-Instruct
          accelerator_type: L4
          engine_kwargs:
            tensor_parallel_size: 2
            max_model_len: 8192
  rayClusterConfig:
    workerGroupSpecs:
    - groupName: gpu
      template:
        spec:
          containers:
          - name: worker
            image: rayproject/ray-llm:2.44.0
            resources:
              limits:
                nvidia.com/gpu: 2
`;
    const doc = parseDocument('ray.yaml', text);
    assert.strictEqual(doc.kind, 'ray-service');
    const d = doc.deployments[0];
    model(text, d, 'Qwen/Qwen2.5-7B-Instruct');
    value(text, d, 'tensorParallel', 2, '2');
    value(text, d, 'maxModelLen', 8192, '8192');
    value(text, d, 'gpu', 'L4', 'L4');
    value(text, d, 'gpuCount', 2, '2');
  });

  it('SkyPilot task: resources.accelerators and the run script, with envs and SKYPILOT_NUM_GPUS_PER_NODE', () => {
    const { text, doc } = load('nebius-cookbook__skypilot-llama4-sglang.yaml');
    assert.strictEqual(doc.kind, 'skypilot');
    assert.deepStrictEqual(doc.problems, []);
    const d = doc.deployments[0];
    assert.strictEqual(d.engine, 'sglang'); // line 28: python -m sglang.launch_server
    model(text, d, 'meta-llama/Llama-4-Scout-17B-16E-Instruct'); // line 18: MODEL_NAME (line 29: --model-path $MODEL_NAME)
    value(text, d, 'tensorParallel', 8, '8'); // line 30: --tp-size $SKYPILOT_NUM_GPUS_PER_NODE, from line 10: H100:8
    value(text, d, 'maxModelLen', 32768, '32768'); // line 31: --context-length 32768
    value(text, d, 'gpu', 'H100', 'H100'); // line 10: accelerators: H100:8
    value(text, d, 'gpuCount', 8, '8');
    assert.strictEqual(slice(text, d.keyRanges.gpuCount), 'accelerators');
  });

  it('SkyPilot task over several nodes: GPUs per node × num_nodes', () => {
    const text = 'resources:\n  accelerators: {A100: 8}\nnum_nodes: 2\nrun: |\n  vllm serve meta-llama/Llama-3.1-70B-Instruct --tensor-parallel-size 8 --pipeline-parallel-size 2\n';
    const d = parseDocument('task.yaml', text).deployments[0];
    assert.strictEqual(d.kind, 'skypilot');
    value(text, d, 'gpu', 'A100', 'A100');
    value(text, d, 'gpuCount', 16, '8');
    value(text, d, 'nodes', 2, '2');
  });

  it('chart values with a whole command line (cli:) and resources', () => {
    const { text, doc } = load('surajssd-llm-k8s__gpt-oss-120b-values.yaml');
    assert.strictEqual(doc.kind, 'helm-values');
    const d = doc.deployments[0];
    assert.strictEqual(d.engine, 'vllm');
    model(text, d, 'openai/gpt-oss-120b'); // line 9: cli: "vllm serve openai/gpt-oss-120b
    value(text, d, 'tensorParallel', 1, '1'); // line 10: --tensor-parallel-size 1
    value(text, d, 'maxModelLen', 25000, '25000'); // line 12: --max-model-len 25000"
    value(text, d, 'gpuCount', 1, '1'); // line 6: nvidia.com/gpu: "1"
  });

  it('chart values spread over pods (distributed.enabled): tensor × pipeline parallel GPUs', () => {
    const { text, doc } = load('surajssd-llm-k8s__llama-3-3-70b-two-nodes-values.yaml');
    assert.strictEqual(doc.kind, 'helm-values');
    const d = doc.deployments[0];
    model(text, d, 'meta-llama/Llama-3.3-70B-Instruct'); // line 10: --model
    value(text, d, 'tensorParallel', 4, '4'); // line 11: --tensor-parallel-size 4
    value(text, d, 'pipelineParallel', 2, '2'); // line 12: --pipeline-parallel-size 2
    value(text, d, 'gpuCount', 8, '4'); // line 16: nvidia.com/gpu: "4" per pod, two pods
    value(text, d, 'nodes', 2, 'true'); // line 2: distributed.enabled: true
  });

  it('chart values with engine settings (vllm:), model.repoId, image and resources', () => {
    const { text, doc } = load('vllm-ocp-helm__qwen3-6-35b-a3b-values.yaml');
    assert.strictEqual(doc.kind, 'helm-values');
    const d = doc.deployments[0];
    value(text, d, 'engine', 'vllm@0.19.0', '0.19.0'); // line 10: tag: "v0.19.0"
    model(text, d, 'Qwen/Qwen3.6-35B-A3B'); // line 2: repoId
    value(text, d, 'tensorParallel', 1, '1'); // line 35: tensorParallelSize: 1
    value(text, d, 'maxModelLen', 262144, '262144'); // line 36: maxModelLen: "262144"
    value(text, d, 'gpuCount', 1, '1'); // line 61: limits nvidia.com/gpu: "1"
    const pvc = load('vllm-ocp-helm__llama-3-8b-existing-pvc-values.yaml');
    const p = pvc.doc.deployments[0];
    model(pvc.text, p, 'meta-llama/Meta-Llama-3.1-8B-Instruct'); // line 2: repoId
    value(pvc.text, p, 'maxModelLen', 8192, '8192'); // line 17: maxModelLen: "8192"
  });

  it('OPEA chart values: the image names the engine, LLM_MODEL_ID the model', () => {
    const vllm = load('opea-infra__vllm-values.yaml');
    assert.strictEqual(vllm.doc.kind, 'helm-values');
    const v = vllm.doc.deployments[0];
    assert.strictEqual(v.engine, 'vllm'); // line 29: repository: opea/vllm
    model(vllm.text, v, 'meta-llama/Meta-Llama-3-8B-Instruct'); // line 103: LLM_MODEL_ID
    const tgi = load('opea-infra__tgi-values.yaml');
    const t = tgi.doc.deployments[0];
    assert.strictEqual(t.engine, 'tgi'); // line 30: repository: ghcr.io/huggingface/text-generation-inference
    model(tgi.text, t, 'Intel/neural-chat-7b-v3-3'); // line 121: LLM_MODEL_ID
    assert.deepStrictEqual(tgi.doc.problems, []); // MAX_INPUT_LENGTH: "" and MAX_TOTAL_TOKENS: "" say nothing
  });

  it('values without a server stay unrecognised', () => {
    assert.strictEqual(parseDocument('values.yaml', 'image:\n  repository: nginx\nreplicaCount: 1\n').kind, undefined);
    assert.strictEqual(parseDocument('values.yaml', 'model: vllm-is-mentioned\nfoo: 1\n').kind, undefined);
  });
});

describe('formats: operator resources written by hand (KServe LLMInferenceService, KubeAI, KAITO, llmaz)', () => {
  it('KServe LLMInferenceService: model.uri hf://, parallelism, the main container\'s args and GPUs', () => {
    const text = `apiVersion: serving.kserve.io/v1alpha1
kind: LLMInferenceService
metadata:
  name: qwen
spec:
  model:
    uri: hf://Qwen/Qwen2.5-7B-Instruct
    name: qwen
  replicas: 2
  parallelism:
    tensor: 2
  template:
    containers:
    - name: main
      image: vllm/vllm-openai:v0.10.1
      args: ["--max-model-len", "8192"]
      resources:
        limits:
          nvidia.com/gpu: "2"
`;
    const doc = parseDocument('llmisvc.yaml', text);
    assert.strictEqual(doc.kind, 'llm-inference-service');
    assert.deepStrictEqual(doc.problems, []);
    assert.strictEqual(doc.deployments.length, 1);
    const d = doc.deployments[0];
    assert.strictEqual(d.engine, 'vllm');
    assert.strictEqual(d.label, 'LLMInferenceService/qwen');
    model(text, d, 'Qwen/Qwen2.5-7B-Instruct');
    value(text, d, 'engine', 'vllm@0.10.1', '0.10.1');
    value(text, d, 'tensorParallel', 2, '2');
    value(text, d, 'maxModelLen', 8192, '8192');
    value(text, d, 'gpuCount', 2, '2');
  });

  it('KServe LLMInferenceService with workers: tensor × pipeline GPUs over the group', () => {
    const text = `apiVersion: serving.kserve.io/v1alpha1
kind: LLMInferenceService
metadata:
  name: big
spec:
  model:
    uri: hf://meta-llama/Llama-3.1-70B-Instruct
  parallelism:
    tensor: 4
    pipeline: 2
  template:
    containers:
    - name: main
      resources:
        limits:
          nvidia.com/gpu: "4"
  worker:
    containers:
    - name: main
      resources:
        limits:
          nvidia.com/gpu: "4"
`;
    const d = parseDocument('llmisvc.yaml', text).deployments[0];
    model(text, d, 'meta-llama/Llama-3.1-70B-Instruct');
    value(text, d, 'tensorParallel', 4, '4');
    value(text, d, 'pipelineParallel', 2, '2');
    value(text, d, 'gpuCount', 8, '4');
  });

  it('KServe InferenceService: storageUri hf:// names the model when the args give a mount path, with a note', () => {
    const text = `apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: llama
spec:
  predictor:
    model:
      modelFormat:
        name: huggingface
      storageUri: hf://meta-llama/Llama-3.1-8B-Instruct
      args:
      - --model=/mnt/models
      - --max-model-len=4096
      resources:
        limits:
          nvidia.com/gpu: "1"
`;
    const doc = parseDocument('isvc.yaml', text);
    const d = doc.deployments[0];
    model(text, d, 'meta-llama/Llama-3.1-8B-Instruct');
    value(text, d, 'maxModelLen', 4096, '4096');
    assert.deepStrictEqual(doc.problems.map((p) => [p.severity, slice(text, p.range)]), [['information', 'meta-llama/Llama-3.1-8B-Instruct']]);
    assert.match(doc.problems[0].message, /storageUri/);
  });

  it('Kubernetes container: --served-model-name, then MODEL_ID, names the model of a mount path, with a note', () => {
    const text = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: vllm
spec:
  template:
    spec:
      containers:
      - name: vllm
        image: vllm/vllm-openai:v0.9.0
        args: ["/data", "--served-model-name", "Qwen/Qwen3-8B"]
`;
    const doc = parseDocument('deploy.yaml', text);
    model(text, doc.deployments[0], 'Qwen/Qwen3-8B');
    assert.strictEqual(doc.problems.length, 1);
    assert.match(doc.problems[0].message, /model taken from --served-model-name/i);
    const env = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: vllm
spec:
  template:
    spec:
      containers:
      - name: vllm
        image: vllm/vllm-openai:v0.9.0
        args: ["--model", "/models/llama"]
        env:
        - name: MODEL_ID
          value: meta-llama/Llama-3.1-8B-Instruct
`;
    const e = parseDocument('deploy.yaml', env);
    model(env, e.deployments[0], 'meta-llama/Llama-3.1-8B-Instruct');
    assert.match(e.problems[0].message, /model taken from MODEL_ID/i);
    // A model argument that names a model keeps it.
    const plain = text.replace('"/data", ', '"Qwen/Qwen3-4B", ');
    const p = parseDocument('deploy.yaml', plain);
    model(plain, p.deployments[0], 'Qwen/Qwen3-4B');
    assert.deepStrictEqual(p.problems, []);
  });

  it('KubeAI Model: spec.url hf://, engine VLLM, args, resourceProfile nvidia-gpu-l4:1', () => {
    const text = `apiVersion: kubeai.org/v1
kind: Model
metadata:
  name: llama-3.1-8b-instruct-fp8-l4
spec:
  features: [TextGeneration]
  url: hf://neuralmagic/Meta-Llama-3.1-8B-Instruct-FP8
  engine: VLLM
  args:
  - --max-model-len=16384
  - --max-num-seqs=256
  resourceProfile: nvidia-gpu-l4:1
`;
    const doc = parseDocument('model.yaml', text);
    assert.strictEqual(doc.kind, 'kubeai-model');
    assert.deepStrictEqual(doc.problems, []);
    const d = doc.deployments[0];
    assert.strictEqual(d.engine, 'vllm');
    model(text, d, 'neuralmagic/Meta-Llama-3.1-8B-Instruct-FP8');
    value(text, d, 'maxModelLen', 16384, '16384');
    value(text, d, 'maxNumSeqs', 256, '256');
    value(text, d, 'gpu', 'l4', 'l4');
    value(text, d, 'gpuCount', 1, '1');
    assert.strictEqual(slice(text, d.keyRanges.gpu), 'resourceProfile');
  });

  it('KubeAI Model on Ollama: ollama:// names the model', () => {
    const text = 'apiVersion: kubeai.org/v1\nkind: Model\nmetadata:\n  name: qwen\nspec:\n  url: ollama://qwen2:0.5b\n  engine: OLlama\n  resourceProfile: nvidia-gpu-h100:2\n';
    const d = parseDocument('model.yaml', text).deployments[0];
    assert.strictEqual(d.engine, 'ollama');
    model(text, d, 'qwen2:0.5b');
    value(text, d, 'gpu', 'h100', 'h100');
    value(text, d, 'gpuCount', 2, '2');
  });

  it('KAITO Workspace: instanceType gives the GPU and its count; a preset that is no model id is said', () => {
    const text = `apiVersion: kaito.sh/v1beta1
kind: Workspace
metadata:
  name: workspace-phi
resource:
  instanceType: Standard_NC24ads_A100_v4
  labelSelector:
    matchLabels:
      apps: phi
inference:
  preset:
    name: my-private-preset
`;
    const doc = parseDocument('ws.yaml', text);
    assert.strictEqual(doc.kind, 'kaito-workspace');
    const d = doc.deployments[0];
    assert.strictEqual(d.model, undefined);
    value(text, d, 'gpu', 'Standard_NC24ads_A100_v4', 'Standard_NC24ads_A100_v4');
    value(text, d, 'gpuCount', 1, 'Standard_NC24ads_A100_v4');
    assert.deepStrictEqual(doc.problems.map((p) => slice(text, p.range)), ['my-private-preset']);
    assert.match(doc.problems[0].message, /not sized: preset my-private-preset is not a KAITO preset/i);
    const hf = text.replace('my-private-preset', 'Qwen/Qwen2.5-7B-Instruct').replace('instanceType: Standard_NC24ads_A100_v4', 'instanceType: Standard_NC48ads_A100_v4\n  count: 2');
    const h = parseDocument('ws.yaml', hf);
    model(hf, h.deployments[0], 'Qwen/Qwen2.5-7B-Instruct');
    value(hf, h.deployments[0], 'gpuCount', 4, 'Standard_NC48ads_A100_v4');
    value(hf, h.deployments[0], 'nodes', 2, '2');
    assert.deepStrictEqual(h.problems, []);
  });

  it('llmaz OpenModel + Playground: the claimed model of the same file, backend args and resources', () => {
    const text = `apiVersion: llmaz.io/v1alpha1
kind: OpenModel
metadata:
  name: qwen2-0--5b
spec:
  familyName: qwen2
  source:
    modelHub:
      modelID: Qwen/Qwen2-0.5B-Instruct
---
apiVersion: inference.llmaz.io/v1alpha1
kind: Playground
metadata:
  name: qwen2-0--5b
spec:
  replicas: 1
  modelClaim:
    modelName: qwen2-0--5b
  backendRuntimeConfig:
    backendName: vllm
    args:
    - --max-model-len
    - "4096"
    resources:
      limits:
        nvidia.com/gpu: 1
`;
    const doc = parseDocument('playground.yaml', text);
    assert.strictEqual(doc.kind, 'llmaz-playground');
    assert.deepStrictEqual(doc.problems, []);
    assert.strictEqual(doc.deployments.length, 1);
    const d = doc.deployments[0];
    assert.strictEqual(d.label, 'Playground/qwen2-0--5b');
    model(text, d, 'Qwen/Qwen2-0.5B-Instruct');
    value(text, d, 'maxModelLen', 4096, '4096');
    value(text, d, 'gpuCount', 1, '1');
  });
});
