/**
 * The statistical judge, pure: tonight against the baseline nights, one verdict per domain × judged metric.
 *
 * A change becomes `warning`/`critical` only when all of these hold:
 *   1. it crosses the rule's relative threshold (inclusive) in the metric's worse direction;
 *   2. it clears the absolute floor (latency ms, tok/s, req/s), so a big percentage of a tiny number is ignored;
 *   3. it is significant at `alpha` in a one-sided test against the baseline:
 *      latency → Mann-Whitney U on the pooled per-request samples (ttft, per-request mean itl, e2e) with the
 *                Hodges-Lehmann shift and its (1 − alpha) interval (computed for verdicts past their threshold,
 *                whose reason quotes it); the nightly robust z when samples are missing;
 *      throughput → robust z of tonight's value against the nightly values (one value per night), p from
 *                Student t with n − 1 df (see core/stats robustZ);
 *      pass rate / error rate → Fisher's exact test of tonight's failures against the baseline nights' pooled
 *                counts (exact binomial against the baseline rate when only tonight has counts);
 *      OOM → Poisson rate test (tonight vs the baseline nights) for the "increase" case. New OOMs where the
 *      baseline had none are critical without a test: an OOM is an event with evidence, not a noisy measurement.
 * `inconclusive` when the baseline has fewer than `min_nights` usable nights or the domain errored or returned
 * no data tonight (an errored domain's OOM count is still judged: it is evidence, not a spoiled measurement).
 * A failed `health` domain is the exception to "errored domains are inconclusive" (see target.ts): its pass rate
 * verdict becomes a critical `target_down` verdict, whatever the baseline, so a dead target is never healthy.
 * The baseline value is the median of the nightly values (the mean per night for OOM counts).
 */
import type { MetricName } from '../../core/metrics.js';
import { metricDef } from '../../core/metrics.js';
import {
  type Alternative,
  binomialPValue,
  fisherExact,
  hodgesLehmann,
  mannWhitneyU,
  median,
  rateTest,
  robustZ,
} from '../../core/stats.js';
import type { Evidence, Outcome, Severity, Verdict } from '../../core/types.js';
import { fmtFraction, fmtInterval, fmtP, fmtPct, fmtSigned, fmtThreshold, fmtValue } from './format.js';
import type { Counts, DomainNight, Night } from './night.js';
import { metricValue } from './night.js';
import {
  type AnalysisSymptomKind,
  absoluteFloor,
  type Band,
  bandSeverity,
  type JudgeConfig,
  RULES,
  type Rule,
  relativeWorsening,
  type SampleSeries,
} from './rules.js';
import { HEALTH_DOMAIN, type TargetDown, targetDown } from './target.js';

export interface JudgedVerdict extends Verdict {
  /** the symptom kind this verdict records when degraded */
  kind: AnalysisSymptomKind;
  /** the nights the baseline value and the test came from */
  baselineEpochs: string[];
  /** test internals, for `analyze --explain` */
  detail?: string;
  /** target_down: the failed domain's own reason and evidence, carried into the symptom's meta */
  domainReason?: string | null;
  evidence?: Evidence[];
}

/** Fewer per-request samples than this on either side: the latency test falls back to the nightly values. */
export const MIN_SAMPLES = 8;

interface History {
  epochId: string;
  d: DomainNight;
  value: number;
}

interface SampleTest {
  pValue: number;
  detail: string;
  /** Hodges-Lehmann shift and interval, computed on first use and kept */
  effect: () => Effect;
}

interface Effect {
  ci: [number, number];
  detail: string;
}

type SampleCache = Map<string, SampleTest>;

export function judgeNight(baseline: readonly Night[], tonight: Night, cfg: JudgeConfig): JudgedVerdict[] {
  const domains = [...tonight.domains.keys()];
  for (const night of baseline)
    for (const name of night.domains.keys()) if (!domains.includes(name)) domains.push(name);
  const cache: SampleCache = new Map();
  const out: JudgedVerdict[] = [];
  for (const domain of domains) {
    const today = tonight.domains.get(domain);
    const down = domain === HEALTH_DOMAIN ? targetDown(today) : undefined;
    for (const rule of RULES) {
      // the health check's pass rate is what the target_down verdict below judges
      if (down && rule.rule === 'pass_rate') continue;
      const seenTonight = today !== undefined && metricValue(today, rule.metric) !== undefined;
      const seenBefore = baseline.some((n) => {
        const d = n.domains.get(domain);
        return d !== undefined && metricValue(d, rule.metric) !== undefined;
      });
      if (!seenTonight && !seenBefore) continue;
      out.push(judgeMetric(rule, domain, baseline, today, cfg, cache));
    }
    if (down && today) out.push(targetDownVerdict(domain, baseline, today, down));
  }
  return out;
}

