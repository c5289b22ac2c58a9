import { describe, expect, it } from 'vitest';
import { decideEscalation, type EscalationConfig } from './escalation.js';
import type { Flag } from './flags.js';
import type { Symptom } from './ledger.js';

const H = 3_600_000;
const NOW = Date.UTC(2026, 10, 29, 3, 0, 0);
const cfg: EscalationConfig = { windowMs: 24 * H, threshold: 3, criticalThreshold: 1, ttlMs: 4 * H, mode: 'act' };

function symptom(id: string, ageMs: number, kind = 'latency_regression', severity = 'warning'): Symptom {
  return { schema: 'nightshift.symptom/v1', id, ts: NOW - ageMs, kind, mode: 'act', meta: { severity } };
}

function flag(kind: string, setAt: number, expiresAt: number): Flag {
  return {
    schema: 'nightshift.flag/v1',
    kind,
    set_at: setAt,
    expires_at: expiresAt,
    symptom_count: 3,
    symptom_ids: [],
    reason: '',
    severity: 'warning',
    mode: 'act',
  };
}

describe('decideEscalation', () => {
  it('arms a flag when a kind reaches the threshold inside the window', () => {
    const d = decideEscalation([symptom('a', 20 * H), symptom('b', 2 * H), symptom('c', 0)], [], NOW, cfg);
    expect(d.arm).toHaveLength(1);
    expect(d.arm[0]).toMatchObject({
      kind: 'latency_regression',
      set_at: NOW,
      expires_at: NOW + 4 * H,
      symptom_count: 3,
      symptom_ids: ['a', 'b', 'c'],
      severity: 'warning',
      reason: '3 latency_regression symptoms in the last 24h (threshold 3)',
    });
  });

  it('does not arm below the threshold', () => {
    expect(decideEscalation([symptom('a', H), symptom('b', 0)], [], NOW, cfg).arm).toEqual([]);
  });

  it('counts per kind', () => {
    const mixed = [symptom('a', H), symptom('b', H, 'oom_event'), symptom('c', 0, 'throughput_drop')];
    expect(decideEscalation(mixed, [], NOW, cfg).arm).toEqual([]);
  });

  it('uses a true rolling window: a symptom exactly 24 h old has aged out', () => {
    const d = decideEscalation([symptom('a', 24 * H), symptom('b', H), symptom('c', 0)], [], NOW, cfg);
    expect(d.arm).toEqual([]);
  });

  it('is critical when any of the symptoms is critical', () => {
    const s = [symptom('a', H), symptom('b', H, 'latency_regression', 'critical'), symptom('c', 0)];
    expect(decideEscalation(s, [], NOW, cfg).arm[0]?.severity).toBe('critical');
  });

  it('refreshes an armed flag, keeping when it was first set', () => {
    const s = [symptom('a', 3 * H), symptom('b', 2 * H), symptom('c', 0)];
    const d = decideEscalation(s, [flag('latency_regression', NOW - 2 * H, NOW + 2 * H)], NOW, cfg);
    expect(d.arm[0]).toMatchObject({ set_at: NOW, first_set_at: NOW - 2 * H, expires_at: NOW + 4 * H });
    expect(d.arm[0]?.reason).toContain('refreshed');
  });

  it('does not re-arm an expired flag from symptoms older than the TTL', () => {
    const s = [symptom('a', 10 * H), symptom('b', 9 * H), symptom('c', 4 * H)];
    expect(decideEscalation(s, [], NOW, cfg).arm).toEqual([]);
  });

  it('does not refresh an armed flag without a symptom of its kind inside the TTL', () => {
    const s = [symptom('a', 6 * H), symptom('b', 5 * H), symptom('c', 4 * H + 1), symptom('d', 0, 'gpu_throttle')];
    const d = decideEscalation(s, [flag('latency_regression', NOW - 4 * H, NOW + 1)], NOW, cfg);
    expect(d.arm).toEqual([]);
    expect(d.expire).toEqual([]);
  });

  it('expires flags whose TTL has passed', () => {
    const d = decideEscalation([], [flag('oom_event', NOW - 5 * H, NOW - H), flag('x', NOW, NOW + H)], NOW, cfg);
    expect(d.expire).toEqual(['oom_event']);
  });
});

