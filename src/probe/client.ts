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
import { SseParser, type SseSink } from './sse.js';
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

/** What one parsed chunk object says, read the way the measurements need it. */
interface Chunk {
  /** the chunk is an error object (`{"error": …}`): its message, clipped */
  error: string | undefined;
  model: string | undefined;
  usage: { prompt_tokens: number; completion_tokens: number } | undefined;
  /** choices[0] is an object */
  hasChoice: boolean;
  /** delta.content (chat) or text (completion), when a string */
  content: string | undefined;
  /** delta.reasoning_content ?? delta.reasoning, when a string: generated tokens that are not the answer */
  reasoning: string | undefined;
  /** a non-empty finish_reason */
  finish: string | undefined;
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

function readChunk(obj: Json): Chunk {
  const error =
    obj.error === undefined
      ? undefined
      : (() => {
          const e = asObject(obj.error);
          return clip(typeof e?.message === 'string' ? e.message : JSON.stringify(obj.error));
        })();
  const choice = asObject((Array.isArray(obj.choices) ? obj.choices : [])[0]);
  const delta = choice ? asObject(choice.delta) : undefined;
  const content = choice ? (delta ? delta.content : choice.text) : undefined;
  const reasoning = delta ? (delta.reasoning_content ?? delta.reasoning) : undefined;
  const finish = choice?.finish_reason;
  return {
    error,
    model: typeof obj.model === 'string' ? obj.model : undefined,
    usage: readUsage(obj.usage),
    hasChoice: choice !== undefined,
    content: typeof content === 'string' ? content : undefined,
    reasoning: typeof reasoning === 'string' ? reasoning : undefined,
    finish: typeof finish === 'string' && finish.length > 0 ? finish : undefined,
  };
}

/**
 * True when `text` written between two quotes is a JSON string literal whose value is `text` itself: no quote,
 * no backslash (so no escape sequence), no control character below U+0020 (JSON forbids those raw).
 */
function isPlainJsonString(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c) return false;
  }
  return true;
}

/** Stands in for the token text when a template is verified; plain ASCII, so it is its own JSON literal. */
const SENTINEL = 'nightshift-probe-sentinel-7f3a';
/**
 * Template derivations allowed per stream: a few at first, then one per 16 token chunks at most, so a stream
 * whose every chunk differs (per-chunk usage, say) costs at most ~6% more parsing, while one whose `created`
 * ticks every second (llama-server) relearns its template and stays on the fast path.
 */
const FIRST_TEMPLATE_TRIES = 4;
const CHUNKS_PER_LATER_TRY = 16;

/**
 * The shape of a token chunk, learned from the stream itself so that most chunks need no JSON.parse.
 *
 * Servers send every token chunk of a stream as the same bytes except the token text: vLLM's
 * `{"id":"chatcmpl-…","object":"chat.completion.chunk","created":…,"model":"…","choices":[{"index":0,
 * "delta":{"content":"␣world"},"logprobs":null,"finish_reason":null}]}`. A template is the `prefix` before and
 * the `suffix` after the token's string literal in one fully parsed chunk.
 *
 * Guarantee (exact, not heuristic): a data payload equal to prefix + X + suffix, where X contains no quote,
 * backslash or control character, is valid JSON and parses to the template chunk with the token text
 * replaced by X. Why: the prefix is identical bytes, so the JSON lexer reaches the opening quote in the same
 * state; X cannot end the string early nor hold an escape, so the literal ends at the same closing quote and
 * its value is X; the suffix is identical bytes again. That the slot really is the token text (and not, say,
 * an `id` with the same value, or a duplicate key that a later one overrides) is established once per
 * template: when the chunk holds no backslash and the token's literal occurs exactly once, that occurrence must
 * be the token (without escapes a string is written as its value); otherwise by parsing the chunk with a
 * sentinel in the slot and reading the sentinel back as the content. Anything else —
 * another shape, an escape, a finish_reason or usage chunk, garbage — takes the full JSON.parse path, so
 * malformed-SSE detection and every measured field are exactly what parsing every chunk would give.
 */
