/**
 * The persisted live config of production (StatePaths.productionFile()): what nightshift last applied, the last
 * config that was healthy, and for managed production the pid it started — so a restarted nightshift adopts
 * its process instead of starting a second one. Written whole and atomically.
 */
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

export function readProduction(paths: StatePaths): ProductionRecord | undefined {
  return readJson<ProductionRecord>(paths.productionFile());
}

export function writeProduction(paths: StatePaths, record: Omit<ProductionRecord, 'schema'>): ProductionRecord {
  const full: ProductionRecord = { schema: PRODUCTION_SCHEMA, ...record };
  if (full.pid === undefined) delete full.pid;
  writeJsonAtomic(paths.productionFile(), full);
  return full;
}
