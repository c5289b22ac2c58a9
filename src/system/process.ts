/**
 * Child processes nightshift starts (twins, canaries, managed production): each in its own process group,
 * tracked by pid, and killed by group — SIGTERM, then SIGKILL after a grace period — on every exit path,
 * including SIGINT/SIGTERM of nightshift itself.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ExitCode, NightshiftError } from '../core/errors.js';

/** Env var a child reads to exit when the given pid (its launcher) is gone: no orphans after a kill -9. */
export const WATCH_PID_ENV = 'NIGHTSHIFT_WATCH_PID';

export interface Spawned {
  pid: number;
  child: ChildProcess;
  /** resolves with the exit code (or 128+signal) once the process has exited */
  exited: Promise<number>;
  exitCode(): number | undefined;
  stop(graceMs?: number): Promise<void>;
}

const live = new Set<number>();
let hooksInstalled = false;
/** false once a long-running owner (the daemon) shuts itself down on signals; see `ownSignalExit`. */
let exitOnSignal = true;

/**
 * For a long-running process that handles SIGINT/SIGTERM itself (the daemon: abort the cycle, stop managed
 * production, then exit): our children are still SIGTERMed by group on the signal, but we do not exit for it.
 */
export function ownSignalExit(): void {
  exitOnSignal = false;
}

const SIGNAL_NUMBERS = { SIGINT: 2, SIGTERM: 15, SIGHUP: 1 } as const;
type StopSignal = keyof typeof SIGNAL_NUMBERS;

/** Work that winds down by itself on a signal (a cycle, a tuning run): aborted on the first one. */
const interruptibles = new Set<AbortController>();
let interruptedBy: StopSignal | undefined;
let forceTimer: NodeJS.Timeout | undefined;

function killAllAndExit(sig: StopSignal): never {
  for (const pid of live) killGroup(pid, 'SIGKILL');
  process.exit(128 + SIGNAL_NUMBERS[sig]);
}

function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', () => {
    for (const pid of live) killGroup(pid, 'SIGKILL');
  });
  for (const sig of Object.keys(SIGNAL_NUMBERS) as StopSignal[]) {
    process.on(sig, () => {
      if (interruptibles.size > 0 && interruptedBy === undefined) {
        // First signal during interruptible work: let it stop its canaries and bring production back (a quiesced
        // canary run stopped it), then return normally. The grace period bounds how long that may take.
        interruptedBy = sig;
        for (const c of interruptibles) c.abort(new InterruptedError(sig));
        forceTimer = setTimeout(() => killAllAndExit(sig), graceMsFor);
        return;
      }
      if (interruptedBy !== undefined) killAllAndExit(sig); // a second signal: stop now
      for (const pid of live) killGroup(pid, 'SIGTERM');
      if (!exitOnSignal) return;
      // Re-raise the default behaviour after cleanup: exit with 128 + signal number.
      process.exit(128 + SIGNAL_NUMBERS[sig]);
    });
  }
}

export class InterruptedError extends NightshiftError {
  readonly signal: StopSignal;
  constructor(signal: StopSignal) {
    super('interrupted', `interrupted by ${signal}`, { exitCode: 128 + SIGNAL_NUMBERS[signal] });
    this.signal = signal;
  }
}

let graceMsFor = 30_000;

/**
 * An AbortSignal for work that must wind down cleanly on SIGINT/SIGTERM/SIGHUP (a loop cycle, a tuning run):
 * the first signal aborts it and gives it `graceMs` to finish; a second signal, or the grace running out, kills
 * every child group and exits 128+n. `interrupted()` says which signal stopped the work; `dispose()` when done.
 */
export function interruptSignal(graceMs: number): {
  signal: AbortSignal;
  interrupted(): StopSignal | undefined;
  exitCode(): number | undefined;
  dispose(): void;
} {
  installExitHooks();
  graceMsFor = graceMs;
  const controller = new AbortController();
  interruptibles.add(controller);
  return {
    signal: controller.signal,
    interrupted: () => interruptedBy,
    exitCode: () => (interruptedBy ? 128 + SIGNAL_NUMBERS[interruptedBy] : undefined),
    dispose: () => {
      interruptibles.delete(controller);
      if (interruptibles.size === 0 && forceTimer) {
        clearTimeout(forceTimer);
        forceTimer = undefined;
      }
    },
  };
}

export function killGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    try {
      process.kill(pid, signal);
      return true;
    } catch {
      return false;
    }
  }
}

/**
 * Whether any process of the group still runs. A zombie (dead, not yet reaped) does not count: in containers
 * whose init reaps orphans slowly, `kill(-pgid, 0)` keeps succeeding for seconds after the group is gone.
 */
