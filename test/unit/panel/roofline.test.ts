// The one roofline / operator model in src/core (src/core/roofline.ts, the per-operator decode model of
// src/core/throughput.ts) that the engine's report and the roofline panel both read.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { findAccelerator } from '../../../src/core/hardware';
import { normalizeConfig } from '../../../src/core/normalize';
import { arithmeticIntensityFlopsPerByte, attainableFlopsPerSecond, boundRegime, ridgeFlopsPerByte, rooflinePointOf } from '../../../src/core/roofline';
import {
  DECODE_OPERATOR_LABELS as OPERATOR_LABELS, type DecodeInputs, decodeOperators, decodeStep, distinctExpertsTouched, operatorBytes,
  operatorRooflinePoints, operatorTableSums,
} from '../../../src/core/throughput';
import { ROOT } from './helpers';

/** H100 SXM: 3.35 TB/s, 989.4 dense bf16 TFLOP/s, 1978.9 fp8. */
const H100 = { bandwidthBytesPerSecond: 3.35e12, peakFlopsPerSecond: 989.4e12 };

/** KV bytes one token holds in one Llama-3.1-8B layer, bf16: K and V, 8 heads of 128. */
const KV_LAYER = 2 * 8 * 128 * 2;

/** The engine's decode inputs for a config of examples/models in bf16 on an H100 SXM at tensor parallelism `tp`. */
function inputsOf(folder: string, tp = 1): DecodeInputs {
  const config = JSON.parse(fs.readFileSync(path.join(ROOT, 'examples', 'models', folder, 'config.json'), 'utf8'));
  const r = normalizeConfig(config);
  assert.ok(r.ok);
  const acc = findAccelerator('h100-sxm');
  assert.ok(acc.ok);
  return { model: r.model, plan: { baseDtypeBytes: 2 }, acc: acc.accelerator, par: { tp, pp: 1 }, kvBytes: 2, stateDtypeBytes: 2, compute: 'bf16' };
}

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

