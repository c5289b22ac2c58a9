/** The app the loop's commands share: the context's config, paths and logger, and the (possibly rehearsal) clock. */
import { type App, clockFromEnv, createApp } from '../app.js';
import type { CliContext } from './context.js';

export function appFor(ctx: CliContext): App {
  return createApp({ config: ctx.config, paths: ctx.paths, clock: clockFromEnv(process.env, ctx.clock), log: ctx.log });
}

/** A local time in the config's zone, short: 2026-03-29 03:00:04. */
export function shortTime(ms: number, zone: string): string {
  return new Intl.DateTimeFormat('sv-SE', {
    timeZone: zone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).format(ms);
}

/** "3h12m" for a span of ms, "-" for none. */
export function span(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '-';
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  return m % 60 ? `${h}h${m % 60}m` : `${h}h`;
}

/** A plain text table: header row, then rows; columns padded to their widest cell. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}
