import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/support/state.js';
import { systemLogReader } from './logs.js';

const stamp = (ms: number) => DateTime.fromMillis(ms).toFormat('MM-dd HH:mm:ss');
const NOW = DateTime.fromISO('2026-11-29T03:10:00').toMillis();

describe('reading the engine log of one domain', () => {
  it('finds the OOM written after the offset, not the older one before it', () => {
    const path = join(tempDir(), 'vllm.log');
    const old = `(EngineCore_DP0 pid=7) ERROR ${stamp(NOW - 3_600_000)} [core.py:710] torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB.\n`;
    writeFileSync(path, old);
    const offset = systemLogReader.size(path);
    appendFileSync(
      path,
      `(APIServer pid=7) INFO ${stamp(NOW)} [loggers.py:123] Engine 000: GPU KV cache usage: 40.0%\n` +
        `(EngineCore_DP0 pid=7) ERROR ${stamp(NOW + 1000)} [core.py:710] torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 288.00 MiB.\n`,
    );
    const scanned = systemLogReader.scanFile(path, offset, NOW, NOW + 5000);
    expect(scanned.events).toHaveLength(1);
    expect(scanned.events[0]).toMatchObject({ source: 'log', kind: 'runtime_oom', lineNo: 2 });
    expect(scanned.events[0]?.line).toContain('288.00 MiB');
  });

  it('a log that does not exist yet has no events and size 0', () => {
    const path = join(tempDir(), 'missing.log');
    expect(systemLogReader.size(path)).toBe(0);
    expect(systemLogReader.scanFile(path, 0, NOW, NOW)).toEqual({ events: [] });
  });
});
