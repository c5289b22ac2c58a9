/** `nightshift symptoms [--since 24h] [--kind KIND] [--json]`: the symptom ledger over a rolling window. */
import { clockFromEnv } from '../app.js';
import { UsageError } from '../core/errors.js';
import { parseDuration } from '../core/time.js';
import { readSymptoms, type Symptom } from '../loop/symptoms/ledger.js';
import { action, type Register } from './command.js';
import { printJson } from './context.js';
import { shortTime, table } from './loop-app.js';

function where(s: Symptom): string {
  const d = s.meta.domain;
  const m = s.meta.metric;
  return [d, m].filter((x) => typeof x === 'string' && x !== '').join(' ') || '—';
}

function summary(s: Symptom): string {
  if (typeof s.meta.reason === 'string') return s.meta.reason;
  return Object.entries(s.meta)
    .filter(([k]) => !['domain', 'metric', 'severity'].includes(k))
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
}

export function renderSymptoms(symptoms: readonly Symptom[], zone: string, since: string): string {
  if (symptoms.length === 0) return `no symptoms in the last ${since}`;
  const rows = symptoms.map((s) => [
    shortTime(s.ts, zone),
    s.kind,
    typeof s.meta.severity === 'string' ? s.meta.severity : 'warning',
    where(s),
    summary(s),
  ]);
  return `${symptoms.length} symptom${symptoms.length === 1 ? '' : 's'} in the last ${since}\n${table(['TIME', 'KIND', 'SEVERITY', 'WHERE', 'SUMMARY'], rows)}`;
}

export const registerSymptoms: Register = (program, exit, io) => {
  program
    .command('symptoms')
    .description('List recorded symptoms over a rolling window')
    .option('--since <duration>', 'how far back, e.g. 24h, 3d', '24h')
    .option('--kind <kind>', 'only this kind')
    .option('--json', 'print as JSON')
    .action(
      action(exit, io, (ctx, opts: { since: string; kind?: string }) => {
        let windowMs: number;
        try {
          windowMs = parseDuration(opts.since);
        } catch {
          throw new UsageError(`symptoms: --since expects a duration like 24h or 3d, found "${opts.since}"`);
        }
        const now = clockFromEnv(process.env, ctx.clock).now();
        const all = readSymptoms(ctx.paths, ctx.config.timezone, now - windowMs, now, (m) => ctx.log.warn(m));
        const list = opts.kind ? all.filter((s) => s.kind === opts.kind) : all;
        if (ctx.json) printJson(io, list);
        else io.out(renderSymptoms(list, ctx.config.timezone, opts.since));
        return 0;
      }),
    );
};
