// Shared pieces of the readers: building a DeploymentSpec, command lines in YAML, edit sites.
import type { BudgetInputs } from '../core/types';
import type {
  DeploymentSpec, DocumentKind, EditContext, FormatProblem, InPlaceEdit, InputKey, Insertion, ServingEngine, SourceRange,
  ValueContext, WorkloadSpec,
} from './types';
import { Word, shellCommands, wordOfScalar, wordRange } from './shell';
import { CANONICAL_FLAG, FLAGS, ParsedArgs, TGI_INPUT_LIMIT_FLAGS, findInvocation, engineOfImage, imageVersion, parseArgs } from './engines';
import { parseCount, parseInput } from './values';
import type { OffsetMap } from './scalar';
import { keepShapeAlive } from '../core/shapes';
import { YMap, YNode, YScalar, YSeq, columnOf, innerRange, isScalar, isSeq, resolvePlain, scalarWithMap } from './yaml';

// ---------------------------------------------------------------------------
// Text helpers.

export function eolOf(text: string): string {
  const i = text.indexOf('\n');
  return i > 0 && text[i - 1] === '\r' ? '\r\n' : '\n';
}

/** Offset of the end of the line holding `pos` (before `\r\n` / `\n`). */
export function lineEnd(text: string, pos: number): number {
  const i = text.indexOf('\n', pos);
  if (i < 0) return text.length;
  return i > 0 && text[i - 1] === '\r' ? i - 1 : i;
}

export function spaces(n: number): string { return ' '.repeat(Math.max(0, n)); }

export function indentOf(text: string, pos: number): string { return spaces(columnOf(text, pos)); }

/** Typed value of a scalar (YAML core schema). */
export function scalarRaw(s: YScalar): unknown {
  if (s.fromLib) return s.libValue;
  return s.style === 'plain' ? resolvePlain(s.value) : s.value;
}

export function contextOf(s: YScalar, mustBeString: boolean): { context: ValueContext; exact: boolean } {
  switch (s.style) {
    case 'plain': return { context: mustBeString ? 'yaml-plain-string' : 'yaml-plain', exact: true };
    case 'double': return { context: 'yaml-double', exact: true };
    case 'single': return { context: 'yaml-single', exact: true };
    default: return { context: 'word', exact: false };
  }
}

export function scalarTarget(text: string, s: YScalar, mustBeString: boolean): InPlaceEdit['targets'][number] {
  return { range: innerRange(text, s), ...contextOf(s, mustBeString) };
}

// ---------------------------------------------------------------------------
// DeploymentSpec builder.

export class SpecBuilder {
  readonly inputs: BudgetInputs = {};
  readonly valueRanges: Partial<Record<InputKey, SourceRange>> = {};
  readonly keyRanges: Partial<Record<InputKey, SourceRange>> = {};
  readonly edit: EditContext = { inPlace: {}, insert: {} };
  model?: { name: string; range: SourceRange };
  workload?: WorkloadSpec;
  accelerator?: DeploymentSpec['accelerator'];
  span?: SourceRange;

  constructor(readonly text: string, readonly problems: FormatProblem[]) {}

  /**
   * Records a value as written. Invalid values become a problem at `valueRange` and are left
   * out of `inputs`; their ranges and in-place edit are kept so a quick fix can replace them.
   */
  set(key: InputKey, raw: unknown, what: string, valueRange: SourceRange, keyRange: SourceRange | undefined,
    targets: InPlaceEdit['targets'] | undefined, extra: Omit<InPlaceEdit, 'targets'> = {}): boolean {
    const r = parseInput(key, raw, what);
    this.valueRanges[key] = valueRange;
    if (keyRange) this.keyRanges[key] = keyRange;
    else delete this.keyRanges[key];
    if (targets && targets.length) this.edit.inPlace[key] = { targets, ...extra };
    else delete this.edit.inPlace[key];
    if (!r.ok) {
      delete (this.inputs as Record<string, unknown>)[key];
      this.problems.push({ severity: r.severity, message: r.message, range: valueRange });
      return false;
    }
    (this.inputs as Record<string, unknown>)[key] = r.value;
    return true;
  }

  setModel(name: string, range: SourceRange): void {
    if (name.trim() !== '') this.model = { name: name.trim(), range };
  }

  /** Insertion sites for keys that are absent (those present are edited in place). */
  offer(key: InputKey, ins: Insertion | undefined): void {
    if (ins && !this.edit.insert[key]) this.edit.insert[key] = ins;
  }