interface Template {
  prefix: string;
  suffix: string;
  /** which field the slot is */
  slot: 'content' | 'reasoning';
  /** the template chunk; the slot's field is replaced per event */
  chunk: Chunk;
}

function sameUsage(a: Chunk['usage'], b: Chunk['usage']): boolean {
  return (
    a === b ||
    (a !== undefined &&
      b !== undefined &&
      a.prompt_tokens === b.prompt_tokens &&
      a.completion_tokens === b.completion_tokens)
  );
}

/** Learn a template from a fully parsed token chunk, or undefined when its token text cannot be located exactly. */
function deriveTemplate(data: string, chunk: Chunk): Template | undefined {
  if (chunk.error !== undefined) return undefined;
  const slot = chunk.content ? 'content' : chunk.reasoning ? 'reasoning' : undefined;
  const value = slot === 'content' ? chunk.content : slot === 'reasoning' ? chunk.reasoning : undefined;
  if (slot === undefined || value === undefined || value === SENTINEL || !isPlainJsonString(value)) return undefined;
  const literal = `"${value}"`;
  const at = data.indexOf(literal);
  if (at < 0) return undefined;
  // Cheap exact case: with no backslash anywhere, every string token is written as its value, so the token
  // that gave `value` is an occurrence of `"value"`; if there is only one occurrence, that is the slot.
  if (data.indexOf('\\') < 0 && data.indexOf(literal, at + 1) < 0) {
    return { prefix: data.slice(0, at + 1), suffix: data.slice(at + literal.length - 1), slot, chunk };
  }
  // Otherwise verify a candidate position by parsing it with a sentinel in the slot: the first occurrence is
  // usually the token; if another field holds the same text, the check rejects it and the next one is tried.
  for (let pos = at, tries = 0; pos >= 0 && tries < 3; pos = data.indexOf(literal, pos + 1), tries++) {
    const prefix = data.slice(0, pos + 1);
    const suffix = data.slice(pos + literal.length - 1);
    let probe: Json | undefined;
    try {
      probe = asObject(JSON.parse(prefix + SENTINEL + suffix));
    } catch {
      continue;
    }
    if (!probe) continue;
    const c = readChunk(probe);
    const slotOk =
      slot === 'content'
        ? c.content === SENTINEL && c.reasoning === chunk.reasoning
        : c.reasoning === SENTINEL && c.content === chunk.content;
    if (
      slotOk &&
      c.error === undefined &&
      c.model === chunk.model &&
      sameUsage(c.usage, chunk.usage) &&
      c.hasChoice === chunk.hasChoice &&
      c.finish === chunk.finish
    ) {
      return { prefix, suffix, slot, chunk };
    }
  }
  return undefined;
}

interface StreamState {
  /** the answer text in pieces, joined once at the end (a flat copy: pieces may be slices of network chunks) */
  pieces: string[];
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
  template?: Template;
  templateTries: number;
}

function newState(): StreamState {
  return { pieces: [], chunks: 0, itl: [], done: false, badJson: 0, problems: [], templateTries: 0 };
}

/** Apply what one chunk says; `content`/`reasoning` are passed apart so a template chunk can supply its token. */
function applyChunk(
  s: StreamState,
  c: Chunk,
  content: string | undefined,
  reasoning: string | undefined,
  now: number,
): void {
  if (c.error !== undefined) {
    s.serverError = c.error;
    return;
  }
  if (c.model !== undefined && s.model === undefined) s.model = c.model;
  if (c.usage) s.usage = c.usage;
  if (!c.hasChoice) return;
  const hasContent = content !== undefined && content.length > 0;
  // Reasoning tokens are generated tokens too: they count for timing, not for the answer text.
  const hasReasoning = reasoning !== undefined && reasoning.length > 0;
  if (hasContent) s.pieces.push(content);
  if (hasContent || hasReasoning) {
    s.chunks++;
    if (s.firstAt === undefined) s.firstAt = now;
    else if (s.lastAt !== undefined) s.itl.push(now - s.lastAt);
    s.lastAt = now;
  }
  if (c.finish !== undefined) s.finish = c.finish;
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
  const t = s.template;
  // slice + === rather than startsWith/endsWith: V8 compares the latter char by char (~30x slower here).
  if (
    t !== undefined &&
    data.length >= t.prefix.length + t.suffix.length &&
    data.slice(0, t.prefix.length) === t.prefix &&
    data.slice(data.length - t.suffix.length) === t.suffix
  ) {
    const token = data.slice(t.prefix.length, data.length - t.suffix.length);
    if (isPlainJsonString(token)) {
      if (t.slot === 'content') applyChunk(s, t.chunk, token, t.chunk.reasoning, now);
      else applyChunk(s, t.chunk, t.chunk.content, token, now);
      return;
    }
  }
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
  const c = readChunk(obj);
  applyChunk(s, c, c.content, c.reasoning, now);
  // No template yet (or this token chunk does not fit the current one): learn one from this chunk.
  const mayTry = s.templateTries < FIRST_TEMPLATE_TRIES || s.templateTries * CHUNKS_PER_LATER_TRY < s.chunks;
  if (mayTry && (c.content || c.reasoning) && c.error === undefined) {
    s.templateTries++;
    const learned = deriveTemplate(data, c);
    if (learned) s.template = learned;
  }
}

