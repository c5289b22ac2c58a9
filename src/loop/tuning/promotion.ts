/**
 * Promotions: `promotions/<id>.json`, a state document (provisional | proposed | validated | rolled_back |
 * restored) rewritten atomically as a whole on each change, with every state change kept in `states`.
 * Applying one changes production through its adapter and checks health within the restore SLA; a new config
 * that is not healthy in time is undone at once by restoring the previous one.
 */
import { existsSync, readdirSync } from 'node:fs';
import type { Config } from '../../config/schema.js';
import { NightshiftError, StateError, UsageError } from '../../core/errors.js';
import type { Metrics } from '../../core/metrics.js';
import { stampId } from '../../core/time.js';
import { type EngineConfig, type Evidence, type Mode, schemaId } from '../../core/types.js';
import { readJson, writeJsonAtomic } from '../../store/atomic.js';
import type { StatePaths } from '../../store/paths.js';
import type { Clock } from '../../system/clock.js';
import type { Logger } from '../../system/log.js';
import type { Engine, Production } from '../../targets/engine.js';
import { changedKnobs } from './validate.js';

export type PromotionState = 'provisional' | 'proposed' | 'validated' | 'rolled_back' | 'restored';
export const PROMOTION_STATES: readonly PromotionState[] = [
  'provisional',
  'proposed',
  'validated',
  'rolled_back',
  'restored',
];

export interface PromotionRecord {
  schema: 'nightshift.promotion/v1';
  promotion_id: string;
  run_id: string;
  subsystem: string;
  engine: string;
  model: string;
  previous_config: EngineConfig;
  new_config: EngineConfig;
  diff: Record<string, { from: EngineConfig[string] | null; to: EngineConfig[string] | null }>;
  fitness: { candidate: number; control: number };
  metrics: { candidate: Metrics; control: Metrics };
  triggering_symptoms: { kind: string; severity?: string; ids: string[] };
  ts: number;
  mode: Mode;
  state: PromotionState;
  reason?: string;
  /** every state this promotion has been in, oldest first */
  states: { state: PromotionState; ts: number; reason?: string }[];
}

export class PromotionNotFoundError extends UsageError {
  constructor(id: string) {
    super(`promotion: no promotion ${id}`, 'list them with `nightshift promotions`');
  }
}

export function configDiff(engine: Engine, from: EngineConfig, to: EngineConfig): PromotionRecord['diff'] {
  const diff: PromotionRecord['diff'] = {};
  for (const name of changedKnobs(engine, from, to)) diff[name] = { from: from[name] ?? null, to: to[name] ?? null };
  return diff;
}

/** A unique id in the configured zone: promo_YYYYmmdd_HHMMSS, with -2, -3 ... when that second is taken. */
export function newPromotionId(paths: StatePaths, now: number, zone: string): string {
  const base = stampId('promo', now, zone);
  let id = base;
  for (let n = 2; existsSync(paths.promotionFile(id)); n++) id = `${base}-${n}`;
  return id;
}

export function writePromotion(paths: StatePaths, record: PromotionRecord): void {
  writeJsonAtomic(paths.promotionFile(record.promotion_id), record);
}

export function readPromotion(paths: StatePaths, id: string): PromotionRecord {
  if (!/^[A-Za-z0-9_.-]+$/.test(id)) throw new UsageError(`promotion: "${id}" is not a promotion id`);
  const file = paths.promotionFile(id);
  let record: PromotionRecord | undefined;
  try {
    record = readJson<PromotionRecord>(file);
  } catch (err) {
    throw new StateError(`promotion: ${file} is not valid JSON`, { hint: 'restore it from a backup', cause: err });
  }
  if (!record) throw new PromotionNotFoundError(id);
  return record;
}

/** Every promotion, oldest first. */
export function listPromotions(paths: StatePaths): PromotionRecord[] {
  const dir = paths.promotionsDir();
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json') && !f.startsWith('.'))
    .map((f) => readPromotion(paths, f.slice(0, -'.json'.length)))
    .sort((a, b) => a.ts - b.ts || a.promotion_id.localeCompare(b.promotion_id));
}

/**
 * Pure: the configs production rejected for this engine + model — the new_config of every promotion that was
 * rolled back or restored. Candidate generation treats them as infeasible.
 */
export function rejectedConfigs(
  promotions: readonly PromotionRecord[],
  target: { engine: string; model: string },
): EngineConfig[] {
  return promotions
    .filter(
      (p) =>
        p.engine === target.engine && p.model === target.model && (p.state === 'rolled_back' || p.state === 'restored'),
    )
    .map((p) => p.new_config);
}

export function updatePromotionState(
  paths: StatePaths,
  id: string,
  state: PromotionState,
  reason: string,
  at?: number,
): PromotionRecord {
  const prev = readPromotion(paths, id);
  const ts = at ?? prev.states[prev.states.length - 1]?.ts ?? prev.ts;
  const next: PromotionRecord = { ...prev, state, reason, states: [...prev.states, { state, ts, reason }] };
  writePromotion(paths, next);
  return next;
}

