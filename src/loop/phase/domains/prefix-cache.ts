/**
 * `prefix-cache`: pairs of prompts sharing a long prefix. The first of a pair meets a prefix the server has
 * never seen (cold), the second reuses it (warm): warm TTFT should be well below cold TTFT where the engine
 * caches prefixes. The prefixes are drawn from the seed AND the run's start time, so last night's run cannot
 * have warmed them (every other domain's prompts depend on the seed only).
 * Hit rate comes from /metrics (prefix-cache hits / queries over the domain) where the engine exports it.
 * Defaults: 6 pairs (`requests` = number of pairs), 512 prefix tokens, 8 output tokens, sequential.
 * Metrics: ttft_ms_p50 (warm), prefix_hit_rate, error_rate. Details: cold and warm TTFT p50, speed-up.
 */
import { hashSeed, seededRng } from '../../../core/random.js';
import type { DomainResult } from '../../../core/types.js';
import { diffSignals, prefixHitRate } from '../../../probe/scrape.js';
import type { Domain, DomainContext } from '../domain.js';
import { compactSample, decideStatus, quantile } from '../outcome.js';
import { fillerText } from '../prompts.js';
import { type Defaults, defaultsAsOptions, load, resolve, UNBOUNDED_MODEL_MS } from './common.js';

const DEFAULTS: Defaults = {
  requests: 6,
  warmup: 0,
  concurrency: 1,
  max_concurrency: 1,
  rate: 1,
  durationMs: UNBOUNDED_MODEL_MS,
  prompt_tokens: 512,
  max_tokens: 8,
};

export const prefixCacheDomain: Domain = {
  name: 'prefix-cache',
  description: 'prompts sharing a long prefix: warm vs cold TTFT, hit rate from /metrics',
  defaults: defaultsAsOptions(DEFAULTS, ['requests', 'prompt_tokens', 'max_tokens']),
  async run(ctx: DomainContext): Promise<DomainResult> {
    const o = resolve(ctx.options, DEFAULTS);
    const rng = seededRng(hashSeed(`${ctx.seed}:prefix-cache:${ctx.clock.now()}`));
    const prefixes = Array.from({ length: o.requests }, () => fillerText(rng, o.prompt_tokens));
    const before = await ctx.scrape();
    const r = await load(ctx, {
      label: 'prefix-cache',
      pattern: { kind: 'sequential' },
      requests: 2 * o.requests,
      durationMs: o.durationMs,
      makeRequest: (i) => ({
        api: 'chat',
        prompt: `${prefixes[Math.floor(i / 2)] ?? ''}\n\nQuestion ${(i % 2) + 1}: summarise the text above in one word.`,
        max_tokens: o.max_tokens,
        temperature: 0,
      }),
    });
    const after = await ctx.scrape();
    const ttft = (parity: number) =>
      r.samples.filter((s, i) => i % 2 === parity && s.ok && s.ttft_ms !== undefined).map((s) => s.ttft_ms as number);
    const cold = quantile(ttft(0), 0.5);
    const warm = quantile(ttft(1), 0.5);
    const rate = prefixHitRate(diffSignals(before, after));
    const metrics: DomainResult['metrics'] = {};
    if (r.summary.metrics.error_rate !== undefined) metrics.error_rate = r.summary.metrics.error_rate;
    if (warm !== undefined) metrics.ttft_ms_p50 = warm;
    if (rate !== undefined) metrics.prefix_hit_rate = rate;
    return {
      ...decideStatus({ samples: r.samples }),
      metrics,
      samples: r.samples.map(compactSample),
      details: {
        ...(cold !== undefined ? { cold_ttft_ms_p50: cold } : {}),
        ...(warm !== undefined ? { warm_ttft_ms_p50: warm } : {}),
        ...(cold !== undefined && warm !== undefined && warm > 0 ? { warm_speedup: cold / warm } : {}),
        prefix_tokens: o.prompt_tokens,
        ...(rate === undefined ? { note: 'no prefix-cache counters in /metrics: hit rate not measured' } : {}),
      },
    };
  },
};
