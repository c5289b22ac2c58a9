/**
 * `throughput`: saturating fixed concurrency — how much the server delivers when it is kept busy.
 * Defaults: 32 requests at concurrency 16 after 2 warm-ups, 128 prompt tokens, 64 output tokens.
 * Metrics: output tok/s, req/s, goodput, latency percentiles, error_rate.
 */
import type { DomainResult } from '../../../core/types.js';
import type { Domain, DomainContext } from '../domain.js';
import { compactSample, decideStatus } from '../outcome.js';
import { loadPrompt } from '../prompts.js';
import { chatLoad, type Defaults, defaultsAsOptions, load, resolve, UNBOUNDED_MODEL_MS } from './common.js';

const DEFAULTS: Defaults = {
  requests: 32,
  warmup: 2,
  concurrency: 16,
  max_concurrency: 16,
  rate: 1,
  durationMs: UNBOUNDED_MODEL_MS,
  prompt_tokens: 128,
  max_tokens: 64,
};

export const throughputDomain: Domain = {
  name: 'throughput',
  description: 'saturating concurrency: output tok/s, req/s',
  defaults: defaultsAsOptions(DEFAULTS, ['requests', 'warmup', 'concurrency', 'prompt_tokens', 'max_tokens']),
  async run(ctx: DomainContext): Promise<DomainResult> {
    const o = resolve(ctx.options, DEFAULTS);
    const rng = ctx.rng.fork('throughput:prompts');
    const prompts = Array.from({ length: o.requests + o.warmup }, () => loadPrompt(rng, o.prompt_tokens));
    const r = await load(ctx, {
      label: 'throughput',
      pattern: { kind: 'concurrency', concurrency: o.concurrency },
      requests: o.requests,
      warmup: o.warmup,
      durationMs: o.durationMs,
      makeRequest: (i) => chatLoad(ctx, prompts[i] ?? '', o.max_tokens),
    });
    return {
      ...decideStatus({ samples: r.samples }),
      metrics: r.summary.metrics,
      samples: r.samples.map(compactSample),
      details: { concurrency: o.concurrency },
    };
  },
};
