/**
 * The twin under load follows its documented physics: a lone request's TTFT and inter-token latencies are the
 * roofline step times (model time, exact up to float rounding), and more max-num-seqs buys throughput until the
 * KV cache runs out, after which requests are preempted.
 */
import { describe, expect, it } from 'vitest';
import { resolveGpu, resolveModel } from '../../src/twin/catalogue.js';
import { stepTimeS } from '../../src/twin/physics.js';
import { assertNoSurvivors, startTwin, type TwinProcess } from '../support/twin.js';

const ctx = {
  model: resolveModel('llama-3.1-8b'),
  gpu: resolveGpu('L4-24GB'),
  tensorParallelSize: 1,
  enforceEager: false,
  kvCacheDtype: 'auto' as const,
  slowdown: 1,
};

/** sum and count of a histogram (read directly: parse-prometheus-text-format drops them when labels are set) */
async function histogram(twin: TwinProcess, name: string): Promise<{ sum: number; count: number }> {
  const text = await (await fetch(`${twin.baseUrl}/metrics`)).text();
  const value = (suffix: string) => Number(new RegExp(`^${name}_${suffix}\\{[^}]*\\} (\\S+)$`, 'm').exec(text)?.[1]);
  return { sum: value('sum'), count: value('count') };
}

function complete(twin: TwinProcess, prompt: string, maxTokens: number): Promise<unknown> {
  return fetch(`${twin.baseUrl}/v1/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'llama-3.1-8b', prompt, max_tokens: maxTokens, ignore_eos: true }),
  }).then((r) => r.json());
}

describe('twin physics under load', () => {
  it("gives a lone request the roofline's prefill time as TTFT and decode step times as ITL", async () => {
    const twin = await startTwin({ timeScale: 0.01 });
    try {
      const promptTokens = 1000;
      await complete(twin, 'p'.repeat(promptTokens * 4), 8);
      const ttft = await histogram(twin, 'vllm:time_to_first_token_seconds');
      const itl = await histogram(twin, 'vllm:inter_token_latency_seconds');
      expect(ttft.count).toBe(1);
      expect(ttft.sum).toBeCloseTo(stepTimeS({ tokens: promptTokens, contextTokens: promptTokens }, ctx), 9);
      let expectedItl = 0;
      for (let k = 1; k <= 7; k++) expectedItl += stepTimeS({ tokens: 1, contextTokens: promptTokens + k }, ctx);
      expect(itl.count).toBe(7);
      expect(itl.sum).toBeCloseTo(expectedItl, 9);
    } finally {
      await twin.stop();
    }
    await assertNoSurvivors([twin.pid]);
  });

  it('turns more max-num-seqs into more throughput until the KV cache runs out, then preempts', async () => {
    const run = async (maxNumSeqs: number, device: string) => {
      const twin = await startTwin({ timeScale: 0.01, device, args: ['--max-num-seqs', String(maxNumSeqs)] });
      try {
        // 64 requests of 1024 prompt + 128 output tokens: about 27 fit the L4's 31k-token KV cache at once
        await Promise.all(Array.from({ length: 64 }, (_, i) => complete(twin, `${i} `.padEnd(4096, 'x'), 128)));
        const stats = (await (await fetch(`${twin.baseUrl}/twin/stats`)).json()) as {
          busyModelS: number;
          preemptions: number;
        };
        return {
          throughput: (64 * 128) / stats.busyModelS,
          preemptions: stats.preemptions,
          pid: twin.pid,
          log: twin.log(),
        };
      } finally {
        await twin.stop();
      }
    };
    const [s8, s24, s64] = await Promise.all([run(8, '0'), run(24, '1'), run(64, '2')]);
    await assertNoSurvivors([s8.pid, s24.pid, s64.pid]);
    // decode throughput triples from 8 to 24 sequences; the prefill of every prompt is a fixed cost on top
    expect(s24.throughput).toBeGreaterThan(1.6 * s8.throughput);
    expect(s8.preemptions).toBe(0);
    expect(s24.preemptions).toBe(0);
    // past KV exhaustion: preemptions, and no more throughput to win
    expect(s64.preemptions).toBeGreaterThan(0);
    expect(s64.log).toMatch(
      /WARNING \d\d-\d\d [\d:]+ \[scheduler\.py:\d+\] Sequence group 0 is preempted by PreemptionMode\.RECOMPUTE mode because there is not enough KV cache space\. .*total_cumulative_preemption_cnt=1$/m,
    );
    expect(s8.log).not.toContain('is preempted by');
    expect(s64.throughput).toBeLessThan(1.2 * s24.throughput);
  });
});
