// Maps the published measurements in ../shared/ground-truth to engine inputs and compares.
// Used by `npm run accuracy` and by the accuracy tests, so both judge the same way.

import * as fs from 'fs';
import * as path from 'path';
import { computeBudget } from '../src/core/budget';
import { BudgetInputs, BudgetReport, ModelFiles } from '../src/core/types';
import { loadModelFiles } from '../src/cli/modelFiles';

/** The repository root: the nearest folder above this file (source, out/ or dist/) holding package.json. */
function repoRoot(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
}

/** ../shared beside the checkout (override with INFERENCE_BUDGET_SHARED). */
export const SHARED = process.env.INFERENCE_BUDGET_SHARED ?? path.resolve(repoRoot(), '..', 'shared');
export const CONFIGS = path.join(SHARED, 'model-configs');
const GiB = 1024 ** 3;

export interface StartupRecord {
  id: string;
  vllm_version: string;
  model_id: string;
  /** A corpus config (`family/model/config.json`, or `model-configs/…` in the second file); null when none has the shapes. */
  config: string | null;
  gpu: string;
  /** The catalog name to pass as `--gpu` (second file). */
  gpu_cli?: string;
  /** The `--quantization` value when the checkpoint's own config does not say it (second file). */
  cli_quantization?: string;
  max_num_batched_tokens?: number;
  max_num_seqs?: number;
  gpu_count?: number;
  tensor_parallel_size?: number;
  pipeline_parallel_size?: number;
  dtype?: string;
  quantization?: string | null;
  kv_cache_dtype?: string;
  gpu_memory_utilization?: number;
  max_model_len?: number;
  block_size?: number;
  total_gpu_memory_gib?: number;
  weights_gib?: number;
  activation_peak_gib?: number;
  non_torch_gib?: number;
  kv_cache_gib?: number;
  kv_cache_tokens?: number;
  max_concurrency?: number;
  outcome?: string;
}

export function readJsonFile<T>(file: string): T {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
}

/** The vLLM startup-log files, each judged on its own. */
export const STARTUP_LOG_FILES = ['vllm-startup-logs.json', 'vllm-startup-logs-2.json'] as const;

export function startupRecords(file: string = STARTUP_LOG_FILES[0]): StartupRecord[] {
  return readJsonFile<StartupRecord[]>(path.join(SHARED, 'ground-truth', file));
}

