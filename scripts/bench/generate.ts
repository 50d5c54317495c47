// Inputs the benchmark generates: the 2 MB Kubernetes manifest (500 vLLM Deployments + 500 Services, from
// examples/deployments/*.yaml with varied names, models and flags), a workspace of 1,000 mixed files, and the
// workspace the extension host runs in (the model-config corpus + the manifest). Deterministic: same output
// for the same repository state.
import * as fs from 'fs';
import * as path from 'path';

/** A small deterministic PRNG (mulberry32), so every run benchmarks the same bytes. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];

/** Offsets to hover at: the KV-heads key (or its spelling in this family) and `architectures` (else model_type). */
export function hoverTargets(text: string): { what: string; offset: number }[] {
  const out: { what: string; offset: number }[] = [];
  for (const k of ['num_key_value_heads', 'n_head_kv', 'multi_query_group_num', 'num_attention_heads']) {
    const i = text.indexOf(`"${k}"`);
    if (i >= 0) { out.push({ what: 'kv-heads', offset: i + 2 }); break; }
  }
  for (const k of ['architectures', 'model_type']) {
    const i = text.indexOf(`"${k}"`);
    if (i >= 0) { out.push({ what: 'architectures', offset: i + 2 }); break; }
  }
  return out;
}

/** Every `config*.json` under the corpus folder (sorted). */
export function corpusConfigs(corpusDir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    let entries: fs.Dirent[];
    try { entries = fs.readdirSync(d, { withFileTypes: true }); } catch { return; }
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/^config.*\.json$/.test(e.name)) out.push(p);
    }
  };
  walk(corpusDir);
  return out.sort();
}

/** Hub ids of the bundled catalog (what a manifest names and the resolver finds without a network). */
export function bundledIds(repoRoot: string): string[] {
  const catalog = JSON.parse(fs.readFileSync(path.join(repoRoot, 'src', 'core', 'bundled-models.json'), 'utf8')) as { id: string }[];
  return catalog.map((m) => m.id);
}

const GPU_PRODUCTS = ['NVIDIA-H100-80GB-HBM3', 'NVIDIA-A100-SXM4-80GB', 'NVIDIA-L4', 'NVIDIA-H200', 'NVIDIA-L40S', 'NVIDIA-A10G'];
const LENGTHS = ['4096', '8192', '16384', '32768', '65536', '131072'];

const FALLBACK_LIST_TEMPLATE = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: llama-8b
spec:
  replicas: 1
  selector:
    matchLabels:
      app: llama-8b
  template:
    metadata:
      labels:
        app: llama-8b
    spec:
      nodeSelector:
        nvidia.com/gpu.product: NVIDIA-H100-80GB-HBM3
      containers:
        - name: vllm
          image: vllm/vllm-openai:v0.19.0
          args:
            - meta-llama/Llama-3.1-8B-Instruct
            - --max-model-len
            - "131072"
            - --gpu-memory-utilization=0.92
          resources:
            limits:
              nvidia.com/gpu: "1"
`;

function stripComments(yaml: string): string {
  return yaml.split('\n').filter((l) => !/^\s*#/.test(l)).join('\n').trim() + '\n';
}

/** The vLLM Deployment templates: args as list items (vllm-deployment.yaml), and a shell string (vllm-sh-c.yaml). */
function templates(repoRoot: string): { list: string; shell?: string } {
  const dir = path.join(repoRoot, 'examples', 'deployments');
  const read = (f: string) => { try { return stripComments(fs.readFileSync(path.join(dir, f), 'utf8')); } catch { return undefined; } };
  const list = read('vllm-deployment.yaml');
  const shell = read('vllm-sh-c.yaml');
  return {
    list: list && /meta-llama\/Llama-3\.1-8B-Instruct/.test(list) && /"131072"/.test(list) ? list : FALLBACK_LIST_TEMPLATE,
    shell: shell && /vllm serve \S+/.test(shell) ? shell : undefined,
  };
}

/** One varied vLLM Deployment (+ a Service) from the example templates. */
function deploymentPair(i: number, r: () => number, models: string[], t: { list: string; shell?: string }, padding: number): string {
  const name = `vllm-${String(i).padStart(4, '0')}`;
  const model = models[i % models.length];
  const len = pick(r, LENGTHS);
  const tp = pick(r, [1, 1, 1, 2, 4, 8]);
  const util = pick(r, ['0.85', '0.9', '0.92', '0.95']);
  const gpu = pick(r, GPU_PRODUCTS);
  let doc: string;
  if (t.shell && i % 3 === 2) {
    doc = t.shell
      .replace(/qwen-32b/g, name)
      .replace(/vllm serve \S+/, `vllm serve ${model}`)
      .replace(/--tensor-parallel-size \d+/, `--tensor-parallel-size ${tp}`)
      .replace(/--max-model-len \d+/, `--max-model-len ${len}`)
      .replace(/NVIDIA-A100-SXM4-80GB/g, gpu)
      .replace(/nvidia\.com\/gpu: \d+/, `nvidia.com/gpu: ${tp}`);
  } else {
    doc = t.list
      .replace(/llama-8b/g, name)
      .replace('meta-llama/Llama-3.1-8B-Instruct', model)
      .replace('"131072"', `"${len}"`)
      .replace(/--gpu-memory-utilization=[\d.]+/, `--gpu-memory-utilization=${util}`)
      .replace(/NVIDIA-H100-80GB-HBM3/g, gpu)
      .replace(/nvidia\.com\/gpu: "1"/g, `nvidia.com/gpu: "${tp}"`)
      .replace(/(\n\s+- --max-model-len\n)/, `\n            - --tensor-parallel-size\n            - "${tp}"$1`);
  }
  // Realistic bulk: annotations as CI systems write them (checksums, owners, long descriptions).
  const pad = padding > 0 ? `  annotations:\n    bench.inference-budget/checksum: "${'0123456789abcdef'.repeat(4)}"\n    bench.inference-budget/description: "${'x'.repeat(padding)}"\n` : '';
  doc = doc.replace(/^metadata:\n/m, `metadata:\n${pad}`);
  const service = `apiVersion: v1
