// Seeds of the fuzzers: the real config corpus (../shared/model-configs), the repository's example
// models and deployment files, and a few hand-written manifests of every reader's format.

import * as fs from 'fs';
import * as path from 'path';
import { CONFIGS, SHARED } from '../../scripts/groundTruth';
import { parseConfigText } from '../../src/core/configText';
import { listAccelerators } from '../../src/core/hardware';
import { ModelFiles } from '../../src/core/types';
import { loadModelFiles } from '../../src/cli/modelFiles';

/** The repository root (source or out/ tree). */
export const REPO_ROOT = (() => {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
})();

export { SHARED };

export interface CorpusConfig {
  /** Path relative to the corpus root (or `examples/...`). */
  rel: string;
  /** Absolute path of the config file. */
  file: string;
  text: string;
  /** Parsed (Python NaN/Infinity accepted); undefined when the text does not parse. */
  value: unknown;
  /** The folder's files as the CLI loads them (side files included). */
  files?: ModelFiles;
}

function walk(dir: string, match: (name: string) => boolean, out: string[] = []): string[] {
  if (!fs.existsSync(dir)) return out;
  for (const name of fs.readdirSync(dir).sort()) {
    const p = path.join(dir, name);
    const st = fs.statSync(p);
    if (st.isDirectory()) walk(p, match, out);
    else if (match(name)) out.push(p);
  }
  return out;
}

let corpusCache: CorpusConfig[] | undefined;

/** Every config*.json of the corpus plus the example models (sorted, so seeds replay). */
export function corpusConfigs(): CorpusConfig[] {
  if (corpusCache) return corpusCache;
  const files = [
    ...walk(CONFIGS, (n) => /^config.*\.json$/.test(n)).map((f) => ({ f, rel: path.relative(CONFIGS, f) })),
    ...walk(path.join(REPO_ROOT, 'examples', 'models'), (n) => n === 'config.json').map((f) => ({ f, rel: path.relative(REPO_ROOT, f) })),
  ];
  corpusCache = files.map(({ f, rel }) => {
    const text = fs.readFileSync(f, 'utf8');
    const parsed = parseConfigText(text);
    const loaded = loadModelFiles(f);
    return { rel, file: f, text, value: parsed.ok ? parsed.value : undefined, files: loaded.ok ? loaded.files : undefined };
  });
  return corpusCache;
}

/** Corpus models the engine sizes with default inputs (the property suite runs on these). */
export function sizableModels(compute: (files: ModelFiles) => boolean): CorpusConfig[] {
  return corpusConfigs().filter((c) => c.files && compute(c.files));
}

/** Every key name seen anywhere in the corpus (mutators add them with random values). */
export function corpusKeys(): string[] {
  const keys = new Set<string>();
  const visit = (v: unknown, depth: number): void => {
    if (depth > 8 || !v || typeof v !== 'object') return;
    if (Array.isArray(v)) { v.forEach((x) => visit(x, depth + 1)); return; }
    for (const [k, x] of Object.entries(v)) { keys.add(k); visit(x, depth + 1); }
  };
  for (const c of corpusConfigs()) visit(c.value, 0);
  return [...keys].sort();
}

/** GPU names a deployment may use: ids, names and aliases of the catalog. */
export function gpuNames(): string[] {
  const names = new Set<string>();
  for (const a of listAccelerators()) {
    names.add(a.id);
    names.add(a.name);
    for (const al of a.aliases) names.add(al);
  }
  return [...names].sort();
}

export interface SampleDocument { fileName: string; text: string }

