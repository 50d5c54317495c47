// Shared pieces of the readers: building a DeploymentSpec, command lines in YAML, edit sites.
import type { BudgetInputs } from '../core/types';
import type {
  DeploymentSpec, DocumentKind, EditContext, FlagSpelling, FormatProblem, InPlaceEdit, InputKey, Insertion, ServingEngine, SourceRange,
  ValueContext, WorkloadSpec,
} from './types';
import { Word, shellCommands, wordOfScalar, wordRange } from './shell';
import {
  CANONICAL_FLAG, FLAGS, FlagTarget, LLAMACPP_CACHE_TYPE_V, LLAMACPP_HF_FLAGS, LLAMACPP_NEGATIVE_FLAGS, ParsedArgs, TGI_INPUT_LIMIT_FLAGS, UNREAD_ENV, engineSpecOfImage, envTable,
  findInvocation, imageEntrypoint, isBooleanInput, isNotMemoryFlag, parseArgs,
} from './engines';
import { parseCount, parseInput } from './values';
import { isKnownQuantization } from '../core/quantization';
import { INPUT_SPECS, checkInput } from '../core/inputs';
import type { OffsetMap } from './scalar';
import { keepShapeAlive } from '../core/shapes';
import { YMap, YNode, YScalar, YSeq, columnOf, innerRange, isScalar, isSeq, resolvePlain, scalarWithMap } from './yaml';

// ---------------------------------------------------------------------------
// Text helpers.

export function eolOf(text: string): string {
  // The first line break decides: CRLF, a lone CR (old Mac files, which YAML reads as line breaks) or LF.
  const m = /\r\n|\r|\n/.exec(text);
  return m ? m[0] : '\n';
}

/** Offset of the end of the line holding `pos` (before `\r\n`, `\n` or a lone `\r`). */
export function lineEnd(text: string, pos: number): number {
  for (let i = pos; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 || c === 13) return i;
  }
  return text.length;
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

/** Names of unread flags a finding lists; more are counted. */
const MAX_UNREAD_LISTED = 40;

export class SpecBuilder {
  readonly inputs: BudgetInputs = {};
  readonly valueRanges: Partial<Record<InputKey, SourceRange>> = {};
  readonly keyRanges: Partial<Record<InputKey, SourceRange>> = {};
  readonly edit: EditContext = { inPlace: {}, insert: {} };
  model?: { name: string; range: SourceRange };
  workload?: WorkloadSpec;
  accelerator?: DeploymentSpec['accelerator'];
  span?: SourceRange;
  /** Flags and settings that may change memory and are not read (each once, as written). */
  private readonly unread: string[] = [];
  private readonly unreadSeen = new Set<string>();
  private unreadMore = 0;
  private unreadRange?: SourceRange;

  constructor(readonly text: string, readonly problems: FormatProblem[]) {}

  /** Records a flag (or engine setting) the budget does not follow; one finding lists them all. */
  noteUnread(name: string, range: SourceRange): void {
    if (this.unreadSeen.has(name)) return;
    this.unreadSeen.add(name);
    // A finding lists a few dozen names; the rest are counted (a generated file can carry 100,000 flags).
    if (this.unread.length < MAX_UNREAD_LISTED) this.unread.push(name);
    else this.unreadMore++;
    this.unreadRange ??= range;
  }

