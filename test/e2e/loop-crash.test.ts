/**
 * kill -9 of `nightshift run` while a canary runs, then a new `nightshift run` (issue 8, Done when): no canary
 * process remains, production runs the last healthy config, and the records say what happened. Both runs are
 * the real CLI on a rehearsal clock (NIGHTSHIFT_FAKE_NOW) against a managed production twin.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
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

/** Twins start and measure in real time; on a loaded CI box that takes longer than the default hook timeout. */
const HOOK_TIMEOUT_MS = 120_000;

const ZONE = 'UTC';
const NIGHT = '2026-06-04T03:00';

describe('kill -9 of nightshift run while a canary runs', () => {
  let dir: string;
  let paths: StatePaths;
  let configFile: string;
  let production: ManagedProduction;
  let healthyConfig: Record<string, unknown>;
  let canaryPid: number;
  let firstCycle: string;
  let second: CycleRecord;
  let secondCode: number | undefined;
  let secondStderr = '';
  const pids: number[] = [];

  const env = (fakeNow: string) => ({ NIGHTSHIFT_FAKE_NOW: `${fakeNow}:00Z`, NO_COLOR: '1' });

  beforeAll(async () => {
    const rig = await writeRigFiles('nightshift-crash-', { production: '32000-32299', canary: '32300-32999' });
    ({ dir, paths, configFile } = rig);
    const { config } = rig;
    healthyConfig = { ...config.target.config };
    // An escalation armed earlier tonight: the run tunes right after PHASE and analysis.
    production = await startArmedNight(rig, atLocal(NIGHT, ZONE));
    pids.push(production.pid() as number);

    // 1. The first run, killed with SIGKILL as soon as its first canary is up.
    const run1 = spawnGroup([process.execPath, BIN, 'run', '--config', configFile], {
      env: env(NIGHT),
      logPath: join(dir, 'run1.log'),
    });
    pids.push(run1.pid);
    const started1 = await waitFor(
      'a canary_started record in the journal',
      () => readJournal(paths, () => {}).find((r) => r.type === 'canary_started'),
      40_000,
    );
    canaryPid = started1.data?.pid as number;
    firstCycle = started1.cycle_id;
    pids.push(canaryPid);
    process.kill(run1.pid, 'SIGKILL');
    await run1.exited;

    // 2. The next run, later that morning (outside the maintenance window: it recovers, measures, and defers).
    const run2 = spawnGroup([process.execPath, BIN, 'run', '--config', configFile, '--json'], {
      env: env('2026-06-04T08:00'),
      logPath: join(dir, 'run2.log'),
    });
    pids.push(run2.pid);
    secondCode = await run2.exited;
    const out = readFileSync(join(dir, 'run2.log'), 'utf8');
    secondStderr = out;
    const cycles = readJsonl<CycleRecord>(paths.cyclesLedger(), () => {});
    second = cycles[cycles.length - 1] as CycleRecord;
    if (process.env.NIGHTSHIFT_TEST_LOG) console.log(JSON.stringify(second, null, 1), out);
    pids.push(...(production.pid() !== undefined ? [production.pid() as number] : []));
  }, HOOK_TIMEOUT_MS);

  afterAll(async () => {
    await production?.stop();
    for (const pid of pids) if (groupAlive(pid)) killGroup(pid, 'SIGKILL');
    await assertNoSurvivors(pids);
    if (dir && existsSync(dir) && !process.env.NIGHTSHIFT_KEEP_STATE) rmSync(dir, { recursive: true, force: true });
  });

  it('the killed run left no cycle record, and the next run recovered it', () => {
    expect(second, secondStderr).toBeDefined();
    expect(second.cycle_id).not.toBe(firstCycle);
    expect(second.recovery, secondStderr).toMatchObject({ cycles: [firstCycle], died_in: ['tuning'] });
    expect(secondCode, secondStderr).toBe(second.exit_code);
  });

  it('no canary process remains, and the record names the one it found', () => {
    expect(groupAlive(canaryPid)).toBe(false);
    expect(second.recovery?.killed.map((k) => k.pid)).toEqual([canaryPid]);
    expect(second.recovery?.killed[0]?.gone).toBe(true);
  });

  it('production runs the last healthy config, healthy', async () => {
    expect(second.recovery?.production).toMatchObject({ action: 'restored', ok: true, config: healthyConfig });
    expect(await production.current()).toEqual(healthyConfig);
    expect(await production.health()).toBe(true);
    expect(second.production_healthy).toBe(true);
  });

  it('the journal marks the dead cycle recovered, so it is not recovered twice', () => {
    const recovered = readJournal(paths, () => {}).filter((r) => r.type === 'recovered');
    expect(recovered).toHaveLength(1);
    expect(recovered[0]?.data?.cycles).toEqual([firstCycle]);
  });

  it('the stale lock of the killed run was taken over with a warning', () => {
    expect(secondStderr).toMatch(/taking over .*loop\.lock/);
  });
});
