/**
 * Candidate generation, pure. Strategy (simple on purpose; a later issue measures it against grid and random
 * search):
 *
 * 1. Directed moves by the trigger's symptom kind, in order of how likely they are to help:
 *    - oom: max_model_len down to vLLM's "estimated maximum model length is N" when the evidence carries it;
 *      gpu_memory_utilization −0.05 / −0.10; max_num_seqs halved / quartered; max_num_batched_tokens halved;
 *      pairs of the first of these; last, an fp8 KV cache (only when the canary runs the correctness domain).
 *    - latency: max_num_batched_tokens halved / ×¾; max_num_seqs halved / ×¾; prefix caching on; the pair.
 *    - throughput: max_num_seqs ×2 / ×1.5; gpu_memory_utilization +0.05 (where memory allows, i.e. within
 *      bounds); max_num_batched_tokens ×2; prefix caching on; the pair; an fp8 KV cache (as for oom).
 *    - anything else: one grid step up and down on each enabled knob.
 *    Every value is snapped onto the knob's grid and clamped to its (user-adjusted) bounds.
 * 2. History (every canary ever measured for this engine + model + hardware): a config that failed to start,
 *    crashed or OOMed is infeasible; a move that goes at least as far in the same direction on the same knobs
 *    as one that failed to start is too (startup limits are monotonic; a runtime OOM is not). Moves toward a
 *    config that passed and beat its control are preferred, and that config itself (projected onto the
 *    current one) is proposed first.
 *    A config whose promotion was rolled back (or restored by hand) is infeasible too (`rejected`): it beat
 *    its canary once and failed production anyway, so the canary would pick it again every night.
 * 3. Exploration fills the rest: random grid neighbours (1–3 steps) of the current config, from the seeded rng.
 * Every candidate is distinct, differs from the current config, and passes `validateCandidate`.
 */
import type { Config } from '../../config/schema.js';
import type { Rng } from '../../core/random.js';
import type { EngineConfig, Evidence } from '../../core/types.js';
import type { Engine } from '../../targets/engine.js';
import { hardwareOf } from './history.js';
import { type HistoryRecord, INFEASIBLE, type Trigger } from './types.js';
import {
  changedKnobs,
  type EffectiveKnob,
  effectiveKnobs,
  knobValue,
  maxOf,
  sameValue,
  type ValidationContext,
  validateCandidate,
} from './validate.js';

export interface CandidateInput {
  engine: Engine;
  current: EngineConfig;
  trigger: Pick<Trigger, 'kind' | 'severity' | 'evidence'>;
  history: readonly HistoryRecord[];
  /** configs production rejected: promotions of this engine + model that were rolled back or restored */
  rejected?: readonly EngineConfig[];
  cfg: Config;
  ctx: ValidationContext;
  rng: Rng;
}

export interface ExplainedCandidate {
  config: EngineConfig;
  changed: string[];
  /** the move that produced it, in words */
  why: string;
}

export type SymptomClass = 'oom' | 'latency' | 'throughput' | 'other';

export function symptomClass(kind: string): SymptomClass {
  const k = kind.toLowerCase();
  if (/oom|memory|kv_cache|preempt|startup_fail/.test(k)) return 'oom';
  if (/latency|ttft|itl|tpot|e2e|queue/.test(k)) return 'latency';
  if (/throughput|goodput|tok_per_s|req_per_s/.test(k)) return 'throughput';
  return 'other';
}

/** vLLM: "... the estimated maximum model length is 12288 ..." */
export function estimatedMaxModelLen(evidence: readonly Evidence[] | undefined): number | undefined {
  let best: number | undefined;
  for (const e of evidence ?? []) {
    const carried = (e as Evidence & { estimatedMaxModelLen?: unknown }).estimatedMaxModelLen;
    const m = /estimated maximum model length is (\d+)/i.exec(e.line);
    const n = typeof carried === 'number' ? carried : m ? Number(m[1]) : undefined;
    if (n !== undefined && Number.isFinite(n) && n > 0) best = best === undefined ? n : Math.min(best, n);
  }
  return best;
}

type Change = Record<string, number | string | boolean>;
interface Move {
  change: Change;
  why: string;
  score: number;
}

function round10(n: number): number {
  return Number(n.toFixed(10));
}