  /** Records where a value is written without giving it to the engine (a value meaning the engine's default). */
  place(key: InputKey, valueRange: SourceRange, keyRange: SourceRange | undefined, targets: InPlaceEdit['targets'] | undefined): void {
    delete (this.inputs as Record<string, unknown>)[key];
    this.valueRanges[key] = valueRange;
    if (keyRange) this.keyRanges[key] = keyRange;
    else delete this.keyRanges[key];
    if (targets && targets.length) this.edit.inPlace[key] = { targets };
    else delete this.edit.inPlace[key];
  }

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
    // A key edited in place gets no insertion. The sites offered are copied without those keys rather than deleted
    // from: an object that loses properties turns into a slow dictionary, and a manifest builds hundreds.
    const offered = this.edit.insert;
    const insert: EditContext['insert'] = {};
    for (const k in offered) if (!this.edit.inPlace[k as InputKey]) insert[k as InputKey] = offered[k as InputKey];
    this.edit.insert = insert;
    if (engine === 'tgi') {
      // TGI is not emulated: its settings are mapped to vLLM meaning and sized like vLLM, so no engine name or
      // version goes into the inputs (`spec.engine` says which server it is). SGLang, llama.cpp and Ollama keep
      // theirs: the budget sizes them by their own rules.
      delete this.inputs.engine;
      delete this.valueRanges.engine;
      delete this.keyRanges.engine;
      delete this.edit.inPlace.engine;
      delete this.edit.insert.engine;
    }
    // Values that come from sums and products (GPUs of a LeaderWorkerSet, `32k` in a count) may still fall outside
    // what the engine takes: said at the value, and left out, rather than handed to the engine to refuse.
    for (const name in this.inputs) {
      const key = name as InputKey;
      const spec = INPUT_SPECS.get(key);
      const verdict = spec ? checkInput(spec, this.inputs[key]) : undefined;
      if (!verdict || verdict.ok) continue;
      delete (this.inputs as Record<string, unknown>)[key];
      this.problems.push({ severity: 'error', message: `${spec!.label}: ${verdict.message}.`, range: this.valueRanges[key] ?? anchor });
    }
    const spec: DeploymentSpec = {
      kind, engine, label, inputs: this.inputs, valueRanges: this.valueRanges, keyRanges: this.keyRanges, anchor, edit: this.edit,
    };
    if (this.model) spec.model = this.model;
    if (this.workload) spec.workload = this.workload;
    if (this.accelerator) spec.accelerator = this.accelerator;
    if (this.span) spec.span = this.span;
    if (this.unread.length && this.unreadRange) spec.unread = { names: [...this.unread], range: this.unreadRange, ...(this.unreadMore ? { more: this.unreadMore } : {}) };
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

// findCommand's helpers are module-level functions, not closures made per call: V8 drops a closure's compiled code
// at a full GC once its closures are gone (src/core/shapes.ts), and a manifest has hundreds of containers.

/** A list's words, variables filled in. */
function seqWords(text: string, seq: YSeq, expand: ((w: Word) => Word) | undefined): Word[] {
  const words = wordsOfSeq(text, seq);
  if (expand) for (let i = 0; i < words.length; i++) words[i] = expand(words[i]);
  return words;
}

/** A shell string's commands and their words, variables filled in. */
function shellWords(text: string, s: YScalar, expand: ((w: Word) => Word) | undefined): Word[][] {
  const cmds = shellWordsOfScalar(text, s);
  if (expand) for (const cmd of cmds) for (let i = 0; i < cmd.length; i++) cmd[i] = expand(cmd[i]);
  return cmds;
}

/** The words of parts[from …], one list. */
function partsWords(text: string, parts: (YNode | null | undefined)[], from: number, expand: ((w: Word) => Word) | undefined): Word[] {
  const out: Word[] = [];
  for (let p = from; p < parts.length; p++) {
    const part = parts[p];
    if (isSeq(part)) for (const w of seqWords(text, part, expand)) out.push(w);
    else if (isScalar(part)) for (const cmd of shellWords(text, part, expand)) for (const w of cmd) out.push(w);
  }
  return out;
}

/** The first command of a shell script that runs a server. */
function invocationInScript(text: string, s: YScalar, expand: ((w: Word) => Word) | undefined): Invocation | undefined {
  for (const cmd of shellWords(text, s, expand)) {
    const inv = findInvocation(cmd);
    if (inv) return { engine: inv.engine, all: cmd, args: cmd.slice(inv.argStart), positionalModel: inv.positionalModel };
  }
  return undefined;
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
  const words: Word[] = [];
  for (let p = 0; p < parts.length; p++) {
    const part = parts[p];
    if (isSeq(part)) for (const w of seqWords(text, part, expand)) words.push(w);
    else if (isScalar(part)) {
      const cmds = shellWords(text, part, expand);
      for (let c = 0; c < cmds.length; c++) {
        const inv = findInvocation(cmds[c]);
        if (!inv) continue;
        // An entrypoint string naming the server (`entrypoint: python3 -m sglang.launch_server`) takes its
        // flags from the command after it.
        const cmd = c === cmds.length - 1 && words.length === 0 && p + 1 < parts.length ? [...cmds[c], ...partsWords(text, parts, p + 1, expand)] : cmds[c];
        return { engine: inv.engine, all: cmd, args: cmd.slice(inv.argStart), positionalModel: inv.positionalModel };
      }
      for (const cmd of cmds) for (const w of cmd) words.push(w);
    }
  }
  for (let i = 0; i + 2 < words.length; i++) {
    const b = words[i].text.slice(words[i].text.lastIndexOf('/') + 1);
    if (SHELLS.has(b) && /^-[a-zA-Z]*c[a-zA-Z]*$/.test(words[i + 1].text) && words[i + 2].item) {
      const inv = invocationInScript(text, words[i + 2].item as YScalar, expand);
      if (inv) return inv;
    }
  }
  for (const w of words) {
    if (w.item && /\s/.test(w.text)) {
      const inv = invocationInScript(text, w.item, expand);
      if (inv) return inv;
    }
  }
  const inv = findInvocation(words);
  if (inv) return { engine: inv.engine, all: words, args: words.slice(inv.argStart), positionalModel: inv.positionalModel };
  if (opts.imageDefault) {
    const entry: ReturnType<typeof imageEntrypoint> = opts.forceEngine ? { engine: opts.forceEngine } : imageEntrypoint(image);
    const engine = entry?.engine;
    // An image whose entrypoint is `vllm`, given `serve MODEL --flags` as its arguments.
    if (engine === 'vllm' && !opts.forceEngine && words[0]?.text === 'serve') return { engine, all: words, args: words.slice(1), positionalModel: true };
    // llama.cpp's `full` images run tools.sh: `--server` (or `-s`) serves, anything else is another tool.
    if (entry?.serverArg) {
      const first = words.findIndex((w) => w.text === '--server' || w.text === '-s');
      return first >= 0 ? { engine: 'llamacpp', all: words, args: words.slice(first + 1), positionalModel: false } : undefined;
    }
    // Ollama's image runs `ollama serve`; its arguments are not flags of the server (`serve`).
    if (engine === 'ollama') return { engine, all: words, args: [], positionalModel: false };
    if (engine) return { engine, all: words, args: words, positionalModel: engine === 'vllm' && !opts.forceEngine };
  }
  // An Ollama image serves Ollama whatever script starts it (`ollama serve & ollama pull llama3.1`).
  if (!opts.forceEngine && imageEntrypoint(image)?.engine === 'ollama') return { engine: 'ollama', all: words, args: [], positionalModel: false };
  return undefined;
}

/** vLLM's speculative-decoding flags: `--speculative-config JSON` (0.9+), `--speculative-model` and `--num-speculative-tokens` before. */
const VLLM_SPECULATIVE_FLAGS = new Set(['speculative-config', 'speculative-model', 'num-speculative-tokens']);

/** The drafter a draft model's name implies: EAGLE heads by name, vLLM's `[ngram]`, else a separate draft model. */
function drafterOfModel(model: string): string {
  if (/eagle-?3/i.test(model)) return 'eagle3';
  if (/eagle/i.test(model)) return 'eagle';
  if (model.trim() === '[ngram]' || /^ngram$/i.test(model.trim())) return 'ngram';
  return 'draft';
}

function applySpeculativeFlag(b: SpecBuilder, name: string, value: string, what: string, range: SourceRange, keyRange: SourceRange): void {
  if (name === 'num-speculative-tokens') { b.set('speculativeTokens', value, what, range, keyRange, undefined); return; }
  if (name === 'speculative-model') {
    b.set('speculativeMethod', drafterOfModel(value), what, range, keyRange, undefined);
    if (drafterOfModel(value) !== 'ngram') b.set('speculativeModel', value, what, range, keyRange, undefined);
    return;
  }
  let config: unknown;
  try {
    config = JSON.parse(value);
  } catch {
    b.problems.push({ severity: 'warning', message: `${what} is not valid JSON; speculative decoding is not read.`, range });
    return;
  }
  applySpeculativeConfig(b, config, what, range, keyRange);
}

/**
 * vLLM's speculative config (`{"method": "eagle3", "model": "…", "num_speculative_tokens": 3}`) as the drafter and
 * the tokens it drafts; a config without a method names its draft model.
 */
export function applySpeculativeConfig(b: SpecBuilder, config: unknown, what: string, range: SourceRange, keyRange: SourceRange | undefined): void {
  if (!config || typeof config !== 'object' || Array.isArray(config)) {
    b.problems.push({ severity: 'warning', message: `${what} is not an object; speculative decoding is not read.`, range });
    return;
  }
  const o = config as Record<string, unknown>;
  const method = typeof o.method === 'string' && o.method.trim() ? o.method : typeof o.model === 'string' && o.model.trim() ? drafterOfModel(o.model) : undefined;
  if (method) b.set('speculativeMethod', method, `${what} method`, range, keyRange, undefined);
  if (o.num_speculative_tokens !== undefined) b.set('speculativeTokens', o.num_speculative_tokens, `${what} num_speculative_tokens`, range, keyRange, undefined);
  // The drafter's model (an EAGLE head, a draft model), whose config sizes its KV cache when it can be resolved.
  if (typeof o.model === 'string' && o.model.trim() && drafterOfModel(o.model) !== 'ngram') b.set('speculativeModel', o.model, `${what} model`, range, keyRange, undefined);
}

export interface AppliedArgs {
  parsed: ParsedArgs;
  /** TGI --max-input-length / --max-input-tokens as written. */
  inputLimit?: { value: number; range: SourceRange };
}

/** Maps the flags of an invocation onto the builder. Flags that may change memory and are not read are noted. */
export function applyArgs(b: SpecBuilder, inv: Invocation): AppliedArgs {
  const text = b.text;
  const engine = inv.engine;
  const parsed = parseArgs(inv.args, engine);
  const table = FLAGS[engine];
  const seen = new Map<FlagTarget, SourceRange>();
  let inputLimit: AppliedArgs['inputLimit'];
  let cacheTypeV: { value: string; range: SourceRange } | undefined;
  for (const f of parsed.flags) {
    let target: FlagTarget | undefined = table[f.name];
    // vLLM's switches have a negative form (argparse BooleanOptionalAction): --no-enforce-eager; llama-server's
    // listed ones too (--no-kv-unified).
    const negated = !target && ((engine === 'vllm' && f.name.startsWith('no-') && isBooleanInput(table[f.name.slice(3)]))
      || (engine === 'llamacpp' && LLAMACPP_NEGATIVE_FLAGS[f.name] !== undefined));
    if (negated) target = engine === 'llamacpp' ? LLAMACPP_NEGATIVE_FLAGS[f.name] : table[f.name.slice(3)];
    const flagText = f.word.text.slice(0, f.nameLength);
    const keyR = wordRange(text, f.word, 0, f.nameLength);
    if (!target) {
      if (engine === 'tgi' && TGI_INPUT_LIMIT_FLAGS.has(f.name) && f.valueWord) {
        const r = parseCount(f.valueWord.text.slice(f.valueOffset), flagText);
        if (r.ok) inputLimit = { value: r.value as number, range: wordRange(text, f.valueWord, f.valueOffset).range };
        continue;
      }
      if (engine === 'vllm' && VLLM_SPECULATIVE_FLAGS.has(f.name) && f.valueWord) {
        applySpeculativeFlag(b, f.name, f.valueWord.text.slice(f.valueOffset), flagText, wordRange(text, f.valueWord, f.valueOffset).range, keyR.range);
        continue;
      }
      if (engine === 'llamacpp' && LLAMACPP_CACHE_TYPE_V.has(f.name) && f.valueWord) {
        cacheTypeV = { value: f.valueWord.text.slice(f.valueOffset), range: wordRange(text, f.valueWord, f.valueOffset).range };
        continue;
      }
      if (!isNotMemoryFlag(engine, f.name)) b.noteUnread(flagText, keyR.range);
      continue;
    }
    const prev = seen.get(target);
    if (prev) {
      b.problems.push({ severity: 'warning', message: `${flagText} is given again later; the last value wins.`, range: prev });
    }
    seen.set(target, keyR.range);
    if (!f.valueWord) {
      // A switch written alone is on (`--enforce-eager`, `-fa`), or off in its negative form.
      if (isBooleanInput(target)) { b.set(target, !negated, flagText, keyR.range, keyR.range, undefined); continue; }
      b.problems.push({ severity: 'error', message: `${flagText} needs a value.`, range: keyR.range });
      continue;
    }
    const valueText = f.valueWord.text.slice(f.valueOffset);
    const vr = wordRange(text, f.valueWord, f.valueOffset);
    if (target === 'model') { setModelOf(b, engine, valueText, vr.range, engine === 'llamacpp' && LLAMACPP_HF_FLAGS.has(f.name)); continue; }
    setValue(b, engine, target, valueText, flagText, vr.range, keyR.range, [{ range: vr.range, context: 'word', exact: vr.exact }]);
  }
  // `vllm serve MODEL`: the positional model (wherever it is among the flags) wins over --model.
  const positional = inv.positionalModel ? parsed.positionals[0] : undefined;
  if (positional) b.setModel(positional.text, wordRange(text, positional).range);
  if (engine === 'llamacpp') checkCacheTypes(b, cacheTypeV);
  return { parsed, inputLimit };
}

/**
 * Gives one value to the builder as the engine reads it: llama.cpp's `-c 0` (the model's own context), `-ngl auto`
 * / `-1` (its default) and `-fa auto` are the engine's defaults, left to it; `-ngl all` puts every layer on the GPU.
 */
export function setValue(b: SpecBuilder, engine: ServingEngine, key: InputKey, raw: unknown, what: string, valueRange: SourceRange,
  keyRange: SourceRange | undefined, targets: InPlaceEdit['targets'] | undefined): void {
  if (engine === 'llamacpp' || engine === 'ollama') {
    const t = typeof raw === 'string' ? raw.trim().toLowerCase() : String(raw);
    const isDefault = (key === 'maxModelLen' && t === '0') || (key === 'gpuLayers' && (t === 'auto' || t === '-1'))
      || (key === 'flashAttention' && t === 'auto');
    if (isDefault) { b.place(key, valueRange, keyRange, targets); return; }
    if (key === 'gpuLayers' && t === 'all') { b.set(key, ALL_LAYERS, what, valueRange, keyRange, targets); return; }
  }
  b.set(key, raw, what, valueRange, keyRange, targets);
}

/** `-ngl all`: more layers than any model has, as `-ngl 999` is usually written. */
const ALL_LAYERS = 999;

/**
 * The model a server names. llama.cpp's `-hf user/repo:Q4_K_M` (`hfRepo`) names the repository and the GGUF type
 * (Q4_K_M when no type is given: llama.cpp picks it); a GGUF file name says its type (`Qwen3-8B-Q4_K_M.gguf`).
 */
export function setModelOf(b: SpecBuilder, engine: ServingEngine, name: string, range: SourceRange, hfRepo = false): void {
  if (engine !== 'llamacpp' && engine !== 'ollama') { b.setModel(name, range); return; }
  const hub = hfRepo ? /^([\w.-]+\/[\w.-]+)(?::([\w.-]+))?$/.exec(name.trim()) : null;
  if (hub) {
    const repo = hub[1];
    b.setModel(repo, { start: range.start, end: Math.min(range.end, range.start + repo.length) });
    ggufTypeOf(b, hub[2] ?? 'Q4_K_M', range);
    return;
  }
  b.setModel(name, range);
  const m = /[-._]((?:UD-)?(?:I?Q\d_[0-9A-Z_]+|F16|BF16|F32|MXFP4(?:_MOE)?))(?:-\d{5}-of-\d{5})?\.gguf$/i.exec(name);
  if (m) ggufTypeOf(b, m[1], range);
}

/** Sets the quantization from a GGUF type the budget sizes; says so when it does not know the type. */
function ggufTypeOf(b: SpecBuilder, written: string, range: SourceRange): void {
  if (b.inputs.quantization !== undefined) return;
  const name = written.replace(/^UD-/i, '').toLowerCase();
  if (['f16', 'bf16', 'f32'].includes(name)) return;     // unquantized: the checkpoint's own size
  if (isKnownQuantization(name)) {
    b.inputs.quantization = name;
    b.valueRanges.quantization = range;
    return;
  }
  b.problems.push({
    severity: 'information', range,
    message: `GGUF type ${written} is not one the budget sizes (q4_0, q4_1, q4_k_m, q5_k_m, q6_k, q8_0, iq1_s, mxfp4_moe); its weights are counted at the checkpoint's 16-bit size.`,
  });
}

/** llama.cpp keeps K and V in their own types (`-ctk`, `-ctv`, f16 each by default); the budget sizes both with one. */
function checkCacheTypes(b: SpecBuilder, v: { value: string; range: SourceRange } | undefined): void {
  const k = b.inputs.kvCacheDtype;
  const kType = typeof k === 'string' ? k.toLowerCase() : 'f16';
  const vType = v ? v.value.toLowerCase() : 'f16';
  if (kType === vType) return;
  const range = v?.range ?? b.valueRanges.kvCacheDtype!;
  b.problems.push({
    severity: 'information', range,
    message: `K and V caches differ (-ctk ${kType}, -ctv ${vType}${v ? '' : ' by default'}): the budget sizes both as ${kType}; set -ctk and -ctv alike for an exact figure.`,
  });
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
  const spelling: FlagSpelling = { engine: inv.engine, underscore: inv.engine === 'vllm' && under > hyph };
  const last = inv.args.length ? inv.args[inv.args.length - 1] : inv.all[inv.all.length - 1];
  // One site for every flag of the command: each flag's name is spelled from its key when it is inserted.
  let site: Insertion | undefined;
  if (last && last.item && last.seq) {
    const seq = last.seq;
    const lastItem = seq.items[seq.items.length - 1] ?? last.item;
    // The last flag written as an item, and the last value written as an item of its own: how new ones are quoted.
    let flagItem: YScalar | undefined;
    let valueItem: YScalar | undefined;
    for (let i = flags.length - 1; i >= 0 && !(flagItem && valueItem); i--) {
      const f = flags[i];
      flagItem ??= f.word.item;
      if (!f.equals) valueItem ??= f.valueWord?.item;
    }
    const at = seq.flow ? lastItem.end : lineEnd(text, lastItem.end);
    site = {
      type: 'seq-items', at, flow: seq.flow, indent: indentOf(text, seq.start), eol, spelling, equals,
      flagQuote: quoteOf(flagItem), valueQuote: quoteOf(valueItem) || (flags.length === 0 && fallback?.quoteValues ? '"' : quoteOf(valueItem)),
    };
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
      site = { type: 'shell', at: last.rawEnd, gap, spelling, equals, context: 'word' };
    }
  } else if (!last && fallback && !fallback.map.flow && !fallback.map.pairs.some((p) => p.key.value === fallback.key)) {
    const m = fallback.map;
    const indent = indentOf(text, m.start);
    let child = indent + '  ';
    for (const p of m.pairs) {
      if (isSeq(p.value) && !p.value.flow) { child = indentOf(text, p.value.start); break; }
    }
    site = {
      type: 'new-block', at: lineEnd(text, m.end), indent, childIndent: child, eol, parentKey: fallback.key, list: true, spelling,
      quoteValues: fallback.quoteValues,
    };
  }
  if (!site) return;
  for (const key of insertableFlagKeys(inv.engine)) b.offer(key, site);
}

