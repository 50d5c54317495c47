// Engine settings wired from deployment files through the budget (src/core/budget.ts) into the engine emulations:
// llama.cpp's `-ts` over several GPUs and `--kv-unified`, Ollama's OLLAMA_GPU_OVERHEAD, and vLLM's
// VLLM_USE_FLASHINFER_SAMPLER. The expected figures are worked out here from the engines' rules and the model's
// shapes (see llamacpp-split.test.ts and vllm-versions.test.ts for the rules themselves), not read off our output.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { checkFiles, DeploymentJson } from '../../../src/cli/check';
import { formatReport } from '../../../src/cli/format';
import { computeBudget } from '../../../src/core/budget';
import type { BudgetReport } from '../../../src/core/types';
import { loadModelFiles } from '../../../src/cli/modelFiles';
import { tempTree } from '../cli/helpers';
import { CONFIGS, GiB, budget, readConfig } from './helpers';

const k8s = (name: string, gpu: string, gpus: number, container: string): string => `apiVersion: apps/v1
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
              nvidia.com/gpu: ${gpus}
`;

const H100 = 'NVIDIA-H100-80GB-HBM3';
const LLAMA_GGUF_F16 = '"-hf", "unsloth/Llama-3.1-8B-Instruct-GGUF:F16"';
const vllm = (name: string, version: string, env: string): string => k8s(name, H100, 1, `        - name: vllm
          image: vllm/vllm-openai:v${version}
          args: ["--model", "Qwen/Qwen3-0.6B", "--max-model-len", "16000", "--max-num-seqs", "1024", "--max-num-batched-tokens", "8192", "--block-size", "128"]
${env}`);
const ollamaCompose = (version: string, env: string): string => `# inference-budget: gpu=4090
services:
  ollama:
    image: ollama/ollama:${version}
    entrypoint: ["/bin/sh", "-c", "ollama serve & sleep 5; ollama run qwen3:8b; wait"]
${env}    deploy:
      resources:
        reservations:
          devices:
            - driver: nvidia
              count: 1
              capabilities: [gpu]
`;

const TEXTS: Record<string, string> = {
  // llama.cpp on 2 H100s, the layers split 3:1, one slot of 8,192 cells, f16 weights and cache, --fit off.
  'llama-ts.yaml': k8s('llama-ts', H100, 2, `        - name: llama
          image: ghcr.io/ggml-org/llama.cpp:server-cuda
          args: [${LLAMA_GGUF_F16}, "-c", "8192", "-np", "1", "-ts", "3,1", "--fit", "off"]
`),
  // -c 10000 -np 3, per slot and unified.
  'llama-slots.yaml': k8s('llama-slots', H100, 1, `        - name: llama
          image: ghcr.io/ggml-org/llama.cpp:server-cuda
          args: [${LLAMA_GGUF_F16}, "-c", "10000", "-np", "3", "--fit", "off"]
`),
  'llama-unified.yaml': k8s('llama-unified', H100, 1, `        - name: llama
          image: ghcr.io/ggml-org/llama.cpp:server-cuda
          args: [${LLAMA_GGUF_F16}, "-c", "10000", "-np", "3", "--kv-unified", "--fit", "off"]
`),
  // Ollama before 0.30 (its own layer placement), with and without 1 GiB held back; and 0.32 (llama-server's --fit).
  'ollama-029/compose.yaml': ollamaCompose('0.29.0', ''),
  'ollama-029-overhead/compose.yaml': ollamaCompose('0.29.0', '    environment:\n      OLLAMA_GPU_OVERHEAD: "1073741824"\n'),
  'ollama-032/compose.yaml': ollamaCompose('0.32.15', ''),
  'ollama-032-overhead/compose.yaml': ollamaCompose('0.32.15', '    environment:\n      - OLLAMA_GPU_OVERHEAD=1073741824\n'),
  // vLLM 0.11.0 (FlashInfer by default) with and without VLLM_USE_FLASHINFER_SAMPLER=0; 0.13.0 (the sort) with =1.
  'vllm-011.yaml': vllm('vllm-011', '0.11.0', ''),
  'vllm-011-off.yaml': vllm('vllm-011-off', '0.11.0', '          env:\n            - name: VLLM_USE_FLASHINFER_SAMPLER\n              value: "0"\n'),
  'vllm-013.yaml': vllm('vllm-013', '0.13.0', ''),
  'vllm-013-on.yaml': vllm('vllm-013-on', '0.13.0', '          env:\n            - name: VLLM_USE_FLASHINFER_SAMPLER\n              value: "1"\n'),
};

