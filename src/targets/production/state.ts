/**
 * The persisted live config of production (StatePaths.productionFile()): what nightshift last applied, the last
 * config that was healthy, and for managed production the pid it started — so a restarted nightshift adopts
 * its process instead of starting a second one. Written whole and atomically.
 */
import { StateError } from '../../core/errors.js';
import type { EngineConfig } from '../../core/types.js';
import { schemaId } from '../../core/types.js';
import { readJson, writeJsonAtomic } from '../../store/atomic.js';
import type { StatePaths } from '../../store/paths.js';

export type ProductionStatus = 'healthy' | 'starting' | 'failed' | 'stopped';

export interface ProductionRecord {
  schema: string;
  mode: 'managed' | 'systemd' | 'command';
  config: EngineConfig;
  last_healthy_config: EngineConfig | null;
  status: ProductionStatus;
  /** managed only: the process group leader nightshift started */
  pid?: number;
  port: number;
  /** epoch ms */
  updated_at: number;
}

export const PRODUCTION_SCHEMA = schemaId('production');

/**
 * An unreadable file is the state directory's fault (exit 5, the file named): the live config and the pid of a
 * managed process are unknown, and guessing could start a second production on the same port.
 */
export function readProduction(paths: StatePaths): ProductionRecord | undefined {
  const file = paths.productionFile();
  try {
    return readJson<ProductionRecord>(file);
  } catch (err) {
    throw new StateError(`production: ${file} is not valid JSON`, {
      hint: 'fix it, or stop the production process yourself and remove the file (production then starts from target.config)',
      cause: err,
    });
  }
}

export function writeProduction(paths: StatePaths, record: Omit<ProductionRecord, 'schema'>): ProductionRecord {
  const full: ProductionRecord = { schema: PRODUCTION_SCHEMA, ...record };
  if (full.pid === undefined) delete full.pid;
  writeJsonAtomic(paths.productionFile(), full);
  return full;
}
