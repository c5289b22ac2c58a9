/**
 * systemd production: the live flags go to an environment file the unit reads, then `systemctl restart UNIT`,
 * then health via target.base_url; startup failures are read from the unit's journal (and target.log_file).
 *
 * The unit uses the file like this (the unbraced `$VLLM_ARGS` is split by systemd into one argument per word):
 *
 *   [Service]
 *   EnvironmentFile=/etc/nightshift/vllm.env
 *   ExecStart=/opt/vllm/bin/vllm serve meta-llama/Llama-3.1-8B-Instruct --port 8000 $VLLM_ARGS
 *
 * The file also carries one NIGHTSHIFT_<KNOB>=value per knob (for units that build their own command line)
 * and the engine's environment knobs under their own names (Ollama: OLLAMA_NUM_PARALLEL=4, ...).
 */
import { join } from 'node:path';
import type { Config } from '../../config/schema.js';
import { NightshiftError } from '../../core/errors.js';
import { isoLocal } from '../../core/time.js';
import type { EngineConfig } from '../../core/types.js';
import { writeFileAtomic } from '../../store/atomic.js';
import type { StatePaths } from '../../store/paths.js';
import type { ApplyOptions, ApplyResult, Engine, KnobSpec, Production } from '../engine.js';
import { healthUrl, probeHealth, waitHealthy } from '../health.js';
import { renderEnv, renderFlags, renderKnobEnv } from '../knobs.js';
import { DEFAULT_HEALTH_TIMEOUT_MS, endpointOf, type ProductionDeps } from './managed.js';
import { lastLine, runCommand } from './run.js';
import { anyScan, journalScan, logFileScan } from './scan.js';
import { readProduction, writeProduction } from './state.js';

/** How long `systemctl restart` itself may take (the unit's start job; the health wait comes after). */
const SYSTEMCTL_TIMEOUT_MS = 60_000;

/** The binaries to call; tests point them at stand-ins. */
export interface SystemdCommands {
  systemctl: string[];
  journalctl: string[];
}

export function engineSpecs(engine: Engine): KnobSpec[] {
  return [...engine.knobs, ...(engine.settings ?? [])];
}

/** VLLM_ARGS, LLAMA_SERVER_ARGS, OLLAMA_ARGS: the variable holding the rendered flags. */
export function argsVariable(engine: Engine): string {
  return `${engine.name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_ARGS`;
}

