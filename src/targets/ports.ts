/**
 * Free loopback ports for canaries, from the configured range (canary.ports, "18000-18099"). A port counts as
 * free only if it can actually be bound on 127.0.0.1 right now; ports handed out by this process are held back
 * for a while so two canaries started back to back never get the same one before either has bound it.
 */
import { createServer } from 'node:net';
import { UsageError } from '../core/errors.js';

export interface PortRange {
  first: number;
  last: number;
}

export function parsePortRange(text: string): PortRange {
  const m = /^\s*(\d+)\s*-\s*(\d+)\s*$/.exec(text);
  const first = Number(m?.[1]);
  const last = Number(m?.[2]);
  if (!m || first < 1 || last > 65535 || first > last) {
    throw new UsageError(
      `targets: port range "${text}" is not valid`,
      'write it as FIRST-LAST within 1-65535, e.g. canary.ports: "18000-18099"',
    );
  }
  return { first, last };
}

/** Whether a TCP port can be bound on the host right now (the probe socket is closed before returning). */
export function portBindable(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => {
      server.close(() => resolve(true));
    });
  });
}

const HOLD_MS = 10_000;
const handedOut = new Map<number, number>();

export class NoFreePortError extends UsageError {
  constructor(range: string) {
    super(`targets: no free port in ${range} on 127.0.0.1`, 'widen canary.ports or stop what holds those ports');
  }
}

/**
 * The first bindable port of the range, scanning from an offset (so parallel processes spread out) and
 * skipping ports this process handed out in the last 10 s and any in `exclude`.
 */
export async function freePort(
  range: string | PortRange,
  opts: { host?: string; exclude?: Iterable<number>; startOffset?: number } = {},
): Promise<number> {
  const r = typeof range === 'string' ? parsePortRange(range) : range;
  const size = r.last - r.first + 1;
  const exclude = new Set(opts.exclude ?? []);
  const now = performance.now();
  for (const [port, at] of handedOut) if (now - at > HOLD_MS) handedOut.delete(port);
  const offset = (opts.startOffset ?? process.pid) % size;
  for (let i = 0; i < size; i++) {
    const port = r.first + ((offset + i) % size);
    if (exclude.has(port) || handedOut.has(port)) continue;
    if (await portBindable(port, opts.host)) {
      handedOut.set(port, performance.now());
      return port;
    }
  }
  throw new NoFreePortError(typeof range === 'string' ? range : `${r.first}-${r.last}`);
}
