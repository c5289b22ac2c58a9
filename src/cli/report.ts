/** `nightshift report [--since 30d]`: the loop's success metrics, each beside its target. */
import { UsageError } from '../core/errors.js';
import { parseDuration } from '../core/time.js';
import { readCycles } from '../loop/cycle-record.js';
import { loopHealth, renderLoopHealth } from '../loop/health-report.js';
import { action, type Register } from './command.js';
import { printJson } from './context.js';
import { appFor, shortTime } from './loop-app.js';

export const registerReport: Register = (program, exit, io) => {
  program
    .command('report')
    .description('Loop health: degraded cycles, escalations resolved, time to resolution, OOM/latency/pass-rate trends')
    .option('--since <duration>', 'how far back, e.g. 30d, 7d, 12h', '30d')
    .option('--json', 'print as JSON')
    .action(
      action(exit, io, (ctx, opts: { since: string }) => {
        let sinceMs: number;
        try {
          sinceMs = parseDuration(opts.since);
        } catch {
          throw new UsageError(`report: --since expects a duration like 30d or 12h, found "${opts.since}"`);
        }
        const { config, paths, clock } = appFor(ctx);
        const now = clock.now();
        const health = loopHealth(paths, config, now - sinceMs, now, (m) => ctx.log.warn(m));
        if (ctx.json) printJson(io, health);
        else {
          io.out(renderLoopHealth(health, (ms) => shortTime(ms, config.timezone)));
          // A simulated month or an old state directory lies before the period: say where the cycles are.
          const newest = health.cycles === 0 ? readCycles(paths, () => {}).at(-1) : undefined;
          if (newest) {
            io.out(
              `\nno cycle in the period; the newest is ${newest.cycle_id} (${shortTime(newest.started_at, config.timezone)}): widen --since`,
            );
          }
        }
        return 0;
      }),
    );
};
