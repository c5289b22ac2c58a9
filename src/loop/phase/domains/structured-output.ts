/**
 * `structured-output`: the server is asked for JSON matching a JSON Schema (OpenAI `response_format`
 * json_schema, which vLLM enforces with guided decoding) — does every answer parse as JSON and match it?
 * The whole answer must be JSON: wrapping it in prose or a code fence is a failure here, since guided
 * decoding exists to prevent exactly that.
 * Defaults: every schema case once (`requests` repeats them cyclically), 96 output tokens, sequential.
 * Metrics: pass_rate, error_rate, latency percentiles. Fails below the correctness MIN_PASS_RATE.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import type { DomainResult } from '../../../core/types.js';
import type { Domain, DomainContext } from '../domain.js';
import { compactSample, decideStatus, pct } from '../outcome.js';
import { SCHEMA_CASES } from '../prompts.js';
import { load, UNBOUNDED_MODEL_MS } from './common.js';
import { MIN_PASS_RATE } from './correctness.js';

const DEFAULT_MAX_TOKENS = 96;

/** Why a JSON answer does not match its schema, or undefined when it does. */
export function schemaProblem(validate: ValidateFunction, text: string): string | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text.trim());
  } catch (err) {
    return `not JSON: ${(err as Error).message}`;
  }
  if (validate(value)) return undefined;
  const e = validate.errors?.[0];
  return e ? `schema: ${e.instancePath || '(root)'} ${e.message ?? 'does not match'}` : 'does not match the schema';
}

export const structuredOutputDomain: Domain = {
  name: 'structured-output',
  description: 'JSON answers parse and match a JSON Schema: pass rate',
  defaults: { requests: SCHEMA_CASES.length, max_tokens: DEFAULT_MAX_TOKENS, concurrency: 1 },
  async run(ctx: DomainContext): Promise<DomainResult> {
    const ajv = new Ajv({ allErrors: false, strict: false });
    const validators = SCHEMA_CASES.map((c) => ajv.compile(c.schema));
    const n = ctx.options.requests ?? SCHEMA_CASES.length;
    const at = (i: number) => i % SCHEMA_CASES.length;
    const failures: { id: string; reason: string }[] = [];
    const r = await load(ctx, {
      label: 'structured-output',
      pattern:
        (ctx.options.concurrency ?? 1) > 1
          ? { kind: 'concurrency', concurrency: ctx.options.concurrency ?? 1 }
          : { kind: 'sequential' },
      requests: n,
      durationMs: UNBOUNDED_MODEL_MS,
      makeRequest: (i) => {
        const c = SCHEMA_CASES[at(i)]!;
        return {
          api: 'chat',
          prompt: `${c.prompt}. Answer with the JSON object only.`,
          max_tokens: ctx.options.max_tokens ?? DEFAULT_MAX_TOKENS,
          temperature: 0,
          response_format: { type: 'json_schema', json_schema: { name: c.id, schema: c.schema } },
        };
      },
      check: (i, result) => {
        const problem = schemaProblem(validators[at(i)]!, result.text);
        if (problem) failures.push({ id: SCHEMA_CASES[at(i)]!.id, reason: problem });
        return problem === undefined;
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
      details: { passed, ...(failures.length > 0 ? { failed: failures.slice(0, 20) } : {}) },
    };
  },
};
