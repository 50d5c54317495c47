import * as assert from 'assert';
import Ajv from 'ajv';
import catalog from '../../src/core/hardware-catalog.json';
import schema from '../../schemas/hardware-catalog.schema.json';
import {
  DEFAULT_ACCELERATOR_ID,
  FLOPS_DTYPES,
  findAccelerator,
  getAccelerator,
  listAccelerators,
  normalizeGpuName,
  peakFlops,
  ridgePointFlopsPerByte,
  supportsFp8,
  validateAccelerator,
  validateCatalog,
} from '../../src/core/hardware';
import type { Accelerator, AcceleratorLookup } from '../../src/core/types';

const GIB = 2 ** 30;

function acc(id: string): Accelerator {
  const a = getAccelerator(id);
  assert.ok(a, `catalog has no accelerator "${id}"`);
  return a;
}

function resolve(query: string): string {
  const r = findAccelerator(query);
  assert.ok(r.ok, `"${query}" did not resolve: ${r.ok ? '' : r.message}`);
  return r.accelerator.id;
}

function failure(r: AcceleratorLookup): { message: string; closest: string[] } {
  assert.strictEqual(r.ok, false, `expected a failed lookup, got ${r.ok ? r.accelerator.id : ''}`);
  return r as { ok: false; message: string; closest: string[] };
}

function near(actual: number | undefined, expected: number, rel = 1e-3, what = ''): void {
  assert.ok(actual !== undefined, `${what} is undefined`);
  assert.ok(Math.abs(actual - expected) <= Math.abs(expected) * rel, `${what}: expected ~${expected}, got ${actual}`);
}

describe('hardware catalog: data', () => {
  const all = listAccelerators();

  it('has at least 40 accelerators with unique ids', () => {
    assert.ok(all.length >= 40, `only ${all.length} accelerators`);
    const ids = all.map((a) => a.id);
    assert.strictEqual(new Set(ids).size, ids.length, 'duplicate ids');
  });

  it('validates against the JSON schema (independent ajv compile)', () => {
    const ajv = new Ajv({ allErrors: true, strict: true });
    const validate = ajv.compile(schema);
    const valid = validate(catalog);
    assert.ok(valid, JSON.stringify(validate.errors, null, 2));
    assert.deepStrictEqual(validateCatalog(catalog), []);
  });

  it('every catalog entry passes validateAccelerator unchanged', () => {
    for (const a of all) {
      const r = validateAccelerator(JSON.parse(JSON.stringify(a)));
      assert.ok(r.ok, `${a.id}: ${r.ok ? '' : r.errors.join('; ')}`);
      assert.deepStrictEqual(r.accelerator, a);
    }
  });

  it('no normalised name, id, alias or instance type belongs to two entries', () => {
    const owner = new Map<string, string>();
    for (const a of all) {
      const names = new Set([a.id, a.name, ...a.aliases, ...Object.keys(a.instanceGpuCounts ?? {})].map(normalizeGpuName));
      for (const n of names) {
        assert.ok(n.length > 0, `${a.id} has an empty alias`);
        const prev = owner.get(n);
        assert.ok(prev === undefined, `"${n}" belongs to both ${prev} and ${a.id}`);
        owner.set(n, a.id);
      }
    }
  });

  it('every instance type is also an alias and has a positive integer count', () => {
    for (const a of all) {
      for (const [type, n] of Object.entries(a.instanceGpuCounts ?? {})) {
        assert.ok(a.aliases.includes(type), `${a.id}: instance type ${type} missing from aliases`);
        assert.ok(Number.isInteger(n) && n >= 1, `${a.id}: ${type} count ${n}`);
      }
    }
  });

  it('sanity: bandwidth, flops, memory', () => {
    for (const a of all) {
      const mem = a.memoryBytes / GIB;
      assert.ok(a.memoryBandwidthBytesPerSecond > 1e10, `${a.id}: bandwidth`);
      assert.ok(a.memoryBandwidthBytesPerSecond < 2e13, `${a.id}: bandwidth too large`);
      assert.ok((peakFlops(a, 'bf16') ?? 0) > 0 || (peakFlops(a, 'fp16') ?? 0) > 0, `${a.id}: no bf16/fp16 flops`);
      assert.ok(a.visibleMemoryGiB <= mem, `${a.id}: visible ${a.visibleMemoryGiB} > ${mem} GiB`);
      assert.ok(a.visibleMemoryGiB >= mem * 0.74, `${a.id}: visible ${a.visibleMemoryGiB} implausibly low`);
      assert.ok(Number.isInteger(a.memoryBytes), `${a.id}: memoryBytes not an integer`);
      assert.ok(a.source.length > 10, `${a.id}: no source`);
      assert.ok(a.interconnect.bandwidthBytesPerSecond > 0, `${a.id}: interconnect bandwidth`);
      for (const d of FLOPS_DTYPES) {
        const f = a.flopsPerSecond[d];
        if (f !== undefined) assert.ok(f >= 1e11 && f < 3e16, `${a.id}: ${d} = ${f}`);
      }
      // Dense figures: bf16 never exceeds fp8, fp8 never exceeds fp4.
      const bf16 = peakFlops(a, 'bf16');
      const fp8 = peakFlops(a, 'fp8');
      const fp4 = peakFlops(a, 'fp4');
      if (bf16 && fp8) assert.ok(fp8 >= bf16, `${a.id}: fp8 < bf16`);
      if (fp8 && fp4) assert.ok(fp4 >= fp8, `${a.id}: fp4 < fp8`);
      if (a.vendor === 'apple') {
        near(a.visibleMemoryGiB, mem * 0.75, 0.01, `${a.id} visible = 75%`);
        assert.strictEqual(a.interconnect.kind, 'unified');
      }
    }
  });

  it('covers the products the engine is asked about', () => {
    const ids = [
      'v100-sxm2-16gb', 'v100-sxm2-32gb', 'v100-pcie-16gb', 'v100-pcie-32gb', 't4', 'a10', 'a10g', 'a30', 'a40',
      'a100-pcie-40gb', 'a100-sxm-40gb', 'a100-pcie-80gb', 'a100-sxm-80gb', 'l4', 'l40', 'l40s', 'h100-pcie',
      'h100-sxm', 'h100-nvl', 'h20', 'h200', 'b200', 'b300', 'gb200', 'gb10', 'jetson-agx-orin-64gb', 'p40',
      'rtx-a6000', 'rtx-6000-ada', 'rtx-5000-ada', 'rtx-4000-ada', 'rtx-pro-6000-blackwell', 'rtx-3060', 'rtx-3070',
      'rtx-3080', 'rtx-3080-ti', 'rtx-3090', 'rtx-3090-ti', 'rtx-4070-ti', 'rtx-4080', 'rtx-4090', 'rtx-5080',
      'rtx-5090', 'mi210', 'mi250x', 'mi300x', 'mi325x', 'mi355x', 'gaudi2', 'gaudi3', 'tpu-v5e', 'tpu-v5p',
      'tpu-v6e', 'apple-m1', 'apple-m1-pro', 'apple-m1-max-24c', 'apple-m1-max-32c', 'apple-m1-ultra-48c',
      'apple-m1-ultra-64c', 'apple-m2', 'apple-m2-pro', 'apple-m2-max-30c', 'apple-m2-max-38c', 'apple-m2-ultra-60c',
      'apple-m2-ultra-76c', 'apple-m3', 'apple-m3-pro', 'apple-m3-max-30c', 'apple-m3-max-40c', 'apple-m3-ultra-60c',
      'apple-m3-ultra-80c', 'apple-m4', 'apple-m4-pro', 'apple-m4-max-32c', 'apple-m4-max-40c', 'apple-m5-max-40c',
    ];
    for (const id of ids) acc(id);
    assert.strictEqual(acc(DEFAULT_ACCELERATOR_ID).id, 'h100-sxm');
  });
});