/** The inputs a flag can be added for on an engine: those with a flag, less switches (added bare, not `--flag value`; llama.cpp's take on/off). */
const insertableKeys = new Map<ServingEngine, readonly InputKey[]>();
function insertableFlagKeys(engine: ServingEngine): readonly InputKey[] {
  let keys = insertableKeys.get(engine);
  if (!keys) {
    keys = (Object.keys(CANONICAL_FLAG[engine]) as InputKey[]).filter((key) => !(isBooleanInput(key) && engine !== 'llamacpp'));
    insertableKeys.set(engine, keys);
  }
  return keys;
}

/**
 * Engine and version from an image tag (`vllm/vllm-openai:v0.19.0` -> `vllm@0.19.0`, `:latest` or untagged ->
 * `vllm@latest`, `lmsysorg/sglang:v0.4.6.post1` -> `sglang@0.4.6`). `imageText` is the image with the file's variables
 * filled in, when that differs from what is written (then nothing is edited in place).
 */
export function applyImage(b: SpecBuilder, engine: ServingEngine, imageNode: YScalar | undefined, imageKey: YScalar | undefined, imageText?: string): void {
  const text = b.text;
  const pattern = IMAGE_PATTERN[engine];
  const image = imageText ?? imageNode?.value;
  if (imageNode && image !== undefined && pattern.test(image)) {
    const found = engineSpecOfImage(engine, image);
    const inner = innerRange(text, imageNode);
    const keyRange = imageKey ? innerRange(text, imageKey) : undefined;
    if (found.at && imageText === undefined) {
      const start = inner.start + found.at.offset;
      const range = { start, end: start + found.at.length };
      const exact = found.at.editable && text.slice(range.start, range.end) === image.slice(found.at.offset, found.at.offset + found.at.length)
        && imageNode.style !== 'literal' && imageNode.style !== 'folded';
      b.set('engine', found.spec, 'image tag', range, keyRange, exact ? [{ range, context: 'word', exact }] : undefined, exact ? { versionOnly: true } : {});
      return;
    }
    b.set('engine', found.spec, 'image tag', inner, keyRange, undefined);
    return;
  }
  b.inputs.engine = engine;
}

