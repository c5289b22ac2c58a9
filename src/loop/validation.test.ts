import { describe, expect, it } from 'vitest';
import type { Verdict } from '../core/types.js';
import { breakerOutcomeOfValidation, decideValidation, referenceNights } from './validation.js';

const v = (outcome: Verdict['outcome'], metric: Verdict['metric'] = 'ttft_ms_p95'): Verdict => ({
  domain: 'interactive',
  metric,
  baseline: 100,
  current: outcome === 'ok' ? 100 : 180,
  deltaPct: outcome === 'ok' ? 0 : 80,
  outcome,
  reason: `${metric} ${outcome}`,
});

describe('decideValidation', () => {
  it('a significant regression is worse', () => {
    const d = decideValidation({
      verdicts: [v('ok'), v('critical', 'req_per_s')],
      triggerKind: 'latency',
      tonightSymptomKinds: [],
      analysisStatus: 'degraded',
    });
    expect(d.outcome).toBe('worse');
    expect(d.regressions).toHaveLength(1);
    expect(d.reason).toMatch(/req_per_s/);
  });

  it('no regression and the trigger symptom gone is better', () => {
    const d = decideValidation({
      verdicts: [v('ok')],
      triggerKind: 'latency',
      tonightSymptomKinds: [],
      analysisStatus: 'healthy',
    });
    expect(d.outcome).toBe('better');
  });

  it('the trigger symptom recurring without a regression leaves it open', () => {
    const d = decideValidation({
      verdicts: [v('ok')],
      triggerKind: 'latency',
      tonightSymptomKinds: ['latency'],
      analysisStatus: 'degraded',
    });
    expect(d.outcome).toBe('neutral');
  });

  it('an inconclusive night leaves it open', () => {
    const d = decideValidation({
      verdicts: [v('inconclusive')],
      triggerKind: 'latency',
      tonightSymptomKinds: [],
      analysisStatus: 'inconclusive',
    });
    expect(d.outcome).toBe('neutral');
  });

  it('a significant improvement of the trigger kind against the night it was made for is better, even with the symptom still there', () => {
    const d = decideValidation({
      verdicts: [v('ok')],
      reverseVerdicts: [{ ...v('warning'), kind: 'latency_regression' }],
      triggerKind: 'latency_regression',
      tonightSymptomKinds: ['latency_regression'],
      analysisStatus: 'degraded',
    });
    expect(d.outcome).toBe('better');
    expect(d.reason).toMatch(/improved significantly/);
  });

  it('an improvement of another kind than the trigger does not validate it', () => {
    const d = decideValidation({
      verdicts: [v('ok')],
      reverseVerdicts: [{ ...v('warning', 'req_per_s'), kind: 'throughput_drop' }],
      triggerKind: 'latency_regression',
      tonightSymptomKinds: ['latency_regression'],
      analysisStatus: 'degraded',
    });
    expect(d.outcome).toBe('neutral');
  });

  it('a regression against the night it was made for outweighs an improvement', () => {
    const d = decideValidation({
      verdicts: [v('critical', 'oom_events')],
      reverseVerdicts: [{ ...v('warning', 'req_per_s'), kind: 'throughput_drop' }],
      triggerKind: 'throughput_drop',
      tonightSymptomKinds: ['throughput_drop', 'oom_event'],
      analysisStatus: 'degraded',
    });
    expect(d.outcome).toBe('worse');
  });
});

describe('referenceNights', () => {
  const nights = [
    { epochId: 'n1', ts: 1 },
    { epochId: 'n2', ts: 2 },
    { epochId: 'n3', ts: 3 },
    { epochId: 'n4', ts: 4 },
    { epochId: 'n5', ts: 6 },
  ];

  it('is the triggering night (the last before the promotion), not the healthy nights before the fault', () => {
    expect(referenceNights({ nights, promotionTs: 5, symptomEpochs: [], quarantined: [] })).toEqual(['n4']);
  });

  it('adds the earlier nights with a symptom of the trigger kind, oldest first', () => {
    expect(referenceNights({ nights, promotionTs: 5, symptomEpochs: ['n3', 'n2', 'n5'], quarantined: [] })).toEqual([
      'n2',
      'n3',
      'n4',
    ]);
  });

  it('never uses a quarantined night (measured under a rolled-back promotion)', () => {
    expect(referenceNights({ nights, promotionTs: 5, symptomEpochs: ['n4'], quarantined: ['n4'] })).toEqual(['n3']);
  });

  it('is empty when no night preceded the promotion', () => {
    expect(referenceNights({ nights, promotionTs: 0, symptomEpochs: [], quarantined: [] })).toEqual([]);
  });
});

describe('breakerOutcomeOfValidation', () => {
  it('a rollback is not fixed for the breaker of its kind', () => {
    expect(breakerOutcomeOfValidation({ promotion_id: 'p', outcome: 'rolled_back', reason: 'r', kind: 'oom' })).toEqual(
      { kind: 'not_fixed', ref: 'p', why: 'promotion rolled back' },
    );
  });

  it('a validation is fixed; an open promotion says nothing yet', () => {
    expect(breakerOutcomeOfValidation({ promotion_id: 'p', outcome: 'validated', reason: 'r' })).toEqual({
      kind: 'fixed',
      ref: 'p',
    });
    expect(breakerOutcomeOfValidation({ promotion_id: 'p', outcome: 'open', reason: 'r' })).toBeUndefined();
  });
});
