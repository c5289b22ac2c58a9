/**
 * The gates at the edge: read the night's budget ledger and the runs ledger, ask the pure decision, persist
 * charges and runs. Budget: `maintenance/budget_YYYYMMDD.json` per night (a state document rewritten
 * atomically, with every charge listed); runs: `maintenance/runs.jsonl` (append only).
 */
import type { Config } from '../../config/schema.js';
import { StateError } from '../../core/errors.js';
import { parseDuration } from '../../core/time.js';
import { type Mode, schemaId } from '../../core/types.js';
import { appendJsonl, readJson, readJsonl, writeJsonAtomic } from '../../store/atomic.js';
import type { StatePaths } from '../../store/paths.js';
import type { Clock } from '../../system/clock.js';
import {
  decideCandidateStart,
  decideEligibility,
  type Gate,
  type GateConfig,
  type GateState,
  gateState,
  nightOf,
  type RunEntry,
} from './decide.js';

export * from './decide.js';

/** The subsystem engine-config tuning records its runs under (cooldown is per subsystem). */
export const ENGINE_CONFIG_SUBSYSTEM = 'engine_config';

export interface BudgetLedger {
  schema: 'nightshift.budget/v1';
  night: string;
  budget_s: number;
  spent_s: number;
  charges: { ts: number; seconds: number; run_id?: string; label?: string }[];
}

export interface RunRecord extends RunEntry {
  schema: 'nightshift.maintenance_run/v1';
  run_id: string;
  mode?: Mode;
  reason?: string;
  canary_seconds?: number;
  duration_ms?: number;
  promotion_id?: string;
}

export function gateConfig(config: Config): GateConfig {
  return {
    window: config.eligibility.window,
    timezone: config.timezone,
    budgetS: config.eligibility.budget_s,
    candidateTimeoutS: config.canary.timeout_s,
    cooldownMs: parseDuration(config.eligibility.cooldown),
    maxRuns24h: config.eligibility.max_runs_24h,
  };
}

function readLedger(paths: StatePaths, night: string): BudgetLedger | undefined {
  const file = paths.budgetFile(night);
  try {
    return readJson<BudgetLedger>(file);
  } catch (err) {
    throw new StateError(`eligibility: budget ledger ${file} is not valid JSON`, {
      hint: 'fix or remove the file (the night then counts as unspent)',
      cause: err,
    });
  }
}

/** Canary seconds already charged to a night. */
export function budgetSpent(paths: StatePaths, night: string): number {
  return readLedger(paths, night)?.spent_s ?? 0;
}

export function readRuns(paths: StatePaths): RunRecord[] {
  return readJsonl<RunRecord>(paths.runsLedger());
}

function stateAt(paths: StatePaths, now: number, config: Config, subsystem: string): GateState {
  const night = nightOf(now, config.eligibility.window, config.timezone);
  return gateState(now, readRuns(paths), subsystem, budgetSpent(paths, night));
}

/** May a tuning run of `subsystem` start now? */
export function checkEligibility(
  paths: StatePaths,
  clock: Clock,
  config: Config,
  subsystem: string,
): Gate & { state: GateState } {
  const now = clock.now();
  const state = stateAt(paths, now, config, subsystem);
  return { ...decideEligibility(now, state, gateConfig(config)), state };
}

/** May one more candidate start now (window and budget of the run's night)? */
export function checkCandidateStart(
  paths: StatePaths,
  clock: Clock,
  config: Config,
  night: string,
): Gate & { state: GateState } {
  const now = clock.now();
  const state: GateState = { budgetSpentS: budgetSpent(paths, night), runsLast24h: 0 };
  const gate = decideCandidateStart(now, state, gateConfig(config));
  // The run's night stays the one the run started in, even if the clock crossed midnight meanwhile.
  return { ...gate, night, state };
}

/**
 * Charge canary seconds to a night (default: the night `now` belongs to). Returns the night's new total.
 * Whole-file atomic rewrite: the ledger is a small state document holding every charge.
 */
export function chargeBudget(
  paths: StatePaths,
  clock: Clock,
  config: Config,
  seconds: number,
  opts: { night?: string; run_id?: string; label?: string } = {},
): number {
  if (!Number.isFinite(seconds) || seconds < 0) {
    throw new RangeError(`eligibility: cannot charge ${seconds} canary seconds`);
  }
  const now = clock.now();
  const night = opts.night ?? nightOf(now, config.eligibility.window, config.timezone);
  const prev = readLedger(paths, night);
  const spent = (prev?.spent_s ?? 0) + seconds;
  const ledger: BudgetLedger = {
    schema: schemaId('budget') as BudgetLedger['schema'],
    night,
    budget_s: config.eligibility.budget_s,
    spent_s: Math.round(spent * 1000) / 1000,
    charges: [
      ...(prev?.charges ?? []),
      {
        ts: now,
        seconds: Math.round(seconds * 1000) / 1000,
        ...(opts.run_id ? { run_id: opts.run_id } : {}),
        ...(opts.label ? { label: opts.label } : {}),
      },
    ],
  };
  writeJsonAtomic(paths.budgetFile(night), ledger);
  return ledger.spent_s;
}

/** Append one tuning run to `maintenance/runs.jsonl` (cooldown and rate limit read it). */
export function recordRun(
  paths: StatePaths,
  clock: Clock,
  run: {
    subsystem: string;
    run_id: string;
    status: string;
    mode?: Mode;
    reason?: string;
    canary_seconds?: number;
    duration_ms?: number;
    promotion_id?: string;
    /** when the run started; default now */
    ts?: number;
  },
): RunRecord {
  const record: RunRecord = {
    schema: schemaId('maintenance_run') as RunRecord['schema'],
    ...run,
    ts: run.ts ?? clock.now(),
  };
  appendJsonl(paths.runsLedger(), record);
  return record;
}
