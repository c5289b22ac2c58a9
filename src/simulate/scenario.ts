/**
 * Scenario files: the world a simulation runs in, night by night (docs/scenarios.md is the user's reference).
 * A scenario names the twin production runs on, the loop config it runs with, the workload PHASE sends each
 * night (and how it grows), a fault timeline, and optionally what the loop is expected to achieve.
 *
 * Nights are numbered from 1. A fault is active on nights `from_night..until_night` (inclusive; no
 * `until_night` = to the end). The loader validates everything up front and reports one line per problem with
 * the YAML path and the file line, so a typo never surfaces as a confusing failure on night 9.
 */
import { readFileSync } from 'node:fs';
import { DateTime } from 'luxon';
import { z } from 'zod';
import { configSchema, DOMAIN_NAMES, type DomainName, hhmm } from '../config/schema.js';
import { parseYamlWith, type SchemaProblem } from '../config/yaml-schema.js';
import { UsageError } from '../core/errors.js';
import { isValidZone } from '../core/time.js';

const night = z.number().int().positive();
const engineValue = z.union([z.number(), z.string(), z.boolean()]);
const domainName = z.enum(DOMAIN_NAMES);

/**
 * A domain's workload options: the numeric keys of config.phase.domains.<name> (no defaults here: each domain
 * applies its own), plus duration and timeout, validated with the whole config when a night is built.
 */
const workloadOptionsSchema = z.strictObject({
  requests: z.number().int().positive().optional(),
  warmup: z.number().int().min(0).optional(),
  concurrency: z.number().int().positive().optional(),
  max_concurrency: z.number().int().positive().optional(),
  rate: z.number().positive().optional(),
  duration: z.string().optional(),
  timeout: z.string().optional(),
  prompt_tokens: z.number().int().positive().optional(),
  max_tokens: z.number().int().positive().optional(),
});
export type WorkloadOptions = z.infer<typeof workloadOptionsSchema>;

const span = { from_night: night, until_night: night.optional() };

/** Fault kinds the twin implements (memory_hog, leak, slowdown, quality, crash) plus workload faults. */
export const faultSchema = z.discriminatedUnion('kind', [
  /** another process takes this much GPU memory (the twin's "memory used by others") */
  z.strictObject({
    kind: z.literal('memory_hog'),
    ...span,
    gib: z.number().positive(),
    /** model seconds after each twin process starts before the neighbour appears (default: already there) */
    after_s: z.number().min(0).optional(),
  }),
  /**
   * Memory leaks (or the allocator fragments) at this rate, in MiB per model minute of each twin process's
   * uptime; with `for_s` it stops growing after that many model seconds and stays (a plateau).
   */
  z.strictObject({
    kind: z.literal('leak'),
    ...span,
    mib_per_min: z.number().positive(),
    for_s: z.number().positive().optional(),
  }),
  /** every GPU step takes this many times longer (thermal throttling, a driver regression) */
  z.strictObject({ kind: z.literal('slowdown'), ...span, factor: z.number().gt(1) }),
  /** this fraction of golden answers comes back wrong */
  z.strictObject({ kind: z.literal('quality'), ...span, wrong_fraction: z.number().gt(0).max(1) }),
  /** the production twin crashes this many model seconds after it starts (re-armed by every restart) */
  z.strictObject({ kind: z.literal('crash'), ...span, at_s: z.number().min(0).default(0) }),
  /**
   * Users send longer prompts: the domain's prompt_tokens becomes `prompt_tokens` on from_night and grows by
   * `per_night` on each later night. A workload change the loop must adapt to, so it counts as a fault.
   */
  z.strictObject({
    kind: z.literal('prompt_growth'),
    ...span,
    domain: domainName.default('long-context'),
    prompt_tokens: z.number().int().positive(),
    per_night: z.number().int().min(0).default(0),
  }),
]);
export type Fault = z.infer<typeof faultSchema>;
export type FaultKind = Fault['kind'];
/** Faults the twin process itself applies (through its faults file); the rest shape the workload. */
export const TWIN_FAULT_KINDS = ['memory_hog', 'leak', 'slowdown', 'quality', 'crash'] as const;

