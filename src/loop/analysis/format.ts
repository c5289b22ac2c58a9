/** Number formatting for verdict reasons and tables: short, signed where a change is meant, plain words. */

const MINUS = '−';

function trimNumber(v: number): string {
  const a = Math.abs(v);
  const digits = a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : 3;
  return String(Number(v.toFixed(digits)));
}

/** 212, 8.35, 0.042; a leading minus sign is the typographic one. */
export function fmtValue(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  const s = trimNumber(v);
  return s.startsWith('-') ? `${MINUS}${s.slice(1)}` : s;
}

export function fmtSigned(v: number): string {
  if (v === 0) return '0';
  const s = trimNumber(Math.abs(v));
  return v > 0 ? `+${s}` : `${MINUS}${s}`;
}

/** A relative change as a signed percent with one decimal: +32.5%, −15.0%. */
export function fmtPct(rel: number): string {
  if (!Number.isFinite(rel)) return rel > 0 ? '+∞%' : `${MINUS}∞%`;
  const p = Math.round(rel * 1000) / 10;
  return p === 0 ? '0.0%' : p > 0 ? `+${p.toFixed(1)}%` : `${MINUS}${Math.abs(p).toFixed(1)}%`;
}

/** A threshold as a short signed percent: +20%, −15%. */
export function fmtThreshold(rel: number, sign: '+' | '-'): string {
  const p = Number((rel * 100).toFixed(2));
  return `${sign === '+' ? '+' : MINUS}${p}%`;
}

/** A fraction as a percent: 0.02 → 2.0%. */
export function fmtFraction(v: number): string {
  return `${Number((v * 100).toFixed(v < 0.001 && v > 0 ? 3 : 1))}%`;
}

export function fmtP(p: number): string {
  if (p < 0.0001) return 'p<0.0001';
  return `p=${Number(p.toPrecision(2))}`;
}

/** An interval of a change: +48..91 ms, −3..+12 ms. */
export function fmtInterval(ci: [number, number], unit: string): string {
  const [lo, hi] = ci;
  const scale = Math.max(Math.abs(lo), Math.abs(hi));
  const digits = scale >= 10 ? 0 : scale >= 1 ? 1 : 2;
  const num = (v: number) => String(Number(Math.abs(v).toFixed(digits)));
  const signed = (v: number) => (v < 0 ? `${MINUS}${num(v)}` : `+${num(v)}`);
  const right = lo < 0 || hi < 0 ? signed(hi) : num(hi);
  return `${signed(lo)}..${right} ${unit}`;
}
