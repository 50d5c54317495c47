// One analysis of a document's text: read it (src/formats), resolve each deployment's model (through the
// host), run the engine (src/core/budget), and say what each finding is and where it goes. The editor's
// providers and `inference-budget check` both take their results from here: one code path. No vscode import,
// no arithmetic: only translation and bookkeeping.
import { computeBudget, parallelismDiagnostics } from '../core/budget';
import { findAccelerator } from '../core/hardware';
import type { BudgetDiagnostic, BudgetInputs, BudgetReport, BudgetResult, ModelFiles } from '../core/types';
import { DocumentContext, looksLikeModelConfig, parseDocument, parseDotEnv, parseModelConfig } from '../formats';
import { ConfigKeyAt, configKeyAt, configRangeOf, ConfigSubject } from '../formats/hfConfig';
import type { DeploymentSpec, DocumentKind, FormatProblem, ModelConfigDocument, SourceRange } from '../formats/types';
import { NESTING_MESSAGE } from '../formats/limits';
import { Directive, directivesFor, findDirectives } from './directives';
import type { Logger } from './log';
import type { Resolution } from './modelResolver';
import { configInputs, deploymentInputs, Settings, Workload } from './settings';
import { ollamaModel } from './ollamaLibrary';

/** Codes of the reasons a deployment is not sized before (or instead of) the engine. */
export type NotSizedCode =
  | 'syntax-error'
  | 'model-not-named' | 'model-in-script' | 'model-templated' | 'model-storage-uri' | 'model-is-path' | 'model-not-found'
  | 'runs-on-cpu' | 'accelerator-not-in-catalog' | 'accelerator-type-unknown';

/** Why a deployment is not sized, before (or instead of) the engine: its syntax, model or accelerator. */
export interface NotSized {
  code: NotSizedCode;
  /** What to do about it, in words (no "Not sized:" prefix). */
  reason: string;
  /** A few words for a CodeLens title. */
  summary: string;
  /** The text responsible. */
  range: SourceRange;
  /** The whole message, when it is not `Not sized: <reason>`. */
  message?: string;
}

/** A model lookup that found the model / that did not. */
export type FoundModel = Extract<Resolution, { ok: true }>;
export type MissingModel = Extract<Resolution, { ok: false }>;

/** The engine sized it: its report (verdict, capacity, speed). */
export interface SizedStatus {
  status: 'sized';
  files: ModelFiles;
  report: BudgetReport;
}

/**
 * The engine refused it (`BudgetResult` with `ok: false`): a model it cannot size, an input it rejects, a GPU it
 * does not know, an engine it does not emulate. `diagnostics` are the engine's findings (may be empty).
 */
export interface UnsupportedStatus {
  status: 'unsupported';
  files: ModelFiles;
  /** The engine's words (`BudgetResult.unsupported`). */
  reason: string;
  diagnostics: BudgetDiagnostic[];
}

/** The model named was looked up (workspace, cache, catalog, Hub) and not found: the engine was not run. */
export interface NotFoundStatus {
  status: 'not-found';
  notSized: NotSized & { code: 'model-not-found' };
  /** The lookup: the reference and where it was tried. */
  resolution: MissingModel;
  files?: undefined;
}

/**
 * Not sized for another reason of its own (`notSized.code`): a syntax error in its document, no model named, one
 * filled in at deploy time or loaded from storage, a path inside the container, an Ollama name the table lacks,
 * an accelerator the catalog lacks. The engine was not run.
 */
export interface NotSizedStatus {
  status: 'not-sized';
  notSized: NotSized;
  /** The model's files, when it was found (an unknown accelerator; a config.json with syntax errors). */
  files?: ModelFiles;
  /** The engine's findings that need no GPU, for an item not sized for its accelerator (heads vs TP, GPU count). */
  unsizedDiagnostics?: BudgetDiagnostic[];
}

/** Where an item stands with the engine: sized, refused by it, or not asked (the model not found, another reason). */
export type ItemStatus = SizedStatus | UnsupportedStatus | NotFoundStatus | NotSizedStatus;

interface ItemBase {
  label: string;
  /** Inputs given to the engine (document values, then settings). */
  inputs: BudgetInputs;
  /** Where CodeLens and unanchored diagnostics go. */
  anchor: SourceRange;
}

