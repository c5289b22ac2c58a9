/**
 * The canary runner: one config on its own instance — own port from canary.ports, own process group, own log
 * file under the state directory's logs/, own environment (target.env, then canary.env: CUDA_VISIBLE_DEVICES
 * for a spare GPU) — probed by a subset of PHASE domains under the per-candidate timeout. It never receives
 * production traffic. The instance is stopped when its test ends, on timeout, on error and on abort; on
 * SIGINT/SIGTERM of nightshift, system/process.ts kills every live group (and the child watches our pid).
 *
 * The timeout covers the canary's whole life (start, ready, probe): it is what one candidate may cost the
 * night's budget, so the gate can reserve it before starting. Time is model time: against a twin running at
 * target.time_scale s, real waits are s times shorter and measured durations are divided by s.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../../config/schema.js';
import { METRICS, type MetricName, type Metrics } from '../../core/metrics.js';
import type { DomainResult, DomainStatus, EngineConfig, Evidence } from '../../core/types.js';
import type { StatePaths } from '../../store/paths.js';
import type { Clock } from '../../system/clock.js';
import type { Logger } from '../../system/log.js';
import type { Engine, Instance } from '../../targets/engine.js';
import { startInstance } from '../../targets/instance.js';
import { resolveLaunch } from '../../targets/launch.js';
import { freePort } from '../../targets/ports.js';
import type { CanaryStatus, CandidateResult } from './types.js';

/** What the canary probe gets: the instance to measure (never production). */
export interface CanaryTarget {
  baseUrl: string;
  port: number;
  pid: number;
  config: EngineConfig;
  logPath: string;
  /** true once the canary process has exited (an exit during a domain is an OOM-class event) */
  exited?: () => boolean;
}

/** Runs the canary domains against the instance; must honour the signal (the timeout aborts it). */
export type CanaryProbe = (target: CanaryTarget, signal: AbortSignal) => Promise<Map<string, DomainResult>>;

export interface CanaryDeps {
  config: Config;
  paths: StatePaths;
  clock: Clock;
  log: Logger;
  engine: Engine;
  probe: CanaryProbe;
  signal?: AbortSignal;
  journal?: (step: string, data: object) => void;
  /** ports not to hand out (production's) */
  excludePorts?: number[];
  /** test seam: how an instance is started (default targets/instance.startInstance) */
  start?: typeof startInstance;
  /** test seam: which port the next canary gets (default: a free one of canary.ports) */
  allocatePort?: () => Promise<number>;
}

export interface CanarySpec {
  role: 'control' | 'candidate';
  config: EngineConfig;
  changed: string[];
  runId: string;
  /** position in the run: 0 = control */
  index: number;
}

const STOP_GRACE_MS = 3000;

/** Per-candidate timeout in real ms (model seconds × time scale). */
export function canaryTimeoutMs(config: Config): number {
  return config.canary.timeout_s * 1000 * config.target.time_scale;
}

class CanaryTimeout extends Error {}

