// Shared types of the budget engine. Pure data: no vscode import, no I/O.

import type { SpeculativeFigures } from './speculative';

export type Severity = 'error' | 'warning' | 'information';

/** A finding about a model or deployment, in words a user can act on. */
export interface BudgetDiagnostic {
  severity: Severity;
  /** Stable machine-readable code, e.g. `kv-does-not-fit`. */
  code: string;
  message: string;
  /** Which input is responsible (`maxModelLen`, `tensorParallel`, `gpu`, `kvCacheDtype`, ...). */
  subject?: keyof BudgetInputs | 'model';
  /** A suggested value for `subject`, used by quick fixes. */
  suggestedValue?: number | string;
}

/** Weight storage formats the engine knows how to size. */
export type WeightDtype =
  | 'float32' | 'bfloat16' | 'float16'
  | 'fp8' | 'int8' | 'int4' | 'int3' | 'int2' | 'nf4' | 'mxfp4' | 'nvfp4'
  | 'q4_0' | 'q4_1' | 'q4_k_m' | 'q5_k_m' | 'q6_k' | 'q8_0';

export type KvCacheDtype = 'auto' | 'bfloat16' | 'float16' | 'float32' | 'fp8';

/** Everything a deployment can say; every field is optional and defaults like vLLM. */
export interface BudgetInputs {
  /** GPU name or alias (`H100`, `NVIDIA-A100-SXM4-80GB`, `g5.xlarge`). Default: H100 SXM. */
  gpu?: string;
  /** GPUs available to the deployment (defaults to tp * pp). */
  gpuCount?: number;
  tensorParallel?: number;
  pipelineParallel?: number;
  /** Longest request in tokens; -1 = vLLM's `auto` (the longest that fits). */
  maxModelLen?: number;
  gpuMemoryUtilization?: number;
  maxNumBatchedTokens?: number;
  maxNumSeqs?: number;
  /** Activation dtype (`auto`, `bfloat16`, `float16`, `float32`). */
  dtype?: string;
  /** Quantization override: `fp8`, `int8`, `int4`, `awq`, `gptq`, `mxfp4`, `nvfp4`, GGUF types, or a checkpoint method name. */
  quantization?: string;
  kvCacheDtype?: string;
  /** `vllm@0.19.0`, `vllm` (default version). */
  engine?: string;
  blockSize?: number;
  /** Decode batch size for throughput figures (default 1). */
  batch?: number;
  /** Context length attended during decode (default: min(maxModelLen, 1024)... see throughput). */
  context?: number;
  /** Prompt length for prefill time (default 1024). */
  prompt?: number;
  /** Speculative decoding drafter: `mtp`, `eagle`, `eagle3`, `ngram`, `draft` (vLLM's `method`, SGLang's algorithm). */
  speculativeMethod?: string;
  /** Tokens drafted per step (`num_speculative_tokens`, SGLang's `--speculative-num-steps`). Default 1. */
  speculativeTokens?: number;
  /** The drafter's model (`--speculative-config` `"model"`): an EAGLE head or a draft model, sized from its config when given. */
  speculativeModel?: string;
  /** Probability that a drafted token is accepted (default: a published figure where one exists, cited). */
  acceptanceRate?: number;
  /** Tokens at the start of prompts that requests share (a system prompt, few-shot examples): the prefix cache's lever. */
  prefixTokens?: number;
  /** Share of requests whose prefix is found in the cache (default 1 when prefixTokens is given). */
  prefixHitRate?: number;
  /** Price of one GPU for one hour, in the user's currency; the cost figures appear only when it is given. */
  pricePerGpuHour?: number;
  /** `--enforce-eager`: no CUDA graphs, nothing reserved for them. */
  enforceEager?: boolean;
  /** `--kv-cache-memory-bytes`: KV cache bytes per GPU, used instead of what the utilization leaves. */
  kvCacheMemoryBytes?: number;
  /** `--num-gpu-blocks-override`: KV blocks allocated whatever memory is free. */
  numGpuBlocksOverride?: number;
  /** `--cpu-offload-gb`: GiB of weights per GPU kept in CPU memory. */
  cpuOffloadGb?: number;
  /** Nodes the GPUs are spread over (LeaderWorkerSet size, Ray across machines); default 1. */
  nodes?: number;
  /** The GPUs' link when it differs from the catalog's (`nvswitch`, `nvlink`, `pcie-p2p`, `pcie`). */
  interconnect?: string;
  /** llama.cpp `-ngl`: layers on the GPU (default: all, lowered by --fit). */
  gpuLayers?: number;
  /** llama.cpp `-fa`: flash attention (default on). */
  flashAttention?: boolean;
  /** llama.cpp `-ub`: tokens per micro-batch (default 512). */
  ubatch?: number;
  /** llama.cpp `--fit` (default on). */
  fit?: boolean;
  /** llama.cpp `-ts 3,1`: each GPU's proportion of the layers (default: by free memory, equal for identical GPUs). */
  tensorSplit?: string;
  /** llama.cpp `--kv-unified`: one KV buffer shared by every slot (default: only when -np is auto). */
  kvUnified?: boolean;
  /** llama.cpp `-sm none|layer|row`: how the model is spread over several GPUs (default layer). */
  splitMode?: string;
  /** llama.cpp `-mg`: the GPU of `--split-mode none` (default 0). */
  mainGpu?: number;
  /** Ollama `OLLAMA_GPU_OVERHEAD`: bytes held back on each GPU (default 0). */
  gpuOverheadBytes?: number;
  /** vLLM `VLLM_USE_FLASHINFER_SAMPLER`: 1 = the FlashInfer top-k/top-p sampler, 0 = not (default: the release's). */
  flashinferSampler?: boolean;
  /** `--enable-lora`, `--max-loras`, `--max-lora-rank`: LoRA adapter weights reserved on the GPU. */
  enableLora?: boolean;
  maxLoras?: number;
  maxLoraRank?: number;
  /** vLLM `--max-cpu-loras`: adapters cached in CPU memory (no GPU memory; at least max_loras). */
  maxCpuLoras?: number;
  /** vLLM `--limit-mm-per-prompt` JSON (`{"image": 0, "video": 0}`): 0 for every modality of a tower leaves it unloaded. */
  limitMmPerPrompt?: string;
  /** vLLM `--swap-space` GiB: V0's CPU swap space; no GPU memory; refused from 0.18. */
  swapSpace?: number;
  /** vLLM `--calculate-kv-scales`: fp8 KV scales computed on the first pass; no GPU memory; refused from 0.26. */
  calculateKvScales?: boolean;
}

