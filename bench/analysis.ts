/**
 * `npm run bench:analysis`: 7 baseline nights + tonight × 11 domains × 1,000 per-request samples per metric.
 * Measures (1) the judge alone on nights held in memory — the analysis proper — for a healthy night and for a
 * night where every domain regressed by 30% (every latency verdict then needs its Hodges-Lehmann interval for
 * its reason), and (2) the whole `analyze()` stage from the state directory: reading and SHA256-verifying 8
 * sealed reports, parsing tonight's 11,000 sample lines (the baseline nights' judge inputs come from their
 * night caches, built when each night was analysed as "tonight"), judging, and the ledger/flag work; plus the
 * cold first run that parses all 88,000 sample lines.
 * Each figure is given as wall time and as CPU time of this process: on a shared machine the wall time also
 * counts other processes' turns, the CPU time is what one core spends. Target: the analysis < 200 ms.
 * Setup writes the reports through the real ReportWriter into /dev/shm when present (its per-line fsync is
 * free there; the setup is not what is measured).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { configSchema, DOMAIN_NAMES } from '../src/config/schema.js';
import { seededRng } from '../src/core/random.js';
import { analyze } from '../src/loop/analysis/analyze.js';
import { judgeNight } from '../src/loop/analysis/judge.js';
import { nightFromReport } from '../src/loop/analysis/night.js';
import { nightCacheFile } from '../src/loop/analysis/night-cache.js';
import { judgeConfig } from '../src/loop/analysis/rules.js';
import { StatePaths } from '../src/store/paths.js';
import { manualClock } from '../src/system/clock.js';
import { silentLogger } from '../src/system/log.js';
import { type DomainSpec, memoryNight, type NightSpec, noisyDomain, writeNight } from '../test/support/records.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 10, 1, 3, 0, 0);
const SAMPLES = 1000;
const BASELINE_NIGHTS = 7;
const RUNS = 15;
const TARGET_MS = 200;

function spec(i: number, tonightLevel: number): NightSpec {
  const rng = seededRng(2026).fork(`night-${i}`);
  const domains: Record<string, DomainSpec> = {};
  DOMAIN_NAMES.forEach((name, k) => {
    domains[name] = noisyDomain(rng.fork(name), {
      n: SAMPLES,
      ttftMs: 80 + 60 * k,
      itlMs: 12 + 2 * k,
      gaps: 8,
      cv: 0.1,
      level: i === BASELINE_NIGHTS ? tonightLevel : Math.exp(rng.normal(0, 0.02)),
      tokPerS: 1500 + 100 * k,
      errorRate: 0.001,
      ...(name === 'correctness' ? { passRate: 0.98 } : {}),
      oomEvents: 0,
      t0: T0 + i * DAY,
    });
  });
  return { ts: T0 + i * DAY, domains };
}

interface Timing {
  wall: number;
  cpu: number;
}

async function timed(fn: () => unknown): Promise<Timing> {
  const c = process.cpuUsage();
  const t = performance.now();
  await fn();
  const wall = performance.now() - t;
  const u = process.cpuUsage(c);
  return { wall, cpu: (u.user + u.system) / 1000 };
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

function line(label: string, runs: Timing[]): string {
  const wall = median(runs.map((r) => r.wall));
  const cpu = median(runs.map((r) => r.cpu));
  return `  ${label.padEnd(34)} median wall ${wall.toFixed(1).padStart(6)} ms   cpu ${cpu.toFixed(1).padStart(6)} ms   ${cpu < TARGET_MS ? 'PASS' : 'FAIL'} (< ${TARGET_MS} ms cpu)`;
}

async function main(): Promise<void> {
  const config = configSchema.parse({});
  const cfg = judgeConfig(config);
  const out: string[] = [];
  let worstJudgeCpu = 0;
  for (const [label, level] of [
    ['judge, healthy night', 1],
    ['judge, every domain +30%', 1.3],
  ] as const) {
    const nights = Array.from({ length: BASELINE_NIGHTS + 1 }, (_, i) => nightFromReport(memoryNight(spec(i, level))));
    const tonight = nights[BASELINE_NIGHTS] as (typeof nights)[number];
    let summary = '';
    const runs: Timing[] = [];
    for (let r = 0; r < RUNS; r++) {
      runs.push(
        await timed(() => {
          const vs = judgeNight(nights.slice(0, BASELINE_NIGHTS), tonight, cfg);
          summary = `${vs.length} verdicts, ${vs.filter((v) => v.outcome === 'warning' || v.outcome === 'critical').length} degraded`;
        }),
      );
    }
    worstJudgeCpu = Math.max(worstJudgeCpu, median(runs.map((r) => r.cpu)));
    out.push(`${line(label, runs)}   [${summary}]`);
  }

  const base = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
  const root = mkdtempSync(join(base, 'nightshift-bench-'));
  try {
    const paths = new StatePaths(root);
    const specs = Array.from({ length: BASELINE_NIGHTS + 1 }, (_, i) => spec(i, 1.3));
    const signals = specs.map((s) => writeNight(paths, s));
    const epochId = (signals[BASELINE_NIGHTS] as (typeof signals)[number]).epoch_id;
    const runs: Timing[] = [];
    for (let r = 0; r < RUNS; r++) {
      const clock = manualClock(T0 + (BASELINE_NIGHTS + 1) * DAY);
      // The nightly steady state: the baseline nights were analysed before (their caches exist), tonight is new.
      rmSync(nightCacheFile(paths, epochId), { force: true });
      runs.push(
        await timed(() => analyze({ config, paths, clock, log: silentLogger, epochId, mode: 'act', record: r === 0 })),
      );
    }
    const first = runs[0] as Timing;
    out.push(
      `${line('analyze() from disk, +30% night', runs.slice(1))}   [verifies 8 reports, parses tonight's samples]`,
    );
    out.push(
      `  ${'  first run (builds night caches)'.padEnd(34)}        wall ${first.wall.toFixed(1).padStart(6)} ms   cpu ${first.cpu.toFixed(1).padStart(6)} ms   (parses all 88,000 sample lines once)`,
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  const requests = DOMAIN_NAMES.length * SAMPLES * (BASELINE_NIGHTS + 1);
  process.stdout.write(
    `bench:analysis — ${BASELINE_NIGHTS} nights + tonight × ${DOMAIN_NAMES.length} domains × ${SAMPLES} samples per metric (${requests} requests), ${RUNS} runs each\n${out.join('\n')}\n`,
  );
  if (worstJudgeCpu >= TARGET_MS) process.exitCode = 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:analysis failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 70;
});
