import * as assert from 'assert';
import { formatBytes, formatInt, formatParams, formatRate, formatSeconds } from '../../../src/core/units';

describe('units', () => {
  it('formats the figures shown to users', () => {
    assert.strictEqual(formatBytes(16 * 1024 ** 3), '16.00 GiB');
    assert.strictEqual(formatBytes(131072), '128.0 KiB');
    assert.strictEqual(formatInt(131072), '131,072');
    assert.strictEqual(formatParams(8_030_261_248), '8.03 B');
    assert.strictEqual(formatRate(209.4), '209 tok/s');
    assert.strictEqual(formatRate(9.44), '9.4 tok/s');
    assert.strictEqual(formatSeconds(0.0158), '15.8 ms');
    assert.strictEqual(formatBytes(NaN), '—');
  });
});
