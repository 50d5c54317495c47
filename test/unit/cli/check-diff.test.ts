// `check --diff BASE` and `check --baseline FILE`: only what a change made worse, in a throwaway git repository.
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { CheckJson, DeploymentJson, runCheck } from '../../../src/cli/check';
import { matchDeployments, Regression, RegressionReport } from '../../../src/cli/regressions';
import { capture, LLAMA_8B, position, tempTree } from './helpers';

async function check(args: string[], cwd: string): Promise<{ code: number; out: string; err: string }> {
  const c = capture();
  const code = await runCheck(args, c.out, c.err, cwd);
  return { code, out: c.stdout(), err: c.stderr() };
}

function git(dir: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.org', '-c', 'commit.gpgsign=false', ...args], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** The one deployment of a file, as `check --format json` reports it on its own. */
async function deploymentOf(file: string, cwd: string): Promise<DeploymentJson> {
  const r = await check(['--format', 'json', '--no-workspace', file], cwd);
  return (JSON.parse(r.out) as CheckJson).files[0].deployments[0];
}

const capacity = (d: DeploymentJson): { kvCacheTokens: number; maxConcurrency: number } => (d.report as { capacity: { kvCacheTokens: number; maxConcurrency: number } }).capacity;

/** What a regression says, without its message. */
const gist = (r: Regression): unknown[] => [r.code, r.path, r.line, r.column, r.before, r.after];

describe('check --diff / --baseline', () => {
  let dir: string;
  // Llama-3.1-8B on an L4: 8,192 tokens fit beside the weights, 131,072 (16 GiB of KV) do not.
  const onL4 = (tokens: number): string => `# inference-budget: gpu=L4\nmodel: ../Llama-3.1-8B\nmax-model-len: ${tokens}\n`;
  // On an H100 (the default GPU): the share of memory vLLM takes sets the KV cache.
  const onH100 = (utilization: number): string => `model: ../Llama-3.1-8B\nmax-model-len: 8192\ngpu-memory-utilization: ${utilization}\n`;
  const committed: Record<string, string> = {
    'Llama-3.1-8B/config.json': fs.readFileSync(path.join(LLAMA_8B, 'config.json'), 'utf8'),
    'deploy/l4.vllm.yaml': onL4(8192),
    'deploy/h100.vllm.yaml': onH100(0.9),
    'deploy/same.vllm.yaml': onH100(0.8),
  };
  const write = (rel: string, text: string): void => fs.writeFileSync(path.join(dir, rel), text);
  before(() => {
    dir = tempTree(committed);
    git(dir, 'init', '-q');
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '-m', 'deployments that fit');
  });
  // Back to the committed files (written, not checked out), new files removed.
  afterEach(() => {
    for (const [rel, text] of Object.entries(committed)) write(rel, text);
    for (const f of ['deploy/new.vllm.yaml', 'baseline.json']) fs.rmSync(path.join(dir, f), { force: true });
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('nothing changed: exit 0 and no regression, even with errors there before', async () => {
    const r = await check(['--no-workspace', '--diff', 'HEAD', 'deploy'], dir);
    assert.strictEqual(r.code, 0, r.err);
    assert.deepStrictEqual(r.out.trimEnd().split('\n'), ['0 regressions against HEAD', '3 deployments: 3 compared, 0 new']);
    // A deployment that already did not fit is no regression.
    write('deploy/l4.vllm.yaml', onL4(131072));
    const already = await check(['--no-workspace', '--format', 'json', 'deploy'], dir);
    assert.strictEqual(already.code, 1);
    fs.writeFileSync(path.join(dir, 'baseline.json'), already.out);
    const again = await check(['--no-workspace', '--baseline', 'baseline.json', 'deploy'], dir);
    assert.strictEqual(again.code, 0, again.out);
  });

  it('fits → does not fit: one regression on the max-model-len value, exit 1', async () => {
    const after = onL4(131072);
    write('deploy/l4.vllm.yaml', after);
    const r = await check(['--no-workspace', '--diff', 'HEAD', '--format', 'json', 'deploy'], dir);
    assert.strictEqual(r.code, 1, r.err);
    const report = JSON.parse(r.out) as RegressionReport & { against: string };
    const at = position(after, after.indexOf('131072'));
    // The new kv-does-not-fit error is the does-not-fit regression's cause, not a second regression.
    assert.deepStrictEqual(report.regressions.map(gist), [['regression-does-not-fit', 'deploy/l4.vllm.yaml', at.line, at.column, 'fits', 'does not fit']]);
    assert.deepStrictEqual(report.summary, { deployments: 3, compared: 3, new: 0, regressions: 1 });
    assert.strictEqual(report.against, 'HEAD');
    const text = await check(['--no-workspace', '--diff', 'HEAD', 'deploy'], dir);
    const lines = text.out.trimEnd().split('\n');
    assert.match(lines[0], /^deploy\/l4\.vllm\.yaml:3:16 {2}regression {2}.+: fits → does not fit: max_model_len 131,072 needs .+ {2}\[regression-does-not-fit\]$/);
    assert.deepStrictEqual(lines.slice(1), ['', '1 regression against HEAD', '3 deployments: 3 compared, 0 new']);
  });

  it('lower gpu-memory-utilization: KV-cache tokens and concurrency down, with both numbers', async () => {
    const was = await deploymentOf('deploy/h100.vllm.yaml', dir);
    write('deploy/h100.vllm.yaml', onH100(0.5));
    const now = await deploymentOf('deploy/h100.vllm.yaml', dir);
    const r = await check(['--no-workspace', '--diff', 'HEAD', '--format', 'json', 'deploy'], dir);
    assert.strictEqual(r.code, 1, r.err);
    const { regressions } = JSON.parse(r.out) as RegressionReport;
    assert.deepStrictEqual(regressions.map((x) => [x.code, x.before, x.after]), [
      ['regression-capacity', capacity(was).kvCacheTokens, capacity(now).kvCacheTokens],
      ['regression-concurrency', capacity(was).maxConcurrency, capacity(now).maxConcurrency],
    ]);
    const drop = (capacity(now).maxConcurrency / capacity(was).maxConcurrency - 1) * 100;
    assert.ok(Math.abs(regressions[1].changePercent! - drop) < 1e-9);
    // Where the deployment is: the model line.
    assert.deepStrictEqual([regressions[0].line, regressions[0].column], [1, 1]);
    const text = await check(['--no-workspace', '--diff', 'HEAD', 'deploy'], dir);
    const pct = `−${Number((-drop).toFixed(1))}%`;
    assert.ok(text.out.includes(`deploy/h100.vllm.yaml:1:1  regression  ${now.name}: max concurrency ${capacity(was).maxConcurrency.toFixed(1)}× → ${capacity(now).maxConcurrency.toFixed(1)}× (${pct})  [regression-concurrency]`), text.out);
    assert.ok(text.out.includes(`KV cache ${capacity(was).kvCacheTokens.toLocaleString('en-US')} → ${capacity(now).kvCacheTokens.toLocaleString('en-US')} tokens (${pct})  [regression-capacity]`), text.out);
  });

  it('--threshold: a 2–10 % drop is no regression at the default 10, one at 2 (also with --baseline)', async () => {
    const baseline = await check(['--no-workspace', '--format', 'json', 'deploy'], dir);
    fs.writeFileSync(path.join(dir, 'baseline.json'), baseline.out);
    const was = await deploymentOf('deploy/h100.vllm.yaml', dir);
    write('deploy/h100.vllm.yaml', onH100(0.87));
    const now = await deploymentOf('deploy/h100.vllm.yaml', dir);
    const drop = (1 - capacity(now).kvCacheTokens / capacity(was).kvCacheTokens) * 100;
    assert.ok(drop > 2 && drop < 10, `the test needs a drop between 2 and 10 %, got ${drop}`);
    for (const against of [['--diff', 'HEAD'], ['--baseline', 'baseline.json']]) {
      const quiet = await check(['--no-workspace', ...against, 'deploy'], dir);
      assert.strictEqual(quiet.code, 0, quiet.out);
      assert.ok(!/ regression /.test(quiet.out), quiet.out);
      const strict = await check(['--no-workspace', ...against, '--threshold', '2', '--format', 'json', 'deploy'], dir);
      assert.strictEqual(strict.code, 1, strict.err);
      assert.deepStrictEqual((JSON.parse(strict.out) as RegressionReport).regressions.map((x) => [x.code, x.before, x.after]), [
        ['regression-capacity', capacity(was).kvCacheTokens, capacity(now).kvCacheTokens],
        ['regression-concurrency', capacity(was).maxConcurrency, capacity(now).maxConcurrency],
      ]);
    }
  });

  it('a file absent at BASE is new: a deployment in it that does not fit counts, one that fits does not', async () => {
    const text = onL4(131072);
    write('deploy/new.vllm.yaml', text);
    const r = await check(['--no-workspace', '--diff', 'HEAD', '--format', 'json', 'deploy'], dir);
    assert.strictEqual(r.code, 1, r.err);
    const report = JSON.parse(r.out) as RegressionReport;
    const at = position(text, text.indexOf('131072'));
    assert.deepStrictEqual(report.regressions.map(gist), [['regression-does-not-fit', 'deploy/new.vllm.yaml', at.line, at.column, null, 'does not fit']]);
    assert.deepStrictEqual(report.summary, { deployments: 4, compared: 3, new: 1, regressions: 1 });
    write('deploy/new.vllm.yaml', onL4(4096));
    const fits = await check(['--no-workspace', '--diff', 'HEAD', 'deploy'], dir);
    assert.strictEqual(fits.code, 0, fits.out);
  });

  it('--diff from a subfolder reads the files at BASE relative to the repository top', async () => {
    write('deploy/l4.vllm.yaml', onL4(131072));
    const r = await check(['--no-workspace', '--diff', 'HEAD', '.'], path.join(dir, 'deploy'));
    assert.strictEqual(r.code, 1, r.err);
    assert.match(r.out, /^l4\.vllm\.yaml:3:16 {2}regression /);
  });

  it('usage, file and git errors: exit 2, one line, nothing on the standard output', async () => {
    const outside = tempTree({ 'a.vllm.yaml': onL4(8192), 'not-a-report.json': '{"regressions": []}' });
    try {
      const cases: [string[], string, RegExp][] = [
        [['--format', 'nope', 'deploy'], dir, /--format expects text, json, sarif, github; got "nope"/],
        [['--json', '--format', 'sarif', 'deploy'], dir, /--json and --format sarif contradict each other/],
        [['--diff', 'HEAD', 'a.vllm.yaml'], outside, /--diff needs a git repository/],
        [['--diff', 'no-such-branch', 'deploy'], dir, /--diff no-such-branch: no such revision/],
        [['--diff=--output=x', 'deploy'], dir, /--diff expects a git revision/],
        [['--diff', 'HEAD', '--baseline', 'b.json', 'deploy'], dir, /--diff and --baseline contradict each other/],
        [['--threshold', '5', 'deploy'], dir, /--threshold applies only with --diff or --baseline/],
        [['--diff', 'HEAD', '--threshold', 'ten', 'deploy'], dir, /--threshold expects a percentage/],
        [['--baseline', 'missing.json', 'deploy'], dir, /--baseline missing\.json: cannot read it/],
        [['--baseline', 'not-a-report.json', 'a.vllm.yaml'], outside, /not a check --format json report/],
        [['--diff', 'HEAD', outside], dir, /is outside the git repository/],
      ];
      for (const [args, cwd, message] of cases) {
        const r = await check(['--no-workspace', ...args], cwd);
        assert.strictEqual(r.code, 2, `${args.join(' ')}: ${r.out}${r.err}`);
        assert.strictEqual(r.out, '', args.join(' '));
        assert.strictEqual(r.err.trimEnd().split('\n').length, 1, r.err);
        assert.match(r.err, message);
      }
    } finally {
      fs.rmSync(outside, { recursive: true, force: true });
    }
  });
});

describe('regressions: which deployment was which', () => {
  const d = (name: string): DeploymentJson => ({ name } as DeploymentJson);

  it('by name wherever it moved, else by position (a renamed deployment); a deployment of no match is new', () => {
    const [a, b, c] = [d('a'), d('b'), d('c')];
    assert.deepStrictEqual(matchDeployments([a, b], [b, a]), [b, a]);
    assert.deepStrictEqual(matchDeployments([a, b], [a, d('b-renamed')]), [a, b]);
    // Position 1 was b, which is still there by name: the third is new.
    assert.deepStrictEqual(matchDeployments([a, b], [c, b, d('x')]), [a, b, undefined]);
    // Two of one name: by position.
    const [a1, a2] = [d('a'), d('a')];
    assert.deepStrictEqual(matchDeployments([a1, a2], [d('a'), d('a')]), [a1, a2]);
  });
});
