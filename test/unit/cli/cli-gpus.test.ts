// `--gpu 4xH100` (a count with the GPU), `inference-budget gpus [FILTER]` and `--version`.
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { CliContext, main } from '../../../src/cli/main';
import { capture, LLAMA_8B, ROOT, tempTree } from './helpers';

interface Run { code: number; out: string; err: string; errLines: string[] }

async function run(argv: string[], context: CliContext = {}): Promise<Run> {
  const c = capture();
  const code = await main(argv, c.out, c.err, context);
  return { code, out: c.stdout(), err: c.stderr(), errLines: c.stderr().split('\n').filter(Boolean) };
}

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The catalog read here as plain JSON, independently of src/core/hardware.ts. */
const CATALOG = (JSON.parse(fs.readFileSync(path.join(ROOT, 'src', 'core', 'hardware-catalog.json'), 'utf8')) as { accelerators: Json[] }).accelerators;

describe('inference-budget MODEL --gpu NxTYPE', () => {
  // Llama-3.1-8B: 32 attention heads, 8 KV heads.
  const sized = async (...args: string[]): Promise<{ r: Run; j: Json }> => {
    const r = await run([LLAMA_8B, '--max-model-len', '8192', '--json', ...args]);
    return { r, j: r.out ? JSON.parse(r.out) as Json : {} };
  };

  for (const [gpu, count, name] of [['4xH100', 4, 'NVIDIA H100 SXM 80GB'], ['8x A100-80GB', 8, 'NVIDIA A100 SXM4 80GB'], ['2*L40S', 2, 'NVIDIA L40S 48GB'], ['2 × H200', 2, 'NVIDIA H200 SXM 141GB']] as const) {
    it(`--gpu "${gpu}": ${count} × ${name}, tensor parallel ${count}`, async () => {
      const { r, j } = await sized('--gpu', gpu);
      assert.strictEqual(r.code, 0, r.err);
      assert.deepStrictEqual([j.hardware.count, j.hardware.name, j.settings.tensorParallel, j.settings.pipelineParallel], [count, name, count, 1]);
      assert.ok(!j.diagnostics.some((d: Json) => d.code === 'gpus-idle'), JSON.stringify(j.diagnostics));
    });
  }

  it('--tp or --pp given: the count is the GPU count only, and idle GPUs are a warning (once)', async () => {
    for (const flags of [['--tp', '2'], ['--pp', '2']]) {
      const { r, j } = await sized('--gpu', '4xH100', ...flags);
      assert.strictEqual(r.code, 0, r.err);
      assert.strictEqual(j.hardware.count, 4);
      assert.strictEqual(j.settings.tensorParallel * j.settings.pipelineParallel, 2);
      assert.strictEqual(j.diagnostics.filter((d: Json) => d.code === 'gpus-idle').length, 1, JSON.stringify(j.diagnostics));
    }
    const text = await run([LLAMA_8B, '--gpu', '4xH100', '--tp', '2']);
    assert.strictEqual(text.code, 0, text.err);
    assert.strictEqual(text.out.split('\n').filter((l) => /^warning +\[gpus-idle\]/.test(l)).length, 1, text.out);
  });

  it('a count the attention heads do not divide by: TP 1, with why', async () => {
    const { r, j } = await sized('--gpu', '3xH100');
    assert.strictEqual(r.code, 0, r.err);
    assert.deepStrictEqual([j.hardware.count, j.settings.tensorParallel], [3, 1]);
    const why = j.diagnostics.find((d: Json) => d.code === 'gpu-count-not-tp');
    assert.ok(why && /count 3 .*attention heads \(32\)/.test(why.message), JSON.stringify(j.diagnostics));
    assert.strictEqual(j.diagnostics.filter((d: Json) => d.code === 'gpus-idle').length, 1);
    assert.ok(!j.diagnostics.some((d: Json) => d.code === 'heads-not-divisible'));
  });

  it('a count that contradicts --gpus / --gpu-count is a usage error; an equal one is fine', async () => {
    for (const args of [['--gpu', '4xH100', '--gpus', '2'], ['--gpu', '4xH100', '--gpu-count', '2'], ['--gpus', '2', '--gpu-count', '4']]) {
      const r = await run([LLAMA_8B, ...args]);
      assert.strictEqual(r.code, 2, args.join(' '));
      assert.strictEqual(r.out, '');
      assert.strictEqual(r.errLines.length, 1, r.err);
      assert.match(r.errLines[0], /^inference-budget: .*(says|contradict).*\(see --help\)$/);
    }
    const same = await sized('--gpu', '4xH100', '--gpu-count', '4');
    assert.strictEqual(same.r.code, 0, same.r.err);
    assert.deepStrictEqual([same.j.hardware.count, same.j.settings.tensorParallel], [4, 4]);
  });

  it('an unknown GPU after the count: exit 2, one line', async () => {
    const r = await run([LLAMA_8B, '--gpu', '4xH1000000']);
    assert.strictEqual(r.code, 2);
    assert.strictEqual(r.errLines.length, 1, r.err);
    assert.match(r.err, /^inference-budget: Unknown GPU "H1000000"/);
  });

  it('--help states the rule and the exit codes', async () => {
    const r = await run(['--help']);
    assert.strictEqual(r.code, 0);
    assert.match(r.out, /--gpu with a count \(4xH100, "8x A100-80GB", 2\*L40S\) sets --gpus to it and, unless --tp or --pp is given, the tensor/);
    assert.match(r.out, /Exit codes: 0 fits, 1 does not fit \(or check found an error\), 2 usage, file, unknown model or unknown GPU error,\n3 model not supported\./);
  });
});

