/**
 * The twin's HTTP edge: vLLM's OpenAI-compatible routes on node:http.
 *   GET  /health                 200 (empty body), 503 once the engine is dead
 *   GET  /v1/models              the served name(s) with max_model_len, as vLLM lists them
 *   GET  /metrics                Prometheus text (metrics.ts)
 *   GET  /version                {"version": ...}
 *   POST /v1/completions         prompt → text, stream or not
 *   POST /v1/chat/completions    messages → message, stream or not
 *   GET  /twin/stats             twin-only: engine step statistics (bench:twin reads it)
 * Streaming is SSE framed like vLLM (`data: {json}\n\n` … `data: [DONE]\n\n`), `finish_reason` on the last
 * content chunk, and with `stream_options.include_usage` a final chunk with empty `choices` and `usage`.
 * Errors use OpenAI's shape `{"error": {"message", "type", "param", "code"}}`: 400 for bad requests (prompt
 * longer than max_model_len, bad max_tokens, bad JSON), 404 for a model not served (as vLLM answers it).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Engine } from './engine.js';
import { type Answer, answer, completionText, contentText, countTokens, renderChat, tokenPiece } from './golden.js';
import type { TwinMetrics } from './metrics.js';
import type { Seq } from './scheduler.js';
import { promptBlockHashes } from './scheduler.js';

export interface ServerOptions {
  engine: Engine;
  metrics: TwinMetrics;
  servedNames: string[];
  modelRoot: string;
  maxModelLen: number;
  blockSize: number;
  prefixCaching: boolean;
  seed: number;
  timeScale: number;
  version: string;
  /** epoch seconds for `created` */
  nowEpochS: () => number;
  /** current quality fault (fraction of golden answers wrong) */
  wrongFraction: () => number;
  isDead: () => boolean;
}

