/**
 * The statistics of the judge, pure: robust location and spread, Mann-Whitney U, the Hodges-Lehmann shift with
 * its confidence interval, and tests on counts. Libraries do the distribution work (normal CDF from stdlib, the
 * exact binomial test and Student t CDF from stdlib, median/MAD/probit/log-gamma from simple-statistics); what is
 * written here is only the
 * part no library offers for large samples in a few milliseconds.
 */
import normalCdf from '@stdlib/stats-base-dists-normal-cdf';
import tCdf from '@stdlib/stats-base-dists-t-cdf';
import binomialTest from '@stdlib/stats-binomial-test';
import { gammaln, medianAbsoluteDeviation, probit, median as ssMedian } from 'simple-statistics';

export type Alternative = 'two-sided' | 'greater' | 'less';

/** Scale factor making the MAD a consistent estimator of the standard deviation under normality. */
export const MAD_TO_SD = 1.4826;

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of an empty list');
  return ssMedian(values as number[]);
}

/** Median absolute deviation, unscaled (multiply by MAD_TO_SD for a standard-deviation estimate). */
export function mad(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('MAD of an empty list');
  return medianAbsoluteDeviation(values as number[]);
}

export function mean(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('mean of an empty list');
  let s = 0;
  for (const v of values) s += v;
  return s / values.length;
}

/** Standard normal quantile (simple-statistics' probit: accurate to ~0.3% in the tails, enough for CI bounds). */
export function normalQuantile(p: number): number {
  return probit(p);
}

function pFromZ(z: number, alternative: Alternative): number {
  if (alternative === 'greater') return 1 - normalCdf(z, 0, 1);
  if (alternative === 'less') return normalCdf(z, 0, 1);
  return Math.min(1, 2 * (1 - normalCdf(Math.abs(z), 0, 1)));
}

function sortedCopy(values: ArrayLike<number>): Float64Array {
  const out = Float64Array.from(values as ArrayLike<number>);
  out.sort();
  return out;
}

export interface MannWhitneyResult {
  /** U of the second sample (y): how many (x, y) pairs have y above x, ties counting one half */
  u: number;
  z: number;
  pValue: number;
  n1: number;
  n2: number;
}

/**
 * Mann-Whitney U test of y against x, normal approximation with tie correction and continuity correction.
 * `greater`: y tends to be larger than x. Both samples are sorted once and the ranks come from one merge
 * walk, so 7,000 vs 1,000 values take well under a millisecond. Accepts pre-sorted input via `sorted`.
 */
export function mannWhitneyU(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  alternative: Alternative = 'two-sided',
  sorted = false,
): MannWhitneyResult {
  const xs = sorted && x instanceof Float64Array ? x : sortedCopy(x);
  const ys = sorted && y instanceof Float64Array ? y : sortedCopy(y);
  const n1 = xs.length;
  const n2 = ys.length;
  if (n1 === 0 || n2 === 0) return { u: Number.NaN, z: 0, pValue: 1, n1, n2 };
  const n = n1 + n2;
  let i = 0;
  let j = 0;
  let rank = 0; // ranks already assigned
  let rankSumY = 0;
  let tieTerm = 0;
  while (i < n1 || j < n2) {
    const xv = i < n1 ? (xs[i] as number) : Number.POSITIVE_INFINITY;
    const yv = j < n2 ? (ys[j] as number) : Number.POSITIVE_INFINITY;
    const v = Math.min(xv, yv);
    let cx = 0;
    let cy = 0;
    while (i < n1 && xs[i] === v) {
      cx++;
      i++;
    }
    while (j < n2 && ys[j] === v) {
      cy++;
      j++;
    }
    const t = cx + cy;
    const avgRank = rank + (t + 1) / 2;
    rankSumY += cy * avgRank;
    if (t > 1) tieTerm += t * t * t - t;
    rank += t;
  }
  const u = rankSumY - (n2 * (n2 + 1)) / 2;
  const mu = (n1 * n2) / 2;
  const variance = ((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1)));
  if (variance <= 0) return { u, z: 0, pValue: 1, n1, n2 };
  const diff = u - mu;
  const correction = diff === 0 ? 0 : alternative === 'two-sided' ? Math.sign(diff) * 0.5 : 0.5;
  const z =
    alternative === 'less' ? (diff + correction) / Math.sqrt(variance) : (diff - correction) / Math.sqrt(variance);
  return { u, z, pValue: pFromZ(z, alternative), n1, n2 };
}

