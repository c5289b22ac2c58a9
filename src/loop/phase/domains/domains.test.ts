import { describe, expect, it } from 'vitest';
import type { RequestSample } from '../../../core/types.js';
import type { ProbeResult } from '../../../probe/types.js';
import { queueP95, recoveryThreshold } from './burst.js';
import { findKnee, sweepLevels } from './concurrency-sweep.js';
import { BUILTIN_DOMAINS } from './index.js';
import { promptLengths, TEMPLATE_MARGIN } from './long-context.js';
import { latencyDriftPct } from './soak.js';
import { integrityProblems } from './streaming-integrity.js';

describe('built-in domains', () => {
  it('are the 11 of the issue, each with a description', () => {
    expect(Object.keys(BUILTIN_DOMAINS)).toHaveLength(11);
    for (const [name, d] of Object.entries(BUILTIN_DOMAINS)) {
      expect(d.name).toBe(name);
      expect(d.description.length).toBeGreaterThan(10);
    }
  });
});

describe('concurrency sweep', () => {
  it('doubles up to the maximum, which is always included', () => {
    expect(sweepLevels(16)).toEqual([1, 2, 4, 8, 16]);
    expect(sweepLevels(12)).toEqual([1, 2, 4, 8, 12]);
    expect(sweepLevels(1)).toEqual([1]);
  });

  it('puts the knee where a doubling adds less than 10% throughput', () => {
    const levels = [
      { concurrency: 1, output_tok_per_s: 100 },
      { concurrency: 2, output_tok_per_s: 190 },
      { concurrency: 4, output_tok_per_s: 350 },
      { concurrency: 8, output_tok_per_s: 370 },
      { concurrency: 16, output_tok_per_s: 372 },
    ];
    expect(findKnee(levels)).toBe(4);
  });

  it('puts the knee at the last level when the curve still rises', () => {
    expect(
      findKnee([
        { concurrency: 1, output_tok_per_s: 100 },
        { concurrency: 2, output_tok_per_s: 200 },
      ]),
    ).toBe(2);
  });
});

describe('long-context prompt lengths', () => {
  it('spread from 50% to 90% of the room left after the answer and the template', () => {
    const room = 4096 - 32 - TEMPLATE_MARGIN;
    const lengths = promptLengths(5, 4096, 32);
    expect(lengths[0]).toBe(Math.floor(room * 0.5));
    expect(lengths[4]).toBe(Math.floor(room * 0.9));
    expect([...lengths].sort((a, b) => a - b)).toEqual(lengths);
  });

  it('uses prompt_tokens as the longest prompt when given, never beyond the room', () => {
    expect(promptLengths(1, 4096, 32, 1000)).toEqual([1000]);
    expect(promptLengths(1, 4096, 32, 99_999)).toEqual([4096 - 32 - TEMPLATE_MARGIN]);
  });
});

describe('burst', () => {
  it('counts recovery within twice the baseline TTFT, or 50 ms above it for fast servers', () => {
    expect(recoveryThreshold(100)).toBe(200);
    expect(recoveryThreshold(10)).toBe(60);
  });

  it('queue time is the TTFT beyond the unloaded baseline', () => {
    const samples: RequestSample[] = [10, 20, 30, 40, 50].map((ttft) => ({ ok: true, t: 0, ttft_ms: ttft }));
    expect(queueP95(samples, 20)).toBeCloseTo(28);
  });
});

describe('soak latency drift', () => {
  it('compares the median E2E of the last third with the first third', () => {
    const samples: RequestSample[] = [100, 100, 100, 110, 120, 130, 150, 150, 150].map((e2e, i) => ({
      ok: true,
      t: i,
      e2e_ms: e2e,
    }));
    expect(latencyDriftPct(samples)).toBe(50);
  });

  it('is unknown with too few requests', () => {
    expect(latencyDriftPct([{ ok: true, t: 0, e2e_ms: 1 }])).toBeUndefined();
  });
});

describe('streaming integrity', () => {
  const good: ProbeResult = {
    ok: true,
    t: 0,
    text: 'abc',
    chunks: 32,
    usage: { prompt_tokens: 5, completion_tokens: 32 },
    finish_reason: 'length',
  };

  it('accepts a stream whose usage matches the counted chunks', () => {
    expect(integrityProblems(good)).toEqual([]);
  });

  it('names a usage count that disagrees with the chunks', () => {
    expect(integrityProblems({ ...good, usage: { prompt_tokens: 5, completion_tokens: 35 } })).toEqual([
      'usage says 35 completion tokens, 32 content chunks counted',
    ]);
  });

  it('names a missing finish_reason and missing usage', () => {
    const { usage: _u, finish_reason: _f, ...rest } = good;
    expect(integrityProblems(rest)).toEqual(['no finish_reason', 'no usage reported']);
  });
});
