/**
 * Engine signals from a Prometheus `/metrics` endpoint, normalized to one vocabulary.
 *
 * vLLM renamed its metrics across versions (`vllm:gpu_cache_usage_perc` → `vllm:kv_cache_usage_perc`,
 * `vllm:time_per_output_token_seconds` → `vllm:inter_token_latency_seconds`, `vllm:gpu_prefix_cache_*` →
 * `vllm:prefix_cache_*`), newer versions add an `engine` label (one series per data-parallel engine), and
 * prometheus_client writes counters with or without `_total`. Each signal below lists its names newest first;
 * the first name present wins and is never added to an older alias (0.10 exports both during deprecation,
 * and summing them would double count). Counts are summed over every series (engines, models); fractions
 * (KV usage, hit rate) take the maximum over engines, since the fullest engine is the one that preempts.
 * llama-server (`llamacpp:`) and SGLang (`sglang:`) names map to the same vocabulary where they mean the same.
 *
 * Missing `/metrics` (Ollama: 404; an SPA answering HTML; connection refused) gives `{available: false}`
 * with a reason, never an exception: a domain notes it and goes on.
 */
import parsePrometheus from 'parse-prometheus-text-format';
import { request } from 'undici';
import type { EngineSignals } from './types.js';

/** sum and count of a Prometheus histogram (seconds); the mean is sum / count */
export interface HistogramTotals {
  sum: number;
  count: number;
}

/** EngineSignals plus what the scraper learned along the way. */
export interface ScrapedSignals extends EngineSignals {
  /** why the signals are unavailable */
  reason?: string;
  /** which exporter answered, by metric prefix */
  flavour?: 'vllm' | 'llamacpp' | 'sglang' | 'unknown';
  /** number of distinct `engine` label values seen (data-parallel engines) */
  engines?: number;
  /** V0's own prefix-cache hit rate gauge (0..1), when exported */
  prefix_cache_hit_rate?: number;
  ttft_seconds?: HistogramTotals;
  itl_seconds?: HistogramTotals;
  e2e_seconds?: HistogramTotals;
  queue_seconds?: HistogramTotals;
}

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

type Agg = 'sum' | 'max';
type NumericKey =
  | 'preemptions'
  | 'prompt_tokens'
  | 'generation_tokens'
  | 'requests_running'
  | 'requests_waiting'
  | 'kv_usage'
  | 'prefix_cache_queries'
  | 'prefix_cache_hits'
  | 'prefix_cache_hit_rate';

/** Newest name first. A name without `_total` also matches its `_total` sample and vice versa. */
const NUMERIC: { key: NumericKey; agg: Agg; names: string[] }[] = [
  { key: 'preemptions', agg: 'sum', names: ['vllm:num_preemptions'] },
  {
    key: 'prompt_tokens',
    agg: 'sum',
    names: ['vllm:prompt_tokens', 'llamacpp:prompt_tokens', 'sglang:prompt_tokens'],
  },
  {
    key: 'generation_tokens',
    agg: 'sum',
    names: ['vllm:generation_tokens', 'llamacpp:tokens_predicted', 'sglang:generation_tokens'],
  },
  {
    key: 'requests_running',
    agg: 'sum',
    names: ['vllm:num_requests_running', 'llamacpp:requests_processing', 'sglang:num_running_reqs'],
  },
  {
    key: 'requests_waiting',
    agg: 'sum',
    names: ['vllm:num_requests_waiting', 'llamacpp:requests_deferred', 'sglang:num_queue_reqs'],
  },
  {
    key: 'kv_usage',
    agg: 'max',
    names: [
      'vllm:kv_cache_usage_perc',
      'vllm:gpu_cache_usage_perc',
      'llamacpp:kv_cache_usage_ratio',
      'sglang:token_usage',
    ],
  },
  { key: 'prefix_cache_queries', agg: 'sum', names: ['vllm:prefix_cache_queries', 'vllm:gpu_prefix_cache_queries'] },
  { key: 'prefix_cache_hits', agg: 'sum', names: ['vllm:prefix_cache_hits', 'vllm:gpu_prefix_cache_hits'] },
  { key: 'prefix_cache_hit_rate', agg: 'max', names: ['vllm:gpu_prefix_cache_hit_rate'] },
];

