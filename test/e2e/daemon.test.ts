/**
 * `nightshift daemon` on a host without systemd: it starts the managed production process it owns, and on
 * SIGTERM shuts down cleanly — exit 0, production stopped, nothing left running.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { groupAlive, killGroup, spawnGroup } from '../../src/system/process.js';
import { readProduction } from '../../src/targets/production/index.js';
import { BIN } from '../support/cli.js';
import { writeRigFiles } from '../support/rig-files.js';
import { assertNoSurvivors } from '../support/twin.js';
import { waitFor } from '../support/wait.js';

describe('nightshift daemon', { timeout: 90_000 }, () => {
  let dir: string | undefined;
  const pids: number[] = [];
  afterAll(async () => {
    for (const pid of pids) if (groupAlive(pid)) killGroup(pid, 'SIGKILL');
    await assertNoSurvivors(pids);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('starts the managed production it owns and stops it, exiting 0, on SIGTERM', async () => {
    const rig = await writeRigFiles('nightshift-daemon-', { production: '33000-33299', canary: '33300-33399' });
    dir = rig.dir;
    const { port, configFile, paths } = rig;

    const daemon = spawnGroup([process.execPath, BIN, 'daemon', '--config', configFile], {
      logPath: join(rig.dir, 'daemon.log'),
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
    const logFile = join(rig.dir, 'daemon.log');
    const log = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');
    await waitFor('the next-cycle line', () => (/next cycle at/.test(log()) ? true : undefined), 10_000);

    process.kill(daemon.pid, 'SIGTERM');
    const code = await Promise.race([daemon.exited, new Promise<number>((r) => setTimeout(() => r(-1), 20_000))]);
    expect(code, log()).toBe(0);
    expect(groupAlive(productionPid)).toBe(false);
    expect(readProduction(paths)?.status).toBe('stopped');
    expect(log()).toMatch(/shutting down \(SIGTERM\)/);
  });
});
