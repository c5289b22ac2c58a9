/**
 * Running a short external command for production changes (systemctl, journalctl, the user's apply command):
 * its own process group, output appended to a log file in the state directory, a timeout after which the
 * group is killed. Returns the output it wrote, never throws on a non-zero exit.
 */
import { readFile, rm } from 'node:fs/promises';
import { type Spawned, spawnGroup } from '../../system/process.js';
import { pause } from '../health.js';
import { fileSizeSync } from '../log-tail.js';

export interface RunResult {
  /** exit code, or undefined when killed on timeout */
  code: number | undefined;
  timedOut: boolean;
  /** what the command wrote (stdout and stderr interleaved) */
  output: string;
  ms: number;
}

export async function runCommand(
  argv: string[],
  opts: {
    logPath: string;
    timeoutMs: number;
    env?: Record<string, string>;
    graceMs?: number;
    /** start the log file empty (scratch output, e.g. a journal read) instead of appending */
    fresh?: boolean;
  },
): Promise<RunResult> {
  const t0 = performance.now();
  if (opts.fresh) await rm(opts.logPath, { force: true });
  const offset = fileSizeSync(opts.logPath);
  let child: Spawned;
  try {
    child = spawnGroup(argv, { logPath: opts.logPath, ...(opts.env ? { env: opts.env } : {}) });
  } catch (err) {
    // A missing binary is an outcome the caller reports (exit 127, like a shell), not a crash of the loop.
    return {
      code: 127,
      timedOut: false,
      output: `${(err as Error).message}\n`,
      ms: Math.round(performance.now() - t0),
    };
  }
  await pause(opts.timeoutMs, child.exited);
  const timedOut = child.exitCode() === undefined;
  if (timedOut) await child.stop(opts.graceMs ?? 2000);
  const text = await readFile(opts.logPath).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return Buffer.alloc(0);
    throw err;
  });
  return {
    code: timedOut ? undefined : child.exitCode(),
    timedOut,
    output: text.subarray(offset).toString('utf8'),
    ms: Math.round(performance.now() - t0),
  };
}

/** The last non-empty line of some output, for evidence. */
export function lastLine(output: string): string | undefined {
  const lines = output.split('\n').map((l) => l.trim());
  for (let i = lines.length - 1; i >= 0; i--) if (lines[i]) return lines[i];
  return undefined;
}

/** POSIX shell quoting of one argument. */
export function shellQuote(arg: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}