kind: Service
metadata:
  name: ${name}
  labels:
    app: ${name}
spec:
  selector:
    app: ${name}
  ports:
    - name: http
      port: 80
      targetPort: 8000
`;
  return `${doc.trimEnd()}\n---\n${service}`;
}

/**
 * A Kubernetes manifest of `pairs` vLLM Deployments and as many Services (2 × pairs YAML documents), padded with
 * annotations to at least `minBytes`.
 */
export function bigManifest(repoRoot: string, pairs = 500, minBytes = 2 * 1024 * 1024): string {
  const t = templates(repoRoot);
  const models = bundledIds(repoRoot);
  const build = (padding: number) => {
    const r = rng(42);
    const parts: string[] = ['# Generated by scripts/bench.ts: 500 vLLM Deployments with their Services.\n'];
    for (let i = 0; i < pairs; i++) parts.push(deploymentPair(i, r, models, t, padding));
    return parts.join('---\n');
  };
  const bare = build(0).length;
  const padding = Math.max(0, Math.ceil((minBytes - bare) / pairs) - 170);
  let text = build(padding);
  for (let extra = 1; Buffer.byteLength(text) < minBytes; extra += 16) text = build(padding + extra);
  return text;
}

/** The number of YAML documents of a multi-document text (separators at column 0). */
export function yamlDocumentCount(text: string): number {
  return text.split(/^---\s*$/m).filter((d) => /\S/.test(d.replace(/^#.*$/gm, ''))).length;
}

// ---------------------------------------------------------------------------------------------------------
// The 1,000-file workspace

export interface ScanWorkspace { root: string; files: string[]; counts: Record<string, number> }

const UNRELATED_JSON: ((i: number) => string)[] = [
  (i) => JSON.stringify({ name: `pkg-${i}`, version: `1.${i % 10}.0`, private: true, scripts: { build: 'tsc', test: 'mocha' }, dependencies: { lodash: '^4.17.21', express: '^4.19.2' } }, null, 2),
  (i) => JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'commonjs', strict: true, outDir: `out${i}` }, include: ['src'] }, null, 2),
  (i) => JSON.stringify(Array.from({ length: 40 }, (_, k) => ({ id: i * 100 + k, label: `row ${k}`, value: (k * 37) % 101, tags: ['a', 'b'] })), null, 2),
  (i) => JSON.stringify({ $schema: 'https://json-schema.org/draft/2020-12/schema', title: `Thing${i}`, type: 'object', properties: { a: { type: 'string' }, b: { type: 'integer' } } }, null, 2),
  (i) => JSON.stringify({ 'editor.tabSize': 2, 'files.exclude': { '**/out': true }, 'search.exclude': { [`**/gen${i}`]: true } }, null, 2),
  // Files beside a model config that are not configs.
  (i) => JSON.stringify({ bos_token_id: 1, eos_token_id: [2, i % 7], do_sample: true, temperature: 0.6, top_p: 0.9, transformers_version: '4.45.0' }, null, 2),
];

const UNRELATED_YAML: ((i: number) => string)[] = [
  (i) => `name: ci-${i}\non:\n  push:\n    branches: [main]\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - run: npm ci\n      - run: npm test\n`,
  (i) => `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web-${i}\nspec:\n  replicas: 3\n  selector:\n    matchLabels:\n      app: web-${i}\n  template:\n    metadata:\n      labels:\n        app: web-${i}\n    spec:\n      containers:\n        - name: nginx\n          image: nginx:1.27\n          ports:\n            - containerPort: 80\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: web-${i}\nspec:\n  selector:\n    app: web-${i}\n  ports:\n    - port: 80\n`,
  (i) => `services:\n  db:\n    image: postgres:16\n    environment:\n      POSTGRES_PASSWORD: example\n  app${i}:\n    image: node:20\n    command: node server.js\n    ports:\n      - "${3000 + (i % 100)}:3000"\n`,
  (i) => `openapi: 3.0.0\ninfo:\n  title: API ${i}\n  version: 1.0.0\npaths:\n  /items:\n    get:\n      responses:\n        "200":\n          description: ok\n`,
  (i) => `# Helm values\nreplicaCount: ${1 + (i % 3)}\nimage:\n  repository: ghcr.io/example/app\n  tag: v${i}\nresources:\n  limits:\n    cpu: 500m\n    memory: 512Mi\n`,
];

