import { describe, expect, it } from 'vitest';
import { type DomainSpec, memoryNight, noisyDomain } from '../../../test/support/records.js';
import { type ConfigInput, configSchema } from '../../config/schema.js';
import type { Metrics } from '../../core/metrics.js';
import { seededRng } from '../../core/random.js';
import type { RequestSample } from '../../core/types.js';
import { compareNights } from './compare.js';
import type { JudgedVerdict } from './judge.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 10, 1, 3, 0, 0);
const config = configSchema.parse({});

function night(i: number, domains: Record<string, DomainSpec>) {
  return memoryNight({ ts: T0 + i * DAY, domains });
}

/** n baseline nights of one domain built by `make(i)`, tonight by `tonight`. */
function judge(
  n: number,
  make: (i: number) => DomainSpec,
  tonight: DomainSpec | undefined,
  domain = 'interactive',
  input: ConfigInput = {},
): JudgedVerdict[] {
  const base = Array.from({ length: n }, (_, i) => night(i, { [domain]: make(i) }));
  const today = night(n, tonight ? { [domain]: tonight } : {});
  return compareNights(configSchema.parse(input), base, today);
}

function find(vs: JudgedVerdict[], metric: string, domain = 'interactive'): JudgedVerdict {
  const v = vs.find((x) => x.metric === metric && x.domain === domain);
  if (!v) throw new Error(`no verdict for ${domain} ${metric}`);
  return v;
}

function latency(seed: number, level = 1, override: Metrics = {}): DomainSpec {
  const d = noisyDomain(seededRng(seed), { n: 300, ttftMs: 200, itlMs: 20, cv: 0.1, level });
  return { ...d, metrics: { ...d.metrics, ...override } };
}

function only(metrics: Metrics, samples: RequestSample[] = []): DomainSpec {
  return { status: 'pass', metrics, samples };
}

describe('inconclusive verdicts', () => {
  it('a baseline with fewer nights than min_nights is inconclusive and says how many', () => {
    const v = find(
      judge(2, (i) => latency(i), latency(99, 1.5)),
      'ttft_ms_p95',
    );
    expect(v.outcome).toBe('inconclusive');
    expect(v.reason).toBe('baseline has 2 nights (needs 3)');
  });

  it('a domain that errored tonight is inconclusive with its reason', () => {
    const v = find(
      judge(5, (i) => latency(i), { status: 'error', reason: 'connection refused', metrics: {} }),
      'ttft_ms_p95',
    );
    expect(v.outcome).toBe('inconclusive');
    expect(v.reason).toBe('interactive errored tonight: connection refused');
  });

  it('a domain that returned no data tonight is inconclusive', () => {
    const v = find(
      judge(5, (i) => latency(i), undefined),
      'e2e_ms_p50',
    );
    expect(v.outcome).toBe('inconclusive');
    expect(v.reason).toBe('interactive returned no data tonight');
  });

  it('baseline nights where the domain errored do not count', () => {
    const vs = judge(5, (i) => (i < 3 ? { status: 'error', metrics: {} } : latency(i)), latency(99));
    expect(find(vs, 'ttft_ms_p50').reason).toBe('baseline has 2 nights (needs 3)');
  });
});

