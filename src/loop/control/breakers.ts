/**
 * Circuit breakers (`control/breakers.json`), one per escalation kind. Each tuning run for a kind that did not
 * fix it (all candidates failed, no improvement, aborted, or its promotion was rolled back) counts; after
 * `loop.breaker_threshold` in a row the breaker opens and the loop stops tuning that kind until a person runs
 * `nightshift breaker reset KIND`. A promotion is only provisional: it leaves the count as it is until the
 * next night's validation says `validated` (fixed: the count closes) or rolls it back (not fixed: it counts).
 * Otherwise a config that passes its canary and fails production every night would reset the count each time
 * and the breaker could never open.
 */
import { StateError } from '../../core/errors.js';
import type { Mode } from '../../core/types.js';
import { schemaId } from '../../core/types.js';
import { readJson, writeJsonAtomic } from '../../store/atomic.js';
import type { StatePaths } from '../../store/paths.js';

export interface Breaker {
  state: 'closed' | 'open';
  /** consecutive runs for this kind that did not fix it */
  failures: number;
  /** the run ids (or promotion ids) of those runs, newest last */
  recent: string[];
  opened_at?: number;
  /** plain words: why it opened */
  reason?: string;
}

export interface BreakersFile {
  schema: 'nightshift.breakers/v1';
  mode: Mode;
  kinds: Record<string, Breaker>;
}

export type TuningOutcome =
  /** a validated promotion (or a proposal an operator applies is validated later): the count closes */
  | { kind: 'fixed'; ref: string }
  /** a provisional (or proposed) promotion: no verdict yet, the count stays until validation */
  | { kind: 'promoted'; ref: string }
  | { kind: 'not_fixed'; ref: string; why: string }
  /** deferred or not run: no evidence either way, the count stays */
  | { kind: 'no_run' };

const closed = (): Breaker => ({ state: 'closed', failures: 0, recent: [] });

/** Pure: the breaker after one tuning outcome for its kind. `opened` says it opened with this outcome. */
export function nextBreaker(
  prev: Breaker | undefined,
  outcome: TuningOutcome,
  threshold: number,
  now: number,
): { breaker: Breaker; opened: boolean } {
  const b = prev ?? closed();
  if (outcome.kind === 'no_run' || outcome.kind === 'promoted') return { breaker: b, opened: false };
  if (outcome.kind === 'fixed') {
    // An open breaker stays open until a person resets it, even if some other path promoted a fix.
    return { breaker: b.state === 'open' ? b : closed(), opened: false };
  }
  const failures = b.failures + 1;
  const recent = [...b.recent, outcome.ref].slice(-Math.max(threshold, 1));
  if (b.state === 'open') return { breaker: { ...b, failures, recent }, opened: false };
  if (failures >= threshold) {
    return {
      breaker: {
        state: 'open',
        failures,
        recent,
        opened_at: now,
        reason: `${failures} tuning runs in a row did not fix it (last: ${outcome.why})`,
      },
      opened: true,
    };
  }
  return { breaker: { ...b, failures, recent }, opened: false };
}

/**
 * The breakers. An unreadable file is the state directory's fault (exit 5, the file named): which kinds were
 * open is unknown, so the loop must not guess that none were.
 */
export function readBreakers(paths: StatePaths): Record<string, Breaker> {
  const file = paths.breakersFile();
  try {
    return readJson<BreakersFile>(file)?.kinds ?? {};
  } catch (err) {
    throw new StateError(`breakers: ${file} is not valid JSON`, {
      hint: 'fix it, or remove it to close every breaker (then check `nightshift history` for failed tuning runs)',
      cause: err,
    });
  }
}

export function writeBreakers(paths: StatePaths, mode: Mode, kinds: Record<string, Breaker>): void {
  const file: BreakersFile = { schema: schemaId('breakers') as BreakersFile['schema'], mode, kinds };
  writeJsonAtomic(paths.breakersFile(), file);
}

export function openBreakers(kinds: Record<string, Breaker>): string[] {
  return Object.entries(kinds)
    .filter(([, b]) => b.state === 'open')
    .map(([k]) => k)
    .sort();
}

/** Apply one outcome and persist; returns whether the breaker opened now. */
export function recordTuningOutcome(
  paths: StatePaths,
  mode: Mode,
  kindName: string,
  outcome: TuningOutcome,
  threshold: number,
  now: number,
): { breaker: Breaker; opened: boolean } {
  const kinds = readBreakers(paths);
  const next = nextBreaker(kinds[kindName], outcome, threshold, now);
  kinds[kindName] = next.breaker;
  writeBreakers(paths, mode, kinds);
  return next;
}

/** `nightshift breaker reset KIND`: close it and forget the count. Returns the breaker as it was. */
export function resetBreaker(paths: StatePaths, mode: Mode, kindName: string): Breaker | undefined {
  const kinds = readBreakers(paths);
  const was = kinds[kindName];
  kinds[kindName] = closed();
  writeBreakers(paths, mode, kinds);
  return was;
}
