/**
 * Start real twin processes in tests: `node dist/twin/main.js MODEL ...`, which is `nightshift twin serve MODEL ...`
 * minus the rest of the CLI (so a broken unrelated command cannot break twin-based tests; test/twin/cli.test.ts
 * covers the `nightshift twin serve` path itself). Compiled dist: `npm test` builds before vitest; when running
 * vitest alone, run `npm run build` first.
 *
 *   const twin = await startTwin({ args: ['--max-num-seqs', '64'], timeScale: 0.05 });
 *   ... fetch(`${twin.baseUrl}/v1/chat/completions`, ...) ...
 *   await twin.stop();
 *   await assertNoSurvivors([twin.pid]);
 *
 * - Each twin runs in its own process group (src/system/process.ts spawnGroup) on a free loopback port; its
 *   stdout+stderr (vLLM-format log) go to `logPath`.
 * - Defaults: model llama-3.1-8b, GPU L4-24GB, time scale 0.05, and `--max-model-len 8192` unless `args` set
 *   one (the model's own 131072 does not fit an L4, exactly as with a real vLLM).
 * - Device sharing: twins see each other's GPU memory through a runtime dir. Every test gets its own temp runtime
 *   dir (keyed by the running test's name; hooks outside a test share one per file), so parallel test files and
 *   other tests never see each other's "GPU memory". Pass `runtimeDir` to share one explicitly.
 * - `startTwin` resolves once /health answers 200 and rejects with a `TwinStartError` (exit code + log) when the
 *   process exits first or the timeout passes. `launchTwin` starts without waiting, for tests of startup failures.
 * - Every twin started here is stopped (SIGTERM to its group, SIGKILL after a grace period) in afterAll.
 * - Model time: the twin's clock reads "model seconds since the process started"; startup takes its modelled
 *   duration (~8 s for the defaults), so a faults file `at: 20` means ~12 model s after /health turned 200.
 * - `assertNoSurvivors` checks the pids and their process groups; a zombie (exited, not yet reaped by init)
 *   counts as gone.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect } from 'vitest';
import { groupAlive, type Spawned, spawnGroup } from '../../src/system/process.js';
import { ROOT } from './cli.js';

/** The standalone twin entry (same code as `nightshift twin serve`, without loading every CLI module). */
export const TWIN_MAIN = join(ROOT, 'dist', 'twin', 'main.js');

export interface StartTwinOptions {
  model?: string;
  /** vLLM flags and twin flags after MODEL (do not pass --port/--host/--gpu/--time-scale/--faults/--device here) */
  args?: string[];
  gpu?: string;
  timeScale?: number;
  faultsFile?: string;
  device?: string;
  runtimeDir?: string;
  /** wait for /health at most this long (real ms); default 15 000 */
  timeoutMs?: number;
  env?: Record<string, string>;
}

