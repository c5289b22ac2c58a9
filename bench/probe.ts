/**
 * `npm run bench:probe`: the probe client's own ceiling, next to autocannon's, in one run.
 *
 * A zero-work server runs in a child process (its own process group, via system/process.ts): POST
 * /v1/chat/completions answers a complete 16-token SSE stream (role chunk, 16 content chunks, finish, usage,
 * [DONE]; ~2.9 kB) written at once; GET /plain answers "ok". Both endpoints cost the server the same: find the
 * end of the request, write prebuilt bytes. This process is the client, all its threads pinned to one core
 * with `taskset -a` when available (the server to another), so the figures are the client's per-core cost:
 *   1. probe: the probe client through runLoad at fixed concurrency (undici Pool, full SSE parsing, per-token
 *      timing, every sample kept), exactly as a PHASE domain drives it;
 *   2. autocannon on /plain with the same number of connections: the yardstick, the target is
 *      probe ≥ 50% of its request rate;
 *   3. autocannon POSTing to the SSE endpoint (same request, same 2.9 kB answer, not parsed): a reference
 *      that shows what receiving the stream costs before any parsing. Not the yardstick.
 * The three alternate round by round, so drifting load from other processes on the host hits all alike.
 *
 * Two figures per client, each the MEDIAN over rounds (best round in brackets):
 *   - requests per CPU-second of this process: its one-core ceiling, robust to a busy host. For the probe, CPU
 *     is read when the last request of the round completes, so the summary runLoad computes afterwards (once
 *     per run, not per request) is not counted; for autocannon, around its call (its end-of-run work is a
 *     histogram read-out).
 *   - wall-clock requests per second: what this host gave; bound by scheduling when the host is busy.
 * The verdict is on the median CPU-normalized ratio. A benchmark, not a test: nothing asserts; it exits 0.
 *
 *   npm run bench:probe -- [--seconds 5] [--connections 32] [--rounds 5] [--no-pin]
 */
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { createServer as createNetServer } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { createProbeClient } from '../src/probe/client.js';
import { runLoad } from '../src/probe/load.js';
import { exitWithWatchedParent, spawnGroup } from '../src/system/process.js';

const TOKENS = 16;

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : Number.NaN;
  return Number.isFinite(v) && v > 0 ? v : fallback;
}

/**
 * The child: a server that does no work beyond writing prebuilt bytes. A minimal HTTP/1.1 loop over raw
 * sockets (find the end of the headers, skip Content-Length bytes of body, write the canned response), so
 * the server costs next to nothing for either endpoint and the figures measure the clients.
 */
