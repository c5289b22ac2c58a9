/**
 * runTuning's flow with in-process fakes (no processes): gates, budget, quiesced restore, promotion,
 * restore of a failed promotion, recommend mode, and the journal the loop's recovery reads.
 * At time scale 0.01 a real ms is 0.1 model s: the 30 s canary timeout is 300 ms real.
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type ConfigInput, configSchema } from '../../src/config/schema.js';
import { atLocal } from '../../src/core/time.js';
import type { EngineConfig } from '../../src/core/types.js';
import { budgetSpent, chargeBudget, readRuns } from '../../src/loop/eligibility/index.js';
import { writeFlag } from '../../src/loop/symptoms/flags.js';
import { readSymptoms, recordSymptom } from '../../src/loop/symptoms/ledger.js';
import { readHistory } from '../../src/loop/tuning/history.js';
import { listPromotions, readPromotion } from '../../src/loop/tuning/promotion.js';
import { runTuning, type TuningDeps } from '../../src/loop/tuning/tune.js';
import type { StatePaths } from '../../src/store/paths.js';
import { manualClock } from '../../src/system/clock.js';
import { silentLogger } from '../../src/system/log.js';
import { tempState } from '../support/state.js';
import { type BehaviourOf, FakeCanaries, FakeProduction } from './fakes.js';
import { vllmKnobEngine } from './knob-engine.js';

const current: EngineConfig = { gpu_memory_utilization: 0.9, max_num_seqs: 256 };
const good = { goodput_req_per_s: 10, output_tok_per_s: 500, ttft_ms_p95: 200, itl_ms_p95: 20, e2e_ms_p95: 2000 };

function config(input: ConfigInput = {}) {
  return configSchema.parse({
    timezone: 'UTC',
    target: { time_scale: 0.01, config: current, base_url: 'http://127.0.0.1:18999' },
    canary: { mode: 'spare', timeout_s: 30, ports: '18900-18998' },
    eligibility: { budget_s: 1000 },
    tuning: { candidates: 3 },
    ...input,
  });
}

/** The current config OOMs; lower gpu_memory_utilization passes, 0.85 best. */
const oomFix: BehaviourOf = (c) => {
  if (c.gpu_memory_utilization === 0.9 && c.max_num_seqs === 256) return { outcome: 'oom', metrics: good };
  if (c.gpu_memory_utilization === 0.85) return { outcome: 'pass', metrics: { ...good, goodput_req_per_s: 12 } };
  return { outcome: 'pass', metrics: good };
};

function setup(
  opts: {
    cfg?: ReturnType<typeof config>;
    behaviour?: BehaviourOf;
    at?: string;
    applyOk?: (c: EngineConfig) => boolean;
  } = {},
) {
  const paths = tempState();
  const clock = manualClock(atLocal(opts.at ?? '2026-06-10T03:30', 'UTC'));
  const canaries = new FakeCanaries(opts.behaviour ?? oomFix);
  const production = new FakeProduction({ ...current }, opts.applyOk);
  const journal: [string, Record<string, unknown>][] = [];
  const cfg = opts.cfg ?? config();
  writeFlag(paths, {
    schema: 'nightshift.flag/v1',
    kind: 'oom',
    set_at: clock.now(),
    expires_at: clock.now() + 4 * 3_600_000,
    symptom_count: 3,
    symptom_ids: ['sym_1'],
    reason: 'test',
    severity: 'critical',
    mode: 'act',
  });
  const deps: TuningDeps = {
    config: cfg,
    paths,
    clock,
    log: silentLogger,
    engine: vllmKnobEngine,
    production,
    trigger: { kind: 'oom', severity: 'critical', symptoms: ['sym_1'] },
    mode: 'act',
    journal: (step, data) => journal.push([step, data as Record<string, unknown>]),
    probe: canaries.probe,
    startInstance: canaries.start,
    allocatePort: canaries.allocatePort,
  };
  return { paths, clock, canaries, production, journal, deps };
}

