/**
 * Config tuning against real twin processes (compiled dist: run `npm run build` first; `npm test` does).
 * Time scale 0.05: a model second is 50 real ms. Every test checks by pid that no canary or twin survives.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ConfigInput, configSchema } from '../../src/config/schema.js';
import { atLocal } from '../../src/core/time.js';
import type { EngineConfig } from '../../src/core/types.js';
import { chargeBudget, readRuns } from '../../src/loop/eligibility/index.js';
import { readFlags, writeFlag } from '../../src/loop/symptoms/flags.js';
import { runCanary } from '../../src/loop/tuning/canary.js';
import { phaseProbe } from '../../src/loop/tuning/probe.js';
import { applyPromotion, promotionRecord, readPromotion, writePromotion } from '../../src/loop/tuning/promotion.js';
import { runTuning } from '../../src/loop/tuning/tune.js';
import type { StatePaths } from '../../src/store/paths.js';
import { type ManualClock, manualClock } from '../../src/system/clock.js';
import { silentLogger } from '../../src/system/log.js';
import { ManagedProduction } from '../../src/targets/production/index.js';
import { vllmEngine } from '../../src/targets/vllm/engine.js';
import { tempDir, tempState } from '../support/state.js';
import { assertNoSurvivors, freePort, TWIN_MAIN, testRuntimeDir } from '../support/twin.js';

const SCALE = 0.05;
const base: EngineConfig = { gpu_memory_utilization: 0.9, max_num_seqs: 256, max_model_len: 8192 };

let runtimeDir: string;
let savedRuntimeEnv: string | undefined;
beforeEach(() => {
  runtimeDir = testRuntimeDir();
  savedRuntimeEnv = process.env.NIGHTSHIFT_TWIN_RUNTIME_DIR;
  process.env.NIGHTSHIFT_TWIN_RUNTIME_DIR = runtimeDir;
});
afterEach(() => {
  if (savedRuntimeEnv === undefined) delete process.env.NIGHTSHIFT_TWIN_RUNTIME_DIR;
  else process.env.NIGHTSHIFT_TWIN_RUNTIME_DIR = savedRuntimeEnv;
});

async function config(targetConfig: EngineConfig, input: ConfigInput = {}) {
  const port = await freePort();
  return configSchema.parse({
    timezone: 'UTC',
    mode: 'act',
    target: {
      engine: 'vllm',
      model: 'llama-3.1-8b',
      base_url: `http://127.0.0.1:${port}`,
      launch: [process.execPath, TWIN_MAIN],
      config: targetConfig,
      env: { NIGHTSHIFT_TWIN_RUNTIME_DIR: runtimeDir },
      time_scale: SCALE,
    },
    phase: {
      domains: {
        'long-context': { requests: 2, concurrency: 2, max_tokens: 8 },
        correctness: { requests: 3, max_tokens: 16 },
      },
    },
    // A range of this file's own, below the ephemeral ports: parallel test files never race for a canary port.
    canary: {
      mode: 'quiesced',
      timeout_s: 200,
      restore_sla_s: 60,
      domains: ['long-context', 'correctness'],
      ports: '29100-29199',
    },
    eligibility: { budget_s: 2000 },
    tuning: { candidates: 2 },
    ...input,
  });
}

/** Another process takes 2.35 GiB of the GPU one model second after start: 0.9 utilization no longer fits a full prefill step. */
function hogFaults(): string {
  const file = join(tempDir('nightshift-faults-'), 'faults.yaml');
  writeFileSync(file, '- { kind: memory_hog, gib: 2.35, at: 1 }\n');
  return file;
}

function armOom(paths: StatePaths, clock: ManualClock): void {
  writeFlag(paths, {
    schema: 'nightshift.flag/v1',
    kind: 'oom',
    set_at: clock.now(),
    expires_at: clock.now() + 4 * 3_600_000,
    symptom_count: 3,
    symptom_ids: ['sym_a', 'sym_b', 'sym_c'],
    reason: 'runtime OOM under long-context load, 3 nights',
    severity: 'critical',
    mode: 'act',
  });
}

function cmdline(pid: number): string[] {
  return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
}

