// The budget engine's entry point: model files + deployment inputs -> one report.
// Everything the editor, the panel and the CLI show is computed here.

import {
  Accelerator, BudgetDiagnostic, BudgetInputs, BudgetReport, BudgetResult, KvCacheDtype, ModelFiles,
} from './types';
import { ModelDescription, layerKinds } from './model';
import { normalizeConfig } from './normalize';
import { QuantScheme, dtypeBytes, isKnownQuantization, normalizeDtypeName, schemeFromConfig, schemeFromName } from './quantization';
import { WeightPlan, parametersActive, parametersTotal, rankWeightTable, weightBytesPerRankLowerBound } from './weights';
import { kvDtypeBytes, kvHeadsPerRank, modelKvBytesPerToken, modelStateBytesPerSequence, normalizeKvDtype } from './kvcache';
import { GiB, VllmProfile, VllmResult, VllmSettings, cudaGraphEstimateApplied, formatGiB, rankBaselines } from './engine/vllm';
import { vllmFlagFindings, withoutVisionTower } from './vllmFlags';
import { NEWEST_SGLANG_VERSION, SglangProfile, emulateSglang } from './engine/sglang';
import {
  LLAMA_CACHE_TYPES, LLAMA_SPLIT_MODES, LlamaCppSettings, LlamaSplitMode, emulateLlamaCpp, llamaBuildOf, llamaWeights, ollamaDefaultNumCtx,
  ollamaGpuOverheadRule, parseTensorSplit,
} from './engine/llamacpp';
import { engineDisplayName, resolveEngine } from './engine/engine';

export { resolveEngine };
import { computeBoundDecodeBatch, decodeStep, peakFlopsFor, prefillStep, prefillStepWithCachedPrefix, rememberDecodeInputs, rooflinePoint } from './throughput';
import { DEFAULT_ACCELERATOR_ID, findAccelerator, supportsFp8 } from './hardware';
import { memoized } from './memo';
import { PREFILL_FLOPS_FRACTION, coefficientsFor, engineFamily, expectedStepSeconds, hardwareClass } from './expected';
import { DEPLOYMENT_INPUTS, INPUT_LIMITS, INPUT_ORDER, InputKey, checkInput } from './inputs';
import { formatInt } from './units';
import {
  SpeculativeFigures, draftConfigOf, draftKvLayers, draftPassBytes, drafterFindings, drafterKvBytesPerToken, drafterOfModelName, drafterWeightBytes,
  speculationPlan, speculativeNote, tokensPerVerifyStep,
} from './speculative';

export interface BudgetOptions {
  /** Custom GPUs from settings, looked up before the catalog. */
  extraAccelerators?: Accelerator[];
  /**
   * The files of the drafter named by `speculativeModel` (an EAGLE head or a separate draft model), resolved by the
   * caller like the model's own: its layers' KV cache (and a draft model's weights) are then sized from its config.
   */
  draft?: ModelFiles;
}

/** A number per draft-files object, for the memo key (the same files give the same results). */
const draftIds = new WeakMap<ModelFiles, number>();
let nextDraftId = 1;
function draftKey(draft: ModelFiles | undefined): number | null {
  if (!draft || typeof draft !== 'object') return null;
  return memoized(draftIds, draft, () => nextDraftId++);
}

const fail = (message: string, subject?: BudgetDiagnostic['subject']): BudgetResult => ({
  ok: false,
  unsupported: message,
  diagnostics: [{ severity: 'error', code: 'invalid-input', message, subject }],
});

/**
 * Schemes per model and override text. One object per pair keeps per-scheme memos (the per-rank weight tables)
 * shared by every deployment of the model.
 */
const schemes = new WeakMap<ModelDescription, Map<string, { scheme?: QuantScheme; error?: string }>>();
const SCHEMES_PER_MODEL = 32;

function schemeFor(model: ModelDescription, override: string | undefined): { scheme?: QuantScheme; error?: string } {
  const byOverride = memoized(schemes, model, () => new Map<string, { scheme?: QuantScheme; error?: string }>());
  return memoized(byOverride, override ?? '', () => resolveScheme(model, override), SCHEMES_PER_MODEL);
}

/** The quantization scheme in force: an explicit override wins over the checkpoint's own config. */
function resolveScheme(model: ModelDescription, override: string | undefined): { scheme?: QuantScheme; error?: string } {
  const fromCheckpoint = schemeFromConfig(model.quantizationConfig);
  if (override === undefined || override.trim() === '') return { scheme: fromCheckpoint };
  const name = override.trim().toLowerCase().replace(/-/g, '_');
  if (!isKnownQuantization(name)) return { error: `Unknown quantization "${override}"` };
  if (['f16', 'fp16', 'bf16', 'none'].includes(name)) return { scheme: undefined };
  // Method names vLLM uses for checkpoints (compressed-tensors, modelopt, gptq_marlin) defer to the checkpoint's config.
  if (['compressed_tensors', 'modelopt', 'gguf'].includes(name)) return { scheme: fromCheckpoint ?? schemeFromName('fp8') };
  if ((name === 'gptq_marlin' || name === 'awq_marlin' || name === 'gptq' || name === 'awq') && fromCheckpoint) return { scheme: fromCheckpoint };
  return { scheme: schemeFromName(name) };
}

/** Smallest power-of-two TP size that divides the heads and gives the weights room on each GPU. */
function suggestTensorParallel(model: ModelDescription, fits: (tp: number) => boolean, maxTp: number): number | undefined {
  for (let tp = 1; tp <= Math.max(1, maxTp); tp *= 2) {
    if (model.numAttentionHeads % tp !== 0 || kvHeadsNotSplit(model, tp) !== undefined) continue;
    if (fits(tp)) return tp;
  }
  return undefined;
}

/**
 * Results per model-files object and inputs. Documents are analysed again on every edit and large manifests
 * repeat the same few deployments, so most calls are answered from here. Results are frozen: shared, never mutated.
 */
const memo = new WeakMap<ModelFiles, { normalized: ReturnType<typeof normalizeConfig>; results: Map<string, BudgetResult> }>();
const MEMO_ENTRIES_PER_MODEL = 256;

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    // Only objects are visited (a report holds some 150 numbers and strings and a few dozen objects).
    if (Array.isArray(value)) {
      for (const v of value) if (typeof v === 'object' && v !== null) deepFreeze(v);
    } else {
      for (const k in value) { const v = value[k]; if (typeof v === 'object' && v !== null) deepFreeze(v); } // own enumerable keys: results are plain objects
    }
  }
  return value;
}

/** The normalized model of a files object and its memo of results (one normalization per object). */
function memoEntry(files: ModelFiles): { normalized: ReturnType<typeof normalizeConfig>; results: Map<string, BudgetResult> } {
  const normalize = () => ({
    normalized: normalizeConfig(files?.config, { nameHint: files?.nameHint, hfQuantConfig: files?.hfQuantConfig, quantizeConfig: files?.quantizeConfig }),
    results: new Map<string, BudgetResult>(),
  });
  return typeof files === 'object' && files !== null ? memoized(memo, files, normalize) : normalize();
}

/**
 * The parallelism findings of a deployment without sizing it (they need no GPU): for a deployment that is not
 * sized because its accelerator is not in the catalog. Empty when the model or the inputs cannot be read.
 */
export function parallelismDiagnostics(files: ModelFiles, inputs: BudgetInputs): BudgetDiagnostic[] {
  try {
    const { normalized } = memoEntry(files);
    const engine = resolveEngine(inputs.engine);
    if (!normalized.ok || !engine.ok) return [];
    const count = (v: unknown, fallback: number): number | undefined => (v === undefined ? fallback : Number.isInteger(v) && (v as number) >= 1 ? v as number : undefined);
    const tp = count(inputs.tensorParallel, 1);
    const pp = count(inputs.pipelineParallel, 1);
    if (tp === undefined || pp === undefined) return [];
    const gpuCount = count(inputs.gpuCount, tp * pp);
    if (gpuCount === undefined) return [];
    return parallelismFindings(normalized.model, engine.name, { tp, pp, gpuCount, nodes: count(inputs.nodes, 1) ?? 1 });
  } catch {
    return [];
  }
}

