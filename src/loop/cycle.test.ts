import { describe, expect, it } from 'vitest';
import { tempState } from '../../test/support/state.js';
import { FakeProduction } from '../../test/tuning/fakes.js';
import { vllmKnobEngine } from '../../test/tuning/knob-engine.js';
import { configSchema } from '../config/schema.js';
import { manualClock } from '../system/clock.js';
import { silentLogger } from '../system/log.js';
import { ManagedProduction } from '../targets/production/managed.js';
import { phaseHeadline, productionPhaseTarget } from './cycle.js';

describe('phaseHeadline', () => {
  it('sums OOM events, takes the interactive p95 TTFT and averages pass and error rates', () => {
    const h = phaseHeadline([
      { domain: 'interactive', metrics: { ttft_ms_p95: 210.04, oom_events: 0, error_rate: 0 } },
      { domain: 'throughput', metrics: { ttft_ms_p95: 900, oom_events: 2, error_rate: 0.1 } },
      { domain: 'correctness', metrics: { pass_rate: 0.9 } },
      { domain: 'structured-output', metrics: { pass_rate: 1 } },
    ]);
    expect(h).toEqual({ oom_events: 2, ttft_ms_p95: 210, pass_rate: 0.95, error_rate: 0.05 });
  });

  it('without an interactive domain takes the worst p95 TTFT', () => {
    expect(
      phaseHeadline([
        { domain: 'throughput', metrics: { ttft_ms_p95: 900 } },
        { domain: 'burst', metrics: { ttft_ms_p95: 1200 } },
      ]).ttft_ms_p95,
    ).toBe(1200);
  });

  it('a night without those metrics has no headline numbers', () => {
    expect(phaseHeadline([{ domain: 'health', metrics: {} }])).toEqual({});
  });
});

describe('productionPhaseTarget', () => {
  it("hands PHASE a managed production's own log and exit, with no target.log_file configured", () => {
    const paths = tempState();
    const config = configSchema.parse({ timezone: 'UTC', target: { production: { mode: 'managed' } } });
    expect(config.target.log_file).toBeUndefined();
    const production = new ManagedProduction(config, paths, {
      clock: manualClock(0),
      log: silentLogger,
      engine: vllmKnobEngine,
    });
    const target = productionPhaseTarget(production);
    expect(target.logPath).toBe(production.logPath);
    // Nothing runs in an empty state directory: the process counts as exited.
    expect(target.processExited?.()).toBe(true);
  });

  it('adds nothing for a production nightshift does not own', () => {
    expect(productionPhaseTarget(new FakeProduction({ max_num_seqs: 8 }))).toEqual({});
  });
});
