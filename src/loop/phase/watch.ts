/**
 * What the runner watches around each domain, beside the domain's own measurements:
 * - /metrics before, during (polled) and after: preemptions, peak KV usage, token and request counters;
 * - OOM events from every source there is, each kept as evidence with its source and line:
 *   the engine log (from its size at domain start), the systemd journal of the unit (since domain start),
 *   /health turning 503 during the domain, and the managed process exiting during it.
 *
 * One incident is often seen by several sources (the log's torch.OutOfMemoryError, then /health 503, then
 * the process exit). `oom_events` is therefore the largest count any one source saw, not their sum, while
 * the evidence keeps every line.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { DomainResult, Evidence } from '../../core/types.js';
import { diffSignals, type ScrapedSignals, scrapeMetrics } from '../../probe/scrape.js';
import { OOM_KINDS } from '../../probe/signatures.js';
import type { EngineSignals, ProbeClient } from '../../probe/types.js';
import type { Clock } from '../../system/clock.js';
import type { Logger } from '../../system/log.js';
import { type LogReader, systemLogReader } from './logs.js';

export interface WatchOptions {
  control: ProbeClient;
  clock: Clock;
  log: Logger;
  /** real ms between polls of /health, /metrics and the process */
  pollMs: number;
  scrape(): Promise<EngineSignals>;
  logPath?: string;
  journalUnit?: string;
  processExited?: () => boolean;
  /** how logs and the journal are read (tests inject their own) */
  reader?: LogReader;
}

export interface Watched {
  oomEvents: number;
  /** OOM-class evidence from every source */
  evidence: Evidence[];
  /** preemption warnings in the log (counted when /metrics has no preemption counter) */
  logPreemptions: number;
  /** /metrics scrapes taken during the domain */
  during: EngineSignals[];
  /** problems reading a source: noted, never fatal */
  notes: string[];
}

export interface Watch {
  stop(): Promise<Watched>;
}

/** The count of OOM events a set of evidence stands for: the largest count of any one source. */
export function countOom(evidence: readonly Evidence[]): number {
  const bySource = new Map<string, number>();
  for (const ev of evidence) bySource.set(ev.source, (bySource.get(ev.source) ?? 0) + 1);
  return Math.max(0, ...bySource.values());
}

/** OOM-class lines of scanned log evidence. */
export function oomLines(events: readonly Evidence[]): Evidence[] {
  return events.filter((e) => e.kind !== undefined && OOM_KINDS.has(e.kind));
}

/** The target's /metrics endpoint: its origin (a base URL's /v1 path dropped) + /metrics. */
export function metricsUrlOf(baseUrl: string): string {
  const u = new URL(baseUrl);
  let path = u.pathname.replace(/\/+$/, '');
  if (path.endsWith('/v1')) path = path.slice(0, -3);
  return `${u.origin}${path}/metrics`;
}

/** Scrape the target behind a control client; never throws (unavailable with a reason instead). */
export async function scrapeSignals(control: ProbeClient, timeoutMs: number): Promise<ScrapedSignals> {
  return scrapeMetrics(metricsUrlOf(control.baseUrl), timeoutMs);
}