describe('latency', () => {
  it('a significant rise past the threshold and above the floor is a warning that explains itself', () => {
    const v = find(
      judge(7, (i) => latency(i, 1, { ttft_ms_p95: 212 }), latency(99, 1.33, { ttft_ms_p95: 281 })),
      'ttft_ms_p95',
    );
    expect(v.outcome).toBe('warning');
    expect(v.baseline).toBe(212);
    expect(v.current).toBe(281);
    expect(v.deltaPct).toBeCloseTo(32.5472, 3);
    expect(v.test?.name).toBe('mann-whitney');
    expect(v.reason).toMatch(/^p95 TTFT \+32\.5% \(threshold \+20%\), significant \(p<0\.0001\), \+\d+\.\.\d+ ms$/);
  });

  it('a rise of 50% or more is critical', () => {
    const v = find(
      judge(5, (i) => latency(i), latency(99, 1.6)),
      'ttft_ms_p50',
    );
    expect(v.outcome).toBe('critical');
    expect(v.reason).toContain('(critical threshold +50%)');
  });

  it('a big percentage of a tiny latency stays under the absolute floor', () => {
    const tiny = (seed: number, level: number) =>
      noisyDomain(seededRng(seed), { n: 300, ttftMs: 4, itlMs: 2, cv: 0.1, level });
    const v = find(
      judge(5, (i) => tiny(i, 1), tiny(99, 1.5)),
      'ttft_ms_p50',
    );
    expect(v.outcome).toBe('ok');
    expect(v.reason).toMatch(/but only \+1\.97 ms \(floor 5 ms\)$/);
  });

  it('a rise the per-request samples do not support is not significant', () => {
    // tonight's value is reported 30% higher, but its requests are drawn from the baseline's distribution
    const v = find(
      judge(5, (i) => latency(i), latency(99, 1, { ttft_ms_p95: 300 })),
      'ttft_ms_p95',
    );
    expect(v.outcome).toBe('ok');
    expect(v.reason).toMatch(/but not significant \(p=[\d.]+, alpha 0\.01\)$/);
  });

  it('an improvement is ok', () => {
    const v = find(
      judge(5, (i) => latency(i), latency(99, 0.7)),
      'e2e_ms_p95',
    );
    expect(v.outcome).toBe('ok');
    expect(v.deltaPct).toBeLessThan(-20);
  });

  it('without per-request samples, falls back to the nightly values', () => {
    const v = find(
      judge(5, (i) => only({ ttft_ms_p95: 200 + i }), only({ ttft_ms_p95: 320 })),
      'ttft_ms_p95',
    );
    expect(v.test?.name).toBe('robust-z');
    expect(v.outcome).toBe('critical');
  });

  it.each([
    { current: 239.8, outcome: 'ok' },
    { current: 240.0, outcome: 'warning' },
    { current: 240.2, outcome: 'warning' },
  ])('the +20 percent threshold is inclusive: p95 $current ms against 200 ms is $outcome', ({ current, outcome }) => {
    const v = find(
      judge(5, (i) => latency(i, 1, { ttft_ms_p95: 200 }), latency(99, 1.3, { ttft_ms_p95: current })),
      'ttft_ms_p95',
    );
    expect(v.outcome).toBe(outcome);
  });
});

describe('throughput', () => {
  const steady = (i: number) => only({ output_tok_per_s: 2000 + ((i % 3) - 1) * 10 });

  it('a 15% drop below the nightly median is a warning, by the robust z of the nightly values', () => {
    const v = find(judge(7, steady, only({ output_tok_per_s: 1700 })), 'output_tok_per_s');
    expect(v.outcome).toBe('warning');
    expect(v.test?.name).toBe('robust-z');
    expect(v.reason).toMatch(/^output tok\/s −15\.0% \(threshold −15%\), significant \(p<0\.0001\), −300 tok\/s$/);
  });

  it('a 30% drop is critical', () => {
    expect(find(judge(7, steady, only({ output_tok_per_s: 1400 })), 'output_tok_per_s').outcome).toBe('critical');
  });

  it('a drop inside the baseline’s own night-to-night spread is not significant', () => {
    const wild = (i: number) => only({ output_tok_per_s: [2000, 1400, 2600, 1500, 2500][i] as number });
    const v = find(judge(5, wild, only({ output_tok_per_s: 1650 })), 'output_tok_per_s');
    expect(v.outcome).toBe('ok');
    expect(v.reason).toContain('not significant');
  });

  it('a request-rate drop smaller than the floor is ok', () => {
    const v = find(
      judge(5, () => only({ req_per_s: 0.2 }), only({ req_per_s: 0.16 })),
      'req_per_s',
    );
    expect(v.outcome).toBe('ok');
    expect(v.reason).toContain('floor 0.05 req/s');
  });
});

