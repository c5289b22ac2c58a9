/**
 * One running engine process: a canary, or managed production. Started in its own process group (system/
 * process.ts), its output appended to its own log file. `ready` tells ready from failed quickly: it polls
 * /health, and fails at once when the process exits or when the log shows a known fatal startup line — a
 * candidate that cannot start is detected in about a poll interval, never by waiting out the timeout.
 */
import { ExitCode, NightshiftError } from '../core/errors.js';
import type { EngineConfig, Evidence } from '../core/types.js';
import type { Clock } from '../system/clock.js';
import { groupAlive, type Spawned, spawnGroup, stopGroup } from '../system/process.js';
import { FailurePicker } from './classify.js';
import type { Engine, Instance, ReadyResult } from './engine.js';
import { healthUrl, pause, probeHealth } from './health.js';
import { fileSizeSync, LogTail } from './log-tail.js';

/** Time between two health polls (and log scans) while waiting for ready. */
const POLL_MS = 100;
/** A single health poll's own timeout: a hung server must not stall the fail-fast checks. */
const POLL_TIMEOUT_MS = 1000;
const DEFAULT_GRACE_MS = 5000;

export interface StartInstanceOptions {
  engine: Engine;
  /** the configured command prefix: ['vllm', 'serve'] or [node, .../bin/nightshift.js, 'twin', 'serve'] */
  launch: string[];
  model: string;
  servedModelName?: string;
  config: EngineConfig;
  port: number;
  /** loopback only; default 127.0.0.1 */
  host?: string;
  logPath: string;
  /** extra environment (canary.env: CUDA_VISIBLE_DEVICES for a spare GPU, the twin's runtime dir, ...) */
  env?: Record<string, string>;
  /** the twin only: appended as --time-scale when < 1 */
  timeScale?: number;
  /** managed production outlives nightshift; canaries (default) die with it */
  keepAlive?: boolean;
  /** SIGTERM → SIGKILL grace of stop() */
  graceMs?: number;
  /** stamps evidence with the calendar time it was seen */
  clock?: Clock;
  cwd?: string;
}

/** What ready() watches, independent of whether we spawned the process or re-attached to it. */
interface Watched {
  pid: number;
  exited(): boolean;
  exitCode(): number | undefined;
  /** settles when the process exits (never, for an attached pid: polled instead) */
  exitSignal: Promise<unknown> | undefined;
  stop(graceMs: number): Promise<void>;
}

class EngineInstance implements Instance {
  readonly baseUrl: string;
  private readonly tail: LogTail;
  private readonly picker = new FailurePicker();
  private stopping: Promise<void> | undefined;
  /** a fatal line once seen stays the answer: a second ready() must not miss it because it was already read */
  private failure: Evidence | undefined;

  constructor(
    private readonly proc: Watched,
    readonly port: number,
    host: string,
    readonly logPath: string,
    readonly config: EngineConfig,
    private readonly engine: Engine,
    logOffset: number,
    private readonly graceMs: number,
    private readonly clock: Clock | undefined,
  ) {
    this.baseUrl = `http://${host}:${port}`;
    this.tail = new LogTail(logPath, logOffset);
  }

  get pid(): number {
    return this.proc.pid;
  }

  exited(): boolean {
    return this.proc.exited();
  }

  async ready(timeoutMs: number): Promise<ReadyResult> {
    const t0 = performance.now();
    const elapsed = () => Math.round(performance.now() - t0);
    const url = healthUrl(this.baseUrl, this.engine.healthPath);
    let last = 'not polled yet';
    for (;;) {
      const failure = await this.scanLog(false);
      if (failure) return { ok: false, ms: elapsed(), evidence: failure };
      if (this.proc.exited()) {
        // The process wrote its last words before exiting: read them all before settling for the exit code.
        const lastWords = await this.scanLog(true);
        return { ok: false, ms: elapsed(), evidence: lastWords ?? this.exitEvidence() };
      }
      const remaining = timeoutMs - (performance.now() - t0);
      const answer = await probeHealth(url, Math.max(1, Math.min(POLL_TIMEOUT_MS, remaining)));
      if (answer.ok) return { ok: true, ms: elapsed() };
      last = answer.detail;
      if (performance.now() - t0 >= timeoutMs) {
        return {
          ok: false,
          ms: elapsed(),
          evidence: this.stamp({
            source: 'health',
            kind: 'health_timeout',
            line: `${url} did not answer 200 within ${timeoutMs} ms (last answer: ${last})`,
          }),
        };
      }
      await pause(Math.min(POLL_MS, timeoutMs - (performance.now() - t0)), this.proc.exitSignal);
    }
  }

