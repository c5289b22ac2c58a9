/**
 * Crash recovery, the pure part: from what the dead cycles left open in the journal, decide what to undo.
 * Leftover canaries are killed by process group; production is put back on the last healthy config whenever a
 * canary was running (a quiesced canary stops production), a promotion or rollback had begun and not ended, or
 * the cycle died in a step that may stop or change production — unless it already runs that config, healthy.
 */
import type { Config } from '../config/schema.js';
import { describeError } from '../core/errors.js';
import type { EngineConfig } from '../core/types.js';
import type { StatePaths } from '../store/paths.js';
import type { Clock } from '../system/clock.js';
import type { Logger } from '../system/log.js';
import { groupAlive, stopGroup } from '../system/process.js';
import type { Production } from '../targets/engine.js';
import { readProduction } from '../targets/production/state.js';
import type { RecoveryRecord } from './cycle-record.js';
import { nightOf } from './eligibility/decide.js';
import { chargeBudget, ENGINE_CONFIG_SUBSYSTEM, recordRun } from './eligibility/index.js';
import { type Journal, readJournal, type Unfinished } from './journal.js';
import { readPromotion, updatePromotionState } from './tuning/promotion.js';

export interface RecoveryPlan {
  /** the dead cycles this plan recovers */
  cycles: string[];
  /** the steps they were in when they died */
  died_in: string[];
  /** canary process groups to kill */
  kill: { pid: number; port?: number }[];
  /**
   * restore production: to the config a half-done promotion replaced, or (`current` undefined config) to the
   * config production last ran healthy, read from production at the edge
   */
  restore?: { config?: EngineConfig; why: string };
  /**
   * promotions begun and not ended, with the state they take once production is back on the previous config:
   * `restored` for a promotion, `rolled_back` for a rollback that was under way
   */
  promotions: { promotion_id: string; state: 'restored' | 'rolled_back' }[];
  /**
   * tuning runs cut short: each still counts for cooldown and the 24 h rate limit, and each canary it had
   * running is charged its whole per-candidate timeout (the seconds it really ran died with the process)
   */
  aborted_runs: { cycle_id: string; canaries: number }[];
}

/** The config a promotion_begin record says production ran before (the tuning stage names it `previous`). */
export function previousConfigOf(data: Record<string, unknown>): EngineConfig | undefined {
  for (const key of ['previous_config', 'previous', 'from']) {
    const v = data[key];
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as EngineConfig;
  }
  return undefined;
}

/** Steps during which production may be stopped or changed. */
const STEPS_THAT_TOUCH_PRODUCTION: readonly string[] = ['production', 'validation', 'tuning'];

export function planRecovery(unfinished: Unfinished[]): RecoveryPlan | undefined {
  if (unfinished.length === 0) return undefined;
  const kill = unfinished.flatMap((u) => u.canaries);
  const openPromotions = unfinished.flatMap((u) => u.promotions);
  const promotions = openPromotions
    .filter((p) => typeof p.promotion_id === 'string' && p.promotion_id.length > 0)
    .map((p) => ({
      promotion_id: p.promotion_id as string,
      state: p.rollback === true ? ('rolled_back' as const) : ('restored' as const),
    }));
  const plan: RecoveryPlan = {
    cycles: unfinished.map((u) => u.cycle_id),
    died_in: [...new Set(unfinished.flatMap((u) => u.open_steps))],
    kill,
    promotions,
    aborted_runs: unfinished
      .filter((u) => u.open_steps.includes('tuning'))
      .map((u) => ({ cycle_id: u.cycle_id, canaries: u.canaries.length })),
  };
  // The oldest open promotion's previous config is the last one known healthy before any of them began.
  const firstOpen = openPromotions[0];
  const previous = firstOpen ? previousConfigOf(firstOpen) : undefined;
  if (openPromotions.length > 0) {
    plan.restore = previous
      ? { config: previous, why: 'a promotion had begun and not ended' }
      : { why: 'a promotion had begun and not ended (its previous config was not journaled)' };
  } else if (kill.length > 0) {
    plan.restore = { why: 'a canary was running (production may have been stopped for it)' };
  } else if (plan.died_in.some((s) => STEPS_THAT_TOUCH_PRODUCTION.includes(s))) {
    // Quiesced tuning stops production before its first canary is journaled: check it whatever the journal says.
    plan.restore = { why: `the cycle died during ${plan.died_in.join(', ')} (production may have been stopped)` };
  }
  return plan;
}

export interface RecoverDeps {
  paths: StatePaths;
  clock: Clock;
  log: Logger;
  production: Production;
  journal: Journal;
  unfinished: Unfinished[];
  /** how long a leftover canary gets to exit after SIGTERM before SIGKILL */
  graceMs?: number;
  /** the config, to account for tuning runs cut short (budget, runs ledger); without it they are not recorded */
  config?: Config;
}

/** Same knob values, whatever the key order (a missing key and an absent one are the same). */
export function sameConfig(a: EngineConfig, b: EngineConfig): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) if (a[k] !== b[k]) return false;
  return true;
}

/**
 * The edge: kill leftover canaries by process group, put production back on the last healthy config (unless
 * it already runs it, healthy), mark half-done promotions, and journal that the dead cycles are recovered.
 */
