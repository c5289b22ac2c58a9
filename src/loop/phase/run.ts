/**
 * The PHASE runner. `runDomains` runs a list of domains against one target (PHASE itself, and the canary
 * runner of config tuning on a subset against a canary instance); `runPhase` is the nightly run: it picks
 * the enabled domains, suites and plugins, writes one record per domain as it finishes, then seals the
 * report (ARCHITECTURE.md §4).
 *
 * Guarantees:
 * - every domain ends with a result: a domain that throws, hangs past its timeout (domain option `timeout`,
 *   else phase.domain_timeout) or is cut by the global timeout (phase.timeout) is `error` with the reason,
 *   and the run goes on;
 * - a target that refuses connections is known in seconds: `health` fails, and every other domain is
 *   `error: target unreachable` after one refused connection, without waiting for any timeout;
 * - around each domain the runner watches the engine: /metrics before and after (preemptions, peak KV
 *   usage), and OOM events from every source there is (see watch.ts).
 *
 * Durations in the config are model time: against a twin at time scale s they last s × as long in real time.
 */
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { performance } from 'node:perf_hooks';
import { type Config, type DomainOptions, domainOptionsSchema } from '../../config/schema.js';
import { describeError, UsageError } from '../../core/errors.js';
import { isMetricName, type Metrics } from '../../core/metrics.js';
import { hashSeed, seededRng } from '../../core/random.js';
import type { PhaseRecord, PhaseSignal, SampleLine, TargetIdentity } from '../../core/report.js';
import { parseDuration, stampId } from '../../core/time.js';
import type { DomainResult, EngineConfig, Mode } from '../../core/types.js';
import { createProbeClient } from '../../probe/client.js';
import type { EngineSignals } from '../../probe/types.js';
import type { StatePaths } from '../../store/paths.js';
import type { Clock } from '../../system/clock.js';
import type { Logger } from '../../system/log.js';
import type { Domain, DomainContext } from './domain.js';
import { BUILTIN_DOMAINS } from './domains/index.js';
import { parseVersion } from './models.js';
import { loadPlugin } from './plugins.js';
import { configHash, ReportWriter } from './report.js';
import { loadSuite, suiteDomainName } from './suites.js';
import { applyWatch, scrapeSignals, startWatch } from './watch.js';

/** real ms a /metrics scrape may always take, even when a domain's time is up (its deltas are worth it) */
const SCRAPE_FLOOR_MS = 500;

export interface PhaseTarget {
  baseUrl: string;
  model: string;
  apiKey?: string;
  maxModelLen?: number;
  /** engine log file scanned for OOM lines (config target.log_file, or a managed instance's log) */
  logPath?: string;
  /** systemd unit whose journal is scanned for OOM lines */
  journalUnit?: string;
  /** the twin's time scale (config target.time_scale); 1 for real engines */
  timeScale?: number;
  /** a managed process: true once it has exited (an exit during a domain is an OOM-class event) */
  processExited?: () => boolean;
  /** engine name (config target.engine): domains send engine-specific fields only where understood */
  engine?: string;
}

export interface PhaseProgress {
  domain: string;
  /** 1-based position of the domain in the run */
  index: number;
  total: number;
  /** requests done / planned in this domain */
  done: number;
  of: number;
}

export interface RunOptions {
  config: Config;
  clock: Clock;
  log: Logger;
  signal?: AbortSignal;
  onProgress?: (p: PhaseProgress) => void;
  /** per-domain option overrides on top of config phase.domains (the canary runner's smaller loads) */
  domainOptions?: Partial<Record<string, DomainOptions>>;
  /** domains beyond the built-in ones (suites, plugins), found by name */
  extraDomains?: readonly Domain[];
  /** called as each domain finishes, before the next starts (PHASE appends its record here) */
  onDomainDone?: (name: string, result: TimedResult) => void;
}

export type TimedResult = DomainResult & { started_at: number; ended_at: number };

/** How long a control request (reachability, /health poll, /metrics, /version) may take, real ms. */
export const CONTROL_TIMEOUT_MS = 3000;
/**
 * How often the watch polls /health, /metrics and the managed process during a domain, real ms: every 4 s
 * of model time, within 100 ms … 1 s (a real engine once a second; a twin at 0.05 every 200 ms, since its
 * domains last about a second).
 */
