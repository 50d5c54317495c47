// The GPU hover without a model: the accelerator's own figures, checked against its catalog entry here.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { findAccelerator } from '../../../src/core/hardware';
import type { Accelerator } from '../../../src/core/types';
import { gpuHoverMarkdown } from '../../../src/editor/gpuHover';

const ROOT = path.resolve(__dirname, '../../../..');
const catalog = JSON.parse(fs.readFileSync(path.join(ROOT, 'src', 'core', 'hardware-catalog.json'), 'utf8')) as { accelerators?: Accelerator[] } | Accelerator[];
const entries: Accelerator[] = Array.isArray(catalog) ? catalog : catalog.accelerators ?? [];

/** The catalog entry as written in the JSON file (not through the code under test). */
function entry(id: string): Accelerator {
  const e = entries.find((a) => a.id === id);
  assert.ok(e, `${id} in hardware-catalog.json`);
  return e!;
}

/** Markdown with its backslash escapes removed, as people read it. */
const plain = (s: string) => s.replace(/\\(.)/g, '$1');

describe('GPU hover without a model', () => {
  it('H100 SXM: visible GiB, bandwidth, dense FLOP/s per dtype, FP8 yes / FP4 no, NVSwitch', () => {
    const found = findAccelerator('nvidia.com/gpu.product=NVIDIA-H100-80GB-HBM3'.split('=')[1]);
    assert.ok(found.ok);
    const e = entry(found.accelerator.id);
    const text = plain(gpuHoverMarkdown(found.accelerator, 4, 'Not sized: model "acme/x" was not found.'));
    assert.ok(text.includes(`4× ${e.name}`), text);
    assert.ok(text.includes(`${e.visibleMemoryGiB} GiB visible per GPU`), text);
    const total = e.visibleMemoryGiB * 4;
    assert.ok(text.includes(`${Number.isInteger(total) ? total : total.toFixed(2)} GiB on 4 GPUs`), text);
    assert.ok(text.includes(`${Math.round(e.memoryBandwidthBytesPerSecond / 1e9).toLocaleString('en-US')} GB/s per GPU`), text);
    const bf16T = Number((e.flopsPerSecond.bf16! / 1e12).toPrecision(3));
    assert.ok(text.includes(`BF16 ${bf16T} TFLOP/s`), text);
    const fp8T = Number((e.flopsPerSecond.fp8! / 1e12).toPrecision(3));
    assert.ok(text.includes(`FP8 ${fp8T >= 999.5 ? Number((e.flopsPerSecond.fp8! / 1e15).toPrecision(3)) + ' PFLOP/s' : fp8T + ' TFLOP/s'}`), text);
    assert.match(text, /FP8 yes · FP4 no/);
    assert.match(text, /NVSwitch/);
    assert.ok(text.includes(`${Math.round(e.interconnect.bandwidthBytesPerSecond / 1e9).toLocaleString('en-US')} GB/s`), text);
    assert.match(text, /was not found/);
  });

  it('a GPU without FP8 says so, and lists only the dtypes it has', () => {
    const e = entries.find((a) => !a.flopsPerSecond.fp8 && a.flopsPerSecond.fp16);
    assert.ok(e);
    const text = plain(gpuHoverMarkdown(e!, 1));
    assert.match(text, /FP8 no · FP4 no/);
    assert.ok(!/\bFP8 \d/.test(text), text);
    assert.ok(!text.includes(' on 1 GPUs'));
  });

  it('a Blackwell GPU with FP4', () => {
    const e = entries.find((a) => (a.flopsPerSecond.fp4 ?? 0) > 0);
    assert.ok(e);
    assert.match(plain(gpuHoverMarkdown(e!, 8)), /FP8 yes · FP4 yes/);
  });
});
