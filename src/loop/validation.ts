/**
 * Validation of a provisional promotion, the pure part: given the judge's verdicts of tonight against the
 * nights before the promotion, and whether the symptom the promotion was made for came back tonight, is the
 * promotion better, neither, or worse?
 *
 *   worse   — the judge finds a significant regression (a warning or critical verdict) against the
 *             pre-promotion nights: roll back.
 *   better  — no regression, tonight's analysis is conclusive and the trigger's symptom did not recur: validate.
 *   neutral — anything else (symptom recurred without a regression, or tonight was inconclusive): leave it open.
 */
import type { Config } from '../config/schema.js';
import { describeError } from '../core/errors.js';
import type { Verdict } from '../core/types.js';
import type { StatePaths } from '../store/paths.js';
import type { Clock } from '../system/clock.js';
import type { Logger } from '../system/log.js';
import type { Production } from '../targets/engine.js';
import { loadBaseline, quarantineEpochs } from './analysis/baseline.js';
import { compareNights } from './analysis/compare.js';
import type { CycleValidation } from './cycle-record.js';
import type { Journal } from './journal.js';
import { listSealedEpochs, readVerifiedReport } from './phase/report.js';
import { recordSymptom } from './symptoms/ledger.js';
import { listPromotions, type PromotionRecord, updatePromotionState } from './tuning/promotion.js';

export type ValidationOutcome = 'better' | 'neutral' | 'worse';

export interface ValidationInput {
  verdicts: Verdict[];
  /** the escalation kind the promotion was made for */
  triggerKind: string;
  /** symptom kinds tonight's analysis recorded */
  tonightSymptomKinds: string[];
  /** tonight's analysis status */
  analysisStatus: 'healthy' | 'degraded' | 'inconclusive';
}

export interface ValidationDecision {
  outcome: ValidationOutcome;
  reason: string;
  /** the verdicts that make it worse (empty unless worse) */
  regressions: Verdict[];
}

export function decideValidation(input: ValidationInput): ValidationDecision {
  const regressions = input.verdicts.filter((v) => v.outcome === 'warning' || v.outcome === 'critical');
  if (regressions.length > 0) {
    const worst = regressions.find((v) => v.outcome === 'critical') ?? (regressions[0] as Verdict);
    return {
      outcome: 'worse',
      reason: `significant regression against the nights before the promotion: ${worst.domain} ${worst.metric}: ${worst.reason}${
        regressions.length > 1 ? ` (+${regressions.length - 1} more)` : ''
      }`,
      regressions,
    };
  }
  if (input.analysisStatus === 'inconclusive') {
    return { outcome: 'neutral', reason: 'tonight was inconclusive; the promotion stays open', regressions: [] };
  }
  if (input.tonightSymptomKinds.includes(input.triggerKind)) {
    return {
      outcome: 'neutral',
      reason: `no regression, but the ${input.triggerKind} symptom recurred tonight; the promotion stays open`,
      regressions: [],
    };
  }
  const compared = input.verdicts.filter((v) => v.outcome === 'ok').length;
  return {
    outcome: 'better',
    reason: `no regression in ${compared} compared metric${compared === 1 ? '' : 's'} and no ${input.triggerKind} symptom tonight`,
    regressions: [],
  };
}

export interface ValidateDeps {
  config: Config;
  paths: StatePaths;
  clock: Clock;
  log: Logger;
  production: Production;
  journal: Journal;
  tonight: { epochId: string; ts: number };
  /** kinds of tonight's degraded verdicts (against the usual baseline) */
  tonightSymptomKinds: string[];
  analysisStatus: ValidationInput['analysisStatus'];
}

/** The symptom a rolled-back promotion records. */
export const PROMOTION_REGRESSED = 'promotion_regressed';

/**
 * The edge: every provisional promotion made before tonight's PHASE is judged against the nights before it.
 * Better → `validated`. Worse → (act mode) production back on the previous config, the promotion
 * `rolled_back`, symptom `promotion_regressed`, and the nights measured under it quarantined. Neither → open.
 */
export async function validatePromotions(deps: ValidateDeps): Promise<CycleValidation[]> {
  const { paths, log } = deps;
  const provisional = listPromotions(paths).filter((p) => p.state === 'provisional' && p.ts < deps.tonight.ts);
  const out: CycleValidation[] = [];
  for (const promo of provisional) {
    try {
      out.push(await validateOne(deps, promo));
    } catch (err) {
      const reason = describeError(err);
      log.error({ promotion_id: promo.promotion_id }, `validation of ${promo.promotion_id} failed: ${reason}`);
      out.push({ promotion_id: promo.promotion_id, outcome: 'error', reason, kind: promo.triggering_symptoms.kind });
    }
  }
  return out;
}

