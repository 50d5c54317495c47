// One analysis per document version: read the document (src/formats), resolve each deployment's model
// (modelResolver), run the engine (src/core/budget), and keep the result for the hover, diagnostics,
// quick fixes and CodeLens providers. No arithmetic here: only translation and bookkeeping.
import * as vscode from 'vscode';
import { computeBudget } from '../core/budget';
import type { BudgetDiagnostic, BudgetInputs, BudgetResult, ModelFiles } from '../core/types';
import { looksLikeModelConfig, parseDocument, parseModelConfig } from '../formats';
import type { DeploymentSpec, DocumentKind, FormatProblem, ModelConfigDocument, SourceRange } from '../formats/types';
import type { Logger } from './log';
import type { ModelResolver, Resolution } from './modelResolver';
import { configInputs, deploymentInputs, readSettings, Settings, Workload } from './settings';

/** One thing the engine was asked about: a deployment, or the model config itself. */
export interface AnalyzedItem {
  /** The deployment as read; undefined for a bare config.json. */
  spec?: DeploymentSpec;
  label: string;
  /** Inputs given to the engine (document values, then settings). */
  inputs: BudgetInputs;
  /** Where the model came from; undefined for a bare config.json (the document is the model). */
  resolution?: Resolution;
  files?: ModelFiles;
  result?: BudgetResult;
  /** Where CodeLens and unanchored diagnostics go. */
  anchor: SourceRange;
}

export interface DocumentAnalysis {
  uri: string;
  version: number;
  text: string;
  kind: DocumentKind | undefined;
  /** Set for a Hugging Face config.json. */
  modelConfig?: ModelConfigDocument;
  items: AnalyzedItem[];
  problems: FormatProblem[];
  settings: Settings;
  /** Why nothing was analyzed (file too large, ...). */
  skipped?: string;
}

export type ExtraAcceleratorsOption = NonNullable<Parameters<typeof computeBudget>[2]>;

export class Analyzer {
  private readonly cache = new Map<string, { key: string; result: Promise<DocumentAnalysis | undefined> }>();
  private settings: Settings;
  private settingsGeneration = 0;
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires when results may differ for the same text (settings or referenced models changed). */
  readonly onDidChange = this.changed.event;

  constructor(private readonly resolver: ModelResolver, private readonly log: Logger) {
    this.settings = readSettings();
  }

  get currentSettings(): Settings { return this.settings; }

  /** Settings changed: read them again and drop every result. */
  reloadSettings(): void {
    this.settings = readSettings();
    this.settingsGeneration++;
    this.cache.clear();
    this.resolver.invalidate();
    this.changed.fire();
  }

  /** A model config in the workspace changed: resolutions and results may differ. */
  invalidateModels(): void {
    this.resolver.invalidate();
    this.cache.clear();
    this.changed.fire();
  }

  forget(uri: vscode.Uri): void { this.cache.delete(uri.toString()); }

  /** The analysis of a document's current version (shared by all providers). */
  analyze(document: vscode.TextDocument): Promise<DocumentAnalysis | undefined> {
    const uri = document.uri.toString();
    const key = `${document.version}|${this.settingsGeneration}`;
    const hit = this.cache.get(uri);
    if (hit && hit.key === key) return hit.result;
    const result = this.run(document).catch((e) => {
      this.log.error(`analysing ${document.uri.fsPath}: ${(e as Error)?.stack ?? e}`);
      return undefined;
    });
    this.cache.set(uri, { key, result });
    return result;
  }

  private async run(document: vscode.TextDocument): Promise<DocumentAnalysis | undefined> {
    const settings = this.settings;
    const text = document.getText();
    const base = { uri: document.uri.toString(), version: document.version, text, settings };
    if (text.length > settings.maxFileSizeBytes) {
      return { ...base, kind: undefined, items: [], problems: [], skipped: `larger than inferenceBudget.limits.maxFileSizeBytes (${settings.maxFileSizeBytes} bytes)` };
    }
    const fileName = document.uri.path;
    const options = engineOptions(settings);

    if (/\.jsonc?$/i.test(fileName) || document.languageId === 'json' || document.languageId === 'jsonc') {
      const modelConfig = parseModelConfig(text);
      if (modelConfig.config && looksLikeModelConfig(fileName, modelConfig.config)) {
        const files: ModelFiles = document.uri.scheme === 'untitled'
          ? { config: modelConfig.config }
          : await this.resolver.filesBeside(document.uri, modelConfig.config);
        const inputs = configInputs(settings);
        const result = safeCompute(files, inputs, options, this.log);
        const anchor = modelConfig.keyRanges.get('architectures')?.key
          ?? modelConfig.keyRanges.get('model_type')?.key ?? { start: 0, end: Math.min(1, text.length) };
        return {
          ...base, kind: 'hf-config', modelConfig,
          items: [{ label: files.nameHint ?? 'model', inputs, files, result, anchor }],
          problems: modelConfig.problems,
        };
      }
    }

    const parsed = parseDocument(fileName, text);
    if (!parsed.kind) return { ...base, kind: undefined, items: [], problems: [] };
    const items: AnalyzedItem[] = [];
    // Start every model's resolution first: each may wait on the file system, and a manifest names many models.
    const named = parsed.deployments.filter((spec) => spec.model);
    const pending = this.resolver.resolveAll(named.map((spec) => spec.model!.name), document.uri, settings);
    const resolutions = new Map(named.map((spec, i) => [spec, pending[i]]));
    for (const spec of parsed.deployments) {
      const inputs = deploymentInputs(settings, spec.inputs, workloadOf(spec));
      const item: AnalyzedItem = { spec, label: spec.label, inputs, anchor: spec.anchor };
      if (spec.model) {
        item.resolution = await resolutions.get(spec)!;
        if (item.resolution.ok) {
          item.files = item.resolution.model.files;
          item.result = safeCompute(item.files, inputs, options, this.log);
        }
      }
      items.push(item);
    }
    return { ...base, kind: parsed.kind, items, problems: parsed.problems };
  }
}

