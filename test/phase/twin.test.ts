/**
 * PHASE against real twin processes at time scale 0.05: the whole run passes and seals on a healthy twin, and
 * the numbers move the right way when the twin changes (fewer max-num-seqs, a quality fault, an
 * over-committed GPU under long-context load).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Config, configSchema, DOMAIN_NAMES } from '../../src/config/schema.js';
import { readVerifiedReport } from '../../src/loop/phase/report.js';
import { runDomains, runPhase } from '../../src/loop/phase/run.js';
import { systemClock } from '../../src/system/clock.js';
import { silentLogger } from '../../src/system/log.js';
import { tempDir, tempState } from '../support/state.js';
import { assertNoSurvivors, startTwin, type TwinProcess } from '../support/twin.js';

const SCALE = 0.05;

function configFor(twin: TwinProcess): Config {
  return configSchema.parse({
    target: { engine: 'vllm', model: 'llama-3.1-8b', base_url: twin.baseUrl, time_scale: SCALE },
  });
}

function targetOf(twin: TwinProcess) {
  return {
    baseUrl: twin.baseUrl,
    model: 'llama-3.1-8b',
    timeScale: SCALE,
    logPath: twin.logPath,
    processExited: () => twin.exitCode() !== undefined,
  };
}

const pids: number[] = [];
let healthy: TwinProcess;

beforeAll(async () => {
  healthy = await startTwin({ timeScale: SCALE });
  pids.push(healthy.pid);
});

afterAll(async () => {
  await healthy?.stop();
  await assertNoSurvivors(pids);
});

describe('PHASE against the twin', () => {
  it('passes all 11 domains on a healthy twin and seals the report', async () => {
    const paths = tempState();
    const config = configFor(healthy);
    const result = await runPhase({
      config,
      paths,
      clock: systemClock,
      log: silentLogger,
      mode: 'observe',
      target: { logPath: healthy.logPath },
    });
    const failed = result.records.filter((r) => r.status !== 'pass').map((r) => `${r.domain}: ${r.reason}`);
    expect(failed).toEqual([]);
    expect(result.records.map((r) => r.domain)).toEqual([...DOMAIN_NAMES]);
    expect(result.signal.status).toBe('pass');
    const verified = readVerifiedReport(paths, result.epochId);
    expect(verified.records).toHaveLength(11);
    expect(verified.samples().get('throughput')?.length).toBe(32);
    const first = verified.records[0];
    expect(first?.target).toMatchObject({ engine: 'vllm', model: 'llama-3.1-8b', base_url: healthy.baseUrl });
    expect(first?.target.engine_version).toBeDefined();
    const long = verified.records.find((r) => r.domain === 'long-context');
    expect(long?.details?.max_context_tokens_used).toBeGreaterThan(4096);
    expect(long?.details?.max_context_tokens_used).toBeLessThanOrEqual(8192);
    expect(result.epochId).toMatch(/^phase_\d{8}_\d{6}$/);
  });

  it('measures lower throughput with fewer max-num-seqs', async () => {
    const small = await startTwin({ timeScale: SCALE, args: ['--max-num-seqs', '2'] });
    pids.push(small.pid);
    try {
      const domainOptions = { throughput: { enabled: true, requests: 12, concurrency: 12, warmup: 0 } };
      const opts = { config: configFor(small), clock: systemClock, log: silentLogger, domainOptions };
      const [few, many] = await Promise.all([
        runDomains(targetOf(small), ['throughput'], opts),
        runDomains(targetOf(healthy), ['throughput'], { ...opts, config: configFor(healthy) }),
      ]);
      const fewTps = few.get('throughput')?.metrics.output_tok_per_s ?? 0;
      const manyTps = many.get('throughput')?.metrics.output_tok_per_s ?? 0;
      expect(few.get('throughput')?.status).toBe('pass');
      expect(fewTps).toBeGreaterThan(0);
      expect(fewTps).toBeLessThan(manyTps * 0.5);
    } finally {
      await small.stop();
    }
  });

  it('measures a lower correctness pass rate under a quality fault', async () => {
    const faults = join(tempDir(), 'faults.yaml');
    writeFileSync(faults, '- { kind: quality, wrong_fraction: 0.5 }\n');
    const faulty = await startTwin({ timeScale: SCALE, faultsFile: faults });
    pids.push(faulty.pid);
    try {
      const opts = { config: configFor(faulty), clock: systemClock, log: silentLogger };
      const [bad, good] = await Promise.all([
        runDomains(targetOf(faulty), ['correctness'], opts),
        runDomains(targetOf(healthy), ['correctness'], { ...opts, config: configFor(healthy) }),
      ]);
      expect(good.get('correctness')?.metrics.pass_rate).toBe(1);
      expect(bad.get('correctness')?.metrics.pass_rate).toBeLessThan(0.9);
      expect(bad.get('correctness')?.status).toBe('fail');
    } finally {
      await faulty.stop();
    }
  });

  it('counts OOM events with evidence when an over-committed GPU meets long-context load', async () => {
    // 0.97 of the GPU leaves ~0.7 GiB; another process taking 0.8 GiB after startup leaves too little for a
    // long prefill's activations (short requests still fit).
    const faults = join(tempDir(), 'faults.yaml');
    writeFileSync(faults, '- { kind: memory_hog, gib: 0.8, at: 10 }\n');
    const tight = await startTwin({ timeScale: SCALE, faultsFile: faults, args: ['--gpu-memory-utilization', '0.97'] });
    pids.push(tight.pid);
    try {
      await new Promise((r) => setTimeout(r, 600)); // past t = 10 model s
      const results = await runDomains(targetOf(tight), ['long-context', 'correctness'], {
        config: configFor(tight),
        clock: systemClock,
        log: silentLogger,
      });
      const long = results.get('long-context');
      expect(long?.status).toBe('fail');
      expect(long?.metrics.oom_events).toBeGreaterThanOrEqual(1);
      expect(long?.evidence?.some((e) => e.source === 'log' && /OutOfMemoryError/.test(e.line))).toBe(true);
      expect(results.get('correctness')?.status).toBe('error');
      expect(results.get('correctness')?.reason).toMatch(/target (unreachable|unhealthy)/);
    } finally {
      await tight.stop();
    }
  });
});
