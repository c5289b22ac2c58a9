/**
 * Reading `nightshift.yaml`: YAML parse, schema validation, and errors a person can act on — one line per
 * problem with the YAML path, what was expected, what was found and the file line.
 */
import { existsSync, readFileSync } from 'node:fs';
import { UsageError } from '../core/errors.js';
import { type Config, configSchema } from './schema.js';
import { parseYamlWith, type SchemaProblem } from './yaml-schema.js';

export type ConfigProblem = SchemaProblem;

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
  const result = parseYamlWith(configSchema, text, { rootHint: 'a mapping of sections', allowedKeys });
  if (!result.ok) throw new ConfigError(file, result.problems);
  return result.value;
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
