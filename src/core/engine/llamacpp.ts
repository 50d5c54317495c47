// Emulation of llama.cpp's (llama-server's) memory at load, per GPU: the repeating layers `-ngl` puts on the GPU
// (their weights and their KV), the output layer from ngl > n_layer, the compute buffer the scheduler reserves,
// and `--fit` (on by default since Dec 2025): a 1 GiB margin per device, the context shrunk when it was left at
// 0 (never below 4,096), then layers moved to the CPU when -ngl was left at its default; over several GPUs the
// layers follow `-ts` (or equal shares) and every GPU must meet the margin; `--split-mode none|layer|row` and `-mg`;
// `--kv-unified` or per-slot streams as llama-server resolves them per build. Rules from ggml-org/llama.cpp
// (src/llama-kv-cache.cpp, llama-kv-cache-iswa.cpp, llama-context.cpp, llama-model.cpp, src/llama.cpp, common/fit.cpp,
// tools/server/server.cpp, ggml/src/ggml-cuda/ggml-cuda.cu) as of late 2025 / 2026.

import type { Accelerator } from '../types';
import { LayerDescription, ModelDescription, forEachCopy, sumParams } from '../model';
import { WeightPlan, groupBytes, rankWeightTable } from '../weights';
import { GiB, RankBudget, VllmResult } from './vllm';
import { keyedTable } from '../keyedTable';

const MiB = 1024 ** 2;

/** `-ctk` / `-ctv` types and their bytes per element (ggml block size and bytes: q8_0 34 per 32, q4_0 18 per 32). */
export const LLAMA_CACHE_TYPES: Readonly<Record<string, number>> = keyedTable({
  f32: 4, f16: 2, bf16: 2, q8_0: 34 / 32, q4_0: 18 / 32, q4_1: 20 / 32, iq4_nl: 18 / 32, q5_0: 22 / 32, q5_1: 24 / 32,
});

/** `-sm / --split-mode` (common/arg.cpp): how the model is spread over several GPUs. */
export type LlamaSplitMode = 'none' | 'layer' | 'row';
export const LLAMA_SPLIT_MODES: readonly LlamaSplitMode[] = ['none', 'layer', 'row'];

/**
 * A weight matrix used with MUL_MAT (2-D: attention and dense FFN projections, shared experts, routers, the output
 * layer): the tensors `--split-mode row` divides by rows. `rows` is ggml's ne1, `rowElements` its ne0.
 */
export interface LlamaMatrix { rows: number; rowBytes: number; rowElements: number }

export interface LlamaCppSettings {
  /** `-c`: context for all slots together; undefined = 0 = the model's training context (and `--fit` may shrink it). */
  contextLength?: number;
  /** `-np`: slots; undefined = auto (4 slots sharing one unified pool). */
  parallel?: number;
  /** `-ngl`; undefined = default (all layers, and `--fit` may lower it). */
  gpuLayers?: number;
  /** `-ctk` / `-ctv`. */
  cacheTypeK: string;
  cacheTypeV: string;
  /** `-fa`: flash attention (on by default on CUDA). */
  flashAttention: boolean;
  /** `-ub` (512). */
  ubatch: number;
  /** `--fit` (on) and its margin (`-fitt`, 1,024 MiB). */
  fit: boolean;
  fitMarginBytes: number;
  /**
   * Bytes of each decoder layer's weights and of the layer-less tensors (token_embd, output, output_norm); with
   * `matrices`, the MUL_MAT matrices among them (what `--split-mode row` divides by rows).
   */
  weights?: {
    perLayer: number[]; tokenEmbd: number; output: number; outputNorm: number;
    matrices?: { perLayer: LlamaMatrix[][]; output?: LlamaMatrix };
  };
  /** GPUs visible to llama.cpp (the layers are split over them by `-ts`); 1 when absent. */
  gpus?: number;
  /**
   * `-sm` (default layer): `none` keeps everything on the `-mg` GPU; `layer` gives each GPU whole layers and their
   * KV; `row` places layers and KV as `layer` does but divides each layer's weight matrices by rows over all GPUs.
   */
  splitMode?: LlamaSplitMode;
  /** `-mg` (default 0): the one GPU of `--split-mode none`. */
  mainGpu?: number;
  /** Row rounding of the CUDA split buffer (`get_row_rounding`: MMQ tile rows, 128 on Volta and newer, else 64). */
  rowRounding?: number;
  /** llama-server's build (b7079 → 7079), for the slot and `--fit` rules that changed; undefined = the newest. */
  build?: number;
  /**
   * `-ts 3,1`: each GPU's proportion of the layers (GPUs past the list get none). Absent or all zero: by each GPU's
   * free memory, which for identical GPUs is an equal split.
   */
  tensorSplit?: readonly number[];
  /**
   * `--kv-unified` (true) / `--no-kv-unified` (false): one KV buffer of `-c` cells shared by every slot, or one
   * stream of `-c / -np` cells per slot. Absent: llama-server's own choice (see `llamaServerSlots`).
   */
  kvUnified?: boolean;
  /**
   * Bytes held back from each GPU's free memory before anything is placed: Ollama's `OLLAMA_GPU_OVERHEAD` in the
   * releases whose own scheduler placed the layers (see `ollamaGpuOverheadRule`).
   */
  reservedBytesPerGpu?: number;
}

