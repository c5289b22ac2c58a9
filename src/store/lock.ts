/**
 * The loop lock: one `nightshift run` at a time. The lock file records pid, host and start time; it is created
 * with O_EXCL so two starters cannot both win. A lock whose pid is dead on this host is taken over with a warning.
 */
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { ExitCode, NightshiftError } from '../core/errors.js';
import { isoLocal } from '../core/time.js';
import { pidRunning } from '../system/process.js';

export interface LockInfo {
  pid: number;
  host: string;
  started_at: number;
}

export class LockHeldError extends NightshiftError {
  readonly holder: LockInfo;
  constructor(path: string, holder: LockInfo, zone: string) {
    super(
      'lock.held',
      `lock: another run holds ${path} (pid ${holder.pid} on ${holder.host}, since ${isoLocal(holder.started_at, zone)})`,
      { exitCode: ExitCode.lockHeld, hint: 'wait for it, or remove the file if that pid is gone' },
    );
    this.holder = holder;
  }
}

/** A zombie counts as gone: its memory and its lock are released. */
export const pidAlive = pidRunning;

export interface Lock {
  info: LockInfo;
  release(): void;
  /** set when a stale lock was taken over */
  tookOver?: LockInfo;
}

export function acquireLock(
  path: string,
  opts: { now: number; zone: string; warn?: (msg: string) => void; pid?: number },
): Lock {
  mkdirSync(dirname(path), { recursive: true });
  const info: LockInfo = { pid: opts.pid ?? process.pid, host: hostname(), started_at: opts.now };
  let tookOver: LockInfo | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o644);
      try {
        writeSync(fd, `${JSON.stringify(info)}\n`);
      } finally {
        closeSync(fd);
      }
      const lock: Lock = {
        info,
        release: () => {
          const current = readLock(path);
          if (current && current.pid === info.pid && current.started_at === info.started_at)
            rmSync(path, { force: true });
        },
      };
      if (tookOver) lock.tookOver = tookOver;
      return lock;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = readLock(path);
      if (holder && holder.host === info.host && !pidAlive(holder.pid)) {
        opts.warn?.(
          `lock: taking over ${path} from pid ${holder.pid} (started ${isoLocal(holder.started_at, opts.zone)}), which is no longer running`,
        );
        tookOver = holder;
        rmSync(path, { force: true });
        continue;
      }
      if (!holder) {
        // An unreadable lock file is a writer that died before finishing its one write: stale by construction.
        opts.warn?.(`lock: ${path} is unreadable; taking it over`);
        rmSync(path, { force: true });
        continue;
      }
      throw new LockHeldError(path, holder, opts.zone);
    }
  }
  throw new NightshiftError('lock.race', `lock: could not take ${path} after 3 attempts`, {
    exitCode: ExitCode.lockHeld,
  });
}

export function readLock(path: string): LockInfo | undefined {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as LockInfo;
    return typeof parsed.pid === 'number' ? parsed : undefined;
  } catch {
    return undefined;
  }
}
