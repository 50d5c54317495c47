// The one set of read rules (src/analysis/boundedRead.ts) carried out by its two drivers: the synchronous and the
// asynchronous read must give the same bytes and the same refusals, whatever the file's size against the read
// sizes and the cap. Expected bytes come from fs.readFileSync; the cap's message from its wording.
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ReadRefused, openRegularFile, readRegularFile, readRegularFileSync } from '../../../src/analysis/boundedRead';

type Outcome = { bytes: Buffer } | { error: string; refused: boolean; code?: string };

async function both(file: string, maxBytes: number): Promise<[Outcome, Outcome]> {
  const outcome = (f: () => Buffer): Outcome => {
    try { return { bytes: f() }; } catch (e) { return { error: (e as Error).message, refused: e instanceof ReadRefused, code: (e as NodeJS.ErrnoException).code }; }
  };
  const sync = outcome(() => readRegularFileSync(file, maxBytes));
  let async: Outcome;
  try { async = { bytes: await readRegularFile(file, maxBytes) }; } catch (e) { async = { error: (e as Error).message, refused: e instanceof ReadRefused, code: (e as NodeJS.ErrnoException).code }; }
  return [sync, async];
}

/** Files this process holds open (Linux), to see that every path closes what it opened. */
function openFiles(): string[] {
  const out: string[] = [];
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    try { out.push(fs.readlinkSync(`/proc/self/fd/${fd}`)); } catch { /* closed meanwhile */ }
  }
  return out;
}
const holds = (files: string[]): string[] => openFiles().filter((f) => files.includes(f));

describe('bounded reads: one set of rules, sync and async drivers', () => {
  let dir: string;
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ib-bounded-drivers-')); });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  // Sizes around the 64 KiB read size, the 1-byte end probe, and the 4 MiB largest single read.
  const sizes = [0, 1, 4095, 4096, 65535, 65536, 65537, 200_000, 4 * 1024 * 1024 + 3];

  for (const size of sizes) {
    it(`reads a ${size}-byte file whole with both drivers`, async () => {
      const file = path.join(dir, `f-${size}.bin`);
      // Bytes that differ along the file, so a chunk out of place or a stale tail shows.
      const pattern = Buffer.from(Array.from({ length: 251 }, (_, i) => (i * 131) & 0xff));
      const data = Buffer.alloc(size, pattern);
      fs.writeFileSync(file, data);
      const [sync, async] = await both(file, size);
      for (const o of [sync, async]) {
        assert.ok('bytes' in o, 'error' in o ? o.error : '');
        assert.ok(o.bytes.equals(fs.readFileSync(file)));
      }
    });
  }

  it('refuses one byte over the cap with both drivers, in the same words', async () => {
    const file = path.join(dir, 'over.bin');
    fs.writeFileSync(file, Buffer.alloc(70_000, 7));
    for (const o of await both(file, 69_999)) {
      assert.ok('error' in o && o.refused, JSON.stringify(o));
      assert.strictEqual(o.error, `${file} is larger than the 69,999-byte limit: not read`);
    }
    assert.deepStrictEqual(holds([file]), [], 'a refused read leaves no descriptor open');
  });

  it('refuses a folder, a FIFO and a link to /dev/zero with both drivers, closing what was opened', async () => {
    const fifo = path.join(dir, 'pipe.json');
    execFileSync('mkfifo', [fifo]);
    const link = path.join(dir, 'zero.json');
    fs.symlinkSync('/dev/zero', link);
    const sub = path.join(dir, 'folder.json');
    fs.mkdirSync(sub);
    const expected: Array<[string, RegExp]> = [[sub, /is a folder, not a regular file/], [fifo, /is a pipe, not a regular file/], [link, /device or system file \(\/dev\/zero\)/]];
    for (const [file, message] of expected) {
      for (const o of await both(file, 1 << 20)) {
        assert.ok('error' in o && o.refused, `${file}: ${JSON.stringify(o)}`);
        assert.match(o.error, message);
      }
    }
    await assert.rejects(openRegularFile(fifo), (e: Error) => e instanceof ReadRefused && /a pipe/.test(e.message));
    assert.deepStrictEqual(holds([sub, fifo]), [], 'refusals after the open close the descriptor');
  });

  it('passes a missing file\'s error through from both drivers (not a refusal)', async () => {
    for (const o of await both(path.join(dir, 'absent.json'), 1024)) {
      assert.ok('error' in o && !o.refused && o.code === 'ENOENT', JSON.stringify(o));
    }
  });
});
