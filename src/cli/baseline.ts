/**
 * `nightshift baseline show | pin EPOCH... | unpin | quarantine EPOCH... --reason TEXT | release EPOCH...`:
 * which nights the analyzer compares with. Pinning replaces the rolling window by a known-good set;
 * quarantine leaves bad nights out of every baseline.
 */
import { clockFromEnv } from '../app.js';
import { UsageError } from '../core/errors.js';
import type { PhaseSignal } from '../core/report.js';
import {
  loadBaseline,
  type Pins,
  pinBaseline,
  quarantineEpochs,
  readPins,
  releaseEpochs,
  unpinBaseline,
} from '../loop/analysis/baseline.js';
import { listSealedEpochs } from '../loop/phase/report.js';
import { readJson } from '../store/atomic.js';
import type { StatePaths } from '../store/paths.js';
import { silentLogger } from '../system/log.js';
import { action, type Register } from './command.js';
import type { CliContext } from './context.js';
import { printJson } from './context.js';
import { shortTime } from './loop-app.js';

function requireSealed(paths: StatePaths, epochs: readonly string[]): void {
  const sealed = new Set(listSealedEpochs(paths));
  const unknown = epochs.filter((e) => !sealed.has(e));
  if (unknown.length > 0) {
    throw new UsageError(
      `baseline: not a sealed PHASE report: ${unknown.join(', ')}`,
      '`nightshift baseline show` lists the sealed epochs',
    );
  }
}

interface Shown {
  pins: Pins;
  sealed: string[];
  /** what the next analysis of the latest sealed night would compare with */
  next: { tonight: string; epochs: string[]; excluded: { epoch: string; reason: string }[] } | null;
}

function show(ctx: CliContext): Shown {
  const pins = readPins(ctx.paths);
  const sealed = listSealedEpochs(ctx.paths);
  const candidates = sealed.flatMap((epochId) => {
    try {
      const s = readJson<PhaseSignal>(ctx.paths.signalFile(epochId));
      return s && typeof s.ts === 'number' ? [{ epochId, ts: s.ts }] : [];
    } catch {
      ctx.log.warn(`baseline: completion signal of ${epochId} is not valid JSON`);
      return [];
    }
  });
  const latest = candidates[candidates.length - 1];
  // loadBaseline verifies each selected report's seal, as the analysis does, so a tampered night shows as
  // left out here too; its reasons are listed below, so its warnings are not logged twice.
  const loaded = latest
    ? loadBaseline(ctx.paths, ctx.config, { epoch_id: latest.epochId, ts: latest.ts }, [], silentLogger)
    : undefined;
  const next = latest && loaded ? { tonight: latest.epochId, epochs: loaded.epochs, excluded: loaded.excluded } : null;
  return { pins, sealed, next };
}

function render(s: Shown, ctx: CliContext): string {
  const lines: string[] = [];
  const days = ctx.config.analysis.baseline_days;
  lines.push(
    s.pins.pinned.length > 0
      ? `pinned baseline: ${s.pins.pinned.join(', ')}`
      : `rolling baseline: the last ${days} days of sealed nights`,
  );
  if (s.next) {
    lines.push(
      `for ${s.next.tonight}: ${s.next.epochs.length} night${s.next.epochs.length === 1 ? '' : 's'} (min ${ctx.config.analysis.min_nights})`,
    );
    for (const e of s.next.epochs) lines.push(`  used      ${e}`);
    for (const e of s.next.excluded) lines.push(`  left out  ${e.epoch}: ${e.reason}`);
  } else lines.push('no sealed PHASE report yet');
  if (s.pins.quarantined.length > 0) {
    lines.push('quarantined:');
    for (const q of s.pins.quarantined)
      lines.push(`  ${q.epoch}  since ${shortTime(q.at, ctx.config.timezone)}: ${q.reason}`);
  }
  return lines.join('\n');
}

export const registerBaseline: Register = (program, exit, io) => {
  const baseline = program.command('baseline').description('Show, pin or quarantine the nights analysis compares with');
  baseline
    .command('show')
    .description('The baseline the next analysis uses, pins and quarantined nights')
    .option('--json', 'print as JSON')
    .action(
      action(exit, io, (ctx) => {
        const s = show(ctx);
        if (ctx.json) printJson(io, s);
        else io.out(render(s, ctx));
        return 0;
      }),
    );
  baseline
    .command('pin')
    .description('Use exactly these known-good sealed epochs as the baseline')
    .argument('<epochs...>', 'epoch ids')
    .action(
      action(exit, io, (ctx, epochs: string[]) => {
        requireSealed(ctx.paths, epochs);
        const pins = pinBaseline(ctx.paths, epochs);
        io.out(
          `baseline pinned to ${pins.pinned.length} night${pins.pinned.length === 1 ? '' : 's'}: ${pins.pinned.join(', ')}`,
        );
        return 0;
      }),
    );
  baseline
    .command('unpin')
    .description(`Back to the rolling window of the last analysis.baseline_days`)
    .action(
      action(exit, io, (ctx) => {
        unpinBaseline(ctx.paths);
        io.out(`baseline unpinned: the last ${ctx.config.analysis.baseline_days} days of sealed nights`);
        return 0;
      }),
    );
  baseline
    .command('quarantine')
    .description('Leave these epochs out of every baseline (a bad night, a rolled-back promotion)')
    .argument('<epochs...>', 'epoch ids')
    .requiredOption('--reason <text>', 'why these nights are not representative (required)')
    .action(
      action(exit, io, (ctx, epochs: string[], opts: { reason: string }) => {
        requireSealed(ctx.paths, epochs);
        quarantineEpochs(ctx.paths, epochs, opts.reason, clockFromEnv(process.env, ctx.clock));
        io.out(`quarantined: ${epochs.join(', ')}`);
        return 0;
      }),
    );
  baseline
    .command('release')
    .description('Take epochs out of quarantine')
    .argument('<epochs...>', 'epoch ids')
    .action(
      action(exit, io, (ctx, epochs: string[]) => {
        const before = new Set(readPins(ctx.paths).quarantined.map((q) => q.epoch));
        releaseEpochs(ctx.paths, epochs);
        const released = epochs.filter((e) => before.has(e));
        const not = epochs.filter((e) => !before.has(e));
        const lines: string[] = [];
        if (released.length > 0) lines.push(`released from quarantine: ${released.join(', ')}`);
        if (not.length > 0) lines.push(`not in quarantine (nothing to do): ${not.join(', ')}`);
        io.out(lines.join('\n'));
        return 0;
      }),
    );
};
