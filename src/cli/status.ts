/**
 * `nightshift status`: one screen for the morning check — production health and live config, pause, circuit
 * breakers (loud), escalation flags with time left, tonight's budget, cooldown, runs in 24 h, open
 * promotions, the last cycle and whether a run holds the lock.
 */
import { parseDuration } from '../core/time.js';
import { openBreakers, readBreakers } from '../loop/control/breakers.js';
import { readPause } from '../loop/control/pause.js';
import { readCycles } from '../loop/cycle-record.js';
import { checkEligibility, ENGINE_CONFIG_SUBSYSTEM } from '../loop/eligibility/index.js';
import { armedFlags } from '../loop/symptoms/flags.js';
import { listPromotions } from '../loop/tuning/promotion.js';
import { pidAlive, readLock } from '../store/lock.js';
import { action, type Register } from './command.js';
import { printJson } from './context.js';
import { appFor, shortTime, span } from './loop-app.js';

export const registerStatus: Register = (program, exit, io) => {
  program
    .command('status')
    .description('One screen: production, pause, breakers, flags, budget, cooldown, promotions, last cycle')
    .option('--json', 'print as JSON')
    .action(
      action(exit, io, async (ctx) => {
        const app = appFor(ctx);
        const { config, paths, clock, production } = app;
        const zone = config.timezone;
        const now = clock.now();
        const warn = (m: string) => ctx.log.warn(m);
        const [healthy, live] = await Promise.all([production.health(), production.current()]);
        const pause = readPause(paths) ?? null;
        const breakers = readBreakers(paths);
        const open = openBreakers(breakers);
        const flags = armedFlags(paths, clock, warn);
        const gate = checkEligibility(paths, clock, config, ENGINE_CONFIG_SUBSYSTEM);
        const cooldownMs = parseDuration(config.eligibility.cooldown);
        const cooldownLeft =
          gate.state.lastRunAt !== undefined ? Math.max(0, gate.state.lastRunAt + cooldownMs - now) : 0;
        const promotions = listPromotions(paths).filter((p) => p.state === 'provisional' || p.state === 'proposed');
        const cycles = readCycles(paths, warn);
        const last = cycles[cycles.length - 1] ?? null;
        const lock = readLock(paths.lockFile());
        const running = lock ? { ...lock, alive: pidAlive(lock.pid) } : null;
        const status = {
          now,
          mode: config.mode,
          production: { mode: production.mode, healthy, config: live },
          paused: pause,
          circuit_open: open.map((k) => ({ kind: k, ...breakers[k] })),
          flags: flags.map((f) => ({
            kind: f.kind,
            severity: f.severity,
            expires_at: f.expires_at,
            left_ms: f.expires_at - now,
            reason: f.reason,
          })),
          budget: {
            night: gate.night,
            budget_s: config.eligibility.budget_s,
            left_s: Math.round(gate.budgetLeftS * 10) / 10,
          },
          eligibility: gate.allowed ? { allowed: true } : { allowed: false, reason: gate.reason, detail: gate.detail },
          cooldown_left_ms: cooldownLeft,
          runs_24h: { count: gate.state.runsLast24h, max: config.eligibility.max_runs_24h },
          promotions_open: promotions.map((p) => ({
            promotion_id: p.promotion_id,
            state: p.state,
            kind: p.triggering_symptoms.kind,
            diff: p.diff,
            ts: p.ts,
          })),
          last_cycle: last,
          lock: running,
        };
        if (ctx.json) {
          printJson(io, status);
          return 0;
        }
        const t = (ms: number) => shortTime(ms, zone);
        const out: string[] = [];
        const row = (k: string, v: string) => out.push(`${k.padEnd(12)} ${v}`);
        out.push(`nightshift status — ${t(now)} ${zone} — mode ${config.mode}`);
        if (open.length > 0) {
          out.push('');
          for (const k of open) {
            out.push(`!! CIRCUIT OPEN: ${k} — ${breakers[k]?.reason ?? ''}`);
            out.push(`!!   tuning of ${k} is stopped; after fixing the cause run \`nightshift breaker reset ${k}\``);
          }
          out.push('');
        }
        if (pause) row('PAUSED', `since ${t(pause.paused_at)} by ${pause.by}: ${pause.reason} (\`nightshift resume\`)`);
        row(
          'production',
          `${healthy ? 'healthy' : 'NOT HEALTHY'} (${production.mode}) ${Object.entries(live)
            .map(([k, v]) => `${k}=${v}`)
            .join(' ')}`,
        );
        row(
          'flags',
          flags.length === 0
            ? 'none armed'
            : flags.map((f) => `${f.kind} ${f.severity} (${span(f.expires_at - now)} left)`).join(', '),
        );
        row(
          'budget',
          `${Math.round(gate.budgetLeftS * 10) / 10} of ${config.eligibility.budget_s} canary s left (night ${gate.night})`,
        );
        row('cooldown', cooldownLeft > 0 ? `${span(cooldownLeft)} to go` : 'none');
        row('runs 24h', `${gate.state.runsLast24h} of ${config.eligibility.max_runs_24h}`);
        row('tuning now', gate.allowed ? 'eligible' : `not eligible: ${gate.detail}`);
        row(
          'promotions',
          promotions.length === 0
            ? 'none open'
            : promotions
                .map(
                  (p) =>
                    `${p.promotion_id} ${p.state} (${p.triggering_symptoms.kind}: ${Object.entries(p.diff)
                      .map(([k, d]) => `${k} ${d.from}→${d.to}`)
                      .join(', ')})`,
                )
                .join('; '),
        );
        row('breakers', open.length === 0 ? 'all closed' : `OPEN: ${open.join(', ')}`);
        row(
          'last cycle',
          last
            ? `${last.cycle_id} exit ${last.exit_code} — ${last.analysis_status}, tuning ${last.config_tuning_status ?? '-'}${last.errors.length ? `, ${last.errors.length} error(s)` : ''}`
            : 'none yet',
        );
        if (running) {
          row(
            'lock',
            running.alive
              ? `a run is in progress: pid ${running.pid} on ${running.host} since ${t(running.started_at)}`
              : `stale lock of pid ${running.pid} (not running); the next run takes it over`,
          );
        }
        io.out(out.join('\n'));
        return 0;
      }),
    );
};