const MAX_BODY = 32 * 1024 * 1024;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type = status === 404 ? 'NotFoundError' : 'BadRequestError',
    readonly param: string | null = null,
  ) {
    super(message);
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function sendError(res: ServerResponse, err: HttpError): void {
  sendJson(res, err.status, { error: { message: err.message, type: err.type, param: err.param, code: err.status } });
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new HttpError(413, 'request body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

type Body = Record<string, unknown>;

interface Prepared {
  api: 'chat' | 'completion';
  model: string;
  prompt: string;
  question: string;
  promptTokens: number;
  stream: boolean;
  includeUsage: boolean;
  text: string;
  tokens: number;
  finishReason: 'stop' | 'length';
}

export class TwinServer {
  readonly http: Server;
  private counter = 0;

  constructor(private readonly o: ServerOptions) {
    this.http = createServer((req, res) => {
      this.route(req, res).catch((err: unknown) => {
        if (res.headersSent) {
          res.destroy();
          return;
        }
        if (err instanceof HttpError) sendError(res, err);
        else sendError(res, new HttpError(500, (err as Error).message ?? String(err), 'InternalServerError'));
      });
    });
    this.http.keepAliveTimeout = 5000;
  }

  listen(port: number, host: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(port, host, () => {
        this.http.off('error', reject);
        resolve();
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.http.close(() => resolve());
      this.http.closeAllConnections();
    });
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    const method = req.method ?? 'GET';
    if (method === 'GET' && path === '/health') {
      res.writeHead(this.o.isDead() ? 503 : 200, { 'content-length': 0 });
      res.end();
      return;
    }
    if (method === 'GET' && path === '/metrics') {
      const text = await this.o.metrics.text();
      res.writeHead(200, { 'content-type': this.o.metrics.contentType() });
      res.end(text);
      return;
    }
    if (method === 'GET' && path === '/v1/models') {
      const created = this.o.nowEpochS();
      sendJson(res, 200, {
        object: 'list',
        data: this.o.servedNames.map((id) => ({
          id,
          object: 'model',
          created,
          owned_by: 'vllm',
          root: this.o.modelRoot,
          parent: null,
          max_model_len: this.o.maxModelLen,
          permission: [],
        })),
      });
      return;
    }
    if (method === 'GET' && path === '/version') {
      sendJson(res, 200, { version: this.o.version });
      return;
    }
    if (method === 'GET' && path === '/twin/stats') {
      sendJson(res, 200, { ...this.o.engine.getStats(), timeScale: this.o.timeScale });
      return;
    }
    if (method === 'POST' && (path === '/v1/completions' || path === '/v1/chat/completions')) {
      const raw = await readBody(req);
      let body: Body;
      try {
        const parsed: unknown = JSON.parse(raw);
        if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
        body = parsed as Body;
      } catch {
        throw new HttpError(400, 'Invalid JSON body: expected a JSON object');
      }
      if (this.o.isDead()) {
        throw new HttpError(
          500,
          'EngineCore encountered an issue. See stack trace (above) for the root cause.',
          'EngineDeadError',
        );
      }
      const prepared = this.prepare(path === '/v1/chat/completions' ? 'chat' : 'completion', body);
      this.run(prepared, req, res);
      return;
    }
    sendJson(res, 404, { detail: 'Not Found' });
  }

  private prepare(api: 'chat' | 'completion', body: Body): Prepared {
    const model = typeof body.model === 'string' ? body.model : (this.o.servedNames[0] as string);
    if (!this.o.servedNames.includes(model)) {
      throw new HttpError(404, `The model \`${model}\` does not exist.`, 'NotFoundError', 'model');
    }
    let prompt: string;
    let question: string;
    if (api === 'chat') {
      const messages = body.messages;
      if (!Array.isArray(messages) || messages.length === 0) {
        throw new HttpError(400, "'messages' must be a non-empty list of chat messages", 'BadRequestError', 'messages');
      }
      const msgs = messages.map((m) => {
        const mm = (m ?? {}) as { role?: unknown; content?: unknown };
        return { role: typeof mm.role === 'string' ? mm.role : 'user', content: mm.content };
      });
      prompt = renderChat(msgs);
      const lastUser = [...msgs].reverse().find((m) => m.role === 'user');
      question = contentText(lastUser?.content ?? msgs[msgs.length - 1]?.content);
    } else {
      const p = Array.isArray(body.prompt) ? body.prompt[0] : body.prompt;
      if (typeof p !== 'string') throw new HttpError(400, "'prompt' must be a string", 'BadRequestError', 'prompt');
      prompt = p;
      question = p;
    }
    const promptTokens = Math.max(1, countTokens(prompt));
    const maxModelLen = this.o.maxModelLen;
    const rawMax = body.max_completion_tokens ?? body.max_tokens;
    let maxTokens: number;
    if (rawMax === undefined || rawMax === null) {
      maxTokens = api === 'completion' ? 16 : maxModelLen - promptTokens;
      if (promptTokens >= maxModelLen) {
        throw new HttpError(
          400,
          `This model's maximum context length is ${maxModelLen} tokens. However, your request has ${promptTokens} ` +
            'input tokens. Please reduce the length of the input messages.',
        );
      }
    } else {
      if (typeof rawMax !== 'number' || !Number.isInteger(rawMax) || rawMax < 1) {
        throw new HttpError(
          400,
          `max_tokens must be at least 1, got ${String(rawMax)}`,
          'BadRequestError',
          'max_tokens',
        );
      }
      maxTokens = rawMax;
      if (promptTokens + maxTokens > maxModelLen) {
        throw new HttpError(
          400,
          `This model's maximum context length is ${maxModelLen} tokens. However, you requested ` +
            `${promptTokens + maxTokens} tokens (${promptTokens} in the messages, ${maxTokens} in the completion). ` +
            'Please reduce the length of the messages or completion.',
        );
      }
    }
    const seed = typeof body.seed === 'number' ? body.seed : this.o.seed;
    const responseFormat = (body.response_format ?? undefined) as Parameters<typeof answer>[0]['responseFormat'];
    const ans: Answer = answer({ question, seed, wrongFraction: this.o.wrongFraction(), responseFormat });
    const out = completionText(ans, { maxTokens, ignoreEos: body.ignore_eos === true, seed, question });
    const streamOptions = (body.stream_options ?? {}) as { include_usage?: unknown };
    return {
      api,
      model,
      prompt,
      question,
      promptTokens,
      stream: body.stream === true,
      includeUsage: streamOptions.include_usage === true,
      text: out.text,
      tokens: Math.max(1, out.tokens),
      finishReason: out.finishReason,
    };
  }

  private run(p: Prepared, req: IncomingMessage, res: ServerResponse): void {
    const n = ++this.counter;
    const id = `${p.api === 'chat' ? 'chatcmpl' : 'cmpl'}-${this.o.seed.toString(16)}${n.toString(16).padStart(8, '0')}`;
    const created = this.o.nowEpochS();
    const modelJson = JSON.stringify(p.model);
    const usage = () => ({
      prompt_tokens: p.promptTokens,
      total_tokens: p.promptTokens + p.tokens,
      completion_tokens: p.tokens,
      prompt_tokens_details: null,
    });
    let done = false;
    let seq: Seq | undefined;
    const blockHashes = this.o.prefixCaching ? promptBlockHashes(p.prompt, this.o.blockSize, 4) : [];
    if (p.stream) {
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
      });
      const object = p.api === 'chat' ? 'chat.completion.chunk' : 'text_completion';
      const head = `data: {"id":"${id}","object":"${object}","created":${created},"model":${modelJson},"choices":[{"index":0,`;
      if (p.api === 'chat') {
        res.write(`${head}"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}\n\n`);
      }
      seq = this.o.engine.submit({
        promptTokens: p.promptTokens,
        blockHashes,
        outputTokens: p.tokens,
        finishReason: p.finishReason,
        onToken: (index) => {
          const piece = JSON.stringify(tokenPiece(p.text, index));
          const last = index === p.tokens - 1;
          const finish = last ? `"${p.finishReason}","stop_reason":null` : 'null';
          const chunk =
            p.api === 'chat'
              ? `${head}"delta":{"content":${piece}},"logprobs":null,"finish_reason":${finish}}]}\n\n`
              : `${head}"text":${piece},"logprobs":null,"finish_reason":${finish}}]}\n\n`;
          res.write(chunk);
        },
        onFinish: () => {
          done = true;
          let tail = '';
          if (p.includeUsage) {
            tail += `data: {"id":"${id}","object":"${object}","created":${created},"model":${modelJson},"choices":[],"usage":${JSON.stringify(usage())}}\n\n`;
          }
          res.end(`${tail}data: [DONE]\n\n`);
        },
        onError: (message) => {
          done = true;
          res.end(
            `data: ${JSON.stringify({ error: { message, type: 'EngineDeadError', param: null, code: 500 } })}\n\n`,
          );
        },
      });
    } else {
      seq = this.o.engine.submit({
        promptTokens: p.promptTokens,
        blockHashes,
        outputTokens: p.tokens,
        finishReason: p.finishReason,
        onToken: () => {},
        onFinish: () => {
          done = true;
          const choice =
            p.api === 'chat'
              ? {
                  index: 0,
                  message: { role: 'assistant', content: p.text, tool_calls: [] },
                  logprobs: null,
                  finish_reason: p.finishReason,
                  stop_reason: null,
                }
              : { index: 0, text: p.text, logprobs: null, finish_reason: p.finishReason, stop_reason: null };
          sendJson(res, 200, {
            id,
            object: p.api === 'chat' ? 'chat.completion' : 'text_completion',
            created,
            model: p.model,
            choices: [choice],
            usage: usage(),
          });
        },
        onError: (message) => {
          done = true;
          sendError(res, new HttpError(500, message, 'EngineDeadError'));
        },
      });
    }
    const onClose = () => {
      if (!done && seq) this.o.engine.abort(seq);
    };
    res.on('close', onClose);
    req.on('aborted', onClose);
  }
}
