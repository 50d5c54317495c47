// The typed, versioned message protocol between the extension host and the roofline panel's
// webview, with hand-written runtime validators used by BOTH sides.
//
// Pure data: no vscode import, no DOM, no I/O (the webview bundle imports this module too).
// Every message crossing the boundary is checked with `isHostMessage` / `isWebviewMessage`
// before use: types, finite non-negative numbers, bounded strings and arrays, exact key sets.

/** Protocol version carried by `state` messages; bump on incompatible changes. */
export const PROTOCOL_VERSION = 1 as const;

export const WEIGHT_PRECISIONS = ['auto', 'bf16', 'fp8', 'int8', 'int4', 'mxfp4', 'nvfp4'] as const;
export type WeightPrecision = (typeof WEIGHT_PRECISIONS)[number];

export const KV_CACHE_DTYPES = ['auto', 'bfloat16', 'fp8'] as const;
export type PanelKvCacheDtype = (typeof KV_CACHE_DTYPES)[number];

export const EXPORT_FORMATS = ['svg', 'png', 'csv'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export const CHART_IDS = ['roofline', 'throughput', 'memory'] as const;
export type ChartId = (typeof CHART_IDS)[number];

export const POINT_KINDS = ['prefill', 'decode', 'operator'] as const;
export type PanelPointKind = (typeof POINT_KINDS)[number];

/** Limits enforced by the validators. */
export const LIMITS = {
  /** GPUs compared side by side (the first is the primary). */
  maxComparedGpus: 3,
  maxIdLength: 200,
  maxNameLength: 200,
  maxTitleLength: 500,
  maxSummaryLength: 4000,
  maxErrorLength: 8000,
  maxLabelLength: 200,
  maxDtypeLength: 32,
  maxOptions: 2000,
  maxRoofs: 8,
  maxPoints: 500,
  maxThroughputRows: 1000,
  maxGpuCount: 4096,
  maxBatch: 1_000_000,
  maxTokens: 100_000_000,
  /** Export payloads: SVG text, CSV text or a PNG data: URL (characters). */
  maxExportDataLength: 64 * 1024 * 1024,
} as const;

/** The deployment knobs the panel lets the user turn. */
export interface PanelControls {
  /** 1-3 accelerator ids (catalog ids such as `h100-sxm`); the first is the primary. */
  gpus: string[];
  gpuCount: number;
  tensorParallel: number;
  batch: number;
  context: number;
  prompt: number;
  weightPrecision: WeightPrecision;
  kvCacheDtype: PanelKvCacheDtype;
  /** Bundled model id, used when the panel is not tied to a document. */
  model?: string;
}

export interface PanelOption {
  id: string;
  name: string;
}

export interface PanelRoof {
  /** Compute data type of this roof, e.g. `bf16`, `fp8`, `fp4`. */
  dtype: string;
  peakFlopsPerSecond: number;
  ridgePointFlopsPerByte: number;
}

/** A `RooflinePoint` (src/core/types.ts) plus what it stands for. */
export interface PanelPoint {
  label: string;
  kind: PanelPointKind;
  flops: number;
  bytes: number;
  arithmeticIntensity: number;
  attainableFlopsPerSecond: number;
  seconds: number;
  bound: 'memory' | 'compute';
}

export interface ThroughputRow {
  batch: number;
  /** The ceilings (memory bandwidth or peak compute). */
  tokensPerSecondPerRequest: number;
  tokensPerSecondTotal: number;
  /** What to expect in total, and the fit's spread around it (never above the ceiling). */
  expectedTokensPerSecondTotal: number;
  expectedLowTotal: number;
  expectedHighTotal: number;
}

/** Per-GPU (per rank) memory split, bytes. */
export interface PanelMemory {
  weightsBytes: number;
  activationBytes: number;
  /** Non-torch memory plus CUDA graphs. */
  reserveBytes: number;
  kvCacheBytes: number;
  freeBytes: number;
  totalBytes: number;
}

export interface GpuPanelData {
  gpuId: string;
  gpuName: string;
  bandwidthBytesPerSecond: number;
  roofs: PanelRoof[];
  points: PanelPoint[];
  throughput: ThroughputRow[];
  /** Requests of max_model_len tokens the KV cache holds (the engine's "maximum concurrency"). */
  maxConcurrency: number;
  /**
   * Requests of the panel's context the KV cache holds (KV cache tokens / context): the throughput chart's wall
   * and what is shaded "beyond max concurrency", since its series are at that context. Absent: `maxConcurrency`.
   */
  contextConcurrency?: number;
  memory: PanelMemory;
  fits: boolean;
  summary: string;
}

export interface PanelState {
  title: string;
  source: 'document' | 'bundled';
  controls: PanelControls;
  gpuOptions: PanelOption[];
  modelOptions: PanelOption[];
  /** One entry per compared GPU, in the order of `controls.gpus`. */
  perGpu: GpuPanelData[];
}

// ---- messages ---------------------------------------------------------------------------------

export interface StateMessage {
  type: 'state';
  version: typeof PROTOCOL_VERSION;
  state: PanelState;
}
export interface ErrorMessage {
  type: 'error';
  message: string;
}
/** Host → webview. */
export type HostMessage = StateMessage | ErrorMessage;

export interface ReadyMessage {
  type: 'ready';
}
export interface ControlsChangedMessage {
  type: 'controlsChanged';
  controls: PanelControls;
}
export interface ExportMessage {
  type: 'export';
  format: ExportFormat;
  chart: ChartId;
  /** SVG text, a `data:image/png;base64,` URL, or CSV text. */
  data: string;
}
export interface OpenDocumentMessage {
  type: 'openDocument';
}
/** Webview → host. */
export type WebviewMessage = ReadyMessage | ControlsChangedMessage | ExportMessage | OpenDocumentMessage;

// ---- validators -------------------------------------------------------------------------------

type Rec = Record<string, unknown>;

function isPlainObject(x: unknown): x is Rec {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return false;
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

/** Own keys all among `required ∪ optional`, and every required key present. */
function hasExactKeys(o: Rec, required: readonly string[], optional: readonly string[] = []): boolean {
  const keys = Object.keys(o);
  if (keys.length > required.length + optional.length) return false;
  for (const k of keys) if (!required.includes(k) && !optional.includes(k)) return false;
  for (const k of required) if (!Object.prototype.hasOwnProperty.call(o, k)) return false;
  return true;
}

function isBoundedString(x: unknown, max: number, allowEmpty = false): x is string {
  return typeof x === 'string' && x.length <= max && (allowEmpty || x.length > 0);
}

/** A finite number ≥ 0 (and ≤ max when given). */
function isNonNegative(x: unknown, max = Number.MAX_VALUE): x is number {
  return typeof x === 'number' && Number.isFinite(x) && x >= 0 && x <= max;
}

function isIntegerIn(x: unknown, min: number, max: number): x is number {
  return typeof x === 'number' && Number.isInteger(x) && x >= min && x <= max;
}

function isOneOf<T extends string>(x: unknown, values: readonly T[]): x is T {
  return typeof x === 'string' && (values as readonly string[]).includes(x);
}

function isBoundedArray(x: unknown, max: number, min = 0): x is unknown[] {
  return Array.isArray(x) && x.length >= min && x.length <= max;
}

function everyItem(xs: unknown[], check: (x: unknown) => boolean): boolean {
  for (let i = 0; i < xs.length; i++) if (!check(xs[i])) return false;
  return true;
}

export function isPanelControls(x: unknown): x is PanelControls {
  if (!isPlainObject(x)) return false;
  if (!hasExactKeys(x, ['gpus', 'gpuCount', 'tensorParallel', 'batch', 'context', 'prompt', 'weightPrecision', 'kvCacheDtype'], ['model'])) return false;
  if (!isBoundedArray(x.gpus, LIMITS.maxComparedGpus, 1)) return false;
  if (!everyItem(x.gpus, (g) => isBoundedString(g, LIMITS.maxIdLength))) return false;
  if (!isIntegerIn(x.gpuCount, 1, LIMITS.maxGpuCount)) return false;
  if (!isIntegerIn(x.tensorParallel, 1, LIMITS.maxGpuCount)) return false;
  if (!isIntegerIn(x.batch, 1, LIMITS.maxBatch)) return false;
  if (!isIntegerIn(x.context, 1, LIMITS.maxTokens)) return false;
  if (!isIntegerIn(x.prompt, 1, LIMITS.maxTokens)) return false;
  if (!isOneOf(x.weightPrecision, WEIGHT_PRECISIONS)) return false;
  if (!isOneOf(x.kvCacheDtype, KV_CACHE_DTYPES)) return false;
  if ('model' in x && x.model !== undefined && !isBoundedString(x.model, LIMITS.maxIdLength)) return false;
  return true;
}

function isPanelOption(x: unknown): x is PanelOption {
  return isPlainObject(x) && hasExactKeys(x, ['id', 'name'])
    && isBoundedString(x.id, LIMITS.maxIdLength) && isBoundedString(x.name, LIMITS.maxNameLength);
}

function isPanelRoof(x: unknown): x is PanelRoof {
  return isPlainObject(x) && hasExactKeys(x, ['dtype', 'peakFlopsPerSecond', 'ridgePointFlopsPerByte'])
    && isBoundedString(x.dtype, LIMITS.maxDtypeLength)
    && isNonNegative(x.peakFlopsPerSecond) && isNonNegative(x.ridgePointFlopsPerByte);
}

export function isPanelPoint(x: unknown): x is PanelPoint {
  return isPlainObject(x)
    && hasExactKeys(x, ['label', 'kind', 'flops', 'bytes', 'arithmeticIntensity', 'attainableFlopsPerSecond', 'seconds', 'bound'])
    && isBoundedString(x.label, LIMITS.maxLabelLength)
    && isOneOf(x.kind, POINT_KINDS)
    && isNonNegative(x.flops) && isNonNegative(x.bytes) && isNonNegative(x.arithmeticIntensity)
    && isNonNegative(x.attainableFlopsPerSecond) && isNonNegative(x.seconds)
    && (x.bound === 'memory' || x.bound === 'compute');
}

function isThroughputRow(x: unknown): x is ThroughputRow {
  return isPlainObject(x)
    && hasExactKeys(x, ['batch', 'tokensPerSecondPerRequest', 'tokensPerSecondTotal', 'expectedTokensPerSecondTotal', 'expectedLowTotal', 'expectedHighTotal'])
    && isIntegerIn(x.batch, 1, LIMITS.maxBatch)
    && isNonNegative(x.tokensPerSecondPerRequest) && isNonNegative(x.tokensPerSecondTotal)
    && isNonNegative(x.expectedTokensPerSecondTotal) && isNonNegative(x.expectedLowTotal) && isNonNegative(x.expectedHighTotal);
}

function isPanelMemory(x: unknown): x is PanelMemory {
  return isPlainObject(x)
    && hasExactKeys(x, ['weightsBytes', 'activationBytes', 'reserveBytes', 'kvCacheBytes', 'freeBytes', 'totalBytes'])
    && isNonNegative(x.weightsBytes) && isNonNegative(x.activationBytes) && isNonNegative(x.reserveBytes)
    && isNonNegative(x.kvCacheBytes) && isNonNegative(x.freeBytes) && isNonNegative(x.totalBytes);
}

export function isGpuPanelData(x: unknown): x is GpuPanelData {
  return isPlainObject(x)
    && hasExactKeys(x, ['gpuId', 'gpuName', 'bandwidthBytesPerSecond', 'roofs', 'points', 'throughput', 'maxConcurrency', 'memory', 'fits', 'summary'], ['contextConcurrency'])
    && isBoundedString(x.gpuId, LIMITS.maxIdLength)
    && isBoundedString(x.gpuName, LIMITS.maxNameLength)
    && isNonNegative(x.bandwidthBytesPerSecond)
    && isBoundedArray(x.roofs, LIMITS.maxRoofs) && everyItem(x.roofs, isPanelRoof)
    && isBoundedArray(x.points, LIMITS.maxPoints) && everyItem(x.points, isPanelPoint)
    && isBoundedArray(x.throughput, LIMITS.maxThroughputRows) && everyItem(x.throughput, isThroughputRow)
    && isNonNegative(x.maxConcurrency)
    && (x.contextConcurrency === undefined || isNonNegative(x.contextConcurrency))
    && isPanelMemory(x.memory)
    && typeof x.fits === 'boolean'
    && isBoundedString(x.summary, LIMITS.maxSummaryLength, true);
}

export function isPanelState(x: unknown): x is PanelState {
  return isPlainObject(x)
    && hasExactKeys(x, ['title', 'source', 'controls', 'gpuOptions', 'modelOptions', 'perGpu'])
    && isBoundedString(x.title, LIMITS.maxTitleLength, true)
    && (x.source === 'document' || x.source === 'bundled')
    && isPanelControls(x.controls)
    && isBoundedArray(x.gpuOptions, LIMITS.maxOptions) && everyItem(x.gpuOptions, isPanelOption)
    && isBoundedArray(x.modelOptions, LIMITS.maxOptions) && everyItem(x.modelOptions, isPanelOption)
    && isBoundedArray(x.perGpu, LIMITS.maxComparedGpus) && everyItem(x.perGpu, isGpuPanelData);
}

/** True for a well-formed host → webview message; anything else (unknown types, extra keys, NaN, …) is rejected. */
export function isHostMessage(x: unknown): x is HostMessage {
  if (!isPlainObject(x)) return false;
  switch (x.type) {
    case 'state':
      return hasExactKeys(x, ['type', 'version', 'state']) && x.version === PROTOCOL_VERSION && isPanelState(x.state);
    case 'error':
      return hasExactKeys(x, ['type', 'message']) && isBoundedString(x.message, LIMITS.maxErrorLength, true);
    default:
      return false;
  }
}

/** True for a well-formed webview → host message; anything else is rejected. */
export function isWebviewMessage(x: unknown): x is WebviewMessage {
  if (!isPlainObject(x)) return false;
  switch (x.type) {
    case 'ready':
    case 'openDocument':
      return hasExactKeys(x, ['type']);
    case 'controlsChanged':
      return hasExactKeys(x, ['type', 'controls']) && isPanelControls(x.controls);
    case 'export':
      return hasExactKeys(x, ['type', 'format', 'chart', 'data'])
        && isOneOf(x.format, EXPORT_FORMATS)
        && isOneOf(x.chart, CHART_IDS)
        && isBoundedString(x.data, LIMITS.maxExportDataLength)
        && (x.format !== 'png' || (x.data as string).startsWith('data:image/png;base64,'));
    default:
      return false;
  }
}
