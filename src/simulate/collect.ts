/**
 * One night's row, read back from what the loop wrote: the cycle record, the sealed PHASE report, the symptom
 * ledger, the flags and the tuning history. The simulator reads the same files an operator reads, so the table
 * shows what the loop recorded, not what the simulator believes happened.
 */
import { existsSync } from 'node:fs';
import { localDay } from '../core/time.js';
import type { EngineConfig } from '../core/types.js';
import type { CycleRecord } from '../loop/cycle-record.js';
import { readVerifiedReport } from '../loop/phase/report.js';
import type { Flag } from '../loop/symptoms/flags.js';
import { type Symptom, symptomSeverity } from '../loop/symptoms/ledger.js';
import type { HistoryRecord, CandidateResult as LoopCandidate } from '../loop/tuning/types.js';
import { readJson, readJsonl, type Warn } from '../store/atomic.js';
import type { StatePaths } from '../store/paths.js';
import { diffConfig } from './scorer.js';
import type { CandidateResult, EscalationDetail, NightRow, SymptomDetail, TuningRow } from './types.js';

const DAY_MS = 86_400_000;

/** Symptoms recorded in [fromMs, toMs), read from every day file the range touches. */
export function symptomsBetween(paths: StatePaths, zone: string, fromMs: number, toMs: number, warn?: Warn): Symptom[] {
  const days = new Set<string>();
  for (let t = fromMs - DAY_MS; t <= toMs + DAY_MS; t += DAY_MS / 2) days.add(localDay(t, zone));
  const out: Symptom[] = [];
  for (const day of [...days].sort()) {
    for (const s of readJsonl<Symptom>(paths.symptomsFile(day), warn)) {
      if (s.ts >= fromMs && s.ts < toMs) out.push(s);
    }
  }
  return out.sort((a, b) => a.ts - b.ts);
}

