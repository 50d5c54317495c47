// SGLang's startup sizing over a grid: dense GQA models (Llama-3.1 8B and 70B), an MLA model (DeepSeek-V2-Lite) and a
// sliding-window model (Gemma-2-9B) × TP 1/2/4/8 × GPUs of 24/48/80/141 GB × two releases (0.5.6, and 0.4.10 from
// before the computed reserve). Every expected value
// is worked out here from the model's config.json and SGLang's own formulas, written out below with the file and
// release they come from (sgl-project/sglang at the v0.5.6 and v0.4.10 bumps):
// - server_args.py `_handle_gpu_memory_settings` (0.5.6) / `__post_init__` (0.4.10): chunked prefill, CUDA-graph
//   batch and the reserved memory behind `mem_fraction_static`;
// - model_runner.py `profile_max_num_token` / `init_memory_pool` / `set_num_token_hybrid`: the KV cell, the token
//   pool, page rounding, the sliding-window split and the request pool;
// - tp_worker.py: max_running_requests = min(max_total_num_tokens // 2, req_to_token_pool.size).
// Only the machine's free memory before weight load (CUDA context, NCCL) is not an SGLang rule: SGLang measures it,
// and the emulation's measured figures are taken as given (CONTEXT_GIB, distributedBytes).
// The page size is 1 on all four GPUs (no default backend there needs pages: FlashMLA, Cutlass MLA and the TRT-LLM
// backends are opt-in or Blackwell-only), so every count is asserted exactly.

import * as assert from 'assert';
import { findAccelerator } from '../../../src/core/hardware';
import { budget, readConfig } from './helpers';

const GiB = 2 ** 30;

/** Python's round(x, 3): the nearest 3-decimal value to the exact double (toFixed rounds the exact value too). */
const round3 = (x: number): number => Number(x.toFixed(3));

interface Gpu {
  name: string;
  /**
   * nvidia-smi's memory.total in MiB, which SGLang reads as the GPU's memory (utils `get_nvgpu_memory_capacity`):
   * a device figure, below the marketed size (an 80 GB H100 reports 81,559 MiB, not 81,920).
   */
  smiMiB: number;
}

const GPUS: Gpu[] = [
  { name: 'L4', smiMiB: 23034 },
  { name: 'L40S', smiMiB: 46068 },
  { name: 'H100 SXM', smiMiB: 81559 },
  { name: 'H200', smiMiB: 143771 },
];

const catalog = (name: string) => {
  const r = findAccelerator(name);
  if (!r.ok) throw new Error(r.message);
  return r.accelerator;
};

/**
 * Custom all-reduce (srt/distributed/device_communicators/custom_all_reduce.py): world sizes 2, 4, 6, 8 only; above 2
 * the GPUs must all be NVLink-connected; over PCIe it needs peer-to-peer access.
 */
function customAllReduce(tp: number, link: string): boolean {
  if (![2, 4, 6, 8].includes(tp)) return false;
  const nvlink = link === 'nvlink' || link === 'nvswitch';
  if (tp > 2 && !nvlink) return false;
  return nvlink || link === 'pcie-p2p';
}

/** Free memory taken before weight load on one GPU before 0.5.9 (the emulation's measured input, not a rule). */
const CONTEXT_GIB = 0.38;
/** Distributed init before the pre-load reading: ~0.16 GiB per rank with custom all-reduce, ~0.13 GiB without. */
const distributedBytes = (tp: number, link: string): number => (tp <= 1 ? 0 : customAllReduce(tp, link) ? 0.16 * tp * GiB : 0.13 * GiB);

interface Release {
  engine: string;
  /** chunked_prefill_size and cuda_graph_max_bs when unset. */
  defaults(smi: number, tp: number): { chunk: number; graph: number };
  /** mem_fraction_static when unset. */
  fraction(smi: number, tp: number, chunk: number, graph: number): number;
  /** Whether this architecture gets the sliding-window pool (`is_hybrid_swa`). */
  hybridSwa(architecture: string): boolean;
}

