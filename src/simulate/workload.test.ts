import { describe, expect, it } from 'vitest';
import { parseScenarioText } from './scenario.js';
import { nightWorkload, workloadChanges } from './workload.js';

const base = `
name: t
seed: 1
nights: 10
twin: {}
workload:
  domains:
    interactive: { requests: 4 }
    throughput: { requests: 10, concurrency: 4 }
    long-context: { requests: 2, prompt_tokens: 2000 }
`;

describe('nightWorkload', () => {
  it('enables the scenario domains with their options and disables every other domain', () => {
    const w = nightWorkload(parseScenarioText(base), 1);
    expect(w.interactive).toEqual({ requests: 4, enabled: true });
    expect(w.soak).toEqual({ enabled: false });
    expect(w.correctness).toEqual({ enabled: false });
  });

  it('grows an option from its first night on, rounded and capped', () => {
    const s = parseScenarioText(
      `${base}  growth:\n    - { domain: throughput, option: concurrency, from_night: 3, per_night: 2, max: 9 }\n`,
    );
    expect(nightWorkload(s, 2).throughput?.concurrency).toBe(4);
    expect(nightWorkload(s, 3).throughput?.concurrency).toBe(6);
    expect(nightWorkload(s, 4).throughput?.concurrency).toBe(8);
    expect(nightWorkload(s, 5).throughput?.concurrency).toBe(9);
  });

  it('grows by a factor', () => {
    const s = parseScenarioText(`${base}  growth:\n    - { domain: throughput, option: requests, factor: 1.5 }\n`);
    expect(nightWorkload(s, 1).throughput?.requests).toBe(15);
    expect(nightWorkload(s, 2).throughput?.requests).toBe(23);
  });

  it('sets prompt length from a prompt_growth fault while it is active', () => {
    const s = parseScenarioText(
      `${base}faults:\n  - { kind: prompt_growth, from_night: 4, until_night: 6, prompt_tokens: 7000, per_night: 500 }\n`,
    );
    expect(nightWorkload(s, 3)['long-context']?.prompt_tokens).toBe(2000);
    expect(nightWorkload(s, 4)['long-context']?.prompt_tokens).toBe(7000);
    expect(nightWorkload(s, 6)['long-context']?.prompt_tokens).toBe(8000);
    expect(nightWorkload(s, 7)['long-context']?.prompt_tokens).toBe(2000);
  });

  it('describes what changed against night 1', () => {
    const s = parseScenarioText(`${base}faults:\n  - { kind: prompt_growth, from_night: 2, prompt_tokens: 7000 }\n`);
    expect(workloadChanges(nightWorkload(s, 1), nightWorkload(s, 2))).toEqual(['long-context.prompt_tokens 7000']);
  });
});
