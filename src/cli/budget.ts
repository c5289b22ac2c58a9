/**
 * `nightshift budget show | reset --yes`: the night's canary budget. Reset zeroes tonight's spent seconds (after
 * a maintenance test, say); it keeps what was spent in the file's `resets` so the ledger still tells the story.
 */
import { UsageError } from '../core/errors.js';
import { schemaId } from '../core/types.js';
import { type BudgetLedger, budgetSpent, nightOf } from '../loop/eligibility/index.js';
import { readJson, writeJsonAtomic } from '../store/atomic.js';
import { action, type Register } from './command.js';
import { printJson } from './context.js';
import { appFor } from './loop-app.js';
import { operator } from './pause.js';

type ResetLedger = BudgetLedger & { resets?: { ts: number; spent_s: number; by: string }[] };

export const registerBudget: Register = (program, exit, io) => {
  const cmd = program.command('budget').description("Tonight's canary budget");
  cmd
    .command('show', { isDefault: true })
    .description("Seconds spent and left in tonight's canary budget")
    .option('--json', 'print as JSON')
    .action(
      action(exit, io, (ctx) => {
        const { config, paths, clock } = appFor(ctx);
        const night = nightOf(clock.now(), config.eligibility.window, config.timezone);
        const spent = budgetSpent(paths, night);
        const left = Math.max(0, config.eligibility.budget_s - spent);
        if (ctx.json) printJson(io, { night, budget_s: config.eligibility.budget_s, spent_s: spent, left_s: left });
        else io.out(`night ${night}: ${spent} of ${config.eligibility.budget_s} canary s spent, ${left} s left`);
        return 0;
      }),
    );
  cmd
    .command('reset')
    .description("Zero tonight's spent canary seconds (needs --yes)")
    .option('--yes', 'confirm: tonight may spend its whole budget again')
    .option('--json', 'print the new ledger as JSON')
    .action(
      action(exit, io, (ctx, opts: { yes?: boolean }) => {
        const { config, paths, clock } = appFor(ctx);
        const now = clock.now();
        const night = nightOf(now, config.eligibility.window, config.timezone);
        const spent = budgetSpent(paths, night);
        if (!opts.yes) {
          throw new UsageError(
            `budget: reset would give night ${night} its ${config.eligibility.budget_s} s back (${spent} s spent)`,
            'add --yes to confirm',
          );
        }
        const file = paths.budgetFile(night);
        const prev = readJson<ResetLedger>(file);
        const ledger: ResetLedger = {
          schema: schemaId('budget') as BudgetLedger['schema'],
          night,
          budget_s: config.eligibility.budget_s,
          spent_s: 0,
          charges: [],
          resets: [...(prev?.resets ?? []), { ts: now, spent_s: spent, by: operator() }],
        };
        writeJsonAtomic(file, ledger);
        if (ctx.json) printJson(io, ledger);
        else
          io.out(`budget of night ${night} reset: ${spent} s spent before, ${config.eligibility.budget_s} s left now`);
        return 0;
      }),
    );
};