export function watchPollMs(scale: number): number {
  return Math.round(Math.min(1000, Math.max(100, 4000 * scale)));
}

export function timeScaleOf(target: PhaseTarget, config: Config): number {
  return target.timeScale ?? config.target.time_scale ?? 1;
}

export function findDomain(name: string, extra: readonly Domain[] = []): Domain | undefined {
  if (Object.hasOwn(BUILTIN_DOMAINS, name)) return BUILTIN_DOMAINS[name as keyof typeof BUILTIN_DOMAINS];
  return extra.find((d) => d.name === name);
}

export function domainOptionsFor(name: string, opts: Pick<RunOptions, 'config' | 'domainOptions'>): DomainOptions {
  const fromConfig = (opts.config.phase.domains as Partial<Record<string, DomainOptions>>)[name] ?? {};
  return domainOptionsSchema.parse({ ...fromConfig, ...(opts.domainOptions?.[name] ?? {}) });
}

function errorResult(reason: string, startedAt: number, endedAt: number): TimedResult {
  return { status: 'error', metrics: {}, reason, started_at: startedAt, ended_at: endedAt };
}

/** Run `names` in order against one target. Unknown names are a usage error before anything is sent. */
export async function runDomains(
  target: PhaseTarget,
  names: string[],
  opts: RunOptions,
): Promise<Map<string, TimedResult>> {
  const domains = names.map((name) => {
    const d = findDomain(name, opts.extraDomains);
    if (!d) {
      const known = [...Object.keys(BUILTIN_DOMAINS), ...(opts.extraDomains ?? []).map((x) => x.name)];
      throw new UsageError(`phase: unknown domain "${name}"`, `known domains: ${known.join(', ')}`);
    }
    return d;
  });
  const { config, clock, log } = opts;
  const scale = timeScaleOf(target, config);
  const requestTimeoutMs = Math.max(1, parseDuration(config.phase.request_timeout) * scale);
  const controlTimeoutMs = Math.min(CONTROL_TIMEOUT_MS, requestTimeoutMs);
  const client = createProbeClient({
    baseUrl: target.baseUrl,
    model: target.model,
    ...(target.apiKey ? { apiKey: target.apiKey } : {}),
    requestTimeoutMs,
    timeScale: scale,
    clock,
  });
  const control = createProbeClient({
    baseUrl: target.baseUrl,
    model: target.model,
    ...(target.apiKey ? { apiKey: target.apiKey } : {}),
    requestTimeoutMs: controlTimeoutMs,
    timeScale: scale,
    clock,
    checkModel: false,
  });

  // The global timeout and the caller's signal end the run; each domain gets its own child signal.
  const run = new AbortController();
  const phaseTimeoutMs = parseDuration(config.phase.timeout) * scale;
  const phaseTimer = setTimeout(
    () => run.abort(new Error(`phase timeout (${config.phase.timeout}) reached`)),
    Math.max(1, phaseTimeoutMs),
  );
  const onOuterAbort = () => run.abort(opts.signal?.reason ?? new Error('cancelled'));
  if (opts.signal?.aborted) onOuterAbort();
  else opts.signal?.addEventListener('abort', onOuterAbort, { once: true });

  const results = new Map<string, TimedResult>();
  try {
    for (const [k, domain] of domains.entries()) {
      const name = domain.name;
      const progress = (done: number, of: number) =>
        opts.onProgress?.({ domain: name, index: k + 1, total: domains.length, done, of });
      progress(0, 0);
      const result = await runOne(domain, k);
      results.set(name, result);
      log.debug({ domain: name, status: result.status, reason: result.reason }, `phase: ${name} ${result.status}`);
      opts.onDomainDone?.(name, result);
    }
  } finally {
    clearTimeout(phaseTimer);
    opts.signal?.removeEventListener('abort', onOuterAbort);
    await Promise.allSettled([client.close(), control.close()]);
  }
  return results;

  async function runOne(domain: Domain, k: number): Promise<TimedResult> {
    const name = domain.name;
    const startedAt = clock.now();
    if (run.signal.aborted) {
      return errorResult(`not run: ${describeError(run.signal.reason)}`, startedAt, clock.now());
    }
    let options: DomainOptions;
    try {
      options = domainOptionsFor(name, opts);
    } catch (err) {
      return errorResult(`invalid options: ${describeError(err)}`, startedAt, clock.now());
    }
    // The domain's timeout covers all it costs — the reachability check and the scrapes around it too — so a
    // hanging target cannot stretch a domain past its timeout.
    const timeoutText = options.timeout ?? config.phase.domain_timeout;
    const timeoutMs = Math.max(1, parseDuration(timeoutText) * scale);
    const t0 = performance.now();
    const remainingMs = () => Math.max(1, timeoutMs - (performance.now() - t0));
    // /metrics before the domain, scraped while the reachability check runs (a hanging target costs one wait).
    // A scrape keeps a short floor: a domain that ends right at its timeout still gets its /metrics deltas.
    const scrape = (): Promise<EngineSignals> =>
      scrapeSignals(control, Math.min(controlTimeoutMs, Math.max(remainingMs(), SCRAPE_FLOOR_MS)));
    const beforeScrape = scrape();
    if (name !== 'health') {
      const down = await unreachable();
      if (down) return errorResult(down, startedAt, clock.now());
    }
    const domainAc = new AbortController();
    const onRunAbort = () => domainAc.abort(run.signal.reason);
    run.signal.addEventListener('abort', onRunAbort, { once: true });

    const watch = startWatch({
      control,
      clock,
      log,
      pollMs: watchPollMs(scale),
      scrape,
      ...(target.logPath ? { logPath: target.logPath } : {}),
      ...(target.journalUnit ? { journalUnit: target.journalUnit } : {}),
      ...(target.processExited ? { processExited: target.processExited } : {}),
    });
    const before = await beforeScrape;

    const seed = (config.phase.seed + hashSeed(name)) >>> 0;
    const ctx: DomainContext = {
      client,
      scrape,
      clock,
      options,
      slo: config.phase.slo,
      model: target.model,
      ...(target.maxModelLen !== undefined ? { maxModelLen: target.maxModelLen } : {}),
      seed,
      rng: seededRng(seed),
      signal: domainAc.signal,
      log: log.child({ domain: name }),
      progress: (done, of) => opts.onProgress?.({ domain: name, index: k + 1, total: domains.length, done, of }),
      ...(target.engine ? { engine: target.engine } : {}),
    };

    let result: DomainResult;
    let timer: NodeJS.Timeout | undefined;
    let stopCut: (() => void) | undefined;
    try {
      const timedOut = new Promise<DomainResult>((resolve) => {
        timer = setTimeout(() => {
          domainAc.abort(new Error(`domain timeout (${timeoutText}) reached`));
          resolve({ status: 'error', metrics: {}, reason: `timed out after ${timeoutText} (domain timeout)` });
        }, remainingMs());
      });
      const cut = new Promise<DomainResult>((resolve) => {
        const stop = () =>
          resolve({ status: 'error', metrics: {}, reason: `cut short: ${describeError(run.signal.reason)}` });
        if (run.signal.aborted) stop();
        else {
          run.signal.addEventListener('abort', stop, { once: true });
          stopCut = () => run.signal.removeEventListener('abort', stop);
        }
      });
      result = await Promise.race([
        // through a promise: a plugin's run that throws before returning one is an error result too
        Promise.resolve()
          .then(() => domain.run(ctx))
          .catch(
            (err: unknown): DomainResult => ({
              status: 'error',
              metrics: {},
              reason: `domain failed: ${describeError(err)}`,
            }),
          ),
        timedOut,
        cut,
      ]);
    } finally {
      clearTimeout(timer);
      stopCut?.();
      run.signal.removeEventListener('abort', onRunAbort);
      if (!domainAc.signal.aborted) domainAc.abort(new Error('domain finished'));
    }
    result = normalizeResult(result);
    const after = await scrape();
    const watched = await watch.stop();
    // Every request refused: the target went away during the domain; say so rather than list the refusals.
    if (
      result.status === 'error' &&
      (result.samples ?? []).length > 0 &&
      result.samples?.every((s) => s.error === 'connect_refused')
    ) {
      const down = await unreachable();
      if (down) result = { ...result, reason: `${down} (during the domain)` };
    }
    const merged = applyWatch(result, before, after, watched);
    return { ...merged, started_at: startedAt, ended_at: clock.now() };
  }

  /**
   * Why the target cannot be measured now, or undefined when it can: a refused connection, or /health
   * answering 503 (vLLM's dead engine). A slow answer is not unreachable: the domain shows the timeouts.
   */
  async function unreachable(): Promise<string | undefined> {
    const h = await control.get('/health', run.signal);
    if (h.error === 'connect_refused') return `target unreachable: connection refused at ${target.baseUrl}`;
    if (h.status === 503) return `target unhealthy: GET /health → 503 at ${target.baseUrl}`;
    return undefined;
  }
}

