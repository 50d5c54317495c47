// `check --format github`: workflow commands with GitHub's escaping, the text summary after them, and --output.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { githubAnnotation, githubAnnotations } from '../../../src/cli/annotations';
import { CheckJson, runCheck } from '../../../src/cli/check';
import { capture, LLAMA_8B, tempTree } from './helpers';

async function check(args: string[], cwd: string): Promise<{ code: number; out: string; err: string }> {
  const c = capture();
  const code = await runCheck(args, c.out, c.err, cwd);
  return { code, out: c.stdout(), err: c.stderr() };
}

describe('check --format github', () => {
  const crafted = { path: 'deploy/a,b:c%.yaml', code: 'odd:code,1', message: '50% of 100%: a, b\r\nnext\nline', line: 3, column: 5, endLine: 3, endColumn: 9 };

  it('escapes data (% CR LF) and properties (also : and ,) as GitHub reads them', () => {
    assert.strictEqual(githubAnnotation({ ...crafted, severity: 'error' }),
      '::error file=deploy/a%2Cb%3Ac%25.yaml,line=3,col=5,endLine=3,endColumn=9,title=odd%3Acode%2C1::50%25 of 100%25: a, b%0D%0Anext%0Aline');
  });

  it('warning is ::warning, information and hint are ::notice; columns only on a one-line range', () => {
    assert.deepStrictEqual(githubAnnotations([
      { ...crafted, severity: 'warning', message: 'w' },
      { ...crafted, severity: 'information', message: 'i' },
      { ...crafted, severity: 'hint', message: 'h', endLine: 5, endColumn: 2 },
    ]), [
      '::warning file=deploy/a%2Cb%3Ac%25.yaml,line=3,col=5,endLine=3,endColumn=9,title=odd%3Acode%2C1::w',
      '::notice file=deploy/a%2Cb%3Ac%25.yaml,line=3,col=5,endLine=3,endColumn=9,title=odd%3Acode%2C1::i',
      '::notice file=deploy/a%2Cb%3Ac%25.yaml,line=3,endLine=5,title=odd%3Acode%2C1::h',
    ]);
  });

  describe('on files', () => {
    let dir: string;
    before(() => {
      dir = tempTree({
        'Llama-3.1-8B/config.json': fs.readFileSync(path.join(LLAMA_8B, 'config.json'), 'utf8'),
        'deploy/fits.vllm.yaml': 'model: ../Llama-3.1-8B\nmax-model-len: 8192\n',
        'deploy/too-long.vllm.yaml': '# inference-budget: gpu=L4\nmodel: ../Llama-3.1-8B\nmax-model-len: 131072\n',
        'deploy/unknown.vllm.yaml': 'model: acme/no-such-model-7b\nmax-model-len: 4096\n',
      });
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('one command per diagnostic of --format json, then the two summary lines of the text format', async () => {
      const args = ['--no-workspace', 'deploy'];
      const gh = await check(['--format', 'github', ...args], dir);
      const json = await check(['--format', 'json', ...args], dir);
      const text = await check(args, dir);
      assert.strictEqual(gh.code, 1);
      assert.strictEqual(gh.code, json.code);
      const report = JSON.parse(json.out) as CheckJson;
      const lines = gh.out.trimEnd().split('\n');
      const commands = lines.filter((l) => l.startsWith('::'));
      const diagnostics = report.files.flatMap((f) => f.deployments.flatMap((d) => d.diagnostics.map((x) => ({ ...x, file: f.path }))));
      assert.strictEqual(commands.length, diagnostics.length);
      const kv = diagnostics.find((d) => d.code === 'kv-does-not-fit')!;
      assert.ok(commands.includes(`::error file=deploy/too-long.vllm.yaml,line=3,col=16,endLine=3,endColumn=22,title=kv-does-not-fit::${kv.message.replace(/%/g, '%25')}`), gh.out);
      assert.ok(commands.some((c) => /^::notice file=deploy\/unknown\.vllm\.yaml,line=1,col=8,.*title=model-not-found::Model "acme\/no-such-model-7b" not found/.test(c)), gh.out);
      assert.deepStrictEqual(lines.slice(commands.length), text.out.trimEnd().split('\n').slice(-2));
      assert.match(lines[lines.length - 1], /^1 error, /);
      const quiet = await check(['--format', 'github', '--quiet', ...args], dir);
      assert.deepStrictEqual(quiet.out.split('\n').filter((l) => l.startsWith('::')).map((l) => l.slice(0, l.indexOf(' '))), ['::error']);
    });

    it('--output FILE writes the report there, not to the standard output', async () => {
      const gh = await check(['--format', 'github', '--no-workspace', 'deploy'], dir);
      const written = await check(['--format', 'github', '--no-workspace', '--output', 'out/report.txt', 'deploy'], dir);
      // A folder that does not exist is an error (exit 2, one line), not a silent mkdir.
      assert.strictEqual(written.code, 2, written.err);
      fs.mkdirSync(path.join(dir, 'out'));
      const again = await check(['--format', 'github', '--no-workspace', '--output', 'out/report.txt', 'deploy'], dir);
      assert.strictEqual(again.code, gh.code);
      assert.strictEqual(again.out, '');
      assert.strictEqual(fs.readFileSync(path.join(dir, 'out/report.txt'), 'utf8'), gh.out);
    });
  });
});