async function validateOne(deps: ValidateDeps, promo: PromotionRecord): Promise<CycleValidation> {
  const { config, paths, clock, log, production, journal } = deps;
  const kind = promo.triggering_symptoms.kind;
  const id = promo.promotion_id;
  // The pre-promotion nights: the usual baseline window, ending at the promotion instead of tonight.
  const before = loadBaseline(paths, config, { epoch_id: deps.tonight.epochId, ts: promo.ts }, [], log);
  if (before.reports.length === 0) {
    return { promotion_id: id, outcome: 'open', reason: 'no sealed night before the promotion to compare with', kind };
  }
  const tonight = readVerifiedReport(paths, deps.tonight.epochId);
  // However few nights preceded it, they are the reference the promotion must not fall below.
  const judgeCfg: Config = { ...config, analysis: { ...config.analysis, min_nights: 1 } };
  const verdicts = compareNights(judgeCfg, before.reports, tonight);
  const decision = decideValidation({
    verdicts,
    triggerKind: kind,
    tonightSymptomKinds: deps.tonightSymptomKinds,
    analysisStatus: deps.analysisStatus,
  });
  log.debug(
    {
      promotion_id: id,
      before: before.epochs,
      verdicts: verdicts
        .filter((v) => v.outcome !== 'ok')
        .map((v) => `${v.domain} ${v.metric} ${v.outcome}: ${v.reason}`),
    },
    `validation of ${id}: ${decision.outcome}`,
  );
  const now = clock.now();
  if (decision.outcome === 'better') {
    updatePromotionState(paths, id, 'validated', decision.reason, now);
    log.info({ promotion_id: id }, `promotion ${id} validated: ${decision.reason}`);
    return { promotion_id: id, outcome: 'validated', reason: decision.reason, kind };
  }
  if (decision.outcome === 'neutral') {
    log.info({ promotion_id: id }, `promotion ${id} stays open: ${decision.reason}`);
    return { promotion_id: id, outcome: 'open', reason: decision.reason, kind };
  }
  if (config.mode !== 'act') {
    log.warn(
      { promotion_id: id },
      `promotion ${id} regressed (${config.mode} mode: not rolled back): ${decision.reason}`,
    );
    return { promotion_id: id, outcome: 'would_roll_back', reason: decision.reason, kind };
  }
  log.warn({ promotion_id: id }, `promotion ${id} regressed, rolling back: ${decision.reason}`);
  journal.event('promotion_begin', {
    promotion_id: id,
    rollback: true,
    previous_config: promo.previous_config,
    new_config: promo.new_config,
  });
  // No tighter timeout than production's own: a cold start of a big model takes minutes, and a rollback that
  // gave up early would leave production on neither config.
  const res = await production.apply(promo.previous_config);
  const healthy = res.ok && (await production.health());
  const reason = `${decision.reason}; rolled back to the previous config${healthy ? '' : ` (production not healthy after it: ${res.evidence?.line ?? 'no evidence'})`}`;
  updatePromotionState(paths, id, 'rolled_back', reason, clock.now());
  journal.event('promotion_end', { promotion_id: id, state: 'rolled_back' });
  recordSymptom(paths, clock, config.timezone, {
    kind: PROMOTION_REGRESSED,
    meta: {
      promotion_id: id,
      trigger_kind: kind,
      epoch_id: deps.tonight.epochId,
      regressions: decision.regressions.map((v) => ({ domain: v.domain, metric: v.metric, reason: v.reason })),
      reason: decision.reason,
    },
    mode: config.mode,
  });
  // The nights measured under the bad config must not become anyone's baseline.
  const under = nightsSince(paths, promo.ts);
  quarantineEpochs(paths, under, `measured under promotion ${id}, rolled back`, clock);
  if (!healthy) log.error({ promotion_id: id }, `rollback of ${id}: production not healthy afterwards`);
  return { promotion_id: id, outcome: 'rolled_back', reason, kind };
}

/** Sealed epochs whose completion signal is at or after `fromTs` (the nights a promotion was live for). */
function nightsSince(paths: StatePaths, fromTs: number): string[] {
  const out: string[] = [];
  for (const epoch of listSealedEpochs(paths)) {
    try {
      if (readVerifiedReport(paths, epoch).signal.ts >= fromTs) out.push(epoch);
    } catch {
      // An unverifiable report is never a baseline anyway; nothing to quarantine.
    }
  }
  return out;
}
