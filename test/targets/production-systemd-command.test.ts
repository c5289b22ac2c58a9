import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StatePaths } from '../../src/store/paths.js';
import { manualClock } from '../../src/system/clock.js';
import { silentLogger } from '../../src/system/log.js';
import { groupAlive } from '../../src/system/process.js';
import type { Instance } from '../../src/targets/engine.js';
import { startInstance } from '../../src/targets/instance.js';
import { freePort } from '../../src/targets/ports.js';
import { CommandProduction } from '../../src/targets/production/command.js';
import { readProduction } from '../../src/targets/production/state.js';
import { SystemdProduction } from '../../src/targets/production/systemd.js';
import { vllmEngine } from '../../src/targets/vllm/engine.js';
import { configWith, FAKE_LAUNCH, fakeEngine, tempDir } from './support.js';

const FAKE_SYSTEMCTL = fileURLToPath(new URL('./fixtures/fake-systemctl.sh', import.meta.url));
const clock = manualClock(Date.UTC(2026, 2, 29, 3, 0));
const deps = { clock, log: silentLogger, engine: vllmEngine };

let dir: ReturnType<typeof tempDir>;
let paths: StatePaths;
let port: number;
let server: Instance | undefined;
let systemctlDir: string;
let journalDir: string;

beforeEach(async () => {
  dir = tempDir();
  paths = new StatePaths(join(dir.path, 'state'));
  port = await freePort('19700-19799');
  systemctlDir = join(dir.path, 'systemctl');
  journalDir = join(dir.path, 'journal');
  mkdirSync(systemctlDir);
  mkdirSync(journalDir);
});

afterEach(async () => {
  const pid = server?.pid;
  await server?.stop();
  server = undefined;
  dir.remove();
  if (pid !== undefined) expect(groupAlive(pid)).toBe(false);
});

/** What production looks like from outside: an engine answering on base_url that nightshift did not start. */
async function serveProduction(): Promise<void> {
  server = startInstance({
    engine: fakeEngine,
    launch: FAKE_LAUNCH,
    model: 'm',
    config: { fake_delay_ms: 0 },
    port,
    logPath: join(dir.path, 'production.log'),
    graceMs: 1000,
  });
  expect((await server.ready(10_000)).ok).toBe(true);
}

function systemd(): SystemdProduction {
  const cfg = configWith({
    base_url: `http://127.0.0.1:${port}`,
    production: { mode: 'systemd', systemd: { unit: 'vllm.service', env_file: join(dir.path, 'vllm.env') } },
  });
  return new SystemdProduction(cfg, paths, deps, {
    systemctl: ['sh', FAKE_SYSTEMCTL, systemctlDir],
    journalctl: ['sh', FAKE_SYSTEMCTL, journalDir],
  });
}

function command(apply: string, render: 'flags' | 'env' = 'flags'): CommandProduction {
  const cfg = configWith({
    base_url: `http://127.0.0.1:${port}`,
    production: { mode: 'command', command: { apply, render } },
  });
  return new CommandProduction(cfg, paths, { ...deps, engine: vllmEngine });
}

