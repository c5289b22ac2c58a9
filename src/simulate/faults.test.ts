import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { faultKinds, faultsFileText, nightTwinFaults } from './faults.js';
import { parseScenarioText } from './scenario.js';

const scenario = parseScenarioText(`
name: t
seed: 1
nights: 10
twin: {}
workload: { domains: { long-context: { requests: 1 } } }
faults:
  - { kind: memory_hog, from_night: 3, gib: 4 }
  - { kind: slowdown, from_night: 5, until_night: 6, factor: 1.8 }
  - { kind: crash, from_night: 9, at_s: 30 }
  - { kind: prompt_growth, from_night: 2, prompt_tokens: 9000 }
`);

describe('twin faults of a night', () => {
  it('is an empty list on a quiet night', () => {
    expect(parse(faultsFileText(scenario, 1))).toEqual([]);
  });

  it('lists the twin faults active that night, with no start time so they apply at once', () => {
    expect(nightTwinFaults(scenario, 5)).toEqual([
      { kind: 'memory_hog', gib: 4 },
      { kind: 'slowdown', factor: 1.8 },
    ]);
  });

  it('ends a fault after its until_night', () => {
    expect(nightTwinFaults(scenario, 7)).toEqual([{ kind: 'memory_hog', gib: 4 }]);
  });

  it('gives delayed neighbours and bounded leaks their times since the twin started', () => {
    const s = parseScenarioText(`
name: t
seed: 1
nights: 2
twin: {}
workload: { domains: { interactive: { requests: 1 } } }
faults:
  - { kind: memory_hog, from_night: 1, gib: 2, after_s: 60 }
  - { kind: leak, from_night: 1, mib_per_min: 600, for_s: 30 }
`);
    expect(nightTwinFaults(s, 1)).toEqual([
      { kind: 'memory_hog', gib: 2, at: 60 },
      { kind: 'leak', mib_per_min: 600, until: 30 },
    ]);
  });

  it('gives a crash its time after the twin starts', () => {
    expect(nightTwinFaults(scenario, 9)).toContainEqual({ kind: 'crash', at: 30 });
  });

  it('leaves workload faults out of the twin file but names them among the active faults', () => {
    expect(nightTwinFaults(scenario, 2)).toEqual([]);
    expect(faultKinds(scenario, 2)).toEqual(['prompt_growth']);
  });
});
