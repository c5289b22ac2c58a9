/**
 * The CLI's root: global options, subcommands registered from their own modules, and the one place that
 * turns errors into one line + an exit code (ARCHITECTURE.md §6). A stack trace only with --verbose.
 */
import { Command, CommanderError } from 'commander';
import { describeError, ExitCode, NightshiftError } from '../core/errors.js';
import { COMMANDS } from './commands.js';
import { type Output, processOutput } from './context.js';

export const EXIT_CODES_HELP = `
Exit codes:
  0  healthy (run) / success
  1  degraded: an escalation is armed and not fixed (run)
  2  fixed: a promotion was made and production is healthy (run)
  3  usage or config error
  4  another run holds the lock
  5  state directory unreadable
  70 internal error
  128+n  run/tune stopped by signal n (130 SIGINT, 143 SIGTERM) after winding down`;

export function buildProgram(io: Output = processOutput): { program: Command; exit: { code: number } } {
  const exit = { code: 0 };
  const program = new Command('nightshift')
    .description('Autonomous self-healing loop for self-hosted LLM inference servers (vLLM first)')
    .option('-c, --config <file>', 'config file (default ./nightshift.yaml, or $NIGHTSHIFT_CONFIG)')
    .option('-s, --state-dir <dir>', 'state directory (default from config, or $NIGHTSHIFT_STATE_DIR)')
    .option('--json', 'machine-readable output on read commands')
    .option('-v, --verbose', 'debug logs and stack traces')
    .addHelpText('after', EXIT_CODES_HELP)
    .showSuggestionAfterError(true)
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .exitOverride();
  for (const register of COMMANDS) register(program, exit, io);
  return { program, exit };
}

/** Entry point: parse, run, map the outcome to an exit code. Never throws. */
export async function main(argv: string[], io: Output = processOutput): Promise<number> {
  const { program, exit } = buildProgram(io);
  const verbose = argv.includes('--verbose') || argv.includes('-v');
  try {
    await program.parseAsync(argv);
    return exit.code;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0) return 0;
      return ExitCode.usage;
    }
    // Messages start with their module ("config: ...", "lock: ..."): printed as they are, one line each.
    io.err(describeError(err));
    if (verbose && err instanceof Error && err.stack) io.err(err.stack);
    if (err instanceof NightshiftError) return err.exitCode;
    if (!verbose) io.err('nightshift: run again with --verbose for the stack trace');
    return ExitCode.internal;
  }
}
