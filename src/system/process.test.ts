import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { groupAlive, spawnGroup, stopGroup } from './process.js';

const node = process.execPath;

/** Running (a zombie waiting for init to reap it counts as gone). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

describe('process groups', () => {
  it('stops the whole group, grandchildren included', async () => {
    // The child starts a grandchild in the same group and prints its pid.
    const script = `
      const { spawn } = require('node:child_process');
      const g = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
      require('node:fs').writeSync(1, String(g.pid) + '\\n');
      setInterval(() => {}, 1000);`;
    const log = join(mkdtempSync(join(tmpdir(), 'ns-proc-')), 'out.log');
    const p = spawnGroup([node, '-e', script], { logPath: log });
    let grandchild = 0;
    for (let i = 0; i < 100 && !grandchild; i++) {
      await new Promise((r) => setTimeout(r, 20));
      grandchild = Number(readFileSync(log, 'utf8').trim()) || 0;
    }
    expect(grandchild).toBeGreaterThan(0);
    await p.stop(2000);
    expect(groupAlive(p.pid)).toBe(false);
    expect(alive(grandchild)).toBe(false);
  });

  it('escalates to SIGKILL when the group ignores SIGTERM', async () => {
    const p = spawnGroup([node, '-e', "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000)"]);
    await new Promise((r) => setTimeout(r, 200));
    const t0 = performance.now();
    await p.stop(300);
    expect(groupAlive(p.pid)).toBe(false);
    expect(performance.now() - t0).toBeLessThan(3000);
  });

  it('reports the exit code of a process that exits by itself', async () => {
    const p = spawnGroup([node, '-e', 'process.exit(3)']);
    expect(await p.exited).toBe(3);
    expect(p.exitCode()).toBe(3);
  });

  it('stopGroup on a pid that is already gone returns at once', async () => {
    const p = spawnGroup([node, '-e', '0']);
    await p.exited;
    const t0 = performance.now();
    await stopGroup(p.pid, 5000);
    expect(performance.now() - t0).toBeLessThan(500);
  });

  it('a child watching its launcher exits when the launcher is killed -9', async () => {
    // The launcher starts a watcher child (own group, NIGHTSHIFT_WATCH_PID = launcher) and is then killed -9.
    const dir = mkdtempSync(join(tmpdir(), 'ns-watch-'));
    const out = join(dir, 'child.pid');
    const processModule = new URL('./process.ts', import.meta.url).pathname;
    const watcher = `
      import('${processModule}').then(({ exitWithWatchedParent }) => {
        exitWithWatchedParent(() => process.exit(0));
        setInterval(() => {}, 1000);
      });`;
    const launcher = `
      const { spawn } = require('node:child_process');
      const c = spawn(process.execPath, ['--import', 'tsx', '-e', ${JSON.stringify(watcher)}], {
        detached: true, stdio: 'ignore', env: { ...process.env, NIGHTSHIFT_WATCH_PID: String(process.pid) } });
      require('node:fs').writeFileSync(${JSON.stringify(out)}, String(c.pid));
      setInterval(() => {}, 1000);`;
    const l = spawnGroup([node, '-e', launcher]);
    let child = 0;
    for (let i = 0; i < 200 && !child; i++) {
      await new Promise((r) => setTimeout(r, 25));
      try {
        child = Number(readFileSync(out, 'utf8'));
      } catch {
        // not written yet
      }
    }
    expect(child).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 1500)); // let the watcher load and arm its poll
    process.kill(l.pid, 'SIGKILL');
    let gone = false;
    for (let i = 0; i < 60 && !gone; i++) {
      await new Promise((r) => setTimeout(r, 100));
      gone = !alive(child);
    }
    expect(gone).toBe(true);
  }, 15_000);
});

describe('spawn failures', () => {
  it('a missing command is one clear error, not an uncaught exception', async () => {
    expect(() => spawnGroup(['/nonexistent/vllm', 'serve'])).toThrow(/could not start \/nonexistent\/vllm/);
    await new Promise((r) => setTimeout(r, 50)); // the 'error' event fires on a later tick
  });
});
