/**
 * The canary probe: config.canary.domains run by the PHASE runner against the canary instance (never
 * production), with the same per-domain options PHASE uses so canary and PHASE measure the same workload.
 * Each canary's long-context domain sizes its prompts to that canary's own max_model_len (from /v1/models):
 * validation already keeps it at or above the context production uses.
 */
import type { Config } from '../../config/schema.js';
import type { Clock } from '../../system/clock.js';
import type { Logger } from '../../system/log.js';
import { runDomains } from '../phase/run.js';
import type { CanaryProbe } from './canary.js';

export function phaseProbe(deps: { config: Config; clock: Clock; log: Logger }): CanaryProbe {
  const { config, clock, log } = deps;
  const apiKey = config.target.api_key_env ? process.env[config.target.api_key_env] : undefined;
  return async (target, signal) =>
    runDomains(
      {
        baseUrl: target.baseUrl,
        model: config.target.served_model_name ?? config.target.model,
        ...(apiKey ? { apiKey } : {}),
        logPath: target.logPath,
        timeScale: config.target.time_scale,
        ...(target.exited ? { processExited: target.exited } : {}),
        engine: config.target.engine,
      },
      [...config.canary.domains],
      { config, clock, log: log.child({ canary: target.port }), signal },
    );
}
