/**
 * `nightshift analyze [EPOCH] [--explain] [--json] [--no-record]`: judge a sealed night against its baseline
 * and print one row per domain × metric (baseline, tonight, delta, test, p, verdict, reason). It records the
 * symptoms and arms the flags as the loop does (idempotent per epoch); --no-record only judges.
 * This module also registers the other analysis commands (symptoms, symptom, flags, baseline).
 */
import { clockFromEnv } from '../app.js';
import { metricDef } from '../core/metrics.js';
import { type AnalysisResult, analyze, latestSealedEpoch } from '../loop/analysis/analyze.js';
import { fmtFraction, fmtP, fmtValue } from '../loop/analysis/format.js';
import type { JudgedVerdict } from '../loop/analysis/judge.js';
import { registerBaseline } from './baseline.js';
import { action, type Register } from './command.js';
import { printJson } from './context.js';
import { requireEpoch } from './epoch.js';
import { registerFlags } from './flags.js';
import { table } from './loop-app.js';
import { registerSymptom } from './symptom.js';
import { registerSymptoms } from './symptoms.js';

function value(v: JudgedVerdict, x: number | null): string {
  if (x === null) return '—';
  const unit = metricDef(v.metric).unit;
  if (unit === 'fraction') return fmtFraction(x);
  return unit === 'count' ? fmtValue(x) : `${fmtValue(x)} ${unit}`;
}

function delta(v: JudgedVerdict): string {
  if (v.deltaPct === null) return '—';
  const p = Math.round(v.deltaPct * 10) / 10;
  return `${p > 0 ? '+' : p < 0 ? '−' : ''}${Math.abs(p).toFixed(1)}%`;
}

export function renderAnalysis(r: AnalysisResult, explain: boolean): string {
  const lines: string[] = [];
  const signals = r.degradation_signals;
  lines.push(
    `analysis of ${r.epoch_id}: ${r.status}${signals > 0 ? ` (${signals} degradation signal${signals === 1 ? '' : 's'})` : ''}, ${r.duration_ms} ms`,
  );
  const first = r.baseline_epochs[0];
  const last = r.baseline_epochs[r.baseline_epochs.length - 1];
  lines.push(
    `baseline: ${r.baseline_epochs.length} night${r.baseline_epochs.length === 1 ? '' : 's'}${r.baseline_pinned ? ', pinned' : ''}${first ? ` (${first === last ? first : `${first} … ${last}`})` : ''}`,
  );
  if (explain) {
    for (const e of r.baseline_epochs) lines.push(`  used      ${e}`);
    for (const e of r.baseline_excluded) lines.push(`  left out  ${e.epoch}: ${e.reason}`);
  }
  lines.push('');
  const domains = [...new Set(r.verdicts.map((v) => v.domain))];
  for (const domain of domains) {
    const rows = r.verdicts
      .filter((v) => v.domain === domain)
      .map((v) => [
        v.metric,
        value(v, v.baseline),
        value(v, v.current),
        delta(v),
        v.test?.name ?? '—',
        v.test ? fmtP(v.test.pValue).replace(/^p=?/, '') : '—',
        v.outcome,
        v.reason,
      ]);
    lines.push(`${domain}`);
    lines.push(
      table(
        ['  METRIC', 'BASELINE', 'TONIGHT', 'DELTA', 'TEST', 'P', 'VERDICT', 'REASON'],
        rows.map((c) => [`  ${c[0]}`, ...c.slice(1)]),
      ),
    );
    if (explain) {
      for (const v of r.verdicts.filter((x) => x.domain === domain && x.detail)) {
        lines.push(`    ${v.metric}: ${v.detail}`);
      }
    }
    lines.push('');
  }
  if (r.verdicts.length === 0) lines.push('no judged metric in this report or its baseline', '');
  if (r.symptoms.length > 0) {
    lines.push(
      `symptoms recorded: ${r.symptoms.map((s) => `${s.kind} (${String(s.meta.domain)} ${String(s.meta.metric)})`).join(', ')}`,
    );
  }
  if (r.escalations_armed.length > 0) lines.push(`escalations armed: ${r.escalations_armed.join(', ')}`);
  return lines.join('\n').trimEnd();
}

const registerAnalyze: Register = (program, exit, io) => {
  program
    .command('analyze')
    .description('Judge a sealed night against its baseline (default: the latest); records symptoms and arms flags')
    .argument('[epoch]', 'epoch id, e.g. phase_20261129_030000 (default: the latest sealed one)')
    .option('--explain', 'list the baseline nights and the test details of every verdict')
    .option('--no-record', 'judge only: record no symptom and arm no flag')
    .option('--json', 'print as JSON')
    .action(
      action(exit, io, async (ctx, epoch: string | undefined, opts: { explain?: boolean; record?: boolean }) => {
        if (epoch !== undefined) requireEpoch(ctx.paths, epoch, 'analyze');
        const epochId = epoch ?? latestSealedEpoch(ctx.paths);
        const result = await analyze({
          config: ctx.config,
          paths: ctx.paths,
          clock: clockFromEnv(process.env, ctx.clock),
          // The printed result already says what the info summary says; keep warnings (and all with --verbose).
          log: ctx.opts.verbose ? ctx.log : ctx.log.child({}, { level: 'warn' }),
          epochId,
          mode: ctx.config.mode,
          record: opts.record !== false,
        });
        if (ctx.json) printJson(io, result);
        else io.out(renderAnalysis(result, Boolean(opts.explain)));
        return 0;
      }),
    );
};

/** analyze, symptoms, symptom, flags, baseline: the analysis and escalation commands. */
export const registerAnalysis: Register = (program, exit, io) => {
  registerAnalyze(program, exit, io);
  registerSymptoms(program, exit, io);
  registerSymptom(program, exit, io);
  registerFlags(program, exit, io);
  registerBaseline(program, exit, io);
};
