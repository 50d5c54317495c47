// What the language model tool (`inference-budget_size`) answers: the engine's findings for one document as text
// a chat model reads, and as the same JSON `inference-budget check --format json` prints for the file. Pure: no
// vscode import, unit-tested without the editor.
import { analysisItems, type DocumentAnalysis } from '../analysis/analyze';
import { fileJson, FileJson } from '../analysis/checkJson';
import { formatReport } from '../cli/format';
import { splitGpuCount } from '../core/hardware';

/** The tool's input (package.json `contributes.languageModelTools[0].inputSchema`). */
export interface SizeToolInput {
  /** A deployment file or model config.json: absolute, or relative to the first workspace folder. */
  path?: string;
  /** A model: Hugging Face id (`org/name`), a path to its folder or config.json. */
  model?: string;
  /** A GPU, with an optional count: `H100`, `4xH100`, `8x A100-80GB`. */
  gpu?: string;
  gpuCount?: number;
  /** `vllm`, `sglang`, `llamacpp`, `ollama`, optionally with a version: `vllm@0.11.0`. */
  engine?: string;
  tensorParallel?: number;
  pipelineParallel?: number;
  maxModelLen?: number;
  gpuMemoryUtilization?: number;
  maxNumSeqs?: number;
  kvCacheDtype?: string;
  quantization?: string;
  promptTokens?: number;
  outputTokens?: number;
  targetConcurrency?: number;
}

/** The engine settings the tool passes through to a budget file's `engine:` section, by the same names. */
const ENGINE_KEYS = ['tensorParallel', 'pipelineParallel', 'maxModelLen', 'gpuMemoryUtilization', 'maxNumSeqs', 'kvCacheDtype', 'quantization'] as const;
const WORKLOAD_KEYS = ['promptTokens', 'outputTokens', 'targetConcurrency'] as const;

/** The file name a model + GPU request is analysed under (a budget file, so the budget reader takes it). */
export const TOOL_REQUEST_FILE_NAME = 'inference-budget-request.budget.yaml';

/**
 * A model + GPU request as the text of a budget file (JSON is YAML), so it goes through the same reader,
 * validation and model resolution as a `*.budget.yaml` the user writes:
 *
 *   { model: 'meta-llama/Llama-3.1-8B-Instruct', gpu: '2xH100', maxModelLen: 32768 }
 *   → {"model":"meta-llama/Llama-3.1-8B-Instruct","hardware":{"gpu":"H100","count":2},"engine":{"maxModelLen":32768}}
 *
 * Returns an error message for a request that names no model or contradicts itself.
 */
export function budgetTextForRequest(input: SizeToolInput): { ok: true; text: string } | { ok: false; message: string } {
  if (typeof input.model !== 'string' || !input.model.trim()) return { ok: false, message: 'name a model (a Hugging Face id or a path), a file (path), or open a deployment in the editor' };
  const hardware: Record<string, unknown> = {};
  if (typeof input.gpu === 'string' && input.gpu.trim()) {
    const { gpu, count } = splitGpuCount(input.gpu);
    if (count !== undefined && input.gpuCount !== undefined && count !== input.gpuCount) {
      return { ok: false, message: `gpu ${JSON.stringify(input.gpu)} says ${count} GPUs but gpuCount says ${input.gpuCount}` };
    }
    hardware.gpu = gpu;
    if (count !== undefined) hardware.count = count;
  }
  if (input.gpuCount !== undefined) hardware.count = input.gpuCount;
  const engine: Record<string, unknown> = {};
  if (typeof input.engine === 'string' && input.engine.trim()) {
    const [name, version] = input.engine.trim().split('@', 2);
    engine.name = name;
    if (version) engine.version = version;
  }
  for (const k of ENGINE_KEYS) if (input[k] !== undefined) engine[k] = input[k];
  const workload: Record<string, unknown> = {};
  for (const k of WORKLOAD_KEYS) if (input[k] !== undefined) workload[k] = input[k];
  const doc: Record<string, unknown> = { name: input.model.trim(), model: input.model.trim() };
  if (Object.keys(hardware).length) doc.hardware = hardware;
  if (Object.keys(engine).length) doc.engine = engine;
  if (Object.keys(workload).length) doc.workload = workload;
  return { ok: true, text: JSON.stringify(doc) };
}

export interface ToolAnswer {
  /** For the chat model: each deployment's verdict and report, then its findings. */
  text: string;
  /** The file as `inference-budget check --format json` reports it. */
  data: FileJson;
}

/** One document's analysis as the tool's answer. */
export function toolAnswer(displayPath: string, analysis: DocumentAnalysis): ToolAnswer {
  const data = fileJson(displayPath, analysis);
  const lines: string[] = [];
  const finding = (d: FileJson['problems'][number]): string => `- ${d.severity} [${d.code}] line ${d.line}: ${d.message}`;
  if (data.deployments.length === 0) {
    lines.push(`${displayPath}: no deployment or model config that Inference Budget reads${data.kind ? ` (${data.kind})` : ''}.`);
  }
  analysisItems(analysis).forEach((item, i) => {
    const d = data.deployments[i];
    const report = item.status === 'sized' ? item.report : undefined;
    if (report) {
      lines.push(`## ${d.name}: ${report.capacity.fits ? 'fits' : 'does not fit'}`, formatReport(report));
    } else {
      lines.push(`## ${d.name}: not sized — ${d.notSizedReason ?? 'not sized'}`);
    }
    // The report already lists the engine's own diagnostics; add what the readers found.
    const shown = d.diagnostics.filter((x) => x.code !== 'assumption' && !report?.diagnostics.some((r) => r.code === x.code));
    if (shown.length) lines.push('Findings:', ...shown.map(finding));
    lines.push('');
  });
  if (data.problems.length) lines.push('Problems in the file:', ...data.problems.map(finding));
  return { text: lines.join('\n').trim(), data };
}
