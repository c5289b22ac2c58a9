import { describe, expect, it } from 'vitest';
import type { Verdict } from '../core/types.js';
import { decideValidation } from './validation.js';

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
});
