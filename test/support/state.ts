/** Temporary state directories, removed after the test. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { StatePaths } from '../../src/store/paths.js';

const made: string[] = [];

export function tempDir(prefix = 'nightshift-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

export function tempState(): StatePaths {
  return new StatePaths(tempDir('nightshift-state-'));
}

afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});