export interface ShiftEstimate {
  /** median of all pairwise differences y_j − x_i */
  estimate: number;
  /** confidence interval of the shift at the requested level */
  ci: [number, number];
}

/** Number of pairs with y_j − x_i ≤ d, both sorted ascending: one two-pointer pass, O(n1 + n2). */
function countAtMost(xs: Float64Array, ys: Float64Array, d: number): number {
  const n1 = xs.length;
  const n2 = ys.length;
  let i = 0;
  let count = 0;
  for (let j = 0; j < n2; j++) {
    const bound = (ys[j] as number) - d;
    while (i < n1 && (xs[i] as number) < bound) i++;
    count += n1 - i;
  }
  return count;
}

/** The `size` pairwise differences d with lo < d ≤ hi, sorted (the caller keeps `size` small). */
function differencesBetween(xs: Float64Array, ys: Float64Array, lo: number, hi: number, size: number): Float64Array {
  const n1 = xs.length;
  const out = new Float64Array(size);
  let at = 0;
  let from = 0; // first x with x ≥ y − hi  ⇔ y − x ≤ hi
  let to = 0; // first x with x ≥ y − lo  ⇔ y − x ≤ lo
  for (let j = 0; j < ys.length; j++) {
    const yj = ys[j] as number;
    const bHi = yj - hi;
    const bLo = yj - lo;
    while (from < n1 && (xs[from] as number) < bHi) from++;
    while (to < n1 && (xs[to] as number) < bLo) to++;
    // x in [from, to): lo < y − x ≤ hi, by the same comparisons countAtMost makes, so the two always agree
    for (let i = from; i < to && at < size; i++) out[at++] = yj - (xs[i] as number);
  }
  return out.sort();
}

/** Bisection stops once this few differences remain in a bracket; they are then listed and sorted. */
const ENUMERATE_BELOW = 4096;

/**
 * Order statistics (1-based ranks `ks`) of the n1·n2 pairwise differences y_j − x_i, inputs sorted ascending,
 * without forming all of them: bisect on the value with an O(n1 + n2) count per step until at most a few
 * thousand differences remain in a bracket, then list and sort those. Ranks that share a bracket share its
 * counting passes and its listing (the Hodges-Lehmann estimate and its interval bounds are close together).
 * Exact; for 7,000 × 1,000 samples about a dozen counting passes instead of sorting 7 M differences.
 */
