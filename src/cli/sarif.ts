// `check --format sarif`: a SARIF 2.1.0 log (what GitHub code scanning uploads) of check's findings or of the
// regressions `--diff`/`--baseline` found. Pure: data in, a JSON-ready object out.
import * as path from 'path';
import { pathToFileURL } from 'url';
import type { DiagnosticJson } from '../analysis/checkJson';
import type { CheckJson } from './check';

/**
 * One thing to report at a place in a file: a diagnostic of a checked file, or a regression; `path` as check
 * prints it (relative to the current folder when the user wrote it so), positions 1-based with the end exclusive.
 */
export interface LocatedResult extends DiagnosticJson {
  path: string;
}

/** Every diagnostic of a check report, per file in document order (readers' problems and deployments' findings). */
export function locatedResults(report: CheckJson): LocatedResult[] {
  return report.files.flatMap((f) => [...f.problems, ...f.deployments.flatMap((d) => d.diagnostics)]
    .sort((a, b) => a.line - b.line || a.column - b.column)
    .map((d) => ({ path: f.path, ...d })));
}

/** What a rule is about and what to do: SARIF's shortDescription and help. */
interface RuleText { short: string; help: string }

/**
 * Every code src/core and src/analysis emit (grep `code: '`), plus the regressions of `--diff`/`--baseline`.
 * A code not listed gets a generic text (a new finding must not break the log).
 */