describe('hardware catalog: datasheet figures', () => {
  it('H100 SXM', () => {
    const h = acc('h100-sxm');
    assert.strictEqual(h.memoryBandwidthBytesPerSecond, 3.35e12);
    near(peakFlops(h, 'bf16'), 989.4e12, 1e-6, 'bf16');
    near(peakFlops(h, 'fp16'), 989.4e12, 1e-6, 'fp16');
    near(peakFlops(h, 'fp8'), 1978.9e12, 1e-6, 'fp8');
    near(peakFlops(h, 'tf32'), 494.7e12, 1e-6, 'tf32');
    near(peakFlops(h, 'fp32'), 67e12, 1e-6, 'fp32');
    assert.strictEqual(h.memoryBytes, 80 * GIB);
    assert.strictEqual(h.visibleMemoryGiB, 79.19);
    // HGX H100 boards link all eight GPUs through NVSwitch; Hopper is compute capability 9.0.
    assert.strictEqual(h.interconnect.kind, 'nvswitch');
    assert.strictEqual(h.computeCapability, '9.0');
    assert.strictEqual(h.interconnect.bandwidthBytesPerSecond, 900e9);
    assert.strictEqual(peakFlops(h, 'fp4'), undefined);
  });

  it('A100 80GB SXM and PCIe, 40GB', () => {
    const a = acc('a100-sxm-80gb');
    assert.strictEqual(a.memoryBandwidthBytesPerSecond, 2.039e12);
    assert.strictEqual(peakFlops(a, 'bf16'), 312e12);
    assert.strictEqual(peakFlops(a, 'tf32'), 156e12);
    assert.strictEqual(peakFlops(a, 'fp32'), 19.5e12);
    assert.strictEqual(peakFlops(a, 'int8'), 624e12);
    assert.strictEqual(a.visibleMemoryGiB, 79.15);
    assert.strictEqual(acc('a100-pcie-80gb').memoryBandwidthBytesPerSecond, 1.935e12);
    assert.strictEqual(acc('a100-sxm-40gb').memoryBandwidthBytesPerSecond, 1.555e12);
    assert.strictEqual(acc('a100-sxm-40gb').visibleMemoryGiB, 39.38);
    assert.strictEqual(acc('a100-pcie-40gb').memoryBytes, 40 * GIB);
  });

  it('ridge points: A100 bf16 ~153, H100 SXM bf16 ~295', () => {
    near(ridgePointFlopsPerByte(acc('a100-sxm-80gb'), 'bf16'), 312 / 2.039, 1e-9, 'A100');
    assert.ok(Math.abs(ridgePointFlopsPerByte(acc('a100-sxm-80gb'), 'bf16')! - 153) < 0.5);
    assert.ok(Math.abs(ridgePointFlopsPerByte(acc('h100-sxm'), 'bf16')! - 295) < 1);
    assert.strictEqual(ridgePointFlopsPerByte(acc('a100-sxm-80gb'), 'fp8'), undefined);
    assert.strictEqual(ridgePointFlopsPerByte(acc('v100-sxm2-32gb'), 'bf16'), undefined);
  });

  it('known visible-memory figures', () => {
    const known: Record<string, number> = {
      'h100-sxm': 79.19, 'h100-pcie': 79.19, 'a100-sxm-40gb': 39.38, 'a100-pcie-40gb': 39.38, 'a100-sxm-80gb': 79.15,
      'a100-pcie-80gb': 79.15, 'rtx-3090': 23.58, 'rtx-4090': 23.55, h200: 139.8, l4: 22.06, a10g: 22.06, t4: 14.58,
      l40s: 44.39, 'rtx-a6000': 47.53, 'v100-sxm2-32gb': 31.74,
    };
    for (const [id, gib] of Object.entries(known)) assert.strictEqual(acc(id).visibleMemoryGiB, gib, id);
  });

  it('other datasheet figures', () => {
    const bw: Record<string, number> = {
      h200: 4.8e12, 'h100-pcie': 2.0e12, 'h100-nvl': 3.9e12, l4: 300e9, l40s: 864e9, t4: 320e9, a10g: 600e9,
      'v100-sxm2-32gb': 900e9, p40: 347e9, gb10: 273e9, 'jetson-agx-orin-64gb': 204.8e9, 'rtx-pro-6000-blackwell': 1792e9,
      'rtx-3090': 936e9, 'rtx-3060-ti': 448e9, 'rtx-4090': 1008e9, 'rtx-5090': 1792e9, 'rtx-a6000': 768e9, 'rtx-6000-ada': 960e9,
      mi300x: 5.3e12, mi325x: 6e12, mi355x: 8e12, b200: 8e12, gaudi3: 3.7e12, 'tpu-v5e': 819e9, 'tpu-v5p': 2765e9,
      'tpu-v6e': 1640e9,
      'apple-m1': 68.25e9, 'apple-m1-max-32c': 409.6e9, 'apple-m1-max-24c': 409.6e9, 'apple-m1-ultra-64c': 819.2e9,
      'apple-m2-max-30c': 409.6e9, 'apple-m2-ultra-76c': 819.2e9, 'apple-m3-max-30c': 307.2e9,
      'apple-m3-max-40c': 409.6e9, 'apple-m3-ultra-80c': 819.2e9, 'apple-m4': 120e9, 'apple-m4-pro': 273e9,
      'apple-m4-max-32c': 409.6e9, 'apple-m4-max-40c': 546e9, 'apple-m5-max-40c': 614.4e9,
    };
    for (const [id, b] of Object.entries(bw)) near(acc(id).memoryBandwidthBytesPerSecond, b, 1e-9, `${id} bandwidth`);
    const mem: Record<string, number> = {
      p40: 24, gb10: 128, 'jetson-agx-orin-64gb': 64, 'rtx-pro-6000-blackwell': 96, 'rtx-5000-ada': 32,
      'rtx-4000-ada': 20, 'rtx-3060': 12, 'rtx-3060-ti': 8, h200: 141, 'h100-nvl': 94, mi300x: 192, mi355x: 288, 'apple-m2-ultra-76c': 192,
      'apple-m3-ultra-80c': 512,
    };
    for (const [id, g] of Object.entries(mem)) assert.strictEqual(acc(id).memoryBytes, g * GIB, `${id} memory`);
    assert.strictEqual(peakFlops(acc('l4'), 'bf16'), 121e12);
    assert.strictEqual(peakFlops(acc('l40s'), 'fp8'), 733e12);
    near(peakFlops(acc('mi300x'), 'bf16'), 1307.4e12, 1e-6, 'MI300X bf16');
    near(peakFlops(acc('rtx-4090'), 'bf16'), 165.2e12, 1e-3, '4090 bf16 (fp32 accumulate)');
    near(peakFlops(acc('rtx-3090'), 'bf16'), 71e12, 3e-3, '3090 bf16 (fp32 accumulate)');
    assert.strictEqual(peakFlops(acc('b200'), 'fp4'), 9e15);
    near(peakFlops(acc('mi355x'), 'fp4'), 10.07e15, 1e-3, 'MI355X fp4');
  });

  it('fp8 and fp4 only where the hardware has them', () => {
    for (const id of ['h100-sxm', 'h100-pcie', 'h200', 'l4', 'l40s', 'rtx-4090', 'rtx-6000-ada', 'mi300x', 'gaudi2', 'b200', 'gb10']) {
      assert.ok(supportsFp8(acc(id)), `${id} should support fp8`);
    }
    for (const id of ['a100-sxm-80gb', 'a10g', 't4', 'v100-sxm2-32gb', 'rtx-3090', 'rtx-a6000', 'mi250x', 'tpu-v5e', 'apple-m2-ultra-76c']) {
      assert.ok(!supportsFp8(acc(id)), `${id} should not support fp8`);
    }
    for (const id of ['b200', 'b300', 'gb200', 'mi355x', 'rtx-5090', 'rtx-pro-6000-blackwell']) {
      assert.ok(peakFlops(acc(id), 'fp4')! > 0, `${id} fp4`);
    }
    for (const a of listAccelerators()) {
      if (peakFlops(a, 'fp4') !== undefined) assert.ok(['nvidia', 'amd'].includes(a.vendor), a.id);
    }
    assert.strictEqual(peakFlops(acc('v100-sxm2-32gb'), 'bf16'), undefined);
    assert.strictEqual(peakFlops(acc('t4'), 'bf16'), undefined);
  });
});

