/**
 * Record builders: sealed PHASE reports written through the real ReportWriter (`writeNight`), the same nights
 * held in memory for the pure judge (`memoryNight`), and a seeded noise model of per-request samples
 * (`noisyDomain`) whose nightly metrics are computed from its samples like PHASE does.
 *
 *   writeNight(paths, { ts, domains: { interactive: { metrics: { ttft_ms_p95: 212 }, samples } } })
 */
import { quantileSorted } from 'simple-statistics';
import type { Metrics } from '../../src/core/metrics.js';
import type { Rng } from '../../src/core/random.js';
import type { PhaseRecord, PhaseSignal, SampleLine, TargetIdentity } from '../../src/core/report.js';
import { stampId } from '../../src/core/time.js';
import type { DomainStatus, Evidence, Mode, RequestSample } from '../../src/core/types.js';
import type { ReportLike } from '../../src/loop/analysis/night.js';
import { ReportWriter } from '../../src/loop/phase/report.js';
import type { StatePaths } from '../../src/store/paths.js';

export const TEST_TARGET: TargetIdentity = {
  engine: 'vllm',
  model: 'test/model',
  base_url: 'http://127.0.0.1:8000',
  config_hash: '0000000000000000',
};

export interface DomainSpec {
  status?: DomainStatus;
  metrics?: Metrics;
  samples?: RequestSample[];
  reason?: string;
  evidence?: Evidence[];
  details?: Record<string, unknown>;
}

export interface NightSpec {
  /** default: `phase_YYYYmmdd_HHMMSS` of `ts` in `zone` */
  epochId?: string;
  /** epoch ms of the seal */
  ts: number;
  zone?: string;
  mode?: Mode;
  domains: Record<string, DomainSpec>;
}

export function epochOf(spec: NightSpec): string {
  return spec.epochId ?? stampId('phase', spec.ts, spec.zone ?? 'UTC');
}

function recordOf(epochId: string, domain: string, d: DomainSpec, ts: number, mode: Mode) {
  return {
    mode,
    epoch_id: epochId,
    run_id: `run_${epochId}`,
    domain,
    status: d.status ?? 'pass',
    started_at: ts - 60_000,
    ended_at: ts,
    duration_ms: 60_000,
    metrics: d.metrics ?? {},
    ...(d.reason !== undefined ? { reason: d.reason } : {}),
    ...(d.evidence !== undefined ? { evidence: d.evidence } : {}),
    ...(d.details !== undefined ? { details: d.details } : {}),
    target: TEST_TARGET,
  };
}

/** Write and seal one night's report in the state directory; returns its completion signal. */
export function writeNight(paths: StatePaths, spec: NightSpec): PhaseSignal {
  const epochId = epochOf(spec);
  const mode = spec.mode ?? 'act';
  const writer = new ReportWriter(paths, epochId);
  for (const [domain, d] of Object.entries(spec.domains)) {
    const samples: SampleLine[] = (d.samples ?? []).map((s) => ({ ...s, domain }));
    writer.add(recordOf(epochId, domain, d, spec.ts, mode), samples);
  }
  return writer.seal(spec.ts, mode);
}

/** The same night, in memory, shaped like a verified report (for compareNights and the pure judge). */
export function memoryNight(spec: NightSpec): ReportLike {
  const epochId = epochOf(spec);
  const mode = spec.mode ?? 'act';
  const records: PhaseRecord[] = [];
  const samples = new Map<string, SampleLine[]>();
  for (const [domain, d] of Object.entries(spec.domains)) {
    const lines = (d.samples ?? []).map((s) => ({ ...s, domain }));
    samples.set(domain, lines);
    records.push({
      schema: 'nightshift.phase_record/v1',
      ...recordOf(epochId, domain, d, spec.ts, mode),
      samples_count: lines.length,
      ...(lines.length > 0 ? { samples_file: 'samples.jsonl' } : {}),
    });
  }
  return { signal: { epoch_id: epochId, ts: spec.ts }, records, samples: () => samples };
}

