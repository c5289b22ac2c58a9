/** `nightshift resume`: lift the kill switch. */
import { clearPause } from '../loop/control/pause.js';
import { action, type Register } from './command.js';
import { printJson } from './context.js';
import { shortTime } from './loop-app.js';

export const registerResume: Register = (program, exit, io) => {
  program
    .command('resume')
    .description('Lift `nightshift pause`: the next cycle runs every step again')
    .option('--json', 'print what was lifted as JSON')
    .action(
      action(exit, io, (ctx) => {
        const was = clearPause(ctx.paths);
        if (ctx.json) printJson(io, { resumed: was !== undefined, was: was ?? null });
        else
          io.out(
            was
              ? `resumed (was paused since ${shortTime(was.paused_at, ctx.config.timezone)} by ${was.by}: ${was.reason})`
              : 'not paused: nothing to resume',
          );
        return 0;
      }),
    );
};
