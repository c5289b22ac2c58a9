/** Shared records and values of the loop (ARCHITECTURE.md §3). Pure types: no I/O here. */
import type { MetricName, Metrics } from './metrics.js';

export type Mode = 'observe' | 'recommend' | 'act';

export type EvidenceSource = 'log' | 'journal' | 'health' | 'exit' | 'metrics' | 'kernel';
export interface Evidence {
  source: EvidenceSource;
  line: string;
  /** epoch ms, when the line carried a time */
  at?: number;
  /** 1-based line number in the file it came from */
  lineNo?: number;
  /** classified kind, e.g. startup_oom_free_memory, runtime_oom, preemption, engine_dead */
  kind?: string;
  /** startup_oom_kv_capacity: the longest context the engine said would fit (vLLM's own estimate) */
  estimatedMaxModelLen?: number;
}

/** A live engine config, as knob values (`max_num_seqs: 256`). Knob names are the engine's, snake_case. */
export type EngineConfig = Record<string, number | string | boolean>;

export type DomainStatus = 'pass' | 'fail' | 'error';
export interface DomainResult {
  status: DomainStatus;
  metrics: Metrics;
  /** per-request samples, written to the epoch's samples file by the report writer */
  samples?: RequestSample[];
  evidence?: Evidence[];
  reason?: string;
  /** domain-specific extras worth keeping (knee concurrency, max prompt tokens used, metric deltas, ...) */
  details?: Record<string, unknown>;
}

/** One request as the probe measured it. Compact: the analyzer pools these per metric. */
export interface RequestSample {
  ok: boolean;
  /** epoch ms at send */
  t: number;
  ttft_ms?: number;
  /** inter-token gaps, first token excluded */
  itl_ms?: number[];
  tpot_ms?: number;
  e2e_ms?: number;
  prompt_tokens?: number;
  output_tokens?: number;
  finish_reason?: string;
  error?: ErrorClass;
  error_detail?: string;
  /** correctness-style checks */
  passed?: boolean;
}

export type ErrorClass =
  | 'connect_refused'
  | 'timeout'
  | 'http_status'
  | 'malformed_sse'
  | 'truncated_stream'
  | 'wrong_model'
  | 'aborted'
  | 'other';

export type Severity = 'warning' | 'critical';
export type Outcome = 'ok' | 'warning' | 'critical' | 'inconclusive';

export interface Verdict {
  domain: string;
  metric: MetricName;
  baseline: number | null;
  current: number | null;
  deltaPct: number | null;
  test?: { name: string; pValue: number; ci?: [number, number] };
  outcome: Outcome;
  /** plain words: why this outcome */
  reason: string;
}

export const SCHEMA_PREFIX = 'nightshift.';
export function schemaId(kind: string): string {
  return `${SCHEMA_PREFIX}${kind}/v1`;
}
