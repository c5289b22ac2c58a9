/**
 * The kill switch (`control/pause.json`). `nightshift pause` writes it, `resume` removes it; the cycle checks it
 * before every step and stops at the first step it finds it set, so a pause takes effect within one step.
 */
import { rmSync } from 'node:fs';
import type { Mode } from '../../core/types.js';
import { schemaId } from '../../core/types.js';
import { readJson, writeJsonAtomic } from '../../store/atomic.js';
import type { StatePaths } from '../../store/paths.js';

export interface PauseState {
  schema: 'nightshift.pause/v1';
  mode: Mode;
  paused_at: number;
  reason: string;
  /** who asked: user@host of the CLI */
  by: string;
}

/** The pause, if set. An unreadable pause file counts as a pause: a kill switch fails safe. */
export function readPause(paths: StatePaths): PauseState | undefined {
  try {
    return readJson<PauseState>(paths.pauseFile());
  } catch (err) {
    return {
      schema: schemaId('pause') as PauseState['schema'],
      mode: 'observe',
      paused_at: 0,
      reason: `${paths.pauseFile()} is unreadable (${(err as Error).message}); treated as paused until removed`,
      by: 'unknown',
    };
  }
}

export function setPause(paths: StatePaths, state: Omit<PauseState, 'schema'>): PauseState {
  const full: PauseState = { schema: schemaId('pause') as PauseState['schema'], ...state };
  writeJsonAtomic(paths.pauseFile(), full);
  return full;
}

/** Lift the pause; returns what was lifted (undefined when nothing was paused). */
export function clearPause(paths: StatePaths): PauseState | undefined {
  const was = readPause(paths);
  rmSync(paths.pauseFile(), { force: true });
  return was;
}
