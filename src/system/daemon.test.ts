import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { CycleRecord } from '../loop/cycle-record.js';
import type { ApplyResult, Production } from '../targets/engine.js';
import { cronPattern, startDaemon } from './daemon.js';
import { silentLogger } from './log.js';

class FakeProduction implements Production {
  readonly mode = 'managed' as const;
  healthy = false;
  applied = 0;
  stopped = 0;
  async current() {
    return { max_num_seqs: 64 };
  }
  async apply(): Promise<ApplyResult> {
    this.applied++;
    this.healthy = true;
    return { ok: true, ms: 1 };
  }
  async health() {
    return this.healthy;
  }
  async stop() {
    this.stopped++;
    this.healthy = false;
  }
}

function signals() {
  const e = new EventEmitter();
  return Object.assign(e, {
    on: e.on.bind(e),
    off: e.off.bind(e),
  }) as unknown as Pick<NodeJS.Process, 'on' | 'off'> & EventEmitter;
}

const record = { cycle_id: 'loop_x', exit_code: 0 } as CycleRecord;

describe('daemon', () => {
  it('schedules at the local time of the config', () => {
    expect(cronPattern('03:00')).toBe('0 3 * * *');
    expect(cronPattern('23:45')).toBe('45 23 * * *');
  });

  it('starts managed production when it is down, and its next cycle is at 03:00 in the zone', async () => {
    const production = new FakeProduction();
    const sig = signals();
    const d = await startDaemon({
      at: '03:00',
      timezone: 'Europe/Berlin',
      log: silentLogger,
      production,
      signals: sig,
      cycle: async () => record,
    });
    expect(production.applied).toBe(1);
    const next = d.nextRun();
    expect(next).toBeDefined();
    const local = new Intl.DateTimeFormat('en-GB', {
      timeZone: 'Europe/Berlin',
      hour: '2-digit',
      minute: '2-digit',
    }).format(next);
    expect(local).toBe('03:00');
    await d.stop('test');
  });

  it('on SIGTERM aborts the running cycle, waits for it, stops production and exits 0', async () => {
    const production = new FakeProduction();
    const sig = signals();
    let aborted = false;
    let finished = false;
    const d = await startDaemon({
      at: '03:00',
      timezone: 'UTC',
      log: silentLogger,
      production,
      signals: sig,
      cycle: (signal) =>
        new Promise<CycleRecord>((resolve) => {
          signal.addEventListener('abort', () => {
            aborted = true;
            setTimeout(() => {
              finished = true;
              resolve(record);
            }, 20);
          });
        }),
    });
    const running = d.runNow();
    sig.emit('SIGTERM');
    expect(await d.done).toBe(0);
    await running;
    expect(aborted).toBe(true);
    expect(finished).toBe(true);
    expect(production.stopped).toBe(1);
    expect(d.nextRun()).toBeUndefined();
  });
});