const RELEASES: Release[] = [
  {
    engine: 'sglang@0.5.6',
    // server_args.py 0.5.6 `_handle_gpu_memory_settings`: tiers by nvidia-smi MiB, a bigger graph batch from TP 4.
    defaults(smi, tp) {
      if (smi < 20 * 1024) return { chunk: 2048, graph: 8 };
      if (smi < 35 * 1024) return { chunk: 2048, graph: tp < 4 ? 24 : 80 };
      if (smi < 60 * 1024) return { chunk: 4096, graph: tp < 4 ? 32 : 160 };
      if (smi < 90 * 1024) return { chunk: 8192, graph: tp < 4 ? 256 : 512 };
      if (smi < 160 * 1024) return { chunk: 8192, graph: tp < 4 ? 256 : 512 };
      return { chunk: 16384, graph: 512 };
    },
    // reserved_mem (MiB) = 512 + 1.5 × max(chunk, 2048) + 2 × graph batch + tp·pp/8 GiB, at least 10 GiB above 60 GiB;
    // no speculative decoding, no DP attention, piecewise CUDA graphs off by default in 0.5.6.
    fraction(smi, tp, chunk, graph) {
      let reserved = 512 + Math.max(chunk, 2048) * 1.5 + graph * 2 + (tp / 8) * 1024;
      if (smi > 60 * 1024) reserved = Math.max(reserved, 10 * 1024);
      return round3((smi - reserved) / smi);
    },
    // Gemma2 (#8693), Gemma3 (#8895) and gpt-oss (#8839) set disable_hybrid_swa_memory: one pool for every layer.
    hybridSwa: () => false,
  },
  {
    engine: 'sglang@0.4.10',
    // server_args.py 0.4.10: chunked prefill 2k below 35 GiB, 8k below 160 GiB; graph batch 8 / 80 (TP ≥ 4) on small GPUs.
    defaults(smi, tp) {
      const chunk = smi < 35 * 1024 ? 2048 : smi < 160 * 1024 ? 8192 : 16384;
      return { chunk, graph: smi < 35 * 1024 ? (tp < 4 ? 8 : 80) : 160 };
    },
    // A fixed reserve by memory tier (#7054): (2.8 + tp·pp/10) GiB below 35 GiB, (9.5 + tp·pp/2) below 90,
    // (12 + tp·pp/2) below 160, else 32 GiB.
    fraction(smi, tp) {
      const reservedGiB = smi < 35 * 1024 ? 2.8 + tp / 10 : smi < 90 * 1024 ? 9.5 + tp / 2 : smi < 160 * 1024 ? 12 + tp / 2 : 32;
      return round3((smi - reservedGiB * 1024) / smi);
    },
    // #7367 (SWA prefix cache, July 2025): every model whose SGLang class reports a window, Llama4 aside; in 0.4.10
    // those are the Gemma2/3/3n classes (gpt-oss came after).
    hybridSwa: (a) => /^Gemma(2|3|3n)For/.test(a),
  },
];

type Config = Record<string, unknown>;
const num = (c: Config, key: string): number => {
  const v = c[key];
  if (typeof v !== 'number') throw new Error(`config has no number ${key}`);
  return v;
};

/** VocabParallelEmbedding / ParallelLMHead: the vocabulary padded to 64 rows, split evenly over the ranks. */
const vocabRowsPerRank = (vocab: number, tp: number): number => Math.ceil((Math.ceil(vocab / 64) * 64) / tp);

interface ModelCase {
  rel: string;
  kind: string;
  /** Parameters one TP rank holds (all checkpoints here are bf16: 2 bytes each). */
  paramsPerRank(c: Config, tp: number): number;
  /** SGLang's cell: bytes one token takes over all layers on one rank. */
  cellBytes(c: Config, tp: number): number;
  /** Layers with a sliding window and with full attention (for the hybrid split). */
  layers(c: Config): { swa: number; full: number };
}

/** Llama-like dense decoder: QKV / gate-up column-parallel, o / down row-parallel, norms on every rank. */
function denseParams(c: Config, tp: number, o: { tied: boolean; normsPerLayer: number }): number {
  const H = num(c, 'hidden_size'), nH = num(c, 'num_attention_heads'), nKV = num(c, 'num_key_value_heads');
  const hd = typeof c.head_dim === 'number' ? c.head_dim : H / nH;
  const I = num(c, 'intermediate_size'), L = num(c, 'num_hidden_layers');
  // QKVParallelLinear: KV heads replicated one per rank when fewer than the ranks.
  const kvPerRank = Math.max(1, Math.floor(nKV / tp));
  const perLayer = H * (nH / tp) * hd + 2 * H * kvPerRank * hd + (nH / tp) * hd * H + 3 * H * (I / tp) + o.normsPerLayer * H;
  const vocab = vocabRowsPerRank(num(c, 'vocab_size'), tp) * H * (o.tied ? 1 : 2);
  return vocab + L * perLayer + H;
}

