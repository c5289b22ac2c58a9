/**
 * The loop's own success metrics (`nightshift report`, and the simulator's summary), each beside its target:
 *
 *   degraded cycles          % of cycles with degradation signals            target < 10 %
 *   escalations resolved     % of escalations fixed by a validated promotion target > 80 %
 *   time to resolution       first symptom → the fix that was later validated
 *                            went live (median, worst)                      target < 24 h
 *                            (to the fix, not to its validation: validation is always the next night)
 *   OOM events trend         later half vs earlier half of the period        decreasing (or none)
 *   p95 TTFT trend           later half vs earlier half                      stable (≤ +5 %) or improving
 *   pass rate                mean over the period                            > 95 %
 *
 * Pure: records in, numbers out. A metric without enough cycles says so instead of a number.
 */
import { median } from 'simple-statistics';
import type { Config } from '../config/schema.js';
import { formatDuration, parseDuration } from '../core/time.js';
import type { Warn } from '../store/atomic.js';
import type { StatePaths } from '../store/paths.js';
import { type CycleRecord, readCycles } from './cycle-record.js';
import { readSymptoms } from './symptoms/ledger.js';
import { listPromotions, type PromotionRecord } from './tuning/promotion.js';

export const MIN_CYCLES_RATE = 5;
export const MIN_CYCLES_TREND = 6;
const DAY_MS = 86_400_000;

/** What the report needs of a promotion (the tuning stage's records carry more). */
export interface PromotionFacts {
  promotion_id: string;
  state: string;
  /** escalation kind it was made for */
  kind?: string;
  created_at: number;
  /** when it turned `validated` */
  validated_at?: number;
}

export interface SymptomFacts {
  ts: number;
  kind: string;
}

export interface HealthMetric {
  name: string;
  label: string;
  /** the number, or null when there is not enough data */
  value: number | null;
  unit: '%' | 'h' | 'count' | 'ms' | 'fraction';
  /** human form of the value, or why there is none */
  display: string;
  target: string;
  /** null: not judged (too few cycles) */
  met: boolean | null;
  /** how many items it was computed from */
  n: number;
  detail?: Record<string, number | string | null>;
}

export interface LoopHealth {
  schema: 'nightshift.loop_health/v1';
  since: number;
  until: number;
  cycles: number;
  metrics: HealthMetric[];
}

export interface LoopHealthInput {
  cycles: CycleRecord[];
  promotions: PromotionFacts[];
  symptoms: SymptomFacts[];
  since: number;
  until: number;
  /** escalation window: how far before a promotion its first symptom is looked for */
  escalationWindowMs: number;
}

const tooFew = (n: number, need: number) => `too few cycles (${n}, need ${need})`;

function pct(n: number): string {
  return `${(Math.round(n * 10) / 10).toFixed(1)} %`;
}

export function computeLoopHealth(input: LoopHealthInput): LoopHealth {
  const cycles = input.cycles
    .filter((c) => c.started_at >= input.since && c.started_at <= input.until)
    .sort((a, b) => a.started_at - b.started_at);
  const promotions = input.promotions.filter((p) => p.created_at >= input.since && p.created_at <= input.until);
  return {
    schema: 'nightshift.loop_health/v1',
    since: input.since,
    until: input.until,
    cycles: cycles.length,
    metrics: [
      degradedCycles(cycles),
      escalationsResolved(cycles, promotions),
      timeToResolution(cycles, promotions, input.symptoms, input.escalationWindowMs),
      halvesTrend(cycles, 'oom_events', 'OOM events trend', 'decreasing (or none)', (a, b) => b <= a, 'count'),
      halvesTrend(
        cycles,
        'ttft_ms_p95',
        'p95 TTFT trend',
        'stable (≤ +5 %) or improving',
        (a, b) => b <= a * 1.05,
        'ms',
      ),
      passRate(cycles),
    ],
  };
}

function degradedCycles(cycles: CycleRecord[]): HealthMetric {
  const measured = cycles.filter((c) => c.phase_status !== 'skipped');
  const base = { name: 'degraded_cycles_pct', label: 'cycles with degradation signals', unit: '%' as const };
  if (measured.length < MIN_CYCLES_RATE) {
    return {
      ...base,
      value: null,
      display: tooFew(measured.length, MIN_CYCLES_RATE),
      target: '< 10 %',
      met: null,
      n: measured.length,
    };
  }
  const degraded = measured.filter((c) => c.degradation_signals > 0).length;
  const value = (100 * degraded) / measured.length;
  return {
    ...base,
    value,
    display: `${pct(value)} (${degraded} of ${measured.length})`,
    target: '< 10 %',
    met: value < 10,
    n: measured.length,
  };
}

