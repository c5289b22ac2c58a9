/**
 * `concurrency-sweep`: concurrency 1, 2, 4, … up to max_concurrency — where the throughput curve bends (the
 * knee) and how much goodput under the SLO the server keeps at each level.
 * Defaults: max_concurrency 16, per level max(4, 2 × concurrency) requests (or `requests` when set),
 * 64 prompt tokens, 32 output tokens.
 * Metrics: goodput_req_per_s, req_per_s and output_tok_per_s at their best level; TTFT p95 at the knee.
 * Details: each level's figures and `knee_concurrency`.
 */
import type { Metrics } from '../../../core/metrics.js';
import type { DomainResult, RequestSample } from '../../../core/types.js';
import type { Domain, DomainContext } from '../domain.js';
import { compactSample, decideStatus } from '../outcome.js';
import { loadPrompt } from '../prompts.js';
import { chatLoad, type Defaults, defaultsAsOptions, load, resolve, UNBOUNDED_MODEL_MS } from './common.js';

const DEFAULTS: Defaults = {
  requests: 0,
  warmup: 1,
  concurrency: 1,
  max_concurrency: 16,
  rate: 1,
  durationMs: UNBOUNDED_MODEL_MS,
  prompt_tokens: 64,
  max_tokens: 32,
};

/** A doubling that adds less than this share of output tok/s is past the knee. */
export const KNEE_GAIN = 0.1;

export interface Level {
  concurrency: number;
  requests: number;
  req_per_s: number;
  output_tok_per_s: number;
  goodput_req_per_s: number;
  ttft_ms_p95?: number;
  error_rate?: number;
}

/** 1, 2, 4, … below max, then max itself. */
export function sweepLevels(max: number): number[] {
  const out: number[] = [];
  for (let c = 1; c < max; c *= 2) out.push(c);
  out.push(Math.max(1, max));
  return out;
}

/**
 * The knee: the first level whose next step adds less than KNEE_GAIN of output tok/s. A curve still rising
 * at the last level has its knee there (the sweep did not reach saturation).
 */
export function findKnee(levels: readonly Pick<Level, 'concurrency' | 'output_tok_per_s'>[]): number | undefined {
  for (let i = 0; i < levels.length; i++) {
    const here = levels[i] as Level;
    const next = levels[i + 1];
    if (!next) return here.concurrency;
    if (next.output_tok_per_s < here.output_tok_per_s * (1 + KNEE_GAIN)) return here.concurrency;
  }
  return undefined;
}

export const concurrencySweepDomain: Domain = {
  name: 'concurrency-sweep',
  description: 'concurrency 1 → N: knee of the curve, goodput under SLO',
  defaults: defaultsAsOptions(DEFAULTS, ['max_concurrency', 'warmup', 'prompt_tokens', 'max_tokens']),
  async run(ctx: DomainContext): Promise<DomainResult> {
    const o = resolve(ctx.options, DEFAULTS);
    const concurrencies = sweepLevels(o.max_concurrency);
    const perLevel = (c: number) => (ctx.options.requests !== undefined ? o.requests : Math.max(4, 2 * c));
    const total = concurrencies.reduce((n, c) => n + perLevel(c), 0);
    const rng = ctx.rng.fork('sweep:prompts');
    const levels: Level[] = [];
    const samples: RequestSample[] = [];
    let done = 0;
    for (const [k, c] of concurrencies.entries()) {
      if (ctx.signal.aborted) break;
      const n = perLevel(c);
      const warmup = k === 0 ? o.warmup : 0;
      const prompts = Array.from({ length: n + warmup }, () => loadPrompt(rng, o.prompt_tokens));
      const r = await load(ctx, {
        label: `sweep:${c}`,
        pattern: { kind: 'concurrency', concurrency: c },
        requests: n,
        warmup,
        durationMs: o.durationMs,
        makeRequest: (i) => chatLoad(ctx, prompts[i] ?? '', o.max_tokens),
        progressOffset: done,
        progressTotal: total,
      });
      done += n;
      samples.push(...r.samples.map(compactSample));
      const m = r.summary.metrics;
      levels.push({
        concurrency: c,
        requests: r.samples.length,
        req_per_s: r.summary.req_per_s,
        output_tok_per_s: r.summary.output_tok_per_s,
        goodput_req_per_s: r.summary.goodput_req_per_s,
        ...(m.ttft_ms_p95 !== undefined ? { ttft_ms_p95: m.ttft_ms_p95 } : {}),
        ...(m.error_rate !== undefined ? { error_rate: m.error_rate } : {}),
      });
    }
    const knee = findKnee(levels);
    const best = (f: (l: Level) => number) => Math.max(0, ...levels.map(f));
    const metrics: Metrics = {
      goodput_req_per_s: best((l) => l.goodput_req_per_s),
      req_per_s: best((l) => l.req_per_s),
      output_tok_per_s: best((l) => l.output_tok_per_s),
    };
    const atKnee = levels.find((l) => l.concurrency === knee);
    if (atKnee?.ttft_ms_p95 !== undefined) metrics.ttft_ms_p95 = atKnee.ttft_ms_p95;
    const failed = samples.filter((s) => !s.ok && s.error !== 'aborted').length;
    const counted = samples.filter((s) => s.ok || s.error !== 'aborted').length;
    metrics.error_rate = counted > 0 ? failed / counted : 0;
    return {
      ...decideStatus({ samples }),
      metrics,
      samples,
      details: { levels, ...(knee !== undefined ? { knee_concurrency: knee } : {}) },
    };
  },
};
