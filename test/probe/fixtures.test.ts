/**
 * Real public logs and /metrics dumps (test/fixtures/*, sources in their READMEs): every failure is found
 * with the right kind, no healthy log gives an event, and old and new vLLM metric names read the same.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseExposition } from '../../src/probe/scrape.js';
import { scanLog } from '../../src/probe/signatures.js';
import { ROOT } from '../support/cli.js';

const LOGS = join(ROOT, 'test', 'fixtures', 'logs');
const METRICS = join(ROOT, 'test', 'fixtures', 'metrics');
const read = (...p: string[]) => readFileSync(join(...p), 'utf8');

/** Every failure fixture and the kinds it must show (and no others). */
const FAILURES: Record<string, { kinds: string[]; estimatedMaxModelLen?: number }> = {
  'vllm-v0-kv-capacity-gpustack.log': { kinds: ['startup_oom_kv_capacity'], estimatedMaxModelLen: 2400 },
  'vllm-v0-kv-capacity-rank-prefix.log': { kinds: ['startup_oom_kv_capacity'], estimatedMaxModelLen: 58384 },
  'vllm-v1-kv-capacity-estimate.log': { kinds: ['startup_oom_kv_capacity'], estimatedMaxModelLen: 5632 },
  'vllm-v1-no-blocks.log': { kinds: ['startup_oom_no_blocks'] },
  'vllm-v1-no-blocks-pp.log': { kinds: ['startup_oom_no_blocks'] },
  'vllm-v1-free-memory.log': { kinds: ['startup_oom_free_memory'] },
  'vllm-v1-free-memory-multiproc.log': { kinds: ['startup_oom_free_memory', 'engine_dead'] },
  'vllm-v1-runtime-oom.log': { kinds: ['runtime_oom'] },
  'vllm-v0-mq-engine-dead-oom.log': { kinds: ['runtime_oom', 'engine_dead'] },
  'vllm-v1-engine-dead.log': { kinds: ['engine_dead'] },
  'vllm-v1-engine-init-failed.log': { kinds: ['engine_dead'] },
  'vllm-v1-engine-failed-to-start-xpu.log': { kinds: ['engine_dead'] },
  'vllm-v0-preemption-tqdm.log': { kinds: ['preemption'] },
  'vllm-v0-preemption-bare.log': { kinds: ['preemption'] },
  'llama-server-kv-cache-oom.log': { kinds: ['runtime_oom', 'engine_dead'] },
  'llama-cpp-compute-buffer-oom.log': { kinds: ['runtime_oom'] },
  'kernel-oom-journald.log': { kinds: ['kernel_oom'] },
  'kernel-oom-dmesg-wrapped.log': { kinds: ['kernel_oom'] },
};

describe('real failure logs', () => {
  it('has an expectation for every failure fixture', () => {
    expect(readdirSync(join(LOGS, 'failure')).sort()).toEqual(Object.keys(FAILURES).sort());
  });

  for (const [file, want] of Object.entries(FAILURES)) {
    it(`finds ${want.kinds.join(' + ')} once each in ${file}`, () => {
      const events = scanLog(read(LOGS, 'failure', file), { year: 2025, zone: 'utc' });
      expect(events.map((e) => e.kind).sort()).toEqual([...want.kinds].sort());
      for (const ev of events) expect(ev.lineNo).toBeGreaterThan(0);
      if (want.estimatedMaxModelLen !== undefined) {
        expect(events.find((e) => e.kind === 'startup_oom_kv_capacity')?.estimatedMaxModelLen).toBe(
          want.estimatedMaxModelLen,
        );
      }
    });
  }
});

describe('real healthy logs', () => {
  for (const file of readdirSync(join(LOGS, 'healthy'))) {
    it(`gives no event for ${file}`, () => {
      expect(scanLog(read(LOGS, 'healthy', file), { year: 2025, zone: 'utc' })).toEqual([]);
    });
  }
});

describe('real /metrics dumps', () => {
  it('reads KV usage from the old gpu_cache_usage_perc name (vLLM V0)', () => {
    const s = parseExposition(read(METRICS, 'vllm-v0-qwenvl.prom'));
    expect(s).toMatchObject({
      available: true,
      flavour: 'vllm',
      kv_usage: 0,
      requests_running: 0,
      requests_waiting: 0,
    });
  });

  it('ignores process_* metrics around the vLLM ones (0.7 behind a router)', () => {
    const s = parseExposition(read(METRICS, 'vllm-v0.7-router.prom'));
    expect(s).toMatchObject({ available: true, kv_usage: 0 });
    expect(s.engines).toBeUndefined();
  });

  it('reads the new kv_cache_usage_perc and prefix_cache_* names with an engine label (0.10)', () => {
    const s = parseExposition(read(METRICS, 'vllm-v0.10-engine-label.prom'));
    expect(s).toMatchObject({ available: true, engines: 1, prefix_cache_queries: 32, prefix_cache_hits: 0 });
    expect(s.kv_usage).toBeCloseTo(9.75e-6);
  });

  it('accepts a dump of one data-parallel engine holding only histogram buckets', () => {
    expect(parseExposition(read(METRICS, 'vllm-v1-dp2-histogram.prom'))).toEqual({
      available: true,
      flavour: 'vllm',
      engines: 1,
    });
  });
});
