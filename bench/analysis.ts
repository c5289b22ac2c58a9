/**
 * `npm run bench:analysis`: 7 baseline nights + tonight × 11 domains × 1,000 per-request samples per metric.
 * Measures (1) the judge alone on nights held in memory — the analysis proper — and (2) the whole `analyze()`
 * stage from the state directory: reading and SHA256-verifying 8 sealed reports, parsing their samples, judging,
 * and the ledger/flag work. Target: the analysis in < 200 ms on one core (Node runs it on one thread).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { type DomainSpec, memoryNight, type NightSpec, noisyDomain, writeNight } from '../test/support/records.js';
import { configSchema, DOMAIN_NAMES } from '../src/config/schema.js';
import { seededRng } from '../src/core/random.js';
import { analyze } from '../src/loop/analysis/analyze.js';
import { judgeNight } from '../src/loop/analysis/judge.js';
import { nightFromReport } from '../src/loop/analysis/night.js';
import { judgeConfig } from '../src/loop/analysis/rules.js';
import { StatePaths } from '../src/store/paths.js';
import { manualClock } from '../src/system/clock.js';
import { silentLogger } from '../src/system/log.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 10, 1, 3, 0, 0);
const SAMPLES = 1000;
const BASELINE_NIGHTS = 7;
const RUNS = 15;
const TARGET_MS = 200;

function spec(i: number): NightSpec {
  const rng = seededRng(2026).fork(`night-${i}`);
  const domains: Record<string, DomainSpec> = {};
  DOMAIN_NAMES.forEach((name, k) => {
    domains[name] = noisyDomain(rng.fork(name), {
      n: SAMPLES,
      ttftMs: 80 + 60 * k,
      itlMs: 12 + 2 * k,
      gaps: 8,
      cv: 0.1,
      level: i === BASELINE_NIGHTS ? 1.3 : Math.exp(rng.normal(0, 0.02)),
      tokPerS: 1500 + 100 * k,
      errorRate: 0.001,
      ...(name === 'correctness' ? { passRate: 0.98 } : {}),
      oomEvents: 0,
      t0: T0 + i * DAY,
    });
  });
  return { ts: T0 + i * DAY, domains };
}

function stats(ms: number[]): { median: number; p90: number; min: number } {
  const s = [...ms].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))] as number;
  return { median: at(0.5), p90: at(0.9), min: s[0] as number };
}

const fmt = (v: number) => `${v.toFixed(1)} ms`;

async function main(): Promise<void> {
  const config = configSchema.parse({});
  const specs = Array.from({ length: BASELINE_NIGHTS + 1 }, (_, i) => spec(i));

  // (1) the judge on nights in memory
  const nights = specs.map((s) => nightFromReport(memoryNight(s)));
  const tonight = nights[BASELINE_NIGHTS]!;
  const cfg = judgeConfig(config);
  const judgeMs: number[] = [];
  let verdicts = 0;
  let degraded = 0;
  for (let r = 0; r < RUNS; r++) {
    const t = performance.now();
    const vs = judgeNight(nights.slice(0, BASELINE_NIGHTS), tonight, cfg);
    judgeMs.push(performance.now() - t);
    verdicts = vs.length;
    degraded = vs.filter((v) => v.outcome === 'warning' || v.outcome === 'critical').length;
  }

  // (2) the whole stage from sealed reports on disk
  const root = mkdtempSync(join(tmpdir(), 'nightshift-bench-'));
  try {
    const paths = new StatePaths(root);
    const w = performance.now();
    for (const s of specs) writeNight(paths, s);
    const writeMs = performance.now() - w;
    const epochId = specs.length > 0 ? `phase_20261108_030000` : '';
    const stageMs: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      const clock = manualClock(T0 + (BASELINE_NIGHTS + 1) * DAY);
      const t = performance.now();
      await analyze({ config, paths, clock, log: silentLogger, epochId, mode: 'act', record: r === 0 });
      stageMs.push(performance.now() - t);
    }
    const j = stats(judgeMs);
    const s = stats(stageMs);
    const samples = DOMAIN_NAMES.length * SAMPLES * (BASELINE_NIGHTS + 1);
    process.stdout.write(
      [
        `bench:analysis — ${BASELINE_NIGHTS} nights + tonight × ${DOMAIN_NAMES.length} domains × ${SAMPLES} samples (${samples} requests, ${verdicts} verdicts, ${degraded} degraded)`,
        `  judge (in memory)         median ${fmt(j.median)}  p90 ${fmt(j.p90)}  min ${fmt(j.min)}  (${RUNS} runs)`,
        `  analyze() from disk       median ${fmt(s.median)}  p90 ${fmt(s.p90)}  min ${fmt(s.min)}  first ${fmt(stageMs[0] as number)}`,
        `  (setup: writing the 8 sealed reports took ${fmt(writeMs)}, not measured)`,
        `  target < ${TARGET_MS} ms: judge ${j.median < TARGET_MS ? 'PASS' : 'FAIL'}, whole stage ${s.median < TARGET_MS ? 'PASS' : 'FAIL'}`,
      ].join('\n') + '\n',
    );
    if (j.median >= TARGET_MS) process.exitCode = 1;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:analysis failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 70;
});
