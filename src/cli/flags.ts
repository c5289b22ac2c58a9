/** `nightshift flags [--json]`: the armed escalation flags, with the time each has left. */
import { clockFromEnv } from '../app.js';
import { armedFlags, type Flag } from '../loop/symptoms/flags.js';
import { action, type Register } from './command.js';
import { printJson } from './context.js';
import { shortTime, span, table } from './loop-app.js';

export function renderFlags(flags: readonly Flag[], now: number, zone: string): string {
  if (flags.length === 0) return 'no escalation flag armed';
  return table(
    ['KIND', 'SEVERITY', 'SYMPTOMS', 'SET', 'LEFT', 'REASON'],
    flags.map((f) => [
      f.kind,
      f.severity,
      String(f.symptom_count),
      shortTime(f.set_at, zone),
      span(f.expires_at - now),
      f.reason,
    ]),
  );
}

export const registerFlags: Register = (program, exit, io) => {
  program
    .command('flags')
    .description('List armed escalation flags and the time each has left (expired ones are removed)')
    .option('--json', 'print as JSON')
    .action(
      action(exit, io, (ctx) => {
        const clock = clockFromEnv(process.env, ctx.clock);
        const now = clock.now();
        const flags = armedFlags(ctx.paths, clock, (m) => ctx.log.warn(m));
        if (ctx.json)
          printJson(
            io,
            flags.map((f) => ({ ...f, left_ms: f.expires_at - now })),
          );
        else io.out(renderFlags(flags, now, ctx.config.timezone));
        return 0;
      }),
    );
};
