// Helpers of the check tests: temporary folders, the real deployment corpus, and positions computed from the
// text by splitting lines (independently of src/analysis/lines.ts).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export const ROOT = path.resolve(__dirname, '../../../..');
export const CORPUS = path.resolve(ROOT, '..', 'shared', 'deployments');
export const LLAMA_8B = path.join(ROOT, 'examples', 'models', 'Llama-3.1-8B');

/** The corpus's deployment files (its README and SOURCES.tsv left out). */
export function corpusFiles(): string[] {
  return fs.readdirSync(CORPUS).filter((f) => /\.ya?ml$/.test(f)).sort().map((f) => path.join(CORPUS, f));
}

/** A fresh temporary folder holding these files (relative path → text); removed by the caller. */
export function tempTree(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ib-check-'));
  for (const [rel, text] of Object.entries(files)) {
    const p = path.join(dir, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, text);
  }
  return dir;
}

/** 1-based line and column of an offset: lines split at \r\n, \r and \n, columns in UTF-16 units. */
export function position(text: string, offset: number): { line: number; column: number } {
  const lines = text.split(/\r\n|\r|\n/);
  const breaks = text.match(/\r\n|\r|\n/g) ?? [];
  let start = 0;
  for (let i = 0; i < lines.length; i++) {
    const end = start + lines[i].length;
    if (offset <= end || i === lines.length - 1) return { line: i + 1, column: Math.min(offset, end) - start + 1 };
    const next = end + (breaks[i]?.length ?? 0);
    if (offset < next) return { line: i + 1, column: end - start + 1 };
    start = next;
  }
  return { line: 1, column: 1 };
}

export function capture(): { out: (s: string) => void; err: (s: string) => void; stdout: () => string; stderr: () => string } {
  let o = '';
  let e = '';
  return { out: (s) => { o += s + '\n'; }, err: (s) => { e += s + '\n'; }, stdout: () => o, stderr: () => e };
}