/** Snap a number onto the knob's grid, rounding in `dir`, then clamp to its bounds (staying on the grid). */
export function snap(
  knob: EffectiveKnob,
  value: number,
  dir: 'down' | 'up' | 'nearest',
  ctx: ValidationContext,
): number {
  const lo = knob.min;
  const hi = maxOf(knob, ctx);
  const clampToBounds = (v: number) => Math.min(hi ?? v, Math.max(lo ?? v, v));
  let v = clampToBounds(value);
  if (knob.grid === 'pow2_or_mult8') {
    v = dir === 'up' ? gridUp(v) : dir === 'down' ? gridDown(v) : nearestOf(v, gridDown(v), gridUp(v));
    if (hi !== undefined && v > hi) v = gridDown(hi);
    if (lo !== undefined && v < lo) v = gridUp(lo);
    return v;
  }
  if (knob.step !== undefined) {
    const base = lo ?? 0;
    const k = (v - base) / knob.step;
    const kk = dir === 'up' ? Math.ceil(k - 1e-9) : dir === 'down' ? Math.floor(k + 1e-9) : Math.round(k);
    v = round10(base + kk * knob.step);
    if (hi !== undefined && v > hi + 1e-9) v = round10(base + Math.floor((hi - base) / knob.step + 1e-9) * knob.step);
    return v;
  }
  return knob.type === 'int' ? (dir === 'up' ? Math.ceil(v) : dir === 'down' ? Math.floor(v) : Math.round(v)) : v;
}

function gridDown(v: number): number {
  if (v >= 8) return Math.floor(v / 8) * 8;
  return v < 1 ? 1 : 2 ** Math.floor(Math.log2(v));
}
function gridUp(v: number): number {
  if (v > 8) return Math.ceil(v / 8) * 8;
  return v <= 1 ? 1 : 2 ** Math.ceil(Math.log2(v));
}
function nearestOf(v: number, a: number, b: number): number {
  return Math.abs(v - a) <= Math.abs(b - v) ? a : b;
}

/** Builds moves for one config: scale or shift a numeric knob, set a bool or enum. */
class Mover {
  constructor(
    private readonly knobs: Map<string, EffectiveKnob>,
    private readonly current: EngineConfig,
    private readonly ctx: ValidationContext,
  ) {}

  private numeric(name: string): { knob: EffectiveKnob; value: number } | undefined {
    const knob = this.knobs.get(name);
    if (!knob?.enabled || (knob.type !== 'int' && knob.type !== 'float')) return undefined;
    const value = knobValue(this.current, knob);
    return typeof value === 'number' ? { knob, value } : undefined;
  }

  scale(name: string, factor: number): Change | undefined {
    const n = this.numeric(name);
    if (!n) return undefined;
    const v = snap(n.knob, n.value * factor, factor < 1 ? 'down' : 'up', this.ctx);
    return sameValue(v, n.value) ? undefined : { [name]: v };
  }

  shift(name: string, delta: number): Change | undefined {
    const n = this.numeric(name);
    if (!n) return undefined;
    const v = snap(n.knob, n.value + delta, delta < 0 ? 'down' : 'up', this.ctx);
    return sameValue(v, n.value) ? undefined : { [name]: v };
  }

  /** k grid steps up (k > 0) or down; on the pow2_or_mult8 grid: …, 4, 8, 16, 24, … */
  steps(name: string, k: number): Change | undefined {
    const n = this.numeric(name);
    if (!n) return undefined;
    let v = n.value;
    for (let i = 0; i < Math.abs(k); i++) {
      if (n.knob.grid === 'pow2_or_mult8') v = k > 0 ? (v < 8 ? v * 2 : v + 8) : v <= 8 ? v / 2 : v - 8;
      else v += Math.sign(k) * (n.knob.step ?? 1);
    }
    const s = snap(n.knob, v, k < 0 ? 'down' : 'up', this.ctx);
    return sameValue(s, n.value) ? undefined : { [name]: s };
  }

  /** Set a numeric knob to a target, floored onto its grid and clamped to its bounds. */
  setNumber(name: string, target: number): Change | undefined {
    const n = this.numeric(name);
    if (!n) return undefined;
    const v = snap(n.knob, target, 'down', this.ctx);
    return sameValue(v, n.value) ? undefined : { [name]: v };
  }

  set(name: string, value: boolean | string): Change | undefined {
    const knob = this.knobs.get(name);
    if (!knob?.enabled) return undefined;
    if (knob.type === 'enum' && !(knob.values ?? []).includes(String(value))) return undefined;
    return sameValue(knobValue(this.current, knob), value) ? undefined : { [name]: value };
  }
}

function pair(a: Change | undefined, b: Change | undefined): Change | undefined {
  return a && b ? { ...a, ...b } : undefined;
}

const FP8_WHY = 'fp8 KV cache: half the KV memory (promoted only if the correctness domain passes)';