/** What every request of one client shares. */
interface ClientContext {
  root: Root;
  model: string;
  modelJson: string;
  scale: number;
  clock: Clock;
  checkModel: boolean;
  requestTimeoutMs: number;
  pool: Pool;
  newConnectionPerRequest: boolean;
  streamHeaders: Record<string, string>;
  plainHeaders: Record<string, string>;
}

/**
 * The requests listening on each caller signal, as a doubly linked list through the calls themselves. A load
 * run passes one signal to all its requests: one listener per signal and an O(1) link/unlink per request
 * replace an addEventListener/removeEventListener pair per request (Node's EventTarget scans its listeners).
 * Not a Set: add/delete churn on a long-lived Set made every young-generation GC markedly slower (measured:
 * ~+20 µs per request at 30k requests/s), the list allocates nothing per request.
 */
interface Watchers {
  head: ProbeCall | undefined;
}

const watchersBySignal = new WeakMap<AbortSignal, Watchers>();

function watch(signal: AbortSignal, call: ProbeCall): void {
  let list = watchersBySignal.get(signal);
  if (list === undefined) {
    const created: Watchers = { head: undefined };
    list = created;
    watchersBySignal.set(signal, created);
    signal.addEventListener(
      'abort',
      () => {
        // abortedByCaller settles, which unlinks: take the next one first.
        for (let c = created.head; c !== undefined; ) {
          const next = c.nextWatcher;
          c.abortedByCaller();
          c = next;
        }
      },
      { once: true },
    );
  }
  call.watchers = list;
  call.nextWatcher = list.head;
  if (list.head !== undefined) list.head.prevWatcher = call;
  list.head = call;
}

function unwatch(call: ProbeCall): void {
  const list = call.watchers;
  if (list === undefined) return;
  const { prevWatcher: prev, nextWatcher: next } = call;
  if (prev !== undefined) prev.nextWatcher = next;
  else list.head = next;
  if (next !== undefined) next.prevWatcher = prev;
  call.watchers = undefined;
  call.prevWatcher = undefined;
  call.nextWatcher = undefined;
}

function onTimeout(call: ProbeCall): void {
  call.timedOut();
}

function resolveCall(call: ProbeCall): void {
  call.deliver();
}

/** Queued from a tick, so the immediate runs after the one undici queues when onComplete returns (see settle). */
function resolveAfterUndici(call: ProbeCall): void {
  setImmediate(resolveCall, call);
}

/**
 * One request, as an object whose methods are undici's dispatch handler and the SSE parser's sink: no
 * closures, Readable stream, async iterator or extra promise per request. It uses undici 7's native handler
 * protocol (onConnect/onHeaders/onData/onComplete/onError), which its Client calls directly; the newer
 * onRequestStart/onResponse* protocol is an adapter over it that allocates a controller and parses the
 * response headers into an object per request, none of which the probe reads.
 *
 * The promise settles exactly once: on the end of the response, an error, the timeout or the caller's abort.
 */
