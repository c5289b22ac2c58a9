import { describe, expect, it } from 'vitest';
import { manualClock } from './clock.js';

describe('manual clock', () => {
  it('wakes a sleeper only when time is advanced past its deadline', async () => {
    const clock = manualClock(0);
    let woke = false;
    const p = clock.sleep(1000).then(() => {
      woke = true;
    });
    clock.advance(999);
    await Promise.resolve();
    expect(woke).toBe(false);
    clock.advance(1);
    await p;
    expect(woke).toBe(true);
  });

  it('moves time itself in auto-advance mode', async () => {
    const clock = manualClock(5, { autoAdvance: true });
    await clock.sleep(60_000);
    expect(clock.now()).toBe(60_005);
  });

  it('rejects a sleep when its signal aborts', async () => {
    const clock = manualClock(0);
    const ac = new AbortController();
    const p = clock.sleep(1000, ac.signal);
    ac.abort(new Error('stop'));
    await expect(p).rejects.toThrow('stop');
  });
});
