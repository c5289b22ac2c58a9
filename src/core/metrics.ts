/**
 * One metric vocabulary everywhere (ARCHITECTURE.md §5): reports, analysis, fitness, CLI and exports.
 * Latency in milliseconds, rates per second, fractions in 0..1. Whether higher is better is part of the
 * metric's definition here, never repeated by callers.
 */
export const METRICS = {
  ttft_ms_p50: { family: 'latency', better: 'lower', unit: 'ms' },
  ttft_ms_p95: { family: 'latency', better: 'lower', unit: 'ms' },
  ttft_ms_p99: { family: 'latency', better: 'lower', unit: 'ms' },
  itl_ms_p50: { family: 'latency', better: 'lower', unit: 'ms' },
  itl_ms_p95: { family: 'latency', better: 'lower', unit: 'ms' },
  tpot_ms_p50: { family: 'latency', better: 'lower', unit: 'ms' },
  e2e_ms_p50: { family: 'latency', better: 'lower', unit: 'ms' },
  e2e_ms_p95: { family: 'latency', better: 'lower', unit: 'ms' },
  queue_ms_p95: { family: 'latency', better: 'lower', unit: 'ms' },
  req_per_s: { family: 'throughput', better: 'higher', unit: 'req/s' },
  output_tok_per_s: { family: 'throughput', better: 'higher', unit: 'tok/s' },
  goodput_req_per_s: { family: 'throughput', better: 'higher', unit: 'req/s' },
  pass_rate: { family: 'pass_rate', better: 'higher', unit: 'fraction' },
  error_rate: { family: 'error_rate', better: 'lower', unit: 'fraction' },
  oom_events: { family: 'oom', better: 'lower', unit: 'count' },
  preemptions: { family: 'preemption', better: 'lower', unit: 'count' },
  kv_usage_peak: { family: 'capacity', better: 'lower', unit: 'fraction' },
  prefix_hit_rate: { family: 'cache', better: 'higher', unit: 'fraction' },
  recovery_s: { family: 'latency', better: 'lower', unit: 's' },
  latency_drift_pct: { family: 'drift', better: 'lower', unit: '%' },
} as const satisfies Record<string, MetricDef>;

export type MetricFamily =
  | 'latency'
  | 'throughput'
  | 'pass_rate'
  | 'error_rate'
  | 'oom'
  | 'preemption'
  | 'capacity'
  | 'cache'
  | 'drift';
export interface MetricDef {
  family: MetricFamily;
  better: 'lower' | 'higher';
  unit: string;
}
export type MetricName = keyof typeof METRICS;
export type Metrics = Partial<Record<MetricName, number>>;

export const METRIC_NAMES = Object.keys(METRICS) as MetricName[];

export function isMetricName(name: string): name is MetricName {
  return Object.hasOwn(METRICS, name);
}

export function metricDef(name: MetricName): MetricDef {
  return METRICS[name];
}

/** Signed change where a positive number always means "worse", so callers need not know the direction. */
export function worsening(name: MetricName, baseline: number, current: number): number {
  const delta = current - baseline;
  return METRICS[name].better === 'lower' ? delta : -delta;
}
