/**
 * Every shipped scenario meets its `expect` block, run with the real loop against the twin
 * (`npm run test:scenarios`; CI runs it after `npm test`). One scenario per test so a failure names it, and
 * prints the night table so the reason is in the log.
 */
import { describe, expect, it } from 'vitest';
import { simulate } from '../../src/simulate/driver.js';
import { renderResult } from '../../src/simulate/render.js';
import { loadScenario } from '../../src/simulate/scenario.js';
import { processesMentioning, scenarioFile, schemaErrors } from './support.js';

const SHIPPED = [
  'traffic-growth-oom',
  'noisy-neighbour',
  'latency-regression',
  'bad-promotion',
  'quality-fault',
  'healthy',
];

describe('shipped scenarios', () => {
  for (const name of SHIPPED) {
    it(`${name} meets its expectations`, async () => {
      const scenario = loadScenario(scenarioFile(name));
      expect(scenario.expect, `${name} has an expect block`).toBeDefined();
      const result = await simulate(scenario);
      const text = renderResult(result);
      expect(schemaErrors(JSON.parse(JSON.stringify(result)))).toEqual([]);
      expect(processesMentioning(result.state_dir)).toEqual([]);
      expect(result.summary.expect.failures, text).toEqual([]);
    });
  }
});
