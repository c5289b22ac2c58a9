/**
 * The twin's catalogue: model profiles and GPU profiles. The numbers are public specifications (model configs on
 * Hugging Face, vendor data sheets); memory is what the driver reports to torch (`torch.cuda.mem_get_info` total),
 * which is a little less than the marketing size. `activationBytesPerToken` is the twin's stand-in for vLLM's
 * profiling run: peak activation memory per scheduled token (MLP intermediates + logits), chosen so that an 8B
 * model profiles about 1.1 GiB at 8192 batched tokens, as real startup logs show.
 */
import { UsageError } from '../core/errors.js';

export const GiB = 1024 ** 3;
export const MiB = 1024 ** 2;

export interface ModelProfile {
  /** catalogue key, e.g. llama-3.1-8b */
  key: string;
  /** the Hugging Face id vLLM would be given */
  hfId: string;
  /** parameters, for the compute roofline (2 × params FLOPs per token) */
  params: number;
  /** weight bytes at bf16 */
  weightBytes: number;
  layers: number;
  /** attention (query) heads: tensor parallel size must divide them */
  heads: number;
  kvHeads: number;
  headDim: number;
  hiddenSize: number;
  /** the model's max context (max_position_embeddings) — vLLM's default max_model_len */
  maxContext: number;
  activationBytesPerToken: number;
}

export interface GpuProfile {
  key: string;
  /** total memory as the driver reports it, bytes */
  memoryBytes: number;
  /** HBM/GDDR bandwidth, bytes per second */
  bandwidth: number;
  /** dense bf16 tensor throughput, FLOP per second */
  bf16Flops: number;
}

function model(
  key: string,
  hfId: string,
  params: number,
  layers: number,
  heads: number,
  kvHeads: number,
  headDim: number,
  hiddenSize: number,
  maxContext: number,
  activationBytesPerToken: number,
): ModelProfile {
  return {
    key,
    hfId,
    params,
    weightBytes: params * 2,
    layers,
    heads,
    kvHeads,
    headDim,
    hiddenSize,
    maxContext,
    activationBytesPerToken,
  };
}

export const MODELS: readonly ModelProfile[] = [
  model('llama-3.2-1b', 'meta-llama/Llama-3.2-1B-Instruct', 1.236e9, 16, 32, 8, 64, 2048, 131072, 48 * 1024),
  model('llama-3.1-8b', 'meta-llama/Llama-3.1-8B-Instruct', 8.03e9, 32, 32, 8, 128, 4096, 131072, 144 * 1024),
  model('qwen2.5-7b', 'Qwen/Qwen2.5-7B-Instruct', 7.616e9, 28, 28, 4, 128, 3584, 32768, 160 * 1024),
  model('mistral-7b', 'mistralai/Mistral-7B-Instruct-v0.3', 7.248e9, 32, 32, 8, 128, 4096, 32768, 128 * 1024),
  model('llama-3.1-70b', 'meta-llama/Llama-3.1-70B-Instruct', 70.55e9, 80, 64, 8, 128, 8192, 131072, 320 * 1024),
];

function gpu(key: string, memoryMiB: number, bandwidthGBs: number, bf16TFlops: number): GpuProfile {
  return { key, memoryBytes: memoryMiB * MiB, bandwidth: bandwidthGBs * 1e9, bf16Flops: bf16TFlops * 1e12 };
}

export const GPUS: readonly GpuProfile[] = [
  gpu('L4-24GB', 22_563, 300, 121),
  gpu('A100-40GB', 40_337, 1555, 312),
  gpu('A100-80GB', 81_051, 2039, 312),
  gpu('H100-80GB', 81_090, 3350, 989),
  gpu('RTX3090-24GB', 24_135, 936, 71),
  gpu('RTX4090-24GB', 24_082, 1008, 165),
  gpu('RTX3060-12GB', 12_045, 360, 51),
];

export const DEFAULT_GPU = 'L4-24GB';

const norm = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, '');

/**
 * Find a model by catalogue key, Hugging Face id, or a path/name ending in either (vLLM is often given a local
 * directory named after the model). Unknown names are a usage error that lists the catalogue.
 */
export function resolveModel(name: string): ModelProfile {
  const base = name.split('/').pop() ?? name;
  const wanted = [norm(name), norm(base), norm(base.replace(/-instruct$/i, ''))];
  for (const m of MODELS) {
    const names = [norm(m.key), norm(m.hfId), norm(m.hfId.split('/').pop() ?? ''), norm(m.key.replace(/\./g, ''))];
    if (wanted.some((w) => names.includes(w))) return m;
  }
  throw new UsageError(
    `twin: unknown model "${name}"`,
    `the catalogue has ${MODELS.map((m) => `${m.key} (${m.hfId})`).join(', ')}`,
  );
}

export function resolveGpu(name: string): GpuProfile {
  const found = GPUS.find((g) => norm(g.key) === norm(name));
  if (!found) {
    throw new UsageError(`twin: unknown GPU profile "${name}"`, `use one of ${GPUS.map((g) => g.key).join(', ')}`);
  }
  return found;
}
