/**
 * What the target says about itself: the models `/v1/models` lists (vLLM adds `max_model_len` to each entry)
 * and the engine version `/version` answers (vLLM: {"version": "0.8.5"}). Pure parsers; the HTTP is the
 * caller's.
 */

export interface ModelEntry {
  id: string;
  maxModelLen?: number;
}

export type ModelsParse = { ok: true; models: ModelEntry[] } | { ok: false; error: string };

export function parseModels(body: string): ModelsParse {
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch {
    return { ok: false, error: `/v1/models did not answer JSON: "${body.slice(0, 80)}"` };
  }
  const data = (raw as { data?: unknown } | null)?.data;
  if (!Array.isArray(data)) return { ok: false, error: '/v1/models answer has no "data" list' };
  const models: ModelEntry[] = [];
  for (const entry of data) {
    const e = entry as { id?: unknown; max_model_len?: unknown } | null;
    if (typeof e?.id !== 'string') continue;
    const len = e.max_model_len;
    models.push({
      id: e.id,
      ...(typeof len === 'number' && Number.isFinite(len) && len > 0 ? { maxModelLen: len } : {}),
    });
  }
  return { ok: true, models };
}

/** The version string of a `/version` answer, when it has one. */
export function parseVersion(body: string): string | undefined {
  try {
    const v = (JSON.parse(body) as { version?: unknown } | null)?.version;
    return typeof v === 'string' && v.length > 0 && v.length < 100 ? v : undefined;
  } catch {
    return undefined;
  }
}
