// CSV exports of the roofline panel (src/panel/csv.ts).
import * as assert from 'node:assert/strict';
import { rooflinePointOf } from '../../../src/core/roofline';
import { csvField, csvFromMemory, csvFromPoints, csvFromRows, csvFromThroughput } from '../../../src/panel/csv';

/** H100 SXM: 3.35 TB/s, 989.4 dense bf16 TFLOP/s. */
const H100 = { bandwidthBytesPerSecond: 3.35e12, peakFlopsPerSecond: 989.4e12 };

describe('panel CSV exports', () => {
  it('writes a header and one quoted row per point', () => {
    const p = { ...rooflinePointOf('decode, "batch" 1', 2e10, 1.7e10, H100), kind: 'decode' };
    const csv = csvFromPoints([{ ...p, gpu: 'NVIDIA H100' }, { ...rooflinePointOf('MLP', 100, 50, H100), kind: 'operator' }]);
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