class ProbeCall implements Dispatcher.DispatchHandler, SseSink {
  readonly promise: Promise<ProbeResult>;
  private resolve: ((r: ProbeResult) => void) | undefined;
  private result: ProbeResult | undefined;
  private readonly stream: boolean;
  private readonly path: string;
  private readonly timeoutMs: number;
  private readonly t: number;
  private t0 = 0;
  /** when the network chunk being parsed arrived: one clock read per chunk, shared by its events */
  private now = 0;
  private status: number | undefined;
  private abortDispatch: ((err?: Error) => void) | undefined;
  private stopReason: Error | undefined;
  private settled = false;
  private raw = '';
  /** only for bodies kept whole (errors, non-streamed answers) */
  private decoder: InstanceType<typeof TextDecoder> | undefined;
  private readonly s = newState();
  private readonly parser = new SseParser();
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** the connection of this request alone, with newConnectionPerRequest */
  private connection: Client | undefined;
  /** links of the caller signal's list of requests (see watch) */
  watchers: Watchers | undefined;
  prevWatcher: ProbeCall | undefined;
  nextWatcher: ProbeCall | undefined;

  constructor(
    private readonly ctx: ClientContext,
    private readonly req: ProbeRequest,
    private readonly signal: AbortSignal | undefined,
  ) {
    this.promise = new Promise<ProbeResult>((resolve) => {
      this.resolve = resolve;
    });
    this.stream = req.stream ?? true;
    this.path = `${ctx.root.prefix}${req.api === 'chat' ? '/v1/chat/completions' : '/v1/completions'}`;
    this.timeoutMs = req.timeout_ms ?? ctx.requestTimeoutMs;
    this.t = ctx.clock.now();
  }

  start(): void {
    const { ctx } = this;
    let d: Dispatcher = ctx.pool;
    if (ctx.newConnectionPerRequest) {
      this.connection = new Client(ctx.root.origin, { pipelining: 1 });
      d = this.connection;
    }
    this.t0 = performance.now();
    this.timer = setTimeout(onTimeout, this.timeoutMs, this);
    if (this.signal) {
      if (this.signal.aborted) {
        this.abortedByCaller();
        return;
      }
      watch(this.signal, this);
    }
    try {
      d.dispatch(
        {
          origin: ctx.root.origin,
          path: this.path,
          method: 'POST',
          headers: this.stream ? ctx.streamHeaders : ctx.plainHeaders,
          body: buildBody(ctx.modelJson, this.req, this.stream),
          headersTimeout: this.timeoutMs + 1000,
          bodyTimeout: this.timeoutMs + 1000,
        },
        this,
      );
    } catch (err) {
      this.settle(this.fail(classifyThrown(err, false, false, false), `${this.where()}: ${errorText(err)}`));
    }
  }

  timedOut(): void {
    this.stop('timeout', `${this.where()}: no complete answer within ${this.timeoutMs} ms`);
  }

  abortedByCaller(): void {
    this.stop('aborted', `${this.where()}: aborted`);
  }

  /** Resolve the promise (called on the turn after settling, see settle). */
  deliver(): void {
    const result = this.result;
    if (result !== undefined) this.resolve?.(result);
  }

  // --- undici's handler protocol ---

  onConnect(abort: (err?: Error) => void): void {
    this.abortDispatch = abort;
    if (this.stopReason) abort(this.stopReason);
  }

