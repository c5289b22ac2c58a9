/**
 * The twin's physics: pure functions from (model, GPU, config, faults) to memory, step time and startup time.
 * No clock, no I/O. Every constant here is named and documented; the unit tests check the formulas.
 *
 * ## Limits (vLLM's defaults for `vllm serve`, V1 engine)
 * - max_model_len = the model's max context unless given; larger than it is an error (as in vLLM).
 * - max_num_seqs = 1024 and max_num_batched_tokens = 8192 on GPUs with ≥ 70 GiB, else 256 and 2048.
 * - max_num_batched_tokens < max_num_seqs is an error, and so is a tensor parallel size that does not divide
 *   the attention heads (as in vLLM).
 *
 * ## Memory at startup (per GPU; vLLM: gpu_worker.py determine_available_memory, kv_cache_utils.py)
 *   total      = GPU memory as the driver reports it
 *   free       = total − memory used by other processes (other twins on the same device, --other-memory-gib,
 *                memory_hog faults active at t=0)
 *   requested  = gpu_memory_utilization × total
 *   1. free < requested                        → "Free memory on device (free/total GiB) on startup is less than
 *                                                 desired GPU memory utilization (util, requested GiB) ..."
 *   2. weights ÷ TP > free                     → torch.OutOfMemoryError while loading weights
 *   3. kv_available = requested − weights÷TP − activation_peak − non_torch − cuda_graph
 *        activation_peak = activation_bytes_per_token × max_num_batched_tokens   (the profiling run)
 *        non_torch       = 0.40 GiB (CUDA context, allocator) + 0.25 GiB NCCL buffers when TP > 1
 *        cuda_graph      = 0 with --enforce-eager, else capture_sizes × 6 MiB × layers/32, where
 *                          capture_sizes = 3 + min(2 × max_num_seqs, 512) / 8   (vLLM's [1, 2, 4, 8, 16, ...])
 *      kv_available ≤ 0                        → "No available memory for the cache blocks. ..."
 *   4. kv_bytes_per_token = 2 (K and V) × layers × kv_heads × head_dim × dtype_bytes ÷ TP  (bf16: 2, fp8: 1)
 *      page = block_size × kv_bytes_per_token;  num_blocks = floor(kv_available ÷ page)
 *      needed = ceil(max_model_len ÷ block_size) × page;  needed > kv_available
 *                                              → "To serve at least one request with the model's max seq len ..."
 *                                                 with estimated max len = floor(kv_available ÷ page) × block_size
 *   GPU KV cache size = num_blocks × block_size tokens;
 *   Maximum concurrency = num_blocks ÷ ceil(max_model_len ÷ block_size)
 *
 * ## Memory at run time (runtime OOM)
 * The process keeps `resident = requested − activation_peak` (weights, KV cache, graphs, non-torch) plus any
 * leak; each step allocates activation = activation_bytes_per_token × tokens in the step. The step fails with
 * `torch.OutOfMemoryError` when others(t) + resident + leak(t) + activation > total. With no fault this never
 * happens (the startup check guarantees the headroom); a memory_hog or leak fault eats the headroom.
 *
 * ## Step time (roofline, seconds of model time)
 *   compute = 2 × params ÷ TP × tokens_in_step ÷ (bf16_flops × MFU)               MFU = 0.5
 *   memory  = (weights ÷ TP + kv_bytes_per_token(TP=1) ÷ TP × context_tokens_read) ÷ (bandwidth × MBU)   MBU = 0.8
 *   step    = (max(compute, memory) + overhead) × slowdown
 *   overhead = 2 ms (CUDA graphs) or 2 ms + 0.12 ms × layers (--enforce-eager, kernel launches)
 *              + 2 × layers × 15 µs all-reduce when TP > 1
 * Prefill is compute-bound, decode bandwidth-bound; prefix-cache hits skip prefill tokens (scheduler).
 *
 * ## Startup time (model seconds until /health answers)
 *   2 s engine init + weights ÷ TP ÷ 8 GB/s (warm page cache) + 1 s profiling
 *   + (enforce_eager ? 0 : 1 s + 0.03 s × capture_sizes)
 */