export function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
  } catch {
    return false;
  }
  const members = groupMembersFromProc(pid);
  return members === undefined ? true : members.some((m) => m.state !== 'Z');
}

/** Whether a process runs (a zombie waiting to be reaped counts as gone). */
export function pidRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return true; // no /proc: trust kill(0)
  }
}

/** Linux: the group's members and their states from /proc; undefined where /proc is not readable. */
function groupMembersFromProc(pgid: number): { pid: number; state: string }[] | undefined {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return undefined;
  }
  const members: { pid: number; state: string }[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited while we looked
    }
    // "pid (comm) state ppid pgrp ...": comm may contain spaces and parentheses, so split after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) === pgid) members.push({ pid: Number(entry), state: fields[0] ?? '?' });
  }
  return members;
}

export interface SpawnOptions {
  env?: Record<string, string>;
  logPath?: string;
  cwd?: string;
  /** Keep running after nightshift exits (managed production). Default false: the child dies with us. */
  detachedLifetime?: boolean;
}

export function spawnGroup(argv: string[], opts: SpawnOptions = {}): Spawned {
  installExitHooks();
  const [cmd, ...args] = argv;
  if (!cmd) throw new Error('spawnGroup: empty argv');
  let out: number | 'ignore' = 'ignore';
  if (opts.logPath) {
    mkdirSync(dirname(opts.logPath), { recursive: true });
    out = openSync(opts.logPath, 'a');
  }
  const env: Record<string, string> = { ...(process.env as Record<string, string>), ...(opts.env ?? {}) };
  if (!opts.detachedLifetime) env[WATCH_PID_ENV] = String(process.pid);
  const child = spawn(cmd, args, { detached: true, stdio: ['ignore', out, out], env, cwd: opts.cwd });
  if (typeof out === 'number') closeSync(out);
  const pid = child.pid;
  if (pid === undefined) {
    // The spawn failed (ENOENT, EACCES): node emits 'error' on the next tick; without a listener that
    // would be an uncaught exception on top of the error we throw here.
    child.once('error', () => {});
    throw new NightshiftError('process.spawn', `could not start ${cmd}: not found or not executable`, {
      exitCode: ExitCode.usage,
      hint: 'check the command (target.launch) and PATH',
    });
  }
  if (!opts.detachedLifetime) live.add(pid);
  else child.unref();
  let code: number | undefined;
  const exited = new Promise<number>((resolve) => {
    child.once('exit', (c, sig) => {
      code = c ?? 128 + (sig ? signalNumber(sig) : 0);
      live.delete(pid);
      resolve(code);
    });
    child.once('error', () => {
      code = 127;
      live.delete(pid);
      resolve(127);
    });
  });
  return {
    pid,
    child,
    exited,
    exitCode: () => code,
    stop: async (graceMs = 5000) => {
      await stopGroup(pid, graceMs, code === undefined ? exited : undefined);
      live.delete(pid);
    },
  };
}

/** SIGTERM the group, wait up to graceMs for it to go, then SIGKILL. Works for pids we did not spawn (recovery). */
export async function stopGroup(pid: number, graceMs = 5000, exited?: Promise<unknown>): Promise<void> {
  if (!groupAlive(pid)) return;
  killGroup(pid, 'SIGTERM');
  const deadline = performance.now() + graceMs;
  while (groupAlive(pid) && performance.now() < deadline) {
    await Promise.race([exited ?? new Promise((r) => setTimeout(r, 50)), new Promise((r) => setTimeout(r, 50))]);
  }
  if (groupAlive(pid)) killGroup(pid, 'SIGKILL');
  const hardDeadline = performance.now() + 2000;
  while (groupAlive(pid) && performance.now() < hardDeadline) await new Promise((r) => setTimeout(r, 20));
}

function signalNumber(sig: NodeJS.Signals): number {
  const table: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };
  return table[sig] ?? 0;
}

/**
 * In a child: exit when the pid in NIGHTSHIFT_WATCH_PID is gone (the launcher was killed, even by SIGKILL).
 * Polls once a second; the timer is unref'd so it never keeps the process alive by itself.
 */
export function exitWithWatchedParent(onGone: () => void, env: NodeJS.ProcessEnv = process.env): void {
  const watched = Number(env[WATCH_PID_ENV]);
  if (!Number.isInteger(watched) || watched <= 0) return;
  const timer = setInterval(() => {
    try {
      process.kill(watched, 0);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ESRCH') {
        clearInterval(timer);
        onGone();
      }
    }
  }, 1000);
  timer.unref();
}
