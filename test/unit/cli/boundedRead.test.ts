// Reads that cannot run away: devices, pipes and links to them are refused before any read, whatever `stat` says
// their size is, and a cap is enforced while reading (issue: /dev/zero as a model grew the process by GBs).
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ReadRefused, readRegularFile, readRegularFileSync } from '../../../src/analysis/boundedRead';
import { runCli } from '../../../src/cli/main';
import { runCheck } from '../../../src/cli/check';
import { LLAMA_8B } from './helpers';

function cli(args: string[]): { code: number; err: string; heapGrowth: number } {
  let err = '';
  const heap = process.memoryUsage().rss;
  const code = runCli(args, () => undefined, (s) => { err += s + '\n'; });
  return { code, err, heapGrowth: process.memoryUsage().rss - heap };
}

describe('bounded reads', () => {
  let dir: string;
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ib-bounded-')); });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('refuses /dev/zero, and a config.json that links to it, before reading, with memory flat', () => {
    const link = path.join(dir, 'zero-model');
    fs.mkdirSync(link);
    fs.symlinkSync('/dev/zero', path.join(link, 'config.json'));
    for (const target of ['/dev/zero', link]) {
      const r = cli([target]);
      assert.strictEqual(r.code, 2, r.err);
      assert.match(r.err, /device/);
      assert.ok(r.heapGrowth < 64 * 1024 * 1024, `${r.heapGrowth} bytes`);
    }
  });

  it('refuses a FIFO without waiting for a writer; check reports it as an unreadable file', async () => {
    const fifo = path.join(dir, 'pipe.yaml');
    execFileSync('mkfifo', [fifo]);
    await assert.rejects(readRegularFile(fifo, 1024), (e: Error) => e instanceof ReadRefused && /a pipe/.test(e.message));
    let out = '';
    const code = await runCheck([fifo, '--json', '--no-workspace'], (s) => { out += s; }, () => undefined);
    assert.strictEqual(code, 2);
    assert.match(out, /a pipe, not a regular file/);
  });

  it('enforces the cap while reading, not from stat; reads a file at the cap whole', () => {
    const file = path.join(dir, 'big.json');
    fs.writeFileSync(file, 'x'.repeat(1000));
    assert.strictEqual(readRegularFileSync(file, 1000).length, 1000);
    assert.throws(() => readRegularFileSync(file, 999), (e: Error) => e instanceof ReadRefused && /999-byte limit/.test(e.message));
    assert.strictEqual(readRegularFileSync(path.join(LLAMA_8B, 'config.json'), 1 << 20).toString('utf8'), fs.readFileSync(path.join(LLAMA_8B, 'config.json'), 'utf8'));
  });
});
