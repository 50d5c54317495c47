// Quick fixes that leave a valid, fitting file. Each fix is a set of text edits (every place that must agree:
// tensor parallelism and the GPUs requested in limits and requests, a LeaderWorkerSet's pods, a compose device
// list, Helm's requestGPU), and it is offered only when the document WITH the edits, analysed again by the same
// code path (`analyzeDocument`, same settings and host), fits, or is strictly better; the title then says what
// remains. GPU names are written as the place they go expects (a node label value for a label key).
// No vscode import: the editor turns these into code actions, tests apply them to text.
import { findAccelerator } from '../core/hardware';
import type { Accelerator, BudgetDiagnostic, BudgetInputs } from '../core/types';
import { editsForInput } from '../formats';
import { GPU_LABELS } from '../formats/kubernetes';
import type { DeploymentSpec, SourceRange, TextEdit } from '../formats/types';
import { AnalysisHost, analysisItems, analysisProblems, AnalyzedItem, analyzeDocument, DocumentAnalysis, DocumentInput, engineDiagnostics, subjectOf } from './analyze';
import { itemFindings, notSizedReason } from './findings';
import type { Logger } from './log';
import type { Settings } from './settings';

export interface QuickFix {
  /** What the light bulb menu shows; says what remains when the result still does not fit. */
  title: string;
  /** Non-overlapping edits of the document text, in document order. */
  edits: TextEdit[];
  /** The findings (codes) this fix answers. */
  diagnosticCodes: string[];
  preferred: boolean;
  /** What the engine says about the document after the edits. */
  outcome: { fits: boolean; summary: string };
}

/** Analyses the document text again, as it would read after an edit. */
export type Reanalyze = (text: string) => Promise<DocumentAnalysis>;

/** A `Reanalyze` that runs `analyzeDocument` with the same document identity, settings and host. */
export function reanalyzer(doc: Omit<DocumentInput, 'text' | 'version'>, settings: Settings, host: AnalysisHost, log: Logger, version = 0): Reanalyze {
  return (text) => analyzeDocument({ ...doc, version, text }, settings, host, log);
}

export interface QuickFixOptions {
  /** Only fixes for these findings (the ones under the cursor); all when absent. */
  only?: (d: BudgetDiagnostic) => boolean;
}

/** Errors a fix may leave in place of another (a deployment whose weights now fit, whose context does not). */
const PROGRESS_CODES = new Set(['weights-do-not-fit', 'kv-does-not-fit', 'context-does-not-fit']);
const PREFERRED_CODES = new Set(['kv-does-not-fit', 'context-does-not-fit', 'max-model-len-above-max-position', 'weights-do-not-fit', 'unknown-gpu', 'parallel-exceeds-gpus']);
/** GPUs on one node: tensor parallelism is searched up to this (or the GPUs the deployment has, when more). */
const GPUS_PER_NODE = 8;
/** Closest catalog names tried for an unknown GPU. */
const GPU_CANDIDATES = 3;

interface Proposal {
  id: string;
  title: string;
  edits: TextEdit[];
  codes: string[];
}

interface Assessment {
  sized: boolean;
  fits: boolean;
  /** Errors, and a model context that does not fit (a warning that blocks). */
  errors: number;
  errorCodes: Set<string>;
  weightsFit: boolean;
  /** The largest context that fits (tokens). */
  capacity: number;
  /** What stands, in a few words. */
  summary: string;
}

/**
 * The quick fixes of one analysed item (a deployment), each checked by analysing the edited text again. Fixes
 * that leave the deployment no better are not offered.
 */
