import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { seededRng } from '../../src/core/random.js';
import { StatePaths } from '../../src/store/paths.js';
import { nightshift } from '../support/cli.js';
import { noisyDomain, writeNight } from '../support/records.js';
import { fastState as tempState } from './shm.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 10, 20, 3, 0, 0);
const NOW = T0 + 7 * DAY + 120_000;

async function cli(paths: StatePaths, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io = {
    out: (t: string) => {
      out += `${t}\n`;
    },
    err: (t: string) => {
      err += `${t}\n`;
    },
    isTTY: false,
  };
  const code = await main(['node', 'nightshift', '--state-dir', paths.root, ...args], io);
  return { code, out, err };
}

function nights(paths: StatePaths, tonightLevel: number): void {
  for (let i = 0; i <= 7; i++) {
    const level = i === 7 ? tonightLevel : 1;
    const interactive = noisyDomain(seededRng(i), { n: 150, ttftMs: 200, itlMs: 20, cv: 0.1, level });
    writeNight(paths, { ts: T0 + i * DAY, domains: { interactive } });
  }
}

let saved: string | undefined;
beforeEach(() => {
  saved = process.env.NIGHTSHIFT_FAKE_NOW;
  process.env.NIGHTSHIFT_FAKE_NOW = String(NOW);
});
afterEach(() => {
  if (saved === undefined) delete process.env.NIGHTSHIFT_FAKE_NOW;
  else process.env.NIGHTSHIFT_FAKE_NOW = saved;
});

describe('nightshift analyze', () => {
  it('prints a table per domain with baseline, tonight, delta, test, p, verdict and reason', async () => {
    const paths = tempState();
    nights(paths, 1.4);
    const r = await cli(paths, 'analyze');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^analysis of phase_20261127_030000: degraded \(\d+ degradation signals\)/);
    expect(r.out).toContain('baseline: 7 nights');
    expect(r.out).toMatch(/METRIC\s+BASELINE\s+TONIGHT\s+DELTA\s+TEST\s+P\s+VERDICT\s+REASON/);
    expect(r.out).toMatch(
      /ttft_ms_p95\s+[\d.]+ ms\s+[\d.]+ ms\s+\+[\d.]+%\s+mann-whitney\s+<0\.0001\s+warning\s+p95 TTFT \+/,
    );
    expect(r.out).toContain('escalations armed: latency_regression');
  });

  it('--explain lists the baseline nights and the test details', async () => {
    const paths = tempState();
    nights(paths, 1.4);
    const r = await cli(paths, 'analyze', 'phase_20261127_030000', '--explain', '--no-record');
    expect(r.out).toContain('  used      phase_20261120_030000');
    expect(r.out).toMatch(/ttft_ms_p95: Mann-Whitney U=.*Hodges-Lehmann shift/);
  });

  it('--json prints the analysis result', async () => {
    const paths = tempState();
    nights(paths, 1);
    const r = await cli(paths, 'analyze', '--json', '--no-record');
    const result = JSON.parse(r.out);
    expect(result).toMatchObject({ status: 'healthy', epoch_id: 'phase_20261127_030000', degradation_signals: 0 });
    expect(result.baseline_epochs).toHaveLength(7);
  });

  it('names a one-night baseline once, and says when it is pinned', async () => {
    const paths = tempState();
    for (let i = 5; i <= 7; i++) {
      const interactive = noisyDomain(seededRng(i), { n: 50, ttftMs: 200, itlMs: 20, cv: 0.1, level: 1 });
      writeNight(paths, { ts: T0 + i * DAY, domains: { interactive } });
    }
    await cli(paths, 'baseline', 'pin', 'phase_20261126_030000');
    const r = await cli(paths, 'analyze', '--no-record');
    expect(r.out).toContain('baseline: 1 night, pinned (phase_20261126_030000)\n');
  });

  it('prints its result once: no info log beside it unless --verbose', () => {
    const paths = tempState();
    nights(paths, 1);
    const quiet = nightshift(['--state-dir', paths.root, 'analyze', '--no-record']);
    expect(quiet.code).toBe(0);
    expect(quiet.stdout).toMatch(/^analysis of phase_20261127_030000: healthy/);
    expect(quiet.stderr).toBe('');
    const verbose = nightshift(['--state-dir', paths.root, 'analyze', '--no-record', '--verbose']);
    expect(verbose.stderr).toContain('"msg":"analysis of phase_20261127_030000: healthy"');
  });

  it('without any sealed report says what to do', async () => {
    const r = await cli(tempState(), 'analyze');
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/analysis: no sealed PHASE report in .*; run `nightshift phase run` first/);
  });
});