/** The engine's options for these settings (custom GPUs). */
export function engineOptions(s: Settings): ExtraAcceleratorsOption {
  return s.customGpus.length ? { extraAccelerators: s.customGpus } : {};
}

function workloadOf(spec: DeploymentSpec): Workload | undefined {
  const w = spec.workload;
  if (!w) return undefined;
  const out: Workload = {};
  if (w.targetConcurrency) out.batch = w.targetConcurrency;
  if (w.promptTokens) out.prompt = w.promptTokens;
  if (w.promptTokens || w.outputTokens) out.context = (w.promptTokens ?? 0) + (w.outputTokens ?? 0);
  return out;
}

function safeCompute(files: ModelFiles, inputs: BudgetInputs, options: ExtraAcceleratorsOption, log: Logger): BudgetResult {
  try {
    return computeBudget(files, inputs, options);
  } catch (e) {
    log.error(`the engine failed on ${files.nameHint ?? 'a model'}: ${(e as Error)?.stack ?? e}`);
    return { ok: false, unsupported: `internal error: ${(e as Error)?.message ?? e}`, diagnostics: [] };
  }
}

/** The engine's diagnostics of an item (report or unsupported result). */
export function engineDiagnostics(item: AnalyzedItem): BudgetDiagnostic[] {
  if (!item.result) return [];
  return item.result.ok ? item.result.report.diagnostics : item.result.diagnostics;
}

/** Offsets → a VS Code range in this document. */
export function toRange(document: vscode.TextDocument, r: SourceRange): vscode.Range {
  return new vscode.Range(document.positionAt(r.start), document.positionAt(r.end));
}

/** The input a finding is about: the engine's subject, with the model's own context meaning max_model_len. */
export function subjectOf(d: Pick<BudgetDiagnostic, 'subject' | 'code'>): BudgetDiagnostic['subject'] {
  return d.code === 'context-does-not-fit' ? 'maxModelLen' : d.subject;
}

/**
 * The text range responsible for a finding: the value of its input, else the key, else (the input is absent
 * from the document) the model name or the deployment's anchor. In a bare config.json, max_model_len maps to
 * max_position_embeddings.
 */
export function rangeForDiagnostic(analysis: DocumentAnalysis, item: AnalyzedItem, d: Pick<BudgetDiagnostic, 'subject' | 'code'>): SourceRange {
  const subject = subjectOf(d);
  if (item.spec) {
    const spec = item.spec;
    if (subject && subject !== 'model') {
      const r = spec.valueRanges[subject] ?? spec.keyRanges[subject];
      if (r) return r;
    }
    return spec.model?.range ?? item.anchor;
  }
  const ranges = analysis.modelConfig?.keyRanges;
  if (ranges) {
    const configKey = subject === 'maxModelLen' ? findKey(ranges, 'max_position_embeddings')
      : subject === 'kvCacheDtype' || subject === 'dtype' ? findKey(ranges, 'torch_dtype')
        : subject === 'quantization' ? findKey(ranges, 'quantization_config') : undefined;
    if (configKey) return subject === 'quantization' ? configKey.key : configKey.value;
  }
  return item.anchor;
}

/** A key of a config by its name, at top level first, then nested (text_config.*). */
export function findKey(ranges: ModelConfigDocument['keyRanges'], name: string): { key: SourceRange; value: SourceRange } | undefined {
  const top = ranges.get(name);
  if (top) return top;
  for (const r of ranges.values()) if (r.segments[r.segments.length - 1] === name) return r;
  return undefined;
}

export function contains(r: SourceRange, offset: number): boolean {
  return offset >= r.start && offset <= r.end;
}
