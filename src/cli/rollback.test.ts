import { describe, expect, it } from 'vitest';
import { rollbackLine } from './rollback.js';

const promo = { promotion_id: 'promo_20260607_030014', diff: { max_num_seqs: { from: 8, to: 32 } } };

describe('rollbackLine', () => {
  it('names the promotion and the config production is back on', () =>
    expect(rollbackLine(promo, 1500, 1)).toMatch(
      /^rolled back promo_20260607_030014: production back on max_num_seqs=8,/,
    ));
  it('gives the time to healthy in model seconds, scaled like every other record', () =>
    expect(rollbackLine(promo, 737, 0.05)).toMatch(/healthy after 14.74 s$/));
});
