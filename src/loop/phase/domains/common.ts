/**
 * What the built-in domains share: reading their options with documented defaults, converting the config's
 * model-time quantities to the real time of the target (a twin runs at `timeScale`), and running one load
 * through the probe.
 *
 * Time: every duration and rate in the `phase` config is MODEL time. Against a real engine the scale is 1;
 * against a twin at scale 0.05 a soak of 20 s lasts 1 s of real time and a rate of 40 req/s is sent at
 * 800 real req/s. The probe reports latencies and rates in model time already.
 */
import type { DomainOptions } from '../../../config/schema.js';
import { parseDuration } from '../../../core/time.js';
import { runLoad } from '../../../probe/load.js';
import type { LoadPattern, LoadResult, ProbeRequest, ProbeResult } from '../../../probe/types.js';
import type { DomainContext } from '../domain.js';

/** The numeric options a domain reads, with its defaults filled in. */
export interface Resolved {
  requests: number;
  warmup: number;
  concurrency: number;
  max_concurrency: number;
  rate: number;
  /** model ms */
  durationMs: number;
  prompt_tokens: number;
  max_tokens: number;
}

export type Defaults = Resolved;

/** The options a domain reads, with their defaults in config form (what `nightshift phase domains` prints). */
export function defaultsAsOptions(d: Defaults, keys: readonly (keyof Defaults)[]): Partial<DomainOptions> {
  const out: Partial<DomainOptions> = {};
  for (const k of keys) {
    if (k === 'durationMs') out.duration = `${d.durationMs / 1000}s`;
    else out[k] = d[k];
  }
  return out;
}

export function resolve(options: DomainOptions, d: Defaults): Resolved {
  return {
    requests: options.requests ?? d.requests,
    warmup: options.warmup ?? d.warmup,
    concurrency: options.concurrency ?? d.concurrency,
    max_concurrency: options.max_concurrency ?? d.max_concurrency,
    rate: options.rate ?? d.rate,
    durationMs: options.duration !== undefined ? parseDuration(options.duration) : d.durationMs,
    prompt_tokens: options.prompt_tokens ?? d.prompt_tokens,
    max_tokens: options.max_tokens ?? d.max_tokens,
  };
}

export function timeScale(ctx: DomainContext): number {
  return ctx.client.timeScale ?? 1;
}

/** Model ms → real ms of this target. */
export function realMs(ctx: DomainContext, modelMs: number): number {
  return modelMs * timeScale(ctx);
}

/** Real ms → model ms of this target. */
export function modelMs(ctx: DomainContext, real: number): number {
  return real / timeScale(ctx);
}

/**
 * `ignore_eos` makes output lengths exactly `max_tokens` (stable load) where the engine knows it (vLLM,
 * SGLang, the twin); other OpenAI-compatible servers may reject unknown fields, so it is sent only there.
 */
export function ignoreEos(ctx: DomainContext): boolean {
  return ctx.engine === undefined || ctx.engine === 'vllm' || ctx.engine === 'sglang';
}

export interface LoadOptions {
  /** open-loop patterns take their rate in model req/s here */
  pattern: LoadPattern;
  requests: number;
  /** model ms */
  durationMs: number;
  warmup?: number;
  makeRequest(i: number): ProbeRequest;
  check?(i: number, result: ProbeResult): boolean;
  /** label forked off the domain's seed (different loads of one domain draw different streams) */
  label: string;
  /** report progress as done/of of the whole domain: offset of this load's first request */
  progressOffset?: number;
  progressTotal?: number;
}

/** Run one load through the probe, in the target's real time, reporting progress to the runner. */
export function load(ctx: DomainContext, o: LoadOptions): Promise<LoadResult> {
  const scale = timeScale(ctx);
  const pattern: LoadPattern =
    o.pattern.kind === 'rate' || o.pattern.kind === 'poisson'
      ? { ...o.pattern, rate: o.pattern.rate / scale }
      : o.pattern;
  const offset = o.progressOffset ?? 0;
  const total = o.progressTotal ?? o.requests;
  return runLoad(
    ctx.client,
    {
      pattern,
      requests: o.requests,
      durationMs: Math.max(1, o.durationMs * scale),
      ...(o.warmup !== undefined ? { warmup: o.warmup } : {}),
      seed: ctx.rng.fork(o.label).int(0, 2 ** 31 - 1),
      makeRequest: o.makeRequest,
      ...(o.check ? { check: o.check } : {}),
      onProgress: (done) => ctx.progress(offset + done, total),
      slo: ctx.slo,
    },
    ctx.signal,
  );
}

/** Bound used for a domain's load when its config names no duration: generous, the request count ends it. */
export const UNBOUNDED_MODEL_MS = 3_600_000;

/** A chat request of about `promptTokens` tokens of seeded filler, asking for `maxTokens` tokens. */
export function chatLoad(ctx: DomainContext, prompt: string, maxTokens: number): ProbeRequest {
  return {
    api: 'chat',
    prompt,
    max_tokens: maxTokens,
    temperature: 0,
    ...(ignoreEos(ctx) ? { ignore_eos: true } : {}),
  };
}
