/**
 * Validation judges a provisional promotion against the night(s) it was made for, not against the nights
 * before the fault (issue 8, step 5): while a fault persists, a promotion that helped is not rolled back;
 * one that is worse than its triggering night is. Sealed reports are written through the real ReportWriter;
 * production is a fake (no twin needed for the judge).
 */
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { seededRng } from '../../src/core/random.js';
import type { EngineConfig } from '../../src/core/types.js';
import { openJournal } from '../../src/loop/journal.js';
import { promotionRecord, readPromotion, writePromotion } from '../../src/loop/tuning/promotion.js';
import { validatePromotions } from '../../src/loop/validation.js';
import type { StatePaths } from '../../src/store/paths.js';
import { manualClock } from '../../src/system/clock.js';
import { silentLogger } from '../../src/system/log.js';
import { type DomainSpec, noisyDomain, writeNight } from '../support/records.js';
import { tempState } from '../support/state.js';
import { FakeProduction } from '../tuning/fakes.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 3, 1, 3, 0, 0);
const config = configSchema.parse({ timezone: 'UTC' });
const previous: EngineConfig = { gpu_memory_utilization: 0.9, max_num_seqs: 64 };
const promoted: EngineConfig = { gpu_memory_utilization: 0.9, max_num_seqs: 32 };
const ID = 'promo_20260406_040000';

function interactive(seed: number, level: number): DomainSpec {
  return noisyDomain(seededRng(seed), { n: 200, ttftMs: 200, itlMs: 20, cv: 0.1, level, tokPerS: 2000 });
}

/**
 * Five nights before the fault, the fault night (2× slower) that the promotion was made for an hour later,
 * then tonight at `tonightLevel`. Returns what validation decided and what production was asked to do.
 */
async function validateTonight(tonightLevel: number, tonightSymptomKinds: string[]) {
  const paths: StatePaths = tempState();
  for (let i = 0; i < 5; i++) writeNight(paths, { ts: T0 + i * DAY, domains: { interactive: interactive(i, 1) } });
  writeNight(paths, { ts: T0 + 5 * DAY, domains: { interactive: interactive(5, 2) } });
  writePromotion(
    paths,
    promotionRecord({
      promotion_id: ID,
      run_id: 'tune_test',
      subsystem: 'engine_config',
      engine: 'vllm',
      model: config.target.model,
      previous_config: previous,
      new_config: promoted,
      diff: { max_num_seqs: { from: 64, to: 32 } },
      fitness: { candidate: 1.13, control: 1 },
      metrics: { candidate: {}, control: {} },
      triggering_symptoms: { kind: 'latency_regression', severity: 'warning', ids: [] },
      ts: T0 + 5 * DAY + 3_600_000,
      mode: 'act',
      state: 'provisional',
    }),
  );
  const tonight = writeNight(paths, { ts: T0 + 6 * DAY, domains: { interactive: interactive(6, tonightLevel) } });
  const clock = manualClock(T0 + 6 * DAY + 60_000);
  const production = new FakeProduction(promoted);
  const [result] = await validatePromotions({
    config,
    paths,
    clock,
    log: silentLogger,
    production,
    journal: openJournal(paths, clock, 'loop_test', 'act'),
    tonight: { epochId: tonight.epoch_id, ts: tonight.ts },
    tonightSymptomKinds,
    analysisStatus: tonightSymptomKinds.length > 0 ? 'degraded' : 'healthy',
  });
  return { result, production, state: readPromotion(paths, ID).state };
}

describe('validation against the night a promotion was made for', () => {
  it('leaves a promotion that helped open while the fault persists, though tonight is worse than before the fault', async () => {
    const { result, production, state } = await validateTonight(1.75, ['latency_regression']);
    expect(result?.outcome, result?.reason).toBe('open');
    expect(state).toBe('provisional');
    expect(production.calls).not.toContain('apply');
  });

  it('validates a promotion whose trigger metrics improved significantly, even with the symptom still there', async () => {
    const { result, state } = await validateTonight(1.3, ['latency_regression']);
    expect(result?.outcome, result?.reason).toBe('validated');
    expect(state).toBe('validated');
  });

  it('rolls back a promotion that is significantly worse than the night it was made for', async () => {
    const { result, production, state } = await validateTonight(3, ['latency_regression']);
    expect(result?.outcome, result?.reason).toBe('rolled_back');
    expect(state).toBe('rolled_back');
    expect(production.applied).toEqual([previous]);
  });
});