function directedMoves(
  cls: SymptomClass,
  m: Mover,
  estimate: number | undefined,
  knobs: Map<string, EffectiveKnob>,
  fp8: boolean,
): Move[] {
  const list: [Change | undefined, string][] = [];
  switch (cls) {
    case 'oom': {
      const mml = estimate !== undefined ? m.setNumber('max_model_len', estimate) : undefined;
      const u5 = m.shift('gpu_memory_utilization', -0.05);
      const s2 = m.scale('max_num_seqs', 0.5);
      const b2 = m.scale('max_num_batched_tokens', 0.5);
      list.push(
        [mml, `max_model_len to vLLM's estimated maximum ${estimate}`],
        [u5, 'gpu_memory_utilization −0.05: more headroom outside the KV cache'],
        [s2, 'max_num_seqs halved: fewer sequences share the KV cache'],
        [m.shift('gpu_memory_utilization', -0.1), 'gpu_memory_utilization −0.10'],
        [pair(u5, s2), 'gpu_memory_utilization −0.05 and max_num_seqs halved'],
        [b2, 'max_num_batched_tokens halved: smaller prefill activations'],
        [m.scale('max_num_seqs', 0.25), 'max_num_seqs quartered'],
        [pair(s2, b2), 'max_num_seqs and max_num_batched_tokens halved'],
        [pair(mml, s2), 'max_model_len to the estimate and max_num_seqs halved'],
        [fp8 ? m.set('kv_cache_dtype', 'fp8') : undefined, FP8_WHY],
      );
      break;
    }
    case 'latency': {
      const b2 = m.scale('max_num_batched_tokens', 0.5);
      const s2 = m.scale('max_num_seqs', 0.5);
      list.push(
        [b2, 'max_num_batched_tokens halved: shorter prefill chunks stall decodes less'],
        [s2, 'max_num_seqs halved: smaller decode batches'],
        [m.scale('max_num_batched_tokens', 0.75), 'max_num_batched_tokens ×¾'],
        [m.scale('max_num_seqs', 0.75), 'max_num_seqs ×¾'],
        [m.set('enable_prefix_caching', true), 'prefix caching on: repeated prefixes skip prefill'],
        [pair(b2, s2), 'max_num_batched_tokens and max_num_seqs halved'],
      );
      break;
    }
    case 'throughput': {
      const s2 = m.scale('max_num_seqs', 2);
      const u5 = m.shift('gpu_memory_utilization', 0.05);
      list.push(
        [s2, 'max_num_seqs doubled: larger decode batches'],
        [u5, 'gpu_memory_utilization +0.05: more KV cache'],
        [m.scale('max_num_seqs', 1.5), 'max_num_seqs ×1.5'],
        [m.scale('max_num_batched_tokens', 2), 'max_num_batched_tokens doubled'],
        [m.set('enable_prefix_caching', true), 'prefix caching on'],
        [pair(s2, u5), 'max_num_seqs doubled and gpu_memory_utilization +0.05'],
        [fp8 ? m.set('kv_cache_dtype', 'fp8') : undefined, FP8_WHY],
      );
      break;
    }
    case 'other': {
      for (const k of knobs.values()) {
        if (k.type === 'int' || k.type === 'float') {
          list.push([m.steps(k.name, -1), `${k.name} one step down`], [m.steps(k.name, 1), `${k.name} one step up`]);
        }
      }
      break;
    }
  }
  return list
    .filter((x): x is [Change, string] => x[0] !== undefined)
    .map(([change, why], i) => ({ change, why, score: 100 - i * 5 }));
}

function canonical(engine: Engine, config: EngineConfig): string {
  const effective: EngineConfig = { ...config };
  for (const k of engine.knobs) {
    const v = knobValue(config, k);
    if (v !== undefined) effective[k.name] = v;
  }
  return JSON.stringify(Object.entries(effective).sort(([a], [b]) => a.localeCompare(b)));
}

/** Signed direction of each changed numeric knob, relative to the current config. */
function direction(engine: Engine, current: EngineConfig, config: EngineConfig): Map<string, number> | undefined {
  const out = new Map<string, number>();
  for (const name of changedKnobs(engine, current, config)) {
    const a = current[name] ?? engine.knobs.find((k) => k.name === name)?.default;
    const b = config[name];
    if (typeof a !== 'number' || typeof b !== 'number') return undefined;
    out.set(name, b - a);
  }
  return out;
}

/** A move at least as far as one that could not start, same knobs, same directions: it cannot start either. */
function dominatesCrash(
  engine: Engine,
  current: EngineConfig,
  cand: EngineConfig,
  crashed: readonly EngineConfig[],
): boolean {
  const d = direction(engine, current, cand);
  if (!d || d.size === 0) return false;
  return crashed.some((x) => {
    const dx = direction(engine, current, x);
    if (!dx || dx.size !== d.size) return false;
    for (const [name, delta] of dx) {
      const mine = d.get(name);
      if (mine === undefined || Math.sign(mine) !== Math.sign(delta) || Math.abs(mine) < Math.abs(delta)) return false;
    }
    return true;
  });
}

