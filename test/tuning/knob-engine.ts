/**
 * vLLM's knob specs and constraints as an Engine, without its launch and log parsing: what the pure tuning
 * functions (validation, candidates, fitness) read, so their tests do not depend on the adapter's I/O side.
 */
import type { Engine } from '../../src/targets/engine.js';
import { VLLM_KNOBS, vllmConstraints } from '../../src/targets/vllm/knobs.js';

export const vllmKnobEngine: Engine = {
  name: 'vllm',
  knobs: [...VLLM_KNOBS],
  launch: () => {
    throw new Error('the knob engine launches nothing');
  },
  startupFailure: () => undefined,
  oomSignature: () => undefined,
  constraints: vllmConstraints,
};