import { GiB, type GpuProfile, MiB, type ModelProfile } from './catalogue.js';

export const MFU = 0.5;
export const MBU = 0.8;
export const NON_TORCH_BYTES = 0.4 * GiB;
export const NCCL_BYTES = 0.25 * GiB;
export const GRAPH_BYTES_PER_CAPTURE = 6 * MiB;
export const STEP_OVERHEAD_S = 0.002;
export const EAGER_OVERHEAD_PER_LAYER_S = 0.00012;
export const ALLREDUCE_PER_LAYER_S = 0.000015;
export const LOAD_BYTES_PER_S = 8e9;

export interface EngineShape {
  maxNumSeqs?: number;
  maxNumBatchedTokens?: number;
  maxModelLen?: number;
  blockSize: number;
  gpuMemoryUtilization: number;
  kvCacheDtype: 'auto' | 'fp8';
  enforceEager: boolean;
  tensorParallelSize: number;
}

export interface Limits {
  maxNumSeqs: number;
  maxNumBatchedTokens: number;
  maxModelLen: number;
  blockSize: number;
}

export type ConfigError = { kind: 'config'; message: string };

/** vLLM's defaults and its config errors (limits that contradict each other or the model). */
export function resolveLimits(shape: EngineShape, model: ModelProfile, gpu: GpuProfile): Limits | ConfigError {
  const big = gpu.memoryBytes >= 70 * GiB;
  const maxNumSeqs = shape.maxNumSeqs ?? (big ? 1024 : 256);
  const maxNumBatchedTokens = shape.maxNumBatchedTokens ?? (big ? 8192 : 2048);
  const maxModelLen = shape.maxModelLen ?? model.maxContext;
  if (maxModelLen > model.maxContext) {
    return {
      kind: 'config',
      message:
        `ValueError: User-specified max_model_len (${maxModelLen}) is greater than the derived max_model_len ` +
        `(max_position_embeddings=${model.maxContext} or model_max_length=None in model's config.json). ` +
        'To allow overriding this maximum, set the env var VLLM_ALLOW_LONG_MAX_MODEL_LEN=1. VLLM_ALLOW_LONG_MAX_MODEL_LEN ' +
        'must be used with extreme caution. If the model uses relative position encoding (RoPE), positions exceeding ' +
        'derived_max_model_len lead to nan. If the model uses absolute position encoding, positions exceeding ' +
        'derived_max_model_len will cause a CUDA array out-of-bounds error.',
    };
  }
  if (model.heads % shape.tensorParallelSize !== 0) {
    return {
      kind: 'config',
      message:
        `ValueError: Total number of attention heads (${model.heads}) must be divisible by tensor parallel size ` +
        `(${shape.tensorParallelSize}).`,
    };
  }
  if (maxNumBatchedTokens < maxNumSeqs) {
    return {
      kind: 'config',
      message:
        `ValueError: max_num_batched_tokens (${maxNumBatchedTokens}) must be greater than or equal to ` +
        `max_num_seqs (${maxNumSeqs}).`,
    };
  }
  return { maxNumSeqs, maxNumBatchedTokens, maxModelLen, blockSize: shape.blockSize };
}

/** KV bytes per token on one GPU: 2 × layers × kv_heads × head_dim × dtype bytes ÷ TP. */
export function kvBytesPerToken(model: ModelProfile, dtype: 'auto' | 'fp8', tp: number): number {
  const dtypeBytes = dtype === 'fp8' ? 1 : 2;
  return (2 * model.layers * model.kvHeads * model.headDim * dtypeBytes) / tp;
}

export function captureSizes(maxNumSeqs: number): number {
  return 3 + Math.floor(Math.min(2 * maxNumSeqs, 512) / 8);
}

export function cudaGraphBytes(model: ModelProfile, limits: Limits, enforceEager: boolean): number {
  if (enforceEager) return 0;
  return captureSizes(limits.maxNumSeqs) * GRAPH_BYTES_PER_CAPTURE * (model.layers / 32);
}

export function activationBytes(model: ModelProfile, tokens: number, tp: number): number {
  return (model.activationBytesPerToken * tokens) / tp;
}

export type StartupFailureKind = 'free_memory' | 'weights_oom' | 'no_kv_memory' | 'max_model_len' | 'config';

