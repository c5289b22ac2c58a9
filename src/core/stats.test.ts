import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { seededRng } from './random.js';
import {
  binomialPValue,
  fisherExact,
  hodgesLehmann,
  kthPairwiseDifference,
  mad,
  mannWhitneyU,
  median,
  rateTest,
  robustZ,
} from './stats.js';

function pairwiseDiffs(x: number[], y: number[]): number[] {
  const d: number[] = [];
  for (const a of x) for (const b of y) d.push(b - a);
  return d.sort((p, q) => p - q);
}

function bruteU(x: number[], y: number[]): number {
  let u = 0;
  for (const a of x) for (const b of y) u += b > a ? 1 : b === a ? 0.5 : 0;
  return u;
}

const smallInts = fc.array(fc.integer({ min: 0, max: 20 }), { minLength: 1, maxLength: 25 });

describe('median and MAD', () => {
  it('give the middle value and the median absolute deviation', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([1, 2, 3, 10])).toBe(2.5);
    expect(mad([1, 2, 3, 10])).toBe(1);
  });

  it('refuse an empty list', () => {
    expect(() => median([])).toThrow(RangeError);
  });
});

describe('mannWhitneyU', () => {
  it('matches the textbook normal approximation for separated samples', () => {
    // scipy.stats.mannwhitneyu([6..10], [1..5], alternative='greater', method='asymptotic') → p = 0.0060929
    const r = mannWhitneyU([1, 2, 3, 4, 5], [6, 7, 8, 9, 10], 'greater');
    expect(r.u).toBe(25);
    expect(r.pValue).toBeCloseTo(0.006092, 5);
  });

  it('counts U as pairs with y above x, ties as one half', () => {
    fc.assert(
      fc.property(smallInts, smallInts, (x, y) => {
        expect(mannWhitneyU(x, y).u).toBeCloseTo(bruteU(x, y), 9);
      }),
    );
  });

  it('applies the tie correction to the variance', () => {
    // x=[1,2,2,3], y=[2,3,3,4]: two ties of size 3. var = 16/12·(9 − 48/56) = 10.857 (12 without the
    // correction); z = (13 − 8 − 0.5)/√10.857 = 1.3657 → two-sided p = 0.17203 (scipy agrees; 0.194 uncorrected)
    const r = mannWhitneyU([1, 2, 2, 3], [2, 3, 3, 4], 'two-sided');
    expect(r.u).toBe(13);
    expect(r.pValue).toBeCloseTo(0.172, 3);
  });

  it('gives p = 1 when every value is tied', () => {
    expect(mannWhitneyU([3, 3, 3], [3, 3], 'greater').pValue).toBe(1);
  });

  it('is one-sided in the direction asked', () => {
    const x = [10, 11, 12, 13, 14, 15, 16, 17];
    const y = x.map((v) => v + 20);
    expect(mannWhitneyU(x, y, 'greater').pValue).toBeLessThan(0.001);
    expect(mannWhitneyU(x, y, 'less').pValue).toBeGreaterThan(0.99);
  });
});

