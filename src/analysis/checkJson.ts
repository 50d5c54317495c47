// The JSON of an analysed file, as `inference-budget check --format json` prints it and the language model tool
// returns it: each deployment's verdict, engine report and findings with 1-based line/column ranges. Pure: the
// CLI and the editor both present an analysis through it.
import type { BudgetResult } from '../core/types';
import { AnalyzedItem, analysisItems, budgetResultOf, DocumentAnalysis, documentKindOf } from './analyze';
import { documentFindings, Finding, FindingSeverity, notSizedReason } from './findings';
import { LineIndex } from './lines';

/** A range in 1-based lines and columns, the end exclusive (as SARIF and editors count). */
export interface Span { line: number; column: number; endLine: number; endColumn: number }

export interface DiagnosticJson {
  severity: FindingSeverity;
  code: string;
  message: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

export interface DeploymentJson {
  name: string;
  engine: string;
  engineVersion: string | null;
  modelId: string | null;
  modelSource: string | null;
  gpu: string | null;
  gpuCount: number | null;
  tensorParallel: number | null;
  pipelineParallel: number | null;
  sized: boolean;
  notSizedReason: string | null;
  fits: boolean | null;
  report: Record<string, unknown> | null;
  diagnostics: DiagnosticJson[];
}

export interface FileJson {
  path: string;
  kind: string | null;
  problems: DiagnosticJson[];
  deployments: DeploymentJson[];
}

/** What `inference-budget FILE --json` prints for an engine result; check's JSON embeds it as each deployment's `report`. */
export function resultJson(result: BudgetResult): Record<string, unknown> {
  return result.ok
    ? { ok: true, ...result.report }
    : { ok: false, error: result.unsupported, diagnostics: result.diagnostics };
}

/** check's JSON of one analysed file. */
export function fileJson(displayPath: string, analysis: DocumentAnalysis): FileJson {
  return analysedFile(displayPath, analysis).json;
}

/** A file's JSON, and where each of its deployments is (for regressions that have no diagnostic of their own). */
export function analysedFile(displayPath: string, analysis: DocumentAnalysis): { json: FileJson; anchors: Span[] } {
  const lines = new LineIndex(analysis.text);
  const spanOf = (range: { start: number; end: number }): Span => {
    const start = lines.at(range.start);
    const end = lines.at(range.end);
    return { line: start.line, column: start.column, endLine: end.line, endColumn: end.column };
  };
  const findings = documentFindings(analysis);
  const toJson = (f: Finding): DiagnosticJson => ({ severity: f.severity, code: f.code, message: f.message, ...spanOf(f.range) });
  const items = analysisItems(analysis);
  return {
    json: {
      path: displayPath,
      kind: documentKindOf(analysis) ?? null,
      problems: findings.filter((f) => f.item === undefined).map(toJson),
      deployments: items.map((item, index) => deploymentJson(item, findings.filter((f) => f.item === index).map(toJson))),
    },
    anchors: items.map((item) => spanOf(item.anchor)),
  };
}

function deploymentJson(item: AnalyzedItem, diagnostics: DiagnosticJson[]): DeploymentJson {
  const result = budgetResultOf(item);
  const report = item.status === 'sized' ? item.report : undefined;
  const written = item.inputs.engine;
  const version = written && written.includes('@') ? written.slice(written.indexOf('@') + 1) : null;
  return {
    name: item.label,
    engine: item.spec?.engine ?? report?.settings.engine ?? 'vllm',
    engineVersion: report?.settings.engineVersion ?? version,
    modelId: item.spec ? item.spec.model?.name ?? null : item.files?.nameHint ?? null,
    modelSource: item.resolution?.ok ? item.resolution.model.source : item.spec ? null : 'document',
    // A deployment on another accelerator that names no type is not on the default GPU: say what it requests.
    gpu: report?.hardware.name ?? (item.spec?.accelerator && item.spec.inputs.gpu === undefined ? item.spec.accelerator.name : item.inputs.gpu ?? null),
    gpuCount: report?.hardware.count ?? item.inputs.gpuCount ?? null,
    tensorParallel: report?.settings.tensorParallel ?? item.inputs.tensorParallel ?? null,
    pipelineParallel: report?.settings.pipelineParallel ?? item.inputs.pipelineParallel ?? null,
    sized: !!report,
    notSizedReason: report ? null : notSizedReason(item) ?? null,
    fits: report ? report.capacity.fits : null,
    report: result ? resultJson(result) : null,
    diagnostics,
  };
}
