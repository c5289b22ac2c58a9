/**
 * How well the loop healed: the summary of a simulation, computed from its night rows alone (pure).
 *
 * - degraded: a night with at least one symptom; escalation: a night with an armed flag.
 * - resolved: the fault is still active, and the night's PHASE shows no symptom on a promoted config that is in
 *   production (promoted on an earlier night and not rolled back since).
 * - nights_to_resolution: resolved_night − first_fault_night.
 * - false escalations: flags armed on nights with no active fault (each armed kind counts once per night).
 */
import type { Expect } from './scenario.js';
import type { ExpectResult, NightRow, Summary } from './types.js';

function firstNight(rows: NightRow[], pred: (r: NightRow) => boolean): number | null {
  return rows.find(pred)?.night ?? null;
}

function promoted(r: NightRow): boolean {
  return r.tuning?.promoted_config != null;
}

function rolledBack(r: NightRow): boolean {
  return r.validation?.outcome === 'rolled_back';
}

/** The first night whose PHASE is clean on a promoted config while a fault is active. */
export function resolvedNight(rows: NightRow[]): number | null {
  let onPromoted = false;
  for (const r of rows) {
    if (onPromoted && r.faults_active.length > 0 && r.symptoms.length === 0 && r.phase_status !== null) {
      return r.night;
    }
    if (rolledBack(r)) onPromoted = false;
    if (promoted(r)) onPromoted = true;
  }
  return null;
}

const round1 = (x: number) => Math.round(x * 10) / 10;

export function summarize(rows: NightRow[], expect: Expect | undefined): Summary {
  const first_fault_night = firstNight(rows, (r) => r.faults_active.length > 0);
  const resolved_night = resolvedNight(rows);
  const base: Omit<Summary, 'expect'> = {
    first_fault_night,
    first_degraded_night: firstNight(rows, (r) => r.symptoms.length > 0),
    first_escalation_night: firstNight(rows, (r) => r.escalations_armed.length > 0),
    promotion_night: firstNight(rows, promoted),
    validated_night: firstNight(rows, (r) => r.validation?.outcome === 'validated'),
    resolved_night,
    nights_to_resolution:
      resolved_night !== null && first_fault_night !== null ? resolved_night - first_fault_night : null,
    escalations: rows.reduce((n, r) => n + r.escalations_armed.length, 0),
    false_escalations: rows
      .filter((r) => r.faults_active.length === 0)
      .reduce((n, r) => n + r.escalations_armed.length, 0),
    promotions: rows.filter(promoted).length,
    rollbacks: rows.filter(rolledBack).length,
    canary_seconds_total: round1(rows.reduce((n, r) => n + (r.tuning?.canary_seconds ?? 0), 0)),
    wall_seconds: round1(rows.reduce((n, r) => n + r.wall_seconds, 0)),
  };
  return { ...base, expect: checkExpect(base, rows, expect) };
}

function byNight(label: string, limit: number | undefined, actual: number | null, failures: string[]): void {
  if (limit === undefined) return;
  if (actual === null) failures.push(`${label} ${limit}: never happened`);
  else if (actual > limit) failures.push(`${label} ${limit}: happened on night ${actual}`);
}

function atMost(label: string, limit: number | undefined, actual: number, failures: string[]): void {
  if (limit !== undefined && actual > limit) failures.push(`${label} ${limit}: was ${actual}`);
}

function atLeast(label: string, limit: number | undefined, actual: number, failures: string[]): void {
  if (limit !== undefined && actual < limit) failures.push(`${label} ${limit}: was ${actual}`);
}

/** Each expectation that does not hold, in words; `met` when there is none. */
export function checkExpect(s: Omit<Summary, 'expect'>, rows: NightRow[], expect: Expect | undefined): ExpectResult {
  const failures: string[] = [];
  if (!expect) return { met: true, failures };
  atMost('max_escalations', expect.max_escalations, s.escalations, failures);
  atMost('max_false_escalations', expect.max_false_escalations, s.false_escalations, failures);
  byNight('first_degraded_by_night', expect.first_degraded_by_night, s.first_degraded_night, failures);
  byNight('first_escalation_by_night', expect.first_escalation_by_night, s.first_escalation_night, failures);
  byNight('promotion_by_night', expect.promotion_by_night, s.promotion_night, failures);
  byNight('validated_by_night', expect.validated_by_night, s.validated_night, failures);
  byNight('resolved_by_night', expect.resolved_by_night, s.resolved_night, failures);
  if (expect.max_nights_to_resolution !== undefined) {
    if (s.nights_to_resolution === null) {
      failures.push(`max_nights_to_resolution ${expect.max_nights_to_resolution}: never resolved`);
    } else {
      atMost('max_nights_to_resolution', expect.max_nights_to_resolution, s.nights_to_resolution, failures);
    }
  }
  atLeast('min_promotions', expect.min_promotions, s.promotions, failures);
  atMost('max_promotions', expect.max_promotions, s.promotions, failures);
  atLeast('min_rollbacks', expect.min_rollbacks, s.rollbacks, failures);
  atMost('max_rollbacks', expect.max_rollbacks, s.rollbacks, failures);
  if (expect.max_canary_seconds_total !== undefined && s.canary_seconds_total > expect.max_canary_seconds_total) {
    failures.push(`max_canary_seconds_total ${expect.max_canary_seconds_total}: was ${s.canary_seconds_total}`);
  }
  if (expect.promotions_beat_control) {
    for (const r of rows.filter(promoted)) {
      const best = r.tuning?.best_fitness ?? null;
      const control = r.tuning?.control_fitness ?? null;
      if (best === null || control === null) {
        failures.push(`promotions_beat_control: night ${r.night} promoted without a measured control`);
      } else if (!(best > control)) {
        failures.push(`promotions_beat_control: night ${r.night} promoted fitness ${best} ≤ control ${control}`);
      }
    }
  }
  if (expect.promoted_lowers_any) {
    const first = rows.find(promoted);
    if (!first?.tuning?.promoted_config) {
      failures.push(`promoted_lowers_any ${expect.promoted_lowers_any.join('|')}: nothing was promoted`);
    } else {
      const next = first.tuning.promoted_config;
      const lowered = expect.promoted_lowers_any.filter((k) => {
        const a = first.config[k];
        const b = next[k];
        return typeof a === 'number' && typeof b === 'number' && b < a;
      });
      if (lowered.length === 0) {
        failures.push(
          `promoted_lowers_any ${expect.promoted_lowers_any.join('|')}: night ${first.night} promoted ${JSON.stringify(
            diffConfig(first.config, next),
          )}`,
        );
      }
    }
  }
  return { met: failures.length === 0, failures };
}

/** Knobs whose value differs in `next`. */
export function diffConfig(
  prev: Record<string, number | string | boolean>,
  next: Record<string, number | string | boolean>,
): Record<string, number | string | boolean> {
  const out: Record<string, number | string | boolean> = {};
  for (const [k, v] of Object.entries(next)) if (prev[k] !== v) out[k] = v;
  return out;
}
