/**
 * A promotion that makes things worse is rolled back the next night automatically (issue 8, Done when):
 * production goes back to the previous config, the promotion is `rolled_back`, a `promotion_regressed` symptom
 * is recorded, the nights measured under it are quarantined, and the night exits 1.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { atLocal } from '../../src/core/time.js';
import type { EngineConfig } from '../../src/core/types.js';
import { readPins } from '../../src/loop/analysis/baseline.js';
import { readBreakers } from '../../src/loop/control/breakers.js';
import type { CycleRecord } from '../../src/loop/cycle-record.js';
import { readJournal } from '../../src/loop/journal.js';
import { readSymptoms } from '../../src/loop/symptoms/ledger.js';
import { promotionRecord, readPromotion, writePromotion } from '../../src/loop/tuning/promotion.js';
import { type Rig, startRig, ZONE } from './rig.js';

/** Twins start and measure in real time; on a loaded CI box that takes longer than the default hook timeout. */
const HOOK_TIMEOUT_MS = 120_000;

const good: EngineConfig = { gpu_memory_utilization: 0.9, max_num_seqs: 8, max_model_len: 8192 };
/** One sequence at a time under 8 concurrent requests: every request but one waits in the queue. */
const bad: EngineConfig = { ...good, max_num_seqs: 1 };

describe('a promotion that makes things worse', () => {
  let rig: Rig;
  let night4: CycleRecord;
  const id = 'promo_20260603_040000';

  beforeAll(async () => {
    // No escalation tonight: this file is about validation alone (the regression would otherwise arm a flag).
    rig = await startRig({ target: { config: good }, escalation: { threshold: 100, critical_threshold: 100 } });
    for (const day of ['01', '02', '03']) {
      const r = await rig.night(`2026-06-${day}T03:00`);
      expect(r.exit_code, JSON.stringify(r)).toBe(0);
    }
    // The promotion as the tuning stage would have left it after a run at 04:00 on the 3rd.
    const ts = atLocal('2026-06-03T04:00', ZONE);
    writePromotion(
      rig.paths,
      promotionRecord({
        promotion_id: id,
        run_id: 'tune_20260603_040000_test',
        subsystem: 'engine_config',
        engine: 'vllm',
        model: 'llama-3.1-8b',
        previous_config: good,
        new_config: bad,
        diff: { max_num_seqs: { from: 8, to: 1 } },
        fitness: { candidate: 1.2, control: 1 },
        metrics: { candidate: {}, control: {} },
        triggering_symptoms: { kind: 'latency_regression', severity: 'warning', ids: [] },
        ts,
        mode: 'act',
        state: 'provisional',
      }),
    );
    const applied = await rig.production.apply(bad, { timeoutMs: 30_000 });
    expect(applied.ok).toBe(true);
    night4 = await rig.night('2026-06-04T03:00');
  }, HOOK_TIMEOUT_MS);
  afterAll(async () => {
    await rig?.stop();
  });

  it('is rolled back the next night and the night exits 1', () => {
    expect(night4.validation, JSON.stringify(night4, null, 1)).toEqual([
      expect.objectContaining({ promotion_id: id, outcome: 'rolled_back', kind: 'latency_regression' }),
    ]);
    expect(night4.exit_code).toBe(1);
    expect(readPromotion(rig.paths, id).state).toBe('rolled_back');
  });

  it('puts production back on the previous config, healthy', async () => {
    expect(await rig.production.current()).toEqual(good);
    expect(await rig.production.health()).toBe(true);
    expect(night4.production_healthy).toBe(true);
  });

  it('records a promotion_regressed symptom naming the promotion', () => {
    const symptoms = readSymptoms(
      rig.paths,
      ZONE,
      atLocal('2026-06-04T00:00', ZONE),
      atLocal('2026-06-05T00:00', ZONE),
    );
    const regressed = symptoms.filter((s) => s.kind === 'promotion_regressed');
    expect(regressed).toHaveLength(1);
    expect(regressed[0]?.meta).toMatchObject({ promotion_id: id, epoch_id: night4.phase_epoch_id });
  });

  it('leaves the nights measured under it out of future baselines', () => {
    const quarantined = readPins(rig.paths).quarantined.map((q) => q.epoch);
    expect(quarantined).toEqual([night4.phase_epoch_id]);
  });

  it('journals the rollback so a crash half-way would be finished by the next run', () => {
    const events = readJournal(rig.paths).filter((j) => j.cycle_id === night4.cycle_id);
    expect(events.map((e) => e.type)).toEqual(
      expect.arrayContaining(['promotion_begin', 'promotion_end', 'cycle_end']),
    );
    expect(events.find((e) => e.type === 'promotion_begin')?.data).toMatchObject({ promotion_id: id, rollback: true });
  });

  it('counts against the circuit breaker of the kind it was made for', () => {
    expect(readBreakers(rig.paths).latency_regression).toMatchObject({ state: 'closed', failures: 1, recent: [id] });
  });
});
