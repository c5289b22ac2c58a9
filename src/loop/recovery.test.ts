import { describe, expect, it } from 'vitest';
import { tempState } from '../../test/support/state.js';
import { configSchema } from '../config/schema.js';
import { atLocal } from '../core/time.js';
import type { EngineConfig } from '../core/types.js';
import { manualClock } from '../system/clock.js';
import { silentLogger } from '../system/log.js';
import type { ApplyResult, Production } from '../targets/engine.js';
import { budgetSpent, readRuns } from './eligibility/index.js';
import { openJournal, readJournal } from './journal.js';
import { planRecovery, recover } from './recovery.js';
import { promotionRecord, readPromotion, writePromotion } from './tuning/promotion.js';

describe('planRecovery', () => {
  it('nothing unfinished: no plan', () => {
    expect(planRecovery([])).toBeUndefined();
  });

  it('a leftover canary is killed and production restored to the config it last ran healthy', () => {
    const plan = planRecovery([{ cycle_id: 'loop_1', open_steps: ['tuning'], canaries: [{ pid: 7 }], promotions: [] }]);
    expect(plan?.kill).toEqual([{ pid: 7 }]);
    expect(plan?.restore?.config).toBeUndefined();
    expect(plan?.restore?.why).toMatch(/canary/);
  });

  it('a half-done promotion restores the config it replaced and is marked', () => {
    const plan = planRecovery([
      {
        cycle_id: 'loop_1',
        open_steps: ['tuning'],
        canaries: [],
        promotions: [{ promotion_id: 'prom_1', previous: { max_num_seqs: 256 }, config: { max_num_seqs: 64 } }],
      },
    ]);
    expect(plan?.restore?.config).toEqual({ max_num_seqs: 256 });
    expect(plan?.promotions).toEqual([{ promotion_id: 'prom_1', state: 'restored' }]);
  });

  it('a cycle that died in tuning before any canary started still checks production', () => {
    const plan = planRecovery([{ cycle_id: 'loop_1', open_steps: ['tuning'], canaries: [], promotions: [] }]);
    expect(plan?.restore?.why).toMatch(/tuning/);
  });

  it('a cycle that died in tuning leaves a run to record, with the canaries it had running', () => {
    const plan = planRecovery([{ cycle_id: 'loop_1', open_steps: ['tuning'], canaries: [{ pid: 7 }], promotions: [] }]);
    expect(plan?.aborted_runs).toEqual([{ cycle_id: 'loop_1', canaries: 1 }]);
  });

  it('a cycle that died in PHASE needs no restore', () => {
    const plan = planRecovery([{ cycle_id: 'loop_1', open_steps: ['phase'], canaries: [], promotions: [] }]);
    expect(plan?.restore).toBeUndefined();
    expect(plan?.died_in).toEqual(['phase']);
  });
});

describe('recover', () => {
  class FakeProduction implements Production {
    readonly mode = 'managed' as const;
    applied: EngineConfig[] = [];
    constructor(
      public config: EngineConfig,
      public healthy: boolean,
    ) {}
    async current() {
      return this.config;
    }
    async apply(config: EngineConfig): Promise<ApplyResult> {
      this.applied.push(config);
      this.config = config;
      this.healthy = true;
      return { ok: true, ms: 5 };
    }
    async health() {
      return this.healthy;
    }
    async stop() {
      this.healthy = false;
    }
  }
  const good = { max_num_seqs: 64 };
  const candidate = { max_num_seqs: 128 };

  function setup(production: FakeProduction) {
    const paths = tempState();
    const clock = manualClock(1_000);
    const journal = openJournal(paths, clock, 'loop_now', 'act');
    return { paths, clock, journal, production, log: silentLogger };
  }

  it('restores the config a half-done promotion replaced, marks it restored and journals the recovery', async () => {
    const production = new FakeProduction(candidate, true);
    const deps = setup(production);
    writePromotion(
      deps.paths,
      promotionRecord({
        promotion_id: 'promo_1',
        run_id: 'r',
        subsystem: 'engine_config',
        engine: 'vllm',
        model: 'm',
        previous_config: good,
        new_config: candidate,
        diff: {},
        fitness: { candidate: 1.2, control: 1 },
        metrics: { candidate: {}, control: {} },
        triggering_symptoms: { kind: 'latency_regression', ids: [] },
        ts: 500,
        mode: 'act',
        state: 'provisional',
      }),
    );
    const record = await recover({
      ...deps,
      unfinished: [
        {
          cycle_id: 'loop_dead',
          open_steps: ['tuning'],
          canaries: [],
          promotions: [{ promotion_id: 'promo_1', previous_config: good, new_config: candidate }],
        },
      ],
    });
    expect(production.applied).toEqual([good]);
    expect(record?.production).toMatchObject({ action: 'restored', ok: true, config: good });
    expect(record?.promotions_restored).toEqual(['promo_1']);
    expect(readPromotion(deps.paths, 'promo_1').state).toBe('restored');
    expect(readJournal(deps.paths).find((r) => r.type === 'recovered')?.data?.cycles).toEqual(['loop_dead']);
  });

  it('leaves a healthy production on its last healthy config alone and notes a canary already gone', async () => {
    const production = new FakeProduction(good, true);
    const deps = setup(production);
    // A pid far above pid_max: certainly not running.
    const record = await recover({
      ...deps,
      unfinished: [{ cycle_id: 'loop_dead', open_steps: ['tuning'], canaries: [{ pid: 99_999_999 }], promotions: [] }],
    });
    expect(production.applied).toEqual([]);
    expect(record?.killed).toEqual([{ pid: 99_999_999, was_running: false, gone: true }]);
    expect(record?.production.action).toBe('none');
  });

  it('a tuning run cut short counts for cooldown and rate limit and is charged its running canary', async () => {
    const production = new FakeProduction(good, true);
    const deps = setup(production);
    const config = configSchema.parse({ timezone: 'UTC', canary: { timeout_s: 30 } });
    const startedAt = atLocal('2026-06-04T03:00', 'UTC');
    // The dead cycle's journal: its tuning step began at 03:00 on the 4th, then nightshift was killed.
    const dead = openJournal(deps.paths, manualClock(startedAt), 'loop_dead', 'act');
    dead.cycleBegin();
    dead.stepBegin('tuning');
    const record = await recover({
      ...deps,
      config,
      unfinished: [{ cycle_id: 'loop_dead', open_steps: ['tuning'], canaries: [{ pid: 99_999_999 }], promotions: [] }],
    });
    expect(record?.runs_recorded).toEqual([{ run_id: 'loop_dead_tuning', canary_seconds: 30 }]);
    expect(readRuns(deps.paths)).toEqual([
      expect.objectContaining({ subsystem: 'engine_config', status: 'aborted', ts: startedAt, canary_seconds: 30 }),
    ]);
    expect(budgetSpent(deps.paths, '20260604')).toBe(30);
  });
});
