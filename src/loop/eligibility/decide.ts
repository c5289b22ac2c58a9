/**
 * The tuning gates, pure (STYLE.md §1): maintenance window, canary budget of the night, cooldown since the last
 * tuning run of the same subsystem, and the 24 h rate limit. No clock, fs or process in here: the edge
 * (index.ts) reads the ledgers into a `GateState` and asks these functions.
 */
import { DateTime } from 'luxon';
import { inWindow, localDay, localMinuteOfDay, parseWindow } from '../../core/time.js';

export interface GateConfig {
  /** local window "HH:MM-HH:MM", may cross midnight */
  window: string;
  timezone: string;
  /** canary seconds allowed per night */
  budgetS: number;
  /** the most one candidate may cost: the per-candidate timeout, so a started candidate always fits */
  candidateTimeoutS: number;
  cooldownMs: number;
  maxRuns24h: number;
}

export interface GateState {
  /** canary seconds already charged to the night `now` belongs to */
  budgetSpentS: number;
  /** start of the last tuning run of this subsystem that ran canaries (deferred runs do not count) */
  lastRunAt?: number;
  /** tuning runs that ran canaries in (now − 24 h, now] */
  runsLast24h: number;
}

export type GateReason = 'window' | 'budget' | 'cooldown' | 'rate_limit';

export type Gate =
  | { allowed: true; night: string; budgetLeftS: number }
  | { allowed: false; reason: GateReason; detail: string; night: string; budgetLeftS: number };

const DAY_MS = 86_400_000;

/**
 * The night a moment belongs to, named by the local date the window starts on: with a 22:00–02:00 window,
 * 01:00 on the 5th belongs to the night of the 4th, so the whole window shares one budget ledger.
 */
export function nightOf(now: number, window: string, zone: string): string {
  const w = parseWindow(window);
  const crossesMidnight = w.startMin > w.endMin;
  if (crossesMidnight && localMinuteOfDay(now, zone) < w.endMin) {
    return DateTime.fromMillis(now, { zone }).minus({ days: 1 }).toFormat('yyyyLLdd');
  }
  return localDay(now, zone);
}

function budgetLeft(s: GateState, cfg: GateConfig): number {
  return Math.max(0, cfg.budgetS - s.budgetSpentS);
}

/**
 * May one more candidate start now? Only inside the window, and only when the rest of the night's budget
 * covers the candidate's whole timeout (time is charged even when it crashes, so the timeout is its worst cost).
 */
export function decideCandidateStart(now: number, s: GateState, cfg: GateConfig): Gate {
  const night = nightOf(now, cfg.window, cfg.timezone);
  const left = budgetLeft(s, cfg);
  if (!inWindow(now, cfg.window, cfg.timezone)) {
    return {
      allowed: false,
      reason: 'window',
      detail: `outside the maintenance window ${cfg.window} (${cfg.timezone})`,
      night,
      budgetLeftS: left,
    };
  }
  if (s.budgetSpentS + cfg.candidateTimeoutS > cfg.budgetS) {
    return {
      allowed: false,
      reason: 'budget',
      detail: `${round1(left)} s of the night's ${cfg.budgetS} s canary budget left, a candidate may take ${cfg.candidateTimeoutS} s`,
      night,
      budgetLeftS: left,
    };
  }
  return { allowed: true, night, budgetLeftS: left };
}

/** May a tuning run start now? The candidate gates, then cooldown and the 24 h rate limit. */
export function decideEligibility(now: number, s: GateState, cfg: GateConfig): Gate {
  const start = decideCandidateStart(now, s, cfg);
  if (!start.allowed) return start;
  const { night, budgetLeftS } = start;
  if (s.lastRunAt !== undefined && now - s.lastRunAt < cfg.cooldownMs) {
    const waitMin = Math.ceil((cfg.cooldownMs - (now - s.lastRunAt)) / 60_000);
    return {
      allowed: false,
      reason: 'cooldown',
      detail: `last tuning run ${Math.floor((now - s.lastRunAt) / 60_000)} min ago, cooldown ${cfg.cooldownMs / 60_000} min (${waitMin} min to go)`,
      night,
      budgetLeftS,
    };
  }
  if (s.runsLast24h >= cfg.maxRuns24h) {
    return {
      allowed: false,
      reason: 'rate_limit',
      detail: `${s.runsLast24h} tuning runs in the last 24 h, limit ${cfg.maxRuns24h}`,
      night,
      budgetLeftS,
    };
  }
  return start;
}

/** A ledger entry as the gates need it. */
export interface RunEntry {
  ts: number;
  subsystem: string;
  status: string;
}

/** Runs that ran canaries count for cooldown and rate limit; a deferred run started nothing. */
export function countsAsRun(e: RunEntry): boolean {
  return e.status !== 'deferred';
}

/** Fold the runs ledger and the night's budget into the gate state, pure. */
export function gateState(now: number, runs: readonly RunEntry[], subsystem: string, budgetSpentS: number): GateState {
  let lastRunAt: number | undefined;
  let runsLast24h = 0;
  for (const r of runs) {
    // A run stamped after `now` (clock stepped back) still counts: the gates err on the side of not tuning.
    if (!countsAsRun(r)) continue;
    if (r.subsystem === subsystem && (lastRunAt === undefined || r.ts > lastRunAt)) lastRunAt = r.ts;
    if (now - r.ts < DAY_MS) runsLast24h++;
  }
  return { budgetSpentS, runsLast24h, ...(lastRunAt !== undefined ? { lastRunAt } : {}) };
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}
