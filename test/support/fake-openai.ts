/**
 * Small fake OpenAI-compatible servers on 127.0.0.1 for tests of the probe and of PHASE domains.
 * One behaviour per server: normal streaming with configurable delays, hanging (accepts, never answers),
 * garbage stream, truncated stream, wrong model, HTTP error. GET /health, /v1/models and /metrics answer
 * in every mode except `hang`, so health checks and scrapes can be exercised against the same server.
 *
 *   const fake = await startFakeOpenAI({ mode: 'normal', firstTokenDelayMs: 1000, interTokenDelayMs: 10 });
 *   ... fake.baseUrl ... fake.requests ...
 *   await fake.close();
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type FakeMode = 'normal' | 'hang' | 'garbage' | 'truncated' | 'wrong_model' | 'http_error';

export interface FakeBehaviour {
  mode: FakeMode;
  /** served model name (default "fake-model") */
  model?: string;
  /** delay before the first content token (ms, default 0) */
  firstTokenDelayMs?: number;
  /** delay between content tokens (ms, default 0) */
  interTokenDelayMs?: number;
  /** the answer: a fixed text, or computed from the prompt text of the request */
  reply?: string | ((prompt: string) => string);
  /** content tokens per answer when no reply is given (default: max_tokens of the request, capped at 64) */
  tokens?: number;
  /** include usage in the last chunk when stream_options.include_usage is asked (default true) */
  usage?: boolean;
  /** lie in usage.completion_tokens by this many tokens (streaming-integrity tests) */
  usageSkew?: number;
  /** finish_reason of the last chunk (default "stop", "length" when max_tokens cut the reply) */
  finishReason?: string | null;
  /** http_error mode: the status (default 500) */
  status?: number;
  /** truncated mode: tokens sent before the connection is closed (default 3) */
  truncateAfter?: number;
  /** /health status (default 200); set 503 to simulate an unhealthy engine */
  healthStatus?: number;
  /** body of GET /metrics; absent → 404 (like Ollama) */
  metrics?: string | (() => string);
  /** max_model_len reported by /v1/models (vLLM does this) */
  maxModelLen?: number;
}

export interface FakeRequestLog {
  method: string;
  path: string;
  body: Record<string, unknown> | undefined;
  authorization: string | undefined;
}

export interface FakeOpenAI {
  baseUrl: string;
  port: number;
  /** every request received, in order */
  requests: FakeRequestLog[];
  /** TCP connections accepted so far (keep-alive tests) */
  readonly connections: number;
  /** change the behaviour of the next requests */
  set(behaviour: Partial<FakeBehaviour>): void;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function promptText(body: Record<string, unknown>): string {
  if (typeof body.prompt === 'string') return body.prompt;
  if (Array.isArray(body.messages)) {
    return body.messages
      .map((m) => (m && typeof m === 'object' && typeof m.content === 'string' ? m.content : ''))
      .join('\n');
  }
  return '';
}

/** Words with their following space, so joining the tokens gives the reply back. */
function tokenize(text: string): string[] {
  return text.match(/\S+\s*|\s+/g) ?? [];
}

function answerTokens(b: FakeBehaviour, body: Record<string, unknown>): { tokens: string[]; cut: boolean } {
  const maxTokens = typeof body.max_tokens === 'number' ? body.max_tokens : 16;
  let tokens: string[];
  if (b.reply !== undefined) {
    tokens = tokenize(typeof b.reply === 'function' ? b.reply(promptText(body)) : b.reply);
  } else {
    const n = b.tokens ?? Math.min(maxTokens, 64);
    tokens = Array.from({ length: n }, (_, i) => `t${i} `);
  }
  const cut = tokens.length > maxTokens;
  return { tokens: cut ? tokens.slice(0, maxTokens) : tokens, cut };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    req.on('error', reject);
  });
}

function chunkObject(
  chat: boolean,
  model: string,
  content: string | undefined,
  finish: string | null,
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number },
): Record<string, unknown> {
  const choice = chat
    ? { index: 0, delta: content === undefined ? {} : { content }, finish_reason: finish }
    : { index: 0, text: content ?? '', finish_reason: finish };
  return {
    id: 'cmpl-fake',
    object: chat ? 'chat.completion.chunk' : 'text_completion',
    created: 0,
    model,
    choices: usage && content === undefined && finish === null ? [] : [choice],
    ...(usage ? { usage } : {}),
  };
}

