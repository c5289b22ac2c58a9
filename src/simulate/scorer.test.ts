import { describe, expect, it } from 'vitest';
import { healingRun, row, tuning } from '../../test/simulate/rows.js';
import { resolvedNight, summarize } from './scorer.js';

describe('summarize', () => {
  it('finds the first fault, degraded, escalation, promotion and validated nights', () => {
    const s = summarize(healingRun(), undefined);
    expect(s).toMatchObject({
      first_fault_night: 4,
      first_degraded_night: 4,
      first_escalation_night: 5,
      promotion_night: 5,
      validated_night: 6,
    });
  });

  it('counts nights to resolution from the first fault night to the first clean night on the promoted config', () => {
    const s = summarize(healingRun(), undefined);
    expect(s.resolved_night).toBe(6);
    expect(s.nights_to_resolution).toBe(2);
  });

  it('gives null where something never happened', () => {
    const s = summarize([row(1), row(2)], undefined);
    expect(s.first_fault_night).toBeNull();
    expect(s.promotion_night).toBeNull();
    expect(s.resolved_night).toBeNull();
    expect(s.nights_to_resolution).toBeNull();
  });

  it('counts escalations on nights without an active fault as false escalations', () => {
    const rows = [row(1, { escalations_armed: ['latency_regression'] }), ...healingRun().slice(1)];
    const s = summarize(rows, undefined);
    expect(s.false_escalations).toBe(1);
    expect(s.escalations).toBe(2);
  });

  it('counts rollbacks and sums canary seconds', () => {
    const rows = [
      row(1, { tuning: tuning({ promoted_config: { max_num_seqs: 128 }, canary_seconds: 10.04 }) }),
      row(2, { validation: { promotion_id: 'p', outcome: 'rolled_back' } }),
      row(3, { tuning: tuning({ status: 'no_improvement', canary_seconds: 5 }) }),
    ];
    const s = summarize(rows, undefined);
    expect(s.rollbacks).toBe(1);
    expect(s.promotions).toBe(1);
    expect(s.canary_seconds_total).toBe(15);
  });
});

describe('resolvedNight', () => {
  it('does not count a clean night once the promotion was rolled back', () => {
    const f = { faults_active: ['slowdown'] };
    const rows = [
      row(1, { ...f, tuning: tuning({ promoted_config: { max_num_seqs: 32 } }), symptoms: ['latency_regression'] }),
      row(2, { ...f, validation: { promotion_id: 'p', outcome: 'rolled_back' }, symptoms: ['latency_regression'] }),
      row(3, f),
    ];
    expect(resolvedNight(rows)).toBeNull();
  });

  it('does not count a clean night without an active fault', () => {
    const rows = [row(1, { tuning: tuning({ promoted_config: { max_num_seqs: 32 } }) }), row(2)];
    expect(resolvedNight(rows)).toBeNull();
  });
});

describe('expectations', () => {
  it('are met when every bound holds', () => {
    const s = summarize(healingRun(), {
      resolved_by_night: 6,
      max_false_escalations: 0,
      promoted_lowers_any: ['max_model_len', 'max_num_seqs'],
      promotions_beat_control: true,
    });
    expect(s.expect).toEqual({ met: true, failures: [] });
  });

  it('name each bound that does not hold, with what happened', () => {
    const s = summarize(healingRun(), { resolved_by_night: 5, validated_by_night: 5, max_promotions: 0 });
    expect(s.expect.met).toBe(false);
    expect(s.expect.failures).toEqual([
      'validated_by_night 5: happened on night 6',
      'resolved_by_night 5: happened on night 6',
      'max_promotions 0: was 1',
    ]);
  });

  it('fail a by-night bound when the event never happened', () => {
    const s = summarize([row(1)], { promotion_by_night: 3 });
    expect(s.expect.failures).toEqual(['promotion_by_night 3: never happened']);
  });

  it('fail promoted_lowers_any when the promotion raised the knobs', () => {
    const rows = [row(1, { tuning: tuning({ promoted_config: { max_num_seqs: 128 } }) })];
    const s = summarize(rows, { promoted_lowers_any: ['max_num_seqs'] });
    expect(s.expect.failures[0]).toMatch(/promoted_lowers_any max_num_seqs: night 1 promoted \{"max_num_seqs":128\}/);
  });

  it('fail promotions_beat_control when a promotion did not beat its control', () => {
    const rows = [
      row(1, { tuning: tuning({ promoted_config: { max_num_seqs: 32 }, best_fitness: 0.5, control_fitness: 0.5 }) }),
    ];
    const s = summarize(rows, { promotions_beat_control: true });
    expect(s.expect.failures).toEqual(['promotions_beat_control: night 1 promoted fitness 0.5 ≤ control 0.5']);
  });
});