export async function recover(deps: RecoverDeps): Promise<RecoveryRecord | null> {
  const { paths, clock, log, production, journal } = deps;
  const plan = planRecovery(deps.unfinished);
  if (!plan) return null;
  log.warn(
    { cycles: plan.cycles, died_in: plan.died_in, canaries: plan.kill.map((k) => k.pid) },
    `recovery: cycle ${plan.cycles.join(', ')} died${plan.died_in.length ? ` during ${plan.died_in.join(', ')}` : ''}; undoing what it left`,
  );
  const killed: RecoveryRecord['killed'] = [];
  for (const { pid } of plan.kill) {
    const wasRunning = groupAlive(pid);
    if (wasRunning) await stopGroup(pid, deps.graceMs ?? 5000);
    const gone = !groupAlive(pid);
    killed.push({ pid, was_running: wasRunning, gone });
    if (!gone) log.error({ pid }, `recovery: leftover canary group ${pid} survived SIGKILL`);
    else if (wasRunning) log.warn({ pid }, `recovery: killed leftover canary process group ${pid}`);
  }
  let productionOutcome: RecoveryRecord['production'] = { action: 'none', reason: 'nothing to restore' };
  if (plan.restore) {
    const target = plan.restore.config ?? readProduction(paths)?.last_healthy_config ?? (await production.current());
    const [healthy, current] = await Promise.all([production.health(), production.current()]);
    if (healthy && sameConfig(current, target)) {
      productionOutcome = {
        action: 'none',
        reason: `${plan.restore.why}; production is healthy on the last healthy config already`,
      };
    } else {
      try {
        const res = await production.apply(target);
        const ok = res.ok && (await production.health());
        productionOutcome = {
          action: 'restored',
          ok,
          ms: res.ms,
          config: target,
          reason: `${plan.restore.why}; production ${healthy ? 'ran another config' : 'was not healthy'}`,
          ...(res.ok ? {} : { error: res.evidence?.line ?? 'not healthy after apply' }),
        };
        if (ok) log.warn({ ms: res.ms }, 'recovery: production restored to the last healthy config');
        else log.error({ evidence: res.evidence }, 'recovery: restoring production to the last healthy config failed');
      } catch (err) {
        productionOutcome = {
          action: 'restored',
          ok: false,
          ms: 0,
          config: target,
          reason: plan.restore.why,
          error: describeError(err),
        };
        log.error(`recovery: restoring production failed: ${describeError(err)}`);
      }
    }
  }
  const promotionsRestored: string[] = [];
  for (const p of plan.promotions) {
    const rec = readPromotion(paths, p.promotion_id);
    // Only a promotion still in flight is re-marked; one that reached its end state before the crash keeps it.
    if (rec.state !== 'provisional' && rec.state !== 'proposed' && rec.state !== 'validated') continue;
    updatePromotionState(
      paths,
      p.promotion_id,
      p.state,
      `nightshift died mid-${p.state === 'rolled_back' ? 'rollback' : 'promotion'} (cycle ${plan.cycles.join(', ')}); recovery put production back on the previous config`,
      clock.now(),
    );
    promotionsRestored.push(p.promotion_id);
  }
  const runsRecorded = deps.config ? recordAbortedRuns(deps, deps.config, plan) : [];
  const record: RecoveryRecord = {
    cycles: plan.cycles,
    died_in: plan.died_in,
    killed,
    production: productionOutcome,
    promotions_restored: promotionsRestored,
    ...(runsRecorded.length > 0 ? { runs_recorded: runsRecorded } : {}),
  };
  journal.event('recovered', { ...record });
  return record;
}

/**
 * A tuning run killed mid-way never wrote its runs-ledger line nor charged its running canary: without these
 * a crash would let the next run ignore the cooldown, the 24 h rate limit and the night's budget.
 */
function recordAbortedRuns(
  deps: RecoverDeps,
  config: Config,
  plan: RecoveryPlan,
): NonNullable<RecoveryRecord['runs_recorded']> {
  const { paths, clock, log } = deps;
  const out: NonNullable<RecoveryRecord['runs_recorded']> = [];
  if (plan.aborted_runs.length === 0) return out;
  // When each dead tuning step began: the run's time for cooldown, rate limit and the night it is charged to.
  const began = new Map<string, number>();
  for (const r of readJournal(paths, (m) => log.warn(m))) {
    if (r.type === 'step_begin' && r.step === 'tuning') began.set(r.cycle_id, r.ts);
  }
  for (const aborted of plan.aborted_runs) {
    const run = { ...aborted, started_at: began.get(aborted.cycle_id) ?? clock.now() };
    const runId = `${run.cycle_id}_tuning`;
    const seconds = run.canaries * config.canary.timeout_s;
    const reason = `nightshift died during tuning (cycle ${run.cycle_id}); recorded by recovery`;
    if (seconds > 0) {
      const night = nightOf(run.started_at, config.eligibility.window, config.timezone);
      chargeBudget(paths, clock, config, seconds, { night, run_id: runId, label: 'recovery: canary cut short' });
    }
    recordRun(paths, clock, {
      subsystem: ENGINE_CONFIG_SUBSYSTEM,
      run_id: runId,
      status: 'aborted',
      mode: config.mode,
      reason,
      canary_seconds: seconds,
      ts: run.started_at,
    });
    log.warn({ run_id: runId, canary_seconds: seconds }, `recovery: ${reason}; charged ${seconds} canary s`);
    out.push({ run_id: runId, canary_seconds: seconds });
  }
  return out;
}
