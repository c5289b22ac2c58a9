/**
 * Test clocks: `fakeClock('2026-03-29T02:59:00', 'Europe/Berlin')` starts at that local wall time and moves only
 * when told (`advance('1h')`, `advance(60_000)`). Sleepers wake when time passes their deadline.
 */
import { atLocal, parseDuration } from '../../src/core/time.js';
import { type ManualClock, manualClock } from '../../src/system/clock.js';

export interface FakeClock extends ManualClock {
  advanceBy(duration: string | number): void;
  zone: string;
}

export function fakeClock(localIso: string, zone = 'UTC', opts: { autoAdvance?: boolean } = {}): FakeClock {
  const clock = manualClock(atLocal(localIso, zone), opts);
  return Object.assign(clock, {
    zone,
    advanceBy(duration: string | number) {
      clock.advance(typeof duration === 'number' ? duration : parseDuration(duration));
    },
  });
}