export async function startFakeOpenAI(initial: FakeBehaviour): Promise<FakeOpenAI> {
  let behaviour: FakeBehaviour = { ...initial };
  const requests: FakeRequestLog[] = [];
  const sockets = new Set<Socket>();
  let connections = 0;

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const b = behaviour;
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const raw = req.method === 'POST' ? await readBody(req) : '';
    let body: Record<string, unknown> | undefined;
    try {
      body = raw ? (JSON.parse(raw) as Record<string, unknown>) : undefined;
    } catch {
      body = undefined;
    }
    requests.push({ method: req.method ?? 'GET', path, body, authorization: req.headers.authorization });
    if (b.mode === 'hang') return; // accept and never answer
    const model = b.model ?? 'fake-model';

    if (req.method === 'GET') {
      if (path === '/health') {
        res.writeHead(b.healthStatus ?? 200).end();
      } else if (path === '/v1/models') {
        const entry = { id: model, object: 'model', ...(b.maxModelLen ? { max_model_len: b.maxModelLen } : {}) };
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ object: 'list', data: [entry] }));
      } else if (path === '/metrics' && b.metrics !== undefined) {
        const text = typeof b.metrics === 'function' ? b.metrics() : b.metrics;
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(text);
      } else {
        res.writeHead(404).end('not found');
      }
      return;
    }

    const chat = path === '/v1/chat/completions';
    if (!chat && path !== '/v1/completions') {
      res.writeHead(404).end('not found');
      return;
    }
    if (b.mode === 'http_error') {
      res
        .writeHead(b.status ?? 500, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error: { message: 'fake failure', type: 'server_error' } }));
      return;
    }
    const reqBody = body ?? {};
    const answeredModel = b.mode === 'wrong_model' ? `${model}-other` : model;
    const { tokens, cut } = answerTokens(b, reqBody);
    const finish = b.finishReason === undefined ? (cut ? 'length' : 'stop') : b.finishReason;
    const promptTokens = Math.max(1, tokenize(promptText(reqBody)).length);
    const usage = {
      prompt_tokens: promptTokens,
      completion_tokens: tokens.length + (b.usageSkew ?? 0),
      total_tokens: promptTokens + tokens.length + (b.usageSkew ?? 0),
    };

    if (reqBody.stream !== true) {
      if (b.mode === 'garbage' || b.mode === 'truncated') {
        res.writeHead(200, { 'content-type': 'application/json' });
        if (b.mode === 'garbage') res.end('<<<garbage>>> {not json');
        else {
          res.write('{"id":"cmpl-fake","choices":[{"index":0,');
          res.socket?.destroy();
        }
        return;
      }
      await sleep((b.firstTokenDelayMs ?? 0) + (b.interTokenDelayMs ?? 0) * Math.max(0, tokens.length - 1));
      const text = tokens.join('');
      const choice = chat
        ? { index: 0, message: { role: 'assistant', content: text }, finish_reason: finish }
        : { index: 0, text, finish_reason: finish };
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          id: 'cmpl-fake',
          object: chat ? 'chat.completion' : 'text_completion',
          model: answeredModel,
          choices: [choice],
          ...(b.usage === false ? {} : { usage }),
        }),
      );
      return;
    }

    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.flushHeaders();
    if (b.mode === 'garbage') {
      await sleep(b.firstTokenDelayMs ?? 0);
      res.write('data: {"this is": not json\n\n');
      res.write('event-stream? no: <<<garbage>>>\n\n');
      res.end('data: [DONE]\n\n');
      return;
    }
    const send = (obj: Record<string, unknown>) => res.write(`data: ${JSON.stringify(obj)}\n\n`);
    if (chat) send(chunkObject(true, answeredModel, undefined, null)); // role chunk, as vLLM sends first
    const limit = b.mode === 'truncated' ? Math.min(b.truncateAfter ?? 3, tokens.length) : tokens.length;
    for (let i = 0; i < limit; i++) {
      await sleep(i === 0 ? (b.firstTokenDelayMs ?? 0) : (b.interTokenDelayMs ?? 0));
      if (res.destroyed) return;
      send(chunkObject(chat, answeredModel, tokens[i], null));
    }
    if (b.mode === 'truncated') {
      // Close the connection mid-stream: no finish_reason, no [DONE]. The pause lets the last token reach the
      // client before the reset, so tests know exactly what arrived.
      await sleep(20);
      res.socket?.destroy();
      return;
    }
    send(chunkObject(chat, answeredModel, chat ? undefined : '', finish));
    const streamOptions = reqBody.stream_options as { include_usage?: boolean } | undefined;
    if (b.usage !== false && streamOptions?.include_usage)
      send(chunkObject(chat, answeredModel, undefined, null, usage));
    res.end('data: [DONE]\n\n');
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500).end(String(err));
      else res.destroy();
    });
  });
  server.on('connection', (s) => {
    connections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    port,
    requests,
    get connections() {
      return connections;
    },
    set(patch) {
      behaviour = { ...behaviour, ...patch };
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
