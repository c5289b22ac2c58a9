/**
 * Validation of a provisional promotion, the pure part. A promotion is judged against the night(s) it was made
 * for — not against the usual 7-day baseline, which are usually the nights BEFORE THE FAULT: while a fault
 * persists (a slowdown), tonight stays worse than those whatever the promotion does, and a promotion that
 * really helped would be rolled back for the fault's sake.
 *
 * The reference (the pre-promotion nights): the promotion's triggering night — the last sealed night before it,
 * measured by the PHASE of the cycle that promoted — plus every earlier night that recorded a symptom of the
 * trigger's kind within the escalation window before the promotion. Quarantined nights (measured under a
 * promotion that was rolled back) are never part of it.
 *
 *   worse   — the judge (compareNights) finds a significant regression (a warning or critical verdict) of
 *             tonight against the reference: roll back.
 *   better  — no regression, and either the trigger's metrics improved significantly (the judge, asked the
 *             other way round, finds the triggering night degraded in the trigger's kind against tonight), or
 *             tonight's analysis is conclusive and the trigger's symptom did not recur: validate.
 *   neutral — anything else (the symptom recurred without a significant change either way, or tonight was
 *             inconclusive): leave it open.
 */
import type { Config } from '../config/schema.js';
import { describeError } from '../core/errors.js';
import type { PhaseSignal } from '../core/report.js';
import { parseDuration } from '../core/time.js';
import type { Verdict } from '../core/types.js';
import { readJson } from '../store/atomic.js';
import type { StatePaths } from '../store/paths.js';
import type { Clock } from '../system/clock.js';
import type { Logger } from '../system/log.js';
import type { Production } from '../targets/engine.js';
import { quarantineEpochs, readPins } from './analysis/baseline.js';
import { compareNights } from './analysis/compare.js';
import type { TuningOutcome } from './control/breakers.js';
import type { CycleValidation } from './cycle-record.js';
import type { Journal } from './journal.js';
import { listSealedEpochs, readVerifiedReport } from './phase/report.js';
import { readSymptoms, recordSymptom } from './symptoms/ledger.js';
import { listPromotions, type PromotionRecord, updatePromotionState } from './tuning/promotion.js';

export type ValidationOutcome = 'better' | 'neutral' | 'worse';