export function computeBudget(files: ModelFiles, inputs: BudgetInputs = {}, options: BudgetOptions = {}): BudgetResult {
  try {
    const entry = memoEntry(files);
    const key = JSON.stringify([inputs, options.extraAccelerators ?? null, draftKey(options.draft)]);
    return memoized(entry.results, key, () => deepFreeze(computeBudgetUnsafe(files, entry.normalized, inputs, options)), MEMO_ENTRIES_PER_MODEL);
  } catch (err) {
    // The engine must never take the editor down; an unexpected state becomes a message.
    return fail(`Internal error while computing the budget: ${(err as Error).message}`);
  }
}

/** What the budget reads of llama.cpp's sizing besides the result: the context and settings it settled on. */
interface LlamaCppSizing {
  sized: ReturnType<typeof emulateLlamaCpp>;
  contextLength: number;
  settings: { gpuMemoryUtilization: number; maxNumBatchedTokens: number; maxNumSeqs: number; blockSize: number };
  extras: LlamaExtras;
  ollama: boolean;
  /** Ollama: the num_ctx asked for when it is above the model's trained context (Ollama lowers it). */
  ollamaClamped?: { numCtx: number; parallel: number };
}

/** llama.cpp's own figures for the report: layers offloaded, compute buffer, slots, the split over GPUs. */
type LlamaExtras = {
  gpuLayers: number; computeBufferBytes: number; slots: number; unified: boolean; contextPerSlot: number; cacheType: string;
  split?: NonNullable<BudgetReport['perGpu']['split']>; mostLoadedGpu?: number;
};

/**
 * llama.cpp's llama-server and Ollama: their settings read from the inputs (refused where they refuse them), then
 * `emulateLlamaCpp`. Notes go to `assumptions`.
 */
function sizeLlamaCpp(a: {
  model: ModelDescription; plan: WeightPlan; acc: Accelerator; files: ModelFiles; inputs: BudgetInputs;
  checked: Readonly<Record<string, number | undefined>>; profile: { version: string; ollama: boolean };
  tp: number; pp: number; gpuCount: number; defaultLen: number; cacheType: string; assumptions: string[];
}): LlamaCppSizing | { failed: BudgetResult } {
  const { model, plan, acc, files, inputs, checked, profile, tp, pp, gpuCount, defaultLen, cacheType, assumptions } = a;
  const failed = (message: string, subject?: BudgetDiagnostic['subject']) => ({ failed: fail(message, subject) });
  // -ts 3,1: each GPU's share of the layers (llama.cpp's own reading; an unreadable split is refused, as it would be).
  let tensorSplit: number[] | undefined;
  if (typeof inputs.tensorSplit === 'string' && inputs.tensorSplit.trim() !== '') {
    const split = parseTensorSplit(inputs.tensorSplit);
    if (typeof split === 'string') return failed(split, 'tensorSplit');
    tensorSplit = split;
  }
  // -sm none|layer|row and -mg (common/arg.cpp refuses another split mode; src/llama.cpp refuses a main GPU past
  // the devices with --split-mode none).
  const splitModeText = typeof inputs.splitMode === 'string' ? inputs.splitMode.trim().toLowerCase() : '';
  if (splitModeText === 'tensor') return failed('--split-mode tensor (llama.cpp\'s experimental tensor parallelism, 2026) is not sized: use layer, row or none', 'splitMode');
  if (splitModeText && !(LLAMA_SPLIT_MODES as readonly string[]).includes(splitModeText)) return failed(`--split-mode ${inputs.splitMode} is not one of none, layer, row (llama.cpp refuses it: "invalid value")`, 'splitMode');
  const splitMode = (splitModeText || undefined) as LlamaSplitMode | undefined;
  if (splitMode === 'none' && checked.mainGpu !== undefined && checked.mainGpu >= gpuCount) {
    return failed(`llama.cpp fails with "invalid value for main_gpu: ${checked.mainGpu} (available devices: ${gpuCount})": -mg counts from 0`, 'mainGpu');
  }
  // Ollama passes -c num_ctx × parallel and -np parallel; its default num_ctx follows the GPUs' memory, less
  // OLLAMA_GPU_OVERHEAD on each (v0.15.5+). Before 0.30 the overhead is also memory its layers may not use.
  const ollama = profile.ollama === true;
  const overhead = checked.gpuOverheadBytes;
  const ollamaCtx = ollamaDefaultNumCtx(acc.visibleMemoryGiB * GiB, gpuCount, overhead ?? 0);
  const parallel = checked.maxNumSeqs ?? (ollama ? 1 : undefined);
  // Ollama lowers a num_ctx above the model's trained context to it before it starts llama.cpp (llm/server.go,
  // "requested context size too large for model"): the cache is num_ctx × parallel of what is left.
  let ollamaClamped: { numCtx: number; parallel: number } | undefined;
  let contextLength = checked.maxModelLen;
  if (ollama && contextLength !== undefined && model.maxPositionEmbeddings) {
    const perRequest = Math.floor(contextLength / (parallel ?? 1));
    if (perRequest > model.maxPositionEmbeddings) {
      ollamaClamped = { numCtx: perRequest, parallel: parallel ?? 1 };
      contextLength = model.maxPositionEmbeddings * (parallel ?? 1);
    }
  }
  const ls: LlamaCppSettings = {
    contextLength: contextLength ?? (ollama ? Math.min(ollamaCtx, defaultLen) * (parallel ?? 1) : undefined),
    parallel, gpuLayers: checked.gpuLayers, cacheTypeK: cacheType, cacheTypeV: cacheType,
    flashAttention: inputs.flashAttention ?? true, ubatch: checked.ubatch ?? 512, fit: inputs.fit ?? true,
    fitMarginBytes: 1024 * 1024 * 1024, weights: llamaWeights(model, plan, files.ggufTensors),
    gpus: gpuCount, tensorSplit, kvUnified: inputs.kvUnified, splitMode, mainGpu: checked.mainGpu,
    // Ollama's version is its own; a llama.cpp build (b7079) picks the slot rules of its time.
    build: ollama ? undefined : llamaBuildOf(profile.version),
    reservedBytesPerGpu: ollama && ollamaGpuOverheadRule(profile.version) === 'placement' ? overhead : undefined,
  };
  if (pp > 1 || tp > 1) {
    assumptions.push(gpuCount > 1
      ? `llama.cpp spreads the model over its ${formatInt(gpuCount)} GPUs (-ts, --split-mode ${splitMode ?? 'layer'}): tensor and pipeline parallel sizes are not used`
      : 'llama.cpp is sized on one GPU: tensor and pipeline parallel sizes are not used');
  }
  const sized = emulateLlamaCpp(model, plan, acc, ls);
  if (sized.resolved.fitNote) assumptions.push(sized.resolved.fitNote);
  const perGpu = sized.resolved.perGpu;
  const extras: LlamaExtras = {
    gpuLayers: sized.resolved.gpuLayers, computeBufferBytes: sized.resolved.computeBufferBytes,
    slots: sized.resolved.parallel, unified: sized.resolved.unified, contextPerSlot: sized.resolved.contextPerSlot,
    cacheType,
    ...(perGpu.length > 1 ? {
      split: perGpu.map((g, i) => ({ gpu: i, layers: g.layers, output: g.output, bytes: g.usedBytes, weightBytes: g.weightBytes, kvBytes: g.kvBytes })),
      mostLoadedGpu: sized.resolved.mostLoadedGpu,
    } : {}),
  };
  return {
    sized, contextLength: sized.resolved.contextLength, extras, ollama, ollamaClamped,
    settings: { gpuMemoryUtilization: 1, maxNumBatchedTokens: ls.ubatch, maxNumSeqs: sized.resolved.parallel, blockSize: 256 },
  };
}

