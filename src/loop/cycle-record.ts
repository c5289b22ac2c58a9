/**
 * One line of `autonomous_loop/cycles.jsonl`: what one cycle measured, decided and did. Field names are the
 * ones an operator types into `jq` (issue 8 lists them); the order below is the order `tail -1 | jq .` shows.
 */
import type { Mode } from '../core/types.js';
import { readJsonl, type Warn } from '../store/atomic.js';
import type { StatePaths } from '../store/paths.js';

export type ValidationResult = 'validated' | 'open' | 'rolled_back' | 'would_roll_back' | 'error';

export interface CycleValidation {
  promotion_id: string;
  outcome: ValidationResult;
  reason: string;
  /** the escalation kind the promotion was made for */
  kind?: string;
}

export interface RecoveryRecord {
  /** the dead cycles recovered */
  cycles: string[];
  /** the steps they died in */
  died_in: string[];
  killed: { pid: number; was_running: boolean; gone: boolean }[];
  production:
    | { action: 'none'; reason: string }
    | { action: 'restored'; ok: boolean; ms: number; config: Record<string, unknown>; reason: string; error?: string };
  promotions_restored: string[];
  /** tuning runs the dead cycles cut short, now in the runs ledger (cooldown, rate limit) and charged */
  runs_recorded?: { run_id: string; canary_seconds: number }[];
}

/** Headline numbers of tonight's PHASE, kept in the record so trends need no report reads. */
export interface PhaseHeadline {
  oom_events?: number;
  ttft_ms_p95?: number;
  pass_rate?: number;
  error_rate?: number;
}

export interface CycleRecord {
  schema: 'nightshift.cycle/v1';
  mode: Mode;
  cycle_id: string;
  /** local ISO time the cycle started */
  timestamp: string;
  started_at: number;
  phase_epoch_id: string | null;
  phase_status: 'pass' | 'fail' | 'error' | 'skipped';
  phase_duration_s: number | null;
  analysis_status: 'healthy' | 'degraded' | 'inconclusive' | 'skipped' | 'error';
  degradation_signals: number;
  escalations_armed: string[];
  validation: CycleValidation[];
  config_tuning_triggered: boolean;
  config_tuning_trigger: { kind: string; severity: string } | null;
  /** success | all_failed | no_improvement | aborted | `deferred: <reason>` | `observe: would tune <kind>` | null */
  config_tuning_status: string | null;
  config_tuning_promoted: boolean;
  promotion_id: string | null;
  /** breakers open at the end of the cycle (tuning of these kinds is stopped until `breaker reset`) */
  circuit_open: string[];
  recovery: RecoveryRecord | null;
  /** managed production was not running at the start of the cycle and was started (model seconds to healthy) */
  production_started?: { ok: boolean; s: number; error?: string } | null;
  /**
   * set when the kill switch stopped the cycle: the step it stopped at (before it began, or — PHASE and
   * tuning — aborted while running)
   */
  paused_before: string | null;
  production_healthy: boolean | null;
  phase_metrics: PhaseHeadline;
  /** steps that failed, one line each */
  errors: string[];
  total_duration_s: number;
  exit_code: 0 | 1 | 2;
}

export function readCycles(paths: StatePaths, warn?: Warn): CycleRecord[] {
  return readJsonl<CycleRecord>(paths.cyclesLedger(), warn);
}

/** A cycle that has done nothing yet: every step skipped, nothing armed, exit 0. The cycle fills it in. */
export function newCycleRecord(init: {
  mode: Mode;
  cycle_id: string;
  timestamp: string;
  started_at: number;
}): CycleRecord {
  return {
    schema: 'nightshift.cycle/v1',
    ...init,
    phase_epoch_id: null,
    phase_status: 'skipped',
    phase_duration_s: null,
    analysis_status: 'skipped',
    degradation_signals: 0,
    escalations_armed: [],
    validation: [],
    config_tuning_triggered: false,
    config_tuning_trigger: null,
    config_tuning_status: null,
    config_tuning_promoted: false,
    promotion_id: null,
    circuit_open: [],
    recovery: null,
    production_started: null,
    paused_before: null,
    production_healthy: null,
    phase_metrics: {},
    errors: [],
    total_duration_s: 0,
    exit_code: 0,
  };
}