/**
 * A result as the report keeps it: a known status, and metrics that are finite numbers of the shared
 * vocabulary. A plugin's other figures move to `details.other_metrics` rather than into the vocabulary.
 */
export function normalizeResult(r: DomainResult): DomainResult {
  if (r === null || typeof r !== 'object' || !['pass', 'fail', 'error'].includes((r as DomainResult).status)) {
    return { status: 'error', metrics: {}, reason: 'domain returned no valid result (status pass | fail | error)' };
  }
  const metrics: Metrics = {};
  const other: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(r.metrics ?? {})) {
    if (isMetricName(k) && typeof v === 'number' && Number.isFinite(v)) metrics[k] = v;
    else other[k] = v;
  }
  if (Object.keys(other).length === 0) return { ...r, metrics };
  return { ...r, metrics, details: { ...(r.details ?? {}), other_metrics: other } };
}

/** The target as the config describes it. The API key is read from the environment, never stored. */
export function targetFromConfig(config: Config, env: NodeJS.ProcessEnv = process.env): PhaseTarget {
  const t = config.target;
  const maxLen = t.config.max_model_len;
  const apiKey = t.api_key_env ? env[t.api_key_env] : undefined;
  return {
    baseUrl: t.base_url,
    model: t.served_model_name ?? t.model,
    ...(apiKey ? { apiKey } : {}),
    ...(typeof maxLen === 'number' ? { maxModelLen: maxLen } : {}),
    ...(t.log_file ? { logPath: t.log_file } : {}),
    ...(t.production.mode === 'systemd' && t.production.systemd ? { journalUnit: t.production.systemd.unit } : {}),
    timeScale: t.time_scale,
    engine: t.engine,
  };
}