  build(kind: DocumentKind, engine: ServingEngine, label: string, anchor: SourceRange): DeploymentSpec {
    for (const k of Object.keys(this.edit.insert) as InputKey[]) if (this.edit.inPlace[k]) delete this.edit.insert[k];
    if (engine !== 'vllm') {
      // The budget engine emulates vLLM only: SGLang / TGI settings are mapped to vLLM meaning and sized
      // like vLLM, so no engine name or version goes into the inputs (`spec.engine` says which server it is).
      delete this.inputs.engine;
      delete this.valueRanges.engine;
      delete this.keyRanges.engine;
      delete this.edit.inPlace.engine;
      delete this.edit.insert.engine;
    }
    const spec: DeploymentSpec = {
      kind, engine, label, inputs: this.inputs, valueRanges: this.valueRanges, keyRanges: this.keyRanges, anchor, edit: this.edit,
    };
    if (this.model) spec.model = this.model;
    if (this.workload) spec.workload = this.workload;
    if (this.accelerator) spec.accelerator = this.accelerator;
    if (this.span) spec.span = this.span;
    return spec;
  }
}
keepShapeAlive(new SpecBuilder('', []));

// ---------------------------------------------------------------------------
// Command lines.

/** Each item of a YAML list as one word (Kubernetes `command` / `args`). */
export function wordsOfSeq(text: string, seq: YSeq): Word[] {
  const out: Word[] = [];
  for (const it of seq.items) {
    if (!isScalar(it)) continue;
    const inner = innerRange(text, it);
    const d = scalarWithMap(text, it);
    const w = wordOfScalar(it.value, d?.map, it, inner);
    w.item = it;
    w.seq = seq;
    out.push(w);
  }
  return out;
}

/** Simple commands of a shell string held in a YAML scalar. */
export function shellWordsOfScalar(text: string, s: YScalar): Word[][] {
  const d = scalarWithMap(text, s);
  let map: OffsetMap;
  if (d) map = d.map;
  else {
    const inner = innerRange(text, s);
    map = [];
    for (let k = 0; k <= s.value.length; k++) map.push(Math.min(inner.start + k, inner.end));
  }
  const cmds = shellCommands(s.value, map);
  for (const c of cmds) for (const w of c) w.scalar = s;
  return cmds;
}

const SHELLS = new Set(['sh', 'bash', 'zsh', 'dash', 'ash', 'ksh']);

export interface Invocation {
  engine: ServingEngine;
  /** Words of the command (its name included). */
  all: Word[];
  /** Arguments after the command name. */
  args: Word[];
  positionalModel: boolean;
}

/**
 * Finds the serving command in a container's command line: list items, one shell string
 * (`sh -c "..."`, or an item that is a whole command line), or, with no command, the
 * image's own entrypoint (`vllm/vllm-openai` runs `vllm serve`, TGI runs the launcher).
 * `expand` fills in the variables the file sets (Kubernetes `$(VAR)`, Compose `${VAR}`) in every word.
 */
export function findCommand(text: string, parts: (YNode | null | undefined)[], image: string | undefined,
  opts: { imageDefault: boolean; forceEngine?: ServingEngine; expand?: (w: Word) => Word }): Invocation | undefined {
  const expand = opts.expand;
  const seqWords = (seq: YSeq): Word[] => (expand ? wordsOfSeq(text, seq).map(expand) : wordsOfSeq(text, seq));
  const shellWords = (s: YScalar): Word[][] => (expand ? shellWordsOfScalar(text, s).map((cmd) => cmd.map(expand)) : shellWordsOfScalar(text, s));
  const wordsOf = (from: number): Word[] => parts.slice(from).flatMap((p) => (isSeq(p) ? seqWords(p) : isScalar(p) ? shellWords(p).flat() : []));
  const words: Word[] = [];
  for (let p = 0; p < parts.length; p++) {
    const part = parts[p];
    if (isSeq(part)) words.push(...seqWords(part));
    else if (isScalar(part)) {
      const cmds = shellWords(part);
      for (let c = 0; c < cmds.length; c++) {
        const inv = findInvocation(cmds[c]);
        if (!inv) continue;
        // An entrypoint string naming the server (`entrypoint: python3 -m sglang.launch_server`) takes its
        // flags from the command after it.
        const cmd = c === cmds.length - 1 && words.length === 0 && p + 1 < parts.length ? [...cmds[c], ...wordsOf(p + 1)] : cmds[c];
        return { engine: inv.engine, all: cmd, args: cmd.slice(inv.argStart), positionalModel: inv.positionalModel };
      }
      for (const cmd of cmds) words.push(...cmd);
    }
  }
  const fromScript = (s: YScalar): Invocation | undefined => {
    for (const cmd of shellWords(s)) {
      const inv = findInvocation(cmd);
      if (inv) return { engine: inv.engine, all: cmd, args: cmd.slice(inv.argStart), positionalModel: inv.positionalModel };
    }
    return undefined;
  };
  for (let i = 0; i + 2 < words.length; i++) {
    const b = words[i].text.slice(words[i].text.lastIndexOf('/') + 1);
    if (SHELLS.has(b) && /^-[a-zA-Z]*c[a-zA-Z]*$/.test(words[i + 1].text) && words[i + 2].item) {
      const inv = fromScript(words[i + 2].item as YScalar);
      if (inv) return inv;
    }
  }
  for (const w of words) {
    if (w.item && /\s/.test(w.text)) {
      const inv = fromScript(w.item);
      if (inv) return inv;
    }
  }
  const inv = findInvocation(words);
  if (inv) return { engine: inv.engine, all: words, args: words.slice(inv.argStart), positionalModel: inv.positionalModel };
  if (opts.imageDefault) {
    const engine = opts.forceEngine ?? engineOfImage(image);
    // An image whose entrypoint is `vllm`, given `serve MODEL --flags` as its arguments.
    if (engine === 'vllm' && !opts.forceEngine && words[0]?.text === 'serve') return { engine, all: words, args: words.slice(1), positionalModel: true };
    if (engine) return { engine, all: words, args: words, positionalModel: engine === 'vllm' && !opts.forceEngine };
  }
  return undefined;
}