function computeBudgetUnsafe(files: ModelFiles, normalized: ReturnType<typeof normalizeConfig>, inputs: BudgetInputs, options: BudgetOptions): BudgetResult {
  if (!normalized.ok) {
    return {
      ok: false,
      unsupported: `unsupported: ${normalized.unsupported}`,
      diagnostics: [{ severity: 'information', code: 'unsupported-model', message: `Inference Budget cannot size this model: ${normalized.unsupported}`, subject: 'model' }],
    };
  }
  const model = normalized.model;
  const assumptions = [...model.assumptions];
  const diagnostics: BudgetDiagnostic[] = [];

  // --- inputs --------------------------------------------------------------------------------
  // Every input is checked against its declaration (src/core/inputs.ts); text inputs are read below.
  // An input left out is always valid (`checkInput`), and most deployments set a few of the ~50: the ones given are
  // checked, and the first invalid one in declaration order is reported.
  let invalid: { order: number; message: string; key: InputKey } | undefined;
  for (const key of Object.keys(inputs)) {
    const value = (inputs as Record<string, unknown>)[key];
    const order = INPUT_ORDER.get(key);
    if (value === undefined || order === undefined || (invalid && invalid.order < order)) continue;
    const spec = DEPLOYMENT_INPUTS[order];
    if (spec.type === 'text') continue;
    const verdict = checkInput(spec, value);
    if (!verdict.ok) invalid = { order, message: verdict.message, key: spec.key };
  }
  if (invalid) return fail(invalid.message, invalid.key);
  const checked = inputs as Readonly<Record<string, number | undefined>>;
  const util = inputs.gpuMemoryUtilization;
  const engine = resolveEngine(inputs.engine);
  if (!engine.ok) return fail(engine.message, 'engine');
  const profile = engine.profile;
  if (engine.note) assumptions.push(engine.note);

  const tp = checked.tensorParallel ?? 1;
  const pp = checked.pipelineParallel ?? 1;
  const lookup = findAccelerator(inputs.gpu ?? DEFAULT_ACCELERATOR_ID, options.extraAccelerators);
  if (!lookup.ok) {
    // The heads and GPU-count rules need no GPU: an unknown one does not hide them.
    const parallel = parallelismFindings(model, engine.name, { tp, pp, gpuCount: checked.gpuCount ?? tp * pp, nodes: checked.nodes ?? 1 });
    return {
      ok: false, unsupported: lookup.message,
      diagnostics: [{ severity: 'error', code: 'unknown-gpu', message: lookup.message, subject: 'gpu', suggestedValue: lookup.closest[0] }, ...parallel],
    };
  }
  const acc = lookup.accelerator;
  const gpuCount = checked.gpuCount ?? lookup.impliedGpuCount ?? tp * pp;

  // llama.cpp names its cache types after ggml's (f16, q8_0, q4_0, …); the other engines use torch dtypes.
  const llamaCacheType = engine.name === 'llamacpp' ? llamaCacheTypeOf(inputs.kvCacheDtype) : undefined;
  if (engine.name === 'llamacpp' && !llamaCacheType) return fail(`Unknown llama.cpp cache type "${inputs.kvCacheDtype}" (${Object.keys(LLAMA_CACHE_TYPES).join(', ')})`, 'kvCacheDtype');
  const kvChoice = engine.name === 'llamacpp' ? 'auto' : normalizeKvDtype(inputs.kvCacheDtype);
  if (!kvChoice) return fail(`Unknown KV cache dtype "${inputs.kvCacheDtype}" (auto, bfloat16, float16, fp8)`, 'kvCacheDtype');
  const requestedDtype = inputs.dtype && inputs.dtype !== 'auto' ? normalizeDtypeName(inputs.dtype) : undefined;
  if (inputs.dtype && inputs.dtype !== 'auto' && !requestedDtype) return fail(`Unknown dtype "${inputs.dtype}" (auto, bfloat16, float16, float32)`, 'dtype');
  // vLLM runs fp32 checkpoints in bf16/fp16 unless asked (dtype auto picks the checkpoint's 16-bit type).
  const checkpointDtype = normalizeDtypeName(model.torchDtype) ?? 'bfloat16';
  const activationDtype = requestedDtype ?? (checkpointDtype === 'float32' ? 'bfloat16' : checkpointDtype);
  const activationBytes = dtypeBytes(activationDtype);

  const { scheme, error } = schemeFor(model, inputs.quantization);
  if (error) return fail(`${error} (one of fp8, int8, int4, awq, gptq, mxfp4, nvfp4, q4_0, q4_k_m, q5_k_m, q6_k, q8_0, f16)`, 'quantization');
  const plan: WeightPlan = { baseDtypeBytes: activationBytes, scheme };
  // A fixed fp8 layout (DeepSeek-V4's fp8_ds_mla) is fp8 whatever was asked; a checkpoint may ask for fp8 KV.
  const fixedFp8Layout = layerKinds(model).some((k) => k.layer.attention?.entryBytes !== undefined);
  const kvCacheDtype: KvCacheDtype = fixedFp8Layout || (kvChoice === 'auto' && scheme?.kvCacheDtype) ? 'fp8' : kvChoice;
  const kvBytes = kvDtypeBytes(kvCacheDtype, activationBytes);

  const defaultLen = model.maxPositionEmbeddings ?? 2048;
  if (!model.maxPositionEmbeddings) assumptions.push('max_position_embeddings absent: 2048 assumed as the default max_model_len');
  const autoLen = checked.maxModelLen === -1;
  let maxModelLen = autoLen ? defaultLen : (checked.maxModelLen ?? defaultLen);
  const topology = {
    interconnect: inputs.interconnect?.trim().toLowerCase() || acc.interconnect.kind,
    computeCapability: acc.computeCapability ? Number(acc.computeCapability) : undefined,
    nodes: checked.nodes ?? 1,
  };
  /** What the engine settled on, as the report shows it (vLLM's names; SGLang's values mapped onto them). */
  let settings: { gpuMemoryUtilization: number; maxNumBatchedTokens: number; maxNumSeqs: number; blockSize: number };
  // Speculative decoding: the drafter's weights and KV cache count at startup (vLLM); its speed is worked out below.
  // A drafter named by its model alone is told apart as vLLM does (`SpeculativeConfig.__post_init__`).
  const draftName = typeof inputs.speculativeModel === 'string' && inputs.speculativeModel.trim() !== '' ? inputs.speculativeModel.trim() : undefined;
  const draftFiles = draftName ? options.draft : undefined;
  const draftConfig = draftFiles ? draftConfigOf(draftFiles.config) : undefined;
  const methodName = typeof inputs.speculativeMethod === 'string' && inputs.speculativeMethod.trim() !== ''
    ? inputs.speculativeMethod : draftName ? drafterOfModelName(draftName, draftConfig) : undefined;
  const speculation = methodName ? speculationPlan(files.config, methodName, checked.speculativeTokens, checked.acceptanceRate) : undefined;
  let draftModel: ModelDescription | undefined;
  if (draftFiles && speculation?.ok && speculation.method !== 'ngram' && speculation.method !== 'mtp') {
    const d = draftConfig === draftFiles.config ? memoEntry(draftFiles).normalized : normalizeConfig(draftConfig, { nameHint: draftFiles.nameHint });
    if (d.ok) draftModel = d.model;
    else diagnostics.push(speculativeNote(speculation.method, `the drafter's config (${draftName}) cannot be read (${d.unsupported}): its layers are assumed`));
  }
  // The drafter's layers with a KV cache, and a draft model's own plan (its checkpoint's quantization, the model's dtype).
  const drafter = speculation?.ok ? draftKvLayers(speculation.method, model, speculation.mtpLayers, draftModel) : undefined;
  const draftPlan: WeightPlan | undefined = draftModel ? { baseDtypeBytes: activationBytes, scheme: schemeFor(draftModel, undefined).scheme } : undefined;
  if (speculation && !speculation.ok) diagnostics.push(speculation.note);
  else if ((checked.speculativeTokens !== undefined || checked.acceptanceRate !== undefined) && !speculation) {
    assumptions.push('speculative tokens or an acceptance rate without a drafter (speculativeMethod): no speculation modelled');
  }
  let vllm: VllmResult;
  /** Whether a deployment at another TP size holds its weights, for the tensor-parallel suggestion. */
  let weightsFitAt: (t: number) => boolean;
  let graphsSubtracted = false;
  let engineName: 'vllm' | 'sglang' | 'llamacpp' = 'vllm';
  let llamaExtras: LlamaExtras | undefined;
  let ollama = false;
  /** Ollama: the num_ctx asked for when it is above the model's trained context (Ollama lowers it). */
  let ollamaClamped: { numCtx: number; parallel: number } | undefined;
  if (engine.name === 'llamacpp') {
    engineName = 'llamacpp';
    if (autoLen) return fail('max_model_len auto (-1) is vLLM\'s; llama.cpp fits the context itself when -c is 0 (left out)', 'maxModelLen');
    const llama = sizeLlamaCpp({ model, plan, acc, files, inputs, checked, profile: engine.profile, tp, pp, gpuCount, defaultLen, cacheType: llamaCacheType!, assumptions });
    if ('failed' in llama) return llama.failed;
    vllm = llama.sized;
    maxModelLen = llama.contextLength;
    settings = llama.settings;
    llamaExtras = llama.extras;
    ollama = llama.ollama;
    ollamaClamped = llama.ollamaClamped;
    weightsFitAt = () => llama.sized.weightsFit;
  } else if (engine.name === 'sglang') {
    engineName = 'sglang';
    if (autoLen) return fail('max_model_len auto (-1) is vLLM\'s; SGLang takes --context-length', 'maxModelLen');
    const sg = {
      tp, pp, contextLength: maxModelLen, memFractionStatic: util, chunkedPrefillSize: checked.maxNumBatchedTokens,
      maxRunningRequests: checked.maxNumSeqs, pageSize: checked.blockSize, kvBytes, activationDtypeBytes: activationBytes,
      stateDtypeBytes: activationBytes, topology,
    };
    const sized = emulateSglang(model, plan, acc, sg, profile as SglangProfile);
    vllm = sized;
    settings = {
      gpuMemoryUtilization: sized.resolved.memFractionStatic, maxNumBatchedTokens: sized.resolved.chunkedPrefillSize,
      maxNumSeqs: sized.resolved.maxRunningRequests, blockSize: sized.resolved.pageSize,
    };
    weightsFitAt = (t) => emulateSglang(model, plan, acc, { ...sg, tp: t }, profile as SglangProfile).weightsFit;
  } else {
    const vp = profile as VllmProfile;
    const vllmEngine = engine.engine;
    if (autoLen && !vp.autoFitMaxModelLen) return fail(`max_model_len auto (-1) needs vLLM 0.14 or later (this deployment runs ${vp.version})`, 'maxModelLen');
    if (inputs.kvCacheMemoryBytes !== undefined && !vp.kvCacheMemoryBytes) assumptions.push(`--kv-cache-memory-bytes is not read by vLLM ${vp.version} (from 0.11): ignored`);
    const limits = vllmEngine.schedulerDefaults(acc, vp, maxModelLen);
    const lora = inputs.enableLora ? { maxLoras: checked.maxLoras ?? 1, maxLoraRank: checked.maxLoraRank ?? 16 } : undefined;
    if (!inputs.enableLora && (checked.maxLoras !== undefined || checked.maxLoraRank !== undefined)) assumptions.push('--max-loras / --max-lora-rank without --enable-lora: no LoRA memory counted');
    // Flags with no GPU memory of their own, or that only unload a tower: read, checked, and said (vllmFlags.ts).
    const flags = vllmFlagFindings(inputs, files.config, model, vp, lora, kvCacheDtype);
    if (!flags.ok) return fail(flags.message, flags.subject);
    for (const d of flags.diagnostics) diagnostics.push(d);
    const loaded = flags.visionTowerUnloaded ? withoutVisionTower(model) : model;
    const vs: VllmSettings = {
      draftWeightBytes: speculation?.ok ? drafterWeightBytes(speculation.method, model, plan, tp, speculation.mtpLayers, draftModel, draftPlan) : undefined,
      speculative: speculation?.ok ? { method: speculation.method, tokens: speculation.draftTokens, mtpLayers: speculation.mtpLayers, kvLayers: drafter?.layers ?? [] } : undefined,
      enforceEager: inputs.enforceEager === true,
      kvCacheMemoryBytes: vp.kvCacheMemoryBytes ? checked.kvCacheMemoryBytes : undefined,
      flashinferSampler: inputs.flashinferSampler,
      numGpuBlocksOverride: checked.numGpuBlocksOverride,
      cpuOffloadBytes: checked.cpuOffloadGb !== undefined ? checked.cpuOffloadGb * GiB : undefined,
      lora,
      topology,
      tp, pp, maxModelLen,
      gpuMemoryUtilization: util ?? vp.defaultGpuMemoryUtilization,
      maxNumBatchedTokens: checked.maxNumBatchedTokens ?? limits.maxNumBatchedTokens,
      maxNumSeqs: checked.maxNumSeqs ?? limits.maxNumSeqs,
      blockSize: checked.blockSize ?? 16,
      kvBytes,
      activationDtypeBytes: activationBytes,
      stateDtypeBytes: activationBytes,
    };
    if (speculation?.ok) for (const d of drafterFindings(speculation.method, speculation.draftTokens, draftName, drafter, vs, vp, lora !== undefined)) diagnostics.push(d);
    vllm = vllmEngine.sizeAtStartup(loaded, plan, acc, vs, vp);
    if (autoLen && !vllm.fits && vllm.weightsFit && vllm.estimatedMaxModelLen > 0) {
      // _auto_fit_max_model_len (kv_cache_utils.py / kv_cache_planning.py): the longest that fits, then sized again.
      assumptions.push(`max_model_len auto: reduced from ${formatInt(maxModelLen)} to ${formatInt(vllm.estimatedMaxModelLen)} to fit in GPU memory`);
      maxModelLen = vllm.estimatedMaxModelLen;
      vs.maxModelLen = maxModelLen;
      vllm = vllmEngine.sizeAtStartup(loaded, plan, acc, vs, vp);
    }
    settings = vs;
    graphsSubtracted = cudaGraphEstimateApplied(model, vp) && !vs.enforceEager && vs.kvCacheMemoryBytes === undefined;
    const requested = vllm.reported.requestedBytes;
    weightsFitAt = (t) => {
      // Weights alone above the requested memory rule a TP size out without sizing it (rankBaselines would build its
      // weight table): the fullest rank holds at least this much, less what --cpu-offload-gb moves off it. The margin
      // keeps rounding from ruling out a size that fits.
      const atLeast = weightBytesPerRankLowerBound(loaded, plan, t, pp) - (vs.cpuOffloadBytes ?? 0);
      if (atLeast > requested * (1 + 1e-9)) return false;
      return rankBaselines(loaded, plan, { ...vs, tp: t }, vp).every((r) => r.weightBytes + r.activation + r.nonTorch < requested);
    };
  }
  const weightBytes = exactWeightBytes(files, model, plan, inputs, assumptions) ?? rankWeightTable(model, plan, tp).totalBytes;

  // --- speed ---------------------------------------------------------------------------------
  const batch = checked.batch ?? 1;
  const context = checked.context ?? Math.min(maxModelLen, 1024);
  const prompt = checked.prompt ?? Math.min(maxModelLen, 1024);
  const compute = activationDtype === 'float32' && !scheme ? 'fp32' : (scheme?.compute ?? 'bf16');
  const peak = peakFlopsFor(acc, compute);
  const decodeInputs = { model, plan, acc, par: { tp, pp }, kvBytes, stateDtypeBytes: activationBytes, compute };
  const decode = decodeStep(decodeInputs, batch, context);
  const prefill = prefillStep(decodeInputs, prompt);
  // Expected speed: the engine family's achievable rates on this hardware class, all-reduces, hand-offs.
  const family = engineFamily(engineName, acc);
  const hw = hardwareClass(acc);
  const coefficients = coefficientsFor(family, hw);
  const stepInputs = (bytes: number, flops: number, tokens: number) => ({
    family, hardware: hw, bytes, flops, bandwidthBytesPerSecond: acc.memoryBandwidthBytesPerSecond, peakFlopsPerSecond: peak.flops,
    layers: model.numLayers, tp, stages: pp, tokens, hiddenSize: model.hiddenSize, activationBytes, interconnect: { kind: topology.interconnect, bandwidthBytesPerSecond: acc.interconnect.bandwidthBytesPerSecond }, nodes: topology.nodes,
  });
  const expectedDecodeSecondsAt = (step: ReturnType<typeof decodeStep>, n: number) => Math.max(step.seconds, expectedStepSeconds(stepInputs(step.bytes, step.flops, n), coefficients));
  const expectedDecodeSeconds = expectedDecodeSecondsAt(decode, batch);
  const expectedPrefillSeconds = Math.max(prefill.seconds, expectedStepSeconds(stepInputs(prefill.bytes, prefill.flops, prompt), coefficients));
  let cachedPrefix: BudgetReport['prefill']['expected']['cachedPrefix'];
  if (checked.prefixHitRate !== undefined && checked.prefixTokens === undefined) assumptions.push('a prefix hit rate without a shared prefix length (prefixTokens): nothing is saved');
  if (checked.prefixTokens !== undefined) {
    const tokens = Math.min(checked.prefixTokens, prompt - 1);
    const hitRate = checked.prefixHitRate ?? 1;
    const hit = prefillStepWithCachedPrefix(decodeInputs, prompt, tokens);
    const secondsOnHit = Math.max(hit.seconds, expectedStepSeconds(stepInputs(hit.bytes, hit.flops, prompt - tokens), coefficients));
    cachedPrefix = { tokens, hitRate, secondsOnHit, meanSeconds: hitRate * secondsOnHit + (1 - hitRate) * expectedPrefillSeconds };
    if (checked.prefixTokens >= prompt) assumptions.push(`the shared prefix (${formatInt(checked.prefixTokens)} tokens) is not shorter than the prompt (${formatInt(prompt)}): the last prompt token is still computed`);
  }
  const perRequest = expectedDecodeSeconds > 0 ? 1 / expectedDecodeSeconds : 0;
  const expected = {
    tokensPerSecondPerRequest: perRequest, tokensPerSecondTotal: perRequest * batch,
    // The fit's spread of measured / expected time (10th–90th percentile), as speeds; never above the ceiling.
    low: perRequest / Math.max(1e-9, coefficients.high),
    high: Math.min(decode.seconds > 0 ? 1 / decode.seconds : Infinity, perRequest / Math.max(1e-9, coefficients.low)),
    basis: `${family}|${hw}`,
  };
  const computeBoundFrom = computeBoundDecodeBatch(decodeInputs, context, INPUT_LIMITS.batch, batch === 1 ? decode : undefined);
  let speculative: SpeculativeFigures | undefined;
  if (speculation?.ok && engineName !== 'vllm') {
    diagnostics.push(speculativeNote(speculation.method, `modelled for vLLM only; ${engineDisplayName(engineName)}'s drafter is not sized`));
  } else if (speculation?.ok && !speculation.acceptance) {
    diagnostics.push(speculativeNote(speculation.method, `no published acceptance rate for this drafter (it depends on the workload): give acceptanceRate to see its speed${drafter?.layers.length ? '; its weights and KV cache are counted' : ''}`));
  } else if (speculation?.ok && speculation.acceptance) {
    const k = speculation.draftTokens;
    const table = rankWeightTable(model, plan, tp);
    const bw = acc.memoryBandwidthBytesPerSecond;
    // Verification: k + 1 tokens per sequence through the weights (experts as that many tokens route), the KV read once.
    const wide = decodeStep(decodeInputs, batch * (k + 1), context);
    const verifyBytes = wide.weightBytes + decode.kvBytes;
    const verifySeconds = Math.max(verifyBytes / bw, peak.flops > 0 ? wide.flops / peak.flops : 0);
    // A draft model with its config: one decode step of it per drafted token (its weights and its KV at this context).
    const draftBytes = speculation.method === 'ngram' ? 0
      : speculation.method === 'draft' ? (draftModel && draftPlan ? decodeStep({ ...decodeInputs, model: draftModel, plan: draftPlan }, batch, context).bytes : 0)
        : draftPassBytes(model, table, batch);
    const tokensPerStep = tokensPerVerifyStep(speculation.acceptance.rate, k);
    const expectedVerify = Math.max(verifySeconds, expectedStepSeconds(stepInputs(verifyBytes, wide.flops, batch * (k + 1)), coefficients));
    const expectedDraft = k * (draftBytes / (bw * coefficients.bandwidthFraction) + (draftBytes > 0 ? coefficients.secondsPerLayer : 0));
    speculative = {
      method: speculation.method, draftTokens: k, acceptanceRate: speculation.acceptance.rate, acceptanceSource: speculation.acceptance.source,
      tokensPerStep,
      tokensPerSecondPerRequest: tokensPerStep / (verifySeconds + k * draftBytes / bw),
      expectedTokensPerSecondPerRequest: tokensPerStep / (expectedVerify + expectedDraft),
      draftWeightBytes: drafterWeightBytes(speculation.method, model, plan, tp, speculation.mtpLayers, draftModel, draftPlan),
      draftKvBytesPerToken: drafter ? drafterKvBytesPerToken(drafter.layers, kvBytes, activationBytes, tp) : 0,
    };
  }
  let cost: BudgetReport['cost'];
  if (checked.pricePerGpuHour !== undefined && perRequest > 0 && vllm.weightsFit) {
    // Dollars (or any currency) per second for every GPU held, over tokens per second.
    const perMillion = (tokensPerSecond: number) => (checked.pricePerGpuHour! * gpuCount / 3600) * 1e6 / tokensPerSecond;
    const fullBatch = Math.max(1, Math.min(settings.maxNumSeqs, INPUT_LIMITS.batch, Math.floor(vllm.kvCacheTokens / context)));
    const fullSeconds = fullBatch === batch ? expectedDecodeSeconds : expectedDecodeSecondsAt(decodeStep(decodeInputs, fullBatch, context), fullBatch);
    cost = {
      pricePerGpuHour: checked.pricePerGpuHour, gpus: gpuCount,
      perMillionOutputTokens: perMillion(perRequest * batch),
      atFullConcurrency: { batch: fullBatch, perMillionOutputTokens: perMillion(fullBatch / fullSeconds) },
    };
  }

  // --- findings ------------------------------------------------------------------------------
  for (const d of parallelismFindings(model, engine.name, { tp, pp, gpuCount, nodes: topology.nodes })) diagnostics.push(d);
  const wording: EngineWording = { engine: engineName, ollama, llama: llamaExtras };
  const aboveMaxPosition = contextAboveModel(wording, model.maxPositionEmbeddings, autoLen ? undefined : checked.maxModelLen, ollamaClamped);
  if (aboveMaxPosition) diagnostics.push(aboveMaxPosition);
  const fp8Weights = scheme?.weightDtype === 'fp8';
  if ((kvCacheDtype === 'fp8' || fp8Weights) && !supportsFp8(acc)) {
    diagnostics.push({ severity: 'warning', code: 'fp8-unsupported', subject: kvCacheDtype === 'fp8' && inputs.kvCacheDtype ? 'kvCacheDtype' : 'quantization', message: `${acc.name} has no FP8 tensor cores: FP8 ${fp8Weights ? 'weights run weight-only (Marlin) ' : ''}${kvCacheDtype === 'fp8' ? `${fp8Weights ? 'and the ' : ''}KV cache is stored in 8 bits but computed in 16-bit` : ''}, with no compute speed-up` });
  }
  const reported = vllm.reported;
  const binding = vllm.binding;
  if (!vllm.weightsFit) {
    const suggested = engineName === 'llamacpp' ? undefined : suggestTensorParallel(model, weightsFitAt, Math.max(gpuCount, 8));
    diagnostics.push({
      severity: 'error', code: 'weights-do-not-fit', subject: engineName === 'llamacpp' ? 'gpuLayers' : 'tensorParallel', suggestedValue: suggested,
      message: weightsMessage(wording, { weightBytes: binding.weightBytes, requestedBytes: reported.requestedBytes, freeBytes: reported.totalBytes, gpu: acc.name, gpus: gpuCount, utilization: settings.gpuMemoryUtilization, layers: model.numLayers, askedLayers: checked.gpuLayers, suggestedTp: suggested }),
    });
  } else if (!vllm.fits && vllm.errorMessage) {
    const fromModel = checked.maxModelLen === undefined || autoLen;
    diagnostics.push({
      severity: fromModel ? 'warning' : 'error',
      code: fromModel ? 'context-does-not-fit' : 'kv-does-not-fit',
      subject: fromModel ? 'model' : 'maxModelLen',
      suggestedValue: vllm.estimatedMaxModelLen > 0 ? vllm.estimatedMaxModelLen : undefined,
      // A one-line summary first (what the Problems panel shows), then the engine's own startup error.
      message: `${kvSummary(wording, { fromModel, contextLength: maxModelLen, neededBytes: binding.neededBytes, availableBytes: binding.availableKvBytes, gpu: acc.name, largest: vllm.estimatedMaxModelLen })} ${engineDisplayName(engineName)}: ${vllm.errorMessage}`,
    });
    const smaller = smallerKvCache(wording, kvCacheDtype, inputs.flashAttention);
    if (smaller) diagnostics.push({ severity: 'information', code: 'fp8-kv-would-help', subject: 'kvCacheDtype', ...smaller });
  }
  // max_num_seqs is judged at the workload's context (the decode context: settings, budget file, or the default),
  // not at max_model_len: requests are rarely all full length, and "lower it to 1" would cripple throughput.
  const heldAtContext = Math.floor(vllm.kvCacheTokens / Math.max(1, context));
  if (vllm.fits && checked.maxNumSeqs !== undefined && checked.maxNumSeqs > Math.max(1, heldAtContext)) {
    diagnostics.push({ severity: 'warning', code: 'max-num-seqs-above-capacity', subject: 'maxNumSeqs', suggestedValue: Math.max(1, heldAtContext), message: `${seqsName(wording)} ${formatInt(checked.maxNumSeqs)} is above the ${formatInt(heldAtContext)} requests of ${formatInt(context)} tokens (the workload's context) the KV cache holds (${formatInt(vllm.kvCacheTokens)} tokens); requests beyond that wait or get preempted` });
  }
  for (const a of assumptions) diagnostics.push({ severity: 'information', code: 'assumption', subject: 'model', message: a });
  const verdict = verdictOf(vllm.fits, diagnostics);

  const report: BudgetReport = {
    model: {
      name: model.name,
      architecture: model.architecture,
      family: model.family,
      parametersTotal: parametersTotal(model),
      parametersActive: parametersActive(model),
      weightBytes,
      weightDtype: scheme?.weightDtype ?? (activationDtype as BudgetReport['model']['weightDtype']),
      kvBytesPerToken: modelKvBytesPerToken(model, kvBytes),
      stateBytesPerSequence: modelStateBytesPerSequence(model, activationBytes),
      maxPositionEmbeddings: model.maxPositionEmbeddings,
      numLayers: model.numLayers,
      assumptions,
    },
    hardware: { id: acc.id, name: acc.name, count: gpuCount, memoryBandwidthBytesPerSecond: acc.memoryBandwidthBytesPerSecond, visibleMemoryGiB: acc.visibleMemoryGiB },
    settings: {
      engine: engineName, engineVersion: profile.version, tensorParallel: tp, pipelineParallel: pp, maxModelLen,
      gpuMemoryUtilization: settings.gpuMemoryUtilization, maxNumBatchedTokens: settings.maxNumBatchedTokens,
      maxNumSeqs: settings.maxNumSeqs, kvCacheDtype: kvCacheDtype === 'auto' ? activationDtype : kvCacheDtype, ...(llamaCacheType ? { llamaCacheType } : {}), blockSize: settings.blockSize, batch, context, prompt,
    },
    perGpu: {
      totalMemoryBytes: reported.totalBytes,
      requestedMemoryBytes: reported.requestedBytes,
      weightBytes: reported.weightBytes,
      activationPeakBytes: reported.activationPeakBytes,
      nonTorchBytes: reported.nonTorchBytes,
      cudaGraphBytes: reported.cudaGraphBytes,
      cudaGraphSubtracted: graphsSubtracted,
      ...(llamaExtras ? { computeBufferBytes: llamaExtras.computeBufferBytes } : {}),
      ...(llamaExtras?.split ? { split: llamaExtras.split, mostLoadedGpu: llamaExtras.mostLoadedGpu } : {}),
      loraBytes: reported.loraBytes,
      kvCacheBytes: Math.max(0, reported.availableKvBytes),
      kvBytesPerToken: reported.kvBytesPerToken,
    },
    capacity: {
      fits: verdict.fits,
      contextFits: vllm.fits,
      weightsFit: vllm.weightsFit,
      numBlocks: vllm.numBlocks,
      kvCacheTokens: vllm.kvCacheTokens,
      maxConcurrency: vllm.maxConcurrency,
      maxModelLen,
      estimatedMaxModelLen: vllm.estimatedMaxModelLen,
      kvBytesPerRequest: binding.neededBytes,
      ...(llamaExtras ? { gpuLayers: llamaExtras.gpuLayers } : {}),
    },
    decode: {
      batch, context,
      secondsPerStep: decode.seconds,
      tokensPerSecondPerRequest: decode.seconds > 0 ? 1 / decode.seconds : 0,
      tokensPerSecondTotal: decode.seconds > 0 ? batch / decode.seconds : 0,
      bytesPerStep: decode.bytes,
      weightBytesPerStep: decode.weightBytes,
      kvBytesPerStep: decode.kvBytes,
      flopsPerStep: decode.flops,
      bound: decode.bound,
      ...(computeBoundFrom !== undefined ? { computeBoundFromBatch: computeBoundFrom } : {}),
      ...(speculative ? { speculative } : {}),
      expected,
    },
    ...(cost ? { cost } : {}),
    prefill: { promptTokens: prompt, seconds: prefill.seconds, flops: prefill.flops * tp, bound: prefill.bound, expected: {
        seconds: expectedPrefillSeconds,
        tokensPerSecond: expectedPrefillSeconds > 0 ? prompt / expectedPrefillSeconds : 0,
        basis: `uncalibrated: ${Math.round(PREFILL_FLOPS_FRACTION * 100)} % of peak FLOP/s assumed (no prefill measurements to fit)`,
        ...(cachedPrefix ? { cachedPrefix } : {}),
      } },
    roofline: {
      peakFlopsPerSecond: peak.flops,
      computeDtype: peak.dtype,
      memoryBandwidthBytesPerSecond: acc.memoryBandwidthBytesPerSecond,
      ridgePointFlopsPerByte: peak.flops / acc.memoryBandwidthBytesPerSecond,
      prefill: rooflinePoint(`prefill ${prompt} tokens`, prefill, acc, peak.flops, tp),
      decode: rooflinePoint(`decode batch ${batch}`, decode, acc, peak.flops, tp),
    },
    diagnostics,
    verdict,
  };
  // The panel's per-operator breakdown of this decode step reads the very inputs it was computed from.
  rememberDecodeInputs(report, decodeInputs);
  return { ok: true, report };
}

