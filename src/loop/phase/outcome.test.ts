import { describe, expect, it } from 'vitest';
import type { RequestSample } from '../../core/types.js';
import { decideStatus, quantile } from './outcome.js';

const ok = (): RequestSample => ({ ok: true, t: 0, e2e_ms: 10 });
const bad = (error: RequestSample['error'], detail = 'x'): RequestSample => ({
  ok: false,
  t: 0,
  error,
  error_detail: detail,
});

describe('domain status', () => {
  it('passes when every request succeeded', () => {
    expect(decideStatus({ samples: [ok(), ok()] })).toEqual({ status: 'pass' });
  });

  it('is an error naming the dominant class when no request succeeded', () => {
    const d = decideStatus({ samples: [bad('timeout', 'no answer in 1000 ms'), bad('timeout'), bad('other')] });
    expect(d.status).toBe('error');
    expect(d.reason).toBe('all 3 requests failed: timeout (no answer in 1000 ms)');
  });

  it('fails above the tolerated error rate', () => {
    const samples = [...Array.from({ length: 9 }, ok), bad('http_status')];
    const d = decideStatus({ samples });
    expect(d.status).toBe('fail');
    expect(d.reason).toMatch(/error rate 10% above 5\.0%.*http_status ×1/);
  });

  it('fails on a domain criterion even without errors', () => {
    expect(decideStatus({ samples: [ok()], failures: ['pass rate 50% below 75%'] })).toEqual({
      status: 'fail',
      reason: 'pass rate 50% below 75%',
    });
  });

  it('does not count requests the run aborted against the server', () => {
    expect(decideStatus({ samples: [ok(), bad('aborted'), bad('aborted')] }).status).toBe('pass');
    expect(decideStatus({ samples: [bad('aborted')] }).reason).toMatch(/aborted before any/);
  });
});

describe('quantile', () => {
  it('interpolates between ranks', () => {
    expect(quantile([10, 20], 0.5)).toBe(15);
    expect(quantile([], 0.5)).toBeUndefined();
  });
});
