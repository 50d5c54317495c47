// The per-operator decode model (src/core/throughput.ts `decodeOperators`) is the decode step split by operator:
// over every bundled model its operators sum to the step the ceiling uses; worked examples for an MLA model, a
// sliding-window model, a padded vocabulary, an SSM and a checkpoint quantized per group, from the configs' shapes.
import * as assert from 'node:assert/strict';
import { bundledModels } from '../../../src/analysis/bundledCatalog';
import { computeBudget } from '../../../src/core/budget';
import { bundledEntryFiles } from '../../../src/core/modelResolution';
import {
  DECODE_OPERATOR_LABELS, DECODE_OPERATOR_ORDER, type DecodeOperatorBreakdown, decodeOperatorPointsOfReport, decodeOperatorsOfReport,
  distinctExpertsTouched, operatorBytes, operatorTableSums,
} from '../../../src/core/throughput';
import type { BudgetInputs, BudgetReport } from '../../../src/core/types';

function entry(id: string) {
  const e = bundledModels().find((m) => m.id === id);
  assert.ok(e, `${id} is bundled`);
  return e;
}

/** The bundled config's numbers (a text_config's when the model nests one). */
function shapes(id: string): Record<string, number> {
  const c = entry(id).config as Record<string, unknown>;
  return (c.text_config ?? c) as Record<string, number>;
}

function reportOf(id: string, inputs: BudgetInputs): BudgetReport {
  const r = computeBudget(bundledEntryFiles(entry(id)), { gpu: 'h100-sxm', ...inputs });
  assert.ok(r.ok, r.ok ? '' : r.unsupported);
  return r.report;
}

function breakdownOf(report: BudgetReport): DecodeOperatorBreakdown {
  const b = decodeOperatorsOfReport(report);
  assert.ok(b, 'a report of computeBudget has its breakdown');
  return b;
}

function close(actual: number, expected: number, rel: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= rel * Math.abs(expected), `${what}: ${actual} vs ${expected}`);
}

describe('decode operators: every bundled model sums to the decode step of the ceiling (H100, TP 1 and 8)', () => {
  it('Σ operator bytes = the step\'s bytes (weights and KV apart), Σ FLOPs = its FLOPs; points sum to the decode point', function () {
    this.timeout(120_000); // ~540 budgets
    const models = bundledModels();
    assert.ok(models.length >= 150, `${models.length} bundled models`);
    let checked = 0;
    for (const e of models) {
      for (const tp of [1, 8]) {
        // Batch 1 reads one embedding row and top-k experts; batch 64 most experts and 64 rows.
        for (const batch of tp === 1 ? [1, 64] : [64]) {
          const what = `${e.id} TP ${tp} batch ${batch}`;
          const r = computeBudget(bundledEntryFiles(e), { gpu: 'h100-sxm', tensorParallel: tp, gpuCount: tp, batch, context: 8192 });
          assert.ok(r.ok, `${what}: ${r.ok ? '' : r.unsupported}`);
          const d = r.report.decode;
          const b = breakdownOf(r.report);
          const sums = operatorTableSums(b.total);
          close(sums.bytes, d.bytesPerStep, 1e-9, `${what} bytes`);
          close(sums.weightBytes, d.weightBytesPerStep, 1e-9, `${what} weight bytes`);
          if (d.kvBytesPerStep > 0) close(sums.cacheBytes, d.kvBytesPerStep, 1e-9, `${what} KV bytes`);
          else assert.equal(sums.cacheBytes, 0, what);
          close(sums.flops, d.flopsPerStep, 1e-9, `${what} FLOPs`);
          // The total is the layers plus the outside weights.
          const parts = [...b.layers, b.outside].map(operatorTableSums);
          close(parts.reduce((s, p) => s + p.bytes, 0), sums.bytes, 1e-12, `${what} layers + outside`);
          // The panel's points: all ranks, as the decode point.
          const pts = decodeOperatorPointsOfReport(r.report);
          close(pts.reduce((s, p) => s + p.bytes, 0), r.report.roofline.decode.bytes, 1e-9, `${what} point bytes`);
          close(pts.reduce((s, p) => s + p.flops, 0), r.report.roofline.decode.flops, 1e-9, `${what} point FLOPs`);
          assert.ok(pts.every((p) => Object.values(DECODE_OPERATOR_LABELS).includes(p.label as never)), what);
          // Every layer with a mixer (attention, linear attention, SSM) has an output projection back to the hidden size.
          b.layers.forEach((l, i) => assert.ok(operatorBytes(l.qkv) === 0 || operatorBytes(l.output) > 0, `${what}: layer ${i}'s output projection`));
          assert.ok(operatorBytes(b.total.lmHead) > 0, `${what}: LM head`);
          checked++;
        }
      }
    }
    assert.equal(checked, models.length * 3);
  });

  it('labels stay stable, one per operator, in the order of DECODE_OPERATOR_ORDER', () => {
    assert.deepEqual(DECODE_OPERATOR_LABELS, {
      qkv: 'QKV projection', attention: 'Attention (KV read)', output: 'Output projection', mlp: 'MLP', moe: 'MoE experts', lmHead: 'LM head',
      recurrentState: 'Linear attention / SSM state', embedding: 'Embedding',
    });
    assert.deepEqual([...DECODE_OPERATOR_ORDER].sort(), Object.keys(DECODE_OPERATOR_LABELS).sort());
  });

  it('a report that did not come from computeBudget (a copy) has no breakdown and no points, and does not throw', () => {
    const report = reportOf('meta-llama/Meta-Llama-3.1-8B', {});
    const copy = JSON.parse(JSON.stringify(report)) as BudgetReport;
    assert.equal(decodeOperatorsOfReport(copy), undefined);
    assert.deepEqual(decodeOperatorPointsOfReport(copy), []);
  });
});

