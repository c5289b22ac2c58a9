/**
 * `compareNights`: the judge over reports, for any caller that already holds them — the analyzer, and the
 * loop's promotion validation ("is tonight worse than the pre-promotion baseline?"). Reports may be verified
 * ones read from disk or built in memory; nothing here touches the clock or the state directory.
 */
import type { Config } from '../../config/schema.js';
import { type JudgedVerdict, judgeNight } from './judge.js';
import { nightFromReport, type ReportLike } from './night.js';
import { judgeConfig } from './rules.js';

export function compareNights(
  config: Config,
  baselineReports: readonly ReportLike[],
  tonightReport: ReportLike,
): JudgedVerdict[] {
  return judgeNight(baselineReports.map(nightFromReport), nightFromReport(tonightReport), judgeConfig(config));
}
