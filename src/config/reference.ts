/**
 * The config reference in the README, generated from the schema's defaults and the descriptions below.
 * `npm run docs` rewrites the README block; a test fails when they drift, or when a key has no description.
 */
import { stringify } from 'yaml';
import { configSchema } from './schema.js';

export const DESCRIPTIONS: Record<string, string> = {
  timezone: 'IANA zone for the schedule, maintenance window, ids and day files',
  mode: 'observe (measure and record) | recommend (also run canaries, propose promotions) | act (everything)',
  state_dir: 'state directory (also --state-dir, $NIGHTSHIFT_STATE_DIR)',
  'target.engine': 'vllm | llama-server | ollama | sglang | openai (any OpenAI-compatible endpoint)',
  'target.model': 'model id as the engine is started with it',
  'target.served_model_name': 'name the endpoint serves, when different from model',
  'target.base_url': 'production endpoint',
  'target.api_key_env': 'name of the environment variable holding the API key (never the key itself)',
  'target.launch': 'command prefix that starts an instance; the twin: [nightshift, twin, serve]',
  'target.env': 'extra environment for instances nightshift starts',
  'target.config': 'the live engine config as knob values (snake_case vLLM flags)',
  'target.log_file': 'engine log file PHASE scans for OOM evidence (systemd mode reads the journal)',
  'target.time_scale': 'twin only: its --time-scale; measured durations are divided by it (model time)',
  'target.production.mode': 'how production is changed: managed (nightshift owns the process) | systemd | command',
  'target.production.systemd': '{unit, env_file}: flags written to env_file, then systemctl restart unit',
  'target.production.command': '{apply, render: flags|env}: your command, run with the config rendered',
  'phase.at': 'local time the nightly PHASE starts',
  'phase.timeout': 'global timeout of one PHASE run',
  'phase.domain_timeout': 'timeout of one domain unless the domain sets its own',
  'phase.request_timeout': 'timeout of one probe request',
  'phase.seed': 'seed of the prompts and arrivals (same seed, same requests in the same order)',
  'phase.slo.ttft_ms': 'goodput SLO: time to first token',
  'phase.slo.itl_ms': 'goodput SLO: inter-token latency',
  'phase.domains':
    'per-domain options: enabled, requests, warmup, concurrency, max_concurrency, rate, duration, timeout, prompt_tokens, max_tokens',
  'phase.suites': 'user prompt suites [{name, file}] (YAML or JSONL), each an extra correctness domain',
  'phase.plugins': 'module paths exporting a Domain',
  'analysis.baseline_days': 'nights of sealed reports the baseline is built from',
  'analysis.min_nights': 'fewer baseline nights than this gives inconclusive verdicts, never symptoms',
  'analysis.alpha': 'significance level of the statistical judge',
  'analysis.thresholds.oom.increase_warning': 'OOM events: any new → critical; a rise above this fraction → warning',
  'analysis.thresholds.latency.warning': 'latency rise → warning',
  'analysis.thresholds.latency.critical': 'latency rise → critical',
  'analysis.thresholds.throughput.warning': 'throughput drop → warning',
  'analysis.thresholds.throughput.critical': 'throughput drop → critical',
  'analysis.thresholds.pass_rate.warning': 'relative pass-rate drop → warning',
  'analysis.thresholds.pass_rate.critical': 'relative pass-rate drop → critical',
  'analysis.thresholds.error_rate.floor': 'error rate above this → warning',
  'analysis.floors.latency_ms': 'a latency change smaller than this is never a symptom',
  'analysis.floors.tok_per_s': 'a token-throughput change smaller than this is never a symptom',
  'analysis.floors.req_per_s': 'a request-rate change smaller than this is never a symptom',
  'escalation.window': 'rolling window in which symptoms of one kind are counted',
  'escalation.threshold': 'symptoms of one kind in the window that arm an escalation flag',
  'escalation.critical_threshold':
    'critical symptoms of one kind in the window that arm its flag at once (an OOM crash leaves one a night)',
  'escalation.flag_ttl': 'how long an armed flag stays valid',
  'eligibility.window': 'maintenance window (local time; may cross midnight)',
  'eligibility.budget_s': 'canary seconds per night',
  'eligibility.cooldown': 'minimum time between two tuning runs of one subsystem',
  'eligibility.max_runs_24h': 'tuning runs allowed in any 24 h',
  'tuning.candidates': 'candidate configs per tuning run',
  'tuning.max_changed': 'knobs a candidate may change from the current config',
  'tuning.allow_shorter_context': 'allow max_model_len below the context PHASE saw in use',
  'tuning.knobs': 'per-knob overrides {enabled, min, max, step}',
  'tuning.fitness.weights': 'fitness weights by metric name (defaults documented in the tuning module)',
  'tuning.fitness.noise_margin': 'a candidate must beat the control by more than this fraction',
  'canary.mode': 'quiesced (one GPU: production stopped while canaries run) | spare (spare capacity)',
  'canary.ports': 'port range for canary instances',
  'canary.timeout_s': 'time allowed per candidate',
  'canary.restore_sla_s': 'production must be healthy again within this after canaries or a promotion',
  'canary.domains': 'PHASE domains each canary is probed with',
  'canary.env': 'extra environment for canaries (e.g. CUDA_VISIBLE_DEVICES of a spare GPU)',
  'loop.breaker_threshold': 'consecutive tuning runs of one kind that did not fix it before the circuit opens',
};