/** A record's config path relative to the corpus (the second file writes `model-configs/…`). */
function configPathOf(r: { config?: string | null }): string | undefined {
  if (!r.config) return undefined;
  return r.config.replace(/^model-configs\//, '').replace(/\/config\.json$/, '');
}

/** The corpus model files a record names as its config, or why there are none. */
function recordModelFiles(r: { config?: string | null }): { ok: true; files: ModelFiles } | { ok: false; error: string } {
  const config = configPathOf(r);
  if (!config) return { ok: false, error: 'no corpus config has this model\'s shapes' };
  const loaded = loadModelFiles(path.join(CONFIGS, config));
  return loaded.ok ? { ok: true, files: loaded.files } : { ok: false, error: loaded.message };
}

/** A V1-engine record: version 0.8 or later, stated or inferred (`~0.11.0 (doc: …)`). */
export function isV1Record(r: StartupRecord): boolean {
  const m = /^~?\s*(\d+)\.(\d+)/.exec(r.vllm_version ?? '');
  return !!m && (Number(m[1]) > 0 || Number(m[2]) >= 8);
}

/**
 * vLLM releases, each with a date by which it had been published (an upper bound, from dated public references:
 * 0.11.0 bumped by dependabot 2025-10-07; "latest (currently v0.11.2)" 2025-12-03, kaito-project/kaito#1658; 0.13.0
 * bumped 2025-12-20, PrimeIntellect-ai/prime-rl#1461; 0.17.1 bumped 2026-03-09, kaito-project/kaito#1830).
 * Read only for a record whose version is inferred and whose source says the image was `:latest` in a month.
 */
const VLLM_RELEASES_PUBLISHED_BY: ReadonlyArray<readonly [version: string, isoDate: string]> = [
  ['0.11.0', '2025-10-07'], ['0.11.2', '2025-12-03'], ['0.13.0', '2025-12-20'], ['0.17.1', '2026-03-09'],
];

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/**
 * The newest release known to have been published by an ISO date, or undefined before the first in the table.
 * Example: 2026-01-01 → 0.13.0 (published by 2025-12-20); 0.17.1 is not known until 2026-03-09.
 */
export function latestVllmReleaseAt(isoDate: string): string | undefined {
  let newest: string | undefined;
  for (const [version, publishedBy] of VLLM_RELEASES_PUBLISHED_BY) if (publishedBy <= isoDate) newest = version;
  return newest;
}

/** The version as written in the label (`~0.6.4 (inferred)` → 0.6.4); 0.19.0 where none is written. */
function statedVersionOf(r: Pick<StartupRecord, 'vllm_version'>): string {
  return /(\d+\.\d+(?:\.\d+)?(?:\.\d+)?)/.exec(r.vllm_version ?? '')?.[1] ?? '0.19.0';
}

/**
 * How a record's engine version is read:
 * - `stated`: the version it states (`0.10.1.1`, `0.13.0 (NGC container 26.01)`);
 * - `latest-in-month`: an inferred version (`~`) whose source ran the `:latest` image in a named month
 *   (`~0.11.0 (…; earlier revision: :latest in Jan 2026)`) is read as the newest release published by that month's
 *   first day: the figures were taken when the image was `:latest`, the version was written down later;
 * - `inferred`: any other inferred version (`~0.6.4 (inferred)`), as written.
 */
export function engineVersionOf(r: Pick<StartupRecord, 'vllm_version'>): { version: string; basis: 'stated' | 'inferred' | 'latest-in-month' } {
  const label = r.vllm_version ?? '';
  const written = statedVersionOf(r);
  if (!/^\s*~/.test(label)) return { version: written, basis: 'stated' };
  const latest = /:latest in ([A-Za-z]{3})[a-z]* (\d{4})/.exec(label);
  const month = latest ? MONTHS.indexOf(latest[1].toLowerCase()) : -1;
  const release = month >= 0 ? latestVllmReleaseAt(`${latest![2]}-${String(month + 1).padStart(2, '0')}-01`) : undefined;
  return release ? { version: release, basis: 'latest-in-month' } : { version: written, basis: 'inferred' };
}

/**
 * The utilization a record's own breakdown implies where it logs weights, activation, non-torch and KV memory:
 * before 0.21 vLLM sized the KV cache as utilization × total − weights − activation − non-torch, so the four sum to
 * the requested memory. Example (kv2-007): 13.47 + 7.38 + 0.13 + 50.28 = 71.26 GiB = 0.90 × 79.18 GiB.
 */
export function loggedUtilization(r: StartupRecord): number | undefined {
  const parts = [r.weights_gib, r.activation_peak_gib, r.non_torch_gib, r.kv_cache_gib];
  if (!r.total_gpu_memory_gib || parts.some((x) => x === undefined || x === null)) return undefined;
  return (parts as number[]).reduce((a, b) => a + b, 0) / r.total_gpu_memory_gib;
}

/** vLLM quantization method + checkpoint name -> our scheme (compressed-tensors checkpoints say their scheme in the name). */
export function quantizationOf(r: { quantization?: string | null; model_id?: string }): string | undefined {
  // "mxfp4 (Marlin)", "compressed-tensors (fp8 dynamic)": the method is the first word.
  const q = (r.quantization ?? '').toLowerCase().replace(/\s*\(.*$/, '').trim();
  const id = (r.model_id ?? '').toLowerCase();
  if (!q) return undefined;
  if (q === 'compressed-tensors') {
    if (/w4a16|int4/.test(id)) return 'int4';
    if (/w8a8|int8/.test(id)) return 'int8';
    return 'fp8';
  }
  if (q === 'gptq_marlin' || q === 'gptq') return 'gptq';
  if (q === 'awq_marlin' || q === 'awq') return 'awq';
  return q;
}

/** GPU name as the log states it, reduced to what the catalog resolves. */
function gpuOf(r: StartupRecord): string {
  const g = r.gpu.replace(/\(.*?\)/g, '').trim();
  if (/H100 80GB/i.test(g)) return 'H100 SXM';
  return g;
}

/**
 * What the record says of the machines: GPUs on several nodes ("on 2 nodes via Ray", "across nodes"), and links
 * without peer-to-peer ("no P2P").
 */
function topologyOf(r: StartupRecord): Pick<BudgetInputs, 'nodes' | 'interconnect'> {
  const text = r.gpu.toLowerCase();
  const nodes = /on (\d+) nodes/.exec(text)?.[1];
  return {
    nodes: nodes ? Number(nodes) : /across nodes/.test(text) ? Math.max(2, r.tensor_parallel_size ?? 2) : undefined,
    interconnect: /no p2p/.test(text) ? 'pcie' : undefined,
  };
}

/** Which version a record is sized at: `engineVersionOf`'s reading of its evidence, or the version as written. */
export type VersionReading = 'evidence' | 'stated';

export function startupInputs(r: StartupRecord, reading: VersionReading = 'evidence'): BudgetInputs {
  const dtype = (r.dtype ?? 'auto').split(' ')[0];
  return {
    ...topologyOf(r),
    gpu: r.gpu_cli ?? gpuOf(r),
    gpuCount: r.gpu_count,
    tensorParallel: r.tensor_parallel_size ?? 1,
    pipelineParallel: r.pipeline_parallel_size ?? 1,
    maxModelLen: r.max_model_len,
    gpuMemoryUtilization: r.gpu_memory_utilization,
    dtype: dtype === 'bfloat16' || dtype === 'float16' || dtype === 'float32' ? dtype : undefined,
    quantization: r.cli_quantization ?? quantizationOf(r),
    maxNumBatchedTokens: r.max_num_batched_tokens,
    maxNumSeqs: r.max_num_seqs,
    kvCacheDtype: r.kv_cache_dtype ?? 'auto',
    engine: `vllm@${reading === 'stated' ? statedVersionOf(r) : engineVersionOf(r).version}`,
    blockSize: r.block_size ?? undefined,
  };
}

export interface StartupComparison {
  record: StartupRecord;
  report?: BudgetReport;
  error?: string;
  /** Relative errors (prediction / measured - 1) where the record has the figure. */
  kvCacheGiBError?: number;
  kvCacheTokensError?: number;
  weightsGiBError?: number;
  activationGiBError?: number;
  measuredFailed: boolean;
  predictedFailed: boolean;
}

/** `reading`: the version per `engineVersionOf` (default), or as written in the label. */
export function compareStartup(r: StartupRecord, reading: VersionReading = 'evidence'): StartupComparison {
  const measuredFailed = /fail/i.test(r.outcome ?? '');
  const loaded = recordModelFiles(r);
  if (!loaded.ok) return { record: r, error: loaded.error, measuredFailed, predictedFailed: false };
  const result = computeBudget(loaded.files, startupInputs(r, reading));
  if (!result.ok) return { record: r, error: result.unsupported, measuredFailed, predictedFailed: false };
  const rep = result.report;
  const rel = (pred: number, meas?: number): number | undefined => (meas && meas > 0 ? pred / meas - 1 : undefined);
  return {
    record: r,
    report: rep,
    kvCacheGiBError: rel(rep.perGpu.kvCacheBytes / GiB, r.kv_cache_gib),
    kvCacheTokensError: rel(rep.capacity.kvCacheTokens, r.kv_cache_tokens),
    weightsGiBError: rel(rep.perGpu.weightBytes / GiB, r.weights_gib),
    activationGiBError: rel(rep.perGpu.activationPeakBytes / GiB, r.activation_peak_gib),
    measuredFailed,
    // The logs record the memory outcome of startup: compare the engine's memory check, not config validation a
    // stand-in config may trip (granite-3.0 stands in for 3.3 with a shorter max_position_embeddings).
    predictedFailed: !rep.capacity.contextFits,
  };
}

// --- decode at batch 1 ------------------------------------------------------------------------

export interface DecodeRecord {
  id: string;
  model: string;
  quantization: string;
  hardware: string;
  num_gpus: number;
  engine: string;
  decode_tok_s: number;
  tensor_parallel_size?: number;
  weights_size?: number | null;
  weights_size_unit?: string | null;
  /** What was measured, in the source's words (`tg 512 (... from empty context ...)`, `5000 in / 500 out`). */
  metric?: string;
  /** The same run at other generation lengths (`tg1024`, `tg4096`, `tg8192`: tokens/s). */
  other_contexts?: Record<string, number>;
}

/** Context when the metric's form is not recognised: the length the decode fit was first taken at. */
export const DEFAULT_DECODE_CONTEXT_TOKENS = 512;

/**
 * The mean context a decode measurement ran at: a step at context c reads c tokens of KV, and at batch 1 the step
 * time is linear in c, so generating N tokens after a prompt of P tokens averages the step at P + N/2.
 * Reads the metric's own words: `tg 512` / `tg128` (llama-bench, from an empty context), `tg32 at depth 4096`,
 * `5000 in / 500 out`, `ISL 128 / OSL 128`, `prompt 1, output 128`. Example: `tg 512` → 256; `5000 in / 500 out` → 5250.
 */
export function decodeContextTokens(metric: string | undefined): number {
  const m = metric ?? '';
  let x: RegExpExecArray | null;
  if ((x = /\btg\s?(\d+)(?:\s+at depth\s+(\d+))?/i.exec(m))) return Number(x[2] ?? 0) + Number(x[1]) / 2;
  if ((x = /(\d+)\s+in\s*\/\s*(\d+)\s+out/i.exec(m))) return Number(x[1]) + Number(x[2]) / 2;
  if ((x = /ISL\s+(\d+)\s*\/\s*OSL\s+(\d+)/i.exec(m))) return Number(x[1]) + Number(x[2]) / 2;
  if ((x = /prompt\s+(\d+),\s*output\s+(\d+)/i.exec(m))) return Number(x[1]) + Number(x[2]) / 2;
  return DEFAULT_DECODE_CONTEXT_TOKENS;
}

export function decodeRecords(): DecodeRecord[] {
  return readJsonFile<DecodeRecord[]>(path.join(SHARED, 'ground-truth', 'decode-batch1.json'));
}

/**
 * Which corpus config has the shapes of the measured model. Variants with identical shapes stand in
 * (Llama 3 8B/70B = Llama 3.1 8B/70B; LLaMA-1/CodeLlama 7B = Llama-2-7B; Qwen2.5-Coder-7B = Qwen2.5-7B).
 * Returns undefined for models whose shapes are not in the corpus.
 */
export function decodeConfigFor(model: string): string | undefined {
  const m = model.toLowerCase();
  const table: [RegExp, string][] = [
    [/deepseek-r1/, 'deepseek-v3/DeepSeek-R1'],
    [/gpt-oss-120b/, 'gpt-oss/gpt-oss-120b'],
    [/gpt-oss-20b/, 'gpt-oss/gpt-oss-20b'],
    [/qwen3-coder-30b-a3b/, 'qwen3-moe/Qwen3-30B-A3B'],
    [/qwen2\.5-coder-7b/, 'qwen2.5/Qwen2.5-7B'],
    [/gemma-3-4b/, 'gemma3/gemma-3-4b-it'],
    [/llama-3\.3-70b/, '_partial/Llama-3.3-70B-Instruct'],
    [/llama-3-70b/, 'llama3.1/Meta-Llama-3.1-70B'],
    [/llama-3(\.1)?-8b/, 'llama3.1/Meta-Llama-3.1-8B'],
    [/llama-3\.2-3b|llama 3b/, 'llama3.2/Llama-3.2-3B'],
    [/llama-2-70b/, 'llama2/Llama-2-70b-hf'],
    [/llama-2-13b/, 'llama2/Llama-2-13b-hf'],
    [/mistral-7b/, 'mistral/Mistral-7B-v0.1'],
    [/(llama-2|llama|codellama)[- /]*7b|llama 7b|llama\/llama-2 7b/, 'llama2/Llama-2-7b-hf'],
  ];
  for (const [re, dir] of table) if (re.test(m)) return dir;
  return undefined;
}

/** Quantization names in the decode data -> `--quantization`. */
export function decodeQuantization(q: string): string | undefined {
  const s = q.toLowerCase();
  if (/^f16|^fp16/.test(s)) return undefined;
  if (/q4_k_m/.test(s)) return 'q4_k_m';
  if (/q4_0/.test(s)) return 'q4_0';
  if (/q4_1/.test(s)) return 'q4_1';
  if (/q8_0/.test(s)) return 'q8_0';
  if (/iq1_s/.test(s)) return 'iq1_s';
  if (/mxfp4 moe/.test(s)) return 'mxfp4_moe';
  if (/mxfp4/.test(s)) return 'mxfp4';
  if (/awq/.test(s)) return 'awq';
  if (/gptq/.test(s)) return 'gptq';
  if (/mlc q4f16|4-bit \(mlc/.test(s)) return 'q4_0';
  if (/fp8/.test(s)) return 'fp8';
  return undefined;
}

export interface DecodeComparison {
  record: DecodeRecord;
  ceilingTokensPerSecond?: number;
  /** measured / ceiling. */
  ratio?: number;
  skipped?: string;
}

/** The layout a decode measurement ran with: llama.cpp splits layers across GPUs (a pipeline); TP rows say so. */
export function decodeParallelism(r: DecodeRecord): { tp: number; pp: number } {
  const tp = r.tensor_parallel_size ?? 1;
  return { tp, pp: tp > 1 ? 1 : Math.max(1, r.num_gpus) };
}

/** Our report for a decode measurement's model, GPU and layout at batch 1 and `contextTokens` (its metric's mean context by default). */
export function decodeBudget(r: DecodeRecord, contextTokens = decodeContextTokens(r.metric)): { ok: true; report: BudgetReport } | { ok: false; skipped: string } {
  const dir = decodeConfigFor(r.model);
  if (!dir) return { ok: false, skipped: 'model shapes not in the corpus' };
  const loaded = loadModelFiles(path.join(CONFIGS, dir));
  if (!loaded.ok) return { ok: false, skipped: loaded.message };
  const { tp, pp } = decodeParallelism(r);
  const context = Math.round(contextTokens);
  const result = computeBudget(loaded.files, {
    gpu: r.hardware, gpuCount: r.num_gpus, tensorParallel: tp, pipelineParallel: pp,
    quantization: decodeQuantization(r.quantization), batch: 1, context, maxModelLen: Math.max(4096, context + 1),
  });
  return result.ok ? { ok: true, report: result.report } : { ok: false, skipped: result.unsupported };
}

export function compareDecode(r: DecodeRecord): DecodeComparison {
  const b = decodeBudget(r);
  if (!b.ok) return { record: r, skipped: b.skipped };
  const ceiling = b.report.decode.tokensPerSecondPerRequest;
  return { record: r, ceilingTokensPerSecond: ceiling, ratio: r.decode_tok_s / ceiling };
}

export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

// --- SGLang startup logs ----------------------------------------------------------------------

export interface SglangRecord {
  id: string;
  engine_version: string;
  model_id: string;
  config: string | null;
  gpu: string;
  gpu_cli: string | null;
  tensor_parallel_size?: number;
  context_length_arg?: number | null;
  mem_fraction_static?: number;
  chunked_prefill_size?: number;
  cuda_graph_max_bs?: number;
  kv_cache_dtype?: string;
  max_total_num_tokens?: number;
  max_running_requests?: number;
}

export function sglangRecords(): SglangRecord[] {
  return readJsonFile<SglangRecord[]>(path.join(SHARED, 'ground-truth', 'sglang-startup-logs.json'));
}

export interface SglangComparison { record: SglangRecord; report?: BudgetReport; error?: string; tokensError?: number }

/**
 * One SGLang record against `--engine sglang@VERSION` with its logged settings. A record whose GPU is not named
 * (the docs build: "80 GB-class", 78.81 GiB free) is compared on an H100 SXM, the 80 GB card of that class.
 */
export function compareSglang(r: SglangRecord): SglangComparison {
  const loaded = recordModelFiles(r);
  if (!loaded.ok) return { record: r, error: loaded.error };
  const version = /(\d+\.\d+\.\d+)/.exec(r.engine_version)?.[1] ?? '0.4.2';
  const result = computeBudget(loaded.files, {
    engine: `sglang@${version}`, gpu: r.gpu_cli ?? 'H100 SXM', tensorParallel: r.tensor_parallel_size ?? 1,
    gpuCount: r.tensor_parallel_size ?? 1, maxModelLen: r.context_length_arg ?? undefined,
    gpuMemoryUtilization: r.mem_fraction_static, maxNumBatchedTokens: r.chunked_prefill_size,
    kvCacheDtype: r.kv_cache_dtype ?? 'auto',
  });
  if (!result.ok) return { record: r, error: result.unsupported };
  const measured = r.max_total_num_tokens;
  return {
    record: r, report: result.report,
    tokensError: measured ? result.report.capacity.kvCacheTokens / measured - 1 : undefined,
  };
}

// --- llama.cpp load logs ----------------------------------------------------------------------

export interface LlamacppRecord {
  id: string;
  model_id: string;
  config: string | null;
  weights_quant: string;
  gpu_cli: string | null;
  /** "19/37 (…)": layers offloaded of the model's total (with the output layer). */
  n_gpu_layers: string | number;
  n_ctx: number;
  n_parallel: number;
  flash_attn?: boolean;
  cache_type_k?: string;
  cache_type_v?: string;
  model_buffer_mib?: Record<string, number>;
  kv_buffer_mib_per_device?: Record<string, number>;
  compute_buffer_mib?: Record<string, number>;
}

export function llamacppRecords(): LlamacppRecord[] {
  return readJsonFile<LlamacppRecord[]>(path.join(SHARED, 'ground-truth', 'llamacpp-logs.json'));
}

export interface LlamacppComparison {
  record: LlamacppRecord; report?: BudgetReport; error?: string;
  /** On the GPU (llama.cpp's CUDA0 buffers): predicted / logged − 1. */
  modelBufferError?: number; kvBufferError?: number; computeBufferError?: number;
}

/**
 * One llama.cpp load log against `--engine llamacpp` with its logged settings: the GGUF type of the weights, the
 * layers it offloaded (no --fit, as the log's -ngl was given), context, slots, flash attention and cache types.
 */
export function compareLlamacpp(r: LlamacppRecord): LlamacppComparison {
  const loaded = recordModelFiles(r);
  if (!loaded.ok) return { record: r, error: loaded.error };
  const gpuLayers = Number(String(r.n_gpu_layers).split('/')[0]);
  const result = computeBudget(loaded.files, {
    engine: 'llamacpp', gpu: r.gpu_cli ?? 'RTX 4090', quantization: r.weights_quant.toLowerCase(), maxModelLen: r.n_ctx,
    maxNumSeqs: r.n_parallel, gpuLayers: Number.isFinite(gpuLayers) ? gpuLayers : undefined, flashAttention: r.flash_attn, fit: false,
    kvCacheDtype: r.cache_type_k,
  });
  if (!result.ok) return { record: r, error: result.unsupported };
  const MiB = 1024 * 1024;
  const rel = (predictedBytes: number | undefined, loggedMiB: number | undefined) =>
    (predictedBytes === undefined || !loggedMiB ? undefined : predictedBytes / MiB / loggedMiB - 1);
  const p = result.report.perGpu;
  return {
    record: r, report: result.report,
    modelBufferError: rel(p.weightBytes, r.model_buffer_mib?.CUDA0),
    kvBufferError: rel(p.kvCacheBytes, r.kv_buffer_mib_per_device?.CUDA0),
    computeBufferError: rel(p.computeBufferBytes, r.compute_buffer_mib?.CUDA0),
  };
}
