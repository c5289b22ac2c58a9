/**
 * The loop, night after night, against a managed production twin with an injected clock (issue 8, Done when):
 * healthy nights exit 0; a night with 3 latency symptoms arms a flag and, inside the window, tunes, promotes and
 * exits 2; the next night validates the promotion; outside the window an armed flag defers tuning and exits 1.
 * The nights build on each other, so the tests of this file run in order on one rig.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { atLocal } from '../../src/core/time.js';
import type { CycleRecord } from '../../src/loop/cycle-record.js';
import { readJournal } from '../../src/loop/journal.js';
import { armedFlags } from '../../src/loop/symptoms/flags.js';
import { recordSymptom } from '../../src/loop/symptoms/ledger.js';
import { readPromotion } from '../../src/loop/tuning/promotion.js';
import { readJsonl } from '../../src/store/atomic.js';
import { manualClock } from '../../src/system/clock.js';
import { type Rig, startRig, ZONE } from './rig.js';

/** Twins start and measure in real time; on a loaded CI box that takes longer than the default hook timeout. */
const HOOK_TIMEOUT_MS = 120_000;

/** Three latency symptoms just before the night starts, as three degraded nights' verdicts would leave them. */
function seedLatencySymptoms(rig: Rig, localIso: string): void {
  const clock = manualClock(atLocal(localIso, ZONE));
  for (const metric of ['ttft_ms_p95', 'e2e_ms_p95', 'itl_ms_p95']) {
    recordSymptom(rig.paths, clock, ZONE, {
      kind: 'latency_regression',
      mode: 'act',
      meta: { severity: 'warning', domain: 'throughput', metric, reason: 'seeded by the test' },
    });
  }
}

/** The record, with its errors in the failure message when the exit code is not the expected one. */
function expectExit(record: CycleRecord, code: number): void {
  expect(record.exit_code, `cycle ${record.cycle_id}: ${JSON.stringify(record, null, 1)}`).toBe(code);
}

describe('the loop against a managed twin, night after night', { timeout: 90_000 }, () => {
  let rig: Rig;
  let promotionId: string | null = null;

  beforeAll(async () => {
    rig = await startRig();
  }, HOOK_TIMEOUT_MS);
  afterAll(async () => {
    await rig?.stop();
  });

  it('healthy nights exit 0 and append a readable cycle record each', async () => {
    for (const day of ['01', '02', '03']) {
      const r = await rig.night(`2026-06-${day}T03:00`);
      expectExit(r, 0);
      expect(r).toMatchObject({
        schema: 'nightshift.cycle/v1',
        mode: 'act',
        cycle_id: `loop_202606${day}_030000`,
        phase_epoch_id: `phase_202606${day}_030000`,
        phase_status: 'pass',
        escalations_armed: [],
        config_tuning_triggered: false,
        production_healthy: true,
      });
    }
    const cycles = readJsonl<CycleRecord>(rig.paths.cyclesLedger());
    expect(cycles.map((c) => c.exit_code)).toEqual([0, 0, 0]);
    const journal = readJournal(rig.paths);
    expect(journal.filter((j) => j.type === 'cycle_end')).toHaveLength(3);
  });

  it('a night with 3 latency symptoms arms a flag and, inside the window, tunes, promotes and exits 2', async () => {
    seedLatencySymptoms(rig, '2026-06-04T02:50');
    const r = await rig.night('2026-06-04T03:00');
    expectExit(r, 2);
    expect(r.escalations_armed).toContain('latency_regression');
    expect(r, JSON.stringify(r, null, 1)).toMatchObject({
      config_tuning_triggered: true,
      config_tuning_trigger: { kind: 'latency_regression', severity: 'warning' },
      config_tuning_status: 'success',
      config_tuning_promoted: true,
      production_healthy: true,
    });
    promotionId = r.promotion_id;
    expect(promotionId).toMatch(/^promo_/);
    expect(readPromotion(rig.paths, promotionId as string).state).toBe('provisional');
    const live = await rig.production.current();
    expect(live.max_num_seqs).toBeGreaterThan(4);
    // The fix answered the escalation: no flag left armed.
    expect(armedFlags(rig.paths, rig.clock).map((f) => f.kind)).not.toContain('latency_regression');
  });

  it('the next night validates the promotion', async () => {
    const r = await rig.night('2026-06-05T03:00');
    expect(r.validation, JSON.stringify(r.validation)).toEqual([
      expect.objectContaining({ promotion_id: promotionId, outcome: 'validated', kind: 'latency_regression' }),
    ]);
    expect(readPromotion(rig.paths, promotionId as string).state).toBe('validated');
    expectExit(r, 0);
  });

  it('outside the maintenance window an armed flag defers tuning and the night exits 1', async () => {
    seedLatencySymptoms(rig, '2026-06-06T08:50');
    const r = await rig.night('2026-06-06T09:00');
    expectExit(r, 1);
    expect(r.escalations_armed).toContain('latency_regression');
    expect(r.config_tuning_status).toBe('deferred: outside maintenance window');
    expect(r.config_tuning_promoted).toBe(false);
  });
});
