/**
 * YAML text validated by a zod schema, with problems a person can act on: each names the YAML path, what was
 * expected, what was found and the line in the file. Shared by the config file and scenario files.
 */
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import type { z } from 'zod';

export interface SchemaProblem {
  path: string;
  message: string;
  line?: number;
}

export interface YamlSchemaOptions {
  /** what the top level must be, for the error when it is not a mapping */
  rootHint: string;
  /** the keys allowed at a path, for the unknown-key message */
  allowedKeys?: (path: string[]) => string[];
  /** a clearer "expected ..." for issues the generic wording says badly (unions of shapes) */
  expected?: (issue: z.core.$ZodIssue) => string | undefined;
}

export type YamlSchemaResult<T> = { ok: true; value: T } | { ok: false; problems: SchemaProblem[] };

export function parseYamlWith<T>(schema: z.ZodType<T>, text: string, opts: YamlSchemaOptions): YamlSchemaResult<T> {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      problems: doc.errors.map((e) => ({
        path: '(yaml)',
        message: e.message.split('\n')[0] ?? 'invalid YAML',
        line: lines.linePos(e.pos[0]).line,
      })),
    };
  }
  const raw: unknown = doc.toJS() ?? {};
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return { ok: false, problems: [{ path: '', message: `expected ${opts.rootHint}, found ${describe(raw)}` }] };
  }
  const result = schema.safeParse(raw);
  if (result.success) return { ok: true, value: result.data };
  return {
    ok: false,
    problems: result.error.issues.flatMap((issue) => toProblems(issue, raw, doc.contents, lines, opts)),
  };
}

function toProblems(
  issue: z.core.$ZodIssue,
  raw: unknown,
  root: YamlNode | null,
  lines: LineCounter,
  opts: YamlSchemaOptions,
): SchemaProblem[] {
  const path = issue.path.map(String);
  if (issue.code === 'unrecognized_keys') {
    const allowed = opts.allowedKeys?.(path) ?? [];
    return issue.keys.map((key) => ({
      path: [...path, key].join('.'),
      message: allowed.length > 0 ? `unknown key (typo?); allowed here: ${allowed.join(', ')}` : 'unknown key (typo?)',
      line: lineOf(root, [...path, key], lines),
    }));
  }
  const message =
    issue.code === 'custom'
      ? `${issue.message}, found ${describe(valueAt(raw, path))}`
      : `${opts.expected?.(issue) ?? expected(issue)}, found ${describe(valueAt(raw, path))}`;
  return [{ path: path.join('.'), message, line: lineOf(root, path, lines) }];
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

export function describe(v: unknown): string {
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
  let located: unknown = root;
  for (const key of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (isScalar(p.key) ? String(p.key.value) : String(p.key)) === key);
      if (!pair) break;
      located = pair.key;
      node = pair.value;
    } else if (isSeq(node)) {
      const item = node.items[Number(key)];
      if (item === undefined) break;
      located = item;
      node = item;
    } else break;
  }
  const range = (located as { range?: [number, number, number] } | undefined)?.range;
  return range ? lines.linePos(range[0]).line : undefined;
}
