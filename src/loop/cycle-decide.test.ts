import { describe, expect, it } from 'vitest';
import { chooseTrigger, decideExitCode, deferralText, deferralWords } from './cycle-decide.js';

const flag = (kind: string, severity: 'warning' | 'critical', set_at: number, expires_at = 10_000) => ({
  kind,
  severity,
  set_at,
  expires_at,
});

describe('chooseTrigger', () => {
  it('takes critical before warning', () => {
    const c = chooseTrigger([flag('latency', 'warning', 1), flag('oom', 'critical', 5)], [], 100);
    expect(c.trigger?.kind).toBe('oom');
  });

  it('takes the oldest of equal severity', () => {
    const c = chooseTrigger([flag('b', 'warning', 5), flag('a', 'warning', 1)], [], 100);
    expect(c.trigger?.kind).toBe('a');
  });

  it('ignores expired flags', () => {
    const c = chooseTrigger([flag('oom', 'critical', 1, 50)], [], 100);
    expect(c.trigger).toBeUndefined();
    expect(c.armed).toEqual([]);
  });

  it('skips a kind whose breaker is open and reports it blocked', () => {
    const c = chooseTrigger([flag('oom', 'critical', 1), flag('latency', 'warning', 1)], ['oom'], 100);
    expect(c.trigger?.kind).toBe('latency');
    expect(c.blocked).toEqual(['oom']);
  });

  it('considers flags armed on earlier nights too', () => {
    const c = chooseTrigger([flag('latency', 'warning', -86_400_000, 1000)], [], 100);
    expect(c.trigger?.kind).toBe('latency');
  });
});

describe('decideExitCode', () => {
  const base = { armedAtEnd: [], promoted: false, productionHealthy: true, rolledBack: false, errors: 0 };
  it('nothing armed is healthy', () => expect(decideExitCode(base)).toBe(0));
  it('an armed flag not fixed is degraded', () => expect(decideExitCode({ ...base, armedAtEnd: ['latency'] })).toBe(1));
  it('a promotion with production healthy is fixed', () => expect(decideExitCode({ ...base, promoted: true })).toBe(2));
  it('a promotion with production unhealthy is degraded', () =>
    expect(decideExitCode({ ...base, promoted: true, productionHealthy: false })).toBe(1));
  it('production unhealthy at the end is degraded even with nothing armed', () =>
    expect(decideExitCode({ ...base, productionHealthy: false })).toBe(1));
  it('production not checked (a paused night) with nothing armed is healthy', () =>
    expect(decideExitCode({ ...base, productionHealthy: null })).toBe(0));
  it('a rollback is degraded', () => expect(decideExitCode({ ...base, rolledBack: true })).toBe(1));
  it('a failed step is degraded', () => expect(decideExitCode({ ...base, errors: 1 })).toBe(1));
});

describe('deferralWords', () => {
  it('names the window the way the cycle record reads', () =>
    expect(deferralWords('window')).toBe('outside maintenance window'));
});

describe('deferralText', () => {
  it('turns the gate name into the record words', () =>
    expect(deferralText('deferred: window')).toBe('outside maintenance window'));
  it('keeps any other reason', () => expect(deferralText('deferred: observe mode')).toBe('observe mode'));
});