export function startWatch(o: WatchOptions): Watch {
  const reader = o.reader ?? systemLogReader;
  const since = o.clock.now();
  const notes: string[] = [];
  const logOffset = o.logPath ? reader.size(o.logPath) : 0;
  const exitedAtStart = o.processExited?.() ?? false;
  const live: Evidence[] = [];
  const during: EngineSignals[] = [];
  let lastHealth: number | undefined;
  let exitSeen = exitedAtStart;
  const ac = new AbortController();

  const tick = async () => {
    const h = await o.control.get('/health', ac.signal);
    if (ac.signal.aborted) return;
    if (h.status === 503 && lastHealth !== 503) {
      live.push({
        source: 'health',
        kind: 'engine_unhealthy',
        line: `GET /health → 503 during the domain (before: ${lastHealth === undefined ? 'first poll' : lastHealth})`,
        at: o.clock.now(),
      });
    }
    if (h.status !== 0) lastHealth = h.status;
    if (!exitSeen && o.processExited?.()) {
      exitSeen = true;
      live.push({
        source: 'exit',
        kind: 'engine_exit',
        line: 'the managed engine process exited during the domain',
        at: o.clock.now(),
      });
    }
    const s = await o.scrape();
    if (s.available && !ac.signal.aborted) during.push(s);
  };

  // A poll in flight when the domain ends is abandoned, not awaited: a hanging target must not hold the run.
  const stopped = new Promise<void>((resolve) => ac.signal.addEventListener('abort', () => resolve(), { once: true }));
  const loop = (async () => {
    while (!ac.signal.aborted) {
      try {
        await Promise.race([tick(), stopped]);
        await delay(o.pollMs, undefined, { signal: ac.signal });
      } catch (err) {
        if (!ac.signal.aborted) o.log.debug({ err }, 'phase: watch poll failed');
      }
    }
  })();

  return {
    async stop(): Promise<Watched> {
      ac.abort();
      await loop;
      if (!exitSeen && o.processExited?.()) {
        live.push({
          source: 'exit',
          kind: 'engine_exit',
          line: 'the managed engine process exited during the domain',
          at: o.clock.now(),
        });
      }
      const evidence: Evidence[] = [];
      let logPreemptions = 0;
      if (o.logPath) {
        const scanned = reader.scanFile(o.logPath, logOffset, since, o.clock.now());
        if (scanned.note) notes.push(scanned.note);
        evidence.push(...oomLines(scanned.events));
        logPreemptions = scanned.events.filter((e) => e.kind === 'preemption').length;
      }
      if (o.journalUnit) {
        const scanned = await reader.scanJournal(o.journalUnit, since, o.clock.now());
        if (scanned.note) notes.push(scanned.note);
        evidence.push(...oomLines(scanned.events));
      }
      evidence.push(...live);
      return { oomEvents: countOom(evidence), evidence, logPreemptions, during, notes };
    },
  };
}

function clip(line: string, n = 300): string {
  return line.length > n ? `${line.slice(0, n - 1)}…` : line;
}

/** A domain's result with what the watch saw merged in: engine-signal metrics, OOM events and evidence. */
export function applyWatch(
  result: DomainResult,
  before: EngineSignals,
  after: EngineSignals,
  watched: Watched,
): DomainResult {
  const metrics = { ...result.metrics };
  const details: Record<string, unknown> = { ...(result.details ?? {}) };
  const diff = diffSignals(before, after, watched.during);
  if (diff.available) {
    if (metrics.preemptions === undefined && diff.preemptions !== undefined) metrics.preemptions = diff.preemptions;
    if (metrics.kv_usage_peak === undefined && diff.kv_usage !== undefined) metrics.kv_usage_peak = diff.kv_usage;
    const { available: _a, flavour: _f, ...signals } = diff;
    details.engine_signals = signals;
  } else {
    details.engine_signals = { available: false, reason: diff.reason ?? '/metrics unavailable' };
    if (metrics.preemptions === undefined && watched.logPreemptions > 0) metrics.preemptions = watched.logPreemptions;
  }
  if (watched.notes.length > 0) details.watch_notes = watched.notes;
  metrics.oom_events = watched.oomEvents;
  const evidence = [...(result.evidence ?? []), ...watched.evidence.map((e) => ({ ...e, line: clip(e.line) }))];
  let { status, reason } = result;
  // An engine that ran out of memory failed, even when that made every request of the domain fail.
  if (watched.oomEvents > 0) {
    const first = watched.evidence[0];
    const oom = `${watched.oomEvents} OOM event${watched.oomEvents > 1 ? 's' : ''} (${first?.source}: ${clip(first?.line ?? '', 160)})`;
    status = 'fail';
    reason = reason ? `${reason}; ${oom}` : oom;
  }
  return {
    ...result,
    status,
    metrics,
    details,
    ...(evidence.length > 0 ? { evidence } : {}),
    ...(reason !== undefined ? { reason } : {}),
  };
}