export interface LlamaCppSizing extends VllmResult {
  resolved: {
    contextLength: number; parallel: number; gpuLayers: number; unified: boolean; computeBufferBytes: number; fitNote?: string;
    /** Cells one slot can use: the whole context when unified, else `n_ctx_seq`. */
    contextPerSlot: number;
    /** What each GPU holds (one entry per GPU of the split), and which is the most loaded (the one reported). */
    perGpu: LlamaGpuLoad[];
    mostLoadedGpu: number;
  };
}

const pad = (n: number, to: number): number => Math.ceil(n / to) * to;

/** KV bytes per cell of one layer (K + V rows), or 0 for a layer without a KV cache. MLA keeps K only (2026). */
export function llamaLayerKvBytesPerCell(layer: LayerDescription, typeK: string, typeV: string): number {
  const a = layer.attention;
  if (!a || layer.crossAttention || a.kvSharedWith !== undefined) return 0;
  const bk = LLAMA_CACHE_TYPES[typeK] ?? 2;
  const bv = LLAMA_CACHE_TYPES[typeV] ?? 2;
  if (a.type === 'mla') return (a.mlaLatentDim ?? 0) * bk;
  return a.kvHeads * a.headDim * (bk + bv);
}

/**
 * Cells a layer holds per stream: the context padded to 256; a sliding layer `min(ctx, window × (unified ?
 * slots : 1) + ubatch)` padded to 256.
 */
export function llamaLayerCells(layer: LayerDescription, ctxPerStream: number, slots: number, unified: boolean, ubatch: number): number {
  const a = layer.attention;
  if (a && (a.type === 'sliding' || a.type === 'chunked') && a.window) return pad(Math.min(ctxPerStream, a.window * (unified ? slots : 1) + ubatch), 256);
  return ctxPerStream;
}

/** Where llama.cpp puts a repeating layer for `ngl`: the last `ngl` layers go to the GPU. */
export const layerOnGpu = (il: number, nLayer: number, ngl: number): boolean => il >= Math.max(0, nLayer - ngl);

/**
 * `-ts 3,1` / `--tensor-split 3/1` as llama.cpp reads it (common/arg.cpp: the text split on `,` and `/`, each part a
 * float; devices past the list get 0). Returns the proportions, or a one-line reason.
 */
export function parseTensorSplit(text: string): number[] | string {
  const parts = text.trim().split(/[,/]+/);
  const out: number[] = [];
  for (const p of parts) {
    const t = p.trim();
    const n = /^[+]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t) ? Number(t) : NaN;
    if (!Number.isFinite(n) || n < 0) return `-ts takes proportions per GPU such as 3,1 (got "${text}")`;
    out.push(n);
  }
  if (!out.some((x) => x > 0)) return `-ts ${text} gives no GPU any share`;
  return out;
}

/**
 * The device of each layer slot under llama.cpp's default layer split (src/llama-model.cpp `load_tensors`, as of
 * the b6xxx–b7xxx builds of late 2025): slots 0..n_layer−1 are the repeating layers and slot n_layer the output
 * layer; `i_gpu_start = max(n_layer − ngl, 0)`, `act_gpu_layers = min(ngl, n_layer + 1)`; a slot below
 * `i_gpu_start` or past `act_gpu_layers` stays on the CPU (−1), else it goes to the first GPU whose cumulative,
 * normalised split point (float32) is above `(il − i_gpu_start) / act_gpu_layers` (`std::upper_bound`). Without
 * `-ts` the split is each GPU's free memory, so identical GPUs get equal shares. The input layer (token_embd) is
 * always on the CPU.
 * Example: 32 layers, all on GPU (ngl 33), `-ts 3,1` → split points 0.75, 1.0; slot il goes to GPU 0 while
 * il/33 < 0.75, i.e. layers 0–24 (25 layers) on GPU 0, layers 25–31 and the output layer on GPU 1.
 */
export function llamaLayerDevices(nLayer: number, ngl: number, split: readonly number[]): number[] {
  const f = Math.fround;
  const points: number[] = [];
  let sum = f(0);
  for (const x of split) { sum = f(sum + f(x)); points.push(sum); }
  for (let i = 0; i < points.length; i++) points[i] = f(points[i] / sum);
  const iGpuStart = Math.max(nLayer - ngl, 0);
  const act = points.length === 0 ? 0 : Math.min(ngl, nLayer + 1);
  const out: number[] = [];
  for (let il = 0; il <= nLayer; il++) {
    if (il < iGpuStart || il - iGpuStart >= act) { out.push(-1); continue; }
    const x = f((il - iGpuStart) / act);
    let d = 0;
    while (d < points.length - 1 && !(points[d] > x)) d++;
    out.push(d);
  }
  return out;
}

