/**
 * `nightshift tune [--dry-run] [--kind KIND]`: one tuning run now (gates, canaries, promotion), or with
 * --dry-run what would be generated and whether the gates allow it, nothing started.
 * `nightshift tune validate KEY=VALUE...`: would this candidate be accepted? Explains a rejection (exit 3).
 */
import { ExitCode, UsageError } from '../core/errors.js';
import { hashSeed, seededRng } from '../core/random.js';
import { isoLocal } from '../core/time.js';
import type { EngineConfig } from '../core/types.js';
import { generateCandidatesExplained } from '../loop/tuning/candidates.js';
import { readHistory } from '../loop/tuning/history.js';
import { phaseContext } from '../loop/tuning/phase-context.js';
import { triggerFromFlags } from '../loop/tuning/trigger.js';
import { runTuning, tuningGate } from '../loop/tuning/tune.js';
import type { TuningRun } from '../loop/tuning/types.js';
import { changedKnobs, validateCandidate } from '../loop/tuning/validate.js';
import { acquireLock } from '../store/lock.js';
import { interruptSignal } from '../system/process.js';
import { createProduction } from '../targets/production/index.js';
import { engineFor } from '../targets/registry.js';
import { action, type Register, windDownMs } from './command.js';
import { type CliContext, type Output, printJson } from './context.js';

interface TuneOptions {
  dryRun?: boolean;
  kind?: string;
}

/** KEY=VALUE → a knob value: true/false, a number, else the text. */
export function parseAssignments(pairs: readonly string[]): EngineConfig {
  const out: EngineConfig = {};
  for (const pair of pairs) {
    const m = /^([A-Za-z_][A-Za-z0-9_-]*)=(.*)$/.exec(pair);
    if (!m) throw new UsageError(`tune validate: expected KEY=VALUE, found "${pair}"`, 'e.g. max_num_seqs=128');
    const key = (m[1] as string).replace(/-/g, '_');
    const raw = (m[2] as string).trim();
    out[key] =
      raw === 'true' ? true : raw === 'false' ? false : raw !== '' && Number.isFinite(Number(raw)) ? Number(raw) : raw;
  }
  return out;
}

function fmt(config: EngineConfig): string {
  return Object.entries(config)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
}

function renderRun(io: Output, run: TuningRun): void {
  // A deferral's reason already starts with its word ("deferred: budget"): do not say it twice.
  const reason = run.reason?.replace(new RegExp(`^${run.status}:\\s*`), '');
  io.out(`tuning run ${run.run_id}: ${run.status}${reason ? ` — ${reason}` : ''}`);
  const rows = [...(run.control ? [run.control] : []), ...run.candidates];
  for (const r of rows) {
    const what = r.role === 'control' ? 'control' : r.changed.map((k) => `${k}=${r.config[k]}`).join(' ');
    io.out(
      `  ${r.status.padEnd(12)} fitness ${r.fitness.toFixed(3)}  ${(`${r.canary_seconds.toFixed(1)} s`).padStart(8)}  ${what}${r.reason && r.status !== 'pass' ? `  (${r.reason})` : ''}`,
    );
  }
  if (run.promotion_id) io.out(`  promotion ${run.promotion_id}: ${run.promotion_state ?? ''}`);
  io.out(`  canary time ${run.canary_seconds} s${run.restore_s !== undefined ? `, restore ${run.restore_s} s` : ''}`);
}

async function dryRun(ctx: CliContext, opts: TuneOptions): Promise<number> {
  const { config, paths, clock, io, log } = ctx;
  const engine = engineFor(config.target.engine);
  const production = createProduction(config, paths, { clock, log, engine });
  const gate = tuningGate(paths, clock, config);
  const trigger = triggerFromFlags(paths, clock, config, opts.kind);
  const current = await production.current();
  const phase = phaseContext(paths, log);
  const tctx = phase.contextInUse !== undefined ? { contextInUse: phase.contextInUse } : {};
  const plan = trigger
    ? generateCandidatesExplained({
        engine,
        current,
        trigger,
        history: readHistory(paths, { engine: engine.name, model: config.target.model }),
        cfg: config,
        ctx: tctx,
        rng: seededRng(hashSeed(`dry-run|${clock.now()}`)),
      })
    : [];
  const result = {
    now: isoLocal(clock.now(), config.timezone),
    gate: {
      allowed: gate.allowed,
      ...(gate.allowed ? {} : { reason: gate.reason, detail: gate.detail }),
      night: gate.night,
      budget_left_s: gate.budgetLeftS,
      state: gate.state,
    },
    trigger: trigger ?? null,
    current,
    context_in_use: phase.contextInUse ?? null,
    candidates: plan,
  };
  if (ctx.json) {
    printJson(io, result);
    return 0;
  }
  io.out(
    gate.allowed
      ? `gates: allowed (night ${gate.night}, ${gate.budgetLeftS} s of canary budget left)`
      : `gates: deferred: ${gate.reason} — ${gate.detail}`,
  );
  if (!trigger) {
    io.out('trigger: no escalation flag armed; nothing to tune (use --kind KIND to tune anyway)');
    return 0;
  }
  io.out(`trigger: ${trigger.kind} (${trigger.severity}${trigger.armed ? ', flag armed' : ', manual'})`);
  io.out(`current: ${fmt(current)}`);
  io.out(`candidates (${plan.length}):`);
  for (const [i, p] of plan.entries()) {
    io.out(`  ${i + 1}. ${p.changed.map((k) => `${k}=${p.config[k]}`).join(' ')}  — ${p.why}`);
  }
  return 0;
}

