/**
 * The night loop of a simulation: the real loop (`runCycle`: PHASE, analysis, escalation, tuning, promotion,
 * validation) against a managed production twin, on an injected clock set to 03:00 of each simulated night.
 *
 *   for each night: write the twin's faults file → build the night's config (workload) → set the clock →
 *                   runCycle → read the row back from the state directory
 *
 * Every process the simulation starts (production, canaries) is stopped at the end, on error and on SIGINT:
 * canaries die with their process group (system/process.ts); production outlives nightshift by design
 * (managed mode), so the driver stops it itself, and kills its group synchronously if the process exits. A
 * production that died is started again by the loop itself at the next cycle (managed mode).
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Config } from '../config/schema.js';
import { NightshiftError, UsageError } from '../core/errors.js';
import { atLocal, localDate } from '../core/time.js';
import type { EngineConfig } from '../core/types.js';
import type { CycleDeps } from '../loop/cycle.js';
import { runCycle as realRunCycle } from '../loop/cycle.js';
import type { CycleRecord } from '../loop/cycle-record.js';
import { loopHealth } from '../loop/health-report.js';
import { writeFileAtomic } from '../store/atomic.js';
import { StatePaths } from '../store/paths.js';
import { manualClock } from '../system/clock.js';
import { type Logger, silentLogger } from '../system/log.js';
import { killGroup } from '../system/process.js';
import type { Production } from '../targets/engine.js';
import { twinLaunch } from '../targets/launch.js';
import { freePort } from '../targets/ports.js';
import { createProduction, ManagedProduction } from '../targets/production/index.js';
import { engineFor } from '../targets/registry.js';
import { collectRow, failedRow, readHistory } from './collect.js';
import { nightConfig, type SimulationEnvironment } from './config.js';
import { faultKinds, faultsFileText } from './faults.js';
import { nightDate, type Scenario } from './scenario.js';
import { summarize } from './scorer.js';
import type { NightRow, SimulationResult } from './types.js';
import { nightWorkload, workloadChanges } from './workload.js';

export type CycleRunner = (deps: CycleDeps) => Promise<CycleRecord>;

export interface SimulateOptions {
  /** where the loop's state goes (kept afterwards); default a new temp dir. Must be empty or absent. */
  stateDir?: string;
  signal?: AbortSignal;
  log?: Logger;
  /** called after each night, for progress output */
  onNight?: (row: NightRow) => void;
  /** the cycle to run each night (tests substitute it); default the loop's runCycle */
  runCycle?: CycleRunner;
  /** stop after this many nights (tests); default the scenario's nights */
  nights?: number;
}

/** The twin polls its faults file once a second (real time); a changed file is in force after this. */
const FAULTS_RELOAD_MS = 1500;
/** Production's start at night 1, in real ms (a cold twin start is a few model seconds). */
const START_TIMEOUT_MS = 60_000;

export class SimulationAborted extends NightshiftError {
  constructor() {
    super('simulate.aborted', 'simulate: interrupted; every process it started was stopped', { exitCode: 130 });
  }
}

function prepareStateDir(dir: string | undefined, name: string): string {
  if (dir === undefined) return mkdtempSync(join(tmpdir(), `nightshift-sim-${name}-`));
  const abs = resolve(dir);
  if (existsSync(abs) && readdirSync(abs).length > 0) {
    throw new UsageError(
      `simulate: ${abs} is not empty`,
      'pass a new or empty directory to --out (a simulation never mixes its nights with other state)',
    );
  }
  mkdirSync(abs, { recursive: true });
  return abs;
}

const realSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function simulate(scenario: Scenario, opts: SimulateOptions = {}): Promise<SimulationResult> {
  const log = opts.log ?? silentLogger;
  const run = opts.runCycle ?? realRunCycle;
  const stateDir = prepareStateDir(opts.stateDir, scenario.name);
  const paths = new StatePaths(stateDir);
  const simDir = join(stateDir, 'simulation');
  mkdirSync(simDir, { recursive: true });
  const runtimeDir = mkdtempSync(join(tmpdir(), 'nightshift-sim-gpu-'));
  const offset = process.pid % 400;
  const productionPort = await freePort('29000-29399', { startOffset: offset });
  const env: SimulationEnvironment = {
    stateDir,
    launch: twinLaunch(),
    faultsFile: join(simDir, 'faults.yaml'),
    runtimeDir,
    productionPort,
    canaryPorts: '29400-29999',
  };
  const nights = Math.min(opts.nights ?? scenario.nights, scenario.nights);
  const zone = scenario.timezone;
  const firstNight = atLocal(`${scenario.start_date}T${scenario.at}`, zone);
  const clock = manualClock(firstNight, { autoAdvance: true });
  const engine = engineFor('vllm');

  let production: Production | undefined;
  // Managed production outlives nightshift by design; if this process exits mid-simulation, take it down too.
  const killProduction = () => {
    const pid = production instanceof ManagedProduction ? production.pid() : undefined;
    if (pid !== undefined) killGroup(pid, 'SIGKILL');
  };
  process.on('exit', killProduction);
  const controller = new AbortController();
  const onAbort = () => controller.abort(new SimulationAborted());
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  if (opts.signal?.aborted) onAbort();

  const rows: NightRow[] = [];
  let lastConfig: Config | undefined;
  const firstWorkload = nightWorkload(scenario, 1);
  let faultsText: string | undefined;
  try {
    writeFileAtomic(env.faultsFile, faultsFileText(scenario, 1));
    faultsText = faultsFileText(scenario, 1);
    const config1 = nightConfig(scenario, 1, env);
    production = createProduction(config1, paths, { clock, log, engine });
    if (production instanceof ManagedProduction) {
      const started = await production.ensureRunning({ timeoutMs: START_TIMEOUT_MS });
      if (!started.ok) {
        throw new UsageError(
          `simulate: production twin did not start with the scenario's config: ${started.evidence?.line ?? 'no evidence'}`,
          `fix twin.config in the scenario (log: ${production.logPath})`,
        );
      }
    }
    for (let n = 1; n <= nights; n++) {
      if (controller.signal.aborted) throw controller.signal.reason;
      const text = faultsFileText(scenario, n);
      if (text !== faultsText) {
        writeFileAtomic(env.faultsFile, text);
        faultsText = text;
        await realSleep(FAULTS_RELOAD_MS);
      }
      const config: Config = nightConfig(scenario, n, env);
      lastConfig = config;
      const nightStart = atLocal(`${nightDate(scenario, n)}T${scenario.at}`, zone);
      if (nightStart > clock.now()) clock.set(nightStart);
      else
        log.warn(
          { night: n },
          'simulate: the previous cycle ran past this night’s start; the clock goes on from there',
        );
      const fromMs = clock.now();
      const current: EngineConfig = await production.current();
      const runsBefore = readHistory(paths, (m) => log.warn(m)).length;
      const t0 = performance.now();
      const facts = {
        night: n,
        date: localDate(fromMs, zone),
        faults: faultKinds(scenario, n),
        workloadChanges: workloadChanges(firstWorkload, nightWorkload(scenario, n)),
        config: current,
        fromMs,
        toMs: fromMs,
        runs: [],
        zone,
        wallSeconds: 0,
      };
      let row: NightRow;
      try {
        const record = await run({ config, paths, clock, log, engine, production, signal: controller.signal });
        const runs = readHistory(paths, (m) => log.warn(m)).slice(runsBefore);
        row = collectRow(
          paths,
          record,
          { ...facts, toMs: clock.now() + 1, runs, wallSeconds: (performance.now() - t0) / 1000 },
          (m) => log.warn(m),
        );
      } catch (err) {
        if (controller.signal.aborted) throw controller.signal.reason;
        // A cycle that cannot run at all is a finding of the simulation, not the end of it.
        log.error({ err, night: n }, 'simulate: the cycle failed');
        row = failedRow({ ...facts, wallSeconds: (performance.now() - t0) / 1000 }, (err as Error).message);
      }
      rows.push(row);
      opts.onNight?.(row);
    }
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    try {
      if (production) await production.stop();
    } finally {
      killProduction();
      process.off('exit', killProduction);
      rmSync(runtimeDir, { recursive: true, force: true });
    }
  }
  const summary = summarize(rows, scenario.expect);
  return {
    schema: 'nightshift.simulation/v1',
    scenario: scenario.name,
    seed: scenario.seed,
    nights: rows,
    summary,
    ...(lastConfig
      ? { loop_health: loopHealth(paths, lastConfig, firstNight, clock.now() + 1, (m) => log.warn(m)) }
      : {}),
    state_dir: stateDir,
  };
}
