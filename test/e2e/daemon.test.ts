/**
 * `nightshift daemon` on a host without systemd: it starts the managed production process it owns, and on
 * SIGTERM shuts down cleanly — exit 0, production stopped, nothing left running.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { StatePaths } from '../../src/store/paths.js';
import { groupAlive, killGroup, spawnGroup } from '../../src/system/process.js';
import { freePort } from '../../src/targets/ports.js';
import { readProduction } from '../../src/targets/production/index.js';
import { rigConfigInput } from '../loop/rig.js';
import { BIN } from '../support/cli.js';
import { assertNoSurvivors } from '../support/twin.js';

async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined> | T | undefined,
  timeoutMs: number,
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const v = await fn();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

describe('nightshift daemon', { timeout: 90_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'nightshift-daemon-'));
  const pids: number[] = [];
  afterAll(async () => {
    for (const pid of pids) if (groupAlive(pid)) killGroup(pid, 'SIGKILL');
    await assertNoSurvivors(pids);
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts the managed production it owns and stops it, exiting 0, on SIGTERM', async () => {
    const runtimeDir = join(dir, 'gpu');
    mkdirSync(runtimeDir);
    const faultsFile = join(dir, 'faults.yaml');
    writeFileSync(faultsFile, '[]\n');
    const port = await freePort('33000-33299', { startOffset: process.pid % 300 });
    const input = rigConfigInput({
      stateDir: join(dir, 'state'),
      port,
      faultsFile,
      runtimeDir,
      canaryPorts: '33300-33399',
    });
    const configFile = join(dir, 'nightshift.yaml');
    writeFileSync(configFile, stringify(input));
    const paths = new StatePaths(join(dir, 'state'));

    const daemon = spawnGroup([process.execPath, BIN, 'daemon', '--config', configFile], {
      logPath: join(dir, 'daemon.log'),
    });
    pids.push(daemon.pid);
    const productionPid = await waitFor(
      'the daemon to start production',
      async () => {
        const rec = readProduction(paths);
        if (rec?.status !== 'healthy' || rec.pid === undefined) return undefined;
        const ok = await fetch(`http://127.0.0.1:${port}/health`).then(
          (r) => r.status === 200,
          () => false,
        );
        return ok ? rec.pid : undefined;
      },
      30_000,
    );
    pids.push(productionPid);
    const log = () => (existsSync(join(dir, 'daemon.log')) ? readFileSync(join(dir, 'daemon.log'), 'utf8') : '');
    await waitFor('the next-cycle line', () => (/next cycle at/.test(log()) ? true : undefined), 10_000);

    process.kill(daemon.pid, 'SIGTERM');
    const code = await Promise.race([daemon.exited, new Promise<number>((r) => setTimeout(() => r(-1), 20_000))]);
    expect(code, log()).toBe(0);
    expect(groupAlive(productionPid)).toBe(false);
    expect(readProduction(paths)?.status).toBe('stopped');
    expect(log()).toMatch(/shutting down \(SIGTERM\)/);
  });
});
