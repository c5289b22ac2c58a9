/**
 * The analysis stage, the edge: read tonight's sealed report and the baseline nights, judge (pure), record a
 * symptom per degraded verdict, evaluate escalation, and return the result as a value.
 * Re-analysing an epoch is idempotent: a symptom already recorded for the same epoch, kind, domain and metric
 * is not recorded again, so a manual `nightshift analyze` after the loop's own run does not double-count.
 */
import { performance } from 'node:perf_hooks';
import type { Config } from '../../config/schema.js';
import { NightshiftError } from '../../core/errors.js';
import type { Mode } from '../../core/types.js';
import type { StatePaths } from '../../store/paths.js';
import type { Clock } from '../../system/clock.js';
import type { Logger } from '../../system/log.js';
import { listSealedEpochs, readVerifiedReport } from '../phase/report.js';
import { evaluateEscalation } from '../symptoms/escalation.js';
import { readSymptoms, recordSymptom, type Symptom } from '../symptoms/ledger.js';
import { loadBaseline } from './baseline.js';
import { isDegraded, type JudgedVerdict, judgeNight } from './judge.js';
import { loadNight } from './night-cache.js';
import { judgeConfig } from './rules.js';

export type AnalysisStatus = 'healthy' | 'degraded' | 'inconclusive';

export interface AnalysisResult {
  schema: 'nightshift.analysis/v1';
  status: AnalysisStatus;
  epoch_id: string;
  mode: Mode;
  verdicts: JudgedVerdict[];
  /** verdicts that are warning or critical */
  degradation_signals: number;
  /** symptoms recorded by this analysis (a re-run records none for the same findings) */
  symptoms: Symptom[];
  /** escalation kinds armed or refreshed by this analysis */
  escalations_armed: string[];
  duration_ms: number;
  baseline_epochs: string[];
  /** epochs considered for the baseline and left out, with why */
  baseline_excluded: { epoch: string; reason: string }[];
  baseline_pinned: boolean;
}

export interface AnalyzeOptions {
  config: Config;
  paths: StatePaths;
  clock: Clock;
  log: Logger;
  epochId: string;
  mode: Mode;
  /** epochs to leave out of the baseline on top of the quarantined ones */
  excludeEpochs?: string[];
  /** false: judge only, record no symptom and arm no flag (default true) */
  record?: boolean;
}

/** degraded if any verdict is a degradation signal; inconclusive if no verdict is conclusive; else healthy. */
export function analysisStatus(verdicts: readonly JudgedVerdict[]): AnalysisStatus {
  if (verdicts.some(isDegraded)) return 'degraded';
  if (verdicts.every((v) => v.outcome === 'inconclusive')) return 'inconclusive';
  return 'healthy';
}

/** What a degraded verdict records as its symptom's meta. */
export function symptomMeta(v: JudgedVerdict, epochId: string): Record<string, unknown> {
  return {
    domain: v.domain,
    metric: v.metric,
    severity: v.outcome,
    current: v.current,
    baseline: v.baseline,
    delta_pct: v.deltaPct,
    p_value: v.test?.pValue ?? null,
    test: v.test?.name ?? null,
    ci: v.test?.ci ?? null,
    epoch_id: epochId,
    baseline_epochs: v.baselineEpochs,
    reason: v.reason,
    // target_down: what the failed domain itself said and saw (trigger.ts reads `evidence` as Evidence[])
    ...(v.domainReason !== undefined ? { domain_reason: v.domainReason } : {}),
    ...(v.evidence !== undefined ? { evidence: v.evidence } : {}),
  };
}

export async function analyze(opts: AnalyzeOptions): Promise<AnalysisResult> {
  const { config, paths, clock, log, epochId, mode } = opts;
  const started = performance.now();
  const tonight = readVerifiedReport(paths, epochId);
  const baseline = loadBaseline(paths, config, tonight.signal, opts.excludeEpochs ?? [], log);
  const verdicts = judgeNight(
    baseline.reports.map((r) => loadNight(paths, r, log)),
    loadNight(paths, tonight, log),
    judgeConfig(config),
  );
  const degraded = verdicts.filter(isDegraded);
  const warn = (message: string) => log.warn(message);
  const recorded: Symptom[] = [];
  let escalations: string[] = [];
  if (opts.record !== false) {
    const now = clock.now();
    const seen = new Set(
      readSymptoms(paths, config.timezone, Math.min(tonight.signal.ts, now), now, warn)
        .filter((s) => s.meta.epoch_id === epochId)
        .map((s) => `${s.kind}|${String(s.meta.domain)}|${String(s.meta.metric)}`),
    );
    for (const v of degraded) {
      if (seen.has(`${v.kind}|${v.domain}|${v.metric}`)) continue;
      recorded.push(
        recordSymptom(paths, clock, config.timezone, { kind: v.kind, meta: symptomMeta(v, epochId), mode }),
      );
    }
    escalations = evaluateEscalation(paths, clock, config, { mode, warn }).armed.map((f) => f.kind);
  }
  const result: AnalysisResult = {
    schema: 'nightshift.analysis/v1',
    status: analysisStatus(verdicts),
    epoch_id: epochId,
    mode,
    verdicts,
    degradation_signals: degraded.length,
    symptoms: recorded,
    escalations_armed: escalations,
    duration_ms: Math.round((performance.now() - started) * 10) / 10,
    baseline_epochs: baseline.epochs,
    baseline_excluded: baseline.excluded,
    baseline_pinned: baseline.pinned,
  };
  log.info(
    {
      epoch: epochId,
      status: result.status,
      signals: result.degradation_signals,
      symptoms: recorded.length,
      escalations: escalations,
      baseline: baseline.epochs.length,
      ms: result.duration_ms,
    },
    `analysis of ${epochId}: ${result.status}`,
  );
  return result;
}

/** The newest sealed epoch, for `nightshift analyze` without an argument. */
export function latestSealedEpoch(paths: StatePaths): string {
  const epochs = listSealedEpochs(paths);
  const last = epochs[epochs.length - 1];
  if (last === undefined) {
    throw new NightshiftError('analysis.no_report', `analysis: no sealed PHASE report in ${paths.root}`, {
      exitCode: 3,
      hint: 'run `nightshift phase run` first, or pass --state-dir',
    });
  }
  return last;
}