function serve(port: number): void {
  exitWithWatchedParent(() => process.exit(0)); // never outlive the bench, even after a kill -9
  const chunk = (obj: Record<string, unknown>) => `data: ${JSON.stringify(obj)}\n\n`;
  const base = { id: 'b', object: 'chat.completion.chunk', created: 0, model: 'bench' };
  let stream = chunk({ ...base, choices: [{ index: 0, delta: { role: 'assistant' }, finish_reason: null }] });
  for (let i = 0; i < TOKENS; i++) {
    stream += chunk({ ...base, choices: [{ index: 0, delta: { content: ` tok${i}` }, finish_reason: null }] });
  }
  stream += chunk({ ...base, choices: [{ index: 0, delta: {}, finish_reason: 'length' }] });
  stream += chunk({ ...base, choices: [], usage: { prompt_tokens: 4, completion_tokens: TOKENS, total_tokens: 20 } });
  stream += 'data: [DONE]\n\n';
  const response = (type: string, body: string) =>
    Buffer.from(
      `HTTP/1.1 200 OK\r\ncontent-type: ${type}\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: keep-alive\r\n\r\n${body}`,
    );
  const sse = response('text/event-stream', stream);
  const plain = response('text/plain', 'ok');
  createNetServer((socket) => {
    socket.setNoDelay(true);
    let buf: Buffer = Buffer.alloc(0);
    socket.on('data', (data: Buffer) => {
      buf = buf.length === 0 ? data : Buffer.concat([buf, data]);
      for (;;) {
        const headerEnd = buf.indexOf('\r\n\r\n');
        if (headerEnd < 0) return;
        const head = buf.subarray(0, headerEnd).toString('latin1');
        const m = /content-length:\s*(\d+)/i.exec(head);
        const total = headerEnd + 4 + (m ? Number(m[1]) : 0);
        if (buf.length < total) return;
        socket.write(head.startsWith('POST') ? sse : plain);
        buf = buf.subarray(total);
      }
    });
    socket.on('error', () => socket.destroy());
  }).listen(port, '127.0.0.1');
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function waitListening(url: string, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    try {
      const res = await fetch(url);
      await res.text();
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`bench: the server did not answer ${url} within ${timeoutMs} ms`);
}

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** One client's rounds: request rates per CPU-second and per wall second. */
class Rates {
  readonly cpu: number[] = [];
  readonly wall: number[] = [];
  add(requests: number, cpuMs: number, wallMs: number): void {
    this.cpu.push(requests / (cpuMs / 1000));
    this.wall.push(requests / (wallMs / 1000));
  }
}

/** CPU time of this whole process (all threads: JS, GC helpers, libuv), ms. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function hasTaskset(): boolean {
  return spawnSync('taskset', ['-V'], { stdio: 'ignore' }).status === 0;
}

interface AutocannonResult {
  requests: { total: number; average: number };
  duration: number;
  errors: number;
  non2xx: number;
}
type Autocannon = (opts: Record<string, unknown>) => Promise<AutocannonResult>;

async function main(): Promise<void> {
  const seconds = arg('seconds', 5);
  const connections = arg('connections', 32);
  const rounds = arg('rounds', 5);
  const port = await freePort();
  const pin = !process.argv.includes('--no-pin') && hasTaskset();
  const self = fileURLToPath(import.meta.url);
  const serverArgv = [process.execPath, '--import', 'tsx', self, '--serve', String(port)];
  // -a: every thread of this process (GC helpers, libuv pool) shares core 0, so CPU time is one core's work.
  if (pin) spawnSync('taskset', ['-a', '-cp', '0', String(process.pid)], { stdio: 'ignore' });
  const server = spawnGroup(pin ? ['taskset', '-c', '1', ...serverArgv] : serverArgv);
  const [loadBefore] = loadavg();
  try {
    const baseUrl = `http://127.0.0.1:${port}`;
    await waitListening(`${baseUrl}/plain`, 15_000);

    const client = createProbeClient({ baseUrl, model: 'bench', requestTimeoutMs: 10_000, connections });
    // One request object for all: the client reads it and never changes it (autocannon reuses its body too).
    const request = { api: 'chat' as const, prompt: 'hi', max_tokens: TOKENS };
    // A count bound this client cannot reach in a round (50k/s): the rounds are bounded by duration.
    const spec = {
      pattern: { kind: 'concurrency' as const, concurrency: connections },
      requests: Math.ceil(seconds * 50_000),
      seed: 1,
      makeRequest: () => request,
    };
    const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;
    const plain = { url: `${baseUrl}/plain`, connections };
    // The request body the probe sends, so the reference run gets the same answer for the same request.
    const sameBytes = {
      url: `${baseUrl}/v1/chat/completions`,
      connections,
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({
        model: 'bench',
        max_tokens: TOKENS,
        stream: true,
        messages: [{ role: 'user', content: 'hi' }],
        stream_options: { include_usage: true },
      }),
    };
    // Warm the JIT, the pool and autocannon before anything is measured.
    await runLoad(client, { ...spec, durationMs: 2000 });
    await autocannon({ ...plain, duration: 2 });
    await autocannon({ ...sameBytes, duration: 1 });

    const probe = new Rates();
    const acPlain = new Rates();
    const acSame = new Rates();
    let errors = 0;
    let wrong = 0;
    const runProbe = async () => {
      const c0 = cpuMs();
      const deadline = performance.now() + seconds * 1000;
      let cEnd = Number.NaN;
      const result = await runLoad(client, {
        ...spec,
        durationMs: seconds * 1000,
        // Stamp CPU as the last requests complete (after the deadline, or the count bound): the run ends there.
        onProgress: (done, total) => {
          if (done === total || performance.now() >= deadline) cEnd = cpuMs();
        },
      });
      probe.add(result.summary.ok, (Number.isNaN(cEnd) ? cpuMs() : cEnd) - c0, result.elapsedMs);
      errors += result.samples.length - result.summary.ok;
      // Every measured field must come out right, or the rate means nothing.
      const text = Array.from({ length: TOKENS }, (_, i) => ` tok${i}`).join('');
      wrong += result.samples.filter(
        (x) =>
          x.ok &&
          (x.output_tokens !== TOKENS ||
            x.chunks !== TOKENS ||
            x.itl_ms?.length !== TOKENS - 1 ||
            x.text !== text ||
            x.finish_reason !== 'length' ||
            x.prompt_tokens !== 4 ||
            x.ttft_ms === undefined ||
            x.tpot_ms === undefined),
      ).length;
    };
    const runAutocannon = async (opts: Record<string, unknown>, into: Rates) => {
      const c0 = cpuMs();
      const ac = await autocannon({ ...opts, duration: seconds });
      into.add(ac.requests.total, cpuMs() - c0, ac.duration * 1000);
      errors += ac.errors + ac.non2xx;
    };
    for (let r = 0; r < rounds; r++) {
      await runProbe();
      await runAutocannon(plain, acPlain);
      await runAutocannon(sameBytes, acSame);
    }
    await client.close();

    const [loadAfter] = loadavg();
    const cores = cpus().length; // the host's, not this pinned process's
    const fig = (xs: number[]) => `${median(xs).toFixed(0)} [best ${Math.max(...xs).toFixed(0)}]`;
    const us = (xs: number[]) => `${(1e6 / median(xs)).toFixed(1)} µs CPU/request`;
    const pct = (a: number, b: number) => `${((a / b) * 100).toFixed(1)}%`;
    const cpuRatio = median(probe.cpu) / median(acPlain.cpu);
    const wallRatio = median(probe.wall) / median(acPlain.wall);
    const load = `host load ${(loadBefore ?? 0).toFixed(1)} → ${(loadAfter ?? 0).toFixed(1)} on ${cores} cores`;
    const lines = [
      `bench:probe  ${rounds} rounds of ${seconds}s, ${connections} connections, ${TOKENS}-token SSE streams, ${pin ? 'client (all threads) on core 0, server on core 1' : 'no taskset: cores not pinned'}, ${load}`,
      '  one-core ceiling, requests per CPU-second (median over rounds [best round]):',
      `    probe client (SSE parsed, per-token timing, samples kept): ${fig(probe.cpu)}  ${us(probe.cpu)}`,
      `    autocannon, GET /plain:                                   ${fig(acPlain.cpu)}  ${us(acPlain.cpu)}`,
      `    autocannon, same request and SSE bytes, unparsed:         ${fig(acSame.cpu)}  ${us(acSame.cpu)}  (reference)`,
      `    ratio probe / autocannon /plain: ${pct(median(probe.cpu), median(acPlain.cpu))} of medians, ${pct(Math.max(...probe.cpu), Math.max(...acPlain.cpu))} of bests; vs same bytes ${pct(median(probe.cpu), median(acSame.cpu))}`,
      '  wall-clock requests per second (median over rounds [best round]):',
      `    probe client:              ${fig(probe.wall)}`,
      `    autocannon, GET /plain:    ${fig(acPlain.wall)}`,
      `    autocannon, same bytes:    ${fig(acSame.wall)}  (reference)`,
      `    ratio probe / autocannon /plain: ${pct(median(probe.wall), median(acPlain.wall))} of medians, ${pct(Math.max(...probe.wall), Math.max(...acPlain.wall))} of bests`,
      `  verdict (median CPU-normalized ratio, target ≥ 50%): ${pct(cpuRatio, 1)} ${cpuRatio >= 0.5 ? 'OK' : 'BELOW TARGET'}; wall-clock ${pct(wallRatio, 1)}`,
      `  ${errors} errors, ${wrong} samples with a wrong measured field`,
    ];
    if (Math.max(loadBefore ?? 0, loadAfter ?? 0) > cores) {
      lines.push(
        '  note: the host is busy, so wall-clock rates are bound by scheduling; the CPU-normalized figures are the fairer ones',
      );
    }
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await server.stop(2000);
  }
}

const serveAt = process.argv.indexOf('--serve');
if (serveAt >= 0) serve(Number(process.argv[serveAt + 1]));
else
  main().catch((err: unknown) => {
    process.stderr.write(`bench:probe: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