  stop(): Promise<void> {
    this.stopping ??= this.proc.stop(this.graceMs);
    return this.stopping;
  }

  /** New log lines checked for a fatal line; `final` once the process has exited (no more lines will come). */
  private async scanLog(final: boolean): Promise<Evidence | undefined> {
    if (this.failure) return this.failure;
    for (const { line, lineNo } of await this.tail.read(final)) {
      const hit = this.engine.startupFailure(line) ?? this.engine.oomSignature(line);
      const picked = hit && this.picker.offer({ ...hit, source: 'log', lineNo });
      if (picked) {
        this.failure = this.stamp(picked);
        return this.failure;
      }
    }
    const generic = this.picker.due(final);
    if (generic) this.failure = this.stamp(generic);
    return this.failure;
  }

  private exitEvidence(): Evidence {
    const code = this.proc.exitCode();
    const line =
      code === undefined
        ? `process ${this.pid} exited before it was ready (log: ${this.logPath})`
        : `process ${this.pid} exited with code ${code} before it was ready (log: ${this.logPath})`;
    return this.stamp({ source: 'exit', kind: 'process_exit', line });
  }

  private stamp(e: Evidence): Evidence {
    return e.at === undefined && this.clock ? { ...e, at: this.clock.now() } : e;
  }
}

/** Start one engine process with a config on a port; returns at once (call ready() to wait for it). */
export function startInstance(opts: StartInstanceOptions): Instance {
  const host = opts.host ?? '127.0.0.1';
  const spec = opts.engine.launch({
    launch: opts.launch,
    model: opts.model,
    config: opts.config,
    port: opts.port,
    host,
    ...(opts.servedModelName !== undefined ? { servedModelName: opts.servedModelName } : {}),
    ...(opts.timeScale !== undefined ? { timeScale: opts.timeScale } : {}),
  });
  // Logs are appended across runs (managed production): only lines after this offset belong to this start.
  const logOffset = fileSizeSync(opts.logPath);
  let spawned: Spawned;
  try {
    spawned = spawnGroup(spec.argv, {
      env: { ...spec.env, ...(opts.env ?? {}) },
      logPath: opts.logPath,
      ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}),
      ...(opts.keepAlive ? { detachedLifetime: true } : {}),
    });
  } catch (err) {
    throw new NightshiftError('targets.launch', `targets: cannot start ${spec.argv[0]}: ${(err as Error).message}`, {
      exitCode: ExitCode.usage,
      hint: 'check target.launch (is the engine installed and on PATH?)',
      cause: err,
    });
  }
  const watched: Watched = {
    pid: spawned.pid,
    exited: () => spawned.exitCode() !== undefined,
    exitCode: () => spawned.exitCode(),
    exitSignal: spawned.exited,
    stop: (graceMs) => spawned.stop(graceMs),
  };
  return new EngineInstance(
    watched,
    opts.port,
    host,
    opts.logPath,
    opts.config,
    opts.engine,
    logOffset,
    opts.graceMs ?? DEFAULT_GRACE_MS,
    opts.clock,
  );
}

export interface AttachOptions {
  engine: Engine;
  config: EngineConfig;
  logPath: string;
  host?: string;
  graceMs?: number;
  clock?: Clock;
}

/**
 * Re-attach to a process an earlier nightshift run started (its pid recorded in the journal or the production
 * file). It is a group leader (spawnGroup), so stop() still reaches the whole group. Its exit is seen by polling.
 */
export function attachInstance(pid: number, port: number, opts: AttachOptions): Instance {
  const watched: Watched = {
    pid,
    exited: () => !groupAlive(pid),
    exitCode: () => undefined,
    exitSignal: undefined,
    stop: (graceMs) => stopGroup(pid, graceMs),
  };
  return new EngineInstance(
    watched,
    port,
    opts.host ?? '127.0.0.1',
    opts.logPath,
    opts.config,
    opts.engine,
    fileSizeSync(opts.logPath),
    opts.graceMs ?? DEFAULT_GRACE_MS,
    opts.clock,
  );
}
