/**
 * Is the target down tonight? Pure. PHASE's `health` domain asks the target the three questions every user
 * depends on (/health, /v1/models, one completion). When it fails, every other domain errors `target
 * unreachable` and is inconclusive by design (an errored measurement is spoiled), so without this verdict a
 * dead production would be judged healthy. A failed health domain is an event with its own evidence, not a
 * noisy measurement: it is critical tonight with no statistical test and no baseline needed.
 *
 * Counted as down: `health` failed (refused connection, /health 503, model not listed, the completion failed),
 * or it errored by running into its domain timeout (a target that accepts connections and never answers).
 * A health domain that errored for another reason (not run, cut short by the run's own abort, invalid options)
 * says nothing about the target and stays inconclusive.
 * Not counted: a health domain that saw the engine run out of memory (oom_events > 0). The target went down
 * because of the OOM, and the critical oom_event verdict already names that cause with its evidence; a
 * target_down symptom beside it would arm a second flag that the OOM's fix never clears.
 */
import type { Evidence } from '../../core/types.js';
import type { DomainNight } from './night.js';

/** The PHASE domain whose failure means the target is down. */
export const HEALTH_DOMAIN = 'health';

/** The PHASE runner's reason for a domain cut by its own timeout (src/loop/phase/run.ts). */
const DOMAIN_TIMEOUT = /^timed out after /;

export interface TargetDown {
  /** plain words for the verdict: "health failed tonight: target unreachable: …" */
  reason: string;
  /** the health domain's own reason, as PHASE recorded it */
  domainReason: string | null;
  evidence: Evidence[];
}

/** Why the target is down tonight according to the health domain, or undefined when it is not known to be. */
export function targetDown(health: DomainNight | undefined): TargetDown | undefined {
  if (!health) return undefined;
  if ((health.metrics.oom_events ?? 0) > 0) return undefined;
  const domainReason = health.reason ?? null;
  const evidence = health.evidence ?? [];
  if (health.status === 'fail') {
    return { reason: `health failed tonight: ${domainReason ?? 'no reason recorded'}`, domainReason, evidence };
  }
  if (health.status === 'error' && domainReason !== null && DOMAIN_TIMEOUT.test(domainReason)) {
    return { reason: `health did not answer tonight: ${domainReason}`, domainReason, evidence };
  }
  return undefined;
}
