/**
 * Reading the engine's log and journal for one domain's window, through the probe's log sources and
 * signatures. A source that cannot be read (journald absent, file unreadable) is a note in the record,
 * never a failed domain: the other sources still count.
 */
import { DateTime } from 'luxon';
import { describeError } from '../../core/errors.js';
import type { Evidence } from '../../core/types.js';
import { logSize, readJournal, readLogSince } from '../../probe/logsource.js';
import { scanLog } from '../../probe/signatures.js';

export interface Scanned {
  events: Evidence[];
  note?: string;
}

export interface LogReader {
  /** bytes in the file now (0 when it does not exist) */
  size(path: string): number;
  /** events written to `path` after `offset`, timed at or after `sinceMs` */
  scanFile(path: string, offset: number, sinceMs: number, untilMs: number): Scanned;
  /** events of the unit's journal between the two times */
  scanJournal(unit: string, sinceMs: number, untilMs: number): Promise<Scanned>;
}

/**
 * Engines stamp log lines to the second, in their local zone, often without a year: a line written in the
 * domain's first second may carry a stamp just before its start, so the window opens this much earlier.
 * The byte offset already keeps older lines out.
 */
export const STAMP_SLACK_MS = 2000;

export const systemLogReader: LogReader = {
  size(path) {
    try {
      return logSize(path);
    } catch {
      return 0;
    }
  },
  scanFile(path, offset, sinceMs) {
    try {
      const { text } = readLogSince(path, offset);
      if (text.length === 0) return { events: [] };
      const year = DateTime.fromMillis(sinceMs).year;
      // Text after the offset was written during the domain: untimed lines (llama-server) count too.
      return { events: scanLog(text, { year, sinceMs: sinceMs - STAMP_SLACK_MS, keepUntimed: true, source: 'log' }) };
    } catch (err) {
      return { events: [], note: `log ${path} not read: ${describeError(err)}` };
    }
  },
  async scanJournal(unit, sinceMs, untilMs) {
    try {
      const text = await readJournal(unit, sinceMs - STAMP_SLACK_MS, untilMs + STAMP_SLACK_MS);
      const year = DateTime.fromMillis(sinceMs).year;
      return { events: scanLog(text, { year, sinceMs: sinceMs - STAMP_SLACK_MS, source: 'journal' }) };
    } catch (err) {
      return { events: [], note: `journal of ${unit} not read: ${describeError(err)}` };
    }
  },
};
