/**
 * A cycle told to stop from outside (SIGTERM of `nightshift run`, the daemon shutting down) starts no further
 * step, records where it stopped, and is a degraded night (exit 1), never a silent healthy one.
 */
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { atLocal } from '../../src/core/time.js';
import { runCycle } from '../../src/loop/cycle.js';
import type { CycleRecord } from '../../src/loop/cycle-record.js';
import { readJournal } from '../../src/loop/journal.js';
import { readJsonl } from '../../src/store/atomic.js';
import { manualClock } from '../../src/system/clock.js';
import { silentLogger } from '../../src/system/log.js';
import { vllmEngine } from '../../src/targets/vllm/engine.js';
import { tempState } from '../support/state.js';
import { FakeProduction } from '../tuning/fakes.js';

describe('a cycle interrupted from outside', () => {
  it('runs no step, records the interruption and exits 1', async () => {
    const paths = tempState();
    const config = configSchema.parse({ timezone: 'UTC', state_dir: paths.root });
    const production = new FakeProduction({ max_num_seqs: 8 });
    const stop = new AbortController();
    stop.abort(new Error('daemon shutting down (SIGTERM)'));
    const record = await runCycle({
      config,
      paths,
      clock: manualClock(atLocal('2026-06-01T03:00', 'UTC')),
      log: silentLogger,
      engine: vllmEngine,
      production,
      signal: stop.signal,
    });
    expect(record.phase_status).toBe('skipped');
    expect(record.analysis_status).toBe('skipped');
    expect(record.errors).toEqual(['interrupted at phase: daemon shutting down (SIGTERM)']);
    expect(record.exit_code).toBe(1);
    expect(readJsonl<CycleRecord>(paths.cyclesLedger()).map((c) => c.exit_code)).toEqual([1]);
    const begun = readJournal(paths).filter((j) => j.type === 'step_begin');
    expect(begun.map((j) => j.step)).toEqual(['record']);
  });
});
