/** The PHASE report's records: the contract between PHASE (writer) and analysis (reader). */
import type { Metrics } from './metrics.js';
import type { DomainStatus, Evidence, Mode, RequestSample } from './types.js';

export interface TargetIdentity {
  engine: string;
  model: string;
  base_url: string;
  /** sha256 (first 16 hex) of the engine config as knob values, key-sorted */
  config_hash: string;
  config?: Record<string, number | string | boolean>;
  engine_version?: string;
}

/** One line of `phase_report.jsonl`: one domain of one epoch. */
export interface PhaseRecord {
  schema: 'nightshift.phase_record/v1';
  mode: Mode;
  epoch_id: string;
  run_id: string;
  domain: string;
  status: DomainStatus;
  started_at: number;
  ended_at: number;
  duration_ms: number;
  metrics: Metrics;
  reason?: string;
  evidence?: Evidence[];
  details?: Record<string, unknown>;
  /** file name beside the report holding this domain's samples (one JSON per line with `domain`) */
  samples_file?: string;
  samples_count: number;
  target: TargetIdentity;
}

/** One line of `samples.jsonl`. */
export type SampleLine = RequestSample & { domain: string };

export type PhaseStatus = 'pass' | 'fail' | 'error';

/** `signals/phase_complete_<epoch>.json`: written only after the report is durable; the analyzer's trust anchor. */
export interface PhaseSignal {
  schema: 'nightshift.phase_signal/v1';
  mode: Mode;
  epoch_id: string;
  ts: number;
  /** report path relative to the state directory */
  report: string;
  sha256: string;
  samples?: string;
  samples_sha256?: string;
  domains: string[];
  status: PhaseStatus;
}

/** Overall status of a run: any fail → fail; else any error → error; else pass. */
export function overallStatus(statuses: DomainStatus[]): PhaseStatus {
  if (statuses.includes('fail')) return 'fail';
  if (statuses.includes('error')) return 'error';
  return 'pass';
}