interface Episode {
  kind: string;
  first: CycleRecord;
  last: CycleRecord;
  promotionIds: string[];
  /** still armed in the period's last cycle */
  ongoing: boolean;
}

/** Maximal runs of consecutive cycles with the same kind armed. */
export function escalationEpisodes(cycles: CycleRecord[]): Episode[] {
  const open = new Map<string, Episode>();
  const done: Episode[] = [];
  for (const c of cycles) {
    const armed = new Set(c.escalations_armed);
    for (const [kind, ep] of open) {
      if (!armed.has(kind)) {
        done.push(ep);
        open.delete(kind);
      }
    }
    for (const kind of armed) {
      const ep = open.get(kind) ?? { kind, first: c, last: c, promotionIds: [], ongoing: false };
      ep.last = c;
      if (c.config_tuning_promoted && c.promotion_id && c.config_tuning_trigger?.kind === kind) {
        ep.promotionIds.push(c.promotion_id);
      }
      open.set(kind, ep);
    }
  }
  for (const ep of open.values()) done.push({ ...ep, ongoing: true });
  return done.sort((a, b) => a.first.started_at - b.first.started_at);
}

function escalationsResolved(cycles: CycleRecord[], promotions: PromotionFacts[]): HealthMetric {
  const base = { name: 'escalations_resolved_pct', label: 'escalations resolved by config tuning', unit: '%' as const };
  const state = new Map(promotions.map((p) => [p.promotion_id, p.state]));
  let resolved = 0;
  let unresolved = 0;
  let pending = 0;
  for (const ep of escalationEpisodes(cycles)) {
    const states = ep.promotionIds.map((id) => state.get(id));
    if (states.includes('validated')) resolved++;
    else if (states.includes('provisional') || ep.ongoing) pending++;
    else unresolved++;
  }
  const decided = resolved + unresolved;
  if (cycles.length < MIN_CYCLES_RATE) {
    return {
      ...base,
      value: null,
      display: tooFew(cycles.length, MIN_CYCLES_RATE),
      target: '> 80 %',
      met: null,
      n: decided,
    };
  }
  if (decided === 0) {
    return {
      ...base,
      value: null,
      display: pending > 0 ? `no decided escalation yet (${pending} pending)` : 'no escalations in the period',
      target: '> 80 %',
      met: pending > 0 ? null : true,
      n: 0,
      detail: { pending },
    };
  }
  const value = (100 * resolved) / decided;
  return {
    ...base,
    value,
    display: `${pct(value)} (${resolved} of ${decided}${pending ? `, ${pending} pending` : ''})`,
    target: '> 80 %',
    met: value > 80,
    n: decided,
    detail: { resolved, unresolved, pending },
  };
}

function timeToResolution(
  cycles: CycleRecord[],
  promotions: PromotionFacts[],
  symptoms: SymptomFacts[],
  windowMs: number,
): HealthMetric {
  const base = { name: 'time_to_resolution_h', label: 'time to resolution (first symptom → validated fix)' };
  // Measured to the moment the fix went live: its validation always waits for the next night's PHASE, so
  // counting to the validation would add a day to every fix and measure the schedule, not the loop.
  const hours: number[] = [];
  for (const p of promotions) {
    if (p.state !== 'validated' || p.validated_at === undefined || p.kind === undefined) continue;
    const kind = p.kind;
    const firsts = symptoms
      .filter((s) => s.kind === kind && s.ts <= p.created_at && s.ts >= p.created_at - windowMs)
      .map((s) => s.ts);
    const first = firsts.length > 0 ? Math.min(...firsts) : p.created_at;
    hours.push((p.created_at - first) / 3_600_000);
  }
  if (cycles.length < MIN_CYCLES_RATE) {
    return {
      ...base,
      value: null,
      unit: 'h',
      display: tooFew(cycles.length, MIN_CYCLES_RATE),
      target: '< 24 h',
      met: null,
      n: hours.length,
    };
  }
  if (hours.length === 0) {
    return {
      ...base,
      value: null,
      unit: 'h',
      display: 'no validated fix in the period',
      target: '< 24 h',
      met: null,
      n: 0,
    };
  }
  const med = median(hours);
  const worst = Math.max(...hours);
  return {
    ...base,
    value: med,
    unit: 'h',
    display: `median ${formatDuration(med * 3_600_000)}, worst ${formatDuration(worst * 3_600_000)} (${hours.length} fix${hours.length === 1 ? '' : 'es'})`,
    target: '< 24 h',
    met: worst < 24,
    n: hours.length,
    detail: { median_h: round2(med), worst_h: round2(worst) },
  };
}

