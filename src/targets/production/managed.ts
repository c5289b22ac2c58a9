/**
 * Managed production: nightshift owns the production process (the twin or a real `vllm serve`) on the port of
 * target.base_url. The process outlives nightshift (keepAlive); its pid is persisted in the production file,
 * so a restarted nightshift adopts it instead of starting another. apply() = stop the old process, start the
 * new config, wait until healthy; a config that cannot start fails fast with its evidence and is stopped.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../../config/schema.js';
import type { EngineConfig } from '../../core/types.js';
import type { StatePaths } from '../../store/paths.js';
import type { Clock } from '../../system/clock.js';
import type { Logger } from '../../system/log.js';
import { groupAlive, stopGroup } from '../../system/process.js';
import type { ApplyOptions, ApplyResult, Engine, Instance, Production } from '../engine.js';
import { healthUrl, probeHealth } from '../health.js';
import { attachInstance, startInstance } from '../instance.js';
import { resolveLaunch } from '../launch.js';
import { type ProductionRecord, readProduction, writeProduction } from './state.js';

/** A cold vLLM start with a large model takes minutes; callers pass the restore SLA when they want it tighter. */
export const DEFAULT_HEALTH_TIMEOUT_MS = 180_000;
const GRACE_MS = 5000;

export interface ProductionDeps {
  clock: Clock;
  log: Logger;
  engine: Engine;
}

export interface Endpoint {
  host: string;
  port: number;
}

/** host and port of target.base_url (the port defaults by scheme, as a URL does). */
export function endpointOf(baseUrl: string): Endpoint {
  const url = new URL(baseUrl);
  const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  return { host: url.hostname, port };
}

export class ManagedProduction implements Production {
  readonly mode = 'managed' as const;
  private instance: Instance | undefined;
  private readonly endpoint: Endpoint;
  readonly logPath: string;

  constructor(
    private readonly cfg: Config,
    private readonly paths: StatePaths,
    private readonly deps: ProductionDeps,
  ) {
    this.endpoint = endpointOf(cfg.target.base_url);
    this.logPath = join(paths.logsDir(), 'production.log');
  }

  /** The config production runs (or last tried to run): the production file, else target.config. */
  async current(): Promise<EngineConfig> {
    return readProduction(this.paths)?.config ?? { ...this.cfg.target.config };
  }

  /** The last config production was healthy with, when one is recorded. */
  async lastHealthy(): Promise<EngineConfig | undefined> {
    return readProduction(this.paths)?.last_healthy_config ?? undefined;
  }

  /** pid of the production process nightshift manages, when one is running. */
  pid(): number | undefined {
    if (this.instance && !this.instance.exited()) return this.instance.pid;
    const pid = readProduction(this.paths)?.pid;
    return pid !== undefined && groupAlive(pid) ? pid : undefined;
  }

  async health(): Promise<boolean> {
    return (await probeHealth(healthUrl(this.cfg.target.base_url, this.deps.engine.healthPath), 2000)).ok;
  }

  async apply(config: EngineConfig, opts: ApplyOptions = {}): Promise<ApplyResult> {
    const t0 = performance.now();
    const before = readProduction(this.paths);
    await this.stopProcess();
    this.deps.log.info({ config }, 'production: starting with a new config');
    const result = await this.launch(config, before, opts.timeoutMs ?? DEFAULT_HEALTH_TIMEOUT_MS);
    return { ...result, ms: Math.round(performance.now() - t0) };
  }

  /** Start production with its current config (after a quiesced canary); a running healthy production is left as is. */
  async start(opts: ApplyOptions = {}): Promise<ApplyResult> {
    const t0 = performance.now();
    if (this.pid() !== undefined && (await this.health())) return { ok: true, ms: 0 };
    const record = readProduction(this.paths);
    // A config that failed to start is not retried blindly: the last healthy one comes back.
    const config =
      record?.status === 'failed' && record.last_healthy_config
        ? record.last_healthy_config
        : (record?.config ?? { ...this.cfg.target.config });
    await this.stopProcess();
    const result = await this.launch(config, record, opts.timeoutMs ?? DEFAULT_HEALTH_TIMEOUT_MS);
    return { ...result, ms: Math.round(performance.now() - t0) };
  }