export function pairwiseOrderStatistics(xs: Float64Array, ys: Float64Array, ks: readonly number[]): number[] {
  const n1 = xs.length;
  const n2 = ys.length;
  const total = n1 * n2;
  if (n1 === 0 || n2 === 0) throw new RangeError('pairwise differences of an empty sample');
  const min = (ys[0] as number) - (xs[n1 - 1] as number);
  const max = (ys[n2 - 1] as number) - (xs[0] as number);
  const out = new Map<number, number>();
  const inner: number[] = [];
  for (const k of ks) {
    if (k <= 1) out.set(k, min);
    else if (k >= total) out.set(k, max);
    else inner.push(k);
  }
  // invariant of a bracket (lo, hi]: count(lo) < k ≤ count(hi) for each of its ranks
  const solve = (ranks: number[], lo: number, loCount: number, hi: number, hiCount: number, depth: number): void => {
    if (ranks.length === 0) return;
    if (hiCount - loCount <= ENUMERATE_BELOW) {
      const between = differencesBetween(xs, ys, lo, hi, hiCount - loCount);
      for (const k of ranks) out.set(k, between[k - loCount - 1] as number);
      return;
    }
    const mid = lo + (hi - lo) / 2;
    // No float strictly between lo and hi (or runaway depth): every difference left is tied at hi.
    if (mid <= lo || mid >= hi || depth > 200) {
      for (const k of ranks) out.set(k, hi);
      return;
    }
    const c = countAtMost(xs, ys, mid);
    solve(
      ranks.filter((k) => k <= c),
      lo,
      loCount,
      mid,
      c,
      depth + 1,
    );
    solve(
      ranks.filter((k) => k > c),
      mid,
      c,
      hi,
      hiCount,
      depth + 1,
    );
  };
  const belowMin = min - Math.max(1, Math.abs(min)) * 1e-9;
  solve(
    [...new Set(inner)].sort((a, b) => a - b),
    belowMin,
    0,
    max,
    total,
    0,
  );
  return ks.map((k) => out.get(k) as number);
}

/** One order statistic of the pairwise differences (see pairwiseOrderStatistics). */
export function kthPairwiseDifference(xs: Float64Array, ys: Float64Array, k: number): number {
  return pairwiseOrderStatistics(xs, ys, [k])[0] as number;
}

/**
 * Hodges-Lehmann estimate of the shift of y relative to x, with the distribution-free confidence interval
 * from the Mann-Whitney null distribution (normal approximation of its critical value):
 * [D_(k), D_(n1·n2 − k + 1)], k = ⌊n1·n2/2 − z_{1−α/2}·√(n1·n2·(n1+n2+1)/12)⌋.
 */
export function hodgesLehmann(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  confidence = 0.99,
  sorted = false,
): ShiftEstimate {
  const xs = sorted && x instanceof Float64Array ? x : sortedCopy(x);
  const ys = sorted && y instanceof Float64Array ? y : sortedCopy(y);
  const n1 = xs.length;
  const n2 = ys.length;
  if (n1 === 0 || n2 === 0) throw new RangeError('Hodges-Lehmann needs two non-empty samples');
  const mn = n1 * n2;
  const z = normalQuantile(1 - (1 - confidence) / 2);
  const k = Math.max(1, Math.floor(mn / 2 - z * Math.sqrt((mn * (n1 + n2 + 1)) / 12)));
  const midLo = Math.floor((mn + 1) / 2);
  const midHi = Math.ceil((mn + 1) / 2);
  const [lo, a, b, hi] = pairwiseOrderStatistics(xs, ys, [k, midLo, midHi, mn - k + 1]) as [
    number,
    number,
    number,
    number,
  ];
  return { estimate: (a + b) / 2, ci: [lo, hi] };
}

export interface RobustZResult {
  center: number;
  /** MAD × 1.4826: the night-to-night spread as a standard deviation */
  scale: number;
  /** (value − median) / (scale·√(1 + 1/n)): how far a new night lies, in predicted spreads */
  z: number;
  /** degrees of freedom of the Student t reference (n − 1) */
  df: number;
  pValue: number;
}

/**
 * Where one value sits among a few others (metrics with one value per night, e.g. throughput):
 * z = (value − median) / (1.4826·MAD·√(1 + 1/n)), the spread widened for predicting a new night rather than
 * the mean. With 3–7 nights the MAD is itself rough, so p comes from Student t with n − 1 degrees of freedom
 * (stdlib), not the normal: its heavier tails keep a lucky-small MAD from turning ordinary nights into
 * "significant" ones. The caller's relative threshold and absolute floor stay the main guard. A zero spread
 * (or a single night) gives p = 0 for any change in the tested direction and p = 1 otherwise.
 */
