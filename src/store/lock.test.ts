import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempState } from '../../test/support/state.js';
import { acquireLock, LockHeldError, readLock } from './lock.js';

const opts = { now: 1_700_000_000_000, zone: 'UTC' };

/** The pid of a process that has exited and been reaped. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0']);
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid as number;
}

describe('loop lock', () => {
  it('records pid, host and start time, and release removes it', () => {
    const paths = tempState();
    const lock = acquireLock(paths.lockFile(), opts);
    expect(readLock(paths.lockFile())).toEqual({ pid: process.pid, host: hostname(), started_at: opts.now });
    lock.release();
    expect(existsSync(paths.lockFile())).toBe(false);
  });

  it('refuses a lock held by a live process, naming its pid and start time', () => {
    const paths = tempState();
    const lock = acquireLock(paths.lockFile(), opts);
    let err: unknown;
    try {
      acquireLock(paths.lockFile(), { ...opts, now: opts.now + 1000 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LockHeldError);
    expect((err as LockHeldError).exitCode).toBe(4);
    expect((err as Error).message).toContain(`pid ${process.pid}`);
    expect((err as Error).message).toContain('2023-11-14T22:13:20');
    lock.release();
  });

  it('takes over a lock whose pid is dead, with a warning', async () => {
    const paths = tempState();
    const pid = await deadPid();
    mkdirSync(dirname(paths.lockFile()), { recursive: true });
    writeFileSync(paths.lockFile(), JSON.stringify({ pid, host: hostname(), started_at: 1 }));
    const warnings: string[] = [];
    const lock = acquireLock(paths.lockFile(), { ...opts, warn: (m) => warnings.push(m) });
    expect(lock.tookOver?.pid).toBe(pid);
    expect(warnings.join('\n')).toMatch(new RegExp(`taking over .* from pid ${pid}`));
    expect(readLock(paths.lockFile())?.pid).toBe(process.pid);
    lock.release();
  });
});
