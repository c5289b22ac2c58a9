/**
 * llama.cpp's `llama-server` adapter: knob specs and launch rendering, behind the same Engine interface as vLLM.
 * argv = [...launch, --model MODEL, --host H, --port P, ...flags]; `servedModelName` becomes `--alias`.
 * `--flash-attn` takes on|off|auto (llama.cpp since mid-2025; older builds took a bare `-fa`).
 */
import type { EngineConfig, Evidence } from '../../core/types.js';
import { oomEvidence, startupEvidence } from '../classify.js';
import type { Engine, KnobSpec, LaunchSpec } from '../engine.js';
import { effectiveValue, renderEnv, renderFlags } from '../knobs.js';

const CACHE_TYPES = ['f32', 'f16', 'bf16', 'q8_0', 'q4_0', 'q4_1', 'iq4_nl', 'q5_0', 'q5_1'] as const;

export const LLAMA_SERVER_KNOBS: readonly KnobSpec[] = [
  {
    name: 'ctx_size',
    flag: '--ctx-size',
    via: 'flag',
    type: 'int',
    min: 512,
    max: 131072,
    step: 512,
    maxFromModel: true,
    description: 'total context of all slots (each of the `parallel` slots gets ctx_size / parallel tokens)',
  },
  {
    name: 'parallel',
    flag: '--parallel',
    via: 'flag',
    type: 'int',
    min: 1,
    max: 64,
    step: 1,
    description: 'number of slots: requests decoded together',
  },
  {
    name: 'batch_size',
    flag: '--batch-size',
    via: 'flag',
    type: 'int',
    min: 64,
    max: 8192,
    step: 64,
    default: 2048,
    description: 'logical batch: most prompt tokens submitted per decode call',
  },
  {
    name: 'ubatch_size',
    flag: '--ubatch-size',
    via: 'flag',
    type: 'int',
    min: 32,
    max: 4096,
    step: 32,
    default: 512,
    description: 'physical batch: tokens per compute pass (≤ batch_size); sets the compute buffer size',
  },
  {
    name: 'cache_type_k',
    flag: '--cache-type-k',
    via: 'flag',
    type: 'enum',
    values: CACHE_TYPES,
    default: 'f16',
    description: 'K cache precision',
  },
  {
    name: 'cache_type_v',
    flag: '--cache-type-v',
    via: 'flag',
    type: 'enum',
    values: CACHE_TYPES,
    default: 'f16',
    description: 'V cache precision (quantized V needs flash attention)',
  },
  {
    name: 'flash_attn',
    flag: '--flash-attn',
    via: 'flag',
    type: 'enum',
    values: ['on', 'off', 'auto'],
    default: 'auto',
    description: 'flash attention',
  },
];

const UNQUANTIZED = new Set(['f32', 'f16', 'bf16']);

export function llamaServerConstraints(config: EngineConfig): string[] {
  const reasons: string[] = [];
  const batch = effectiveValue(LLAMA_SERVER_KNOBS, config, 'batch_size');
  const ubatch = effectiveValue(LLAMA_SERVER_KNOBS, config, 'ubatch_size');
  if (typeof batch === 'number' && typeof ubatch === 'number' && ubatch > batch) {
    reasons.push(`ubatch_size (${ubatch}) must be ≤ batch_size (${batch})`);
  }
  const v = effectiveValue(LLAMA_SERVER_KNOBS, config, 'cache_type_v');
  const fa = effectiveValue(LLAMA_SERVER_KNOBS, config, 'flash_attn');
  if (typeof v === 'string' && !UNQUANTIZED.has(v) && fa === 'off') {
    reasons.push(`cache_type_v ${v} (quantized) needs flash_attn on or auto`);
  }
  const ctx = effectiveValue(LLAMA_SERVER_KNOBS, config, 'ctx_size');
  const parallel = effectiveValue(LLAMA_SERVER_KNOBS, config, 'parallel');
  if (typeof ctx === 'number' && typeof parallel === 'number' && ctx / parallel < 512) {
    reasons.push(`ctx_size / parallel (${Math.floor(ctx / parallel)}) leaves each slot under 512 tokens`);
  }
  return reasons;
}

/** llama-server's own fatal startup lines (model load), besides the OOM signatures every engine shares. */
const LOAD_FAILURES = [/failed to load model/i, /exiting due to model loading error/i, /couldn't bind HTTP server/i];

function llamaStartupFailure(line: string): Evidence | undefined {
  const shared = startupEvidence(line);
  if (shared) return shared;
  if (LOAD_FAILURES.some((re) => re.test(line))) return { source: 'log', line: line.trim(), kind: 'startup_failed' };
  return undefined;
}

export const llamaServerEngine: Engine = {
  name: 'llama-server',
  knobs: [...LLAMA_SERVER_KNOBS],
  healthPath: '/health',
  launch({ launch, model, servedModelName, config, port, host }): LaunchSpec {
    const argv = [...launch, '--model', model, '--host', host ?? '127.0.0.1', '--port', String(port)];
    if (servedModelName !== undefined) argv.push('--alias', servedModelName);
    argv.push(...renderFlags(LLAMA_SERVER_KNOBS, config));
    return { argv, env: renderEnv(LLAMA_SERVER_KNOBS, config) };
  },
  startupFailure: llamaStartupFailure,
  oomSignature: (line) => oomEvidence(line),
  constraints: llamaServerConstraints,
};