// --- each engine's own words -------------------------------------------------------------------
// The findings every engine shares open in the words of the engine that runs the deployment: vLLM's as before (its
// tests compare them with vLLM's own log text), SGLang's flags, llama.cpp's flags and Ollama's settings.

interface EngineWording {
  engine: 'vllm' | 'sglang' | 'llamacpp';
  /** Ollama (which runs llama.cpp with its own settings). */
  ollama: boolean;
  /** llama.cpp's resolved slots, cache layout and type. */
  llama?: { gpuLayers: number; slots: number; unified: boolean; contextPerSlot: number; cacheType: string };
}

/** The setting that holds the context length: `max_model_len`, `--context-length`, `-c`, `num_ctx`. */
function contextName(w: EngineWording): string {
  return w.engine === 'sglang' ? '--context-length' : w.engine === 'llamacpp' ? (w.ollama ? 'num_ctx' : '-c') : 'max_model_len';
}

/** The setting that holds the requests served at once: `max_num_seqs`, `--max-running-requests`, `-np`, `OLLAMA_NUM_PARALLEL`. */
function seqsName(w: EngineWording): string {
  return w.engine === 'sglang' ? '--max-running-requests' : w.engine === 'llamacpp' ? (w.ollama ? 'OLLAMA_NUM_PARALLEL' : '-np') : 'max_num_seqs';
}