describe('core decodeOperators (Llama-3.1-8B on an H100, bf16)', () => {
  const LLAMA = inputsOf('Llama-3.1-8B');

  it('batch 1, context 8192: each layer and the outside weights, hand-computed from h=4096, H=32, Hkv=8, d=128, I=14336, V=128256', () => {
    const b = decodeOperators(LLAMA, 1, 8192);
    assert.equal(b.layers.length, 32);
    for (const layer of b.layers) {
      // QKV 4096·6144·2 bytes, with the layer's two RMSNorm weights (2·4096·2): 2 FLOPs per matrix weight.
      assert.deepEqual(layer.qkv, { weightBytes: 4096 * 6144 * 2 + 2 * 4096 * 2, cacheBytes: 0, flops: 2 * 4096 * 6144 });
      // KV read: 8192 tokens · 4096 bytes; QKᵀ and PV: 4·8192·32·128.
      assert.deepEqual(layer.attention, { weightBytes: 0, cacheBytes: 8192 * KV_LAYER, flops: 134_217_728 });
      assert.deepEqual(layer.output, { weightBytes: 33_554_432, cacheBytes: 0, flops: 33_554_432 }); // 4096·4096·2, 2·4096·4096
      assert.deepEqual(layer.mlp, { weightBytes: 352_321_536, cacheBytes: 0, flops: 352_321_536 }); // 3·4096·14336·2
      for (const none of [layer.moe, layer.lmHead, layer.embedding, layer.recurrentState]) assert.equal(operatorBytes(none) + none.flops, 0);
    }
    // One embedding row per sequence (4096·2); the LM head 4096·128256·2 with the final norm (4096·2).
    close(b.outside.embedding.weightBytes, 8192);
    assert.equal(b.outside.embedding.flops, 0);
    assert.deepEqual(b.outside.lmHead, { weightBytes: 1_050_673_152 + 8192, cacheBytes: 0, flops: 2 * 4096 * 128256 });
    // 8,030,261,248 parameters in bf16, less the embedding table but one row, plus the KV of 32 layers.
    const sums = operatorTableSums(b.total);
    close(sums.weightBytes, 2 * (8_030_261_248 - 128256 * 4096) + 8192);
    assert.equal(sums.cacheBytes, 32 * 8192 * KV_LAYER);
    const step = decodeStep(LLAMA, 1, 8192);
    close(sums.bytes, step.bytes);
    close(sums.flops, step.flops);
  });

  it('points: the whole model on the roof, intensity and time of one rank, FLOPs and bytes of all ranks', () => {
    const pts = operatorRooflinePoints(decodeOperators(LLAMA, 1, 8192).total, H100);
    assert.deepEqual(pts.map((p) => p.label), [
      OPERATOR_LABELS.embedding, OPERATOR_LABELS.qkv, OPERATOR_LABELS.attention, OPERATOR_LABELS.output, OPERATOR_LABELS.mlp, OPERATOR_LABELS.lmHead,
    ]);
    const attn = byLabel(pts, OPERATOR_LABELS.attention);
    assert.equal(attn.flops, 32 * 134_217_728);
    assert.equal(attn.bytes, 32 * 33_554_432);
    assert.equal(attn.arithmeticIntensity, 4, 'GQA 32/8 over bf16 KV');
    close(attn.seconds, 32 * 33_554_432 / 3.35e12);
    assert.equal(byLabel(pts, OPERATOR_LABELS.embedding).arithmeticIntensity, 0, 'a row read is no matmul');
    for (const p of pts) {
      close(p.seconds, Math.max(p.flops / 989.4e12, p.bytes / 3.35e12));
      close(p.attainableFlopsPerSecond, Math.min(989.4e12, p.arithmeticIntensity * 3.35e12));
      assert.equal(p.bound, 'memory');
    }
    const eight = operatorRooflinePoints(decodeOperators(inputsOf('Llama-3.1-8B', 8), 1, 8192).total, H100, 8);
    const mlp1 = byLabel(pts, OPERATOR_LABELS.mlp);
    const mlp8 = byLabel(eight, OPERATOR_LABELS.mlp);
    assert.equal(mlp8.flops, mlp1.flops, 'eight ranks do the FLOPs of one');
    close(mlp8.seconds, mlp1.seconds / 8);
    assert.deepEqual(operatorRooflinePoints(decodeOperators(LLAMA, 1, 8192).total, { ...H100, bandwidthBytesPerSecond: 0 }), [], 'no roof, no points');
  });

  it('batch 32: weights read once, intensity ≈ B for the GEMMs, attention stays at 4 (context 0: no KV point)', () => {
    const t = decodeOperators(LLAMA, 32, 8192).total;
    assert.equal(t.mlp.flops, 32 * 11_274_289_152); //  32 layers · 2·32·3·4096·14336
    assert.equal(t.mlp.weightBytes, 32 * 352_321_536);
    assert.equal(t.attention.cacheBytes, 32 * 32 * 8192 * 4096);
    close(t.embedding.weightBytes, 32 * 8192); // one row per sequence
    const pts = operatorRooflinePoints(t, H100);
    assert.equal(byLabel(pts, OPERATOR_LABELS.mlp).arithmeticIntensity, 32);
    assert.equal(byLabel(pts, OPERATOR_LABELS.attention).arithmeticIntensity, 4);
    const none = operatorRooflinePoints(decodeOperators(LLAMA, 32, 0).total, H100);
    assert.equal(none.find((p) => p.label === OPERATOR_LABELS.attention), undefined);
  });

  it('fp8 KV: the engine\'s 1 byte per element doubles the attention intensity', () => {
    const t = decodeOperators({ ...LLAMA, kvBytes: 1 }, 4, 1000).total;
    assert.equal(t.attention.cacheBytes, 32 * 4 * 1000 * 2048);
    assert.equal(t.attention.flops / t.attention.cacheBytes, 8);
  });

  it('TP 16: KV heads replicated one per rank, the vocabulary split in 64-row padding', () => {
    const b = decodeOperators(inputsOf('Llama-3.1-8B', 16), 1, 1000);
    assert.equal(b.layers[0].attention.cacheBytes, 1000 * 2 * 1 * 128 * 2, 'one of the 8 KV heads on each of 16 ranks');
    assert.equal(b.layers[0].attention.flops, 4 * 1000 * 2 * 128, 'two query heads per rank');
    // 128256 rows are already a multiple of 64: 8016 per rank.
    assert.equal(b.outside.lmHead.weightBytes, 8016 * 4096 * 2 + 4096 * 2);
  });

  it('MoE (Qwen3-30B-A3B): only the distinct experts a batch touches are read, the router always', () => {
    assert.equal(distinctExpertsTouched(128, 8, 1), 8);
    assert.equal(distinctExpertsTouched(128, 8, 0), 0);
    assert.equal(distinctExpertsTouched(128, 128, 3), 128);
    // 128·(1 − (120/128)^64) = 128·(1 − 0.016078) ≈ 125.94
    assert.ok(Math.abs(distinctExpertsTouched(128, 8, 64) - 125.942) < 0.01);
    const q = inputsOf('Qwen3-30B-A3B');
    const one = decodeOperators(q, 1, 100).layers[0];
    assert.equal(operatorBytes(one.mlp), 0, 'no dense MLP');
    // 8 experts of 3·2048·768 plus the router 2048·128, bf16; 2 FLOPs per weight used.
    assert.equal(one.moe.weightBytes, 8 * 3 * 2048 * 768 * 2 + 2048 * 128 * 2);
    assert.equal(one.moe.flops, 2 * 8 * 3 * 2048 * 768 + 2 * 2048 * 128);
    const e64 = decodeOperators(q, 64, 100).layers[0].moe;
    close(e64.weightBytes, (128 * (1 - (1 - 8 / 128) ** 64)) * 3 * 2048 * 768 * 2 + 2048 * 128 * 2, 1e-12);
    close(e64.flops, 64 * one.moe.flops, 1e-12);
  });
});
