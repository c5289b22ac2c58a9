/**
 * The config file's schema (zod). Every key has a default: the design constants. Unknown keys are errors
 * (`strictObject` everywhere), so a typo never silently falls back to a default.
 */
import { z } from 'zod';
import { isValidZone, parseDuration, parseHhmm, parseWindow } from '../core/time.js';

/** A string that `parse` accepts; the parsers of core/time.ts say what is wrong by throwing. */
function parsedBy(parse: (text: string) => unknown, message: string) {
  return z.string().refine(
    (s) => {
      try {
        parse(s);
        return true;
      } catch {
        return false;
      }
    },
    { message },
  );
}

export const durationText = parsedBy(parseDuration, 'expected a duration like 30s, 10m, 4h, 7d');
const duration = (def: string) => durationText.default(def);
export const hhmm = parsedBy(parseHhmm, 'expected a local time HH:MM');
const windowText = parsedBy(parseWindow, 'expected a local window HH:MM-HH:MM');

const fraction = z.number().min(0).max(1);
const nonNegative = z.number().min(0);
const positiveInt = z.number().int().positive();

export const DOMAIN_NAMES = [
  'health',
  'interactive',
  'throughput',
  'concurrency-sweep',
  'long-context',
  'burst',
  'correctness',
  'structured-output',
  'streaming-integrity',
  'prefix-cache',
  'soak',
] as const;
export type DomainName = (typeof DOMAIN_NAMES)[number];

/** Per-domain overrides; each domain documents which of these it reads and its own defaults. */
export const domainOptionsSchema = z.strictObject({
  enabled: z.boolean().default(true),
  requests: positiveInt.optional(),
  warmup: z.number().int().min(0).optional(),
  concurrency: positiveInt.optional(),
  max_concurrency: positiveInt.optional(),
  rate: z.number().positive().optional(),
  // No default here (a default inside .optional() would fill "0s" into every configured domain).
  duration: durationText.optional(),
  timeout: durationText.optional(),
  prompt_tokens: positiveInt.optional(),
  max_tokens: positiveInt.optional(),
});
export type DomainOptions = z.infer<typeof domainOptionsSchema>;

const engineValue = z.union([z.number(), z.string(), z.boolean()]);

export const ENGINES = ['vllm', 'llama-server', 'ollama', 'sglang', 'openai'] as const;

const targetSchema = z.strictObject({
  engine: z.enum(ENGINES).default('vllm'),
  model: z.string().min(1).default('meta-llama/Llama-3.1-8B-Instruct'),
  served_model_name: z.string().min(1).optional(),
  base_url: z.url().default('http://127.0.0.1:8000'),
  api_key_env: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name')
    .optional(),
  launch: z.array(z.string().min(1)).min(1).default(['vllm', 'serve']),
  env: z.record(z.string(), z.string()).default({}),
  config: z.record(z.string(), engineValue).default({ gpu_memory_utilization: 0.9, max_num_seqs: 256 }),
  log_file: z.string().optional(),
  /**
   * The twin only: its --time-scale. Instances are launched with it, and durations the probe measures are
   * divided by it, so reports and analysis see model time whatever the scale.
   */
  time_scale: z.number().positive().max(1).default(1),
  production: z
    .strictObject({
      mode: z.enum(['managed', 'systemd', 'command']).default('managed'),
      systemd: z.strictObject({ unit: z.string().min(1), env_file: z.string().min(1) }).optional(),
      command: z
        .strictObject({ apply: z.string().min(1), render: z.enum(['flags', 'env']).default('flags') })
        .optional(),
    })
    .default({ mode: 'managed' }),
});

const band = (warning: number, critical: number) =>
  z
    .strictObject({ warning: fraction.default(warning), critical: fraction.default(critical) })
    .default({ warning, critical });

