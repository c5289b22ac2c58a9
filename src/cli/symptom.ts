/**
 * `nightshift symptom record KIND --meta k=v ...`: add a symptom from another source (a person, a script, an
 * alert). Escalation is evaluated right after, so a third symptom of a kind arms its flag as the analyzer's do.
 */
import { clockFromEnv } from '../app.js';
import { UsageError } from '../core/errors.js';
import { evaluateEscalation } from '../loop/symptoms/escalation.js';
import { assertSymptomKind, recordSymptom } from '../loop/symptoms/ledger.js';
import { action, type Register } from './command.js';
import { printJson } from './context.js';
import { span } from './loop-app.js';

/** `k=v` pairs; numbers and booleans become JSON values, everything else stays text. */
export function parseMeta(pairs: readonly string[]): Record<string, unknown> {
  const meta: Record<string, unknown> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new UsageError(`symptom: --meta expects key=value, found "${pair}"`);
    const key = pair.slice(0, at).trim();
    const raw = pair.slice(at + 1);
    if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(key)) throw new UsageError(`symptom: invalid meta key "${key}"`);
    meta[key] =
      raw === 'true'
        ? true
        : raw === 'false'
          ? false
          : raw.trim() !== '' && Number.isFinite(Number(raw))
            ? Number(raw)
            : raw;
  }
  if (meta.severity !== undefined && meta.severity !== 'warning' && meta.severity !== 'critical') {
    throw new UsageError(`symptom: severity must be warning or critical, found "${String(meta.severity)}"`);
  }
  return meta;
}

export const registerSymptom: Register = (program, exit, io) => {
  const symptom = program.command('symptom').description('Record symptoms from other sources');
  symptom
    .command('record')
    .description('Append a symptom to the ledger (and arm its escalation flag when enough have piled up)')
    .argument('<kind>', 'symptom kind, e.g. latency_regression, oom_event, or your own (a-z, 0-9, _)')
    .option('--meta <pairs...>', 'key=value details, e.g. --meta domain=interactive severity=critical', [])
    .option('--json', 'print as JSON')
    .action(
      action(exit, io, (ctx, kind: string, opts: { meta: string[] }) => {
        assertSymptomKind(kind);
        const meta = parseMeta(opts.meta);
        const clock = clockFromEnv(process.env, ctx.clock);
        const recorded = recordSymptom(ctx.paths, clock, ctx.config.timezone, { kind, meta, mode: ctx.config.mode });
        const armed = evaluateEscalation(ctx.paths, clock, ctx.config, { warn: (m) => ctx.log.warn(m) }).armed;
        if (ctx.json) printJson(io, { symptom: recorded, escalations_armed: armed.map((f) => f.kind) });
        else {
          const lines = [`recorded ${recorded.id} (${kind})`];
          for (const f of armed)
            lines.push(`escalation armed: ${f.kind} — ${f.reason}, expires in ${span(f.expires_at - clock.now())}`);
          io.out(lines.join('\n'));
        }
        return 0;
      }),
    );
};