describe('hodgesLehmann', () => {
  it('finds the k-th pairwise difference exactly, as sorting all differences would', () => {
    fc.assert(
      fc.property(smallInts, smallInts, fc.double({ min: 0, max: 1, noNaN: true }), (x, y, f) => {
        const all = pairwiseDiffs(x, y);
        const k = 1 + Math.floor(f * (all.length - 1));
        const xs = Float64Array.from(x).sort();
        const ys = Float64Array.from(y).sort();
        expect(kthPairwiseDifference(xs, ys, k)).toBe(all[k - 1]);
      }),
    );
  });

  it('estimates the shift as the median of pairwise differences', () => {
    const rng = seededRng(7);
    const x = Array.from({ length: 40 }, () => rng.normal(100, 10));
    const y = Array.from({ length: 30 }, () => rng.normal(130, 10));
    const all = pairwiseDiffs(x, y);
    const mid = (all[599] as number) / 2 + (all[600] as number) / 2;
    expect(hodgesLehmann(x, y).estimate).toBeCloseTo(mid, 9);
  });

  it('brackets a known shift with its confidence interval', () => {
    const rng = seededRng(11);
    const x = Array.from({ length: 2000 }, () => rng.normal(200, 20));
    const y = Array.from({ length: 1000 }, () => rng.normal(250, 20));
    const r = hodgesLehmann(x, y, 0.99);
    expect(r.ci[0]).toBeLessThan(50);
    expect(r.ci[1]).toBeGreaterThan(50);
    expect(r.ci[1] - r.ci[0]).toBeLessThan(6);
  });

  it('handles 7,000 × 1,000 samples in a few milliseconds', () => {
    const rng = seededRng(3);
    const x = Array.from({ length: 7000 }, () => rng.normal(200, 20));
    const y = Array.from({ length: 1000 }, () => rng.normal(210, 20));
    const t0 = performance.now();
    const r = hodgesLehmann(x, y, 0.99);
    expect(performance.now() - t0).toBeLessThan(100);
    expect(r.estimate).toBeGreaterThan(7);
    expect(r.estimate).toBeLessThan(13);
  });
});

describe('robustZ', () => {
  it('measures a new night in predicted spreads: scaled MAD widened by √(1 + 1/n)', () => {
    const r = robustZ([100, 102, 98, 101, 99], 90, 'less');
    expect(r.center).toBe(100);
    expect(r.scale).toBeCloseTo(1.4826, 4);
    expect(r.z).toBeCloseTo(-10 / (1.4826 * Math.sqrt(1.2)), 4);
    expect(r.df).toBe(4);
    // scipy.stats.t.cdf(-10 / (1.4826 * sqrt(1.2)), 4)
    expect(r.pValue).toBeCloseTo(0.0017653, 6);
  });

  it('takes p from Student t, wider than the normal for few nights', () => {
    // z = 3 with 4 df: one-sided t tail 0.01997 (scipy.stats.t.sf(3, 4)); the normal would say 0.00135
    const values = [100, 102, 98, 101, 99];
    const r = robustZ(values, 100 + 3 * 1.4826 * Math.sqrt(1.2), 'greater');
    expect(r.z).toBeCloseTo(3, 9);
    expect(r.pValue).toBeCloseTo(0.02, 3);
  });

  it('with zero spread, is certain about any change in the tested direction only', () => {
    expect(robustZ([5, 5, 5], 4, 'less').pValue).toBe(0);
    expect(robustZ([5, 5, 5], 6, 'less').pValue).toBe(1);
  });
});

describe('binomial and rate tests', () => {
  it('run the exact binomial test', () => {
    // R: binom.test(3, 10, p = 0.1, alternative = "greater") → p = 0.07019
    expect(binomialPValue(3, 10, 0.1, 'greater').pValue).toBeCloseTo(0.07019, 4);
  });

  it('treat no trials as no evidence', () => {
    expect(binomialPValue(0, 0, 0.5, 'greater').pValue).toBe(1);
  });

  it('treat any success against a null rate of zero as certain', () => {
    expect(binomialPValue(1, 100, 0, 'greater').pValue).toBe(0);
  });

  it('compare two proportions exactly with Fisher’s test', () => {
    // 1 failure of 5 tonight vs 0 of 25 before: P = C(29,4)/C(30,5) = 1/6
    expect(fisherExact(1, 5, 0, 25, 'greater')).toBeCloseTo(1 / 6, 9);
    // exact hypergeometric tail (Python math.comb): 25 of 200 vs 8 of 200 → 0.00154742
    expect(fisherExact(25, 200, 8, 200, 'greater')).toBeCloseTo(0.00154742, 7);
  });

  it('compare event rates by exposure', () => {
    // 10 events tonight vs 7 in 7 nights: Binomial(17, 1/8) ≥ 10 is rare
    expect(rateTest(10, 1, 7, 7)).toBeLessThan(0.001);
    expect(rateTest(1, 1, 7, 7)).toBeGreaterThan(0.3);
  });
});
