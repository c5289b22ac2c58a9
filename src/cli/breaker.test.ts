import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../test/support/state.js';
import { readBreakers } from '../loop/control/breakers.js';
import { writeJsonAtomic } from '../store/atomic.js';
import { StatePaths } from '../store/paths.js';
import type { Output } from './context.js';
import { main } from './main.js';

async function cli(state: StatePaths, args: string[]): Promise<{ code: number; out: string; err: string }> {
  const file = join(state.root, '..', 'nightshift.yaml');
  writeFileSync(file, 'timezone: UTC\n');
  let out = '';
  let err = '';
  const io: Output = { out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`), isTTY: false };
  const code = await main(['node', 'nightshift', '--config', file, '--state-dir', state.root, ...args], io);
  return { code, out, err };
}

function openBreaker(state: StatePaths): void {
  writeJsonAtomic(state.breakersFile(), {
    schema: 'nightshift.breakers/v1',
    mode: 'act',
    kinds: { latency_regression: { state: 'open', failures: 3, recent: ['a', 'b', 'c'], opened_at: 1, reason: 't' } },
  });
}

describe('nightshift breaker reset', () => {
  it('closes an open breaker of that kind', async () => {
    const state = new StatePaths(join(tempDir(), 'state'));
    openBreaker(state);
    const r = await cli(state, ['breaker', 'reset', 'latency_regression']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/was OPEN/);
    expect(readBreakers(state).latency_regression?.state).toBe('closed');
  });

  it('refuses a kind that has no breaker, names the ones there are, and changes nothing', async () => {
    const state = new StatePaths(join(tempDir(), 'state'));
    openBreaker(state);
    const r = await cli(state, ['breaker', 'reset', 'latency']);
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/no breaker for "latency"; there are: latency_regression \(OPEN\)/);
    expect(readBreakers(state)).toEqual({
      latency_regression: expect.objectContaining({ state: 'open' }),
    });
  });

  it('on a state directory without breakers says there is nothing to reset and writes nothing', async () => {
    const state = new StatePaths(join(tempDir(), 'state'));
    const r = await cli(state, ['breaker', 'reset', 'oom_event']);
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/no breaker for "oom_event"; no tuning run has failed yet/);
    expect(existsSync(state.breakersFile())).toBe(false);
  });
});