export const RULE_TEXTS: Readonly<Record<string, RuleText>> = {
  'kv-does-not-fit': { short: 'The KV cache cannot hold one request of the context length', help: 'Lower the context length (vLLM max_model_len, SGLang --context-length, llama.cpp -c, Ollama num_ctx), use an 8-bit KV cache (fp8; q8_0 on llama.cpp and Ollama), give the cache more memory (vLLM gpu_memory_utilization, SGLang --mem-fraction-static) or add GPUs.' },
  'context-does-not-fit': { short: "The model's full context does not fit in the KV cache", help: 'Set the context length (vLLM max_model_len, SGLang --context-length, llama.cpp -c, Ollama num_ctx) to what the KV cache holds (vLLM would refuse to start), or give the cache more memory.' },
  'weights-do-not-fit': { short: 'The weights do not fit in the memory requested per GPU', help: 'Raise tensor parallelism (llama.cpp and Ollama: split the layers over more GPUs, or keep some on the CPU with a lower -ngl / num_gpu), quantize the weights, or use GPUs with more memory.' },
  'max-model-len-above-max-position': { short: "The context length is above the model's max_position_embeddings", help: 'Lower the context length (vLLM max_model_len, SGLang --context-length, llama.cpp -c, Ollama num_ctx) to max_position_embeddings; vLLM refuses a longer one unless VLLM_ALLOW_LONG_MAX_MODEL_LEN=1, SGLang unless SGLANG_ALLOW_OVERWRITE_LONGER_CONTEXT_LEN=1; llama.cpp warns and caps each slot, Ollama lowers num_ctx.' },
  'parallel-exceeds-gpus': { short: 'Tensor × pipeline parallelism needs more GPUs than requested', help: 'Request tensor parallel × pipeline parallel GPUs, or lower the parallelism.' },
  'heads-not-divisible': { short: 'Attention heads are not divisible by tensor parallelism', help: "Choose a tensor parallel size that divides the model's attention heads." },
  'kv-heads-replicated': { short: 'Fewer KV heads than tensor-parallel ranks: KV is replicated', help: 'Past tensor parallel = KV heads, more GPUs do not shrink KV per GPU; consider pipeline or data parallelism.' },
  'fp8-unsupported': { short: 'FP8 on a GPU without FP8 tensor cores', help: 'FP8 saves memory here but gives no compute speed-up; use a GPU with FP8 support for that.' },
  'fp8-kv-would-help': { short: 'An 8-bit KV cache would about halve KV bytes per token', help: 'Set kv-cache-dtype fp8 (vLLM, SGLang) to hold twice the tokens, or q8_0 on llama.cpp (-ctk q8_0 -ctv q8_0) and Ollama (OLLAMA_KV_CACHE_TYPE=q8_0) for 17/32 of the f16 bytes, at a small accuracy cost.' },
  'max-num-seqs-above-capacity': { short: 'More requests at once than the KV cache holds at the workload\'s context', help: 'Lower the requests served at once (vLLM max_num_seqs, SGLang --max-running-requests, llama.cpp -np, Ollama OLLAMA_NUM_PARALLEL), or give the KV cache more room; requests beyond capacity wait or are preempted.' },
  'assumption': { short: 'An assumption the estimate makes', help: 'The estimate assumes this; state the value in the deployment to remove the assumption.' },
  'invalid-input': { short: 'A deployment input is invalid', help: 'Correct the value; the deployment cannot be sized with it.' },
  'unknown-gpu': { short: 'The GPU is not in the hardware catalog', help: 'Use a catalog id, nvidia-smi name or alias, or add the GPU to inferenceBudget.customGpus.' },
  'unsupported-model': { short: 'The model cannot be sized', help: "The model's architecture is not supported by the budget engine." },
  'unsupported': { short: 'The deployment is not sized', help: 'The message says why; nothing is estimated for this deployment.' },
  'engine-not-emulated': { short: 'The serving engine is not emulated', help: 'Only the engines the budget emulates are sized; this deployment is read but not sized.' },
  'speculative-not-modelled': { short: 'Speculative decoding is not modelled', help: 'Its memory and speed effects are not in the estimate.' },
  'model-not-found': { short: 'The model was not found', help: 'Put its config.json in the workspace or the Hugging Face cache, or name it with # inference-budget: model=NAME.' },
  'model-not-named': { short: 'The deployment names no model', help: 'Name the model with # inference-budget: model=NAME.' },
  'model-in-script': { short: 'The server is started by a script the file does not contain', help: 'Name the model (and GPU) the script serves with # inference-budget: model=NAME gpu=GPU.' },
  'model-templated': { short: 'The model is set at deploy time', help: 'Name the model with # inference-budget: model=NAME to size the deployment.' },
  'model-is-path': { short: 'The model is a path inside the container', help: 'Name the model with # inference-budget: model=NAME to size the deployment.' },
  'model-storage-uri': { short: 'The model is loaded from storage', help: 'Name the model with # inference-budget: model=NAME to size the deployment.' },
  'model-variant': { short: 'The model was resolved to a related model', help: 'The shapes come from the model named in the message; add its config.json to use its own.' },
  'accelerator-not-in-catalog': { short: 'The accelerator is not in the catalog', help: 'Add it to inferenceBudget.customGpus or name it with # inference-budget: gpu=NAME.' },
  'accelerator-type-unknown': { short: 'The accelerator type is not stated', help: 'Say which GPU it is with # inference-budget: gpu=NAME.' },
  'runs-on-cpu': { short: 'The deployment runs on the CPU', help: 'CPU serving is not sized.' },
  'flags-not-read': { short: 'Flags or settings the estimate does not read', help: 'What they do to memory is not in the estimate.' },
  'flags-without-gpu-memory': { short: 'Flags read that take no GPU memory', help: 'They are read and checked; vLLM gives them no GPU memory at startup.' },
  'engine-refuses-settings': { short: 'The engine refuses these settings at startup', help: 'The message gives vLLM\'s reason; change or remove the setting, or the deployment does not start.' },
  'speculative-drafter-kv': { short: 'The speculative drafter keeps a KV cache of its own', help: 'Its attention layers join vLLM\'s KV cache groups: fewer tokens fit; counted in the estimate.' },
  'multimodal-limits': { short: 'Multimodal items per prompt', help: 'At 0 for every modality of a tower vLLM leaves the tower unloaded; otherwise the encoder\'s profiling batch is not modelled.' },
  'format': { short: 'The file could not be read as its format', help: 'Correct the syntax; parts of the file may not be analysed.' },
  'too-many-findings': { short: 'More findings than one document shows', help: 'The first findings are shown; fix them and check again.' },
  'io-error': { short: 'The file could not be read', help: 'Check that the file exists, is a regular file and is not larger than the size limit.' },
  'regression-does-not-fit': { short: 'A deployment that fitted no longer fits', help: 'The change makes the deployment fail to start; undo it or give the deployment more memory.' },
  'regression-not-sized': { short: 'A deployment that was sized is no longer sized', help: 'The change hides the model or accelerator from the estimate; the message says why.' },
  'regression-new-error': { short: 'The change brings a new error', help: 'An error this deployment did not have before; the message gives it.' },
  'regression-capacity': { short: 'KV-cache token capacity dropped', help: 'The KV cache holds fewer tokens than before by more than the threshold; fewer requests fit at once.' },
  'regression-concurrency': { short: 'Maximum concurrency dropped', help: 'Fewer requests of max_model_len tokens fit at once than before, by more than the threshold.' },
};

