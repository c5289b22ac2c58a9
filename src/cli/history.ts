/** `nightshift history`: the cycles, one row each, newest last. */
import { UsageError } from '../core/errors.js';
import { type CycleRecord, readCycles } from '../loop/cycle-record.js';
import { action, type Register } from './command.js';
import { printJson } from './context.js';
import { table } from './loop-app.js';

/** Longest error text shown in the table; the whole line is in the record (`history --json`). */
const ERROR_CHARS = 60;

/**
 * The last column: validations, then why the night is what it is (paused, recovered, a failed step), so an
 * exit 1 row always says why.
 */
export function cycleNotes(c: Pick<CycleRecord, 'validation' | 'paused_before' | 'recovery' | 'errors'>): string {
  const notes = c.validation.map((v) => `${v.promotion_id}:${v.outcome}`);
  if (c.paused_before) notes.push(`paused at ${c.paused_before}`);
  if (c.recovery) notes.push('recovered');
  const [first, ...more] = c.errors;
  if (first !== undefined) {
    const text = first.length > ERROR_CHARS ? `${first.slice(0, ERROR_CHARS - 1)}…` : first;
    notes.push(more.length > 0 ? `${text} (+${more.length} more)` : text);
  }
  return notes.join('; ') || '-';
}

export const registerHistory: Register = (program, exit, io) => {
  program
    .command('history')
    .description('Table of loop cycles (autonomous_loop/cycles.jsonl), newest last')
    .option('-n, --limit <n>', 'how many of the latest cycles', '14')
    .option('--json', 'print the records as JSON')
    .action(
      action(exit, io, (ctx, opts: { limit: string }) => {
        const limit = Number(opts.limit);
        if (!Number.isInteger(limit) || limit <= 0)
          throw new UsageError(`history: --limit expects a positive integer, found "${opts.limit}"`);
        const cycles = readCycles(ctx.paths, (m) => ctx.log.warn(m)).slice(-limit);
        if (ctx.json) {
          printJson(io, cycles);
          return 0;
        }
        if (cycles.length === 0) {
          io.out(`no cycles yet in ${ctx.paths.cyclesLedger()}`);
          return 0;
        }
        const rows = cycles.map((c) => [
          c.cycle_id,
          String(c.exit_code),
          c.mode,
          c.phase_status,
          c.analysis_status,
          String(c.degradation_signals),
          c.escalations_armed.join(',') || '-',
          c.config_tuning_status ?? '-',
          c.promotion_id ?? '-',
          cycleNotes(c),
        ]);
        io.out(
          table(
            [
              'cycle',
              'exit',
              'mode',
              'phase',
              'analysis',
              'signals',
              'armed',
              'tuning',
              'promotion',
              'validation/notes',
            ],
            rows,
          ),
        );
        return 0;
      }),
    );
};
