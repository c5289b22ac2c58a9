/**
 * The composition root: builds the real clock, the state paths, the engine adapter, production and the logger,
 * and hands them to the loop. The CLI, the daemon and the simulator start here; tests and the simulator pass
 * their own clock (and anything else) instead.
 *
 * NIGHTSHIFT_FAKE_NOW (epoch ms or ISO-8601) is a testing and rehearsal aid: the clock then starts at that
 * instant and runs forward in real time, so an end-to-end test or a dry rehearsal can run "the night of the
 * 12th at 03:00" now. Only this file reads it.
 */
import { DateTime } from 'luxon';
import type { Config } from './config/schema.js';
import { UsageError } from './core/errors.js';
import { runCycle } from './loop/cycle.js';
import type { CycleRecord } from './loop/cycle-record.js';
import { StatePaths } from './store/paths.js';
import { type Clock, systemClock } from './system/clock.js';
import { createLogger, type Logger } from './system/log.js';
import type { Engine, Production } from './targets/engine.js';
import { createProduction } from './targets/production/index.js';
import { engineFor } from './targets/registry.js';

export const FAKE_NOW_ENV = 'NIGHTSHIFT_FAKE_NOW';

/** A clock that starts at `startMs` and advances with real (monotonic) time; sleeps are real. */
export function shiftedClock(startMs: number): Clock {
  const t0 = performance.now();
  return {
    now: () => Math.round(startMs + (performance.now() - t0)),
    sleep: (ms, signal) => systemClock.sleep(ms, signal),
  };
}

/** Parse NIGHTSHIFT_FAKE_NOW: epoch ms, or an ISO-8601 instant (with offset or Z). */
export function parseFakeNow(text: string): number {
  const t = text.trim();
  if (/^\d{10,}$/.test(t)) return Number(t);
  const d = DateTime.fromISO(t, { setZone: true });
  if (!d.isValid) {
    throw new UsageError(
      `${FAKE_NOW_ENV}: expected epoch ms or an ISO-8601 time such as 2026-03-29T03:00:00+02:00, found "${text}"`,
    );
  }
  return d.toMillis();
}

/** The clock the CLI and the daemon use: the system clock, or the rehearsal clock when NIGHTSHIFT_FAKE_NOW is set. */
export function clockFromEnv(env: NodeJS.ProcessEnv = process.env, fallback: Clock = systemClock): Clock {
  const fake = env[FAKE_NOW_ENV];
  if (fake === undefined || fake.trim() === '') return fallback;
  return shiftedClock(parseFakeNow(fake));
}

export interface App {
  config: Config;
  paths: StatePaths;
  clock: Clock;
  log: Logger;
  engine: Engine;
  production: Production;
  /** one loop cycle (`nightshift run`) */
  cycle(signal?: AbortSignal): Promise<CycleRecord>;
}

export interface AppOptions {
  config: Config;
  paths?: StatePaths;
  clock?: Clock;
  log?: Logger;
  engine?: Engine;
  production?: Production;
}

export function createApp(opts: AppOptions): App {
  const config = opts.config;
  const paths = opts.paths ?? new StatePaths(config.state_dir);
  const clock = opts.clock ?? clockFromEnv();
  const log = opts.log ?? createLogger();
  const engine = opts.engine ?? engineFor(config.target.engine);
  const production = opts.production ?? createProduction(config, paths, { clock, log, engine });
  return {
    config,
    paths,
    clock,
    log,
    engine,
    production,
    cycle: (signal) => runCycle({ config, paths, clock, log, engine, production, ...(signal ? { signal } : {}) }),
  };
}
