import { describe, expect, it } from 'vitest';
import { tempState } from '../../../test/support/state.js';
import { FakeProduction } from '../../../test/tuning/fakes.js';
import { vllmKnobEngine } from '../../../test/tuning/knob-engine.js';
import { configSchema } from '../../config/schema.js';
import type { EngineConfig } from '../../core/types.js';
import type { StatePaths } from '../../store/paths.js';
import { manualClock } from '../../system/clock.js';
import { silentLogger } from '../../system/log.js';
import {
  applyProposedPromotion,
  configDiff,
  listPromotions,
  newPromotionId,
  type PromotionState,
  promotionRecord,
  readPromotion,
  rejectedConfigs,
  updatePromotionState,
  writePromotion,
} from './promotion.js';

const config = configSchema.parse({ timezone: 'UTC', target: { time_scale: 0.01 } });
const previous: EngineConfig = { gpu_memory_utilization: 0.9, max_num_seqs: 256 };
const next: EngineConfig = { gpu_memory_utilization: 0.85, max_num_seqs: 256 };

function make(paths: StatePaths, id: string, state: PromotionState, ts = 1000) {
  const r = promotionRecord({
    promotion_id: id,
    run_id: 'tune_1',
    subsystem: 'engine_config',
    engine: 'vllm',
    model: 'm',
    previous_config: previous,
    new_config: next,
    diff: configDiff(vllmKnobEngine, previous, next),
    fitness: { candidate: 1.2, control: 0 },
    metrics: { candidate: {}, control: {} },
    triggering_symptoms: { kind: 'oom', ids: [] },
    ts,
    mode: state === 'proposed' ? 'recommend' : 'act',
    state,
  });
  writePromotion(paths, r);
  return r;
}

describe('promotion records', () => {
  it('diffs only the knobs that changed', () => {
    expect(configDiff(vllmKnobEngine, previous, next)).toEqual({ gpu_memory_utilization: { from: 0.9, to: 0.85 } });
  });

  it('lists promotions oldest first', () => {
    const paths = tempState();
    make(paths, 'promo_b', 'provisional', 2000);
    make(paths, 'promo_a', 'proposed', 1000);
    expect(listPromotions(paths).map((p) => p.promotion_id)).toEqual(['promo_a', 'promo_b']);
  });

  it('rejects the configs of rolled-back and restored promotions of the same engine and model only', () => {
    const paths = tempState();
    make(paths, 'promo_a', 'rolled_back', 1000);
    const restored = { ...make(paths, 'promo_b', 'restored', 2000), new_config: { ...next, max_num_seqs: 64 } };
    const others = [
      make(paths, 'promo_c', 'provisional', 3000),
      make(paths, 'promo_d', 'validated', 4000),
      { ...make(paths, 'promo_e', 'rolled_back', 5000), model: 'other' },
    ];
    const all = [listPromotions(paths)[0]!, restored, ...others];
    expect(rejectedConfigs(all, { engine: 'vllm', model: 'm' })).toEqual([next, { ...next, max_num_seqs: 64 }]);
  });

  it('keeps every state change', () => {
    const paths = tempState();
    make(paths, 'promo_a', 'provisional');
    updatePromotionState(paths, 'promo_a', 'validated', 'PHASE passed', 5000);
    const r = readPromotion(paths, 'promo_a');
    expect(r.state).toBe('validated');
    expect(r.states.map((s) => [s.state, s.ts])).toEqual([
      ['provisional', 1000],
      ['validated', 5000],
    ]);
  });

  it('gives unique ids within one second', () => {
    const paths = tempState();
    const a = newPromotionId(paths, 0, 'UTC');
    make(paths, a, 'provisional');
    expect(newPromotionId(paths, 0, 'UTC')).toBe(`${a}-2`);
  });

  it('refuses an id that is not a file name', () => {
    expect(() => readPromotion(tempState(), '../x')).toThrow(/not a promotion id/);
  });

  it('names a missing promotion', () => {
    expect(() => readPromotion(tempState(), 'promo_x')).toThrow(/no promotion promo_x/);
  });
});

describe('applyProposedPromotion', () => {
  const deps = (paths: StatePaths, production: FakeProduction) => ({
    config,
    paths,
    clock: manualClock(9000),
    log: silentLogger,
    production,
    engine: vllmKnobEngine,
  });

  it('applies a proposed promotion and makes it provisional', async () => {
    const paths = tempState();
    make(paths, 'promo_a', 'proposed');
    const production = new FakeProduction({ ...previous });
    const { record, outcome } = await applyProposedPromotion(deps(paths, production), 'promo_a');
    expect(outcome.ok).toBe(true);
    expect(record.state).toBe('provisional');
    expect(production.config).toEqual(next);
  });

  it('restores the previous config when the proposed one is not healthy', async () => {
    const paths = tempState();
    make(paths, 'promo_a', 'proposed');
    const production = new FakeProduction({ ...previous }, (c) => c.gpu_memory_utilization !== 0.85);
    const { record, outcome } = await applyProposedPromotion(deps(paths, production), 'promo_a');
    expect(outcome).toMatchObject({ ok: false, state: 'restored', restored_ok: true });
    expect(record.state).toBe('restored');
    expect(production.config).toEqual(previous);
  });

  it('refuses a promotion that is not proposed', async () => {
    const paths = tempState();
    make(paths, 'promo_a', 'provisional');
    await expect(applyProposedPromotion(deps(paths, new FakeProduction(previous)), 'promo_a')).rejects.toThrow(
      /is provisional, only a proposed promotion can be applied/,
    );
  });

  it('refuses when production no longer runs the config it was measured against', async () => {
    const paths = tempState();
    make(paths, 'promo_a', 'proposed');
    const production = new FakeProduction({ ...previous, max_num_seqs: 128 });
    await expect(applyProposedPromotion(deps(paths, production), 'promo_a')).rejects.toThrow(/max_num_seqs changed/);
    expect(production.calls).toEqual([]);
  });
});
