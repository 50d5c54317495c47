// Readers that turn a document's text into engine inputs with source ranges, and the
// edits of quick fixes. Pure TypeScript: no vscode import, never throws.
import type { DeploymentSpec, DocumentKind, FormatProblem, ParsedDocument } from './types';
import { isBudgetFileName, readBudget } from './budget';
import { looksLikeCompose, readCompose } from './compose';
import { looksLikeHelmStack, looksLikeHelmValues, readHelmStack, readHelmValues } from './helm';
import { looksLikeOllamaChart, readOllamaChart } from './helmOllama';
import { isModelfileName, readModelfile } from './modelfile';
import { looksLikeModelConfig, parseModelConfig, readModelConfig } from './hfConfig';
import {
  ENGINE_HINT, K8S_SKIP_KEYS, ManifestContext, hasConfigMaps, looksLikeManifest, newManifestContext, readConfigMap, readManifest,
  usesConfigMaps,
} from './kubernetes';
import { looksLikeVllmConfig, readVllmConfig } from './vllmConfig';
import { looksLikeOperator, looksLikeSkyPilot, readOperator, readSkyPilot } from './operators';
import { aibrixWorkloadHints, mentionsAibrix } from './aibrix';
import { clampProblems } from './limits';
import { YDoc, YNode, YamlDocSink, parseYaml } from './yaml';
import { keepShapeAlive } from '../core/shapes';

export * from './types';
export { parseDotEnv } from './variables';

/** What a document's surroundings say about it. */
export interface DocumentContext {
  /** Variables of the `.env` file beside a compose file (Compose reads it for `${VAR}`). */
  dotEnv?: ReadonlyMap<string, string>;
}
export type { BudgetInputs } from '../core/types';
export { applyEdit, editForInput, editsForInput } from './edits';
export { looksLikeModelConfig, parseModelConfig } from './hfConfig';
export { isModelfileName } from './modelfile';