/** The one item of a bare config.json: the document is the model (no deployment, no lookup). */
export type ModelConfigItem = ItemBase & { spec?: undefined; resolution?: undefined; directive?: undefined }
  & (SizedStatus | UnsupportedStatus | (NotSizedStatus & { files: ModelFiles }));

/** A deployment as read, with where its model came from; sized only when its model was found. */
export type DeploymentItem = ItemBase & {
  spec: DeploymentSpec;
  /** The `# inference-budget:` comment that applies to it. */
  directive?: Directive;
} & (
  | (SizedStatus & { resolution: FoundModel })
  | (UnsupportedStatus & { resolution: FoundModel })
  | NotFoundStatus
  /** Undefined when nothing was looked up (no model named, a template, ...); a failed lookup is kept here too. */
  | (NotSizedStatus & { resolution?: Resolution })
);

/** One thing the engine was asked about (or not): a deployment, or the model config itself. */
export type AnalyzedItem = ModelConfigItem | DeploymentItem;
export type SizedItem = Extract<AnalyzedItem, { status: 'sized' }>;

interface AnalysisBase {
  uri: string;
  version: number;
  text: string;
  settings: Settings;
}

/**
 * A Hugging Face config.json: the model itself, sized on the settings' GPU. The reader knows the key names; the
 * editor asks by subject.
 */
export interface ModelConfigAnalysis extends AnalysisBase {
  kind: 'model-config';
  modelConfig: ModelConfigDocument;
  /** Where a subject is written (`rangeOf('maxPositionEmbeddings')`: the value of max_position_embeddings); undefined when the config does not write it. */
  rangeOf(subject: ConfigSubject): SourceRange | undefined;
  /** The innermost key under an offset, and its subject. */
  subjectAt(offset: number): ConfigKeyAt | undefined;
  item: ModelConfigItem;
  problems: FormatProblem[];
}

/** A document the readers recognise (manifest, compose file, vLLM config, budget file, ...): its deployments. */
export interface DeploymentsAnalysis extends AnalysisBase {
  kind: 'deployments';
  documentKind: DocumentKind;
  items: DeploymentItem[];
  problems: FormatProblem[];
}

/** Not analysed at all (larger than the size limit): `reason` says why. */
export interface SkippedAnalysis extends AnalysisBase {
  kind: 'skipped';
  reason: string;
}

/** Text the readers do not recognise (YAML or JSON about something else). */
export interface UnrelatedAnalysis extends AnalysisBase {
  kind: 'unrelated';
}

/** One analysis of a document. */
export type DocumentAnalysis = ModelConfigAnalysis | DeploymentsAnalysis | SkippedAnalysis | UnrelatedAnalysis;

/** The document as the analysis sees it. */
export interface DocumentInput {
  /** Identity of the document (a URI in the editor, a path in the CLI); commands refer to it. */
  uri: string;
  /** Path of the document, for what its name says (`config.json`, `*.budget.yaml`, `.json`). */
  fileName: string;
  /** The editor's language id, when there is one. */
  languageId?: string;
  version: number;
  text: string;
}

/** What the analysis needs from its surroundings, bound to one document. */
export interface AnalysisHost {
  /** Resolutions of the models a document names, started together (they share folder listings). */
  resolveAll(references: readonly string[]): Promise<Resolution>[];
  /** The files beside the document, read as a model's config.json (checkpoint index, quantization configs). */
  filesBeside(config: unknown): Promise<ModelFiles>;
  /** The text of a file in the document's folder (`.env`), undefined when there is none. */
  readBeside?(name: string): Promise<string | undefined>;
}

export type ExtraAcceleratorsOption = NonNullable<Parameters<typeof computeBudget>[2]>;

