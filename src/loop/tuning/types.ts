/** The tuning stage's records: candidate results, history records and the run's outcome. Pure types. */
import type { Metrics } from '../../core/metrics.js';
import type { DomainStatus, EngineConfig, Evidence, Mode, Severity } from '../../core/types.js';

/**
 * How one canary ended. Only `pass` can have a fitness above 0.
 * - start_failed: never became ready (exit, known startup-failure line, or ready timeout)
 * - crash: the process exited while being probed
 * - oom: an OOM line in its log or OOM events in its metrics
 * - timeout: the per-candidate timeout ran out (domains aborted, instance killed)
 * - fail: a canary domain failed (correctness included), or the pass rate fell below production's
 * - error: a canary domain could not measure (the probe broke), or the runner itself failed
 */
export type CanaryStatus = 'pass' | 'fail' | 'oom' | 'crash' | 'start_failed' | 'timeout' | 'error';

/** Statuses that prove a config infeasible on this hardware: history never proposes them again. */
export const INFEASIBLE: readonly CanaryStatus[] = ['start_failed', 'crash', 'oom'];

export interface CandidateResult {
  role: 'control' | 'candidate';
  config: EngineConfig;
  /** knobs that differ from the current config */
  changed: string[];
  status: CanaryStatus;
  fitness: number;
  metrics: Metrics;
  /** per canary domain */
  domains: Record<string, DomainStatus>;
  evidence: Evidence[];
  reason?: string;
  /** wall time of this canary, start to stop */
  duration_ms: number;
  /** canary seconds charged to the budget (model time) */
  canary_seconds: number;
  port?: number;
  pid?: number;
  log_path?: string;
  /** startup time to ready, model time */
  ready_ms?: number;
}

export interface Trigger {
  /** symptom kind of the armed flag: oom, latency, throughput, ... */
  kind: string;
  severity: Severity;
  /** symptom ids (from the flag) that triggered the run */
  symptoms?: string[];
  /** evidence of the symptoms; may carry vLLM's "estimated maximum model length is N" */
  evidence?: Evidence[];
}

export type TuningStatus = 'success' | 'all_failed' | 'no_improvement' | 'deferred' | 'aborted';

export interface TuningRun {
  run_id: string;
  status: TuningStatus;
  reason?: string;
  control?: CandidateResult;
  candidates: CandidateResult[];
  best?: CandidateResult;
  promoted: boolean;
  promotion_id?: string;
  /** promotion state after the run (provisional, proposed, restored) */
  promotion_state?: string;
  canary_seconds: number;
  duration_ms: number;
  /** quiesced mode: canary stopped → production healthy, model seconds */
  restore_s?: number;
}

/** One line of tuning/history.jsonl: one run with every candidate result. */
export interface HistoryRecord {
  schema: 'nightshift.tuning_run/v1';
  run_id: string;
  ts: number;
  mode: Mode;
  engine: string;
  model: string;
  /** where the canaries ran (CUDA_VISIBLE_DEVICES and such), so results are compared on like hardware */
  hardware?: string;
  canary_mode: 'spare' | 'quiesced';
  trigger: Trigger;
  current_config: EngineConfig;
  control?: CandidateResult;
  candidates: CandidateResult[];
  best?: { config: EngineConfig; fitness: number; changed: string[] };
  promoted: boolean;
  promotion_id?: string;
  status: TuningStatus;
  reason?: string;
  canary_seconds: number;
  duration_ms: number;
  /** quiesced mode: canary stopped → production healthy, model seconds (held against canary.restore_sla_s) */
  restore_s?: number;
}
