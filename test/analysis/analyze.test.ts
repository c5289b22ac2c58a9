import { appendFileSync, existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { seededRng } from '../../src/core/random.js';
import { analyze, latestSealedEpoch } from '../../src/loop/analysis/analyze.js';
import { quarantineEpochs } from '../../src/loop/analysis/baseline.js';
import { armedFlags } from '../../src/loop/symptoms/flags.js';
import { readSymptoms } from '../../src/loop/symptoms/ledger.js';
import type { StatePaths } from '../../src/store/paths.js';
import { manualClock } from '../../src/system/clock.js';
import { silentLogger } from '../../src/system/log.js';
import { type DomainSpec, noisyDomain, writeNight } from '../support/records.js';
import { fastState as tempState } from './shm.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 10, 20, 3, 0, 0);
const config = configSchema.parse({});

function interactive(seed: number, level = 1): DomainSpec {
  return noisyDomain(seededRng(seed), { n: 200, ttftMs: 200, itlMs: 20, cv: 0.1, level, tokPerS: 2000 });
}

/** n ordinary nights, then tonight at `level`; returns tonight's epoch id. */
function nights(paths: StatePaths, n: number, level = 1): string {
  for (let i = 0; i < n; i++) writeNight(paths, { ts: T0 + i * DAY, domains: { interactive: interactive(i) } });
  return writeNight(paths, { ts: T0 + n * DAY, domains: { interactive: interactive(100 + n, level) } }).epoch_id;
}

function run(paths: StatePaths, epochId: string, extra: { now?: number; record?: boolean; exclude?: string[] } = {}) {
  const clock = manualClock(extra.now ?? T0 + 8 * DAY + 60_000);
  return analyze({
    config,
    paths,
    clock,
    log: silentLogger,
    epochId,
    mode: 'act',
    ...(extra.record !== undefined ? { record: extra.record } : {}),
    ...(extra.exclude ? { excludeEpochs: extra.exclude } : {}),
  });
}

describe('analyze', () => {
  it('a night like its baseline is healthy and records nothing', async () => {
    const paths = tempState();
    const r = await run(paths, nights(paths, 7));
    expect(r.status).toBe('healthy');
    expect(r.degradation_signals).toBe(0);
    expect(r.symptoms).toEqual([]);
    expect(r.baseline_epochs).toHaveLength(7);
  });

  it('a regression is degraded, records one symptom per degraded verdict and arms escalation', async () => {
    const paths = tempState();
    const r = await run(paths, nights(paths, 7, 1.35));
    expect(r.status).toBe('degraded');
    expect(r.degradation_signals).toBeGreaterThanOrEqual(3);
    expect(r.symptoms).toHaveLength(r.degradation_signals);
    const s = r.symptoms.find((x) => x.meta.metric === 'ttft_ms_p95');
    expect(s?.kind).toBe('latency_regression');
    expect(s?.meta).toMatchObject({ domain: 'interactive', severity: 'warning', epoch_id: r.epoch_id });
    expect(s?.meta.baseline_epochs).toEqual(r.baseline_epochs);
    expect(typeof s?.meta.p_value).toBe('number');
    expect(r.escalations_armed).toContain('latency_regression');
    expect(armedFlags(paths, manualClock(T0 + 8 * DAY + 120_000)).map((f) => f.kind)).toContain('latency_regression');
  });

  it('analysing the same epoch again records no duplicate symptoms', async () => {
    const paths = tempState();
    const epoch = nights(paths, 7, 1.35);
    const first = await run(paths, epoch);
    const second = await run(paths, epoch, { now: T0 + 8 * DAY + 3_600_000 });
    expect(second.status).toBe('degraded');
    expect(second.symptoms).toEqual([]);
    const all = readSymptoms(paths, config.timezone, T0, T0 + 9 * DAY, () => {});
    expect(all).toHaveLength(first.symptoms.length);
  });

  it('with record: false judges only', async () => {
    const paths = tempState();
    const r = await run(paths, nights(paths, 7, 1.35), { record: false });
    expect(r.status).toBe('degraded');
    expect(r.symptoms).toEqual([]);
    expect(existsSync(paths.symptomsDir())).toBe(false);
  });

  it('too few baseline nights is inconclusive and records nothing', async () => {
    const paths = tempState();
    const r = await run(paths, nights(paths, 2, 2), { now: T0 + 3 * DAY });
    expect(r.status).toBe('inconclusive');
    expect(r.verdicts.every((v) => v.reason === 'baseline has 2 nights (needs 3)')).toBe(true);
    expect(r.symptoms).toEqual([]);
  });

  it('leaves quarantined and excluded nights out of the baseline', async () => {
    const paths = tempState();
    const epoch = nights(paths, 7);
    quarantineEpochs(paths, ['phase_20261121_030000'], 'promotion rolled back', manualClock(T0));
    const r = await run(paths, epoch, { exclude: ['phase_20261122_030000'] });
    expect(r.baseline_epochs).toHaveLength(5);
    expect(r.baseline_excluded.map((e) => e.epoch)).toEqual(['phase_20261121_030000', 'phase_20261122_030000']);
  });

  it('leaves a tampered baseline report out and says so', async () => {
    const paths = tempState();
    const epoch = nights(paths, 7);
    appendFileSync(paths.reportFile('phase_20261120_030000'), '\n');
    const r = await run(paths, epoch);
    expect(r.baseline_epochs).not.toContain('phase_20261120_030000');
    expect(r.baseline_excluded[0]?.reason).toMatch(/SHA256 mismatch/);
  });

  it('refuses a tampered report for tonight', async () => {
    const paths = tempState();
    const epoch = nights(paths, 3);
    appendFileSync(paths.reportFile(epoch), '\n');
    await expect(run(paths, epoch)).rejects.toThrow(/SHA256 mismatch/);
  });

  it('finds the latest sealed epoch', () => {
    const paths = tempState();
    nights(paths, 3);
    expect(latestSealedEpoch(paths)).toBe('phase_20261123_030000');
    expect(() => latestSealedEpoch(tempState())).toThrow(/no sealed PHASE report/);
  });
});

describe('dead production', () => {
  const refused = 'target unreachable: connect_refused (connect ECONNREFUSED 127.0.0.1:8000)';

  /** 7 nights with a passing health domain, then tonight: health fails, every other domain errors. */
  function deadTonight(paths: StatePaths): string {
    const health: DomainSpec = { status: 'pass', metrics: { pass_rate: 1, oom_events: 0 } };
    for (let i = 0; i < 7; i++) {
      writeNight(paths, { ts: T0 + i * DAY, domains: { health, interactive: interactive(i) } });
    }
    return writeNight(paths, {
      ts: T0 + 7 * DAY,
      domains: {
        health: {
          status: 'fail',
          reason: refused,
          metrics: { pass_rate: 0, oom_events: 0 },
          evidence: [{ source: 'health', line: 'GET /health: connection refused' }],
        },
        interactive: { status: 'error', reason: refused, metrics: {} },
      },
    }).epoch_id;
  }

  it('is degraded with a critical target_down symptom that carries the domain reason and evidence', async () => {
    const paths = tempState();
    const r = await run(paths, deadTonight(paths));
    expect(r.status).toBe('degraded');
    expect(r.symptoms.map((s) => s.kind)).toEqual(['target_down']);
    expect(r.symptoms[0]?.meta).toMatchObject({
      domain: 'health',
      severity: 'critical',
      reason: `health failed tonight: ${refused}`,
      domain_reason: refused,
      evidence: [{ source: 'health', line: 'GET /health: connection refused' }],
    });
  });

  it('arms the target_down flag the same night with the default escalation config', async () => {
    const paths = tempState();
    const r = await run(paths, deadTonight(paths));
    expect(r.escalations_armed).toEqual(['target_down']);
    const flag = armedFlags(paths, manualClock(T0 + 8 * DAY + 120_000)).find((f) => f.kind === 'target_down');
    expect(flag?.reason).toBe('1 critical target_down symptom (critical threshold 1) in the last 24h');
  });
});