describe('hardware catalog: lookup', () => {
  it('resolves the benchmark names', () => {
    const expected: Record<string, string> = {
      '3070 8GB': 'rtx-3070',
      '3080 10GB': 'rtx-3080',
      '3080 Ti 12GB': 'rtx-3080-ti',
      '4070 Ti 12GB': 'rtx-4070-ti',
      '4080 16GB': 'rtx-4080',
      '3090 24GB': 'rtx-3090',
      '4090 24GB': 'rtx-4090',
      'RTX A6000 48GB': 'rtx-a6000',
      'RTX 6000 Ada 48GB': 'rtx-6000-ada',
      'A40 48GB': 'a40',
      'L40S 48GB': 'l40s',
      'A100 PCIe 80GB': 'a100-pcie-80gb',
      'A100 SXM 80GB': 'a100-sxm-80gb',
      'H100 PCIe 80GB': 'h100-pcie',
      'NVIDIA RTX 4090': 'rtx-4090',
      'RTX 4000 Ada 20GB': 'rtx-4000-ada',
      'RTX 5000 Ada 32GB': 'rtx-5000-ada',
      'NVIDIA RTX 3090 Ti': 'rtx-3090-ti',
      'NVIDIA DGX Spark (GB10, 128GB LPDDR5x unified)': 'gb10',
      'NVIDIA DGX Spark (GB10)': 'gb10',
      'M2 Ultra 76-Core GPU 192GB': 'apple-m2-ultra-76c',
      'Apple M2 Ultra': 'apple-m2-ultra-76c',
      'NVIDIA H100 80GB': 'h100-sxm',
      'NVIDIA A100-80GB': 'a100-sxm-80gb',
      'M1 Max 32-Core GPU 64GB': 'apple-m1-max-32c',
      'M3 Max 40-Core GPU 64GB': 'apple-m3-max-40c',
      'Apple M2 Ultra (76-core GPU)': 'apple-m2-ultra-76c',
      'NVIDIA RTX 3090': 'rtx-3090',
      'Apple M2 Pro Mac mini (19-core GPU, 32GB)': 'apple-m2-pro',
      'M1 7-Core GPU 8GB': 'apple-m1',
      'Apple M2 Max (30-core GPU)': 'apple-m2-max-30c',
      'NVIDIA Tesla P40': 'p40',
      'NVIDIA RTX PRO 6000 Blackwell': 'rtx-pro-6000-blackwell',
      'NVIDIA RTX 5090': 'rtx-5090',
      'NVIDIA H100': 'h100-sxm',
      'NVIDIA RTX 5080': 'rtx-5080',
      'NVIDIA A100': 'a100-sxm-80gb',
      'NVIDIA RTX 3060': 'rtx-3060',
      'NVIDIA Jetson AGX Orin': 'jetson-agx-orin-64gb',
      'Apple M1 Ultra': 'apple-m1-ultra-64c',
      'Apple M3 Ultra': 'apple-m3-ultra-80c',
      'Apple M4 Pro': 'apple-m4-pro',
      'Apple M4 Max': 'apple-m4-max-40c',
      'Apple M5 Max (Metal only, Mar 2026)': 'apple-m5-max-40c',
      'Apple M1 (7-core GPU, 8GB)': 'apple-m1',
      'Apple M1 Max (64GB)': 'apple-m1-max-32c',
      'Apple M4 Mac mini (10-core, 16GB)': 'apple-m4',
      'Apple M1 Ultra (64-core GPU, 128GB)': 'apple-m1-ultra-64c',
    };
    const wrong: string[] = [];
    for (const [q, id] of Object.entries(expected)) {
      const r = findAccelerator(q);
      if (!r.ok || r.accelerator.id !== id) wrong.push(`${q} -> ${r.ok ? r.accelerator.id : r.message} (want ${id})`);
    }
    assert.deepStrictEqual(wrong, []);
    // The bandwidth the conventions pick.
    assert.strictEqual(findAccelerator('Apple M4 Max').ok && (findAccelerator('Apple M4 Max') as { accelerator: Accelerator }).accelerator.memoryBandwidthBytesPerSecond, 546e9);
  });

  it('resolves short forms', () => {
    const expected: Record<string, string> = {
      H100: 'h100-sxm', 'h100-sxm': 'h100-sxm', 'H100 SXM': 'h100-sxm', A100: 'a100-sxm-80gb', '4090': 'rtx-4090',
      'RTX 4090': 'rtx-4090', '3090': 'rtx-3090', 'M2 Ultra 76-core': 'apple-m2-ultra-76c',
      'M2 Ultra 76-Core GPU': 'apple-m2-ultra-76c', MI300X: 'mi300x', 'Gaudi 3': 'gaudi3', v5e: 'tpu-v5e',
      'TPU v6e': 'tpu-v6e', 'rtx4090': 'rtx-4090', 'h100 sxm5 80gb hbm3': 'h100-sxm', 'NVIDIA GeForce RTX 4090 24 GB': 'rtx-4090',
      'H100 NVL': 'h100-nvl', H200: 'h200', 'H200 NVL': 'h200-nvl', L40: 'l40', L40S: 'l40s', A10: 'a10', A10G: 'a10g',
      H20: 'h20', GB200: 'gb200', B200: 'b200', 'RTX 3080': 'rtx-3080', 'M3 Max 30-core': 'apple-m3-max-30c',
      'MacBook Pro M3 Max 40-core GPU': 'apple-m3-max-40c', 'M4 Max 14-core CPU 32-core GPU': 'apple-m4-max-32c',
      'AMD Instinct MI355X': 'mi355x', 'Intel Gaudi 2': 'gaudi2', 'Ｈ１００': 'h100-sxm', 'H100™': 'h100-sxm',
    };
    for (const [q, id] of Object.entries(expected)) assert.strictEqual(resolve(q), id, q);
  });

  it('every id, name and alias resolves to its own entry', () => {
    for (const a of listAccelerators()) {
      for (const name of [a.id, a.name, ...a.aliases]) {
        const r = findAccelerator(name);
        assert.ok(r.ok && r.accelerator.id === a.id, `${name} -> ${r.ok ? r.accelerator.id : r.message} (want ${a.id})`);
      }
    }
  });

  it('resolves nvidia-smi names and Kubernetes product labels', () => {
    const expected: Record<string, string> = {
      'NVIDIA H100 80GB HBM3': 'h100-sxm', 'NVIDIA-H100-80GB-HBM3': 'h100-sxm',
      'NVIDIA A100-SXM4-80GB': 'a100-sxm-80gb', 'NVIDIA-A100-SXM4-80GB': 'a100-sxm-80gb',
      'NVIDIA A100-SXM4-40GB': 'a100-sxm-40gb', 'NVIDIA-A100-SXM4-40GB': 'a100-sxm-40gb',
      'NVIDIA A100 80GB PCIe': 'a100-pcie-80gb', 'NVIDIA-A100-80GB-PCIe': 'a100-pcie-80gb',
      'NVIDIA A100-PCIE-40GB': 'a100-pcie-40gb', 'NVIDIA H100 PCIe': 'h100-pcie', 'NVIDIA-H100-PCIe': 'h100-pcie',
      'NVIDIA H100 NVL': 'h100-nvl', 'NVIDIA L4': 'l4', 'NVIDIA-L4': 'l4', 'NVIDIA A10G': 'a10g', 'NVIDIA-A10G': 'a10g',
      'Tesla T4': 't4', 'Tesla-T4': 't4', 'Tesla V100-SXM2-32GB': 'v100-sxm2-32gb', 'Tesla-V100-SXM2-32GB': 'v100-sxm2-32gb',
      'Tesla V100-SXM2-16GB': 'v100-sxm2-16gb', 'NVIDIA GeForce RTX 4090': 'rtx-4090', 'NVIDIA-GeForce-RTX-4090': 'rtx-4090',
      'NVIDIA H200': 'h200', 'NVIDIA-H200': 'h200', 'NVIDIA B200': 'b200', 'NVIDIA L40S': 'l40s',
      'NVIDIA RTX 6000 Ada Generation': 'rtx-6000-ada', 'NVIDIA RTX A6000': 'rtx-a6000', 'Tesla P40': 'p40',
      // The llama.cpp load logs' card (ground truth): the Ti is its own 8 GB part, the plain 3060 the 12 GB one.
      'NVIDIA GeForce RTX 3060 Ti': 'rtx-3060-ti', 'NVIDIA-GeForce-RTX-3060-Ti': 'rtx-3060-ti', 'NVIDIA GeForce RTX 3060': 'rtx-3060',
    };
    for (const [q, id] of Object.entries(expected)) assert.strictEqual(resolve(q), id, q);
  });

  it('resolves GKE accelerator names', () => {
    const expected: Record<string, string> = {
      'nvidia-tesla-t4': 't4', 'nvidia-l4': 'l4', 'nvidia-tesla-a100': 'a100-sxm-40gb', 'nvidia-a100-80gb': 'a100-sxm-80gb',
      'nvidia-h100-80gb': 'h100-sxm', 'nvidia-h100-mega-80gb': 'h100-sxm', 'nvidia-h200-141gb': 'h200',
      'nvidia-b200': 'b200', 'nvidia-tesla-v100': 'v100-sxm2-16gb', 'tpu-v5-lite-podslice': 'tpu-v5e',
      'tpu-v5p-slice': 'tpu-v5p', 'tpu-v6e-slice': 'tpu-v6e',
    };
    for (const [q, id] of Object.entries(expected)) assert.strictEqual(resolve(q), id, q);
  });

  it('resolves cloud instance types with their GPU counts', () => {
    const expected: Array<[string, string, number]> = [
      ['p4d.24xlarge', 'a100-sxm-40gb', 8], ['p4de.24xlarge', 'a100-sxm-80gb', 8], ['p5.48xlarge', 'h100-sxm', 8],
      ['p5e.48xlarge', 'h200', 8], ['p5en.48xlarge', 'h200', 8], ['g5.xlarge', 'a10g', 1], ['g5.2xlarge', 'a10g', 1],
      ['g5.12xlarge', 'a10g', 4], ['g5.24xlarge', 'a10g', 4], ['g5.48xlarge', 'a10g', 8], ['g6.xlarge', 'l4', 1],
      ['g6.12xlarge', 'l4', 4], ['g6.48xlarge', 'l4', 8], ['g6e.xlarge', 'l40s', 1], ['g6e.48xlarge', 'l40s', 8],
      ['g4dn.xlarge', 't4', 1], ['g4dn.12xlarge', 't4', 4], ['g4dn.metal', 't4', 8], ['p3.2xlarge', 'v100-sxm2-16gb', 1],
      ['p3.16xlarge', 'v100-sxm2-16gb', 8], ['p3dn.24xlarge', 'v100-sxm2-32gb', 8],
      ['a2-highgpu-1g', 'a100-sxm-40gb', 1], ['a2-highgpu-8g', 'a100-sxm-40gb', 8], ['a2-megagpu-16g', 'a100-sxm-40gb', 16],
      ['a2-ultragpu-8g', 'a100-sxm-80gb', 8], ['a3-highgpu-8g', 'h100-sxm', 8], ['g2-standard-4', 'l4', 1],
      ['g2-standard-48', 'l4', 4], ['Standard_ND96asr_v4', 'a100-sxm-40gb', 8],
      ['Standard_ND96amsr_A100_v4', 'a100-sxm-80gb', 8], ['Standard_ND96isr_H100_v5', 'h100-sxm', 8],
      ['Standard_NC24ads_A100_v4', 'a100-pcie-80gb', 1], ['standard_nc24ads_a100_v4', 'a100-pcie-80gb', 1],
      ['ml.p4d.24xlarge', 'a100-sxm-40gb', 8], ['ct5lp-hightpu-8t', 'tpu-v5e', 8],
    ];
    for (const [q, id, n] of expected) {
      const r = findAccelerator(q);
      assert.ok(r.ok, `${q}: ${r.ok ? '' : r.message}`);
      assert.strictEqual(r.accelerator.id, id, q);
      assert.strictEqual(r.impliedGpuCount, n, q);
    }
    // A plain GPU name implies no count; `8x H100` does.
    const plain = findAccelerator('H100');
    assert.ok(plain.ok && plain.impliedGpuCount === undefined);
    const eight = findAccelerator('8x H100');
    assert.ok(eight.ok && eight.accelerator.id === 'h100-sxm' && eight.impliedGpuCount === 8);
    const two = findAccelerator('2 x RTX 4090');
    assert.ok(two.ok && two.accelerator.id === 'rtx-4090' && two.impliedGpuCount === 2);
  });

  it('uses memory sizes to tell parts apart and never against the capacity', () => {
    assert.strictEqual(resolve('A100 40GB'), 'a100-sxm-40gb');
    assert.strictEqual(resolve('A100 80GB'), 'a100-sxm-80gb');
    assert.strictEqual(resolve('NVIDIA A100 40 GB'), 'a100-sxm-40gb');
    assert.strictEqual(resolve('A100 PCIe 40GB'), 'a100-pcie-40gb');
    assert.strictEqual(resolve('NVIDIA A100 40GB PCIe'), 'a100-pcie-40gb');
    assert.strictEqual(resolve('V100 SXM2 32GB'), 'v100-sxm2-32gb');
    assert.strictEqual(resolve('H100 94GB'), 'h100-nvl');
    assert.strictEqual(resolve('M3 Max 40-core 128GB'), 'apple-m3-max-40c');
    for (const q of ['A100 PCIe 24GB', 'RTX 3080 12GB', 'RTX 4090 48GB', 'H100 SXM 40GB', 'M3 Max 30-core 128GB', 'M4 Max 32-core 64GB']) {
      const r = findAccelerator(q);
      assert.ok(!r.ok, `${q} should not resolve, got ${r.ok ? r.accelerator.id : ''}`);
    }
  });

  it('reports ambiguous names with the candidates', () => {
    const cases: Record<string, string[]> = {
      'M3 Max': ['Apple M3 Max (30-core GPU)', 'Apple M3 Max (40-core GPU)'],
      V100: ['NVIDIA Tesla V100 SXM2 16GB', 'NVIDIA Tesla V100 SXM2 32GB', 'NVIDIA Tesla V100 PCIe 16GB', 'NVIDIA Tesla V100 PCIe 32GB'],
      'V100 32GB': ['NVIDIA Tesla V100 SXM2 32GB', 'NVIDIA Tesla V100 PCIe 32GB'],
      'A100 PCIe': ['NVIDIA A100 PCIe 40GB', 'NVIDIA A100 PCIe 80GB'],
      Gaudi: ['Intel Gaudi 2 96GB', 'Intel Gaudi 3 128GB'],
    };
    for (const [q, names] of Object.entries(cases)) {
      const f = failure(findAccelerator(q));
      assert.match(f.message, new RegExp(`^GPU "${q}" is ambiguous: `));
      assert.deepStrictEqual([...f.closest].sort(), [...names].sort(), q);
      for (const n of names) assert.ok(f.message.includes(n), `${q}: message lacks ${n}`);
      // Each candidate name resolves on its own.
      for (const n of names) assert.ok(findAccelerator(n).ok, n);
    }
  });

  it('reports unknown names with close matches', () => {
    const f = failure(findAccelerator('XYZ'));
    assert.match(f.message, /^Unknown GPU "XYZ"\. Closest matches: /);
    assert.ok(f.closest.length >= 3 && f.closest.length <= 5);
    const h300 = failure(findAccelerator('H300'));
    assert.ok(h300.closest.includes('NVIDIA H100 SXM 80GB'), h300.closest.join());
    assert.ok(h300.closest.includes('NVIDIA H200 SXM 141GB'), h300.closest.join());
    const mi = failure(findAccelerator('MI300'));
    assert.strictEqual(mi.closest[0], 'AMD Instinct MI300X 192GB');
    const v5 = failure(findAccelerator('TPU v5'));
    assert.deepStrictEqual(v5.closest.slice(0, 2).sort(), ['Google TPU v5e 16GB', 'Google TPU v5p 95GB']);
    // Different products that share a number with a catalog entry.
    for (const q of ['4070', 'RTX 5070', 'RTX 4090 Laptop GPU', 'RTX 4080 Super', 'Jetson Orin Nano', 'MI250', 'A100 XYZ9000']) {
      const r = findAccelerator(q);
      assert.ok(!r.ok, `${q} should not resolve, got ${r.ok ? r.accelerator.id : ''}`);
      assert.ok(r.closest.length > 0, q);
    }
  });

  it('never throws on garbage', () => {
    const inputs: unknown[] = [
      '', '   ', '\u0000\u0001', '🤖', '💥💥💥', 'ÿ', '\ud800', '(((', '----', 'NVIDIA', 'GPU', '0', '3', '80GB',
      'a'.repeat(10_000), 'H100 '.repeat(2_000), '\u202eH100', 'x', '8x', 'x8', '2026', 'null', '%s%s%n', '../../etc/passwd',
      null, undefined, 42, {}, [],
    ];
    for (const q of inputs) {
      let r: AcceleratorLookup | undefined;
      assert.doesNotThrow(() => {
        r = findAccelerator(q as string);
      }, String(q).slice(0, 20));
      assert.ok(r && typeof r.ok === 'boolean');
      if (r && !r.ok) {
        assert.ok(typeof r.message === 'string' && r.message.length > 0 && r.message.length < 1000);
        assert.ok(Array.isArray(r.closest));
      }
    }
    assert.ok(!findAccelerator('').ok);
    assert.ok(!findAccelerator('a'.repeat(10_000)).ok);
    assert.ok(!findAccelerator('NVIDIA').ok);
    assert.ok(!findAccelerator('80GB').ok);
    assert.ok(!findAccelerator('3').ok);
  });

  it('takes user-defined GPUs into account', () => {
    const custom: Accelerator = {
      id: 'my-gpu', name: 'Acme Tensor 9000', vendor: 'nvidia', memoryBytes: 48 * GIB, visibleMemoryGiB: 47.5,
      memoryBandwidthBytesPerSecond: 1e12, flopsPerSecond: { bf16: 200e12 }, interconnect: { kind: 'pcie', bandwidthBytesPerSecond: 64e9 },
      aliases: ['acme 9000'], source: 'user-defined',
    };
    const list = listAccelerators([custom]);
    assert.strictEqual(list.length, listAccelerators().length + 1);
    assert.ok(!findAccelerator('my-gpu').ok);
    const byId = findAccelerator('my-gpu', [custom]);
    assert.ok(byId.ok && byId.accelerator === custom);
    const r = findAccelerator('Acme 9000', [custom]);
    assert.ok(r.ok && r.accelerator.id === 'my-gpu');
    assert.ok(!findAccelerator('Acme 9000').ok);
    // A custom entry with a built-in id replaces it.
    const faster: Accelerator = { ...acc('h100-sxm'), memoryBandwidthBytesPerSecond: 4e12, aliases: ['H100'] };
    const replaced = listAccelerators([faster]);
    assert.strictEqual(replaced.length, listAccelerators().length);
    const h = findAccelerator('H100', [faster]);
    assert.ok(h.ok && h.accelerator.memoryBandwidthBytesPerSecond === 4e12);
    // The same array, changed, is looked at afresh.
    const extra: Accelerator[] = [custom];
    assert.ok(findAccelerator('Acme 9000', extra).ok);
    extra[0] = { ...custom, id: 'my-gpu-2', name: 'Acme Tensor 9001', aliases: ['acme 9001'] };
    assert.ok(!findAccelerator('Acme 9000', extra).ok);
    const again = findAccelerator('Acme 9001', extra);
    assert.ok(again.ok && again.accelerator.id === 'my-gpu-2');
    // The built-in catalog is not modified.
    assert.strictEqual(acc('h100-sxm').memoryBandwidthBytesPerSecond, 3.35e12);
  });
});

