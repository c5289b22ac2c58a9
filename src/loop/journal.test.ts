import { describe, expect, it } from 'vitest';
import { tempState } from '../../test/support/state.js';
import { manualClock } from '../system/clock.js';
import { findUnfinished, type JournalRecord, openJournal, readJournal } from './journal.js';

function rec(cycle: string, type: JournalRecord['type'], extra: Partial<JournalRecord> = {}): JournalRecord {
  return { schema: 'nightshift.journal/v1', mode: 'act', cycle_id: cycle, ts: 0, type, ...extra };
}

describe('journal', () => {
  it('a finished cycle leaves nothing to recover', () => {
    const records = [
      rec('loop_1', 'cycle_begin'),
      rec('loop_1', 'step_begin', { step: 'phase' }),
      rec('loop_1', 'step_end', { step: 'phase' }),
      rec('loop_1', 'cycle_end'),
    ];
    expect(findUnfinished(records)).toEqual([]);
  });

  it('a cycle that died while a canary ran names the canary and the open step', () => {
    const records = [
      rec('loop_1', 'cycle_begin'),
      rec('loop_1', 'step_begin', { step: 'tuning' }),
      rec('loop_1', 'canary_started', { data: { pid: 11, port: 18000 } }),
      rec('loop_1', 'canary_stopped', { data: { pid: 11 } }),
      rec('loop_1', 'canary_started', { data: { pid: 12, port: 18001 } }),
    ];
    expect(findUnfinished(records)).toEqual([
      { cycle_id: 'loop_1', open_steps: ['tuning'], canaries: [{ pid: 12, port: 18001 }], promotions: [] },
    ]);
  });

  it('a promotion begun and not ended is open', () => {
    const records = [
      rec('loop_1', 'cycle_begin'),
      rec('loop_1', 'promotion_begin', { data: { promotion_id: 'p1', previous: { a: 1 } } }),
    ];
    expect(findUnfinished(records)[0]?.promotions).toEqual([{ promotion_id: 'p1', previous: { a: 1 } }]);
  });

  it('a recovered cycle is not recovered twice', () => {
    const records = [rec('loop_1', 'cycle_begin'), rec('loop_2', 'recovered', { data: { cycles: ['loop_1'] } })];
    expect(findUnfinished(records)).toEqual([]);
  });

  it('the running cycle is not its own leftover', () => {
    expect(findUnfinished([rec('loop_2', 'cycle_begin')], 'loop_2')).toEqual([]);
  });

  it('records are appended with schema, mode, cycle id and clock time', () => {
    const paths = tempState();
    const j = openJournal(paths, manualClock(1000), 'loop_x', 'recommend');
    j.cycleBegin();
    j.stepBegin('phase');
    j.event('canary_started', { pid: 5 });
    const rs = readJournal(paths);
    expect(rs.map((r) => r.type)).toEqual(['cycle_begin', 'step_begin', 'canary_started']);
    expect(rs[2]).toMatchObject({
      schema: 'nightshift.journal/v1',
      mode: 'recommend',
      cycle_id: 'loop_x',
      ts: 1000,
      data: { pid: 5 },
    });
  });
});