/**
 * 1,000 files: 250 model configs (corpus copies), 250 Kubernetes manifests (vLLM Deployment + Service),
 * 100 other serving files (docker-compose, vLLM config, budget files), 400 unrelated JSON/YAML.
 */
export function makeScanWorkspace(repoRoot: string, corpus: string[], root: string): ScanWorkspace {
  fs.rmSync(root, { recursive: true, force: true });
  fs.mkdirSync(root, { recursive: true });
  const r = rng(7);
  const t = templates(repoRoot);
  const models = bundledIds(repoRoot);
  const files: string[] = [];
  const counts: Record<string, number> = { 'model config': 0, 'k8s manifest': 0, 'other serving file': 0, 'unrelated JSON/YAML': 0 };
  const write = (rel: string, text: string, kind: string) => {
    const p = path.join(root, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, text);
    files.push(p);
    counts[kind]++;
  };
  const exampleDir = path.join(repoRoot, 'examples', 'deployments');
  const example = (f: string) => { try { return fs.readFileSync(path.join(exampleDir, f), 'utf8'); } catch { return undefined; } };
  const compose = example('docker-compose.yaml');
  const vllmConfig = example('vllm-config.yaml');
  const budget = example('llama-8b.budget.yaml');
  for (let i = 0; i < 250; i++) {
    const src = corpus[i % corpus.length];
    write(path.join('models', `${path.basename(path.dirname(src))}-${i}`, 'config.json'), fs.readFileSync(src, 'utf8'), 'model config');
  }
  for (let i = 0; i < 250; i++) write(path.join('k8s', `svc-${i}.yaml`), deploymentPair(i, r, models, t, 0), 'k8s manifest');
  for (let i = 0; i < 100; i++) {
    const model = models[(i * 7) % models.length];
    if (i % 3 === 0 && compose) write(path.join('compose', `stack-${i}`, 'docker-compose.yaml'), compose.replace(/Qwen\/Qwen2\.5-14B-Instruct-AWQ/, model).replace(/--quantization awq /, ''), 'other serving file');
    else if (i % 3 === 1 && vllmConfig) write(path.join('vllm', `serve-${i}.yaml`), vllmConfig.replace(/^model: .*$/m, `model: ${model}`), 'other serving file');
    else if (budget) write(path.join('budgets', `m${i}.budget.yaml`), budget.replace(/^model: .*$/m, `model: ${model}`).replace(/^name: .*$/m, `name: m${i}`), 'other serving file');
    else write(path.join('vllm', `serve-${i}.yaml`), `model: ${model}\ntensor-parallel-size: 1\nmax-model-len: 8192\n`, 'other serving file');
  }
  for (let i = 0; i < 400; i++) {
    if (i % 2 === 0) write(path.join('misc', `data-${i}.json`), pick(r, UNRELATED_JSON)(i), 'unrelated JSON/YAML');
    else write(path.join('misc', `conf-${i}.yaml`), pick(r, UNRELATED_YAML)(i), 'unrelated JSON/YAML');
  }
  return { root, files, counts };
}

/**
 * The workspace the extension host opens for the in-host part: the corpus (config*.json and the files beside
 * them, folders kept) under corpus/, and the 2 MB manifest under manifests/. Nothing here triggers the
 * extension's activation events before the bench suite activates it (no *.budget.yaml, nothing opened).
 */
export function makeHostWorkspace(corpusDir: string, corpus: string[], manifest: string, root: string): { root: string; corpus: string[]; manifest: string } {
  fs.rmSync(root, { recursive: true, force: true });
  const copied: string[] = [];
  for (const src of corpus) {
    const rel = path.relative(corpusDir, src);
    const dst = path.join(root, 'corpus', rel);
    fs.mkdirSync(path.dirname(dst), { recursive: true });
    for (const f of fs.readdirSync(path.dirname(src))) {
      if (f.endsWith('.json')) fs.copyFileSync(path.join(path.dirname(src), f), path.join(path.dirname(dst), f));
    }
    copied.push(dst);
  }
  const m = path.join(root, 'manifests', 'bench-2mb.yaml');
  fs.mkdirSync(path.dirname(m), { recursive: true });
  fs.writeFileSync(m, manifest);
  return { root, corpus: copied, manifest: m };
}