export interface ValidationInput {
  /** the judge's verdicts of tonight against the pre-promotion reference */
  verdicts: Verdict[];
  /**
   * the judge's verdicts of the triggering night against tonight (the comparison the other way round): a
   * degraded one means tonight is significantly better on that metric
   */
  reverseVerdicts?: (Verdict & { kind?: string })[];
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

const degraded = (v: Verdict) => v.outcome === 'warning' || v.outcome === 'critical';

export function decideValidation(input: ValidationInput): ValidationDecision {
  const regressions = input.verdicts.filter(degraded);
  if (regressions.length > 0) {
    const worst = regressions.find((v) => v.outcome === 'critical') ?? (regressions[0] as Verdict);
    return {
      outcome: 'worse',
      reason: `significant regression against the night(s) the promotion was made for: ${worst.domain} ${worst.metric}: ${worst.reason}${
        regressions.length > 1 ? ` (+${regressions.length - 1} more)` : ''
      }`,
      regressions,
    };
  }
  const improved = (input.reverseVerdicts ?? []).filter((v) => degraded(v) && v.kind === input.triggerKind);
  if (improved.length > 0) {
    const first = improved[0] as Verdict;
    return {
      outcome: 'better',
      reason: `no regression, and ${input.triggerKind} improved significantly against the night(s) the promotion was made for: ${first.domain} ${first.metric} ${fmt(first.current)} then vs ${fmt(first.baseline)} tonight${
        improved.length > 1 ? ` (+${improved.length - 1} more)` : ''
      }`,
      regressions: [],
    };
  }
  if (input.analysisStatus === 'inconclusive') {
    return { outcome: 'neutral', reason: 'tonight was inconclusive; the promotion stays open', regressions: [] };
  }
  if (input.tonightSymptomKinds.includes(input.triggerKind)) {
    return {
      outcome: 'neutral',
      reason: `no significant change against the night(s) the promotion was made for, and the ${input.triggerKind} symptom recurred tonight; the promotion stays open`,
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

function fmt(n: number | null): string {
  return n === null ? 'n/a' : String(Math.round(n * 100) / 100);
}

export interface ReferenceInput {
  /** sealed nights (epoch and completion time) */
  nights: readonly { epochId: string; ts: number }[];
  /** when the promotion was made */
  promotionTs: number;
  /** epochs of the symptoms of the trigger's kind recorded within the escalation window before the promotion */
  symptomEpochs: readonly string[];
  /** nights left out of every baseline (measured under a rolled-back promotion) */
  quarantined: readonly string[];
}

/**
 * Pure: the pre-promotion reference — the triggering night (the last usable sealed night before the promotion)
 * and the earlier nights with a symptom of the trigger's kind, oldest first. Empty when no night preceded it.
 */
export function referenceNights(input: ReferenceInput): string[] {
  const quarantined = new Set(input.quarantined);
  const before = input.nights
    .filter((n) => n.ts < input.promotionTs && !quarantined.has(n.epochId))
    .sort((a, b) => a.ts - b.ts || a.epochId.localeCompare(b.epochId));
  const triggering = before[before.length - 1];
  if (!triggering) return [];
  const symptomatic = new Set(input.symptomEpochs);
  return before.filter((n) => n === triggering || symptomatic.has(n.epochId)).map((n) => n.epochId);
}

/** Pure: what a validation result tells the circuit breaker of the promotion's kind (undefined: nothing yet). */
export function breakerOutcomeOfValidation(v: CycleValidation): TuningOutcome | undefined {
  if (v.outcome === 'rolled_back') return { kind: 'not_fixed', ref: v.promotion_id, why: 'promotion rolled back' };
  if (v.outcome === 'validated') return { kind: 'fixed', ref: v.promotion_id };
  return undefined;
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
 * The edge: every provisional promotion made before tonight's PHASE is judged against the night(s) it was made for.
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
  const reference = loadReference(deps, promo);
  if (reference.length === 0) {
    return { promotion_id: id, outcome: 'open', reason: 'no sealed night before the promotion to compare with', kind };
  }
  const tonight = readVerifiedReport(paths, deps.tonight.epochId);
  // However few nights it was made for, they are the reference the promotion must not fall below.
  const judgeCfg: Config = { ...config, analysis: { ...config.analysis, min_nights: 1 } };
  const verdicts = compareNights(judgeCfg, reference, tonight);
  const triggering = reference[reference.length - 1] as (typeof reference)[number];
  const reverseVerdicts = compareNights(judgeCfg, [tonight], triggering);
  const decision = decideValidation({
    verdicts,
    reverseVerdicts,
    triggerKind: kind,
    tonightSymptomKinds: deps.tonightSymptomKinds,
    analysisStatus: deps.analysisStatus,
  });
  log.debug(
    {
      promotion_id: id,
      reference: reference.map((r) => r.signal.epoch_id),
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

/** The reports of the pre-promotion reference (see the top of this file), verified, oldest first. */
function loadReference(deps: ValidateDeps, promo: PromotionRecord): ReturnType<typeof readVerifiedReport>[] {
  const { config, paths, log } = deps;
  const nights: { epochId: string; ts: number }[] = [];
  for (const epochId of listSealedEpochs(paths)) {
    if (epochId === deps.tonight.epochId) continue;
    // The completion signal gives the time; the reports chosen are read with their seal verified below.
    try {
      const signal = readJson<PhaseSignal>(paths.signalFile(epochId));
      if (signal && typeof signal.ts === 'number') nights.push({ epochId, ts: signal.ts });
    } catch (err) {
      log.warn({ epoch: epochId }, `validation: ${epochId} left out of the reference: ${describeError(err)}`);
    }
  }
  const window = parseDuration(config.escalation.window);
  const symptomEpochs = readSymptoms(paths, config.timezone, promo.ts - window, promo.ts, (m) => log.warn(m))
    .filter((s) => s.kind === promo.triggering_symptoms.kind && typeof s.meta.epoch_id === 'string')
    .map((s) => s.meta.epoch_id as string);
  const epochs = referenceNights({
    nights,
    promotionTs: promo.ts,
    symptomEpochs,
    quarantined: readPins(paths).quarantined.map((q) => q.epoch),
  });
  return epochs.map((e) => readVerifiedReport(paths, e));
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
