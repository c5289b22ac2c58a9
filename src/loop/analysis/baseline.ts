/**
 * The baseline: which sealed nights tonight is compared with. The last `baseline_days` of sealed, verified
 * reports before tonight, minus quarantined epochs (marked bad by the user, or nights of a rolled-back
 * promotion) — or, when the user pinned a known-good set, exactly that set. Pins and quarantine live in
 * `baseline/pins.json`: {pinned: [...], quarantined: [{epoch, reason, at}]}.
 */
import type { Config } from '../../config/schema.js';
import { StateError } from '../../core/errors.js';
import type { PhaseSignal } from '../../core/report.js';
import { readJson, writeJsonAtomic } from '../../store/atomic.js';
import type { StatePaths } from '../../store/paths.js';
import { type Clock, systemClock } from '../../system/clock.js';
import type { Logger } from '../../system/log.js';
import { listSealedEpochs, readVerifiedReport, type VerifiedReport } from '../phase/report.js';

const DAY_MS = 86_400_000;

export interface Quarantined {
  epoch: string;
  reason: string;
  at: number;
}

export interface Pins {
  pinned: string[];
  quarantined: Quarantined[];
}

export function readPins(paths: StatePaths): Pins {
  const file = paths.baselinePins();
  let raw: unknown;
  try {
    raw = readJson(file);
  } catch (err) {
    throw new StateError(`baseline: ${file} is not valid JSON`, {
      hint: 'fix or delete the file (`nightshift baseline unpin` rewrites it)',
      cause: err,
    });
  }
  if (raw === undefined) return emptyPins();
  const r = raw as Partial<Pins>;
  return {
    pinned: Array.isArray(r.pinned) ? r.pinned.filter((e): e is string => typeof e === 'string') : [],
    quarantined: Array.isArray(r.quarantined)
      ? r.quarantined.filter((q): q is Quarantined => typeof q?.epoch === 'string')
      : [],
  };
}

function emptyPins(): Pins {
  return { pinned: [], quarantined: [] };
}

function writePins(paths: StatePaths, pins: Pins): Pins {
  writeJsonAtomic(paths.baselinePins(), pins);
  return pins;
}

/** Use exactly these epochs as the baseline (replaces any earlier pin). */
export function pinBaseline(paths: StatePaths, epochs: readonly string[]): Pins {
  const pins = readPins(paths);
  return writePins(paths, { ...pins, pinned: [...new Set(epochs)].sort() });
}

/** Back to the rolling window of the last `baseline_days`. */
export function unpinBaseline(paths: StatePaths): Pins {
  return writePins(paths, { ...readPins(paths), pinned: [] });
}

/**
 * Leave these epochs out of every baseline from now on. Quarantining an already quarantined epoch keeps its
 * first reason. `clock` gives the record's time; the loop passes its own, the CLI the system clock.
 */
export function quarantineEpochs(
  paths: StatePaths,
  epochs: readonly string[],
  reason: string,
  clock: Clock = systemClock,
): Pins {
  const pins = readPins(paths);
  const known = new Set(pins.quarantined.map((q) => q.epoch));
  const at = clock.now();
  const added = [...new Set(epochs)].filter((e) => !known.has(e)).map((epoch) => ({ epoch, reason, at }));
  return writePins(paths, { ...pins, quarantined: [...pins.quarantined, ...added] });
}

/** Take epochs out of quarantine (a mistaken mark). */
export function releaseEpochs(paths: StatePaths, epochs: readonly string[]): Pins {
  const pins = readPins(paths);
  const drop = new Set(epochs);
  return writePins(paths, { ...pins, quarantined: pins.quarantined.filter((q) => !drop.has(q.epoch)) });
}

export interface Candidate {
  epochId: string;
  ts: number;
}

export interface BaselineSelection {
  epochs: string[];
  /** epochs considered and left out, with why */
  excluded: { epoch: string; reason: string }[];
}

/**
 * Pure: the baseline epochs for tonight. Pinned set (if any) or the window [tonight − days, tonight);
 * never tonight itself or a later night; quarantined and explicitly excluded epochs are left out.
 */
export function selectBaseline(
  candidates: readonly Candidate[],
  tonight: Candidate,
  pins: Pins,
  exclude: readonly string[],
  days: number,
): BaselineSelection {
  const quarantined = new Map(pins.quarantined.map((q) => [q.epoch, q.reason]));
  const excludeSet = new Set(exclude);
  const pinned = new Set(pins.pinned);
  const usePins = pinned.size > 0;
  const from = tonight.ts - days * DAY_MS;
  const epochs: string[] = [];
  const excluded: BaselineSelection['excluded'] = [];
  for (const c of [...candidates].sort((a, b) => a.ts - b.ts || a.epochId.localeCompare(b.epochId))) {
    if (c.epochId === tonight.epochId) continue;
    if (usePins) {
      if (!pinned.has(c.epochId)) continue;
    } else if (c.ts >= tonight.ts || c.ts < from) continue;
    const q = quarantined.get(c.epochId);
    if (q !== undefined) excluded.push({ epoch: c.epochId, reason: `quarantined: ${q}` });
    else if (excludeSet.has(c.epochId)) excluded.push({ epoch: c.epochId, reason: 'excluded by the caller' });
    else epochs.push(c.epochId);
  }
  return { epochs, excluded };
}

export interface LoadedBaseline {
  reports: VerifiedReport[];
  epochs: string[];
  excluded: { epoch: string; reason: string }[];
  pinned: boolean;
}

/**
 * The edge: list sealed epochs (their signals give the time), select, and read each selected report with its
 * seal verified. A report that fails verification is left out with a warning; it is never trusted.
 */
export function loadBaseline(
  paths: StatePaths,
  config: Config,
  tonight: Pick<PhaseSignal, 'epoch_id' | 'ts'>,
  exclude: readonly string[],
  log: Logger,
): LoadedBaseline {
  const pins = readPins(paths);
  const candidates: Candidate[] = [];
  for (const epochId of listSealedEpochs(paths)) {
    if (epochId === tonight.epoch_id) continue;
    let signal: PhaseSignal | undefined;
    try {
      signal = readJson<PhaseSignal>(paths.signalFile(epochId));
    } catch {
      log.warn({ epoch: epochId }, `baseline: completion signal of ${epochId} is not valid JSON; left out`);
      continue;
    }
    if (signal && typeof signal.ts === 'number') candidates.push({ epochId, ts: signal.ts });
  }
  const selection = selectBaseline(
    candidates,
    { epochId: tonight.epoch_id, ts: tonight.ts },
    pins,
    exclude,
    config.analysis.baseline_days,
  );
  const reports: VerifiedReport[] = [];
  const excluded = [...selection.excluded];
  for (const epoch of selection.epochs) {
    try {
      reports.push(readVerifiedReport(paths, epoch));
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      log.warn({ epoch }, `baseline: ${epoch} left out: ${reason}`);
      excluded.push({ epoch, reason });
    }
  }
  return { reports, epochs: reports.map((r) => r.signal.epoch_id), excluded, pinned: pins.pinned.length > 0 };
}
