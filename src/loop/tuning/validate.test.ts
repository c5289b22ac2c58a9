import { describe, expect, it } from 'vitest';
import { vllmKnobEngine as vllmEngine } from '../../../test/tuning/knob-engine.js';
import { type ConfigInput, configSchema } from '../../config/schema.js';
import { validateCandidate } from './validate.js';

const cfg = (input: ConfigInput = {}) => configSchema.parse(input);
const current = { gpu_memory_utilization: 0.9, max_num_seqs: 256, max_model_len: 8192 };

function reasons(candidate: Record<string, number | string | boolean>, c = cfg(), ctx = {}): string[] {
  const v = validateCandidate(vllmEngine, current, candidate, c, ctx);
  return v.ok ? [] : v.reasons;
}

describe('validateCandidate', () => {
  it('accepts a change on the grid and in bounds', () => {
    expect(validateCandidate(vllmEngine, current, { ...current, gpu_memory_utilization: 0.85 }, cfg())).toEqual({
      ok: true,
    });
  });

  it('rejects a value below the minimum', () => {
    expect(reasons({ ...current, gpu_memory_utilization: 0.5 })).toEqual([
      'gpu_memory_utilization: 0.5 is below the minimum 0.6',
    ]);
  });

  it('rejects a value off the step', () => {
    expect(reasons({ ...current, gpu_memory_utilization: 0.855 })[0]).toMatch(/not on the step 0.01/);
  });

  it('rejects max_num_seqs that is neither a power of two nor a multiple of 8', () => {
    expect(reasons({ ...current, max_num_seqs: 100 })[0]).toMatch(/neither a power of two nor a multiple of 8/);
    expect(reasons({ ...current, max_num_seqs: 104 })).toEqual([]);
  });

  it('rejects more knobs changed than tuning.max_changed', () => {
    const r = reasons({ gpu_memory_utilization: 0.85, max_num_seqs: 128, max_model_len: 4096 });
    expect(r.some((x) => /3 knobs differ/.test(x))).toBe(true);
  });

  it('rejects a candidate identical to the current config', () => {
    expect(reasons({ ...current })).toEqual(['no knob differs from the current config']);
  });

  it('rejects a broken cross-knob constraint', () => {
    const r = reasons({ ...current, max_num_seqs: 1024, max_num_batched_tokens: 512 });
    expect(r.some((x) => /max_num_batched_tokens \(512\) must be ≥ max_num_seqs \(1024\)/.test(x))).toBe(true);
  });

  it('rejects max_model_len below the context in use unless shorter context is allowed', () => {
    const cand = { ...current, max_model_len: 4096 };
    expect(reasons(cand, cfg(), { contextInUse: 6000 })[0]).toMatch(/below the 6000 tokens of context/);
    expect(reasons(cand, cfg({ tuning: { allow_shorter_context: true } }), { contextInUse: 6000 })).toEqual([]);
  });

  it("rejects max_model_len above the model's maximum", () => {
    expect(reasons({ ...current, max_model_len: 16384 }, cfg(), { modelMaxLen: 8192 })[0]).toMatch(
      /above the maximum 8192 \(the model's maximum context\)/,
    );
  });

  it('applies user bound overrides from tuning.knobs', () => {
    const narrow = cfg({ tuning: { knobs: { max_num_seqs: { min: 8, max: 128 } } } });
    expect(reasons({ ...current, max_num_seqs: 192 }, narrow)[0]).toMatch(/above the maximum 128/);
    const wide = cfg({ tuning: { knobs: { gpu_memory_utilization: { min: 0.5 } } } });
    expect(reasons({ ...current, gpu_memory_utilization: 0.5 }, wide)).toEqual([]);
  });

  it('refuses to change a knob disabled by the user', () => {
    const off = cfg({ tuning: { knobs: { max_num_seqs: { enabled: false } } } });
    expect(reasons({ ...current, max_num_seqs: 128 }, off)[0]).toMatch(/disabled in tuning.knobs.max_num_seqs/);
  });

  it('refuses to change a knob the engine marks as not tuned', () => {
    const engine = {
      ...vllmEngine,
      knobs: [
        ...vllmEngine.knobs,
        {
          name: 'enforce_eager',
          flag: '--enforce-eager',
          via: 'flag' as const,
          type: 'bool' as const,
          tuned: false,
          description: 'no CUDA graphs',
        },
      ],
    };
    const v = validateCandidate(engine, current, { ...current, enforce_eager: true }, cfg());
    expect(v.ok ? [] : v.reasons).toEqual([
      'enforce_eager: not tuned by nightshift (no CUDA graphs), it must keep its current value',
    ]);
  });

  it('rejects an unknown knob', () => {
    expect(reasons({ ...current, warp_drive: 9 })[0]).toMatch(/warp_drive: not a knob of vllm/);
  });
});
