import * as assert from 'assert';
import { bytes, fixed, formatFlops, formatInt, formatParams, formatRate, seconds, si } from '../../../src/core/units';

describe('units', () => {
  it('formats the figures shown to users', () => {
    assert.strictEqual(bytes(16 * 1024 ** 3), '16.00 GiB');
    assert.strictEqual(bytes(131072), '128.00 KiB');
    assert.strictEqual(bytes(512), '512 B');
    assert.strictEqual(formatInt(131072), '131,072');
    assert.strictEqual(formatParams(8_030_261_248), '8.03 B');
    assert.strictEqual(formatRate(209.4), '209 tok/s');
    assert.strictEqual(formatRate(9.44), '9.44 tok/s');
    assert.strictEqual(seconds(0.0158), '15.8 ms');
    assert.strictEqual(si(1.5643e13, 'FLOP'), '15.6 TFLOP');
    assert.strictEqual(formatFlops(989.4e12), '989 TFLOP');
    assert.strictEqual(fixed(295.34), '295');
    assert.strictEqual(bytes(NaN), '—');
  });
});
