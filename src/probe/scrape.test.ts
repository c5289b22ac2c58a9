import { describe, expect, it } from 'vitest';
import { diffSignals, parseExposition, prefixHitRate } from './scrape.js';

// Constructed expositions in the shapes vLLM writes (the real dumps are in test/fixtures/metrics).
const v1TwoEngines = (preempt: [number, number], kv: [number, number], stop: number) => `
# TYPE vllm:num_preemptions counter
vllm:num_preemptions_total{engine="0",model_name="m"} ${preempt[0]}
vllm:num_preemptions_total{engine="1",model_name="m"} ${preempt[1]}
vllm:kv_cache_usage_perc{engine="0",model_name="m"} ${kv[0]}
vllm:kv_cache_usage_perc{engine="1",model_name="m"} ${kv[1]}
vllm:prompt_tokens_total{engine="0",model_name="m"} 1000
vllm:prompt_tokens_total{engine="1",model_name="m"} 500
vllm:request_success_total{engine="0",finished_reason="stop",model_name="m"} ${stop}
vllm:request_success_total{engine="1",finished_reason="length",model_name="m"} 2
# TYPE vllm:inter_token_latency_seconds histogram
vllm:inter_token_latency_seconds_bucket{engine="0",le="+Inf",model_name="m"} 10
vllm:inter_token_latency_seconds_sum{engine="0",model_name="m"} 0.5
vllm:inter_token_latency_seconds_count{engine="0",model_name="m"} 10
`;

describe('parseExposition', () => {
  it('sums counters over engines and takes the fullest engine for KV usage', () => {
    const s = parseExposition(v1TwoEngines([3, 4], [0.2, 0.7], 10));
    expect(s).toMatchObject({ available: true, engines: 2, preemptions: 7, prompt_tokens: 1500, kv_usage: 0.7 });
    expect(s.request_success).toEqual({ stop: 10, length: 2 });
  });

  it('maps inter_token_latency_seconds and, on older engines, time_per_output_token_seconds to ITL', () => {
    expect(parseExposition(v1TwoEngines([0, 0], [0, 0], 0)).itl_seconds).toEqual({ sum: 0.5, count: 10 });
    const old = parseExposition(
      'vllm:time_per_output_token_seconds_sum{model_name="m"} 2\nvllm:time_per_output_token_seconds_count{model_name="m"} 40\n',
    );
    expect(old.itl_seconds).toEqual({ sum: 2, count: 40 });
  });

  it('prefers the new prefix_cache names and never adds the deprecated gpu_ aliases to them', () => {
    const s = parseExposition(
      [
        'vllm:gpu_prefix_cache_queries_total{engine="0"} 100',
        'vllm:gpu_prefix_cache_hits_total{engine="0"} 40',
        'vllm:prefix_cache_queries_total{engine="0"} 100',
        'vllm:prefix_cache_hits_total{engine="0"} 40',
      ].join('\n'),
    );
    expect(s).toMatchObject({ prefix_cache_queries: 100, prefix_cache_hits: 40 });
  });

  it('reads counters written with or without the _total suffix', () => {
    expect(parseExposition('vllm:num_preemptions{engine="0"} 5').preemptions).toBe(5);
    expect(parseExposition('vllm:num_preemptions_total 6').preemptions).toBe(6);
  });

  it("skips V0's -1 prefix hit rate that means no data", () => {
    expect(
      parseExposition('vllm:gpu_prefix_cache_hit_rate{model_name="m"} -1.0').prefix_cache_hit_rate,
    ).toBeUndefined();
    expect(parseExposition('vllm:gpu_prefix_cache_hit_rate{model_name="m"} 0.25').prefix_cache_hit_rate).toBe(0.25);
  });

  it('maps llama-server names to the same vocabulary', () => {
    const s = parseExposition(
      'llamacpp:kv_cache_usage_ratio 0.35\nllamacpp:tokens_predicted_total 55123\nllamacpp:requests_processing 2',
    );
    expect(s).toMatchObject({ flavour: 'llamacpp', kv_usage: 0.35, generation_tokens: 55123, requests_running: 2 });
  });

  it('calls an HTML page or an empty body unavailable', () => {
    expect(parseExposition('<!doctype html><html></html>')).toMatchObject({ available: false });
    expect(parseExposition('')).toMatchObject({ available: false });
  });
});

describe('diffSignals', () => {
  const before = parseExposition(v1TwoEngines([3, 4], [0.1, 0.2], 10));
  const after = parseExposition(v1TwoEngines([5, 9], [0.3, 0.1], 25));

  it('keeps counter increases', () => {
    const d = diffSignals(before, after);
    expect(d).toMatchObject({ available: true, preemptions: 7, prompt_tokens: 0 });
    expect(d.request_success).toEqual({ stop: 15, length: 0 });
  });

  it('keeps the peak of gauges, including scrapes taken during the run', () => {
    expect(diffSignals(before, after).kv_usage).toBe(0.3);
    const during = parseExposition(v1TwoEngines([4, 5], [0.95, 0.1], 12));
    expect(diffSignals(before, after, [during]).kv_usage).toBe(0.95);
  });

  it('treats a counter that went down as a restart: everything after is new', () => {
    const restarted = parseExposition(v1TwoEngines([1, 0], [0, 0], 2));
    expect(diffSignals(after, restarted).preemptions).toBe(1);
  });

  it('is unavailable when either scrape was', () => {
    expect(diffSignals(before, { available: false, reason: 'HTTP 404' })).toEqual({
      available: false,
      reason: 'HTTP 404',
    });
  });

  it('gives the prefix hit rate of the run', () => {
    expect(prefixHitRate({ available: true, prefix_cache_queries: 200, prefix_cache_hits: 50 })).toBe(0.25);
    expect(prefixHitRate({ available: true, prefix_cache_queries: 0, prefix_cache_hits: 0 })).toBeUndefined();
  });
});
