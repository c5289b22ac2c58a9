/**
 * Knob validation, pure. A candidate is valid only if every changed value is of its knob's type, inside its
 * bounds and on its step (or grid), at most `tuning.max_changed` knobs differ from the current config, the
 * engine's cross-knob constraints hold, and max_model_len does not drop below the context PHASE saw in use
 * (unless `tuning.allow_shorter_context`). Users narrow or widen bounds under `tuning.knobs.<name>`;
 * `enabled: false` freezes a knob at its current value.
 *
 * Values the candidate leaves unchanged are production's own and are not judged: a production config that
 * sits outside the (possibly narrowed) bounds can still be tuned on its other knobs.
 */
import type { Config } from '../../config/schema.js';
import type { EngineConfig } from '../../core/types.js';
import type { Engine, KnobSpec } from '../../targets/engine.js';

export interface ValidationContext {
  /** the model's maximum context, when known (/v1/models or the engine's estimate) */
  modelMaxLen?: number;
  /** prompt+output tokens PHASE saw in use (p99.9 of the long-context domain) */
  contextInUse?: number;
}

export type Validation = { ok: true } | { ok: false; reasons: string[] };

/** A knob spec after the user's overrides; `enabled: false` means it may not change. */
export type EffectiveKnob = KnobSpec & { enabled: boolean };

const EPS = 1e-9;

export function effectiveKnobs(engine: Engine, cfg: Config): Map<string, EffectiveKnob> {
  const out = new Map<string, EffectiveKnob>();
  for (const k of engine.knobs) {
    const o = cfg.tuning.knobs[k.name];
    out.set(k.name, {
      ...k,
      // tuned: false = the engine renders it but it is not an actuator (block_size, enforce_eager)
      enabled: (o?.enabled ?? true) && k.tuned !== false,
      ...(o?.min !== undefined ? { min: o.min } : {}),
      ...(o?.max !== undefined ? { max: o.max } : {}),
      // An explicit step replaces a non-arithmetic grid: the user asked for this grid.
      ...(o?.step !== undefined ? { step: o.step, grid: undefined } : {}),
    });
  }
  return out;
}

/** The value a knob has in a config: its own, else the engine default. */
export function knobValue(config: EngineConfig, knob: KnobSpec): number | string | boolean | undefined {
  return config[knob.name] ?? knob.default;
}

/** Names of the knobs whose values differ between two configs (a missing key means the engine default). */
export function changedKnobs(engine: Engine, a: EngineConfig, b: EngineConfig): string[] {
  const specs = new Map(engine.knobs.map((k) => [k.name, k]));
  const names = new Set([...Object.keys(a), ...Object.keys(b)]);
  const out: string[] = [];
  for (const name of [...names].sort()) {
    const spec = specs.get(name);
    const va = spec ? knobValue(a, spec) : a[name];
    const vb = spec ? knobValue(b, spec) : b[name];
    if (!sameValue(va, vb)) out.push(name);
  }
  return out;
}

export function sameValue(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number') return Math.abs(a - b) < EPS * Math.max(1, Math.abs(a));
  return a === b;
}

/** Is n on the knob's grid? Arithmetic steps count from min (or 0); pow2_or_mult8 = a power of two or a multiple of 8. */
export function onGrid(knob: KnobSpec, n: number): boolean {
  if (knob.grid === 'pow2_or_mult8') return Number.isInteger(n) && n > 0 && ((n & (n - 1)) === 0 || n % 8 === 0);
  if (knob.step === undefined) return knob.type !== 'int' || Number.isInteger(n);
  const base = knob.min ?? 0;
  const k = (n - base) / knob.step;
  return Math.abs(k - Math.round(k)) < 1e-6;
}

/** Why one value does not fit its knob (empty when it fits). */
export function knobProblems(knob: EffectiveKnob, value: unknown, ctx: ValidationContext = {}): string[] {
  const name = knob.name;
  switch (knob.type) {
    case 'bool':
      return typeof value === 'boolean' ? [] : [`${name}: expected true or false, found ${show(value)}`];
    case 'enum': {
      const values = knob.values ?? [];
      return typeof value === 'string' && values.includes(value)
        ? []
        : [`${name}: expected one of ${values.join(' | ')}, found ${show(value)}`];
    }
    case 'int':
    case 'float': {
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        return [`${name}: expected a number, found ${show(value)}`];
      }
      const out: string[] = [];
      if (knob.type === 'int' && !Number.isInteger(value)) out.push(`${name}: expected an integer, found ${value}`);
      if (knob.min !== undefined && value < knob.min - EPS)
        out.push(`${name}: ${value} is below the minimum ${knob.min}`);
      const max = maxOf(knob, ctx);
      if (max !== undefined && value > max + EPS) {
        out.push(
          `${name}: ${value} is above the maximum ${max}${max !== knob.max ? " (the model's maximum context)" : ''}`,
        );
      }
      if (!onGrid(knob, value)) {
        out.push(
          knob.grid === 'pow2_or_mult8'
            ? `${name}: ${value} is neither a power of two nor a multiple of 8`
            : `${name}: ${value} is not on the step ${knob.step} from ${knob.min ?? 0}`,
        );
      }
      return out;
    }
  }
}

/** The knob's upper bound; max_model_len is also capped by the model's maximum context when known. */
export function maxOf(knob: KnobSpec, ctx: ValidationContext): number | undefined {
  if ((knob.maxFromModel || knob.name === 'max_model_len') && ctx.modelMaxLen !== undefined) {
    return knob.max === undefined ? ctx.modelMaxLen : Math.min(knob.max, ctx.modelMaxLen);
  }
  return knob.max;
}

export function validateCandidate(
  engine: Engine,
  current: EngineConfig,
  candidate: EngineConfig,
  cfg: Config,
  ctx: ValidationContext = {},
): Validation {
  const knobs = effectiveKnobs(engine, cfg);
  const reasons: string[] = [];
  const changed = changedKnobs(engine, current, candidate);
  if (changed.length === 0) reasons.push('no knob differs from the current config');
  for (const name of changed) {
    const knob = knobs.get(name);
    if (!knob) {
      reasons.push(`${name}: not a knob of ${engine.name} (knobs: ${[...knobs.keys()].join(', ')})`);
      continue;
    }
    if (!knob.enabled) {
      reasons.push(
        knob.tuned === false
          ? `${name}: not tuned by nightshift (${knob.description}), it must keep its current value`
          : `${name}: disabled in tuning.knobs.${name}, it must keep its current value`,
      );
      continue;
    }
    const value = candidate[name];
    if (value === undefined) {
      reasons.push(`${name}: removed, but the current config sets it and the knob has no default`);
      continue;
    }
    reasons.push(...knobProblems(knob, value, ctx));
  }
  if (changed.length > cfg.tuning.max_changed) {
    reasons.push(
      `${changed.length} knobs differ from the current config (${changed.join(', ')}), at most ${cfg.tuning.max_changed} may`,
    );
  }
  reasons.push(...engine.constraints(candidate));
  const mml = candidate.max_model_len;
  if (
    typeof mml === 'number' &&
    ctx.contextInUse !== undefined &&
    mml < ctx.contextInUse &&
    !cfg.tuning.allow_shorter_context &&
    changed.includes('max_model_len')
  ) {
    reasons.push(
      `max_model_len: ${mml} is below the ${ctx.contextInUse} tokens of context PHASE saw in use (set tuning.allow_shorter_context to allow it)`,
    );
  }
  return reasons.length === 0 ? { ok: true } : { ok: false, reasons };
}

function show(v: unknown): string {
  return v === undefined ? 'nothing' : JSON.stringify(v);
}
