import * as assert from 'node:assert/strict';
import {
  csvField, csvFromMemory, csvFromPoints, csvFromRows, csvFromThroughput, decodeOperatorPoints, distinctExpertsTouched,
  kvBytesPerTokenPerLayer, type LayerShapes, logDomain, memorySegments, OPERATOR_LABELS, powersOfTen, ridgePoint,
  rooflineCurve, rooflineHardware, rooflinePoint, shardLayerShapes,
} from '../../../src/panel/series';
import type { Accelerator } from '../../../src/core/types';

/** H100 SXM: 3.35 TB/s, 989.4 dense bf16 TFLOP/s, 1978.9 fp8. */
const H100 = { bandwidthBytesPerSecond: 3.35e12, peakFlopsPerSecond: 989.4e12 };

/** Llama-3.1-8B: h=4096, H=32, Hkv=8, d=128, I=14336, V=128256, bf16 weights and KV. */
const LLAMA_8B: LayerShapes = {
  hidden: 4096, heads: 32, kvHeads: 8, headDim: 128, intermediate: 14336, vocab: 128256,
  weightBytesPerParam: 2, kvBytesPerElement: 2,
};

function close(actual: number, expected: number, rel = 1e-12): void {
  assert.ok(Math.abs(actual - expected) <= rel * Math.abs(expected), `${actual} ≉ ${expected}`);
}

function byLabel<T extends { label: string }>(xs: T[], label: string): T {
  const x = xs.find((p) => p.label === label);
  assert.ok(x, `no point labelled ${label}`);
  return x;
}

describe('panel series: roofline curve', () => {
  it('puts the exact ridge point on the curve', () => {
    const ridge = ridgePoint(3.35e12, 989.4e12);
    close(ridge, 295.3432835820896);
    const curve = rooflineCurve(3.35e12, 989.4e12, 0.1, 1e4);
    const r = curve.find((p) => p.intensity === ridge);
    assert.ok(r, 'the ridge intensity is a curve point');
    close(r.flopsPerSecond, 989.4e12);
  });

  it('spans [min, max] on a sorted log grid: slope I·bw below the ridge, flat peak above', () => {
    const curve = rooflineCurve(3.35e12, 989.4e12, 0.1, 1e4, 8);
    assert.equal(curve[0].intensity, 0.1);
    assert.equal(curve[curve.length - 1].intensity, 1e4);
    // 5 decades × 8 per decade + 1 endpoint + the ridge.
    assert.equal(curve.length, 5 * 8 + 1 + 1);
    for (let i = 1; i < curve.length; i++) assert.ok(curve[i].intensity > curve[i - 1].intensity);
    close(curve[0].flopsPerSecond, 0.1 * 3.35e12);
    assert.equal(curve[curve.length - 1].flopsPerSecond, 989.4e12);
    for (const p of curve) close(p.flopsPerSecond, Math.min(989.4e12, p.intensity * 3.35e12));
    // Log grid: equal ratios between neighbours (away from the inserted ridge).
    close(curve[2].intensity / curve[1].intensity, 10 ** (1 / 8), 1e-9);
  });

  it('leaves the ridge out when it is outside the range and rejects nonsense', () => {
    const curve = rooflineCurve(3.35e12, 989.4e12, 1, 100, 4);
    assert.equal(curve.length, 9);
    assert.ok(curve.every((p) => p.flopsPerSecond < 989.4e12));
    assert.throws(() => rooflineCurve(0, 1, 1, 10), RangeError);
    assert.throws(() => rooflineCurve(1, Number.NaN, 1, 10), RangeError);
    assert.throws(() => rooflineCurve(1, 1, 10, 1), RangeError);
    assert.throws(() => rooflineCurve(1, 1, -1, 10), RangeError);
  });
});

describe('panel series: rooflinePoint', () => {
  it('computes intensity, attainable FLOP/s, time and the bound', () => {
    // Decode of Llama-3.1-8B at batch 1, 8192 tokens of context, whole model.
    const p = rooflinePoint('decode', 'decode', 20_355_489_792, 17_134_264_320, H100);
    close(p.arithmeticIntensity, 20_355_489_792 / 17_134_264_320);
    close(p.attainableFlopsPerSecond, p.arithmeticIntensity * 3.35e12);
    close(p.seconds, 17_134_264_320 / 3.35e12);
    assert.equal(p.bound, 'memory');
    const q = rooflinePoint('prefill', 'prefill', 1e15, 1e10, H100);
    assert.equal(q.bound, 'compute');
    assert.equal(q.attainableFlopsPerSecond, 989.4e12);
    close(q.seconds, 1e15 / 989.4e12);
  });
});

