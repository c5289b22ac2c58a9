/**
 * Fail-fast scanners for a production restart nightshift did not spawn itself (systemd, command): the engine's
 * log file (target.log_file) or the unit's journal, read from the moment the restart began, each line checked
 * against the engine's startup-failure and OOM signatures.
 */
import type { Evidence } from '../../core/types.js';
import { FailurePicker } from '../classify.js';
import type { Engine } from '../engine.js';
import { LogTail } from '../log-tail.js';
import { runCommand } from './run.js';

export type FailureScan = () => Promise<Evidence | undefined>;

function classify(engine: Engine, line: string): Evidence | undefined {
  return engine.startupFailure(line) ?? engine.oomSignature(line);
}

/** Scan new lines of a log file; lines written before the scanner was made are not this restart's. */
export function logFileScan(engine: Engine, path: string): FailureScan {
  const tail = LogTail.fromEnd(path);
  const picker = new FailurePicker();
  return async () => {
    for (const { line, lineNo } of await tail.read()) {
      const hit = classify(engine, line);
      const picked = hit && picker.offer({ ...hit, source: 'log', lineNo });
      if (picked) return picked;
    }
    return picker.due(false);
  };
}

/** Scan the unit's journal since `sinceMs` (epoch ms), at most once per `everyMs`: journalctl is a process start. */
export function journalScan(
  engine: Engine,
  opts: { journalctl: string[]; unit: string; sinceMs: number; logPath: string; everyMs?: number },
): FailureScan {
  let lastAt = Number.NEGATIVE_INFINITY;
  // The whole journal since the restart is read each time; a generic line keeps the time it was first seen.
  const picker = new FailurePicker();
  return async () => {
    if (performance.now() - lastAt < (opts.everyMs ?? 1000)) return undefined;
    lastAt = performance.now();
    const since = `@${Math.floor(opts.sinceMs / 1000)}`;
    const argv = [...opts.journalctl, '-u', opts.unit, '--since', since, '-o', 'cat', '--no-pager', '-q'];
    const run = await runCommand(argv, { logPath: opts.logPath, timeoutMs: 5000, fresh: true });
    for (const line of run.output.split('\n')) {
      const hit = classify(engine, line);
      const picked = hit && picker.offer({ ...hit, source: 'journal' });
      if (picked) return picked;
    }
    return picker.due(false);
  };
}

/** Several scans in order; the first evidence wins. */
export function anyScan(...scans: (FailureScan | undefined)[]): FailureScan {
  return async () => {
    for (const scan of scans) {
      const hit = await scan?.();
      if (hit) return hit;
    }
    return undefined;
  };
}