export interface NoiseModel {
  /** requests per night */
  n: number;
  ttftMs: number;
  itlMs: number;
  /** inter-token gaps kept per request (kept small: files stay small, the per-request mean is what counts) */
  gaps?: number;
  /** coefficient of variation of each request's latencies (lognormal, mean 1) */
  cv: number;
  /** multiplies every latency of the night (a night-level drift or an injected regression) */
  level?: number;
  /** multiplies only TTFT (an injected TTFT regression) */
  ttftScale?: number;
  /** nightly output tokens/s before the level is applied; throughput moves inversely with latency */
  tokPerS?: number;
  /** fraction of failed requests */
  errorRate?: number;
  /** correctness checks: each request carries `passed` with this probability */
  passRate?: number;
  oomEvents?: number;
  /** epoch ms of the first request */
  t0?: number;
}

function lognormal(rng: Rng, cv: number): number {
  const s2 = Math.log(1 + cv * cv);
  return Math.exp(rng.normal(-s2 / 2, Math.sqrt(s2)));
}

/** Draw one domain's night from the noise model, with its metrics computed from the samples. */
export function noisyDomain(rng: Rng, m: NoiseModel): DomainSpec {
  const level = m.level ?? 1;
  const gaps = m.gaps ?? 4;
  const samples: RequestSample[] = [];
  for (let i = 0; i < m.n; i++) {
    const failed = m.errorRate !== undefined && rng.next() < m.errorRate;
    if (failed) {
      samples.push({ ok: false, t: (m.t0 ?? 0) + i * 100, error: 'http_status' });
      continue;
    }
    const ttft = m.ttftMs * level * (m.ttftScale ?? 1) * lognormal(rng, m.cv);
    const itlMean = m.itlMs * level * lognormal(rng, m.cv);
    const itl: number[] = [];
    for (let g = 0; g < gaps; g++) itl.push(Math.round(itlMean * 100) / 100);
    const e2e = ttft + itlMean * gaps;
    samples.push({
      ok: true,
      t: (m.t0 ?? 0) + i * 100,
      ttft_ms: Math.round(ttft * 100) / 100,
      itl_ms: itl,
      e2e_ms: Math.round(e2e * 100) / 100,
      output_tokens: gaps + 1,
      ...(m.passRate !== undefined ? { passed: rng.next() < m.passRate } : {}),
    });
  }
  const metrics = metricsFromSamples(samples);
  if (m.tokPerS !== undefined) metrics.output_tok_per_s = Math.round((m.tokPerS / level) * 10) / 10;
  if (m.oomEvents !== undefined) metrics.oom_events = m.oomEvents;
  return { status: 'pass', metrics, samples };
}

function q(sorted: number[], p: number): number | undefined {
  return sorted.length === 0 ? undefined : quantileSorted(sorted, p);
}

/** Nightly metrics as PHASE computes them from per-request samples (ITL over per-request mean gaps). */
export function metricsFromSamples(samples: readonly RequestSample[]): Metrics {
  const ok = samples.filter((s) => s.ok);
  const ttft = ok.flatMap((s) => (s.ttft_ms === undefined ? [] : [s.ttft_ms])).sort((a, b) => a - b);
  const e2e = ok.flatMap((s) => (s.e2e_ms === undefined ? [] : [s.e2e_ms])).sort((a, b) => a - b);
  const itl = ok
    .flatMap((s) => (s.itl_ms && s.itl_ms.length > 0 ? [s.itl_ms.reduce((a, b) => a + b, 0) / s.itl_ms.length] : []))
    .sort((a, b) => a - b);
  const checks = samples.filter((s) => s.passed !== undefined);
  const out: Metrics = {};
  const set = (name: keyof Metrics, v: number | undefined) => {
    if (v !== undefined) out[name] = Math.round(v * 1000) / 1000;
  };
  set('ttft_ms_p50', q(ttft, 0.5));
  set('ttft_ms_p95', q(ttft, 0.95));
  set('itl_ms_p50', q(itl, 0.5));
  set('itl_ms_p95', q(itl, 0.95));
  set('e2e_ms_p50', q(e2e, 0.5));
  set('e2e_ms_p95', q(e2e, 0.95));
  if (samples.length > 0) set('error_rate', (samples.length - ok.length) / samples.length);
  if (checks.length > 0) set('pass_rate', checks.filter((s) => s.passed).length / checks.length);
  return out;
}
