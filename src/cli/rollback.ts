/**
 * `nightshift rollback [ID]`: put production back on the config a promotion replaced, by hand. Without ID: the
 * newest promotion still live (provisional or validated). Takes the loop lock (never races a running cycle) and
 * journals the change, so a crash half-way is finished by the next run's recovery.
 */
import { NightshiftError, UsageError } from '../core/errors.js';
import { stampId } from '../core/time.js';
import { openJournal } from '../loop/journal.js';
import { listPromotions, type PromotionRecord, readPromotion, updatePromotionState } from '../loop/tuning/promotion.js';
import { acquireLock } from '../store/lock.js';
import { action, type Register } from './command.js';
import { printJson } from './context.js';
import { appFor } from './loop-app.js';
import { operator } from './pause.js';

const LIVE_STATES = ['provisional', 'validated'];

/**
 * The one-line answer. The time to healthy is in model seconds (real ms / time scale), as `promote apply`
 * and the cycle records say it, so a twin rehearsal and a real host read the same.
 */
export function rollbackLine(
  promo: Pick<PromotionRecord, 'promotion_id' | 'diff'>,
  ms: number,
  timeScale: number,
): string {
  const back = Object.entries(promo.diff)
    .map(([k, d]) => `${k}=${d.from}`)
    .join(' ');
  const s = Math.round((ms / timeScale / 1000) * 100) / 100;
  return `rolled back ${promo.promotion_id}: production back on ${back}, healthy after ${s} s`;
}

export const registerRollback: Register = (program, exit, io) => {
  program
    .command('rollback')
    .argument('[id]', 'promotion id (default: the newest provisional or validated one)')
    .description('Put production back on the config before a promotion, and mark it rolled_back')
    .option('--json', 'print the promotion after the rollback as JSON')
    .action(
      action(exit, io, async (ctx, id: string | undefined) => {
        const app = appFor(ctx);
        const { config, paths, clock, log, production } = app;
        const promo: PromotionRecord | undefined = id
          ? readPromotion(paths, id)
          : listPromotions(paths)
              .filter((p) => LIVE_STATES.includes(p.state))
              .at(-1);
        if (!promo)
          throw new UsageError(
            'rollback: no provisional or validated promotion to roll back',
            'name one: `nightshift promotions`',
          );
        if (!LIVE_STATES.includes(promo.state)) {
          throw new UsageError(
            `rollback: ${promo.promotion_id} is ${promo.state}; only a provisional or validated promotion is live`,
          );
        }
        const now = clock.now();
        const lock = acquireLock(paths.lockFile(), { now, zone: config.timezone, warn: (m) => log.warn(m) });
        try {
          const journal = openJournal(paths, clock, stampId('rollback', now, config.timezone), config.mode);
          journal.cycleBegin({ by: operator(), promotion_id: promo.promotion_id });
          journal.event('promotion_begin', {
            promotion_id: promo.promotion_id,
            rollback: true,
            previous_config: promo.previous_config,
            new_config: promo.new_config,
          });
          const res = await production.apply(promo.previous_config);
          const healthy = res.ok && (await production.health());
          if (!healthy) {
            journal.event('promotion_end', { promotion_id: promo.promotion_id, state: promo.state, failed: true });
            journal.cycleEnd({ ok: false });
            throw new NightshiftError(
              'rollback.unhealthy',
              `rollback: production is not healthy on the previous config of ${promo.promotion_id}: ${res.evidence?.line ?? 'no evidence'}`,
              { exitCode: 1, hint: 'check `nightshift status` and the production log under the state directory' },
            );
          }
          const next = updatePromotionState(
            paths,
            promo.promotion_id,
            'rolled_back',
            `rolled back by hand by ${operator()}`,
            clock.now(),
          );
          journal.event('promotion_end', { promotion_id: promo.promotion_id, state: 'rolled_back' });
          journal.cycleEnd({ ok: true });
          if (ctx.json) printJson(io, next);
          else io.out(rollbackLine(promo, res.ms, config.target.time_scale));
          return 0;
        } finally {
          lock.release();
        }
      }),
    );
};