describe('systemd production', () => {
  it('writes the live flags to the env file, restarts the unit and waits for health', async () => {
    await serveProduction();
    const result = await systemd().apply({ max_num_seqs: 128, enable_prefix_caching: false }, { timeoutMs: 5000 });
    expect(result.ok).toBe(true);
    const env = readFileSync(join(dir.path, 'vllm.env'), 'utf8');
    expect(env).toContain('VLLM_ARGS="--max-num-seqs 128 --no-enable-prefix-caching"');
    expect(env).toContain('NIGHTSHIFT_MAX_NUM_SEQS="128"');
    expect(readFileSync(join(systemctlDir, 'calls'), 'utf8')).toBe('restart vllm.service\n');
    expect(readProduction(paths)).toMatchObject({ mode: 'systemd', status: 'healthy', config: { max_num_seqs: 128 } });
  });

  it('reports a failing systemctl with its last output line', async () => {
    writeFileSync(join(systemctlDir, 'exit'), '1');
    writeFileSync(join(systemctlDir, 'output'), 'Failed to restart vllm.service: Access denied\n');
    const result = await systemd().apply({ max_num_seqs: 128 }, { timeoutMs: 5000 });
    expect(result).toMatchObject({ ok: false, evidence: { source: 'exit', kind: 'systemctl_failed' } });
    expect(result.evidence?.line).toMatch(/Access denied/);
  });

  it('fails fast with the journal line when the unit prints a startup failure', async () => {
    writeFileSync(
      join(journalDir, 'output'),
      [
        'INFO 11-29 03:00:01 [core.py:77] Initializing a V1 LLM engine',
        'ERROR 11-29 03:00:02 [core.py:708] EngineCore failed to start.',
        'ERROR 11-29 03:00:02 [core.py:708] ValueError: No available memory for the cache blocks. Try increasing `gpu_memory_utilization` when initializing the engine.',
        'RuntimeError: Engine core initialization failed. See root cause above. Failed core proc(s): {}',
        '',
      ].join('\n'),
    );
    const result = await systemd().apply({ max_num_seqs: 128 }, { timeoutMs: 30_000 });
    expect(result).toMatchObject({ ok: false, evidence: { source: 'journal', kind: 'startup_oom_no_blocks' } });
    expect(result.ms).toBeLessThan(2000);
    expect(readFileSync(join(journalDir, 'calls'), 'utf8')).toMatch(/^-u vllm.service --since @\d+ -o cat/);
    expect(readProduction(paths)?.status).toBe('failed');
  });
});

describe('command production', () => {
  it('appends the rendered flags to the apply command and passes them in the environment', async () => {
    await serveProduction();
    const out = join(dir.path, 'apply.out');
    const p = command(`sh -c 'echo "$NIGHTSHIFT_MAX_NUM_SEQS|$NIGHTSHIFT_FLAGS|$*" > ${out}' sh`);
    const result = await p.apply({ max_num_seqs: 64, gpu_memory_utilization: 0.85 }, { timeoutMs: 5000 });
    expect(result.ok).toBe(true);
    expect(readFileSync(out, 'utf8')).toBe(
      '64|--gpu-memory-utilization 0.85 --max-num-seqs 64|--gpu-memory-utilization 0.85 --max-num-seqs 64\n',
    );
  });

  it('appends nothing in env mode', async () => {
    await serveProduction();
    const out = join(dir.path, 'apply.out');
    const result = await command(`echo "$NIGHTSHIFT_GPU_MEMORY_UTILIZATION" > ${out}`, 'env').apply(
      { gpu_memory_utilization: 0.8 },
      { timeoutMs: 5000 },
    );
    expect(result.ok).toBe(true);
    expect(readFileSync(out, 'utf8')).toBe('0.8\n');
  });

  it('reports a failing apply command with its exit code and last line', async () => {
    const result = await command('echo "deploy: permission denied" >&2; exit 4').apply({}, { timeoutMs: 5000 });
    expect(result).toMatchObject({ ok: false, evidence: { source: 'exit', kind: 'apply_command_failed' } });
    expect(result.evidence?.line).toBe('apply command exited 4: deploy: permission denied');
  });

  it('kills an apply command that does not return within the timeout', async () => {
    const t0 = performance.now();
    const result = await command('sleep 30').apply({}, { timeoutMs: 300 });
    expect(result).toMatchObject({ ok: false, evidence: { kind: 'apply_command_timeout' } });
    // The group is killed after a 2 s grace at most; the bound leaves room for a slow reaper of orphans.
    expect(performance.now() - t0).toBeLessThan(6000);
  });

  it('cannot stop production, and says what to use instead', async () => {
    await expect(command('true').stop()).rejects.toMatchObject({
      message: 'production: mode command cannot stop production',
      hint: expect.stringMatching(/canary.mode: spare/),
    });
  });
});
