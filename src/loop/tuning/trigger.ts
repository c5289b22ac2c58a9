/**
 * The trigger of a tuning run, from the escalation flags: the armed flag of the asked kind (or the first armed
 * one), its symptom ids, and the evidence those symptoms carried (vLLM's "estimated maximum model length is N"
 * steers OOM candidates).
 */
import type { Config } from '../../config/schema.js';
import { parseDuration } from '../../core/time.js';
import type { Evidence, Severity } from '../../core/types.js';
import type { StatePaths } from '../../store/paths.js';
import type { Clock } from '../../system/clock.js';
import { armedFlags, type Flag } from '../symptoms/flags.js';
import { readSymptoms } from '../symptoms/ledger.js';
import type { Trigger } from './types.js';

function isEvidence(e: unknown): e is Evidence {
  return typeof e === 'object' && e !== null && typeof (e as Evidence).line === 'string';
}

/**
 * Evidence lines the given symptoms carried in their meta (`evidence: Evidence[]` or a single `line`), looked
 * up in the ledger from `fromMs` to `now`.
 */
export function symptomEvidence(
  paths: StatePaths,
  config: Config,
  ids: readonly string[],
  fromMs: number,
  now: number,
): Evidence[] {
  if (ids.length === 0) return [];
  const wanted = new Set(ids);
  const out: Evidence[] = [];
  for (const s of readSymptoms(paths, config.timezone, fromMs, now)) {
    if (!wanted.has(s.id)) continue;
    const ev = s.meta.evidence;
    if (Array.isArray(ev)) out.push(...ev.filter(isEvidence));
    else if (isEvidence(ev)) out.push(ev);
    if (typeof s.meta.line === 'string') out.push({ source: 'log', line: s.meta.line });
  }
  return out.slice(0, 50);
}

/** The evidence of a flag's symptoms (they are at most the escalation window older than the flag). */
export function flagEvidence(paths: StatePaths, config: Config, flag: Flag, now: number): Evidence[] {
  const from =
    Math.min(flag.first_set_at ?? flag.set_at, flag.set_at) - parseDuration(config.escalation.window) - 86_400_000;
  return symptomEvidence(paths, config, flag.symptom_ids, from, now);
}

/**
 * The trigger for `kind` (or the first armed flag when no kind is asked). With a kind and no armed flag of it,
 * a manual trigger of that kind (`nightshift tune --kind oom`); with neither, undefined: nothing to tune.
 */
export function triggerFromFlags(
  paths: StatePaths,
  clock: Clock,
  config: Config,
  kind?: string,
): (Trigger & { armed: boolean }) | undefined {
  const flags = armedFlags(paths, clock);
  const flag = kind === undefined ? flags[0] : flags.find((f) => f.kind === kind);
  if (!flag) return kind === undefined ? undefined : { kind, severity: 'warning', armed: false };
  const severity: Severity = flag.severity === 'critical' ? 'critical' : 'warning';
  const evidence = flagEvidence(paths, config, flag, clock.now());
  return {
    kind: flag.kind,
    severity,
    symptoms: flag.symptom_ids,
    ...(evidence.length > 0 ? { evidence } : {}),
    armed: true,
  };
}
