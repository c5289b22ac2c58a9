/**
 * Fitness of a canary, and the promotion decision. Pure.
 *
 * Fitness is 0 for anything that did not pass: an OOM, a crash, a start or health failure, a timeout, a failed
 * canary domain (correctness included, so an fp8 KV cache that breaks answers scores 0), or a pass rate below
 * production's. A passing canary scores the weighted mean of its metrics relative to a reference measured in the
 * same run (the control when it passed, else the median of the passing candidates):
 *
 *   fitness = Σ w_m · r_m / Σ w_m,   r_m = value / ref (higher is better) or ref / value (lower is better)
 *
 * each ratio capped to [0, 10] so one absurd metric cannot carry the score. So the control scores ≈ 1 and a
 * candidate 10 % better across the board ≈ 1.1. Weights come from `tuning.fitness.weights` (metric name → weight);
 * empty means DEFAULT_WEIGHTS. A metric missing on either side is left out of both sums; a passing canary with
 * no comparable metric scores 1 (it is at least not worse than anything we can see).
 */
import type { Config } from '../../config/schema.js';
import { isMetricName, METRICS, type MetricName, type Metrics } from '../../core/metrics.js';
import type { CanaryStatus, CandidateResult } from './types.js';

export const DEFAULT_WEIGHTS: Partial<Record<MetricName, number>> = {
  goodput_req_per_s: 0.3,
  output_tok_per_s: 0.2,
  ttft_ms_p95: 0.25,
  itl_ms_p95: 0.15,
  e2e_ms_p95: 0.1,
};

const RATIO_CAP = 10;
const PASS_RATE_TOLERANCE = 1e-9;

export interface FitnessReference {
  /** the same run's reference metrics (normally the control's) */
  metrics?: Metrics;
  /** production's pass rate: a canary below it scores 0 */
  pass_rate?: number;
}

export function fitnessWeights(cfg: Config): Partial<Record<MetricName, number>> {
  const user = Object.entries(cfg.tuning.fitness.weights).filter(([name, w]) => isMetricName(name) && w > 0);
  return user.length > 0 ? (Object.fromEntries(user) as Partial<Record<MetricName, number>>) : DEFAULT_WEIGHTS;
}

/** Why a canary scores 0, or undefined when it is scored. */
export function zeroReason(
  metrics: Metrics,
  status: CanaryStatus,
  baseline: FitnessReference | undefined,
): string | undefined {
  if (status !== 'pass') return `status ${status}`;
  if ((metrics.oom_events ?? 0) > 0) return `${metrics.oom_events} OOM events`;
  const floor = baseline?.pass_rate;
  if (floor !== undefined && metrics.pass_rate !== undefined && metrics.pass_rate < floor - PASS_RATE_TOLERANCE) {
    return `pass rate ${metrics.pass_rate} below production's ${floor}`;
  }
  return undefined;
}

export function fitness(
  metrics: Metrics,
  status: CanaryStatus,
  cfg: Config,
  productionBaseline: FitnessReference | undefined,
): number {
  if (zeroReason(metrics, status, productionBaseline) !== undefined) return 0;
  const weights = fitnessWeights(cfg);
  const ref = productionBaseline?.metrics ?? {};
  let sum = 0;
  let wsum = 0;
  for (const [name, w] of Object.entries(weights) as [MetricName, number][]) {
    const v = metrics[name];
    const r = ref[name];
    if (v === undefined || r === undefined || !Number.isFinite(v) || !Number.isFinite(r)) continue;
    const ratio = METRICS[name].better === 'higher' ? safeRatio(v, r) : safeRatio(r, v);
    sum += w * ratio;
    wsum += w;
  }
  return wsum === 0 ? 1 : round4(sum / wsum);
}

function safeRatio(num: number, den: number): number {
  if (den <= 0) return num <= 0 ? 1 : RATIO_CAP;
  return Math.min(RATIO_CAP, Math.max(0, num / den));
}

function round4(n: number): number {
  return Math.round(n * 10_000) / 10_000;
}

/** Element-wise median of passing results' metrics: the reference when the control itself failed. */
export function medianMetrics(results: readonly { metrics: Metrics }[]): Metrics {
  const out: Metrics = {};
  const names = new Set(results.flatMap((r) => Object.keys(r.metrics))) as Set<MetricName>;
  for (const name of names) {
    const vs = results
      .map((r) => r.metrics[name])
      .filter((v): v is number => v !== undefined && Number.isFinite(v))
      .sort((a, b) => a - b);
    if (vs.length === 0) continue;
    const mid = Math.floor(vs.length / 2);
    out[name] = vs.length % 2 ? (vs[mid] as number) : ((vs[mid - 1] as number) + (vs[mid] as number)) / 2;
  }
  return out;
}

export type PromotionDecision =
  | { decision: 'promote'; best: CandidateResult; reason: string }
  | { decision: 'no_improvement'; best?: CandidateResult; reason: string }
  | { decision: 'all_failed'; reason: string };

/**
 * The best passing candidate, promoted only if it beats the control measured in the same run by more than the
 * noise margin (relative: fitness > control × (1 + margin)). A control that failed scores 0, so any passing
 * candidate beats it.
 */
export function decidePromotion(
  control: Pick<CandidateResult, 'fitness' | 'status'>,
  candidates: readonly CandidateResult[],
  noiseMargin: number,
): PromotionDecision {
  const passing = candidates.filter((c) => c.role === 'candidate' && c.status === 'pass' && c.fitness > 0);
  if (passing.length === 0) {
    return { decision: 'all_failed', reason: `none of ${candidates.length} candidates passed its canary` };
  }
  const best = passing.reduce((a, b) => (b.fitness > a.fitness ? b : a));
  const bar = control.fitness * (1 + noiseMargin);
  if (best.fitness > bar) {
    return {
      decision: 'promote',
      best,
      reason:
        control.fitness > 0
          ? `fitness ${best.fitness} beats the control's ${control.fitness} by more than ${pct(noiseMargin)}`
          : `fitness ${best.fitness}; the control failed (${control.status})`,
    };
  }
  return {
    decision: 'no_improvement',
    best,
    reason: `best fitness ${best.fitness} does not beat the control's ${control.fitness} by more than ${pct(noiseMargin)}`,
  };
}

function pct(f: number): string {
  return `${Math.round(f * 1000) / 10} %`;
}
