/**
 * Ollama's adapter: its server knobs are environment variables of `ollama serve`, not flags. num_ctx (the
 * per-model default context) is set server-wide with OLLAMA_CONTEXT_LENGTH; a quantized KV cache
 * (OLLAMA_KV_CACHE_TYPE q8_0/q4_0) only takes effect with OLLAMA_FLASH_ATTENTION on. The model is pulled
 * separately and named per request, so it is not part of argv. Ollama has no /health: GET / answers 200.
 */
import type { EngineConfig, Evidence } from '../../core/types.js';
import { oomEvidence, startupEvidence } from '../classify.js';
import type { Engine, KnobSpec, LaunchSpec } from '../engine.js';
import { effectiveValue, renderEnv, renderFlags } from '../knobs.js';

export const OLLAMA_KNOBS: readonly KnobSpec[] = [
  {
    name: 'num_ctx',
    flag: 'OLLAMA_CONTEXT_LENGTH',
    via: 'env',
    type: 'int',
    min: 2048,
    max: 131072,
    step: 1024,
    default: 4096,
    maxFromModel: true,
    description: 'context length of each loaded model (num_ctx)',
  },
  {
    name: 'num_parallel',
    flag: 'OLLAMA_NUM_PARALLEL',
    via: 'env',
    type: 'int',
    min: 1,
    max: 32,
    step: 1,
    default: 1,
    description: 'requests each model serves at once (its KV cache is num_ctx × num_parallel)',
  },
  {
    name: 'kv_cache_type',
    flag: 'OLLAMA_KV_CACHE_TYPE',
    via: 'env',
    type: 'enum',
    values: ['f16', 'q8_0', 'q4_0'],
    default: 'f16',
    description: 'KV cache precision (quantized types need flash attention)',
  },
  {
    name: 'flash_attention',
    flag: 'OLLAMA_FLASH_ATTENTION',
    via: 'env',
    type: 'bool',
    default: false,
    description: 'flash attention',
  },
];

export function ollamaConstraints(config: EngineConfig): string[] {
  const kv = effectiveValue(OLLAMA_KNOBS, config, 'kv_cache_type');
  const fa = effectiveValue(OLLAMA_KNOBS, config, 'flash_attention');
  if (typeof kv === 'string' && kv !== 'f16' && fa !== true) {
    return [`kv_cache_type ${kv} needs flash_attention true (Ollama ignores it otherwise)`];
  }
  return [];
}

const SERVE_FAILURES = [/Error: listen tcp .*address already in use/i, /Error: .*could not connect to ollama/i];

function ollamaStartupFailure(line: string): Evidence | undefined {
  const shared = startupEvidence(line);
  if (shared) return shared;
  if (SERVE_FAILURES.some((re) => re.test(line))) return { source: 'log', line: line.trim(), kind: 'startup_failed' };
  return undefined;
}

export const ollamaEngine: Engine = {
  name: 'ollama',
  knobs: [...OLLAMA_KNOBS],
  healthPath: '/',
  launch({ launch, config, port, host }): LaunchSpec {
    // Keys without a spec are rendered as flags for completeness; `ollama serve` takes almost none.
    const argv = [...launch, ...renderFlags(OLLAMA_KNOBS, config)];
    return { argv, env: { OLLAMA_HOST: `${host ?? '127.0.0.1'}:${port}`, ...renderEnv(OLLAMA_KNOBS, config) } };
  },
  startupFailure: ollamaStartupFailure,
  oomSignature: (line) => oomEvidence(line),
  constraints: ollamaConstraints,
};
