/**
 * The only place that reads wall time. Everything else receives a `Clock`.
 * `manualClock` is the injected clock of tests and of the simulator: time moves only when told to, and
 * `sleep` resolves as soon as the clock is advanced past its deadline.
 */
export interface Clock {
  /** epoch ms */
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error('aborted');
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(abortError(signal));
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        clearTimeout(timer);
        reject(abortError(signal as AbortSignal));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};

export interface ManualClock extends Clock {
  set(epochMs: number): void;
  advance(ms: number): void;
}

/**
 * A clock that moves only when told. Sleepers wake when `advance`/`set` passes their deadline.
 * With `autoAdvance`, a `sleep` moves time forward itself (the simulator's mode: waits cost nothing).
 */
export function manualClock(startMs: number, opts: { autoAdvance?: boolean } = {}): ManualClock {
  let now = startMs;
  const sleepers: { until: number; resolve: () => void }[] = [];
  const wake = () => {
    for (const s of [...sleepers]) {
      if (s.until <= now) {
        sleepers.splice(sleepers.indexOf(s), 1);
        s.resolve();
      }
    }
  };
  return {
    now: () => now,
    set(ms) {
      now = ms;
      wake();
    },
    advance(ms) {
      now += ms;
      wake();
    },
    sleep(ms, signal) {
      if (signal?.aborted) return Promise.reject(abortError(signal));
      if (opts.autoAdvance) {
        now += Math.max(0, ms);
        wake();
        return Promise.resolve();
      }
      return new Promise<void>((resolve, reject) => {
        const entry = { until: now + ms, resolve };
        sleepers.push(entry);
        signal?.addEventListener(
          'abort',
          () => {
            const i = sleepers.indexOf(entry);
            if (i >= 0) sleepers.splice(i, 1);
            reject(abortError(signal));
          },
          { once: true },
        );
        wake();
      });
    },
  };
}