const NUMERIC_OPTIONS = ['requests', 'warmup', 'concurrency', 'max_concurrency', 'rate', 'prompt_tokens', 'max_tokens'];

/** Healthy traffic growth: not a fault (the baseline grows with it). */
export const growthSchema = z
  .strictObject({
    domain: domainName,
    option: z.enum(NUMERIC_OPTIONS as [string, ...string[]]),
    from_night: night.default(1),
    /** added on each night from from_night on */
    per_night: z.number().default(0),
    /** multiplied on each night from from_night on */
    factor: z.number().positive().default(1),
    max: z.number().positive().optional(),
  })
  .refine((g) => g.per_night !== 0 || g.factor !== 1, { message: 'a growth needs per_night or factor' });
export type Growth = z.infer<typeof growthSchema>;

export const expectSchema = z.strictObject({
  /** armed escalations over all nights (healthy: 0) */
  max_escalations: z.number().int().min(0).optional(),
  /** escalations armed on nights without an active fault */
  max_false_escalations: z.number().int().min(0).optional(),
  first_degraded_by_night: night.optional(),
  first_escalation_by_night: night.optional(),
  promotion_by_night: night.optional(),
  validated_by_night: night.optional(),
  resolved_by_night: night.optional(),
  max_nights_to_resolution: z.number().int().min(0).optional(),
  min_promotions: z.number().int().min(0).optional(),
  max_promotions: z.number().int().min(0).optional(),
  min_rollbacks: z.number().int().min(0).optional(),
  max_rollbacks: z.number().int().min(0).optional(),
  /** every promotion beat the control measured in the same tuning run */
  promotions_beat_control: z.boolean().optional(),
  /** the first promotion lowers at least one of these knobs relative to the config it replaced */
  promoted_lowers_any: z.array(z.string().min(1)).min(1).optional(),
  max_canary_seconds_total: z.number().positive().optional(),
});
export type Expect = z.infer<typeof expectSchema>;

