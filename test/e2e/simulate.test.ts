/**
 * `nightshift simulate` as a user runs it: a tiny scenario twice with the same seed gives the same night table
 * (everything but measured times), the JSON validates against the public schema, and no twin survives.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { NightRow, SimulationResult } from '../../src/simulate/types.js';
import { processesMentioning, schemaErrors } from '../scenarios/support.js';
import { nightshift } from '../support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'nightshift-e2e-sim-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SCENARIO = `
name: tiny
seed: 5
nights: 4
twin:
  model: llama-3.1-8b
  gpu: L4-24GB
  time_scale: 0.01
  config: { gpu_memory_utilization: 0.9, max_num_seqs: 32, max_model_len: 4096 }
loop:
  # latency and throughput are measured on real I/O (their jitter is not seeded): kept out of the verdicts
  analysis: { min_nights: 2, floors: { latency_ms: 60000, tok_per_s: 100000, req_per_s: 1000 } }
workload:
  domains:
    health: {}
    interactive: { requests: 4 }
    correctness: { requests: 4 }
faults:
  - { kind: quality, from_night: 4, wrong_fraction: 0.5 }
`;

/** What must be identical between two runs with one seed: all but measured durations and paths. */
function decisions(rows: NightRow[]) {
  return rows.map((r) => ({
    night: r.night,
    date: r.date,
    faults: r.faults_active,
    config: r.config,
    cycle: r.cycle_id,
    phase: r.phase_status,
    analysis: r.analysis_status,
    domains: r.domains,
    symptoms: r.symptoms,
    flags: r.escalations_armed,
    tuning: r.tuning && {
      status: r.tuning.status,
      candidates: r.tuning.candidates,
      promoted: r.tuning.promoted_config,
    },
    validation: r.validation?.outcome ?? null,
    exit: r.exit_code,
    pass_rate: r.metrics.correctness?.pass_rate,
  }));
}

function run(out: string): SimulationResult {
  const file = join(dir, 'tiny.yaml');
  writeFileSync(file, SCENARIO);
  const r = nightshift(['simulate', file, '--json', '--out', out], { timeoutMs: 120_000 });
  expect(r.stderr).toContain('night 4/4');
  return JSON.parse(r.stdout) as SimulationResult;
}

describe('nightshift simulate', () => {
  it('gives the same nights for the same seed, valid against the schema, with no twin left', () => {
    const a = run(join(dir, 'a'));
    const b = run(join(dir, 'b'));
    expect(schemaErrors(a)).toEqual([]);
    expect(a.nights).toHaveLength(4);
    expect(decisions(b.nights)).toEqual(decisions(a.nights));
    expect(a.nights[3]?.faults_active).toEqual(['quality']);
    expect(processesMentioning(join(dir, 'a'))).toEqual([]);
    expect(processesMentioning(join(dir, 'b'))).toEqual([]);
  }, 240_000);
});
