/**
 * `health`: is the target up and serving the model? Three checks, in order:
 * 1. GET /health answers 200 (a server without /health — 404, e.g. Ollama — skips this check);
 * 2. GET /v1/models lists the served model;
 * 3. one short chat completion succeeds.
 * A target that does not answer at all fails at once, with the connection error as reason.
 * Defaults: max_tokens 8. Metrics: pass_rate (share of checks passed), ttft_ms_p50 and e2e_ms_p50 of the
 * completion. Details: each check, and max_model_len when /v1/models reports it.
 */
import type { DomainResult } from '../../../core/types.js';
import type { Domain, DomainContext } from '../domain.js';
import { parseModels } from '../models.js';
import { compactSample } from '../outcome.js';

const DEFAULT_MAX_TOKENS = 8;

interface CheckLine {
  check: string;
  ok: boolean;
  skipped?: boolean;
  detail: string;
}

export const healthDomain: Domain = {
  name: 'health',
  description: '/health answers, /v1/models lists the model, one completion succeeds',
  defaults: { max_tokens: DEFAULT_MAX_TOKENS },
  async run(ctx: DomainContext): Promise<DomainResult> {
    const checks: CheckLine[] = [];
    const details: Record<string, unknown> = { checks };
    ctx.progress(0, 3);

    const health = await ctx.client.get('/health', ctx.signal);
    if (health.status === 0) {
      const detail = `target unreachable: ${health.error ?? 'other'} (${health.body})`;
      checks.push({ check: 'health', ok: false, detail });
      return { status: 'fail', metrics: { pass_rate: 0 }, reason: detail, details };
    }
    if (health.status === 404)
      checks.push({ check: 'health', ok: true, skipped: true, detail: '/health not offered (404)' });
    else checks.push({ check: 'health', ok: health.status === 200, detail: `/health → ${health.status}` });
    ctx.progress(1, 3);

    const models = await ctx.client.get('/v1/models', ctx.signal);
    if (models.status !== 200) {
      checks.push({
        check: 'models',
        ok: false,
        detail: `/v1/models → ${models.status || models.error} ${models.body.slice(0, 120)}`,
      });
    } else {
      const parsed = parseModels(models.body);
      if (!parsed.ok) checks.push({ check: 'models', ok: false, detail: parsed.error });
      else {
        const entry = parsed.models.find((m) => m.id === ctx.model);
        if (entry?.maxModelLen !== undefined) details.max_model_len = entry.maxModelLen;
        checks.push(
          entry
            ? { check: 'models', ok: true, detail: `lists ${ctx.model}` }
            : {
                check: 'models',
                ok: false,
                detail: `model "${ctx.model}" not listed (listed: ${parsed.models.map((m) => m.id).join(', ') || 'none'})`,
              },
        );
      }
    }
    ctx.progress(2, 3);

    const r = await ctx.client.request(
      {
        api: 'chat',
        prompt: 'What is 17+25? Answer with the number only.',
        max_tokens: ctx.options.max_tokens ?? DEFAULT_MAX_TOKENS,
        temperature: 0,
      },
      ctx.signal,
    );
    checks.push(
      r.ok
        ? { check: 'completion', ok: true, detail: `${r.output_tokens ?? 0} tokens, finish_reason ${r.finish_reason}` }
        : { check: 'completion', ok: false, detail: `${r.error}: ${r.error_detail ?? ''}` },
    );
    ctx.progress(3, 3);

    const counted = checks.filter((c) => !c.skipped);
    const passed = counted.filter((c) => c.ok).length;
    const failed = checks.filter((c) => !c.ok);
    const metrics: DomainResult['metrics'] = { pass_rate: counted.length ? passed / counted.length : 0 };
    if (r.ok && r.ttft_ms !== undefined) metrics.ttft_ms_p50 = r.ttft_ms;
    if (r.ok && r.e2e_ms !== undefined) metrics.e2e_ms_p50 = r.e2e_ms;
    return {
      status: failed.length === 0 ? 'pass' : 'fail',
      metrics,
      samples: [compactSample(r)],
      details,
      ...(failed.length > 0 ? { reason: failed.map((c) => `${c.check}: ${c.detail}`).join('; ') } : {}),
    };
  },
};
