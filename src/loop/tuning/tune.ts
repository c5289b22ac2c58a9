/**
 * One tuning run (ARCHITECTURE.md §1): gates → candidates → control and candidates on canaries → fitness →
 * promotion decision → promotion applied (act) or proposed (recommend) → history and runs ledger.
 *
 * Safety, in order: the gates decide before anything starts (a deferred run leaves the flag armed); the run
 * needs budget for the control and one candidate before it touches production; before each further candidate
 * the window and the rest of the budget are checked again; every canary is charged, even a crashed one; in
 * quiesced mode production is restarted with its own config whatever happened (error and abort included) and
 * the restore time is held against canary.restore_sla_s; only a candidate that beat the control measured in
 * this run is promoted, and a promotion that does not turn healthy within the SLA is undone.
 */
import type { Config } from '../../config/schema.js';
import { describeError } from '../../core/errors.js';
import { hashSeed, type Rng, seededRng } from '../../core/random.js';
import { parseDuration, stampId } from '../../core/time.js';
import { type EngineConfig, type Mode, schemaId } from '../../core/types.js';
import type { StatePaths } from '../../store/paths.js';
import type { Clock } from '../../system/clock.js';
import type { Logger } from '../../system/log.js';
import type { Engine, Production } from '../../targets/engine.js';
import { endpointOf } from '../../targets/production/index.js';
import {
  chargeBudget,
  checkCandidateStart,
  checkEligibility,
  ENGINE_CONFIG_SUBSYSTEM,
  type Gate,
  type GateReason,
  type GateState,
  recordRun,
} from '../eligibility/index.js';
import { resolveFlag } from '../symptoms/flags.js';
import { recordSymptom } from '../symptoms/ledger.js';
import { type CanaryDeps, type CanaryProbe, runCanary } from './canary.js';
import { generateCandidatesExplained } from './candidates.js';
import { decidePromotion, type FitnessReference, fitness, medianMetrics, zeroReason } from './fitness.js';
import { appendHistory, hardwareOf, readHistory } from './history.js';
import { phaseContext } from './phase-context.js';
import { phaseProbe } from './probe.js';
import {
  applyPromotion,
  configDiff,
  listPromotions,
  newPromotionId,
  promotionRecord,
  rejectedConfigs,
  writePromotion,
} from './promotion.js';
import { symptomEvidence } from './trigger.js';
import type { CandidateResult, HistoryRecord, Trigger, TuningRun, TuningStatus } from './types.js';
import { type ValidationContext, validateCandidate } from './validate.js';

export interface TuningDeps {
  config: Config;
  paths: StatePaths;
  clock: Clock;
  log: Logger;
  engine: Engine;
  production: Production;
  trigger: Trigger;
  mode: Mode;
  signal?: AbortSignal;
  /** the loop's crash-recovery journal: canary_started/stopped, promotion_begin/end */
  journal?: (step: string, data: object) => void;
  /** how canaries are measured; default: config.canary.domains through the PHASE runner */
  probe?: CanaryProbe;
  /** model max / context in use; default: read from the last sealed PHASE report */
  ctx?: ValidationContext;
  /** candidate generation's randomness; default seeded from the run id */
  rng?: Rng;
  /** test seam: how canary instances start (default targets/instance.startInstance) */
  startInstance?: CanaryDeps['start'];
  /** test seam: canary port allocation (default: a free port of canary.ports) */
  allocatePort?: CanaryDeps['allocatePort'];
}

/**
 * May a tuning run start now? The eligibility gates, and then room in the night's budget for the control and
 * at least one candidate: a run that can only afford its control would measure nothing it could compare.
 */
export function tuningGate(paths: StatePaths, clock: Clock, config: Config): Gate & { state: GateState } {
  const gate = checkEligibility(paths, clock, config, ENGINE_CONFIG_SUBSYSTEM);
  const need = 2 * config.canary.timeout_s;
  if (gate.allowed && gate.budgetLeftS < need) {
    return {
      ...gate,
      allowed: false,
      reason: 'budget',
      detail: `${gate.budgetLeftS} s of the night's canary budget left, the control and one candidate may take ${need} s`,
    };
  }
  return gate;
}

