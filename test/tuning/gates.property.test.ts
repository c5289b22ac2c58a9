/**
 * Property tests: random sequences of clock times, armed flags, candidate outcomes (pass, crash, OOM, start
 * failure, hang) and durations drive real tuning runs (fake canaries, no processes) and must hold:
 * no canary starts outside the window; the night's canary seconds never exceed the budget; cooldown and the
 * 24 h rate limit hold; nothing is promoted that did not beat the control of the same run; at most
 * tuning.max_changed knobs differ from the current config; every promotion starts provisional.
 */

import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { hashSeed } from '../../src/core/random.js';
import { atLocal, inWindow, parseDuration } from '../../src/core/time.js';
import type { EngineConfig } from '../../src/core/types.js';
import { type BudgetLedger, readRuns } from '../../src/loop/eligibility/index.js';
import { decidePromotion } from '../../src/loop/tuning/fitness.js';
import { readHistory } from '../../src/loop/tuning/history.js';
import { listPromotions } from '../../src/loop/tuning/promotion.js';
import { runTuning } from '../../src/loop/tuning/tune.js';
import type { CandidateResult } from '../../src/loop/tuning/types.js';
import { changedKnobs } from '../../src/loop/tuning/validate.js';
import { readJson } from '../../src/store/atomic.js';
import { manualClock } from '../../src/system/clock.js';
import { silentLogger } from '../../src/system/log.js';
import { tempState } from '../support/state.js';
import { type Behaviour, FakeCanaries, FakeProduction } from './fakes.js';
import { vllmKnobEngine } from './knob-engine.js';

const WINDOW = '20:00-04:00';
const gatesArb = fc.record({
  budget_s: fc.constantFrom(90, 110, 200, 400),
  cooldown: fc.constantFrom('30m', '2h', '6h'),
  max_runs_24h: fc.constantFrom(1, 1, 2, 3),
});
type Gates = { budget_s: number; cooldown: string; max_runs_24h: number };

function configFor(g: Gates) {
  return configSchema.parse({
    timezone: 'Europe/Berlin',
    target: {
      time_scale: 0.001,
      config: { gpu_memory_utilization: 0.9, max_num_seqs: 256 },
      base_url: 'http://127.0.0.1:18999',
    },
    canary: { mode: 'spare', timeout_s: 40, ports: '18900-18998' },
    eligibility: { window: WINDOW, ...g },
    tuning: { candidates: 3 },
  });
}

const outcomeArb = fc.record({
  kind: fc.constantFrom('pass', 'pass', 'crash', 'oom', 'start_fail', 'hang'),
  ms: fc.integer({ min: 1, max: 12 }),
  goodput: fc.integer({ min: 5, max: 15 }),
});
type OutcomeDraw = { kind: string; ms: number; goodput: number };

function behaviourFrom(draws: OutcomeDraw[]): (c: EngineConfig) => Behaviour {
  return (c) => {
    const d = draws[hashSeed(JSON.stringify(c)) % draws.length] as OutcomeDraw;
    const metrics = { goodput_req_per_s: d.goodput, ttft_ms_p95: 200 };
    switch (d.kind) {
      case 'crash':
        return { outcome: 'crash', probeMs: d.ms };
      case 'oom':
        return { outcome: 'oom', probeMs: d.ms, metrics };
      case 'start_fail':
        return { ready: 'fail', readyMs: d.ms };
      case 'hang':
        return { probeMs: 60, metrics };
      default:
        return { outcome: 'pass', probeMs: d.ms, metrics };
    }
  };
}

// Mostly small steps, so runs meet the window, the cooldown and the budget; now and then a jump of hours.
const stepArb = fc.record({
  advanceMin: fc.oneof(fc.integer({ min: 0, max: 150 }), fc.integer({ min: 0, max: 1440 })),
  flagArmed: fc.boolean(),
  kind: fc.constantFrom('oom', 'latency', 'throughput'),
});

