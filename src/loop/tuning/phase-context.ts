/**
 * What the last sealed PHASE report tells tuning about production: the context in use (long-context domain's
 * p99.9 prompt+output tokens: max_model_len must not drop below it) and production's pass rate (a canary
 * below it scores 0). Only a verified report is read; with none, both stay unknown.
 */

import type { StatePaths } from '../../store/paths.js';
import type { Logger } from '../../system/log.js';
import { listSealedEpochs, readVerifiedReport } from '../phase/report.js';

export interface PhaseContext {
  contextInUse?: number;
  passRate?: number;
  epoch?: string;
}

export function phaseContext(paths: StatePaths, log?: Logger): PhaseContext {
  const epochs = listSealedEpochs(paths);
  for (let i = epochs.length - 1; i >= 0; i--) {
    const epoch = epochs[i] as string;
    try {
      const report = readVerifiedReport(paths, epoch);
      const out: PhaseContext = { epoch };
      const long = report.records.find((r) => r.domain === 'long-context');
      const used = long?.details?.max_context_tokens_used;
      if (typeof used === 'number' && Number.isFinite(used)) out.contextInUse = used;
      const rates = report.records
        .map((r) => r.metrics.pass_rate)
        .filter((v): v is number => v !== undefined && Number.isFinite(v));
      if (rates.length > 0) out.passRate = Math.min(...rates);
      return out;
    } catch (err) {
      // A report that does not verify is never trusted; an older sealed one may still speak for production.
      log?.warn({ epoch, err: (err as Error).message }, 'tuning: skipping a PHASE report that does not verify');
    }
  }
  return {};
}
