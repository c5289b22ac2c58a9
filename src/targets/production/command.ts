/**
 * Command production: the user's apply command (target.production.command.apply, run with `sh -c`) changes
 * production — a docker restart, an ssh to another host, a deploy script. nightshift hands it the config:
 *
 * - render: flags (default) — the rendered flags are appended to the command, shell-quoted;
 * - render: env — nothing is appended.
 *
 * Either way the command's environment carries NIGHTSHIFT_FLAGS (the flags as one string),
 * NIGHTSHIFT_CONFIG_JSON, one NIGHTSHIFT_<KNOB>=value per knob, and the engine's own env knobs (Ollama's
 * OLLAMA_NUM_PARALLEL, ...). The command must return once the change is made; nightshift then waits for
 * target.base_url to be healthy (reading target.log_file, when set, to fail fast on a startup failure).
 */
import { join } from 'node:path';
import type { Config } from '../../config/schema.js';
import { ExitCode, NightshiftError } from '../../core/errors.js';
import type { EngineConfig } from '../../core/types.js';
import type { StatePaths } from '../../store/paths.js';
import type { ApplyOptions, ApplyResult, Production } from '../engine.js';
import { healthUrl, probeHealth, waitHealthy } from '../health.js';
import { renderEnv, renderFlags, renderKnobEnv } from '../knobs.js';
import { DEFAULT_HEALTH_TIMEOUT_MS, endpointOf, type ProductionDeps } from './managed.js';
import { lastLine, runCommand, shellQuote } from './run.js';
import { logFileScan } from './scan.js';
import { readProduction, writeProduction } from './state.js';
import { engineSpecs } from './systemd.js';

export interface RenderedCommand {
  script: string;
  env: Record<string, string>;
}

/** The shell script and environment for one apply (pure). */
export function renderApplyCommand(
  apply: string,
  render: 'flags' | 'env',
  specs: Parameters<typeof renderFlags>[0],
  config: EngineConfig,
): RenderedCommand {
  const flags = renderFlags(specs, config).map(shellQuote).join(' ');
  const env = {
    ...renderEnv(specs, config),
    ...renderKnobEnv(specs, config),
    NIGHTSHIFT_FLAGS: flags,
    NIGHTSHIFT_CONFIG_JSON: JSON.stringify(config),
  };
  const script = render === 'flags' && flags !== '' ? `${apply} ${flags}` : apply;
  return { script, env };
}

export class CommandProduction implements Production {
  readonly mode = 'command' as const;
  private readonly apply_: string;
  private readonly render: 'flags' | 'env';
  private readonly logPath: string;

  constructor(
    private readonly cfg: Config,
    private readonly paths: StatePaths,
    private readonly deps: ProductionDeps,
  ) {
    const command = cfg.target.production.command;
    if (!command) {
      throw new NightshiftError('production.config', 'production: mode command needs target.production.command', {
        exitCode: ExitCode.usage,
        hint: 'add target.production.command: { apply: "./deploy.sh", render: flags }',
      });
    }
    this.apply_ = command.apply;
    this.render = command.render;
    this.logPath = join(paths.logsDir(), 'production-command.log');
  }

  async current(): Promise<EngineConfig> {
    return readProduction(this.paths)?.config ?? { ...this.cfg.target.config };
  }

  async health(): Promise<boolean> {
    return (await probeHealth(this.healthUrl(), 2000)).ok;
  }

  async apply(config: EngineConfig, opts: ApplyOptions = {}): Promise<ApplyResult> {
    const t0 = performance.now();
    const timeoutMs = opts.timeoutMs ?? DEFAULT_HEALTH_TIMEOUT_MS;
    const elapsed = () => Math.round(performance.now() - t0);
    const before = readProduction(this.paths);
    const base = {
      mode: this.mode,
      config,
      port: endpointOf(this.cfg.target.base_url).port,
      last_healthy_config: before?.last_healthy_config ?? null,
    };
    writeProduction(this.paths, { ...base, status: 'starting', updated_at: this.deps.clock.now() });
    const result = await this.runAndWait(config, timeoutMs, elapsed);
    writeProduction(this.paths, {
      ...base,
      ...(result.ok ? { last_healthy_config: config } : {}),
      status: result.ok ? 'healthy' : 'failed',
      updated_at: this.deps.clock.now(),
    });
    if (!result.ok) this.deps.log.warn({ evidence: result.evidence }, 'production: apply command did not succeed');
    return result;
  }

  /** Re-apply the current config (what "start" means when only an apply command is known). */
  async start(opts: ApplyOptions = {}): Promise<ApplyResult> {
    return this.apply(await this.current(), opts);
  }

  async stop(): Promise<void> {
    throw new NightshiftError('production.unsupported', 'production: mode command cannot stop production', {
      exitCode: ExitCode.usage,
      hint: 'use canary.mode: spare, or production mode managed or systemd for quiesced canaries',
    });
  }

  private async runAndWait(config: EngineConfig, timeoutMs: number, elapsed: () => number): Promise<ApplyResult> {
    const { script, env } = renderApplyCommand(this.apply_, this.render, engineSpecs(this.deps.engine), config);
    const logScan = this.cfg.target.log_file ? logFileScan(this.deps.engine, this.cfg.target.log_file) : undefined;
    this.deps.log.info({ script }, 'production: running the apply command');
    const run = await runCommand(['sh', '-c', script], { logPath: this.logPath, timeoutMs, env });
    if (run.code !== 0) {
      const what = run.timedOut ? `did not return within ${timeoutMs} ms` : `exited ${run.code}`;
      return {
        ok: false,
        ms: elapsed(),
        evidence: {
          source: 'exit',
          kind: run.timedOut ? 'apply_command_timeout' : 'apply_command_failed',
          line: `apply command ${what}: ${lastLine(run.output) ?? 'no output'}`,
        },
      };
    }
    const ready = await waitHealthy(this.healthUrl(), Math.max(1, timeoutMs - elapsed()), {
      ...(logScan ? { failure: logScan } : {}),
    });
    return ready.ok ? { ok: true, ms: elapsed() } : { ok: false, ms: elapsed(), evidence: ready.evidence };
  }

  private healthUrl(): string {
    return healthUrl(this.cfg.target.base_url, this.deps.engine.healthPath);
  }
}
