/**
 * The loop's runbook commands as an operator types them (compiled CLI, no engine needed): report on an empty
 * state directory, the lock, the kill switch, breakers, the budget and the systemd units.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readBreakers } from '../../src/loop/control/breakers.js';
import type { CycleRecord } from '../../src/loop/cycle-record.js';
import { readJsonl } from '../../src/store/atomic.js';
import { StatePaths } from '../../src/store/paths.js';
import { nightshift } from '../support/cli.js';
import { tempDir } from '../support/state.js';

/** A config whose production nobody will start: these commands must not need one. */
function workspace(): {
  dir: string;
  paths: StatePaths;
  run: (args: string[], env?: Record<string, string>) => ReturnType<typeof nightshift>;
} {
  const dir = tempDir('nightshift-cmds-');
  const config = join(dir, 'nightshift.yaml');
  writeFileSync(
    config,
    ['timezone: UTC', `state_dir: ${join(dir, 'state')}`, 'target:', '  base_url: http://127.0.0.1:9', ''].join('\n'),
  );
  const paths = new StatePaths(join(dir, 'state'));
  return {
    dir,
    paths,
    run: (args, env = {}) => nightshift(['--config', config, ...args], { cwd: dir, env }),
  };
}

const hasSystemdAnalyze = spawnSync('systemd-analyze', ['--version']).status === 0;

describe('nightshift loop commands', () => {
  it('report on an empty state directory says too few cycles for every metric', () => {
    const w = workspace();
    const r = w.run(['report', '--since', '30d']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/0 cycles/);
    expect(r.stdout.match(/too few cycles/g)).toHaveLength(6);
    expect(r.stdout).toMatch(/target < 10 %/);
    const json = JSON.parse(w.run(['report', '--json']).stdout);
    expect(json.metrics.every((m: { value: unknown }) => m.value === null)).toBe(true);
  });

  it('run exits 4 naming the holder when another run holds the lock', () => {
    const w = workspace();
    mkdirSync(join(w.paths.root, 'locks'), { recursive: true });
    // The test process itself is the live holder.
    writeFileSync(
      w.paths.lockFile(),
      JSON.stringify({ pid: process.pid, host: hostname(), started_at: Date.UTC(2026, 5, 4, 3) }),
    );
    const r = w.run(['run']);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain(`pid ${process.pid}`);
    expect(r.stderr).toContain('2026-06-04T03:00:00Z');
  });

  it('a paused loop stops before its first step and records that; history shows it; resume lifts it', () => {
    const w = workspace();
    expect(w.run(['pause', '--reason', 'GPU driver upgrade']).code).toBe(0);
    const status = JSON.parse(w.run(['status', '--json']).stdout);
    expect(status.paused).toMatchObject({ reason: 'GPU driver upgrade' });
    const r = w.run(['run'], { NIGHTSHIFT_FAKE_NOW: '2026-06-04T03:00:00Z' });
    expect(r.code, r.stderr).toBe(0);
    const [cycle] = readJsonl<CycleRecord>(w.paths.cyclesLedger());
    expect(cycle).toMatchObject({
      cycle_id: 'loop_20260604_030000',
      paused_before: 'production',
      phase_status: 'skipped',
    });
    const table = w.run(['history']);
    expect(table.stdout).toMatch(/^cycle\s+exit/);
    expect(table.stdout).toMatch(/loop_20260604_030000 .*paused at production/);
    expect(w.run(['resume']).stdout).toMatch(/resumed/);
    expect(existsSync(w.paths.pauseFile())).toBe(false);
  });

  it('budget reset asks for --yes, then gives the night its budget back', () => {
    const w = workspace();
    const refused = w.run(['budget', 'reset'], { NIGHTSHIFT_FAKE_NOW: '2026-06-04T03:30:00Z' });
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/--yes/);
    const done = w.run(['budget', 'reset', '--yes', '--json'], { NIGHTSHIFT_FAKE_NOW: '2026-06-04T03:30:00Z' });
    expect(done.code).toBe(0);
    expect(JSON.parse(done.stdout)).toMatchObject({ night: '20260604', spent_s: 0 });
  });

  it('breaker reset closes an open breaker', () => {
    const w = workspace();
    mkdirSync(join(w.paths.root, 'control'), { recursive: true });
    writeFileSync(
      w.paths.breakersFile(),
      JSON.stringify({
        schema: 'nightshift.breakers/v1',
        mode: 'act',
        kinds: { oom_event: { state: 'open', failures: 3, recent: ['a', 'b', 'c'], opened_at: 1, reason: 'test' } },
      }),
    );
    expect(w.run(['status']).stdout).toMatch(/CIRCUIT OPEN: oom_event/);
    expect(w.run(['breaker', 'reset', 'oom_event']).stdout).toMatch(/was OPEN/);
    expect(readBreakers(w.paths).oom_event?.state).toBe('closed');
  });

  it.skipIf(!hasSystemdAnalyze)('install systemd --print writes units that systemd-analyze verify accepts', () => {
    const w = workspace();
    const r = w.run(['install', 'systemd', '--print', '--at', '03:00']);
    expect(r.code, r.stderr).toBe(0);
    const [, service, timer] = r.stdout.split(/^# nightshift\.(?:service|timer)\n/m);
    expect(service).toContain('SuccessExitStatus=1 2');
    expect(timer).toContain('OnCalendar=*-*-* 03:00:00 UTC');
    writeFileSync(join(w.dir, 'nightshift.service'), service as string);
    writeFileSync(join(w.dir, 'nightshift.timer'), timer as string);
    const v = spawnSync(
      'systemd-analyze',
      ['verify', join(w.dir, 'nightshift.service'), join(w.dir, 'nightshift.timer')],
      {
        encoding: 'utf8',
      },
    );
    expect(v.stdout + v.stderr).toBe('');
    expect(v.status).toBe(0);
  });
});
