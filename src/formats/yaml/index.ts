// YAML documents as a small tree with source offsets.
//
// Two paths build the same tree (src/formats/yaml/nodes.ts): the fast path (fast.ts: a linear parser for the
// subset of YAML deployment files are written in; its top comment states the subset) and the library path
// (library.ts: the `yaml` library, whose errors become problems). The fast path either gives exactly the
// library's tree or declines, and the document is then read by the library; the differential test
// (test/unit/formats/yaml-differential.test.ts) checks it. Plain scalars are typed by the YAML 1.2 core schema
// (schema.ts; vLLM config files use `resolveYaml11`, as PyYAML reads them).
import { clampProblems, nestingProblem } from '../limits';
import type { FormatProblem } from '../types';
import { FastParser, NextSearch, TooDeep, Unsupported, newEscapeSearch } from './fast';
import { lineStartOf, parseWithLib } from './library';
import type { YDoc, YNode, YamlParse } from './nodes';

export * from './nodes';
export { resolvePlain, resolveYaml11 } from './schema';
export { nestingOverLimit, ALIAS_NODE_BUDGET } from './library';

const SPACE = 32, TAB = 9, LF = 10, CR = 13;

/** Offsets where documents start (`---` lines); the first segment starts at 0. */
export function splitSegments(text: string): { start: number; end: number }[] {
  const starts: number[] = [0];
  let p = 0;
  for (;;) {
    const i = p === 0 && text.startsWith('---') ? 0 : text.indexOf('\n---', p);
    if (i < 0) break;
    const lineStart = i === 0 && p === 0 && text.startsWith('---') ? 0 : i + 1;
    const after = text.charCodeAt(lineStart + 3);
    if (Number.isNaN(after) || after === SPACE || after === TAB || after === LF || after === CR) {
      if (lineStart !== 0) starts.push(lineStart);
    }
    p = lineStart + 3;
  }
  const segs: { start: number; end: number }[] = [];
  for (let k = 0; k < starts.length; k++) segs.push({ start: starts[k], end: k + 1 < starts.length ? starts[k + 1] : text.length });
  return segs;
}

export interface ParseYamlOptions {
  /** Skip documents whose text this returns false for (they are not parsed at all). */
  filter?: (text: string, start: number, end: number) => boolean;
  /** Always use the `yaml` library (same as `path: 'library'`). */
  forceLib?: boolean;
  /**
   * Which path reads the documents: `auto` (the fast path, the library for what it declines), `library`, or
   * `fast` (tests only: what the fast path declines is left out and counted in `declined`).
   */
  path?: 'auto' | 'library' | 'fast';
  /** Keys whose block values are skipped, not parsed (fast path only). */
  skipKeys?: ReadonlySet<string>;
  /** Receives each document as soon as it is parsed; the documents are then not kept (less memory held). */
  onDoc?: YamlDocSink;
}

/**
 * What takes each document of `parseYaml` as it is parsed: an object with a method rather than a callback made per
 * call, whose compiled code V8 would drop at each full GC (src/core/shapes.ts).
 */
export interface YamlDocSink { read(doc: YDoc): void }

/**
 * The text both paths read: a carriage return alone is a line break in YAML (as PyYAML reads it), which the
 * `yaml` library does not implement; it is read as a line feed. The length is unchanged, so offsets hold.
 */
function lineBreaksNormalized(text: string): string {
  if (text.indexOf('\r') < 0 || !/\r(?!\n)/.test(text)) return text;
  return text.replace(/\r(?!\n)/g, '\n');
}

/**
 * One `parseYaml` call's state. The per-segment work is module-level functions over it, not closures made per call:
 * V8 drops a closure's compiled code at a full GC once its closures are gone (src/core/shapes.ts), and a manifest's
 * segments would then run through the parser's driver unoptimized after every one.
 */
interface YamlRun {
  readonly text: string;
  readonly path: 'auto' | 'fast' | 'library';
  readonly opts: ParseYamlOptions;
  readonly problems: FormatProblem[];
  readonly docs: YDoc[];
  readonly escapes: NextSearch;
  declined: number;
}

function emitDoc(run: YamlRun, d: YDoc): void {
  if (run.opts.onDoc) run.opts.onDoc.read(d); else run.docs.push(d);
}

function parseSegment(run: YamlRun, start: number, end: number, retry: boolean): void {
  const { text, path, problems } = run;
  let root: YNode | null;
  try {
    if (path === 'fast' && text.charCodeAt(start) === 37) throw new Unsupported('directive');
    root = new FastParser(text, start, end, run.opts.skipKeys, run.escapes).parseDocument();
  } catch (e) {
    if (e instanceof TooDeep) {
      // Neither this parser nor the library reads it; what comes before the line is read.
      problems.push(nestingProblem(e.offset, text.length));
      const cut = lineStartOf(text, e.offset, start);
      if (retry && cut > start) parseSegment(run, start, cut, false);
      return;
    }
    if (!(e instanceof Unsupported)) throw e;
    if (path === 'fast') { run.declined++; return; }
    for (const d of parseWithLib(text, start, end, problems, retry)) emitDoc(run, d);
    return;
  }
  if (root !== null) emitDoc(run, { root, start, end, fromLib: false });
}

export function parseYaml(input: string, opts: ParseYamlOptions = {}): YamlParse {
  const text = lineBreaksNormalized(input);
  const problems: FormatProblem[] = [];
  const docs: YDoc[] = [];
  const path = opts.forceLib ? 'library' : opts.path ?? 'auto';
  const run: YamlRun = { text, path, opts, problems, docs, escapes: newEscapeSearch(), declined: 0 };
  // Directives (%YAML) belong to the next document; leave such files to the library.
  if (path === 'library' || (path === 'auto' && text.includes('%') && /^%/m.test(text))) {
    for (const d of parseWithLib(text, 0, text.length, problems)) if (!opts.filter || opts.filter(text, d.start, d.end)) emitDoc(run, d);
    return { docs, problems: clampProblems(problems, text.length) };
  }
  for (const seg of splitSegments(text)) {
    if (opts.filter && !opts.filter(text, seg.start, seg.end)) continue;
    parseSegment(run, seg.start, seg.end, true);
  }
  const out: YamlParse = { docs, problems: clampProblems(problems, text.length) };
  if (path === 'fast') out.declined = run.declined;
  return out;
}
