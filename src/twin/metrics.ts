/**
 * The twin's /metrics: vLLM's V1 metric names with the `model_name` label, in Prometheus text format (prom-client,
 * a private registry). Histograms use vLLM's buckets and observe model time (real durations ÷ time scale), so
 * analysis sees the same numbers at any --time-scale.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

const TTFT_BUCKETS = [
  0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0, 160.0,
  640.0, 2560.0,
];
const ITL_BUCKETS = [
  0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0,
];
const REQUEST_BUCKETS = [
  0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0, 120.0, 240.0, 480.0, 960.0, 1920.0,
  7680.0,
];

export type FinishedReason = 'stop' | 'length' | 'abort';

export class TwinMetrics {
  readonly registry = new Registry();
  readonly running: Gauge<'model_name' | 'engine'>;
  readonly waiting: Gauge<'model_name' | 'engine'>;
  readonly kvUsage: Gauge<'model_name' | 'engine'>;
  readonly preemptions: Counter<'model_name' | 'engine'>;
  readonly promptTokens: Counter<'model_name' | 'engine'>;
  readonly generationTokens: Counter<'model_name' | 'engine'>;
  readonly success: Counter<'model_name' | 'engine' | 'finished_reason'>;
  readonly prefixQueries: Counter<'model_name' | 'engine'>;
  readonly prefixHits: Counter<'model_name' | 'engine'>;
  readonly ttft: Histogram<'model_name' | 'engine'>;
  readonly itl: Histogram<'model_name' | 'engine'>;
  readonly tpot: Histogram<'model_name' | 'engine'>;
  readonly e2e: Histogram<'model_name' | 'engine'>;
  readonly queue: Histogram<'model_name' | 'engine'>;
  readonly cacheConfig: Gauge<string>;
  /** the metrics bound to this engine's labels: the hot path skips label hashing */
  readonly h: {
    running: Gauge.Internal<'model_name' | 'engine'>;
    waiting: Gauge.Internal<'model_name' | 'engine'>;
    kvUsage: Gauge.Internal<'model_name' | 'engine'>;
    preemptions: Counter.Internal;
    promptTokens: Counter.Internal;
    generationTokens: Counter.Internal;
    prefixQueries: Counter.Internal;
    prefixHits: Counter.Internal;
    ttft: Histogram.Internal<'model_name' | 'engine'>;
    itl: Histogram.Internal<'model_name' | 'engine'>;
    tpot: Histogram.Internal<'model_name' | 'engine'>;
    e2e: Histogram.Internal<'model_name' | 'engine'>;
    queue: Histogram.Internal<'model_name' | 'engine'>;
  };
  private readonly labels: { model_name: string; engine: string };

  constructor(modelName: string, cacheConfig: Record<string, string>) {
    this.labels = { model_name: modelName, engine: '0' };
    const registers = [this.registry];
    const labelNames = ['model_name', 'engine'] as const;
    const gauge = (name: string, help: string) => new Gauge({ name, help, labelNames, registers });
    const counter = (name: string, help: string) => new Counter({ name, help, labelNames, registers });
    const histogram = (name: string, help: string, buckets: number[]) =>
      new Histogram({ name, help, labelNames, buckets, registers });
    this.running = gauge('vllm:num_requests_running', 'Number of requests in model execution batches.');
    this.waiting = gauge('vllm:num_requests_waiting', 'Number of requests waiting to be processed.');
    this.kvUsage = gauge('vllm:kv_cache_usage_perc', 'KV-cache usage. 1 means 100 percent usage.');
    this.preemptions = counter('vllm:num_preemptions_total', 'Cumulative number of preemption from the engine.');
    this.promptTokens = counter('vllm:prompt_tokens_total', 'Number of prefill tokens processed.');
    this.generationTokens = counter('vllm:generation_tokens_total', 'Number of generation tokens processed.');
    this.success = new Counter({
      name: 'vllm:request_success_total',
      help: 'Count of successfully processed requests.',
      labelNames: ['model_name', 'engine', 'finished_reason'],
      registers,
    });
    this.prefixQueries = counter(
      'vllm:prefix_cache_queries_total',
      'Prefix cache queries, in terms of number of queried tokens.',
    );
    this.prefixHits = counter(
      'vllm:prefix_cache_hits_total',
      'Prefix cache hits, in terms of number of cached tokens.',
    );
    this.ttft = histogram(
      'vllm:time_to_first_token_seconds',
      'Histogram of time to first token in seconds.',
      TTFT_BUCKETS,
    );
    this.itl = histogram(
      'vllm:inter_token_latency_seconds',
      'Histogram of inter-token latency in seconds.',
      ITL_BUCKETS,
    );
    this.tpot = histogram(
      'vllm:request_time_per_output_token_seconds',
      'Histogram of time_per_output_token_seconds per request.',
      ITL_BUCKETS,
    );
    this.e2e = histogram(
      'vllm:e2e_request_latency_seconds',
      'Histogram of e2e request latency in seconds.',
      REQUEST_BUCKETS,
    );
    this.queue = histogram(
      'vllm:request_queue_time_seconds',
      'Histogram of time spent in WAITING phase for request.',
      REQUEST_BUCKETS,
    );
    this.cacheConfig = new Gauge({
      name: 'vllm:cache_config_info',
      help: 'Information of the LLMEngine CacheConfig',
      labelNames: Object.keys(cacheConfig),
      registers,
    });
    this.cacheConfig.set(cacheConfig, 1);
    for (const g of [this.running, this.waiting, this.kvUsage]) g.set(this.labels, 0);
    for (const c of [this.preemptions, this.promptTokens, this.generationTokens, this.prefixQueries, this.prefixHits]) {
      c.inc(this.labels, 0);
    }
    for (const reason of ['stop', 'length', 'abort'] as const)
      this.success.inc({ ...this.labels, finished_reason: reason }, 0);
    const l = this.labels;
    this.h = {
      running: this.running.labels(l),
      waiting: this.waiting.labels(l),
      kvUsage: this.kvUsage.labels(l),
      preemptions: this.preemptions.labels(l),
      promptTokens: this.promptTokens.labels(l),
      generationTokens: this.generationTokens.labels(l),
      prefixQueries: this.prefixQueries.labels(l),
      prefixHits: this.prefixHits.labels(l),
      ttft: this.ttft.labels(l),
      itl: this.itl.labels(l),
      tpot: this.tpot.labels(l),
      e2e: this.e2e.labels(l),
      queue: this.queue.labels(l),
    };
  }

  get l(): { model_name: string; engine: string } {
    return this.labels;
  }

  finished(reason: FinishedReason): void {
    this.success.inc({ ...this.labels, finished_reason: reason });
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  contentType(): string {
    return this.registry.contentType;
  }
}