describe('hardware catalog: validateAccelerator', () => {
  const minimal = {
    id: 'lab-gpu',
    name: 'Lab GPU 24GB',
    vendor: 'nvidia',
    memoryBytes: 24 * GIB,
    memoryBandwidthBytesPerSecond: 1e12,
    flopsPerSecond: { bf16: 150e12, fp16: 150e12 },
  };

  it('accepts a minimal custom GPU and fills defaults', () => {
    const r = validateAccelerator(minimal);
    assert.ok(r.ok, r.ok ? '' : r.errors.join('; '));
    assert.strictEqual(r.accelerator.visibleMemoryGiB, 23.5);
    assert.deepStrictEqual(r.accelerator.interconnect, { kind: 'pcie', bandwidthBytesPerSecond: 64e9 });
    assert.deepStrictEqual(r.accelerator.aliases, []);
    assert.strictEqual(r.accelerator.source, 'user-defined');
    const apple = validateAccelerator({ ...minimal, id: 'mac', vendor: 'apple', memoryBytes: 64 * GIB });
    assert.ok(apple.ok && apple.accelerator.visibleMemoryGiB === 48);
    const withInstances = validateAccelerator({ ...minimal, instanceGpuCounts: { 'acme.8x': 8 } });
    assert.ok(withInstances.ok && withInstances.accelerator.aliases.includes('acme.8x'));
  });

  it('rejects with readable errors', () => {
    const errs = (o: unknown): string[] => {
      const r = validateAccelerator(o);
      assert.ok(!r.ok, `expected ${JSON.stringify(o)} to be rejected`);
      return r.errors;
    };
    const { memoryBandwidthBytesPerSecond: _bw, ...noBw } = minimal;
    void _bw;
    assert.ok(errs(noBw).some((e) => e.includes('missing required property "memoryBandwidthBytesPerSecond"')));
    assert.ok(errs({ ...minimal, vendor: 'qualcomm' }).some((e) => e.includes('vendor must be one of') && e.includes('"nvidia"')));
    assert.ok(errs({ ...minimal, memoryBytes: 24 }).some((e) => e.includes('in bytes')));
    assert.ok(errs({ ...minimal, memoryBandwidthBytesPerSecond: 1000 }).some((e) => e.includes('bytes per second')));
    assert.ok(errs({ ...minimal, flopsPerSecond: { bf16: 989 } }).some((e) => e.includes('not TFLOPS')));
    assert.ok(errs({ ...minimal, flopsPerSecond: {} }).some((e) => e.includes('at least one data type')));
    assert.ok(errs({ ...minimal, flopsPerSecond: { fp64: 1e13 } }).some((e) => e.includes('unknown property "fp64"')));
    assert.ok(errs({ ...minimal, memoryBandwith: 1e12 }).some((e) => e.includes('unknown property "memoryBandwith"')));
    assert.ok(errs({ ...minimal, id: 'My GPU' }).some((e) => e.startsWith('id ')));
    assert.ok(errs({ ...minimal, visibleMemoryGiB: 30 }).some((e) => e.includes('visibleMemoryGiB')));
    assert.ok(errs({ ...minimal, interconnect: { kind: 'infiniband', bandwidthBytesPerSecond: 1 } }).some((e) => e.includes('interconnect.kind')));
    assert.ok(errs({ ...minimal, memoryBytes: '24GB' }).some((e) => e === 'memoryBytes must be an integer'));
    for (const bad of [null, undefined, 'H100', 42, [], true]) assert.ok(errs(bad).length > 0);
  });
});
