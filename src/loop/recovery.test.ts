import { describe, expect, it } from 'vitest';
import { planRecovery } from './recovery.js';

describe('planRecovery', () => {
  it('nothing unfinished: no plan', () => {
    expect(planRecovery([])).toBeUndefined();
  });

  it('a leftover canary is killed and production restored to the config it last ran healthy', () => {
    const plan = planRecovery([{ cycle_id: 'loop_1', open_steps: ['tuning'], canaries: [{ pid: 7 }], promotions: [] }]);
    expect(plan?.kill).toEqual([{ pid: 7 }]);
    expect(plan?.restore?.config).toBeUndefined();
    expect(plan?.restore?.why).toMatch(/canary/);
  });

  it('a half-done promotion restores the config it replaced and is marked', () => {
    const plan = planRecovery([
      {
        cycle_id: 'loop_1',
        open_steps: ['tuning'],
        canaries: [],
        promotions: [{ promotion_id: 'prom_1', previous: { max_num_seqs: 256 }, config: { max_num_seqs: 64 } }],
      },
    ]);
    expect(plan?.restore?.config).toEqual({ max_num_seqs: 256 });
    expect(plan?.promotions).toEqual([{ promotion_id: 'prom_1', state: 'restored' }]);
  });

  it('a cycle that died in PHASE needs no restore', () => {
    const plan = planRecovery([{ cycle_id: 'loop_1', open_steps: ['phase'], canaries: [], promotions: [] }]);
    expect(plan?.restore).toBeUndefined();
    expect(plan?.died_in).toEqual(['phase']);
  });
});
