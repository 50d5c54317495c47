// The two packages users install, built as `npm run package` builds them (`vsce package` with no flags, `npm pack`)
// and checked the way a user meets them: the npm tarball installed into an empty folder and run with npx, with
// nothing else installed; the VSIX's contents against what its manifest references. (The real-VS-Code UI tests
// install a VSIX into code-server with --install-extension and drive its hover.)
import * as assert from 'assert';
import * as cp from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const REPO = path.resolve(__dirname, '..', '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as {
  name: string; version: string; icon: string; dependencies?: object; contributes: { walkthroughs: Array<{ steps: Array<{ media: Record<string, string> }> }> };
};

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): { code: number; out: string; err: string } {
  const r = cp.spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: 180_000, env: { ...process.env, npm_config_fund: 'false', npm_config_audit: 'false', npm_config_update_notifier: 'false', ...env } });
  return { code: r.status ?? -1, out: r.stdout ?? '', err: r.stderr ?? '' };
}

/** Entries of a zip file (the VSIX), from its central directory. */
function zipEntries(file: string): string[] {
  const buf = fs.readFileSync(file);
  const eocd = buf.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  assert.ok(eocd >= 0, 'a zip file');
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    assert.strictEqual(buf.readUInt32LE(p), 0x02014b50, 'central directory entry');
    const nameLength = buf.readUInt16LE(p + 28);
    const extra = buf.readUInt16LE(p + 30);
    const comment = buf.readUInt16LE(p + 32);
    names.push(buf.toString('utf8', p + 46, p + 46 + nameLength));
    p += 46 + nameLength + extra + comment;
  }
  return names;
}

describe('packages', function () {
  this.timeout(300_000);
  let dir: string;
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ib-packages-')); });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('the npm tarball installs into an empty folder with no dependencies, and `npx inference-budget` runs from it', () => {
    const pack = run('npm', ['pack', '--pack-destination', dir, '--silent'], REPO);
    assert.strictEqual(pack.code, 0, pack.err);
    const tarball = path.join(dir, pack.out.trim().split('\n').pop()!);
    assert.ok(fs.existsSync(tarball), tarball);
    assert.strictEqual(pkg.dependencies, undefined, 'everything the CLI runs is bundled into dist/cli.js');
    const app = path.join(dir, 'app');
    fs.mkdirSync(app);
    fs.writeFileSync(path.join(app, 'package.json'), '{"name":"app","version":"1.0.0","private":true}');
    // --offline: the package needs nothing from the registry.
    const install = run('npm', ['install', '--offline', '--no-package-lock', tarball], app);
    assert.strictEqual(install.code, 0, install.err);
    const installed = fs.readdirSync(path.join(app, 'node_modules')).filter((n) => n !== '.bin' && !n.startsWith('.'));
    assert.deepStrictEqual(installed, ['inference-budget']);
    const npx = (...a: string[]) => run('npx', ['--no-install', 'inference-budget', ...a], app);
    const help = npx('--help');
    assert.strictEqual(help.code, 0, help.err);
    assert.match(help.out, /^Usage: inference-budget/m);
    const version = npx('--version');
    assert.strictEqual(version.code, 0, version.err);
    assert.strictEqual(version.out.trim(), pkg.version);
    // A model from the catalog shipped beside the bundle: Llama-3.1-8B's KV per token from its shapes.
    const sized = npx('meta-llama/Llama-3.1-8B-Instruct', '--gpu', 'H100', '--max-model-len', '8192', '--json');
    assert.strictEqual(sized.code, 0, sized.err);
    const report = JSON.parse(sized.out) as { model: { kvBytesPerToken: number } };
    assert.strictEqual(report.model.kvBytesPerToken, 32 * 8 * 128 * 2 * 2);
  });

  it('`vsce package` succeeds with no flags, and the VSIX carries every file its manifest references', () => {
    const vsix = path.join(dir, `${pkg.name}-${pkg.version}.vsix`);
    const r = run(process.execPath, [path.join(REPO, 'node_modules', '@vscode', 'vsce', 'vsce'), 'package', '--out', vsix], REPO);
    assert.strictEqual(r.code, 0, r.out + r.err);
    const entries = new Set(zipEntries(vsix));
    const referenced = [
      'package.json', 'dist/extension.js', 'dist/bundled-models.json', 'dist/webview/main.js', pkg.icon,
      ...pkg.contributes.walkthroughs.flatMap((w) => w.steps.flatMap((s) => Object.entries(s.media).filter(([k]) => k !== 'altText').map(([, v]) => v))),
      'examples/walkthrough/llama-8b-on-l4.yaml',
    ];
    for (const f of referenced) assert.ok(entries.has(`extension/${f}`), `extension/${f} in the VSIX`);
    // Development files stay out.
    for (const e of entries) assert.ok(!/^extension\/(src|test|node_modules|out)\//.test(e), e);
  });
});
