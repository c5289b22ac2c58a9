/** How production is changed, chosen by target.production.mode. */
import type { Config } from '../../config/schema.js';
import type { StatePaths } from '../../store/paths.js';
import type { Production } from '../engine.js';
import { CommandProduction } from './command.js';
import { ManagedProduction, type ProductionDeps } from './managed.js';
import { SystemdProduction } from './systemd.js';

export { CommandProduction, renderApplyCommand } from './command.js';
export { DEFAULT_HEALTH_TIMEOUT_MS, endpointOf, ManagedProduction, type ProductionDeps } from './managed.js';
export { type ProductionRecord, readProduction } from './state.js';
export { renderEnvFile, SystemdProduction } from './systemd.js';

export function createProduction(config: Config, paths: StatePaths, deps: ProductionDeps): Production {
  switch (config.target.production.mode) {
    case 'managed':
      return new ManagedProduction(config, paths, deps);
    case 'systemd':
      return new SystemdProduction(config, paths, deps);
    case 'command':
      return new CommandProduction(config, paths, deps);
  }
}