/** What one GPU holds at load. */
export interface LlamaGpuLoad {
  /** Repeating layers on this GPU. */
  layers: number;
  /** Whether the output layer (output.weight, output_norm) is on it. */
  output: boolean;
  weightBytes: number;
  /** Of `weightBytes`, its share of the row-split matrices under `--split-mode row` (its part of CUDA_Split). */
  rowSplitBytes: number;
  kvBytes: number;
  stateBytes: number;
  computeBytes: number;
  /** weights + KV + recurrent state + compute. */
  usedBytes: number;
}

interface Placement {
  gpus: LlamaGpuLoad[];
  weightsCpu: number; kvCpu: number;
}

/** Per-stream cells (`n_ctx_seq`, src/llama-context.cpp): the whole padded context when unified, else `pad(n_ctx / n_seq_max, 256)`. */
export function llamaContextPerStream(ctx: number, slots: number, unified: boolean): number {
  return unified ? pad(ctx, 256) : pad(Math.floor(pad(ctx, 256) / Math.max(1, slots)), 256);
}

/**
 * How llama-server settles its slots and KV streams (tools/server/server.cpp, common/arg.cpp), by build:
 * - newest (PR #17997, merged 2025-12-15; taken as b7400 on, b7370 being 2025-12-12 and b7342 still older): `-np`
 *   defaults to -1 (auto), and auto means 4 slots with `kv_unified = true` whatever `--no-kv-unified` says; an
 *   explicit `-np N` keeps `kv_unified` as given (default false: N streams of n_ctx / N);
 * - PR #16736 (merged early Nov 2025; b7079 runs it, taken as b6900 on): `-np` defaults to 1, and `-np 1` without
 *   `-kvu` (so also with `--no-kv-unified`, and with `-np 1` written) becomes 4 slots with `kv_unified = true`
 *   (a draft model, not read here, turns this off);
 * - before: `-np` defaults to 1 and `kv_unified` to false.
 * Build boundaries are dated by merge, not by tag, and are approximate.
 */
export function llamaServerSlots(parallel: number | undefined, kvUnified: boolean | undefined, build?: number): { slots: number; unified: boolean } {
  if (build === undefined || build >= LLAMA_AUTO_PARALLEL_BUILD) {
    return parallel === undefined ? { slots: 4, unified: true } : { slots: parallel, unified: kvUnified ?? false };
  }
  const np = parallel ?? 1;
  const kvu = kvUnified ?? false;
  if (build >= LLAMA_FOUR_SLOTS_BUILD && np === 1 && !kvu) return { slots: 4, unified: true };
  return { slots: np, unified: kvu };
}
/** First builds of the slot rules above (approximate, by merge date). */
export const LLAMA_AUTO_PARALLEL_BUILD = 7400;
export const LLAMA_FOUR_SLOTS_BUILD = 6900;
/**
 * `--fit` counts KV streams (PR #27496, merged late Aug 2026; taken as b10600 on): with `-c` left at 0 and a
 * per-slot cache, the context it starts from is the trained context × streams, shrunk in steps of 256 × streams
 * and not below 4,096 × streams (common/fit.cpp `n_ctx_max`, `n_ctx_min_total`, `align`).
 */
export const LLAMA_FIT_STREAMS_BUILD = 10600;

/** The build number of a llama.cpp version (`b7079`, `7079`); undefined for `latest` and anything else. */
export function llamaBuildOf(version: string | undefined): number | undefined {
  const m = version ? /^b?(\d{3,6})$/i.exec(version.trim()) : null;
  return m ? Number(m[1]) : undefined;
}

/**
 * The CUDA split buffer's start points (ggml-cuda.cu `ggml_backend_cuda_split_buffer_type`): each GPU's rows begin at
 * the float32 share of the GPUs before it; with no `-ts` (all zero) the default is by each GPU's total memory, an
 * equal split for identical GPUs. Example: `-ts 3,1` → [0, 0.75].
 */
export function cudaSplitStarts(tensorSplit: readonly number[], gpus: number): number[] {
  const f = Math.fround;
  const split = Array.from({ length: gpus }, (_, i) => tensorSplit[i] ?? 0);
  if (!split.some((x) => x > 0)) split.fill(1);
  const starts: number[] = [];
  let sum = f(0);
  for (const x of split) { starts.push(sum); sum = f(sum + f(x)); }
  return starts.map((x) => f(x / sum));
}

/**
 * The rows of one matrix each GPU holds under `--split-mode row` (ggml-cuda.cu `get_row_split`): GPU i holds rows
 * [nrows × start_i, nrows × start_i+1), each bound truncated from float32 and rounded down to `rounding` rows; the
 * last GPU takes the rest. Example: 1,024 rows, starts [0, 0.75], rounding 128 → [768, 256].
 */