/** Images whose tag is the engine's own release (a custom image with another name says nothing of the version). */
const IMAGE_PATTERN: Record<ServingEngine, RegExp> = {
  vllm: /vllm/i, sglang: /sglang/i, tgi: /text-generation-inference|tgi/i, llamacpp: /llama[._-]?cpp|llama-server/i, ollama: /(^|\/)ollama(:|@|$)/i,
};

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

// ---------------------------------------------------------------------------
// Engine environment variables and Ollama's models.

/**
 * One environment variable as the engine reads it (TGI's launcher variables, llama-server's `LLAMA_ARG_*`, Ollama's
 * `OLLAMA_*`). Returns whether the variable is the engine's (read or noted as not read).
 */
export function applyEnvEntry(b: SpecBuilder, engine: ServingEngine, name: string, raw: unknown, valueRange: SourceRange,
  keyRange: SourceRange, targets: InPlaceEdit['targets'] | undefined): boolean {
  const target = envTable(engine)?.[name];
  if (!target) {
    if (UNREAD_ENV[engine]?.has(name)) { b.noteUnread(name, keyRange); return true; }
    return false;
  }
  if (target === 'model') setModelOf(b, engine, String(raw), valueRange, name === 'LLAMA_ARG_HF_REPO');
  else setValue(b, engine, target, raw, name, valueRange, keyRange, targets);
  return true;
}

