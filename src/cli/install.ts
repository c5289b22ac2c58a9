/**
 * `nightshift install systemd [--user] [--at HH:MM] [--print]`: write nightshift.service + nightshift.timer
 * (or print them). It never runs systemctl: it prints the two commands that enable the timer.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../core/errors.js';
import { parseHhmm } from '../core/time.js';
import { renderUnits, SERVICE_NAME, TIMER_NAME, unitDirectory } from '../system/systemd.js';
import { action, type Register } from './command.js';

/** bin/nightshift.js of this installation (dist/cli/install.js → ../../bin). */
function binPath(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'nightshift.js');
}

function currentUser(): string | undefined {
  try {
    const name = userInfo().username;
    return name === 'root' ? undefined : name;
  } catch {
    return undefined;
  }
}

export const registerInstall: Register = (program, exit, io) => {
  const cmd = program.command('install').description('Install the nightly schedule');
  cmd
    .command('systemd')
    .description('Write nightshift.service and nightshift.timer (a oneshot run every night)')
    .option('--user', 'user units (~/.config/systemd/user, systemctl --user)')
    .option('--at <HH:MM>', 'local time of the nightly run (default phase.at of the config)')
    .option('--print', 'print both units to stdout instead of writing them')
    .action(
      action(exit, io, (ctx, opts: { user?: boolean; at?: string; print?: boolean }) => {
        const at = opts.at ?? ctx.config.phase.at;
        try {
          parseHhmm(at);
        } catch {
          throw new UsageError(`install: --at expects a local time HH:MM, found "${at}"`);
        }
        const config = resolve(ctx.loaded.file);
        if (!ctx.loaded.fromFile) {
          io.err(`install: warning: ${config} does not exist yet; the service will fail until it does`);
        }
        // A state directory chosen on this command line must reach the nightly run too; the config's own
        // state_dir is left to the config (so editing it later still takes effect).
        const stateOverride = ctx.opts.stateDir ?? process.env.NIGHTSHIFT_STATE_DIR;
        const user = Boolean(opts.user);
        const runAs = currentUser();
        const units = renderUnits({
          node: process.execPath,
          bin: binPath(),
          config,
          workingDirectory: process.cwd(),
          ...(stateOverride ? { stateDir: resolve(stateOverride) } : {}),
          at,
          timezone: ctx.config.timezone,
          user,
          ...(runAs ? { runAs } : {}),
        });
        if (opts.print) {
          io.out(`# ${SERVICE_NAME}\n${units.service}\n# ${TIMER_NAME}\n${units.timer}`);
          return 0;
        }
        const dir = unitDirectory(user, homedir());
        try {
          mkdirSync(dir, { recursive: true });
          writeFileSync(join(dir, SERVICE_NAME), units.service);
          writeFileSync(join(dir, TIMER_NAME), units.timer);
        } catch (err) {
          throw new UsageError(
            `install: cannot write units to ${dir}: ${(err as Error).message}`,
            user ? 'check the directory permissions' : 'run as root, or use --user, or --print and copy them yourself',
          );
        }
        const sc = user ? 'systemctl --user' : 'systemctl';
        io.out(
          [
            `wrote ${join(dir, SERVICE_NAME)} and ${join(dir, TIMER_NAME)} (nightly at ${at} ${ctx.config.timezone})`,
            'enable the timer with:',
            `  ${sc} daemon-reload && ${sc} enable --now ${TIMER_NAME}`,
            ...(user ? ['  (and `loginctl enable-linger` so it runs while you are logged out)'] : []),
          ].join('\n'),
        );
        return 0;
      }),
    );
};
