/**
 * `interactive`: one stream at a time, short prompts — what a single chat user feels.
 * Defaults: 8 requests after 1 warm-up, 64 prompt tokens, 32 output tokens.
 * Metrics: TTFT / ITL / TPOT / E2E percentiles, req/s, output tok/s, goodput under the SLO, error_rate.
 */
import type { DomainResult } from '../../../core/types.js';
import type { Domain, DomainContext } from '../domain.js';
import { compactSample, decideStatus } from '../outcome.js';
import { loadPrompt } from '../prompts.js';
import { chatLoad, type Defaults, defaultsAsOptions, load, resolve, UNBOUNDED_MODEL_MS } from './common.js';

const DEFAULTS: Defaults = {
  requests: 8,
  warmup: 1,
  concurrency: 1,
  max_concurrency: 1,
  rate: 1,
  durationMs: UNBOUNDED_MODEL_MS,
  prompt_tokens: 64,
  max_tokens: 32,
};

export const interactiveDomain: Domain = {
  name: 'interactive',
  description: 'one stream at a time, short prompts: TTFT, ITL, E2E percentiles',
  defaults: defaultsAsOptions(DEFAULTS, ['requests', 'warmup', 'prompt_tokens', 'max_tokens']),
  async run(ctx: DomainContext): Promise<DomainResult> {
    const o = resolve(ctx.options, DEFAULTS);
    const rng = ctx.rng.fork('interactive:prompts');
    const prompts = Array.from({ length: o.requests + o.warmup }, () => loadPrompt(rng, o.prompt_tokens));
    const r = await load(ctx, {
      label: 'interactive',
      pattern: { kind: 'sequential' },
      requests: o.requests,
      warmup: o.warmup,
      durationMs: o.durationMs,
      makeRequest: (i) => chatLoad(ctx, prompts[i] ?? '', o.max_tokens),
    });
    return {
      ...decideStatus({ samples: r.samples }),
      metrics: r.summary.metrics,
      samples: r.samples.map(compactSample),
    };
  },
};
