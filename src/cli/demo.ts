/**
 * `nightshift demo`: the loop healing a server, told night by night. No config needed: it runs the shipped
 * scenario traffic-growth-oom against the vLLM twin in a temporary state directory, narrates what PHASE saw,
 * why a symptom, why a flag, which candidates, which promotion and its validation the next night, then says
 * where the state is and how to look at it.
 */
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { DateTime } from 'luxon';
import { localDate } from '../core/time.js';
import { faultWords, narrateNight, renderNextSteps, renderSummary } from '../simulate/render.js';
import { loadScenario } from '../simulate/scenario.js';
import type { NightRow } from '../simulate/types.js';
import { systemClock } from '../system/clock.js';
import { createLogger } from '../system/log.js';
import type { Register } from './command.js';
import { globals, type Output } from './context.js';
import { simulateWithSignals } from './simulate.js';

/** Shipped scenarios live in the package (resolved from this file), so the demo works from any directory. */
export function shippedScenario(name: string): string {
  return fileURLToPath(new URL(`../../scenarios/${name}.yaml`, import.meta.url));
}

export const DEMO_SCENARIO = 'traffic-growth-oom';

export const registerDemo: Register = (program, exit, io: Output) => {
  program
    .command('demo')
    .description('Watch the loop detect, escalate, tune, promote and validate on the vLLM twin (no config needed)')
    .option('--out <dir>', 'keep the demo state here (new or empty directory; default a temp directory)')
    .action(async (opts: { out?: string }, cmd: Command) => {
      const g = globals(cmd);
      const shipped = loadScenario(shippedScenario(DEMO_SCENARIO));
      // The demo's nights end last night, so `report` and `symptoms --since` find them without a wide window.
      const today = DateTime.fromISO(localDate(systemClock.now(), shipped.timezone));
      const scenario = {
        ...shipped,
        start_date: today.minus({ days: shipped.nights }).toISODate() ?? shipped.start_date,
      };
      io.out(
        [
          `nightshift demo — scenario ${scenario.name}: ${scenario.nights} nights, one loop cycle each at ${scenario.at}.`,
          `Production is a vLLM twin (${scenario.twin.model} on ${scenario.twin.gpu}) started with ${Object.entries(
            scenario.twin.config,
          )
            .map(([k, v]) => `${k}=${v}`)
            .join(' ')}.`,
          ...scenario.faults.map((f) => `From night ${f.from_night}: ${faultWords(f)}.`),
          'Every night runs the real loop: PHASE measures, analysis compares with the last week, symptoms pile up',
          'into escalation flags, tuning tries bounded configs on canaries and promotes the best, and the next night',
          'validates the promotion or rolls it back. The twin runs time-scaled, so a night takes seconds.',
          '',
        ].join('\n'),
      );
      let prev: NightRow | undefined;
      const result = await simulateWithSignals(scenario, {
        ...(opts.out ? { stateDir: opts.out } : {}),
        log: createLogger({ level: g.verbose ? 'debug' : 'error' }),
        onNight: (row) => {
          io.out(narrateNight(row, scenario, prev).join('\n'));
          prev = row;
        },
      });
      io.out(['', 'Summary', renderSummary(result.summary), '', renderNextSteps(result.state_dir)].join('\n'));
      exit.code = result.summary.expect.met ? 0 : 1;
    });
};