export function llamaRowSplit(nrows: number, starts: readonly number[], rounding: number): number[] {
  const f = Math.fround;
  const bound = (x: number): number => { const r = Math.trunc(f(f(nrows) * x)); return r - (r % rounding); };
  return starts.map((start, id) => {
    const low = id === 0 ? 0 : bound(start);
    const high = id === starts.length - 1 ? nrows : bound(starts[id + 1]);
    return Math.max(0, high - low);
  });
}

/** MATRIX_ROW_PADDING (ggml-cuda): each GPU's slice of a row-split matrix is padded to a multiple of 512 values. */
const MATRIX_ROW_PADDING = 512;

/**
 * `get_row_rounding` for one kind of GPU: the MMQ tile's rows (`get_mmq_y_host`), 128 on NVIDIA Volta (7.0) and
 * newer and on AMD, 64 on older NVIDIA GPUs.
 */
export function llamaRowRounding(acc: Accelerator): number {
  const cc = acc.computeCapability ? Number(acc.computeCapability) : NaN;
  return acc.vendor === 'nvidia' && Number.isFinite(cc) && cc < 7 ? 64 : 128;
}

/**
 * Where one MUL_MAT matrix of a layer on GPU `d` goes under `--split-mode row`: its rows over every GPU (each
 * slice padded to 512 values); when GPU `d` itself would get no rows, CUDA refuses the split buffer for it
 * (`ggml_backend_cuda_device_supports_op`) and the whole matrix stays on `d`.
 */
function placeRowSplit(gpus: LlamaGpuLoad[], d: number, m: LlamaMatrix, starts: readonly number[], rounding: number): void {
  const rows = llamaRowSplit(m.rows, starts, rounding);
  if (!(rows[d] > 0)) { gpus[d].weightBytes += m.rows * m.rowBytes; return; }
  const pad = m.rowElements % MATRIX_ROW_PADDING === 0 ? 0 : (m.rowBytes * (MATRIX_ROW_PADDING - (m.rowElements % MATRIX_ROW_PADDING))) / m.rowElements;
  rows.forEach((r, j) => {
    if (r <= 0) return;
    const bytes = r * m.rowBytes + pad;
    gpus[j].weightBytes += bytes;
    gpus[j].rowSplitBytes += bytes;
  });
}

/**
 * Weights of one layer (or the output layer) on GPU `d`: all on `d` by layer split; under `--split-mode row` the
 * MUL_MAT matrices divided by rows over every GPU and the rest (norms, biases, 3-D expert tensors) on `d`. Without
 * the matrices' shapes, row mode divides the whole by the split's shares (approximate).
 */
function placeWeights(gpus: LlamaGpuLoad[], d: number, bytes: number, matrices: readonly LlamaMatrix[] | undefined, row: { starts: number[]; rounding: number } | undefined): void {
  if (!row) { gpus[d].weightBytes += bytes; return; }
  if (!matrices) {
    row.starts.forEach((start, j) => {
      const share = ((j + 1 < row.starts.length ? row.starts[j + 1] : 1) - start) * bytes;
      gpus[j].weightBytes += share;
      gpus[j].rowSplitBytes += share;
    });
    return;
  }
  const matrixBytes = matrices.reduce((t, m) => t + m.rows * m.rowBytes, 0);
  gpus[d].weightBytes += Math.max(0, bytes - matrixBytes);
  for (const m of matrices) placeRowSplit(gpus, d, m, row.starts, row.rounding);
}

/**
 * The layer split's proportions per GPU for a split mode: `none` keeps only the `-mg` GPU (src/llama.cpp
 * `llama_prepare_model_devices` drops the others, so every offloaded layer lands on it); `layer` and `row` use `-ts`,
 * or equal shares (by free memory) without it.
 */
export function llamaLayerSplit(gpus: number, mode: LlamaSplitMode, mainGpu: number, tensorSplit?: readonly number[]): number[] {
  if (mode === 'none') return Array.from({ length: gpus }, (_, i) => (i === mainGpu ? 1 : 0));
  const split = Array.from({ length: gpus }, (_, i) => tensorSplit?.[i] ?? 0);
  if (!split.some((x) => x > 0)) split.fill(1);
  return split;
}