describe('decode operators: worked examples from the configs', () => {
  it('MLA (DeepSeek-V3 in bf16): q/kv LoRA projections, the latent read whole on every rank', () => {
    const c = shapes('deepseek-ai/DeepSeek-V3');
    const { hidden_size: h, num_attention_heads: H, q_lora_rank: qL, kv_lora_rank: kvL, qk_rope_head_dim: rope, qk_nope_head_dim: nope, v_head_dim: v } = c;
    const B = 4, C = 8192;
    const at = (tp: number) => breakdownOf(reportOf('deepseek-ai/DeepSeek-V3', { quantization: 'bf16', tensorParallel: tp, gpuCount: tp, batch: B, context: C }));
    // q_a (h → q_lora), q_b (q_lora → heads × (nope + rope)), kv_a (h → kv_lora + rope), kv_b (kv_lora → heads × (nope + v)).
    const qA = h * qL, qB = qL * H * (nope + rope), kvA = h * (kvL + rope), kvB = kvL * H * (nope + v);
    // Their two norms (q_a_layernorm, kv_a_layernorm) and the layer's two.
    const qkvNorms = qL + kvL + 2 * h;
    const one = at(1).layers[0];
    assert.equal(one.qkv.weightBytes, 2 * (qA + qB + kvA + kvB + qkvNorms));
    assert.equal(one.qkv.flops, 2 * B * (qA + qB + kvA + kvB));
    // o_proj: heads × v_head_dim → hidden.
    assert.deepEqual(one.output, { weightBytes: 2 * H * v * h, cacheBytes: 0, flops: 2 * B * H * v * h });
    // KV: the kv_lora_rank + rope latent in bf16; absorbed attention over it, 4 FLOPs per head and latent element.
    assert.deepEqual(one.attention, { weightBytes: 0, cacheBytes: B * C * (kvL + rope) * 2, flops: 4 * B * C * H * (kvL + rope) });
    // Not the (H + 2·Hkv)·d of grouped-query attention (d = nope + rope = 192, one latent "KV head").
    assert.notEqual(one.qkv.flops, 2 * B * h * (H + 2) * (nope + rope));
    // The first first_k_dense_replace layers are dense; later ones run the shared expert as an MLP beside the routed ones.
    assert.equal(one.mlp.weightBytes, 2 * 3 * h * c.intermediate_size);
    assert.equal(operatorBytes(one.moe), 0);

    // TP 8: q_a and kv_a are replicated (read whole on every rank), q_b, kv_b and o_proj split by heads; the latent
    // is cached whole on every rank and attended by H / 8 heads.
    const tp = 8;
    const eight = at(tp);
    const l0 = eight.layers[0];
    assert.equal(l0.qkv.weightBytes, 2 * (qA + qB / tp + kvA + kvB / tp + qkvNorms));
    // FLOPs follow: every rank multiplies the whole q_a and kv_a (2·7168·1536 and 2·7168·576 per token), 1/8 of q_b, kv_b.
    assert.equal(2 * qA, 2 * 7168 * 1536);
    close(l0.qkv.flops, 2 * B * (qA + kvA + (qB + kvB) / tp), 1e-12, 'TP 8 QKV FLOPs');
    assert.equal(l0.output.weightBytes, (2 * H * v * h) / tp);
    close(l0.output.flops, (2 * B * H * v * h) / tp, 1e-12, 'TP 8 o_proj FLOPs');
    assert.equal(l0.attention.cacheBytes, B * C * (kvL + rope) * 2);
    assert.equal(l0.attention.flops, 4 * B * C * (H / tp) * (kvL + rope));
    const moeLayer = eight.layers[c.first_k_dense_replace];
    const expert = 3 * h * c.moe_intermediate_size;
    assert.equal(moeLayer.mlp.weightBytes, (2 * c.n_shared_experts * expert) / tp);
    // Routed experts the batch touches (split), the router (h × E) and its score-correction bias (E), replicated.
    const touched = distinctExpertsTouched(c.n_routed_experts, c.num_experts_per_tok, B);
    close(moeLayer.moe.weightBytes, (touched * 2 * expert) / tp + 2 * (h * c.n_routed_experts + c.n_routed_experts), 1e-12, 'MoE bytes');
    // Each token runs top-k experts, 1/8 of each on this rank, and the whole router (h × E) on every rank. (The
    // tolerance covers the E-element score-correction bias; a router divided by 8 would be ~3.5 % off.)
    close(moeLayer.moe.flops, 2 * B * ((c.num_experts_per_tok * expert) / tp + h * c.n_routed_experts), 1e-4, 'TP 8 MoE FLOPs');
    close(moeLayer.mlp.flops, (2 * B * c.n_shared_experts * expert) / tp, 1e-12, 'TP 8 shared expert FLOPs');
  });

  it('replicated matrices cost every rank their full FLOPs: DeepSeek-V3 decode and prefill at TP 8 against TP 1', () => {
    const c = shapes('deepseek-ai/DeepSeek-V3');
    const { hidden_size: h, q_lora_rank: qL, kv_lora_rank: kvL, qk_rope_head_dim: rope, num_hidden_layers: L, n_routed_experts: E } = c;
    const B = 4, C = 8192, P = 2048;
    const at = (tp: number) => reportOf('deepseek-ai/DeepSeek-V3', { quantization: 'bf16', tensorParallel: tp, gpuCount: tp, batch: B, context: C, prompt: P });
    const one = at(1), eight = at(8);
    // Matmul FLOPs per token of the replicated matrices (vLLM's ReplicatedLinear): q_a_proj and kv_a_proj_with_mqa in
    // every layer, the router in the MoE layers (with its E-element score-correction bias, 2 FLOPs per element here).
    const replicatedPerToken = 2 * L * h * (qL + kvL + rope) + 2 * (L - c.first_k_dense_replace) * (h * E + E);
    // Everything else (split matrices, vocabulary-parallel head, attention over H / TP heads) divides by 8 exactly,
    // so one rank at TP 8 does 1/8 of TP 1's FLOPs plus the 7/8 of the replicated ones the split would have saved.
    close(eight.decode.flopsPerStep - one.decode.flopsPerStep / 8, (7 / 8) * B * replicatedPerToken, 1e-9, 'decode FLOPs per rank');
    // The report's prefill FLOPs are summed over the TP ranks: 8 copies of the replicated work instead of one.
    close(eight.prefill.flops - one.prefill.flops, 7 * P * replicatedPerToken, 1e-9, 'prefill FLOPs over all ranks');
    // The decode roofline point is also summed over ranks.
    close(eight.roofline.decode.flops - one.roofline.decode.flops, 7 * B * replicatedPerToken, 1e-9, 'decode point FLOPs');
  });

  it('sliding window (Gemma-2-9B at context 8192): sliding layers read their 4096-token window, full layers the context', () => {
    const c = shapes('google/gemma-2-9b') as unknown as Record<string, number> & { layer_types: string[] };
    const B = 2, C = 8192;
    const b = breakdownOf(reportOf('google/gemma-2-9b', { batch: B, context: C }));
    assert.equal(b.layers.length, c.num_hidden_layers);
    const kvPerToken = 2 * c.num_key_value_heads * c.head_dim * 2; // K and V, bf16 (the float32 checkpoint runs in bf16)
    let kv = 0, flops = 0;
    b.layers.forEach((l, i) => {
      const kept = c.layer_types[i] === 'sliding_attention' ? Math.min(C, c.sliding_window) : C;
      assert.equal(l.attention.cacheBytes, B * kept * kvPerToken, `layer ${i}`);
      kv += B * kept * kvPerToken;
      flops += 4 * B * kept * c.num_attention_heads * c.head_dim;
    });
    assert.equal(b.total.attention.cacheBytes, kv);
    assert.equal(b.total.attention.flops, flops);
    assert.equal(kv, B * (21 * 4096 + 21 * 8192) * kvPerToken, 'half the layers at 4096');
  });

  it('vocabulary padded as vLLM pads it (Olmo-3.1-32B, 100,278 tokens, at TP 8): 64-row multiples split across ranks', () => {
    const c = shapes('allenai/Olmo-3.1-32B-Instruct');
    const b = breakdownOf(reportOf('allenai/Olmo-3.1-32B-Instruct', { tensorParallel: 8, gpuCount: 8, batch: 1, context: 1024 }));
    const rows = Math.ceil((Math.ceil(c.vocab_size / 64) * 64) / 8);
    assert.equal(rows, 12536);
    // The LM head's rows on one rank and the final norm.
    close(b.outside.lmHead.weightBytes, 2 * (rows * c.hidden_size + c.hidden_size), 1e-12, 'LM head bytes');
    assert.equal(b.outside.lmHead.flops, (2 * c.vocab_size * c.hidden_size) / 8, 'the FLOPs of the real vocabulary');
  });

  it('SSM (Mamba-2.8B): each layer reads and writes back a fixed state, whatever the context', () => {
    const c = shapes('state-spaces/mamba-2.8b-hf');
    const inner = c.intermediate_size;
    // Conv state (kernel − 1) × inner and SSM state inner × state_size, in bf16 (the float32 checkpoint runs in bf16).
    const state = inner * (c.conv_kernel - 1) * 2 + inner * c.state_size * 2;
    for (const C of [1000, 100_000]) {
      const b = breakdownOf(reportOf('state-spaces/mamba-2.8b-hf', { batch: 3, context: C, maxModelLen: 100_000 }));
      assert.equal(b.total.recurrentState.cacheBytes, c.num_hidden_layers * 3 * 2 * state, `context ${C}`);
      assert.equal(operatorBytes(b.total.attention) + b.total.attention.flops, 0, 'no KV cache');
      // out_proj (inner → hidden) is the output projection; in_proj, conv, x_proj and dt_proj the input side.
      assert.equal(b.layers[0].output.weightBytes, 2 * inner * c.hidden_size);
    }
  });

  it('quantized per group (gpt-oss-20b): MXFP4 routed experts at 4.25 bits, attention, router and biases in bf16', () => {
    const c = shapes('openai/gpt-oss-20b');
    const { hidden_size: h, intermediate_size: I, num_local_experts: E, num_experts_per_tok: k, num_attention_heads: H, head_dim: d } = c;
    const b = breakdownOf(reportOf('openai/gpt-oss-20b', { batch: 1, context: 4096 }));
    const l0 = b.layers[0];
    // k experts: gate_up (h × 2I) and down (I × h) in MXFP4 (4 bits + one 8-bit scale per 32), their biases in bf16;
    // the router (h × E) with its bias in bf16.
    const experts = k * (3 * h * I * (4 + 8 / 32)) / 8 + k * (2 * I + h) * 2;
    assert.equal(l0.moe.weightBytes, experts + (h * E + E) * 2);
    // o_proj (H·d → h) and its bias, bf16 (modules_to_not_convert: self_attn).
    assert.equal(l0.output.weightBytes, (H * d * h + h) * 2);
    // Sliding layer 0 reads min(4096, 128) tokens.
    assert.equal(l0.attention.cacheBytes, Math.min(4096, c.sliding_window) * 2 * c.num_key_value_heads * d * 2);
  });
});
