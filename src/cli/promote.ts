/**
 * `nightshift promote apply ID`: apply a promotion recommend mode proposed (health-checked, restored within the
 * SLA when it fails). `nightshift promotions`: every promotion with its state.
 */
import { isoLocal } from '../core/time.js';
import { resolveFlag } from '../loop/symptoms/flags.js';
import { applyProposedPromotion, listPromotions, type PromotionRecord } from '../loop/tuning/promotion.js';
import { acquireLock } from '../store/lock.js';
import { createProduction } from '../targets/production/index.js';
import { engineFor } from '../targets/registry.js';
import { action, type Register } from './command.js';
import { type CliContext, printJson } from './context.js';

function diffText(p: PromotionRecord): string {
  return Object.entries(p.diff)
    .map(([k, d]) => `${k} ${d.from ?? '(default)'} → ${d.to ?? '(default)'}`)
    .join(', ');
}

async function apply(ctx: CliContext, id: string): Promise<number> {
  const { config, paths, clock, io, log } = ctx;
  const lock = acquireLock(paths.lockFile(), { now: clock.now(), zone: config.timezone, warn: (m) => log.warn(m) });
  try {
    const engine = engineFor(config.target.engine);
    const production = createProduction(config, paths, { clock, log, engine });
    const { record, outcome } = await applyProposedPromotion({ config, paths, clock, log, production, engine }, id);
    if (outcome.ok) resolveFlag(paths, record.triggering_symptoms.kind, clock.now());
    if (ctx.json) printJson(io, { promotion: record, outcome });
    else io.out(`promotion ${id}: ${record.state} — ${outcome.reason}\n  ${diffText(record)}`);
    return outcome.ok ? 0 : 1;
  } finally {
    lock.release();
  }
}

function list(ctx: CliContext): number {
  const all = listPromotions(ctx.paths);
  if (ctx.json) {
    printJson(ctx.io, all);
    return 0;
  }
  if (all.length === 0) {
    ctx.io.out('no promotions');
    return 0;
  }
  for (const p of all) {
    ctx.io.out(
      `${p.promotion_id}  ${p.state.padEnd(11)}  ${isoLocal(p.ts, ctx.config.timezone)}  ${p.triggering_symptoms.kind}  fitness ${p.fitness.control} → ${p.fitness.candidate}  ${diffText(p)}${p.reason && p.state !== 'provisional' && p.state !== 'proposed' ? `\n    ${p.reason}` : ''}`,
    );
  }
  return 0;
}

export const registerPromote: Register = (program, exit, io) => {
  const promote = program.command('promote').description('Act on a proposed promotion');
  promote
    .command('apply')
    .description('Apply a proposed promotion to production (health-checked; restored within the SLA if it fails)')
    .argument('<id>', 'promotion id (see `nightshift promotions`)')
    .option('--json', 'print as JSON')
    .action(action(exit, io, (ctx, id: string) => apply(ctx, id)));
  program
    .command('promotions')
    .description('List promotions and their states (provisional, proposed, validated, rolled_back, restored)')
    .option('--json', 'print as JSON')
    .action(action(exit, io, (ctx) => list(ctx)));
};
