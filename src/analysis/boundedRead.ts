// Every file the CLI and the editor read from disk goes through here: regular files only, and a byte cap enforced
// while reading. `stat().size` cannot be trusted for a cap: it is 0 for /dev/zero, FIFOs, /dev/stdin and /proc
// files, and a symlink named config.json can point at any of them. Opening with O_NONBLOCK keeps a FIFO from
// holding one of libuv's four file threads until a writer appears.
//
// The rules are written once, as generators of file operations (realpath, open, stat, read, close); a synchronous
// and an asynchronous driver carry the operations out with fs and fs.promises.
import * as fs from 'fs';

/** The file could not be read as a bounded regular file; the message says why, in words for the user. */
export class ReadRefused extends Error {}

const SPECIAL_ROOTS = /^(\/dev|\/proc|\/sys)(\/|$)/;
/** Read size where the file's size is not known (or it grew past what stat said). */
const CHUNK_BYTES = 64 * 1024;
/** The largest single read: a file stat says is huge is still read (and refused) in bounded steps. */
const MAX_READ_BYTES = 4 * 1024 * 1024;
const OPEN_FLAGS = fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0);

/** `real`: where the path leads (links followed), undefined where it cannot be resolved. */
function refuseSpecialPath(file: string, real: string | undefined): void {
  if (SPECIAL_ROOTS.test(file) || (real !== undefined && SPECIAL_ROOTS.test(real))) {
    throw new ReadRefused(`${file} is a device or system file${real && real !== file ? ` (${real})` : ''}, not a model file: not read`);
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

// ---- the operations and their rules ------------------------------------------------------------------------

/** One file operation; `H` is the driver's handle (a descriptor, a FileHandle). What each step gives back is noted. */
type Step<H> =
  | { op: 'realpath'; file: string } // → the path with links resolved, undefined where that fails
  | { op: 'open'; file: string } // → H
  | { op: 'stat'; handle: H } // → fs.Stats
  | { op: 'read'; handle: H; buffer: Buffer } // → bytes read (0 at the end)
  | { op: 'close'; handle: H }; // → nothing

type Steps<H, T> = Generator<Step<H>, T, unknown>;

/** Opens a regular file: special paths refused before the open, anything but a regular file after it (then closed). */
function* openChecked<H>(file: string): Steps<H, { handle: H; stat: fs.Stats }> {
  refuseSpecialPath(file, (yield { op: 'realpath', file }) as string | undefined);
  const handle = (yield { op: 'open', file }) as H;
  try {
    const stat = (yield { op: 'stat', handle }) as fs.Stats;
    refuseNonRegular(file, stat);
    return { handle, stat };
  } catch (e) {
    yield { op: 'close', handle };
    throw e;
  }
}

/**
 * The bytes of a regular file, at most `maxBytes`. The size stat gave is a hint for the read size only (most files
 * are read in one read); the cap is counted on the bytes read, until the end.
 */
function* boundedRead<H>(file: string, maxBytes: number): Steps<H, Buffer> {
  const { handle, stat } = yield* openChecked<H>(file);
  try {
    const hint = stat.size;
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      // Up to one byte past the expected end: a file of the stated size comes back short, one that grew does not.
      const wanted = total <= hint ? hint - total + 1 : CHUNK_BYTES;
      const buffer = Buffer.allocUnsafe(Math.min(wanted, MAX_READ_BYTES, maxBytes + 1 - total));
      const bytesRead = (yield { op: 'read', handle, buffer }) as number;
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > maxBytes) throw tooLarge(file, maxBytes);
      chunks.push(buffer.subarray(0, bytesRead));
      // A short read that ends where stat said the file ends is its end (a file that grew fills the extra byte and
      // is read on): no second read to find it.
      if (total === hint && bytesRead < buffer.length) break;
    }
    // A copy: no bytes of the unfilled (uninitialised) tails go out.
    return Buffer.concat(chunks, total);
  } finally {
    yield { op: 'close', handle };
  }
}

// ---- drivers -----------------------------------------------------------------------------------------------

/** realpath(3) (`.native`): one call where fs.realpathSync walks the path in JS, a stat per component. */
function realpath(file: string): string | undefined {
  try {
    return fs.realpathSync.native(file);
  } catch {
    return undefined;
  }
}

function performSync(step: Step<number>): unknown {
  switch (step.op) {
    case 'realpath': return realpath(step.file);
    case 'open': return fs.openSync(step.file, OPEN_FLAGS);
    case 'stat': return fs.fstatSync(step.handle);
    case 'read': return fs.readSync(step.handle, step.buffer, 0, step.buffer.length, null);
    case 'close': return fs.closeSync(step.handle);
  }
}

async function performAsync(step: Step<fs.promises.FileHandle>): Promise<unknown> {
  switch (step.op) {
    // Synchronous here too (as it always was): one call costs less than a trip through libuv's thread pool.
    case 'realpath': return realpath(step.file);
    case 'open': return fs.promises.open(step.file, OPEN_FLAGS);
    case 'stat': return step.handle.stat();
    case 'read': return (await step.handle.read(step.buffer, 0, step.buffer.length, null)).bytesRead;
    case 'close': return step.handle.close();
  }
}

/** Runs the steps; an operation's error is thrown into the generator at its step (so its `finally` closes). */
function driveSync<T>(steps: Steps<number, T>): T {
  let next = steps.next();
  while (!next.done) {
    let value: unknown;
    try {
      value = performSync(next.value);
    } catch (e) {
      next = steps.throw(e);
      continue;
    }
    next = steps.next(value);
  }
  return next.value;
}

async function driveAsync<T>(steps: Steps<fs.promises.FileHandle, T>): Promise<T> {
  let next = steps.next();
  while (!next.done) {
    let value: unknown;
    try {
      value = await performAsync(next.value);
    } catch (e) {
      next = steps.throw(e);
      continue;
    }
    next = steps.next(value);
  }
  return next.value;
}

// ---- the API -------------------------------------------------------------------------------------------------

/** The bytes of a regular file, at most `maxBytes` of them (a larger file is refused, whatever `stat` says). */
export function readRegularFile(file: string, maxBytes: number): Promise<Buffer> {
  // The generator runs inside the async driver: a refusal before any operation rejects, it does not throw.
  return driveAsync(boundedRead<fs.promises.FileHandle>(file, maxBytes));
}

/** The same, synchronously (the CLI's config command). */
export function readRegularFileSync(file: string, maxBytes: number): Buffer {
  return driveSync(boundedRead<number>(file, maxBytes));
}

/** Opens a regular file for reads at offsets (GGUF headers), refusing special files before any read. */
export async function openRegularFile(file: string): Promise<fs.promises.FileHandle> {
  return (await driveAsync(openChecked<fs.promises.FileHandle>(file))).handle;
}
