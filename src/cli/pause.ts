/** `nightshift pause`: the kill switch. The cycle stops before its next step; `nightshift resume` lifts it. */
import { hostname, userInfo } from 'node:os';
import { readPause, setPause } from '../loop/control/pause.js';
import { action, type Register } from './command.js';
import { printJson } from './context.js';
import { appFor, shortTime } from './loop-app.js';

export function operator(): string {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // No passwd entry (some containers): the host still says where it came from.
  }
  return `${user}@${hostname()}`;
}

export const registerPause: Register = (program, exit, io) => {
  program
    .command('pause')
    .description('Stop the loop before its next step, and every cycle after, until `nightshift resume`')
    .option('-r, --reason <text>', 'why (shown in status and the cycle record)', 'paused by operator')
    .option('--json', 'print the pause record as JSON')
    .action(
      action(exit, io, (ctx, opts: { reason: string }) => {
        const { paths, clock, config } = appFor(ctx);
        const was = readPause(paths);
        const p =
          was ?? setPause(paths, { mode: config.mode, paused_at: clock.now(), reason: opts.reason, by: operator() });
        if (ctx.json) printJson(io, p);
        else
          io.out(
            was
              ? `already paused since ${shortTime(was.paused_at, config.timezone)} by ${was.by}: ${was.reason}`
              : `paused: the loop stops before its next step (a running PHASE or tuning run is aborted). \`nightshift resume\` lifts it.`,
          );
        return 0;
      }),
    );
};