describe('inference-budget gpus', () => {
  it('lists the whole catalog with memory, bandwidth, BF16 TFLOPS, FP8 and aliases', async () => {
    const r = await run(['gpus']);
    assert.strictEqual(r.code, 0, r.err);
    const lines = r.out.trimEnd().split('\n');
    assert.match(lines[0], /^GPU +MEMORY GiB +BANDWIDTH TB\/s +BF16 TFLOPS +FP8 +ALSO ACCEPTED$/);
    assert.strictEqual(lines.length, 1 + CATALOG.length);
    const h100 = lines.find((l) => l.startsWith('NVIDIA H100 SXM 80GB '));
    assert.ok(h100, r.out);
    assert.match(h100, /^NVIDIA H100 SXM 80GB +80 +3\.35 +989\.4 +yes +H100, /);
  });

  it('--json: values from the catalog in the units named', async () => {
    const r = await run(['gpus', '--json']);
    assert.strictEqual(r.code, 0, r.err);
    const list = JSON.parse(r.out) as Json[];
    assert.deepStrictEqual(list.map((g) => g.id), CATALOG.map((a) => a.id));
    for (const [g, a] of list.map((g, i) => [g, CATALOG[i]])) {
      assert.strictEqual(g.name, a.name);
      assert.ok(Math.abs(g.memoryGiB - a.memoryBytes / 2 ** 30) < 0.01, g.id);
      assert.ok(Math.abs(g.memoryBandwidthTBps - a.memoryBandwidthBytesPerSecond / 1e12) < 0.001, g.id);
      assert.strictEqual(g.bf16DenseTflops === null, !a.flopsPerSecond.bf16, g.id);
      if (a.flopsPerSecond.bf16) assert.ok(Math.abs(g.bf16DenseTflops - a.flopsPerSecond.bf16 / 1e12) < 0.1, g.id);
      assert.strictEqual(g.fp8, (a.flopsPerSecond.fp8 ?? 0) > 0, g.id);
      assert.deepStrictEqual(g.aliases, a.aliases ?? []);
    }
  });

  it('a filter keeps the GPUs whose name or an alias holds every word (case-insensitive)', async () => {
    const h100 = JSON.parse((await run(['gpus', 'h100', '--json'])).out) as Json[];
    assert.ok(h100.length >= 3);
    assert.ok(h100.some((g) => g.name === 'NVIDIA H100 SXM 80GB'));
    assert.ok(h100.every((g) => [g.id, g.name, ...g.aliases].some((n: string) => n.toLowerCase().includes('h100'))), JSON.stringify(h100.map((g) => g.name)));
    // Two words, in either spelling: `A100-80GB` and `a100 80gb`.
    for (const filter of [['a100', '80gb'], ['A100-80GB']]) {
      const names = (JSON.parse((await run(['gpus', ...filter, '--json'])).out) as Json[]).map((g) => g.name).sort();
      assert.deepStrictEqual(names, ['NVIDIA A100 PCIe 80GB', 'NVIDIA A100 SXM4 80GB'], filter.join(' '));
    }
    // An alias only (the name says GB10).
    const byAlias = JSON.parse((await run(['gpus', 'dgx spark', '--json'])).out) as Json[];
    assert.deepStrictEqual(byAlias.map((g) => g.id), ['gb10']);
  });

  it('a filter matching nothing: one line on stderr, exit 2; a bad option likewise', async () => {
    for (const args of [['gpus', 'nothing-matches'], ['gpus', '--frobnicate']]) {
      const r = await run(args);
      assert.strictEqual(r.code, 2);
      assert.strictEqual(r.out, '');
      assert.strictEqual(r.errLines.length, 1, r.err);
      assert.match(r.err, /^inference-budget gpus: /);
    }
    assert.match((await run(['gpus', '--help'])).out, /^Usage: inference-budget gpus \[FILTER\] \[--json\]/);
  });
});

describe('inference-budget --version', () => {
  it("prints package.json's version", async () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const r = await run(['--version']);
    assert.deepStrictEqual([r.code, r.out, r.err], [0, `${pkg.version}\n`, '']);
  });

  it('the bundle carries it (esbuild define), when dist/cli.js is built', function () {
    const bundle = path.join(ROOT, 'dist', 'cli.js');
    if (!fs.existsSync(bundle)) this.skip();
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    // The version is a literal in the bundle: no package.json is read at run time.
    const dir = tempTree({ 'cli.js': fs.readFileSync(bundle, 'utf8') });
    try {
      assert.strictEqual(execFileSync(process.execPath, [path.join(dir, 'cli.js'), '--version'], { encoding: 'utf8' }), `${pkg.version}\n`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
