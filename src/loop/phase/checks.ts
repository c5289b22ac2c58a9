/**
 * Answer checks of correctness-style domains (golden prompts and user suites): pure functions of the answer
 * text. A check never throws on a bad answer; it says why the answer did not pass.
 */

export type Check =
  | { type: 'exact'; value: string }
  | { type: 'contains'; value: string }
  | { type: 'regex'; value: string; flags?: string }
  | { type: 'number'; value: number; tolerance?: number }
  | { type: 'json_keys'; value: string[] };

export type CheckType = Check['type'];
export const CHECK_TYPES: readonly CheckType[] = ['exact', 'contains', 'regex', 'number', 'json_keys'];

export interface CheckOutcome {
  passed: boolean;
  /** why it failed, in plain words (absent when it passed) */
  reason?: string;
}

/** Numbers written in a text, thousands separators removed ("1,024" → 1024). */
export function numbersIn(text: string): number[] {
  const out: number[] = [];
  for (const m of text.matchAll(/-?\d[\d,]*(?:\.\d+)?/g)) {
    const n = Number(m[0].replace(/,(?=\d{3}\b)/g, ''));
    if (Number.isFinite(n)) out.push(n);
  }
  return out;
}

/**
 * The JSON value an answer carries: the whole text, else a ```json fence, else the first `{`…last `}` span.
 * Models often wrap JSON in prose or a code fence; the check is about the value, not the wrapping.
 */
export function extractJson(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  const candidates: string[] = [text.trim()];
  const fence = /```(?:json)?\s*([\s\S]*?)```/i.exec(text);
  if (fence?.[1]) candidates.push(fence[1].trim());
  const open = text.indexOf('{');
  const close = text.lastIndexOf('}');
  if (open >= 0 && close > open) candidates.push(text.slice(open, close + 1));
  let error = 'empty answer';
  for (const c of candidates) {
    if (c === '') continue;
    try {
      return { ok: true, value: JSON.parse(c) as unknown };
    } catch (err) {
      error = (err as Error).message;
    }
  }
  return { ok: false, error: `not JSON: ${error}` };
}

function clip(text: string, n = 80): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length > n ? `${one.slice(0, n)}…` : one;
}

export function runCheck(check: Check, answer: string): CheckOutcome {
  switch (check.type) {
    case 'exact': {
      const passed = answer.trim() === check.value.trim();
      return passed ? { passed } : { passed, reason: `expected exactly "${clip(check.value)}", got "${clip(answer)}"` };
    }
    case 'contains': {
      const passed = answer.includes(check.value);
      return passed ? { passed } : { passed, reason: `expected "${clip(check.value)}" in "${clip(answer)}"` };
    }
    case 'regex': {
      const passed = new RegExp(check.value, check.flags).test(answer);
      return passed ? { passed } : { passed, reason: `expected /${check.value}/ to match "${clip(answer)}"` };
    }
    case 'number': {
      const tol = check.tolerance ?? 1e-9;
      const found = numbersIn(answer);
      const passed = found.some((n) => Math.abs(n - check.value) <= tol);
      return passed
        ? { passed }
        : { passed, reason: `expected the number ${check.value}, found ${found.length ? found.join(', ') : 'none'}` };
    }
    case 'json_keys': {
      const parsed = extractJson(answer);
      if (!parsed.ok) return { passed: false, reason: parsed.error };
      const v = parsed.value;
      if (v === null || typeof v !== 'object' || Array.isArray(v))
        return { passed: false, reason: 'not a JSON object' };
      const missing = check.value.filter((k) => !Object.hasOwn(v, k));
      return missing.length === 0 ? { passed: true } : { passed: false, reason: `missing keys: ${missing.join(', ')}` };
    }
  }
}

/** A regex check whose pattern does not compile is a suite error, found when the suite loads, not at 03:00. */
export function validateCheck(check: Check): string | undefined {
  if (check.type !== 'regex') return undefined;
  try {
    new RegExp(check.value, check.flags);
    return undefined;
  } catch (err) {
    return `invalid regex /${check.value}/: ${(err as Error).message}`;
  }
}