describe('tuning against the twin', () => {
  it('fixes a production config that OOMs under long-context load in one run', async () => {
    const cfg = await config({ ...base, faults: hogFaults() });
    const paths = tempState();
    const clock = manualClock(atLocal('2026-06-10T03:30', 'UTC'));
    const production = new ManagedProduction(cfg, paths, { clock, log: silentLogger, engine: vllmEngine });
    const pids: number[] = [];
    try {
      expect((await production.apply(cfg.target.config, { timeoutMs: 10_000 })).ok).toBe(true);
      pids.push(production.pid() as number);
      armOom(paths, clock);
      const run = await runTuning({
        config: cfg,
        paths,
        clock,
        log: silentLogger,
        engine: vllmEngine,
        production,
        trigger: { kind: 'oom', severity: 'critical', symptoms: ['sym_a', 'sym_b', 'sym_c'] },
        mode: 'act',
        journal: (step, data) => {
          if (step === 'canary_started') pids.push((data as { pid: number }).pid);
        },
        probe: phaseProbe({ config: cfg, clock, log: silentLogger }),
      });
      expect(run.control?.status, JSON.stringify({ ...run.control, metrics: undefined })).toBe('oom');
      expect(run.status, JSON.stringify(run.candidates.map((c) => [c.config, c.status, c.reason, c.evidence]))).toBe(
        'success',
      );
      expect(run.promoted).toBe(true);
      expect(run.best?.status).toBe('pass');
      expect(run.best?.config.gpu_memory_utilization).toBeLessThan(0.9);
      expect(readFlags(paths).map((f) => f.kind)).not.toContain('oom');
      expect(readPromotion(paths, run.promotion_id as string).state).toBe('provisional');
      expect(await production.health()).toBe(true);
      const pid = production.pid() as number;
      pids.push(pid);
      const args = cmdline(pid);
      const i = args.indexOf('--gpu-memory-utilization');
      expect(Number(args[i + 1])).toBe(run.best?.config.gpu_memory_utilization);
      expect(await production.current()).toEqual(run.best?.config);
    } finally {
      await production.stop();
    }
    await assertNoSurvivors(pids);
  }, 40_000);

  it('fails a candidate that cannot start in under 2 s, by its log', async () => {
    const cfg = await config(base, {
      canary: { mode: 'spare', timeout_s: 600, domains: ['correctness'], ports: '29100-29199' },
    });
    const paths = tempState();
    const clock = manualClock(atLocal('2026-06-10T03:30', 'UTC'));
    const pids: number[] = [];
    const r = await runCanary(
      {
        config: cfg,
        paths,
        clock,
        log: silentLogger,
        engine: vllmEngine,
        probe: phaseProbe({ config: cfg, clock, log: silentLogger }),
        journal: (step, data) => {
          if (step === 'canary_started') pids.push((data as { pid: number }).pid);
        },
      },
      // 3 GiB held by another process: 0.9 × 22 GiB is no longer free on the device
      { role: 'candidate', config: { ...base, other_memory_gib: 3 }, changed: [], runId: 'tune_t', index: 1 },
    );
    expect(r.status).toBe('start_failed');
    expect(r.duration_ms).toBeLessThan(2000);
    expect(r.evidence[0]?.line).toMatch(/Free memory on device/);
    await assertNoSurvivors(pids);
  }, 20_000);

  it('with the budget nearly spent defers for the budget and leaves production alone', async () => {
    const cfg = await config(base, { eligibility: { budget_s: 500 } });
    const paths = tempState();
    const clock = manualClock(atLocal('2026-06-10T03:30', 'UTC'));
    const production = new ManagedProduction(cfg, paths, { clock, log: silentLogger, engine: vllmEngine });
    const pids: number[] = [];
    try {
      expect((await production.apply(cfg.target.config, { timeoutMs: 10_000 })).ok).toBe(true);
      const before = production.pid() as number;
      pids.push(before);
      chargeBudget(paths, clock, cfg, 480);
      armOom(paths, clock);
      const run = await runTuning({
        config: cfg,
        paths,
        clock,
        log: silentLogger,
        engine: vllmEngine,
        production,
        trigger: { kind: 'oom', severity: 'critical' },
        mode: 'act',
        journal: (step) => pids.push(step === 'canary_started' ? -1 : 0),
      });
      expect(run).toMatchObject({ status: 'deferred', reason: 'deferred: budget', candidates: [] });
      expect(pids.filter((p) => p === -1)).toEqual([]);
      expect(production.pid()).toBe(before);
      expect(await production.health()).toBe(true);
      expect(readRuns(paths).map((r) => r.reason)).toEqual(['deferred: budget']);
      expect(readFlags(paths).map((f) => f.kind)).toContain('oom');
    } finally {
      await production.stop();
    }
    await assertNoSurvivors(pids.filter((p) => p > 0));
  }, 30_000);

  it('restores the previous config within the SLA when the promoted one cannot start', async () => {
    const cfg = await config(base);
    const paths = tempState();
    const clock = manualClock(atLocal('2026-06-10T03:30', 'UTC'));
    const production = new ManagedProduction(cfg, paths, { clock, log: silentLogger, engine: vllmEngine });
    const pids: number[] = [];
    try {
      expect((await production.apply(cfg.target.config, { timeoutMs: 10_000 })).ok).toBe(true);
      pids.push(production.pid() as number);
      // 0.6 × 22 GiB does not even hold the 15 GiB of weights plus a KV cache: vLLM refuses to start.
      const broken = { ...base, gpu_memory_utilization: 0.6 };
      const record = promotionRecord({
        promotion_id: 'promo_test',
        run_id: 'tune_test',
        subsystem: 'engine_config',
        engine: 'vllm',
        model: cfg.target.model,
        previous_config: base,
        new_config: broken,
        diff: { gpu_memory_utilization: { from: 0.9, to: 0.6 } },
        fitness: { candidate: 1.2, control: 1 },
        metrics: { candidate: {}, control: {} },
        triggering_symptoms: { kind: 'oom', ids: [] },
        ts: clock.now(),
        mode: 'act',
        state: 'provisional',
      });
      writePromotion(paths, record);
      const outcome = await applyPromotion({ config: cfg, paths, clock, log: silentLogger, production }, record);
      expect(outcome).toMatchObject({ ok: false, state: 'restored', restored_ok: true });
      expect(outcome.restore_s).toBeLessThanOrEqual(cfg.canary.restore_sla_s);
      expect(readPromotion(paths, 'promo_test')).toMatchObject({ state: 'restored' });
      expect(readPromotion(paths, 'promo_test').reason).toMatch(/No available memory for the cache blocks|memory/);
      expect(await production.health()).toBe(true);
      expect(await production.current()).toEqual(base);
      pids.push(production.pid() as number);
    } finally {
      await production.stop();
    }
    await assertNoSurvivors(pids);
  }, 30_000);
});
