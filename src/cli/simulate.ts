/**
 * `nightshift simulate SCENARIO.yaml [--json] [--out DIR]`: run a scenario's nights against the twin with the
 * real loop, print the night table and the summary (or the JSON document of schema/simulation.schema.json).
 * Exit 0 when the scenario's expectations are met (or it has none), 1 when not. One progress line per night
 * goes to stderr, so `--json` output on stdout stays one clean document.
 *
 * A simulation needs no nightshift.yaml: the scenario file describes the loop config, so this command does not
 * load one (a broken config in the working directory does not stop a simulation).
 */
import type { Command } from 'commander';
import { type SimulateOptions, simulate } from '../simulate/driver.js';
import { renderResult } from '../simulate/render.js';
import { loadScenario, type Scenario } from '../simulate/scenario.js';
import type { NightRow, SimulationResult } from '../simulate/types.js';
import { createLogger } from '../system/log.js';
import type { Register } from './command.js';
import { globals, type Output, printJson } from './context.js';

/** Run a simulation with SIGINT/SIGTERM turned into a clean stop (every process it started is stopped). */
export async function simulateWithSignals(scenario: Scenario, opts: SimulateOptions): Promise<SimulationResult> {
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await simulate(scenario, { ...opts, signal: controller.signal });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

export function progressLine(row: NightRow, total: number): string {
  const what = [
    row.cycle_id === null ? 'cycle failed' : `PHASE ${row.phase_status}`,
    row.symptoms.length ? `symptoms ${row.symptoms.join(',')}` : '',
    row.escalations_armed.length ? `flags ${row.escalations_armed.join(',')}` : '',
    row.tuning ? `tuning ${row.tuning.status}` : '',
    row.validation ? `promotion ${row.validation.outcome}` : '',
  ].filter(Boolean);
  return `night ${row.night}/${total} ${row.date}: ${what.join(' · ')} → exit ${row.exit_code} (${row.wall_seconds} s)`;
}

export const registerSimulate: Register = (program, exit, io: Output) => {
  program
    .command('simulate')
    .description('Run a scenario: months of nights of the real loop against the vLLM twin, with the healing measured')
    .argument('<scenario>', 'scenario YAML file (shipped ones: scenarios/*.yaml; see docs/scenarios.md)')
    .option('--json', 'print one JSON document (schema/simulation.schema.json)')
    .option('--out <dir>', 'keep the simulation state here (new or empty directory; default a temp directory)')
    .action(async (file: string, opts: { json?: boolean; out?: string }, cmd: Command) => {
      const g = globals(cmd);
      const json = Boolean(opts.json ?? g.json);
      const scenario = loadScenario(file);
      const log = createLogger({ level: g.verbose ? 'debug' : 'error' });
      io.err(`simulate: ${scenario.name}, ${scenario.nights} nights (seed ${scenario.seed})`);
      const result = await simulateWithSignals(scenario, {
        ...(opts.out ? { stateDir: opts.out } : {}),
        log,
        onNight: (row) => io.err(progressLine(row, scenario.nights)),
      });
      if (json) printJson(io, result);
      else io.out(renderResult(result, scenario.timezone));
      exit.code = result.summary.expect.met ? 0 : 1;
    });
};
