import { describe, expect, it } from 'vitest';
import type { DomainNight } from './night.js';
import { targetDown } from './target.js';

function health(status: DomainNight['status'], reason?: string, evidence: DomainNight['evidence'] = []): DomainNight {
  return {
    status,
    ...(reason !== undefined ? { reason } : {}),
    ...(evidence.length > 0 ? { evidence } : {}),
    metrics: status === 'pass' ? { pass_rate: 1 } : { pass_rate: 0 },
    series: { ttft_ms: new Float64Array(), itl_ms: new Float64Array(), e2e_ms: new Float64Array() },
    counts: undefined,
  };
}

describe('targetDown', () => {
  it('a passing health domain is not down', () => {
    expect(targetDown(health('pass'))).toBeUndefined();
  });

  it('a missing health domain is not known to be down', () => {
    expect(targetDown(undefined)).toBeUndefined();
  });

  it('a refused connection is down, with the domain reason in plain words', () => {
    const reason = 'target unreachable: connect_refused (connect ECONNREFUSED 127.0.0.1:8000)';
    expect(targetDown(health('fail', reason))).toEqual({
      reason: `health failed tonight: ${reason}`,
      domainReason: reason,
      evidence: [],
    });
  });

  it('/health answering 503 is down and keeps the evidence', () => {
    const evidence = [{ source: 'health' as const, line: 'GET /health → 503', kind: 'engine_dead' }];
    const down = targetDown(health('fail', 'health: /health → 503; completion: http_status: HTTP 503', evidence));
    expect(down?.reason).toBe('health failed tonight: health: /health → 503; completion: http_status: HTTP 503');
    expect(down?.evidence).toEqual(evidence);
  });

  it('a health domain cut by its own timeout is down: the target accepts connections and never answers', () => {
    const down = targetDown(health('error', 'timed out after 60s (domain timeout)'));
    expect(down?.reason).toBe('health did not answer tonight: timed out after 60s (domain timeout)');
  });

  it('a health domain that errored for a reason of the run, not the target, is not down', () => {
    expect(targetDown(health('error', 'cut short: interrupted'))).toBeUndefined();
    expect(targetDown(health('error', 'invalid options: max_tokens must be a number'))).toBeUndefined();
  });
});

describe('targetDown and OOM', () => {
  it('a health domain that failed because the engine ran out of memory is left to the oom_event verdict', () => {
    const oom = {
      ...health('fail', 'completion: other; 1 OOM event (log: torch.OutOfMemoryError)'),
      metrics: { pass_rate: 0.67, oom_events: 1 },
    };
    expect(targetDown(oom)).toBeUndefined();
  });
});