export async function runCanary(deps: CanaryDeps, spec: CanarySpec): Promise<CandidateResult> {
  const { config, engine, log } = deps;
  const scale = config.target.time_scale;
  const timeoutMs = canaryTimeoutMs(config);
  const t0 = performance.now();
  const base = { role: spec.role, config: spec.config, changed: spec.changed };
  const finish = (
    status: CanaryStatus,
    fields: Partial<CandidateResult> & { evidence?: Evidence[]; reason?: string },
  ): CandidateResult => {
    const durationMs = Math.round(performance.now() - t0);
    return {
      ...base,
      status,
      fitness: 0,
      metrics: fields.metrics ?? {},
      domains: fields.domains ?? {},
      evidence: fields.evidence ?? [],
      ...(fields.reason !== undefined ? { reason: fields.reason } : {}),
      duration_ms: durationMs,
      // The timeout is the candidate's reservation: time spent killing it after that is not canary time.
      canary_seconds: round3(Math.min(durationMs, timeoutMs) / scale / 1000),
      ...(fields.port !== undefined ? { port: fields.port } : {}),
      ...(fields.pid !== undefined ? { pid: fields.pid } : {}),
      ...(fields.log_path !== undefined ? { log_path: fields.log_path } : {}),
      ...(fields.ready_ms !== undefined ? { ready_ms: fields.ready_ms } : {}),
    };
  };

  if (deps.signal?.aborted) return finish('error', { reason: 'aborted before start' });
  const port = deps.allocatePort
    ? await deps.allocatePort()
    : await freePort(config.canary.ports, { exclude: deps.excludePorts ?? [] });
  const logPath = join(deps.paths.logsDir(), `canary_${spec.runId}_${spec.index}.log`);
  const start = deps.start ?? startInstance;
  let instance: Instance;
  try {
    instance = start({
      engine,
      launch: resolveLaunch(config.target.launch),
      model: config.target.model,
      ...(config.target.served_model_name !== undefined ? { servedModelName: config.target.served_model_name } : {}),
      config: spec.config,
      port,
      logPath,
      env: { ...config.target.env, ...config.canary.env },
      timeScale: scale,
      graceMs: STOP_GRACE_MS,
      clock: deps.clock,
    });
  } catch (err) {
    return finish('start_failed', {
      port,
      log_path: logPath,
      evidence: [{ source: 'exit', line: `could not start the canary: ${(err as Error).message}` }],
      reason: 'could not start',
    });
  }
  const where = { port, pid: instance.pid, log_path: logPath };
  deps.journal?.('canary_started', { pid: instance.pid, port, config: spec.config });
  log.info({ ...where, role: spec.role, config: spec.config }, 'canary started');

  // One controller ends everything this canary does: the timeout, or the run's abort (SIGINT, loop stop).
  const ac = new AbortController();
  const timer = setTimeout(
    () => ac.abort(new CanaryTimeout(`canary timeout after ${config.canary.timeout_s} s`)),
    timeoutMs,
  );
  const onAbort = () => ac.abort(deps.signal?.reason ?? new Error('aborted'));
  deps.signal?.addEventListener('abort', onAbort, { once: true });
  const aborted = new Promise<never>((_, reject) => {
    ac.signal.addEventListener('abort', () => reject(ac.signal.reason), { once: true });
  });
  aborted.catch(() => undefined);

  try {
    const ready = await Promise.race([instance.ready(Math.max(1, timeoutMs - (performance.now() - t0))), aborted]);
    if (!ready.ok) {
      const timedOut = ready.evidence.kind === 'health_timeout';
      return finish(timedOut ? 'timeout' : 'start_failed', {
        ...where,
        evidence: [ready.evidence],
        reason: timedOut ? `not ready within the ${config.canary.timeout_s} s canary timeout` : 'failed to start',
      });
    }
    const readyMs = Math.round(ready.ms / scale);
    let results: Map<string, DomainResult>;
    try {
      results = await Promise.race([
        deps.probe(
          {
            baseUrl: instance.baseUrl,
            port,
            pid: instance.pid,
            config: spec.config,
            logPath,
            exited: () => instance.exited(),
          },
          ac.signal,
        ),
        aborted,
      ]);
    } catch (err) {
      const oom = oomEvidence(engine, logPath);
      if (oom.length > 0) return finish('oom', { ...where, ready_ms: readyMs, evidence: oom, reason: 'OOM' });
      if (instance.exited())
        return finish('crash', {
          ...where,
          ready_ms: readyMs,
          evidence: exitEvidence(instance, logPath),
          reason: 'exited while probed',
        });
      if (err instanceof CanaryTimeout) {
        return finish('timeout', {
          ...where,
          ready_ms: readyMs,
          evidence: [{ source: 'health', line: err.message }],
          reason: err.message,
        });
      }
      if (ac.signal.aborted) return finish('error', { ...where, ready_ms: readyMs, reason: 'aborted' });
      return finish('error', {
        ...where,
        ready_ms: readyMs,
        evidence: [{ source: 'exit', line: `canary probe failed: ${(err as Error).message}` }],
        reason: 'probe failed',
      });
    }
    const domains: Record<string, DomainStatus> = {};
    for (const [name, r] of results) domains[name] = r.status;
    const metrics = mergeDomainMetrics(results);
    if ([...results.values()].some((r) => r.status !== 'pass')) await settle(instance, engine, logPath);
    const oom = oomEvidence(engine, logPath);
    const domainEvidence = withoutRepeats(
      oom,
      [...results.values()].flatMap((r) => r.evidence ?? []),
    );
    if (oom.length > 0 || (metrics.oom_events ?? 0) > 0) {
      return finish('oom', {
        ...where,
        ready_ms: readyMs,
        metrics,
        domains,
        evidence: [...oom, ...domainEvidence],
        reason: 'OOM under the canary load',
      });
    }
    if (instance.exited()) {
      return finish('crash', {
        ...where,
        ready_ms: readyMs,
        metrics,
        domains,
        evidence: exitEvidence(instance, logPath),
        reason: 'exited while probed',
      });
    }
    const failed = [...results].filter(([, r]) => r.status === 'fail');
    const errored = [...results].filter(([, r]) => r.status === 'error');
    if (failed.length > 0 || errored.length > 0) {
      const bad = failed.length > 0 ? failed : errored;
      return finish(failed.length > 0 ? 'fail' : 'error', {
        ...where,
        ready_ms: readyMs,
        metrics,
        domains,
        evidence: domainEvidence,
        reason: bad.map(([name, r]) => `${name}: ${r.reason ?? r.status}`).join('; '),
      });
    }
    if (
      spec.changed.includes('kv_cache_dtype') &&
      spec.config.kv_cache_dtype === 'fp8' &&
      domains.correctness !== 'pass'
    ) {
      return finish('fail', {
        ...where,
        ready_ms: readyMs,
        metrics,
        domains,
        evidence: domainEvidence,
        reason: 'an fp8 KV cache is only promoted when the correctness domain passes on the canary',
      });
    }
    return finish('pass', { ...where, ready_ms: readyMs, metrics, domains, evidence: domainEvidence });
  } catch (err) {
    if (err instanceof CanaryTimeout) {
      return finish('timeout', { ...where, evidence: [{ source: 'health', line: err.message }], reason: err.message });
    }
    if (ac.signal.aborted) return finish('error', { ...where, reason: 'aborted' });
    return finish('error', {
      ...where,
      evidence: [{ source: 'exit', line: (err as Error).message }],
      reason: 'canary failed',
    });
  } finally {
    clearTimeout(timer);
    deps.signal?.removeEventListener('abort', onAbort);
    ac.abort(new Error('canary finished'));
    await instance.stop();
    deps.journal?.('canary_stopped', { pid: instance.pid });
    log.info({ pid: instance.pid }, 'canary stopped');
  }
}