export function robustZ(values: readonly number[], value: number, alternative: Alternative): RobustZResult {
  const n = values.length;
  const center = median(values);
  const scale = MAD_TO_SD * mad(values);
  const diff = value - center;
  const df = Math.max(0, n - 1);
  if (scale === 0 || df === 0) {
    const inDirection = alternative === 'greater' ? diff > 0 : alternative === 'less' ? diff < 0 : diff !== 0;
    const z = diff === 0 ? 0 : Math.sign(diff) * Number.POSITIVE_INFINITY;
    return { center, scale, z, df, pValue: inDirection ? 0 : 1 };
  }
  const z = diff / (scale * Math.sqrt(1 + 1 / n));
  const lower = tCdf(z, df);
  const pValue =
    alternative === 'greater'
      ? 1 - lower
      : alternative === 'less'
        ? lower
        : Math.min(1, 2 * Math.min(lower, 1 - lower));
  return { center, scale, z, df, pValue };
}

export interface BinomialResult {
  pValue: number;
  /** confidence interval of the observed success probability (Clopper-Pearson) */
  ci: [number, number];
}

/**
 * Exact binomial test of x successes in n trials against probability p (stdlib). n = 0 carries no evidence
 * (p = 1); p of exactly 0 or 1 is answered directly, where any observation off the null is certain evidence.
 */
export function binomialPValue(
  x: number,
  n: number,
  p: number,
  alternative: Alternative,
  confidence = 0.99,
): BinomialResult {
  if (n <= 0) return { pValue: 1, ci: [0, 1] };
  const k = Math.round(Math.min(Math.max(x, 0), n));
  const prob = Math.min(1, Math.max(0, p));
  const r = binomialTest(k, n, { p: prob, alternative, alpha: 1 - confidence });
  return { pValue: r.pValue, ci: [r.ci[0] ?? 0, r.ci[1] ?? 1] };
}

/**
 * Rate test for event counts (Poisson), conditional form: given x events in exposure ex and y in exposure ey,
 * under equal rates x ~ Binomial(x + y, ex / (ex + ey)). `greater`: x's rate is higher.
 */
export function rateTest(x: number, ex: number, y: number, ey: number, alternative: Alternative = 'greater'): number {
  const total = x + y;
  if (total <= 0 || ex <= 0 || ey <= 0) return 1;
  return binomialPValue(x, total, ex / (ex + ey), alternative).pValue;
}

function logChoose(n: number, k: number): number {
  return gammaln(n + 1) - gammaln(k + 1) - gammaln(n - k + 1);
}

/**
 * Fisher's exact test of two proportions: x1 events in n1 trials against x2 in n2. `greater`: the first group's
 * event rate is higher. Conditional on the total number of events, x1 is hypergeometric; the tail is summed
 * in log space (log-gamma from simple-statistics), so thousands of trials cost a few microseconds per term.
 * Unlike a binomial test against the baseline's rate, it stays honest when the baseline saw no event at all.
 */
export function fisherExact(
  x1: number,
  n1: number,
  x2: number,
  n2: number,
  alternative: Alternative = 'greater',
): number {
  if (n1 <= 0 || n2 <= 0) return 1;
  const n = n1 + n2;
  const k = x1 + x2;
  const lo = Math.max(0, n1 - (n - k));
  const hi = Math.min(k, n1);
  const logDenominator = logChoose(n, n1);
  const pmf = (i: number) => Math.exp(logChoose(k, i) + logChoose(n - k, n1 - i) - logDenominator);
  let p = 0;
  if (alternative === 'greater') for (let i = Math.max(x1, lo); i <= hi; i++) p += pmf(i);
  else if (alternative === 'less') for (let i = lo; i <= Math.min(x1, hi); i++) p += pmf(i);
  else {
    const observed = pmf(x1);
    for (let i = lo; i <= hi; i++) {
      const q = pmf(i);
      if (q <= observed * (1 + 1e-7)) p += q;
    }
  }
  return Math.min(1, Math.max(0, p));
}
