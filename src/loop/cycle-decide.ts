/**
 * The cycle's decisions, pure: which armed escalation to tune first, what the tuning status line says, and the
 * exit code of the night (ARCHITECTURE.md §6).
 */
import type { Severity } from '../core/types.js';

/** An armed escalation flag as the cycle needs it (the symptoms stage writes more fields). */
export interface ArmedFlag {
  kind: string;
  set_at: number;
  expires_at: number;
  severity: Severity;
}

export interface TriggerChoice<F extends ArmedFlag> {
  /** the flag to tune for, if any is armed, unexpired and not behind an open breaker */
  trigger?: F;
  /** every armed, unexpired flag, in the order they would be taken */
  armed: F[];
  /** armed kinds skipped because their circuit breaker is open */
  blocked: string[];
}

const severityRank: Record<Severity, number> = { critical: 0, warning: 1 };

/**
 * Every armed, unexpired flag counts (not only those armed tonight). Critical before warning, then the oldest
 * first (it has waited longest), then by name so the choice is stable.
 */
export function chooseTrigger<F extends ArmedFlag>(flags: F[], openBreakers: string[], now: number): TriggerChoice<F> {
  const armed = flags
    .filter((f) => f.expires_at > now)
    .sort(
      (a, b) =>
        (severityRank[a.severity] ?? 2) - (severityRank[b.severity] ?? 2) ||
        a.set_at - b.set_at ||
        a.kind.localeCompare(b.kind),
    );
  const blocked = armed.filter((f) => openBreakers.includes(f.kind)).map((f) => f.kind);
  const trigger = armed.find((f) => !openBreakers.includes(f.kind));
  return trigger ? { trigger, armed, blocked } : { armed, blocked };
}

export const GATE_REASONS = ['window', 'budget', 'cooldown', 'rate_limit'] as const;
export type GateReasonName = (typeof GATE_REASONS)[number];

/** The short words a cycle record and `history` show for a deferral; the gate's detail goes beside them. */
export function deferralWords(reason: GateReasonName): string {
  switch (reason) {
    case 'window':
      return 'outside maintenance window';
    case 'budget':
      return 'canary budget spent';
    case 'cooldown':
      return 'cooldown';
    case 'rate_limit':
      return 'rate limit (runs in 24 h)';
  }
}

/**
 * The words after `deferred: ` in a cycle record: the tuning stage says `deferred: window`, the record says
 * `deferred: outside maintenance window`; a reason that is not a gate name is kept as it is.
 */
export function deferralText(reason: string | undefined): string {
  const bare = (reason ?? 'not eligible').replace(/^deferred:\s*/, '');
  return (GATE_REASONS as readonly string[]).includes(bare) ? deferralWords(bare as GateReasonName) : bare;
}

export interface ExitInput {
  /** kinds still armed (unexpired) when the cycle ends */
  armedAtEnd: string[];
  /** a promotion was applied to production tonight */
  promoted: boolean;
  /** production answered healthy after tonight's changes (null: not checked) */
  productionHealthy: boolean | null;
  /** tonight's validation rolled a promotion back */
  rolledBack: boolean;
  /** steps that failed tonight */
  errors: number;
}

/**
 * 2 fixed: a promotion was made and production is healthy. 1 degraded: an escalation is still armed, a
 * promotion was rolled back, a step failed, or production is unhealthy at the end of the cycle (a production
 * that did not come up is never a healthy night, flag or no flag). 0 healthy otherwise.
 */
export function decideExitCode(x: ExitInput): 0 | 1 | 2 {
  if (x.promoted && x.productionHealthy === true) return 2;
  if (x.promoted || x.productionHealthy === false || x.armedAtEnd.length > 0 || x.rolledBack || x.errors > 0) return 1;
  return 0;
}