describe('escalation after a fix', () => {
  it('does not count the symptoms that led to a fix towards arming again', () => {
    const symptoms = [symptom('a', 40 * 60_000), symptom('b', 35 * 60_000), symptom('c', 30 * 60_000)];
    const resolvedAt = new Map([['latency_regression', NOW - 20 * 60_000]]);
    expect(decideEscalation(symptoms, [], NOW, cfg, resolvedAt).arm).toEqual([]);
  });

  it('arms again when enough new symptoms follow the fix', () => {
    const before = [symptom('a', 5 * H), symptom('b', 5 * H)];
    const after = [symptom('c', 3 * H), symptom('d', 2 * H), symptom('e', H)];
    const resolvedAt = new Map([['latency_regression', NOW - 4 * H]]);
    const armed = decideEscalation([...before, ...after], [], NOW, cfg, resolvedAt).arm;
    expect(armed.map((f) => f.symptom_ids)).toEqual([['c', 'd', 'e']]);
  });

  it('a fix of one kind leaves the count of another kind alone', () => {
    const symptoms = ['a', 'b', 'c'].map((id) => symptom(id, H, 'oom_event', 'critical'));
    const resolvedAt = new Map([['latency_regression', NOW]]);
    expect(decideEscalation(symptoms, [], NOW, cfg, resolvedAt).arm.map((f) => f.kind)).toEqual(['oom_event']);
  });
});

describe('critical threshold', () => {
  it('arms the flag on one critical symptom with the default critical threshold of 1', () => {
    const d = decideEscalation([symptom('a', 0, 'oom_event', 'critical')], [], NOW, cfg);
    expect(d.arm).toHaveLength(1);
    expect(d.arm[0]).toMatchObject({
      kind: 'oom_event',
      severity: 'critical',
      symptom_count: 1,
      symptom_ids: ['a'],
      reason: '1 critical oom_event symptom (critical threshold 1) in the last 24h',
    });
  });

  it('does not arm on fewer critical symptoms than the critical threshold', () => {
    const strict = { ...cfg, criticalThreshold: 2 };
    expect(decideEscalation([symptom('a', 0, 'oom_event', 'critical')], [], NOW, strict).arm).toEqual([]);
  });

  it('arms when the critical symptoms of one kind reach the critical threshold', () => {
    const strict = { ...cfg, criticalThreshold: 2 };
    const s = [symptom('a', 20 * H, 'oom_event', 'critical'), symptom('b', 0, 'oom_event', 'critical')];
    expect(decideEscalation(s, [], NOW, strict).arm[0]?.reason).toBe(
      '2 critical oom_event symptoms (critical threshold 2) in the last 24h',
    );
  });

  it('does not count warnings towards the critical threshold', () => {
    const s = [symptom('a', H, 'oom_event', 'warning'), symptom('b', 0, 'oom_event', 'warning')];
    expect(decideEscalation(s, [], NOW, cfg).arm).toEqual([]);
  });

  it('does not re-arm from a critical symptom older than the TTL joined by a fresh warning', () => {
    const s = [symptom('a', 20 * H, 'oom_event', 'critical'), symptom('b', 0, 'oom_event', 'warning')];
    expect(decideEscalation(s, [], NOW, cfg).arm).toEqual([]);
  });

  it('gives the plain threshold reason when all symptoms of the kind reach it', () => {
    const s = [symptom('a', 2 * H), symptom('b', H), symptom('c', 0, 'latency_regression', 'critical')];
    expect(decideEscalation(s, [], NOW, cfg).arm[0]?.reason).toBe(
      '3 latency_regression symptoms in the last 24h (threshold 3)',
    );
  });

  it('does not count critical symptoms that led to a fix', () => {
    const s = [symptom('a', 2 * H, 'oom_event', 'critical')];
    const resolvedAt = new Map([['oom_event', NOW - H]]);
    expect(decideEscalation(s, [], NOW, cfg, resolvedAt).arm).toEqual([]);
  });
});
