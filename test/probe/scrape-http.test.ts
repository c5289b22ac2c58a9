import { afterEach, describe, expect, it } from 'vitest';
import { scrapeMetrics } from '../../src/probe/scrape.js';
import { type FakeOpenAI, startFakeOpenAI } from '../support/fake-openai.js';

let fake: FakeOpenAI | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

describe('scrapeMetrics', () => {
  it("reads the engine's /metrics given its base URL", async () => {
    fake = await startFakeOpenAI({ mode: 'normal', metrics: 'vllm:num_preemptions_total{engine="0"} 4\n' });
    expect(await scrapeMetrics(fake.baseUrl)).toMatchObject({ available: true, preemptions: 4 });
  });

  it('is unavailable, not an error, when there is no /metrics (Ollama answers 404)', async () => {
    fake = await startFakeOpenAI({ mode: 'normal' });
    const s = await scrapeMetrics(`${fake.baseUrl}/metrics`);
    expect(s).toMatchObject({ available: false });
    expect(s.reason).toMatch(/404/);
  });

  it('is unavailable when nothing listens', async () => {
    const f = await startFakeOpenAI({ mode: 'normal' });
    await f.close();
    expect(await scrapeMetrics(f.baseUrl, 1000)).toMatchObject({
      available: false,
      reason: expect.stringMatching(/ECONNREFUSED/),
    });
  });

  it('gives up within its timeout on a server that never answers', async () => {
    fake = await startFakeOpenAI({ mode: 'hang' });
    const t0 = performance.now();
    expect(await scrapeMetrics(fake.baseUrl, 300)).toMatchObject({ available: false });
    expect(performance.now() - t0).toBeLessThan(2000);
  });
});