function place(model: ModelDescription, w: NonNullable<LlamaCppSettings['weights']>, s: LlamaCppSettings, ctx: number, slots: number, unified: boolean, ngl: number, split: readonly number[]): Placement {
  const nLayer = model.numLayers;
  const streams = unified ? 1 : slots;
  const ctxPerStream = llamaContextPerStream(ctx, slots, unified);
  const devices = llamaLayerDevices(nLayer, ngl, split);
  const gpus: LlamaGpuLoad[] = split.map(() => ({ layers: 0, output: false, weightBytes: 0, rowSplitBytes: 0, kvBytes: 0, stateBytes: 0, computeBytes: 0, usedBytes: 0 }));
  // --split-mode row over several GPUs: the CUDA split buffer divides each offloaded matrix by -ts (or equally).
  const row = s.splitMode === 'row' && split.length > 1
    ? { starts: cudaSplitStarts(s.tensorSplit ?? [], split.length), rounding: s.rowRounding ?? 128 } : undefined;
  const maxLayerKv = gpus.map(() => 0);
  let weightsCpu = w.tokenEmbd, kvCpu = 0, someKvOnCpu = false, anyLayerKv = 0;
  model.layers.forEach((layer, il) => {
    const kv = llamaLayerKvBytesPerCell(layer, s.cacheTypeK, s.cacheTypeV) * llamaLayerCells(layer, ctxPerStream, slots, unified, s.ubatch) * streams;
    // Recurrent layers keep f32 conv and SSM state per slot.
    const state = layer.mamba ? (layer.mamba.convElements + layer.mamba.ssmElements) * 4 * Math.max(1, slots) : 0;
    const d = devices[il];
    anyLayerKv = Math.max(anyLayerKv, kv);
    if (d >= 0) {
      // KV and recurrent state follow the layer's device in every split mode (llama-kv-cache.cpp: model.dev_layer(il)).
      const g = gpus[d];
      g.layers++; g.kvBytes += kv; g.stateBytes += state;
      placeWeights(gpus, d, w.perLayer[il] ?? 0, w.matrices?.perLayer[il], row);
      maxLayerKv[d] = Math.max(maxLayerKv[d], kv);
    } else { weightsCpu += w.perLayer[il] ?? 0; kvCpu += kv + state; someKvOnCpu = true; }
  });
  const outDevice = devices[nLayer];
  if (outDevice >= 0) {
    gpus[outDevice].output = true;
    gpus[outDevice].weightBytes += w.outputNorm;
    placeWeights(gpus, outDevice, w.output, w.matrices ? (w.matrices.output ? [w.matrices.output] : []) : undefined, row);
  } else weightsCpu += w.output + w.outputNorm;
  // The compute buffer: the GPU holding the output layer (or, with the output on the CPU, the GPU of the last
  // offloaded layer) holds the output stage; every GPU with layers holds its attention stage. Approximate for several
  // GPUs: llama.cpp's scheduler sizes each device's buffer from its own graph split. With --split-mode row the
  // slices' inputs and partial results come from ggml-cuda's memory pool at run time, not counted here.
  let last = -1;
  for (let il = nLayer; il >= 0; il--) if (devices[il] >= 0) { last = devices[il]; break; }
  gpus.forEach((g, d) => {
    if (g.layers === 0 && !g.output) { g.usedBytes = g.weightBytes; return; }
    g.computeBytes = d === last
      ? computeBuffer(model, s, ctxPerStream, outDevice >= 0 ? 0 : w.output, someKvOnCpu, anyLayerKv)
      : attentionBuffer(model, s, ctxPerStream, someKvOnCpu, maxLayerKv[d]);
    g.usedBytes = g.weightBytes + g.kvBytes + g.stateBytes + g.computeBytes;
  });
  return { gpus, weightsCpu, kvCpu };
}

/**
 * The GPU compute buffer the scheduler reserves (the allocator's high-water mark; this is the shape that
 * reproduces llama.cpp's logs): the output stage holds the logits and hidden states of one ubatch, plus a copy of
 * the output weight when it lives on the CPU (op offload); without flash attention the attention stage holds the
 * f32 KQ scores of every head over the whole cache, the mask and, for a layer whose KV is on the CPU, copies of its
 * K and V. Example (Qwen3-8B, ubatch 512, 4,096 tokens, output on the CPU, Q8_0): 630.59 + 296.75 + 8 = 935.34 MiB.
 */
export function computeBuffer(model: ModelDescription, s: LlamaCppSettings, nKv: number, outputCopyBytes: number, someKvOnCpu: boolean, layerKvBytes: number): number {
  const ub = Math.min(s.ubatch, nKv);
  const hidden = model.hiddenSize * ub * 4;
  const logits = model.vocabSize * ub * 4;
  const output = logits + hidden + outputCopyBytes;
  if (s.flashAttention) return output;
  return Math.max(output, attentionBuffer(model, s, nKv, someKvOnCpu, layerKvBytes));
}

/**
 * The attention stage alone (a GPU that holds layers but not the output stage): without flash attention the f32 KQ
 * scores of every head over the cache, the mask and the layer's K/V copies or hidden states; with it, the hidden
 * states of one ubatch in and out.
 */
function attentionBuffer(model: ModelDescription, s: LlamaCppSettings, nKv: number, someKvOnCpu: boolean, layerKvBytes: number): number {
  const ub = Math.min(s.ubatch, nKv);
  const hidden = model.hiddenSize * ub * 4;
  if (s.flashAttention) return 2 * hidden;
  const heads = Math.max(0, ...model.layers.map((l) => l.attention?.heads ?? 0));
  const scores = nKv * ub * heads * 4;
  const mask = nKv * ub * 4;
  return scores + mask + (someKvOnCpu ? layerKvBytes : 4 * hidden);
}