function halvesTrend(
  cycles: CycleRecord[],
  metric: 'oom_events' | 'ttft_ms_p95',
  label: string,
  target: string,
  ok: (earlier: number, later: number) => boolean,
  unit: 'count' | 'ms',
): HealthMetric {
  const values = cycles.map((c) => c.phase_metrics?.[metric]).filter((v): v is number => typeof v === 'number');
  const base = { name: `${metric}_trend`, label, unit, target };
  if (values.length < MIN_CYCLES_TREND) {
    return { ...base, value: null, display: tooFew(values.length, MIN_CYCLES_TREND), met: null, n: values.length };
  }
  const half = Math.floor(values.length / 2);
  const earlier = mean(values.slice(0, half));
  const later = mean(values.slice(values.length - half));
  const change = earlier === 0 ? (later === 0 ? 0 : null) : (100 * (later - earlier)) / earlier;
  const fmt = (v: number) => (unit === 'ms' ? `${Math.round(v)} ms` : `${round2(v)}`);
  const words =
    metric === 'oom_events' && earlier === 0 && later === 0
      ? 'none in the period'
      : `${fmt(earlier)} → ${fmt(later)}${change === null ? '' : ` (${change >= 0 ? '+' : ''}${Math.round(change)} %)`}`;
  return {
    ...base,
    value: change,
    display: words,
    met: ok(earlier, later),
    n: values.length,
    detail: { earlier: round2(earlier), later: round2(later) },
  };
}

function passRate(cycles: CycleRecord[]): HealthMetric {
  const values = cycles.map((c) => c.phase_metrics?.pass_rate).filter((v): v is number => typeof v === 'number');
  const base = { name: 'pass_rate', label: 'pass rate', unit: '%' as const, target: '> 95 %' };
  if (values.length === 0 && cycles.length >= MIN_CYCLES_RATE) {
    return { ...base, value: null, display: 'not measured (no PHASE domain reports a pass rate)', met: null, n: 0 };
  }
  if (values.length < MIN_CYCLES_RATE) {
    return { ...base, value: null, display: tooFew(values.length, MIN_CYCLES_RATE), met: null, n: values.length };
  }
  const m = 100 * mean(values);
  const min = 100 * Math.min(...values);
  return {
    ...base,
    value: m,
    display: `${pct(m)} mean, worst night ${pct(min)}`,
    met: m > 95,
    n: values.length,
  };
}

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

/** The report as text: one line per metric with its target and a mark. */
export function renderLoopHealth(h: LoopHealth, fmtTime: (ms: number) => string): string {
  const lines = [
    `Loop health ${fmtTime(h.since)} → ${fmtTime(h.until)} (${h.cycles} cycle${h.cycles === 1 ? '' : 's'}, ${Math.round((h.until - h.since) / DAY_MS)} d)`,
    '',
  ];
  const width = Math.max(...h.metrics.map((m) => m.label.length));
  for (const m of h.metrics) {
    const mark = m.met === null ? '·' : m.met ? 'ok' : 'MISS';
    lines.push(`  ${mark.padEnd(4)} ${m.label.padEnd(width)}  ${m.display}   target ${m.target}`);
  }
  return lines.join('\n');
}

/** What the report needs of a promotion record. */
export function promotionFacts(p: PromotionRecord): PromotionFacts {
  const validated = p.states.find((s) => s.state === 'validated');
  return {
    promotion_id: p.promotion_id,
    state: p.state,
    kind: p.triggering_symptoms.kind,
    created_at: p.ts,
    ...(validated ? { validated_at: validated.ts } : {}),
  };
}

/** The edge: read the cycles, promotions and symptoms of the period and compute. */
export function loopHealth(paths: StatePaths, config: Config, since: number, until: number, warn?: Warn): LoopHealth {
  const windowMs = parseDuration(config.escalation.window);
  return computeLoopHealth({
    cycles: readCycles(paths, warn),
    promotions: listPromotions(paths).map(promotionFacts),
    symptoms: readSymptoms(paths, config.timezone, since - windowMs, until, warn).map((s) => ({
      ts: s.ts,
      kind: s.kind,
    })),
    since,
    until,
    escalationWindowMs: windowMs,
  });
}
