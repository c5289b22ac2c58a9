/**
 * Load patterns over a ProbeClient: sequential, fixed concurrency, constant rate, Poisson rate.
 *
 * - Deterministic: request i is always `spec.makeRequest(i)`; samples come back in index order; Poisson
 *   arrival times come from seededRng(spec.seed), so two runs with one seed send the same prompts at the same
 *   offsets.
 * - Warm-up: `spec.warmup` requests, sent one at a time before the clock starts and excluded from the results.
 *   They use indices requests, requests+1, ... (past the measured range) so the measured prompts are not
 *   pre-warmed in a prefix cache. The warm-up stops at its first failure: the measured run will show it.
 * - Bounds: the run stops dispatching after `spec.requests` requests or `spec.durationMs` of REAL time,
 *   whichever comes first; requests in flight at the deadline finish (each is bounded by its own timeout).
 *   The duration bound is real time on purpose, not scaled by the client's time scale: it is a budget of
 *   the night, not a model quantity. Latencies and rates are in model time (the client divides by its scale).
 * - Aborting `signal` stops dispatching and aborts the requests in flight (they come back `aborted`).
 */
import { setMaxListeners } from 'node:events';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { seededRng } from '../core/random.js';
import { summarize } from './summary.js';
import type { LoadResult, LoadSpec, ProbeClient, ProbeResult, Slo } from './types.js';

/** The example SLO, used when a spec names none (config phase.slo has the same defaults). */
export const DEFAULT_SLO: Slo = { ttft_ms: 500, itl_ms: 50 };

/** Arrival offsets (ms from start) of an open-loop pattern; undefined for closed-loop patterns. */
export function arrivalOffsets(spec: Pick<LoadSpec, 'pattern' | 'requests' | 'seed'>): number[] | undefined {
  const p = spec.pattern;
  if (p.kind === 'rate') return Array.from({ length: spec.requests }, (_, i) => (i * 1000) / p.rate);
  if (p.kind !== 'poisson') return undefined;
  const rng = seededRng(spec.seed).fork('arrivals');
  const out: number[] = [];
  let at = 0;
  for (let i = 0; i < spec.requests; i++) {
    out.push(at);
    at += rng.exponential(p.rate) * 1000;
  }
  return out;
}

function validate(spec: LoadSpec): void {
  const p = spec.pattern;
  if (!Number.isInteger(spec.requests) || spec.requests < 0) {
    throw new RangeError(`load: requests must be an integer ≥ 0, got ${spec.requests}`);
  }
  if (!(spec.durationMs > 0)) throw new RangeError(`load: durationMs must be > 0, got ${spec.durationMs}`);
  if (p.kind === 'concurrency' && !(Number.isInteger(p.concurrency) && p.concurrency >= 1)) {
    throw new RangeError(`load: concurrency must be an integer ≥ 1, got ${p.concurrency}`);
  }
  if ((p.kind === 'rate' || p.kind === 'poisson') && !(p.rate > 0)) {
    throw new RangeError(`load: rate must be > 0 req/s, got ${p.rate}`);
  }
}

export async function runLoad(client: ProbeClient, spec: LoadSpec, signal?: AbortSignal): Promise<LoadResult> {
  validate(spec);
  const ac = new AbortController();
  // Every request in flight listens on this one signal: as many listeners as the concurrency, by design.
  setMaxListeners(0, ac.signal);
  const onAbort = () => ac.abort(signal?.reason);
  if (signal?.aborted) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });
  const stopped = () => ac.signal.aborted;

  try {
    for (let k = 0; k < (spec.warmup ?? 0) && !stopped(); k++) {
      const r = await client.request(spec.makeRequest(spec.requests + k), ac.signal);
      if (!r.ok) break;
    }

    const results: (ProbeResult | undefined)[] = new Array(spec.requests);
    let done = 0;
    const start = performance.now();
    const deadline = start + spec.durationMs;
    const one = async (i: number) => {
      const req = spec.makeRequest(i);
      const result = await client.request(req, ac.signal);
      if (spec.check) result.passed = result.ok && spec.check(i, result);
      results[i] = result;
      done++;
      spec.onProgress?.(done, spec.requests);
    };

    const offsets = arrivalOffsets(spec);
    if (offsets) {
      const inFlight: Promise<void>[] = [];
      for (let i = 0; i < spec.requests && !stopped(); i++) {
        const at = start + (offsets[i] as number);
        if (at >= deadline) break;
        const wait = at - performance.now();
        if (wait > 0) {
          try {
            await delay(wait, undefined, { signal: ac.signal });
          } catch {
            break; // aborted while waiting for the next arrival
          }
        }
        inFlight.push(one(i));
      }
      await Promise.all(inFlight);
    } else {
      const workers = spec.pattern.kind === 'concurrency' ? spec.pattern.concurrency : 1;
      let next = 0;
      const worker = async () => {
        while (next < spec.requests && !stopped() && performance.now() < deadline) {
          await one(next++);
        }
      };
      await Promise.all(Array.from({ length: Math.min(workers, Math.max(1, spec.requests)) }, worker));
    }

    const elapsedMs = performance.now() - start;
    const samples = results.filter((r): r is ProbeResult => r !== undefined);
    const scale = client.timeScale ?? 1;
    return { samples, elapsedMs, summary: summarize(samples, elapsedMs / scale, spec.slo ?? DEFAULT_SLO) };
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}
