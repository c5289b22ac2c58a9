import { afterEach, describe, expect, it } from 'vitest';
import { createProbeClient } from '../../src/probe/client.js';
import type { ProbeClient } from '../../src/probe/types.js';
import { manualClock } from '../../src/system/clock.js';
import { type FakeBehaviour, type FakeOpenAI, startFakeOpenAI } from '../support/fake-openai.js';

let fake: FakeOpenAI | undefined;
let client: ProbeClient | undefined;
afterEach(async () => {
  await client?.close();
  await fake?.close();
  client = undefined;
  fake = undefined;
});

async function setup(b: FakeBehaviour, extra: { requestTimeoutMs?: number; timeScale?: number; apiKey?: string } = {}) {
  fake = await startFakeOpenAI(b);
  client = createProbeClient({ baseUrl: fake.baseUrl, model: 'fake-model', requestTimeoutMs: 2000, ...extra });
  return client;
}
const chat = { api: 'chat' as const, prompt: 'hello', max_tokens: 8 };

describe('probe client', () => {
  it('excludes the first token from ITL: 1 s to the first token, 10 ms between the rest', async () => {
    const c = await setup({ mode: 'normal', firstTokenDelayMs: 1000, interTokenDelayMs: 10, tokens: 20 });
    const r = await c.request({ ...chat, max_tokens: 20 });
    expect(r.ok).toBe(true);
    expect(r.ttft_ms).toBeGreaterThanOrEqual(990);
    expect(r.ttft_ms).toBeLessThan(1500);
    const itl = [...(r.itl_ms ?? [])].sort((a, b) => a - b);
    expect(itl).toHaveLength(19);
    // ≈ 10 ms; had the 1 s wait leaked in, the mean would be ≈ 60 ms and the largest gap ≈ 1000 ms.
    // The bounds leave room for timer jitter on a loaded test host.
    expect(itl[9]).toBeGreaterThan(8);
    expect(itl[9]).toBeLessThan(40);
    expect(itl[18]).toBeLessThan(500);
    expect(r.tpot_ms).toBeGreaterThan(8);
    expect(r.tpot_ms).toBeLessThan(40);
  });

  it('records tokens, usage, finish reason and text of a completed stream', async () => {
    const c = await setup({ mode: 'normal', reply: 'The answer is 42.' });
    const r = await c.request(chat);
    expect(r).toMatchObject({
      ok: true,
      text: 'The answer is 42.',
      output_tokens: 4,
      prompt_tokens: 1,
      finish_reason: 'stop',
    });
    expect(r.chunks).toBe(4);
  });

  it('counts chunks as output tokens when the server reports no usage', async () => {
    const c = await setup({ mode: 'normal', tokens: 5, usage: false });
    const r = await c.request(chat);
    expect(r.ok).toBe(true);
    expect(r.output_tokens).toBe(5);
    expect(r.usage).toBeUndefined();
  });

  it('streams from /v1/completions too', async () => {
    const c = await setup({ mode: 'normal', tokens: 3 });
    const r = await c.request({ api: 'completion', prompt: 'x', max_tokens: 3 });
    expect(r).toMatchObject({ ok: true, output_tokens: 3, finish_reason: 'stop' });
    expect(fake?.requests[0]?.path).toBe('/v1/completions');
  });

  it('supports non-streamed requests', async () => {
    const c = await setup({ mode: 'normal', reply: 'four' });
    const r = await c.request({ ...chat, stream: false });
    expect(r).toMatchObject({ ok: true, text: 'four', output_tokens: 1, finish_reason: 'stop' });
    expect(r.ttft_ms).toBeUndefined();
    expect(fake?.requests[0]?.body?.stream).toBe(false);
  });

  it('divides measured durations by the time scale', async () => {
    const c = await setup({ mode: 'normal', firstTokenDelayMs: 100, tokens: 2 }, { timeScale: 0.1 });
    const r = await c.request(chat);
    expect(r.ttft_ms).toBeGreaterThanOrEqual(990);
  });

  it('takes the sample time from the injected clock', async () => {
    fake = await startFakeOpenAI({ mode: 'normal', tokens: 2 });
    client = createProbeClient({
      baseUrl: fake.baseUrl,
      model: 'fake-model',
      requestTimeoutMs: 2000,
      clock: manualClock(1_700_000_000_000),
    });
    expect((await client.request(chat)).t).toBe(1_700_000_000_000);
  });

  it('sends the API key as a bearer token and never puts it in a result', async () => {
    const c = await setup({ mode: 'http_error', status: 401 }, { apiKey: 'sk-secret-123' });
    const r = await c.request(chat);
    expect(fake?.requests[0]?.authorization).toBe('Bearer sk-secret-123');
    expect(JSON.stringify(r)).not.toContain('sk-secret-123');
  });

  it('reuses one keep-alive connection across requests', async () => {
    const c = await setup({ mode: 'normal', tokens: 2 });
    for (let i = 0; i < 3; i++) expect((await c.request(chat)).ok).toBe(true);
    expect(fake?.connections).toBe(1);
  });

  it('opens a new connection per request when asked', async () => {
    fake = await startFakeOpenAI({ mode: 'normal', tokens: 2 });
    client = createProbeClient({
      baseUrl: fake.baseUrl,
      model: 'fake-model',
      requestTimeoutMs: 2000,
      newConnectionPerRequest: true,
    });
    for (let i = 0; i < 3; i++) expect((await client.request(chat)).ok).toBe(true);
    expect(fake.connections).toBe(3);
  });

  it('classifies an HTTP error status', async () => {
    const r = await (await setup({ mode: 'http_error', status: 500 })).request(chat);
    expect(r).toMatchObject({ ok: false, error: 'http_status', status: 500 });
    expect(r.error_detail).toMatch(/HTTP 500/);
  });

  it('classifies a garbage stream as malformed SSE', async () => {
    const r = await (await setup({ mode: 'garbage' })).request(chat);
    expect(r).toMatchObject({ ok: false, error: 'malformed_sse' });
    expect(r.sse_problems?.length).toBeGreaterThan(0);
  });

  it('classifies a garbage non-streamed answer as malformed', async () => {
    const r = await (await setup({ mode: 'garbage' })).request({ ...chat, stream: false });
    expect(r).toMatchObject({ ok: false, error: 'malformed_sse' });
  });

  it('classifies a stream cut off before [DONE] as truncated', async () => {
    const r = await (await setup({ mode: 'truncated', tokens: 8, truncateAfter: 3 })).request(chat);
    expect(r).toMatchObject({ ok: false, error: 'truncated_stream' });
    expect(r.text).toBe('t0 t1 t2 ');
  });

  it('classifies a stream without a finish_reason as truncated', async () => {
    const r = await (await setup({ mode: 'normal', tokens: 2, finishReason: null })).request(chat);
    expect(r).toMatchObject({ ok: false, error: 'truncated_stream' });
  });

  it('classifies an answer from another model as wrong_model', async () => {
    const r = await (await setup({ mode: 'wrong_model', tokens: 2 })).request(chat);
    expect(r).toMatchObject({ ok: false, error: 'wrong_model', model: 'fake-model-other' });
  });

  it('times out on a server that accepts and never answers, within the timeout', async () => {
    const c = await setup({ mode: 'hang' }, { requestTimeoutMs: 300 });
    const t0 = performance.now();
    const r = await c.request(chat);
    expect(r).toMatchObject({ ok: false, error: 'timeout' });
    expect(performance.now() - t0).toBeLessThan(1500);
  });

  it('classifies a refused connection without throwing', async () => {
    const f = await startFakeOpenAI({ mode: 'normal' });
    const url = f.baseUrl;
    await f.close();
    client = createProbeClient({ baseUrl: url, model: 'm', requestTimeoutMs: 1000 });
    expect(await client.request(chat)).toMatchObject({ ok: false, error: 'connect_refused' });
    expect(await client.get('/health')).toMatchObject({ status: 0, error: 'connect_refused' });
  });

  it('reports a caller abort as aborted', async () => {
    const c = await setup({ mode: 'hang' });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 50);
    expect(await c.request(chat, ac.signal)).toMatchObject({ ok: false, error: 'aborted' });
  });

  it('GETs a path with its status and body, and accepts a base URL ending in /v1', async () => {
    fake = await startFakeOpenAI({ mode: 'normal', healthStatus: 503 });
    client = createProbeClient({ baseUrl: `${fake.baseUrl}/v1`, model: 'fake-model', requestTimeoutMs: 1000 });
    const models = await client.get('/v1/models');
    expect(models.status).toBe(200);
    expect(JSON.parse(models.body).data[0].id).toBe('fake-model');
    expect(await client.get('/health')).toMatchObject({ status: 503, error: 'http_status' });
  });
});
