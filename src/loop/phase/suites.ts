/**
 * User prompt suites: a YAML or JSONL file of cases, each a prompt and one expected check, run as an extra
 * correctness domain named `suite:<name>`.
 *
 *   # YAML: a list of cases, or { cases: [...] }
 *   - prompt: "What is the capital of France?"
 *     contains: Paris
 *   - { prompt: "2+2?", number: 4 }
 *   - { prompt: "Give a date", regex: "\\d{4}-\\d{2}-\\d{2}" }
 *   - { prompt: "Reply OK", check: exact, expected: OK, max_tokens: 4, system: "Be terse." }
 *
 *   # JSONL: one case per line, same fields
 *   {"prompt": "What is 17+25?", "number": 42}
 *
 * Every problem is found when the suite loads (before the run), with its file and line.
 */
import { readFileSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { UsageError } from '../../core/errors.js';
import { CHECK_TYPES, type Check, validateCheck } from './checks.js';
import type { Domain } from './domain.js';
import { type CorrectnessCase, makeCorrectnessDomain } from './domains/correctness.js';

const expected = z.union([z.string(), z.number(), z.array(z.string())]);

const caseSchema = z.strictObject({
  id: z.string().min(1).optional(),
  prompt: z.string().min(1),
  system: z.string().optional(),
  max_tokens: z.number().int().positive().optional(),
  exact: z.string().optional(),
  contains: z.string().optional(),
  regex: z.string().optional(),
  number: z.number().optional(),
  json_keys: z.array(z.string()).optional(),
  check: z.enum(CHECK_TYPES as [Check['type'], ...Check['type'][]]).optional(),
  expected: expected.optional(),
});
type RawCase = z.infer<typeof caseSchema>;

export class SuiteError extends UsageError {
  constructor(name: string, where: string, message: string) {
    super(`suite ${name}: ${message} (${where})`, 'fix the suite file or remove it from phase.suites');
  }
}

function toCheck(raw: RawCase): Check | string {
  const short = (['exact', 'contains', 'regex', 'number', 'json_keys'] as const).filter((k) => raw[k] !== undefined);
  const count = short.length + (raw.check !== undefined ? 1 : 0);
  if (count !== 1) {
    return count === 0
      ? 'no expected check: give one of exact, contains, regex, number, json_keys (or check + expected)'
      : `more than one check (${[...short, ...(raw.check ? ['check'] : [])].join(', ')}): give exactly one`;
  }
  const type = raw.check ?? (short[0] as Check['type']);
  const value = raw.check !== undefined ? raw.expected : raw[type];
  if (value === undefined) return `check "${type}" has no expected value`;
  switch (type) {
    case 'number': {
      const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : Number.NaN;
      return Number.isFinite(n)
        ? { type, value: n }
        : `check "number" expects a number, found ${JSON.stringify(value)}`;
    }
    case 'json_keys':
      return Array.isArray(value) ? { type, value } : `check "json_keys" expects a list of keys`;
    default:
      return typeof value === 'string' || typeof value === 'number'
        ? { type, value: String(value) }
        : `check "${type}" expects a string, found a list`;
  }
}

/** Parse a suite's text into cases; `file` only names where problems are. */
export function parseSuite(name: string, file: string, text: string): CorrectnessCase[] {
  const entries: { raw: unknown; where: string }[] = [];
  if (extname(file).toLowerCase() === '.jsonl') {
    text.split('\n').forEach((line, i) => {
      if (line.trim() === '' || line.trimStart().startsWith('#')) return;
      try {
        entries.push({ raw: JSON.parse(line), where: `${file}:${i + 1}` });
      } catch (err) {
        throw new SuiteError(name, `${file}:${i + 1}`, `not valid JSON: ${(err as Error).message}`);
      }
    });
  } else {
    let doc: unknown;
    try {
      doc = parse(text);
    } catch (err) {
      throw new SuiteError(name, file, `not valid YAML: ${(err as Error).message.split('\n')[0]}`);
    }
    const list = Array.isArray(doc) ? doc : (doc as { cases?: unknown } | null)?.cases;
    if (!Array.isArray(list)) throw new SuiteError(name, file, 'expected a list of cases, or a mapping with "cases"');
    list.forEach((raw, i) => {
      entries.push({ raw, where: `${file}: case ${i + 1}` });
    });
  }
  if (entries.length === 0) throw new SuiteError(name, file, 'has no cases');
  return entries.map(({ raw, where }, i) => {
    const parsed = caseSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const path = issue?.path.length ? `${issue.path.join('.')}: ` : '';
      throw new SuiteError(name, where, `${path}${issue?.message ?? 'invalid case'}`);
    }
    const check = toCheck(parsed.data);
    if (typeof check === 'string') throw new SuiteError(name, where, check);
    const invalid = validateCheck(check);
    if (invalid) throw new SuiteError(name, where, invalid);
    const c = parsed.data;
    return {
      id: c.id ?? `${name}-${i + 1}`,
      prompt: c.prompt,
      check,
      ...(c.system !== undefined ? { system: c.system } : {}),
      ...(c.max_tokens !== undefined ? { max_tokens: c.max_tokens } : {}),
    };
  });
}

export function suiteDomainName(name: string): string {
  return `suite:${name}`;
}

/** Load one configured suite as a domain; paths are relative to `baseDir` (the config file's directory). */
export function loadSuite(suite: { name: string; file: string }, baseDir: string): Domain {
  const path = resolve(baseDir, suite.file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new SuiteError(
      suite.name,
      path,
      `cannot read the file: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  const cases = parseSuite(suite.name, path, text);
  return makeCorrectnessDomain({
    name: suiteDomainName(suite.name),
    description: `user prompt suite ${suite.name} (${cases.length} cases from ${suite.file})`,
    cases,
  });
}