type HistKey = 'ttft_seconds' | 'itl_seconds' | 'e2e_seconds' | 'queue_seconds';
const HISTOGRAMS: { key: HistKey; names: string[] }[] = [
  { key: 'ttft_seconds', names: ['vllm:time_to_first_token_seconds'] },
  { key: 'itl_seconds', names: ['vllm:inter_token_latency_seconds', 'vllm:time_per_output_token_seconds'] },
  { key: 'e2e_seconds', names: ['vllm:e2e_request_latency_seconds'] },
  { key: 'queue_seconds', names: ['vllm:request_queue_time_seconds'] },
];

const SUCCESS = ['vllm:request_success'];

/** The parser's output, as far as we use it (the library ships no types). */
interface ParsedFamily {
  name: string;
  type: string;
  metrics: {
    value?: string;
    labels?: Record<string, string>;
    sum?: string;
    count?: string;
  }[];
}

function flatten(families: ParsedFamily[]): Sample[] {
  const out: Sample[] = [];
  for (const f of families) {
    for (const m of f.metrics) {
      const labels = m.labels ?? {};
      if (m.value !== undefined) {
        const value = Number(m.value);
        if (Number.isFinite(value)) out.push({ name: f.name, labels, value });
      } else if (m.sum !== undefined || m.count !== undefined) {
        // A declared histogram/summary: the library folds _sum/_count into the family.
        const sum = Number(m.sum);
        const count = Number(m.count);
        if (Number.isFinite(sum)) out.push({ name: `${f.name}_sum`, labels, value: sum });
        if (Number.isFinite(count)) out.push({ name: `${f.name}_count`, labels, value: count });
      }
    }
  }
  return out;
}

function seriesOf(byName: Map<string, Sample[]>, base: string): Sample[] | undefined {
  const stem = base.endsWith('_total') ? base.slice(0, -6) : base;
  return byName.get(`${stem}_total`) ?? byName.get(stem);
}

function aggregate(samples: Sample[], agg: Agg): number {
  let acc = agg === 'sum' ? 0 : Number.NEGATIVE_INFINITY;
  for (const s of samples) acc = agg === 'sum' ? acc + s.value : Math.max(acc, s.value);
  return acc;
}

function flavourOf(samples: Sample[]): ScrapedSignals['flavour'] {
  if (samples.some((s) => s.name.startsWith('vllm:'))) return 'vllm';
  if (samples.some((s) => s.name.startsWith('llamacpp:'))) return 'llamacpp';
  if (samples.some((s) => s.name.startsWith('sglang:'))) return 'sglang';
  return 'unknown';
}

/**
 * Work around two quirks of the parser: it drops a last line without its newline, and it folds a declared
 * histogram's series into one, losing the labelled `_sum`/`_count` of each engine. Without their TYPE line
 * histograms arrive as plain `_sum`/`_count`/`_bucket` samples with their labels, which is all we use.
 */
