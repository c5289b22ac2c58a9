import { describe, expect, it } from 'vitest';
import type { KnobSpec } from './engine.js';
import { checkValue, formatValue, renderEnv, renderFlags, renderKnobEnv } from './knobs.js';

const float: KnobSpec = {
  name: 'gpu_memory_utilization',
  flag: '--gpu-memory-utilization',
  via: 'flag',
  type: 'float',
  min: 0.6,
  max: 0.95,
  step: 0.01,
  description: '',
};
const seqs: KnobSpec = {
  name: 'max_num_seqs',
  flag: '--max-num-seqs',
  via: 'flag',
  type: 'int',
  min: 8,
  max: 1024,
  grid: 'pow2_or_mult8',
  description: '',
};
const prefix: KnobSpec = {
  name: 'enable_prefix_caching',
  flag: '--enable-prefix-caching',
  falseFlag: '--no-enable-prefix-caching',
  via: 'flag',
  type: 'bool',
  description: '',
};
const parallel: KnobSpec = {
  name: 'num_parallel',
  flag: 'OLLAMA_NUM_PARALLEL',
  via: 'env',
  type: 'int',
  min: 1,
  max: 32,
  step: 1,
  description: '',
};

describe('knob rendering', () => {
  it('renders floats without binary noise', () => {
    expect(formatValue(float, 0.1 + 0.2)).toBe('0.3');
  });

  it('renders flags in spec order, then unknown keys sorted in kebab case', () => {
    const argv = renderFlags([float, seqs], {
      zeta: 1,
      max_num_seqs: 64,
      gpu_memory_utilization: 0.9,
      alpha_beta: 'x',
    });
    expect(argv).toEqual([
      '--gpu-memory-utilization',
      '0.9',
      '--max-num-seqs',
      '64',
      '--alpha-beta',
      'x',
      '--zeta',
      '1',
    ]);
  });

  it('renders a false boolean with its negative flag, or as --no-x when it has no spec', () => {
    expect(renderFlags([prefix], { enable_prefix_caching: false, enforce_eager: false })).toEqual([
      '--no-enable-prefix-caching',
      '--no-enforce-eager',
    ]);
  });

  it('leaves env knobs out of flags and renders them as environment', () => {
    expect(renderFlags([parallel], { num_parallel: 4 })).toEqual([]);
    expect(renderEnv([parallel], { num_parallel: 4 })).toEqual({ OLLAMA_NUM_PARALLEL: '4' });
  });

  it('renders one NIGHTSHIFT_<KNOB> variable per config key', () => {
    expect(renderKnobEnv([float], { gpu_memory_utilization: 0.85, enforce_eager: true })).toEqual({
      NIGHTSHIFT_GPU_MEMORY_UTILIZATION: '0.85',
      NIGHTSHIFT_ENFORCE_EAGER: 'true',
    });
  });
});

describe('knob value checks', () => {
  it('accepts a value on the step inside the bounds', () => {
    expect(checkValue(float, 0.87)).toBeUndefined();
  });

  it('rejects a value outside the bounds, naming the bound', () => {
    expect(checkValue(float, 0.97)).toMatch(/above the maximum 0.95/);
  });

  it('rejects a value off the step', () => {
    expect(checkValue(float, 0.875)).toMatch(/not on the step/);
  });

  it('accepts powers of two and multiples of 8 on the pow2_or_mult8 grid and nothing else', () => {
    expect([8, 16, 24, 48, 256, 1024].map((v) => checkValue(seqs, v))).toEqual(Array(6).fill(undefined));
    expect(checkValue(seqs, 12)).toMatch(/neither a power of two nor a multiple of 8/);
  });

  it('rejects a wrong type', () => {
    expect(checkValue(prefix, 'yes')).toMatch(/expected true or false/);
  });
});
