import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { healingRun, row, tuning } from '../../test/simulate/rows.js';
import { summarize } from './scorer.js';
import type { SimulationResult } from './types.js';

const schema = JSON.parse(
  readFileSync(fileURLToPath(new URL('../../schema/simulation.schema.json', import.meta.url)), 'utf8'),
) as object;

function validator() {
  const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
  return ajv.compile(schema);
}

function result(rows = healingRun()): SimulationResult {
  return {
    schema: 'nightshift.simulation/v1',
    scenario: 'test',
    seed: 1,
    nights: rows,
    summary: summarize(rows, { resolved_by_night: 6 }),
    state_dir: '/tmp/x',
  };
}

describe('simulation JSON Schema', () => {
  it('accepts a simulation result', () => {
    const validate = validator();
    const ok = validate(JSON.parse(JSON.stringify(result())));
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it('accepts a night whose cycle failed and a deferred tuning run', () => {
    const rows = [
      row(1, { cycle_id: null, phase_status: null, analysis_status: null, exit_code: 70, error: 'boom' }),
      row(2, {
        tuning: tuning({ status: 'deferred: budget', candidates: 0, best_fitness: null, control_fitness: null }),
      }),
    ];
    const validate = validator();
    expect(validate(JSON.parse(JSON.stringify(result(rows))))).toBe(true);
  });

  it('rejects a document without the summary', () => {
    const { summary: _, ...rest } = result();
    expect(validator()(rest)).toBe(false);
  });

  it('rejects an unknown fault kind in a night', () => {
    const doc = JSON.parse(JSON.stringify(result()));
    doc.nights[0].faults_active = ['meteor'];
    expect(validator()(doc)).toBe(false);
  });
});
