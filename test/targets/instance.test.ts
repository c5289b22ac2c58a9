import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { EngineConfig } from '../../src/core/types.js';
import { groupAlive, pidRunning } from '../../src/system/process.js';
import type { Instance } from '../../src/targets/engine.js';
import { attachInstance, startInstance } from '../../src/targets/instance.js';
import { freePort } from '../../src/targets/ports.js';
import { FAKE_LAUNCH, fakeEngine, tempDir } from './support.js';

const dir = tempDir();
const started: Instance[] = [];
const extraPids: number[] = [];

afterEach(async () => {
  const pids = [...started.map((i) => i.pid), ...extraPids.splice(0)];
  await Promise.all(started.splice(0).map((i) => i.stop()));
  expect(pids.filter((pid) => groupAlive(pid))).toEqual([]);
});

async function start(config: EngineConfig, opts: { keepAlive?: boolean } = {}): Promise<Instance> {
  const port = await freePort('19400-19499');
  const instance = startInstance({
    engine: fakeEngine,
    launch: FAKE_LAUNCH,
    model: 'fake-model',
    config,
    port,
    logPath: join(dir.path, `i${port}.log`),
    graceMs: 1000,
    ...opts,
  });
  started.push(instance);
  return instance;
}

describe('engine instance', () => {
  it('is ready once /health answers, with the time it took', async () => {
    const instance = await start({ fake_delay_ms: 200 });
    const ready = await instance.ready(10_000);
    expect(ready.ok).toBe(true);
    expect(ready.ms).toBeGreaterThanOrEqual(150);
  });

  it('fails fast with the log line when a startup failure is printed and the process lingers', async () => {
    const instance = await start({ fake_mode: 'fail-line', fake_delay_ms: 100 });
    const ready = await instance.ready(30_000);
    expect(ready).toMatchObject({ ok: false, evidence: { source: 'log', kind: 'startup_fake', lineNo: 2 } });
    expect(ready.ms).toBeLessThan(2000);
    expect(instance.exited()).toBe(false);
  });

  it('fails fast with the exit code when the process exits before it is ready', async () => {
    const instance = await start({ fake_mode: 'exit', fake_delay_ms: 50 });
    const ready = await instance.ready(30_000);
    expect(ready).toMatchObject({ ok: false, evidence: { source: 'exit', kind: 'process_exit' } });
    if (!ready.ok) expect(ready.evidence.line).toMatch(/exited with code 3/);
    expect(ready.ms).toBeLessThan(2000);
  });

  it('fails with health evidence when /health never answers within the timeout', async () => {
    const instance = await start({ fake_mode: 'hang' });
    const ready = await instance.ready(400);
    expect(ready).toMatchObject({ ok: false, evidence: { source: 'health', kind: 'health_timeout' } });
  });

  it('stops the whole process group, children included, and a second stop is a no-op', async () => {
    const instance = await start({ fake_child: true });
    expect((await instance.ready(10_000)).ok).toBe(true);
    const childPid = Number(/child pid (\d+)/.exec(readFileSync(instance.logPath, 'utf8'))?.[1]);
    expect(childPid).toBeGreaterThan(0);
    await instance.stop();
    await instance.stop();
    expect(groupAlive(instance.pid)).toBe(false);
    expect(pidRunning(childPid)).toBe(false);
  });

  it('ignores failure lines an earlier run left in an appended log', async () => {
    const first = await start({ fake_mode: 'fail-line', fake_delay_ms: 50 });
    expect((await first.ready(5000)).ok).toBe(false);
    await first.stop();
    const port = await freePort('19400-19499');
    const second = startInstance({
      engine: fakeEngine,
      launch: FAKE_LAUNCH,
      model: 'fake-model',
      config: {},
      port,
      logPath: first.logPath,
    });
    started.push(second);
    expect((await second.ready(10_000)).ok).toBe(true);
  });

  it('re-attaches to a running process by pid and stops it', async () => {
    const original = await start({}, { keepAlive: true });
    expect((await original.ready(10_000)).ok).toBe(true);
    const attached = attachInstance(original.pid, original.port, {
      engine: fakeEngine,
      config: {},
      logPath: original.logPath,
      graceMs: 1000,
    });
    expect((await attached.ready(2000)).ok).toBe(true);
    await attached.stop();
    expect(attached.exited()).toBe(true);
    expect(groupAlive(original.pid)).toBe(false);
  });
});

describe('engine instance, asked twice', () => {
  it('keeps reporting a startup failure it has already read', async () => {
    const instance = await start({ fake_mode: 'fail-line', fake_delay_ms: 50 });
    const first = await instance.ready(5000);
    const second = await instance.ready(5000);
    expect(first.ok).toBe(false);
    expect(second).toMatchObject({ ok: false, evidence: { source: 'log', kind: 'startup_fake' } });
    expect(second.ms).toBeLessThan(100);
  });
});