/** Analyses one document. Never throws for a document's content (the engine's failures become results). */
export async function analyzeDocument(doc: DocumentInput, settings: Settings, host: AnalysisHost, log: Logger): Promise<DocumentAnalysis> {
  const text = doc.text;
  const base: AnalysisBase = { uri: doc.uri, version: doc.version, text, settings };
  if (text.length > settings.maxFileSizeBytes) {
    return { ...base, kind: 'skipped', reason: `larger than inferenceBudget.limits.maxFileSizeBytes (${settings.maxFileSizeBytes} bytes)` };
  }
  const fileName = doc.fileName;
  const options = engineOptions(settings);

  // VS Code's JSON service validates .json documents itself: their syntax errors are not said twice.
  const jsonValidated = doc.languageId === 'json' || doc.languageId === 'jsonc';
  const ownProblems = (problems: FormatProblem[]): FormatProblem[] => (jsonValidated ? problems.filter((p) => !isJsonSyntaxProblem(p)) : problems);
  if (/\.jsonc?$/i.test(fileName) || jsonValidated) {
    const modelConfig = parseModelConfig(text);
    if (modelConfig.config && looksLikeModelConfig(fileName, modelConfig.config)) {
      const files = await host.filesBeside(modelConfig.config);
      const inputs = configInputs(settings);
      const anchor = modelConfig.keyRanges.get('architectures')?.key
        ?? modelConfig.keyRanges.get('model_type')?.key ?? { start: 0, end: Math.min(1, text.length) };
      const common = { label: files.nameHint ?? 'model', inputs, anchor };
      // A config with syntax errors is not sized from what could be read of it.
      const broken = modelConfig.problems.find(isSyntaxProblem);
      const item: ModelConfigItem = broken
        ? { ...common, status: 'not-sized', notSized: syntaxNotSized(broken, anchor, text), files }
        : { ...common, ...engineSizing(files, inputs, options, log) };
      return {
        ...base, kind: 'model-config', modelConfig, item, problems: ownProblems(modelConfig.problems),
        rangeOf: (subject) => configRangeOf(modelConfig, subject), subjectAt: (offset) => configKeyAt(modelConfig, offset),
      };
    }
  }

  const parsed = await parseWithContext(fileName, text, host);
  if (!parsed.kind) return { ...base, kind: 'unrelated' };
  if (jsonValidated) parsed.problems = ownProblems(parsed.problems);
  const syntaxErrors = parsed.problems.filter(isSyntaxProblem);
  const items: DeploymentItem[] = [];
  // `# inference-budget:` comments (one includes() when there are none).
  const directives = text.includes('inference-budget:') ? directivesFor(text, parsed.deployments, findDirectives(text)) : [];
  parsed.deployments.forEach((spec, k) => { if (directives[k]) applyDirective(spec, directives[k]!); });
  // Ollama names models by library tags (llama3.1:8b): the Hugging Face model and GGUF type each is built from.
  const ollama = new Map<DeploymentSpec, ReturnType<typeof ollamaModel>>();
  for (const spec of parsed.deployments) if (spec.engine === 'ollama' && spec.model) ollama.set(spec, ollamaNamed(spec));
  // Start every model's resolution first: each may wait on the file system, and a manifest names many models.
  // The models to look up (an Ollama name by the hub id it stands for), then the drafters named by their model
  // (`--speculative-config '{"model": ...}'`), resolved like the models, with them. Plain loops over the
  // deployments: callbacks made per analysis would be compiled again after each full GC (shapes.ts).
  const named: DeploymentSpec[] = [];
  const references: string[] = [];
  for (const spec of parsed.deployments) {
    const o = ollama.get(spec);
    if (!spec.model || !lookupWorthy(spec.model.name) || o?.known === false) continue;
    named.push(spec);
    references.push(o?.known ? o.hubId : spec.model.name);
  }
  const drafted: DeploymentSpec[] = [];
  for (const spec of parsed.deployments) {
    const drafter = drafterName(spec);
    if (drafter === undefined) continue;
    drafted.push(spec);
    references.push(drafter);
  }
  // Awaited together: one turn of the event loop, not two for each of a manifest's hundreds of deployments.
  const settled = await Promise.all(host.resolveAll(references));
  const resolutions = new Map<DeploymentSpec, Resolution>();
  for (let i = 0; i < named.length; i++) resolutions.set(named[i], settled[i]);
  const drafts = new Map<DeploymentSpec, Resolution>();
  for (let i = 0; i < drafted.length; i++) drafts.set(drafted[i], settled[named.length + i]);
  for (const [k, spec] of parsed.deployments.entries()) {
    const inputs = deploymentInputs(settings, spec.inputs, workloadOf(spec));
    const common = { spec, label: spec.label, inputs, anchor: spec.anchor, ...(directives[k] ? { directive: directives[k] } : {}) };
    const lookup = resolutions.get(spec);
    const resolution = lookup ? withOllamaNote(lookup, ollama.get(spec)) : undefined;
    // A syntax error in the deployment's YAML document: what was read of it may be a fragment ("32768 cut short
    // reads 3276), so it is not sized. Then an accelerator the catalog lacks blocks sizing whatever the model.
    const broken = syntaxErrors.length ? syntaxErrorOf(text, spec, syntaxErrors) : undefined;
    const notSized = (broken ? syntaxNotSized(broken, spec.anchor, text) : undefined)
      ?? acceleratorNotSized(spec, settings) ?? modelNotSized(spec, resolution, ollama.get(spec));
    if (!notSized && resolution?.ok) {
      const draft = drafts.get(spec);
      const withDraft = draft?.ok ? { ...options, draft: draft.model.files } : options;
      // Written out, not spread: a manifest has hundreds of these.
      const files = resolution.model.files;
      const result = safeCompute(files, inputs, withDraft, log);
      const item: DeploymentItem = result.ok
        ? { spec, label: spec.label, inputs, anchor: spec.anchor, resolution, status: 'sized', files, report: result.report }
        : { spec, label: spec.label, inputs, anchor: spec.anchor, resolution, status: 'unsupported', files, reason: result.unsupported, diagnostics: result.diagnostics };
      if (directives[k]) item.directive = directives[k];
      items.push(item);
    } else if (notSized?.code === 'model-not-found' && resolution && !resolution.ok) {
      items.push({ ...common, status: 'not-found', notSized: { ...notSized, code: notSized.code }, resolution });
    } else {
      // Every model named is looked up, and modelNotSized explains each one not found: the fallback cannot occur.
      const why = notSized ?? { code: 'model-not-found', range: spec.model?.range ?? spec.anchor, summary: 'model not looked up', reason: 'the model was not looked up' };
      const item: DeploymentItem = { ...common, status: 'not-sized', notSized: why, resolution };
      if (why.code.startsWith('accelerator-') && resolution?.ok) {
        // An accelerator the catalog lacks does not hide the rules that need no GPU (heads and KV heads vs TP, GPUs).
        item.files = resolution.model.files;
        const parallel = parallelismDiagnostics(item.files, inputs);
        if (parallel.length) item.unsizedDiagnostics = parallel;
      }
      items.push(item);
    }
  }
  return { ...base, kind: 'deployments', documentKind: parsed.kind, items, problems: parsed.problems };
}