/** The health domain failed tonight: critical, no test, the baseline shown for context only. */
function targetDownVerdict(
  domain: string,
  baseline: readonly Night[],
  today: DomainNight,
  down: TargetDown,
): JudgedVerdict {
  const baselineEpochs: string[] = [];
  const values: number[] = [];
  for (const night of baseline) {
    const d = night.domains.get(domain);
    const value = d && d.status !== 'error' ? metricValue(d, 'pass_rate') : undefined;
    if (value === undefined) continue;
    baselineEpochs.push(night.epochId);
    values.push(value);
  }
  const baselineValue = values.length === 0 ? null : median(values);
  const current = metricValue(today, 'pass_rate') ?? null;
  return {
    domain,
    metric: 'pass_rate',
    kind: 'target_down',
    baselineEpochs,
    baseline: baselineValue,
    current,
    deltaPct: deltaPct(baselineValue, current),
    outcome: 'critical',
    reason: down.reason,
    domainReason: down.domainReason,
    evidence: down.evidence,
  };
}

function judgeMetric(
  rule: Rule,
  domain: string,
  baseline: readonly Night[],
  today: DomainNight | undefined,
  cfg: JudgeConfig,
  cache: SampleCache,
): JudgedVerdict {
  const history: History[] = [];
  for (const night of baseline) {
    const d = night.domains.get(domain);
    if (!d || d.status === 'error') continue;
    const value = metricValue(d, rule.metric);
    if (value !== undefined) history.push({ epochId: night.epochId, d, value });
  }
  const baselineEpochs = history.map((h) => h.epochId);
  const base = { domain, metric: rule.metric, kind: rule.kind, baselineEpochs };
  const values = history.map((h) => h.value);
  const baselineValue = values.length === 0 ? null : rule.rule === 'oom' ? sum(values) / values.length : median(values);
  const current = today ? (metricValue(today, rule.metric) ?? null) : null;
  const inconclusive = (reason: string): JudgedVerdict => ({
    ...base,
    baseline: baselineValue,
    current,
    deltaPct: deltaPct(baselineValue, current),
    outcome: 'inconclusive',
    reason,
  });
  if (!today) return inconclusive(`${domain} returned no data tonight`);
  // An errored domain's measurements are spoiled, but an OOM count it reports is evidence, often of the very
  // reason it errored: that one is still judged.
  if (today.status === 'error' && !(rule.rule === 'oom' && current !== null)) {
    return inconclusive(`${domain} errored tonight${today.reason ? `: ${today.reason}` : ''}`);
  }
  if (current === null) return inconclusive(`no ${rule.label} value tonight`);
  if (history.length < cfg.minNights) {
    return inconclusive(
      `baseline has ${history.length} night${history.length === 1 ? '' : 's'} (needs ${cfg.minNights})`,
    );
  }
  const ctx: Ctx = {
    rule,
    domain,
    cfg,
    history,
    today,
    current,
    baseline: baselineValue as number,
    cache,
    base,
  };
  switch (rule.rule) {
    case 'latency':
      return judgeShift(ctx, cfg.latency);
    case 'throughput':
      return judgeShift(ctx, cfg.throughput);
    case 'pass_rate':
      return judgePassRate(ctx);
    case 'error_rate':
      return judgeErrorRate(ctx);
    case 'oom':
      return judgeOom(ctx);
  }
}

interface Ctx {
  rule: Rule;
  domain: string;
  cfg: JudgeConfig;
  history: History[];
  today: DomainNight;
  current: number;
  baseline: number;
  cache: SampleCache;
  base: { domain: string; metric: MetricName; kind: AnalysisSymptomKind; baselineEpochs: string[] };
}

function verdict(ctx: Ctx, outcome: Outcome, reason: string, test?: Verdict['test'], detail?: string): JudgedVerdict {
  return {
    ...ctx.base,
    baseline: ctx.baseline,
    current: ctx.current,
    deltaPct: deltaPct(ctx.baseline, ctx.current),
    ...(test ? { test } : {}),
    outcome,
    reason,
    ...(detail ? { detail } : {}),
  };
}