// Meta-Llama-3.1-8B(-Instruct): 32 layers, hidden 4,096, 32 heads and 8 KV heads of 128, MLP 14,336, vocabulary 128,256.
const HIDDEN = 4096, KV_DIM = 8 * 128, MLP = 14336, VOCAB = 128256;
/** One decoder layer's bf16 bytes: q and o (hidden²), k and v (hidden × KV), gate, up and down, two RMS norms. */
const LAYER_BYTES = 2 * (2 * HIDDEN * HIDDEN + 2 * HIDDEN * KV_DIM + 3 * HIDDEN * MLP + 2 * HIDDEN);
/** f16 K and V rows of one layer for one cell. */
const KV_CELL_LAYER = KV_DIM * 2 * 2;
/** A GPU with layers but not the output stage, flash attention on: the hidden states of one ubatch (512) in and out, f32. */
const ATTENTION_STAGE = 2 * HIDDEN * 512 * 4;
/** The GPU with the output layer: the f32 logits and hidden states of one ubatch. */
const OUTPUT_STAGE = VOCAB * 512 * 4 + HIDDEN * 512 * 4;

describe('engine settings wired through the budget', function () {
  this.timeout(60_000);
  let dir: string;
  let byFile: Map<string, DeploymentJson>;
  before(async () => {
    dir = tempTree(TEXTS);
    const report = await checkFiles(Object.keys(TEXTS).map((f) => path.join(dir, f)), { resolver: { workspaceFolders: [], env: {}, homeDir: dir } });
    byFile = new Map(report.files.map((f) => [path.relative(dir, path.resolve(dir, f.path)).split(path.sep).join('/'), f.deployments[0]]));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const reportOf = (file: string): BudgetReport => {
    const d = byFile.get(file);
    assert.ok(d?.sized && d.report, `${file} sized: ${d?.notSizedReason ?? [...byFile.keys()].join(', ')}`);
    return d.report as unknown as BudgetReport;
  };

  it('reads the model the way the figures assume', () => {
    const c = readConfig('llama3.1/Meta-Llama-3.1-8B');
    assert.deepStrictEqual([c.hidden_size, c.num_key_value_heads, c.intermediate_size, c.vocab_size, c.num_hidden_layers], [HIDDEN, 8, MLP, VOCAB, 32]);
  });

  it('llama.cpp -ts 3,1 on 2 GPUs: the most loaded GPU holds 25 layers, their KV and the attention stage', () => {
    const r = reportOf('llama-ts.yaml');
    assert.strictEqual(r.hardware.count, 2);
    // llama-model.cpp's split: slot il on GPU 0 while il / 33 < 0.75 → layers 0–24; 25–31 and the output on GPU 1.
    const split = r.perGpu.split!;
    assert.deepStrictEqual(split.map((g) => [g.gpu, g.layers, g.output]), [[0, 25, false], [1, 7, true]]);
    const gpu0 = { weights: 25 * LAYER_BYTES, kv: 25 * 8192 * KV_CELL_LAYER, compute: ATTENTION_STAGE };
    // GPU 1: 7 layers, output.weight (vocabulary × hidden, bf16) and output_norm (f32), their KV and the output stage.
    const gpu1 = { weights: 7 * LAYER_BYTES + VOCAB * HIDDEN * 2 + HIDDEN * 4, kv: 7 * 8192 * KV_CELL_LAYER, compute: OUTPUT_STAGE };
    assert.strictEqual(split[0].bytes, gpu0.weights + gpu0.kv + gpu0.compute);
    assert.strictEqual(split[1].bytes, gpu1.weights + gpu1.kv + gpu1.compute);
    assert.ok(split[0].bytes > split[1].bytes);
    assert.strictEqual(r.perGpu.mostLoadedGpu, 0);
    // The per-GPU figures are GPU 0's.
    assert.strictEqual(r.perGpu.weightBytes, gpu0.weights);
    assert.strictEqual(r.perGpu.kvCacheBytes, gpu0.kv);
    assert.strictEqual(r.perGpu.activationPeakBytes, gpu0.compute);
    // No "sized on one GPU" note any more, and the CLI prints the split on one line.
    assert.ok(!r.model.assumptions.some((a) => /sized on one GPU/.test(a)));
    const text = formatReport(r);
    assert.match(text, /\nSplit {5}GPU 0 \(most loaded\) 25 layers [\d.]+ GiB · GPU 1 7 layers \+ output [\d.]+ GiB\n/);
  });

  it('-ts is checked as llama.cpp reads it: an unreadable split is an invalid input on tensorSplit', () => {
    const loaded = loadModelFiles(path.join(CONFIGS, 'llama3.1/Meta-Llama-3.1-8B'));
    if (!loaded.ok) throw new Error(loaded.message);
    const r = computeBudget(loaded.files, { engine: 'llamacpp', gpuCount: 2, tensorSplit: 'three,one' });
    assert.strictEqual(r.ok, false);
    assert.deepStrictEqual(r.diagnostics.map((d) => [d.code, d.subject]), [['invalid-input', 'tensorSplit']]);
    // One GPU: no split to report.
    assert.strictEqual(budget('llama3.1/Meta-Llama-3.1-8B', { engine: 'llamacpp', maxModelLen: 8192, maxNumSeqs: 1, fit: false }).perGpu.split, undefined);
  });

  it('--kv-unified: one stream of pad(10000, 256) = 10,240 cells instead of 3 slots of pad(10240 / 3, 256) = 3,584', () => {
    const perSlot = reportOf('llama-slots.yaml');
    const unified = reportOf('llama-unified.yaml');
    assert.strictEqual(perSlot.perGpu.kvCacheBytes, 32 * 3 * 3584 * KV_CELL_LAYER);
    assert.strictEqual(unified.perGpu.kvCacheBytes, 32 * 10240 * KV_CELL_LAYER);
    assert.strictEqual(perSlot.perGpu.kvCacheBytes - unified.perGpu.kvCacheBytes, 32 * 512 * KV_CELL_LAYER);
    assert.deepStrictEqual([perSlot.capacity.kvCacheTokens, unified.capacity.kvCacheTokens], [10752, 10240]);
  });

  it('OLLAMA_GPU_OVERHEAD=1073741824 in compose: exactly 1 GiB less free memory before Ollama 0.30', () => {
    const base = reportOf('ollama-029/compose.yaml');
    const held = reportOf('ollama-029-overhead/compose.yaml');
    assert.strictEqual(base.settings.engineVersion, '0.29.0');
    assert.strictEqual(base.perGpu.totalMemoryBytes - held.perGpu.totalMemoryBytes, GiB);
    assert.strictEqual(base.perGpu.requestedMemoryBytes - held.perGpu.requestedMemoryBytes, GiB);
  });

  it('OLLAMA_GPU_OVERHEAD from 0.30: memory unchanged, but the default num_ctx is picked from what is left', () => {
    const base = reportOf('ollama-032/compose.yaml');
    const held = reportOf('ollama-032-overhead/compose.yaml');
    assert.strictEqual(base.perGpu.totalMemoryBytes, held.perGpu.totalMemoryBytes);
    // RTX 4090: 23.55 GiB ≥ 23 GiB → 32,768 (Qwen3-8B trains on 40,960); less 1 GiB, 22.55 GiB → 4,096.
    assert.strictEqual(base.settings.maxModelLen, 32768);
    assert.strictEqual(held.settings.maxModelLen, 4096);
    // Before 0.30 the same tiers follow the overhead too.
    assert.strictEqual(reportOf('ollama-029-overhead/compose.yaml').settings.maxModelLen, 4096);
  });

  it('VLLM_USE_FLASHINFER_SAMPLER=0 on vLLM 0.11.0: the sort sampler\'s bytes are added to the activation', () => {
    const on = reportOf('vllm-011.yaml');
    const off = reportOf('vllm-011-off.yaml');
    assert.strictEqual(off.settings.engineVersion, '0.11.0');
    // min(max_num_seqs, batched tokens) = 1,024 rows × vocabulary 151,936 × (sort 38.4 − FlashInfer 2 + 4 + 4 + 4)
    // bytes per bf16 logit (vllm-versions.test.ts).
    const extra = 1024 * 151936 * (38.4 - 14);
    assert.ok(Math.abs(off.perGpu.activationPeakBytes - on.perGpu.activationPeakBytes - extra) < 1, `${off.perGpu.activationPeakBytes - on.perGpu.activationPeakBytes} vs ${extra}`);
    assert.ok(Math.abs(on.perGpu.kvCacheBytes - off.perGpu.kvCacheBytes - extra) < 1, 'the KV cache loses what the activation gains');
  });

  it('VLLM_USE_FLASHINFER_SAMPLER=1 on vLLM 0.13.0 (the sort by default): FlashInfer\'s bytes instead', () => {
    const sort = reportOf('vllm-013.yaml');
    const fi = reportOf('vllm-013-on.yaml');
    assert.ok(Math.abs(sort.perGpu.activationPeakBytes - fi.perGpu.activationPeakBytes - 1024 * 151936 * (38.4 - 14)) < 1);
  });
});
