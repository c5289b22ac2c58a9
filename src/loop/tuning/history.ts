/**
 * tuning/history.jsonl: one record per tuning run with every canary result, append only. Candidate
 * generation reads it back (configs that crashed are infeasible, neighbours of good ones preferred).
 */
import type { Config } from '../../config/schema.js';
import { appendJsonl, readJsonl, type Warn } from '../../store/atomic.js';
import type { StatePaths } from '../../store/paths.js';
import type { HistoryRecord } from './types.js';

export function appendHistory(paths: StatePaths, record: HistoryRecord): void {
  appendJsonl(paths.tuningHistory(), record);
}

/** Every run recorded, optionally only those of one engine + model (results only compare on like targets). */
export function readHistory(
  paths: StatePaths,
  filter: { engine?: string; model?: string } = {},
  warn?: Warn,
): HistoryRecord[] {
  return readJsonl<HistoryRecord>(paths.tuningHistory(), warn).filter(
    (r) =>
      (filter.engine === undefined || r.engine === filter.engine) &&
      (filter.model === undefined || r.model === filter.model),
  );
}

/** Where canaries run, as far as nightshift can tell: the GPUs canary.env (else target.env) selects. */
export function hardwareOf(config: Config): string | undefined {
  const gpus = config.canary.env.CUDA_VISIBLE_DEVICES ?? config.target.env.CUDA_VISIBLE_DEVICES;
  return gpus === undefined ? undefined : `CUDA_VISIBLE_DEVICES=${gpus}`;
}