/**
 * Weights per layer from a GGUF file's tensors (`blk.N.*`), or from the engine's own weight table for a Hugging
 * Face config with a GGUF type chosen (`--quantization q4_k_m`); with the MUL_MAT matrices among them (shapes from
 * the tensors' dims, or from the config's weight groups), for `--split-mode row`.
 */
export function llamaWeights(model: ModelDescription, plan: WeightPlan, ggufTensors?: ReadonlyArray<{ name: string; bytes: number; dims?: readonly number[] }>): NonNullable<LlamaCppSettings['weights']> {
  const perLayer = new Array<number>(model.numLayers).fill(0);
  const matrixLayers: LlamaMatrix[][] = perLayer.map(() => []);
  if (ggufTensors && ggufTensors.length) {
    let tokenEmbd = 0, output = 0, outputNorm = 0;
    let embdMatrix: LlamaMatrix | undefined, outMatrix: LlamaMatrix | undefined;
    const withDims = ggufTensors.every((t) => Array.isArray(t.dims) && t.dims.length > 0);
    for (const t of ggufTensors) {
      const m = /^blk\.(\d+)\.(.+)$/.exec(t.name);
      if (m) {
        const il = Number(m[1]);
        if (il < perLayer.length) {
          perLayer[il] += t.bytes;
          const mat = ggufMatrix(t);
          if (mat && isMulMatTensor(m[2])) matrixLayers[il].push(mat);
        }
        continue;
      }
      if (t.name.startsWith('token_embd')) { tokenEmbd += t.bytes; if (t.name === 'token_embd.weight') embdMatrix = ggufMatrix(t); }
      else if (t.name === 'output.weight') { output += t.bytes; outMatrix = ggufMatrix(t); }
      else outputNorm += t.bytes;
    }
    // Tied embeddings: the output layer holds a duplicate of token_embd.
    if (output === 0) { output = tokenEmbd; outMatrix = embdMatrix; }
    return { perLayer, tokenEmbd, output, outputNorm, ...(withDims ? { matrices: { perLayer: matrixLayers, output: outMatrix } } : {}) };
  }
  const table = rankWeightTable(model, plan, 1);
  for (let i = 0; i < perLayer.length; i++) perLayer[i] = table.storedBytes[i];
  // The config's 2-D projections, as llama.cpp's tensors (fused groups such as q/k/v count as one matrix here).
  for (const g of model.weights) {
    if (g.layer === undefined || !(g.layer >= 0 && g.layer < perLayer.length) || !g.shape || g.experts !== undefined) continue;
    if (!(g.role === 'attention' || g.role === 'mlp' || g.role === 'shared-expert' || g.role === 'router' || (g.role === 'mamba' && g.quantizable))) continue;
    const bytes = groupBytes(g, plan);
    if (!(g.shape.output > 0 && bytes > 0)) continue;
    const shape = g.shape;
    forEachCopy(g, perLayer.length, (l) => matrixLayers[l].push({ rows: shape.output, rowBytes: bytes / shape.output, rowElements: shape.input }));
  }
  // GGUF files quantize the embedding and output tables too (Q6_K or the file's type); others keep them 16-bit.
  const bytesPerParam = plan.scheme?.gguf ? plan.scheme.bitsPerWeight / 8 : plan.baseDtypeBytes;
  const params = (role: 'embedding' | 'lm-head'): number => sumParams(model.weights, (g) => g.role === role);
  const tokenEmbd = params('embedding') * bytesPerParam;
  const head = params('lm-head') * bytesPerParam;
  const vocab = model.vocabSize;
  const outputBytes = head > 0 ? head : tokenEmbd;
  const outMatrix = vocab > 0 && outputBytes > 0 ? { rows: vocab, rowBytes: outputBytes / vocab, rowElements: model.hiddenSize } : undefined;
  return { perLayer, tokenEmbd, output: outputBytes, outputNorm: model.hiddenSize * 4, matrices: { perLayer: matrixLayers, output: outMatrix } };
}

/** A GGUF tensor as a 2-D matrix (ne0 values per row, ne1 rows; higher dims 1), else undefined (norms, 3-D experts). */
function ggufMatrix(t: { bytes: number; dims?: readonly number[] }): LlamaMatrix | undefined {
  const d = t.dims;
  if (!d || d.length < 2 || !(d[1] > 1) || d.slice(2).some((x) => x !== 1)) return undefined;
  return { rows: d[1], rowBytes: t.bytes / d[1], rowElements: d[0] };
}

/** Layer tensors used with MUL_MAT (llama-arch.cpp LLM_TENSOR_INFOS): not norms, convolutions, SSM A/D or the merged 3-D experts. */
function isMulMatTensor(rest: string): boolean {
  return rest.endsWith('.weight') && !/norm|conv1d|_exps|ssm_a\b|ssm_d\b|coef/.test(rest);
}

