/**
 * Where log text comes from: a log file the caller owns (canary, managed twin), read from the byte offset it
 * recorded when the run started, or journald for a systemd unit. The text then goes to signatures.scanLog.
 */
import {
  accessSync,
  closeSync,
  constants,
  existsSync,
  fstatSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { NightshiftError } from '../core/errors.js';
import { spawnGroup } from '../system/process.js';

/** A log source could not be read; the message says which and what to do. */
export class LogSourceError extends NightshiftError {
  constructor(message: string, hint?: string) {
    super('evidence.source', message, hint === undefined ? {} : { hint });
  }
}

/** Current size of a log file in bytes (0 when it does not exist yet): record it when a run starts. */
export function logSize(path: string): number {
  if (!existsSync(path)) return 0;
  const fd = openSync(path, 'r');
  try {
    return fstatSync(fd).size;
  } finally {
    closeSync(fd);
  }
}

/**
 * The text written to `path` since `byteOffset` (the size recorded at the start of a run), and the offset to
 * resume from next time. A file smaller than the offset was rotated or truncated: then all of it is new.
 * A missing file is no text (the engine has not written yet).
 */
export function readLogSince(path: string, byteOffset: number): { text: string; endOffset: number } {
  if (!existsSync(path)) return { text: '', endOffset: 0 };
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const start = byteOffset <= size ? Math.max(0, byteOffset) : 0;
    const length = size - start;
    const buf = Buffer.alloc(length);
    let read = 0;
    while (read < length) {
      const n = readSync(fd, buf, read, length - read, start + read);
      if (n === 0) break;
      read += n;
    }
    return { text: buf.subarray(0, read).toString('utf8'), endOffset: start + read };
  } finally {
    closeSync(fd);
  }
}

let journalCounter = 0;

/** Checked before spawning: a missing binary must be a clear error, not a spawn failure. */
function onPath(cmd: string): boolean {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, cmd), constants.X_OK);
      return true;
    } catch {
      // not in this directory: keep looking
    }
  }
  return false;
}

/**
 * `journalctl -u UNIT --since @S [--until @S] -o short-iso --no-pager`, in its own process group, bounded by
 * `timeoutMs`. short-iso gives every line a full timestamp with offset, so a time window is exact.
 * Output goes to a temp file (process.ts gives children files, not pipes) that is removed afterwards.
 */
export async function readJournal(
  unit: string,
  sinceMs: number,
  untilMs?: number,
  timeoutMs = 15_000,
): Promise<string> {
  if (!/^[\w@.:-]+$/.test(unit)) {
    throw new LogSourceError(`evidence: "${unit}" is not a systemd unit name`, 'pass e.g. --unit vllm.service');
  }
  const argv = ['journalctl', '-u', unit, '--since', `@${Math.floor(sinceMs / 1000)}`];
  if (untilMs !== undefined) argv.push('--until', `@${Math.ceil(untilMs / 1000)}`);
  argv.push('-o', 'short-iso', '--no-pager');
  if (!onPath('journalctl')) {
    throw new LogSourceError(
      'evidence: journalctl not found',
      'journald is not available here; pass the engine log file instead',
    );
  }
  const out = join(tmpdir(), `nightshift-journal-${process.pid}-${++journalCounter}.log`);
  let proc: ReturnType<typeof spawnGroup>;
  try {
    proc = spawnGroup(argv, { logPath: out });
  } catch (err) {
    rmSync(out, { force: true });
    throw new LogSourceError(
      `evidence: cannot run journalctl (${err instanceof Error ? err.message : String(err)})`,
      'journald is not available here; pass the engine log file instead',
    );
  }
  let timer: NodeJS.Timeout | undefined;
  try {
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const code = await Promise.race([proc.exited, timedOut]);
    if (code === 'timeout') {
      await proc.stop(1000);
      throw new LogSourceError(`evidence: journalctl -u ${unit} gave no answer within ${timeoutMs} ms`);
    }
    const text = existsSync(out) ? readFileSync(out, 'utf8') : '';
    if (code === 127) {
      throw new LogSourceError(
        'evidence: journalctl not found',
        'journald is not available here; pass the engine log file instead',
      );
    }
    if (code !== 0) {
      const first = text.split('\n').find((l) => l.trim().length > 0) ?? '';
      throw new LogSourceError(`evidence: journalctl -u ${unit} exited with ${code}: ${first.trim()}`);
    }
    return text;
  } finally {
    if (timer) clearTimeout(timer);
    rmSync(out, { force: true });
  }
}