export interface MemoryPlan {
  totalBytes: number;
  freeBytes: number;
  requestedBytes: number;
  weightsBytes: number;
  activationPeakBytes: number;
  nonTorchBytes: number;
  cudaGraphBytes: number;
  kvAvailableBytes: number;
  kvBytesPerToken: number;
  numBlocks: number;
  kvTokens: number;
  maxConcurrency: number;
  /** bytes the process holds between steps (everything but the transient activation) */
  residentBytes: number;
  failure?: { kind: StartupFailureKind; message: string; estimatedMaxModelLen?: number };
}

const gibRound = (bytes: number) => pyFloat(Math.round((bytes / GiB) * 100) / 100);
/** Python's repr of a float: 8 → "8.0", 6.9 → "6.9". */
export function pyFloat(n: number): string {
  return Number.isInteger(n) ? `${n}.0` : String(n);
}
/** vLLM's format_gib: two decimals. */
export function formatGib(bytes: number): string {
  return (bytes / GiB).toFixed(2);
}

/** vLLM's startup memory accounting (see the module doc). */
export function planMemory(input: {
  model: ModelProfile;
  gpu: GpuProfile;
  shape: EngineShape;
  limits: Limits;
  othersBytes: number;
}): MemoryPlan {
  const { model, gpu, shape, limits } = input;
  const tp = shape.tensorParallelSize;
  const totalBytes = gpu.memoryBytes;
  const freeBytes = Math.max(0, totalBytes - input.othersBytes);
  const requestedBytes = shape.gpuMemoryUtilization * totalBytes;
  const weightsBytes = model.weightBytes / tp;
  const activationPeakBytes = activationBytes(model, limits.maxNumBatchedTokens, tp);
  const nonTorchBytes = NON_TORCH_BYTES + (tp > 1 ? NCCL_BYTES : 0);
  const graphBytes = cudaGraphBytes(model, limits, shape.enforceEager);
  const kvAvailableBytes = requestedBytes - weightsBytes - activationPeakBytes - nonTorchBytes - graphBytes;
  const perToken = kvBytesPerToken(model, shape.kvCacheDtype, tp);
  const page = limits.blockSize * perToken;
  const numBlocks = Math.max(0, Math.floor(kvAvailableBytes / page));
  const blocksPerSeq = Math.ceil(limits.maxModelLen / limits.blockSize);
  const plan: MemoryPlan = {
    totalBytes,
    freeBytes,
    requestedBytes,
    weightsBytes,
    activationPeakBytes,
    nonTorchBytes,
    cudaGraphBytes: graphBytes,
    kvAvailableBytes,
    kvBytesPerToken: perToken,
    numBlocks,
    kvTokens: numBlocks * limits.blockSize,
    maxConcurrency: numBlocks / blocksPerSeq,
    residentBytes: weightsBytes + nonTorchBytes + graphBytes + numBlocks * page,
  };
  if (freeBytes < requestedBytes) {
    plan.failure = {
      kind: 'free_memory',
      message:
        `ValueError: Free memory on device (${gibRound(freeBytes)}/${gibRound(totalBytes)} GiB) on startup is less ` +
        `than desired GPU memory utilization (${pyFloat(shape.gpuMemoryUtilization)}, ${gibRound(requestedBytes)} ` +
        'GiB). Decrease GPU memory utilization or reduce GPU memory used by other processes.',
    };
    return plan;
  }
  if (weightsBytes > freeBytes) {
    plan.failure = {
      kind: 'weights_oom',
      message: torchOomMessage(weightsBytes - freeBytes + 256 * MiB, totalBytes, Math.max(0, freeBytes - weightsBytes)),
    };
    return plan;
  }
  if (kvAvailableBytes <= 0) {
    plan.failure = {
      kind: 'no_kv_memory',
      message:
        'ValueError: No available memory for the cache blocks. Try increasing `gpu_memory_utilization` when ' +
        'initializing the engine. See https://docs.vllm.ai/en/latest/configuration/conserving_memory/ for more details.',
    };
    return plan;
  }
  const needed = blocksPerSeq * page;
  if (needed > kvAvailableBytes) {
    const estimated = Math.min(limits.maxModelLen, Math.floor(kvAvailableBytes / page) * limits.blockSize);
    const estimatedMsg =
      estimated > 0 ? `Based on the available memory, the estimated maximum model length is ${estimated}. ` : '';
    plan.failure = {
      kind: 'max_model_len',
      estimatedMaxModelLen: estimated,
      message:
        `ValueError: To serve at least one request with the model's max seq len (${limits.maxModelLen}), ` +
        `(${formatGib(needed)} GiB KV cache is needed, which is larger than the available KV cache memory ` +
        `(${formatGib(kvAvailableBytes)} GiB). ${estimatedMsg}Try increasing \`gpu_memory_utilization\` or ` +
        'decreasing `max_model_len` when initializing the engine. ' +
        'See https://docs.vllm.ai/en/latest/configuration/conserving_memory/ for more details.',
    };
  }
  return plan;
}