/** Enabled built-in domains in their order, then suites, then plugins. */
export function defaultDomainNames(config: Config, extra: readonly Domain[]): string[] {
  const domains = config.phase.domains as Partial<Record<string, DomainOptions>>;
  return [...Object.keys(BUILTIN_DOMAINS).filter((n) => domains[n]?.enabled !== false), ...extra.map((d) => d.name)];
}

/**
 * A suite or plugin that cannot be loaded still has its place in the report: a domain that is an `error`
 * with the load problem as reason, so one broken file never costs the night's other measurements.
 */
export function unloadable(name: string, reason: string): Domain {
  return {
    name,
    description: `not loaded: ${reason}`,
    run: async () => ({ status: 'error', metrics: {}, reason: `not loaded: ${reason}` }),
  };
}

/** Suites and plugins of the config, loaded (paths relative to `baseDir`, the config file's directory). */
export async function loadExtraDomains(config: Config, baseDir: string): Promise<Domain[]> {
  const out: Domain[] = [];
  for (const s of config.phase.suites) {
    try {
      out.push(loadSuite(s, baseDir));
    } catch (err) {
      out.push(unloadable(suiteDomainName(s.name), describeError(err)));
    }
  }
  for (const p of config.phase.plugins) {
    try {
      out.push(...(await loadPlugin(p, baseDir)));
    } catch (err) {
      out.push(unloadable(`plugin:${basename(p)}`, describeError(err)));
    }
  }
  const seen = new Set<string>();
  for (const d of out) {
    if (seen.has(d.name)) throw new UsageError(`phase: two suites or plugins are named "${d.name}"`, 'rename one');
    seen.add(d.name);
  }
  return out;
}

/** `phase_YYYYmmdd_HHMMSS` in the configured zone; `_2`, `_3`… when that epoch already exists. */
export function newEpochId(paths: StatePaths, now: number, zone: string): string {
  const base = stampId('phase', now, zone);
  const taken = (id: string) => existsSync(paths.reportDir(id)) || existsSync(paths.signalFile(id));
  if (!taken(base)) return base;
  for (let n = 2; ; n++) {
    const id = `${base}_${n}`;
    if (!taken(id)) return id;
  }
}