export interface AppliedArgs {
  parsed: ParsedArgs;
  /** TGI --max-input-length / --max-input-tokens as written. */
  inputLimit?: { value: number; range: SourceRange };
}

/** Maps the flags of an invocation onto the builder. */
export function applyArgs(b: SpecBuilder, inv: Invocation): AppliedArgs {
  const text = b.text;
  const parsed = parseArgs(inv.args);
  const table = FLAGS[inv.engine];
  const seen = new Map<InputKey | 'model', SourceRange>();
  let inputLimit: AppliedArgs['inputLimit'];
  for (const f of parsed.flags) {
    const target = table[f.name];
    const flagText = f.word.text.slice(0, f.nameLength);
    const keyR = wordRange(text, f.word, 0, f.nameLength);
    if (!target) {
      if (inv.engine === 'tgi' && TGI_INPUT_LIMIT_FLAGS.has(f.name) && f.valueWord) {
        const r = parseCount(f.valueWord.text.slice(f.valueOffset), flagText);
        if (r.ok) inputLimit = { value: r.value as number, range: wordRange(text, f.valueWord, f.valueOffset).range };
      }
      continue;
    }
    if (!f.valueWord) {
      b.problems.push({ severity: 'error', message: `${flagText} needs a value.`, range: keyR.range });
      continue;
    }
    const valueText = f.valueWord.text.slice(f.valueOffset);
    const vr = wordRange(text, f.valueWord, f.valueOffset);
    const prev = seen.get(target);
    if (prev) {
      b.problems.push({ severity: 'warning', message: `${flagText} is given again later; the last value wins.`, range: prev });
    }
    seen.set(target, keyR.range);
    if (target === 'model') { b.setModel(valueText, vr.range); continue; }
    b.set(target, valueText, flagText, vr.range, keyR.range, [{ range: vr.range, context: 'word', exact: vr.exact }]);
  }
  // `vllm serve MODEL`: the positional model wins over --model.
  if (inv.positionalModel && inv.args.length && !inv.args[0].text.startsWith('-')) {
    const w = inv.args[0];
    b.setModel(w.text, wordRange(text, w).range);
  }
  return { parsed, inputLimit };
}

function quoteOf(s: YScalar | undefined): string {
  if (!s) return '';
  return s.style === 'double' ? '"' : s.style === 'single' ? "'" : '';
}

