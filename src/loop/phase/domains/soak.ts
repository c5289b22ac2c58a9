/**
 * `soak`: sustained moderate load for a while — does anything degrade over time? The runner adds what the
 * engine shows during the domain (preemptions, peak KV usage from /metrics, OOM events from every source);
 * this domain measures latency drift: median E2E of the last third of the requests against the first third,
 * in percent (positive = slower at the end).
 * Defaults: 20 s (model time) at concurrency 4, 64 prompt tokens, 32 output tokens; `requests` caps the
 * count (default 100000: the duration ends it).
 * Metrics: latency_drift_pct, error_rate, latency percentiles, req/s, output tok/s.
 */
import type { DomainResult, RequestSample } from '../../../core/types.js';
import type { Domain, DomainContext } from '../domain.js';
import { compactSample, decideStatus, quantile } from '../outcome.js';
import { loadPrompt } from '../prompts.js';
import { chatLoad, type Defaults, defaultsAsOptions, load, resolve } from './common.js';

const DEFAULTS: Defaults = {
  requests: 100_000,
  warmup: 0,
  concurrency: 4,
  max_concurrency: 4,
  rate: 1,
  durationMs: 20_000,
  prompt_tokens: 64,
  max_tokens: 32,
};

/** Fewer successful requests than this and thirds are too small to compare. */
export const MIN_DRIFT_SAMPLES = 6;

/** (median E2E of the last third − of the first third) / first third × 100, by send time. */
export function latencyDriftPct(samples: readonly RequestSample[]): number | undefined {
  const ok = samples.filter((s) => s.ok && s.e2e_ms !== undefined).sort((a, b) => a.t - b.t);
  if (ok.length < MIN_DRIFT_SAMPLES) return undefined;
  const third = Math.floor(ok.length / 3);
  const first = quantile(
    ok.slice(0, third).map((s) => s.e2e_ms as number),
    0.5,
  );
  const last = quantile(
    ok.slice(ok.length - third).map((s) => s.e2e_ms as number),
    0.5,
  );
  if (first === undefined || last === undefined || first <= 0) return undefined;
  return ((last - first) / first) * 100;
}

export const soakDomain: Domain = {
  name: 'soak',
  description: 'sustained moderate load: error rate, preemptions, KV usage, OOM events, latency drift',
  defaults: defaultsAsOptions(DEFAULTS, ['requests', 'concurrency', 'durationMs', 'prompt_tokens', 'max_tokens']),
  async run(ctx: DomainContext): Promise<DomainResult> {
    const o = resolve(ctx.options, DEFAULTS);
    const rng = ctx.rng.fork('soak:prompts');
    // Prompts are drawn lazily: the count is set by the duration, not known in advance.
    const prompts: string[] = [];
    const promptAt = (i: number) => {
      while (prompts.length <= i) prompts.push(loadPrompt(rng, o.prompt_tokens));
      return prompts[i] as string;
    };
    const r = await load(ctx, {
      label: 'soak',
      pattern: { kind: 'concurrency', concurrency: o.concurrency },
      requests: o.requests,
      durationMs: o.durationMs,
      makeRequest: (i) => chatLoad(ctx, promptAt(i), o.max_tokens),
    });
    const drift = latencyDriftPct(r.samples);
    return {
      ...decideStatus({ samples: r.samples }),
      metrics: { ...r.summary.metrics, ...(drift !== undefined ? { latency_drift_pct: drift } : {}) },
      samples: r.samples.map(compactSample),
      details: { concurrency: o.concurrency, duration_s: o.durationMs / 1000, requests_sent: r.samples.length },
    };
  },
};