/**
 * A context above the model's trained one, as each engine treats it:
 * - vLLM refuses it (`VLLM_ALLOW_LONG_MAX_MODEL_LEN=1` lets it through);
 * - SGLang refuses it too (model_config.py `_derive_context_length`: "User-specified context_length (N) is greater than
 *   the derived context_length (M) ... set the env var SGLANG_ALLOW_OVERWRITE_LONGER_CONTEXT_LEN=1");
 * - llama.cpp warns when one slot's cells (`n_ctx_seq`: the whole -c when unified, else -c / -np) exceed the
 *   trained context (src/llama-context.cpp "n_ctx_seq (N) > n_ctx_train (M) -- possible training context
 *   overflow"), and llama-server caps each slot at it; the cache is still allocated in full;
 * - Ollama compares each request's num_ctx (not num_ctx × OLLAMA_NUM_PARALLEL) and lowers it to the trained
 *   context before starting llama.cpp (llm/server.go, "requested context size too large for model").
 * `asked` is the budget's context length (the whole cache for llama.cpp and Ollama); suggested values are too.
 */
function contextAboveModel(w: EngineWording, maxPos: number | undefined, asked: number | undefined, ollamaClamped: { numCtx: number; parallel: number } | undefined): BudgetDiagnostic | undefined {
  if (!maxPos) return undefined;
  const base = { code: 'max-model-len-above-max-position', subject: 'maxModelLen' as const };
  if (w.engine === 'llamacpp') {
    if (w.ollama) {
      if (!ollamaClamped) return undefined;
      return {
        ...base, severity: 'warning', suggestedValue: maxPos * ollamaClamped.parallel,
        message: `num_ctx ${ollamaClamped.numCtx} is greater than the model's context length ${maxPos}: Ollama lowers it to ${maxPos} ("requested context size too large for model") and each request gets at most ${maxPos} tokens`,
      };
    }
    const l = w.llama;
    if (!l || asked === undefined || l.contextPerSlot <= maxPos) return undefined;
    return {
      ...base, severity: 'warning', suggestedValue: l.unified ? maxPos : maxPos * l.slots,
      message: `-c ${asked} gives ${l.unified ? 'the unified cache' : `each of ${l.slots} slots`} ${l.contextPerSlot} cells, more than the model's n_ctx_train ${maxPos}: llama.cpp warns "n_ctx_seq (${l.contextPerSlot}) > n_ctx_train (${maxPos}) -- possible training context overflow" and llama-server caps each slot at ${maxPos}; the KV cache is still allocated in full`,
    };
  }
  if (asked === undefined || asked <= maxPos) return undefined;
  return {
    ...base, severity: 'error', suggestedValue: maxPos,
    message: w.engine === 'sglang'
      ? `--context-length ${asked} is greater than the model's max_position_embeddings ${maxPos}; SGLang refuses it unless SGLANG_ALLOW_OVERWRITE_LONGER_CONTEXT_LEN=1`
      : `max_model_len ${asked} is greater than the model's max_position_embeddings ${maxPos}; vLLM refuses it unless VLLM_ALLOW_LONG_MAX_MODEL_LEN=1`,
  };
}

