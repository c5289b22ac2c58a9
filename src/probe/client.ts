/**
 * The streaming OpenAI client that measures. One undici Pool per client (keep-alive connections reused across
 * requests unless `newConnectionPerRequest`), so connection setup does not pollute TTFT.
 *
 * Per request: TTFT (send → first content token), ITL (gaps between content tokens; the first token is
 * excluded, so the queueing and prefill that TTFT measures never leak into ITL), TPOT ((E2E − TTFT) /
 * (output tokens − 1)), E2E, output tokens (usage when the server reports it, else counted content chunks),
 * prompt tokens, finish_reason, and an error class. Failures never throw: they come back as `ok: false`.
 *
 * Durations are measured with performance.now() and divided by `timeScale`: against a twin running at
 * time scale 0.1, 10 real ms are 100 model ms, so reports always speak model time.
 */
import { performance } from 'node:perf_hooks';
import { Client, type Dispatcher, Pool } from 'undici';
import type { ErrorClass } from '../core/types.js';
import { type Clock, systemClock } from '../system/clock.js';
import { SseParser } from './sse.js';
import type { ProbeClient, ProbeRequest, ProbeResult } from './types.js';

export interface ProbeClientOptions {
  /** server root, e.g. http://127.0.0.1:8000 (a trailing /v1 is accepted and dropped) */
  baseUrl: string;
  model: string;
  /** sent as `Authorization: Bearer …`; never logged, never put in a result */
  apiKey?: string;
  requestTimeoutMs: number;
  /** model time per real time (the twin's --time-scale); measured durations are divided by it. Default 1. */
  timeScale?: number;
  /** max parallel connections of the pool (default: unbounded, one per in-flight request) */
  connections?: number;
  /** open a fresh connection for every request (measures connection setup too) */
  newConnectionPerRequest?: boolean;
  /** where the sample timestamp `t` comes from (default systemClock) */
  clock?: Clock;
  /** classify a response naming another model as `wrong_model` (default true) */
  checkModel?: boolean;
}

/** Largest body kept from a GET or an error response: enough for /v1/models and an error message. */
const MAX_BODY_CHARS = 1 << 20;
const MAX_DETAIL_CHARS = 300;

interface Root {
  origin: string;
  prefix: string;
}

function parseRoot(baseUrl: string): Root {
  const url = new URL(baseUrl);
  let prefix = url.pathname.replace(/\/+$/, '');
  if (prefix.endsWith('/v1')) prefix = prefix.slice(0, -3);
  return { origin: url.origin, prefix };
}

/** undici surfaces system errors directly, wrapped in `cause`, or in an AggregateError (happy eyeballs). */
function errorCodes(err: unknown, depth = 0): string[] {
  if (!err || typeof err !== 'object' || depth > 4) return [];
  const e = err as { code?: unknown; cause?: unknown; errors?: unknown };
  const codes = typeof e.code === 'string' ? [e.code] : [];
  codes.push(...errorCodes(e.cause, depth + 1));
  if (Array.isArray(e.errors)) for (const inner of e.errors) codes.push(...errorCodes(inner, depth + 1));
  return codes;
}

function errorText(err: unknown): string {
  const codes = errorCodes(err);
  const message = err instanceof Error ? err.message : String(err);
  return clip(codes.length > 0 && !message.includes(codes[0] as string) ? `${codes[0]}: ${message}` : message);
}

function clip(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > MAX_DETAIL_CHARS ? `${oneLine.slice(0, MAX_DETAIL_CHARS - 3)}...` : oneLine;
}

function classifyThrown(err: unknown, timedOut: boolean, aborted: boolean, gotHeaders: boolean): ErrorClass {
  if (aborted) return 'aborted';
  if (timedOut) return 'timeout';
  const codes = errorCodes(err);
  if (codes.includes('ECONNREFUSED')) return 'connect_refused';
  if (codes.some((c) => c === 'UND_ERR_CONNECT_TIMEOUT' || c.endsWith('_TIMEOUT') || c === 'ETIMEDOUT')) {
    return 'timeout';
  }
  // The server closed the connection after answering headers: the stream was cut short.
  if (gotHeaders) return 'truncated_stream';
  return 'other';
}

