/** A canary never outlives nightshift: SIGTERM or SIGINT of the process running it kills its process group. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawnGroup } from '../../src/system/process.js';
import { ROOT } from '../support/cli.js';
import { tempDir } from '../support/state.js';
import { assertNoSurvivors, TWIN_MAIN, testRuntimeDir } from '../support/twin.js';

const FIXTURE = join(ROOT, 'test', 'tuning', 'fixtures', 'canary-until-signal.ts');

function readOrEmpty(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

describe('canary processes on a signal to nightshift', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)(
    'are killed when nightshift gets %s',
    async (signal) => {
      const logPath = join(tempDir(), 'nightshift.log');
      const nightshift = spawnGroup([process.execPath, '--import', 'tsx', FIXTURE, tempDir(), TWIN_MAIN], {
        env: { NIGHTSHIFT_TWIN_RUNTIME_DIR: testRuntimeDir() },
        logPath,
        cwd: ROOT,
      });
      let canary: number | undefined;
      const deadline = performance.now() + 20_000;
      while (canary === undefined && performance.now() < deadline && nightshift.exitCode() === undefined) {
        await new Promise((r) => setTimeout(r, 50));
        const m = /PROBING (\d+)/.exec(readOrEmpty(logPath));
        if (m) canary = Number(m[1]);
      }
      expect(canary, readOrEmpty(logPath)).toBeDefined();
      process.kill(nightshift.pid, signal);
      await nightshift.exited;
      await assertNoSurvivors([canary as number, nightshift.pid]);
    },
    30_000,
  );
});
