import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../test/support/state.js';
import { quoteArg, renderUnits } from './systemd.js';

const opts = {
  node: process.execPath,
  bin: '/opt/nightshift/bin/nightshift.js',
  config: '/etc/nightshift/nightshift.yaml',
  workingDirectory: '/var/lib/nightshift',
  at: '03:00',
  timezone: 'Europe/Berlin',
  user: false,
};

const hasSystemdAnalyze = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' }).status === 0;

describe('systemd units', () => {
  it('the service is a oneshot with the resource limits and degraded/fixed as success', () => {
    const { service } = renderUnits(opts);
    for (const line of [
      'Type=oneshot',
      'TimeoutStartSec=4h',
      'MemoryMax=8G',
      'CPUQuota=400%',
      'SuccessExitStatus=1 2',
    ]) {
      expect(service).toContain(`\n${line}\n`);
    }
    expect(service).toContain(
      `ExecStart=${process.execPath} /opt/nightshift/bin/nightshift.js run --config /etc/nightshift/nightshift.yaml`,
    );
  });

  it('a state directory given at install time is passed to the nightly run', () => {
    const { service } = renderUnits({ ...opts, stateDir: '/srv/nightshift state' });
    expect(service).toContain(
      `ExecStart=${process.execPath} /opt/nightshift/bin/nightshift.js run --config /etc/nightshift/nightshift.yaml --state-dir "/srv/nightshift state"\n`,
    );
  });

  it('the timer fires daily at the configured local time, catching up missed nights', () => {
    const { timer } = renderUnits({ ...opts, at: '04:30' });
    expect(timer).toContain('OnCalendar=*-*-* 04:30:00 Europe/Berlin\n');
    expect(timer).toContain('Persistent=true\n');
    expect(timer).toContain('AccuracySec=5min\n');
  });

  it('relative paths are refused', () => {
    expect(() => renderUnits({ ...opts, config: 'nightshift.yaml' })).toThrow(/absolute/);
  });

  it('arguments with spaces are quoted', () => {
    expect(quoteArg('/srv/my models/n.yaml')).toBe('"/srv/my models/n.yaml"');
  });

  it.skipIf(!hasSystemdAnalyze)('systemd-analyze verify accepts both units', () => {
    const dir = tempDir();
    const binPath = join(dir, 'nightshift.js');
    writeFileSync(binPath, '');
    const { service, timer } = renderUnits({
      ...opts,
      bin: binPath,
      workingDirectory: dir,
      config: join(dir, 'n.yaml'),
    });
    writeFileSync(join(dir, 'nightshift.service'), service);
    writeFileSync(join(dir, 'nightshift.timer'), timer);
    const r = spawnSync('systemd-analyze', ['verify', join(dir, 'nightshift.service'), join(dir, 'nightshift.timer')], {
      encoding: 'utf8',
    });
    expect(r.stderr + r.stdout).toBe('');
    expect(r.status).toBe(0);
  });

  it.runIf(!hasSystemdAnalyze)('systemd-analyze is not installed here: verification skipped', () => {
    console.warn('systemd-analyze not found: install the Debian package `systemd` to verify the rendered units');
  });
});