const GENERIC_RULE: RuleText = { short: 'An Inference Budget finding', help: 'See the message.' };

/** SARIF levels: information and hints are notes. */
const LEVEL: Record<DiagnosticJson['severity'], 'error' | 'warning' | 'note'> = { error: 'error', warning: 'warning', information: 'note', hint: 'note' };

export interface SarifTool {
  name: string;
  version?: string;
  informationUri: string;
}

export interface SarifOptions {
  /**
   * The folder relative paths start from (the current folder), recorded as %SRCROOT%. Files under it get URIs
   * relative to it, others absolute file: URIs. Without it, paths are taken as they are.
   */
  srcRoot?: string;
}

/** A SARIF 2.1.0 log of one run with a rule per code that appears, in order of first appearance. */
export function sarifLog(results: readonly LocatedResult[], tool: SarifTool, options: SarifOptions = {}): Record<string, unknown> {
  const ruleIndex = new Map<string, number>();
  for (const r of results) if (!ruleIndex.has(r.code)) ruleIndex.set(r.code, ruleIndex.size);
  const rules = [...ruleIndex.keys()].map((id) => {
    const text = RULE_TEXTS[id] ?? GENERIC_RULE;
    return { id, shortDescription: { text: text.short }, fullDescription: { text: `${text.short}. ${text.help}` }, help: { text: text.help } };
  });
  const run: Record<string, unknown> = {
    tool: { driver: { name: tool.name, ...(tool.version ? { version: tool.version } : {}), informationUri: tool.informationUri, rules } },
    ...(options.srcRoot ? { originalUriBaseIds: { '%SRCROOT%': { uri: folderUri(options.srcRoot) } } } : {}),
    // Check's columns count UTF-16 code units, as the editor does.
    columnKind: 'utf16CodeUnits',
    results: results.map((r) => ({
      ruleId: r.code,
      ruleIndex: ruleIndex.get(r.code),
      level: LEVEL[r.severity],
      message: { text: r.message },
      locations: [{
        physicalLocation: {
          artifactLocation: artifactLocation(r.path, options.srcRoot),
          // Both 1-based with an exclusive end, like check's JSON: no conversion.
          region: { startLine: r.line, startColumn: r.column, endLine: r.endLine, endColumn: r.endColumn },
        },
      }],
    })),
  };
  return { $schema: 'https://json.schemastore.org/sarif-2.1.0.json', version: '2.1.0', runs: [run] };
}

/** The SARIF log of a check report's diagnostics. */
export function checkSarif(report: CheckJson, tool: SarifTool, options: SarifOptions = {}): Record<string, unknown> {
  return sarifLog(locatedResults(report), tool, options);
}

/** Relative to %SRCROOT% when the file is under it (GitHub maps those to the repository), else an absolute URI. */
function artifactLocation(filePath: string, srcRoot: string | undefined): { uri: string; uriBaseId?: string } {
  const absolute = srcRoot ? path.resolve(srcRoot, filePath) : path.isAbsolute(filePath) ? filePath : undefined;
  const relative = srcRoot && absolute ? path.relative(srcRoot, absolute) : filePath;
  const outside = path.isAbsolute(relative) || relative === '..' || relative.startsWith(`..${path.sep}`);
  if (absolute && (outside || !srcRoot)) return { uri: pathToFileURL(absolute).href };
  return { uri: relativeUri(relative), uriBaseId: '%SRCROOT%' };
}

/** A relative URI reference: forward slashes, `./` dropped, each segment percent-encoded (spaces, `#`, `%`). */
export function relativeUri(filePath: string): string {
  return filePath.split(path.sep === '\\' ? /[\\/]/ : '/').filter((s, i) => !(s === '.' && i === 0)).map(encodeURIComponent).join('/');
}

function folderUri(folder: string): string {
  const href = pathToFileURL(folder).href;
  return href.endsWith('/') ? href : `${href}/`;
}
