/**
 * Shared by the scenario tests and the simulator's e2e test: where the shipped scenarios are, validation of a
 * simulation document against the public JSON Schema, and the check that no twin process survived.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { ROOT } from '../support/cli.js';

export function scenarioFile(name: string): string {
  return join(ROOT, 'scenarios', `${name}.yaml`);
}

/** The schema's complaints about a document (empty when it is valid). */
export function schemaErrors(doc: unknown): string[] {
  const schema = JSON.parse(readFileSync(join(ROOT, 'schema', 'simulation.schema.json'), 'utf8')) as object;
  const validate = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true }).compile(schema);
  if (validate(doc)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`);
}

/**
 * pids of live processes whose command line mentions `text`. Every twin of a simulation carries the faults
 * file under its state directory on its command line, so the state directory finds them all.
 */
export function processesMentioning(text: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(text)) out.push(Number(name));
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}