  /** Adopt a running production process recorded by an earlier nightshift, or start one. */
  async ensureRunning(opts: ApplyOptions = {}): Promise<ApplyResult> {
    if (this.adopt()) {
      const ready = await this.instance!.ready(opts.timeoutMs ?? DEFAULT_HEALTH_TIMEOUT_MS);
      if (ready.ok) return { ok: true, ms: ready.ms };
    }
    return this.start(opts);
  }

  /**
   * Re-attach to the pid in the production file when that process is still alive and is the one we started
   * (its command line carries our port: a recycled pid is never adopted). Returns whether it adopted one.
   */
  adopt(): boolean {
    if (this.instance && !this.instance.exited()) return true;
    const record = readProduction(this.paths);
    if (record?.pid === undefined || !groupAlive(record.pid) || !commandHasPort(record.pid, record.port)) return false;
    this.instance = attachInstance(record.pid, record.port, {
      engine: this.deps.engine,
      config: record.config,
      logPath: this.logPath,
      host: this.endpoint.host,
      graceMs: GRACE_MS,
      clock: this.deps.clock,
    });
    this.deps.log.info({ pid: record.pid }, 'production: adopted the running process');
    return true;
  }

  /** Stop production (quiesced canaries); returns once the process group is gone. */
  async stop(): Promise<void> {
    await this.stopProcess();
    const record = readProduction(this.paths);
    if (record) writeProduction(this.paths, { ...record, status: 'stopped', pid: undefined, updated_at: this.now() });
  }

  private async stopProcess(): Promise<void> {
    if (this.instance) {
      await this.instance.stop();
      this.instance = undefined;
    }
    const pid = readProduction(this.paths)?.pid;
    if (pid !== undefined && groupAlive(pid) && commandHasPort(pid, this.endpoint.port)) await stopGroup(pid, GRACE_MS);
  }

  private async launch(
    config: EngineConfig,
    before: ProductionRecord | undefined,
    timeoutMs: number,
  ): Promise<Omit<ApplyResult, 'ms'>> {
    const lastHealthy = before?.last_healthy_config ?? null;
    const instance = startInstance({
      engine: this.deps.engine,
      launch: resolveLaunch(this.cfg.target.launch),
      model: this.cfg.target.model,
      ...(this.cfg.target.served_model_name ? { servedModelName: this.cfg.target.served_model_name } : {}),
      config,
      port: this.endpoint.port,
      host: this.endpoint.host,
      logPath: this.logPath,
      env: this.cfg.target.env,
      timeScale: this.cfg.target.time_scale,
      keepAlive: true,
      graceMs: GRACE_MS,
      clock: this.deps.clock,
    });
    this.instance = instance;
    // Recorded before waiting: a nightshift killed mid-start still knows which process to adopt or stop.
    const base = { mode: this.mode, config, port: this.endpoint.port, last_healthy_config: lastHealthy };
    writeProduction(this.paths, { ...base, status: 'starting', pid: instance.pid, updated_at: this.now() });
    const ready = await instance.ready(timeoutMs);
    if (ready.ok) {
      writeProduction(this.paths, {
        ...base,
        last_healthy_config: config,
        status: 'healthy',
        pid: instance.pid,
        updated_at: this.now(),
      });
      this.deps.log.info({ pid: instance.pid, ms: ready.ms }, 'production: healthy');
      return { ok: true };
    }
    this.deps.log.warn({ evidence: ready.evidence }, 'production: the new config did not start');
    await instance.stop();
    this.instance = undefined;
    writeProduction(this.paths, { ...base, status: 'failed', pid: undefined, updated_at: this.now() });
    return { ok: false, evidence: ready.evidence };
  }

  private now(): number {
    return this.deps.clock.now();
  }
}

/**
 * Whether a pid's command line names our port (Linux /proc). Where /proc is not readable the pid is trusted:
 * it was recorded by us and checked alive.
 */
function commandHasPort(pid: number, port: number): boolean {
  let raw: string;
  try {
    raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return true;
  }
  const args = raw.split('\0');
  const i = args.indexOf('--port');
  if (i >= 0) return args[i + 1] === String(port);
  // Engines configured by environment (Ollama: OLLAMA_HOST) carry no --port: nothing to check against.
  return true;
}
