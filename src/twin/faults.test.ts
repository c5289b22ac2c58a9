import { describe, expect, it } from 'vitest';
import { GiB, MiB } from './catalogue.js';
import { faultStateAt, nextCrashAt } from './faults.js';
import { parseFaults } from './faults-file.js';

describe('faults file', () => {
  it('reads a list of faults with default windows', () => {
    const f = parseFaults('- { kind: memory_hog, gib: 3 }\n- { kind: slowdown, factor: 2, at: 10, until: 20 }\n', 'f');
    expect(f).toEqual([
      { kind: 'memory_hog', gib: 3, at: 0 },
      { kind: 'slowdown', factor: 2, at: 10, until: 20 },
    ]);
  });

  it('reads an empty file as no faults', () => {
    expect(parseFaults('', 'f')).toEqual([]);
  });

  it('rejects an unknown kind with the file and path in the message', () => {
    expect(() => parseFaults('- { kind: meteor }\n', 'faults.yaml')).toThrow(/faults file faults.yaml: 0/);
  });

  it('rejects unknown keys', () => {
    expect(() => parseFaults('- { kind: crash, when: 3 }\n', 'f')).toThrow(/faults file f/);
  });
});

describe('fault state over time', () => {
  const faults = parseFaults(
    [
      '- { kind: memory_hog, gib: 2, at: 100 }',
      '- { kind: leak, mib_per_min: 60, at: 0, until: 120 }',
      '- { kind: slowdown, factor: 1.5, at: 0, until: 50 }',
      '- { kind: quality, wrong_fraction: 0.3, at: 10 }',
      '- { kind: crash, at: 500 }',
    ].join('\n'),
    'f',
  );

  it('applies each fault only inside its window', () => {
    expect(faultStateAt(faults, 20)).toMatchObject({ hogBytes: 0, slowdown: 1.5, wrongFraction: 0.3, crash: false });
    expect(faultStateAt(faults, 200)).toMatchObject({ hogBytes: 2 * GiB, slowdown: 1, crash: false });
  });

  it('grows a leak by MiB per minute and keeps it after the window', () => {
    expect(faultStateAt(faults, 60).leakBytes).toBeCloseTo(60 * MiB, 0);
    expect(faultStateAt(faults, 600).leakBytes).toBeCloseTo(120 * MiB, 0);
  });

  it('schedules the next crash', () => {
    expect(nextCrashAt(faults, 0)).toBe(500);
    expect(faultStateAt(faults, 500).crash).toBe(true);
  });
});