/** Count of changed knobs that move toward a config that was good before. */
function towardGood(engine: Engine, current: EngineConfig, cand: EngineConfig, good: readonly EngineConfig[]): number {
  const d = direction(engine, current, cand);
  if (!d) return 0;
  let best = 0;
  for (const g of good) {
    const dg = direction(engine, current, g);
    if (!dg) continue;
    let n = 0;
    for (const [name, delta] of d) {
      const gd = dg.get(name);
      if (gd !== undefined && Math.sign(gd) === Math.sign(delta)) n++;
    }
    best = Math.max(best, n);
  }
  return best;
}

export function generateCandidatesExplained(input: CandidateInput): ExplainedCandidate[] {
  const { engine, current, trigger, cfg, ctx, rng } = input;
  const want = cfg.tuning.candidates;
  const knobs = effectiveKnobs(engine, cfg);
  const mover = new Mover(knobs, current, ctx);
  // Results only transfer between like targets: same engine, model and hardware.
  const hardware = hardwareOf(cfg);
  const history = input.history.filter(
    (h) => h.engine === engine.name && h.model === cfg.target.model && (h.hardware ?? '') === (hardware ?? ''),
  );
  const results = history.flatMap((h) => [...(h.control ? [h.control] : []), ...h.candidates]);
  const crashedKeys = new Set([
    ...results.filter((r) => INFEASIBLE.includes(r.status)).map((r) => canonical(engine, r.config)),
    ...(input.rejected ?? []).map((c) => canonical(engine, c)),
  ]);
  // Startup limits are monotonic (less memory for the KV cache never helps it start); a runtime OOM is not
  // (under a memory hog, lowering utilization further is the fix), so only start failures extend to further moves.
  const unstartable = results.filter((r) => r.status === 'start_failed').map((r) => r.config);
  // A rejected config beat its control once; it is no longer an example to move toward.
  const good = history
    .flatMap((h) =>
      h.candidates.filter((c) => c.status === 'pass' && c.fitness > (h.control?.fitness ?? 0)).map((c) => c.config),
    )
    .filter((c) => !crashedKeys.has(canonical(engine, c)));

  // fp8 changes answers, so it is only tried when the canary checks them (correctness among its domains).
  const fp8 = cfg.canary.domains.includes('correctness');
  const moves: Move[] = directedMoves(
    symptomClass(trigger.kind),
    mover,
    estimatedMaxModelLen(trigger.evidence),
    knobs,
    fp8,
  );
  // A config that beat its control before, carried over onto today's config (only the knobs it changed).
  for (const g of good) {
    const gDiff = changedKnobs(engine, current, g).filter((n) => knobs.has(n));
    if (gDiff.length === 0 || gDiff.length > cfg.tuning.max_changed) continue;
    moves.push({
      change: Object.fromEntries(gDiff.map((n) => [n, g[n] as number | string | boolean])),
      why: 'a config that beat its control before',
      score: 120,
    });
  }

  const out: ExplainedCandidate[] = [];
  const seen = new Set<string>([canonical(engine, current)]);
  const consider = (change: Change, why: string): boolean => {
    const config = { ...current, ...change };
    const key = canonical(engine, config);
    if (seen.has(key)) return false;
    seen.add(key);
    if (crashedKeys.has(key) || dominatesCrash(engine, current, config, unstartable)) return false;
    if (!validateCandidate(engine, current, config, cfg, ctx).ok) return false;
    out.push({ config, changed: changedKnobs(engine, current, config), why });
    return true;
  };

  const ranked = moves
    .map((mv) => ({
      ...mv,
      score: mv.score + 8 * towardGood(engine, current, { ...current, ...mv.change }, good) + rng.next(),
    }))
    .sort((a, b) => b.score - a.score);
  for (const mv of ranked) {
    if (out.length >= want) break;
    consider(mv.change, mv.why);
  }

  // Exploration: random grid neighbours, only on enabled numeric knobs; bounded attempts keep it total.
  const numeric = [...knobs.values()].filter((k) => k.enabled && (k.type === 'int' || k.type === 'float'));
  for (let attempt = 0; out.length < want && numeric.length > 0 && attempt < 400; attempt++) {
    const k = rng.pick(numeric);
    const steps = rng.int(1, 3) * (rng.next() < 0.5 ? -1 : 1);
    let change = mover.steps(k.name, steps);
    if (change && cfg.tuning.max_changed >= 2 && rng.next() < 0.3) {
      const other = rng.pick(numeric);
      if (other.name !== k.name)
        change = pair(change, mover.steps(other.name, rng.int(1, 2) * (rng.next() < 0.5 ? -1 : 1)));
    }
    if (change) consider(change, 'exploration: a random grid neighbour');
  }
  return out;
}

/** N distinct valid candidates for the trigger (fewer only when the knob space has no more). */
export function generateCandidates(input: CandidateInput): EngineConfig[] {
  return generateCandidatesExplained(input).map((c) => c.config);
}
