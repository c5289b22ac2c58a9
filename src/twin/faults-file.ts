/** Reading a faults file (format: faults.ts): YAML, validated; errors name the file and the entry. */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import { UsageError } from '../core/errors.js';
import type { Fault } from './faults.js';

const window = { at: z.number().min(0).default(0), until: z.number().positive().optional() };
const faultSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('memory_hog'), gib: z.number().min(0), ...window }),
  z.strictObject({ kind: z.literal('leak'), mib_per_min: z.number().min(0), ...window }),
  z.strictObject({ kind: z.literal('slowdown'), factor: z.number().positive(), ...window }),
  z.strictObject({ kind: z.literal('quality'), wrong_fraction: z.number().min(0).max(1), ...window }),
  z.strictObject({ kind: z.literal('crash'), ...window }),
]);
const faultsSchema = z.array(faultSchema);

export class FaultsError extends UsageError {}

export function parseFaults(text: string, where: string): Fault[] {
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (err) {
    throw new FaultsError(`twin: faults file ${where}: not valid YAML (${(err as Error).message.split('\n')[0]})`);
  }
  if (raw === null || raw === undefined) return [];
  const res = faultsSchema.safeParse(raw);
  if (!res.success) {
    const issue = res.error.issues[0];
    const path = issue?.path.length ? issue.path.join('.') : '(top level)';
    throw new FaultsError(
      `twin: faults file ${where}: ${path}: ${issue?.message ?? 'invalid'}`,
      'expected a list of {kind: memory_hog|leak|slowdown|quality|crash, at?, until?, ...}',
    );
  }
  return res.data;
}

export function readFaultsFile(path: string): Fault[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new FaultsError(
      `twin: faults file ${path}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
      'check the --faults path',
    );
  }
  return parseFaults(text, path);
}