  onHeaders(statusCode: number): boolean {
    this.status = statusCode;
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.settled) return true;
    if (this.stream && this.ok2xx()) {
      this.now = performance.now();
      this.parser.feed(chunk, this);
    } else if (this.raw.length < MAX_BODY_CHARS) {
      this.decoder ??= new TextDecoder();
      this.raw += this.decoder.decode(chunk, { stream: true });
    }
    return true;
  }

  onComplete(): void {
    if (this.settled) return;
    if (!this.ok2xx()) {
      this.settle(this.fail('http_status', `HTTP ${this.status} from ${this.path}: ${this.raw.slice(0, 2000)}`));
      return;
    }
    if (!this.stream) {
      this.settle(this.finishPlain(this.raw + (this.decoder?.decode() ?? '')));
      return;
    }
    this.now = performance.now();
    this.parser.finish(this);
    if (this.s.endAt === undefined) this.s.endAt = this.now;
    this.settle(this.finishStream());
  }

  onError(err: Error): void {
    if (this.settled) return;
    const cls = classifyThrown(err, false, false, this.status !== undefined);
    this.settle(this.fail(cls, `${this.where()}: ${errorText(err)}`));
  }

  // --- the SSE parser's sink ---

  onEvent(data: string): void {
    applyEvent(this.s, data, this.now);
  }

  // --- outcome ---

  private where(): string {
    return `${this.req.api} request to ${this.ctx.root.origin}${this.path}`;
  }

  private ok2xx(): boolean {
    return this.status !== undefined && this.status >= 200 && this.status < 300;
  }

  private ms(realMs: number): number {
    return realMs / this.ctx.scale;
  }

  private stop(error: ErrorClass, detail: string): void {
    if (this.settled) return;
    this.stopReason = new Error(detail);
    this.settle(this.fail(error, detail)); // first: aborting calls onError synchronously
    this.abortDispatch?.(this.stopReason);
  }

  private settle(result: ProbeResult): void {
    if (this.settled) return;
    this.settled = true;
    this.result = result;
    clearTimeout(this.timer);
    unwatch(this);
    // Resolve on the next turn, once undici has marked the connection idle: a sequential caller's next
    // request then reuses it instead of opening a second one. undici frees the connection in an immediate
    // it queues after onComplete returns, so ours is queued from a tick, which runs after that. The outcome
    // is decided here; closing a per-request connection cannot change it, so a failure to close is moot.
    const connection = this.connection;
    if (connection === undefined) {
      process.nextTick(resolveAfterUndici, this);
      return;
    }
    const later = () => setImmediate(resolveCall, this);
    connection.destroy().then(later, later);
  }

  private fail(error: ErrorClass, detail: string): ProbeResult {
    const { s, parser } = this;
    const r: ProbeResult = {
      ok: false,
      t: this.t,
      e2e_ms: this.ms(performance.now() - this.t0),
      error,
      error_detail: clip(detail),
      text: s.pieces.join(''),
      chunks: s.chunks,
    };
    if (this.status !== undefined) r.status = this.status;
    if (s.model !== undefined) r.model = s.model;
    if (s.problems.length > 0 || parser.problems.length > 0) r.sse_problems = [...parser.problems, ...s.problems];
    return r;
  }

  private finishStream(): ProbeResult {
    const { s, parser, path } = this;
    const problems = parser.problems.length > 0 || s.problems.length > 0 ? [...parser.problems, ...s.problems] : [];
    const first = s.firstAt;
    const end = s.endAt ?? performance.now();
    const outputTokens = s.usage?.completion_tokens ?? s.chunks;
    // Joined once here: a flat string, so a kept sample holds its text and not the network chunks it came in.
    const base: ProbeResult = {
      ok: true,
      t: this.t,
      e2e_ms: this.ms(end - this.t0),
      output_tokens: outputTokens,
      text: s.pieces.join(''),
      chunks: s.chunks,
    };
    if (this.status !== undefined) base.status = this.status;
    if (first !== undefined) {
      base.ttft_ms = this.ms(first - this.t0);
      base.itl_ms = this.ctx.scale === 1 ? s.itl : s.itl.map((x) => this.ms(x));
      if (outputTokens > 1) base.tpot_ms = this.ms(end - first) / (outputTokens - 1);
    }
    if (s.usage) {
      base.usage = s.usage;
      base.prompt_tokens = s.usage.prompt_tokens;
    }
    if (s.finish !== undefined) base.finish_reason = s.finish;
    if (s.model !== undefined) base.model = s.model;
    if (problems.length > 0) base.sse_problems = problems;
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
    const want = this.ctx.model;
    if (this.ctx.checkModel && s.model !== undefined && s.model !== want) {
      return bad('wrong_model', `asked for model "${want}", answered by "${s.model}"`);
    }
    if (s.problems.length > 0) return bad('malformed_sse', `malformed SSE from ${path}: ${s.problems[0]}`);
    return base;
  }

  private finishPlain(body: string): ProbeResult {
    const { path } = this;
    const end = performance.now();
    let obj: Json | undefined;
    try {
      obj = asObject(JSON.parse(body));
    } catch {
      obj = undefined;
    }
    if (!obj) return this.fail('malformed_sse', `response from ${path} is not a JSON object: ${body}`);
    const choice = asObject((Array.isArray(obj.choices) ? obj.choices : [])[0]);
    const message = asObject(choice?.message);
    const text =
      typeof message?.content === 'string' ? message.content : typeof choice?.text === 'string' ? choice.text : '';
    const usage = readUsage(obj.usage);
    const model = typeof obj.model === 'string' ? obj.model : undefined;
    const finish = typeof choice?.finish_reason === 'string' ? choice.finish_reason : undefined;
    const result: ProbeResult = {
      ok: true,
      t: this.t,
      e2e_ms: this.ms(end - this.t0),
      text,
      ...(this.status !== undefined ? { status: this.status } : {}),
      ...(usage ? { usage, prompt_tokens: usage.prompt_tokens, output_tokens: usage.completion_tokens } : {}),
      ...(finish !== undefined ? { finish_reason: finish } : {}),
      ...(model !== undefined ? { model } : {}),
    };
    const want = this.ctx.model;
    if (this.ctx.checkModel && model !== undefined && model !== want) {
      return {
        ...result,
        ok: false,
        error: 'wrong_model',
        error_detail: `asked for model "${want}", answered by "${model}"`,
      };
    }
    return result;
  }
}