let runSequence = 0;

function newRunId(now: number, zone: string): string {
  const h = hashSeed(`${now}|${process.pid}|${++runSequence}`).toString(16).padStart(8, '0').slice(0, 4);
  return `${stampId('tune', now, zone)}_${h}`;
}

export async function runTuning(deps: TuningDeps): Promise<TuningRun> {
  const { config, paths, clock, log, engine, production, trigger, mode } = deps;
  const t0 = performance.now();
  const startedAt = clock.now();
  const runId = newRunId(startedAt, config.timezone);
  const canaryMode = config.canary.mode;
  const candidates: CandidateResult[] = [];
  let control: CandidateResult | undefined;
  let canarySeconds = 0;
  let current: EngineConfig = {};
  let restoreS: number | undefined;

  const finish = (
    status: TuningStatus,
    extra: Partial<TuningRun> & { reason?: string; best?: CandidateResult } = {},
  ): TuningRun => {
    const run: TuningRun = {
      run_id: runId,
      status,
      ...(extra.reason !== undefined ? { reason: extra.reason } : {}),
      ...(control ? { control } : {}),
      candidates,
      ...(extra.best ? { best: extra.best } : {}),
      promoted: extra.promoted ?? false,
      ...(extra.promotion_id ? { promotion_id: extra.promotion_id } : {}),
      ...(extra.promotion_state ? { promotion_state: extra.promotion_state } : {}),
      canary_seconds: round3(canarySeconds),
      duration_ms: Math.round(performance.now() - t0),
      ...(restoreS !== undefined ? { restore_s: restoreS } : {}),
    };
    const record: HistoryRecord = {
      schema: schemaId('tuning_run') as HistoryRecord['schema'],
      run_id: runId,
      ts: startedAt,
      mode,
      engine: engine.name,
      model: config.target.model,
      ...(hardwareOf(config) !== undefined ? { hardware: hardwareOf(config) } : {}),
      canary_mode: canaryMode,
      trigger,
      current_config: current,
      ...(control ? { control } : {}),
      candidates,
      ...(run.best ? { best: { config: run.best.config, fitness: run.best.fitness, changed: run.best.changed } } : {}),
      promoted: run.promoted,
      ...(run.promotion_id ? { promotion_id: run.promotion_id } : {}),
      status,
      ...(run.reason !== undefined ? { reason: run.reason } : {}),
      canary_seconds: run.canary_seconds,
      duration_ms: run.duration_ms,
      ...(run.restore_s !== undefined ? { restore_s: run.restore_s } : {}),
    };
    appendHistory(paths, record);
    recordRun(paths, clock, {
      subsystem: ENGINE_CONFIG_SUBSYSTEM,
      run_id: runId,
      status,
      mode,
      ts: startedAt,
      canary_seconds: run.canary_seconds,
      duration_ms: run.duration_ms,
      ...(run.reason !== undefined ? { reason: run.reason } : {}),
      ...(run.promotion_id ? { promotion_id: run.promotion_id } : {}),
    });
    log.info({ run_id: runId, status, reason: run.reason, canary_seconds: run.canary_seconds }, 'tuning run finished');
    return run;
  };
  const deferred = (reason: GateReason | string, detail?: string) => {
    log.info({ run_id: runId, reason, detail }, 'tuning deferred; the flag stays armed');
    return finish('deferred', { reason: `deferred: ${reason}` });
  };

  if (mode === 'observe') return deferred('observe mode', 'observe mode never tunes');
  if (deps.signal?.aborted) return finish('aborted', { reason: 'aborted before start' });

  const gate = tuningGate(paths, clock, config);
  if (!gate.allowed) return deferred(gate.reason, gate.detail);
  const night = gate.night;

  current = await production.current();
  const phase = phaseContext(paths, log);
  // The loop passes the flag's symptom ids; their evidence (vLLM's estimated max model length) steers candidates.
  const evidence =
    trigger.evidence ??
    symptomEvidence(
      paths,
      config,
      trigger.symptoms ?? [],
      startedAt - parseDuration(config.escalation.window) - parseDuration(config.escalation.flag_ttl),
      startedAt,
    );
  const ctx: ValidationContext =
    deps.ctx ?? (phase.contextInUse !== undefined ? { contextInUse: phase.contextInUse } : {});
  const history = readHistory(paths, { engine: engine.name, model: config.target.model });
  const rejected = rejectedConfigs(listPromotions(paths), { engine: engine.name, model: config.target.model });
  const plan = generateCandidatesExplained({
    engine,
    current,
    trigger: { ...trigger, ...(evidence.length > 0 ? { evidence } : {}) },
    history,
    rejected,
    cfg: config,
    ctx,
    rng: deps.rng ?? seededRng(hashSeed(runId)),
  });
  if (plan.length === 0) {
    return finish('no_improvement', { reason: 'no valid candidate config within the knob bounds' });
  }
  log.info({ run_id: runId, candidates: plan.map((p) => p.config) }, 'tuning: candidates generated');

  const probe = deps.probe ?? phaseProbe({ config, clock, log });
  const canaryDeps: CanaryDeps = {
    config,
    paths,
    clock,
    log,
    engine,
    probe,
    ...(deps.signal ? { signal: deps.signal } : {}),
    ...(deps.journal ? { journal: deps.journal } : {}),
    excludePorts: [endpointOf(config.target.base_url).port],
    ...(deps.startInstance ? { start: deps.startInstance } : {}),
    ...(deps.allocatePort ? { allocatePort: deps.allocatePort } : {}),
  };
  const charge = (r: CandidateResult, label: string) => {
    canarySeconds += r.canary_seconds;
    chargeBudget(paths, clock, config, r.canary_seconds, { night, run_id: runId, label });
  };

  let stoppedProduction = false;
  let stopReason: string | undefined;
  let failure: unknown;
  try {
    if (canaryMode === 'quiesced') {
      log.info({ run_id: runId }, 'tuning: quiescing production for the canaries');
      stoppedProduction = true;
      await production.stop();
    }
    control = await runCanary(canaryDeps, { role: 'control', config: current, changed: [], runId, index: 0 });
    charge(control, 'control');
    for (const [i, p] of plan.entries()) {
      if (deps.signal?.aborted) break;
      const may = checkCandidateStart(paths, clock, config, night);
      if (!may.allowed) {
        stopReason = may.reason;
        log.info({ run_id: runId, reason: may.reason, detail: may.detail }, 'tuning: no further candidate');
        break;
      }
      // Generation promised this; checked again because it is the promise the whole loop rests on.
      const valid = validateCandidate(engine, current, p.config, config, ctx);
      if (!valid.ok) throw new Error(`tuning: generated an invalid candidate: ${valid.reasons.join('; ')}`);
      const r = await runCanary(canaryDeps, {
        role: 'candidate',
        config: p.config,
        changed: p.changed,
        runId,
        index: i + 1,
      });
      candidates.push(r);
      charge(r, `candidate ${i + 1}`);
    }
  } catch (err) {
    failure = err;
  } finally {
    if (stoppedProduction) restoreS = await restoreProduction(deps, current, runId);
  }
  if (failure !== undefined) {
    finish('aborted', { reason: `error: ${describeError(failure)}` });
    throw failure;
  }
  if (deps.signal?.aborted) return finish('aborted', { reason: 'aborted' });
  if (candidates.length === 0) return finish('deferred', { reason: `deferred: ${stopReason ?? 'budget'}` });

  // Fitness against a reference measured in this run: the control when it passed, else the passing candidates.
  const passing = candidates.filter((c) => c.status === 'pass');
  const reference: FitnessReference = {
    metrics: control?.status === 'pass' ? control.metrics : medianMetrics(passing),
  };
  const floor = control?.status === 'pass' ? control.metrics.pass_rate : phase.passRate;
  if (floor !== undefined) reference.pass_rate = floor;
  for (const r of control ? [control, ...candidates] : candidates) {
    r.fitness = fitness(r.metrics, r.status, config, reference);
    const zero = zeroReason(r.metrics, r.status, reference);
    if (r.status === 'pass' && zero) r.reason = zero;
  }
  const decision = decidePromotion(
    control ?? { fitness: 0, status: 'error' },
    candidates,
    config.tuning.fitness.noise_margin,
  );
  log.info({ run_id: runId, decision: decision.decision, reason: decision.reason }, 'tuning: promotion decision');
  if (decision.decision === 'all_failed') return finish('all_failed', { reason: decision.reason });
  if (decision.decision === 'no_improvement') {
    return finish('no_improvement', { reason: decision.reason, ...(decision.best ? { best: decision.best } : {}) });
  }

  const best = decision.best;
  const promotionId = newPromotionId(paths, clock.now(), config.timezone);
  const record = promotionRecord({
    promotion_id: promotionId,
    run_id: runId,
    subsystem: ENGINE_CONFIG_SUBSYSTEM,
    engine: engine.name,
    model: config.target.model,
    previous_config: current,
    new_config: best.config,
    diff: configDiff(engine, current, best.config),
    fitness: { candidate: best.fitness, control: control?.fitness ?? 0 },
    metrics: { candidate: best.metrics, control: control?.metrics ?? {} },
    triggering_symptoms: { kind: trigger.kind, severity: trigger.severity, ids: trigger.symptoms ?? [] },
    ts: clock.now(),
    mode,
    state: mode === 'act' ? 'provisional' : 'proposed',
    reason: decision.reason,
  });
  writePromotion(paths, record);
  if (mode !== 'act') {
    return finish('success', {
      reason: `proposed ${promotionId}: ${decision.reason}; apply with \`nightshift promote apply ${promotionId}\``,
      best,
      promotion_id: promotionId,
      promotion_state: 'proposed',
    });
  }
  const outcome = await applyPromotion(
    { config, paths, clock, log, production, ...(deps.journal ? { journal: deps.journal } : {}) },
    record,
  );
  if (!outcome.ok) {
    if (outcome.restore_s !== undefined && (!outcome.restored_ok || outcome.restore_s > config.canary.restore_sla_s)) {
      slaMiss(deps, runId, outcome.restore_s, outcome.reason);
    }
    return finish('no_improvement', {
      reason: `promotion ${promotionId} restored: ${outcome.reason}`,
      best,
      promotion_id: promotionId,
      promotion_state: 'restored',
    });
  }
  resolveFlag(paths, trigger.kind, clock.now());
  return finish('success', {
    reason: decision.reason,
    best,
    promoted: true,
    promotion_id: promotionId,
    promotion_state: 'provisional',
  });
}

