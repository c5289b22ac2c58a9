/** Shared pieces of the targets tests: a stand-in engine process, temp dirs, a config for managed production. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Config, configSchema } from '../../src/config/schema.js';
import type { Engine } from '../../src/targets/engine.js';
import { renderFlags } from '../../src/targets/knobs.js';

export const FAKE_ENGINE_SCRIPT = fileURLToPath(new URL('./fixtures/fake-engine.mjs', import.meta.url));
export const FAKE_LAUNCH = [process.execPath, FAKE_ENGINE_SCRIPT];

/** An adapter for fixtures/fake-engine.mjs: vLLM-style argv; "FATAL" lines are its startup failures. */
export const fakeEngine: Engine = {
  name: 'fake',
  knobs: [],
  healthPath: '/health',
  launch: ({ launch, model, config, port, host }) => ({
    argv: [...launch, model, '--host', host ?? '127.0.0.1', '--port', String(port), ...renderFlags([], config)],
    env: {},
  }),
  startupFailure: (line) => (line.includes('FATAL') ? { source: 'log', line, kind: 'startup_fake' } : undefined),
  oomSignature: () => undefined,
  constraints: () => [],
};

export function tempDir(prefix = 'nightshift-targets-'): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** A full config (schema defaults) with target overrides. */
export function configWith(target: Record<string, unknown>, rest: Record<string, unknown> = {}): Config {
  return configSchema.parse({ ...rest, target });
}
