import { describe, expect, it } from 'vitest';
import { configSchema } from '../../config/schema.js';
import { decidePromotion, fitness, medianMetrics } from './fitness.js';
import type { CandidateResult } from './types.js';

const cfg = configSchema.parse({});
const ref = {
  metrics: { goodput_req_per_s: 10, output_tok_per_s: 500, ttft_ms_p95: 200, itl_ms_p95: 20, e2e_ms_p95: 2000 },
};

function cand(fitnessValue: number, status: CandidateResult['status'] = 'pass'): CandidateResult {
  return {
    role: 'candidate',
    config: { max_num_seqs: Math.round(fitnessValue * 100) },
    changed: ['max_num_seqs'],
    status,
    fitness: fitnessValue,
    metrics: {},
    domains: {},
    evidence: [],
    duration_ms: 1,
    canary_seconds: 1,
  };
}

describe('fitness', () => {
  it('scores the reference itself 1', () => {
    expect(fitness(ref.metrics, 'pass', cfg, ref)).toBe(1);
  });

  it('scores better throughput and lower latency above 1', () => {
    const better = { goodput_req_per_s: 11, output_tok_per_s: 550, ttft_ms_p95: 180, itl_ms_p95: 18, e2e_ms_p95: 1800 };
    expect(fitness(better, 'pass', cfg, ref)).toBeGreaterThan(1.09);
  });

  it.each(['oom', 'crash', 'start_failed', 'timeout', 'fail', 'error'] as const)('scores %s 0', (status) => {
    expect(fitness(ref.metrics, status, cfg, ref)).toBe(0);
  });

  it('scores 0 with any OOM event in the metrics', () => {
    expect(fitness({ ...ref.metrics, oom_events: 1 }, 'pass', cfg, ref)).toBe(0);
  });

  it("scores 0 with a pass rate below production's", () => {
    expect(fitness({ ...ref.metrics, pass_rate: 0.9 }, 'pass', cfg, { ...ref, pass_rate: 1 })).toBe(0);
    expect(fitness({ ...ref.metrics, pass_rate: 1 }, 'pass', cfg, { ...ref, pass_rate: 1 })).toBe(1);
  });

  it('uses the weights from tuning.fitness.weights', () => {
    const onlyTtft = configSchema.parse({ tuning: { fitness: { weights: { ttft_ms_p95: 1 } } } });
    expect(fitness({ ...ref.metrics, ttft_ms_p95: 100, goodput_req_per_s: 1 }, 'pass', onlyTtft, ref)).toBe(2);
  });

  it('takes the element-wise median as a reference', () => {
    expect(
      medianMetrics([{ metrics: { req_per_s: 1 } }, { metrics: { req_per_s: 3 } }, { metrics: { req_per_s: 2 } }]),
    ).toEqual({
      req_per_s: 2,
    });
  });
});

describe('decidePromotion', () => {
  it('promotes the best passing candidate that beats the control by more than the margin', () => {
    const d = decidePromotion({ fitness: 1, status: 'pass' }, [cand(1.02), cand(1.2), cand(3, 'oom')], 0.03);
    expect(d.decision).toBe('promote');
    expect(d.decision === 'promote' && d.best.fitness).toBe(1.2);
  });

  it('ends no_improvement when the best is within the noise margin', () => {
    expect(decidePromotion({ fitness: 1, status: 'pass' }, [cand(1.03)], 0.03).decision).toBe('no_improvement');
  });

  it('ends all_failed when no candidate passed', () => {
    expect(decidePromotion({ fitness: 1, status: 'pass' }, [cand(0, 'crash')], 0.03).decision).toBe('all_failed');
  });

  it('promotes any passing candidate over a control that failed', () => {
    expect(decidePromotion({ fitness: 0, status: 'oom' }, [cand(0.8)], 0.03).decision).toBe('promote');
  });
});
