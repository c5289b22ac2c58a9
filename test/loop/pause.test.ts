/**
 * The kill switch reaches into a running cycle: `nightshift pause` while canaries run aborts the tuning run,
 * which puts production back on its own config; the cycle records where it stopped and the breaker does not
 * count it as a failed attempt.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBreakers } from '../../src/loop/control/breakers.js';
import { setPause } from '../../src/loop/control/pause.js';
import type { CycleRecord } from '../../src/loop/cycle-record.js';
import { readJournal } from '../../src/loop/journal.js';
import { writeFlag } from '../../src/loop/symptoms/flags.js';
import { groupAlive } from '../../src/system/process.js';
import { type Rig, startRig } from './rig.js';

const HOOK_TIMEOUT_MS = 120_000;

describe('pause while a canary runs', () => {
  let rig: Rig;
  let record: CycleRecord;
  let canaryPid: number | undefined;

  beforeAll(async () => {
    rig = await startRig({}, '2026-06-04T03:00');
    const now = rig.clock.now();
    writeFlag(rig.paths, {
      schema: 'nightshift.flag/v1',
      kind: 'latency_regression',
      set_at: now - 60_000,
      expires_at: now + 4 * 3_600_000,
      symptom_count: 3,
      symptom_ids: [],
      reason: 'armed by the test',
      severity: 'warning',
      mode: 'act',
    });
    // The operator pauses as soon as the first canary is up.
    const watcher = setInterval(() => {
      const started = readJournal(rig.paths, () => {}).find((r) => r.type === 'canary_started');
      if (!started) return;
      canaryPid = started.data?.pid as number;
      setPause(rig.paths, { mode: 'act', paused_at: rig.clock.now(), reason: 'maintenance', by: 'test' });
      clearInterval(watcher);
    }, 20);
    try {
      record = await rig.night('2026-06-04T03:00');
    } finally {
      clearInterval(watcher);
    }
  }, HOOK_TIMEOUT_MS);
  afterAll(async () => {
    await rig?.stop();
  });

  it('aborts the tuning run and records that the cycle stopped at tuning', () => {
    expect(canaryPid, JSON.stringify(record, null, 1)).toBeDefined();
    expect(record).toMatchObject({ paused_before: 'tuning', config_tuning_status: 'aborted: paused' });
    expect(record.config_tuning_promoted).toBe(false);
  });

  it('leaves no canary running and production healthy on its own config', async () => {
    expect(groupAlive(canaryPid as number)).toBe(false);
    expect(await rig.production.current()).toEqual(rig.config.target.config);
    expect(await rig.production.health()).toBe(true);
  });

  it('does not count the aborted run against the breaker', () => {
    expect(readBreakers(rig.paths).latency_regression).toBeUndefined();
  });
});