const num = (v: unknown): number | null | undefined => (typeof v === 'number' ? v : v === null ? null : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

export function symptomDetail(s: Symptom): SymptomDetail {
  const m = s.meta ?? {};
  const d: SymptomDetail = { kind: s.kind };
  const domain = str(m.domain);
  const metric = str(m.metric);
  const severity = str(m.severity);
  if (domain) d.domain = domain;
  if (metric) d.metric = metric;
  if (severity) d.severity = severity;
  for (const key of ['delta_pct', 'p_value', 'current', 'baseline'] as const) {
    const v = num(m[key]);
    if (v !== undefined) d[key] = v;
  }
  return d;
}

function candidate(c: LoopCandidate, current: EngineConfig): CandidateResult {
  const out: CandidateResult = {
    config: c.config,
    diff: diffConfig(current, c.config),
    status: c.status,
    fitness: typeof c.fitness === 'number' ? c.fitness : null,
    control: c.role === 'control',
  };
  if (c.reason) out.reason = c.reason;
  return out;
}

/** The tuning cell of a night: from the history record of the run, or from the cycle alone (deferred runs). */
export function tuningRow(record: CycleRecord, run: HistoryRecord | undefined): TuningRow | null {
  if (!record.config_tuning_triggered && !record.config_tuning_status) return null;
  const status = record.config_tuning_status ?? run?.status ?? 'unknown';
  if (!run) {
    return {
      status,
      candidates: 0,
      candidate_results: [],
      best_fitness: null,
      control_fitness: null,
      promoted_config: null,
      canary_seconds: 0,
    };
  }
  const results = [...(run.control ? [run.control] : []), ...run.candidates].map((c) =>
    candidate(c, run.current_config),
  );
  const promoted = record.config_tuning_promoted && run.promoted ? (run.best?.config ?? null) : null;
  return {
    status,
    candidates: run.candidates.length,
    candidate_results: results,
    best_fitness: run.best?.fitness ?? null,
    control_fitness: run.control?.fitness ?? null,
    promoted_config: promoted,
    canary_seconds: Math.round((run.canary_seconds ?? 0) * 10) / 10,
  };
}

/** domain → status and domain → metrics of the night's sealed report (nothing when there is none). */
export function reportOf(
  paths: StatePaths,
  epochId: string | null,
): { domains: NightRow['domains']; metrics: NightRow['metrics'] } {
  const domains: NightRow['domains'] = {};
  const metrics: NightRow['metrics'] = {};
  if (!epochId || !existsSync(paths.signalFile(epochId))) return { domains, metrics };
  for (const r of readVerifiedReport(paths, epochId).records) {
    domains[r.domain] = r.reason && r.status !== 'pass' ? { status: r.status, reason: r.reason } : { status: r.status };
    const m: Record<string, number> = {};
    for (const [k, v] of Object.entries(r.metrics)) if (typeof v === 'number' && Number.isFinite(v)) m[k] = v;
    metrics[r.domain] = m;
  }
  return { domains, metrics };
}

export interface NightFacts {
  night: number;
  date: string;
  faults: string[];
  workloadChanges: string[];
  /** production's config when the night began */
  config: EngineConfig;
  /** clock time when the night began and when its cycle ended */
  fromMs: number;
  toMs: number;
  /** tuning history records appended during this cycle */
  runs: HistoryRecord[];
  zone: string;
  wallSeconds: number;
}

export function collectRow(paths: StatePaths, record: CycleRecord, f: NightFacts, warn?: Warn): NightRow {
  const symptoms = symptomsBetween(paths, f.zone, f.fromMs, f.toMs, warn);
  const kinds: string[] = [];
  for (const s of symptoms) if (!kinds.includes(s.kind)) kinds.push(s.kind);
  const escalation_details: EscalationDetail[] = record.escalations_armed.map((kind) => {
    const flag = readJson<Flag>(paths.flagFile(kind));
    const d: EscalationDetail = { kind };
    if (flag) {
      d.symptom_count = flag.symptom_count;
      d.reason = flag.reason;
    } else {
      // A flag a promotion fixed is cleared by the end of the cycle: tonight's symptoms say why it was armed.
      const ofKind = symptoms.filter((s) => s.kind === kind);
      const critical = ofKind.filter((s) => symptomSeverity(s) === 'critical').length;
      const n = ofKind.length;
      if (critical > 0) {
        d.reason = `${critical} critical ${kind} symptom${critical === 1 ? '' : 's'} tonight reached the critical threshold`;
      } else if (n > 0) {
        d.reason = `${n} ${kind} symptom${n === 1 ? '' : 's'} tonight reached the escalation threshold`;
      }
    }
    return d;
  });
  const validation = record.validation[0];
  const { domains, metrics } = reportOf(paths, record.phase_epoch_id);
  return {
    night: f.night,
    date: f.date,
    faults_active: f.faults,
    workload_changes: f.workloadChanges,
    config: f.config,
    production_restarted: record.production_started != null,
    cycle_id: record.cycle_id,
    phase_epoch_id: record.phase_epoch_id,
    phase_status: record.phase_status,
    analysis_status: record.analysis_status,
    exit_code: record.exit_code,
    symptoms: kinds,
    symptom_details: symptoms.map(symptomDetail),
    escalations_armed: [...record.escalations_armed],
    escalation_details,
    tuning: tuningRow(record, f.runs.at(-1)),
    validation: validation
      ? { promotion_id: validation.promotion_id, outcome: validation.outcome, reason: validation.reason }
      : null,
    promotion_id: record.promotion_id,
    domains,
    metrics,
    ...(record.errors.length > 0 ? { error: record.errors.join('; ') } : {}),
    wall_seconds: Math.round(f.wallSeconds * 10) / 10,
  };
}

/** A row for a night whose cycle could not run at all. */
export function failedRow(f: NightFacts, message: string): NightRow {
  return {
    night: f.night,
    date: f.date,
    faults_active: f.faults,
    workload_changes: f.workloadChanges,
    config: f.config,
    production_restarted: false,
    cycle_id: null,
    phase_epoch_id: null,
    phase_status: null,
    analysis_status: null,
    exit_code: 70,
    symptoms: [],
    symptom_details: [],
    escalations_armed: [],
    escalation_details: [],
    tuning: null,
    validation: null,
    promotion_id: null,
    domains: {},
    metrics: {},
    error: message,
    wall_seconds: Math.round(f.wallSeconds * 10) / 10,
  };
}

export function readHistory(paths: StatePaths, warn?: Warn): HistoryRecord[] {
  return readJsonl<HistoryRecord>(paths.tuningHistory(), warn);
}
