/**
 * `nightshift phase run | show | verify`: run PHASE now, read a sealed report, check a report's seal.
 * `run` shows progress on a terminal (stderr: domain n of N, requests done) and nothing on a pipe except the
 * final result; it exits 0 when every domain passed, 1 otherwise.
 */
import { dirname, resolve } from 'node:path';
import { clockFromEnv } from '../app.js';
import { ExitCode, UsageError } from '../core/errors.js';
import type { Metrics } from '../core/metrics.js';
import type { PhaseRecord } from '../core/report.js';
import { BUILTIN_DOMAINS } from '../loop/phase/domains/index.js';
import { listSealedEpochs, readVerifiedReport } from '../loop/phase/report.js';
import { loadExtraDomains, type PhaseProgress, runPhase } from '../loop/phase/run.js';
import { acquireLock } from '../store/lock.js';
import { action, type Register } from './command.js';
import { type CliContext, printJson } from './context.js';
import { requireEpoch } from './epoch.js';
import { table } from './loop-app.js';

/** The metrics `show` and `run` print per domain (all of them are in --json). */
const KEY_METRICS: Record<string, (keyof Metrics)[]> = {
  health: ['pass_rate', 'e2e_ms_p50'],
  interactive: ['ttft_ms_p50', 'ttft_ms_p95', 'itl_ms_p50', 'e2e_ms_p50'],
  throughput: ['output_tok_per_s', 'req_per_s', 'ttft_ms_p95'],
  'concurrency-sweep': ['goodput_req_per_s', 'output_tok_per_s', 'ttft_ms_p95'],
  'long-context': ['ttft_ms_p95', 'e2e_ms_p95', 'error_rate'],
  burst: ['queue_ms_p95', 'recovery_s', 'error_rate'],
  correctness: ['pass_rate'],
  'structured-output': ['pass_rate'],
  'streaming-integrity': ['pass_rate', 'error_rate'],
  'prefix-cache': ['prefix_hit_rate', 'ttft_ms_p50'],
  soak: ['latency_drift_pct', 'error_rate', 'preemptions', 'kv_usage_peak'],
};

function formatValue(name: string, v: number): string {
  if (name === 'pass_rate' || name === 'error_rate' || name === 'kv_usage_peak' || name === 'prefix_hit_rate') {
    return `${(v * 100).toFixed(1)}%`;
  }
  if (name === 'latency_drift_pct') return `${v >= 0 ? '+' : ''}${v.toFixed(1)}%`;
  if (Number.isInteger(v)) return String(v);
  return v >= 100 ? v.toFixed(0) : v.toFixed(1);
}

export function keyMetrics(r: Pick<PhaseRecord, 'domain' | 'metrics'>): string {
  const names =
    KEY_METRICS[r.domain] ?? (r.domain.startsWith('suite:') ? ['pass_rate'] : Object.keys(r.metrics).slice(0, 4));
  const shown = names.filter((n) => r.metrics[n as keyof Metrics] !== undefined);
  if ((r.metrics.oom_events ?? 0) > 0 && !shown.includes('oom_events')) shown.push('oom_events');
  return shown.map((n) => `${n}=${formatValue(n, r.metrics[n as keyof Metrics] as number)}`).join(' ');
}

export function renderRecords(records: readonly PhaseRecord[]): string {
  return table(
    ['DOMAIN', 'STATUS', 'TIME', 'METRICS', 'REASON'],
    records.map((r) => [
      r.domain,
      r.status,
      `${(r.duration_ms / 1000).toFixed(1)}s`,
      keyMetrics(r),
      r.reason ? (r.reason.length > 100 ? `${r.reason.slice(0, 99)}…` : r.reason) : '',
    ]),
  );
}

/** Suites and plugins are relative to the config file's directory (the working directory without a file). */
function configDir(ctx: CliContext): string {
  return ctx.loaded.fromFile ? dirname(resolve(ctx.loaded.file)) : process.cwd();
}

function progressLine(p: PhaseProgress): string {
  const requests = p.of > 0 ? ` — ${p.done}/${p.of} requests` : '';
  return `phase: domain ${p.index} of ${p.total}: ${p.domain}${requests}`;
}