/** The one-sided alternative pointing at "worse" for this metric. */
function worseAlternative(metric: MetricName): Alternative {
  return metricDef(metric).better === 'lower' ? 'greater' : 'less';
}

/** Latency and throughput: relative threshold, absolute floor, significance. */
function judgeShift(ctx: Ctx, band: Band): JudgedVerdict {
  const { rule, cfg } = ctx;
  const rel = relativeWorsening(rule.metric, ctx.baseline, ctx.current);
  const sign = metricDef(rule.metric).better === 'lower' ? '+' : '-';
  const change = `${rule.label} ${fmtPct(signedRel(ctx))}`;
  const crossed = bandSeverity(rel, band);
  let test = shiftTest(ctx);
  // The interval costs more than the test: computed where a reason can use it (a crossed threshold).
  if (crossed && test.effect) {
    const e = test.effect();
    test = { ...test, ci: e.ci, detail: `${test.detail}; ${e.detail}` };
  }
  const testField: Verdict['test'] = {
    name: test.name,
    pValue: test.pValue,
    ...(test.ci ? { ci: test.ci } : {}),
  };
  if (!crossed)
    return verdict(ctx, 'ok', `${change} (threshold ${fmtThreshold(band.warning, sign)})`, testField, test.detail);
  const thresholdText = `${crossed.severity === 'critical' ? 'critical threshold' : 'threshold'} ${fmtThreshold(crossed.threshold, sign)}`;
  const floor = absoluteFloor(rule, cfg);
  const absChange = Math.abs(ctx.current - ctx.baseline);
  if (floor && absChange < floor.value) {
    return verdict(
      ctx,
      'ok',
      `${change} (${thresholdText}) but only ${fmtSigned(ctx.current - ctx.baseline)} ${floor.unit} (floor ${floor.value} ${floor.unit})`,
      testField,
      test.detail,
    );
  }
  if (!(test.pValue < cfg.alpha)) {
    return verdict(
      ctx,
      'ok',
      `${change} (${thresholdText}) but not significant (${fmtP(test.pValue)}, alpha ${cfg.alpha})`,
      testField,
      test.detail,
    );
  }
  const unit = metricDef(rule.metric).unit;
  const effect = test.ci ? fmtInterval(test.ci, unit) : `${fmtSigned(ctx.current - ctx.baseline)} ${unit}`;
  return verdict(
    ctx,
    crossed.severity,
    `${change} (${thresholdText}), significant (${fmtP(test.pValue)}), ${effect}`,
    testField,
    test.detail,
  );
}

interface TestOutcome {
  name: string;
  pValue: number;
  ci?: [number, number];
  detail: string;
  effect?: () => Effect;
}

/** Latency with enough samples on both sides → Mann-Whitney + Hodges-Lehmann; otherwise the nightly robust z. */
function shiftTest(ctx: Ctx): TestOutcome {
  const { rule } = ctx;
  if (rule.series) {
    const pooled = sampleTest(ctx, rule.series);
    if (pooled) return { name: 'mann-whitney', pValue: pooled.pValue, detail: pooled.detail, effect: pooled.effect };
  }
  return nightlyTest(ctx);
}

function nightlyTest(ctx: Ctx): TestOutcome {
  const values = ctx.history.map((h) => h.value);
  const r = robustZ(values, ctx.current, worseAlternative(ctx.rule.metric));
  return {
    name: 'robust-z',
    pValue: r.pValue,
    detail:
      r.scale === 0
        ? `tonight against ${values.length} nightly values whose MAD is 0 around ${fmtValue(r.center)}: any change in the worse direction counts as significant`
        : `robust z=${fmtValue(r.z)} of tonight against ${values.length} nightly values (median ${fmtValue(r.center)}, 1.4826·MAD ${fmtValue(r.scale)}), p from Student t with ${r.df} df`,
  };
}

