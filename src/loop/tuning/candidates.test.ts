import { describe, expect, it } from 'vitest';
import { vllmKnobEngine as vllmEngine } from '../../../test/tuning/knob-engine.js';
import { type ConfigInput, configSchema } from '../../config/schema.js';
import { seededRng } from '../../core/random.js';
import type { EngineConfig } from '../../core/types.js';
import { estimatedMaxModelLen, generateCandidates, generateCandidatesExplained, symptomClass } from './candidates.js';
import type { CandidateResult, HistoryRecord } from './types.js';
import { changedKnobs, validateCandidate } from './validate.js';

const cfg = (input: ConfigInput = {}) => configSchema.parse(input);
const current: EngineConfig = { gpu_memory_utilization: 0.9, max_num_seqs: 256, max_model_len: 32768 };
const oom = { kind: 'oom', severity: 'critical' as const };

function gen(overrides: Partial<Parameters<typeof generateCandidates>[0]> = {}): EngineConfig[] {
  return generateCandidates({
    engine: vllmEngine,
    current,
    trigger: oom,
    history: [],
    cfg: cfg(),
    ctx: { contextInUse: 6000 },
    rng: seededRng(1),
    ...overrides,
  });
}

function result(config: EngineConfig, status: CandidateResult['status'], fitness = 0): CandidateResult {
  return {
    role: 'candidate',
    config,
    changed: [],
    status,
    fitness,
    metrics: {},
    domains: {},
    evidence: [],
    duration_ms: 1,
    canary_seconds: 1,
  };
}

function history(candidates: CandidateResult[], controlFitness = 0): HistoryRecord {
  return {
    schema: 'nightshift.tuning_run/v1',
    run_id: 'tune_x',
    ts: 0,
    mode: 'act',
    engine: 'vllm',
    model: cfg().target.model,
    canary_mode: 'quiesced',
    trigger: oom,
    current_config: current,
    control: { ...result(current, controlFitness > 0 ? 'pass' : 'oom', controlFitness), role: 'control' },
    candidates,
    promoted: false,
    status: 'no_improvement',
    canary_seconds: 1,
    duration_ms: 1,
  };
}

describe('generateCandidates', () => {
  it('returns the configured number of distinct valid candidates', () => {
    const out = gen();
    expect(out).toHaveLength(6);
    expect(new Set(out.map((c) => JSON.stringify(c))).size).toBe(6);
    for (const c of out)
      expect(validateCandidate(vllmEngine, current, c, cfg(), { contextInUse: 6000 })).toEqual({ ok: true });
  });

  it('lowers memory pressure for an OOM', () => {
    for (const c of gen().slice(0, 4)) {
      const lowered =
        (c.gpu_memory_utilization as number) < 0.9 ||
        (c.max_num_seqs as number) < 256 ||
        (c.max_model_len as number) < 32768 ||
        c.max_num_batched_tokens !== undefined;
      expect(lowered).toBe(true);
    }
  });

  it("uses vLLM's estimated maximum model length first when the evidence carries it", () => {
    const line = 'ValueError: ... the estimated maximum model length is 12345. Try increasing gpu_memory_utilization';
    const out = gen({ trigger: { ...oom, evidence: [{ source: 'log', line }] } });
    expect(out[0]).toEqual({ ...current, max_model_len: 12288 });
  });

  it('lowers max_num_batched_tokens or max_num_seqs for a latency regression', () => {
    const out = gen({
      trigger: { kind: 'latency', severity: 'warning' },
      current: { ...current, max_num_batched_tokens: 8192 },
    });
    expect(out[0]).toMatchObject({ max_num_batched_tokens: 4096 });
    expect(out[1]).toMatchObject({ max_num_seqs: 128 });
  });

  it('raises max_num_seqs or utilization for a throughput drop', () => {
    const out = gen({ trigger: { kind: 'throughput', severity: 'warning' } });
    expect(out[0]).toMatchObject({ max_num_seqs: 512 });
    expect(out[1]).toMatchObject({ gpu_memory_utilization: 0.95 });
  });

  it('never proposes a config that crashed before', () => {
    const crashed = { ...current, max_num_seqs: 128 };
    const out = gen({ history: [history([result(crashed, 'crash')])] });
    expect(out).not.toContainEqual(crashed);
    expect(out).toContainEqual({ ...current, max_num_seqs: 64 });
  });

  it('never proposes a config that could not start, nor a bigger move the same way', () => {
    const crashed = { ...current, gpu_memory_utilization: 0.85 };
    const out = gen({ history: [history([result(crashed, 'start_failed')])] });
    for (const c of out) {
      expect(c).not.toEqual(crashed);
      const only = changedKnobs(vllmEngine, current, c);
      if (only.length === 1 && only[0] === 'gpu_memory_utilization') {
        expect(c.gpu_memory_utilization as number).toBeGreaterThan(0.85);
      }
    }
  });

  it('never proposes a config whose promotion was rolled back, even one that beat its control before', () => {
    const rolledBack = { ...current, max_num_seqs: 64 };
    const out = gen({ history: [history([result(rolledBack, 'pass', 1.3)], 1)], rejected: [rolledBack] });
    expect(out).not.toContainEqual(rolledBack);
    expect(out.length).toBeGreaterThan(0);
  });

  it('proposes a config that beat its control before first', () => {
    const good = { ...current, max_num_seqs: 64 };
    const out = gen({ history: [history([result(good, 'pass', 1.3)], 1)] });
    expect(out[0]).toEqual(good);
  });

  it('tries an fp8 KV cache only when the canary runs the correctness domain', () => {
    const many = (domains: ('interactive' | 'correctness')[]) =>
      gen({ cfg: cfg({ tuning: { candidates: 10 }, canary: { domains } }) }).filter((c) => c.kv_cache_dtype === 'fp8');
    expect(many(['interactive', 'correctness'])).toHaveLength(1);
    expect(many(['interactive'])).toHaveLength(0);
  });

  it('is deterministic for a seed', () => {
    expect(gen({ rng: seededRng(7) })).toEqual(gen({ rng: seededRng(7) }));
  });

  it('explains each candidate', () => {
    const out = generateCandidatesExplained({
      engine: vllmEngine,
      current,
      trigger: oom,
      history: [],
      cfg: cfg(),
      ctx: {},
      rng: seededRng(1),
    });
    expect(out[0]?.why).toMatch(/gpu_memory_utilization/);
    expect(out[0]?.changed).toEqual(['gpu_memory_utilization']);
  });

  it('fills up with exploration when the directed moves run out', () => {
    const out = gen({ trigger: { kind: 'pass_rate', severity: 'critical' }, cfg: cfg({ tuning: { candidates: 10 } }) });
    expect(out).toHaveLength(10);
  });
});

describe('symptom parsing', () => {
  it('classifies symptom kinds', () => {
    expect(symptomClass('oom')).toBe('oom');
    expect(symptomClass('ttft_regression')).toBe('latency');
    expect(symptomClass('throughput_drop')).toBe('throughput');
    expect(symptomClass('pass_rate')).toBe('other');
  });

  it('reads the smallest estimated maximum model length', () => {
    expect(
      estimatedMaxModelLen([
        { source: 'log', line: 'the estimated maximum model length is 9000' },
        { source: 'log', line: 'the estimated maximum model length is 7000.' },
      ]),
    ).toBe(7000);
  });
});
