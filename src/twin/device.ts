/**
 * One GPU, several twins: each twin that names device ID records the memory it holds in
 * `<runtime dir>/device-<ID>/<pid>.json` (written atomically; one file per process, so concurrent twins never
 * overwrite each other). A starting twin sums the other live entries as "memory used by other processes" — a
 * canary beside production on the same device sees production's memory and fails like a second vLLM would.
 * Entries of dead processes (pid no longer alive) are removed by whoever reads them.
 *
 * Runtime dir: $NIGHTSHIFT_TWIN_RUNTIME_DIR, default <os.tmpdir()>/nightshift-twin-<uid>.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeJsonAtomic } from '../store/atomic.js';
import { pidRunning } from '../system/process.js';

export const RUNTIME_DIR_ENV = 'NIGHTSHIFT_TWIN_RUNTIME_DIR';

export function runtimeDir(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env[RUNTIME_DIR_ENV];
  if (fromEnv) return fromEnv;
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
  return join(tmpdir(), `nightshift-twin-${uid}`);
}

export interface DeviceEntry {
  pid: number;
  bytes: number;
  model: string;
  port: number;
}

function deviceDir(dir: string, device: string): string {
  return join(dir, `device-${device.replace(/[^A-Za-z0-9_.-]/g, '_')}`);
}

/** A zombie counts as gone: its memory and its lock are released. */
export const pidAlive = pidRunning;

/** Live entries of other processes on the device; dead entries are removed. */
export function otherUsers(dir: string, device: string, selfPid: number = process.pid): DeviceEntry[] {
  const ddir = deviceDir(dir, device);
  let names: string[];
  try {
    names = readdirSync(ddir);
  } catch {
    return [];
  }
  const out: DeviceEntry[] = [];
  for (const name of names) {
    const m = /^(\d+)\.json$/.exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid === selfPid) continue;
    if (!pidAlive(pid)) {
      rmSync(join(ddir, name), { force: true });
      continue;
    }
    try {
      const entry = JSON.parse(readFileSync(join(ddir, name), 'utf8')) as DeviceEntry;
      if (typeof entry.bytes === 'number') out.push(entry);
    } catch {
      // A file mid-rename cannot be seen (atomic write); an unreadable one is skipped until its owner rewrites it.
    }
  }
  return out;
}

export function registerUsage(dir: string, device: string, entry: DeviceEntry): void {
  writeJsonAtomic(join(deviceDir(dir, device), `${entry.pid}.json`), entry);
}

export function unregisterUsage(dir: string, device: string, pid: number = process.pid): void {
  rmSync(join(deviceDir(dir, device), `${pid}.json`), { force: true });
}
