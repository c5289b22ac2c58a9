/**
 * bench:twin — can one twin process keep 256 concurrent streams at --time-scale 0.05 without being the
 * bottleneck of what it models? Starts a twin (compiled dist; `npm run bench:twin` builds first), holds N
 * streaming chat requests open for a few seconds (each client sends the next request as soon as one ends),
 * and prints:
 *   - achieved concurrency: the most requests the engine ran in one step, and the mean over model time
 *   - simulation overhead: CPU time the engine's own code (scheduler, physics, metrics) spends per step ÷ the
 *     real step time (model step time × time scale); target < 10 %
 *   - token delivery: CPU time per step spent writing the step's tokens to the streams (the work any server does)
 *   - lateness: how late step timers fired on average, as a fraction of the real step time
 *   - twin CPU: the twin process's CPU time ÷ wall time (1.0 = one full core)
 * Options: --streams 256 --time-scale 0.05 --seconds 6 --model llama-3.1-8b --gpu L4-24GB --max-tokens 88
 * A benchmark, not a timed test: it prints figures and exits 0 unless the twin failed.
 */
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnGroup } from '../src/system/process.js';

const ROOT = join(fileURLToPath(import.meta.url), '..', '..');
const TWIN_MAIN = join(ROOT, 'dist', 'twin', 'main.js');

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? (process.argv[i + 1] as string) : fallback;
}

const streams = Number(option('streams', '256'));
const timeScale = Number(option('time-scale', '0.05'));
const seconds = Number(option('seconds', '6'));
const model = option('model', 'llama-3.1-8b');
const gpu = option('gpu', 'L4-24GB');
// 256 × ceil((~19 prompt + 88 output) ÷ 16) = 1792 blocks fit the L4's 1945: no preemption muddies the figures
const maxTokens = Number(option('max-tokens', '88'));
const port = 20000 + (process.pid % 20000);

interface Stats {
  steps: number;
  busyModelS: number;
  ownRealMs: number;
  ownCpuMs: number;
  deliveryCpuMs: number;
  lateRealMs: number;
  maxRunning: number;
  sumBatch: number;
  sumBatchS: number;
  preemptions: number;
}

function cpuSeconds(pid: number): number {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of stat (index 11 and 12 after the command name), in clock ticks
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function getJson<T>(path: string): Promise<T> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return (await res.json()) as T;
}

