// The findings of an analysis, in order, each on the range of text responsible: the readers' problems, then per
// deployment why it is not sized (model not found, engine not emulated, ...), the engine's findings and notes.
// The editor publishes them as diagnostics and `inference-budget check` prints them: the same list for both.
import type { BudgetDiagnostic, Severity } from '../core/types';
import type { SourceRange } from '../formats/types';
import { analysisItems, analysisProblems, AnalyzedItem, DocumentAnalysis, rangeForDiagnostic, unreachable } from './analyze';

/** The editor's severities: the engine's three, and a hint for notes (shown faintly, not in the Problems count). */
export type FindingSeverity = Severity | 'hint';

export interface Finding {
  severity: FindingSeverity;
  code: string;
  message: string;
  range: SourceRange;
  /** Index of the analysed item (deployment) the finding belongs to; absent for the readers' problems. */
  item?: number;
}

/** Every finding of an analysis (pure translation: engine and readers → one list). */
export function documentFindings(analysis: DocumentAnalysis): Finding[] {
  const out: Finding[] = [];
  for (const p of analysisProblems(analysis)) out.push({ severity: p.severity, code: 'format', message: p.message, range: p.range });
  const items = analysisItems(analysis);
  for (let index = 0; index < items.length; index++) itemFindings(analysis, items[index], index, out);
  return capFindings(out);
}

/** Findings one document shows at most; a generated file can have 100,000 problems, which no one reads. */
export const MAX_FINDINGS_PER_DOCUMENT = 1000;

const SEVERITY_RANK: Record<string, number> = { error: 3, warning: 2, information: 1, hint: 0 };

/** The first findings, and one more on the first left out that says how many were left out and the worst of them. */
function capFindings(all: Finding[]): Finding[] {
  if (all.length <= MAX_FINDINGS_PER_DOCUMENT) return all;
  const kept = all.slice(0, MAX_FINDINGS_PER_DOCUMENT - 1);
  const rest = all.slice(MAX_FINDINGS_PER_DOCUMENT - 1);
  const worst = rest.reduce((w, f) => (SEVERITY_RANK[f.severity] > SEVERITY_RANK[w.severity] ? f : w), rest[0]);
  kept.push({
    severity: worst.severity, code: 'too-many-findings', range: rest[0].range,
    message: `${rest.length.toLocaleString('en-US')} more findings in this document are not shown (the first ${(MAX_FINDINGS_PER_DOCUMENT - 1).toLocaleString('en-US')} are); the worst of them: ${worst.message}`,
  });
  return kept;
}

/**
 * The findings of one analysed item, added to `out` (made when not given) with `item` set to `index`; flags the
 * budget does not read come last, in one finding.
 */
export function itemFindings(analysis: DocumentAnalysis, item: AnalyzedItem, index?: number, out: Finding[] = []): Finding[] {
  sizingFindings(analysis, item, index, out);
  const unread = item.spec?.unread;
  if (unread && unread.names.length) {
    const flags = unread.names.every((n) => n.startsWith('-'));
    out.push({
      severity: 'information', code: 'flags-not-read', range: unread.range, item: index,
      message: `${flags ? 'Flags' : 'Settings'} not read: ${unread.names.join(', ')}${unread.more ? ` and ${unread.more} more` : ''} (what ${unread.names.length + (unread.more ?? 0) === 1 ? 'it does' : 'they do'} to memory is not in this estimate)`,
    });
  }
  return out;
}

/** Why an item is not sized, or what the engine found. */
function sizingFindings(analysis: DocumentAnalysis, item: AnalyzedItem, index: number | undefined, out: Finding[]): Finding[] {
  const modelRange = item.spec?.model?.range ?? item.anchor;
  switch (item.status) {
    case 'not-found':
    case 'not-sized': {
      // One finding says why a deployment is not sized, on the text responsible.
      const n = item.notSized;
      out.push({ severity: 'information', code: n.code, range: n.range, message: n.message ?? `Not sized: ${n.reason}`, item: index });
      if (item.status === 'not-sized') {
        for (const e of item.unsizedDiagnostics ?? []) out.push({ severity: e.severity, code: e.code, message: e.message, range: rangeForDiagnostic(analysis, item, e), item: index });
      }
      return out;
    }
    case 'unsupported':
    case 'sized': {
      if (item.resolution?.ok && item.resolution.model.note) {
        out.push({ severity: 'hint', code: 'model-variant', range: modelRange, message: item.resolution.model.note, item: index });
      }
      let diagnostics: BudgetDiagnostic[];
      if (item.status === 'unsupported') {
        // A serving engine the budget engine does not emulate (SGLang, TGI) is not a mistake in the document:
        // say it is not sized, as information, instead of an error on a valid image.
        if (item.spec && item.spec.engine !== 'vllm' && item.diagnostics.every((e) => e.code === 'invalid-input' && e.subject === 'engine')) {
          out.push({ severity: 'information', code: 'engine-not-emulated', range: modelRange, message: `Not sized: ${item.reason}`, item: index });
          return out;
        }
        if (item.diagnostics.length === 0) {
          out.push({ severity: 'information', code: 'unsupported', range: modelRange, message: `Not sized: ${item.reason}`, item: index });
          return out;
        }
        diagnostics = item.diagnostics;
      } else {
        diagnostics = item.report.diagnostics;
      }
      for (const e of diagnostics) {
        out.push({ severity: findingSeverity(item, e), code: e.code, message: e.message, range: rangeForDiagnostic(analysis, item, e), item: index });
      }
      return out;
    }
    default: return unreachable(item);
  }
}

/** Whether a model or deployment fits the memory: the findings a bare config.json shows as information. */
const FIT_CODES = new Set(['weights-do-not-fit', 'kv-does-not-fit', 'context-does-not-fit']);

/**
 * The severity a finding is shown with. The engine's, except: a bare config.json names no GPU (the default one
 * from the settings sizes it), so not fitting there is no red error in a valid file but information (the model's
 * own context not fitting stays the warning it is everywhere); and idle
 * GPUs are information when the deployment sets data parallelism (not read here: the replicas may use them).
 */
function findingSeverity(item: AnalyzedItem, e: BudgetDiagnostic): FindingSeverity {
  if (!item.spec && e.severity === 'error' && FIT_CODES.has(e.code)) return 'information';
  if (e.code === 'gpus-idle' && item.spec?.unread?.names.some((n) => /data[-_]parallel[-_]size|^-dp$/i.test(n))) return 'information';
  return e.severity;
}

/** Why an item has no report, in words a person can act on; undefined when it is sized. */
export function notSizedReason(item: AnalyzedItem): string | undefined {
  switch (item.status) {
    case 'sized': return undefined;
    case 'unsupported': return item.reason;
    case 'not-found':
    case 'not-sized': return item.notSized.reason;
    default: return unreachable(item);
  }
}
