/**
 * Escalation flags: `flags/escalate_<kind>.json`, one whole file per kind, written atomically. A flag is armed
 * until `expires_at`; an expired flag is ignored and removed the first time anyone reads it.
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import type { Mode, Severity } from '../../core/types.js';
import { readJson, type Warn, writeJsonAtomic } from '../../store/atomic.js';
import type { StatePaths } from '../../store/paths.js';
import type { Clock } from '../../system/clock.js';

export interface Flag {
  schema: 'nightshift.flag/v1';
  kind: string;
  /** epoch ms of the latest arming (a refresh moves it) */
  set_at: number;
  /** epoch ms of the first arming of this continuous escalation */
  first_set_at?: number;
  expires_at: number;
  symptom_count: number;
  symptom_ids: string[];
  reason: string;
  severity: Severity;
  mode: Mode;
}

const FLAG_FILE_RE = /^escalate_([a-z][a-z0-9_]*)\.json$/;

function defaultWarn(message: string): void {
  process.stderr.write(`nightshift: warning: ${message}\n`);
}

/** Every flag file, expired or not. An unreadable file is skipped with a warning (it never arms anything). */
export function readFlags(paths: StatePaths, warn: Warn = defaultWarn): Flag[] {
  const dir = paths.flagsDir();
  if (!existsSync(dir)) return [];
  const out: Flag[] = [];
  for (const name of readdirSync(dir).sort()) {
    const kind = FLAG_FILE_RE.exec(name)?.[1];
    if (kind === undefined) continue;
    const file = paths.flagFile(kind);
    try {
      const flag = readJson<Flag>(file);
      if (flag && typeof flag.kind === 'string' && typeof flag.expires_at === 'number') out.push(flag);
      else warn(`${file}: not a flag record; ignored`);
    } catch {
      warn(`${file}: not valid JSON; ignored (delete it or run \`nightshift flags\` after fixing it)`);
    }
  }
  return out;
}

export function writeFlag(paths: StatePaths, flag: Flag): void {
  writeJsonAtomic(paths.flagFile(flag.kind), flag);
}

/**
 * A fix answered the escalation of `kind` (a promotion went live): remove the flag and remember when, so the
 * symptoms that led to the fix never count towards arming it again — only symptoms after the fix do.
 */
export function resolveFlag(paths: StatePaths, kind: string, at: number): boolean {
  writeJsonAtomic(paths.flagResolutionFile(kind), {
    schema: 'nightshift.flag_resolution/v1',
    kind,
    resolved_at: at,
  });
  return clearFlag(paths, kind);
}

/** When each kind's escalation was last resolved by a fix (epoch ms). Unreadable files are skipped. */
export function readResolutions(paths: StatePaths): Map<string, number> {
  const dir = paths.flagsDir();
  const out = new Map<string, number>();
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    const kind = /^resolved_([a-z][a-z0-9_]*)\.json$/.exec(name)?.[1];
    if (kind === undefined) continue;
    try {
      const r = readJson<{ resolved_at?: unknown }>(paths.flagResolutionFile(kind));
      if (typeof r?.resolved_at === 'number') out.set(kind, r.resolved_at);
    } catch {
      // a torn resolution file only means old symptoms may count again: never a lost flag
    }
  }
  return out;
}

/** Remove a flag; true when there was one. */
export function clearFlag(paths: StatePaths, kind: string): boolean {
  const file = paths.flagFile(kind);
  if (!existsSync(file)) return false;
  rmSync(file, { force: true });
  return true;
}

export function isArmed(flag: Flag, now: number): boolean {
  return flag.expires_at > now;
}

/** The flags armed now, soonest expiry last; expired flags are removed as they are seen. */
export function armedFlags(paths: StatePaths, clock: Clock, warn: Warn = defaultWarn): Flag[] {
  const now = clock.now();
  const armed: Flag[] = [];
  for (const flag of readFlags(paths, warn)) {
    if (isArmed(flag, now)) armed.push(flag);
    else clearFlag(paths, flag.kind);
  }
  return armed.sort((a, b) => b.expires_at - a.expires_at || a.kind.localeCompare(b.kind));
}
