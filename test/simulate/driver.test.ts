/**
 * The night loop's control of its world, with a stand-in for the cycle: one production twin started and
 * stopped, the faults file rewritten night by night, the clock at 03:00 local of each night, a dead production
 * restarted by the supervisor, rows read back, and no process left behind.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { isoLocal } from '../../src/core/time.js';
import { type CycleRecord, newCycleRecord } from '../../src/loop/cycle-record.js';
import { type CycleRunner, simulate } from '../../src/simulate/driver.js';
import { parseScenarioText } from '../../src/simulate/scenario.js';
import { groupAlive } from '../../src/system/process.js';
import { ManagedProduction } from '../../src/targets/production/index.js';
import { processesMentioning } from '../scenarios/support.js';

const scenario = parseScenarioText(`
name: driver
seed: 9
nights: 3
start_date: "2026-03-28"
timezone: Europe/Berlin
twin:
  model: llama-3.1-8b
  time_scale: 0.05
  config: { gpu_memory_utilization: 0.9, max_num_seqs: 32, max_model_len: 4096 }
workload:
  domains:
    interactive: { requests: 2 }
faults:
  - { kind: slowdown, from_night: 2, until_night: 2, factor: 1.5 }
  - { kind: crash, from_night: 3, at_s: 0 }
`);

function record(cycleId: string, startedAt: number): CycleRecord {
  return newCycleRecord({ mode: 'act', cycle_id: cycleId, timestamp: '', started_at: startedAt });
}

describe('simulate (night loop)', () => {
  it('runs each night at 03:00 local with that night’s faults and stops every process at the end', async () => {
    const seen: { at: string; faults: unknown; healthy: boolean; pid: number | undefined }[] = [];
    const pids: number[] = [];
    const cycle: CycleRunner = async ({ clock, config, production }) => {
      const pid = production instanceof ManagedProduction ? production.pid() : undefined;
      if (pid !== undefined) pids.push(pid);
      seen.push({
        at: isoLocal(clock.now(), config.timezone),
        faults: parse(readFileSync(join(config.state_dir, 'simulation', 'faults.yaml'), 'utf8')),
        healthy: await production.health(),
        pid,
      });
      return record(`loop_${seen.length}`, clock.now());
    };
    const result = await simulate(scenario, { runCycle: cycle });
    // 2026-03-29 is the spring-forward night in Berlin: 03:00 still exists, at +02:00.
    expect(seen.map((s) => s.at)).toEqual([
      '2026-03-28T03:00:00+01:00',
      '2026-03-29T03:00:00+02:00',
      '2026-03-30T03:00:00+02:00',
    ]);
    expect(seen.map((s) => s.faults)).toEqual([[], [{ kind: 'slowdown', factor: 1.5 }], [{ kind: 'crash', at: 0 }]]);
    expect(seen[0]?.healthy).toBe(true);
    expect(result.nights.map((n) => n.faults_active)).toEqual([[], ['slowdown'], ['crash']]);
    expect(result.nights.map((n) => n.cycle_id)).toEqual(['loop_1', 'loop_2', 'loop_3']);
    for (const pid of pids) expect(groupAlive(pid)).toBe(false);
    expect(processesMentioning(result.state_dir)).toEqual([]);
  }, 60_000);

  it('records a night whose cycle throws and goes on with the next', async () => {
    let n = 0;
    const cycle: CycleRunner = async ({ clock }) => {
      n++;
      if (n === 1) throw new Error('cycle exploded');
      return record(`loop_${n}`, clock.now());
    };
    const result = await simulate(scenario, { runCycle: cycle, nights: 2 });
    expect(result.nights[0]).toMatchObject({ cycle_id: null, exit_code: 70, error: 'cycle exploded' });
    expect(result.nights[1]?.cycle_id).toBe('loop_2');
    expect(processesMentioning(result.state_dir)).toEqual([]);
  }, 60_000);

  it('stops production when interrupted', async () => {
    const controller = new AbortController();
    const cycle: CycleRunner = async ({ clock }) => {
      controller.abort();
      return record('loop_1', clock.now());
    };
    await expect(simulate(scenario, { runCycle: cycle, signal: controller.signal })).rejects.toThrow(/interrupted/);
    expect(processesMentioning('nightshift-sim-driver-').filter((p) => p !== process.pid)).toEqual([]);
  }, 60_000);
});
