import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StatePaths } from '../../src/store/paths.js';
import { manualClock } from '../../src/system/clock.js';
import { silentLogger } from '../../src/system/log.js';
import { groupAlive, stopGroup } from '../../src/system/process.js';
import { freePort } from '../../src/targets/ports.js';
import { ManagedProduction } from '../../src/targets/production/managed.js';
import { readProduction } from '../../src/targets/production/state.js';
import { configWith, FAKE_LAUNCH, fakeEngine, tempDir } from './support.js';

let dir: ReturnType<typeof tempDir>;
let paths: StatePaths;
let port: number;
const pids = new Set<number>();
const clock = manualClock(Date.UTC(2026, 2, 29, 3, 0));

function production(): ManagedProduction {
  const cfg = configWith({
    engine: 'vllm',
    model: 'fake-model',
    base_url: `http://127.0.0.1:${port}`,
    launch: FAKE_LAUNCH,
    config: { fake_delay_ms: 100, max_num_seqs: 64 },
  });
  return new ManagedProduction(cfg, paths, { clock, log: silentLogger, engine: fakeEngine });
}

function track(p: ManagedProduction): number {
  const pid = p.pid();
  if (pid !== undefined) pids.add(pid);
  return pid ?? -1;
}

async function servedArgv(): Promise<string[]> {
  const res = await fetch(`http://127.0.0.1:${port}/v1/models`);
  return ((await res.json()) as { argv: string[] }).argv;
}

beforeEach(async () => {
  dir = tempDir();
  paths = new StatePaths(dir.path);
  port = await freePort('19600-19699');
});

afterEach(async () => {
  const record = readProduction(paths);
  if (record?.pid !== undefined) pids.add(record.pid);
  const alive = [...pids].filter((pid) => groupAlive(pid));
  await Promise.all(alive.map((pid) => stopGroup(pid, 1000)));
  pids.clear();
  dir.remove();
  expect(alive).toEqual([]);
});

describe('managed production', () => {
  it('restarts healthy with the new flags when a new config is applied', async () => {
    const p = production();
    expect((await p.start({ timeoutMs: 10_000 })).ok).toBe(true);
    const oldPid = track(p);
    const result = await p.apply({ fake_delay_ms: 100, max_num_seqs: 128 }, { timeoutMs: 10_000 });
    const newPid = track(p);
    expect(result.ok).toBe(true);
    expect(result.ms).toBeGreaterThan(0);
    expect(await p.health()).toBe(true);
    expect(await servedArgv()).toEqual(expect.arrayContaining(['--max-num-seqs', '128']));
    expect(groupAlive(oldPid)).toBe(false);
    expect(readProduction(paths)).toMatchObject({
      schema: 'nightshift.production/v1',
      status: 'healthy',
      config: { max_num_seqs: 128 },
      last_healthy_config: { max_num_seqs: 128 },
      pid: newPid,
      port,
    });
    await p.stop();
  });

  it('returns ok:false with the evidence line within 2 s when the new config cannot start', async () => {
    const p = production();
    expect((await p.start({ timeoutMs: 10_000 })).ok).toBe(true);
    track(p);
    const result = await p.apply({ fake_mode: 'fail-line', fake_delay_ms: 50 }, { timeoutMs: 30_000 });
    expect(result).toMatchObject({ ok: false, evidence: { source: 'log', kind: 'startup_fake' } });
    expect(result.ms).toBeLessThan(2000);
    expect(p.pid()).toBeUndefined();
    expect(readProduction(paths)).toMatchObject({
      status: 'failed',
      config: { fake_mode: 'fail-line' },
      last_healthy_config: { max_num_seqs: 64 },
    });
    expect(readProduction(paths)?.pid).toBeUndefined();
  });

  it('starts again with the last healthy config after a failed apply', async () => {
    const p = production();
    await p.start({ timeoutMs: 10_000 });
    track(p);
    await p.apply({ fake_mode: 'exit', fake_delay_ms: 50 }, { timeoutMs: 10_000 });
    const restored = await p.start({ timeoutMs: 10_000 });
    track(p);
    expect(restored.ok).toBe(true);
    expect(await servedArgv()).toEqual(expect.arrayContaining(['--max-num-seqs', '64']));
    await p.stop();
  });

  it('is adopted by a restarted nightshift instead of being started twice', async () => {
    const first = production();
    await first.start({ timeoutMs: 10_000 });
    const pid = track(first);
    const second = production();
    const again = await second.ensureRunning({ timeoutMs: 10_000 });
    expect(again.ok).toBe(true);
    expect(second.pid()).toBe(pid);
    await second.stop();
    expect(groupAlive(pid)).toBe(false);
  });

  it('stop() leaves no production process and records it stopped', async () => {
    const p = production();
    await p.start({ timeoutMs: 10_000 });
    const pid = track(p);
    await p.stop();
    expect(groupAlive(pid)).toBe(false);
    expect(await p.health()).toBe(false);
    expect(readProduction(paths)?.status).toBe('stopped');
  });
});
