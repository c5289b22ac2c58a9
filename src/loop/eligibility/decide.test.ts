import { describe, expect, it } from 'vitest';
import { atLocal } from '../../core/time.js';
import { decideCandidateStart, decideEligibility, type GateConfig, gateState, nightOf } from './decide.js';

const zone = 'Europe/Berlin';
const cfg: GateConfig = {
  window: '03:00-07:00',
  timezone: zone,
  budgetS: 60,
  candidateTimeoutS: 30,
  cooldownMs: 6 * 3_600_000,
  maxRuns24h: 3,
};
const at = (iso: string) => atLocal(iso, zone);
const fresh = { budgetSpentS: 0, runsLast24h: 0 };

describe('decideEligibility', () => {
  it('allows a run inside the window with budget, no cooldown and no recent runs', () => {
    expect(decideEligibility(at('2026-06-10T03:30'), fresh, cfg)).toMatchObject({ allowed: true, night: '20260610' });
  });

  it('refuses outside the maintenance window', () => {
    expect(decideEligibility(at('2026-06-10T07:00'), fresh, cfg)).toMatchObject({ allowed: false, reason: 'window' });
    expect(decideEligibility(at('2026-06-10T02:59'), fresh, cfg)).toMatchObject({ allowed: false, reason: 'window' });
  });

  it('refuses when the rest of the budget cannot cover one candidate timeout', () => {
    const g = decideEligibility(at('2026-06-10T04:00'), { ...fresh, budgetSpentS: 31 }, cfg);
    expect(g).toMatchObject({ allowed: false, reason: 'budget', budgetLeftS: 29 });
  });

  it('allows a candidate that exactly fits the rest of the budget', () => {
    expect(decideEligibility(at('2026-06-10T04:00'), { ...fresh, budgetSpentS: 30 }, cfg).allowed).toBe(true);
  });

  it('refuses within the cooldown of the last run', () => {
    const now = at('2026-06-10T04:00');
    const g = decideEligibility(now, { ...fresh, lastRunAt: now - 5 * 3_600_000 }, cfg);
    expect(g).toMatchObject({ allowed: false, reason: 'cooldown' });
    expect(decideEligibility(now, { ...fresh, lastRunAt: now - 6 * 3_600_000 }, cfg).allowed).toBe(true);
  });

  it('refuses when the 24 h rate limit is reached', () => {
    const g = decideEligibility(at('2026-06-10T04:00'), { ...fresh, runsLast24h: 3 }, cfg);
    expect(g).toMatchObject({ allowed: false, reason: 'rate_limit' });
  });

  it('works with a window crossing midnight', () => {
    const night = { ...cfg, window: '22:00-02:00' };
    expect(decideEligibility(at('2026-06-10T23:30'), fresh, night).allowed).toBe(true);
    expect(decideEligibility(at('2026-06-11T01:30'), fresh, night).allowed).toBe(true);
    expect(decideEligibility(at('2026-06-11T02:00'), fresh, night)).toMatchObject({ reason: 'window' });
    expect(decideEligibility(at('2026-06-10T21:59'), fresh, night)).toMatchObject({ reason: 'window' });
  });
});

describe('nightOf', () => {
  it('names a window crossing midnight by the day it started on', () => {
    expect(nightOf(at('2026-06-10T23:30'), '22:00-02:00', zone)).toBe('20260610');
    expect(nightOf(at('2026-06-11T01:30'), '22:00-02:00', zone)).toBe('20260610');
  });

  it('names a window within one day by that day', () => {
    expect(nightOf(at('2026-06-10T03:30'), '03:00-07:00', zone)).toBe('20260610');
  });

  it('holds across the spring-forward night', () => {
    expect(nightOf(at('2026-03-29T01:30'), '22:00-04:00', zone)).toBe('20260328');
    expect(nightOf(at('2026-03-29T03:30'), '22:00-04:00', zone)).toBe('20260328');
  });
});

describe('decideCandidateStart', () => {
  it('ignores cooldown and rate limit: they gate runs, not candidates within a run', () => {
    const now = at('2026-06-10T04:00');
    expect(decideCandidateStart(now, { budgetSpentS: 0, runsLast24h: 9, lastRunAt: now }, cfg).allowed).toBe(true);
  });
});

describe('gateState', () => {
  const now = at('2026-06-10T04:00');
  it('counts runs of the last 24 h and the last run of the same subsystem', () => {
    const s = gateState(
      now,
      [
        { ts: now - 25 * 3_600_000, subsystem: 'engine_config', status: 'success' },
        { ts: now - 7 * 3_600_000, subsystem: 'engine_config', status: 'no_improvement' },
        { ts: now - 1 * 3_600_000, subsystem: 'other', status: 'success' },
      ],
      'engine_config',
      12,
    );
    expect(s).toEqual({ budgetSpentS: 12, runsLast24h: 2, lastRunAt: now - 7 * 3_600_000 });
  });

  it('does not count deferred runs: they started nothing', () => {
    const s = gateState(
      now,
      [{ ts: now - 60_000, subsystem: 'engine_config', status: 'deferred' }],
      'engine_config',
      0,
    );
    expect(s).toEqual({ budgetSpentS: 0, runsLast24h: 0 });
  });
});