function prepare(text: string): string {
  const body = text.replace(/^#\s*TYPE\s+\S+\s+(?:histogram|summary)\s*$/gim, '');
  return body.endsWith('\n') ? body : `${body}\n`;
}

/** Parse Prometheus exposition text into normalized signals. Text that is not an exposition → unavailable. */
export function parseExposition(text: string): ScrapedSignals {
  const trimmed = text.trimStart();
  if (trimmed.length === 0) return { available: false, reason: 'empty /metrics body' };
  if (trimmed.startsWith('<') || trimmed.startsWith('{')) {
    return { available: false, reason: 'the /metrics body is HTML or JSON, not a Prometheus exposition' };
  }
  let samples: Sample[];
  try {
    samples = flatten(parsePrometheus(prepare(text)) as ParsedFamily[]);
  } catch (err) {
    return {
      available: false,
      reason: `unparseable /metrics body: ${err instanceof Error ? err.message : String(err)}`,
    };
  }
  if (samples.length === 0) return { available: false, reason: 'no samples in the /metrics body' };

  const byName = new Map<string, Sample[]>();
  for (const s of samples) {
    const list = byName.get(s.name);
    if (list) list.push(s);
    else byName.set(s.name, [s]);
  }
  const out: ScrapedSignals = { available: true, flavour: flavourOf(samples) };
  const engines = new Set(samples.map((s) => s.labels.engine).filter((e): e is string => e !== undefined));
  if (engines.size > 0) out.engines = engines.size;

  for (const { key, agg, names } of NUMERIC) {
    for (const name of names) {
      const series = seriesOf(byName, name)?.filter((s) => !(key === 'prefix_cache_hit_rate' && s.value < 0));
      if (series && series.length > 0) {
        out[key] = aggregate(series, agg);
        break;
      }
    }
  }
  for (const { key, names } of HISTOGRAMS) {
    for (const name of names) {
      const sum = byName.get(`${name}_sum`);
      const count = byName.get(`${name}_count`);
      if (sum && count) {
        out[key] = { sum: aggregate(sum, 'sum'), count: aggregate(count, 'sum') };
        break;
      }
    }
  }
  for (const name of SUCCESS) {
    const series = seriesOf(byName, name);
    if (!series) continue;
    const byReason: Record<string, number> = {};
    for (const s of series) {
      const reason = s.labels.finished_reason ?? 'unknown';
      byReason[reason] = (byReason[reason] ?? 0) + s.value;
    }
    out.request_success = byReason;
    break;
  }
  return out;
}

/** A base URL without a path means its /metrics. */
function metricsUrl(url: string): string {
  const u = new URL(url);
  if (u.pathname === '' || u.pathname === '/') u.pathname = '/metrics';
  return u.toString();
}

/** GET and parse a /metrics endpoint. Never throws: any failure is `{available: false, reason}`. */
export async function scrapeMetrics(url: string, timeoutMs = 5000): Promise<ScrapedSignals> {
  let target: string;
  try {
    target = metricsUrl(url);
  } catch {
    return { available: false, reason: `not a URL: ${url}` };
  }
  try {
    const res = await request(target, {
      method: 'GET',
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = await res.body.text();
    if (res.statusCode !== 200) return { available: false, reason: `GET ${target}: HTTP ${res.statusCode}` };
    const type = String(res.headers['content-type'] ?? '');
    if (type.includes('text/html')) return { available: false, reason: `GET ${target}: HTML, not Prometheus text` };
    return parseExposition(body);
  } catch (err) {
    const e = err as { code?: string; cause?: { code?: string }; name?: string; message?: string };
    const code = e.code ?? e.cause?.code ?? e.name ?? 'error';
    return { available: false, reason: `GET ${target}: ${code}${e.message ? ` (${e.message})` : ''}` };
  }
}

const COUNTERS = [
  'preemptions',
  'prompt_tokens',
  'generation_tokens',
  'prefix_cache_queries',
  'prefix_cache_hits',
] as const;
const GAUGES = ['kv_usage', 'requests_running', 'requests_waiting'] as const;

/** A counter's increase; a smaller value after means the engine restarted, so all of `after` is new. */
function increase(before: number | undefined, after: number | undefined): number | undefined {
  if (after === undefined) return undefined;
  if (before === undefined || after < before) return after;
  return after - before;
}

/**
 * What happened between two scrapes: counters as increases (preemptions, tokens, prefix hits/queries,
 * successes by finish reason, histogram sums/counts), gauges as their peak over `before`, `after` and any
 * scrapes taken `during` the run. Unavailable on either side → unavailable.
 */
export function diffSignals(
  before: ScrapedSignals,
  after: ScrapedSignals,
  during: ScrapedSignals[] = [],
): ScrapedSignals {
  if (!before.available || !after.available) {
    const reason = (!after.available ? after.reason : before.reason) ?? '/metrics unavailable';
    return { available: false, reason };
  }
  const out: ScrapedSignals = { available: true };
  if (after.flavour !== undefined) out.flavour = after.flavour;
  if (after.engines !== undefined) out.engines = after.engines;
  for (const key of COUNTERS) {
    const d = increase(before[key], after[key]);
    if (d !== undefined) out[key] = d;
  }
  for (const key of GAUGES) {
    const values = [before, ...during, after].map((s) => (s.available ? s[key] : undefined));
    const present = values.filter((v): v is number => v !== undefined);
    if (present.length > 0) out[key] = Math.max(...present);
  }
  if (after.prefix_cache_hit_rate !== undefined) out.prefix_cache_hit_rate = after.prefix_cache_hit_rate;
  if (after.request_success) {
    const success: Record<string, number> = {};
    for (const [reason, n] of Object.entries(after.request_success)) {
      success[reason] = increase(before.request_success?.[reason], n) ?? 0;
    }
    out.request_success = success;
  }
  for (const { key } of HISTOGRAMS) {
    const a = after[key];
    if (!a) continue;
    const b = before[key];
    const count = increase(b?.count, a.count) ?? 0;
    const sum = b && a.count >= b.count ? a.sum - b.sum : a.sum;
    out[key] = { sum, count };
  }
  return out;
}

/** Prefix-cache hit rate over a diff (hits / queries), when the engine counted any queries. */
export function prefixHitRate(diff: EngineSignals): number | undefined {
  if (!diff.available || !diff.prefix_cache_queries || diff.prefix_cache_hits === undefined) return undefined;
  return diff.prefix_cache_hits / diff.prefix_cache_queries;
}
