/**
 * How a domain turns what it measured into a status: pure functions, shared by every built-in domain so the
 * rules read the same everywhere.
 *
 * - no request answered at all → `error`, naming the dominant error class (the measurement itself failed:
 *   a hanging server is `timeout`, a garbage stream `malformed_sse`, a down one `connect_refused`);
 * - more than `maxErrorRate` of the requests failed, or a domain-specific criterion failed → `fail`;
 * - otherwise → `pass`.
 */
import type { DomainStatus, ErrorClass, RequestSample } from '../../core/types.js';
import type { ProbeResult } from '../../probe/types.js';

/** Share of failed requests a domain tolerates before it fails (one in twenty). */
export const MAX_ERROR_RATE = 0.05;

export interface ErrorBreakdown {
  count: number;
  failed: number;
  byClass: Partial<Record<ErrorClass, number>>;
  dominant?: ErrorClass;
  /** one detail line of the dominant class, for the reason */
  example?: string;
}

export function errorBreakdown(samples: readonly RequestSample[]): ErrorBreakdown {
  const byClass: Partial<Record<ErrorClass, number>> = {};
  const examples = new Map<ErrorClass, string>();
  let failed = 0;
  for (const s of samples) {
    if (s.ok) continue;
    failed++;
    const cls = s.error ?? 'other';
    byClass[cls] = (byClass[cls] ?? 0) + 1;
    if (s.error_detail && !examples.has(cls)) examples.set(cls, s.error_detail);
  }
  let dominant: ErrorClass | undefined;
  for (const [cls, n] of Object.entries(byClass) as [ErrorClass, number][]) {
    if (dominant === undefined || n > (byClass[dominant] ?? 0)) dominant = cls;
  }
  const example = dominant ? examples.get(dominant) : undefined;
  return {
    count: samples.length,
    failed,
    byClass,
    ...(dominant ? { dominant } : {}),
    ...(example ? { example } : {}),
  };
}

function classes(b: ErrorBreakdown): string {
  return Object.entries(b.byClass)
    .sort((x, y) => (y[1] ?? 0) - (x[1] ?? 0))
    .map(([cls, n]) => `${cls} ×${n}`)
    .join(', ');
}

export interface StatusDecision {
  status: DomainStatus;
  reason?: string;
}

export function decideStatus(input: {
  samples: readonly RequestSample[];
  maxErrorRate?: number;
  /** domain-specific failed criteria, each in plain words */
  failures?: readonly string[];
}): StatusDecision {
  // Requests the run itself aborted (domain timeout, cancellation) say nothing about the server.
  const counted = input.samples.filter((s) => s.ok || s.error !== 'aborted');
  const b = errorBreakdown(counted);
  if (b.count === 0) {
    return {
      status: 'error',
      reason:
        input.samples.length > 0
          ? `aborted before any of ${input.samples.length} requests finished`
          : 'no request was sent (the domain ended before its first)',
    };
  }
  if (b.failed === b.count) {
    const detail = b.example ? ` (${b.example})` : '';
    return { status: 'error', reason: `all ${b.count} requests failed: ${b.dominant ?? 'other'}${detail}` };
  }
  const reasons: string[] = [];
  const rate = b.failed / b.count;
  const max = input.maxErrorRate ?? MAX_ERROR_RATE;
  if (rate > max) {
    reasons.push(`error rate ${pct(rate)} above ${pct(max)} (${b.failed} of ${b.count}: ${classes(b)})`);
  }
  reasons.push(...(input.failures ?? []));
  if (reasons.length > 0) return { status: 'fail', reason: reasons.join('; ') };
  return { status: 'pass' };
}

export function pct(fraction: number): string {
  return `${(fraction * 100).toFixed(fraction < 0.1 ? 1 : 0)}%`;
}

/** The compact per-request sample kept in the report (no answer text, no raw usage). */
export function compactSample(r: ProbeResult): RequestSample {
  const s: RequestSample = { ok: r.ok, t: r.t };
  if (r.ttft_ms !== undefined) s.ttft_ms = round(r.ttft_ms);
  if (r.itl_ms !== undefined && r.itl_ms.length > 0) s.itl_ms = r.itl_ms.map(round);
  if (r.tpot_ms !== undefined) s.tpot_ms = round(r.tpot_ms);
  if (r.e2e_ms !== undefined) s.e2e_ms = round(r.e2e_ms);
  if (r.prompt_tokens !== undefined) s.prompt_tokens = r.prompt_tokens;
  if (r.output_tokens !== undefined) s.output_tokens = r.output_tokens;
  if (r.finish_reason !== undefined) s.finish_reason = r.finish_reason;
  if (r.error !== undefined) s.error = r.error;
  if (r.error_detail !== undefined) s.error_detail = r.error_detail;
  if (r.passed !== undefined) s.passed = r.passed;
  return s;
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}

/** Value at quantile q (0..1) of a list, linear interpolation; undefined for an empty list. */
export function quantile(values: readonly number[], q: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * Math.min(1, Math.max(0, q));
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (b - a) * (pos - lo);
}
