import { describe, expect, it } from 'vitest';
import type { DomainResult, Evidence } from '../../core/types.js';
import { applyWatch, countOom, metricsUrlOf, type Watched } from './watch.js';

const logOom: Evidence = { source: 'log', kind: 'runtime_oom', line: 'torch.OutOfMemoryError: CUDA out of memory.' };
const health503: Evidence = { source: 'health', kind: 'engine_unhealthy', line: 'GET /health → 503' };
const exited: Evidence = { source: 'exit', kind: 'engine_exit', line: 'the managed engine process exited' };

const watched = (evidence: Evidence[], extra: Partial<Watched> = {}): Watched => ({
  oomEvents: countOom(evidence),
  evidence,
  logPreemptions: 0,
  during: [],
  notes: [],
  ...extra,
});

describe('OOM counting', () => {
  it('counts one incident seen by the log, /health and the exit once', () => {
    expect(countOom([logOom, health503, exited])).toBe(1);
  });

  it('counts the largest number any one source saw', () => {
    expect(countOom([logOom, { ...logOom, line: 'again' }, health503])).toBe(2);
    expect(countOom([])).toBe(0);
  });
});

describe('merging the watch into a domain result', () => {
  const pass: DomainResult = { status: 'pass', metrics: { ttft_ms_p50: 100 } };

  it('turns a passing domain with an OOM into a failure naming the evidence', () => {
    const r = applyWatch(pass, { available: false }, { available: false }, watched([logOom]));
    expect(r.status).toBe('fail');
    expect(r.metrics.oom_events).toBe(1);
    expect(r.reason).toBe('1 OOM event (log: torch.OutOfMemoryError: CUDA out of memory.)');
    expect(r.evidence).toEqual([logOom]);
  });

  it('explains an errored domain by the OOM that caused it', () => {
    const r = applyWatch(
      { status: 'error', metrics: {}, reason: 'all 6 requests failed: http_status' },
      { available: false },
      { available: false },
      watched([logOom]),
    );
    expect(r.status).toBe('fail');
    expect(r.reason).toMatch(/^all 6 requests failed: http_status; 1 OOM event/);
  });

  it('records zero OOM events and the /metrics deltas of a clean domain', () => {
    const before = { available: true, preemptions: 3, kv_usage: 0.1 };
    const after = { available: true, preemptions: 5, kv_usage: 0.2 };
    const r = applyWatch(pass, before, after, watched([], { during: [{ available: true, kv_usage: 0.7 }] }));
    expect(r.status).toBe('pass');
    expect(r.metrics).toEqual({ ttft_ms_p50: 100, oom_events: 0, preemptions: 2, kv_usage_peak: 0.7 });
  });

  it('notes a missing /metrics and falls back to preemption warnings in the log', () => {
    const r = applyWatch(
      pass,
      { available: false },
      { available: false, reason: 'HTTP 404' } as never,
      watched([], { logPreemptions: 4 }),
    );
    expect(r.metrics.preemptions).toBe(4);
    expect(r.details?.engine_signals).toEqual({ available: false, reason: 'HTTP 404' });
  });
});

describe('the /metrics URL', () => {
  it('is the server root + /metrics, a /v1 base path dropped', () => {
    expect(metricsUrlOf('http://127.0.0.1:8000/v1')).toBe('http://127.0.0.1:8000/metrics');
    expect(metricsUrlOf('http://h:1/proxy/v1/')).toBe('http://h:1/proxy/metrics');
  });
});