/** systemd EnvironmentFile quoting: double quotes, backslash escapes. */
function envQuote(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** The env file's text (pure). */
export function renderEnvFile(
  engine: Engine,
  config: EngineConfig,
  opts: { unit: string; envFile: string; writtenAt: string },
): string {
  const specs = engineSpecs(engine);
  const args = argsVariable(engine);
  const lines = [
    `# Live config of ${opts.unit}, written by nightshift at ${opts.writtenAt}. nightshift rewrites this file on`,
    '# every change; edit target.config in nightshift.yaml instead. The unit reads it with:',
    `#   EnvironmentFile=${opts.envFile}`,
    `#   ExecStart=<engine command> <model> --port <port> $${args}`,
    `${args}=${envQuote(renderFlags(specs, config).join(' '))}`,
  ];
  for (const [key, value] of Object.entries(renderKnobEnv(specs, config))) lines.push(`${key}=${envQuote(value)}`);
  for (const [key, value] of Object.entries(renderEnv(specs, config))) lines.push(`${key}=${envQuote(value)}`);
  return `${lines.join('\n')}\n`;
}

export class SystemdProduction implements Production {
  readonly mode = 'systemd' as const;
  private readonly unit: string;
  private readonly envFile: string;
  private readonly logsDir: string;

  constructor(
    private readonly cfg: Config,
    private readonly paths: StatePaths,
    private readonly deps: ProductionDeps,
    private readonly commands: SystemdCommands = { systemctl: ['systemctl'], journalctl: ['journalctl'] },
  ) {
    const systemd = cfg.target.production.systemd;
    if (!systemd) {
      throw new NightshiftError('production.config', 'production: mode systemd needs target.production.systemd', {
        exitCode: 3,
        hint: 'add target.production.systemd: { unit: vllm.service, env_file: /etc/nightshift/vllm.env }',
      });
    }
    this.unit = systemd.unit;
    this.envFile = systemd.env_file;
    this.logsDir = paths.logsDir();
  }

  async current(): Promise<EngineConfig> {
    return readProduction(this.paths)?.config ?? { ...this.cfg.target.config };
  }

  async health(): Promise<boolean> {
    return (await probeHealth(this.healthUrl(), 2000)).ok;
  }

  async apply(config: EngineConfig, opts: ApplyOptions = {}): Promise<ApplyResult> {
    const t0 = performance.now();
    this.writeEnvFile(config);
    const before = readProduction(this.paths);
    const base = {
      mode: this.mode,
      config,
      port: endpointOf(this.cfg.target.base_url).port,
      last_healthy_config: before?.last_healthy_config ?? null,
    };
    writeProduction(this.paths, { ...base, status: 'starting', updated_at: this.deps.clock.now() });
    const result = await this.restartAndWait('restart', opts.timeoutMs ?? DEFAULT_HEALTH_TIMEOUT_MS, t0);
    writeProduction(this.paths, {
      ...base,
      ...(result.ok ? { last_healthy_config: config } : {}),
      status: result.ok ? 'healthy' : 'failed',
      updated_at: this.deps.clock.now(),
    });
    return result;
  }

  /** Start the unit again after a quiesced canary, with the config already in its env file. */
  async start(opts: ApplyOptions = {}): Promise<ApplyResult> {
    return this.restartAndWait('start', opts.timeoutMs ?? DEFAULT_HEALTH_TIMEOUT_MS, performance.now());
  }

  async stop(): Promise<void> {
    const run = await this.systemctl('stop');
    if (run.code !== 0) {
      throw new NightshiftError(
        'production.stop',
        `production: systemctl stop ${this.unit} ${run.timedOut ? 'timed out' : `exited ${run.code}`}: ${lastLine(run.output) ?? 'no output'}`,
        { hint: 'check that nightshift may manage the unit (polkit or sudoers rule), or use canary.mode: spare' },
      );
    }
  }

  private writeEnvFile(config: EngineConfig): void {
    const text = renderEnvFile(this.deps.engine, config, {
      unit: this.unit,
      envFile: this.envFile,
      writtenAt: isoLocal(this.deps.clock.now(), this.cfg.timezone),
    });
    try {
      writeFileAtomic(this.envFile, text);
    } catch (err) {
      throw new NightshiftError(
        'production.env_file',
        `production: cannot write ${this.envFile}: ${(err as Error).message}`,
        { hint: 'give the nightshift user write access to that file and its directory', cause: err },
      );
    }
  }

  private async restartAndWait(verb: 'restart' | 'start', timeoutMs: number, t0: number): Promise<ApplyResult> {
    const sinceMs = this.deps.clock.now();
    const elapsed = () => Math.round(performance.now() - t0);
    const logScan = this.cfg.target.log_file ? logFileScan(this.deps.engine, this.cfg.target.log_file) : undefined;
    const run = await this.systemctl(verb, Math.min(SYSTEMCTL_TIMEOUT_MS, timeoutMs));
    if (run.code !== 0) {
      const what = run.timedOut ? 'timed out' : `exited ${run.code}`;
      return {
        ok: false,
        ms: elapsed(),
        evidence: {
          source: 'exit',
          kind: 'systemctl_failed',
          line: `systemctl ${verb} ${this.unit} ${what}: ${lastLine(run.output) ?? 'no output'}`,
        },
      };
    }
    const journal = journalScan(this.deps.engine, {
      journalctl: this.commands.journalctl,
      unit: this.unit,
      sinceMs,
      logPath: join(this.logsDir, 'production-journal.log'),
    });
    const ready = await waitHealthy(this.healthUrl(), Math.max(1, timeoutMs - elapsed()), {
      failure: anyScan(logScan, journal),
    });
    return ready.ok ? { ok: true, ms: elapsed() } : { ok: false, ms: elapsed(), evidence: ready.evidence };
  }

  private systemctl(verb: string, timeoutMs = SYSTEMCTL_TIMEOUT_MS) {
    return runCommand([...this.commands.systemctl, verb, this.unit], {
      logPath: join(this.logsDir, 'production-systemctl.log'),
      timeoutMs,
    });
  }

  private healthUrl(): string {
    return healthUrl(this.cfg.target.base_url, this.deps.engine.healthPath);
  }
}
