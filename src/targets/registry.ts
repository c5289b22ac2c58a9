/** The engine adapters by the name `target.engine` uses. */
import { UsageError } from '../core/errors.js';
import type { Engine } from './engine.js';
import { llamaServerEngine } from './llama-server/knobs.js';
import { ollamaEngine } from './ollama/knobs.js';
import { vllmEngine } from './vllm/engine.js';

const ENGINES: Record<string, Engine> = {
  vllm: vllmEngine,
  'llama-server': llamaServerEngine,
  ollama: ollamaEngine,
};

export function engineNames(): string[] {
  return Object.keys(ENGINES);
}

/** The adapter for an engine name; an engine nightshift cannot launch or tune is a usage error naming the ones it can. */
export function engineFor(name: string): Engine {
  const engine = ENGINES[name];
  if (!engine) {
    throw new UsageError(
      `targets: no adapter for engine "${name}" (known: ${engineNames().join(', ')})`,
      'set target.engine to one of them; other engines can be observed by PHASE but not tuned yet',
    );
  }
  return engine;
}
