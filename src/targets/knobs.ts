/**
 * Generic work on declarative knob specs, shared by every engine adapter: rendering a config as command-line
 * flags or environment variables, and checking one value against its spec (bounds, step, grid, enum). Pure.
 */
import type { EngineConfig } from '../core/types.js';
import type { KnobSpec } from './engine.js';

type Value = number | string | boolean;

/** Decimal places of a step (0.01 → 2), so rendered floats never read 0.30000000000000004. */
function decimals(step: number | undefined): number {
  if (step === undefined || Number.isInteger(step)) return 0;
  const text = String(step);
  const dot = text.indexOf('.');
  return dot < 0 ? 0 : text.length - dot - 1;
}

/** The text form of a value, as a flag argument or env value. */
export function formatValue(spec: KnobSpec | undefined, value: Value): string {
  if (typeof value === 'boolean') return value ? '1' : '0';
  if (typeof value === 'number' && spec?.type === 'float') {
    const d = Math.max(decimals(spec.step), 2);
    return String(Number(value.toFixed(d)));
  }
  return String(value);
}

/** A config key without a spec renders the way vLLM's argparse spells it: snake_case → --kebab-case. */
function flagFor(key: string): string {
  return `--${key.replace(/_/g, '-')}`;
}

/**
 * Command-line flags for a config, in the knob specs' order, then keys the engine has no spec for (sorted), so
 * the same config always renders to the same argv. Env-only knobs are left to `renderEnv`.
 */
export function renderFlags(knobs: readonly KnobSpec[], config: EngineConfig): string[] {
  const out: string[] = [];
  const known = new Set(knobs.map((k) => k.name));
  for (const spec of knobs) {
    const value = config[spec.name];
    if (value === undefined || spec.via !== 'flag') continue;
    out.push(...flagArgs(spec.flag, value, spec));
  }
  for (const key of Object.keys(config)
    .filter((k) => !known.has(k))
    .sort()) {
    const value = config[key] as Value;
    out.push(...flagArgs(flagFor(key), value, undefined));
  }
  return out;
}

function flagArgs(flag: string, value: Value, spec: KnobSpec | undefined): string[] {
  if (typeof value === 'boolean') {
    if (value) return [flag];
    if (spec) return spec.falseFlag ? [spec.falseFlag] : [];
    // No spec: vLLM's BooleanOptionalAction spelling.
    return [flag.replace(/^--/, '--no-')];
  }
  return [flag, formatValue(spec, value)];
}

/** Environment variables of env-only knobs (Ollama's OLLAMA_NUM_PARALLEL, ...). */
export function renderEnv(knobs: readonly KnobSpec[], config: EngineConfig): Record<string, string> {
  const env: Record<string, string> = {};
  for (const spec of knobs) {
    const value = config[spec.name];
    if (value === undefined || spec.via !== 'env') continue;
    env[spec.flag] = formatValue(spec, value);
  }
  return env;
}

/** One NIGHTSHIFT_<KNOB>=value per config key: how `command` and `systemd` production hand a config over. */
export function renderKnobEnv(knobs: readonly KnobSpec[], config: EngineConfig): Record<string, string> {
  const byName = new Map(knobs.map((k) => [k.name, k]));
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(config)) {
    const spec = byName.get(key);
    const text = typeof value === 'boolean' ? String(value) : formatValue(spec, value);
    env[`NIGHTSHIFT_${key.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`] = text;
  }
  return env;
}

function isPow2(n: number): boolean {
  return n > 0 && (n & (n - 1)) === 0;
}

function onStep(value: number, base: number, step: number): boolean {
  const k = (value - base) / step;
  return Math.abs(k - Math.round(k)) < 1e-6;
}

/** Why a value breaks its spec (type, bounds, step or grid, enum), or undefined when it is valid. */
export function checkValue(spec: KnobSpec, value: Value | undefined): string | undefined {
  if (value === undefined) return undefined;
  const name = spec.name;
  switch (spec.type) {
    case 'bool':
      return typeof value === 'boolean' ? undefined : `${name}: expected true or false, found ${JSON.stringify(value)}`;
    case 'enum': {
      const values = spec.values ?? [];
      return values.includes(String(value))
        ? undefined
        : `${name}: expected one of ${values.join(', ')}, found ${JSON.stringify(value)}`;
    }
    case 'int':
    case 'float': {
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        return `${name}: expected a number, found ${JSON.stringify(value)}`;
      }
      if (spec.type === 'int' && !Number.isInteger(value)) return `${name}: expected an integer, found ${value}`;
      if (spec.min !== undefined && value < spec.min - 1e-9)
        return `${name}: ${value} is below the minimum ${spec.min}`;
      if (spec.max !== undefined && value > spec.max + 1e-9)
        return `${name}: ${value} is above the maximum ${spec.max}`;
      if (spec.grid === 'pow2_or_mult8') {
        return isPow2(value) || value % 8 === 0
          ? undefined
          : `${name}: ${value} is neither a power of two nor a multiple of 8`;
      }
      if (spec.step !== undefined && !onStep(value, spec.min ?? 0, spec.step)) {
        return `${name}: ${value} is not on the step ${spec.step} from ${spec.min ?? 0}`;
      }
      return undefined;
    }
  }
}

/** Every value of a config checked against its spec; keys without a spec are not the tuner's and pass. */
export function checkConfig(knobs: readonly KnobSpec[], config: EngineConfig): string[] {
  const reasons: string[] = [];
  for (const spec of knobs) {
    const reason = checkValue(spec, config[spec.name]);
    if (reason) reasons.push(reason);
  }
  return reasons;
}

/** The value a knob has in a config: explicit, else the engine's own default (undefined when it depends on hardware). */
export function effectiveValue(knobs: readonly KnobSpec[], config: EngineConfig, name: string): Value | undefined {
  const explicit = config[name];
  if (explicit !== undefined) return explicit;
  return knobs.find((k) => k.name === name)?.default;
}
