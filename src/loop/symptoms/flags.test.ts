import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fakeClock } from '../../../test/support/clock.js';
import { tempState } from '../../../test/support/state.js';
import { configSchema } from '../../config/schema.js';
import { evaluateEscalation } from './escalation.js';
import { armedFlags, clearFlag, readFlags, readResolutions, resolveFlag, writeFlag } from './flags.js';
import { recordSymptom } from './ledger.js';

const config = configSchema.parse({ timezone: 'Europe/Berlin' });
const ZONE = config.timezone;

function threeSymptoms(
  paths: ReturnType<typeof tempState>,
  clock: ReturnType<typeof fakeClock>,
  kind = 'latency_regression',
) {
  for (let i = 0; i < 3; i++) {
    recordSymptom(paths, clock, ZONE, { kind, meta: { severity: 'warning' }, mode: 'act' });
    clock.advanceBy('1h');
  }
}

describe('escalation flags', () => {
  it('three symptoms in 24 h arm flags/escalate_<kind>.json', () => {
    const paths = tempState();
    const clock = fakeClock('2026-11-28T23:00:00', ZONE);
    threeSymptoms(paths, clock);
    const r = evaluateEscalation(paths, clock, config);
    expect(r.armed.map((f) => f.kind)).toEqual(['latency_regression']);
    expect(existsSync(paths.flagFile('latency_regression'))).toBe(true);
    expect(armedFlags(paths, clock)[0]).toMatchObject({ kind: 'latency_regression', symptom_count: 3 });
  });

  it('a flag counts until its TTL ends, then is ignored and removed when seen', () => {
    const paths = tempState();
    const clock = fakeClock('2026-11-29T01:00:00', ZONE);
    threeSymptoms(paths, clock);
    evaluateEscalation(paths, clock, config);
    clock.advanceBy('3h59m');
    expect(armedFlags(paths, clock)).toHaveLength(1);
    clock.advanceBy('1m');
    expect(armedFlags(paths, clock)).toEqual([]);
    expect(existsSync(paths.flagFile('latency_regression'))).toBe(false);
  });

  it('arming an armed flag refreshes its expiry', () => {
    const paths = tempState();
    const clock = fakeClock('2026-11-29T01:00:00', ZONE);
    threeSymptoms(paths, clock);
    const first = evaluateEscalation(paths, clock, config).armed[0]!;
    clock.advanceBy('2h');
    const second = evaluateEscalation(paths, clock, config).armed[0]!;
    expect(second.expires_at).toBe(first.expires_at + 2 * 3_600_000);
    expect(second.first_set_at).toBe(first.set_at);
  });

  it('symptoms that aged out of the window arm nothing new', () => {
    const paths = tempState();
    const clock = fakeClock('2026-11-28T01:00:00', ZONE);
    threeSymptoms(paths, clock);
    clock.advanceBy('25h');
    expect(evaluateEscalation(paths, clock, config).armed).toEqual([]);
  });

  it('clearFlag removes a flag', () => {
    const paths = tempState();
    const clock = fakeClock('2026-11-29T01:00:00', ZONE);
    threeSymptoms(paths, clock, 'oom_event');
    evaluateEscalation(paths, clock, config);
    expect(clearFlag(paths, 'oom_event')).toBe(true);
    expect(clearFlag(paths, 'oom_event')).toBe(false);
    expect(armedFlags(paths, clock)).toEqual([]);
  });

  it('an unreadable flag file is ignored with a warning', () => {
    const paths = tempState();
    mkdirSync(paths.flagsDir(), { recursive: true });
    writeFileSync(paths.flagFile('broken'), '{nope');
    const warnings: string[] = [];
    expect(armedFlags(paths, fakeClock('2026-11-29T01:00:00', ZONE), (m) => warnings.push(m))).toEqual([]);
    expect(warnings[0]).toMatch(/escalate_broken\.json: not valid JSON/);
  });
});

describe('resolving a flag', () => {
  it('removes the flag and remembers when the fix went live', () => {
    const paths = tempState();
    writeFlag(paths, {
      schema: 'nightshift.flag/v1',
      kind: 'oom_event',
      set_at: 1,
      expires_at: 10,
      symptom_count: 3,
      symptom_ids: [],
      reason: 'r',
      severity: 'critical',
      mode: 'act',
    });
    expect(resolveFlag(paths, 'oom_event', 5)).toBe(true);
    expect(readFlags(paths)).toEqual([]);
    expect(readResolutions(paths).get('oom_event')).toBe(5);
  });
});

describe('escalation after a promotion resolved it', () => {
  it('the same night, the symptoms that led to the fix do not arm the flag again', () => {
    const paths = tempState();
    const clock = fakeClock('2026-06-10T03:05:00', ZONE);
    for (let i = 0; i < 3; i++)
      recordSymptom(paths, clock, ZONE, { kind: 'latency_regression', meta: {}, mode: 'act' });
    expect(evaluateEscalation(paths, clock, config).armed.map((f) => f.kind)).toEqual(['latency_regression']);
    clock.advanceBy('1m');
    resolveFlag(paths, 'latency_regression', clock.now());
    clock.advanceBy('25m');
    expect(evaluateEscalation(paths, clock, config).armed).toEqual([]);
    expect(armedFlags(paths, clock)).toEqual([]);
  });
});