export interface TwinProcess {
  pid: number;
  port: number;
  baseUrl: string;
  logPath: string;
  runtimeDir: string;
  /** resolves with the exit code once the process has exited */
  exited: Promise<number>;
  exitCode(): number | undefined;
  /** the log so far */
  log(): string;
  /** resolves when /health answers 200; rejects with TwinStartError on exit or timeout */
  ready(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export class TwinStartError extends Error {
  constructor(
    message: string,
    readonly exitCode: number | undefined,
    readonly log: string,
  ) {
    super(message);
  }
}

const started: Spawned[] = [];
const dirs = new Map<string, string>();

afterAll(async () => {
  await Promise.all(started.map((s) => s.stop(2000)));
  for (const dir of dirs.values()) rmSync(dir, { recursive: true, force: true });
  dirs.clear();
});

/** This test's runtime dir (created on first use). */
export function testRuntimeDir(): string {
  let key = '(file)';
  try {
    key = expect.getState().currentTestName ?? '(file)';
  } catch {
    // outside vitest's expect context: one dir for the file
  }
  let dir = dirs.get(key);
  if (!dir) {
    dir = mkdtempSync(join(tmpdir(), 'nightshift-twin-rt-'));
    dirs.set(key, dir);
  }
  return dir;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function readLog(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** Start a twin without waiting for it to be ready. */
export async function launchTwin(opts: StartTwinOptions = {}): Promise<TwinProcess> {
  const runtimeDir = opts.runtimeDir ?? testRuntimeDir();
  const port = await freePort();
  const logPath = join(runtimeDir, `twin-${port}.log`);
  const extra = opts.args ?? [];
  const hasLen = extra.some((a) => a === '--max-model-len' || a.startsWith('--max-model-len='));
  const argv = [
    process.execPath,
    TWIN_MAIN,
    opts.model ?? 'llama-3.1-8b',
    '--port',
    String(port),
    '--host',
    '127.0.0.1',
    '--gpu',
    opts.gpu ?? 'L4-24GB',
    '--time-scale',
    String(opts.timeScale ?? 0.05),
    '--device',
    opts.device ?? '0',
    ...(opts.faultsFile ? ['--faults', opts.faultsFile] : []),
    ...(hasLen ? [] : ['--max-model-len', '8192']),
    ...extra,
  ];
  const child = spawnGroup(argv, { logPath, env: { NIGHTSHIFT_TWIN_RUNTIME_DIR: runtimeDir, ...(opts.env ?? {}) } });
  started.push(child);
  const baseUrl = `http://127.0.0.1:${port}`;
  const ready = async (timeoutMs = opts.timeoutMs ?? 15_000) => {
    const deadline = performance.now() + timeoutMs;
    while (performance.now() < deadline) {
      if (child.exitCode() !== undefined) {
        throw new TwinStartError(
          `twin exited with code ${child.exitCode()} before /health answered:\n${readLog(logPath)}`,
          child.exitCode(),
          readLog(logPath),
        );
      }
      try {
        const res = await fetch(`${baseUrl}/health`, { signal: AbortSignal.timeout(1000) });
        await res.arrayBuffer();
        if (res.status === 200) return;
      } catch {
        // not listening yet
      }
      await Promise.race([child.exited, new Promise((r) => setTimeout(r, 25))]);
    }
    throw new TwinStartError(
      `twin did not answer /health within ${timeoutMs} ms:\n${readLog(logPath)}`,
      child.exitCode(),
      readLog(logPath),
    );
  };
  return {
    pid: child.pid,
    port,
    baseUrl,
    logPath,
    runtimeDir,
    exited: child.exited,
    exitCode: () => child.exitCode(),
    log: () => readLog(logPath),
    ready,
    stop: () => child.stop(3000),
  };
}

/**
 * Start a twin and wait until /health answers 200. A lost race for the free port (another process bound it
 * between our probe and the twin's bind) is retried with a new port, twice at most.
 */
export async function startTwin(opts: StartTwinOptions = {}): Promise<TwinProcess> {
  for (let attempt = 1; ; attempt++) {
    const twin = await launchTwin(opts);
    try {
      await twin.ready();
      return twin;
    } catch (err) {
      await twin.stop();
      if (attempt < 3 && err instanceof TwinStartError && err.log.includes('address already in use')) continue;
      throw err;
    }
  }
}

/**
 * Fail when any of these pids, or any member of their process groups, is still running; waits up to 3 s for them
 * to go. A zombie (exited, not yet reaped — e.g. re-parented to an init that reaps lazily) counts as gone.
 */
export async function assertNoSurvivors(pids: number[]): Promise<void> {
  const deadline = performance.now() + 3000;
  let survivors = pids.filter(running);
  while (survivors.length > 0 && performance.now() < deadline) {
    await new Promise((r) => setTimeout(r, 25));
    survivors = survivors.filter(running);
  }
  if (survivors.length > 0) throw new Error(`processes survived: ${survivors.map(describePid).join(', ')}`);
}

function procStat(pid: number): { state: string; ppid: number; pgrp: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name is in parentheses and may contain spaces: fields start after the last ')'
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0] ?? '?', ppid: Number(fields[1]), pgrp: Number(fields[2]) };
  } catch {
    return undefined;
  }
}

/** The pid or a member of its process group is alive and not a zombie. */
function running(pid: number): boolean {
  if (!existsSync('/proc/self/stat')) {
    // no procfs: signal 0 is the best we have (zombies count as alive there)
    return groupAlive(pid);
  }
  const own = procStat(pid);
  if (own && own.state !== 'Z') return true;
  if (!groupAlive(pid)) return false;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const st = procStat(Number(name));
    if (st && st.pgrp === pid && st.state !== 'Z') return true;
  }
  return false;
}

function describePid(pid: number): string {
  const st = procStat(pid);
  return st ? `${pid} (state ${st.state}, parent ${st.ppid})` : `${pid} (group member alive)`;
}
