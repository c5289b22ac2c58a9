/**
 * `burst`: a Poisson burst above capacity, then quiet — how long do requests queue, do any fail, and how
 * fast does a new user get normal service again?
 *
 * 1. Baseline: 3 sequential short requests give the unloaded TTFT.
 * 2. Burst: `requests` arrivals at Poisson `rate` (model req/s).
 * 3. Recovery: from the moment the last arrival is due, single probe requests are sent back to back until one
 *    has TTFT ≤ max(2 × baseline, baseline + 50 ms); `recovery_s` is the time from the end of the arrivals to
 *    that probe's send, in model seconds. No recovery within `duration` fails the domain.
 * `queue_ms_p95` is the p95 over the burst of TTFT beyond the baseline TTFT: the wait a client sees on top
 * of an unloaded prefill (engines do not expose per-request queue time to clients).
 * Defaults: 48 requests at 40 req/s, recovery window 30 s, 64 prompt tokens, 32 output tokens.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import type { DomainResult, RequestSample } from '../../../core/types.js';
import type { ProbeResult } from '../../../probe/types.js';
import type { Domain, DomainContext } from '../domain.js';
import { compactSample, decideStatus, quantile } from '../outcome.js';
import { loadPrompt } from '../prompts.js';
import { chatLoad, type Defaults, defaultsAsOptions, load, modelMs, realMs, resolve } from './common.js';

const DEFAULTS: Defaults = {
  requests: 48,
  warmup: 0,
  concurrency: 1,
  max_concurrency: 1,
  rate: 40,
  durationMs: 30_000,
  prompt_tokens: 64,
  max_tokens: 32,
};

export const BASELINE_REQUESTS = 3;
/** TTFT still counts as recovered up to this multiple of the baseline, or baseline + RECOVERY_SLACK_MS. */
export const RECOVERY_FACTOR = 2;
export const RECOVERY_SLACK_MS = 50;

export function recoveryThreshold(baselineTtftMs: number): number {
  return Math.max(RECOVERY_FACTOR * baselineTtftMs, baselineTtftMs + RECOVERY_SLACK_MS);
}

/** p95 of the TTFT each successful request waited beyond the unloaded TTFT. */
export function queueP95(samples: readonly RequestSample[], baselineTtftMs: number): number | undefined {
  const waits = samples
    .filter((s) => s.ok && s.ttft_ms !== undefined)
    .map((s) => Math.max(0, (s.ttft_ms as number) - baselineTtftMs));
  return quantile(waits, 0.95);
}

export const burstDomain: Domain = {
  name: 'burst',
  description: 'Poisson burst above capacity then quiet: queue time, errors, recovery time',
  defaults: defaultsAsOptions(DEFAULTS, ['requests', 'rate', 'durationMs', 'prompt_tokens', 'max_tokens']),
  async run(ctx: DomainContext): Promise<DomainResult> {
    const o = resolve(ctx.options, DEFAULTS);
    const total = BASELINE_REQUESTS + o.requests;
    const rng = ctx.rng.fork('burst:prompts');
    const probe = () => ctx.client.request(chatLoad(ctx, loadPrompt(rng, o.prompt_tokens), o.max_tokens), ctx.signal);

    const baseline: ProbeResult[] = [];
    for (let i = 0; i < BASELINE_REQUESTS && !ctx.signal.aborted; i++) {
      baseline.push(await probe());
      ctx.progress(i + 1, total);
    }
    const baseTtft = quantile(
      baseline.filter((s) => s.ok && s.ttft_ms !== undefined).map((s) => s.ttft_ms as number),
      0.5,
    );
    if (baseTtft === undefined) {
      const d = decideStatus({ samples: baseline });
      return {
        status: 'error',
        reason: `baseline before the burst failed: ${d.reason ?? 'no TTFT measured'}`,
        metrics: {},
        samples: baseline.map(compactSample),
      };
    }

    const prompts = Array.from({ length: o.requests }, () => loadPrompt(rng, o.prompt_tokens));
    const burstStart = performance.now();
    const burst = load(ctx, {
      label: 'burst',
      pattern: { kind: 'poisson', rate: o.rate },
      requests: o.requests,
      durationMs: o.durationMs + (o.requests / o.rate) * 1000,
      makeRequest: (i) => chatLoad(ctx, prompts[i] ?? '', o.max_tokens),
      progressOffset: BASELINE_REQUESTS,
      progressTotal: total,
    });

    // Recovery probes start when the last arrival is due and run while the burst drains.
    const arrivalsEnd = burstStart + realMs(ctx, (o.requests / o.rate) * 1000);
    const threshold = recoveryThreshold(baseTtft);
    let recoveryS: number | undefined;
    let lastProbe: ProbeResult | undefined;
    let probes = 0;
    try {
      const wait = arrivalsEnd - performance.now();
      if (wait > 0) await delay(wait, undefined, { signal: ctx.signal });
      const giveUp = arrivalsEnd + realMs(ctx, o.durationMs);
      while (!ctx.signal.aborted && performance.now() < giveUp) {
        const sentAt = performance.now();
        lastProbe = await probe();
        probes++;
        if (lastProbe.ok && lastProbe.ttft_ms !== undefined && lastProbe.ttft_ms <= threshold) {
          recoveryS = Math.max(0, modelMs(ctx, sentAt - arrivalsEnd)) / 1000;
          break;
        }
      }
    } catch (err) {
      if (!ctx.signal.aborted) throw err;
    }
    const r = await burst;

    const metrics: DomainResult['metrics'] = { ...r.summary.metrics };
    const queue = queueP95(r.samples, baseTtft);
    if (queue !== undefined) metrics.queue_ms_p95 = queue;
    if (recoveryS !== undefined) metrics.recovery_s = recoveryS;
    const failures: string[] = [];
    if (recoveryS === undefined && !ctx.signal.aborted) {
      const last =
        lastProbe?.ttft_ms !== undefined ? `last probe TTFT ${Math.round(lastProbe.ttft_ms)} ms` : 'no probe answered';
      failures.push(
        `no recovery within ${o.durationMs / 1000} s after the burst (${last}, threshold ${Math.round(threshold)} ms)`,
      );
    }
    return {
      ...decideStatus({ samples: r.samples, failures }),
      metrics,
      samples: r.samples.map(compactSample),
      details: {
        baseline_ttft_ms: baseTtft,
        recovery_threshold_ms: threshold,
        recovery_probes: probes,
        rate: o.rate,
      },
    };
  },
};