/** Files found beside a config.json that refine the estimate. */
export interface ModelFiles {
  config: unknown;
  /** `model.safetensors.index.json` (its metadata.total_size is exact stored bytes). */
  safetensorsIndex?: unknown;
  /** `pytorch_model.bin.index.json`. */
  pytorchIndex?: unknown;
  /** `quantize_config.json` (GPTQ/AWQ repos). */
  quantizeConfig?: unknown;
  /** `hf_quant_config.json` (NVIDIA ModelOpt). */
  hfQuantConfig?: unknown;
  /** A display name when the config has none (e.g. the folder name). */
  nameHint?: string;
  /** The tensors of a GGUF file (exact bytes each), when the model comes from one. */
  ggufTensors?: ReadonlyArray<{ name: string; bytes: number; type: string; dims?: readonly number[] }>;
  /** The GGUF file's own type (`Q4_K_M`), for what the report calls its weights. */
  ggufFileType?: string;
}

/** One accelerator of the hardware catalog (schemas/hardware-catalog.schema.json). */
export interface Accelerator {
  /** Stable id, e.g. `h100-sxm`. */
  id: string;
  /** Display name, e.g. `NVIDIA H100 SXM 80GB`. */
  name: string;
  vendor: 'nvidia' | 'amd' | 'apple' | 'intel' | 'google';
  /** Marketed memory capacity, GB as sold (decimal or binary as the vendor states it), in bytes. */
  memoryBytes: number;
  /** Memory the runtime reports as total (CUDA `mem_get_info`), in GiB: an "80 GB" H100 shows 79.19. */
  visibleMemoryGiB: number;
  /** Peak DRAM/HBM bandwidth, bytes per second. */
  memoryBandwidthBytesPerSecond: number;
  /** Dense (not sparse) peak FLOP/s per data type; absent when the hardware has no such path. */
  flopsPerSecond: {
    fp32?: number; tf32?: number; bf16?: number; fp16?: number; fp8?: number; int8?: number; fp4?: number;
  };
  /**
   * How GPUs of a node talk: `nvswitch` (all-to-all NVLink), `nvlink` (bridged pairs), `pcie-p2p` (PCIe with
   * peer-to-peer), `pcie` (no P2P), `unified` (one package, shared memory), or a vendor fabric.
   */
  interconnect: { kind: string; bandwidthBytesPerSecond: number };
  /** CPU and GPU share one memory (GB10, Jetson, Apple): the runtime reports no separate GPU memory. */
  unifiedMemory?: boolean;
  /** NVIDIA compute capability (`9.0` Hopper, `10.0` Blackwell, `8.0` Ampere): picks kernels and their layouts. */
  computeCapability?: string;
  /** Names deployments use: nvidia-smi names, Kubernetes product labels, GKE names, instance types, short forms. */
  aliases: string[];
  /** Where the figures come from (datasheet URL or title). */
  source: string;
  /** For cloud instance aliases: how many of this accelerator the instance type has. */
  instanceGpuCounts?: Record<string, number>;
}

