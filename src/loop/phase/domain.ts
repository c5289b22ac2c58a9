/**
 * A PHASE test domain (built-in or plugin). A domain measures; it never reconfigures the target.
 */
import type { DomainOptions } from '../../config/schema.js';
import type { Rng } from '../../core/random.js';
import type { DomainResult } from '../../core/types.js';
import type { EngineSignals, ProbeClient, Slo } from '../../probe/types.js';
import type { Clock } from '../../system/clock.js';
import type { Logger } from '../../system/log.js';

export interface DomainContext {
  client: ProbeClient;
  /** scrape the target's /metrics now ({available: false} where there is none) */
  scrape(): Promise<EngineSignals>;
  clock: Clock;
  /** this domain's options from the config (already merged with nothing: each domain applies its own defaults) */
  options: DomainOptions;
  slo: Slo;
  /** served model name */
  model: string;
  /** the target's max context, from /v1/models or the config, when known */
  maxModelLen?: number;
  seed: number;
  rng: Rng;
  signal: AbortSignal;
  log: Logger;
  progress(done: number, total: number): void;
  /** the target's engine (config target.engine) when known: domains send engine-specific fields only where understood */
  engine?: string;
}

export interface Domain {
  name: string;
  description: string;
  /** the options the domain uses when the config names none (documentation; `nightshift phase domains` prints them) */
  defaults?: Partial<DomainOptions>;
  run(ctx: DomainContext): Promise<DomainResult>;
}
