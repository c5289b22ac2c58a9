/**
 * One cycle of the loop, end to end (issue 8): lock → recovery → PHASE → analysis → validation of provisional
 * promotions → escalation (every armed flag) → eligibility + tuning → circuit breakers → cycle record → exit
 * code. Each step is read → decide → apply: the decisions are the pure functions in cycle-decide.ts,
 * validation.ts, recovery.ts and control/breakers.ts; this file only reads, asks and applies.
 *
 * Every step is journaled (begin/end) so a `kill -9` anywhere is recoverable by the next run, and the kill
 * switch (`nightshift pause`) is checked before every step.
 */
import type { Config } from '../config/schema.js';
import { describeError, NightshiftError, StateError } from '../core/errors.js';
import type { Metrics } from '../core/metrics.js';
import type { PhaseRecord } from '../core/report.js';
import { isoLocal, stampId } from '../core/time.js';
import { appendJsonl } from '../store/atomic.js';
import { acquireLock } from '../store/lock.js';
import type { StatePaths } from '../store/paths.js';
import type { Clock } from '../system/clock.js';
import type { Logger } from '../system/log.js';
import type { Engine, Production } from '../targets/engine.js';
import { ManagedProduction } from '../targets/production/managed.js';
import { analyze } from './analysis/analyze.js';
import { isDegraded } from './analysis/judge.js';
import { openBreakers, readBreakers, recordTuningOutcome, type TuningOutcome } from './control/breakers.js';
import { readPause } from './control/pause.js';
import { chooseTrigger, decideExitCode, deferralText } from './cycle-decide.js';
import { type CycleRecord, newCycleRecord, type PhaseHeadline } from './cycle-record.js';
import { type CycleStep, findUnfinished, type Journal, openJournal, readJournal } from './journal.js';
import { type PhaseTarget, runPhase } from './phase/run.js';
import { recover } from './recovery.js';
import { armedFlags, resolveFlag } from './symptoms/flags.js';
import { runTuning } from './tuning/tune.js';
import { breakerOutcomeOfValidation, validatePromotions } from './validation.js';

export { chooseTrigger, decideExitCode } from './cycle-decide.js';
export { decideValidation } from './validation.js';

export interface CycleDeps {
  config: Config;
  paths: StatePaths;
  clock: Clock;
  log: Logger;
  engine: Engine;
  production: Production;
  signal?: AbortSignal;
}

/** How often a running cycle looks at the kill switch (real time). */
const PAUSE_POLL_MS = 1000;

class Paused extends Error {
  constructor(readonly step: CycleStep) {
    super(`paused at ${step}`);
  }
}

/**
 * The cycle was told to stop from outside (SIGTERM/SIGINT of `nightshift run`, the daemon shutting down): no
 * further step starts — analysis never judges a half-measured night — and the record says where it stopped.
 */
class Interrupted extends Error {
  constructor(
    readonly step: CycleStep,
    why: unknown,
  ) {
    super(`interrupted at ${step}: ${why === undefined ? 'aborted' : describeError(why)}`);
  }
}

/** `loop_YYYYmmdd_HHMMSS` in the configured zone, with -2, -3 … when a cycle already used that second. */
function newCycleId(now: number, zone: string, used: Set<string>): string {
  const base = stampId('loop', now, zone);
  let id = base;
  for (let n = 2; used.has(id); n++) id = `${base}-${n}`;
  return id;
}

