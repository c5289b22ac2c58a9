import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { otherUsers, registerUsage, unregisterUsage } from './device.js';

const dirs: string[] = [];
const temp = () => {
  const d = mkdtempSync(join(tmpdir(), 'twin-dev-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('device registry', () => {
  it("lets a process see another live process's memory on the same device only", () => {
    const dir = temp();
    // the test runner's parent is alive and is not us: it stands in for another twin
    registerUsage(dir, '0', { pid: process.ppid, bytes: 5, model: 'm', port: 1 });
    expect(otherUsers(dir, '0').map((e) => e.bytes)).toEqual([5]);
    expect(otherUsers(dir, '1')).toEqual([]);
  });

  it('does not count its own entry', () => {
    const dir = temp();
    registerUsage(dir, '0', { pid: process.pid, bytes: 5, model: 'm', port: 1 });
    expect(otherUsers(dir, '0')).toEqual([]);
    unregisterUsage(dir, '0');
    expect(readdirSync(join(dir, 'device-0'))).toEqual([]);
  });

  it('removes the entries of dead processes', () => {
    const dir = temp();
    registerUsage(dir, '0', { pid: 2 ** 22 + 12345, bytes: 5, model: 'm', port: 1 });
    expect(otherUsers(dir, '0')).toEqual([]);
    expect(readdirSync(join(dir, 'device-0'))).toEqual([]);
  });
});
