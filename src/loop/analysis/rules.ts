/**
 * The rules, pure: which metrics are judged, by which test, against which thresholds and floors. Thresholds
 * are inclusive — a change of exactly the threshold (+20.0% latency) crosses it — and compared after rounding
 * to 1e-9 so that 240/200 and 120/100 land on the same side whatever the floating point says.
 */
import type { Config } from '../../config/schema.js';
import { type MetricName, metricDef } from '../../core/metrics.js';
import type { Severity } from '../../core/types.js';

export const ANALYSIS_SYMPTOM_KINDS = [
  'oom_event',
  'latency_regression',
  'throughput_drop',
  'pass_rate_drop',
  'error_rate_rise',
  'target_down',
] as const;
export type AnalysisSymptomKind = (typeof ANALYSIS_SYMPTOM_KINDS)[number];

/** Per-request sample series a latency metric is tested on. */
export type SampleSeries = 'ttft_ms' | 'itl_ms' | 'e2e_ms';

export type RuleKind = 'latency' | 'throughput' | 'pass_rate' | 'error_rate' | 'oom';

export interface Rule {
  metric: MetricName;
  rule: RuleKind;
  kind: AnalysisSymptomKind;
  /** how a person names the metric in a sentence */
  label: string;
  /** latency: the pooled per-request series the Mann-Whitney test compares */
  series?: SampleSeries;
}

/** The judged metrics, in the order the table lists them. Other metrics are reported but not judged. */
export const RULES: readonly Rule[] = [
  { metric: 'ttft_ms_p50', rule: 'latency', kind: 'latency_regression', label: 'p50 TTFT', series: 'ttft_ms' },
  { metric: 'ttft_ms_p95', rule: 'latency', kind: 'latency_regression', label: 'p95 TTFT', series: 'ttft_ms' },
  { metric: 'itl_ms_p50', rule: 'latency', kind: 'latency_regression', label: 'p50 ITL', series: 'itl_ms' },
  { metric: 'itl_ms_p95', rule: 'latency', kind: 'latency_regression', label: 'p95 ITL', series: 'itl_ms' },
  { metric: 'e2e_ms_p50', rule: 'latency', kind: 'latency_regression', label: 'p50 E2E', series: 'e2e_ms' },
  { metric: 'e2e_ms_p95', rule: 'latency', kind: 'latency_regression', label: 'p95 E2E', series: 'e2e_ms' },
  { metric: 'output_tok_per_s', rule: 'throughput', kind: 'throughput_drop', label: 'output tok/s' },
  { metric: 'req_per_s', rule: 'throughput', kind: 'throughput_drop', label: 'req/s' },
  { metric: 'goodput_req_per_s', rule: 'throughput', kind: 'throughput_drop', label: 'goodput req/s' },
  { metric: 'pass_rate', rule: 'pass_rate', kind: 'pass_rate_drop', label: 'pass rate' },
  { metric: 'error_rate', rule: 'error_rate', kind: 'error_rate_rise', label: 'error rate' },
  { metric: 'oom_events', rule: 'oom', kind: 'oom_event', label: 'OOM events' },
];

export function ruleFor(metric: MetricName): Rule | undefined {
  return RULES.find((r) => r.metric === metric);
}

export interface Band {
  warning: number;
  critical: number;
}

/** The part of the config the judge reads, flattened once. */
export interface JudgeConfig {
  alpha: number;
  minNights: number;
  latency: Band;
  throughput: Band;
  passRate: Band;
  errorRateFloor: number;
  oomIncreaseWarning: number;
  floors: { latencyMs: number; tokPerS: number; reqPerS: number };
}

export function judgeConfig(config: Config): JudgeConfig {
  const a = config.analysis;
  return {
    alpha: a.alpha,
    minNights: a.min_nights,
    latency: a.thresholds.latency,
    throughput: a.thresholds.throughput,
    passRate: a.thresholds.pass_rate,
    errorRateFloor: a.thresholds.error_rate.floor,
    oomIncreaseWarning: a.thresholds.oom.increase_warning,
    floors: { latencyMs: a.floors.latency_ms, tokPerS: a.floors.tok_per_s, reqPerS: a.floors.req_per_s },
  };
}

const EPS = 1e-9;

/** Inclusive threshold comparison, robust to floating-point noise in the relative change. */
export function atLeast(value: number, threshold: number): boolean {
  return Math.round(value / EPS) >= Math.round(threshold / EPS);
}

/** Severity of a relative worsening (positive = worse) against a band, or undefined below the warning line. */
export function bandSeverity(worseningRel: number, band: Band): { severity: Severity; threshold: number } | undefined {
  if (atLeast(worseningRel, band.critical)) return { severity: 'critical', threshold: band.critical };
  if (atLeast(worseningRel, band.warning)) return { severity: 'warning', threshold: band.warning };
  return undefined;
}

/** Relative worsening of current vs baseline (positive = worse), by the metric's own direction. */
export function relativeWorsening(metric: MetricName, baseline: number, current: number): number {
  if (baseline === 0) return current === 0 ? 0 : Number.POSITIVE_INFINITY * worseSign(metric, current - baseline);
  const delta = (current - baseline) / Math.abs(baseline);
  return metricDef(metric).better === 'lower' ? delta : -delta;
}

function worseSign(metric: MetricName, delta: number): number {
  const s = Math.sign(delta);
  return metricDef(metric).better === 'lower' ? s : -s;
}

/** The absolute change below which a metric never alarms (a big percentage of a tiny number). */
export function absoluteFloor(rule: Rule, cfg: JudgeConfig): { value: number; unit: string } | undefined {
  if (rule.rule === 'latency') return { value: cfg.floors.latencyMs, unit: 'ms' };
  if (rule.rule === 'throughput') {
    return metricDef(rule.metric).unit === 'tok/s'
      ? { value: cfg.floors.tokPerS, unit: 'tok/s' }
      : { value: cfg.floors.reqPerS, unit: 'req/s' };
  }
  return undefined;
}
