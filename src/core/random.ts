/**
 * Seeded randomness: every random choice in nightshift (prompts, Poisson arrivals, twin text and noise,
 * simulated workloads) comes from one of these, so two runs with the same seed do the same thing.
 */
export interface Rng {
  /** uniform in [0, 1) */
  next(): number;
  int(minInclusive: number, maxInclusive: number): number;
  pick<T>(items: readonly T[]): T;
  /** standard normal (Box-Muller) */
  normal(mean?: number, sd?: number): number;
  /** exponential with the given rate (events per unit) */
  exponential(rate: number): number;
  /** a new independent stream derived from this one and a label */
  fork(label: string): Rng;
}

/** mulberry32: small, fast, good enough for workloads and noise (not for cryptography). */
export function seededRng(seed: number): Rng {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const rng: Rng = {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: (items) => {
      if (items.length === 0) throw new RangeError('pick from an empty list');
      return items[Math.floor(next() * items.length)] as (typeof items)[number];
    },
    normal: (mean = 0, sd = 1) => {
      const u = Math.max(next(), Number.EPSILON);
      const v = next();
      return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    },
    exponential: (rate) => -Math.log(1 - next()) / rate,
    fork: (label) => seededRng(hashSeed(`${a}:${label}`)),
  };
  return rng;
}

/** FNV-1a of a string, for deriving seeds from labels. */
export function hashSeed(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