/** Headline numbers of tonight's PHASE: total OOM events, the interactive p95 TTFT, the mean pass rate. */
export function phaseHeadline(records: readonly Pick<PhaseRecord, 'domain' | 'metrics'>[]): PhaseHeadline {
  const values = (m: keyof Metrics) =>
    records.map((r) => r.metrics[m]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  const out: PhaseHeadline = {};
  const oom = values('oom_events');
  if (oom.length > 0) out.oom_events = oom.reduce((a, b) => a + b, 0);
  const interactive = records.find((r) => r.domain === 'interactive')?.metrics.ttft_ms_p95;
  const ttft = interactive ?? (values('ttft_ms_p95').length > 0 ? Math.max(...values('ttft_ms_p95')) : undefined);
  if (ttft !== undefined) out.ttft_ms_p95 = round(ttft, 1);
  const pass = values('pass_rate');
  if (pass.length > 0) out.pass_rate = round(pass.reduce((a, b) => a + b, 0) / pass.length, 4);
  const err = values('error_rate');
  if (err.length > 0) out.error_rate = round(err.reduce((a, b) => a + b, 0) / err.length, 4);
  return out;
}

/**
 * What PHASE must know about production beyond the config: a managed production writes its own log (OOM lines
 * land there even when no target.log_file is configured) and is our own process, so its exit during a domain
 * is seen directly. Other modes add nothing: their log is target.log_file or the systemd journal.
 */
export function productionPhaseTarget(production: Production): Partial<PhaseTarget> {
  if (!(production instanceof ManagedProduction)) return {};
  return { logPath: production.logPath, processExited: () => production.pid() === undefined };
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** Errors a cycle must not absorb: the state directory is unusable, so no record could be trusted either. */
function fatal(err: unknown): boolean {
  return err instanceof StateError;
}

export async function runCycle(deps: CycleDeps): Promise<CycleRecord> {
  const { config, paths, clock, log } = deps;
  const mode = config.mode;
  const zone = config.timezone;
  const startedAt = clock.now();
  const t0 = performance.now();
  const lock = acquireLock(paths.lockFile(), { now: startedAt, zone, warn: (m) => log.warn(m) });
  try {
    const journalRecords = readJournal(paths, (m) => log.warn(m));
    const cycleId = newCycleId(startedAt, zone, new Set(journalRecords.map((r) => r.cycle_id)));
    const journal = openJournal(paths, clock, cycleId, mode);
    journal.cycleBegin({ pid: process.pid, ...(lock.tookOver ? { took_over_lock_from: lock.tookOver } : {}) });
    const clog = log.child({ cycle_id: cycleId });
    const record = newCycleRecord({
      mode,
      cycle_id: cycleId,
      timestamp: isoLocal(startedAt, zone),
      started_at: startedAt,
    });
    let rolledBack = false;
    // The kill switch also reaches into a running step: PHASE and tuning are aborted (tuning restores
    // production on its way out) within a second of `nightshift pause`.
    const pauseAbort = new AbortController();
    const watch = setInterval(() => {
      if (readPause(paths)) pauseAbort.abort(new Error('paused by `nightshift pause`'));
    }, PAUSE_POLL_MS);
    watch.unref();
    const signal = deps.signal ? AbortSignal.any([deps.signal, pauseAbort.signal]) : pauseAbort.signal;
    try {
      await steps(
        { ...deps, log: clog, signal },
        journal,
        record,
        journalRecords,
        pauseAbort.signal,
        (rb) => {
          rolledBack = rb;
        },
        deps.signal,
      );
    } catch (err) {
      if (err instanceof Paused) {
        record.paused_before = err.step;
        const p = readPause(paths);
        clog.warn(
          { step: err.step, reason: p?.reason },
          `paused: stopped at ${err.step}${p ? ` (${p.reason}, since ${isoLocal(p.paused_at, zone)})` : ''}; \`nightshift resume\` lifts it`,
        );
      } else if (err instanceof Interrupted) {
        // A step that did not run is a degraded night (exit 1), never a silent healthy one.
        record.errors.push(err.message);
        clog.warn({ step: err.step }, `${err.message}; the cycle stops here and records itself`);
      } else throw err;
    } finally {
      clearInterval(watch);
    }
    // The end state the exit code is about: flags still armed, breakers open, production health.
    const now = clock.now();
    const stillArmed = armedFlags(paths, clock).filter((f) => f.expires_at > now);
    record.circuit_open = openBreakers(readBreakers(paths));
    if (record.paused_before === null || record.config_tuning_promoted) {
      record.production_healthy = await deps.production.health().catch((err: unknown) => {
        record.errors.push(`health: ${describeError(err)}`);
        return false;
      });
    }
    for (const kind of record.circuit_open) {
      clog.error(
        { kind },
        `circuit open: tuning of ${kind} is stopped; \`nightshift breaker reset ${kind}\` re-enables it`,
      );
    }
    record.exit_code = decideExitCode({
      armedAtEnd: stillArmed.map((f) => f.kind),
      promoted: record.config_tuning_promoted && mode === 'act',
      productionHealthy: record.production_healthy,
      rolledBack,
      errors: record.errors.length,
    });
    record.total_duration_s = round((performance.now() - t0) / 1000 / config.target.time_scale, 1);
    journal.stepBegin('record');
    appendJsonl(paths.cyclesLedger(), record);
    journal.stepEnd('record');
    journal.cycleEnd({ exit_code: record.exit_code });
    clog.info(
      { exit_code: record.exit_code, analysis: record.analysis_status, tuning: record.config_tuning_status },
      `cycle ${cycleId} done: exit ${record.exit_code}`,
    );
    return record;
  } finally {
    lock.release();
  }
}

async function steps(
  deps: CycleDeps,
  journal: Journal,
  record: CycleRecord,
  journalRecords: ReturnType<typeof readJournal>,
  paused: AbortSignal,
  setRolledBack: (rb: boolean) => void,
  interrupt?: AbortSignal,
): Promise<void> {
  const { config, paths, clock, log, production, engine, signal } = deps;
  const mode = config.mode;

  /** Run one step: pause check, journal begin/end, a failure recorded (and logged) and the cycle goes on. */
  const step = async <T>(name: CycleStep, fn: () => Promise<T>): Promise<T | undefined> => {
    const p = readPause(paths);
    if (p) throw new Paused(name);
    if (interrupt?.aborted) throw new Interrupted(name, interrupt.reason);
    journal.stepBegin(name);
    try {
      const out = await fn();
      journal.stepEnd(name, { ok: true });
      return out;
    } catch (err) {
      journal.stepEnd(name, { ok: false, error: describeError(err) });
      if (fatal(err) || err instanceof Paused || err instanceof Interrupted) throw err;
      if (paused.aborted) throw new Paused(name);
      if (interrupt?.aborted) throw new Interrupted(name, interrupt.reason);
      const line = `${name}: ${describeError(err)}`;
      record.errors.push(line);
      log.error({ step: name, err: err instanceof NightshiftError ? err.code : undefined }, line);
      return undefined;
    }
  };

  // 2. Recovery of what a dead cycle left behind.
  const unfinished = findUnfinished(journalRecords, journal.cycleId);
  if (unfinished.length > 0) {
    record.recovery =
      (await step('recovery', () => recover({ paths, clock, log, production, journal, unfinished, config }))) ?? null;
  }

  // Managed production is nightshift's own process: if it is not up (first run, host reboot, a crash), start it
  // on its last healthy config before measuring, and say so in the record.
  if (production.mode === 'managed' && production.start) {
    const start = production.start.bind(production);
    await step('production', async () => {
      if (await production.health()) return;
      if (mode === 'observe') {
        // Observe changes nothing, not even a dead managed process: PHASE will measure it as it is.
        log.warn('managed production is not running (observe mode: not starting it)');
        return;
      }
      log.warn('managed production is not running; starting it before PHASE');
      const t0 = performance.now();
      const res = await start();
      record.production_started = {
        ok: res.ok,
        s: round((performance.now() - t0) / 1000 / config.target.time_scale, 1),
        ...(res.ok ? {} : { error: res.evidence?.line ?? 'not healthy' }),
      };
      if (!res.ok) log.error({ evidence: res.evidence }, 'managed production did not start');
    });
  }

  // 4. PHASE, then analysis.
  const phase = await step('phase', async () => {
    // The report names the config production really ran tonight (a promotion changes it), not the file's.
    const liveConfig = await production.current().catch(() => undefined);
    return runPhase({
      config,
      paths,
      clock,
      log,
      mode,
      runId: journal.cycleId,
      target: productionPhaseTarget(production),
      ...(liveConfig ? { liveConfig } : {}),
      ...(signal ? { signal } : {}),
    });
  });
  if (phase) {
    record.phase_epoch_id = phase.epochId;
    record.phase_status = phase.signal.status;
    // Real time against a twin is scaled back to model time, like every duration in the records.
    record.phase_duration_s = round(phase.durationMs / 1000 / config.target.time_scale, 1);
    record.phase_metrics = phaseHeadline(phase.records);
  } else {
    record.phase_status = 'error';
  }
  const analysis = phase
    ? await step('analysis', () => analyze({ config, paths, clock, log, epochId: phase.epochId, mode }))
    : undefined;
  if (analysis) {
    log.debug(
      {
        degraded: analysis.verdicts.filter(isDegraded).map((v) => `${v.domain} ${v.metric} ${v.outcome}: ${v.reason}`),
      },
      `analysis: ${analysis.status}`,
    );
    record.analysis_status = analysis.status;
    record.degradation_signals = count(analysis.degradation_signals);
  } else if (phase) {
    record.analysis_status = 'error';
  }

  // 5. Validation of provisional promotions against the nights before them.
  if (phase && analysis) {
    const results = await step('validation', () =>
      validatePromotions({
        config,
        paths,
        clock,
        log,
        production,
        journal,
        tonight: { epochId: phase.epochId, ts: phase.signal.ts },
        tonightSymptomKinds: [...new Set(analysis.verdicts.filter(isDegraded).map((v) => v.kind))],
        analysisStatus: analysis.status,
      }),
    );
    record.validation = results ?? [];
    for (const v of record.validation) {
      if (v.outcome === 'rolled_back') setRolledBack(true);
      // The breaker of the promotion's kind hears the verdict: a rollback did not fix it, a validation did.
      const outcome = breakerOutcomeOfValidation(v);
      if (v.kind && outcome) {
        const b = recordTuningOutcome(paths, mode, v.kind, outcome, config.loop.breaker_threshold, clock.now());
        if (b.opened) log.error({ kind: v.kind }, `circuit open: ${v.kind}: ${b.breaker.reason}`);
      }
    }
  }

  // 6. Escalation over every armed, unexpired flag; 7. breakers; then eligibility and tuning.
  const choice = await step('escalation', async () => {
    const c = chooseTrigger(armedFlags(paths, clock), openBreakers(readBreakers(paths)), clock.now());
    record.escalations_armed = c.armed.map((f) => f.kind);
    for (const kind of c.blocked) {
      log.error(
        { kind },
        `circuit open: ${kind} is armed but its tuning is stopped until \`nightshift breaker reset ${kind}\``,
      );
    }
    return c;
  });
  const trigger = choice?.trigger;
  if (!trigger) {
    if (choice && choice.blocked.length > 0) record.config_tuning_status = `circuit_open: ${choice.blocked.join(', ')}`;
    return;
  }
  record.config_tuning_triggered = true;
  record.config_tuning_trigger = { kind: trigger.kind, severity: trigger.severity };
  if (mode === 'observe') {
    record.config_tuning_status = `observe: would tune ${trigger.kind} (${trigger.severity})`;
    log.info({ kind: trigger.kind }, `observe mode: would run config tuning for ${trigger.kind}`);
    return;
  }
  await step('tuning', async () => {
    if (paused.aborted) throw new Paused('tuning');
    const run = await runTuning({
      config,
      paths,
      clock,
      log,
      engine,
      production,
      trigger: {
        kind: trigger.kind,
        severity: trigger.severity,
        symptoms: trigger.symptom_ids,
      },
      mode,
      ...(signal ? { signal } : {}),
      journal: (event: string, data: object) =>
        journal.event(event as Parameters<Journal['event']>[0], data as Record<string, unknown>),
    });
    record.config_tuning_status = run.status === 'deferred' ? `deferred: ${deferralText(run.reason)}` : run.status;
    if (run.status === 'aborted' && paused.aborted) {
      // Stopped by the kill switch, not a failed attempt: the breaker does not count it.
      record.config_tuning_status = 'aborted: paused';
      throw new Paused('tuning');
    }
    if (run.status === 'aborted' && interrupt?.aborted) {
      // Stopped by a shutdown, not a failed attempt: the breaker does not count it either.
      record.config_tuning_status = 'aborted: interrupted';
      throw new Interrupted('tuning', interrupt.reason);
    }
    if (run.status === 'deferred') log.warn({ kind: trigger.kind }, `config tuning ${record.config_tuning_status}`);
    record.config_tuning_promoted = run.promoted;
    record.promotion_id = run.promotion_id ?? null;
    const outcome: TuningOutcome =
      run.status === 'deferred'
        ? { kind: 'no_run' }
        : run.status === 'success' && (run.promoted || run.promotion_state === 'proposed')
          ? // Provisional until the next night's validation: the breaker's count neither closes nor grows.
            { kind: 'promoted', ref: run.promotion_id ?? run.run_id }
          : { kind: 'not_fixed', ref: run.run_id, why: run.reason ? `${run.status}: ${run.reason}` : run.status };
    const b = recordTuningOutcome(paths, mode, trigger.kind, outcome, config.loop.breaker_threshold, clock.now());
    if (b.opened) log.error({ kind: trigger.kind }, `circuit open: ${trigger.kind}: ${b.breaker.reason}`);
    // A fix applied to production answers the escalation; the next night's validation judges it.
    if (run.promoted && mode === 'act') resolveFlag(paths, trigger.kind, clock.now());
  });
}

function count(x: unknown): number {
  if (typeof x === 'number') return x;
  if (Array.isArray(x)) return x.length;
  return 0;
}
