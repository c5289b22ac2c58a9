import { describe, expect, it } from 'vitest';
import { activeFaults, parseScenarioText, ScenarioError } from './scenario.js';

const minimal = `name: tiny
seed: 3
nights: 4
twin: { model: llama-3.1-8b, gpu: L4-24GB }
workload:
  domains:
    interactive: { requests: 2 }
`;

function problems(text: string): string {
  try {
    parseScenarioText(text, 's.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(ScenarioError);
    return (err as Error).message;
  }
  throw new Error('expected a ScenarioError');
}

describe('parseScenarioText', () => {
  it('fills the defaults of a minimal scenario', () => {
    const s = parseScenarioText(minimal);
    expect(s).toMatchObject({ name: 'tiny', seed: 3, nights: 4, timezone: 'UTC', at: '03:00', faults: [] });
    expect(s.twin.time_scale).toBeGreaterThan(0);
  });

  it('names an unknown key with its path and line', () => {
    expect(problems(`${minimal}nigths: 3\n`)).toContain('scenario: nigths: unknown key (typo?) (s.yaml:8)');
  });

  it('names a fault with a bad value, its path and line', () => {
    const msg = problems(`${minimal}faults:\n  - { kind: slowdown, from_night: 2, factor: 0.5 }\n`);
    expect(msg).toContain('scenario: faults.0.factor: expected a number > 1, found 0.5 (s.yaml:9)');
  });

  it('rejects an unknown fault kind, listing the known ones', () => {
    expect(problems(`${minimal}faults:\n  - { kind: meteor, from_night: 2 }\n`)).toMatch(
      /faults\.0\.kind: .*memory_hog/,
    );
  });

  it('rejects a fault that starts after the last night', () => {
    expect(problems(`${minimal}faults:\n  - { kind: crash, from_night: 9 }\n`)).toContain(
      'faults.0.from_night: expected a night ≤ nights (4), found 9',
    );
  });

  it('rejects prompt growth of a domain the workload does not run', () => {
    expect(problems(`${minimal}faults:\n  - { kind: prompt_growth, from_night: 2, prompt_tokens: 100 }\n`)).toContain(
      'faults.0.domain: domain "long-context" is not in workload.domains',
    );
  });

  it('validates the loop section against the config schema', () => {
    expect(problems(`${minimal}loop:\n  escalation: { threshold: 0 }\n`)).toContain('loop.escalation.threshold');
    expect(problems(`${minimal}loop:\n  escalaton: {}\n`)).toContain('unknown key(s) escalaton');
  });

  it('keeps the target out of the loop section', () => {
    expect(problems(`${minimal}loop:\n  target: {}\n`)).toContain('loop.target: not allowed here');
  });

  it('reports invalid YAML with its line', () => {
    expect(problems('name: x\n  bad: [1\nseed: 2\n')).toMatch(/^scenario: \(yaml\): .*\(s\.yaml(:\d+)?\)/);
  });
});

describe('activeFaults', () => {
  it('holds a fault from its first night through its last, inclusive', () => {
    const s = parseScenarioText(
      `${minimal}faults:\n  - { kind: quality, from_night: 2, until_night: 3, wrong_fraction: 0.3 }\n`,
    );
    expect([1, 2, 3, 4].map((n) => activeFaults(s, n).length)).toEqual([0, 1, 1, 0]);
  });
});