/** Weights that do not fit: vLLM's utilization, SGLang's --mem-fraction-static, llama.cpp's -ngl (Ollama's num_gpu). */
function weightsMessage(w: EngineWording, f: { weightBytes: number; requestedBytes: number; freeBytes: number; gpu: string; gpus: number; utilization: number; layers: number; askedLayers?: number; suggestedTp?: number }): string {
  if (w.engine === 'llamacpp') {
    const ngl = w.ollama ? 'num_gpu' : '-ngl';
    const n = w.llama?.gpuLayers ?? f.layers + 1;
    const all = f.layers + 1;
    const asked = f.askedLayers === undefined ? 'all' : String(f.askedLayers);
    return `Weights need ${formatGiB(f.weightBytes)} GiB on ${f.gpus > 1 ? 'the most loaded GPU' : 'the GPU'} but ${formatGiB(f.freeBytes)} GiB is free (${f.gpu}, ${ngl} ${asked}: ${n === all ? `all ${all}` : `${n} of ${all}`} layers on the GPU${f.gpus > 1 ? 's' : ''}, the output layer counted); a lower ${ngl} keeps layers on the CPU${f.gpus > 1 ? '' : ', or more GPUs split them'}`;
  }
  const setting = w.engine === 'sglang' ? `--mem-fraction-static ${f.utilization}` : `utilization ${f.utilization}`;
  const tp = f.suggestedTp ? (w.engine === 'sglang' ? `; --tp-size ${f.suggestedTp} fits` : `; tensor parallel ${f.suggestedTp} fits`) : '';
  return `Weights need ${formatGiB(f.weightBytes)} GiB per GPU but ${formatGiB(f.requestedBytes)} GiB is requested (${f.gpu}, ${setting})${tp}`;
}

