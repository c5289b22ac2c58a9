/**
 * The files of an end-to-end loop test against a managed production twin: a temp dir with its own fake GPU
 * (twin runtime dir), an empty faults file, a free production port and the nightshift.yaml of test/loop/rig.ts.
 * The CLI under test reads the config file; the test reads the state through `paths`.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { type Config, configSchema } from '../../src/config/schema.js';
import { writeFlag } from '../../src/loop/symptoms/flags.js';
import { StatePaths } from '../../src/store/paths.js';
import { manualClock } from '../../src/system/clock.js';
import { silentLogger } from '../../src/system/log.js';
import { freePort } from '../../src/targets/ports.js';
import { ManagedProduction } from '../../src/targets/production/index.js';
import { engineFor } from '../../src/targets/registry.js';
import { rigConfigInput } from '../loop/rig.js';

export interface RigFiles {
  dir: string;
  port: number;
  configFile: string;
  config: Config;
  paths: StatePaths;
}

/** `ports`: a production range and a canary range no other test file uses (test files run in parallel). */
export async function writeRigFiles(prefix: string, ports: { production: string; canary: string }): Promise<RigFiles> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const runtimeDir = join(dir, 'gpu');
  mkdirSync(runtimeDir);
  const faultsFile = join(dir, 'faults.yaml');
  writeFileSync(faultsFile, '[]\n');
  const span = Number(ports.production.split('-')[1]) - Number(ports.production.split('-')[0]) + 1;
  const port = await freePort(ports.production, { startOffset: process.pid % span });
  const stateDir = join(dir, 'state');
  const input = rigConfigInput({ stateDir, port, faultsFile, runtimeDir, canaryPorts: ports.canary });
  const configFile = join(dir, 'nightshift.yaml');
  writeFileSync(configFile, stringify(input));
  return { dir, port, configFile, config: configSchema.parse(input), paths: new StatePaths(stateDir) };
}

/**
 * The night of an e2e tuning test: the managed production twin started and healthy, and a latency_regression
 * flag armed a minute before `nightMs`, so the next `nightshift run` tunes right after PHASE and analysis.
 */
export async function startArmedNight(rig: RigFiles, nightMs: number): Promise<ManagedProduction> {
  const production = new ManagedProduction(rig.config, rig.paths, {
    clock: manualClock(nightMs),
    log: silentLogger,
    engine: engineFor('vllm'),
  });
  const started = await production.ensureRunning({ timeoutMs: 30_000 });
  if (!started.ok) throw new Error(`production twin did not start: ${started.evidence?.line ?? 'not healthy'}`);
  writeFlag(rig.paths, {
    schema: 'nightshift.flag/v1',
    kind: 'latency_regression',
    set_at: nightMs - 60_000,
    expires_at: nightMs + 8 * 3_600_000,
    symptom_count: 3,
    symptom_ids: [],
    reason: 'armed by the test',
    severity: 'warning',
    mode: 'act',
  });
  return production;
}
