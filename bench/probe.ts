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
 *   npm run bench:probe -- [--seconds 5] [--connections 32]
 */
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
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

/** The child: a server that does no work beyond writing bytes. */
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
  const body = Buffer.from(stream);
  createServer((req, res) => {
    if (req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 2 }).end('ok');
      return;
    }
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'content-length': body.length }).end(body);
    });
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
  const port = await freePort();
  const pin = hasTaskset();
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
      requests: 10_000_000,
      seed: 1,
      makeRequest: () => ({ api: 'chat' as const, prompt: 'hi', max_tokens: TOKENS }),
    };
    await runLoad(client, { ...spec, durationMs: 1000 }); // warm the JIT and the pool
    const probe = await runLoad(client, { ...spec, durationMs: seconds * 1000 });
    await client.close();
    const probeRate = probe.summary.ok / (probe.elapsedMs / 1000);
    const tokensOk = probe.samples.every((s) => !s.ok || s.output_tokens === TOKENS);

    const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;
    await autocannon({ url: `${baseUrl}/plain`, connections, duration: 1 }); // warm-up
    const ac = await autocannon({ url: `${baseUrl}/plain`, connections, duration: seconds });
    const acRate = ac.requests.total / ac.duration;

    const ratio = probeRate / acRate;
    const lines = [
      `bench:probe  ${seconds}s per run, ${connections} connections, ${TOKENS}-token SSE streams, ${pin ? 'client on core 0, server on core 1' : 'no taskset: cores not pinned'}`,
      `  probe client (SSE parsed, per-token timing): ${probeRate.toFixed(0)} req/s  (${probe.summary.ok} ok, ${probe.samples.length - probe.summary.ok} errors, tokens ${tokensOk ? 'all counted' : 'MISCOUNTED'})`,
      `  autocannon (plain HTTP, no parsing):         ${acRate.toFixed(0)} req/s  (${ac.errors} errors, ${ac.non2xx} non-2xx)`,
      `  ratio: ${(ratio * 100).toFixed(1)}% of autocannon (target ≥ 50%) ${ratio >= 0.5 ? 'OK' : 'BELOW TARGET'}`,
    ];
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