async function tune(ctx: CliContext, opts: TuneOptions): Promise<number> {
  if (opts.dryRun) return dryRun(ctx, opts);
  const { config, paths, clock, io, log } = ctx;
  const trigger = triggerFromFlags(paths, clock, config, opts.kind);
  if (!trigger) {
    if (ctx.json) printJson(io, { status: 'nothing_to_tune' });
    else io.out('no escalation flag armed; nothing to tune (use --kind KIND to tune anyway)');
    return 0;
  }
  const lock = acquireLock(paths.lockFile(), { now: clock.now(), zone: config.timezone, warn: (m) => log.warn(m) });
  try {
    const engine = engineFor(config.target.engine);
    const production = createProduction(config, paths, { clock, log, engine });
    const { armed: _armed, ...t } = trigger;
    const stop = interruptSignal(windDownMs(config));
    let run: Awaited<ReturnType<typeof runTuning>>;
    try {
      run = await runTuning({
        config,
        paths,
        clock,
        log,
        engine,
        production,
        trigger: t,
        mode: config.mode,
        signal: stop.signal,
      });
    } finally {
      stop.dispose();
    }
    if (ctx.json) printJson(io, run);
    else renderRun(io, run);
    // 0 only when the run did its job (a promotion, or a proposal in recommend mode); deferred, failed, no
    // improvement and aborted runs exit 1 like a degraded night, so scripts can tell.
    return stop.exitCode() ?? (run.status === 'success' ? 0 : 1);
  } finally {
    lock.release();
  }
}

async function validate(ctx: CliContext, pairs: string[]): Promise<number> {
  const { config, paths, clock, io, log } = ctx;
  if (pairs.length === 0) throw new UsageError('tune validate: name at least one KEY=VALUE', 'e.g. max_num_seqs=128');
  const engine = engineFor(config.target.engine);
  const production = createProduction(config, paths, { clock, log, engine });
  const current = await production.current();
  const candidate = { ...current, ...parseAssignments(pairs) };
  const phase = phaseContext(paths, log);
  const v = validateCandidate(
    engine,
    current,
    candidate,
    config,
    phase.contextInUse !== undefined ? { contextInUse: phase.contextInUse } : {},
  );
  if (ctx.json) printJson(io, { current, candidate, changed: changedKnobs(engine, current, candidate), ...v });
  else if (v.ok)
    io.out(
      `valid: ${changedKnobs(engine, current, candidate)
        .map((k) => `${k} ${current[k] ?? '(default)'} → ${candidate[k]}`)
        .join(', ')}`,
    );
  else {
    io.out(`rejected: ${fmt(candidate)}`);
    for (const r of v.reasons) io.out(`  - ${r}`);
  }
  return v.ok ? 0 : ExitCode.usage;
}

export const registerTune: Register = (program, exit, io) => {
  const cmd = program
    .command('tune')
    .description('Run config tuning now: gates, candidates on canaries, fitness, promotion')
    .option('--dry-run', 'show the candidates that would be generated and whether the gates allow it; start nothing')
    .option('--kind <kind>', 'the symptom kind to tune for (default: the first armed escalation flag)')
    .option('--json', 'print as JSON')
    .action(action(exit, io, (ctx, opts: TuneOptions) => tune(ctx, opts)));
  cmd
    .command('validate')
    .description('Check a candidate config against the knob bounds, steps and constraints; explain a rejection')
    .argument('<assignments...>', 'KEY=VALUE knob values, applied on top of the current config')
    .option('--json', 'print as JSON')
    .action(action(exit, io, (ctx, pairs: string[]) => validate(ctx, pairs)));
};