/**
 * The summary that opens a KV finding. vLLM and SGLang: KV per request against what is available. llama.cpp: the
 * whole cache of -c cells over its slots (the engine's own text after it says what the GPU holds); Ollama in num_ctx
 * per request, the largest that fits too (the budget's context is num_ctx × OLLAMA_NUM_PARALLEL).
 */
function kvSummary(w: EngineWording, f: { fromModel: boolean; contextLength: number; neededBytes: number; availableBytes: number; gpu: string; largest: number }): string {
  if (w.engine === 'llamacpp') {
    const slots = w.llama?.slots ?? 1;
    const slotWords = `${formatInt(slots)} slot${slots === 1 ? '' : 's'}`;
    if (w.ollama) {
      const numCtx = Math.floor(f.contextLength / slots);
      const what = `${f.fromModel ? 'Ollama\'s default num_ctx' : 'num_ctx'} ${formatInt(numCtx)}${slots > 1 ? ` × OLLAMA_NUM_PARALLEL ${formatInt(slots)}` : ''}`;
      return `${what} needs ${formatGiB(f.neededBytes)} GiB of KV cache on ${f.gpu}; the largest num_ctx that fits is ${formatInt(Math.floor(f.largest / slots))}.`;
    }
    const what = f.fromModel ? `The model's own context (-c 0: ${formatInt(f.contextLength)})` : `-c ${formatInt(f.contextLength)}`;
    return `${what} needs ${formatGiB(f.neededBytes)} GiB of KV cache for ${slotWords} on ${f.gpu}; the largest -c that fits is ${formatInt(f.largest)}.`;
  }
  const name = contextName(w);
  const what = f.fromModel ? `The model's own context (${name} ${formatInt(f.contextLength)})` : `${name} ${formatInt(f.contextLength)}`;
  return `${what} needs ${formatGiB(f.neededBytes)} GiB of KV per request; ${formatGiB(Math.max(0, f.availableBytes))} GiB is available on ${f.gpu}; the largest that fits is ${formatInt(f.largest)}.`;
}

const greatestCommonDivisor = (a: number, b: number): number => (b === 0 ? a : greatestCommonDivisor(b, a % b));

/**
 * The smaller KV cache to suggest when the context does not fit. vLLM and SGLang: fp8 (half of 16-bit). llama.cpp and
 * Ollama have no fp8 cache: q8_0 (`-ctk q8_0 -ctv q8_0`, `OLLAMA_KV_CACHE_TYPE=q8_0`), 34 bytes per 32 values
 * (8.5 bits) against f16's 64, i.e. 17/32 of the bytes; both engines quantize the V cache only with flash attention.
 * Nothing when the cache is already that small.
 */
function smallerKvCache(w: EngineWording, kvCacheDtype: KvCacheDtype, flashAttention: boolean | undefined): { suggestedValue: string; message: string } | undefined {
  if (w.engine !== 'llamacpp') return kvCacheDtype === 'fp8' ? undefined : { suggestedValue: 'fp8', message: 'An fp8 KV cache halves KV bytes per token' };
  const current = w.llama?.cacheType ?? 'f16';
  const per32 = Math.round((LLAMA_CACHE_TYPES[current] ?? 2) * 32);
  const q8Per32 = Math.round(LLAMA_CACHE_TYPES.q8_0 * 32);
  if (per32 <= q8Per32) return undefined;
  const g = greatestCommonDivisor(q8Per32, per32);
  const setting = w.ollama ? 'OLLAMA_KV_CACHE_TYPE=q8_0' : '-ctk q8_0 -ctv q8_0';
  const fa = flashAttention === false ? ` (with ${w.ollama ? 'OLLAMA_FLASH_ATTENTION=1' : '-fa on'}: the V cache is quantized only with flash attention)` : '';
  return {
    suggestedValue: 'q8_0',
    message: `A q8_0 KV cache (${setting}) stores ${q8Per32} bytes per 32 values (8.5 bits) against ${current}'s ${per32}: ${q8Per32 / g}/${per32 / g} of the KV bytes per token${fa}`,
  };
}