/**
 * llama-server at load (`-ngl` layers, their KV and the compute buffer on the GPUs, split by `-ts` and `-sm` over
 * several), with `--fit`. Slots and streams as `llamaServerSlots` resolves them. With several GPUs the most loaded one
 * is reported, and `--fit` must leave its margin on every one; it moves no layers when `-ts` is set or with
 * `--split-mode row` over several GPUs (common/fit.cpp aborts there), and with `--split-mode none` it sees one GPU.
 */
export function emulateLlamaCpp(model: ModelDescription, plan: WeightPlan, acc: Accelerator, s: LlamaCppSettings): LlamaCppSizing {
  const w = s.weights ?? llamaWeights(model, plan);
  const nLayer = model.numLayers;
  const trainCtx = model.maxPositionEmbeddings ?? 4096;
  const { slots, unified } = llamaServerSlots(s.parallel, s.kvUnified, s.build);
  const gpuCount = Math.max(1, Math.floor(s.gpus ?? 1));
  const mode = s.splitMode ?? 'layer';
  const mainGpu = Math.min(Math.max(0, Math.floor(s.mainGpu ?? 0)), gpuCount - 1);
  // No -ts (or all zero): by free memory, equal for identical GPUs; --split-mode none: the -mg GPU alone.
  const split = llamaLayerSplit(gpuCount, mode, mainGpu, s.tensorSplit);
  const settings: LlamaCppSettings = { ...s, splitMode: mode, rowRounding: s.rowRounding ?? llamaRowRounding(acc) };
  const free = acc.visibleMemoryGiB * GiB - (s.reservedBytesPerGpu ?? 0);
  const target = s.fit ? free - s.fitMarginBytes : free;
  // --fit with -c left at 0 and per-slot streams starts from the trained context for every stream (newest builds).
  const fitStreams = s.fit && s.contextLength === undefined && !unified && (s.build === undefined || s.build >= LLAMA_FIT_STREAMS_BUILD) ? slots : 1;
  const align = 256 * fitStreams;
  let ctx = pad(s.contextLength ?? trainCtx * fitStreams, 256);
  let ngl = s.gpuLayers ?? nLayer + 1;
  /** How far the most loaded GPU is over the target (≤ 0: every GPU meets it). */
  const excess = (c: number, n: number): number => place(model, w, settings, c, slots, unified, n, split).gpus.reduce((most, g) => Math.max(most, g.usedBytes - target), -Infinity);
  // The GPUs --fit sees (one with --split-mode none), and whether it may move layers off them.
  const fitDevices = mode === 'none' ? 1 : gpuCount;
  const userSplit = (s.tensorSplit ?? []).some((x) => x > 0);
  const layersFixed = s.gpuLayers !== undefined ? undefined
    : fitDevices > 1 && userSplit ? '-ts is set' : fitDevices > 1 && mode === 'row' ? '--split-mode row spreads the weights' : undefined;
  let fitNote: string | undefined;
  if (s.fit && excess(ctx, ngl) > 0) {
    const minCtx = 4096 * fitStreams;
    if (s.contextLength === undefined && ctx > minCtx) {
      // Shrink the context (multiples of 256 × streams, not below 4,096 × streams) to the largest that meets the margin.
      let lo = minCtx, hi = ctx;
      if (excess(lo, ngl) <= 0) {
        while (hi - lo > align) { const mid = Math.ceil(Math.floor((lo + hi) / 2) / align) * align; if (mid >= hi) break; if (excess(mid, ngl) <= 0) lo = mid; else hi = mid; }
        fitNote = `--fit: context reduced from ${ctx} to ${lo} to leave ${Math.round(s.fitMarginBytes / MiB)} MiB free`;
        ctx = lo;
      } else ctx = minCtx;
    }
    if (excess(ctx, ngl) > 0 && layersFixed) {
      fitNote = `${fitNote ? `${fitNote}; ` : ''}--fit moves no layers when ${layersFixed} (common/fit.cpp aborts): all ${Math.min(ngl, nLayer + 1)} stay on the GPUs`;
    }
    if (excess(ctx, ngl) > 0 && s.gpuLayers === undefined && !layersFixed) {
      let n = ngl;
      while (n > 0 && excess(ctx, n) > 0) n--;
      fitNote = `${fitNote ? `${fitNote}; ` : ''}--fit: ${Math.min(n, nLayer)} of ${nLayer} layers on the GPU${gpuCount > 1 ? 's' : ''}${n > nLayer ? ' with the output layer' : ''}, context ${ctx}`;
      ngl = n;
    }
  }
  const p = place(model, w, settings, ctx, slots, unified, ngl, split);
  let most = 0;
  p.gpus.forEach((g, i) => { if (g.usedBytes > p.gpus[most].usedBytes) most = i; });
  const g = p.gpus[most];
  const fits = p.gpus.every((x) => x.usedBytes <= free);
  const weightsFit = p.gpus.every((x) => x.weightBytes <= free);
  const kvPerToken = model.layers.reduce((t, l) => t + llamaLayerKvBytesPerCell(l, s.cacheTypeK, s.cacheTypeV), 0);
  const perSlot = llamaContextPerStream(ctx, slots, unified);
  const cells = unified ? perSlot : perSlot * slots;
  const kvGpu = p.gpus.reduce((t, x) => t + x.kvBytes, 0);
  const rank: RankBudget = {
    stage: 0, layers: [], layerCount: nLayer, loraBytes: 0, totalBytes: free, requestedBytes: target,
    weightBytes: g.weightBytes, activationPeakBytes: g.computeBytes, nonTorchBytes: 0, cudaGraphBytes: 0,
    availableKvBytes: g.kvBytes, kvBytesPerToken: kvPerToken, stateBytesPerSequence: g.stateBytes,
    numBlocks: cells, numGroups: 1, blocksPerRequest: perSlot, neededBytes: kvGpu + p.kvCpu,
  };
  // When it does not fit: the longest context (256 steps) that would, at these layers, with nothing left to spare.
  let longest = cells;
  if (!fits) {
    const over = (c: number): boolean => place(model, w, settings, c, slots, unified, ngl, split).gpus.some((x) => x.usedBytes > free);
    let lo = 0, hi = ctx;
    while (hi - lo > 256) { const mid = pad(Math.floor((lo + hi) / 2), 256); if (mid >= hi) break; if (over(mid)) hi = mid; else lo = mid; }
    longest = lo > 0 && !over(lo) ? (unified ? lo : llamaContextPerStream(lo, slots, false) * slots) : 0;
  }
  const where = gpuCount > 1 ? `GPU ${most} of ${gpuCount} (${acc.name})` : acc.name;
  const errorMessage = fits ? undefined
    : `needs ${(g.usedBytes / MiB).toFixed(2)} MiB on ${where} (model ${(g.weightBytes / MiB).toFixed(2)}, KV ${(g.kvBytes / MiB).toFixed(2)}, compute ${(g.computeBytes / MiB).toFixed(2)}) but ${(free / MiB).toFixed(0)} MiB is free: llama.cpp fails with "cudaMalloc failed: out of memory" at load or on the first prompt`;
  return {
    ranks: [rank], reported: rank, binding: rank, numBlocks: cells, kvCacheTokens: cells,
    maxConcurrency: slots, fits, weightsFit, estimatedMaxModelLen: longest, errorMessage,
    resolved: { contextLength: cells, parallel: slots, gpuLayers: Math.min(ngl, nLayer + 1), unified, computeBufferBytes: g.computeBytes, fitNote, contextPerSlot: perSlot, perGpu: p.gpus, mostLoadedGpu: most },
  };
}

