/**
 * The twin as a process: serves the OpenAI API and /metrics like vLLM, and leaves nothing behind.
 * Needs the compiled CLI (`npm test` builds first).
 */
import { createRequire } from 'node:module';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertNoSurvivors, startTwin, type TwinProcess } from '../support/twin.js';

const require = createRequire(import.meta.url);
type Family = { name: string; type: string; metrics: { labels?: Record<string, string> }[] };
const parsePrometheus = require('parse-prometheus-text-format') as (text: string) => Family[];

const MODEL = 'meta-llama/Llama-3.1-8B-Instruct';

describe('twin serve', () => {
  let twin: TwinProcess;
  beforeAll(async () => {
    twin = await startTwin({ model: MODEL, timeScale: 0.02 });
  });
  afterAll(async () => {
    await twin.stop();
    await assertNoSurvivors([twin.pid]);
  });

  it('answers /health with 200', async () => {
    const res = await fetch(`${twin.baseUrl}/health`);
    expect(res.status).toBe(200);
  });

  it('lists the served model with its max_model_len', async () => {
    const body = (await (await fetch(`${twin.baseUrl}/v1/models`)).json()) as {
      data: { id: string; max_model_len: number }[];
    };
    expect(body.data).toEqual([expect.objectContaining({ id: MODEL, max_model_len: 8192 })]);
  });

  it('streams a chat completion the official openai client accepts, with usage last', async () => {
    const client = new OpenAI({ baseURL: `${twin.baseUrl}/v1`, apiKey: 'none', maxRetries: 0 });
    const stream = await client.chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: 'What is 17+25?' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let finish: string | null | undefined;
    let usage: { completion_tokens: number } | undefined | null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toContain('42');
    expect(finish).toBe('stop');
    expect(usage?.completion_tokens).toBe(Math.ceil(text.length / 4));
  });

  it('streams a completion with the openai client', async () => {
    const client = new OpenAI({ baseURL: `${twin.baseUrl}/v1`, apiKey: 'none', maxRetries: 0 });
    const stream = await client.completions.create({
      model: MODEL,
      prompt: 'Repeat exactly: night shift',
      max_tokens: 50,
      stream: true,
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.text ?? '';
    expect(text).toBe('night shift');
  });

  it('answers a non-streaming chat completion with finish_reason length when max_tokens cuts it', async () => {
    const res = await fetch(`${twin.baseUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'Tell me a story' }], max_tokens: 3 }),
    });
    const body = (await res.json()) as {
      choices: { finish_reason: string }[];
      usage: { completion_tokens: number };
    };
    expect(body.choices[0]?.finish_reason).toBe('length');
    expect(body.usage.completion_tokens).toBe(3);
  });

  it('rejects a prompt longer than max_model_len with a 400', async () => {
    const res = await fetch(`${twin.baseUrl}/v1/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: MODEL, prompt: 'x'.repeat(4 * 9000), max_tokens: 10 }),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { message: string } };
    expect(body.error.message).toContain('maximum context length is 8192 tokens');
  });

  it("rejects an unknown model with vLLM's 404", async () => {
    const res = await fetch(`${twin.baseUrl}/v1/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4', prompt: 'hi' }),
    });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { message: string } }).error.message).toBe(
      'The model `gpt-4` does not exist.',
    );
  });

  it('serves a repeated prompt prefix from the prefix cache', async () => {
    const prompt = `${'A shared system prompt. '.repeat(40)}Repeat exactly: done`;
    const send = () =>
      fetch(`${twin.baseUrl}/v1/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: MODEL, prompt, max_tokens: 4 }),
      }).then((r) => r.json());
    await send();
    await send();
    const text = await (await fetch(`${twin.baseUrl}/metrics`)).text();
    const hits = Number(/^vllm:prefix_cache_hits_total\{[^}]*\} (\S+)$/m.exec(text)?.[1]);
    expect(hits).toBeGreaterThanOrEqual(224);
  });

  it('exposes /metrics that parse as Prometheus text with every vLLM name', async () => {
    const text = await (await fetch(`${twin.baseUrl}/metrics`)).text();
    const families = parsePrometheus(text);
    const names = new Set(families.map((f) => f.name));
    for (const name of [
      'vllm:num_requests_running',
      'vllm:num_requests_waiting',
      'vllm:kv_cache_usage_perc',
      'vllm:num_preemptions_total',
      'vllm:prompt_tokens_total',
      'vllm:generation_tokens_total',
      'vllm:request_success_total',
      'vllm:prefix_cache_queries_total',
      'vllm:prefix_cache_hits_total',
      'vllm:time_to_first_token_seconds',
      'vllm:inter_token_latency_seconds',
      'vllm:e2e_request_latency_seconds',
      'vllm:request_queue_time_seconds',
    ]) {
      expect(names, name).toContain(name);
    }
    const running = families.find((f) => f.name === 'vllm:num_requests_running');
    expect(running?.metrics[0]?.labels?.model_name).toBe(MODEL);
  });
});

describe('twin serve, a client that goes away', () => {
  it('frees an aborted stream and counts it as finished_reason abort', async () => {
    const twin = await startTwin({ timeScale: 0.02 });
    try {
      const controller = new AbortController();
      const res = await fetch(`${twin.baseUrl}/v1/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'llama-3.1-8b', prompt: 'hi', max_tokens: 1000, ignore_eos: true, stream: true }),
        signal: controller.signal,
      });
      const reader = res.body?.getReader();
      await reader?.read();
      controller.abort();
      const deadline = performance.now() + 3000;
      let text = '';
      while (performance.now() < deadline) {
        text = await (await fetch(`${twin.baseUrl}/metrics`)).text();
        if (/finished_reason="abort"\} 1$/m.test(text)) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(text).toMatch(/^vllm:request_success_total\{[^}]*finished_reason="abort"\} 1$/m);
      expect(text).toMatch(/^vllm:num_requests_running\{[^}]*\} 0$/m);
    } finally {
      await twin.stop();
    }
    await assertNoSurvivors([twin.pid]);
  });
});
