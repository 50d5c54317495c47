// This year's architectures: hybrids of attention with Mamba2, Gated DeltaNet, Kimi Delta Attention, lightning
// attention or short convolutions; DeepSeek-V4's compressed attention; latent MoE. Expected values are worked
// out here from each config's shapes (the modelling code's tensors, written out) and checked against the model
// cards' totals.

import * as assert from 'assert';
import { layerStateBytesPerSequence, modelKvBytesPerToken, modelStateBytesPerSequence } from '../../../src/core/kvcache';
import { ModelDescription, sumParams } from '../../../src/core/model';
import { parametersActive, parametersTotal } from '../../../src/core/weights';
import { assertWithin, budget, model, readConfig } from './helpers';

type Cfg = Record<string, unknown>;
const num = (c: Cfg, k: string): number => c[k] as number;
const text = (c: Cfg): Cfg => (c.text_config as Cfg | undefined) ?? c;
const textParams = (m: ModelDescription): number => sumParams(m.weights, (g) => g.role !== 'vision');
const visionParams = (m: ModelDescription): number => sumParams(m.weights, (g) => g.role === 'vision');
const count = <T>(xs: readonly T[], p: (x: T) => boolean): number => xs.filter(p).length;

describe('2026 architectures', () => {
  describe('Nemotron 3 (Mamba2 + attention + latent MoE)', () => {
    /** One Nemotron-H Mamba2 layer: in_proj (z, xBC, dt), conv1d with bias, A_log/D/dt_bias, gated norm, out_proj, block norm. */
    const mambaLayer = (c: Cfg): number => {
      const H = num(c, 'hidden_size'), nh = num(c, 'mamba_num_heads'), I = nh * num(c, 'mamba_head_dim');
      const conv = I + 2 * num(c, 'n_groups') * num(c, 'ssm_state_size');
      return H * (I + conv + nh) + conv * num(c, 'conv_kernel') + conv + 3 * nh + I + I * H + H;
    };
    const attentionLayer = (c: Cfg): number => {
      const H = num(c, 'hidden_size'), d = num(c, 'head_dim');
      return H * d * (num(c, 'num_attention_heads') + 2 * num(c, 'num_key_value_heads')) + num(c, 'num_attention_heads') * d * H + H;
    };
    /** Router + bias, non-gated relu2 experts in the latent (or hidden) width, latent projections, shared expert, norm. */
    const moeLayer = (c: Cfg, experts: number): number => {
      const H = num(c, 'hidden_size'), E = num(c, 'n_routed_experts'), D = (c.moe_latent_size as number | null) ?? H;
      return E * H + E + experts * 2 * D * num(c, 'moe_intermediate_size') + (D !== H ? 2 * H * D : 0)
        + 2 * H * num(c, 'moe_shared_expert_intermediate_size') + H;
    };
    const expected = (c: Cfg, letters: string, active = false): number => {
      const H = num(c, 'hidden_size'), V = num(c, 'vocab_size');
      let t = (active ? 1 : 2) * V * H + H;
      for (const ch of letters) {
        t += ch === 'M' ? mambaLayer(c) : ch === '*' ? attentionLayer(c) : moeLayer(c, active ? num(c, 'num_experts_per_tok') : num(c, 'n_routed_experts'));
      }
      return t;
    };

    it('counts Nano 30B-A3B exactly from its pattern (card: 31.6B total, 3.2B active)', () => {
      const rel = 'nemotron-h/NVIDIA-Nemotron-3-Nano-30B-A3B-NVFP4';
      const c = readConfig(rel);
      const want = expected(c, c.hybrid_override_pattern as string);
      assert.strictEqual(parametersTotal(model(rel)), want);
      assertWithin(want, 31.6e9, 0.005, 'Nano card total');
      assertWithin(parametersActive(model(rel)), 3.2e9, 0.02, 'Nano card active');
      assert.strictEqual(parametersActive(model(rel)), expected(c, c.hybrid_override_pattern as string, true));
    });

    it('reads layers_block_type when there is no pattern and no num_hidden_layers (Ultra 550B-A55B, Lightning)', () => {
      const rel = 'nemotron-h/NVIDIA-Nemotron-3-Ultra-550B-A55B-BF16';
      const c = readConfig(rel);
      assert.strictEqual(c.num_hidden_layers, undefined);
      const types = c.layers_block_type as string[];
      const letters = types.map((t) => ({ mamba: 'M', attention: '*', moe: 'E' } as Record<string, string>)[t]).join('');
      const m = model(rel);
      assert.strictEqual(m.numLayers, types.length);
      assert.strictEqual(parametersTotal(m), expected(c, letters));
      assertWithin(parametersTotal(m), 550e9, 0.005, 'Ultra card total');
      assertWithin(parametersActive(m), 55e9, 0.01, 'Ultra card active');
      // Lightning has Nano's shapes in list form.
      const lightning = model('nemotron-h/NVIDIA-Nemotron-3.5-Lightning-30B-A3B-NVFP4');
      assert.strictEqual(parametersTotal(lightning), parametersTotal(model('nemotron-h/NVIDIA-Nemotron-3-Nano-30B-A3B-NVFP4')));
      // Super: latent MoE (moe_latent_size 1024), card 120B / 12B.
      assertWithin(parametersTotal(model('nemotron-h/NVIDIA-Nemotron-3-Super-120B-A12B-FP8')), 120e9, 0.01, 'Super card total');
    });

    it('keeps the SSM state in float32 and the conv state in the model dtype (vLLM NemotronH)', () => {
      const c = readConfig('nemotron-h/NVIDIA-Nemotron-3-Nano-30B-A3B-NVFP4');
      const nh = num(c, 'mamba_num_heads'), I = nh * num(c, 'mamba_head_dim');
      const conv = (num(c, 'conv_kernel') - 1) * (I + 2 * num(c, 'n_groups') * num(c, 'ssm_state_size'));
      const ssm = nh * num(c, 'mamba_head_dim') * num(c, 'ssm_state_size');
      const perLayer = conv * 2 + ssm * 4;
      assert.strictEqual(perLayer, 2_134_016);
      const m = model('nemotron-h/NVIDIA-Nemotron-3-Nano-30B-A3B-NVFP4');
      const mambaLayers = count([...(c.hybrid_override_pattern as string)], (ch) => ch === 'M');
      assert.strictEqual(modelStateBytesPerSequence(m, 2), mambaLayers * perLayer);
      assert.strictEqual(layerStateBytesPerSequence(m.layers[0].mamba!, 2, 4), perLayer / 4);
      // 6 attention layers, 2 KV heads of 128.
      assert.strictEqual(modelKvBytesPerToken(m, 2), 6 * 2 * 2 * 128 * 2);
    });
  });

  describe('Gated DeltaNet hybrids (Qwen3-Next, Qwen3.5, Qwen3.6)', () => {
    const gdnLayer = (c: Cfg): number => {
      const H = num(c, 'hidden_size'), nv = num(c, 'linear_num_value_heads');
      const kd = num(c, 'linear_num_key_heads') * num(c, 'linear_key_head_dim'), vd = nv * num(c, 'linear_value_head_dim');
      return H * (2 * kd + 2 * vd) + 2 * H * nv + (2 * kd + vd) * num(c, 'linear_conv_kernel_dim') + 2 * nv + num(c, 'linear_value_head_dim') + vd * H;
    };
    const gatedAttention = (c: Cfg): number => {
      const H = num(c, 'hidden_size'), n = num(c, 'num_attention_heads'), kv = num(c, 'num_key_value_heads'), d = num(c, 'head_dim');
      return H * 2 * n * d + 2 * H * kv * d + n * d * H + 2 * d;
    };

    it('counts Qwen3.5-27B exactly: 48 Gated DeltaNet and 16 gated-attention layers, dense SwiGLU', () => {
      const rel = 'qwen3.5/Qwen3.5-27B';
      const c = text(readConfig(rel));
      const H = num(c, 'hidden_size'), V = num(c, 'vocab_size');
      const types = c.layer_types as string[];
      const linear = count(types, (t) => t === 'linear_attention');
      assert.deepStrictEqual([linear, types.length - linear], [48, 16]);
      const want = 2 * V * H + H + linear * gdnLayer(c) + (types.length - linear) * gatedAttention(c)
        + types.length * (3 * H * num(c, 'intermediate_size') + 2 * H);
      const m = model(rel);
      assert.strictEqual(textParams(m), want);
      assertWithin(parametersTotal(m), 27e9, 0.015, 'Qwen3.5-27B card (text + vision)');
    });

    it('matches the MoE cards (Qwen3-Next 80B-A3B, Qwen3.5-397B-A17B, 122B-A10B, 35B-A3B)', () => {
      assertWithin(parametersTotal(model('qwen3-next/Qwen3-Next-80B-A3B-Thinking')), 80e9, 0.005, 'Qwen3-Next');
      assertWithin(parametersTotal(model('qwen3.5/Qwen3.5-397B-A17B')), 397e9, 0.005, 'Qwen3.5-397B');
      assertWithin(parametersTotal(model('qwen3.5/Qwen3.5-122B-A10B')), 122e9, 0.005, 'Qwen3.5-122B');
      assertWithin(parametersTotal(model('qwen3.6/Qwen3.6-35B-A3B')), 35e9, 0.005, 'Qwen3.6-35B');
      assertWithin(parametersActive(model('qwen3.6/Qwen3.6-35B-A3B')), 3e9, 0.05, 'Qwen3.6-35B active');
    });

    it('caches KV only in the full layers and keeps a per-sequence state in the linear ones (fp32 SSM where mamba_ssm_dtype says so)', () => {
      const c = text(readConfig('qwen3.5/Qwen3.5-27B'));
      const m = model('qwen3.5/Qwen3.5-27B');
      assert.strictEqual(modelKvBytesPerToken(m, 2), 16 * 2 * num(c, 'num_key_value_heads') * num(c, 'head_dim') * 2);
      const kd = num(c, 'linear_num_key_heads') * num(c, 'linear_key_head_dim'), nv = num(c, 'linear_num_value_heads');
      const conv = (num(c, 'linear_conv_kernel_dim') - 1) * (2 * kd + nv * num(c, 'linear_value_head_dim'));
      const ssm = nv * num(c, 'linear_key_head_dim') * num(c, 'linear_value_head_dim');
      assert.strictEqual(c.mamba_ssm_dtype, 'float32');
      assert.strictEqual(modelStateBytesPerSequence(m, 2), 48 * (conv * 2 + ssm * 4));
      // Qwen3-Next states no SSM dtype: vLLM keeps it in the model dtype.
      const next = readConfig('qwen3-next/Qwen3-Next-80B-A3B-Thinking');
      const nextConv = 3 * (2 * 16 * 128 + 32 * 128), nextSsm = 32 * 128 * 128;
      assert.strictEqual(num(next, 'linear_num_value_heads'), 32);
      assert.strictEqual(modelStateBytesPerSequence(model('qwen3-next/Qwen3-Next-80B-A3B-Thinking'), 2), 36 * (nextConv + nextSsm) * 2);
    });
  });

  describe('Kimi-K3 (Kimi Delta Attention + gated MLA + latent MoE)', () => {
    const rel = 'kimi-k3/Kimi-K3';

    it('counts the language model exactly from its shapes (report: ≈2.78T total, ≈104B active)', () => {
      const c = text(readConfig(rel));
      const la = c.linear_attn_config as Cfg;
      const H = num(c, 'hidden_size'), V = num(c, 'vocab_size'), h = num(la, 'num_heads'), d = num(la, 'head_dim'), K = num(la, 'short_conv_kernel_size');
      const P = h * d;
      const kda = 5 * P * H + d * H + P * d + h * H + 3 * P * K + h + P + d;
      const nH = num(c, 'num_attention_heads'), ql = num(c, 'q_lora_rank'), kl = num(c, 'kv_lora_rank');
      const qk = num(c, 'qk_nope_head_dim') + num(c, 'qk_rope_head_dim'), vh = num(c, 'v_head_dim');
      const mla = H * ql + ql + ql * nH * qk + H * (kl + num(c, 'qk_rope_head_dim')) + kl + kl * nH * (num(c, 'qk_nope_head_dim') + vh) + 2 * nH * vh * H;
      const E = num(c, 'num_experts'), L = num(c, 'routed_expert_hidden_size'), I = num(c, 'moe_intermediate_size'), S = num(c, 'num_shared_experts');
      const moeFixed = E * H + E + 3 * H * S * I + 2 * H * L + L;
      const layers = num(c, 'num_hidden_layers');
      const kdaLayers = (la.kda_layers as number[]).length;
      const want = kdaLayers * kda + (layers - kdaLayers) * mla + (layers - 1) * (moeFixed + E * 3 * L * I)
        + 3 * H * num(c, 'intermediate_size') + layers * 6 * H + 2 * V * H + 3 * H;
      const m = model(rel);
      assert.strictEqual(textParams(m), want);
      assertWithin(want, 2.78e12, 0.001, 'Kimi-K3 total');
      assertWithin(parametersActive(m), 104e9, 0.01, 'Kimi-K3 active');
      // MoonViT (401M) and its patch-merger projector.
      assert.strictEqual(visionParams(m), 401_214_464 + 46_144_512);
    });

    it('keeps KDA state (bf16 conv, float32 recurrent) per sequence and the MLA latent per token', () => {
      const m = model(rel);
      const P = 96 * 128;
      assert.strictEqual(modelStateBytesPerSequence(m, 2), 69 * (3 * 3 * P * 2 + 96 * 128 * 128 * 4));
      assert.strictEqual(modelKvBytesPerToken(m, 2), 24 * (512 + 64) * 2);
      assert.strictEqual(count(m.layers, (l) => l.mamba?.kind === 'kimi-delta'), 69);
      // 1-based layer lists: 0-based layers 3 and 92 are MLA.
      assert.strictEqual(m.layers[3].attention?.type, 'mla');
      assert.strictEqual(m.layers[92].attention?.type, 'mla');
    });

    it('stores only the routed experts in MXFP4 (the ignore list keeps attention and shared experts in bf16)', () => {
      const r = budget(rel, { gpu: 'B200', tensorParallel: 8, gpuCount: 16, pipelineParallel: 2, maxModelLen: 8192 });
      const m = model(rel);
      const experts = sumParams(m.weights, (g) => g.role === 'expert');
      const rest = parametersTotal(m) - experts;
      assert.strictEqual(r.model.weightBytes, experts * (4 + 8 / 32) / 8 + rest * 2);
    });
  });

  describe('DeepSeek-V4 (compressed sparse attention, hyper-connections)', () => {
    it('matches the cards: Flash 284B / 13B active, Pro 1.6T / 49B active (MTP not counted)', () => {
      assertWithin(parametersTotal(model('deepseek-v4/DeepSeek-V4-Flash')), 284e9, 0.005, 'Flash');
      assertWithin(parametersActive(model('deepseek-v4/DeepSeek-V4-Flash')), 13e9, 0.03, 'Flash active');
      assertWithin(parametersTotal(model('deepseek-v4/DeepSeek-V4-Pro')), 1.6e12, 0.02, 'Pro');
      assertWithin(parametersActive(model('deepseek-v4/DeepSeek-V4-Pro')), 49e9, 0.01, 'Pro active');
      // The transformers-5 export trims compress_ratios to the main layers; the count is the same.
      assert.strictEqual(parametersTotal(model('deepseek-v4/DeepSeek-V4-Flash-NVFP4-FP8')), parametersTotal(model('deepseek-v4/DeepSeek-V4-Flash')));
    });

    it('grows the cache by one 584-byte entry per 4 or 128 tokens, plus indexer keys on ratio-4 layers', () => {
      for (const rel of ['deepseek-v4/DeepSeek-V4-Flash', 'deepseek-v4/DeepSeek-V4-Pro']) {
        const c = readConfig(rel);
        const ratios = (c.compress_ratios as number[]).slice(0, num(c, 'num_hidden_layers'));
        const entry = 448 + 64 * 2 + 7 + 1;
        const indexer = num(c, 'index_head_dim') + 4;
        const want = count(ratios, (x) => x === 4) * (entry + indexer) / 4 + count(ratios, (x) => x === 128) * entry / 128;
        // Whatever the KV dtype: vLLM's FlashMLA layout is fixed.
        assert.strictEqual(modelKvBytesPerToken(model(rel), 2), want, rel);
        assert.strictEqual(modelKvBytesPerToken(model(rel), 1), want, rel);
      }
      assert.strictEqual(modelKvBytesPerToken(model('deepseek-v4/DeepSeek-V4-Flash'), 2), 3850.25);
    });

    it('stores FP8 weights with MXFP4 routed experts (expert_dtype fp4), and reports the cache as fp8', () => {
      const rel = 'deepseek-v4/DeepSeek-V4-Flash';
      const m = model(rel);
      const experts = sumParams(m.weights, (g) => g.role === 'expert');
      const c = readConfig(rel);
      assert.strictEqual(experts, num(c, 'num_hidden_layers') * num(c, 'n_routed_experts') * 3 * num(c, 'moe_intermediate_size') * num(c, 'hidden_size'));
      const rest = parametersTotal(m) - experts;
      const r = budget(rel, { gpu: 'H200', tensorParallel: 4, gpuCount: 4, maxModelLen: 65536 });
      const expertBytes = experts * (4 + 8 / 32) / 8;
      // Everything else is FP8 (1 byte) or bf16 (2 bytes).
      assert.ok(r.model.weightBytes > expertBytes + rest * 1 && r.model.weightBytes < expertBytes + rest * 2, String(r.model.weightBytes));
      assert.strictEqual(r.settings.kvCacheDtype, 'fp8');
    });
  });

  describe('other 2026 families', () => {
    it('MiniMax-M1: lightning layers keep a head_dim² state per head, softmax layers cache KV (card 456B / 45.9B)', () => {
      const m = model('minimax/MiniMax-M1');
      assertWithin(parametersTotal(m), 456e9, 0.001, 'M1 total');
      const c = readConfig('minimax/MiniMax-M1');
      const softmax = count(c.attn_type_list as number[], (t) => t === 1);
      assert.strictEqual(softmax, 10);
      assert.strictEqual(modelKvBytesPerToken(m, 2), softmax * 2 * 8 * 128 * 2);
      assert.strictEqual(modelStateBytesPerSequence(m, 2), 70 * 64 * 128 * 128 * 2);
      // The card's active count leaves out both embedding matrices.
      assertWithin(parametersActive(m) - num(c, 'vocab_size') * num(c, 'hidden_size'), 45.9e9, 0.005, 'M1 active');
    });

    it('MiniMax-M3: full GQA everywhere plus bf16 indexer keys on its sparse layers (card ≈428B)', () => {
      const m = model('minimax/MiniMax-M3');
      assertWithin(parametersTotal(m), 428e9, 0.005, 'M3 total');
      const sparse = count(((readConfig('minimax/MiniMax-M3').sparse_attention_config as Cfg).sparse_attention_freq as number[]), (x) => x === 1);
      assert.strictEqual(modelKvBytesPerToken(m, 2), 60 * 2 * 4 * 128 * 2 + sparse * 128 * 2);
    });

    it('Gemma 4: 512-wide global layers with k_eq_v (still caching K and V), a dense MLP beside the MoE (card 25.2B / 30.7B)', () => {
      const m = model('gemma4/gemma-4-26B-A4B');
      assertWithin(textParams(m), 25.2e9, 0.005, '26B-A4B text');
      assertWithin(textParams(model('gemma4/Gemma-4-31B-IT-NVFP4')), 30.7e9, 0.005, '31B text');
      const c = text(readConfig('gemma4/gemma-4-26B-A4B'));
      const full = count(c.layer_types as string[], (t) => t === 'full_attention');
      const sliding = (c.layer_types as string[]).length - full;
      assert.strictEqual(modelKvBytesPerToken(m, 2),
        sliding * 2 * num(c, 'num_key_value_heads') * num(c, 'head_dim') * 2 + full * 2 * num(c, 'num_global_key_value_heads') * num(c, 'global_head_dim') * 2);
      assert.strictEqual(m.layers[0].attention?.window, num(c, 'sliding_window'));
    });

    it('Laguna: per-layer query heads and gates, 1 full then 3 sliding layers (card 33.4B total / 3.0B active)', () => {
      const m = model('poolside/Laguna-XS.2-FP8');
      assertWithin(parametersTotal(m), 33.4e9, 0.005, 'Laguna-XS.2');
      const c = readConfig('poolside/Laguna-XS.2-FP8');
      assert.strictEqual(m.layers[1].attention?.heads, (c.num_attention_heads_per_layer as number[])[1]);
      assert.strictEqual(m.layers[1].attention?.window, 512);
      assert.strictEqual(modelKvBytesPerToken(m, 2), 40 * 2 * 8 * 128 * 2);
    });

    it('LFM2: short-conv layers keep (taps − 1) × hidden of state; the card total is exact (1,170,340,608)', () => {
      const m = model('lfm2/LFM2-1.2B');
      assert.strictEqual(parametersTotal(m), 1_170_340_608);
      assert.strictEqual(modelKvBytesPerToken(m, 2), 6 * 2 * 8 * 64 * 2);
      assert.strictEqual(modelStateBytesPerSequence(m, 2), 10 * 2 * 2048 * 2);
      assert.strictEqual(textParams(model('lfm2/LFM2.5-VL-1.6B')), 1_170_340_608);
    });
  });
});