describe('tuning gates and promotion, under random sequences', () => {
  it('hold every safety invariant', async () => {
    // Not vacuous: across all sequences, canaries ran, promotions happened and each gate deferred something.
    const seen = { canaries: 0, promotions: 0, reasons: new Set<string>() };
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 19 * 60, max: 28 * 60 }),
        fc.array(stepArb, { minLength: 2, maxLength: 8 }),
        fc.array(outcomeArb, { minLength: 3, maxLength: 8 }),
        gatesArb,
        async (startMin, steps, draws, gates) => {
          const config = configFor(gates);
          const cooldownMs = parseDuration(gates.cooldown);
          const paths = tempState();
          const clock = manualClock(atLocal('2026-03-27T00:00', config.timezone) + startMin * 60_000);
          const canaries = new FakeCanaries(behaviourFrom(draws), clock, 1000);
          const production = new FakeProduction({ ...config.target.config });
          const currentAt = new Map<number, EngineConfig>();
          for (const step of steps) {
            clock.advance(step.advanceMin * 60_000);
            if (!step.flagArmed) continue;
            const before = canaries.started.length;
            const current = await production.current();
            await runTuning({
              config,
              paths,
              clock,
              log: silentLogger,
              engine: vllmKnobEngine,
              production,
              trigger: { kind: step.kind, severity: 'critical' },
              mode: 'act',
              probe: canaries.probe,
              startInstance: canaries.start,
              allocatePort: canaries.allocatePort,
            });
            for (let i = before; i < canaries.started.length; i++) currentAt.set(i, current);
          }

          seen.canaries += canaries.started.length;
          seen.promotions += listPromotions(paths).length;
          for (const r of readRuns(paths)) if (r.reason?.startsWith('deferred: ')) seen.reasons.add(r.reason);
          // No canary starts outside the window.
          for (const s of canaries.started) expect(inWindow(s.at, WINDOW, config.timezone)).toBe(true);
          // Every canary stopped.
          expect(canaries.started.every((s) => s.stopped)).toBe(true);
          // The night's canary seconds never exceed the budget.
          const dir = join(paths.root, 'maintenance');
          if (existsSync(dir)) {
            for (const f of readdirSync(dir).filter((n) => n.startsWith('budget_'))) {
              const ledger = readJson<BudgetLedger>(join(dir, f));
              expect(ledger?.spent_s ?? 0).toBeLessThanOrEqual(config.eligibility.budget_s);
            }
          }
          // Cooldown and rate limit between runs that ran canaries.
          const ran = readRuns(paths)
            .filter((r) => r.status !== 'deferred')
            .map((r) => r.ts)
            .sort((a, b) => a - b);
          for (let i = 1; i < ran.length; i++) {
            expect((ran[i] as number) - (ran[i - 1] as number)).toBeGreaterThanOrEqual(cooldownMs);
          }
          for (const t of ran) {
            expect(ran.filter((u) => u <= t && t - u < 86_400_000).length).toBeLessThanOrEqual(gates.max_runs_24h);
          }
          // At most max_changed knobs differ from the config production ran when the candidate started.
          canaries.started.forEach((s, i) => {
            const cur = currentAt.get(i) as EngineConfig;
            expect(changedKnobs(vllmKnobEngine, cur, s.config).length).toBeLessThanOrEqual(config.tuning.max_changed);
          });
          // Promotions: provisional first, and only over the control of the same run, by more than the margin.
          const history = readHistory(paths);
          for (const p of listPromotions(paths)) {
            expect(p.states[0]?.state).toBe('provisional');
            const run = history.find((h) => h.run_id === p.run_id);
            expect(run?.control).toBeDefined();
            expect(p.fitness.control).toBe(run?.control?.fitness);
            expect(p.fitness.candidate).toBeGreaterThan(
              (run?.control?.fitness ?? 0) * (1 + config.tuning.fitness.noise_margin),
            );
          }
        },
      ),
      // A fixed seed: the coverage check below (every gate was exercised) must not depend on the draw.
      { numRuns: 50, seed: 20261129 },
    );
    expect(seen.canaries).toBeGreaterThan(0);
    expect(seen.promotions).toBeGreaterThan(0);
    expect([...seen.reasons].sort()).toEqual(
      expect.arrayContaining(['deferred: budget', 'deferred: cooldown', 'deferred: rate_limit', 'deferred: window']),
    );
  }, 60_000);
});

const candArb = fc.record({
  status: fc.constantFrom<CandidateResult['status']>('pass', 'fail', 'oom', 'crash', 'start_failed', 'timeout'),
  fitness: fc.double({ min: 0, max: 3, noNaN: true }),
});

describe('decidePromotion', () => {
  it('never promotes anything that does not beat the control by more than the margin, and promotes the best', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 3, noNaN: true }),
        fc.array(candArb, { maxLength: 8 }),
        fc.double({ min: 0, max: 0.2, noNaN: true }),
        (controlFitness, draws, margin) => {
          const cands: CandidateResult[] = draws.map((d, i) => ({
            role: 'candidate',
            config: { max_num_seqs: 8 * (i + 1) },
            changed: ['max_num_seqs'],
            status: d.status,
            fitness: d.status === 'pass' ? d.fitness : 0,
            metrics: {},
            domains: {},
            evidence: [],
            duration_ms: 1,
            canary_seconds: 1,
          }));
          const d = decidePromotion({ fitness: controlFitness, status: 'pass' }, cands, margin);
          const passing = cands.filter((c) => c.status === 'pass' && c.fitness > 0);
          if (d.decision === 'promote') {
            expect(d.best.status).toBe('pass');
            expect(d.best.fitness).toBeGreaterThan(controlFitness * (1 + margin));
            expect(d.best.fitness).toBe(Math.max(...passing.map((c) => c.fitness)));
          } else if (passing.length > 0) {
            expect(Math.max(...passing.map((c) => c.fitness))).toBeLessThanOrEqual(controlFitness * (1 + margin));
          }
        },
      ),
      { numRuns: 500, seed: 20261129 },
    );
  });
});
