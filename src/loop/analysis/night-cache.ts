/**
 * A verified night's judge inputs, kept beside the baseline: `baseline/nights/<epoch>.json`. Each baseline
 * night is read by the next `baseline_days` analyses; parsing its per-request sample lines every time would be
 * most of the analysis' cost, so the series the judge uses are extracted once and kept here, bound to the
 * report's seal by both SHA256 values. The report is still verified against its signal on every read; a cache
 * whose hashes do not match the verified seal (or that does not parse) is rebuilt from the samples.
 */
import { join } from 'node:path';
import type { Metrics } from '../../core/metrics.js';
import type { Evidence } from '../../core/types.js';
import { readJson, writeFileAtomic } from '../../store/atomic.js';
import type { StatePaths } from '../../store/paths.js';
import type { Logger } from '../../system/log.js';
import type { VerifiedReport } from '../phase/report.js';
import { type Counts, type DomainNight, type Night, nightFromReport } from './night.js';
import type { SampleSeries } from './rules.js';

// 2: domains keep their evidence (a failed health domain's symptom quotes it)
const VERSION = 2;

interface CachedDomain {
  status: DomainNight['status'];
  reason?: string;
  evidence?: Evidence[];
  metrics: Metrics;
  series: Record<SampleSeries, number[]>;
  counts: Counts | null;
}

interface CachedNight {
  schema: 'nightshift.night_cache/v1';
  version: number;
  epoch_id: string;
  ts: number;
  report_sha256: string;
  samples_sha256: string | null;
  domains: Record<string, CachedDomain>;
}

export function nightCacheFile(paths: StatePaths, epochId: string): string {
  return join(paths.root, 'baseline', 'nights', `${epochId}.json`);
}

function toCache(report: VerifiedReport, night: Night): CachedNight {
  const domains: Record<string, CachedDomain> = {};
  for (const [name, d] of night.domains) {
    domains[name] = {
      status: d.status,
      ...(d.reason !== undefined ? { reason: d.reason } : {}),
      ...(d.evidence !== undefined ? { evidence: d.evidence } : {}),
      metrics: d.metrics,
      series: { ttft_ms: [...d.series.ttft_ms], itl_ms: [...d.series.itl_ms], e2e_ms: [...d.series.e2e_ms] },
      counts: d.counts ?? null,
    };
  }
  return {
    schema: 'nightshift.night_cache/v1',
    version: VERSION,
    epoch_id: night.epochId,
    ts: night.ts,
    report_sha256: report.signal.sha256,
    samples_sha256: report.signal.samples_sha256 ?? null,
    domains,
  };
}

function fromCache(c: CachedNight): Night {
  const domains = new Map<string, DomainNight>();
  for (const [name, d] of Object.entries(c.domains)) {
    domains.set(name, {
      status: d.status,
      ...(d.reason !== undefined ? { reason: d.reason } : {}),
      ...(Array.isArray(d.evidence) ? { evidence: d.evidence } : {}),
      metrics: d.metrics,
      series: {
        ttft_ms: Float64Array.from(d.series.ttft_ms),
        itl_ms: Float64Array.from(d.series.itl_ms),
        e2e_ms: Float64Array.from(d.series.e2e_ms),
      },
      counts: d.counts ?? undefined,
    });
  }
  return { epochId: c.epoch_id, ts: c.ts, domains };
}

function matches(c: CachedNight | undefined, report: VerifiedReport): c is CachedNight {
  return (
    c !== undefined &&
    c.version === VERSION &&
    c.epoch_id === report.signal.epoch_id &&
    c.report_sha256 === report.signal.sha256 &&
    c.samples_sha256 === (report.signal.samples_sha256 ?? null) &&
    typeof c.domains === 'object' &&
    c.domains !== null
  );
}

/** The judge's view of a verified report: from the cache when it matches the seal, else built and cached. */
export function loadNight(paths: StatePaths, report: VerifiedReport, log: Logger): Night {
  const file = nightCacheFile(paths, report.signal.epoch_id);
  let cached: CachedNight | undefined;
  try {
    cached = readJson<CachedNight>(file);
  } catch (err) {
    log.debug({ file, err: (err as Error).message }, 'night cache unreadable; rebuilding it from the samples');
  }
  if (matches(cached, report)) return fromCache(cached);
  const night = nightFromReport(report);
  try {
    // compact: a pretty-printed file would put every sample on its own line
    writeFileAtomic(file, `${JSON.stringify(toCache(report, night))}\n`);
  } catch (err) {
    // The cache only saves time; a state directory we cannot write to must not stop the analysis.
    log.warn({ file }, `night cache not written (${(err as Error).message}); the next analysis re-reads the samples`);
  }
  return night;
}