export const registerPhase: Register = (program, exit, io) => {
  const phase = program.command('phase').description('PHASE: the nightly regression run and its sealed reports');

  phase
    .command('run')
    .description('Run the PHASE domains against the target now and seal a report')
    .option('--domains <list>', 'comma-separated domains to run (default: every enabled domain, suite and plugin)')
    .option('--json', 'print the result as JSON')
    .action(
      action(exit, io, async (ctx, opts: { domains?: string }) => {
        // a name given twice runs once: a report holds one record per domain
        const domains = opts.domains
          ? [
              ...new Set(
                opts.domains
                  .split(',')
                  .map((d) => d.trim())
                  .filter((d) => d.length > 0),
              ),
            ]
          : undefined;
        if (opts.domains !== undefined && (domains?.length ?? 0) === 0) {
          throw new UsageError('phase run: --domains needs at least one domain name');
        }
        const clock = clockFromEnv(process.env, ctx.clock);
        const lock = acquireLock(ctx.paths.lockFile(), {
          now: clock.now(),
          zone: ctx.config.timezone,
          warn: (m) => ctx.log.warn(m),
        });
        const tty = Boolean(process.stderr.isTTY);
        let last = '';
        const onProgress = (p: PhaseProgress) => {
          const line = progressLine(p);
          if (line === last) return;
          last = line;
          process.stderr.write(`\r\x1b[2K${line}`);
        };
        const ac = new AbortController();
        const onSignal = () => ac.abort(new Error('interrupted'));
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
        try {
          const result = await runPhase({
            config: ctx.config,
            paths: ctx.paths,
            clock,
            log: ctx.log,
            mode: ctx.config.mode,
            ...(domains ? { domains } : {}),
            signal: ac.signal,
            baseDir: configDir(ctx),
            ...(tty ? { onProgress } : {}),
          });
          if (tty) process.stderr.write('\r\x1b[2K');
          const report = resolve(ctx.paths.root, result.signal.report);
          if (ctx.json) {
            printJson(io, {
              epoch_id: result.epochId,
              status: result.signal.status,
              report,
              sha256: result.signal.sha256,
              duration_ms: Math.round(result.durationMs),
              domains: result.records.map((r) => ({
                domain: r.domain,
                status: r.status,
                ...(r.reason ? { reason: r.reason } : {}),
                metrics: r.metrics,
              })),
            });
          } else {
            io.out(
              `${renderRecords(result.records)}\n\n${result.epochId}: ${result.signal.status}, sealed ${report} ` +
                `(sha256 ${result.signal.sha256.slice(0, 12)}…)`,
            );
          }
          return result.signal.status === 'pass' ? 0 : 1;
        } finally {
          process.removeListener('SIGINT', onSignal);
          process.removeListener('SIGTERM', onSignal);
          lock.release();
        }
      }),
    );

  phase
    .command('show [epoch]')
    .description('Show a sealed report: each domain with its status and key metrics (default: the latest)')
    .option('--json', 'print the verified records as JSON')
    .action(
      action(exit, io, (ctx, epochArg: string | undefined) => {
        const epoch = epochArg ?? listSealedEpochs(ctx.paths).at(-1);
        if (!epoch) {
          io.err(`phase: no sealed report in ${ctx.paths.root}; run \`nightshift phase run\` first`);
          return ExitCode.degraded;
        }
        if (epochArg !== undefined) requireEpoch(ctx.paths, epoch, 'phase show');
        const report = readVerifiedReport(ctx.paths, epoch);
        if (ctx.json) {
          printJson(io, {
            epoch_id: epoch,
            status: report.signal.status,
            sha256: report.signal.sha256,
            records: report.records,
          });
        } else {
          const first = report.records[0];
          const target = first ? `${first.target.engine} ${first.target.model} at ${first.target.base_url}` : '';
          const version = first?.target.engine_version ? ` (version ${first.target.engine_version})` : '';
          io.out(
            `${epoch}: ${report.signal.status} — ${target}${version}, config ${first?.target.config_hash ?? '-'}\n\n` +
              renderRecords(report.records),
          );
        }
        return 0;
      }),
    );

  phase
    .command('domains')
    .description('List the domains PHASE can run (built-ins, suites, plugins) with the options each reads')
    .option('--json', 'print as JSON')
    .action(
      action(exit, io, async (ctx) => {
        const extra = await loadExtraDomains(ctx.config, configDir(ctx));
        const configured = ctx.config.phase.domains as Partial<Record<string, { enabled?: boolean }>>;
        const list = [...Object.values(BUILTIN_DOMAINS), ...extra].map((d) => ({
          name: d.name,
          enabled: configured[d.name]?.enabled !== false,
          description: d.description,
          defaults: d.defaults ?? {},
        }));
        if (ctx.json) printJson(io, list);
        else {
          const opts = (o: Record<string, unknown>) =>
            Object.entries(o)
              .filter(([, v]) => v !== undefined)
              .map(([k, v]) => `${k}=${v}`)
              .join(' ');
          io.out(
            `${table(
              ['DOMAIN', 'ENABLED', 'DEFAULTS', 'MEASURES'],
              list.map((d) => [d.name, d.enabled ? 'yes' : 'no', opts(d.defaults), d.description]),
            )}\n\nEvery domain also takes \`enabled\` and \`timeout\` (default phase.domain_timeout); durations and rates are model time.`,
          );
        }
        return 0;
      }),
    );

  phase
    .command('verify <epoch>')
    .description("Check a report against its completion signal's SHA256 (exit 0 when intact)")
    .option('--json', 'print the verified seal as JSON')
    .action(
      action(exit, io, (ctx, epoch: string) => {
        requireEpoch(ctx.paths, epoch, 'phase verify');
        const report = readVerifiedReport(ctx.paths, epoch);
        if (ctx.json) {
          printJson(io, {
            epoch_id: epoch,
            verified: true,
            status: report.signal.status,
            domains: report.records.length,
            sha256: report.signal.sha256,
          });
        } else {
          io.out(
            `verified ${epoch}: ${report.records.length} domains, ${report.signal.status}, sha256 ${report.signal.sha256}`,
          );
        }
        return 0;
      }),
    );
};