const flagArmed = (paths: StatePaths) => existsSync(paths.flagFile('oom'));

describe('runTuning', () => {
  it('promotes the best candidate that beats an OOMing control, applies it and clears the flag', async () => {
    const { deps, paths, production } = setup();
    const run = await runTuning(deps);
    expect(run.status).toBe('success');
    expect(run.control?.status).toBe('oom');
    expect(run.best?.config).toEqual({ ...current, gpu_memory_utilization: 0.85 });
    expect(production.config).toEqual({ ...current, gpu_memory_utilization: 0.85 });
    expect(flagArmed(paths)).toBe(false);
    const promo = readPromotion(paths, run.promotion_id as string);
    expect(promo).toMatchObject({
      state: 'provisional',
      previous_config: current,
      diff: { gpu_memory_utilization: { from: 0.9, to: 0.85 } },
    });
    expect(promo.triggering_symptoms).toEqual({ kind: 'oom', severity: 'critical', ids: ['sym_1'] });
  });

  it("steers candidates by the evidence of the trigger's symptoms (vLLM's estimated maximum model length)", async () => {
    const { deps, paths, clock } = setup({ behaviour: () => ({ outcome: 'pass', metrics: good }) });
    const line = 'ValueError: ... Based on the available memory, the estimated maximum model length is 5000. Try ...';
    const s = recordSymptom(paths, clock, 'UTC', {
      kind: 'oom',
      mode: 'act',
      meta: { evidence: [{ source: 'log', line }] },
    });
    const run = await runTuning({
      ...deps,
      production: new FakeProduction({ ...current, max_model_len: 8192 }),
      trigger: { kind: 'oom', severity: 'critical', symptoms: [s.id] },
    });
    expect(run.candidates[0]?.config).toEqual({ ...current, max_model_len: 4608 });
  });

  it('records one history record and one runs-ledger entry per run', async () => {
    const { deps, paths } = setup();
    const run = await runTuning(deps);
    const history = readHistory(paths);
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({
      run_id: run.run_id,
      status: 'success',
      promoted: true,
      promotion_id: run.promotion_id,
    });
    expect(history[0]?.candidates).toHaveLength(3);
    expect(readRuns(paths)).toMatchObject([{ run_id: run.run_id, status: 'success', subsystem: 'engine_config' }]);
  });

  it('journals every canary start and stop, and the promotion begin and end', async () => {
    const { deps, journal } = setup();
    const run = await runTuning(deps);
    const steps = journal.map(([s]) => s);
    expect(steps.filter((s) => s === 'canary_started')).toHaveLength(4);
    expect(steps.filter((s) => s === 'canary_stopped')).toHaveLength(4);
    expect(steps.slice(-2)).toEqual(['promotion_begin', 'promotion_end']);
    expect(journal.at(-1)?.[1]).toEqual({ promotion_id: run.promotion_id, state: 'provisional' });
  });

  it('stops every canary it started', async () => {
    const { deps, canaries } = setup();
    await runTuning(deps);
    expect(canaries.started.every((s) => s.stopped)).toBe(true);
  });

  it('defers outside the window: nothing started, the flag stays armed', async () => {
    const { deps, paths, canaries, production } = setup({ at: '2026-06-10T12:00' });
    const run = await runTuning(deps);
    expect(run).toMatchObject({ status: 'deferred', reason: 'deferred: window', promoted: false });
    expect(canaries.started).toHaveLength(0);
    expect(production.calls).toEqual([]);
    expect(flagArmed(paths)).toBe(true);
    expect(readRuns(paths)[0]?.status).toBe('deferred');
  });

  it('defers for the budget without touching production when the night has nearly spent it', async () => {
    const cfg = config({
      canary: { mode: 'quiesced', timeout_s: 30, ports: '18900-18998' },
      eligibility: { budget_s: 60 },
    });
    const { deps, paths, clock, canaries, production } = setup({ cfg });
    chargeBudget(paths, clock, cfg, 20);
    const run = await runTuning(deps);
    expect(run).toMatchObject({ status: 'deferred', reason: 'deferred: budget' });
    expect(canaries.started).toHaveLength(0);
    expect(production.calls).toEqual([]);
    expect(flagArmed(paths)).toBe(true);
  });

  it('stops before a candidate the rest of the budget cannot cover, and charges every canary', async () => {
    const cfg = config({ eligibility: { budget_s: 80 } });
    const slow: BehaviourOf = (c) => ({ ...oomFix(c), probeMs: 200 });
    const { deps, paths } = setup({ cfg, behaviour: slow });
    const run = await runTuning(deps);
    // control + candidates of ~20-25 s each: the run stops once less than one 30 s timeout is left
    const spent = budgetSpent(paths, '20260610');
    expect(run.candidates.length).toBeLessThan(3);
    expect(spent).toBeLessThanOrEqual(80);
    expect(spent).toBeGreaterThan(80 - 30);
    expect(spent).toBeCloseTo(run.canary_seconds, 2);
  });

  it('charges a candidate that crashes', async () => {
    const crash: BehaviourOf = (c) =>
      c.gpu_memory_utilization === 0.85 ? { outcome: 'crash', probeMs: 5 } : oomFix(c);
    const { deps } = setup({ behaviour: crash });
    const run = await runTuning(deps);
    const crashed = run.candidates.find((c) => c.status === 'crash');
    expect(crashed?.canary_seconds).toBeGreaterThan(0.4);
  });

  it('fails a candidate that cannot start with its evidence line', async () => {
    const noStart: BehaviourOf = (c) => (c.gpu_memory_utilization === 0.85 ? { ready: 'fail' } : oomFix(c));
    const { deps } = setup({ behaviour: noStart });
    const run = await runTuning(deps);
    const failed = run.candidates.find((c) => c.config.gpu_memory_utilization === 0.85);
    expect(failed).toMatchObject({ status: 'start_failed', fitness: 0 });
    expect(failed?.evidence[0]?.line).toMatch(/No available memory/);
  });

  it('times a canary out and kills it', async () => {
    const hang: BehaviourOf = (c) => (c.gpu_memory_utilization === 0.85 ? { probeMs: 500 } : oomFix(c));
    const { deps, canaries } = setup({ behaviour: hang });
    const run = await runTuning(deps);
    const timedOut = run.candidates.find((c) => c.config.gpu_memory_utilization === 0.85);
    expect(timedOut?.status).toBe('timeout');
    expect(timedOut?.canary_seconds).toBeLessThanOrEqual(30);
    expect(canaries.started.every((s) => s.stopped)).toBe(true);
  });

  it('ends no_improvement when nothing beats a passing control beyond the noise margin', async () => {
    const flat: BehaviourOf = () => ({ outcome: 'pass', metrics: good });
    const { deps, paths, production } = setup({ behaviour: flat });
    const run = await runTuning(deps);
    expect(run.status).toBe('no_improvement');
    expect(production.calls).toEqual([]);
    expect(listPromotions(paths)).toEqual([]);
    expect(flagArmed(paths)).toBe(true);
  });

  it('fails an fp8 candidate whose correctness domain did not pass', async () => {
    const cfg = config({ tuning: { candidates: 10 } });
    const { deps } = setup({ cfg, behaviour: () => ({ outcome: 'pass', metrics: good }) });
    const run = await runTuning(deps);
    const fp8 = run.candidates.find((c) => c.config.kv_cache_dtype === 'fp8');
    expect(fp8).toMatchObject({ status: 'fail', fitness: 0 });
    expect(fp8?.reason).toMatch(/correctness domain passes/);
  });

  it('ends all_failed when every candidate fails', async () => {
    const allOom: BehaviourOf = () => ({ outcome: 'oom' });
    const { deps } = setup({ behaviour: allOom });
    expect((await runTuning(deps)).status).toBe('all_failed');
  });

  it('in recommend mode proposes and leaves production and the flag alone', async () => {
    const { deps, paths, production } = setup();
    const run = await runTuning({ ...deps, mode: 'recommend' });
    expect(run).toMatchObject({ status: 'success', promoted: false, promotion_state: 'proposed' });
    expect(readPromotion(paths, run.promotion_id as string).state).toBe('proposed');
    expect(production.calls).toEqual([]);
    expect(flagArmed(paths)).toBe(true);
  });

  it('restores the previous config when the promoted one is not healthy', async () => {
    const { deps, paths, production } = setup({ applyOk: (c) => c.gpu_memory_utilization !== 0.85 });
    const run = await runTuning(deps);
    expect(run).toMatchObject({ promoted: false, promotion_state: 'restored' });
    expect(production.applied.at(-1)).toEqual(current);
    expect(await production.health()).toBe(true);
    const promo = readPromotion(paths, run.promotion_id as string);
    expect(promo.state).toBe('restored');
    expect(promo.states.map((s) => s.state)).toEqual(['provisional', 'restored']);
    expect(promo.reason).toMatch(/CUDA out of memory; previous config restored/);
    expect(flagArmed(paths)).toBe(true);
  });

  it('in quiesced mode stops production first and restarts it with its own config', async () => {
    const cfg = config({ canary: { mode: 'quiesced', timeout_s: 30, ports: '18900-18998' } });
    const { deps, production } = setup({ cfg, behaviour: () => ({ outcome: 'pass', metrics: good }) });
    const run = await runTuning(deps);
    expect(production.calls).toEqual(['stop', 'apply']);
    expect(production.applied).toEqual([current]);
    expect(run.restore_s).toBeDefined();
  });

  it('in quiesced mode keeps the measured restore time in the history record', async () => {
    const cfg = config({ canary: { mode: 'quiesced', timeout_s: 30, ports: '18900-18998' } });
    const { deps, paths } = setup({ cfg, behaviour: () => ({ outcome: 'pass', metrics: good }) });
    const run = await runTuning(deps);
    expect(readHistory(paths)[0]?.restore_s).toBe(run.restore_s);
    expect(typeof run.restore_s).toBe('number');
  });

  it('records a restore_sla_miss symptom when production comes back late', async () => {
    const cfg = config({ canary: { mode: 'quiesced', timeout_s: 30, restore_sla_s: 5, ports: '18900-18998' } });
    const { deps, paths, clock } = setup({ cfg, behaviour: () => ({ outcome: 'pass', metrics: good }) });
    const slow = new FakeProduction({ ...current }, () => true, 100);
    const run = await runTuning({ ...deps, production: slow });
    expect(run.restore_s).toBeGreaterThan(5);
    const symptoms = readSymptoms(paths, 'UTC', clock.now() - 86_400_000, clock.now());
    expect(symptoms.map((s) => s.kind)).toEqual(['restore_sla_miss']);
  });

  it('is aborted by its signal, still stopping canaries and restoring production', async () => {
    const cfg = config({ canary: { mode: 'quiesced', timeout_s: 30, ports: '18900-18998' } });
    const ac = new AbortController();
    const slow: BehaviourOf = () => ({ outcome: 'pass', metrics: good, probeMs: 10 });
    const { deps, canaries, production } = setup({ cfg, behaviour: slow });
    setTimeout(() => ac.abort(new Error('SIGTERM')), 5);
    const run = await runTuning({ ...deps, signal: ac.signal });
    expect(run.status).toBe('aborted');
    expect(canaries.started.every((s) => s.stopped)).toBe(true);
    expect(production.calls).toEqual(['stop', 'apply']);
  });
});