export interface ApplyDeps {
  config: Config;
  paths: StatePaths;
  clock: Clock;
  log: Logger;
  production: Production;
  journal?: (step: string, data: object) => void;
}

export interface ApplyOutcome {
  ok: boolean;
  state: PromotionState;
  /** the new config's time to healthy, model seconds */
  apply_s: number;
  /** when the previous config had to come back: its time to healthy, model seconds, and whether it did */
  restore_s?: number;
  restored_ok?: boolean;
  reason: string;
  evidence?: Evidence;
}

function timeScale(config: Config): number {
  return config.target.time_scale;
}

/**
 * Put a promotion's new config on production and check it is healthy within canary.restore_sla_s; otherwise
 * restore the previous config and mark the promotion `restored` with the reason. `okState` is the state a
 * healthy promotion keeps (provisional: the next night's PHASE validates or rolls it back).
 */
export async function applyPromotion(deps: ApplyDeps, record: PromotionRecord): Promise<ApplyOutcome> {
  const { config, paths, clock, log, production } = deps;
  const scale = timeScale(config);
  const slaMs = config.canary.restore_sla_s * 1000;
  // The SLA is model time; against a twin at time scale s the real wait is s times shorter.
  const timeoutMs = slaMs * scale;
  deps.journal?.('promotion_begin', {
    promotion_id: record.promotion_id,
    previous_config: record.previous_config,
    new_config: record.new_config,
  });
  let outcome: ApplyOutcome;
  try {
    const res = await production.apply(record.new_config, { timeoutMs });
    const applyS = res.ms / scale / 1000;
    const healthy = res.ok && applyS * 1000 <= slaMs && (await production.health());
    if (healthy) {
      log.info({ promotion_id: record.promotion_id, apply_s: applyS }, 'promotion applied, production healthy');
      outcome = { ok: true, state: record.state, apply_s: applyS, reason: `healthy after ${round2(applyS)} s` };
    } else {
      const why = !res.ok
        ? `new config not healthy: ${res.evidence?.line ?? 'no evidence'}`
        : `new config took ${round2(applyS)} s to turn healthy, restore SLA ${config.canary.restore_sla_s} s`;
      log.warn({ promotion_id: record.promotion_id, reason: why }, 'promotion failed, restoring the previous config');
      const back = await production.apply(record.previous_config, { timeoutMs });
      const restoreS = back.ms / scale / 1000;
      const restoredOk = back.ok && (await production.health());
      const reason = restoredOk
        ? `${why}; previous config restored in ${round2(restoreS)} s`
        : `${why}; restoring the previous config failed too: ${back.evidence?.line ?? 'not healthy'}`;
      updatePromotionState(paths, record.promotion_id, 'restored', reason, clock.now());
      outcome = {
        ok: false,
        state: 'restored',
        apply_s: applyS,
        restore_s: restoreS,
        restored_ok: restoredOk,
        reason,
        ...(res.evidence ? { evidence: res.evidence } : {}),
      };
    }
  } finally {
    deps.journal?.('promotion_end', { promotion_id: record.promotion_id, state: currentState(paths, record) });
  }
  return outcome;
}

function currentState(paths: StatePaths, record: PromotionRecord): PromotionState {
  try {
    return readPromotion(paths, record.promotion_id).state;
  } catch {
    return record.state;
  }
}

/**
 * `nightshift promote apply ID`: apply a promotion recommend mode proposed. It must still be `proposed`, and
 * production must still run the config it was proposed against (else the measurement no longer applies).
 * On success it becomes `provisional` (validated or rolled back by the next night's PHASE).
 */
export async function applyProposedPromotion(
  deps: ApplyDeps & { engine: Engine },
  id: string,
): Promise<{ record: PromotionRecord; outcome: ApplyOutcome }> {
  const record = readPromotion(deps.paths, id);
  if (record.state !== 'proposed') {
    throw new UsageError(
      `promotion: ${id} is ${record.state}, only a proposed promotion can be applied`,
      'see `nightshift promotions` for its history',
    );
  }
  const live = await deps.production.current();
  const drift = changedKnobs(deps.engine, record.previous_config, live);
  if (drift.length > 0) {
    throw new NightshiftError(
      'promotion.stale',
      `promotion: production no longer runs the config ${id} was measured against (${drift.join(', ')} changed)`,
      { exitCode: 3, hint: 'run `nightshift tune` again for a fresh proposal' },
    );
  }
  const outcome = await applyPromotion(deps, { ...record, state: 'provisional' });
  if (outcome.ok) {
    const next = updatePromotionState(
      deps.paths,
      id,
      'provisional',
      `applied by hand: ${outcome.reason}`,
      deps.clock.now(),
    );
    return { record: next, outcome };
  }
  return { record: readPromotion(deps.paths, id), outcome };
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

export function promotionRecord(fields: Omit<PromotionRecord, 'schema' | 'states'>): PromotionRecord {
  return {
    schema: schemaId('promotion') as PromotionRecord['schema'],
    ...fields,
    states: [{ state: fields.state, ts: fields.ts, ...(fields.reason ? { reason: fields.reason } : {}) }],
  };
}
