/**
 * `nightshift daemon`: for hosts without systemd (containers). A long-running process that runs one cycle at
 * the configured local time every day (croner, in the config's zone, never two cycles at once), owns a
 * `managed` production process if configured (starts it when it is not up, stops it on shutdown), and on
 * SIGTERM/SIGINT stops the schedule, aborts a running cycle, waits for it to record itself, stops production
 * and exits 0.
 */
import { Cron } from 'croner';
import { describeError } from '../core/errors.js';
import { isoLocal, parseHhmm } from '../core/time.js';
import type { CycleRecord } from '../loop/cycle-record.js';
import type { Production } from '../targets/engine.js';
import type { Logger } from './log.js';
import { ownSignalExit } from './process.js';

/** Cron pattern (minute hour * * *) for a local HH:MM. */
export function cronPattern(at: string): string {
  const m = parseHhmm(at);
  return `${m % 60} ${Math.floor(m / 60)} * * *`;
}

export interface DaemonDeps {
  at: string;
  timezone: string;
  log: Logger;
  production: Production;
  cycle(signal: AbortSignal): Promise<CycleRecord>;
  /** where shutdown signals come from (tests pass an emitter); default: this process */
  signals?: Pick<NodeJS.Process, 'on' | 'off'>;
  /** how long a running cycle gets to finish after it is aborted */
  drainMs?: number;
}

export interface Daemon {
  /** when the next cycle starts (epoch ms), if scheduled */
  nextRun(): number | undefined;
  /** resolves with the exit code once the daemon has shut down */
  done: Promise<number>;
  /** run a cycle now, as the schedule would (skipped if one is running) */
  runNow(): Promise<void>;
  stop(reason: string): Promise<void>;
}

export async function startDaemon(deps: DaemonDeps): Promise<Daemon> {
  const { log, production } = deps;
  const signals = deps.signals ?? process;
  let ownsProduction = false;
  if (production.mode === 'managed') {
    const healthy = await production.health();
    if (!healthy) {
      log.info('daemon: starting managed production');
      const res = production.start ? await production.start() : await production.apply(await production.current());
      if (!res.ok) log.error({ evidence: res.evidence }, 'daemon: managed production did not turn healthy');
    }
    ownsProduction = true;
  }
  let running: { controller: AbortController; done: Promise<void> } | undefined;
  const job = new Cron(cronPattern(deps.at), { timezone: deps.timezone, protect: true, name: 'nightshift' }, () => {
    if (running) return;
    const controller = new AbortController();
    const done = deps
      .cycle(controller.signal)
      .then((r) => {
        log.info({ cycle_id: r.cycle_id, exit_code: r.exit_code }, `daemon: cycle ${r.cycle_id} exit ${r.exit_code}`);
      })
      .catch((err: unknown) => {
        log.error(`daemon: cycle failed: ${describeError(err)}`);
      })
      .finally(() => {
        running = undefined;
        logNext();
      });
    running = { controller, done };
    return done;
  });
  const nextRun = () => job.nextRun()?.getTime();
  const logNext = () => {
    const n = nextRun();
    if (n !== undefined) log.info({ next: n }, `daemon: next cycle at ${isoLocal(n, deps.timezone)}`);
  };
  logNext();

  let resolveDone: (code: number) => void = () => {};
  const done = new Promise<number>((r) => {
    resolveDone = r;
  });
  let stopping: Promise<void> | undefined;
  const stop = (reason: string): Promise<void> => {
    stopping ??= (async () => {
      log.info(`daemon: shutting down (${reason})`);
      job.stop();
      if (running) {
        running.controller.abort(new Error(`daemon shutting down (${reason})`));
        const drain = deps.drainMs ?? 60_000;
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<void>((r) => {
          timer = setTimeout(() => {
            log.error(`daemon: the running cycle did not finish within ${drain} ms of the abort; leaving it`);
            r();
          }, drain);
        });
        await Promise.race([running.done, timeout]);
        clearTimeout(timer);
      }
      if (ownsProduction) {
        await production.stop().catch((err: unknown) => {
          log.error(`daemon: stopping managed production failed: ${describeError(err)}`);
        });
      }
      signals.off('SIGTERM', onTerm);
      signals.off('SIGINT', onInt);
      log.info('daemon: stopped');
      resolveDone(0);
    })();
    return stopping;
  };
  const onTerm = () => void stop('SIGTERM');
  const onInt = () => void stop('SIGINT');
  // The daemon exits on its own terms; children are still SIGTERMed by process.ts on the signal.
  if (signals === process) ownSignalExit();
  signals.on('SIGTERM', onTerm);
  signals.on('SIGINT', onInt);
  return { nextRun, done, stop, runNow: () => job.trigger() };
}
