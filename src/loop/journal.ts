/**
 * The cycle journal (`autonomous_loop/journal.jsonl`): a begin and an end record around every step, plus the
 * events that leave something behind if nightshift dies in between (a canary process, a promotion half-done).
 * A cycle whose `cycle_begin` has no `cycle_end` died mid-way; the next run's recovery reads what it left open
 * from here. Appends are one fsynced line each, so a `kill -9` loses at most the line being written.
 */
import type { Mode } from '../core/types.js';
import { schemaId } from '../core/types.js';
import { appendJsonl, readJsonl, type Warn } from '../store/atomic.js';
import type { StatePaths } from '../store/paths.js';
import type { Clock } from '../system/clock.js';

export const CYCLE_STEPS = [
  'recovery',
  'production',
  'phase',
  'analysis',
  'validation',
  'escalation',
  'tuning',
  'record',
] as const;
export type CycleStep = (typeof CYCLE_STEPS)[number];

/** Events the tuning stage reports through its `journal` callback. */
export const TUNING_EVENTS = ['canary_started', 'canary_stopped', 'promotion_begin', 'promotion_end'] as const;
export type TuningEvent = (typeof TUNING_EVENTS)[number];

export type JournalType = 'cycle_begin' | 'cycle_end' | 'step_begin' | 'step_end' | 'recovered' | TuningEvent;

export interface JournalRecord {
  schema: 'nightshift.journal/v1';
  mode: Mode;
  cycle_id: string;
  ts: number;
  type: JournalType;
  step?: CycleStep;
  data?: Record<string, unknown>;
}

export interface Journal {
  readonly cycleId: string;
  cycleBegin(data?: Record<string, unknown>): void;
  cycleEnd(data?: Record<string, unknown>): void;
  stepBegin(step: CycleStep): void;
  stepEnd(step: CycleStep, data?: Record<string, unknown>): void;
  /** the tuning stage's callback: canary_started {pid, port, config}, promotion_begin {...}, ... */
  event(type: TuningEvent | 'recovered', data: Record<string, unknown>): void;
}

export function openJournal(paths: StatePaths, clock: Clock, cycleId: string, mode: Mode): Journal {
  const write = (type: JournalType, extra: { step?: CycleStep; data?: Record<string, unknown> } = {}) => {
    const record: JournalRecord = {
      schema: schemaId('journal') as JournalRecord['schema'],
      mode,
      cycle_id: cycleId,
      ts: clock.now(),
      type,
      ...(extra.step ? { step: extra.step } : {}),
      ...(extra.data ? { data: extra.data } : {}),
    };
    appendJsonl(paths.journal(), record);
  };
  return {
    cycleId,
    cycleBegin: (data) => write('cycle_begin', data ? { data } : {}),
    cycleEnd: (data) => write('cycle_end', data ? { data } : {}),
    stepBegin: (step) => write('step_begin', { step }),
    stepEnd: (step, data) => write('step_end', data ? { step, data } : { step }),
    event: (type, data) => write(type, { data }),
  };
}

export function readJournal(paths: StatePaths, warn?: Warn): JournalRecord[] {
  return readJsonl<JournalRecord>(paths.journal(), warn);
}

/** What a cycle that died left open, read from its journal records. */
export interface Unfinished {
  cycle_id: string;
  /** the step that had begun and not ended when it died */
  open_steps: CycleStep[];
  /** canaries started and never reported stopped */
  canaries: { pid: number; port?: number }[];
  /** promotions begun and never ended: the data of their `promotion_begin` */
  promotions: Record<string, unknown>[];
}

/**
 * Pure: the cycles that began and neither ended nor were recovered by a later run, oldest first, each with
 * what it left open. `exceptCycle` is the cycle now running (it has begun and, of course, not ended).
 */
export function findUnfinished(records: JournalRecord[], exceptCycle?: string): Unfinished[] {
  const recovered = new Set<string>();
  for (const r of records) {
    if (r.type !== 'recovered') continue;
    const ids = r.data?.cycles;
    if (Array.isArray(ids)) for (const id of ids) if (typeof id === 'string') recovered.add(id);
  }
  const byCycle = new Map<string, JournalRecord[]>();
  for (const r of records) {
    if (r.cycle_id === exceptCycle) continue;
    const list = byCycle.get(r.cycle_id) ?? [];
    list.push(r);
    byCycle.set(r.cycle_id, list);
  }
  const out: Unfinished[] = [];
  for (const [cycleId, list] of byCycle) {
    if (recovered.has(cycleId)) continue;
    if (!list.some((r) => r.type === 'cycle_begin')) continue;
    if (list.some((r) => r.type === 'cycle_end')) continue;
    out.push(openWork(cycleId, list));
  }
  return out.sort((a, b) => a.cycle_id.localeCompare(b.cycle_id));
}

function openWork(cycleId: string, list: JournalRecord[]): Unfinished {
  const steps = new Map<CycleStep, number>();
  const canaries = new Map<number, { pid: number; port?: number }>();
  const promotions: Record<string, unknown>[] = [];
  for (const r of list) {
    if (r.type === 'step_begin' && r.step) steps.set(r.step, (steps.get(r.step) ?? 0) + 1);
    if (r.type === 'step_end' && r.step) steps.set(r.step, (steps.get(r.step) ?? 0) - 1);
    const pid = typeof r.data?.pid === 'number' ? r.data.pid : undefined;
    if (r.type === 'canary_started' && pid !== undefined) {
      const port = typeof r.data?.port === 'number' ? r.data.port : undefined;
      canaries.set(pid, port === undefined ? { pid } : { pid, port });
    }
    if (r.type === 'canary_stopped' && pid !== undefined) canaries.delete(pid);
    if (r.type === 'promotion_begin') promotions.push(r.data ?? {});
    if (r.type === 'promotion_end') {
      // A promotion_end closes the latest open promotion (one promotion at a time per cycle).
      const id = r.data?.promotion_id;
      const i = id === undefined ? promotions.length - 1 : promotions.findIndex((p) => p.promotion_id === id);
      if (i >= 0) promotions.splice(i, 1);
    }
  }
  return {
    cycle_id: cycleId,
    open_steps: [...steps].filter(([, n]) => n > 0).map(([s]) => s),
    canaries: [...canaries.values()],
    promotions,
  };
}