const phaseSchema = z.strictObject({
  at: hhmm.default('03:00'),
  timeout: duration('2h'),
  domain_timeout: duration('15m'),
  request_timeout: duration('60s'),
  seed: z.number().int().default(42),
  slo: z
    .strictObject({ ttft_ms: z.number().positive().default(500), itl_ms: z.number().positive().default(50) })
    .default({ ttft_ms: 500, itl_ms: 50 }),
  domains: z.partialRecord(z.enum(DOMAIN_NAMES), domainOptionsSchema).default({}),
  /** user prompt suites (YAML or JSONL), each an extra correctness domain */
  suites: z.array(z.strictObject({ name: z.string().min(1), file: z.string().min(1) })).default([]),
  /** module paths exporting a Domain (the plugin interface) */
  plugins: z.array(z.string().min(1)).default([]),
});

const thresholdsSchema = z.strictObject({
  oom: z.strictObject({ increase_warning: nonNegative.default(0.5) }).default({ increase_warning: 0.5 }),
  latency: band(0.2, 0.5),
  throughput: band(0.15, 0.3),
  pass_rate: band(0.15, 0.3),
  error_rate: z.strictObject({ floor: fraction.default(0.02) }).default({ floor: 0.02 }),
});

const analysisSchema = z.strictObject({
  baseline_days: positiveInt.default(7),
  min_nights: positiveInt.default(3),
  alpha: z.number().gt(0).lt(1).default(0.01),
  thresholds: thresholdsSchema.default(() => thresholdsSchema.parse({})),
  floors: z
    .strictObject({
      latency_ms: nonNegative.default(5),
      tok_per_s: nonNegative.default(1),
      req_per_s: nonNegative.default(0.05),
    })
    .default({ latency_ms: 5, tok_per_s: 1, req_per_s: 0.05 }),
});

const tuningSchema = z.strictObject({
  candidates: positiveInt.default(6),
  max_changed: positiveInt.default(2),
  allow_shorter_context: z.boolean().default(false),
  knobs: z
    .record(
      z.string(),
      z.strictObject({
        enabled: z.boolean().default(true),
        min: z.number().optional(),
        max: z.number().optional(),
        step: z.number().positive().optional(),
      }),
    )
    .default({}),
  fitness: z
    .strictObject({
      weights: z.record(z.string(), z.number()).default({}),
      noise_margin: nonNegative.default(0.03),
    })
    .default({ weights: {}, noise_margin: 0.03 }),
});

const canarySchema = z.strictObject({
  mode: z.enum(['quiesced', 'spare']).default('quiesced'),
  ports: z
    .string()
    .regex(/^\d+-\d+$/, 'expected a port range like 18000-18099')
    .default('18000-18099'),
  timeout_s: z.number().positive().default(30),
  restore_sla_s: z.number().positive().default(15),
  domains: z.array(z.enum(DOMAIN_NAMES)).default(['interactive', 'throughput', 'long-context', 'correctness']),
  env: z.record(z.string(), z.string()).default({}),
});

export const configSchema = z.strictObject({
  timezone: z
    .string()
    .refine(isValidZone, { message: 'expected an IANA time zone such as Europe/Berlin or UTC' })
    .default('UTC'),
  mode: z.enum(['observe', 'recommend', 'act']).default('act'),
  state_dir: z.string().min(1).default('./.nightshift'),
  target: targetSchema.default(() => targetSchema.parse({})),
  phase: phaseSchema.default(() => phaseSchema.parse({})),
  analysis: analysisSchema.default(() => analysisSchema.parse({})),
  escalation: z
    .strictObject({
      window: duration('24h'),
      threshold: positiveInt.default(3),
      critical_threshold: positiveInt.default(1),
      flag_ttl: duration('4h'),
    })
    .default({ window: '24h', threshold: 3, critical_threshold: 1, flag_ttl: '4h' }),
  eligibility: z
    .strictObject({
      window: windowText.default('03:00-07:00'),
      budget_s: nonNegative.default(60),
      cooldown: duration('6h'),
      max_runs_24h: z.number().int().min(0).default(3),
    })
    .default({ window: '03:00-07:00', budget_s: 60, cooldown: '6h', max_runs_24h: 3 }),
  tuning: tuningSchema.default(() => tuningSchema.parse({})),
  canary: canarySchema.default(() => canarySchema.parse({})),
  loop: z.strictObject({ breaker_threshold: positiveInt.default(3) }).default({ breaker_threshold: 3 }),
});

export type Config = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