const MODELS: ModelCase[] = [
  {
    rel: 'llama3.1/Meta-Llama-3.1-8B',
    kind: 'dense GQA',
    paramsPerRank: (c, tp) => denseParams(c, tp, { tied: c.tie_word_embeddings === true, normsPerLayer: 2 }),
    // profile_max_num_token (MHA): kv heads per rank × head_dim × layers × (K, V) × bf16.
    cellBytes: (c, tp) => Math.max(1, Math.floor(num(c, 'num_key_value_heads') / tp)) * (num(c, 'hidden_size') / num(c, 'num_attention_heads')) * num(c, 'num_hidden_layers') * 2 * 2,
    layers: (c) => ({ swa: 0, full: num(c, 'num_hidden_layers') }),
  },
  {
    // The 70B brings the other outcomes: weights that do not load, and weights that load but leave no pool.
    rel: 'llama3.1/Meta-Llama-3.1-70B',
    kind: 'dense GQA',
    paramsPerRank: (c, tp) => denseParams(c, tp, { tied: c.tie_word_embeddings === true, normsPerLayer: 2 }),
    cellBytes: (c, tp) => Math.max(1, Math.floor(num(c, 'num_key_value_heads') / tp)) * (num(c, 'hidden_size') / num(c, 'num_attention_heads')) * num(c, 'num_hidden_layers') * 2 * 2,
    layers: (c) => ({ swa: 0, full: num(c, 'num_hidden_layers') }),
  },
  {
    // The published config as transformers 5.1 re-saved it (dimensions are the model's; see its SOURCE.txt).
    rel: '_partial/DeepSeek-V2-Lite-resaved',
    kind: 'MLA',
    paramsPerRank(c, tp) {
      const H = num(c, 'hidden_size'), nH = num(c, 'num_attention_heads'), L = num(c, 'num_hidden_layers');
      const kvr = num(c, 'kv_lora_rank'), rope = num(c, 'qk_rope_head_dim'), nope = num(c, 'qk_nope_head_dim'), v = num(c, 'v_head_dim');
      const E = num(c, 'n_routed_experts'), moeI = num(c, 'moe_intermediate_size'), shared = num(c, 'n_shared_experts');
      const heads = nH / tp;
      // deepseek_v2.py, q_lora_rank null: q_proj column-parallel; kv_a_proj_with_mqa and kv_a_layernorm replicated;
      // kv_b_proj column-parallel by heads; o_proj row-parallel; two RMS norms.
      const attention = H * heads * (nope + rope) + H * (kvr + rope) + kvr + kvr * heads * (nope + v) + heads * v * H + 2 * H;
      // The first first_k_dense_replace layers have a dense MLP; the rest a replicated gate, TP-split experts
      // (EP 1: each rank holds every expert's 1/tp slice) and TP-split shared experts.
      const dense = 3 * H * (num(c, 'intermediate_size') / tp);
      const moe = E * H + E * 3 * H * (moeI / tp) + 3 * H * ((shared * moeI) / tp);
      const denseLayers = num(c, 'first_k_dense_replace');
      const vocab = vocabRowsPerRank(num(c, 'vocab_size'), tp) * H * 2; // embed_tokens + lm_head (not tied)
      return vocab + L * attention + denseLayers * dense + (L - denseLayers) * moe + H;
    },
    // profile_max_num_token (MLA): (kv_lora_rank + qk_rope_head_dim) × layers × bf16, the whole latent on every rank.
    cellBytes: (c) => (num(c, 'kv_lora_rank') + num(c, 'qk_rope_head_dim')) * num(c, 'num_hidden_layers') * 2,
    layers: (c) => ({ swa: 0, full: num(c, 'num_hidden_layers') }),
  },
  {
    rel: 'gemma2/gemma-2-9b-it',
    kind: 'sliding-window',
    // gemma2.py: four norms per layer, the LM head tied to the embedding (no lm_head parameter).
    paramsPerRank: (c, tp) => denseParams(c, tp, { tied: true, normsPerLayer: 4 }),
    cellBytes: (c, tp) => Math.max(1, Math.floor(num(c, 'num_key_value_heads') / tp)) * num(c, 'head_dim') * num(c, 'num_hidden_layers') * 2 * 2,
    // gemma2.py: even layers slide (layer_id % 2 == 0), odd layers attend to everything.
    layers: (c) => ({ swa: Math.ceil(num(c, 'num_hidden_layers') / 2), full: Math.floor(num(c, 'num_hidden_layers') / 2) }),
  },
];