interface StreamState {
  text: string;
  chunks: number;
  itl: number[];
  firstAt?: number;
  lastAt?: number;
  endAt?: number;
  finish?: string;
  usage?: { prompt_tokens: number; completion_tokens: number };
  model?: string;
  done: boolean;
  badJson: number;
  serverError?: string;
  problems: string[];
}

type Json = Record<string, unknown>;

function asObject(v: unknown): Json | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined;
}

function readUsage(v: unknown): { prompt_tokens: number; completion_tokens: number } | undefined {
  const u = asObject(v);
  if (!u || typeof u.completion_tokens !== 'number') return undefined;
  return {
    prompt_tokens: typeof u.prompt_tokens === 'number' ? u.prompt_tokens : 0,
    completion_tokens: u.completion_tokens,
  };
}

/** Apply one SSE data payload to the state; `now` is when the network chunk carrying it arrived. */
function applyEvent(s: StreamState, data: string, now: number): void {
  if (data === '[DONE]') {
    if (s.done) s.problems.push('second [DONE]');
    s.done = true;
    s.endAt = now;
    return;
  }
  if (s.done) s.problems.push('data after [DONE]');
  let obj: Json | undefined;
  try {
    obj = asObject(JSON.parse(data));
  } catch {
    obj = undefined;
  }
  if (!obj) {
    s.badJson++;
    if (s.problems.length < 20) s.problems.push(`data is not a JSON object: "${clip(data).slice(0, 60)}"`);
    return;
  }
  if (obj.error !== undefined) {
    const e = asObject(obj.error);
    s.serverError = clip(typeof e?.message === 'string' ? e.message : JSON.stringify(obj.error));
    return;
  }
  if (typeof obj.model === 'string' && s.model === undefined) s.model = obj.model;
  const usage = readUsage(obj.usage);
  if (usage) s.usage = usage;
  const choices = Array.isArray(obj.choices) ? obj.choices : [];
  const choice = asObject(choices[0]);
  if (!choice) return;
  const delta = asObject(choice.delta);
  const content = delta ? delta.content : choice.text;
  // Reasoning tokens are generated tokens too: they count for timing, not for the answer text.
  const reasoning = delta ? (delta.reasoning_content ?? delta.reasoning) : undefined;
  const hasContent = typeof content === 'string' && content.length > 0;
  const hasReasoning = typeof reasoning === 'string' && reasoning.length > 0;
  if (hasContent) s.text += content;
  if (hasContent || hasReasoning) {
    s.chunks++;
    if (s.firstAt === undefined) s.firstAt = now;
    else if (s.lastAt !== undefined) s.itl.push(now - s.lastAt);
    s.lastAt = now;
  }
  if (typeof choice.finish_reason === 'string' && choice.finish_reason.length > 0) s.finish = choice.finish_reason;
}

