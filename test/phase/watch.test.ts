/** The per-domain watch against a live fake server: /health turning 503 and a managed process exiting. */
import { afterEach, describe, expect, it } from 'vitest';
import type { Evidence } from '../../src/core/types.js';
import type { LogReader } from '../../src/loop/phase/logs.js';
import { startWatch } from '../../src/loop/phase/watch.js';
import { createProbeClient } from '../../src/probe/client.js';
import { systemClock } from '../../src/system/clock.js';
import { silentLogger } from '../../src/system/log.js';
import { type FakeOpenAI, startFakeOpenAI } from '../support/fake-openai.js';

const servers: FakeOpenAI[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function watchOf(opts: { processExited?: () => boolean; reader?: LogReader; logPath?: string }) {
  const s = await startFakeOpenAI({ mode: 'normal' });
  servers.push(s);
  const control = createProbeClient({ baseUrl: s.baseUrl, model: 'fake-model', requestTimeoutMs: 1000 });
  const watch = startWatch({
    control,
    clock: systemClock,
    log: silentLogger,
    pollMs: 20,
    scrape: async () => ({ available: false }),
    ...opts,
  });
  return { s, watch, control };
}

describe('domain watch', () => {
  it('records /health turning 503 during the domain as an OOM-class event', async () => {
    const { s, watch, control } = await watchOf({});
    await sleep(60);
    s.set({ healthStatus: 503 });
    await sleep(80);
    const w = await watch.stop();
    await control.close();
    expect(w.oomEvents).toBe(1);
    expect(w.evidence[0]).toMatchObject({ source: 'health', kind: 'engine_unhealthy' });
  });

  it('records the managed process exiting during the domain', async () => {
    let dead = false;
    const { watch, control } = await watchOf({ processExited: () => dead });
    await sleep(40);
    dead = true;
    const w = await watch.stop();
    await control.close();
    expect(w.evidence).toEqual([expect.objectContaining({ source: 'exit', kind: 'engine_exit' })]);
  });

  it('counts OOM lines of the log written during the domain, and keeps preemptions apart', async () => {
    const lines: Evidence[] = [
      { source: 'log', kind: 'preemption', line: 'Sequence group 3 is preempted' },
      { source: 'log', kind: 'runtime_oom', line: 'torch.OutOfMemoryError: CUDA out of memory.' },
    ];
    const reader: LogReader = {
      size: () => 100,
      scanFile: (_path, offset) => ({ events: offset === 100 ? lines : [] }),
      scanJournal: async () => ({ events: [] }),
    };
    const { watch, control } = await watchOf({ reader, logPath: '/var/log/engine.log' });
    const w = await watch.stop();
    await control.close();
    expect(w.oomEvents).toBe(1);
    expect(w.logPreemptions).toBe(1);
    expect(w.evidence.map((e) => e.kind)).toEqual(['runtime_oom']);
  });
});