describe('panel series: decodeOperatorPoints (one Llama-3.1-8B layer on an H100)', () => {
  it('batch 1, context 8192: hand-computed FLOPs and bytes', () => {
    const pts = decodeOperatorPoints(LLAMA_8B, 1, 8192, 2, undefined, H100);
    assert.deepEqual(pts.map((p) => p.label), [
      OPERATOR_LABELS.qkv, OPERATOR_LABELS.attention, OPERATOR_LABELS.output, OPERATOR_LABELS.mlp, OPERATOR_LABELS.lmHead,
    ]);
    assert.ok(pts.every((p) => p.kind === 'operator'));

    const qkv = byLabel(pts, OPERATOR_LABELS.qkv);
    assert.equal(qkv.flops, 50_331_648); //          2·1·4096·(32+2·8)·128
    assert.equal(qkv.bytes, 50_352_128); //          4096·6144·2 weights + 4096·2 in + 6144·2 out
    close(qkv.arithmeticIntensity, 50_331_648 / 50_352_128);
    assert.equal(qkv.bound, 'memory');

    const attn = byLabel(pts, OPERATOR_LABELS.attention);
    assert.equal(kvBytesPerTokenPerLayer(LLAMA_8B), 4096); // 2·8·128·2
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
    const pts = decodeOperatorPoints(LLAMA_8B, 1, 0, 2, undefined, H100);
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
    const pts = decodeOperatorPoints(LLAMA_8B, 32, 8192, 2, undefined, H100);
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
    const moe: LayerShapes = { ...LLAMA_8B, hidden: 2048, heads: 32, kvHeads: 4, vocab: 151936, intermediate: 6144, experts: 128, expertsPerToken: 8, moeIntermediate: 768 };
    assert.equal(distinctExpertsTouched(128, 8, 1), 8);
    assert.equal(distinctExpertsTouched(128, 8, 0), 0);
    assert.equal(distinctExpertsTouched(128, 128, 3), 128);
    // 128·(1 − (120/128)^64) = 128·(1 − 0.016078) ≈ 125.94
    assert.ok(Math.abs(distinctExpertsTouched(128, 8, 64) - 125.942) < 0.01);
    const one = decodeOperatorPoints(moe, 1, 100, 2, undefined, H100);
    assert.equal(one.find((p) => p.label === OPERATOR_LABELS.mlp), undefined);
    const e1 = byLabel(one, OPERATOR_LABELS.moe);
    assert.equal(e1.flops, 76_021_760); //           2·1·8·3·2048·768 + 2·1·2048·128 (router)
    assert.equal(e1.bytes, 76_029_952); //           8·3·2048·768·2 + 2048·128·2 + 2·2048·2
    const e64 = byLabel(decodeOperatorPoints(moe, 64, 100, 2, undefined, H100), OPERATOR_LABELS.moe);
    const touched = 128 * (1 - (1 - 8 / 128) ** 64);
    close(e64.bytes, touched * 3 * 2048 * 768 * 2 + 2048 * 128 * 2 + 2 * 64 * 2048 * 2);
    assert.equal(e64.flops, 64 * 76_021_760);
  });

  it('shards shapes for tensor parallelism (KV heads replicated, not below one)', () => {
    const s = shardLayerShapes(LLAMA_8B, 16);
    assert.equal(s.heads, 2);
    assert.equal(s.kvHeads, 1);
    assert.equal(s.intermediate, 896);
    assert.equal(s.vocab, 8016);
    assert.equal(s.hidden, 4096);
    assert.deepEqual(shardLayerShapes(LLAMA_8B, 1), LLAMA_8B);
    assert.throws(() => shardLayerShapes(LLAMA_8B, 0), RangeError);
  });

  it('rejects impossible inputs', () => {
    assert.throws(() => decodeOperatorPoints({ ...LLAMA_8B, hidden: 0 }, 1, 1, 2, undefined, H100), RangeError);
    assert.throws(() => decodeOperatorPoints(LLAMA_8B, Number.NaN, 1, 2, undefined, H100), RangeError);
    assert.throws(() => decodeOperatorPoints(LLAMA_8B, 1, -1, 2, undefined, H100), RangeError);
    assert.throws(() => decodeOperatorPoints(LLAMA_8B, 1, 1, 2, undefined, { ...H100, bandwidthBytesPerSecond: 0 }), RangeError);
  });
});