export function createProbeClient(opts: ProbeClientOptions): ProbeClient {
  const root = parseRoot(opts.baseUrl);
  const scale = opts.timeScale ?? 1;
  if (!(scale > 0)) throw new RangeError(`probe: timeScale must be > 0, got ${scale}`);
  const clock = opts.clock ?? systemClock;
  const checkModel = opts.checkModel ?? true;
  const pool = new Pool(root.origin, {
    ...(opts.connections !== undefined ? { connections: opts.connections } : {}),
    keepAliveTimeout: 30_000,
    pipelining: 1,
  });
  const baseHeaders: Record<string, string> = {
    'content-type': 'application/json',
    ...(opts.apiKey ? { authorization: `Bearer ${opts.apiKey}` } : {}),
  };
  const headersFor = {
    stream: { ...baseHeaders, accept: 'text/event-stream' },
    plain: { ...baseHeaders, accept: 'application/json' },
  };
  const ms = (realMs: number) => realMs / scale;

  /** A dispatcher for one request, and how to release it. */
  const dispatcher = (): { d: Dispatcher; release(): Promise<void> } => {
    if (!opts.newConnectionPerRequest) return { d: pool, release: async () => {} };
    const c = new Client(root.origin, { pipelining: 1 });
    return { d: c, release: () => c.destroy() };
  };

  /** Timeout + caller's signal combined into one controller, remembering which fired. */
  const guard = (timeoutMs: number, signal?: AbortSignal) => {
    const ac = new AbortController();
    const state = { timedOut: false, aborted: false };
    const timer = setTimeout(() => {
      state.timedOut = true;
      ac.abort(new Error(`no complete answer within ${timeoutMs} ms`));
    }, timeoutMs);
    const onAbort = () => {
      state.aborted = true;
      ac.abort(signal?.reason ?? new Error('aborted'));
    };
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
    return {
      signal: ac.signal,
      state,
      done() {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      },
    };
  };

  const buildBody = (req: ProbeRequest, stream: boolean): string => {
    const body: Json = { model: opts.model, max_tokens: req.max_tokens, stream };
    if (req.api === 'chat') body.messages = req.messages ?? [{ role: 'user', content: req.prompt ?? '' }];
    else body.prompt = req.prompt ?? '';
    if (req.temperature !== undefined) body.temperature = req.temperature;
    if (req.ignore_eos !== undefined) body.ignore_eos = req.ignore_eos;
    if (req.response_format !== undefined) body.response_format = req.response_format;
    if (stream) body.stream_options = { include_usage: true };
    return JSON.stringify(body);
  };

  /**
   * One request over undici's dispatch handler API: response chunks arrive as Buffers in callbacks, with no
   * Readable stream or async iterator per request, the cheapest path undici offers.
   * The promise settles exactly once: on the end of the response, an error, the timeout or the caller's abort.
   */
  const request = (req: ProbeRequest, signal?: AbortSignal): Promise<ProbeResult> =>
    new Promise<ProbeResult>((resolve) => {
      const stream = req.stream ?? true;
      const path = `${root.prefix}${req.api === 'chat' ? '/v1/chat/completions' : '/v1/completions'}`;
      const where = `${req.api} request to ${root.origin}${path}`;
      const timeoutMs = req.timeout_ms ?? opts.requestTimeoutMs;
      const t = clock.now();
      const { d, release } = dispatcher();
      const t0 = performance.now();
      let status: number | undefined;
      let controller: Dispatcher.DispatchController | undefined;
      let stopReason: Error | undefined;
      let settled = false;
      let raw = '';
      let decoder: InstanceType<typeof TextDecoder> | undefined; // only for bodies kept whole (errors, non-streamed answers)
      const s: StreamState = { text: '', chunks: 0, itl: [], done: false, badJson: 0, problems: [] };
      const parser = new SseParser();

      const fail = (error: ErrorClass, detail: string): ProbeResult => ({
        ok: false,
        t,
        e2e_ms: ms(performance.now() - t0),
        error,
        error_detail: clip(detail),
        text: s.text,
        chunks: s.chunks,
        ...(status !== undefined ? { status } : {}),
        ...(s.model !== undefined ? { model: s.model } : {}),
        ...(s.problems.length > 0 || parser.problems.length > 0
          ? { sse_problems: [...parser.problems, ...s.problems] }
          : {}),
      });
      const settle = (result: ProbeResult) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        // Resolve on the next turn, once undici has marked the connection idle: a sequential caller's next
        // request then reuses it instead of opening a second one. The outcome is decided here; closing a
        // per-request connection cannot change it, so a failure to close is moot.
        const done = () => setImmediate(() => resolve(result));
        release().then(done, done);
      };
      const stop = (error: ErrorClass, detail: string) => {
        stopReason = new Error(detail);
        settle(fail(error, detail)); // first: aborting calls onResponseError synchronously
        controller?.abort(stopReason);
      };
      const timer = setTimeout(() => stop('timeout', `${where}: no complete answer within ${timeoutMs} ms`), timeoutMs);
      const onAbort = () => stop('aborted', `${where}: aborted`);
      if (signal?.aborted) {
        onAbort();
        return;
      }
      signal?.addEventListener('abort', onAbort, { once: true });

      const ok2xx = () => status !== undefined && status >= 200 && status < 300;
      const handler: Dispatcher.DispatchHandler = {
        onRequestStart(c) {
          controller = c;
          if (stopReason) c.abort(stopReason);
        },
        onResponseStart(_c, statusCode) {
          status = statusCode;
        },
        onResponseData(_c, chunk) {
          if (settled) return;
          if (stream && ok2xx()) {
            const now = performance.now();
            for (const ev of parser.push(chunk)) applyEvent(s, ev.data, now);
          } else if (raw.length < MAX_BODY_CHARS) {
            decoder ??= new TextDecoder();
            raw += decoder.decode(chunk, { stream: true });
          }
        },
        onResponseEnd() {
          if (settled) return;
          if (!ok2xx()) {
            settle(fail('http_status', `HTTP ${status} from ${path}: ${raw.slice(0, 2000)}`));
            return;
          }
          if (!stream) {
            settle(finishPlain(raw + (decoder?.decode() ?? '')));
            return;
          }
          const endNow = performance.now();
          for (const ev of parser.end()) applyEvent(s, ev.data, endNow);
          if (s.endAt === undefined) s.endAt = endNow;
          settle(finishStream());
        },
        onResponseError(_c, err) {
          if (settled) return;
          const cls = classifyThrown(err, false, false, status !== undefined);
          settle(fail(cls, `${where}: ${errorText(err)}`));
        },
      };
      try {
        d.dispatch(
          {
            origin: root.origin,
            path,
            method: 'POST',
            headers: stream ? headersFor.stream : headersFor.plain,
            body: buildBody(req, stream),
            headersTimeout: timeoutMs + 1000,
            bodyTimeout: timeoutMs + 1000,
          },
          handler,
        );
      } catch (err) {
        settle(fail(classifyThrown(err, false, false, false), `${where}: ${errorText(err)}`));
      }

      function finishStream(): ProbeResult {
        const problems = [...parser.problems, ...s.problems];
        const first = s.firstAt;
        const end = s.endAt ?? performance.now();
        const outputTokens = s.usage?.completion_tokens ?? s.chunks;
        const base: ProbeResult = {
          ok: true,
          t,
          e2e_ms: ms(end - t0),
          output_tokens: outputTokens,
          text: s.text,
          chunks: s.chunks,
          ...(status !== undefined ? { status } : {}),
          ...(first !== undefined ? { ttft_ms: ms(first - t0), itl_ms: scale === 1 ? s.itl : s.itl.map(ms) } : {}),
          ...(first !== undefined && outputTokens > 1 ? { tpot_ms: ms(end - first) / (outputTokens - 1) } : {}),
          ...(s.usage ? { usage: s.usage, prompt_tokens: s.usage.prompt_tokens } : {}),
          ...(s.finish !== undefined ? { finish_reason: s.finish } : {}),
          ...(s.model !== undefined ? { model: s.model } : {}),
          ...(problems.length > 0 ? { sse_problems: problems } : {}),
        };
        const bad = (error: ErrorClass, detail: string): ProbeResult => ({
          ...base,
          ok: false,
          error,
          error_detail: clip(detail),
        });
        if (s.serverError !== undefined) return bad('other', `server reported an error mid-stream: ${s.serverError}`);
        if (s.badJson > 0 || parser.problems.length > 0) {
          return bad('malformed_sse', `malformed SSE from ${path}: ${problems[0] ?? 'unparseable data'}`);
        }
        if (!s.done) {
          const seen = s.finish !== undefined ? `finish_reason "${s.finish}" seen` : 'no finish_reason';
          return bad('truncated_stream', `stream from ${path} ended without [DONE] (${seen}, ${s.chunks} chunks)`);
        }
        if (s.finish === undefined) return bad('truncated_stream', `stream from ${path} ended without a finish_reason`);
        if (checkModel && s.model !== undefined && s.model !== opts.model) {
          return bad('wrong_model', `asked for model "${opts.model}", answered by "${s.model}"`);
        }
        if (s.problems.length > 0) return bad('malformed_sse', `malformed SSE from ${path}: ${s.problems[0]}`);
        return base;
      }

      function finishPlain(body: string): ProbeResult {
        const end = performance.now();
        let obj: Json | undefined;
        try {
          obj = asObject(JSON.parse(body));
        } catch {
          obj = undefined;
        }
        if (!obj) return fail('malformed_sse', `response from ${path} is not a JSON object: ${body}`);
        const choice = asObject((Array.isArray(obj.choices) ? obj.choices : [])[0]);
        const message = asObject(choice?.message);
        const text =
          typeof message?.content === 'string' ? message.content : typeof choice?.text === 'string' ? choice.text : '';
        const usage = readUsage(obj.usage);
        const model = typeof obj.model === 'string' ? obj.model : undefined;
        const finish = typeof choice?.finish_reason === 'string' ? choice.finish_reason : undefined;
        const result: ProbeResult = {
          ok: true,
          t,
          e2e_ms: ms(end - t0),
          text,
          ...(status !== undefined ? { status } : {}),
          ...(usage ? { usage, prompt_tokens: usage.prompt_tokens, output_tokens: usage.completion_tokens } : {}),
          ...(finish !== undefined ? { finish_reason: finish } : {}),
          ...(model !== undefined ? { model } : {}),
        };
        if (checkModel && model !== undefined && model !== opts.model) {
          return {
            ...result,
            ok: false,
            error: 'wrong_model',
            error_detail: `asked for model "${opts.model}", answered by "${model}"`,
          };
        }
        return result;
      }
    });

  const get = async (
    path: string,
    signal?: AbortSignal,
  ): Promise<{ status: number; body: string; error?: ErrorClass }> => {
    const g = guard(opts.requestTimeoutMs, signal);
    const full = `${root.prefix}${path.startsWith('/') ? path : `/${path}`}`;
    try {
      const res = await pool.request({
        origin: root.origin,
        path: full,
        method: 'GET',
        headers: opts.apiKey ? { authorization: `Bearer ${opts.apiKey}` } : {},
        signal: g.signal,
        headersTimeout: opts.requestTimeoutMs + 1000,
        bodyTimeout: opts.requestTimeoutMs + 1000,
      });
      const body = await readText(res.body, MAX_BODY_CHARS);
      return res.statusCode >= 200 && res.statusCode < 300
        ? { status: res.statusCode, body }
        : { status: res.statusCode, body, error: 'http_status' };
    } catch (err) {
      const error = classifyThrown(err, g.state.timedOut, g.state.aborted, false);
      return { status: 0, body: errorText(err), error };
    } finally {
      g.done();
    }
  };

  return {
    baseUrl: opts.baseUrl,
    model: opts.model,
    timeScale: scale,
    request,
    get,
    close: () => pool.destroy(),
  };
}

async function readText(body: AsyncIterable<unknown>, maxChars: number): Promise<string> {
  const decoder = new TextDecoder();
  let text = '';
  for await (const chunk of body) {
    if (text.length < maxChars) text += decoder.decode(chunk as Uint8Array, { stream: true });
  }
  text += decoder.decode();
  return text.length > maxChars ? text.slice(0, maxChars) : text;
}
