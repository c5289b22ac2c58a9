/**
 * Zone-aware calendar arithmetic, pure (epoch ms in, values out). The configured IANA zone decides local
 * dates (day files), ids, the 03:00 schedule and the maintenance window, including DST nights.
 */
import { DateTime, IANAZone } from 'luxon';

export function isValidZone(zone: string): boolean {
  return IANAZone.isValidZone(zone);
}

function local(ms: number, zone: string): DateTime {
  return DateTime.fromMillis(ms, { zone });
}

/** `YYYYMMDD` in the zone: the name of a day file. */
export function localDay(ms: number, zone: string): string {
  return local(ms, zone).toFormat('yyyyLLdd');
}

/** `YYYY-MM-DD` in the zone. */
export function localDate(ms: number, zone: string): string {
  return local(ms, zone).toFormat('yyyy-LL-dd');
}

/** `prefix_YYYYmmdd_HHMMSS` in the zone: phase and loop ids. */
export function stampId(prefix: string, ms: number, zone: string): string {
  return `${prefix}_${local(ms, zone).toFormat('yyyyLLdd_HHmmss')}`;
}

/** ISO-8601 with the zone's offset, for records a person reads. */
export function isoLocal(ms: number, zone: string): string {
  return local(ms, zone).toISO({ suppressMilliseconds: true }) ?? new Date(ms).toISOString();
}

/** Parse "HH:MM" into minutes after local midnight. */
export function parseHhmm(text: string): number {
  const m = /^([01]?\d|2[0-3]):([0-5]\d)$/.exec(text.trim());
  if (!m) throw new RangeError(`expected HH:MM, found "${text}"`);
  return Number(m[1]) * 60 + Number(m[2]);
}

export interface LocalWindow {
  startMin: number;
  endMin: number;
}

/** Parse "03:00-07:00"; a window may cross midnight ("22:00-02:00"). */
export function parseWindow(text: string): LocalWindow {
  const parts = text.split('-');
  if (parts.length !== 2) throw new RangeError(`expected HH:MM-HH:MM, found "${text}"`);
  const startMin = parseHhmm(parts[0] as string);
  const endMin = parseHhmm(parts[1] as string);
  if (startMin === endMin) throw new RangeError(`window "${text}" is empty`);
  return { startMin, endMin };
}

/** Minutes since local midnight on the wall clock of the zone (DST-aware: 03:30 is 210 whatever the offset). */
export function localMinuteOfDay(ms: number, zone: string): number {
  const d = local(ms, zone);
  return d.hour * 60 + d.minute + d.second / 60;
}

export function inWindow(ms: number, window: LocalWindow | string, zone: string): boolean {
  const w = typeof window === 'string' ? parseWindow(window) : window;
  const m = localMinuteOfDay(ms, zone);
  return w.startMin < w.endMin ? m >= w.startMin && m < w.endMin : m >= w.startMin || m < w.endMin;
}

/**
 * The next instant at or after `fromMs` whose local wall time is `hhmm`. On a DST night where that wall time
 * does not exist (spring forward), luxon moves it forward to the first valid instant.
 */
export function nextLocalTime(fromMs: number, hhmm: string, zone: string): number {
  const min = parseHhmm(hhmm);
  let day = local(fromMs, zone).startOf('day');
  for (let i = 0; i < 3; i++) {
    const at = day.set({ hour: Math.floor(min / 60), minute: min % 60 }).toMillis();
    if (at >= fromMs) return at;
    day = day.plus({ days: 1 });
  }
  throw new Error('unreachable: no local time within 3 days');
}

/** Epoch ms of a local wall time, e.g. `atLocal('2026-03-29T02:59:00', 'Europe/Berlin')`. */
export function atLocal(isoLocalText: string, zone: string): number {
  const d = DateTime.fromISO(isoLocalText, { zone });
  if (!d.isValid) throw new RangeError(`invalid local time "${isoLocalText}": ${d.invalidExplanation}`);
  return d.toMillis();
}

/** Parse a duration like "24h", "10m", "30s", "1h30m", "500ms", "7d" into ms. */
export function parseDuration(text: string): number {
  const s = text.trim();
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s) * 1000;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy;
  let total = 0;
  let matched = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    const n = Number(m[1]);
    const unit = m[2] as 'ms' | 's' | 'm' | 'h' | 'd';
    total += n * { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[unit];
    matched = re.lastIndex;
  }
  if (matched === 0 || matched !== s.length)
    throw new RangeError(`expected a duration like 30s, 10m, 4h, found "${text}"`);
  return total;
}

export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${s % 60 ? `${s % 60}s` : ''}`;
  const h = Math.floor(m / 60);
  return `${h}h${m % 60 ? `${m % 60}m` : ''}`;
}