/** How long a canary whose domains failed may take to show why (its exit, its OOM lines), real ms. */
const SETTLE_MS = 1000;

/**
 * Requests fail the moment an engine dies, but the process exits and its last log lines land a little later
 * (vLLM's API server shuts down shortly after the engine; Python may buffer its output): wait briefly for
 * either before judging, so an OOM is called an OOM and not a failed domain.
 */
async function settle(instance: Instance, engine: Engine, logPath: string): Promise<void> {
  const until = performance.now() + SETTLE_MS;
  while (performance.now() < until && !instance.exited() && oomEvidence(engine, logPath).length === 0) {
    await new Promise((r) => setTimeout(r, 50));
  }
}

function readLines(path: string): string[] {
  try {
    return readFileSync(path, 'utf8').split('\n');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** Runtime OOM lines in a canary's own log (the file is this canary's alone). */
export function oomEvidence(engine: Engine, logPath: string): Evidence[] {
  const out: Evidence[] = [];
  readLines(logPath).forEach((line, i) => {
    const hit = engine.oomSignature(line);
    if (hit) out.push({ ...hit, lineNo: i + 1 });
  });
  return out.slice(0, 5);
}

function exitEvidence(instance: Instance, logPath: string): Evidence[] {
  const lines = readLines(logPath).filter((l) => l.trim() !== '');
  const last = lines[lines.length - 1];
  return [
    {
      source: 'exit',
      kind: 'process_exit',
      line: `canary pid ${instance.pid} exited while being probed (log: ${logPath})`,
    },
    ...(last ? [{ source: 'log' as const, line: last, lineNo: lines.length }] : []),
  ];
}

/** The domains' evidence minus lines already found in the log (PHASE's watch reads the same log, truncated). */
function withoutRepeats(have: readonly Evidence[], more: readonly Evidence[]): Evidence[] {
  const key = (e: Evidence) => e.line.replace(/…$/, '').slice(0, 120);
  const seen = new Set(have.map(key));
  return more.filter((e) => {
    const k = key(e);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Which domain speaks for a metric family when several report it. */
const PREFERRED: Partial<Record<string, string>> = { throughput: 'throughput', latency: 'interactive' };

/**
 * One set of metrics for a canary from its domains: throughput from the throughput domain and latency from the
 * interactive one when present (else the worst any domain saw), the lowest pass rate, the highest error rate,
 * OOM events and preemptions summed.
 */
export function mergeDomainMetrics(results: ReadonlyMap<string, DomainResult>): Metrics {
  const out: Metrics = {};
  for (const name of Object.keys(METRICS) as MetricName[]) {
    const seen: [string, number][] = [];
    for (const [domain, r] of results) {
      const v = r.metrics[name];
      if (v !== undefined && Number.isFinite(v)) seen.push([domain, v]);
    }
    if (seen.length === 0) continue;
    const def = METRICS[name];
    if (def.family === 'oom' || def.family === 'preemption') {
      out[name] = seen.reduce((s, [, v]) => s + v, 0);
      continue;
    }
    const preferred = PREFERRED[def.family];
    const fromPreferred = preferred ? seen.find(([d]) => d === preferred) : undefined;
    if (fromPreferred) {
      out[name] = fromPreferred[1];
      continue;
    }
    const values = seen.map(([, v]) => v);
    out[name] = def.better === 'lower' ? Math.max(...values) : Math.min(...values);
  }
  return out;
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}
