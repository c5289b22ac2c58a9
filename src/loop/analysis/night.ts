/**
 * One night as the judge sees it: per domain its status, nightly metric values, the per-request sample series
 * of its successful requests, and its request/check counts. Built from a sealed report's records and samples,
 * pure (the report's lazy `samples()` is the only read, and callers may hand in reports held in memory).
 */
import type { MetricName, Metrics } from '../../core/metrics.js';
import type { PhaseRecord, SampleLine } from '../../core/report.js';
import type { DomainStatus, Evidence } from '../../core/types.js';
import type { SampleSeries } from './rules.js';

/** What the judge needs of a report; `VerifiedReport` from loop/phase/report.ts satisfies it. */
export interface ReportLike {
  signal: { epoch_id: string; ts: number };
  records: PhaseRecord[];
  samples(): Map<string, SampleLine[]>;
}

export interface Counts {
  /** requests sent (samples) */
  requests: number;
  /** requests that failed */
  errors: number;
  /** correctness checks made */
  checks: number;
  /** checks that passed */
  passed: number;
}

export interface DomainNight {
  status: DomainStatus;
  reason?: string;
  /** what PHASE saw go wrong (log lines, /health answers, the process exit), for a symptom's meta */
  evidence?: Evidence[];
  metrics: Metrics;
  series: Record<SampleSeries, Float64Array>;
  counts: Counts | undefined;
}

export interface Night {
  epochId: string;
  ts: number;
  domains: Map<string, DomainNight>;
}

export function nightFromReport(report: ReportLike): Night {
  const samples = report.records.some((r) => r.samples_count > 0) ? report.samples() : new Map<string, SampleLine[]>();
  const domains = new Map<string, DomainNight>();
  for (const record of report.records) {
    domains.set(record.domain, domainNight(record, samples.get(record.domain) ?? []));
  }
  return { epochId: report.signal.epoch_id, ts: report.signal.ts, domains };
}

export function domainNight(record: PhaseRecord, samples: readonly SampleLine[]): DomainNight {
  return {
    status: record.status,
    ...(record.reason !== undefined ? { reason: record.reason } : {}),
    ...(record.evidence !== undefined && record.evidence.length > 0 ? { evidence: record.evidence } : {}),
    metrics: record.metrics,
    series: seriesOf(samples),
    counts: countsOf(record, samples),
  };
}

/** Successful requests only: a failed request's latency measures the failure, not the server. */
function seriesOf(samples: readonly SampleLine[]): Record<SampleSeries, Float64Array> {
  const ttft: number[] = [];
  const itl: number[] = [];
  const e2e: number[] = [];
  for (const s of samples) {
    if (!s.ok) continue;
    if (isNum(s.ttft_ms)) ttft.push(s.ttft_ms);
    if (isNum(s.e2e_ms)) e2e.push(s.e2e_ms);
    // One value per request (its mean gap), so a long answer does not outweigh a short one.
    if (s.itl_ms && s.itl_ms.length > 0) {
      let sum = 0;
      for (const g of s.itl_ms) sum += g;
      itl.push(sum / s.itl_ms.length);
    }
  }
  return { ttft_ms: Float64Array.from(ttft), itl_ms: Float64Array.from(itl), e2e_ms: Float64Array.from(e2e) };
}

/**
 * Counts for the pass-rate and error-rate tests. From samples when there are any; otherwise reconstructed from
 * the nightly rate × the record's sample count; otherwise unknown (the judge then falls back to nightly values).
 */
function countsOf(record: PhaseRecord, samples: readonly SampleLine[]): Counts | undefined {
  if (samples.length > 0) {
    let errors = 0;
    let checks = 0;
    let passed = 0;
    for (const s of samples) {
      if (!s.ok) errors++;
      if (s.passed !== undefined) {
        checks++;
        if (s.passed) passed++;
      }
    }
    if (checks === 0 && isNum(record.metrics.pass_rate)) {
      checks = samples.length;
      passed = Math.round(record.metrics.pass_rate * checks);
    }
    return { requests: samples.length, errors, checks, passed };
  }
  if (record.samples_count > 0) {
    const n = record.samples_count;
    const errorRate = record.metrics.error_rate;
    const passRate = record.metrics.pass_rate;
    return {
      requests: n,
      errors: isNum(errorRate) ? Math.round(errorRate * n) : 0,
      checks: isNum(passRate) ? n : 0,
      passed: isNum(passRate) ? Math.round(passRate * n) : 0,
    };
  }
  return undefined;
}

export function metricValue(d: DomainNight, metric: MetricName): number | undefined {
  const v = d.metrics[metric];
  return isNum(v) ? v : undefined;
}

function isNum(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}
