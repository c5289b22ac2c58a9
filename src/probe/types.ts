/**
 * The measuring instrument's API, as PHASE domains and canaries use it. Implemented in probe/client.ts
 * (streaming OpenAI client on undici), probe/load.ts (load patterns), probe/summary.ts, probe/scrape.ts.
 */
import type { Metrics } from '../core/metrics.js';
import type { ErrorClass, RequestSample } from '../core/types.js';

export type ChatMessage = { role: 'system' | 'user' | 'assistant'; content: string };

export interface ProbeRequest {
  /** chat → /v1/chat/completions with messages; completion → /v1/completions with prompt */
  api: 'chat' | 'completion';
  prompt?: string;
  messages?: ChatMessage[];
  max_tokens: number;
  temperature?: number;
  ignore_eos?: boolean;
  /** OpenAI response_format, e.g. { type: 'json_object' } or json_schema */
  response_format?: Record<string, unknown>;
  /** default true: SSE with stream_options.include_usage */
  stream?: boolean;
  /** per-request timeout override (ms) */
  timeout_ms?: number;
}

/** A sample plus what came back, for checks (correctness, JSON, integrity). */
export interface ProbeResult extends RequestSample {
  text: string;
  /** number of content chunks received */
  chunks?: number;
  /** usage as reported by the server, when it did */
  usage?: { prompt_tokens: number; completion_tokens: number };
  /** model name the server answered with */
  model?: string;
  /** SSE framing problems seen (even if the stream completed) */
  sse_problems?: string[];
  status?: number;
}

export interface ProbeClient {
  readonly baseUrl: string;
  readonly model: string;
  /** model time per real time (the twin's scale; 1 for real engines): the client divides durations by it */
  readonly timeScale?: number;
  request(req: ProbeRequest, signal?: AbortSignal): Promise<ProbeResult>;
  /** GET a path (health, models); resolves with status and body text, never throws on HTTP status */
  get(path: string, signal?: AbortSignal): Promise<{ status: number; body: string; error?: ErrorClass }>;
  close(): Promise<void>;
}

export interface Slo {
  ttft_ms: number;
  itl_ms: number;
}

export type LoadPattern =
  | { kind: 'sequential' }
  | { kind: 'concurrency'; concurrency: number }
  | { kind: 'rate'; rate: number }
  | { kind: 'poisson'; rate: number };

export interface LoadSpec {
  pattern: LoadPattern;
  /** bounded by count and by duration, whichever comes first */
  requests: number;
  durationMs: number;
  warmup?: number;
  seed: number;
  /** the i-th request of the run (deterministic in i and the seed) */
  makeRequest(i: number): ProbeRequest;
  /** optional check of each result (correctness): sets sample.passed */
  check?(i: number, result: ProbeResult): boolean;
  onProgress?(done: number, total: number): void;
  /** SLO for goodput (default probe/load.ts DEFAULT_SLO: TTFT ≤ 500 ms, ITL ≤ 50 ms) */
  slo?: Slo;
}

export interface LoadResult {
  samples: ProbeResult[];
  /** measured wall time of the run (warm-up excluded), real ms; the summary's rates use it divided by the
   * client's time scale, like the latencies */
  elapsedMs: number;
  summary: Summary;
}

export interface Stat {
  count: number;
  mean: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  min: number;
  max: number;
}

export interface Summary {
  count: number;
  ok: number;
  errors: Partial<Record<ErrorClass, number>>;
  ttft_ms?: Stat;
  itl_ms?: Stat;
  tpot_ms?: Stat;
  e2e_ms?: Stat;
  req_per_s: number;
  output_tok_per_s: number;
  goodput_req_per_s: number;
  /** the summary expressed in the shared metric vocabulary */
  metrics: Metrics;
}

/** Engine signals from /metrics, normalized across vLLM versions (old and new names), summed over engines. */
export interface EngineSignals {
  available: boolean;
  preemptions?: number;
  prompt_tokens?: number;
  generation_tokens?: number;
  requests_running?: number;
  requests_waiting?: number;
  kv_usage?: number;
  prefix_cache_queries?: number;
  prefix_cache_hits?: number;
  request_success?: Record<string, number>;
}