export async function quickFixes(analysis: DocumentAnalysis, itemIndex: number, reanalyze: Reanalyze, options: QuickFixOptions = {}): Promise<QuickFix[]> {
  const items = analysisItems(analysis);
  const item = items[itemIndex];
  const spec = item?.spec;
  // Only a deployment the engine was run on has findings to fix.
  if (!item || !spec || item.status === 'not-found' || item.status === 'not-sized') return [];
  const before = assess(analysis, itemIndex);
  if (!before) return [];
  const text = analysis.text;
  const diags = engineDiagnostics(item).filter((d) => !options.only || options.only(d));
  const out: QuickFix[] = [];
  const seen = new Set<string>();
  const evaluate = async (p: Proposal): Promise<{ fix: QuickFix; after: Assessment } | undefined> => {
    if (seen.has(p.id)) return undefined;
    seen.add(p.id);
    const edited = applyEdits(text, p.edits);
    if (edited === undefined) return undefined;
    let after: Assessment | undefined;
    try {
      const a = await reanalyze(edited);
      const again = analysisItems(a);
      if (again.length !== items.length || again[itemIndex]?.label !== item.label) return undefined;
      after = assess(a, itemIndex);
    } catch {
      return undefined;
    }
    if (!after || !(after.fits || better(after, before))) return undefined;
    const title = after.fits ? p.title : `${p.title} (still does not fit: ${after.summary})`;
    return { fix: { title, edits: p.edits, diagnosticCodes: p.codes, preferred: false, outcome: { fits: after.fits, summary: after.summary } }, after };
  };

  const tasks: Promise<void>[] = [];
  const push = (r: { fix: QuickFix } | undefined, preferred: boolean): void => {
    if (!r) return;
    r.fix.preferred = preferred && r.fix.outcome.fits;
    out.push(r.fix);
  };
  for (const d of diags) {
    const key = subjectOf(d);
    if (d.code === 'unknown-gpu') {
      tasks.push(gpuFixes(analysis, item, spec, d, evaluate).then((rs) => rs.forEach((r, i) => push(r, i === 0))));
      continue;
    }
    if (d.code === 'weights-do-not-fit' || ((d.code === 'kv-does-not-fit' || d.code === 'context-does-not-fit') && spec.engine !== 'llamacpp' && spec.engine !== 'ollama')) {
      const current = item.inputs.tensorParallel ?? 1;
      const from = d.code === 'weights-do-not-fit' && typeof d.suggestedValue === 'number' ? Math.max(d.suggestedValue, current + 1) : current + 1;
      tasks.push(tensorParallelFix(analysis, item, spec, from, d.code, evaluate).then((r) => push(r, d.code === 'weights-do-not-fit')));
      if (d.code === 'weights-do-not-fit') continue;
    }
    if (d.code === 'parallel-exceeds-gpus') {
      const world = (item.inputs.tensorParallel ?? 1) * (item.inputs.pipelineParallel ?? 1);
      const edits = editsForInput(text, spec, 'gpuCount', world);
      if (edits) tasks.push(evaluate({ id: `gpuCount=${world}`, title: `Request ${int(world)} GPUs (tensor parallel × pipeline parallel)`, edits, codes: [d.code] }).then((r) => push(r, true)));
      continue;
    }
    if (d.suggestedValue === undefined || !key || key === 'model') continue;
    const edits = editsForInput(text, spec, key, d.suggestedValue);
    if (!edits) continue;
    tasks.push(evaluate({ id: `${key}=${d.suggestedValue}`, title: fixTitle(key, d.suggestedValue), edits, codes: [d.code] })
      .then((r) => push(r, PREFERRED_CODES.has(d.code))));
  }
  await Promise.all(tasks);
  // Fixes of the same finding gathered together; a fix that fits first.
  const rank = (f: QuickFix): number => (f.preferred ? 0 : f.outcome.fits ? 1 : 2);
  return out.map((f, i) => ({ f, i })).sort((a, b) => rank(a.f) - rank(b.f) || a.i - b.i).map((x) => x.f);
}

/** The title a person reads in the light bulb menu for setting one input. */
export function fixTitle(key: keyof BudgetInputs, value: number | string): string {
  const v = typeof value === 'number' ? int(value) : value;
  switch (key) {
    case 'maxModelLen': return `Set max model len to ${v} (the largest that fits)`;
    case 'kvCacheDtype': return `Switch the KV cache to ${v}`;
    case 'tensorParallel': return `Raise tensor parallelism to ${v}`;
    case 'pipelineParallel': return `Set pipeline parallelism to ${v}`;
    case 'maxNumSeqs': return `Lower max_num_seqs to ${v}`;
    case 'gpuMemoryUtilization': return `Set gpu_memory_utilization to ${v}`;
    case 'gpu': return `Use GPU ${v}`;
    case 'gpuCount': return `Use ${v} GPUs`;
    default: return `Set ${String(key)} to ${v}`;
  }
}

