import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { UsageError } from '../core/errors.js';
import { freePort, parsePortRange, portBindable } from './ports.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

function occupy(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    servers.push(s);
    s.once('error', reject);
    s.listen(port, '127.0.0.1', () => resolve());
  });
}

describe('canary ports', () => {
  it('parses a range and rejects a reversed one with a hint', () => {
    expect(parsePortRange('18000-18099')).toEqual({ first: 18000, last: 18099 });
    expect(() => parsePortRange('18099-18000')).toThrow(UsageError);
  });

  it('skips a port something else has bound', async () => {
    await occupy(19310);
    expect(await portBindable(19310)).toBe(false);
    expect(await freePort('19310-19311', { startOffset: 0 })).toBe(19311);
  });

  it('never hands out the same port twice in a row', async () => {
    const a = await freePort('19320-19329', { startOffset: 0 });
    const b = await freePort('19320-19329', { startOffset: 0 });
    expect(a).not.toBe(b);
  });

  it('fails with a usage error when the whole range is taken', async () => {
    await occupy(19340);
    await expect(freePort('19340-19340')).rejects.toThrow(/no free port in 19340-19340/);
  });
});
