/**
 * The engine contract (STYLE.md §3): every engine adapter runs this same vitest suite against a real process
 * of its engine (the twin for vLLM). It proves what the canary runner and managed production rely on: ready
 * means /health answers, a config that cannot start is reported with its evidence line within 2 s (not by a
 * timeout), and stop() leaves no process behind.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EngineConfig } from '../core/types.js';
import { groupAlive } from '../system/process.js';
import type { Engine, Instance } from './engine.js';
import { healthUrl, probeHealth } from './health.js';
import { startInstance } from './instance.js';
import { freePort } from './ports.js';

export interface EngineHarness {
  engine: Engine;
  /** the launch prefix ([node, bin/nightshift.js, twin, serve], [vllm, serve], ...) */
  launch: string[];
  model: string;
  /** a config that starts and serves */
  goodConfig: EngineConfig;
  /** a config the engine refuses at startup, printing a known fatal line */
  failingConfig: EngineConfig;
  /** what the failing config's evidence line must say */
  failureLine: RegExp;
  env?: Record<string, string>;
  timeScale?: number;
  /** port range to take ports from; default 18000-18999 */
  ports?: string;
  /** generous ceiling for a good start on a loaded CI machine */
  readyTimeoutMs?: number;
  /** called after each test (temp dirs of the harness) */
  cleanup?(): Promise<void> | void;
}

/** How fast a startup failure must be reported, from spawn to evidence. */
export const STARTUP_FAILURE_BUDGET_MS = 2000;

export function engineContract(name: string, make: () => Promise<EngineHarness>): void {
  describe(`${name} engine contract`, () => {
    let harness: EngineHarness;
    let dir: string;
    const started: Instance[] = [];

    const start = async (config: EngineConfig): Promise<Instance> => {
      const port = await freePort(harness.ports ?? '18000-18999');
      const instance = startInstance({
        engine: harness.engine,
        launch: harness.launch,
        model: harness.model,
        config,
        port,
        logPath: join(dir, `instance-${started.length}.log`),
        ...(harness.env ? { env: harness.env } : {}),
        ...(harness.timeScale !== undefined ? { timeScale: harness.timeScale } : {}),
        graceMs: 2000,
      });
      started.push(instance);
      return instance;
    };

    beforeEach(async () => {
      harness = await make();
      dir = mkdtempSync(join(tmpdir(), 'nightshift-contract-'));
    });

    afterEach(async () => {
      const pids = started.map((i) => i.pid);
      await Promise.all(started.splice(0).map((i) => i.stop()));
      await harness.cleanup?.();
      rmSync(dir, { recursive: true, force: true });
      expect(pids.filter((pid) => groupAlive(pid))).toEqual([]);
    });

    it('reports ready only after /health answers', async () => {
      const instance = await start(harness.goodConfig);
      const url = healthUrl(instance.baseUrl, harness.engine.healthPath);
      const early = await instance.ready(1);
      expect(early.ok).toBe(false);
      const ready = await instance.ready(harness.readyTimeoutMs ?? 20_000);
      expect(ready).toMatchObject({ ok: true });
      expect((await probeHealth(url)).ok).toBe(true);
    });

    it('reports a startup failure with its evidence line, fast', async () => {
      const t0 = performance.now();
      const instance = await start(harness.failingConfig);
      const ready = await instance.ready(30_000);
      const ms = performance.now() - t0;
      expect(ready.ok).toBe(false);
      if (ready.ok) return;
      expect(ready.evidence.source).toBe('log');
      expect(ready.evidence.line).toMatch(harness.failureLine);
      expect(ready.evidence.lineNo).toBeGreaterThan(0);
      expect(ms).toBeLessThan(STARTUP_FAILURE_BUDGET_MS);
    });

    it('stop() leaves no process in the group', async () => {
      const instance = await start(harness.goodConfig);
      expect((await instance.ready(harness.readyTimeoutMs ?? 20_000)).ok).toBe(true);
      await instance.stop();
      expect(groupAlive(instance.pid)).toBe(false);
      expect(instance.exited()).toBe(true);
      await instance.stop();
    });
  });
}