describe('panel series: hardware and axes', () => {
  it('reads roofline figures from a catalog accelerator', () => {
    const acc = {
      id: 'h100-sxm', name: 'NVIDIA H100 SXM 80GB', vendor: 'nvidia', memoryBytes: 80e9, visibleMemoryGiB: 79.19,
      memoryBandwidthBytesPerSecond: 3.35e12, flopsPerSecond: { bf16: 989.4e12, fp16: 989.4e12, fp8: 1978.9e12 },
      interconnect: { kind: 'nvlink', bandwidthBytesPerSecond: 900e9 }, aliases: [], source: 'datasheet',
    } satisfies Accelerator;
    assert.deepEqual(rooflineHardware(acc), { peakFlopsPerSecond: 989.4e12, bandwidthBytesPerSecond: 3.35e12 });
    assert.equal(rooflineHardware(acc, 'fp8')?.peakFlopsPerSecond, 1978.9e12);
    assert.equal(rooflineHardware(acc, 'nvfp4')?.peakFlopsPerSecond, 989.4e12, 'no fp4 path: falls back to bf16');
  });

  it('log domains snap to powers of ten', () => {
    assert.deepEqual(logDomain([1.19, 295.3, 1031]), [1, 10_000]);
    assert.deepEqual(logDomain([1000]), [1000, 10_000]);
    assert.deepEqual(logDomain([0.35, 3]), [0.1, 10]);
    assert.deepEqual(logDomain([0, -1, Number.NaN]), [0.1, 1000]);
    assert.deepEqual(powersOfTen(0.1, 1000), [0.1, 1, 10, 100, 1000]);
    assert.deepEqual(powersOfTen(2, 900), [10, 100]);
    assert.deepEqual(powersOfTen(0, 10), []);
  });

  it('memory segments stack from weights to free and end at the total', () => {
    const memory = { weightsBytes: 10, activationBytes: 2, reserveBytes: 3, kvCacheBytes: 70, freeBytes: 15, totalBytes: 100 };
    const segs = memorySegments([{ gpuName: 'G', memory }]);
    assert.deepEqual(segs.map((s) => s.key), ['weightsBytes', 'activationBytes', 'reserveBytes', 'kvCacheBytes', 'freeBytes']);
    assert.deepEqual(segs.map((s) => s.start), [0, 10, 12, 15, 85]);
    assert.equal(segs[segs.length - 1].end, 100);
  });
});

describe('panel series: CSV', () => {
  it('writes a header and one quoted row per point', () => {
    const p = rooflinePoint('decode, "batch" 1', 'decode', 2e10, 1.7e10, H100);
    const csv = csvFromPoints([{ ...p, gpu: 'NVIDIA H100' }, { ...rooflinePoint('MLP', 'operator', 100, 50, H100) }]);
    const lines = csv.split('\r\n');
    assert.equal(lines[0], 'gpu,label,kind,flops,bytes,arithmetic_intensity_flop_per_byte,attainable_flop_per_second,seconds,bound');
    assert.equal(lines[1], `NVIDIA H100,"decode, ""batch"" 1",decode,20000000000,17000000000,${2e10 / 1.7e10},${(2e10 / 1.7e10) * 3.35e12},${1.7e10 / 3.35e12},memory`);
    assert.equal(lines[2], `,MLP,operator,100,50,2,${2 * 3.35e12},${50 / 3.35e12},memory`);
    assert.equal(lines[3], '');
    assert.equal(lines.length, 4);
  });

  it('quotes separators and line breaks, defuses formulas, blanks non-finite numbers', () => {
    assert.equal(csvField('a,b'), '"a,b"');
    assert.equal(csvField('line\nbreak'), '"line\nbreak"');
    assert.equal(csvField('say "hi"'), '"say ""hi"""');
    assert.equal(csvField('=HYPERLINK("x")'), `"'=HYPERLINK(""x"")"`);
    assert.equal(csvField('@sum'), "'@sum");
    assert.equal(csvField(-3), '-3');
    assert.equal(csvField(Number.NaN), '');
    assert.equal(csvField(undefined), '');
    assert.equal(csvFromRows(['a', 'b'], [[1, 'x'], [2, 'y,z']]), 'a,b\r\n1,x\r\n2,"y,z"\r\n');
  });

  it('writes throughput and memory tables', () => {
    const g = {
      gpuName: 'G', maxConcurrency: 54.33,
      throughput: [{ batch: 1, tokensPerSecondPerRequest: 195.5, tokensPerSecondTotal: 195.5, expectedTokensPerSecondTotal: 150, expectedLowTotal: 140, expectedHighTotal: 160 }],
      memory: { weightsBytes: 1, activationBytes: 2, reserveBytes: 3, kvCacheBytes: 4, freeBytes: 5, totalBytes: 15 },
    };
    assert.equal(csvFromThroughput([g]), 'gpu,batch,ceiling_tokens_per_second_per_request,ceiling_tokens_per_second_total,expected_tokens_per_second_total,expected_low_total,expected_high_total,max_concurrency\r\nG,1,195.5,195.5,150,140,160,54.33\r\n');
    assert.equal(csvFromMemory([g]), 'gpu,weights_bytes,activation_bytes,reserve_bytes,kv_cache_bytes,free_bytes,total_bytes\r\nG,1,2,3,4,5,15\r\n');
  });
});
