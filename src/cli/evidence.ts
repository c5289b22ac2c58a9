/**
 * `nightshift evidence scan FILE... | --unit UNIT [--since T] [--until T] [--json]`: what nightshift sees in
 * an engine's log — each OOM, preemption or engine death with its kind, line number and line — or "no events".
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { DateTime } from 'luxon';
import { UsageError } from '../core/errors.js';
import { parseDuration } from '../core/time.js';
import type { Evidence } from '../core/types.js';
import { readJournal } from '../probe/logsource.js';
import { type ScanOptions, scanLog } from '../probe/signatures.js';
import { action, type Register } from './command.js';
import { type CliContext, printJson } from './context.js';

interface ScanFlags {
  unit?: string;
  since?: string;
  until?: string;
  year?: string;
  json?: boolean;
}

/** "2h" (that long ago), or an ISO date-time in the configured zone. */
function parseWhen(text: string, now: number, zone: string, flag: string): number {
  if (/^\d+(\.\d+)?(ms|s|m|h|d)/.test(text.trim())) {
    try {
      return now - parseDuration(text);
    } catch {
      // not a duration after all: try it as a date-time below
    }
  }
  const d = DateTime.fromISO(text.trim(), { zone });
  if (!d.isValid) {
    throw new UsageError(`evidence: ${flag} "${text}" is neither a duration (2h) nor a date-time (2026-11-29T03:00)`);
  }
  return d.toMillis();
}

export interface FoundEvent extends Evidence {
  file: string;
}

function describe(ev: FoundEvent): string {
  const extra = ev.estimatedMaxModelLen !== undefined ? ` (estimated max model length ${ev.estimatedMaxModelLen})` : '';
  const where = `${ev.file}:${ev.lineNo ?? '?'}`;
  return `${where}  ${ev.kind}${extra}\n    ${ev.line}`;
}

/** A log file's text; a missing, directory or unreadable path is a usage error naming it. */
function readLogFile(file: string): string {
  if (!existsSync(file)) throw new UsageError(`evidence: no such file ${file}`);
  if (statSync(file).isDirectory()) {
    throw new UsageError(`evidence: ${file} is a directory`, `name the log files in it, e.g. ${file}/*.log`);
  }
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? (e instanceof Error ? e.message : String(e));
    throw new UsageError(`evidence: cannot read ${file} (${code})`, 'check its permissions');
  }
}

async function scan(ctx: CliContext, files: string[], flags: ScanFlags): Promise<number> {
  if (files.length === 0 && !flags.unit) {
    throw new UsageError(
      'evidence scan: name a log FILE or a systemd --unit',
      'e.g. nightshift evidence scan vllm.log',
    );
  }
  const now = ctx.clock.now();
  const zone = ctx.config.timezone;
  const opts: ScanOptions = { zone, year: DateTime.fromMillis(now, { zone }).year };
  if (flags.year !== undefined) {
    const y = Number(flags.year);
    if (!Number.isInteger(y) || y < 1970 || y > 9999)
      throw new UsageError(`evidence: --year "${flags.year}" is not a year`);
    opts.year = y;
  }
  if (flags.since !== undefined) opts.sinceMs = parseWhen(flags.since, now, zone, '--since');
  if (flags.until !== undefined) opts.untilMs = parseWhen(flags.until, now, zone, '--until');

  const found: FoundEvent[] = [];
  for (const file of files) {
    const events = scanLog(readLogFile(file), opts);
    for (const ev of events) found.push({ file, ...ev });
  }
  if (flags.unit) {
    const since = opts.sinceMs ?? now - 24 * 3_600_000;
    const text = await readJournal(flags.unit, since, opts.untilMs);
    const events = scanLog(text, { ...opts, source: 'journal' });
    for (const ev of events) found.push({ file: `journal:${flags.unit}`, ...ev });
  }
  if (ctx.json) printJson(ctx.io, found);
  else if (found.length === 0) ctx.io.out('no events');
  else ctx.io.out(found.map(describe).join('\n'));
  return 0;
}

export const registerEvidence: Register = (program, exit, io) => {
  const evidence = program.command('evidence').description('What nightshift sees in engine logs');
  evidence
    .command('scan')
    .description('List OOM, preemption and engine-death events in log files or a systemd unit journal')
    .argument('[files...]', 'engine log files')
    .option('--unit <unit>', 'read the journal of this systemd unit (journalctl -u)')
    .option(
      '--since <when>',
      'only events at or after: a duration ago (2h) or a date-time (2026-11-29T03:00); with --unit default 24h',
    )
    .option('--until <when>', 'only events at or before: a duration ago or a date-time')
    .option('--year <year>', 'year for timestamps written without one (default: this year)')
    .option('--json', 'print as JSON')
    .action(action(exit, io, (ctx, files: string[], flags: ScanFlags) => scan(ctx, files, flags)));
};