describe('pass rate and error rate', () => {
  const checks = (n: number, passed: number): RequestSample[] =>
    Array.from({ length: n }, (_, i) => ({ ok: true, t: i, passed: i < passed }));

  it('a relative pass-rate drop of 15% with a significant binomial test is a warning', () => {
    const v = find(
      judge(5, () => only({ pass_rate: 0.96 }, checks(200, 192)), only({ pass_rate: 0.8 }, checks(200, 160))),
      'pass_rate',
    );
    expect(v.outcome).toBe('warning');
    expect(v.test?.name).toBe('fisher-exact');
    expect(v.reason).toMatch(/^pass rate −16\.7% \(threshold −15%\), significant \(p<0\.0001\), 80% vs 96%$/);
  });

  it('the same drop on a handful of checks is not significant', () => {
    const v = find(
      judge(5, () => only({ pass_rate: 1 }, checks(5, 5)), only({ pass_rate: 0.8 }, checks(5, 4))),
      'pass_rate',
    );
    expect(v.outcome).toBe('ok');
  });

  const requests = (n: number, failed: number): RequestSample[] =>
    Array.from({ length: n }, (_, i) => (i < failed ? { ok: false, t: i } : { ok: true, t: i }));

  it('an error rate above the floor and significantly above the baseline is a warning', () => {
    const v = find(
      judge(5, () => only({ error_rate: 0.002 }, requests(500, 1)), only({ error_rate: 0.05 }, requests(500, 25))),
      'error_rate',
    );
    expect(v.outcome).toBe('warning');
    expect(v.kind).toBe('error_rate_rise');
  });

  it('an error rate under the floor is ok whatever the baseline', () => {
    const v = find(
      judge(5, () => only({ error_rate: 0 }, requests(500, 0)), only({ error_rate: 0.01 }, requests(500, 5))),
      'error_rate',
    );
    expect(v.outcome).toBe('ok');
  });
});

describe('OOM events', () => {
  it('any OOM where the baseline had none is critical', () => {
    const v = find(
      judge(3, () => only({ oom_events: 0 }), only({ oom_events: 1 })),
      'oom_events',
    );
    expect(v.outcome).toBe('critical');
    expect(v.kind).toBe('oom_event');
    expect(v.reason).toBe('OOM events: 1 tonight, baseline had none in 3 nights');
  });

  it('are judged even when the domain errored tonight', () => {
    const crashed: DomainSpec = { status: 'error', reason: 'engine died', metrics: { oom_events: 1, req_per_s: 0 } };
    const vs = judge(3, () => only({ oom_events: 0, req_per_s: 3 }), crashed);
    expect(find(vs, 'oom_events').outcome).toBe('critical');
    expect(find(vs, 'req_per_s').outcome).toBe('inconclusive');
  });

  it('a significant rise of more than 50% is a warning', () => {
    const v = find(
      judge(7, () => only({ oom_events: 1 }), only({ oom_events: 9 })),
      'oom_events',
    );
    expect(v.outcome).toBe('warning');
    expect(v.test?.name).toBe('poisson-rate');
  });

  it('a rise that chance explains is ok', () => {
    const v = find(
      judge(7, () => only({ oom_events: 1 }), only({ oom_events: 2 })),
      'oom_events',
    );
    expect(v.outcome).toBe('ok');
  });
});

describe('verdicts', () => {
  it('name the symptom kind and the baseline nights they came from', () => {
    const vs = judge(4, (i) => latency(i), latency(99));
    const v = find(vs, 'itl_ms_p95');
    expect(v.kind).toBe('latency_regression');
    expect(v.baselineEpochs).toEqual([
      'phase_20261101_030000',
      'phase_20261102_030000',
      'phase_20261103_030000',
      'phase_20261104_030000',
    ]);
  });

  it('cover only the judged metrics a domain reported', () => {
    const vs = judge(3, () => only({ kv_usage_peak: 0.5, req_per_s: 3 }), only({ kv_usage_peak: 0.9, req_per_s: 3 }));
    expect(vs.map((v) => v.metric)).toEqual(['req_per_s']);
  });

  it('use configured thresholds', () => {
    const vs = judge(5, (i) => latency(i), latency(99, 1.12), 'interactive', {
      analysis: { thresholds: { latency: { warning: 0.1, critical: 0.3 } } },
    });
    expect(find(vs, 'ttft_ms_p50').outcome).toBe('warning');
    expect(config.analysis.thresholds.latency.warning).toBe(0.2);
  });
});