/** Pooled per-request samples: one test per domain × series, shared by its p50 and p95 verdicts. */
function sampleTest(ctx: Ctx, series: SampleSeries): SampleTest | undefined {
  const key = `${ctx.domain}|${series}|${ctx.base.baselineEpochs.join(',')}`;
  const cached = ctx.cache.get(key);
  if (cached) return cached;
  let total = 0;
  for (const h of ctx.history) total += h.d.series[series].length;
  const tonight = ctx.today.series[series];
  if (total < MIN_SAMPLES || tonight.length < MIN_SAMPLES) return undefined;
  const pooled = new Float64Array(total);
  let at = 0;
  for (const h of ctx.history) {
    pooled.set(h.d.series[series], at);
    at += h.d.series[series].length;
  }
  pooled.sort();
  const now = Float64Array.from(tonight).sort();
  const alternative = worseAlternative(ctx.rule.metric);
  const mw = mannWhitneyU(pooled, now, alternative, true);
  const alpha = ctx.cfg.alpha;
  let effect: Effect | undefined;
  const result: SampleTest = {
    pValue: mw.pValue,
    detail:
      `Mann-Whitney U=${fmtValue(mw.u)}, z=${fmtValue(mw.z)}, ${series} samples: ${now.length} tonight vs ` +
      `${pooled.length} pooled from ${ctx.history.length} nights`,
    effect: () => {
      if (!effect) {
        const hl = hodgesLehmann(pooled, now, 1 - alpha, true);
        effect = {
          ci: hl.ci,
          detail: `Hodges-Lehmann shift ${fmtSigned(hl.estimate)} ms, ${fmtConfidence(alpha)} CI ${fmtInterval(hl.ci, 'ms')}`,
        };
      }
      return effect;
    },
  };
  ctx.cache.set(key, result);
  return result;
}

function fmtConfidence(alpha: number): string {
  return `${Number(((1 - alpha) * 100).toFixed(2))}%`;
}

/** Relative pass-rate drop; exact binomial test of tonight's checks against the baseline rate. */
function judgePassRate(ctx: Ctx): JudgedVerdict {
  const { cfg, rule } = ctx;
  const rel = relativeWorsening(rule.metric, ctx.baseline, ctx.current);
  const change = `${rule.label} ${fmtPct(signedRel(ctx))}`;
  const test = countTest(ctx, 'pass');
  const testField = testOf(test);
  const crossed = bandSeverity(rel, cfg.passRate);
  if (!crossed) {
    return verdict(
      ctx,
      'ok',
      `${change} (threshold ${fmtThreshold(cfg.passRate.warning, '-')})`,
      testField,
      test.detail,
    );
  }
  const thresholdText = `${crossed.severity === 'critical' ? 'critical threshold' : 'threshold'} ${fmtThreshold(crossed.threshold, '-')}`;
  const levels = `${fmtFraction(ctx.current)} vs ${fmtFraction(ctx.baseline)}`;
  if (!(test.pValue < cfg.alpha)) {
    return verdict(
      ctx,
      'ok',
      `${change} (${thresholdText}) but not significant (${fmtP(test.pValue)}, alpha ${cfg.alpha}), ${levels}`,
      testField,
      test.detail,
    );
  }
  return verdict(
    ctx,
    crossed.severity,
    `${change} (${thresholdText}), significant (${fmtP(test.pValue)}), ${levels}`,
    testField,
    test.detail,
  );
}

/** Error rate: above the configured floor, above the baseline, and significant → warning. */
function judgeErrorRate(ctx: Ctx): JudgedVerdict {
  const { cfg } = ctx;
  const floor = cfg.errorRateFloor;
  const test = countTest(ctx, 'error');
  const testField = testOf(test);
  const levels = `error rate ${fmtFraction(ctx.current)}`;
  const baseText = `baseline ${fmtFraction(ctx.baseline)}`;
  if (!(ctx.current > floor)) {
    return verdict(ctx, 'ok', `${levels} (floor ${fmtFraction(floor)}, ${baseText})`, testField, test.detail);
  }
  if (!(ctx.current > ctx.baseline)) {
    return verdict(
      ctx,
      'ok',
      `${levels} above the ${fmtFraction(floor)} floor but not above the ${baseText}`,
      testField,
      test.detail,
    );
  }
  if (!(test.pValue < cfg.alpha)) {
    return verdict(
      ctx,
      'ok',
      `${levels} above the ${fmtFraction(floor)} floor (${baseText}) but not significant (${fmtP(test.pValue)}, alpha ${cfg.alpha})`,
      testField,
      test.detail,
    );
  }
  return verdict(
    ctx,
    'warning',
    `${levels} above the ${fmtFraction(floor)} floor (${baseText}), significant (${fmtP(test.pValue)})`,
    testField,
    test.detail,
  );
}

function testOf(t: TestOutcome): Verdict['test'] {
  return { name: t.name, pValue: t.pValue, ...(t.ci ? { ci: t.ci } : {}) };
}

