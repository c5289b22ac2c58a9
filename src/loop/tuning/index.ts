/** Config tuning's public API: the run, its parts, and the records it writes. */

export { type CanaryProbe, type CanaryTarget, mergeDomainMetrics, runCanary } from './canary.js';
export { estimatedMaxModelLen, generateCandidates, generateCandidatesExplained, symptomClass } from './candidates.js';
export { DEFAULT_WEIGHTS, decidePromotion, type FitnessReference, fitness, type PromotionDecision } from './fitness.js';
export { appendHistory, readHistory } from './history.js';
export { phaseContext } from './phase-context.js';
export { phaseProbe } from './probe.js';
export {
  applyPromotion,
  applyProposedPromotion,
  listPromotions,
  PROMOTION_STATES,
  type PromotionRecord,
  type PromotionState,
  readPromotion,
  updatePromotionState,
} from './promotion.js';
export { triggerFromFlags } from './trigger.js';
export { runTuning, type TuningDeps, tuningGate } from './tune.js';
export type { CanaryStatus, CandidateResult, HistoryRecord, Trigger, TuningRun, TuningStatus } from './types.js';
export { changedKnobs, type Validation, type ValidationContext, validateCandidate } from './validate.js';
