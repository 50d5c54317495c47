// Every file the CLI and the editor read from disk goes through here: regular files only, and a byte cap enforced
// while reading. `stat().size` cannot be trusted for a cap: it is 0 for /dev/zero, FIFOs, /dev/stdin and /proc
// files, and a symlink named config.json can point at any of them. Opening with O_NONBLOCK keeps a FIFO from
// holding one of libuv's four file threads until a writer appears.
import * as fs from 'fs';

/** The file could not be read as a bounded regular file; the message says why, in words for the user. */
export class ReadRefused extends Error {}

const SPECIAL_ROOTS = /^(\/dev|\/proc|\/sys)(\/|$)/;
const CHUNK_BYTES = 64 * 1024;
const OPEN_FLAGS = fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0);

function refuseSpecialPath(file: string): void {
  const real = safeRealpath(file);
  if (SPECIAL_ROOTS.test(file) || (real !== undefined && SPECIAL_ROOTS.test(real))) {
    throw new ReadRefused(`${file} is a device or system file${real && real !== file ? ` (${real})` : ''}, not a model file: not read`);
  }
}

function safeRealpath(file: string): string | undefined {
  try {
    return fs.realpathSync(file);
  } catch {
    return undefined;
  }
}

function refuseNonRegular(file: string, st: fs.Stats): void {
  if (!st.isFile()) {
    const what = st.isFIFO() ? 'a pipe' : st.isCharacterDevice() || st.isBlockDevice() ? 'a device' : st.isSocket() ? 'a socket' : st.isDirectory() ? 'a folder' : 'not a regular file';
    throw new ReadRefused(`${file} is ${what}, not a regular file: not read`);
  }
}

function tooLarge(file: string, maxBytes: number): ReadRefused {
  return new ReadRefused(`${file} is larger than the ${maxBytes.toLocaleString('en-US')}-byte limit: not read`);
}

/** The bytes of a regular file, at most `maxBytes` of them (a larger file is refused, whatever `stat` says). */
export async function readRegularFile(file: string, maxBytes: number): Promise<Buffer> {
  refuseSpecialPath(file);
  const fh = await fs.promises.open(file, OPEN_FLAGS);
  try {
    refuseNonRegular(file, await fh.stat());
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buf = Buffer.alloc(Math.min(CHUNK_BYTES, maxBytes + 1 - total));
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > maxBytes) throw tooLarge(file, maxBytes);
      chunks.push(buf.subarray(0, bytesRead));
    }
    return Buffer.concat(chunks, total);
  } finally {
    await fh.close();
  }
}

/** The same, synchronously (the CLI's config command). */
export function readRegularFileSync(file: string, maxBytes: number): Buffer {
  refuseSpecialPath(file);
  const fd = fs.openSync(file, OPEN_FLAGS);
  try {
    refuseNonRegular(file, fs.fstatSync(fd));
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buf = Buffer.alloc(Math.min(CHUNK_BYTES, maxBytes + 1 - total));
      const bytesRead = fs.readSync(fd, buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > maxBytes) throw tooLarge(file, maxBytes);
      chunks.push(buf.subarray(0, bytesRead));
    }
    return Buffer.concat(chunks, total);
  } finally {
    fs.closeSync(fd);
  }
}

/** Opens a regular file for reads at offsets (GGUF headers), refusing special files before any read. */
export async function openRegularFile(file: string): Promise<fs.promises.FileHandle> {
  refuseSpecialPath(file);
  const fh = await fs.promises.open(file, OPEN_FLAGS);
  try {
    refuseNonRegular(file, await fh.stat());
    return fh;
  } catch (e) {
    await fh.close();
    throw e;
  }
}
