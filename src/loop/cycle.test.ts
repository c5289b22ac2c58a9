import { describe, expect, it } from 'vitest';
import { phaseHeadline } from './cycle.js';

describe('phaseHeadline', () => {
  it('sums OOM events, takes the interactive p95 TTFT and averages pass and error rates', () => {
    const h = phaseHeadline([
      { domain: 'interactive', metrics: { ttft_ms_p95: 210.04, oom_events: 0, error_rate: 0 } },
      { domain: 'throughput', metrics: { ttft_ms_p95: 900, oom_events: 2, error_rate: 0.1 } },
      { domain: 'correctness', metrics: { pass_rate: 0.9 } },
      { domain: 'structured-output', metrics: { pass_rate: 1 } },
    ]);
    expect(h).toEqual({ oom_events: 2, ttft_ms_p95: 210, pass_rate: 0.95, error_rate: 0.05 });
  });

  it('without an interactive domain takes the worst p95 TTFT', () => {
    expect(
      phaseHeadline([
        { domain: 'throughput', metrics: { ttft_ms_p95: 900 } },
        { domain: 'burst', metrics: { ttft_ms_p95: 1200 } },
      ]).ttft_ms_p95,
    ).toBe(1200);
  });

  it('a night without those metrics has no headline numbers', () => {
    expect(phaseHeadline([{ domain: 'health', metrics: {} }])).toEqual({});
  });
});
