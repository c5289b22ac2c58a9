import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StatePaths } from '../../src/store/paths.js';
import { manualClock } from '../../src/system/clock.js';
import { silentLogger } from '../../src/system/log.js';
import { groupAlive, stopGroup } from '../../src/system/process.js';
import { freePort } from '../../src/targets/ports.js';
import { ManagedProduction } from '../../src/targets/production/managed.js';
import { readProduction } from '../../src/targets/production/state.js';
import { vllmEngine } from '../../src/targets/vllm/engine.js';
import { configWith, tempDir } from './support.js';
import {
  assertBuilt,
  TWIN_FAILURE_LINE,
  TWIN_GOOD_CONFIG,
  TWIN_MODEL,
  TWIN_OVERCOMMITTED_CONFIG,
  TWIN_TIME_SCALE,
  twinRuntime,
} from './twin.js';

const clock = manualClock(Date.UTC(2026, 2, 29, 3, 0));
let state: ReturnType<typeof tempDir>;
let runtime: ReturnType<typeof twinRuntime>;
let paths: StatePaths;
let port: number;
const pids = new Set<number>();

function production(): ManagedProduction {
  const cfg = configWith({
    engine: 'vllm',
    model: TWIN_MODEL,
    base_url: `http://127.0.0.1:${port}`,
    launch: ['nightshift', 'twin', 'serve'],
    env: runtime.env,
    time_scale: TWIN_TIME_SCALE,
    config: TWIN_GOOD_CONFIG,
  });
  return new ManagedProduction(cfg, paths, { clock, log: silentLogger, engine: vllmEngine });
}

function track(p: ManagedProduction): number {
  const pid = p.pid();
  if (pid !== undefined) pids.add(pid);
  return pid ?? -1;
}

async function modelMaxLen(): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}/v1/models`);
  return ((await res.json()) as { data: { max_model_len: number }[] }).data[0]?.max_model_len ?? -1;
}

beforeEach(async () => {
  assertBuilt();
  state = tempDir();
  runtime = twinRuntime();
  paths = new StatePaths(state.path);
  port = await freePort('19900-19999');
});

afterEach(async () => {
  const record = readProduction(paths);
  if (record?.pid !== undefined) pids.add(record.pid);
  const alive = [...pids].filter((pid) => groupAlive(pid));
  await Promise.all(alive.map((pid) => stopGroup(pid, 1000)));
  pids.clear();
  state.remove();
  runtime.remove();
  expect(alive).toEqual([]);
});

describe('managed production on the twin', () => {
  it('restarts healthy with the new flags when a new config is applied', async () => {
    const p = production();
    expect((await p.start({ timeoutMs: 15_000 })).ok).toBe(true);
    const oldPid = track(p);
    expect(await modelMaxLen()).toBe(8192);
    const result = await p.apply(
      { ...TWIN_GOOD_CONFIG, max_model_len: 4096, max_num_seqs: 128 },
      { timeoutMs: 15_000 },
    );
    track(p);
    expect(result.ok).toBe(true);
    expect(await modelMaxLen()).toBe(4096);
    expect(readFileSync(p.logPath, 'utf8')).toMatch(/max_num_seqs=128/);
    expect(groupAlive(oldPid)).toBe(false);
    await p.stop();
  });

  it('reports a config that cannot start with its log line within 2 s, then restores the previous one', async () => {
    const p = production();
    expect((await p.start({ timeoutMs: 15_000 })).ok).toBe(true);
    track(p);
    const failed = await p.apply(TWIN_OVERCOMMITTED_CONFIG, { timeoutMs: 30_000 });
    expect(failed).toMatchObject({ ok: false, evidence: { source: 'log' } });
    expect(failed.evidence?.line).toMatch(TWIN_FAILURE_LINE);
    // vLLM's own estimate travels with the evidence, for candidates that lower max_model_len.
    expect(failed.evidence?.estimatedMaxModelLen).toBeGreaterThan(8192);
    expect(failed.ms).toBeLessThan(2000);
    expect(p.pid()).toBeUndefined();
    const restored = await p.apply(TWIN_GOOD_CONFIG, { timeoutMs: 15_000 });
    track(p);
    expect(restored.ok).toBe(true);
    expect(await p.health()).toBe(true);
    await p.stop();
  });
});
