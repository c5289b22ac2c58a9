import { describe, expect, it } from 'vitest';
import type { RequestSample } from '../core/types.js';
import { meetsSlo, stat, summarize } from './summary.js';

const slo = { ttft_ms: 100, itl_ms: 20 };
const ok = (ttft: number, itl: number[], out = itl.length + 1): RequestSample => ({
  ok: true,
  t: 0,
  ttft_ms: ttft,
  itl_ms: itl,
  e2e_ms: ttft + itl.reduce((a, b) => a + b, 0),
  tpot_ms: itl.length ? itl.reduce((a, b) => a + b, 0) / itl.length : undefined,
  output_tokens: out,
});

describe('summary', () => {
  it('interpolates percentiles linearly (type 7)', () => {
    const s = stat([10, 20, 30, 40, 50]);
    expect(s).toMatchObject({ count: 5, mean: 30, p50: 30, p90: 46, min: 10, max: 50 });
  });

  it('pools inter-token gaps of all requests for ITL', () => {
    const sum = summarize([ok(50, [10, 10]), ok(60, [30])], 1000, slo);
    expect(sum.itl_ms?.count).toBe(3);
    expect(sum.metrics.itl_ms_p50).toBe(10);
  });

  it('counts goodput only for requests within TTFT and per-request ITL p95', () => {
    expect(meetsSlo(ok(50, [10, 10]), slo)).toBe(true);
    expect(meetsSlo(ok(150, [10]), slo)).toBe(false);
    expect(meetsSlo(ok(50, [10, 10, 10, 10, 10, 10, 10, 10, 90, 90]), slo)).toBe(false);
    const sum = summarize([ok(50, [10]), ok(150, [10])], 2000, slo);
    expect(sum.goodput_req_per_s).toBe(0.5);
    expect(sum.req_per_s).toBe(1);
  });

  it('reports errors by class and an error rate that leaves out aborted requests', () => {
    const sum = summarize(
      [
        ok(50, [10]),
        { ok: false, t: 0, error: 'timeout' },
        { ok: false, t: 0, error: 'aborted' },
        { ok: false, t: 0, error: 'timeout' },
      ],
      1000,
      slo,
    );
    expect(sum.errors).toEqual({ timeout: 2, aborted: 1 });
    expect(sum.metrics.error_rate).toBeCloseTo(2 / 3);
  });

  it('expresses the summary in the shared metric vocabulary', () => {
    const sum = summarize([ok(50, [10, 10], 3), ok(70, [20, 20], 3)], 1000, slo);
    expect(Object.keys(sum.metrics).sort()).toEqual(
      [
        'e2e_ms_p50',
        'e2e_ms_p95',
        'error_rate',
        'goodput_req_per_s',
        'itl_ms_p50',
        'itl_ms_p95',
        'output_tok_per_s',
        'req_per_s',
        'tpot_ms_p50',
        'ttft_ms_p50',
        'ttft_ms_p95',
        'ttft_ms_p99',
      ].sort(),
    );
    expect(sum.metrics.output_tok_per_s).toBe(6);
  });

  it('gives no latency metrics when nothing succeeded', () => {
    const sum = summarize([{ ok: false, t: 0, error: 'connect_refused' }], 1000, slo);
    expect(sum.metrics).toEqual({ req_per_s: 0, output_tok_per_s: 0, goodput_req_per_s: 0, error_rate: 1 });
  });
});
