/** `nightshift daemon`: run the cycle every night at phase.at without systemd (containers); stops cleanly on SIGTERM. */
import { UsageError } from '../core/errors.js';
import { parseHhmm } from '../core/time.js';
import { startDaemon } from '../system/daemon.js';
import { action, type Register } from './command.js';
import { appFor } from './loop-app.js';

export const registerDaemon: Register = (program, exit, io) => {
  program
    .command('daemon')
    .description('Run the loop on its nightly schedule in the foreground (for hosts without systemd)')
    .option('--at <HH:MM>', 'local time of the nightly cycle (default phase.at of the config)')
    .action(
      action(exit, io, async (ctx, opts: { at?: string }) => {
        const at = opts.at ?? ctx.config.phase.at;
        try {
          parseHhmm(at);
        } catch {
          throw new UsageError(`daemon: --at expects a local time HH:MM, found "${at}"`);
        }
        const app = appFor(ctx);
        const daemon = await startDaemon({
          at,
          timezone: app.config.timezone,
          log: app.log,
          production: app.production,
          cycle: (signal) => app.cycle(signal),
        });
        return daemon.done;
      }),
    );
};
