/**
 * What every command gets: the resolved global options, the config, the state paths, a logger and the
 * output sinks. Commands never call process.exit; they return an exit code.
 */
import type { Command } from 'commander';
import { clockFromEnv } from '../app.js';
import { type LoadedConfig, loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { StatePaths } from '../store/paths.js';
import type { Clock } from '../system/clock.js';
import { createLogger, type Logger } from '../system/log.js';

export interface GlobalOptions {
  config?: string;
  stateDir?: string;
  json?: boolean;
  verbose?: boolean;
}

export interface Output {
  out(text: string): void;
  err(text: string): void;
  isTTY: boolean;
}

export const processOutput: Output = {
  out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  err: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
  get isTTY() {
    return Boolean(process.stdout.isTTY);
  },
};

export interface CliContext {
  opts: GlobalOptions;
  loaded: LoadedConfig;
  config: Config;
  paths: StatePaths;
  log: Logger;
  clock: Clock;
  io: Output;
  json: boolean;
}

/** Globals are read from the root command, so `--json` works before or after the subcommand name. */
export function globals(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals() as GlobalOptions;
}

/**
 * The clock defaults to the system clock, or the rehearsal clock of NIGHTSHIFT_FAKE_NOW: every command (tune,
 * promote, rollback, ...) then sees the same night as `nightshift run`, not some of them the wall clock.
 */
export function makeContext(cmd: Command, io: Output = processOutput, clock: Clock = clockFromEnv()): CliContext {
  const opts = globals(cmd);
  const file = opts.config ?? process.env.NIGHTSHIFT_CONFIG ?? './nightshift.yaml';
  const loaded = loadConfig(file, {
    explicit: opts.config !== undefined || process.env.NIGHTSHIFT_CONFIG !== undefined,
  });
  const stateDir = opts.stateDir ?? process.env.NIGHTSHIFT_STATE_DIR ?? loaded.config.state_dir;
  const config = { ...loaded.config, state_dir: stateDir };
  return {
    opts,
    loaded,
    config,
    paths: new StatePaths(stateDir),
    log: createLogger({ verbose: Boolean(opts.verbose) }),
    clock,
    io,
    json: Boolean(opts.json),
  };
}

export function printJson(io: Output, value: unknown): void {
  io.out(JSON.stringify(value, null, 2));
}
