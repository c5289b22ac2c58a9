/**
 * From per-request samples to the numbers a report keeps: percentiles, rates, goodput under an SLO, and the
 * same figures in the shared metric vocabulary (core/metrics.ts).
 *
 * Percentiles use simple-statistics' `quantileSorted`: linear interpolation between closest ranks
 * (Hyndman & Fan type 7, numpy's default), so p50 of [10, 20] is 15.
 */
import { quantileSorted } from 'simple-statistics';
import type { Metrics } from '../core/metrics.js';
import type { ErrorClass, RequestSample } from '../core/types.js';
import type { Slo, Stat, Summary } from './types.js';

/** simple-statistics' type-7 quantile; it only indexes, so a typed array serves (its types say number[]). */
function quantile(sorted: Float64Array, p: number): number {
  return quantileSorted(sorted as unknown as number[], p);
}

export function stat(values: readonly number[]): Stat | undefined {
  // A typed array sorts numerically and natively: pooled ITL gaps of a long run are hundreds of thousands.
  const sorted = Float64Array.from(values.filter((v) => Number.isFinite(v))).sort();
  if (sorted.length === 0) return undefined;
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    count: sorted.length,
    mean: sum / sorted.length,
    p50: quantile(sorted, 0.5),
    p90: quantile(sorted, 0.9),
    p95: quantile(sorted, 0.95),
    p99: quantile(sorted, 0.99),
    min: sorted[0] as number,
    max: sorted[sorted.length - 1] as number,
  };
}

/**
 * A request is "good" when it succeeded, its TTFT ≤ slo.ttft_ms, and the p95 of its OWN inter-token gaps
 * ≤ slo.itl_ms (per-request p95, not the mean: one long stall matters to a reader, a mean hides it).
 * A request with a single token has no gaps and passes the ITL half. A non-streamed request has no TTFT and
 * cannot show it met the SLO, so it is not counted as good.
 */
export function meetsSlo(sample: RequestSample, slo: Slo): boolean {
  if (!sample.ok || sample.ttft_ms === undefined || sample.ttft_ms > slo.ttft_ms) return false;
  const gaps = sample.itl_ms ?? [];
  if (gaps.length === 0) return true;
  return quantile(Float64Array.from(gaps).sort(), 0.95) <= slo.itl_ms;
}

/**
 * `elapsedMs` is the measured wall time of the run (warm-up excluded), in the same (model) time as the
 * samples. Rates count successful requests only. `error_rate` leaves out requests the caller aborted
 * (the run was cancelled: not the server's failure); they still show in `errors.aborted`.
 */
export function summarize(samples: readonly RequestSample[], elapsedMs: number, slo: Slo): Summary {
  const ok = samples.filter((s) => s.ok);
  const errors: Partial<Record<ErrorClass, number>> = {};
  for (const s of samples) {
    if (!s.ok) {
      const cls = s.error ?? 'other';
      errors[cls] = (errors[cls] ?? 0) + 1;
    }
  }
  const pick = (f: (s: RequestSample) => number | undefined) =>
    stat(ok.map(f).filter((v): v is number => v !== undefined));
  const ttft = pick((s) => s.ttft_ms);
  const itl = stat(ok.flatMap((s) => s.itl_ms ?? []));
  const tpot = pick((s) => s.tpot_ms);
  const e2e = pick((s) => s.e2e_ms);
  const seconds = elapsedMs > 0 ? elapsedMs / 1000 : 0;
  const rate = (n: number) => (seconds > 0 ? n / seconds : 0);
  let outTokens = 0;
  for (const s of ok) outTokens += s.output_tokens ?? 0;
  const good = ok.filter((s) => meetsSlo(s, slo)).length;
  const counted = samples.length - (errors.aborted ?? 0);
  const failed = counted - ok.length;

  const summary: Summary = {
    count: samples.length,
    ok: ok.length,
    errors,
    req_per_s: rate(ok.length),
    output_tok_per_s: rate(outTokens),
    goodput_req_per_s: rate(good),
    metrics: {},
  };
  if (ttft) summary.ttft_ms = ttft;
  if (itl) summary.itl_ms = itl;
  if (tpot) summary.tpot_ms = tpot;
  if (e2e) summary.e2e_ms = e2e;

  const m: Metrics = {};
  if (ttft) Object.assign(m, { ttft_ms_p50: ttft.p50, ttft_ms_p95: ttft.p95, ttft_ms_p99: ttft.p99 });
  if (itl) Object.assign(m, { itl_ms_p50: itl.p50, itl_ms_p95: itl.p95 });
  if (tpot) m.tpot_ms_p50 = tpot.p50;
  if (e2e) Object.assign(m, { e2e_ms_p50: e2e.p50, e2e_ms_p95: e2e.p95 });
  if (seconds > 0) {
    m.req_per_s = summary.req_per_s;
    m.output_tok_per_s = summary.output_tok_per_s;
    m.goodput_req_per_s = summary.goodput_req_per_s;
  }
  if (counted > 0) m.error_rate = failed / counted;
  summary.metrics = m;
  return summary;
}
