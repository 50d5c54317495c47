// `inference-budget check`: the JSON contract, the ESLint-style lines, exit codes, and which files PATHs name.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { CheckJson, expandTargets, globToRegExp, runCheck } from '../../../src/cli/check';
import { main, runCli } from '../../../src/cli/main';
import { capture, LLAMA_8B, position, tempTree } from './helpers';

const llamaConfig = fs.readFileSync(path.join(LLAMA_8B, 'config.json'), 'utf8');

/** A vLLM config file next to a model folder: `model: ./Llama-3.1-8B` resolves beside the document. */
function vllmConfig(maxModelLen: number): string {
  return `model: ./Llama-3.1-8B\nmax-model-len: ${maxModelLen}\n`;
}

async function check(args: string[], cwd: string): Promise<{ code: number; out: string; err: string }> {
  const c = capture();
  const code = await runCheck(args, c.out, c.err, cwd);
  return { code, out: c.stdout(), err: c.stderr() };
}

describe('inference-budget check', () => {
  let dir: string;
  before(() => {
    dir = tempTree({
      'Llama-3.1-8B/config.json': llamaConfig,
      'deploy/fits.vllm.yaml': vllmConfig(8192),
      'deploy/too-long.vllm.yaml': `model: ../Llama-3.1-8B\nmax-model-len: 1048576\n`,
      'deploy/unknown.vllm.yaml': 'model: acme/no-such-model-7b\nmax-model-len: 4096\n',
      'deploy/notes.txt': 'not checked',
      'deploy/package.json': '{"name": "x"}',
      'deploy/nested/docker-compose': 'services:\n  llm:\n    image: vllm/vllm-openai:v0.19.0\n    command: ["--model", "../../Llama-3.1-8B", "--max-model-len", "4096"]\n',
    });
    fs.copyFileSync(path.join(dir, 'deploy/fits.vllm.yaml'), path.join(dir, 'fits.vllm.yaml'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('--json follows the contract; report is what the config command prints for the same inputs', async () => {
    const r = await check(['--json', '--no-workspace', 'fits.vllm.yaml'], dir);
    assert.strictEqual(r.code, 0, r.err);
    const j = JSON.parse(r.out) as CheckJson;
    assert.deepStrictEqual(Object.keys(j), ['files', 'summary']);
    const [f] = j.files;
    assert.deepStrictEqual(Object.keys(f), ['path', 'kind', 'problems', 'deployments']);
    assert.strictEqual(f.path, 'fits.vllm.yaml');
    assert.strictEqual(f.kind, 'vllm-config');
    const [d] = f.deployments;
    assert.deepStrictEqual(Object.keys(d), ['name', 'engine', 'engineVersion', 'modelId', 'modelSource', 'gpu', 'gpuCount',
      'tensorParallel', 'pipelineParallel', 'sized', 'notSizedReason', 'fits', 'report', 'diagnostics']);
    assert.strictEqual(d.engine, 'vllm');
    assert.strictEqual(d.modelId, './Llama-3.1-8B');
    assert.strictEqual(d.modelSource, 'document');
    assert.strictEqual(d.gpu, 'NVIDIA H100 SXM 80GB');
    assert.deepStrictEqual([d.gpuCount, d.tensorParallel, d.pipelineParallel, d.sized, d.notSizedReason, d.fits], [1, 1, 1, true, null, true]);
    // The deployment's inputs are the file's plus the settings' defaults (H100, batch 1, prompt 1024).
    const config = capture();
    assert.strictEqual(runCli([path.join(dir, 'Llama-3.1-8B'), '--gpu', 'H100', '--max-model-len', '8192', '--batch', '1', '--prompt', '1024', '--json'], config.out, config.err), 0);
    assert.deepStrictEqual(d.report, JSON.parse(config.stdout()));
    // Llama-3.1-8B: 32 layers × 8 KV heads × 128 dims × 2 (K and V) × 2 bytes.
    assert.strictEqual((d.report as { model: { kvBytesPerToken: number } }).model.kvBytesPerToken, 32 * 8 * 128 * 2 * 2);
    assert.strictEqual(d.engineVersion, (d.report as { settings: { engineVersion: string } }).settings.engineVersion);
    assert.deepStrictEqual(j.summary, {
      files: 1, recognised: 1, deployments: 1, sized: 1, notSized: 0, fit: 1, doNotFit: 0, errors: 0, warnings: 0, information: 0, hints: 0, unreadable: 0,
    });
  });

  it('an error diagnostic exits 1, with 1-based lines and columns on the responsible value', async () => {
    const r = await check(['--json', '--no-workspace', 'deploy/too-long.vllm.yaml'], dir);
    assert.strictEqual(r.code, 1);
    const j = JSON.parse(r.out) as CheckJson;
    const d = j.files[0].deployments[0];
    assert.strictEqual(d.fits, false);
    const e = d.diagnostics.find((x) => x.severity === 'error');
    assert.ok(e, JSON.stringify(d.diagnostics));
    // 1,048,576 tokens × 128 KiB = 128 GiB of KV for one request, more than an H100 holds. The value is on line 2
    // after "max-model-len: " (15 characters).
    assert.deepStrictEqual([e.line, e.column, e.endLine, e.endColumn], [2, 16, 2, 23]);
    assert.strictEqual(j.summary.doNotFit, 1);
  });

  it('prints ESLint-style lines and a summary', async () => {
    const r = await check(['--no-workspace', 'deploy'], dir);
    assert.strictEqual(r.code, 1);
    const lines = r.out.trimEnd().split('\n');
    const finding = /^(\S+):(\d+):(\d+) {2}(error|warning|info|hint) {2}(.+) {2}\[([\w-]+)\]$/;
    const findings = lines.filter((l) => finding.test(l));
    assert.ok(findings.some((l) => l.startsWith(`${path.join('deploy', 'too-long.vllm.yaml')}:2:16  error  `)), r.out);
    assert.ok(findings.some((l) => l.startsWith(`${path.join('deploy', 'unknown.vllm.yaml')}:1:8  info  Model "acme/no-such-model-7b" not found`) && l.endsWith('[model-not-found]')), r.out);
    // Five files: three vLLM configs, package.json (not recognised) and the compose file without an extension.
    assert.match(lines[lines.length - 2], /^5 files, 4 recognised; 4 deployments: 3 sized \(2 fit, 1 do not\), 1 not sized$/);
    // too-long: max_model_len above max_position_embeddings and KV does not fit (2 errors) and the fp8 KV hint (info);
    // unknown: model not found (info); deploy/fits names ./Llama-3.1-8B, absent beside it, so the bundled model
    // of that name stands in, with a note (hint).
    assert.match(lines[lines.length - 1], /^2 errors, 0 warnings, 2 info, 1 hint$/);
    const quiet = await check(['--no-workspace', '--quiet', 'deploy'], dir);
    assert.ok(quiet.out.split('\n').filter((l) => finding.test(l)).every((l) => / {2}error {2}/.test(l)), quiet.out);
  });

  it('usage and file errors exit 2 with one line', async () => {
    for (const args of [[], ['--frobnicate', 'x'], ['no/such/file.yaml'], ['--workspace', 'x', '--no-workspace', 'fits.vllm.yaml'], ['--workspace', 'missing-folder', 'fits.vllm.yaml'], ['deploy/*.nothing']]) {
      const r = await check(args, dir);
      assert.strictEqual(r.code, 2, `${args.join(' ')}: ${r.out}`);
      assert.strictEqual(r.err.trim().split('\n').length, 1, r.err);
    }
    const help = await check(['--help'], dir);
    assert.strictEqual(help.code, 0);
    assert.match(help.out, /Exit codes: 0 every sized deployment fits, 1 an error diagnostic, 2 a usage or file error/);
  });

  it('main() dispatches `check` and keeps `inference-budget FILE`', async () => {
    const c = capture();
    const cwd = process.cwd();
    try {
      process.chdir(dir);
      assert.strictEqual(await main(['check', '--no-workspace', '--json', 'fits.vllm.yaml'], c.out, c.err), 0);
      assert.strictEqual((JSON.parse(c.stdout()) as CheckJson).summary.sized, 1);
      const config = capture();
      assert.strictEqual(await main([path.join(dir, 'Llama-3.1-8B'), '--json'], config.out, config.err), 0);
      assert.strictEqual((JSON.parse(config.stdout()) as { model: { kvBytesPerToken: number } }).model.kvBytesPerToken, 131072);
    } finally {
      process.chdir(cwd);
    }
  });

  it('the workspace is searched for a model by folder name (default: the current folder)', async () => {
    const ws = tempTree({ 'models/Llama-3.1-8B/config.json': llamaConfig, 'deploy/x.vllm.yaml': 'model: someone/Llama-3.1-8B\nmax-model-len: 4096\n' });
    try {
      const found = JSON.parse((await check(['--json', 'deploy/x.vllm.yaml'], ws)).out) as CheckJson;
      assert.strictEqual(found.files[0].deployments[0].modelSource, 'workspace');
      const none = JSON.parse((await check(['--json', '--no-workspace', 'deploy/x.vllm.yaml'], ws)).out) as CheckJson;
      // Without the workspace the bundled catalog has the base model of the same name.
      assert.strictEqual(none.files[0].deployments[0].modelSource, 'bundled');
    } finally {
      fs.rmSync(ws, { recursive: true, force: true });
    }
  });
});

describe('check: which files PATHs name', () => {
  let dir: string;
  before(() => {
    dir = tempTree({
      'a.yaml': '', 'b.yml': '', 'c.json': '', 'd.txt': '', 'Modelfile': '', 'compose': '', 'sub/e.yaml': '', 'sub/deep/f.yaml': '',
      'node_modules/x.yaml': '', '.git/y.yaml': '',
    });
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const rel = (files: string[]): string[] => files.map((f) => f.split(path.sep).join('/'));

  it('a folder: its .yaml .yml .json, compose and Modelfile files, node_modules and .git skipped', () => {
    assert.deepStrictEqual(rel(expandTargets(['.'], dir).files), ['Modelfile', 'a.yaml', 'b.yml', 'c.json', 'compose', 'sub/deep/f.yaml', 'sub/e.yaml']);
  });

  it('globs with ** * ? and {a,b}; a file named explicitly is checked whatever its name; each once', () => {
    assert.deepStrictEqual(rel(expandTargets(['sub/**/*.yaml'], dir).files), ['sub/deep/f.yaml', 'sub/e.yaml']);
    assert.deepStrictEqual(rel(expandTargets(['*.{yaml,yml}', 'a.yaml', 'd.txt'], dir).files), ['a.yaml', 'b.yml', 'd.txt']);
    assert.deepStrictEqual(rel(expandTargets(['?.json'], dir).files), ['c.json']);
    assert.deepStrictEqual(expandTargets(['nothing/*.yaml', 'missing.yaml'], dir).unmatched, ['nothing/*.yaml', 'missing.yaml']);
  });

  it('glob patterns', () => {
    assert.ok(globToRegExp('**/*.yaml').test('a/b/c.yaml'));
    assert.ok(globToRegExp('**/*.yaml').test('c.yaml'));
    assert.ok(!globToRegExp('*.yaml').test('a/c.yaml'));
    assert.ok(globToRegExp('deploy/[ab].y?ml').test('deploy/b.yaml'));
    assert.ok(!globToRegExp('deploy/[!ab].yaml').test('deploy/a.yaml'));
  });
});

describe('check: lines and columns', () => {
  it('the independent splitter in these tests counts \\r\\n, \\r and \\n as the editor does', () => {
    const text = 'ab\r\ncd\ref\ngh';
    assert.deepStrictEqual(position(text, 0), { line: 1, column: 1 });
    assert.deepStrictEqual(position(text, 4), { line: 2, column: 1 });
    assert.deepStrictEqual(position(text, 7), { line: 3, column: 1 });
    assert.deepStrictEqual(position(text, 10), { line: 4, column: 1 });
    assert.deepStrictEqual(position(text, 12), { line: 4, column: 3 });
  });
});
