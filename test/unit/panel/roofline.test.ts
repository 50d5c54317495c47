// The one roofline / operator model in src/core (src/core/roofline.ts, the per-operator decode model of
// src/core/throughput.ts) that the engine's report and the roofline panel both read.
import * as assert from 'node:assert/strict';
import { kvHeadsPerRank } from '../../../src/core/kvcache';
import { arithmeticIntensityFlopsPerByte, attainableFlopsPerSecond, boundRegime, ridgeFlopsPerByte, rooflinePointOf } from '../../../src/core/roofline';
import {
  DECODE_OPERATOR_LABELS as OPERATOR_LABELS, type DecodeLayerShapes, decodeLayerShapesPerRank, decodeOperatorPoints, distinctExpertsTouched,
} from '../../../src/core/throughput';

/** H100 SXM: 3.35 TB/s, 989.4 dense bf16 TFLOP/s, 1978.9 fp8. */
const H100 = { bandwidthBytesPerSecond: 3.35e12, peakFlopsPerSecond: 989.4e12 };

/** Llama-3.1-8B: h=4096, H=32, Hkv=8, d=128, I=14336, V=128256, bf16 weights. */
const LLAMA_8B: DecodeLayerShapes = {
  hidden: 4096, heads: 32, kvHeads: 8, headDim: 128, intermediate: 14336, vocab: 128256, weightBytesPerParam: 2,
};
/** KV bytes one token holds in one Llama-3.1-8B layer, bf16: K and V, 8 heads of 128. */
const KV_LAYER = 2 * 8 * 128 * 2;

function close(actual: number, expected: number, rel = 1e-12): void {
  assert.ok(Math.abs(actual - expected) <= rel * Math.abs(expected), `${actual} ≉ ${expected}`);
}

function byLabel<T extends { label: string }>(xs: T[], label: string): T {
  const x = xs.find((p) => p.label === label);
  assert.ok(x, `no point labelled ${label}`);
  return x;
}

describe('core roofline: ridge, intensity, attainable FLOP/s, regime', () => {
  it('ridge = peak / bandwidth; attainable = min(peak, I·bw); the regime from the two times', () => {
    assert.equal(ridgeFlopsPerByte(989.4e12, 3.35e12), 989.4e12 / 3.35e12);
    close(ridgeFlopsPerByte(989.4e12, 3.35e12), 295.3432835820896);
    assert.equal(arithmeticIntensityFlopsPerByte(10, 4), 2.5);
    assert.equal(arithmeticIntensityFlopsPerByte(10, 0), 0, 'nothing moved');
    assert.equal(attainableFlopsPerSecond(1, 989.4e12, 3.35e12), 3.35e12);
    assert.equal(attainableFlopsPerSecond(1000, 989.4e12, 3.35e12), 989.4e12);
    assert.equal(boundRegime(2, 1), 'compute');
    assert.equal(boundRegime(1, 1), 'memory');
  });
});

describe('core roofline: rooflinePointOf', () => {
  it('computes intensity, attainable FLOP/s, time and the bound', () => {
    // Decode of Llama-3.1-8B at batch 1, 8192 tokens of context, whole model.
    const p = rooflinePointOf('decode', 20_355_489_792, 17_134_264_320, H100);
    close(p.arithmeticIntensity, 20_355_489_792 / 17_134_264_320);
    close(p.attainableFlopsPerSecond, p.arithmeticIntensity * 3.35e12);
    close(p.seconds, 17_134_264_320 / 3.35e12);
    assert.equal(p.bound, 'memory');
    const q = rooflinePointOf('prefill', 1e15, 1e10, H100);
    assert.equal(q.bound, 'compute');
    assert.equal(q.attainableFlopsPerSecond, 989.4e12);
    close(q.seconds, 1e15 / 989.4e12);
  });
});