// ---------------------------------------------------------------------------------------
// Tensor parallelism: the smallest power of two that fits, with the GPUs requested raised to match.

async function tensorParallelFix(
  analysis: DocumentAnalysis, item: AnalyzedItem, spec: DeploymentSpec, from: number, code: string,
  evaluate: (p: Proposal) => Promise<{ fix: QuickFix; after: Assessment } | undefined>,
): Promise<{ fix: QuickFix } | undefined> {
  const text = analysis.text;
  const pp = item.inputs.pipelineParallel ?? 1;
  // The GPUs the document (or the settings) state; without either the engine gives the deployment TP × PP.
  const gpus = item.inputs.gpuCount;
  const limit = Math.max(GPUS_PER_NODE, gpus ?? 0);
  const heads = headCounts(item.files?.config);
  let best: { fix: QuickFix; after: Assessment } | undefined;
  for (let tp = 1; tp <= limit; tp *= 2) {
    if (tp < from || !splits(heads, tp)) continue;
    const edits = editsForInput(text, spec, 'tensorParallel', tp);
    if (!edits) return undefined;
    const world = tp * pp;
    const all = [...edits];
    if (gpus !== undefined && gpus < world) {
      // Every place that states the GPUs (limits and requests, LWS pods, device ids, requestGPU) must agree.
      const more = editsForInput(text, spec, 'gpuCount', world);
      if (more) for (const e of more) all.push(e);
      else if (spec.inputs.gpuCount !== undefined) continue;
    }
    const title = `Raise tensor parallelism to ${int(tp)}${gpus !== undefined && gpus < world ? ` and request ${int(world)} GPUs` : ''}`;
    const r = await evaluate({ id: `tensorParallel=${tp}`, title, edits: sortEdits(all), codes: [code] });
    if (!r) continue;
    if (r.after.fits) return r;
    if (!best || better(r.after, best.after)) best = r;
  }
  return best;
}

/** The attention and KV head counts vLLM divides by TP, from the config (text_config of a wrapper). */
function headCounts(config: unknown): { heads?: number; kvHeads?: number } {
  const c = (config && typeof config === 'object' ? config : {}) as Record<string, unknown>;
  const inner = (c.text_config && typeof c.text_config === 'object' ? c.text_config : c) as Record<string, unknown>;
  const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : undefined);
  const heads = num(inner.num_attention_heads) ?? num(c.num_attention_heads);
  const kvHeads = num(inner.num_key_value_heads) ?? num(c.num_key_value_heads) ?? heads;
  return { heads, kvHeads };
}

/** vLLM's rule: heads divisible by TP; KV heads divisible by TP, or TP by the KV heads. */
function splits(h: { heads?: number; kvHeads?: number }, tp: number): boolean {
  if (h.heads !== undefined && h.heads % tp !== 0) return false;
  if (h.kvHeads !== undefined && (tp >= h.kvHeads ? tp % h.kvHeads !== 0 : h.kvHeads % tp !== 0)) return false;
  return true;
}

// ---------------------------------------------------------------------------------------
// GPU names: the closest catalog entries, written as the key they go under expects.