/** The engine's answer for a model and its inputs: a report, or why it cannot size it. */
function engineSizing(files: ModelFiles, inputs: BudgetInputs, options: ExtraAcceleratorsOption, log: Logger): SizedStatus | UnsupportedStatus {
  const result = safeCompute(files, inputs, options, log);
  return result.ok
    ? { status: 'sized', files, report: result.report }
    : { status: 'unsupported', files, reason: result.unsupported, diagnostics: result.diagnostics };
}

/**
 * Reads the document; a compose file that uses `${VAR}` is read again with the `.env` beside it, as Compose
 * does (only compose files pay for the file read and the scan).
 */
async function parseWithContext(fileName: string, text: string, host: AnalysisHost): Promise<ReturnType<typeof parseDocument>> {
  const parsed = parseDocument(fileName, text);
  if (parsed.kind !== 'docker-compose' || !host.readBeside || !text.includes('${')) return parsed;
  const env = await host.readBeside('.env').catch(() => undefined);
  if (env === undefined) return parsed;
  const context: DocumentContext = { dotEnv: parseDotEnv(env) };
  return parseDocument(fileName, text, context);
}

/** A directive's model and GPU replace the document's (their ranges are the comment's values). */
function applyDirective(spec: DeploymentSpec, d: Directive): void {
  if (d.model) spec.model = { name: d.model.value, range: d.model.range };
  if (d.gpu) {
    spec.inputs.gpu = d.gpu.value;
    spec.valueRanges.gpu = d.gpu.range;
    spec.keyRanges.gpu = d.gpu.key;
    delete spec.edit.inPlace.gpu;
    delete spec.accelerator;
  }
  if (d.gpus && /^\d+$/.test(d.gpus.value) && Number(d.gpus.value) > 0) {
    spec.inputs.gpuCount = Number(d.gpus.value);
    spec.valueRanges.gpuCount = d.gpus.range;
    spec.keyRanges.gpuCount = d.gpus.key;
    delete spec.edit.inPlace.gpuCount;
  }
}

