import { describe, expect, it } from 'vitest';
import { configSchema } from '../../config/schema.js';
import { absoluteFloor, atLeast, bandSeverity, judgeConfig, relativeWorsening, ruleFor } from './rules.js';

const band = { warning: 0.2, critical: 0.5 };

describe('thresholds', () => {
  it('are inclusive, robust to floating-point noise', () => {
    expect(atLeast(120 / 100 - 1, 0.2)).toBe(true);
    expect(atLeast(0.199, 0.2)).toBe(false);
  });

  it.each([
    { rel: 0.199, severity: undefined },
    { rel: 0.2, severity: 'warning' },
    { rel: 0.201, severity: 'warning' },
    { rel: 0.499, severity: 'warning' },
    { rel: 0.5, severity: 'critical' },
  ])('a relative worsening of $rel is $severity', ({ rel, severity }) => {
    expect(bandSeverity(rel, band)?.severity).toBe(severity);
  });
});

describe('direction', () => {
  it('comes from the metric: higher latency and lower throughput are worse', () => {
    expect(relativeWorsening('ttft_ms_p95', 200, 240)).toBeCloseTo(0.2, 12);
    expect(relativeWorsening('output_tok_per_s', 2000, 1700)).toBeCloseTo(0.15, 12);
    expect(relativeWorsening('output_tok_per_s', 2000, 2300)).toBeCloseTo(-0.15, 12);
  });
});

describe('floors', () => {
  it('match the metric unit', () => {
    const cfg = judgeConfig(configSchema.parse({}));
    expect(absoluteFloor(ruleFor('ttft_ms_p50')!, cfg)).toEqual({ value: 5, unit: 'ms' });
    expect(absoluteFloor(ruleFor('output_tok_per_s')!, cfg)).toEqual({ value: 1, unit: 'tok/s' });
    expect(absoluteFloor(ruleFor('goodput_req_per_s')!, cfg)).toEqual({ value: 0.05, unit: 'req/s' });
    expect(absoluteFloor(ruleFor('pass_rate')!, cfg)).toBeUndefined();
  });
});
