/**
 * SIGTERM of `nightshift run` while a canary runs (a systemd stop, a Ctrl-C): the cycle winds down instead of
 * dying — the canary is stopped, production (stopped for quiesced canaries) is brought back healthy, the cycle
 * record is written — and the run exits 143.
 */
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { atLocal } from '../../src/core/time.js';
import type { CycleRecord } from '../../src/loop/cycle-record.js';
import { readJournal } from '../../src/loop/journal.js';
import { readJsonl } from '../../src/store/atomic.js';
import type { StatePaths } from '../../src/store/paths.js';
import { groupAlive, killGroup, spawnGroup } from '../../src/system/process.js';
import type { ManagedProduction } from '../../src/targets/production/index.js';
import { BIN } from '../support/cli.js';
import { startArmedNight, writeRigFiles } from '../support/rig-files.js';
import { assertNoSurvivors } from '../support/twin.js';
import { waitFor } from '../support/wait.js';

const NIGHT = '2026-06-04T03:00';

describe('SIGTERM of nightshift run while a canary runs', () => {
  let dir: string;
  let paths: StatePaths;
  let production: ManagedProduction;
  let canaryPid: number;
  let cycleId: string;
  let code: number;
  let cycles: CycleRecord[];
  const pids: number[] = [];

  beforeAll(async () => {
    const rig = await writeRigFiles('nightshift-sigterm-', { production: '35000-35299', canary: '35300-35999' });
    ({ dir, paths } = rig);
    const { configFile } = rig;
    production = await startArmedNight(rig, atLocal(NIGHT, 'UTC'));
    pids.push(production.pid() as number);
    const run = spawnGroup([process.execPath, BIN, 'run', '--config', configFile], {
      env: { NIGHTSHIFT_FAKE_NOW: `${NIGHT}:00Z`, NO_COLOR: '1' },
      logPath: join(dir, 'run.log'),
    });
    pids.push(run.pid);
    const started = await waitFor(
      'a canary_started record in the journal',
      () => readJournal(paths, () => {}).find((r) => r.type === 'canary_started'),
      60_000,
    );
    canaryPid = started.data?.pid as number;
    cycleId = started.cycle_id;
    pids.push(canaryPid);
    process.kill(run.pid, 'SIGTERM');
    code = await run.exited;
    cycles = readJsonl<CycleRecord>(paths.cyclesLedger(), () => {});
  }, 120_000);

  afterAll(async () => {
    await production?.stop();
    for (const pid of pids) if (groupAlive(pid)) killGroup(pid, 'SIGKILL');
    await assertNoSurvivors(pids);
    if (dir && existsSync(dir)) rmSync(dir, { recursive: true, force: true });
  });

  it('exits 143 after winding down', () => {
    expect(code).toBe(143);
  });

  it('stops the canary', () => {
    expect(groupAlive(canaryPid)).toBe(false);
  });

  it('writes the cycle record of the interrupted cycle', () => {
    expect(cycles.map((c) => c.cycle_id)).toContain(cycleId);
  });

  it('leaves production healthy', async () => {
    await production.adopt?.();
    expect(await production.health()).toBe(true);
  });
});
