/**
 * The vLLM adapter. A real `vllm serve` and the twin (`nightshift twin serve`) run through this same code: only
 * the configured launch prefix differs. argv = [...launch, MODEL, --host H, --port P, ...flags], vLLM's spelling.
 */
import type { EngineConfig } from '../../core/types.js';
import { oomEvidence, startupEvidence } from '../classify.js';
import type { Engine, LaunchSpec } from '../engine.js';
import { renderEnv, renderFlags } from '../knobs.js';
import { VLLM_FLAG_SPECS, VLLM_KNOBS, VLLM_SETTINGS, vllmConstraints } from './knobs.js';

export const vllmEngine: Engine = {
  name: 'vllm',
  knobs: [...VLLM_KNOBS],
  settings: [...VLLM_SETTINGS],
  healthPath: '/health',
  launch({ launch, model, servedModelName, config, port, host, timeScale }): LaunchSpec {
    const argv = [...launch, model, '--host', host ?? '127.0.0.1', '--port', String(port)];
    if (servedModelName !== undefined) argv.push('--served-model-name', servedModelName);
    argv.push(...renderFlags(VLLM_FLAG_SPECS, config));
    // Only the twin knows --time-scale; a real vLLM is always launched at scale 1, so it never sees the flag.
    if (timeScale !== undefined && timeScale < 1) argv.push('--time-scale', String(timeScale));
    return { argv, env: renderEnv(VLLM_FLAG_SPECS, config) };
  },
  startupFailure: (line) => startupEvidence(line),
  oomSignature: (line) => oomEvidence(line),
  constraints: (config: EngineConfig) => vllmConstraints(config),
};
