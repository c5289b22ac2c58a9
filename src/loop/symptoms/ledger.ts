/**
 * The symptom ledger: `observer/symptoms/YYYYMMDD.jsonl`, one file per local day of the configured zone,
 * append-only. Reading a time range walks every day file the range touches (a true rolling window across
 * midnight), treats a missing day file as an empty day, and skips torn or corrupt lines with one warning
 * per file (store/atomic readJsonl).
 */
import { DateTime } from 'luxon';
import { UsageError } from '../../core/errors.js';
import { hashSeed } from '../../core/random.js';
import { localDay, stampId } from '../../core/time.js';
import { type Mode, schemaId } from '../../core/types.js';
import { appendJsonl, readJsonl, type Warn } from '../../store/atomic.js';
import type { StatePaths } from '../../store/paths.js';
import type { Clock } from '../../system/clock.js';

export interface Symptom {
  schema: 'nightshift.symptom/v1';
  id: string;
  /** epoch ms when it was recorded */
  ts: number;
  kind: string;
  mode: Mode;
  meta: Record<string, unknown>;
}

export interface SymptomInput {
  kind: string;
  meta: Record<string, unknown>;
  mode: Mode;
}

/** Kinds name flag files (`flags/escalate_<kind>.json`), so they are restricted to a safe alphabet. */
const KIND_RE = /^[a-z][a-z0-9_]{0,63}$/;

export function assertSymptomKind(kind: string): string {
  if (!KIND_RE.test(kind)) {
    throw new UsageError(
      `symptom: invalid kind "${kind}"`,
      'use lower-case letters, digits and underscores, starting with a letter (e.g. latency_regression)',
    );
  }
  return kind;
}

let sequence = 0;

/** Unique without global randomness: time stamp in the zone + a hash of content, process and a counter. */
function symptomId(ts: number, zone: string, input: SymptomInput): string {
  const h = hashSeed(`${input.kind}|${ts}|${process.pid}|${++sequence}|${JSON.stringify(input.meta)}`);
  return `${stampId('sym', ts, zone)}_${h.toString(16).padStart(8, '0')}`;
}

/** Append one symptom to today's file (local date of `zone`) and return it. */
export function recordSymptom(paths: StatePaths, clock: Clock, zone: string, input: SymptomInput): Symptom {
  assertSymptomKind(input.kind);
  const ts = clock.now();
  const symptom: Symptom = {
    schema: schemaId('symptom') as Symptom['schema'],
    id: symptomId(ts, zone, input),
    ts,
    kind: input.kind,
    mode: input.mode,
    meta: input.meta,
  };
  appendJsonl(paths.symptomsFile(localDay(ts, zone)), symptom);
  return symptom;
}

/** Local day names (YYYYMMDD) from the day of `fromMs` to the day of `toMs`, in the zone. */
export function daysBetween(fromMs: number, toMs: number, zone: string): string[] {
  const days: string[] = [];
  const last = localDay(toMs, zone);
  let d = DateTime.fromMillis(fromMs, { zone }).startOf('day');
  for (let i = 0; i < 10_000; i++) {
    const name = d.toFormat('yyyyLLdd');
    days.push(name);
    if (name >= last) break;
    d = d.plus({ days: 1 });
  }
  return days;
}

/** Symptoms with fromMs ≤ ts ≤ toMs, oldest first. Lines that are JSON but not symptoms are skipped too. */
export function readSymptoms(paths: StatePaths, zone: string, fromMs: number, toMs: number, warn?: Warn): Symptom[] {
  if (toMs < fromMs) return [];
  const out: Symptom[] = [];
  for (const day of daysBetween(fromMs, toMs, zone)) {
    const file = paths.symptomsFile(day);
    const shapeless: number[] = [];
    const rows = readJsonl<Partial<Symptom>>(file, warn);
    rows.forEach((s, i) => {
      if (!isSymptom(s)) {
        shapeless.push(i + 1);
        return;
      }
      if (s.ts >= fromMs && s.ts <= toMs) out.push(s);
    });
    if (shapeless.length > 0) {
      (warn ?? defaultWarn)(`${file}: skipped ${shapeless.length} record(s) that are not symptoms`);
    }
  }
  return out.sort((a, b) => a.ts - b.ts);
}

function defaultWarn(message: string): void {
  process.stderr.write(`nightshift: warning: ${message}\n`);
}

function isSymptom(s: Partial<Symptom> | null): s is Symptom {
  return (
    typeof s === 'object' &&
    s !== null &&
    typeof s.ts === 'number' &&
    typeof s.kind === 'string' &&
    typeof s.id === 'string' &&
    typeof s.meta === 'object' &&
    s.meta !== null
  );
}

/** The severity a symptom declares in its meta; user-recorded symptoms without one count as warnings. */
export function symptomSeverity(s: Symptom): 'warning' | 'critical' {
  return s.meta.severity === 'critical' ? 'critical' : 'warning';
}