/**
 * Whether the deployment starts and serves, from the findings: it does not when an error stands (heads or KV heads
 * not divisible by TP, too few GPUs, max_model_len above the model's limit, weights or KV that do not fit, ...) or
 * when one request of max_model_len does not fit in the KV cache (vLLM refuses to start: the model's own context
 * not fitting is a warning in words, but blocks all the same). `blocking` lists those findings, in order.
 */
export function verdictOf(contextFits: boolean, diagnostics: readonly BudgetDiagnostic[]): BudgetReport['verdict'] {
  const blocking = diagnostics.filter((d) => d.severity === 'error' || (!contextFits && d.code === 'context-does-not-fit'));
  return { fits: contextFits && !blocking.some((d) => d.severity === 'error'), blocking };
}

/**
 * vLLM's parallelism rules, which need no GPU: the attention heads divide by TP (`verify_with_parallel_config`),
 * the KV heads divide by TP or TP by the KV heads (`QKVParallelLinear`: `divide(total_num_kv_heads, tp)` when
 * TP < KV heads, else `divide(tp, total_num_kv_heads)` replicas), TP × PP GPUs are requested (too few is an error;
 * more than it uses leaves GPUs idle, a warning), and replicated KV heads are noted. llama.cpp splits layers over
 * its GPUs: only the GPU count and heads are said for it, as before, and no GPU is idle.
 */
export function parallelismFindings(
  model: ModelDescription, engine: string, p: { tp: number; pp: number; gpuCount: number; nodes: number },
): BudgetDiagnostic[] {
  const { tp, pp, gpuCount, nodes } = p;
  const out: BudgetDiagnostic[] = [];
  const world = tp * pp;
  if (world > gpuCount) {
    out.push({ severity: 'error', code: 'parallel-exceeds-gpus', subject: 'tensorParallel', message: `tensor parallel ${tp} × pipeline parallel ${pp} needs ${world} GPUs; only ${gpuCount} requested${nodes > 1 ? ` (over ${nodes} nodes)` : ''}` });
  } else if (world < gpuCount && engine !== 'llamacpp') {
    const requested = `${formatInt(gpuCount)} GPU${gpuCount === 1 ? '' : 's'} requested${nodes > 1 ? ` over ${formatInt(nodes)} nodes` : ''}`;
    out.push({ severity: 'warning', code: 'gpus-idle', subject: 'gpuCount', suggestedValue: world, message: `${requested}, TP ${tp} × PP ${pp} uses ${world}: ${formatInt(gpuCount - world)} idle` });
  }
  if (model.numAttentionHeads > 0 && model.numAttentionHeads % tp !== 0) out.push(headsNotDivisible(model.numAttentionHeads, tp));
  if (engine === 'llamacpp') return out;
  // Every distinct KV head count of the attention layers that split their heads (MLA keeps one latent per rank).
  const bad = kvHeadsNotSplit(model, tp);
  if (bad !== undefined) {
    out.push({
      severity: 'error', code: 'kv-heads-not-divisible', subject: 'tensorParallel',
      message: `${bad} KV heads cannot be split over tensor parallel ${tp}: ${engineDisplayName(engine)} needs the KV heads divisible by the TP size, or the TP size divisible by the KV heads when it is larger (${tp >= bad ? `${tp} % ${bad} = ${tp % bad}` : `${bad} % ${tp} = ${bad % tp}`})`,
    });
  }
  let kvHeads: number | undefined;
  for (const l of model.layers) if (l.attention && l.attention.type !== 'mla') { kvHeads = l.attention.kvHeads; break; }
  if (kvHeads !== undefined && kvHeads < tp && bad === undefined) {
    out.push({ severity: 'information', code: 'kv-heads-replicated', subject: 'tensorParallel', message: `${kvHeads} KV head${kvHeads === 1 ? '' : 's'} < tensor parallel ${tp}: each GPU keeps a replica (${kvHeadsPerRank(kvHeads, tp)} head per GPU), so KV per GPU does not shrink past TP ${kvHeads}` });
  }
  return out;
}

/** The first KV head count (of attention layers that split heads; MLA keeps one latent per rank) TP cannot split. */
function kvHeadsNotSplit(model: ModelDescription, tp: number): number | undefined {
  for (const l of model.layers) {
    const a = l.attention;
    if (!a || a.type === 'mla' || !(a.kvHeads > 0)) continue;
    if (tp >= a.kvHeads ? tp % a.kvHeads !== 0 : a.kvHeads % tp !== 0) return a.kvHeads;
  }
  return undefined;
}

function headsNotDivisible(heads: number, tp: number): BudgetDiagnostic {
  return { severity: 'error', code: 'heads-not-divisible', subject: 'tensorParallel', message: `Total number of attention heads (${heads}) must be divisible by tensor parallel size (${tp})` };
}

/** `-ctk` as llama.cpp spells it: auto and 16-bit names are f16; q8_0, q4_0, … as they are. */
function llamaCacheTypeOf(value: string | undefined): string | undefined {
  const v = (value ?? 'auto').trim().toLowerCase();
  if (v === '' || v === 'auto' || v === 'float16' || v === 'fp16' || v === 'half') return 'f16';
  if (v === 'bfloat16') return 'bf16';
  if (v === 'float32' || v === 'fp32') return 'f32';
  return v in LLAMA_CACHE_TYPES ? v : undefined;
}

/**
 * Exact stored bytes from a safetensors/pytorch index beside the config, when no override changes them. A total
 * outside a quarter to four times what the config's shapes give is not this model's checkpoint (or not a real
 * index): it is ignored, with a note.
 */
function exactWeightBytes(files: ModelFiles, model: ModelDescription, plan: WeightPlan, inputs: BudgetInputs, assumptions: string[]): number | undefined {
  if (inputs.quantization || (inputs.dtype && inputs.dtype !== 'auto')) return undefined;
  for (const index of [files.safetensorsIndex, files.pytorchIndex]) {
    const meta = index && typeof index === 'object' ? (index as { metadata?: { total_size?: unknown } }).metadata : undefined;
    const size = Number(meta?.total_size);
    const fromShapes = rankWeightTable(model, plan, 1).totalBytes * (dtypeBytes(model.torchDtype) / plan.baseDtypeBytes);
    if (Number.isFinite(size) && size > 0 && (size > 4 * fromShapes || size < fromShapes / 4)) {
      assumptions.push(`the checkpoint index says ${size} bytes, far from the ${Math.round(fromShapes)} the config's shapes give: ignored`);
      continue;
    }
    if (Number.isFinite(size) && size > 0) {
      // A checkpoint saved in fp32 is loaded in 16-bit by vLLM: scale to what is held in memory.
      const stored = dtypeBytes(model.torchDtype);
      return plan.scheme ? size : size * (plan.baseDtypeBytes / stored);
    }
  }
  return undefined;
}

export { GiB };

/**
 * What the newest emulated release of the same engine would hold for a deployment pinned to an older one
 * ("on vLLM 0.34: 512,480 tokens, +3.1 %"). Undefined when the deployment already runs the newest rules, the engine
 * has one set of rules (llama.cpp), or either side does not size.
 */
export function upgradeImpact(files: ModelFiles, inputs: BudgetInputs, options: BudgetOptions = {}): { engine: string; version: string; kvCacheTokens: number; change: number; fits: boolean } | undefined {
  const engine = resolveEngine(inputs.engine);
  if (!engine.ok || engine.name === 'llamacpp' || engine.note) return undefined;
  const newest = engine.name === 'vllm' ? engine.engine.newestVersion : NEWEST_SGLANG_VERSION;
  if (engine.profile.version === newest) return undefined;
  const now = computeBudget(files, inputs, options);
  const next = computeBudget(files, { ...inputs, engine: `${engine.name}@${newest}` }, options);
  if (!now.ok || !next.ok || now.report.capacity.kvCacheTokens <= 0) return undefined;
  return {
    engine: engine.name, version: newest, kvCacheTokens: next.report.capacity.kvCacheTokens,
    change: next.report.capacity.kvCacheTokens / now.report.capacity.kvCacheTokens - 1, fits: next.report.capacity.contextFits,
  };
}