export const scenarioSchema = z
  .strictObject({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'expected a short name in kebab-case'),
    description: z.string().default(''),
    seed: z.number().int().min(0),
    nights: z.number().int().min(1).max(366),
    /** local date of night 1, YYYY-MM-DD; the loop runs at phase.at (03:00) local time each night */
    start_date: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date YYYY-MM-DD')
      .default('2026-01-05'),
    timezone: z.string().refine(isValidZone, { message: 'expected an IANA time zone' }).default('UTC'),
    /** local time of the nightly cycle */
    at: hhmm.default('03:00'),
    twin: z.strictObject({
      model: z.string().min(1).default('llama-3.1-8b'),
      gpu: z.string().min(1).default('L4-24GB'),
      /** the twin's --time-scale: a model second takes this many real seconds */
      time_scale: z.number().positive().max(1).default(0.02),
      /** production's initial engine config, as knob values */
      config: z.record(z.string(), engineValue).default({}),
    }),
    /** nightshift.yaml sections for the loop (target and state_dir come from the scenario) */
    loop: z.record(z.string(), z.unknown()).default({}),
    workload: z.strictObject({
      /** the domains PHASE runs each night, with their options; every other domain is disabled */
      domains: z.partialRecord(domainName, workloadOptionsSchema),
      growth: z.array(growthSchema).default([]),
    }),
    faults: z.array(faultSchema).default([]),
    expect: expectSchema.optional(),
  })
  .superRefine((s, ctx) => {
    if (Object.keys(s.workload.domains).length === 0) {
      ctx.addIssue({ code: 'custom', path: ['workload', 'domains'], message: 'expected at least one domain' });
    }
    s.faults.forEach((f, i) => {
      if (f.from_night > s.nights) {
        ctx.addIssue({
          code: 'custom',
          path: ['faults', i, 'from_night'],
          message: `expected a night ≤ nights (${s.nights}), found ${f.from_night}`,
        });
      }
      if (f.until_night !== undefined && f.until_night < f.from_night) {
        ctx.addIssue({
          code: 'custom',
          path: ['faults', i, 'until_night'],
          message: `expected a night ≥ from_night (${f.from_night}), found ${f.until_night}`,
        });
      }
      if (f.kind === 'prompt_growth' && !(f.domain in s.workload.domains)) {
        ctx.addIssue({
          code: 'custom',
          path: ['faults', i, 'domain'],
          message: `domain "${f.domain}" is not in workload.domains`,
        });
      }
    });
    s.workload.growth.forEach((g, i) => {
      if (!(g.domain in s.workload.domains)) {
        ctx.addIssue({
          code: 'custom',
          path: ['workload', 'growth', i, 'domain'],
          message: `domain "${g.domain}" is not in workload.domains`,
        });
      }
    });
    const loop = configSchema.safeParse(s.loop);
    if (!loop.success) {
      for (const issue of loop.error.issues) {
        ctx.addIssue({
          code: 'custom',
          path: ['loop', ...issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))],
          message:
            issue.code === 'unrecognized_keys'
              ? `unknown key(s) ${issue.keys.join(', ')} (the loop section takes nightshift.yaml keys)`
              : issue.message.replace(/^Invalid input: /, ''),
        });
      }
    }
    for (const key of ['target', 'state_dir']) {
      if (key in s.loop) {
        ctx.addIssue({
          code: 'custom',
          path: ['loop', key],
          message: `not allowed here: the scenario's twin section describes the target and the simulator owns the state directory`,
        });
      }
    }
  });

export type Scenario = z.infer<typeof scenarioSchema>;
export type ScenarioDomains = Scenario['workload']['domains'];
export type { DomainName };

export type ScenarioProblem = SchemaProblem;

/** A scenario file that cannot be used: one line per problem, `scenario: PATH: what (file:line)`. */
export class ScenarioError extends UsageError {
  readonly problems: ScenarioProblem[];
  constructor(file: string, problems: ScenarioProblem[]) {
    super(
      problems
        .map(
          (p) => `scenario: ${p.path || '(root)'}: ${p.message} (${p.line === undefined ? file : `${file}:${p.line}`})`,
        )
        .join('\n'),
      'fix the scenario file (docs/scenarios.md describes every key)',
    );
    this.problems = problems;
  }
}

export function loadScenario(file: string): Scenario {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(
      `scenario: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      'pass the path of a scenario YAML file (the shipped ones are in scenarios/)',
    );
  }
  return parseScenarioText(text, file);
}

export function parseScenarioText(text: string, file = 'scenario.yaml'): Scenario {
  const result = parseYamlWith(scenarioSchema, text, {
    rootHint: 'a mapping (name, seed, nights, twin, ...)',
    expected: (issue) =>
      issue.code === 'invalid_union'
        ? 'expected a fault with kind memory_hog, leak, slowdown, quality, crash or prompt_growth'
        : undefined,
  });
  if (!result.ok) throw new ScenarioError(file, result.problems);
  return result.value;
}

/** Local date (YYYY-MM-DD) of a night: start_date plus n − 1 calendar days. */
export function nightDate(scenario: Pick<Scenario, 'start_date'>, n: number): string {
  return (
    DateTime.fromISO(scenario.start_date)
      .plus({ days: n - 1 })
      .toISODate() ?? scenario.start_date
  );
}

/** Faults active on a night (1-based). */
export function activeFaults(scenario: Pick<Scenario, 'faults'>, n: number): Fault[] {
  return scenario.faults.filter((f) => n >= f.from_night && (f.until_night === undefined || n <= f.until_night));
}
