import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fakeClock } from '../../../test/support/clock.js';
import { tempState } from '../../../test/support/state.js';
import { configSchema } from '../../config/schema.js';
import { evaluateEscalation } from './escalation.js';
import { armedFlags, clearFlag } from './flags.js';
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
