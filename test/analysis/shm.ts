/**
 * State directories on tmpfs when the machine has one: ReportWriter fsyncs every sample line, which costs
 * milliseconds per line on a disk and nothing on tmpfs, and these tests write thousands of lines.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { StatePaths } from '../../src/store/paths.js';

const made: string[] = [];

export function fastState(): StatePaths {
  const base = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
  const dir = mkdtempSync(join(base, 'nightshift-analysis-'));
  made.push(dir);
  return new StatePaths(dir);
}

afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});
