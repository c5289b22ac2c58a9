/**
 * In-process stand-ins for the tuning run's edges: a production whose calls are recorded, canary instances
 * that start, answer and crash as a behaviour function says (no process), and a probe that reports the
 * metrics that behaviour gives. Real waits are a few ms; with target.time_scale 0.001 a ms is a model second.
 */
import type { Metrics } from '../../src/core/metrics.js';
import type { DomainResult, EngineConfig } from '../../src/core/types.js';
import type { CanaryProbe } from '../../src/loop/tuning/canary.js';
import type { ManualClock } from '../../src/system/clock.js';
import type { ApplyOptions, ApplyResult, Instance, Production, ReadyResult } from '../../src/targets/engine.js';
import type { StartInstanceOptions } from '../../src/targets/instance.js';

export interface Behaviour {
  /** real ms the canary takes to become ready (and the model seconds the manual clock moves, ×1000 at scale 0.001) */
  readyMs?: number;
  ready?: 'ok' | 'fail';
  outcome?: 'pass' | 'crash' | 'oom' | 'fail';
  /** real ms the probe takes */
  probeMs?: number;
  metrics?: Metrics;
}

export type BehaviourOf = (config: EngineConfig) => Behaviour;

export interface Started {
  pid: number;
  port: number;
  config: EngineConfig;
  at: number;
  stopped: boolean;
  /** the process is gone (crashed, failed to start, or stopped) */
  exited: boolean;
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class FakeCanaries {
  readonly started: Started[] = [];
  private nextPid = 900_000;
  constructor(
    private readonly behaviour: BehaviourOf,
    private readonly clock?: ManualClock,
    /** model ms per real ms the clock moves while a canary runs (time_scale⁻¹) */
    private readonly clockPerRealMs = 1000,
  ) {}

  private nextPort = 40_000;
  /** ports for fake instances: nothing binds them, so they need not be free */
  allocatePort = async (): Promise<number> => this.nextPort++;

  start = (opts: StartInstanceOptions): Instance => {
    const b = this.behaviour(opts.config);
    const entry: Started = {
      pid: this.nextPid++,
      port: opts.port,
      config: opts.config,
      at: this.clock?.now() ?? 0,
      stopped: false,
      exited: false,
    };
    this.started.push(entry);
    const clock = this.clock;
    const per = this.clockPerRealMs;
    return {
      pid: entry.pid,
      port: opts.port,
      baseUrl: `http://127.0.0.1:${opts.port}`,
      logPath: opts.logPath,
      config: opts.config,
      async ready(timeoutMs: number): Promise<ReadyResult> {
        const ms = Math.min(b.readyMs ?? 1, timeoutMs);
        await wait(ms);
        clock?.advance(ms * per);
        if (b.ready === 'fail') {
          entry.exited = true;
          return {
            ok: false,
            ms,
            evidence: { source: 'log', line: 'ValueError: No available memory for the cache blocks' },
          };
        }
        if ((b.readyMs ?? 1) > timeoutMs) {
          return { ok: false, ms, evidence: { source: 'health', kind: 'health_timeout', line: 'not ready' } };
        }
        return { ok: true, ms };
      },
      async stop() {
        entry.exited = true;
        entry.stopped = true;
      },
      exited: () => entry.exited,
    };
  };

  probe: CanaryProbe = async (target, signal) => {
    const b = this.behaviour(target.config);
    const ms = b.probeMs ?? 1;
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(resolve, ms);
      signal.addEventListener('abort', () => {
        clearTimeout(t);
        reject(signal.reason);
      });
    });
    this.clock?.advance(ms * this.clockPerRealMs);
    const metrics: Metrics = { ...(b.metrics ?? {}) };
    if (b.outcome === 'crash') {
      // The process dies under the load: the instance reports it exited, the domain could not measure.
      const started = this.started.find((s) => s.pid === target.pid);
      if (started) started.exited = true;
      return new Map<string, DomainResult>([
        ['interactive', { status: 'error', metrics: {}, reason: 'target unreachable' }],
      ]);
    }
    if (b.outcome === 'oom') metrics.oom_events = 1;
    const status = b.outcome === 'fail' ? 'fail' : 'pass';
    return new Map<string, DomainResult>([['interactive', { status, metrics }]]);
  };
}

export class FakeProduction implements Production {
  readonly mode = 'managed' as const;
  readonly calls: string[] = [];
  readonly applied: EngineConfig[] = [];
  running: EngineConfig | undefined;
  constructor(
    public config: EngineConfig,
    private readonly applyOk: (config: EngineConfig) => boolean = () => true,
    private readonly applyMs = 1,
  ) {
    this.running = config;
  }
  async current(): Promise<EngineConfig> {
    return { ...this.config };
  }
  async apply(config: EngineConfig, _opts?: ApplyOptions): Promise<ApplyResult> {
    this.calls.push('apply');
    this.applied.push(config);
    await wait(this.applyMs);
    if (!this.applyOk(config)) {
      this.running = undefined;
      return { ok: false, ms: this.applyMs, evidence: { source: 'log', line: 'CUDA out of memory' } };
    }
    this.config = { ...config };
    this.running = config;
    return { ok: true, ms: this.applyMs };
  }
  async health(): Promise<boolean> {
    return this.running !== undefined;
  }
  async stop(): Promise<void> {
    this.calls.push('stop');
    this.running = undefined;
  }
}