/**
 * Ollama runs llama.cpp with `-c num_ctx × parallel` and `-np parallel`: OLLAMA_CONTEXT_LENGTH is per request, the
 * budget's context length is the whole cache. The file keeps the per-request value (edits divide by parallel).
 */
export function ollamaContext(b: SpecBuilder): void {
  const ctx = b.inputs.maxModelLen;
  const parallel = b.inputs.maxNumSeqs ?? 1;
  if (typeof ctx !== 'number' || parallel <= 1) return;
  b.inputs.maxModelLen = ctx * parallel;
  const ip = b.edit.inPlace.maxModelLen;
  if (ip) ip.divisor = parallel;
}

/** Every simple command of a container's command lines, shell scripts in them split as a shell would. */
export function commandsOf(text: string, parts: (YNode | null | undefined)[], expand?: (w: Word) => Word): Word[][] {
  const out: Word[][] = [];
  const script = (s: YScalar): void => { for (const cmd of shellWordsOfScalar(text, s)) out.push(expand ? cmd.map(expand) : cmd); };
  for (const p of parts) {
    if (isScalar(p)) script(p);
    else if (isSeq(p)) {
      const words = wordsOfSeq(text, p);
      out.push(expand ? words.map(expand) : words);
      for (const w of words) if (w.item && /\s/.test(w.text)) script(w.item);
    }
  }
  return out;
}

/** The model an Ollama container pulls or runs (`ollama pull llama3.1:8b`, `ollama run qwen3`), if its commands say. */
export function ollamaModelIn(b: SpecBuilder, commands: Word[][]): void {
  for (const cmd of commands) {
    for (let i = 0; i + 2 < cmd.length; i++) {
      if (baseOf(cmd[i].text) !== 'ollama' || !/^(pull|run)$/.test(cmd[i + 1].text)) continue;
      const name = cmd.slice(i + 2).find((w) => !w.text.startsWith('-'));
      if (name) { b.setModel(name.text, wordRange(b.text, name).range); return; }
    }
  }
}

function baseOf(s: string): string {
  return s.slice(s.lastIndexOf('/') + 1);
}