/** Quiesced mode: production back on its own config; the restore time is held against the SLA. */
async function restoreProduction(deps: TuningDeps, current: EngineConfig, runId: string): Promise<number> {
  const { config, production, log } = deps;
  const scale = config.target.time_scale;
  const timeoutMs = config.canary.restore_sla_s * 1000 * scale;
  let res = await production.apply(current, { timeoutMs });
  let restoreS = res.ms / scale / 1000;
  if (!res.ok) {
    log.error(
      { run_id: runId, evidence: res.evidence },
      'tuning: production did not come back within the SLA; retrying',
    );
    // Past the SLA already: the retry gets a generous wait, production must answer again.
    const again = await production.apply(current, { timeoutMs: timeoutMs * 10 });
    restoreS += again.ms / scale / 1000;
    res = again;
  }
  log.info(
    { run_id: runId, restore_s: round3(restoreS), ok: res.ok },
    'tuning: production restored after the canaries',
  );
  if (!res.ok || restoreS > config.canary.restore_sla_s) {
    slaMiss(
      deps,
      runId,
      restoreS,
      res.ok ? `healthy after ${round3(restoreS)} s` : `not healthy: ${res.evidence?.line ?? 'no evidence'}`,
    );
  }
  return round3(restoreS);
}

function slaMiss(deps: TuningDeps, runId: string, restoreS: number, detail: string): void {
  deps.log.warn({ run_id: runId, restore_s: restoreS, sla_s: deps.config.canary.restore_sla_s }, 'restore SLA missed');
  recordSymptom(deps.paths, deps.clock, deps.config.timezone, {
    kind: 'restore_sla_miss',
    mode: deps.mode,
    meta: { run_id: runId, restore_s: round3(restoreS), sla_s: deps.config.canary.restore_sla_s, detail },
  });
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}
