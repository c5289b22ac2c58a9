/**
 * How a command module plugs in: `register(program, exit, io)`. `action()` wraps a handler so it returns an
 * exit code instead of exiting, and gets a ready `CliContext`.
 */
import { resolve, sep } from 'node:path';
import type { Command } from 'commander';
import type { Config } from '../config/schema.js';
import { NightshiftError, StateError } from '../core/errors.js';
import { type CliContext, makeContext, type Output } from './context.js';

export type Register = (program: Command, exit: { code: number }, io: Output) => void;

/**
 * Wrap a command handler. The handler receives the context and commander's positional args + options,
 * and returns the exit code (or nothing for 0).
 */
export function action<A extends unknown[]>(
  exit: { code: number },
  io: Output,
  handler: (ctx: CliContext, ...args: A) => Promise<number | undefined> | number | undefined,
): (...args: unknown[]) => Promise<void> {
  return async (...args: unknown[]) => {
    const cmd = args[args.length - 1] as Command;
    const ctx = makeContext(cmd, io);
    try {
      const code = await handler(ctx, ...(args.slice(0, -1) as A));
      exit.code = code ?? 0;
    } catch (err) {
      throw stateError(err, ctx.paths.root) ?? err;
    }
  };
}

const STATE_ERRNOS = new Set(['ENOTDIR', 'EACCES', 'EPERM', 'EROFS', 'ENOSPC', 'EISDIR']);

/**
 * A file-system error on a path inside the state directory is the state directory's fault (exit 5, one line
 * naming it), not an internal error with a stack trace.
 */
export function stateError(err: unknown, stateRoot: string): StateError | undefined {
  if (err instanceof NightshiftError || !(err instanceof Error)) return undefined;
  const e = err as NodeJS.ErrnoException;
  if (e.code === undefined || !STATE_ERRNOS.has(e.code) || e.path === undefined) return undefined;
  const root = resolve(stateRoot);
  const path = resolve(e.path);
  if (path !== root && !path.startsWith(root + sep)) return undefined;
  return new StateError(`state: cannot use ${path} (${e.code}, ${e.syscall ?? 'fs'})`, {
    hint: `check that the state directory ${root} is a writable directory (--state-dir, $NIGHTSHIFT_STATE_DIR or state_dir)`,
    cause: err,
  });
}

/**
 * How long a cycle or tuning run may take to wind down after SIGINT/SIGTERM (stop canaries, bring production
 * back) before everything is killed: twice the restore SLA in real time, plus room to stop the canaries.
 */
export function windDownMs(config: Config): number {
  return 10_000 + 2 * config.canary.restore_sla_s * 1000 * config.target.time_scale;
}
