/**
 * `npm run bench:probe`: the probe client's own ceiling, next to autocannon's, in one run.
 *
 * A zero-work server runs in a child process (its own process group, via system/process.ts): POST
 * /v1/chat/completions answers a complete 16-token SSE stream (role chunk, 16 content chunks, finish, usage,
 * [DONE]) written at once; GET /plain answers "ok". This process is the client, pinned to one core with
 * taskset when available (the server to another), so the figures are the client's per-core cost:
 *   1. the probe client (undici Pool, full SSE parsing and per-token timing) at fixed concurrency,
 *   2. autocannon on /plain with the same number of connections (no parsing at all: an upper bound).
 * It prints both rates and their ratio; the target is ≥ 50%. A benchmark, not a test: nothing asserts.
 *
 *   npm run bench:probe -- [--seconds 5] [--connections 32] [--rounds 3] [--no-pin]
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
  const rounds = arg('rounds', 3);
  const port = await freePort();
  const pin = !process.argv.includes('--no-pin') && hasTaskset();
  const self = fileURLToPath(import.meta.url);
  const serverArgv = [process.execPath, '--import', 'tsx', self, '--serve', String(port)];
  if (pin) spawnSync('taskset', ['-cp', '0', String(process.pid)], { stdio: 'ignore' });
  const server = spawnGroup(pin ? ['taskset', '-c', '1', ...serverArgv] : serverArgv);
  try {
    const baseUrl = `http://127.0.0.1:${port}`;
    await waitListening(`${baseUrl}/plain`, 15_000);

    const client = createProbeClient({ baseUrl, model: 'bench', requestTimeoutMs: 10_000, connections });
    const spec = {
      pattern: { kind: 'concurrency' as const, concurrency: connections },
      requests: 1_000_000,
      seed: 1,
      makeRequest: () => ({ api: 'chat' as const, prompt: 'hi', max_tokens: TOKENS }),
    };
    const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;
    const plainUrl = `${baseUrl}/plain`;
    // Warm the JIT, the pool and autocannon before anything is measured.
    await runLoad(client, { ...spec, durationMs: 2000 });
    await autocannon({ url: plainUrl, connections, duration: 2 });

    // Alternate the two clients so that noise from other processes on the host hits both alike; the
    // ceiling of each is its best round.
    const probeRates: number[] = [];
    const acRates: number[] = [];
    const probeCeilings: number[] = [];
    const acCeilings: number[] = [];
    let errors = 0;
    let miscounted = 0;
    // CPU time of this process per request gives each client's one-core ceiling even when the host is busy
    // and wall-clock rates are bound by a descheduled server (autocannon runs in-process, like the probe).
    const cpuMs = () => {
      const u = process.cpuUsage();
      return (u.user + u.system) / 1000;
    };
    for (let r = 0; r < rounds; r++) {
      let c0 = cpuMs();
      const probe = await runLoad(client, { ...spec, durationMs: seconds * 1000 });
      probeCeilings.push(probe.summary.ok / ((cpuMs() - c0) / 1000));
      probeRates.push(probe.summary.ok / (probe.elapsedMs / 1000));
      errors += probe.samples.length - probe.summary.ok;
      miscounted += probe.samples.filter((x) => x.ok && x.output_tokens !== TOKENS).length;
      c0 = cpuMs();
      const ac = await autocannon({ url: plainUrl, connections, duration: seconds });
      acCeilings.push(ac.requests.total / ((cpuMs() - c0) / 1000));
      acRates.push(ac.requests.total / ac.duration);
      errors += ac.errors + ac.non2xx;
    }
    await client.close();

    const best = (xs: number[]) => Math.max(...xs);
    const list = (xs: number[]) => xs.map((x) => x.toFixed(0)).join(', ');
    const verdict = (ratio: number) =>
      `${(ratio * 100).toFixed(1)}% of autocannon (target ≥ 50%) ${ratio >= 0.5 ? 'OK' : 'BELOW TARGET'}`;
    const [load1] = loadavg();
    const cores = cpus().length; // the host's, not this pinned process's
    const lines = [
      `bench:probe  ${rounds} rounds of ${seconds}s, ${connections} connections, ${TOKENS}-token SSE streams, ${pin ? 'client on core 0, server on core 1' : 'no taskset: cores not pinned'}, host load ${(load1 ?? 0).toFixed(1)} on ${cores} cores`,
      '  wall-clock rate (best round):',
      `    probe client (SSE parsed, per-token timing): ${best(probeRates).toFixed(0)} req/s  (rounds: ${list(probeRates)})`,
      `    autocannon (plain HTTP, no parsing):         ${best(acRates).toFixed(0)} req/s  (rounds: ${list(acRates)})`,
      `    ratio: ${verdict(best(probeRates) / best(acRates))}`,
      '  one-core ceiling = requests per CPU-second of this process (best round):',
      `    probe client: ${best(probeCeilings).toFixed(0)} req/s  (rounds: ${list(probeCeilings)})`,
      `    autocannon:   ${best(acCeilings).toFixed(0)} req/s  (rounds: ${list(acCeilings)})`,
      `    ratio: ${verdict(best(probeCeilings) / best(acCeilings))}`,
      `  ${errors} errors, ${miscounted} token miscounts`,
    ];
    if ((load1 ?? 0) > cores) {
      lines.push(
        '  note: the host is busy, so wall-clock rates are bound by scheduling; the CPU ceilings are the fairer figure',
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
