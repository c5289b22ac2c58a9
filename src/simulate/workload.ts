/**
 * The workload of one night as PHASE domain options (config.phase.domains): the scenario's base options per
 * domain, healthy growth over the nights, and prompt-length growth faults. Pure.
 */
import { DOMAIN_NAMES, type DomainName, type DomainOptions } from '../config/schema.js';
import { activeFaults, type Growth, type Scenario } from './scenario.js';

export type NightDomains = Partial<Record<DomainName, DomainOptions>>;

/** Options whose values are counts (rounded after growth); `rate` stays fractional. */
const FRACTIONAL = new Set(['rate']);

/** Steps of growth applied on a night: the first on from_night, one more each night after. */
function steps(from: number, n: number): number {
  return n >= from ? n - from + 1 : 0;
}

function grow(base: number, g: Growth, n: number): number {
  const k = steps(g.from_night, n);
  let v = base * g.factor ** k + g.per_night * k;
  if (g.max !== undefined) v = Math.min(v, g.max);
  if (!FRACTIONAL.has(g.option)) v = Math.max(1, Math.round(v));
  return v;
}

/**
 * Every domain of PHASE with its options tonight: the scenario's domains enabled, every other one disabled,
 * so a night runs exactly the workload the scenario describes.
 */
export function nightWorkload(scenario: Pick<Scenario, 'workload' | 'faults'>, n: number): NightDomains {
  const out: NightDomains = {};
  for (const name of DOMAIN_NAMES) out[name] = { enabled: false };
  for (const [name, opts] of Object.entries(scenario.workload.domains) as [DomainName, DomainOptions][]) {
    out[name] = { ...opts, enabled: true };
  }
  for (const g of scenario.workload.growth) {
    const opts = out[g.domain] as Record<string, unknown>;
    const base = opts[g.option];
    if (typeof base !== 'number') continue;
    if (steps(g.from_night, n) > 0) opts[g.option] = grow(base, g, n);
  }
  for (const f of activeFaults(scenario, n)) {
    if (f.kind !== 'prompt_growth') continue;
    const opts = out[f.domain] as DomainOptions;
    opts.prompt_tokens = f.prompt_tokens + f.per_night * (n - f.from_night);
  }
  return out;
}

/** A short description of what changed against night 1, for the night table ("long-context prompt 7000"). */
export function workloadChanges(first: NightDomains, tonight: NightDomains): string[] {
  const changes: string[] = [];
  for (const name of DOMAIN_NAMES) {
    const a = (first[name] ?? {}) as Record<string, unknown>;
    const b = (tonight[name] ?? {}) as Record<string, unknown>;
    for (const key of Object.keys(b)) {
      if (key !== 'enabled' && a[key] !== b[key]) changes.push(`${name}.${key} ${String(b[key])}`);
    }
  }
  return changes;
}
