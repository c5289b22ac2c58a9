/**
 * vLLM's actuators (`vllm serve` flags), as declarative specs. Bounds are the design defaults of issue 7; users
 * narrow or widen them in `tuning.knobs`. `default` is vLLM's own default when the flag is absent, left out
 * where vLLM derives it from the hardware or the model (max_num_batched_tokens, max_model_len).
 */
import type { EngineConfig } from '../../core/types.js';
import type { KnobSpec } from '../engine.js';
import { effectiveValue } from '../knobs.js';

export const VLLM_KNOBS: readonly KnobSpec[] = [
  {
    name: 'gpu_memory_utilization',
    flag: '--gpu-memory-utilization',
    via: 'flag',
    type: 'float',
    min: 0.6,
    max: 0.95,
    step: 0.01,
    default: 0.9,
    description: 'fraction of GPU memory vLLM may use for weights, activations and KV cache',
  },
  {
    name: 'max_num_seqs',
    flag: '--max-num-seqs',
    via: 'flag',
    type: 'int',
    min: 8,
    max: 1024,
    grid: 'pow2_or_mult8',
    default: 256,
    description: 'most sequences scheduled in one step (powers of two and multiples of 8)',
  },
  {
    name: 'max_num_batched_tokens',
    flag: '--max-num-batched-tokens',
    via: 'flag',
    type: 'int',
    min: 512,
    max: 16384,
    step: 256,
    description: 'token budget of one scheduler step (prefill chunks + decodes); never below max_num_seqs',
  },
  {
    name: 'max_model_len',
    flag: '--max-model-len',
    via: 'flag',
    type: 'int',
    min: 1024,
    max: 131072,
    step: 512,
    maxFromModel: true,
    description: "context length per request, up to the model's maximum",
  },
  {
    name: 'enable_prefix_caching',
    flag: '--enable-prefix-caching',
    falseFlag: '--no-enable-prefix-caching',
    via: 'flag',
    type: 'bool',
    default: true,
    description: 'reuse KV blocks of shared prompt prefixes',
  },
  {
    name: 'kv_cache_dtype',
    flag: '--kv-cache-dtype',
    via: 'flag',
    type: 'enum',
    values: ['auto', 'fp8'],
    default: 'auto',
    description: 'KV cache precision; fp8 halves its memory (promoted only if correctness still passes)',
  },
];

/** Flags vLLM accepts that nightshift renders and checks but never tunes (Engine.settings). */
export const VLLM_SETTINGS: readonly KnobSpec[] = [
  {
    name: 'block_size',
    flag: '--block-size',
    via: 'flag',
    type: 'enum',
    values: ['8', '16', '32'],
    default: 16,
    tuned: false,
    description: 'tokens per KV cache block',
  },
  {
    name: 'enforce_eager',
    flag: '--enforce-eager',
    via: 'flag',
    type: 'bool',
    default: false,
    tuned: false,
    description: 'no CUDA graphs: less memory, slower decode',
  },
];

/** Every spec the adapter renders: the tuned knobs, then the settings. */
export const VLLM_FLAG_SPECS: readonly KnobSpec[] = [...VLLM_KNOBS, ...VLLM_SETTINGS];

/** Cross-knob constraints of vLLM: the reasons a config breaks them (empty when it holds). */
export function vllmConstraints(config: EngineConfig): string[] {
  const reasons: string[] = [];
  const seqs = effectiveValue(VLLM_KNOBS, config, 'max_num_seqs');
  const tokens = effectiveValue(VLLM_KNOBS, config, 'max_num_batched_tokens');
  if (typeof seqs === 'number' && typeof tokens === 'number' && tokens < seqs) {
    reasons.push(`max_num_batched_tokens (${tokens}) must be ≥ max_num_seqs (${seqs})`);
  }
  return reasons;
}
