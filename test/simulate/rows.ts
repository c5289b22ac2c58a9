/** Builders of night rows for the simulator's unit tests. */
import type { NightRow, TuningRow } from '../../src/simulate/types.js';

export function row(night: number, over: Partial<NightRow> = {}): NightRow {
  return {
    night,
    date: `2026-01-${String(4 + night).padStart(2, '0')}`,
    faults_active: [],
    workload_changes: [],
    config: { gpu_memory_utilization: 0.9, max_num_seqs: 64, max_model_len: 8192 },
    production_restarted: false,
    cycle_id: `loop_202601${String(4 + night).padStart(2, '0')}_030000`,
    phase_epoch_id: `phase_202601${String(4 + night).padStart(2, '0')}_030000`,
    phase_status: 'pass',
    analysis_status: 'healthy',
    exit_code: 0,
    symptoms: [],
    symptom_details: [],
    escalations_armed: [],
    escalation_details: [],
    tuning: null,
    validation: null,
    promotion_id: null,
    domains: { interactive: { status: 'pass' } },
    metrics: { interactive: { ttft_ms_p95: 200 }, throughput: { output_tok_per_s: 1000 } },
    wall_seconds: 2,
    ...over,
  };
}

export function tuning(over: Partial<TuningRow> = {}): TuningRow {
  return {
    status: 'success',
    candidates: 4,
    candidate_results: [],
    best_fitness: 0.8,
    control_fitness: 0,
    promoted_config: null,
    canary_seconds: 12,
    ...over,
  };
}

/** A scenario run: quiet nights, fault from night 4, escalation night 5, promotion night 5, validated 6. */
export function healingRun(): NightRow[] {
  const f = { faults_active: ['prompt_growth'] };
  return [
    row(1),
    row(2),
    row(3),
    row(4, { ...f, symptoms: ['oom_event'], exit_code: 1, phase_status: 'fail' }),
    row(5, {
      ...f,
      symptoms: ['oom_event'],
      escalations_armed: ['oom_event'],
      tuning: tuning({ promoted_config: { gpu_memory_utilization: 0.9, max_num_seqs: 64, max_model_len: 4096 } }),
      exit_code: 2,
    }),
    row(6, {
      ...f,
      config: { gpu_memory_utilization: 0.9, max_num_seqs: 64, max_model_len: 4096 },
      validation: { promotion_id: 'p1', outcome: 'validated' },
    }),
    row(7, { ...f, config: { gpu_memory_utilization: 0.9, max_num_seqs: 64, max_model_len: 4096 } }),
  ];
}