// ---------------------------------------------------------------------------
// Ollama's own rules around llama.cpp.

/**
 * What `OLLAMA_GPU_OVERHEAD` (bytes per GPU, envconfig/config.go `Uint64("OLLAMA_GPU_OVERHEAD", 0)`; a value that is
 * not a whole number is ignored with a warning) does in a release:
 * - `placement` (before 0.30, when Ollama placed the layers itself): llm/server.go `buildLayout` takes
 *   `FreeMemory × backoff + MinimumMemory() (457 MiB on CUDA/ROCm, ml/device.go) + GpuOverhead() + graph` off each
 *   GPU before assigning layers, so the overhead is memory the model may not use;
 * - `default-context` (0.30+, where llama-server's `--fit` places the layers: llm/llama_server.go passes no margin
 *   for it): the overhead only lowers the VRAM total that picks the default num_ctx (server/routes.go, summed over
 *   the GPUs, each `TotalMemory − GpuOverhead()`) and the "available" figure the scheduler logs (server/sched.go).
 * `latest` and unversioned Ollama use the newest rules.
 */
export function ollamaGpuOverheadRule(version: string | undefined): 'placement' | 'default-context' {
  const m = version ? /^v?(\d+)\.(\d+)/.exec(version) : null;
  if (!m) return 'default-context';
  const [major, minor] = [Number(m[1]), Number(m[2])];
  return major === 0 && minor < 30 ? 'placement' : 'default-context';
}

/**
 * Ollama's default num_ctx (v0.15.5+, server/routes.go): the GPUs' total memory, each less `OLLAMA_GPU_OVERHEAD`,
 * ≥ 47 GiB → 262,144; ≥ 23 GiB → 32,768; else 4,096 (the thresholds sit just under 48 and 24 GiB on purpose).
 * Example: one 24 GiB card → 32,768; with OLLAMA_GPU_OVERHEAD=2147483648 (2 GiB) it counts 22 GiB → 4,096.
 */
export function ollamaDefaultNumCtx(totalBytesPerGpu: number, gpus: number, overheadBytes = 0): number {
  const total = Math.max(0, totalBytesPerGpu - overheadBytes) * Math.max(1, gpus);
  return total >= 47 * GiB ? 262144 : total >= 23 * GiB ? 32768 : 4096;
}
