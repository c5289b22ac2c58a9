/**
 * `streaming-integrity`: is the SSE stream itself right? Per request: the stream is well-formed (the probe
 * classifies malformed, truncated and wrong-model streams as errors), `usage` is reported, the
 * completion tokens in `usage` equal the content chunks counted (±1: a last chunk may carry text with the
 * finish_reason), and a finish_reason is present.
 * Defaults: 8 requests at concurrency 2, 32 prompt tokens, 32 output tokens.
 * Metrics: pass_rate (streams passing every check), error_rate, latency percentiles. Any broken stream
 * fails the domain; the details list the first violations.
 */
import type { DomainResult } from '../../../core/types.js';
import type { ProbeResult } from '../../../probe/types.js';
import type { Domain, DomainContext } from '../domain.js';
import { compactSample, decideStatus, pct } from '../outcome.js';
import { loadPrompt } from '../prompts.js';
import { chatLoad, type Defaults, defaultsAsOptions, load, resolve, UNBOUNDED_MODEL_MS } from './common.js';

const DEFAULTS: Defaults = {
  requests: 8,
  warmup: 0,
  concurrency: 2,
  max_concurrency: 2,
  rate: 1,
  durationMs: UNBOUNDED_MODEL_MS,
  prompt_tokens: 32,
  max_tokens: 32,
};

/** Tolerated difference between usage.completion_tokens and counted chunks. */
export const CHUNK_TOLERANCE = 1;

/** What is wrong with one streamed answer, empty when nothing is. */
export function integrityProblems(r: ProbeResult): string[] {
  if (!r.ok) return [`${r.error ?? 'other'}: ${r.error_detail ?? ''}`.trim()];
  const out: string[] = [];
  if (r.sse_problems && r.sse_problems.length > 0) out.push(`SSE: ${r.sse_problems[0]}`);
  if (!r.finish_reason) out.push('no finish_reason');
  if (!r.usage) out.push('no usage reported');
  else if (r.chunks !== undefined && Math.abs(r.usage.completion_tokens - r.chunks) > CHUNK_TOLERANCE) {
    out.push(`usage says ${r.usage.completion_tokens} completion tokens, ${r.chunks} content chunks counted`);
  }
  return out;
}

export const streamingIntegrityDomain: Domain = {
  name: 'streaming-integrity',
  description: 'SSE well-formed, usage tokens equal counted tokens, finish_reason present',
  defaults: defaultsAsOptions(DEFAULTS, ['requests', 'concurrency', 'prompt_tokens', 'max_tokens']),
  async run(ctx: DomainContext): Promise<DomainResult> {
    const o = resolve(ctx.options, DEFAULTS);
    const rng = ctx.rng.fork('integrity:prompts');
    const prompts = Array.from({ length: o.requests }, () => loadPrompt(rng, o.prompt_tokens));
    const violations: { request: number; problems: string[] }[] = [];
    const r = await load(ctx, {
      label: 'streaming-integrity',
      pattern: { kind: 'concurrency', concurrency: o.concurrency },
      requests: o.requests,
      durationMs: o.durationMs,
      makeRequest: (i) => chatLoad(ctx, prompts[i] ?? '', o.max_tokens),
      check: (i, result) => {
        const problems = integrityProblems(result);
        if (problems.length > 0) violations.push({ request: i, problems });
        return problems.length === 0;
      },
    });
    const counted = r.samples.filter((s) => s.ok || s.error !== 'aborted');
    const passed = counted.filter((s) => s.passed === true).length;
    const passRate = counted.length > 0 ? passed / counted.length : 0;
    const broken = counted.filter((s) => s.ok && s.passed !== true);
    const first = violations.sort((a, b) => a.request - b.request)[0];
    const reasons =
      broken.length > 0
        ? [
            `${broken.length} of ${counted.length} streams broke integrity (${pct(1 - passRate)}): ${first?.problems[0] ?? ''}`,
          ]
        : [];
    return {
      ...decideStatus({ samples: r.samples, failures: reasons }),
      metrics: { ...r.summary.metrics, pass_rate: passRate },
      samples: r.samples.map(compactSample),
      details: violations.length > 0 ? { violations: violations.slice(0, 10) } : {},
    };
  },
};
