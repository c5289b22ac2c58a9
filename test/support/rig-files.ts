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
import { StatePaths } from '../../src/store/paths.js';
import { freePort } from '../../src/targets/ports.js';
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