interface Expected {
  fraction: number;
  chunk: number;
  weightBytes: number;
  pre: number;
  weightsFit: boolean;
  /** Bytes per token of max_total_num_tokens on one rank: the cell, or full + 0.8 × sliding layers when split. */
  kvBytesPerToken: number;
  tokens: number;
  maxRunningRequests: number;
  contextLength: number;
}

function expected(m: ModelCase, c: Config, rel: Release, gpu: Gpu, tp: number): Expected {
  const acc = catalog(gpu.name);
  const { chunk, graph } = rel.defaults(gpu.smiMiB, tp);
  const fraction = rel.fraction(gpu.smiMiB, tp, chunk, graph);
  const weightBytes = m.paramsPerRank(c, tp) * 2;
  // init_torch_distributed: the pre-load free memory (`total_gpu_memory` of profile_max_num_token), every rank alike.
  const pre = (acc.visibleMemoryGiB - CONTEXT_GIB) * GiB - distributedBytes(tp, acc.interconnect?.kind ?? 'pcie');
  const post = pre - weightBytes;
  // profile_max_num_token: rest = after-load free − pre-load free × (1 − mem_fraction_static); int(rest // cell).
  const rest = post - pre * (1 - fraction);
  const cell = m.cellBytes(c, tp);
  const profiled = Math.floor(rest / cell);
  // init_memory_pool: the request pool from the profiled count (before page rounding and the split), page size 1.
  const contextLength = num(c, 'max_position_embeddings');
  const reqPool = Math.min(Math.max(Math.trunc((profiled / contextLength) * 512), 2048), 4096);
  let tokens = profiled;
  let kvBytesPerToken = cell;
  const { swa, full } = m.layers(c);
  const arch = (c.architectures as string[])[0];
  if (rel.hybridSwa(arch) && swa > 0) {
    // set_num_token_hybrid: total = tokens × num_hidden_layers; full pool = int(total / (0.8 × swa + full)).
    const layers = num(c, 'num_hidden_layers');
    tokens = Math.trunc((profiled * layers) / (0.8 * swa + full));
    kvBytesPerToken = (cell / layers) * (full + 0.8 * swa);
  }
  return {
    fraction, chunk, weightBytes, pre, weightsFit: weightBytes < pre, kvBytesPerToken, tokens: Math.max(0, tokens),
    maxRunningRequests: Math.min(Math.floor(tokens / 2), reqPool), contextLength,
  };
}

