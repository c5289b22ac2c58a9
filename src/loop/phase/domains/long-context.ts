/**
 * `long-context`: prompts near the target's max model length — does the server still answer, how slow is
 * the first token, does memory hold?
 *
 * max_model_len comes from /v1/models (vLLM reports it per model), else from the runner (config
 * `target.config.max_model_len`), else 4096 is assumed and the details say so. Prompt lengths are spread
 * evenly from 50 % to 90 % of the room left after the answer and a margin for the chat template
 * (`max_model_len − max_tokens − 64`); `prompt_tokens`, when set, is the longest prompt instead of the 90 %.
 * Defaults: 6 requests at concurrency 2, 32 output tokens.
 * Metrics: TTFT / E2E percentiles, error_rate. Details: max_model_len and its source, the prompt lengths,
 * and `max_context_tokens_used` (p99.9 of prompt + output tokens actually used), which config tuning must
 * never cut max_model_len below.
 */
import type { DomainResult } from '../../../core/types.js';
import type { Domain, DomainContext } from '../domain.js';
import { parseModels } from '../models.js';
import { compactSample, decideStatus, quantile } from '../outcome.js';
import { estimateTokens, loadPrompt } from '../prompts.js';
import { chatLoad, type Defaults, defaultsAsOptions, load, resolve, UNBOUNDED_MODEL_MS } from './common.js';

const DEFAULTS: Defaults = {
  requests: 6,
  warmup: 0,
  concurrency: 2,
  max_concurrency: 2,
  rate: 1,
  durationMs: UNBOUNDED_MODEL_MS,
  prompt_tokens: 0,
  max_tokens: 32,
};

/** Tokens kept free for the chat template and the gap between our word count and the real tokenizer. */
export const TEMPLATE_MARGIN = 64;
export const ASSUMED_MAX_MODEL_LEN = 4096;
export const LOW_FRACTION = 0.5;
export const HIGH_FRACTION = 0.9;

/** Prompt lengths (tokens) of the run: evenly from 50 % to the longest, over `n` requests. */
export function promptLengths(n: number, maxModelLen: number, maxTokens: number, longest?: number): number[] {
  const room = Math.max(1, maxModelLen - maxTokens - TEMPLATE_MARGIN);
  const top = Math.max(1, Math.min(room, longest ?? Math.floor(room * HIGH_FRACTION)));
  const bottom = Math.max(1, Math.floor(room * LOW_FRACTION));
  if (n <= 1) return [top];
  const lo = Math.min(bottom, top);
  return Array.from({ length: n }, (_, i) => Math.round(lo + ((top - lo) * i) / (n - 1)));
}

async function maxModelLenOf(ctx: DomainContext): Promise<{ value: number; source: string }> {
  const res = await ctx.client.get('/v1/models', ctx.signal);
  if (res.status === 200) {
    const parsed = parseModels(res.body);
    const entry = parsed.ok ? parsed.models.find((m) => m.id === ctx.model) : undefined;
    if (entry?.maxModelLen !== undefined) return { value: entry.maxModelLen, source: '/v1/models' };
  }
  if (ctx.maxModelLen !== undefined) return { value: ctx.maxModelLen, source: 'config' };
  return { value: ASSUMED_MAX_MODEL_LEN, source: 'assumed (not reported by /v1/models nor set in the config)' };
}

export const longContextDomain: Domain = {
  name: 'long-context',
  description: 'prompts near max-model-len: TTFT, errors, OOM',
  defaults: defaultsAsOptions(DEFAULTS, ['requests', 'concurrency', 'max_tokens']),
  async run(ctx: DomainContext): Promise<DomainResult> {
    const o = resolve(ctx.options, DEFAULTS);
    const len = await maxModelLenOf(ctx);
    const lengths = promptLengths(
      o.requests,
      len.value,
      o.max_tokens,
      ctx.options.prompt_tokens !== undefined ? o.prompt_tokens : undefined,
    );
    const rng = ctx.rng.fork('long-context:prompts');
    const prompts = lengths.map((n) => loadPrompt(rng, n));
    const r = await load(ctx, {
      label: 'long-context',
      pattern: { kind: 'concurrency', concurrency: o.concurrency },
      requests: prompts.length,
      warmup: 0,
      durationMs: o.durationMs,
      makeRequest: (i) => chatLoad(ctx, prompts[i] ?? '', o.max_tokens),
    });
    const used = r.samples
      .map((s, i) =>
        s.ok ? (s.prompt_tokens ?? estimateTokens(prompts[i] ?? '')) + (s.output_tokens ?? 0) : undefined,
      )
      .filter((n): n is number => n !== undefined);
    const maxUsed = quantile(used, 0.999);
    return {
      ...decideStatus({ samples: r.samples }),
      metrics: r.summary.metrics,
      samples: r.samples.map(compactSample),
      details: {
        max_model_len: len.value,
        max_model_len_source: len.source,
        prompt_tokens_planned: lengths,
        ...(maxUsed !== undefined ? { max_context_tokens_used: Math.ceil(maxUsed) } : {}),
      },
    };
  },
};