/**
 * The request body. Written as text around JSON.stringify of the caller's parts: the same JSON as stringifying
 * one object, without building that object per request. `modelJson` is the model name already as JSON.
 */
function buildBody(modelJson: string, req: ProbeRequest, stream: boolean): string {
  let body = `{"model":${modelJson},"max_tokens":${JSON.stringify(req.max_tokens)},"stream":${stream}`;
  if (req.api === 'chat') {
    body += `,"messages":${JSON.stringify(req.messages ?? [{ role: 'user', content: req.prompt ?? '' }])}`;
  } else {
    body += `,"prompt":${JSON.stringify(req.prompt ?? '')}`;
  }
  if (req.temperature !== undefined) body += `,"temperature":${JSON.stringify(req.temperature)}`;
  if (req.ignore_eos !== undefined) body += `,"ignore_eos":${JSON.stringify(req.ignore_eos)}`;
  if (req.response_format !== undefined) body += `,"response_format":${JSON.stringify(req.response_format)}`;
  if (stream) body += ',"stream_options":{"include_usage":true}';
  return `${body}}`;
}

export function createProbeClient(opts: ProbeClientOptions): ProbeClient {
  const root = parseRoot(opts.baseUrl);
  const scale = opts.timeScale ?? 1;
  if (!(scale > 0)) throw new RangeError(`probe: timeScale must be > 0, got ${scale}`);
  const pool = new Pool(root.origin, {
    ...(opts.connections !== undefined ? { connections: opts.connections } : {}),
    keepAliveTimeout: 30_000,
    pipelining: 1,
  });
  const baseHeaders: Record<string, string> = {
    'content-type': 'application/json',
    ...(opts.apiKey ? { authorization: `Bearer ${opts.apiKey}` } : {}),
  };
  const ctx: ClientContext = {
    root,
    model: opts.model,
    modelJson: JSON.stringify(opts.model),
    scale,
    clock: opts.clock ?? systemClock,
    checkModel: opts.checkModel ?? true,
    requestTimeoutMs: opts.requestTimeoutMs,
    pool,
    newConnectionPerRequest: opts.newConnectionPerRequest ?? false,
    streamHeaders: { ...baseHeaders, accept: 'text/event-stream' },
    plainHeaders: { ...baseHeaders, accept: 'application/json' },
  };

  /** Timeout + caller's signal combined into one controller, remembering which fired (for GETs). */
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

  const request = (req: ProbeRequest, signal?: AbortSignal): Promise<ProbeResult> => {
    const call = new ProbeCall(ctx, req, signal);
    call.start();
    return call.promise;
  };

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
