/**
 * Escalation: for each symptom kind, `threshold` or more symptoms in the rolling window (now − window, now]
 * arm `flags/escalate_<kind>.json` for `flag_ttl`, provided the newest of them is younger than `flag_ttl`
 * (old symptoms alone never re-arm an expired flag). `critical_threshold` or more critical symptoms of the kind
 * arm it too (the newest critical one younger than `flag_ttl`): an engine that dies of OOM leaves one critical
 * oom_event a night, because the domains after the crash cannot measure, so with one cycle a night a count of
 * all symptoms would never reach `threshold` while production keeps dying. Arming an armed flag refreshes it (new set_at and
 * expires_at, first_set_at kept). A flag whose symptoms have aged out stays armed until its TTL ends, so a
 * flag armed earlier and still valid keeps counting for the loop. Expired flags are removed.
 * `decideEscalation` is the pure decision; `evaluateEscalation` reads the ledger and flags and applies it.
 */
import type { Config } from '../../config/schema.js';
import { formatDuration, parseDuration } from '../../core/time.js';
import { type Mode, schemaId } from '../../core/types.js';
import type { Warn } from '../../store/atomic.js';
import type { StatePaths } from '../../store/paths.js';
import type { Clock } from '../../system/clock.js';
import { clearFlag, type Flag, readFlags, readResolutions, writeFlag } from './flags.js';
import { readSymptoms, type Symptom, symptomSeverity } from './ledger.js';

export interface EscalationConfig {
  windowMs: number;
  threshold: number;
  /** critical symptoms of one kind that arm its flag on their own */
  criticalThreshold: number;
  ttlMs: number;
  mode: Mode;
}

export function escalationConfig(config: Config, mode: Mode = config.mode): EscalationConfig {
  return {
    windowMs: parseDuration(config.escalation.window),
    threshold: config.escalation.threshold,
    criticalThreshold: config.escalation.critical_threshold,
    ttlMs: parseDuration(config.escalation.flag_ttl),
    mode,
  };
}

export interface EscalationDecision {
  /** flags to write now: newly armed or refreshed */
  arm: Flag[];
  /** kinds whose flags have expired and are to be removed */
  expire: string[];
}

export function decideEscalation(
  symptoms: readonly Symptom[],
  existing: readonly Flag[],
  now: number,
  cfg: EscalationConfig,
  /** per kind, when a fix last resolved its escalation: symptoms up to then led to that fix and never re-arm */
  resolvedAt: ReadonlyMap<string, number> = new Map(),
): EscalationDecision {
  const expire = existing.filter((f) => f.expires_at <= now).map((f) => f.kind);
  const live = new Map(existing.filter((f) => f.expires_at > now).map((f) => [f.kind, f]));
  const byKind = new Map<string, Symptom[]>();
  for (const s of symptoms) {
    if (!(s.ts > now - cfg.windowMs && s.ts <= now)) continue;
    if (s.ts <= (resolvedAt.get(s.kind) ?? Number.NEGATIVE_INFINITY)) continue;
    const list = byKind.get(s.kind) ?? [];
    list.push(s);
    byKind.set(s.kind, list);
  }
  const arm: Flag[] = [];
  for (const [kind, list] of [...byKind.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const criticals = list.filter((s) => symptomSeverity(s) === 'critical');
    // Only fresh evidence arms: without a symptom of this kind inside the TTL, an evaluation prompted by
    // something else (another kind's symptom, a re-run analysis) must neither keep the flag alive past its TTL
    // nor bring an expired flag back from the same old symptoms. The critical count needs a fresh critical
    // symptom of its own: yesterday's critical one plus tonight's warning is not a critical night.
    const byCount = list.length >= cfg.threshold && isFresh(list, now, cfg.ttlMs);
    const byCritical = criticals.length >= cfg.criticalThreshold && isFresh(criticals, now, cfg.ttlMs);
    if (!byCount && !byCritical) continue;
    const previous = live.get(kind);
    const critical = criticals.length > 0;
    const why = byCount
      ? `${list.length} ${kind} symptoms in the last ${formatDuration(cfg.windowMs)} (threshold ${cfg.threshold})`
      : `${criticals.length} critical ${kind} symptom${criticals.length === 1 ? '' : 's'} (critical threshold ${cfg.criticalThreshold}) in the last ${formatDuration(cfg.windowMs)}`;
    arm.push({
      schema: schemaId('flag') as Flag['schema'],
      kind,
      set_at: now,
      first_set_at: previous ? (previous.first_set_at ?? previous.set_at) : now,
      expires_at: now + cfg.ttlMs,
      symptom_count: list.length,
      symptom_ids: list.map((s) => s.id),
      reason: `${why}${previous ? '; refreshed' : ''}`,
      severity: critical ? 'critical' : 'warning',
      mode: cfg.mode,
    });
  }
  return { arm, expire };
}

/** Is the newest of these symptoms younger than the flag TTL? */
function isFresh(list: readonly Symptom[], now: number, ttlMs: number): boolean {
  let newest = Number.NEGATIVE_INFINITY;
  for (const s of list) newest = Math.max(newest, s.ts);
  return newest > now - ttlMs;
}

export interface EscalationResult {
  /** flags armed or refreshed by this evaluation */
  armed: Flag[];
  /** kinds whose expired flags were removed */
  expired: string[];
}

export function evaluateEscalation(
  paths: StatePaths,
  clock: Clock,
  config: Config,
  opts: { mode?: Mode; warn?: Warn } = {},
): EscalationResult {
  const cfg = escalationConfig(config, opts.mode);
  const now = clock.now();
  const symptoms = readSymptoms(paths, config.timezone, now - cfg.windowMs, now, opts.warn);
  const decision = decideEscalation(symptoms, readFlags(paths, opts.warn), now, cfg, readResolutions(paths));
  const armedKinds = new Set(decision.arm.map((f) => f.kind));
  for (const kind of decision.expire) if (!armedKinds.has(kind)) clearFlag(paths, kind);
  for (const flag of decision.arm) writeFlag(paths, flag);
  return { armed: decision.arm, expired: decision.expire };
}
