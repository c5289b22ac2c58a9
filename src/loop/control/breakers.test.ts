import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempState } from '../../../test/support/state.js';
import { StateError } from '../../core/errors.js';
import { nextBreaker, openBreakers, readBreakers, recordTuningOutcome, resetBreaker } from './breakers.js';

const fail = (ref: string) => ({ kind: 'not_fixed' as const, ref, why: 'no_improvement' });

describe('circuit breakers', () => {
  it('opens after the threshold of consecutive runs that did not fix it', () => {
    let b = nextBreaker(undefined, fail('r1'), 3, 1).breaker;
    b = nextBreaker(b, fail('r2'), 3, 2).breaker;
    const third = nextBreaker(b, fail('r3'), 3, 3);
    expect(third.opened).toBe(true);
    expect(third.breaker).toMatchObject({ state: 'open', failures: 3, recent: ['r1', 'r2', 'r3'], opened_at: 3 });
  });

  it('a fix in between restarts the count', () => {
    let b = nextBreaker(undefined, fail('r1'), 3, 1).breaker;
    b = nextBreaker(b, fail('r2'), 3, 2).breaker;
    b = nextBreaker(b, { kind: 'fixed', ref: 'p1' }, 3, 3).breaker;
    expect(nextBreaker(b, fail('r4'), 3, 4).breaker).toMatchObject({ state: 'closed', failures: 1 });
  });

  it('a provisional promotion neither resets nor grows the count, so promote-then-rollback every night still opens it', () => {
    let b = nextBreaker(undefined, fail('rollback1'), 3, 1).breaker;
    b = nextBreaker(b, { kind: 'promoted', ref: 'p2' }, 3, 2).breaker;
    expect(b.failures).toBe(1);
    b = nextBreaker(b, fail('rollback2'), 3, 3).breaker;
    b = nextBreaker(b, { kind: 'promoted', ref: 'p3' }, 3, 4).breaker;
    const third = nextBreaker(b, fail('rollback3'), 3, 5);
    expect(third.opened).toBe(true);
  });

  it('a deferred night does not count', () => {
    const b = nextBreaker(undefined, fail('r1'), 3, 1).breaker;
    expect(nextBreaker(b, { kind: 'no_run' }, 3, 2).breaker.failures).toBe(1);
  });

  it('an open breaker stays open until reset', () => {
    const paths = tempState();
    for (const r of ['a', 'b', 'c']) recordTuningOutcome(paths, 'act', 'oom', fail(r), 3, 1);
    recordTuningOutcome(paths, 'act', 'oom', { kind: 'fixed', ref: 'p' }, 3, 2);
    expect(openBreakers(readBreakers(paths))).toEqual(['oom']);
    resetBreaker(paths, 'act', 'oom');
    expect(openBreakers(readBreakers(paths))).toEqual([]);
  });

  it('an unreadable breakers file is a state error naming the file, not an open question', () => {
    const paths = tempState();
    mkdirSync(dirname(paths.breakersFile()), { recursive: true });
    writeFileSync(paths.breakersFile(), '{garbage');
    expect(() => readBreakers(paths)).toThrow(StateError);
    expect(() => readBreakers(paths)).toThrow(/breakers: .*breakers\.json is not valid JSON/);
  });
});