/**
 * Tonight's counts against the baseline's pooled counts (Fisher's exact test on the failures); without
 * baseline counts, the exact binomial test against the baseline rate; without tonight's counts, the nightly
 * robust z.
 */
function countTest(ctx: Ctx, what: 'pass' | 'error'): TestOutcome {
  const trials = (c: Counts) => (what === 'pass' ? c.checks : c.requests);
  const failures = (c: Counts) => (what === 'pass' ? c.checks - c.passed : c.errors);
  const c = ctx.today.counts;
  if (!c || trials(c) === 0) return nightlyTest(ctx);
  const n = trials(c);
  const x = failures(c);
  const noun = what === 'pass' ? 'checks failed' : 'requests failed';
  let n0 = 0;
  let x0 = 0;
  let nights = 0;
  for (const h of ctx.history) {
    if (!h.d.counts || trials(h.d.counts) === 0) continue;
    n0 += trials(h.d.counts);
    x0 += failures(h.d.counts);
    nights++;
  }
  if (n0 > 0) {
    return {
      name: 'fisher-exact',
      pValue: fisherExact(x, n, x0, n0, 'greater'),
      detail: `Fisher's exact test: ${x} of ${n} ${noun} tonight vs ${x0} of ${n0} in ${nights} baseline nights`,
    };
  }
  const failRate = what === 'pass' ? 1 - ctx.baseline : ctx.baseline;
  const r = binomialPValue(x, n, failRate, 'greater', 1 - ctx.cfg.alpha);
  return {
    name: 'binomial',
    pValue: r.pValue,
    detail: `exact binomial: ${x} of ${n} ${noun} tonight vs baseline rate ${fmtFraction(failRate)} (median of ${ctx.history.length} nights, no baseline counts)`,
  };
}

/** OOM: any where the baseline had none → critical; a rise above the configured fraction → warning if significant. */
function judgeOom(ctx: Ctx): JudgedVerdict {
  const { cfg } = ctx;
  const nights = ctx.history.length;
  const total = sum(ctx.history.map((h) => h.value));
  const x = ctx.current;
  if (x <= 0) return verdict(ctx, 'ok', `no OOM events tonight (baseline ${fmtValue(ctx.baseline)} per night)`);
  if (total === 0) {
    return verdict(ctx, 'critical', `OOM events: ${fmtValue(x)} tonight, baseline had none in ${nights} nights`);
  }
  const pValue = rateTest(x, 1, total, nights, 'greater');
  const test = { name: 'poisson-rate', pValue };
  const detail = `conditional Poisson rate test: ${fmtValue(x)} tonight vs ${fmtValue(total)} in ${nights} baseline nights`;
  const rel = (x - ctx.baseline) / ctx.baseline;
  const limit = cfg.oomIncreaseWarning;
  const change = `OOM events ${fmtValue(x)} tonight vs ${fmtValue(ctx.baseline)} per night (${fmtPct(rel)})`;
  if (!(rel > limit + 1e-9))
    return verdict(ctx, 'ok', `${change}, within +${Number((limit * 100).toFixed(2))}%`, test, detail);
  if (!(pValue < cfg.alpha)) {
    return verdict(ctx, 'ok', `${change} but not significant (${fmtP(pValue)}, alpha ${cfg.alpha})`, test, detail);
  }
  return verdict(
    ctx,
    'warning',
    `${change}, above +${Number((limit * 100).toFixed(2))}%, significant (${fmtP(pValue)})`,
    test,
    detail,
  );
}

/** Signed relative change (not direction-adjusted), for display. */
function signedRel(ctx: Ctx): number {
  if (ctx.baseline === 0) return ctx.current === 0 ? 0 : Math.sign(ctx.current) * Number.POSITIVE_INFINITY;
  return (ctx.current - ctx.baseline) / Math.abs(ctx.baseline);
}

function deltaPct(baseline: number | null, current: number | null): number | null {
  if (baseline === null || current === null || baseline === 0) return null;
  return Math.round(((current - baseline) / Math.abs(baseline)) * 100 * 1e6) / 1e6;
}

function sum(values: readonly number[]): number {
  let s = 0;
  for (const v of values) s += v;
  return s;
}

/** A verdict that is a degradation signal (becomes a symptom). */
export function isDegraded(v: Verdict): v is Verdict & { outcome: Severity } {
  return v.outcome === 'warning' || v.outcome === 'critical';
}