/** Hand-written documents of every format the readers know (they do not depend on examples/ existing). */
const SAMPLES: SampleDocument[] = [
  {
    fileName: 'deploy/llama-k8s.yaml',
    text: `# Llama on two L4s
apiVersion: apps/v1
kind: Deployment
metadata:
  name: llama-8b
spec:
  replicas: 1
  template:
    spec:
      nodeSelector:
        cloud.google.com/gke-accelerator: nvidia-l4
      containers:
        - name: vllm
          image: vllm/vllm-openai:v0.19.0
          args:
            - --model
            - meta-llama/Llama-3.1-8B-Instruct
            - --max-model-len
            - "32768"
            - --tensor-parallel-size=2
            - --gpu-memory-utilization
            - '0.90'
            - --kv-cache-dtype
            - fp8
          env:
            - name: HF_TOKEN
              valueFrom: { secretKeyRef: { name: hf, key: token } }
          resources:
            limits:
              nvidia.com/gpu: 2
            requests:
              nvidia.com/gpu: "2"
`,
  },
  {
    fileName: 'deploy/qwen-command.yaml',
    text: `apiVersion: apps/v1
kind: StatefulSet
metadata: {name: qwen}
spec:
  template:
    spec:
      nodeSelector: {nvidia.com/gpu.product: NVIDIA-H100-80GB-HBM3}
      containers:
      - name: server
        image: "vllm/vllm-openai:latest"
        command: ["vllm", "serve", "Qwen/Qwen3-30B-A3B", "--tensor-parallel-size", "2", "--max-model-len", "32768", '--max-num-seqs', "256"]
        resources: {limits: {nvidia.com/gpu: "2"}}
---
apiVersion: v1
kind: Service
metadata:
  name: qwen
spec:
  ports: [{port: 8000}]
`,
  },
  {
    fileName: 'deploy/shell.yaml',
    text: `apiVersion: v1
kind: Pod
metadata:
  name: sh
spec:
  containers:
    - name: vllm
      image: vllm/vllm-openai:v0.10.2
      command: ["/bin/sh", "-c"]
      args:
        - |
          pip list && python3 -m vllm.entrypoints.openai.api_server \\
            --model=mistralai/Mistral-7B-Instruct-v0.3 --max-model-len 8192 \\
            --gpu-memory-utilization=0.85 --dtype half --block-size 32
      resources:
        limits:
          nvidia.com/gpu: 1
`,
  },
  {
    fileName: 'deploy/tgi.yaml',
    text: `apiVersion: apps/v1
kind: Deployment
metadata:
  name: tgi
spec:
  template:
    spec:
      containers:
        - name: tgi
          image: ghcr.io/huggingface/text-generation-inference:3.0.1
          args: ["--model-id", "meta-llama/Llama-3.1-8B-Instruct", "--num-shard", "2"]
          env:
            - name: MAX_TOTAL_TOKENS
              value: "8192"
            - name: MAX_INPUT_LENGTH
              value: "4096"
            - name: QUANTIZE
              value: awq
          resources:
            limits:
              nvidia.com/gpu: 2
`,
  },
  {
    fileName: 'deploy/sglang-lws.yaml',
    text: `apiVersion: leaderworkerset.x-k8s.io/v1
kind: LeaderWorkerSet
metadata:
  name: deepseek
spec:
  leaderWorkerTemplate:
    size: 2
    leaderTemplate:
      spec:
        containers:
          - name: leader
            image: lmsysorg/sglang:v0.4.6
            command:
              - python3
              - -m
              - sglang.launch_server
              - --model-path
              - deepseek-ai/DeepSeek-V3
              - --tp
              - "16"
              - --context-length
              - "65536"
              - --mem-fraction-static
              - "0.85"
            resources:
              limits:
                nvidia.com/gpu: "8"
    workerTemplate:
      spec:
        containers:
          - name: worker
            image: lmsysorg/sglang:v0.4.6
            resources:
              limits:
                nvidia.com/gpu: "8"
`,
  },
  {
    fileName: 'docker-compose.yml',
    text: `services:
  vllm:
    image: vllm/vllm-openai:v0.19.0
    command: --model meta-llama/Llama-3.1-8B-Instruct --max-model-len 32768 --max-num-seqs 512 --gpu-memory-utilization 0.9
    ports:
      - "8000:8000"
    deploy:
      resources:
        reservations:
          devices:
            - driver: nvidia
              count: 1
              capabilities: [gpu]
  vllm-list:
    image: vllm/vllm-openai:v0.8.5
    command:
      - --model
      - Qwen/Qwen2.5-7B-Instruct
      - --quantization
      - fp8
    environment:
      - NVIDIA_VISIBLE_DEVICES=0,1
    deploy:
      resources:
        reservations:
          devices:
            - driver: nvidia
              device_ids: ["0", "1"]
              capabilities: [gpu]
`,
  },
  {
    fileName: 'values.yaml',
    text: `servingEngineSpec:
  runtimeClassName: ""
  modelSpec:
    - name: llama3
      repository: vllm/vllm-openai
      tag: v0.19.0
      modelURL: meta-llama/Llama-3.1-8B-Instruct
      replicaCount: 1
      requestCPU: 6
      requestMemory: 16Gi
      requestGPU: 1
      vllmConfig:
        maxModelLen: 16384
        dtype: bfloat16
        extraArgs: ["--kv-cache-dtype", "fp8", "--max-num-batched-tokens=4096"]
      nodeSelectorTerms:
        - matchExpressions:
            - key: nvidia.com/gpu.product
              operator: In
              values:
                - NVIDIA-A100-SXM4-80GB
    - name: mistral
      modelURL: mistralai/Mistral-7B-v0.1
      requestGPU: 2
      vllmConfig: {tensorParallelSize: 2, gpuMemoryUtilization: 0.8}
`,
  },
  {
    fileName: 'vllm-serve.yaml',
    text: `model: meta-llama/Llama-3.1-70B-Instruct
tensor-parallel-size: 4
pipeline_parallel_size: 1
max-model-len: 65536
gpu-memory-utilization: 0.92
kv-cache-dtype: fp8
enable-prefix-caching: true
max-num-seqs: 128
`,
  },
  {
    fileName: 'llama.budget.yaml',
    text: `# yaml-language-server: $schema=../schemas/budget.schema.json
name: llama-8b-chat
model: meta-llama/Llama-3.1-8B-Instruct
hardware:
  gpu: L40S
  count: 2
engine:
  name: vllm
  version: 0.19.0
  tensorParallel: 2
  maxModelLen: 32k
  gpuMemoryUtilization: 0.9
  kvCacheDtype: fp8
workload:
  promptTokens: 2000
  outputTokens: 500
  targetConcurrency: 32
  ttftMs: 800
  tpotMs: 40
`,
  },
  {
    fileName: 'deploy/env-configmap.yaml',
    text: `apiVersion: apps/v1
kind: Deployment
metadata:
  name: gemma
spec:
  template:
    spec:
      nodeSelector:
        cloud.google.com/gke-tpu-accelerator: tpu-v6e-slice
      containers:
      - name: vllm
        image: vllm/vllm-tpu:latest
        args: ["serve", "$(MODEL_ID)", "--max-model-len=$(MAX_LEN)", "--tensor-parallel-size", "$$(TP)"]
        env:
        - name: MODEL_ID
          valueFrom: {configMapKeyRef: {name: llm, key: model}}
        - name: MAX_LEN
          value: "8192"
        envFrom:
        - configMapRef: {name: llm}
        resources:
          limits:
            google.com/tpu: 8
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: neuron
spec:
  template:
    spec:
      containers:
      - name: neuron
        image: vllm/vllm-openai:latest
        command: ["sh", "-c", "vllm serve $(MODEL_ID) --max-num-seqs 4"]
        env:
        - {name: MODEL_ID, value: Qwen/Qwen3-8B}
        resources:
          limits:
            aws.amazon.com/neuron: 1
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: llm
data:
  model: google/gemma-3-12b-it
  TP: "2"
`,
  },
  {
    fileName: 'compose.yaml',
    text: `services:
  sglang:
    image: lmsysorg/sglang:\${TAG:-latest}
    entrypoint: python3 -m sglang.launch_server
    command: --model-path \${MODEL:-Qwen/Qwen3-8B} --tp \${TP-2} --context-length $\${LEN}
  vllm:  # inference-budget: model=Qwen/Qwen3-8B gpu="NVIDIA L4" gpus=2
    image: spark-vllm:latest
    command: >
      serve \${MODEL}
      --max-model-len 32768
`,
  },
  {
    fileName: 'inference-budget.yaml',
    text: `model: ./models/Qwen3-30B-A3B
hardware: {gpu: H100, count: 1}
engine: {name: vllm, maxNumSeqs: 256, quantization: fp8}
`,
  },
  // AIBrix workloads (src/formats/aibrix.ts) and chart values of vLLM's chart, llm-d and KubeAI (helm.ts, chartValues.ts).
  {
    fileName: 'aibrix-storm.yaml',
    text: `apiVersion: orchestration.aibrix.ai/v1alpha1
kind: StormService
metadata:
  name: pd
spec:
  template:
    spec:
      roles:
        - name: prefill
          podGroupSize: 2
          template:
            metadata:
              labels:
                model.aibrix.ai/name: qwen3-8b
            spec:
              initContainers:
                - name: init
                  command: [aibrix_download, --model-uri, Qwen/Qwen3-8B]
              containers:
                - name: vllm
                  image: vllm/vllm-openai:v0.9.2
                  command: ["sh", "-c", "vllm serve /models/Qwen3-8B --tensor-parallel-size 2"]
                  resources: {limits: {nvidia.com/gpu: 2}}
---
apiVersion: orchestration.aibrix.ai/v1alpha1
kind: RayClusterFleet
metadata:
  name: fleet
spec:
  template:
    spec:
      headGroupSpec:
        template:
          spec:
            containers:
              - name: head
                image: vllm/vllm-openai:v0.7.1
                args: ["vllm", "serve", "Qwen/Qwen2.5-7B-Instruct", "--tensor-parallel-size", "2"]
                resources: {limits: {nvidia.com/gpu: 1}}
      workerGroupSpecs:
        - replicas: 1
          template: {spec: {containers: [{name: w, resources: {limits: {nvidia.com/gpu: 1}}}]}}
`,
  },
  {
    fileName: 'charts/vllm/values.yaml',
    text: `image:
  repository: vllm/vllm-openai
  tag: v0.10.1
  command: ["vllm", "serve", "Qwen/Qwen2.5-7B-Instruct", "--max-model-len", "8192"]
  env: [{name: VLLM_USE_FLASHINFER_SAMPLER, value: "0"}]
configs:
  VLLM_USE_FLASHINFER_SAMPLER: "1"
resources: {limits: {nvidia.com/gpu: 1}}
gpuModels: ["NVIDIA-L4"]
`,
  },
  {
    fileName: 'charts/llm-d/values.yaml',
    text: `modelArtifacts:
  uri: hf://meta-llama/Llama-3.1-8B-Instruct
  name: meta-llama/Llama-3.1-8B-Instruct
multinode: true
decode:
  replicas: 1
  parallelism: {tensor: 4, workers: 2}
  acceleratorTypes: {labelKey: nvidia.com/gpu.product, labelValues: [NVIDIA-H100-80GB-HBM3]}
  containers:
  - name: vllm
    image: ghcr.io/llm-d/llm-d-cuda:v0.3.0
    modelCommand: vllmServe
    args: ["--max-model-len", "32768"]
`,
  },
  {
    fileName: 'charts/kubeai-models/values.yaml',
    text: `catalog:
  llama-3.1-8b-instruct-fp8-l4:
    enabled: true
    url: hf://neuralmagic/Meta-Llama-3.1-8B-Instruct-FP8
    engine: VLLM
    resourceProfile: nvidia-gpu-l4:1
    env: {VLLM_USE_FLASHINFER_SAMPLER: "0"}
    args: [--max-model-len=16384]
`,
  },
];

/** Deployment documents: hand-written samples, the VS Code test workspace and examples/deployments (when present). */
export function sampleDocuments(): SampleDocument[] {
  const docs = [...SAMPLES];
  for (const dir of [path.join(REPO_ROOT, 'examples', 'deployments'), path.join(REPO_ROOT, 'test', 'vscode', 'workspace', 'deploy')]) {
    for (const f of walk(dir, (n) => /\.(ya?ml|json)$/i.test(n))) {
      docs.push({ fileName: path.relative(REPO_ROOT, f), text: fs.readFileSync(f, 'utf8') });
    }
  }
  return docs;
}