async function main(): Promise<number> {
  const runtimeDir = join(tmpdir(), `nightshift-bench-${process.pid}`);
  const logPath = join(runtimeDir, 'twin.log');
  const twin = spawnGroup(
    [
      process.execPath,
      TWIN_MAIN,
      model,
      '--port',
      String(port),
      '--gpu',
      gpu,
      '--time-scale',
      String(timeScale),
      '--max-model-len',
      '4096',
      '--max-num-seqs',
      String(streams),
      '--max-num-batched-tokens',
      String(Math.max(2048, streams)),
      '--no-enable-prefix-caching',
    ],
    { logPath, env: { NIGHTSHIFT_TWIN_RUNTIME_DIR: runtimeDir } },
  );
  try {
    const readyBy = performance.now() + 20_000;
    for (;;) {
      if (twin.exitCode() !== undefined) throw new Error(`twin exited:\n${readFileSync(logPath, 'utf8')}`);
      const ok = await fetch(`http://127.0.0.1:${port}/health`).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ok) break;
      if (performance.now() > readyBy) throw new Error('twin did not become ready in 20 s');
      await new Promise((r) => setTimeout(r, 50));
    }

    const agent = new Agent({ keepAlive: true, maxSockets: streams + 8 });
    let chunks = 0;
    let completed = 0;
    let failed = 0;
    const stream = (i: number) =>
      new Promise<void>((resolve) => {
        const body = JSON.stringify({
          model,
          messages: [{ role: 'user', content: `Stream number ${i}: tell me about the night shift.` }],
          max_tokens: maxTokens,
          ignore_eos: true,
          stream: true,
        });
        const req = request(
          {
            host: '127.0.0.1',
            port,
            path: '/v1/chat/completions',
            method: 'POST',
            agent,
            headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
          },
          (res) => {
            res.on('data', (c: Buffer) => {
              // one SSE event per "data:" line; counting newlines pairs is enough for a benchmark
              for (let k = c.indexOf(10); k >= 0; k = c.indexOf(10, k + 1)) if (c[k + 1] === 10) chunks++;
            });
            res.on('end', () => {
              completed++;
              resolve();
            });
          },
        );
        req.on('error', () => {
          failed++;
          resolve();
        });
        req.end(body);
      });

    const before = await getJson<Stats>('/twin/stats');
    const cpu0 = cpuSeconds(twin.pid);
    const t0 = performance.now();
    const stopAt = t0 + seconds * 1000;
    await Promise.all(
      Array.from({ length: streams }, async (_, i) => {
        let n = 0;
        while (performance.now() < stopAt) await stream(i * 1000 + n++);
      }),
    );
    const wallS = (performance.now() - t0) / 1000;
    const cpu = (cpuSeconds(twin.pid) - cpu0) / wallS;
    const after = await getJson<Stats>('/twin/stats');
    agent.destroy();

    const steps = after.steps - before.steps;
    const realStepMs = ((after.busyModelS - before.busyModelS) * 1000 * timeScale) / Math.max(1, steps);
    const ownPerStepMs = (after.ownCpuMs - before.ownCpuMs) / Math.max(1, steps);
    const deliveryPerStepMs = (after.deliveryCpuMs - before.deliveryCpuMs) / Math.max(1, steps);
    const simPerStepMs = ownPerStepMs - deliveryPerStepMs;
    const latePerStepMs = (after.lateRealMs - before.lateRealMs) / Math.max(1, steps);
    const meanConcurrency = (after.sumBatchS - before.sumBatchS) / Math.max(1e-9, after.busyModelS - before.busyModelS);
    const meanBatch = (after.sumBatch - before.sumBatch) / Math.max(1, steps);
    const lines = [
      `bench:twin  ${model} on ${gpu}, ${streams} streams, time scale ${timeScale}, ${wallS.toFixed(1)} s`,
      `  achieved concurrency   max ${after.maxRunning} in one step; time-weighted mean ${meanConcurrency.toFixed(0)}, mean batch per step ${meanBatch.toFixed(0)}`,
      `  requests               ${completed} completed, ${failed} failed, ${chunks} SSE events (${(chunks / wallS).toFixed(0)}/s)`,
      `  steps                  ${steps}, real step ${realStepMs.toFixed(2)} ms (model ${(realStepMs / timeScale).toFixed(1)} ms)`,
      `  simulation overhead    ${simPerStepMs.toFixed(3)} ms CPU per step = ${((100 * simPerStepMs) / realStepMs).toFixed(1)} % of step time (scheduler, physics, metrics)`,
      `  token delivery         ${deliveryPerStepMs.toFixed(3)} ms CPU per step = ${((100 * deliveryPerStepMs) / realStepMs).toFixed(1)} % of step time (SSE writes, per-token histograms)`,
      `  engine total           ${ownPerStepMs.toFixed(3)} ms CPU per step = ${((100 * ownPerStepMs) / realStepMs).toFixed(1)} % of step time`,
      `  timer lateness         ${latePerStepMs.toFixed(3)} ms per step = ${((100 * latePerStepMs) / realStepMs).toFixed(1)} % of step time`,
      `  twin CPU               ${(100 * cpu).toFixed(0)} % of one core`,
      `  preemptions            ${after.preemptions - before.preemptions}`,
      `  machine                ${cpus().length} cores, load average ${loadavg()[0]?.toFixed(1)} (lateness and client-side figures suffer on a busy machine)`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    return failed > 0 ? 1 : 0;
  } finally {
    await twin.stop(3000);
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`bench:twin: ${(err as Error).message}\n`);
    process.exitCode = 1;
  },
);
