/**
 * Reading `nightshift.yaml`: YAML parse, schema validation, and errors a person can act on — one line per
 * problem with the YAML path, what was expected, what was found and the file line.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import type { z } from 'zod';
import { UsageError } from '../core/errors.js';
import { type Config, configSchema } from './schema.js';

export interface ConfigProblem {
  path: string;
  message: string;
  line?: number;
}

export class ConfigError extends UsageError {
  readonly problems: ConfigProblem[];
  readonly file: string;
  constructor(file: string, problems: ConfigProblem[]) {
    super(problems.map((p) => formatProblem(file, p)).join('\n'));
    this.file = file;
    this.problems = problems;
  }
}

export function formatProblem(file: string, p: ConfigProblem): string {
  const where = p.line === undefined ? file : `${file}:${p.line}`;
  return `config: ${p.path || '(root)'}: ${p.message} (${where})`;
}

export interface LoadedConfig {
  config: Config;
  file: string;
  /** false when the file does not exist and the defaults are used */
  fromFile: boolean;
}

/** Load and validate; a missing file at the default path means "all defaults", a missing explicit path is an error. */
export function loadConfig(file: string, opts: { explicit?: boolean } = {}): LoadedConfig {
  if (!existsSync(file)) {
    if (opts.explicit) throw new UsageError(`config: ${file} does not exist`, 'pass an existing file to --config');
    return { config: configSchema.parse({}), file, fromFile: false };
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`config: cannot read ${file}: ${(err as Error).message}`);
  }
  return { config: parseConfigText(text, file), file, fromFile: true };
}

export function parseConfigText(text: string, file = 'nightshift.yaml'): Config {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      file,
      doc.errors.map((e) => ({
        path: '(yaml)',
        message: e.message.split('\n')[0] ?? 'invalid YAML',
        line: lineCounter.linePos(e.pos[0]).line,
      })),
    );
  }
  const raw: unknown = doc.toJS() ?? {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError(file, [{ path: '', message: `expected a mapping of sections, found ${describe(raw)}` }]);
  }
  const result = configSchema.safeParse(raw);
  if (result.success) return result.data;
  const problems = result.error.issues.flatMap((issue: z.core.$ZodIssue) =>
    toProblems(issue, raw, doc.contents, lineCounter),
  );
  throw new ConfigError(file, problems);
}

function toProblems(issue: z.core.$ZodIssue, raw: unknown, root: YamlNode | null, lines: LineCounter): ConfigProblem[] {
  const path = issue.path.map(String);
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({
      path: [...path, key].join('.'),
      message: `unknown key (typo?); allowed here: ${allowedKeys(path).join(', ') || 'see the config reference'}`,
      line: lineOf(root, [...path, key], lines),
    }));
  }
  const found = valueAt(raw, path);
  return [
    { path: path.join('.'), message: `${expected(issue)}, found ${describe(found)}`, line: lineOf(root, path, lines) },
  ];
}

function expected(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'too_small':
      return `expected ${issue.origin === 'number' ? 'a number' : issue.origin} ${issue.inclusive ? '≥' : '>'} ${issue.minimum}`;
    case 'too_big':
      return `expected ${issue.origin === 'number' ? 'a number' : issue.origin} ${issue.inclusive ? '≤' : '<'} ${issue.maximum}`;
    case 'invalid_type':
      return `expected ${issue.expected}`;
    case 'invalid_value':
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    default:
      return issue.message.replace(/^Invalid input: /, '');
  }
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return String(v);
}

function valueAt(raw: unknown, path: string[]): unknown {
  let cur: unknown = raw;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

function lineOf(root: YamlNode | null, path: string[], lines: LineCounter): number | undefined {
  let node: unknown = root;
  let keyNode: unknown;
  for (const key of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (isScalar(p.key) ? String(p.key.value) : String(p.key)) === key);
      if (!pair) break;
      keyNode = pair.key;
      node = pair.value;
    } else if (isSeq(node)) {
      keyNode = node.items[Number(key)];
      node = keyNode;
    } else break;
  }
  const range = (keyNode as { range?: [number, number, number] } | undefined)?.range;
  return range ? lines.linePos(range[0]).line : undefined;
}

/** The keys the schema allows at a path, for "did you mean" help. */
function allowedKeys(path: string[]): string[] {
  let schema: unknown = configSchema;
  for (const key of path) {
    schema = unwrap(schema);
    const shape = (schema as { shape?: Record<string, unknown> }).shape;
    if (shape) schema = shape[key];
    else return [];
  }
  const shape = (unwrap(schema) as { shape?: Record<string, unknown> }).shape;
  return shape ? Object.keys(shape) : [];
}

function unwrap(schema: unknown): unknown {
  let s = schema as { unwrap?: () => unknown; def?: { innerType?: unknown } } | undefined;
  for (let i = 0; i < 5 && s; i++) {
    const inner = s.def?.innerType;
    if (!inner) break;
    s = inner as typeof s;
  }
  return s;
}

/** The config with secrets out: an API key is referenced by variable name, and its value never printed. */
export function redactedConfig(config: Config, env: NodeJS.ProcessEnv = process.env): Record<string, unknown> {
  const copy = structuredClone(config) as Record<string, unknown>;
  const target = copy.target as Record<string, unknown>;
  if (config.target.api_key_env) {
    target.api_key = env[config.target.api_key_env] ? '(set, redacted)' : '(not set)';
  }
  target.env = Object.fromEntries(
    Object.entries(config.target.env).map(([k, v]) => [k, /key|token|secret|password/i.test(k) ? '(redacted)' : v]),
  );
  return copy;
}

/** The API key for the target, read from the environment variable the config names. */
export function apiKey(config: Config, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return config.target.api_key_env ? env[config.target.api_key_env] : undefined;
}
