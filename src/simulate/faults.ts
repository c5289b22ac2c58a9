/**
 * The twin's faults file for one night. The production twin (and every canary: they share the launch command,
 * as they share the real GPU, its driver and its neighbours) re-reads the file when it changes, so the driver
 * rewrites it before each night's cycle with exactly the faults active that night. Pure: text in, text out.
 *
 * The file is a YAML list (src/twin/faults.ts). Times in it are model seconds since that twin process started;
 * a fault with no `at` is active from the moment the file is read. So `crash.at_s`, `memory_hog.after_s` and
 * `leak.for_s` repeat in every process: a restarted production crashes again, a neighbour that arrives a minute
 * after vLLM arrives again after each restart.
 */
import { stringify } from 'yaml';
import { activeFaults, type Fault, type Scenario, TWIN_FAULT_KINDS } from './scenario.js';

export type TwinFault =
  | { kind: 'memory_hog'; gib: number; at?: number }
  | { kind: 'leak'; mib_per_min: number; until?: number }
  | { kind: 'slowdown'; factor: number }
  | { kind: 'quality'; wrong_fraction: number }
  | { kind: 'crash'; at: number };

export function toTwinFault(f: Fault): TwinFault | undefined {
  switch (f.kind) {
    case 'memory_hog':
      return f.after_s === undefined
        ? { kind: 'memory_hog', gib: f.gib }
        : { kind: 'memory_hog', gib: f.gib, at: f.after_s };
    case 'leak':
      return f.for_s === undefined
        ? { kind: 'leak', mib_per_min: f.mib_per_min }
        : { kind: 'leak', mib_per_min: f.mib_per_min, until: f.for_s };
    case 'slowdown':
      return { kind: 'slowdown', factor: f.factor };
    case 'quality':
      return { kind: 'quality', wrong_fraction: f.wrong_fraction };
    case 'crash':
      return { kind: 'crash', at: f.at_s };
    default:
      return undefined;
  }
}

export function nightTwinFaults(scenario: Pick<Scenario, 'faults'>, n: number): TwinFault[] {
  return activeFaults(scenario, n)
    .filter((f) => (TWIN_FAULT_KINDS as readonly string[]).includes(f.kind))
    .map(toTwinFault)
    .filter((f): f is TwinFault => f !== undefined);
}

/** The faults file text for a night: a list, `[]` on a quiet night. */
export function faultsFileText(scenario: Pick<Scenario, 'faults'>, n: number): string {
  return stringify(nightTwinFaults(scenario, n));
}

/** Kinds of faults active on a night (twin and workload faults), for the night table and the scorer. */
export function faultKinds(scenario: Pick<Scenario, 'faults'>, n: number): string[] {
  return activeFaults(scenario, n).map((f) => f.kind);
}
