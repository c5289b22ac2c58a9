/**
 * The nightshift config of one simulated night: the scenario's loop section, its twin as a managed production
 * target, and the night's workload as PHASE domain options. Validated by the real config schema, so a scenario
 * runs the loop exactly as a nightshift.yaml would configure it.
 */
import { type Config, configSchema } from '../config/schema.js';
import { UsageError } from '../core/errors.js';
import type { Scenario } from './scenario.js';
import { nightWorkload } from './workload.js';

export interface SimulationEnvironment {
  stateDir: string;
  /** the twin launch prefix, e.g. [node, /abs/bin/nightshift.js, twin, serve] */
  launch: string[];
  faultsFile: string;
  /** the fake GPU shared by this simulation's twins (NIGHTSHIFT_TWIN_RUNTIME_DIR) */
  runtimeDir: string;
  productionPort: number;
  canaryPorts: string;
}

type Plain = Record<string, unknown>;
const isPlain = (v: unknown): v is Plain => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Deep merge of plain objects; arrays and scalars of `over` replace those of `base`. */
export function deepMerge(base: Plain, over: Plain): Plain {
  const out: Plain = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = isPlain(v) && isPlain(out[k]) ? deepMerge(out[k] as Plain, v) : v;
  return out;
}

export const RUNTIME_DIR_ENV = 'NIGHTSHIFT_TWIN_RUNTIME_DIR';

export function nightConfig(scenario: Scenario, n: number, env: SimulationEnvironment): Config {
  const loop = scenario.loop as Plain;
  const canary = isPlain(loop.canary) ? loop.canary : {};
  const phase = isPlain(loop.phase) ? loop.phase : {};
  const fixed: Plain = {
    timezone: scenario.timezone,
    state_dir: env.stateDir,
    target: {
      engine: 'vllm',
      model: scenario.twin.model,
      base_url: `http://127.0.0.1:${env.productionPort}`,
      launch: [...env.launch, '--gpu', scenario.twin.gpu, '--faults', env.faultsFile],
      env: { [RUNTIME_DIR_ENV]: env.runtimeDir },
      // No log_file: the cycle hands PHASE the managed production's own log (ManagedProduction.logPath).
      config: scenario.twin.config,
      time_scale: scenario.twin.time_scale,
      production: { mode: 'managed' },
    },
    phase: {
      ...phase,
      at: scenario.at,
      // Each night sends different (but reproducible) prompts, as real nights do.
      seed: scenario.seed * 1000 + n,
      domains: nightWorkload(scenario, n),
    },
    canary: {
      ...canary,
      ports: env.canaryPorts,
      env: { ...(isPlain(canary.env) ? canary.env : {}), [RUNTIME_DIR_ENV]: env.runtimeDir },
    },
  };
  const raw = deepMerge({ mode: 'act', ...loop }, fixed);
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UsageError(
      `scenario ${scenario.name}: night ${n}: the loop config is invalid: ${issue?.path.join('.') ?? ''}: ${issue?.message ?? ''}`,
      'check the workload options and the loop section of the scenario',
    );
  }
  return parsed.data;
}