/** Keys whose value is a free-form map or list: documented as a whole, not leaf by leaf. */
const WHOLE = new Set([
  'target.launch',
  'target.env',
  'target.config',
  'target.production.systemd',
  'target.production.command',
  'phase.domains',
  'phase.suites',
  'phase.plugins',
  'tuning.knobs',
  'tuning.fitness.weights',
  'canary.domains',
  'canary.env',
]);

interface SchemaNode {
  def: { type: string; innerType?: SchemaNode };
  shape?: Record<string, SchemaNode>;
}

function unwrap(node: SchemaNode): SchemaNode {
  let n = node;
  while ((n.def.type === 'default' || n.def.type === 'optional') && n.def.innerType) n = n.def.innerType;
  return n;
}

/** Every key of the schema (walking its shape, so optional keys without defaults count), with its default. */
export function configKeys(): { path: string; value: unknown }[] {
  const defaults = configSchema.parse({}) as Record<string, unknown>;
  const valueAt = (path: string) =>
    path
      .split('.')
      .reduce<unknown>(
        (v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined),
        defaults,
      );
  const out: { path: string; value: unknown }[] = [];
  const walk = (node: SchemaNode, path: string) => {
    const inner = unwrap(node);
    if (path && (WHOLE.has(path) || inner.def.type !== 'object' || !inner.shape)) {
      out.push({ path, value: valueAt(path) });
      return;
    }
    for (const [k, child] of Object.entries(inner.shape ?? {})) walk(child, path ? `${path}.${k}` : k);
  };
  walk(configSchema as unknown as SchemaNode, '');
  return out;
}

export function renderReference(): string {
  const rows = configKeys().map(({ path, value }) => {
    const shown = value === undefined ? '—' : `\`${JSON.stringify(value)}\``;
    const meaning = (DESCRIPTIONS[path] ?? '').replaceAll('|', '\\|');
    return `| \`${path}\` | ${shown} | ${meaning} |`;
  });
  return [
    'Every key has a default; unknown keys are errors. `nightshift config check` prints the resolved config.',
    '',
    '| key | default | meaning |',
    '| --- | --- | --- |',
    ...rows,
    '',
    'The defaults as YAML:',
    '',
    '```yaml',
    stringify(configSchema.parse({})).trimEnd(),
    '```',
  ].join('\n');
}

export const REFERENCE_BEGIN = '<!-- config-reference:begin (generated by npm run docs) -->';
export const REFERENCE_END = '<!-- config-reference:end -->';

export function withReference(readme: string): string {
  const begin = readme.indexOf(REFERENCE_BEGIN);
  const end = readme.indexOf(REFERENCE_END);
  if (begin < 0 || end < begin) throw new Error('README has no config-reference markers');
  return `${readme.slice(0, begin + REFERENCE_BEGIN.length)}\n${renderReference()}\n${readme.slice(end)}`;
}