/** Where new flags of this command go, written like the flags already there. */
export function flagInsertions(b: SpecBuilder, inv: Invocation, parsed: ParsedArgs,
  fallback?: { map: YMap; key: string; quoteValues: boolean }): void {
  const text = b.text;
  const eol = eolOf(text);
  const flags = parsed.flags;
  let eqCount = 0, sepCount = 0, under = 0, hyph = 0;
  for (const f of flags) {
    if (f.equals) eqCount++; else if (f.valueWord) sepCount++;
    const name = f.word.text.slice(f.dashes, f.nameLength);
    const target = FLAGS[inv.engine][f.name];
    if (!target || target === 'model') continue;
    if (name.includes('_')) under++; else if (name.includes('-')) hyph++;
  }
  const equals = eqCount > sepCount;
  const underscore = inv.engine === 'vllm' && under > hyph;
  const flagName = (key: InputKey): string | undefined => {
    const f = CANONICAL_FLAG[inv.engine][key];
    return f ? '--' + (underscore ? f.replace(/-/g, '_') : f) : undefined;
  };
  const last = inv.args.length ? inv.args[inv.args.length - 1] : inv.all[inv.all.length - 1];
  let make: ((flag: string) => Insertion | undefined) | undefined;
  if (last && last.item && last.seq) {
    const seq = last.seq;
    const lastItem = seq.items[seq.items.length - 1] ?? last.item;
    const flagItem = [...flags].reverse().find((f) => f.word.item)?.word.item;
    const valueItem = [...flags].reverse().find((f) => !f.equals && f.valueWord?.item)?.valueWord?.item;
    const at = seq.flow ? lastItem.end : lineEnd(text, lastItem.end);
    const indent = indentOf(text, seq.start);
    make = (flag) => ({
      type: 'seq-items', at, flow: seq.flow, indent, eol, flag, equals,
      flagQuote: quoteOf(flagItem), valueQuote: quoteOf(valueItem) || (flags.length === 0 && fallback?.quoteValues ? '"' : quoteOf(valueItem)),
    });
  } else if (last && last.scalar) {
    const lw = wordRange(text, last);
    const rawEndOk = lw.exact && (last.rawEnd === lw.range.end || last.rawEnd === lw.range.end + 1);
    if (rawEndOk) {
      const all = inv.all;
      let gap = ' ';
      for (let k = all.length - 1; k >= 1; k--) {
        if (all[k].text.startsWith('-')) {
          const g = text.slice(all[k - 1].rawEnd, all[k].rawStart);
          const literal = last.scalar.style === 'literal';
          if (/^[ \t]*\\\r?\n[ \t]*$/.test(g) || (!literal && /^[ \t]*(\r?\n[ \t]*)?$/.test(g) && g.length > 0)) gap = g;
          break;
        }
      }
      const at = last.rawEnd;
      make = (flag) => ({ type: 'shell', at, gap, flag, equals, context: 'word' });
    }
  } else if (!last && fallback && !fallback.map.flow && !fallback.map.pairs.some((p) => p.key.value === fallback.key)) {
    const m = fallback.map;
    const indent = indentOf(text, m.start);
    let child = indent + '  ';
    for (const p of m.pairs) {
      if (isSeq(p.value) && !p.value.flow) { child = indentOf(text, p.value.start); break; }
    }
    const at = lineEnd(text, m.end);
    make = (flag) => ({
      type: 'new-block', at, indent, childIndent: child, eol, parentKey: fallback.key, list: true, flag, quoteValues: fallback.quoteValues,
    });
  }
  if (!make) return;
  for (const key of Object.keys(CANONICAL_FLAG[inv.engine]) as InputKey[]) {
    const f = flagName(key);
    if (f) b.offer(key, make(f));
  }
}

/** Engine version from an image tag (`vllm/vllm-openai:v0.19.0` -> `vllm@0.19.0`). */
export function applyImage(b: SpecBuilder, engine: ServingEngine, imageNode: YScalar | undefined, imageKey: YScalar | undefined): void {
  const text = b.text;
  const pattern = engine === 'vllm' ? /vllm/i : engine === 'sglang' ? /sglang/i : /text-generation-inference|tgi/i;
  if (imageNode && pattern.test(imageNode.value)) {
    const v = imageVersion(imageNode.value);
    if (v) {
      const inner = innerRange(text, imageNode);
      const start = inner.start + v.offset;
      const range = { start, end: start + v.version.length };
      const exact = text.slice(range.start, range.end) === v.version && imageNode.style !== 'literal' && imageNode.style !== 'folded';
      b.set('engine', `${engine}@${v.version}`, 'image tag', range, imageKey ? innerRange(text, imageKey) : undefined,
        [{ range, context: 'word', exact }], { versionOnly: true });
      return;
    }
  }
  b.inputs.engine = engine;
}

/** Kubernetes extended resources of accelerators, with what they are called. NVIDIA's is the default kind. */
export const ACCELERATOR_RESOURCES: ReadonlyMap<string, string> = new Map([
  ['nvidia.com/gpu', 'NVIDIA GPU'],
  ['amd.com/gpu', 'AMD GPU'],
  ['habana.ai/gaudi', 'Intel Gaudi'],
  ['gpu.intel.com/i915', 'Intel GPU (i915)'],
  ['gpu.intel.com/xe', 'Intel GPU (Xe)'],
  ['google.com/tpu', 'Google TPU'],
  ['aws.amazon.com/neuron', 'AWS Neuron (Inferentia/Trainium)'],
  ['aws.amazon.com/neurondevice', 'AWS Neuron (Inferentia/Trainium)'],
  ['aws.amazon.com/neuroncore', 'AWS Neuron (Inferentia/Trainium)'],
]);

export const GPU_RESOURCE_KEYS = [...ACCELERATOR_RESOURCES.keys()];

