// Each engine in its own words: the diagnostics `inference-budget check` gives for SGLang, llama.cpp and Ollama
// deployments never speak vLLM (`vLLM`, `max_model_len`, `gpu_memory_utilization`, `max_num_seqs`). Sized through
// the same path as the CLI (src/cli/check.ts `checkFiles`), on a real SGLang file of the corpus and on deployments
// written here that fit and that do not (the corpus's llama.cpp and Ollama files name no model, so are not sized).
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { checkFiles, DeploymentJson } from '../../../src/cli/check';
import { CORPUS, tempTree } from '../cli/helpers';
import type { BudgetInputs, BudgetReport } from '../../../src/core/types';
import { budget } from './helpers';

const VLLM_WORDS = /vLLM|max_model_len|gpu_memory_utilization|max_num_seqs/;

/**
 * Findings whose opening words come from src/core/budget.ts, shared by every engine and not yet in each engine's
 * words: only their engine-specific part — the text after "SGLang: " or "llama.cpp: " — is checked. Empty: every
 * finding is checked whole (issue 13 item 4). Add a code here only while a new shared finding is being worded.
 */
const SHARED_PREFIX_PENDING = new Set<string>();

const k8s = (name: string, gpu: string, container: string): string => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
spec:
  template:
    spec:
      nodeSelector:
        nvidia.com/gpu.product: ${gpu}
      containers:
${container}          resources:
            limits:
              nvidia.com/gpu: 1
`;

const TEXTS: Record<string, string> = {
  // SGLang: a context longer than the token pool on an L4, and weights that do not fit at all.
  'sglang-pool.yaml': k8s('sglang-pool', 'NVIDIA-L4', `        - name: sglang
          image: lmsysorg/sglang:v0.5.6
          command: ["python3", "-m", "sglang.launch_server", "--model-path", "Qwen/Qwen3-8B", "--context-length", "40960", "--mem-fraction-static", "0.85"]
`),
  'sglang-weights.yaml': k8s('sglang-weights', 'NVIDIA-L4', `        - name: sglang
          image: lmsysorg/sglang:v0.5.6
          command: ["python3", "-m", "sglang.launch_server", "--model-path", "Qwen/Qwen3-32B", "--context-length", "32768"]
`),
  // llama.cpp: --fit off with a context whose KV and compute buffer do not fit; -ngl 99 with weights that do not.
  'llama-kv.yaml': k8s('llama-kv', 'NVIDIA-L4', `        - name: llama
          image: ghcr.io/ggml-org/llama.cpp:server-cuda
          args: ["-hf", "unsloth/Llama-3.1-8B-Instruct-GGUF:Q8_0", "-c", "131072", "--fit", "off", "-fa", "off", "-np", "1", "-ctk", "f16"]
`),
  'llama-weights.yaml': k8s('llama-weights', 'NVIDIA-L4', `        - name: llama
          image: ghcr.io/ggml-org/llama.cpp:server-cuda
          args: ["-hf", "Qwen/Qwen3-32B-GGUF:Q8_0", "-c", "16384", "-ngl", "99"]
`),
  // Ollama: a library model whose layers --fit moves off the GPU.
  'ollama.yaml': k8s('ollama', 'NVIDIA-L4', `        - name: ollama
          image: ollama/ollama:0.32.15
          command: ["/bin/sh", "-c", "ollama serve & sleep 5; ollama run qwen3:32b; wait"]
          env:
            - name: OLLAMA_CONTEXT_LENGTH
              value: "32768"
            - name: OLLAMA_KV_CACHE_TYPE
              value: "q8_0"
            - name: OLLAMA_GPU_OVERHEAD
              value: "1073741824"
`),
  'Modelfile': 'FROM qwen3:8b\nPARAMETER num_ctx 40960\nPARAMETER num_gpu 99\n',
  // Contexts above Qwen3-8B's 40,960 trained tokens, as each engine treats them (H100: the KV itself fits).
  'sglang-long.yaml': k8s('sglang-long', 'NVIDIA-H100-80GB-HBM3', `        - name: sglang
          image: lmsysorg/sglang:v0.5.6
          command: ["python3", "-m", "sglang.launch_server", "--model-path", "Qwen/Qwen3-8B", "--context-length", "65536"]