const DIRECTIVE_HINT = 'say which model it is with a comment on or above the deployment: # inference-budget: model=org/name';

/** A value filled in at deploy time: `$(VAR)`, `${VAR}`, `$VAR`, `{{ .Values.x }}`. */
function isTemplate(name: string): boolean {
  return /\$[({A-Za-z_]|\{\{/.test(name);
}

/** A URI of model storage other than the hub (`s3://`, `gs://`, `oci://`, `pvc://`, ...). */
function isStorageUri(name: string): boolean {
  return /^[a-z][\w+.-]*:\/\//i.test(name) && !/^(hf|https?):\/\//i.test(name);
}

/** The drafter model a deployment names, when it can be looked up (the engine sizes its layers from its config). */
function drafterName(spec: DeploymentSpec): string | undefined {
  const name = spec.inputs.speculativeModel;
  return typeof name === 'string' && name.trim() !== '' && lookupWorthy(name.trim()) ? name.trim() : undefined;
}

/** Whether looking a model name up can find anything (a template or a storage URI cannot). */
function lookupWorthy(name: string): boolean {
  return !isTemplate(name) && !isStorageUri(name);
}

/**
 * An Ollama model name read as the model it is built from; its GGUF type becomes the deployment's quantization
 * unless the file sets one (directives name Hugging Face models and are looked up as written).
 */
function ollamaNamed(spec: DeploymentSpec): ReturnType<typeof ollamaModel> {
  const found = ollamaModel(spec.model!.name);
  if (found?.known && found.quantization && spec.inputs.quantization === undefined) {
    spec.inputs.quantization = found.quantization;
    spec.valueRanges.quantization = spec.model!.range;
  }
  return found;
}

/** A resolution of an Ollama name says which model and build it was read as. */
function withOllamaNote(resolution: Resolution, named: ReturnType<typeof ollamaModel>): Resolution {
  if (!resolution.ok || !named?.known) return resolution;
  const note = resolution.model.note ? `${named.note}; ${resolution.model.note}` : named.note;
  return { ok: true, model: { ...resolution.model, note } };
}

/** A syntax error of the readers' parsers (YAML, JSON, nesting too deep), as opposed to a value they could not use. */
export function isSyntaxProblem(p: FormatProblem): boolean {
  return p.severity === 'error' && (/^(YAML|JSON): /.test(p.message) || p.message === NESTING_MESSAGE);
}

function isJsonSyntaxProblem(p: FormatProblem): boolean {
  return p.severity === 'error' && /^JSON: /.test(p.message);
}

/** 1-based line of an offset (for a message). */
function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

/** The item is not sized until its syntax is fixed; the finding goes where its CodeLens is. */
function syntaxNotSized(error: FormatProblem, anchor: SourceRange, text: string): NotSized {
  const what = error.message.replace(/[.\s]+$/, '');
  return {
    code: 'syntax-error', range: anchor, summary: 'fix the syntax first',
    reason: `fix the syntax first (${what}, line ${lineOf(text, error.range.start)}): a value read from a broken document may be a fragment`,
  };
}

/**
 * The first syntax error in the YAML document (between `---` lines) that holds a deployment: an error anywhere in
 * it may change what the deployment's values were read as (an unclosed quote runs on; a label may sit outside the
 * container), so the whole document counts. Errors in other documents of the file leave it alone.
 */
function syntaxErrorOf(text: string, spec: DeploymentSpec, errors: readonly FormatProblem[]): FormatProblem | undefined {
  const span = spec.span ?? spec.anchor;
  let start = 0;
  let end = text.length;
  const separator = /^(---|\.\.\.)[ \t]*(?:#.*)?$|^---[ \t]/gm;
  for (let m = separator.exec(text); m; m = separator.exec(text)) {
    // The separator line belongs to neither document: an error the parser puts on it ends the one before.
    if (m.index <= span.start) start = m.index + m[0].length;
    else if (m.index >= span.end) { end = m.index; break; }
  }
  return errors.find((e) => e.range.end >= start && e.range.start <= end);
}

/** Why an item's model keeps it from being sized, if it does. */
function modelNotSized(spec: DeploymentSpec, resolution: Resolution | undefined, named?: ReturnType<typeof ollamaModel>): NotSized | undefined {
  const model = spec.model;
  if (!model) {
    const why = spec.launchScript
      ? `the server is started by the script ${spec.launchScript.path}: its model and flags are in the script, not in this file`
      : spec.kind === 'vllm-config'
      ? 'this vLLM config names no model (it is given on the command line: vllm serve MODEL --config FILE)'
      : spec.engine === 'ollama'
        ? 'Ollama pulls its models at run time (ollama pull, ollama run, or the first request) and this file names none'
        : spec.engine === 'llamacpp'
          ? 'llama-server is given no model here (-m, -hf or LLAMA_ARG_MODEL; without one it loads models on request)'
          : 'no model is named here';
    return spec.launchScript
      ? { code: 'model-in-script', reason: `${why}; ${DIRECTIVE_HINT}`, summary: 'started by a script', range: spec.launchScript.range }
      : { code: 'model-not-named', reason: `${why}; ${DIRECTIVE_HINT}`, summary: 'no model named', range: spec.anchor };
  }
  if (named && !named.known) {
    return {
      code: 'model-not-found', range: model.range, summary: `Ollama model ${model.name} not known`,
      reason: `the Ollama model "${model.name}" is not one whose Hugging Face model is known here; ${DIRECTIVE_HINT}`,
    };
  }
  if (isTemplate(model.name)) {
    return {
      code: 'model-templated', range: model.range, summary: `model ${model.name} is set at deploy time`,
      reason: `the model is filled in at deploy time (${model.name}) and this file does not set it; set the variable in the file (an env value, the .env beside a compose file) or ${DIRECTIVE_HINT}`,
    };
  }
  if (isStorageUri(model.name)) {
    return { code: 'model-storage-uri', range: model.range, summary: 'model loaded from storage', reason: `the model is loaded from storage (${model.name}), which is not read here; ${DIRECTIVE_HINT}` };
  }
  if (!resolution || resolution.ok) return undefined;
  if (/^[/~]/.test(model.name)) {
    return {
      code: 'model-is-path', range: model.range, summary: `model ${model.name} is a path inside the container`,
      reason: `the model "${model.name}" is a path inside the container, not found here (tried ${resolution.tried.join('; ')}); ${DIRECTIVE_HINT}`,
    };
  }
  return {
    code: 'model-not-found', range: model.range, summary: `model "${resolution.reference}" not found`,
    reason: `model "${resolution.reference}" not found (tried ${resolution.tried.join('; ')})`,
    message: `Model "${resolution.reference}" not found, so this deployment is not sized. Tried: ${resolution.tried.join('; ')}. `
      + `Put its config.json in the workspace or the Hugging Face cache, or ${DIRECTIVE_HINT}.`,
  };
}

/** Accelerator families the hardware catalog has members of (the type must still be named). */
const FAMILIES_IN_CATALOG = new Set(['amd.com/gpu', 'habana.ai/gaudi', 'google.com/tpu']);

/** A deployment on an accelerator other than an NVIDIA GPU is sized only on a catalog entry: never a default GPU. */
function acceleratorNotSized(spec: DeploymentSpec, settings: Settings): NotSized | undefined {
  const acc = spec.accelerator;
  if (!acc) return undefined;
  if (acc.resource === 'cpu') {
    return {
      code: 'runs-on-cpu', range: acc.range, summary: 'runs on the CPU',
      reason: `the deployment runs on ${acc.name}; enable a GPU or say which one with # inference-budget: gpu=NAME`,
    };
  }
  const what = `${acc.name} (${acc.resource})`;
  const gpu = spec.inputs.gpu;
  if (gpu !== undefined) {
    const found = findAccelerator(String(gpu), settings.customGpus.length ? settings.customGpus : undefined);
    if (found.ok) return undefined;
    return {
      code: 'accelerator-not-in-catalog', range: spec.valueRanges.gpu ?? acc.range, summary: `${gpu} is not in the catalog`,
      reason: `${gpu} (${acc.resource}) is not in the catalog; add it to inferenceBudget.customGpus or say which accelerator it is with # inference-budget: gpu=NAME`,
    };
  }
  if (FAMILIES_IN_CATALOG.has(acc.resource)) {
    return {
      code: 'accelerator-type-unknown', range: acc.range, summary: `${acc.name} of no stated type`,
      reason: `the deployment requests ${what} without saying which; add a node selector with the type (e.g. cloud.google.com/gke-tpu-accelerator) or # inference-budget: gpu=NAME`,
    };
  }
  return { code: 'accelerator-not-in-catalog', range: acc.range, summary: `${acc.name} is not in the catalog`, reason: `${what} is not in the catalog; add it to inferenceBudget.customGpus or say which accelerator it is with # inference-budget: gpu=NAME` };
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

/** The engine's diagnostics of an item (its report's, or the refusal's); none when the engine was not run. */
export function engineDiagnostics(item: AnalyzedItem): BudgetDiagnostic[] {
  switch (item.status) {
    case 'sized': return item.report.diagnostics;
    case 'unsupported': return item.diagnostics;
    case 'not-found':
    case 'not-sized': return [];
    default: return unreachable(item);
  }
}

/** The engine's result of an item as `computeBudget` returned it (check's JSON prints it); undefined when the engine was not run. */
export function budgetResultOf(item: AnalyzedItem): BudgetResult | undefined {
  switch (item.status) {
    case 'sized': return { ok: true, report: item.report };
    case 'unsupported': return { ok: false, unsupported: item.reason, diagnostics: item.diagnostics };
    case 'not-found':
    case 'not-sized': return undefined;
    default: return unreachable(item);
  }
}

/**
 * The items of an analysis, in the order commands, CodeLens and the panel count them (by index): a model config's
 * one item, a document's deployments; none for a skipped or unrelated document.
 */
export function analysisItems(analysis: DocumentAnalysis): readonly AnalyzedItem[] {
  switch (analysis.kind) {
    case 'model-config': return [analysis.item];
    case 'deployments': return analysis.items;
    case 'skipped':
    case 'unrelated': return [];
    default: return unreachable(analysis);
  }
}

/** The readers' problems of an analysis (none for a skipped or unrelated document). */
export function analysisProblems(analysis: DocumentAnalysis): readonly FormatProblem[] {
  switch (analysis.kind) {
    case 'model-config':
    case 'deployments': return analysis.problems;
    case 'skipped':
    case 'unrelated': return [];
    default: return unreachable(analysis);
  }
}

/** The readers' name for the document (`hf-config`, `kubernetes`, ...), as check's JSON prints it; undefined when not recognised. */
export function documentKindOf(analysis: DocumentAnalysis): DocumentKind | undefined {
  switch (analysis.kind) {
    case 'model-config': return 'hf-config';
    case 'deployments': return analysis.documentKind;
    case 'skipped':
    case 'unrelated': return undefined;
    default: return unreachable(analysis);
  }
}

/** For the `default` of a switch that covers every case: a compile error when a case is added and not handled. */
export function unreachable(x: never): never {
  throw new Error(`unexpected ${JSON.stringify((x as { kind?: unknown; status?: unknown })?.kind ?? (x as { status?: unknown })?.status)}`);
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
  const configSubject: ConfigSubject | undefined = subject === 'maxModelLen' ? 'maxPositionEmbeddings'
    : subject === 'kvCacheDtype' || subject === 'dtype' ? 'dtype'
      : subject === 'quantization' ? 'quantization' : undefined;
  return (configSubject && analysis.kind === 'model-config' && analysis.rangeOf(configSubject)) || item.anchor;
}

export function contains(r: SourceRange, offset: number): boolean {
  return offset >= r.start && offset <= r.end;
}

/**
 * The index of the item at an offset: the deployment whose text (its YAML document or resource) holds it, else one
 * with a value, key or anchor there; -1 when none. A bare config.json's one item holds the whole document.
 */
export function itemIndexAt(items: readonly AnalyzedItem[], offset: number): number {
  if (offset < 0) return -1;
  const bySpan = items.findIndex((it) => it.spec?.span && contains(it.spec.span, offset));
  if (bySpan >= 0) return bySpan;
  return items.findIndex((item) => {
    if (contains(item.anchor, offset)) return true;
    const spec = item.spec;
    if (!spec) return true;
    if (spec.model && contains(spec.model.range, offset)) return true;
    return [...Object.values(spec.valueRanges), ...Object.values(spec.keyRanges)].some((r) => r && contains(r, offset));
  });
}
