/**
 * A loop rig for integration tests: a state directory, a managed production twin on a free loopback port, the
 * twin's faults file and fake GPU (runtime dir), a config built by the real schema, and an injected clock set to
 * each night's local start. `night('2026-06-04T03:00')` runs one real cycle (runCycle) and returns its record.
 * Every process it starts is stopped by `stop()`; `pids()` lists them for survivor checks.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Config, type ConfigInput, configSchema, DOMAIN_NAMES } from '../../src/config/schema.js';
import { atLocal } from '../../src/core/time.js';
import { runCycle } from '../../src/loop/cycle.js';
import type { CycleRecord } from '../../src/loop/cycle-record.js';
import { deepMerge } from '../../src/simulate/config.js';
import { StatePaths } from '../../src/store/paths.js';
import { type ManualClock, manualClock } from '../../src/system/clock.js';
import { createLogger, type Logger, silentLogger } from '../../src/system/log.js';
import { killGroup } from '../../src/system/process.js';
import { twinLaunch } from '../../src/targets/launch.js';
import { freePort } from '../../src/targets/ports.js';
import { ManagedProduction } from '../../src/targets/production/index.js';
import { engineFor } from '../../src/targets/registry.js';

export const ZONE = 'UTC';
const RUNTIME_DIR_ENV = 'NIGHTSHIFT_TWIN_RUNTIME_DIR';

/**
 * Only the throughput domain runs (small, fast at time scale 0.01): its latencies are dominated by the twin's
 * modelled batching and queueing, not by the event-loop jitter of a busy test machine (one real ms is 100
 * model ms here), which sequential single requests would measure instead.
 */
export const RIG_DOMAINS: Record<string, Record<string, unknown>> = {
  throughput: { requests: 24, concurrency: 8, max_tokens: 64 },
};

export interface Rig {
  config: Config;
  paths: StatePaths;
  clock: ManualClock;
  log: Logger;
  production: ManagedProduction;
  stateDir: string;
  faultsFile: string;
  /** the config as YAML-able input, for writing a nightshift.yaml (e2e tests) */
  input: Record<string, unknown>;
  night(localIso: string, opts?: { config?: Config }): Promise<CycleRecord>;
  setFaults(yaml: string): void;
  stop(): Promise<void>;
}

export function rigConfigInput(env: {
  stateDir: string;
  port: number;
  faultsFile: string;
  runtimeDir: string;
  canaryPorts: string;
}): Record<string, unknown> {
  const domains: Record<string, unknown> = {};
  for (const d of DOMAIN_NAMES) domains[d] = RIG_DOMAINS[d] ?? { enabled: false };
  return {
    timezone: ZONE,
    mode: 'act',
    state_dir: env.stateDir,
    target: {
      engine: 'vllm',
      model: 'llama-3.1-8b',
      base_url: `http://127.0.0.1:${env.port}`,
      launch: [...twinLaunch(), '--gpu', 'L4-24GB', '--faults', env.faultsFile],
      env: { [RUNTIME_DIR_ENV]: env.runtimeDir },
      // max_num_seqs 4 under the throughput domain's 8 concurrent requests queues half of them: a raise is a
      // clear, reproducible improvement a canary can measure (the rig's tuning may only move max_num_seqs).
      config: { gpu_memory_utilization: 0.9, max_num_seqs: 4, max_model_len: 8192 },
      time_scale: 0.01,
      production: { mode: 'managed' },
    },
    phase: { seed: 7, domains },
    // At time scale 0.01 one real millisecond of event-loop jitter is 100 model ms, and a CI box running other
    // tests beside this one jitters: the judge gets wider bands and a 250 ms floor so only real changes (a
    // queue 4 slots deep, a rolled-back config) cross them. The loop's logic is what these tests exercise.
    analysis: {
      thresholds: { latency: { warning: 0.5, critical: 0.9 }, throughput: { warning: 0.3, critical: 0.6 } },
      floors: { latency_ms: 250 },
    },
    // At time scale 0.01 a twin's real start (~1 s of node) is ~100 model seconds: canary timeouts and the
    // restore SLA are sized for that, and the budget for a control and two candidates.
    eligibility: { window: '03:00-07:00', budget_s: 3000 },
    tuning: {
      candidates: 4,
      knobs: {
        max_num_batched_tokens: { enabled: false },
        enable_prefix_caching: { enabled: false },
        gpu_memory_utilization: { enabled: false },
        max_model_len: { enabled: false },
        kv_cache_dtype: { enabled: false },
      },
    },
    canary: {
      timeout_s: 600,
      restore_sla_s: 500,
      ports: env.canaryPorts,
      domains: ['throughput'],
      env: { [RUNTIME_DIR_ENV]: env.runtimeDir },
    },
  };
}

export async function startRig(
  over: ConfigInput | Record<string, unknown> = {},
  firstNight = '2026-06-01T03:00',
): Promise<Rig> {
  // Not test/support/state's tempDir: that one is removed after every test, and a rig lives across a file's tests.
  const stateDir = mkdtempSync(join(tmpdir(), 'nightshift-loop-'));
  const runtimeDir = mkdtempSync(join(tmpdir(), 'nightshift-loop-gpu-'));
  const faultsFile = join(stateDir, 'faults.yaml');
  writeFileSync(faultsFile, '[]\n');
  const offset = process.pid % 300;
  const port = await freePort('31000-31299', { startOffset: offset });
  const input = deepMerge(
    rigConfigInput({ stateDir, port, faultsFile, runtimeDir, canaryPorts: '31300-31999' }),
    over as Record<string, unknown>,
  );
  const config = configSchema.parse(input);
  const paths = new StatePaths(stateDir);
  const clock = manualClock(atLocal(firstNight, ZONE), { autoAdvance: true });
  const log = process.env.NIGHTSHIFT_TEST_LOG ? createLogger({ level: 'debug', tty: false }) : silentLogger;
  const engine = engineFor('vllm');
  const production = new ManagedProduction(config, paths, { clock, log, engine });
  const started = await production.ensureRunning({ timeoutMs: 30_000 });
  if (!started.ok) throw new Error(`rig: production twin did not start: ${started.evidence?.line ?? 'no evidence'}`);
  return {
    config,
    paths,
    clock,
    log,
    production,
    stateDir,
    faultsFile,
    input,
    night: async (localIso, opts = {}) => {
      const at = atLocal(localIso, ZONE);
      if (at > clock.now()) clock.set(at);
      return runCycle({ config: opts.config ?? config, paths, clock, log, engine, production });
    },
    setFaults: (yaml) => writeFileSync(faultsFile, yaml),
    stop: async () => {
      const pid = production.pid();
      await production.stop();
      if (pid !== undefined) killGroup(pid, 'SIGKILL');
      if (!process.env.NIGHTSHIFT_KEEP_STATE) {
        rmSync(stateDir, { recursive: true, force: true });
        rmSync(runtimeDir, { recursive: true, force: true });
      }
    },
  };
}