`),
  'llama-long.yaml': k8s('llama-long', 'NVIDIA-H100-80GB-HBM3', `        - name: llama
          image: ghcr.io/ggml-org/llama.cpp:server-cuda
          args: ["-hf", "Qwen/Qwen3-8B-GGUF:Q8_0", "-c", "98304", "-np", "2"]
`),
  'long/Modelfile': 'FROM qwen3:8b\nPARAMETER num_ctx 65536\n',
  // 32,768 per request × 2 requests: the whole cache is above 40,960 tokens, each request is not.
  'ollama-parallel.yaml': k8s('ollama-parallel', 'NVIDIA-H100-80GB-HBM3', `        - name: ollama
          image: ollama/ollama:0.32.15
          command: ["/bin/sh", "-c", "ollama serve & sleep 5; ollama run qwen3:8b; wait"]
          env:
            - name: OLLAMA_CONTEXT_LENGTH
              value: "32768"
            - name: OLLAMA_NUM_PARALLEL
              value: "2"
`),
};

/** The part of a message each engine words itself. */
function ownWords(code: string, message: string, engine: string): string {
  if (!SHARED_PREFIX_PENDING.has(code)) return message;
  const label = engine === 'sglang' ? 'SGLang: ' : 'llama.cpp: ';
  const at = message.indexOf(label);
  return at >= 0 ? message.slice(at + label.length) : '';
}

describe('each engine in its own words (check)', function () {
  this.timeout(60_000);
  let dir: string;
  let deployments: DeploymentJson[];
  let byFile: Map<string, DeploymentJson[]>;
  before(async () => {
    dir = tempTree(TEXTS);
    const files = [...Object.keys(TEXTS).map((f) => path.join(dir, f)), path.join(CORPUS, 'lws__sglang-lws.yaml')];
    const report = await checkFiles(files, { resolver: { workspaceFolders: [], env: {}, homeDir: dir } });
    deployments = report.files.flatMap((f) => f.deployments);
    byFile = new Map(report.files.map((f) => [path.relative(dir, path.resolve(dir, f.path)).split(path.sep).join('/'), f.deployments]));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('sizes one SGLang, one llama.cpp and one Ollama deployment with their own engines', () => {
    const engines = new Set(deployments.filter((d) => d.sized).map((d) => d.engine));
    for (const e of ['sglang', 'llamacpp', 'ollama']) assert.ok(engines.has(e), `${e} sized: ${JSON.stringify(deployments.map((d) => [d.name, d.engine, d.sized, d.notSizedReason]))}`);
    // The failing ones do fail, so their error texts are among those checked.
    assert.ok(deployments.some((d) => d.engine === 'sglang' && d.fits === false));
    assert.ok(deployments.some((d) => d.engine === 'llamacpp' && d.fits === false));
  });

  it('no SGLang, llama.cpp or Ollama finding says vLLM, max_model_len, gpu_memory_utilization or max_num_seqs', () => {
    const offending: string[] = [];
    for (const d of deployments) {
      if (d.engine === 'vllm') continue;
      for (const g of d.diagnostics) {
        if (VLLM_WORDS.test(ownWords(g.code, g.message, d.engine))) offending.push(`${d.engine} ${g.code}: ${g.message}`);
      }
    }
    assert.deepStrictEqual(offending, []);
  });

  it('the engines\' own error texts use their own flags and names', () => {
    const messages = (engine: string): string[] => deployments.filter((d) => d.engine === engine).flatMap((d) => d.diagnostics.map((g) => g.message));
    assert.ok(messages('sglang').some((m) => /SGLang: max_total_num_tokens=\d+ is less than --context-length 40960: SGLang starts, but caps a request's input at max_req_input_len=\d+/.test(m)), messages('sglang').join('\n'));
    assert.ok(messages('llamacpp').some((m) => /llama\.cpp: needs [\d.]+ MiB on NVIDIA L4[^:]*\(model [\d.]+, KV [\d.]+, compute [\d.]+\) but \d+ MiB is free: llama\.cpp fails with "cudaMalloc failed: out of memory"/.test(m)), messages('llamacpp').join('\n'));
    // --fit's notes name llama.cpp's flag.
    assert.ok(messages('ollama').some((m) => /^--fit: \d+ of 64 layers on the GPU/.test(m)), messages('ollama').join('\n'));
  });

  /** The findings of one deployment, by the file it is in. */
  const of = (file: string): DeploymentJson => {
    const d = byFile.get(file)?.[0];
    if (!d) throw new Error(`${file}: ${[...byFile.keys()].join(', ')}`);
    return d;
  };
  const finding = (d: DeploymentJson, code: string) => d.diagnostics.find((g) => g.code === code);

  it('max-model-len-above-max-position: SGLang refuses in its own words (SGLANG_ALLOW_OVERWRITE_LONGER_CONTEXT_LEN)', () => {
    const g = finding(of('sglang-long.yaml'), 'max-model-len-above-max-position');
    assert.strictEqual(g?.severity, 'error');
    assert.strictEqual(g?.message, "--context-length 65536 is greater than the model's max_position_embeddings 40960; SGLang refuses it unless SGLANG_ALLOW_OVERWRITE_LONGER_CONTEXT_LEN=1");
  });

  it('max-model-len-above-max-position: llama.cpp only warns, per slot (-c 98304 over -np 2 is 49,152 cells a slot)', () => {
    const g = finding(of('llama-long.yaml'), 'max-model-len-above-max-position');
    assert.strictEqual(g?.severity, 'warning');
    assert.strictEqual(g?.message, '-c 98304 gives each of 2 slots 49152 cells, more than the model\'s n_ctx_train 40960: llama.cpp warns "n_ctx_seq (49152) > n_ctx_train (40960) -- possible training context overflow" and llama-server caps each slot at 40960; the KV cache is still allocated in full');
  });

  it('max-model-len-above-max-position: Ollama compares each request\'s num_ctx, and lowers it to the trained context', () => {
    const parallel = of('ollama-parallel.yaml');
    assert.ok(parallel.sized, parallel.notSizedReason ?? '');
    assert.strictEqual(finding(parallel, 'max-model-len-above-max-position'), undefined, 'num_ctx 32768 × 2 is not above 40,960 per request');
    const long = of('long/Modelfile');
    const g = finding(long, 'max-model-len-above-max-position');
    assert.strictEqual(g?.severity, 'warning');
    assert.strictEqual(g?.message, 'num_ctx 65536 is greater than the model\'s context length 40960: Ollama lowers it to 40960 ("requested context size too large for model") and each request gets at most 40960 tokens');
    assert.strictEqual((long.report as { settings: { maxModelLen: number } }).settings.maxModelLen, 40960);
  });

  it('kv-does-not-fit opens with --context-length (SGLang) and -c (llama.cpp)', () => {
    assert.match(finding(of('sglang-pool.yaml'), 'kv-does-not-fit')?.message ?? '', /^--context-length 40,960 needs [\d.]+ GiB of KV per request; [\d.]+ GiB is available on NVIDIA L4 24GB; the largest that fits is [\d,]+\. SGLang: /);
    assert.match(finding(of('llama-kv.yaml'), 'kv-does-not-fit')?.message ?? '', /^-c 131,072 needs 16\.00 GiB of KV cache for 1 slot on NVIDIA L4 24GB; the largest -c that fits is [\d,]+\. llama\.cpp: needs /);
  });

  it('weights-do-not-fit names --mem-fraction-static (SGLang) and -ngl (llama.cpp)', () => {
    assert.match(finding(of('sglang-weights.yaml'), 'weights-do-not-fit')?.message ?? '', /^Weights need [\d.]+ GiB per GPU but [\d.]+ GiB is requested \(NVIDIA L4 24GB, --mem-fraction-static 0\.\d+\)(; --tp-size \d+ fits)?$/);
    assert.match(finding(of('llama-weights.yaml'), 'weights-do-not-fit')?.message ?? '', /^Weights need [\d.]+ GiB on the GPU but [\d.]+ GiB is free \(NVIDIA L4 24GB, -ngl 99: all 65 layers on the GPU, the output layer counted\); a lower -ngl keeps layers on the CPU, or more GPUs split them$/);
  });

  it('fp8-kv-would-help: llama.cpp has no fp8 cache; q8_0 is 34 bytes per 32 values against f16\'s 64 (17/32)', () => {
    const g = finding(of('llama-kv.yaml'), 'fp8-kv-would-help');
    // The deployment runs -fa off: llama.cpp quantizes the V cache only with flash attention.
    assert.strictEqual(g?.message, "A q8_0 KV cache (-ctk q8_0 -ctv q8_0) stores 34 bytes per 32 values (8.5 bits) against f16's 64: 17/32 of the KV bytes per token (with -fa on: the V cache is quantized only with flash attention)");
    assert.strictEqual(finding(of('sglang-pool.yaml'), 'fp8-kv-would-help')?.message, 'An fp8 KV cache halves KV bytes per token');
  });
});

describe('each engine in its own words (budget): suggested values', () => {
  const qwen = (inputs: BudgetInputs): BudgetReport => budget('qwen3/Qwen3-8B', inputs);
  const find = (r: BudgetReport, code: string) => r.diagnostics.find((d) => d.code === code);

  it('llama.cpp: the -c that gives each slot the trained context; Ollama: num_ctx × parallel at the trained context', () => {
    const llama = qwen({ engine: 'llamacpp', maxModelLen: 98304, maxNumSeqs: 2, fit: false });
    assert.strictEqual(find(llama, 'max-model-len-above-max-position')?.suggestedValue, 2 * 40960);
    assert.ok(llama.verdict.fits, 'a warning, not an error');
    // Ollama: num_ctx 65,536 × 2 requests (the budget's context is the whole cache): lowered to 40,960 per request.
    const ollama = qwen({ engine: 'ollama', maxModelLen: 2 * 65536, maxNumSeqs: 2 });
    const g = find(ollama, 'max-model-len-above-max-position');
    assert.strictEqual(g?.severity, 'warning');
    assert.strictEqual(g?.suggestedValue, 2 * 40960);
    assert.strictEqual(ollama.settings.maxModelLen, 2 * 40960);
    // vLLM is unchanged: an error, in vLLM's words.
    const v = find(qwen({ maxModelLen: 65536 }), 'max-model-len-above-max-position');
    assert.strictEqual(v?.severity, 'error');
    assert.strictEqual(v?.message, "max_model_len 65536 is greater than the model's max_position_embeddings 40960; vLLM refuses it unless VLLM_ALLOW_LONG_MAX_MODEL_LEN=1");
  });

  it('Ollama: q8_0 through OLLAMA_KV_CACHE_TYPE, and num_ctx in the KV summary', () => {
    const r = qwen({ engine: 'ollama', gpu: 'L4', maxModelLen: 2 * 40960, maxNumSeqs: 2, fit: false });
    const kv = find(r, 'kv-does-not-fit');
    assert.match(kv?.message ?? '', /^num_ctx 40,960 × OLLAMA_NUM_PARALLEL 2 needs [\d.]+ GiB of KV cache on NVIDIA L4 24GB; the largest num_ctx that fits is [\d,]+\. llama\.cpp: /);
    const q8 = find(r, 'fp8-kv-would-help');
    assert.strictEqual(q8?.suggestedValue, 'q8_0');
    assert.strictEqual(q8?.message, "A q8_0 KV cache (OLLAMA_KV_CACHE_TYPE=q8_0) stores 34 bytes per 32 values (8.5 bits) against f16's 64: 17/32 of the KV bytes per token");
    // Already q8_0: nothing smaller to suggest.
    const already = qwen({ engine: 'ollama', gpu: 'L4', maxModelLen: 2 * 40960, maxNumSeqs: 2, fit: false, kvCacheDtype: 'q8_0' });
    assert.strictEqual(find(already, 'fp8-kv-would-help'), undefined);
  });
});