describe('SGLang grid: reserved memory and token pool from SGLang\'s formulas', () => {
  for (const m of MODELS) {
    const c = readConfig(m.rel);
    for (const rel of RELEASES) {
      describe(`${m.kind}: ${m.rel} at ${rel.engine}`, () => {
        for (const gpu of GPUS) {
          for (const tp of [1, 2, 4, 8]) {
            const e = expected(m, c, rel, gpu, tp);
            const outcome = !e.weightsFit ? 'weights do not load' : e.tokens <= 0 ? 'no KV pool' : `${e.tokens} tokens`;
            it(`${gpu.name} × TP ${tp}: ${outcome}`, () => {
              // Every head count here divides by 1, 2, 4 and 8: no TP is refused.
              assert.strictEqual(num(c, 'num_attention_heads') % tp, 0);
              const r = budget(m.rel, { gpu: gpu.name, tensorParallel: tp, gpuCount: tp, engine: rel.engine });
              assert.strictEqual(r.settings.engine, 'sglang');
              assert.strictEqual(r.settings.gpuMemoryUtilization, e.fraction, 'mem_fraction_static');
              assert.strictEqual(r.settings.maxNumBatchedTokens, e.chunk, 'chunked_prefill_size');
              assert.strictEqual(r.perGpu.weightBytes, e.weightBytes, 'weights per rank');
              assert.strictEqual(r.perGpu.kvBytesPerToken, e.kvBytesPerToken, 'KV bytes per token per rank');
              assert.strictEqual(r.capacity.maxModelLen, e.contextLength, 'context length');
              assert.strictEqual(r.capacity.weightsFit, e.weightsFit, 'weights load');
              if (!e.weightsFit) {
                // The load itself runs out of memory: no pool, the deployment does not start.
                assert.strictEqual(r.capacity.fits, false);
                assert.strictEqual(r.capacity.kvCacheTokens, 0);
                return;
              }
              if (e.tokens <= 0) {
                // init_memory_pool: "Not enough memory. Please try to increase --mem-fraction-static."
                assert.strictEqual(r.capacity.fits, false);
                assert.strictEqual(r.capacity.kvCacheTokens, 0);
                assert.ok(r.diagnostics.some((d) => /Not enough memory\. Please try to increase --mem-fraction-static\./.test(d.message)));
                return;
              }
              assert.strictEqual(r.capacity.kvCacheTokens, e.tokens, 'max_total_num_tokens');
              assert.strictEqual(r.settings.maxNumSeqs, e.maxRunningRequests, 'max_running_requests');
              // SGLang starts either way; a pool shorter than the context caps what one request may hold.
              assert.strictEqual(r.capacity.contextFits, e.tokens >= e.contextLength);
            });
          }
        }
      });
    }
  }

  it('reads the GPUs as SGLang does: nvidia-smi\'s total, not the marketed size, picks the tier and the fraction', () => {
    // 0.5.6, H100 at TP 1: 8k chunk, graph batch 256 → 13,440 MiB reserved; 81,559 MiB → 0.835 (81,920 would give 0.836).
    const r = budget('llama3.1/Meta-Llama-3.1-8B', { gpu: 'H100 SXM', engine: 'sglang@0.5.6' });
    assert.strictEqual(13440, 512 + 8192 * 1.5 + 256 * 2 + 128);
    assert.strictEqual(r.settings.gpuMemoryUtilization, round3((81559 - 13440) / 81559));
    assert.strictEqual(r.settings.gpuMemoryUtilization, 0.835);
  });

  it('splits the sliding-window model only where the release does', () => {
    const c = readConfig('gemma2/gemma-2-9b-it');
    const perLayer = num(c, 'num_key_value_heads') * num(c, 'head_dim') * 2 * 2; // TP 1
    const split = budget('gemma2/gemma-2-9b-it', { gpu: 'H100 SXM', engine: 'sglang@0.4.10' });
    const single = budget('gemma2/gemma-2-9b-it', { gpu: 'H100 SXM', engine: 'sglang@0.5.6' });
    assert.strictEqual(split.perGpu.kvBytesPerToken, perLayer * (21 + 0.8 * 21));
    assert.strictEqual(single.perGpu.kvBytesPerToken, perLayer * 42);
    // gpt-oss: one pool from 0.5.0 (#8839), its own sliding pool again from 0.5.8 (`is_hybrid_swa_model`, #17261).
    const oss = readConfig('gpt-oss/gpt-oss-20b');
    const ossLayer = num(oss, 'num_key_value_heads') * num(oss, 'head_dim') * 2 * 2;
    const types = oss.layer_types as string[];
    const ossSliding = types.filter((t) => t === 'sliding_attention').length, ossFull = types.length - ossSliding;
    assert.strictEqual(budget('gpt-oss/gpt-oss-20b', { gpu: 'H100 SXM', engine: 'sglang@0.5.6' }).perGpu.kvBytesPerToken, ossLayer * types.length);
    assert.strictEqual(budget('gpt-oss/gpt-oss-20b', { gpu: 'H100 SXM', engine: 'sglang@0.5.8' }).perGpu.kvBytesPerToken, ossLayer * (ossFull + 0.8 * ossSliding));
  });
});
