import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { noisyDomain, writeNight } from '../../../test/support/records.js';
import { tempState } from '../../../test/support/state.js';
import { seededRng } from '../../core/random.js';
import { silentLogger } from '../../system/log.js';
import { readVerifiedReport } from '../phase/report.js';
import { nightFromReport } from './night.js';
import { loadNight, nightCacheFile } from './night-cache.js';

const TS = Date.UTC(2026, 10, 20, 3, 0, 0);

function sealed() {
  const paths = tempState();
  const interactive = noisyDomain(seededRng(1), { n: 30, ttftMs: 200, itlMs: 20, cv: 0.1 });
  const epoch = writeNight(paths, { ts: TS, domains: { interactive } }).epoch_id;
  return { paths, epoch };
}

describe('night cache', () => {
  it('gives the same night as the samples, and keeps it beside the baseline', () => {
    const { paths, epoch } = sealed();
    const report = readVerifiedReport(paths, epoch);
    const first = loadNight(paths, report, silentLogger);
    expect(existsSync(nightCacheFile(paths, epoch))).toBe(true);
    const second = loadNight(paths, readVerifiedReport(paths, epoch), silentLogger);
    expect(second).toEqual(first);
    expect(second).toEqual(nightFromReport(readVerifiedReport(paths, epoch)));
  });

  it('is rebuilt when it does not match the verified seal', () => {
    const { paths, epoch } = sealed();
    loadNight(paths, readVerifiedReport(paths, epoch), silentLogger);
    const file = nightCacheFile(paths, epoch);
    const forged = JSON.parse(readFileSync(file, 'utf8'));
    forged.report_sha256 = 'f'.repeat(64);
    forged.domains.interactive.series.ttft_ms = [1, 2, 3];
    writeFileSync(file, JSON.stringify(forged));
    const night = loadNight(paths, readVerifiedReport(paths, epoch), silentLogger);
    expect(night.domains.get('interactive')?.series.ttft_ms.length).toBe(30);
  });

  it('is rebuilt when it does not parse', () => {
    const { paths, epoch } = sealed();
    loadNight(paths, readVerifiedReport(paths, epoch), silentLogger);
    writeFileSync(nightCacheFile(paths, epoch), '{broken');
    const night = loadNight(paths, readVerifiedReport(paths, epoch), silentLogger);
    expect(night.domains.get('interactive')?.series.e2e_ms.length).toBe(30);
  });
});
