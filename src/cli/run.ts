/** `nightshift run`: one loop cycle; prints the cycle record and exits 0 healthy, 1 degraded, 2 fixed. */
import type { CycleRecord } from '../loop/cycle-record.js';
import { interruptSignal } from '../system/process.js';
import { action, type Register, windDownMs } from './command.js';
import { printJson } from './context.js';
import { appFor } from './loop-app.js';

const EXIT_WORDS: Record<number, string> = { 0: 'healthy', 1: 'degraded', 2: 'fixed' };

export function renderCycle(r: CycleRecord, interruptedExit?: number): string {
  const exitWords =
    interruptedExit !== undefined
      ? `exit ${interruptedExit} (interrupted; the night counts as ${EXIT_WORDS[r.exit_code] ?? r.exit_code})`
      : `exit ${r.exit_code} ${EXIT_WORDS[r.exit_code] ?? ''}`;
  const lines = [`cycle ${r.cycle_id} (${r.mode}) — ${exitWords}`];
  const row = (k: string, v: string) => lines.push(`  ${k.padEnd(11)} ${v}`);
  if (r.recovery) {
    const killed = r.recovery.killed.filter((k) => k.was_running).map((k) => k.pid);
    const prod =
      r.recovery.production.action === 'restored'
        ? `production restored (${r.recovery.production.ok ? 'healthy' : `FAILED: ${r.recovery.production.error ?? ''}`})`
        : r.recovery.production.reason;
    row(
      'recovery',
      `${r.recovery.cycles.join(', ')} died; killed ${killed.length ? killed.join(', ') : 'nothing'}; ${prod}`,
    );
  }
  if (r.production_started) {
    row(
      'production',
      r.production_started.ok
        ? `was not running; started in ${r.production_started.s} s`
        : `was not running and did not start: ${r.production_started.error ?? ''}`,
    );
  }
  if (r.paused_before) row('paused', `stopped before ${r.paused_before} (\`nightshift resume\` lifts it)`);
  row(
    'PHASE',
    r.phase_epoch_id
      ? `${r.phase_epoch_id} ${r.phase_status}${r.phase_duration_s !== null ? ` in ${r.phase_duration_s} s` : ''}`
      : r.phase_status,
  );
  row(
    'analysis',
    `${r.analysis_status}${r.degradation_signals ? `: ${r.degradation_signals} degradation signals` : ''}`,
  );
  for (const v of r.validation) row('validation', `${v.promotion_id} ${v.outcome}: ${v.reason}`);
  row('escalation', r.escalations_armed.length ? `armed: ${r.escalations_armed.join(', ')}` : 'none armed');
  if (r.config_tuning_triggered || r.config_tuning_status) {
    const status = r.config_tuning_status ?? '-';
    const trigger = r.config_tuning_trigger;
    // observe mode's status already names the trigger ("observe: would tune latency_regression (warning)")
    const trig = trigger && !status.includes(trigger.kind) ? `${trigger.kind} (${trigger.severity}): ` : '';
    let prom = '';
    if (r.promotion_id && r.config_tuning_promoted) prom = ` → ${r.promotion_id} promoted`;
    else if (r.promotion_id && r.mode === 'recommend')
      prom = ` → ${r.promotion_id} proposed; apply with \`nightshift promote apply ${r.promotion_id}\``;
    else if (r.promotion_id) prom = ` → ${r.promotion_id}`;
    row('tuning', `${trig}${status}${prom}`);
  }
  for (const kind of r.circuit_open) row('CIRCUIT', `OPEN for ${kind} — \`nightshift breaker reset ${kind}\``);
  if (r.production_healthy !== null) row('production', r.production_healthy ? 'healthy' : 'NOT HEALTHY');
  for (const e of r.errors) row('error', e);
  row('took', `${r.total_duration_s} s`);
  return lines.join('\n');
}

export const registerRun: Register = (program, exit, io) => {
  program
    .command('run')
    .description('Run one loop cycle: PHASE, analysis, validation, escalation, tuning (what the nightly timer starts)')
    .option('--json', 'print the cycle record as JSON')
    .action(
      action(exit, io, async (ctx) => {
        const stop = interruptSignal(windDownMs(ctx.config));
        let record: CycleRecord;
        try {
          record = await appFor(ctx).cycle(stop.signal);
        } finally {
          stop.dispose();
        }
        if (ctx.json) printJson(io, record);
        else io.out(renderCycle(record, stop.exitCode()));
        return stop.exitCode() ?? record.exit_code;
      }),
    );
};
