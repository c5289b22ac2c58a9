import { describe, expect, it } from 'vitest';
import { tempState } from '../../../test/support/state.js';
import { configSchema } from '../../config/schema.js';
import { atLocal } from '../../core/time.js';
import { readJson } from '../../store/atomic.js';
import { manualClock } from '../../system/clock.js';
import {
  type BudgetLedger,
  budgetSpent,
  chargeBudget,
  checkEligibility,
  ENGINE_CONFIG_SUBSYSTEM,
  recordRun,
} from './index.js';

const config = configSchema.parse({ timezone: 'UTC', eligibility: { window: '22:00-02:00', budget_s: 60 } });

describe('eligibility at the edge', () => {
  it('charges a window crossing midnight to one night ledger', () => {
    const paths = tempState();
    const clock = manualClock(atLocal('2026-06-10T23:00', 'UTC'));
    chargeBudget(paths, clock, config, 20);
    clock.set(atLocal('2026-06-11T01:00', 'UTC'));
    expect(chargeBudget(paths, clock, config, 15.5)).toBe(35.5);
    const ledger = readJson<BudgetLedger>(paths.budgetFile('20260610'));
    expect(ledger).toMatchObject({ night: '20260610', spent_s: 35.5, budget_s: 60 });
    expect(ledger?.charges).toHaveLength(2);
    expect(budgetSpent(paths, '20260611')).toBe(0);
  });

  it('defers for the budget once the night has spent it', () => {
    const paths = tempState();
    const clock = manualClock(atLocal('2026-06-10T23:00', 'UTC'));
    chargeBudget(paths, clock, config, 45);
    expect(checkEligibility(paths, clock, config, ENGINE_CONFIG_SUBSYSTEM)).toMatchObject({
      allowed: false,
      reason: 'budget',
      state: { budgetSpentS: 45 },
    });
  });

  it('reads cooldown from the runs ledger', () => {
    const paths = tempState();
    const clock = manualClock(atLocal('2026-06-10T23:00', 'UTC'));
    recordRun(paths, clock, { subsystem: ENGINE_CONFIG_SUBSYSTEM, run_id: 'tune_1', status: 'success' });
    clock.advance(3_600_000);
    expect(checkEligibility(paths, clock, config, ENGINE_CONFIG_SUBSYSTEM)).toMatchObject({ reason: 'cooldown' });
  });

  it('refuses a negative charge', () => {
    const paths = tempState();
    expect(() => chargeBudget(paths, manualClock(0), config, -1)).toThrow(/cannot charge/);
  });
});
