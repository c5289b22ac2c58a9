import { describe, expect, it } from 'vitest';
import { fakeClock } from '../../test/support/clock.js';
import { atLocal, inWindow, localDay, nextLocalTime, parseDuration, stampId } from './time.js';

describe('maintenance window', () => {
  it('holds inside 03:00-07:00 local and not outside', () => {
    const zone = 'Europe/Berlin';
    expect(inWindow(atLocal('2026-06-10T03:00:00', zone), '03:00-07:00', zone)).toBe(true);
    expect(inWindow(atLocal('2026-06-10T06:59:59', zone), '03:00-07:00', zone)).toBe(true);
    expect(inWindow(atLocal('2026-06-10T07:00:00', zone), '03:00-07:00', zone)).toBe(false);
    expect(inWindow(atLocal('2026-06-10T02:59:00', zone), '03:00-07:00', zone)).toBe(false);
  });

  it('crosses midnight for a 22:00-02:00 window as the clock advances', () => {
    const clock = fakeClock('2026-06-10T21:59:00', 'America/New_York');
    const w = '22:00-02:00';
    expect(inWindow(clock.now(), w, clock.zone)).toBe(false);
    clock.advanceBy('2m');
    expect(inWindow(clock.now(), w, clock.zone)).toBe(true);
    clock.advanceBy('3h');
    expect(inWindow(clock.now(), w, clock.zone)).toBe(true);
    clock.advanceBy('1h');
    expect(inWindow(clock.now(), w, clock.zone)).toBe(false);
  });

  it('follows local wall time on the spring-forward night (02:00-03:00 does not exist in Berlin)', () => {
    const clock = fakeClock('2026-03-29T01:59:00', 'Europe/Berlin');
    clock.advanceBy('1m'); // 02:00 does not exist: it is 03:00 CEST
    expect(new Date(clock.now()).toISOString()).toBe('2026-03-29T01:00:00.000Z');
    expect(inWindow(clock.now(), '03:00-07:00', clock.zone)).toBe(true);
    // the window is 4 wall-clock hours and 4 real hours that night (it starts after the jump)
    clock.advanceBy('4h');
    expect(inWindow(clock.now(), '03:00-07:00', clock.zone)).toBe(false);
  });

  it('keeps 4 wall-clock hours on the fall-back night although 5 real hours pass from 01:00', () => {
    const zone = 'Europe/Berlin';
    const start = atLocal('2026-10-25T03:00:00', zone);
    expect(inWindow(start, '01:00-04:00', zone)).toBe(true);
    expect(inWindow(start + 3_600_000, '01:00-04:00', zone)).toBe(false);
  });
});

describe('local days and ids', () => {
  it('rolls the day file over at local midnight, not UTC', () => {
    const clock = fakeClock('2026-01-01T23:59:30', 'Asia/Tokyo');
    expect(localDay(clock.now(), clock.zone)).toBe('20260101');
    clock.advanceBy('1m');
    expect(localDay(clock.now(), clock.zone)).toBe('20260102');
  });

  it('names epochs by local time', () => {
    const zone = 'Europe/Berlin';
    expect(stampId('phase', atLocal('2026-07-04T03:00:07', zone), zone)).toBe('phase_20260704_030007');
  });

  it('schedules 03:00 on the next day once today is past, and skips into 03:00 on a DST night', () => {
    const zone = 'Europe/Berlin';
    const from = atLocal('2026-03-28T04:00:00', zone);
    expect(nextLocalTime(from, '03:00', zone)).toBe(atLocal('2026-03-29T03:00:00', zone));
    // 02:30 does not exist on 2026-03-29 in Berlin: the next valid instant is 03:30 CEST
    const at = nextLocalTime(atLocal('2026-03-29T00:00:00', zone), '02:30', zone);
    expect(new Date(at).toISOString()).toBe('2026-03-29T01:30:00.000Z');
  });
});

describe('durations', () => {
  it('parses the config spellings', () => {
    expect(parseDuration('24h')).toBe(86_400_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('7d')).toBe(604_800_000);
  });

  it('rejects garbage', () => {
    expect(() => parseDuration('4 hours')).toThrow(/expected a duration/);
    expect(() => parseDuration('h')).toThrow();
  });
});
