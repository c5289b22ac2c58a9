/**
 * The error vocabulary. Each condition a caller may handle has its own class; every error carries the exit
 * code the CLI maps it to (ARCHITECTURE.md §6) and a hint saying what to do next.
 */
export const ExitCode = {
  healthy: 0,
  degraded: 1,
  fixed: 2,
  usage: 3,
  lockHeld: 4,
  stateUnreadable: 5,
  internal: 70,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export class NightshiftError extends Error {
  /** Stable machine-readable code, e.g. `config.invalid`, `lock.held`. */
  readonly code: string;
  readonly exitCode: number;
  readonly hint: string | undefined;
  constructor(code: string, message: string, opts: { exitCode?: number; hint?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = code;
    this.exitCode = opts.exitCode ?? ExitCode.internal;
    this.hint = opts.hint;
  }
}

/** Bad command line or bad config: the user must change what they typed. */
export class UsageError extends NightshiftError {
  constructor(message: string, hint?: string) {
    super('usage', message, { exitCode: ExitCode.usage, ...(hint ? { hint } : {}) });
  }
}

/** The state directory cannot be read or written. */
export class StateError extends NightshiftError {
  constructor(message: string, opts: { hint?: string; cause?: unknown } = {}) {
    super('state.unreadable', message, { exitCode: ExitCode.stateUnreadable, ...opts });
  }
}

/** One line for a human: the message, then what to do. */
export function describeError(err: unknown): string {
  if (err instanceof NightshiftError) return err.hint ? `${err.message}; ${err.hint}` : err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}