describe('a failed health domain (target down)', () => {
  const healthy = (): DomainSpec => ({
    status: 'pass',
    metrics: { pass_rate: 1, oom_events: 0 },
    samples: [{ ok: true, t: 0, ttft_ms: 20, e2e_ms: 30 }],
  });
  const refused = 'target unreachable: connect_refused (connect ECONNREFUSED 127.0.0.1:8000)';
  const dead: DomainSpec = {
    status: 'fail',
    reason: 'health: /health → 503; completion: http_status: HTTP 503',
    metrics: { pass_rate: 0, oom_events: 0 },
    samples: [{ ok: false, t: 0, error: 'http_status' }],
    evidence: [{ source: 'health', line: 'GET /health → 503', kind: 'engine_dead' }],
  };

  /** health plus `others` domains tonight that errored as the runner makes them when the target is down */
  function deadNight(health: DomainSpec, baselineNights = 7): JudgedVerdict[] {
    const erroredOther: DomainSpec = { status: 'error', reason: refused, metrics: {} };
    const ok = (i: number) => ({ health: healthy(), interactive: latency(i) });
    const base = Array.from({ length: baselineNights }, (_, i) => night(i, ok(i)));
    return compareNights(config, base, night(baselineNights, { health, interactive: erroredOther }));
  }

  it('/health 503 is a critical target_down verdict even though the test on one check is not significant', () => {
    const v = deadNight(dead).find((x) => x.kind === 'target_down');
    expect(v).toMatchObject({
      domain: 'health',
      metric: 'pass_rate',
      outcome: 'critical',
      baseline: 1,
      current: 0,
      reason: 'health failed tonight: health: /health → 503; completion: http_status: HTTP 503',
      domainReason: dead.reason,
      evidence: dead.evidence,
    });
  });

  it('replaces the health pass-rate verdict: one finding, not a pass_rate_drop beside it', () => {
    const health = deadNight(dead).filter((v) => v.domain === 'health' && v.metric === 'pass_rate');
    expect(health.map((v) => v.kind)).toEqual(['target_down']);
  });

  it('a refused connection is target_down while every other domain stays inconclusive', () => {
    const vs = deadNight({ status: 'fail', reason: refused, metrics: { pass_rate: 0 } });
    expect(vs.find((v) => v.kind === 'target_down')?.reason).toBe(`health failed tonight: ${refused}`);
    expect(vs.filter((v) => v.domain === 'interactive').every((v) => v.outcome === 'inconclusive')).toBe(true);
  });

  it('needs no baseline: a dead target is critical on the first night', () => {
    const v = deadNight(dead, 0).find((x) => x.kind === 'target_down');
    expect(v).toMatchObject({ outcome: 'critical', baseline: null, baselineEpochs: [] });
  });

  it('a passing health domain gives no target_down verdict', () => {
    const vs = compareNights(
      config,
      [0, 1, 2].map((i) => night(i, { health: healthy() })),
      night(3, { health: healthy() }),
    );
    expect(vs.some((v) => v.kind === 'target_down')).toBe(false);
  });

  it('a failed domain of another name is judged by its metrics, not as target_down', () => {
    const vs = compareNights(
      config,
      [0, 1, 2].map((i) => night(i, { correctness: healthy() })),
      night(3, { correctness: dead }),
    );
    expect(vs.some((v) => v.kind === 'target_down')).toBe(false);
  });
});

describe('a health domain that failed of OOM', () => {
  it('is one critical oom_event finding, not a target_down beside it', () => {
    const base = [0, 1, 2, 3].map((i) => night(i, { health: only({ pass_rate: 1, oom_events: 0 }) }));
    const tonight: DomainSpec = {
      status: 'fail',
      reason: 'completion: other: EngineCore encountered an issue; 1 OOM event (log: torch.OutOfMemoryError)',
      metrics: { pass_rate: 2 / 3, oom_events: 1 },
    };
    const vs = compareNights(config, base, night(4, { health: tonight }));
    expect(vs.some((v) => v.kind === 'target_down')).toBe(false);
    expect(find(vs, 'oom_events', 'health').outcome).toBe('critical');
  });
});