/** torch's CUDA OOM message (the first sentence is what log parsers match). */
export function torchOomMessage(tryBytes: number, totalBytes: number, freeBytes: number): string {
  const size = (b: number) => (b >= GiB ? `${(b / GiB).toFixed(2)} GiB` : `${(b / MiB).toFixed(2)} MiB`);
  return (
    `torch.OutOfMemoryError: CUDA out of memory. Tried to allocate ${size(tryBytes)}. GPU 0 has a total capacity ` +
    `of ${size(totalBytes)} of which ${size(freeBytes)} is free. Of the allocated memory ${size(
      Math.max(0, totalBytes - freeBytes),
    )} is allocated by PyTorch. If reserved but unallocated memory is large try setting ` +
    'PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True to avoid fragmentation.'
  );
}

export interface StepShape {
  /** tokens computed in the step: prefill chunks + one per decoding sequence */
  tokens: number;
  /** context tokens whose KV the step reads (sum over scheduled sequences) */
  contextTokens: number;
}

export interface StepContext {
  model: ModelProfile;
  gpu: GpuProfile;
  tensorParallelSize: number;
  enforceEager: boolean;
  kvCacheDtype: 'auto' | 'fp8';
  /** slowdown fault factor (1 = none) */
  slowdown: number;
}

export function stepOverheadS(ctx: Pick<StepContext, 'model' | 'enforceEager' | 'tensorParallelSize'>): number {
  let s = STEP_OVERHEAD_S;
  if (ctx.enforceEager) s += EAGER_OVERHEAD_PER_LAYER_S * ctx.model.layers;
  if (ctx.tensorParallelSize > 1) s += 2 * ctx.model.layers * ALLREDUCE_PER_LAYER_S;
  return s;
}

/** Roofline step time in model seconds (see the module doc). */
export function stepTimeS(step: StepShape, ctx: StepContext): number {
  const tp = ctx.tensorParallelSize;
  const compute = (2 * (ctx.model.params / tp) * step.tokens) / (ctx.gpu.bf16Flops * MFU);
  const kvRead = kvBytesPerToken(ctx.model, ctx.kvCacheDtype, tp) * step.contextTokens;
  const memory = (ctx.model.weightBytes / tp + kvRead) / (ctx.gpu.bandwidth * MBU);
  return (Math.max(compute, memory) + stepOverheadS(ctx)) * ctx.slowdown;
}

/** Model seconds from process start until the server answers (see the module doc). */
export function startupTimeS(model: ModelProfile, limits: Limits, shape: EngineShape): number {
  const load = model.weightBytes / shape.tensorParallelSize / LOAD_BYTES_PER_S;
  const graphs = shape.enforceEager ? 0 : 1 + 0.03 * captureSizes(limits.maxNumSeqs);
  return 2 + load + 1 + graphs;
}

/** Runtime OOM check for one step: the bytes it would try to allocate beyond what is free, or 0. */
export function stepOomShortfall(input: {
  totalBytes: number;
  othersBytes: number;
  residentBytes: number;
  leakBytes: number;
  activationBytes: number;
}): number {
  const used = input.othersBytes + input.residentBytes + input.leakBytes;
  const shortfall = used + input.activationBytes - input.totalBytes;
  return Math.max(shortfall, 0);
}
