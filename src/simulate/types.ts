/**
 * The simulation's output records: one row per night and the summary. This is the shape of
 * `nightshift simulate --json` (schema/simulation.schema.json): a public interface, extended only by adding
 * optional fields.
 */
import type { EngineConfig } from '../core/types.js';
import type { LoopHealth } from '../loop/health-report.js';

export interface SymptomDetail {
  kind: string;
  domain?: string;
  metric?: string;
  severity?: string;
  delta_pct?: number | null;
  p_value?: number | null;
  current?: number | null;
  baseline?: number | null;
}

export interface EscalationDetail {
  kind: string;
  symptom_count?: number;
  reason?: string;
}

export interface CandidateResult {
  config: EngineConfig;
  /** only the knobs that differ from the config in production */
  diff: EngineConfig;
  status: string;
  fitness: number | null;
  control: boolean;
  reason?: string;
}

export interface TuningRow {
  /** success | all_failed | no_improvement | deferred: <reason> | aborted | ... as the loop records it */
  status: string;
  /** candidates tested on canaries (the control excluded) */
  candidates: number;
  candidate_results: CandidateResult[];
  best_fitness: number | null;
  control_fitness: number | null;
  promoted_config: EngineConfig | null;
  canary_seconds: number;
}

export interface NightRow {
  night: number;
  /** local date YYYY-MM-DD of the night's cycle */
  date: string;
  faults_active: string[];
  /** workload options that differ from night 1 ("long-context.prompt_tokens 7000") */
  workload_changes: string[];
  /** the production config the night's PHASE measured */
  config: EngineConfig;
  /** production was down when the night's cycle began, and the loop started it (managed mode) */
  production_restarted: boolean;
  cycle_id: string | null;
  phase_epoch_id: string | null;
  phase_status: string | null;
  analysis_status: string | null;
  exit_code: number;
  /** symptom kinds recorded tonight, distinct, in order of first appearance */
  symptoms: string[];
  symptom_details: SymptomDetail[];
  escalations_armed: string[];
  escalation_details: EscalationDetail[];
  tuning: TuningRow | null;
  validation: { promotion_id: string; outcome: string; reason?: string } | null;
  promotion_id: string | null;
  /** domain → status (and why, when not pass) from the sealed PHASE report */
  domains: Record<string, { status: string; reason?: string }>;
  /** domain → metric → value, from the sealed PHASE report */
  metrics: Record<string, Record<string, number>>;
  /** the cycle failed to run at all (internal error): the message */
  error?: string;
  wall_seconds: number;
}

export interface ExpectResult {
  met: boolean;
  failures: string[];
}

export interface Summary {
  first_fault_night: number | null;
  first_degraded_night: number | null;
  first_escalation_night: number | null;
  promotion_night: number | null;
  validated_night: number | null;
  resolved_night: number | null;
  nights_to_resolution: number | null;
  escalations: number;
  false_escalations: number;
  promotions: number;
  rollbacks: number;
  canary_seconds_total: number;
  wall_seconds: number;
  expect: ExpectResult;
}

export interface SimulationResult {
  schema: 'nightshift.simulation/v1';
  scenario: string;
  seed: number;
  nights: NightRow[];
  summary: Summary;
  /** the loop's own success metrics over the simulated nights (`nightshift report`, same code) */
  loop_health?: LoopHealth;
  /** the state directory the simulation wrote (kept so `nightshift history --state-dir` can read it) */
  state_dir: string;
}