describe('nightshift symptoms, symptom record, flags', () => {
  it('a third recorded symptom of a kind arms its flag, and flags shows the time left', async () => {
    const paths = tempState();
    await cli(paths, 'symptom', 'record', 'gpu_xid', '--meta', 'domain=soak', 'xid=79');
    await cli(paths, 'symptom', 'record', 'gpu_xid', '--meta', 'severity=critical');
    const third = await cli(paths, 'symptom', 'record', 'gpu_xid');
    expect(third.out).toMatch(/^recorded sym_\d{8}_\d{6}_[0-9a-f]{8} \(gpu_xid\)/);
    expect(third.out).toContain('escalation armed: gpu_xid — 3 gpu_xid symptoms in the last 24h (threshold 3)');
    const flags = await cli(paths, 'flags');
    expect(flags.out).toMatch(/gpu_xid\s+critical\s+3\s+[\d-]+ [\d:]+\s+(4h|3h59m)\s+3 gpu_xid symptoms/);
    const list = await cli(paths, 'symptoms', '--json');
    const symptoms = JSON.parse(list.out);
    expect(symptoms).toHaveLength(3);
    expect(symptoms[0].meta).toEqual({ domain: 'soak', xid: 79 });
  });

  it('symptoms prints a table of the window', async () => {
    const paths = tempState();
    await cli(paths, 'symptom', 'record', 'oom_event', '--meta', 'domain=soak', 'severity=critical');
    const r = await cli(paths, 'symptoms', '--since', '1h');
    expect(r.out).toMatch(/^1 symptom in the last 1h/);
    expect(r.out).toMatch(/oom_event\s+critical\s+soak/);
  });

  it('refuses a malformed --meta pair', async () => {
    const r = await cli(tempState(), 'symptom', 'record', 'x', '--meta', 'novalue');
    expect(r.code).toBe(3);
    expect(r.err).toContain('symptom: --meta expects key=value, found "novalue"');
  });

  it('with no flag armed says so', async () => {
    expect((await cli(tempState(), 'flags')).out).toContain('no escalation flag armed');
  });
});

describe('a state directory that cannot be used', () => {
  it('is exit 5 with one line naming it, not an internal error', async () => {
    const parent = tempState();
    mkdirSync(parent.root, { recursive: true });
    const file = join(parent.root, 'not-a-dir');
    writeFileSync(file, '');
    const r = await cli(new StatePaths(file), 'symptom', 'record', 'gpu_throttle');
    expect(r.code).toBe(5);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(
      /^state: cannot use .*not-a-dir\/observer\/symptoms \(ENOTDIR, mkdir\); check that the state directory/,
    );
  });
});

describe('nightshift baseline', () => {
  it('pins, shows and unpins', async () => {
    const paths = tempState();
    nights(paths, 1);
    expect((await cli(paths, 'baseline', 'pin', 'phase_20261120_030000', 'phase_20261121_030000')).code).toBe(0);
    const shown = await cli(paths, 'baseline', 'show');
    expect(shown.out).toContain('pinned baseline: phase_20261120_030000, phase_20261121_030000');
    expect(shown.out).toContain('for phase_20261127_030000: 2 nights (min 3)');
    await cli(paths, 'baseline', 'unpin');
    expect((await cli(paths, 'baseline', 'show')).out).toContain('for phase_20261127_030000: 7 nights');
  });

  it('quarantines with a reason and refuses unknown epochs', async () => {
    const paths = tempState();
    nights(paths, 1);
    await cli(paths, 'baseline', 'quarantine', 'phase_20261122_030000', '--reason', 'maintenance night');
    const shown = await cli(paths, 'baseline', 'show');
    expect(shown.out).toContain('left out  phase_20261122_030000: quarantined: maintenance night');
    const bad = await cli(paths, 'baseline', 'pin', 'phase_19990101_030000');
    expect(bad.code).toBe(3);
    expect(bad.err).toContain('baseline: not a sealed PHASE report: phase_19990101_030000');
  });

  it('release says which epochs were quarantined and which were not', async () => {
    const paths = tempState();
    nights(paths, 1);
    await cli(paths, 'baseline', 'quarantine', 'phase_20261122_030000', '--reason', 'maintenance night');
    const r = await cli(paths, 'baseline', 'release', 'phase_20261122_030000', 'phase_20261123_030000');
    expect(r.code).toBe(0);
    expect(r.out).toBe(
      'released from quarantine: phase_20261122_030000\nnot in quarantine (nothing to do): phase_20261123_030000\n',
    );
  });

  it('shows a tampered night as left out, as the analysis leaves it out', async () => {
    const paths = tempState();
    nights(paths, 1);
    const file = paths.reportFile('phase_20261123_030000');
    const bytes = readFileSync(file);
    bytes[10] = bytes[10] === 0x41 ? 0x42 : 0x41;
    writeFileSync(file, bytes);
    const shown = await cli(paths, 'baseline', 'show');
    expect(shown.out).toContain('for phase_20261127_030000: 6 nights');
    expect(shown.out).not.toContain('used      phase_20261123_030000');
    expect(shown.out).toMatch(/left out {2}phase_20261123_030000: report: SHA256 mismatch/);
  });
});