async function gpuFixes(
  analysis: DocumentAnalysis, item: AnalyzedItem, spec: DeploymentSpec, d: BudgetDiagnostic,
  evaluate: (p: Proposal) => Promise<{ fix: QuickFix; after: Assessment } | undefined>,
): Promise<({ fix: QuickFix } | undefined)[]> {
  const text = analysis.text;
  const custom = analysis.settings.customGpus.length ? analysis.settings.customGpus : undefined;
  const written = item.inputs.gpu;
  const lookup = written !== undefined ? findAccelerator(String(written), custom) : undefined;
  const names = lookup && !lookup.ok && lookup.closest.length ? lookup.closest : typeof d.suggestedValue === 'string' ? [d.suggestedValue] : [];
  const keyRange = spec.keyRanges.gpu;
  const keyText = keyRange ? text.slice(keyRange.start, keyRange.end).trim() : '';
  const proposals: Proposal[] = [];
  for (const name of names.slice(0, GPU_CANDIDATES)) {
    const found = findAccelerator(name, custom);
    if (!found.ok) continue;
    const value = gpuValueFor(keyText, found.accelerator, custom);
    if (value === undefined) continue;
    const edits = editsForInput(text, spec, 'gpu', value);
    if (!edits) continue;
    const title = value === found.accelerator.name ? `Use GPU ${value}` : `Use GPU ${value} (${found.accelerator.name})`;
    proposals.push({ id: `gpu=${value}`, title, edits, codes: [d.code] });
  }
  return Promise.all(proposals.map((p) => evaluate(p)));
}

/** Kubernetes label values: at most 63 characters, alphanumerics at both ends, `-`, `_`, `.` inside. */
export const LABEL_VALUE = /^(?=.{1,63}$)[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

/** Whether a key is a node label (a label key of a selector or affinity), whose value must be a label value. */
export function isLabelKey(key: string): boolean {
  return GPU_LABELS.includes(key) || /^([a-z0-9.-]+\/)?[A-Za-z0-9][-A-Za-z0-9_.]*$/.test(key) && key.includes('/');
}

/**
 * How a GPU is written under `key`: for a node label, a value valid for it that the label's owner uses
 * (`nvidia.com/gpu.product: NVIDIA-H100-80GB-HBM3`, `cloud.google.com/gke-accelerator: nvidia-h100-80gb`), from the
 * catalog's aliases or derived from its name; elsewhere (budget files) the catalog name. The value always reads
 * back as the same catalog entry; undefined when none does.
 */
export function gpuValueFor(key: string, acc: Accelerator, custom?: Accelerator[]): string | undefined {
  const candidates = isLabelKey(key) ? labelCandidates(key, acc) : [acc.name, acc.id];
  for (const v of candidates) {
    if (isLabelKey(key) && !LABEL_VALUE.test(v)) continue;
    const back = findAccelerator(v, custom);
    if (back.ok && back.accelerator.id === acc.id) return v;
  }
  return undefined;
}

function aliasesOf(acc: Accelerator): string[] {
  return Array.isArray(acc.aliases) ? acc.aliases.filter((a): a is string => typeof a === 'string') : [];
}

/** A name as a label value: runs of other characters become `sep`, ends trimmed. */
function derive(name: string, sep: string): string {
  return name.replace(/[^A-Za-z0-9_.-]+/g, sep).replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '').slice(0, 63).replace(/[^A-Za-z0-9]+$/, '');
}

/** Label values to try for an accelerator under a label key, best first. */
function labelCandidates(key: string, acc: Accelerator): string[] {
  const aliases = aliasesOf(acc);
  const instances = acc.instanceGpuCounts ? Object.keys(acc.instanceGpuCounts) : [];
  const plain = aliases.filter((a) => LABEL_VALUE.test(a) && !instances.includes(a));
  const byLength = (xs: string[]): string[] => [...xs].sort((a, b) => a.length - b.length);
  switch (key) {
    case 'cloud.google.com/gke-accelerator':
      // GKE's names: nvidia-l4, nvidia-h100-80gb, nvidia-tesla-a100.
      return [...plain.filter((a) => /^nvidia-[a-z0-9-]+$/.test(a)), `nvidia-${derive(acc.id, '-').toLowerCase()}`];
    case 'cloud.google.com/gke-tpu-accelerator':
      return plain.filter((a) => /^tpu-[a-z0-9-]+$/.test(a));
    case 'amd.com/gpu.product-name':
    case 'beta.amd.com/gpu.product-name':
      // The AMD labeller writes the product name with underscores (AMD_Instinct_MI300X).
      return [derive(acc.name.replace(/\s+\d+GB$/i, ''), '_'), ...byLength(plain)];
    case 'node.kubernetes.io/instance-type':
    case 'beta.kubernetes.io/instance-type':
      return [];
    case 'karpenter.k8s.aws/instance-gpu-name':
    case 'gpu.nvidia.com/class':
      // Short model names (h100, a10g, l4).
      return byLength(plain.filter((a) => /^[A-Za-z]*\d+[A-Za-z]*$/.test(a))).map((a) => (key.startsWith('karpenter') ? a.toLowerCase() : a));
    default: {
      // nvidia.com/gpu.product and others: GPU feature discovery's product name, spaces as dashes
      // (NVIDIA-H100-80GB-HBM3, NVIDIA-A100-SXM4-80GB, Tesla-T4).
      const gfd = plain.filter((a) => /^(NVIDIA|Tesla|Quadro|AMD)-/.test(a));
      const smi = aliases.filter((a) => /^(NVIDIA|Tesla|Quadro) /.test(a)).map((a) => derive(a, '-'));
      return [...gfd, ...smi, derive(acc.name, '-'), ...byLength(plain)];
    }
  }
}

