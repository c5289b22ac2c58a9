/**
 * Health checks of an engine's HTTP endpoint (undici, loopback, a short timeout per poll). Each poll opens a
 * fresh connection: a pooled socket to a process that was just restarted on the same port would only fail.
 */
import { request } from 'undici';
import type { Evidence } from '../core/types.js';
import type { ReadyResult } from './engine.js';

export interface HealthAnswer {
  ok: boolean;
  /** HTTP status, or the connection error's code (ECONNREFUSED, timeout, ...) */
  detail: string;
}

export async function probeHealth(url: string, timeoutMs = 1000): Promise<HealthAnswer> {
  try {
    const res = await request(url, {
      method: 'GET',
      reset: true,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.body.dump();
    return { ok: res.statusCode === 200, detail: `HTTP ${res.statusCode}` };
  } catch (err) {
    const e = err as { code?: string; name?: string; message?: string };
    return { ok: false, detail: e.code ?? e.name ?? e.message ?? 'error' };
  }
}

export function healthUrl(baseUrl: string, path = '/health'): string {
  return `${baseUrl.replace(/\/+$/, '')}${path.startsWith('/') ? path : `/${path}`}`;
}

/** Resolve after ms, or earlier when `early` settles (a process exit wakes the wait at once). */
export function pause(ms: number, early?: Promise<unknown>): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, Math.max(0, ms));
    early?.then(
      () => {
        clearTimeout(timer);
        resolve();
      },
      () => {
        clearTimeout(timer);
        resolve();
      },
    );
  });
}

/**
 * Poll a health URL until it answers 200 or the timeout passes. `failure` is asked on every poll (a log or
 * journal scan, a process check): when it returns evidence, the wait ends at once with it.
 */
export async function waitHealthy(
  url: string,
  timeoutMs: number,
  opts: { failure?: () => Promise<Evidence | undefined>; pollMs?: number } = {},
): Promise<ReadyResult> {
  const t0 = performance.now();
  const elapsed = () => Math.round(performance.now() - t0);
  let last = 'not polled yet';
  for (;;) {
    const failed = await opts.failure?.();
    if (failed) return { ok: false, ms: elapsed(), evidence: failed };
    const remaining = timeoutMs - (performance.now() - t0);
    const answer = await probeHealth(url, Math.max(1, Math.min(1000, remaining)));
    if (answer.ok) return { ok: true, ms: elapsed() };
    last = answer.detail;
    if (performance.now() - t0 >= timeoutMs) {
      return {
        ok: false,
        ms: elapsed(),
        evidence: {
          source: 'health',
          kind: 'health_timeout',
          line: `${url} did not answer 200 within ${timeoutMs} ms (last answer: ${last})`,
        },
      };
    }
    await pause(Math.min(opts.pollMs ?? 250, timeoutMs - (performance.now() - t0)));
  }
}