async function engineVersion(target: PhaseTarget, scale: number, clock: Clock): Promise<string | undefined> {
  const control = createProbeClient({
    baseUrl: target.baseUrl,
    model: target.model,
    ...(target.apiKey ? { apiKey: target.apiKey } : {}),
    requestTimeoutMs: CONTROL_TIMEOUT_MS,
    timeScale: scale,
    clock,
    checkModel: false,
  });
  try {
    const res = await control.get('/version');
    return res.status === 200 ? parseVersion(res.body) : undefined;
  } finally {
    await control.close();
  }
}

export interface PhaseRunOptions {
  config: Config;
  paths: StatePaths;
  clock: Clock;
  log: Logger;
  mode: Mode;
  /** domains to run (default: the enabled built-ins, then suites and plugins) */
  domains?: string[];
  target?: Partial<PhaseTarget>;
  signal?: AbortSignal;
  onProgress?: (p: PhaseProgress) => void;
  /** directory suites and plugins are relative to (the config file's); default the working directory */
  baseDir?: string;
  /** id of the loop cycle this run belongs to (default: the epoch id) */
  runId?: string;
  /** production's live config, when known (after a promotion it differs from config.target.config) */
  liveConfig?: EngineConfig;
}

export interface PhaseRunResult {
  epochId: string;
  signal: PhaseSignal;
  records: PhaseRecord[];
  /** real time the run took */
  durationMs: number;
}

/** The nightly PHASE run: measure every selected domain, append its record as it finishes, seal. */
export async function runPhase(opts: PhaseRunOptions): Promise<PhaseRunResult> {
  const { config, paths, clock, log, mode } = opts;
  const t0 = performance.now();
  const extra = await loadExtraDomains(config, opts.baseDir ?? process.cwd());
  const names = opts.domains ?? defaultDomainNames(config, extra);
  if (names.length === 0) throw new UsageError('phase: no domain to run', 'enable at least one in phase.domains');
  for (const n of names) {
    if (!findDomain(n, extra)) {
      const known = [...Object.keys(BUILTIN_DOMAINS), ...extra.map((d) => d.name)];
      throw new UsageError(`phase: unknown domain "${n}"`, `known domains: ${known.join(', ')}`);
    }
  }
  const target: PhaseTarget = { ...targetFromConfig(config), ...stripUndefined(opts.target ?? {}) };
  const scale = timeScaleOf(target, config);
  const epochId = newEpochId(paths, clock.now(), config.timezone);
  const runId = opts.runId ?? epochId;
  const version = await engineVersion(target, scale, clock).catch(() => undefined);
  const identity: TargetIdentity = {
    engine: config.target.engine,
    model: target.model,
    base_url: target.baseUrl,
    config_hash: configHash(opts.liveConfig ?? config.target.config),
    config: { ...(opts.liveConfig ?? config.target.config) },
    ...(version ? { engine_version: version } : {}),
  };
  log.debug({ epoch: epochId, domains: names }, `phase: ${epochId} starts (${names.length} domains)`);
  const writer = new ReportWriter(paths, epochId);
  const records: PhaseRecord[] = [];
  await runDomains(target, names, {
    config,
    clock,
    log,
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
    extraDomains: extra,
    onDomainDone: (name, r) => {
      const samples: SampleLine[] = (r.samples ?? []).map((s) => ({ ...s, domain: name }));
      records.push(
        writer.add(
          {
            mode,
            epoch_id: epochId,
            run_id: runId,
            domain: name,
            status: r.status,
            started_at: r.started_at,
            ended_at: r.ended_at,
            duration_ms: Math.max(0, r.ended_at - r.started_at),
            metrics: r.metrics,
            ...(r.reason !== undefined ? { reason: r.reason } : {}),
            ...(r.evidence && r.evidence.length > 0 ? { evidence: r.evidence } : {}),
            ...(r.details && Object.keys(r.details).length > 0 ? { details: r.details } : {}),
            target: identity,
          },
          samples,
        ),
      );
    },
  });
  const signal = writer.seal(clock.now(), mode);
  log.debug({ epoch: epochId, status: signal.status }, `phase: ${epochId} sealed (${signal.status})`);
  return { epochId, signal, records, durationMs: performance.now() - t0 };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
