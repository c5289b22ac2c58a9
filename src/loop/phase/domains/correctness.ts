/**
 * `correctness`: golden prompts with one checkable answer (exact, contains, regex, number, JSON keys) at
 * temperature 0 — is the server still computing the right thing? User prompt suites reuse this domain with
 * their own cases (`suite:<name>`).
 * Defaults: every case once (`requests` repeats the list cyclically up to that count), 64 output tokens,
 * sequential. Metrics: pass_rate (errors count as not passed), error_rate, latency percentiles.
 * Fails below MIN_PASS_RATE; details list the cases that failed and why.
 */
import type { DomainResult } from '../../../core/types.js';
import type { ProbeRequest } from '../../../probe/types.js';
import { runCheck } from '../checks.js';
import type { Domain, DomainContext } from '../domain.js';
import { compactSample, decideStatus, pct } from '../outcome.js';
import { GOLDEN, type GoldenCase } from '../prompts.js';
import { load, UNBOUNDED_MODEL_MS } from './common.js';

/** Below this share of right answers the domain fails (one wrong answer in eight still passes). */
export const MIN_PASS_RATE = 0.75;
const DEFAULT_MAX_TOKENS = 64;

export interface CorrectnessCase extends GoldenCase {
  system?: string;
}

export function makeCorrectnessDomain(spec: {
  name: string;
  description: string;
  cases: readonly CorrectnessCase[];
}): Domain {
  return {
    name: spec.name,
    description: spec.description,
    defaults: { requests: spec.cases.length, max_tokens: DEFAULT_MAX_TOKENS, concurrency: 1 },
    async run(ctx: DomainContext): Promise<DomainResult> {
      if (spec.cases.length === 0) return { status: 'error', metrics: {}, reason: `${spec.name} has no cases` };
      const n = ctx.options.requests ?? spec.cases.length;
      const concurrency = ctx.options.concurrency ?? 1;
      const caseAt = (i: number) => spec.cases[i % spec.cases.length] as CorrectnessCase;
      const failures: { id: string; reason: string }[] = [];
      const request = (c: CorrectnessCase): ProbeRequest => ({
        api: 'chat',
        messages: [
          ...(c.system ? [{ role: 'system' as const, content: c.system }] : []),
          { role: 'user', content: c.prompt },
        ],
        max_tokens: c.max_tokens ?? ctx.options.max_tokens ?? DEFAULT_MAX_TOKENS,
        temperature: 0,
      });
      const r = await load(ctx, {
        label: spec.name,
        pattern: concurrency > 1 ? { kind: 'concurrency', concurrency } : { kind: 'sequential' },
        requests: n,
        durationMs: UNBOUNDED_MODEL_MS,
        makeRequest: (i) => request(caseAt(i)),
        check: (i, result) => {
          const c = caseAt(i);
          const out = runCheck(c.check, result.text);
          if (!out.passed) failures.push({ id: c.id, reason: out.reason ?? 'check failed' });
          return out.passed;
        },
      });
      const counted = r.samples.filter((s) => s.ok || s.error !== 'aborted');
      const passed = counted.filter((s) => s.passed === true).length;
      const passRate = counted.length > 0 ? passed / counted.length : 0;
      const reasons = passRate < MIN_PASS_RATE ? [`pass rate ${pct(passRate)} below ${pct(MIN_PASS_RATE)}`] : [];
      return {
        ...decideStatus({ samples: r.samples, failures: reasons }),
        metrics: { ...r.summary.metrics, pass_rate: passRate },
        samples: r.samples.map(compactSample),
        details: {
          cases: spec.cases.length,
          passed,
          ...(failures.length > 0 ? { failed: failures.slice(0, 20) } : {}),
        },
      };
    },
  };
}

export const correctnessDomain: Domain = makeCorrectnessDomain({
  name: 'correctness',
  description: 'golden prompts with expected answers (exact, contains, regex, number): pass rate',
  cases: GOLDEN,
});
