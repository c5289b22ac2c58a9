/**
 * The client's token-chunk fast path (a chunk matching the stream's learned template is not JSON.parsed) must
 * give exactly what parsing every chunk gives. Streams here are crafted byte by byte to hit its edges.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProbeClient } from '../../src/probe/client.js';
import type { ProbeClient } from '../../src/probe/types.js';

let server: Server;
let client: ProbeClient;
/** the SSE body the server answers next */
let body = '';

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  client = createProbeClient({ baseUrl: `http://127.0.0.1:${port}`, model: 'm', requestTimeoutMs: 5000 });
});
afterAll(async () => {
  await client.close();
  await new Promise<void>((r) => server.close(() => r()));
});

const sse = (payloads: string[]) => payloads.map((p) => `data: ${p}\n\n`).join('');
const head = '{"id":"x","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":';
const tail = ',"logprobs":null,"finish_reason":null}]}';
const role = `${head}{"role":"assistant","content":""}${tail}`;
/** a token chunk as vLLM writes it; `literal` is the JSON string literal of the token, quotes included */
const tokenChunk = (literal: string) => `${head}{"content":${literal}}${tail}`;
const finish = `${head}{},"logprobs":null,"finish_reason":"stop"}]}`;
const usage =
  '{"id":"x","object":"chat.completion.chunk","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":5,"total_tokens":8}}';
const ask = () => client.request({ api: 'chat', prompt: 'p', max_tokens: 8 });

describe('probe client token fast path', () => {
  it('reads every token of a regular stream, as parsing each chunk would', async () => {
    const tokens = ['Hel', 'lo', ',', ' wor', 'ld', '!'];
    body = sse([role, ...tokens.map((t) => tokenChunk(JSON.stringify(t))), finish, usage, '[DONE]']);
    const r = await ask();
    expect(r).toMatchObject({ ok: true, text: 'Hello, world!', chunks: 6, output_tokens: 5, finish_reason: 'stop' });
    expect(r.itl_ms).toHaveLength(5);
  });

  it('decodes tokens written with escapes (they leave the fast path)', async () => {
    const tokens = ['a', 'line\nbreak', 'quote"d', 'caf\u00e9', 'back\\slash', 'b'];
    const literals = tokens.map((t) => JSON.stringify(t));
    literals[3] = '"caf\\u00e9"'; // the same text, escaped the way some servers write it
    body = sse([role, ...literals.map(tokenChunk), finish, usage, '[DONE]']);
    const r = await ask();
    expect(r.text).toBe(tokens.join(''));
    expect(r.chunks).toBe(6);
  });

  it('is not fooled by another field holding the same text as the first token', async () => {
    // "x" is also the id: the template must slot the token, not the id.
    body = sse([tokenChunk('"x"'), tokenChunk('"y"'), tokenChunk('"z"'), finish, usage, '[DONE]']);
    const r = await ask();
    expect(r).toMatchObject({ ok: true, text: 'xyz', chunks: 3 });
  });

  it('is not fooled by an escaped token whose text appears unescaped in another field', async () => {
    // The token "ab" is written as "\u0061b"; the only plain "ab" is the id, which then changes.
    const chunk = (id: string) =>
      `{"id":"${id}","object":"chat.completion.chunk","model":"m","choices":[{"index":0,"delta":{"content":"\\u0061b"}}]}`;
    body = sse([chunk('ab'), chunk('zz'), chunk('ab'), finish, usage, '[DONE]']);
    const r = await ask();
    expect(r).toMatchObject({ ok: true, text: 'ababab', chunks: 3 });
  });

  it('follows JSON.parse on a duplicate key: the last one counts', async () => {
    const dup = (a: string, b: string) => `${head}{"content":"${a}","content":"${b}"}${tail}`;
    body = sse([dup('a', 'b'), dup('a', 'c'), dup('q', 'd'), finish, usage, '[DONE]']);
    const r = await ask();
    expect(r.text).toBe('bcd');
  });

  it('reports a chunk that fits the template but is not valid JSON as malformed SSE', async () => {
    body = sse([tokenChunk('"a"'), tokenChunk('"b"'), `${head}{"content":"c"d"}${tail}`, finish, usage, '[DONE]']);
    const r = await ask();
    expect(r.ok).toBe(false);
    expect(r.error).toBe('malformed_sse');
  });

  it('reports a stream cut after template-matched tokens as truncated', async () => {
    body = sse([role, tokenChunk('"a"'), tokenChunk('"b"'), tokenChunk('"c"')]);
    const r = await ask();
    expect(r).toMatchObject({ ok: false, error: 'truncated_stream', text: 'abc', chunks: 3 });
  });

  it('counts reasoning chunks for timing but not for the answer text', async () => {
    const think = (t: string) => `${head}{"reasoning_content":"${t}","content":null}${tail}`;
    body = sse([think('hm'), think('m'), think('ok'), tokenChunk('"A"'), tokenChunk('"B"'), finish, usage, '[DONE]']);
    const r = await ask();
    expect(r).toMatchObject({ ok: true, text: 'AB', chunks: 5 });
    expect(r.itl_ms).toHaveLength(4);
  });

  it('relearns the template when a field such as created changes mid-stream', async () => {
    const at = (created: number, t: string) =>
      tokenChunk(JSON.stringify(t)).replace('"created":1', `"created":${created}`);
    body = sse([at(1, 'a'), at(1, 'b'), at(2, 'c'), at(2, 'd'), at(3, 'e'), finish, usage, '[DONE]']);
    const r = await ask();
    expect(r).toMatchObject({ ok: true, text: 'abcde', chunks: 5 });
  });

  it('gives the text and chunk count of parsing every chunk, for any tokens', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.string({ unit: 'binary', maxLength: 6 }), { minLength: 1, maxLength: 12 }),
        async (tokens) => {
          body = sse([role, ...tokens.map((t) => tokenChunk(JSON.stringify(t))), finish, usage, '[DONE]']);
          const r = await ask();
          expect(r.ok).toBe(true);
          expect(r.text).toBe(tokens.join(''));
          expect(r.chunks).toBe(tokens.filter((t) => t.length > 0).length);
        },
      ),
      { numRuns: 60 },
    );
  });
});
