/**
 * The PHASE runner against small fake OpenAI servers: what it does when the target misbehaves (hangs,
 * streams garbage, lies in usage, is down) or a domain itself fails, and that suites run as domains.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { type Config, type ConfigInput, configSchema } from '../../src/config/schema.js';
import type { Domain } from '../../src/loop/phase/domain.js';
import { readVerifiedReport } from '../../src/loop/phase/report.js';
import { runDomains, runPhase } from '../../src/loop/phase/run.js';
import { systemClock } from '../../src/system/clock.js';
import { silentLogger } from '../../src/system/log.js';
import { type FakeBehaviour, type FakeOpenAI, startFakeOpenAI } from '../support/fake-openai.js';
import { tempDir, tempState } from '../support/state.js';
import { freePort } from '../support/twin.js';

const servers: FakeOpenAI[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function fake(b: FakeBehaviour): Promise<FakeOpenAI> {
  const s = await startFakeOpenAI(b);
  servers.push(s);
  return s;
}

function config(baseUrl: string, phase: ConfigInput['phase'] = {}): Config {
  return configSchema.parse({ target: { engine: 'openai', model: 'fake-model', base_url: baseUrl }, phase });
}

const target = (baseUrl: string) => ({ baseUrl, model: 'fake-model' });
const run = (baseUrl: string, names: string[], cfg: Config, extra: Partial<Parameters<typeof runDomains>[2]> = {}) =>
  runDomains(target(baseUrl), names, { config: cfg, clock: systemClock, log: silentLogger, ...extra });

describe('PHASE runner against misbehaving targets', () => {
  it('a hanging server gives timeout errors within the timeouts, and the run completes', async () => {
    const s = await fake({ mode: 'hang' });
    const cfg = config(s.baseUrl, {
      request_timeout: '400ms',
      domain_timeout: '1500ms',
      domains: { interactive: { requests: 2, warmup: 0 } },
    });
    const t0 = performance.now();
    const results = await run(s.baseUrl, ['health', 'interactive', 'correctness'], cfg);
    // per domain: its timeout plus a few control requests (reachability, /metrics) of 400 ms each
    expect(performance.now() - t0).toBeLessThan(6000);
    expect(results.get('health')?.status).toBe('fail');
    expect(results.get('health')?.reason).toMatch(/timeout/);
    expect(results.get('interactive')).toMatchObject({ status: 'error' });
    expect(results.get('interactive')?.reason).toMatch(/^all 2 requests failed: timeout/);
    expect(results.get('correctness')).toMatchObject({ status: 'error' });
    expect(results.get('correctness')?.reason).toMatch(/timed out after 1500ms \(domain timeout\)/);
  });

  it('against a hanging server every domain ends within its own timeout, checks and scrapes included', async () => {
    const s = await fake({ mode: 'hang' });
    const cfg = config(s.baseUrl, {
      request_timeout: '800ms',
      domain_timeout: '1s',
      domains: { correctness: { requests: 4 }, 'streaming-integrity': { requests: 4 } },
    });
    const results = await run(s.baseUrl, ['correctness', 'streaming-integrity'], cfg);
    for (const name of ['correctness', 'streaming-integrity']) {
      const r = results.get(name);
      expect(r?.status).toBe('error');
      // the timeout, plus at most the floor of one /metrics scrape after it and a little scheduling slack
      expect((r?.ended_at ?? 0) - (r?.started_at ?? 0)).toBeLessThan(1000 + 500 + 300);
    }
  });

  it('a garbage-streaming server gives malformed_sse errors', async () => {
    const s = await fake({ mode: 'garbage' });
    const cfg = config(s.baseUrl, {
      domains: { interactive: { requests: 3 }, 'streaming-integrity': { requests: 3 } },
    });
    const results = await run(s.baseUrl, ['interactive', 'streaming-integrity'], cfg);
    for (const name of ['interactive', 'streaming-integrity']) {
      expect(results.get(name)?.status).toBe('error');
      expect(results.get(name)?.reason).toMatch(/requests failed: malformed_sse/);
    }
  });

  it('a down target fails health and errors every other domain within seconds', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const paths = tempState();
    const t0 = performance.now();
    const result = await runPhase({
      config: config(url),
      paths,
      clock: systemClock,
      log: silentLogger,
      mode: 'observe',
    });
    expect(performance.now() - t0).toBeLessThan(3000);
    const [health, ...others] = result.records;
    expect(health).toMatchObject({ domain: 'health', status: 'fail' });
    expect(health?.reason).toMatch(/target unreachable: connect_refused/);
    expect(others).toHaveLength(10);
    for (const r of others)
      expect(r).toMatchObject({ status: 'error', reason: `target unreachable: connection refused at ${url}` });
    expect(result.signal.status).toBe('fail');
    expect(readVerifiedReport(paths, result.epochId).records).toHaveLength(11);
  });

  it('a stream whose usage disagrees with its chunks fails streaming integrity', async () => {
    const s = await fake({ mode: 'normal', usageSkew: 5 });
    const cfg = config(s.baseUrl, { domains: { 'streaming-integrity': { requests: 2 } } });
    const r = (await run(s.baseUrl, ['streaming-integrity'], cfg)).get('streaming-integrity');
    expect(r?.status).toBe('fail');
    expect(r?.reason).toMatch(/2 of 2 streams broke integrity.*usage says/);
    expect(r?.metrics.pass_rate).toBe(0);
  });

  it('a domain that throws is an error with its message, and the next domain still runs', async () => {
    const s = await fake({ mode: 'normal', tokens: 4 });
    const broken: Domain = {
      name: 'broken',
      description: 'throws',
      run: () => {
        throw new Error('plugin bug');
      },
    };
    const results = await run(s.baseUrl, ['broken', 'health'], config(s.baseUrl), { extraDomains: [broken] });
    expect(results.get('broken')).toMatchObject({ status: 'error', reason: 'domain failed: plugin bug' });
    expect(results.get('health')?.status).toBe('pass');
  });

  it('the global timeout ends the run: the domain in flight and the rest are errors', async () => {
    const s = await fake({ mode: 'normal', firstTokenDelayMs: 300, tokens: 2 });
    const cfg = config(s.baseUrl, { timeout: '500ms' });
    const t0 = performance.now();
    const results = await run(s.baseUrl, ['interactive', 'correctness'], cfg);
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(results.get('interactive')?.reason).toMatch(/^cut short: phase timeout \(500ms\) reached/);
    expect(results.get('correctness')?.reason).toMatch(/^not run: phase timeout/);
  });

  it('a prompt suite runs as a correctness domain named suite:<name>', async () => {
    const s = await fake({ mode: 'normal', reply: (p) => (p.includes('France') ? 'It is Paris.' : 'No idea.') });
    const dir = tempDir();
    writeFileSync(
      join(dir, 'geo.yaml'),
      '- { prompt: "Capital of France?", contains: Paris }\n- { prompt: "Capital of Peru?", contains: Lima }\n',
    );
    const cfg = config(s.baseUrl, { suites: [{ name: 'geo', file: 'geo.yaml' }] });
    const paths = tempState();
    const result = await runPhase({
      config: cfg,
      paths,
      clock: systemClock,
      log: silentLogger,
      mode: 'observe',
      domains: ['suite:geo'],
      baseDir: dir,
    });
    expect(result.records[0]).toMatchObject({ domain: 'suite:geo', status: 'fail' });
    expect(result.records[0]?.metrics.pass_rate).toBe(0.5);
  });

  it('an unknown domain name is a usage error before anything is sent', async () => {
    const s = await fake({ mode: 'normal' });
    await expect(run(s.baseUrl, ['health', 'nope'], config(s.baseUrl))).rejects.toThrow(/unknown domain "nope"/);
    expect(s.requests).toHaveLength(0);
  });
});

describe('suites and plugins that cannot be loaded', () => {
  it('become error records while the other domains still run', async () => {
    const s = await fake({ mode: 'normal', tokens: 4 });
    const dir = tempDir();
    writeFileSync(join(dir, 'bad.yaml'), '- { prompt: "no check here" }\n');
    const cfg = config(s.baseUrl, { suites: [{ name: 'bad', file: 'bad.yaml' }], plugins: ['missing.mjs'] });
    const result = await runPhase({
      config: cfg,
      paths: tempState(),
      clock: systemClock,
      log: silentLogger,
      mode: 'observe',
      domains: ['health', 'suite:bad', 'plugin:missing.mjs'],
      baseDir: dir,
    });
    expect(result.records.map((r) => `${r.domain}:${r.status}`)).toEqual([
      'health:pass',
      'suite:bad:error',
      'plugin:missing.mjs:error',
    ]);
    expect(result.records[1]?.reason).toMatch(/^not loaded: suite bad: no expected check/);
    expect(result.records[2]?.reason).toMatch(/^not loaded: plugin .*missing\.mjs: cannot be loaded/);
  });
});
