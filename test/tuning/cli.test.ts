/** `nightshift tune`, `tune validate`, `promotions`, `promote apply`, run in-process through the CLI's main(). */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Output } from '../../src/cli/context.js';
import { main } from '../../src/cli/main.js';
import { promotionRecord, writePromotion } from '../../src/loop/tuning/promotion.js';
import { StatePaths } from '../../src/store/paths.js';
import { tempDir } from '../support/state.js';

interface Ran {
  code: number;
  out: string;
  err: string;
}

async function run(args: string[], configText = ''): Promise<Ran & { state: StatePaths }> {
  const dir = tempDir();
  const file = join(dir, 'nightshift.yaml');
  writeFileSync(file, configText);
  const state = new StatePaths(join(dir, 'state'));
  return { ...(await runIn(state, file, args)), state };
}

async function runIn(state: StatePaths, file: string, args: string[]): Promise<Ran> {
  let out = '';
  let err = '';
  const io: Output = { out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`), isTTY: false };
  const code = await main(['node', 'nightshift', '--config', file, '--state-dir', state.root, ...args], io);
  return { code, out, err };
}

const CONFIG = [
  'target:',
  '  config: { gpu_memory_utilization: 0.9, max_num_seqs: 256, max_model_len: 8192 }',
  '',
].join('\n');

describe('nightshift tune', () => {
  it('--dry-run shows the candidates and the gates, and starts nothing', async () => {
    const r = await run(['tune', '--dry-run', '--kind', 'oom', '--json'], CONFIG);
    expect(r.code).toBe(0);
    const res = JSON.parse(r.out);
    expect(res.candidates).toHaveLength(6);
    expect(res.candidates[0].changed.length).toBeGreaterThan(0);
    expect(res.trigger).toMatchObject({ kind: 'oom', armed: false });
    expect(typeof res.gate.allowed).toBe('boolean');
    expect(existsSync(r.state.logsDir())).toBe(false);
    expect(existsSync(r.state.runsLedger())).toBe(false);
  });

  it('--dry-run explains each candidate in plain text', async () => {
    const r = await run(['tune', '--dry-run', '--kind', 'latency'], CONFIG);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^gates: /m);
    expect(r.out).toMatch(/candidates \(\d+\):/);
    expect(r.out).toMatch(/max_num_seqs=128 {2}— max_num_seqs halved/);
  });

  it('--dry-run judges the gates at the rehearsal time of NIGHTSHIFT_FAKE_NOW, as `nightshift run` does', async () => {
    const saved = process.env.NIGHTSHIFT_FAKE_NOW;
    process.env.NIGHTSHIFT_FAKE_NOW = '2026-06-04T03:00:00Z';
    try {
      const r = await run(['tune', '--dry-run', '--kind', 'oom', '--json'], `timezone: UTC\n${CONFIG}`);
      expect(r.code).toBe(0);
      const res = JSON.parse(r.out);
      expect(res.now).toMatch(/^2026-06-04T03:00/);
      expect(res.gate.allowed).toBe(true);
    } finally {
      if (saved === undefined) delete process.env.NIGHTSHIFT_FAKE_NOW;
      else process.env.NIGHTSHIFT_FAKE_NOW = saved;
    }
  });

  it('does nothing without an armed flag or --kind', async () => {
    const r = await run(['tune'], CONFIG);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/no escalation flag armed; nothing to tune/);
  });
});

describe('nightshift tune validate', () => {
  it('explains a rejection and exits 3', async () => {
    const r = await run(['tune', 'validate', 'max_num_seqs=100', 'gpu_memory_utilization=0.5'], CONFIG);
    expect(r.code).toBe(3);
    expect(r.out).toMatch(/rejected/);
    expect(r.out).toMatch(/max_num_seqs: 100 is neither a power of two nor a multiple of 8/);
    expect(r.out).toMatch(/gpu_memory_utilization: 0.5 is below the minimum 0.6/);
  });

  it('accepts a valid candidate', async () => {
    const r = await run(['tune', 'validate', 'max_num_seqs=128'], CONFIG);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/valid: max_num_seqs 256 → 128/);
  });

  it('refuses a word that is not KEY=VALUE', async () => {
    const r = await run(['tune', 'validate', 'max_num_seqs'], CONFIG);
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/expected KEY=VALUE, found "max_num_seqs"/);
  });
});

describe('nightshift promotions and promote apply', () => {
  function seed(state: StatePaths): void {
    writePromotion(
      state,
      promotionRecord({
        promotion_id: 'promo_20260610_033000',
        run_id: 'tune_1',
        subsystem: 'engine_config',
        engine: 'vllm',
        model: 'm',
        previous_config: { gpu_memory_utilization: 0.9 },
        new_config: { gpu_memory_utilization: 0.85 },
        diff: { gpu_memory_utilization: { from: 0.9, to: 0.85 } },
        fitness: { candidate: 1.2, control: 0 },
        metrics: { candidate: {}, control: {} },
        triggering_symptoms: { kind: 'oom', ids: [] },
        ts: 0,
        mode: 'act',
        state: 'provisional',
      }),
    );
  }

  it('lists promotions with their state and diff', async () => {
    const dir = tempDir();
    const file = join(dir, 'nightshift.yaml');
    writeFileSync(file, CONFIG);
    const state = new StatePaths(join(dir, 'state'));
    seed(state);
    const r = await runIn(state, file, ['promotions']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/promo_20260610_033000 {2}provisional .* gpu_memory_utilization 0.9 → 0.85/);
    const j = await runIn(state, file, ['promotions', '--json']);
    expect(JSON.parse(j.out)[0].promotion_id).toBe('promo_20260610_033000');
  });

  it('refuses to apply a promotion that is not proposed', async () => {
    const dir = tempDir();
    const file = join(dir, 'nightshift.yaml');
    writeFileSync(file, CONFIG);
    const state = new StatePaths(join(dir, 'state'));
    seed(state);
    const r = await runIn(state, file, ['promote', 'apply', 'promo_20260610_033000']);
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/is provisional, only a proposed promotion can be applied/);
  });

  it('names an unknown promotion', async () => {
    const r = await run(['promote', 'apply', 'promo_nope'], CONFIG);
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/no promotion promo_nope/);
  });
});