export type AcceleratorLookup =
  | { ok: true; accelerator: Accelerator; /** GPUs implied by an instance-type alias. */ impliedGpuCount?: number }
  | { ok: false; message: string; closest: string[] };

export type BoundRegime = 'memory' | 'compute';

export interface RooflinePoint {
  label: string;
  flops: number;
  bytes: number;
  /** FLOPs per byte moved. */
  arithmeticIntensity: number;
  /** min(peak, intensity * bandwidth). */
  attainableFlopsPerSecond: number;
  seconds: number;
  bound: BoundRegime;
}

export interface ExpectedSpeed {
  tokensPerSecondPerRequest: number;
  tokensPerSecondTotal: number;
  /** Per request, the fit's spread. */
  low: number;
  high: number;
  /** The engine family and hardware class whose coefficients apply (`llama.cpp-cuda|consumer`). */
  basis: string;
}

/** The whole answer for one model on one deployment. Byte figures are bytes; per-GPU figures are per rank. */
export interface BudgetReport {
  model: {
    name: string;
    architecture: string;
    family: string;
    parametersTotal: number;
    parametersActive: number;
    /** Stored weight bytes of the whole model (all ranks together). */
    weightBytes: number;
    weightDtype: WeightDtype;
    /** Whole model, per token, TP=1, chosen KV dtype, every attention layer counted, sliding layers not capped. */
    kvBytesPerToken: number;
    /** Bytes of per-sequence state that does not grow with tokens (Mamba layers). */
    stateBytesPerSequence: number;
    maxPositionEmbeddings?: number;
    numLayers: number;
    /** How many numbers came from library defaults or assumptions rather than the config. */
    assumptions: string[];
  };
  hardware: { id: string; name: string; count: number; memoryBandwidthBytesPerSecond: number; visibleMemoryGiB: number };
  settings: {
    engine: string;
    engineVersion: string;
    tensorParallel: number;
    pipelineParallel: number;
    maxModelLen: number;
    gpuMemoryUtilization: number;
    maxNumBatchedTokens: number;
    maxNumSeqs: number;
    kvCacheDtype: KvCacheDtype;
    /** llama.cpp's cache type (`-ctk` / `-ctv`: f16, q8_0, q4_0, …). */
    llamaCacheType?: string;
    blockSize: number;
    batch: number;
    context: number;
    prompt: number;
  };
  perGpu: {
    totalMemoryBytes: number;
    requestedMemoryBytes: number;
    weightBytes: number;
    activationPeakBytes: number;
    nonTorchBytes: number;
    cudaGraphBytes: number;
    /** True when the CUDA-graph estimate is subtracted before sizing the KV cache (version-dependent). */
    cudaGraphSubtracted: boolean;
    /** LoRA adapter slots preallocated on this rank (`--enable-lora`), included in `weightBytes`. */
    loraBytes: number;
    /** llama.cpp: the compute buffer on the GPU (also in `activationPeakBytes`). */
    computeBufferBytes?: number;
    /**
     * llama.cpp over several GPUs (`-ts`, or equal shares): what each GPU holds (its repeating layers, whether the output
     * layer is on it, and its bytes: weights + KV + recurrent state + compute buffer). The other per-GPU figures are
     * the most loaded GPU's (`mostLoadedGpu`).
     */
    split?: { gpu: number; layers: number; output: boolean; bytes: number; weightBytes: number; kvBytes: number }[];
    /** llama.cpp over several GPUs: the index of the most loaded GPU, the one the per-GPU figures describe. */
    mostLoadedGpu?: number;
    kvCacheBytes: number;
    /** KV bytes per token held on this rank (TP-divided, replicated heads, MLA undivided). */
    kvBytesPerToken: number;
  };
  capacity: {
    /**
     * The deployment's verdict (the same as `verdict.fits`): false whenever an error stands (heads or KV heads not
     * divisible by TP, too few GPUs, max_model_len above the model's limit, weights that do not fit, ...) or one
     * request of max_model_len does not fit in the KV cache. The KV facts are `contextFits` and `kvCacheTokens`.
     */
    fits: boolean;
    /** One request of max_model_len fits in the KV cache (vLLM's startup check), whatever else stands. */
    contextFits: boolean;
    weightsFit: boolean;
    numBlocks: number;
    /** vLLM's "GPU KV cache size: N tokens". */
    kvCacheTokens: number;
    /** vLLM's "Maximum concurrency for max_model_len tokens per request". */
    maxConcurrency: number;
    maxModelLen: number;
    /** Largest max_model_len for which one request fits (vLLM's estimate in its error). */
    estimatedMaxModelLen: number;
    /** KV bytes one request of maxModelLen tokens needs on one rank. */
    kvBytesPerRequest: number;
    /** llama.cpp: layers on the GPU (the output layer counts as one). */
    gpuLayers?: number;
  };
  decode: {
    batch: number;
    context: number;
    secondsPerStep: number;
    tokensPerSecondPerRequest: number;
    tokensPerSecondTotal: number;
    /** Bytes read per step on one rank. */
    bytesPerStep: number;
    weightBytesPerStep: number;
    kvBytesPerStep: number;
    flopsPerStep: number;
    bound: BoundRegime;
    /** With speculative decoding configured and an acceptance rate known: the lifted figures. */
    speculative?: SpeculativeFigures;
    /** The smallest batch whose step is compute-bound at this context; absent when none is (up to a million). */
    computeBoundFromBatch?: number;
    /**
     * What to expect, beside the ceiling above: the engine family's achievable bandwidth and fixed costs (fitted on
     * published batch-1 measurements), all-reduces and pipeline hand-offs; low/high span the fit's 10th–90th
     * percentile, per request.
     */
    expected: ExpectedSpeed;
  };
  /**
   * Present when a price per GPU-hour is given: every GPU the deployment holds, paid for the time the expected
   * decode takes to emit a million tokens, at the chosen batch and at the most requests the KV cache holds at the
   * decode context (`--max-num-seqs` caps it).
   */
  cost?: {
    pricePerGpuHour: number;
    gpus: number;
    perMillionOutputTokens: number;
    atFullConcurrency: { batch: number; perMillionOutputTokens: number };
  };
  prefill: {
    promptTokens: number; seconds: number; flops: number; bound: BoundRegime;
    /**
     * Expected prefill time (time to first token) at an assumed 60 % of peak FLOP/s plus the fixed costs. Not
     * calibrated: there are no prefill measurements to fit, so no band is given (`basis` says so).
     */
    expected: {
      seconds: number;
      /** Prompt tokens over `seconds`. */
      tokensPerSecond: number;
      /** What the figure rests on, for labels: the assumed compute fraction and that it is uncalibrated. */
      basis: string;
      /**
       * With `prefixTokens` shared and the prefix cache on: the time when the prefix is found, and the mean over
       * requests at the hit rate.
       */
      cachedPrefix?: { tokens: number; hitRate: number; secondsOnHit: number; meanSeconds: number };
    };
  };
  roofline: {
    peakFlopsPerSecond: number;
    computeDtype: string;
    memoryBandwidthBytesPerSecond: number;
    ridgePointFlopsPerByte: number;
    prefill: RooflinePoint;
    decode: RooflinePoint;
  };
  diagnostics: BudgetDiagnostic[];
  /**
   * One verdict per deployment, computed once here and shown alike by diagnostics, hover, CodeLens, panel and
   * `check`: `fits` is false whenever an error stands; `blocking` lists the findings that keep it from starting
   * (the errors, and the model's own context not fitting, a warning in words), in the order of `diagnostics`.
   */
  verdict: { fits: boolean; blocking: BudgetDiagnostic[] };
}

/** Result of `computeBudget`: a report, or a clear statement of why none can be made. */
export type BudgetResult =
  | { ok: true; report: BudgetReport }
  | { ok: false; unsupported: string; diagnostics: BudgetDiagnostic[] };
