import { describe, expect, it } from 'vitest';
import type { DomainResult } from '../../core/types.js';
import { mergeDomainMetrics } from './canary.js';

const r = (metrics: DomainResult['metrics']): DomainResult => ({ status: 'pass', metrics });

describe('mergeDomainMetrics', () => {
  it('takes throughput from the throughput domain and latency from the interactive one', () => {
    const m = mergeDomainMetrics(
      new Map([
        ['interactive', r({ req_per_s: 1, ttft_ms_p95: 100 })],
        ['throughput', r({ req_per_s: 9, ttft_ms_p95: 900 })],
      ]),
    );
    expect(m).toMatchObject({ req_per_s: 9, ttft_ms_p95: 100 });
  });

  it('keeps the worst pass rate and error rate, and sums OOM events', () => {
    const m = mergeDomainMetrics(
      new Map([
        ['correctness', r({ pass_rate: 0.9, error_rate: 0, oom_events: 1 })],
        ['long-context', r({ pass_rate: 1, error_rate: 0.2, oom_events: 2 })],
      ]),
    );
    expect(m).toMatchObject({ pass_rate: 0.9, error_rate: 0.2, oom_events: 3 });
  });
});