// ---------------------------------------------------------------------------------------
// Judging the result

function assess(analysis: DocumentAnalysis, index: number): Assessment | undefined {
  const item = analysisItems(analysis)[index];
  if (!item) return undefined;
  const findings = itemFindings(analysis, item);
  const blocking = findings.filter((f) => f.severity === 'error' || f.code === 'context-does-not-fit');
  const problems = analysisProblems(analysis).filter((p) => p.severity === 'error' && within(p.range, item.spec?.span));
  const report = item.status === 'sized' ? item.report : undefined;
  const errors = blocking.length + problems.length;
  const fits = !!report && report.capacity.fits && errors === 0;
  const first = blocking[0]?.message ?? problems[0]?.message ?? notSizedReason(item) ?? 'not sized';
  return {
    sized: !!report,
    fits,
    errors,
    errorCodes: new Set([...blocking.map((f) => f.code), ...problems.map(() => 'format')]),
    weightsFit: !!report?.capacity.weightsFit,
    capacity: report ? Math.max(0, report.capacity.estimatedMaxModelLen || 0) : 0,
    summary: fits ? `fits: ${int(report!.capacity.kvCacheTokens)} tokens of KV cache` : short(first),
  };
}

function within(r: SourceRange, span: SourceRange | undefined): boolean {
  return !span || (r.end >= span.start && r.start <= span.end);
}

/** Strictly better: fewer errors; or as many, none of a new kind but fitting in memory, and closer to fitting. */
function better(a: Assessment, b: Assessment): boolean {
  if (a.errors < b.errors && !newErrors(a, b).some((c) => !PROGRESS_CODES.has(c))) return true;
  if (a.errors !== b.errors || newErrors(a, b).some((c) => !PROGRESS_CODES.has(c))) return false;
  if (a.sized !== b.sized) return a.sized;
  if (!a.sized) return false;
  if (a.weightsFit !== b.weightsFit) return a.weightsFit;
  return a.capacity > b.capacity;
}

function newErrors(a: Assessment, b: Assessment): string[] {
  return [...a.errorCodes].filter((c) => !b.errorCodes.has(c));
}

/** The first sentence of a message, shortened. */
function short(message: string): string {
  const first = message.split(/(?<=[.;])\s/)[0].replace(/[.;]$/, '');
  return first.length > 120 ? `${first.slice(0, 117)}…` : first;
}

function int(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function sortEdits(edits: TextEdit[]): TextEdit[] {
  return [...edits].sort((a, b) => a.range.start - b.range.start);
}

/** The text after non-overlapping edits; undefined when they overlap or fall outside it. */
export function applyEdits(text: string, edits: readonly TextEdit[]): string | undefined {
  const sorted = sortEdits([...edits]);
  let out = '';
  let at = 0;
  for (const e of sorted) {
    if (e.range.start < at || e.range.end < e.range.start || e.range.end > text.length) return undefined;
    out += text.slice(at, e.range.start) + e.newText;
    at = e.range.end;
  }
  return out + text.slice(at);
}
