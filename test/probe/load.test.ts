import { afterEach, describe, expect, it } from 'vitest';
import { createProbeClient } from '../../src/probe/client.js';
import { arrivalOffsets, runLoad } from '../../src/probe/load.js';
import type { LoadSpec, ProbeClient, ProbeRequest } from '../../src/probe/types.js';
import { type FakeBehaviour, type FakeOpenAI, startFakeOpenAI } from '../support/fake-openai.js';

let fake: FakeOpenAI | undefined;
let client: ProbeClient | undefined;
afterEach(async () => {
  await client?.close();
  await fake?.close();
  client = undefined;
  fake = undefined;
});

async function setup(b: FakeBehaviour = { mode: 'normal', tokens: 3, interTokenDelayMs: 1 }) {
  fake = await startFakeOpenAI(b);
  client = createProbeClient({ baseUrl: fake.baseUrl, model: 'fake-model', requestTimeoutMs: 2000 });
  return client;
}
const make = (i: number): ProbeRequest => ({ api: 'chat', prompt: `prompt ${i}`, max_tokens: 3 });
const spec = (over: Partial<LoadSpec>): LoadSpec => ({
  pattern: { kind: 'sequential' },
  requests: 5,
  durationMs: 10_000,
  seed: 1,
  makeRequest: make,
  ...over,
});
const prompts = () =>
  (fake?.requests ?? []).map((r) => (r.body?.messages as { content: string }[] | undefined)?.[0]?.content);

describe('runLoad', () => {
  it('sends requests in index order one at a time when sequential', async () => {
    const r = await runLoad(await setup(), spec({}));
    expect(r.samples).toHaveLength(5);
    expect(prompts()).toEqual(['prompt 0', 'prompt 1', 'prompt 2', 'prompt 3', 'prompt 4']);
    expect(r.summary.ok).toBe(5);
  });

  it('excludes the warm-up from the results and uses prompts past the measured range', async () => {
    const r = await runLoad(await setup(), spec({ requests: 3, warmup: 2 }));
    expect(r.samples).toHaveLength(3);
    expect(prompts()).toEqual(['prompt 3', 'prompt 4', 'prompt 0', 'prompt 1', 'prompt 2']);
  });

  it('keeps the given number of requests in flight with fixed concurrency', async () => {
    const c = await setup({ mode: 'normal', tokens: 2, firstTokenDelayMs: 200 });
    const t0 = performance.now();
    const r = await runLoad(c, spec({ pattern: { kind: 'concurrency', concurrency: 4 }, requests: 8 }));
    const wall = performance.now() - t0;
    expect(r.summary.ok).toBe(8);
    expect(wall).toBeLessThan(1000); // two waves of 200 ms (400 ms), not eight in a row (1600 ms)
    expect(r.samples.map((s) => s.text)).toHaveLength(8);
  });

  it('stops at the duration bound before the request bound', async () => {
    const c = await setup({ mode: 'normal', tokens: 2, firstTokenDelayMs: 50 });
    const r = await runLoad(c, spec({ requests: 1000, durationMs: 300 }));
    expect(r.samples.length).toBeGreaterThan(1);
    expect(r.samples.length).toBeLessThan(10);
  });

  it('paces a constant rate', async () => {
    const c = await setup();
    const r = await runLoad(c, spec({ pattern: { kind: 'rate', rate: 50 }, requests: 10 }));
    const ts = r.samples.map((s) => s.t);
    expect(r.summary.ok).toBe(10);
    expect((ts[9] as number) - (ts[0] as number)).toBeGreaterThanOrEqual(170);
  });

  it('draws the same Poisson arrivals for the same seed and different ones for another', () => {
    const a = arrivalOffsets({ pattern: { kind: 'poisson', rate: 10 }, requests: 50, seed: 7 });
    const b = arrivalOffsets({ pattern: { kind: 'poisson', rate: 10 }, requests: 50, seed: 7 });
    const c = arrivalOffsets({ pattern: { kind: 'poisson', rate: 10 }, requests: 50, seed: 8 });
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    const mean = ((a?.[49] as number) - 0) / 49;
    expect(mean).toBeGreaterThan(50);
    expect(mean).toBeLessThan(200);
  });

  it('runs a Poisson pattern and returns samples in index order', async () => {
    const c = await setup();
    const r = await runLoad(c, spec({ pattern: { kind: 'poisson', rate: 100 }, requests: 10, seed: 3 }));
    expect(r.samples).toHaveLength(10);
    expect(r.samples.map((s) => s.text.length > 0)).toEqual(new Array(10).fill(true));
    expect(prompts().sort()).toEqual(Array.from({ length: 10 }, (_, i) => `prompt ${i}`).sort());
  });

  it('marks each sample with the check result and reports progress', async () => {
    const c = await setup({ mode: 'normal', reply: 'yes' });
    const progress: number[] = [];
    const r = await runLoad(
      c,
      spec({ requests: 4, check: (i, res) => i % 2 === 0 && res.text === 'yes', onProgress: (d) => progress.push(d) }),
    );
    expect(r.samples.map((s) => s.passed)).toEqual([true, false, true, false]);
    expect(progress).toEqual([1, 2, 3, 4]);
  });

  it('aborts in-flight requests and stops when the signal fires', async () => {
    const c = await setup({ mode: 'hang' });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    const r = await runLoad(c, spec({ pattern: { kind: 'concurrency', concurrency: 2 }, requests: 10 }), ac.signal);
    expect(r.samples.length).toBe(2);
    expect(r.summary.errors.aborted).toBe(2);
  });

  it('rejects a spec with a nonsense bound', async () => {
    const c = await setup();
    await expect(runLoad(c, spec({ durationMs: 0 }))).rejects.toThrow(/durationMs/);
  });
});