/** Spellings of vLLM engine arguments (a vLLM config file need not say "vllm"). */
/** Operator resources that need not name an engine (a KAITO Workspace runs a preset). */
const OPERATOR_HINT = /apiVersion:\s*["']?kaito\.sh\//;
const VLLM_KEY_HINT = /(tensor|pipeline|data)[-_]parallel[-_]size|max[-_]model[-_]len|gpu[-_]memory[-_]utilization|max[-_]num[-_](seqs|batched[-_]tokens)|kv[-_]cache[-_]dtype|served[-_]model[-_]name|enforce[-_]eager|enable[-_](prefix[-_]caching|chunked[-_]prefill)|swap[-_]space|distributed[-_]executor[-_]backend|cpu[-_]offload[-_]gb|speculative[-_]config|disable[-_]log[-_]requests|max[-_]num[-_]partial[-_]prefills/i;

function isJsonDocument(fileName: string, text: string): boolean {
  if (/\.jsonc?$/i.test(fileName)) return true;
  if (/\.ya?ml$/i.test(fileName)) return false;
  const m = /\S/.exec(text);
  return !!m && m[0] === '{';
}

function read(fileName: string, text: string, context: DocumentContext): ParsedDocument {
  const deployments: DeploymentSpec[] = [];
  const problems: FormatProblem[] = [];

  if (isBudgetFileName(fileName)) {
    const y = parseYaml(text);
    for (const p of y.problems) problems.push(p);
    const docs = y.docs.filter((d) => d.root !== null);
    if (docs.length > 1) {
      problems.push({ severity: 'warning', message: 'Only the first document of a budget file is read.', range: { start: docs[1].start, end: docs[1].start + 3 } });
    }
    readBudget(text, docs[0]?.root ?? null, fileName, problems, deployments);
    return { kind: 'budget-file', deployments, problems };
  }

  if (isModelfileName(fileName)) {
    readModelfile(text, problems, deployments);
    return { kind: deployments.length ? 'modelfile' : undefined, deployments, problems };
  }

  if (isJsonDocument(fileName, text)) {
    const doc = parseModelConfig(text);
    if (looksLikeModelConfig(fileName, doc.config)) {
      return { kind: 'hf-config', deployments: [readModelConfig(fileName, doc)], problems: doc.problems };
    }
    if (!doc.config && /(^|[\\/])config\.json$/i.test(fileName) && /"(architectures|model_type)"/.test(text)) {
      return { kind: 'hf-config', deployments: [], problems: doc.problems };
    }
    return { kind: undefined, deployments, problems };
  }

  // YAML. Cheap rejection first: nothing here could describe a serving deployment.
  if (!ENGINE_HINT.test(text) && !VLLM_KEY_HINT.test(text) && !OPERATOR_HINT.test(text)) return { kind: undefined, deployments, problems };
  const shared: Shared = { manifest: newManifestContext(), dotEnv: context.dotEnv };
  // Env taken from a ConfigMap of the file: its ConfigMaps are parsed too, and the documents that use them are read
  // after the last one (a ConfigMap may come after the Deployment). Files without a ConfigMap pay one includes().
  const configMaps = hasConfigMaps(text);
  // Each document is read as soon as it is parsed, so its tree can be dropped right away.
  const reader = new YamlFileReader(text, configMaps, shared, problems, deployments);
  const y = parseYaml(text, { skipKeys: K8S_SKIP_KEYS, filter: configMaps ? mayHoldDeploymentOrConfigMap : mayHoldDeployment, onDoc: reader });
  if (reader.deferred.length) {
    for (const root of reader.deferred) reader.readDocument(root);
    deployments.sort((a, b) => a.anchor.start - b.anchor.start);
  }
  let kind = reader.kind;
  // Helm chart templates are Go templates, not YAML: their syntax errors are not the user's mistakes.
  // (includes() first: a 2 MB manifest is scanned by memchr, not by the regex engine)
  const template = text.includes('{{') && /\{\{[-\s]/.test(text);
  if (!template) for (const p of y.problems) problems.push(p);
  problems.sort((a, b) => a.range.start - b.range.start);
  // The general rule for chart values is a guess from a few keys: it is not made on YAML that does not parse (a
  // broken manifest or compose file is not a values file because a key moved).
  if (y.problems.some((p) => p.severity === 'error') && deployments.some((d) => d.kind === 'helm-values')) {
    for (let i = deployments.length - 1; i >= 0; i--) if (deployments[i].kind === 'helm-values') deployments.splice(i, 1);
    if (kind === 'helm-values') kind = deployments[0]?.kind;
  }
  if (!kind && !template && y.problems.some((p) => p.severity === 'error')) {
    // Broken YAML: still say what the file is when its shape is clear, so its problems show.
    if (/^apiVersion\s*:/m.test(text) && /^kind\s*:/m.test(text) && ENGINE_HINT.test(text)) kind = 'kubernetes';
    else if (/^services\s*:/m.test(text) && ENGINE_HINT.test(text)) kind = 'docker-compose';
    else if (/^servingEngineSpec\s*:/m.test(text)) kind = 'helm-vllm-stack';
  }
  return { kind, deployments, problems };
}

/** Whether a YAML document of a file (text[start, end)) may describe a deployment: the others are not parsed. */
function mayHoldDeployment(text: string, start: number, end: number): boolean {
  if (start === 0 && end === text.length) return true;
  const seg = text.slice(start, end);
  // "vllm" as most files spell it first: a plain search is far faster than the case-insensitive pattern, and finds
  // nothing the pattern would not.
  return seg.includes('vllm') || ENGINE_HINT.test(seg) || VLLM_KEY_HINT.test(seg) || OPERATOR_HINT.test(seg);
}

/** `mayHoldDeployment`, or a ConfigMap (read for the env of the file's containers). */
function mayHoldDeploymentOrConfigMap(text: string, start: number, end: number): boolean {
  return mayHoldDeployment(text, start, end) || /kind:\s*["']?ConfigMap\b/.test(text.slice(start, end));
}

/** Reads the documents of a YAML file as `parseYaml` parses them (the kind of the first one that holds a deployment). */
class YamlFileReader implements YamlDocSink {
  kind: DocumentKind | undefined = undefined;
  /** Documents that take env from a ConfigMap: read after the last document (the ConfigMap may come later). */
  readonly deferred: YNode[] = [];

  constructor(private readonly text: string, private readonly configMaps: boolean, private readonly shared: Shared,
    private readonly problems: FormatProblem[], private readonly deployments: DeploymentSpec[]) {}

  read(d: YDoc): void {
    if (this.configMaps) {
      if (readConfigMap(this.text, d.root, this.shared.manifest)) return;
      if (looksLikeManifest(d.root) && usesConfigMaps(this.text.slice(d.start, d.end))) { this.deferred.push(d.root); return; }
    }
    this.readDocument(d.root);
  }

  readDocument(root: YNode | null): void {
    const found = readYamlDocument(this.text, root, this.problems, this.deployments, this.shared);
    if (!this.kind && found) this.kind = found;
  }
}
keepShapeAlive(new YamlFileReader('', false, { manifest: newManifestContext() }, [], []));

/** What the documents of one file share. */
interface Shared { manifest: ManifestContext; dotEnv?: ReadonlyMap<string, string>; aibrix?: boolean }

/** Reads one YAML document; returns its kind when it holds what this module reads. */
function readYamlDocument(text: string, root: YNode | null, problems: FormatProblem[], deployments: DeploymentSpec[], shared: Shared): DocumentKind | undefined {
  const before = deployments.length;
  // Operator resources (VLLMRuntime, DynamoGraphDeployment, OME runtimes, RayService); an OME runtime written with
  // `containers` is read as a Kubernetes pod below.
  if (looksLikeOperator(root)) {
    const kind = readOperator(text, root, problems, deployments);
    if (kind) return kind;
  }
  if (looksLikeManifest(root)) {
    readManifest(text, root, problems, deployments, shared.manifest);
    // AIBrix's hints (labels, the downloader): the file is scanned once, then only its documents that mention AIBrix.
    if (deployments.length > before && (shared.aibrix ??= text.includes('aibrix')) && mentionsAibrix(text, root.start, root.end)) {
      aibrixWorkloadHints(text, root, deployments.slice(before), problems);
    }
    return deployments.length > before ? 'kubernetes' : undefined;
  }
  if (looksLikeHelmStack(root)) {
    readHelmStack(text, root, problems, deployments);
    return 'helm-vllm-stack';
  }
  if (looksLikeOllamaChart(root)) {
    readOllamaChart(text, root, problems, deployments);
    return 'helm-ollama';
  }
  if (looksLikeCompose(root)) {
    readCompose(text, root, problems, deployments, shared.dotEnv);
    return deployments.length > before ? 'docker-compose' : undefined;
  }
  if (looksLikeVllmConfig(root)) {
    readVllmConfig(text, root, problems, deployments);
    return 'vllm-config';
  }
  if (looksLikeSkyPilot(root)) {
    readSkyPilot(text, root, problems, deployments);
    return deployments.length > before ? 'skypilot' : undefined;
  }
  // Last: values of any chart whose tree configures a server (an image of a known engine, a command line, ...).
  if (looksLikeHelmValues(root) && readHelmValues(text, root, problems, deployments)) return 'helm-values';
  return undefined;
}

/** Parses a document into deployments, with a problem for each value that cannot be used. Never throws. */
export function parseDocument(fileName: string, text: string, context: DocumentContext = {}): ParsedDocument {
  try {
    const t = typeof text === 'string' ? text : String(text ?? '');
    const doc = read(String(fileName ?? ''), t, context ?? {});
    clampProblems(doc.problems, t.length);
    return doc;
  } catch (e) {
    return {
      kind: undefined, deployments: [],
      problems: [{ severity: 'error', message: `Inference Budget could not read this document: ${String((e as Error)?.message ?? e)}`, range: { start: 0, end: 0 } }],
    };
  }
}

/** Which kind of document this is (undefined for unrelated YAML / JSON). Never throws. */
export function detectDocumentKind(fileName: string, text: string): DocumentKind | undefined {
  return parseDocument(fileName, text).kind;
}
