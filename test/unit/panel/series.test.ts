// Chart series of the roofline panel (src/panel/series.ts): the roof as a polyline, log axes, memory bars.
import * as assert from 'node:assert/strict';
import { ridgeFlopsPerByte } from '../../../src/core/roofline';
import { logDomain, memorySegments, powersOfTen, rooflineCurve } from '../../../src/panel/series';

function close(actual: number, expected: number, rel = 1e-12): void {
  assert.ok(Math.abs(actual - expected) <= rel * Math.abs(expected), `${actual} ≉ ${expected}`);
}

describe('panel series: roofline curve', () => {
  it('puts the exact ridge point on the curve', () => {
    const ridge = ridgeFlopsPerByte(989.4e12, 3.35e12);
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

describe('panel series: axes and memory bars', () => {
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