describe('core decodeOperatorPoints (one Llama-3.1-8B layer on an H100)', () => {
  it('batch 1, context 8192: hand-computed FLOPs and bytes', () => {
    const pts = decodeOperatorPoints(LLAMA_8B, 1, 8192, 2, KV_LAYER, H100);
    assert.deepEqual(pts.map((p) => p.label), [
      OPERATOR_LABELS.qkv, OPERATOR_LABELS.attention, OPERATOR_LABELS.output, OPERATOR_LABELS.mlp, OPERATOR_LABELS.lmHead,
    ]);

    const qkv = byLabel(pts, OPERATOR_LABELS.qkv);
    assert.equal(qkv.flops, 50_331_648); //          2·1·4096·(32+2·8)·128
    assert.equal(qkv.bytes, 50_352_128); //          4096·6144·2 weights + 4096·2 in + 6144·2 out
    close(qkv.arithmeticIntensity, 50_331_648 / 50_352_128);
    assert.equal(qkv.bound, 'memory');

    const attn = byLabel(pts, OPERATOR_LABELS.attention);
    assert.equal(KV_LAYER, 2 * 8 * 128 * 2);
    assert.equal(attn.flops, 134_217_728); //        4·1·8192·32·128
    assert.equal(attn.bytes, 33_554_432); //         1·8192·4096
    assert.equal(attn.arithmeticIntensity, 4);
    close(attn.seconds, 33_554_432 / 3.35e12);

    const o = byLabel(pts, OPERATOR_LABELS.output);
    assert.equal(o.flops, 33_554_432); //            2·1·32·128·4096
    assert.equal(o.bytes, 33_570_816); //            4096·4096·2 + 4096·2 + 4096·2

    const mlp = byLabel(pts, OPERATOR_LABELS.mlp);
    assert.equal(mlp.flops, 352_321_536); //         2·1·3·4096·14336
    assert.equal(mlp.bytes, 352_337_920); //         3·4096·14336·2 + 2·4096·2

    const head = byLabel(pts, OPERATOR_LABELS.lmHead);
    assert.equal(head.flops, 1_050_673_152); //      2·1·4096·128256
    assert.equal(head.bytes, 1_050_937_856); //      4096·128256·2 + 4096·2 + 128256·2
    for (const p of pts) {
      close(p.seconds, Math.max(p.flops / 989.4e12, p.bytes / 3.35e12));
      close(p.attainableFlopsPerSecond, Math.min(989.4e12, p.arithmeticIntensity * 3.35e12));
    }
  });

  it('weights read by 32 layers plus the LM head match the published 8.03B parameters', () => {
    const pts = decodeOperatorPoints(LLAMA_8B, 1, 0, 2, KV_LAYER, H100);
    assert.equal(pts.find((p) => p.label === OPERATOR_LABELS.attention), undefined, 'no attention point without context');
    const act = (p: { label: string }) => ({
      [OPERATOR_LABELS.qkv]: 4096 * 2 + 6144 * 2,
      [OPERATOR_LABELS.output]: 4096 * 2 * 2,
      [OPERATOR_LABELS.mlp]: 4096 * 2 * 2,
      [OPERATOR_LABELS.lmHead]: 4096 * 2 + 128256 * 2,
    } as Record<string, number>)[p.label];
    const perLayer = pts.filter((p) => p.label !== OPERATOR_LABELS.lmHead).reduce((s, p) => s + p.bytes - act(p), 0);
    const head = byLabel(pts, OPERATOR_LABELS.lmHead);
    const weightBytes = 32 * perLayer + (head.bytes - act(head));
    // 8,030,261,248 parameters − 525,336,576 embedding − 266,240 norm weights, 2 bytes each.
    assert.equal(weightBytes, 2 * (8_030_261_248 - 525_336_576 - 266_240));
  });

  it('batch 32: weights amortised, intensity ≈ B for the GEMMs, attention stays at 4', () => {
    const pts = decodeOperatorPoints(LLAMA_8B, 32, 8192, 2, KV_LAYER, H100);
    const qkv = byLabel(pts, OPERATOR_LABELS.qkv);
    assert.equal(qkv.flops, 32 * 50_331_648);
    assert.equal(qkv.bytes, 50_331_648 + 32 * 20_480);
    const mlp = byLabel(pts, OPERATOR_LABELS.mlp);
    assert.equal(mlp.flops, 11_274_289_152); //      2·32·3·4096·14336
    assert.equal(mlp.bytes, 352_321_536 + 32 * 16_384);
    assert.ok(mlp.arithmeticIntensity > 31.9 && mlp.arithmeticIntensity < 32);
    assert.equal(byLabel(pts, OPERATOR_LABELS.attention).arithmeticIntensity, 4);
    assert.equal(byLabel(pts, OPERATOR_LABELS.attention).bytes, 32 * 8192 * 4096);
    assert.ok(pts.every((p) => p.bound === 'memory'));
  });

  it('uses the engine KV bytes per token per layer when given (fp8 KV: 2048)', () => {
    const attn = byLabel(decodeOperatorPoints(LLAMA_8B, 4, 1000, 2, 2048, H100), OPERATOR_LABELS.attention);
    assert.equal(attn.bytes, 4 * 1000 * 2048);
    assert.equal(attn.arithmeticIntensity, 8);
  });

  it('MoE: only the distinct experts a batch touches are read', () => {
    // Qwen3-30B-A3B-like layer: 128 experts, 8 per token, expert intermediate 768.
    const moe: DecodeLayerShapes = { ...LLAMA_8B, hidden: 2048, heads: 32, kvHeads: 4, vocab: 151936, intermediate: 6144, experts: 128, expertsPerToken: 8, moeIntermediate: 768 };
    assert.equal(distinctExpertsTouched(128, 8, 1), 8);
    assert.equal(distinctExpertsTouched(128, 8, 0), 0);
    assert.equal(distinctExpertsTouched(128, 128, 3), 128);
    // 128·(1 − (120/128)^64) = 128·(1 − 0.016078) ≈ 125.94
    assert.ok(Math.abs(distinctExpertsTouched(128, 8, 64) - 125.942) < 0.01);
    const one = decodeOperatorPoints(moe, 1, 100, 2, KV_LAYER, H100);
    assert.equal(one.find((p) => p.label === OPERATOR_LABELS.mlp), undefined);
    const e1 = byLabel(one, OPERATOR_LABELS.moe);
    assert.equal(e1.flops, 76_021_760); //           2·1·8·3·2048·768 + 2·1·2048·128 (router)
    assert.equal(e1.bytes, 76_029_952); //           8·3·2048·768·2 + 2048·128·2 + 2·2048·2
    const e64 = byLabel(decodeOperatorPoints(moe, 64, 100, 2, KV_LAYER, H100), OPERATOR_LABELS.moe);
    const touched = 128 * (1 - (1 - 8 / 128) ** 64);
    close(e64.bytes, touched * 3 * 2048 * 768 * 2 + 2048 * 128 * 2 + 2 * 64 * 2048 * 2);
    assert.equal(e64.flops, 64 * 76_021_760);
  });

  it('shards shapes for tensor parallelism (KV heads replicated, not below one)', () => {
    const s = decodeLayerShapesPerRank(LLAMA_8B, 16);
    assert.equal(s.heads, 2);
    assert.equal(s.kvHeads, 1);
    assert.equal(s.intermediate, 896);
    assert.equal(s.vocab, 8016);
    assert.equal(s.hidden, 4096);
    assert.deepEqual(decodeLayerShapesPerRank(LLAMA_8B, 1), LLAMA_8B);
    assert.throws(() => decodeLayerShapesPerRank(LLAMA_8B, 0), RangeError);
    // KV heads per rank are the engine's (`kvHeadsPerRank`): 8 KV heads over 3 ranks hold 2 each.
    assert.equal(decodeLayerShapesPerRank(LLAMA_8B, 3).kvHeads, kvHeadsPerRank(8, 3));
    assert.equal(decodeLayerShapesPerRank(LLAMA_8B, 3).kvHeads, 2);
  });

  it('rejects impossible inputs', () => {
    assert.throws(() => decodeOperatorPoints({ ...LLAMA_8B, hidden: 0 }, 1, 1, 2, KV_LAYER, H100), RangeError);
    assert.throws(() => decodeOperatorPoints(LLAMA_8B, Number.NaN, 1, 2, KV_LAYER, H100), RangeError);
    assert.throws(() => decodeOperatorPoints(LLAMA_8B, 1, -1, 2, KV_LAYER, H100), RangeError);
    assert.throws(() => decodeOperatorPoints(LLAMA_8B, 1, 1, 2, KV_LAYER, { ...H100, bandwidthBytesPerSecond: 0 }), RangeError);
  });
});

