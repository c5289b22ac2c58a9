import { appendFileSync, existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fakeClock } from '../../../test/support/clock.js';
import { tempState } from '../../../test/support/state.js';
import { daysBetween, readSymptoms, recordSymptom } from './ledger.js';

const ZONE = 'Europe/Berlin';

describe('symptom ledger', () => {
  it('appends to the day file of the local date in the configured zone', () => {
    const paths = tempState();
    // 00:30 in Berlin is still the previous day in UTC: the file is named after the local date
    const clock = fakeClock('2026-11-29T00:30:00', ZONE);
    const s = recordSymptom(paths, clock, ZONE, { kind: 'oom_event', meta: { domain: 'soak' }, mode: 'act' });
    expect(existsSync(paths.symptomsFile('20261129'))).toBe(true);
    expect(s).toMatchObject({ schema: 'nightshift.symptom/v1', kind: 'oom_event', ts: clock.now(), mode: 'act' });
    expect(s.id).toMatch(/^sym_20261129_003000_[0-9a-f]{8}$/);
  });

  it('gives every symptom its own id', () => {
    const paths = tempState();
    const clock = fakeClock('2026-11-29T03:00:00', ZONE);
    const ids = new Set(
      Array.from({ length: 20 }, () => recordSymptom(paths, clock, ZONE, { kind: 'k', meta: {}, mode: 'act' }).id),
    );
    expect(ids.size).toBe(20);
  });

  it('refuses a kind that cannot name a flag file', () => {
    const clock = fakeClock('2026-11-29T03:00:00', ZONE);
    expect(() => recordSymptom(tempState(), clock, ZONE, { kind: '../x', meta: {}, mode: 'act' })).toThrow(
      /invalid kind/,
    );
  });

  it('reads a rolling 24 h window across midnight and day files', () => {
    const paths = tempState();
    const clock = fakeClock('2026-11-28T20:00:00', ZONE);
    const rec = (kind: string) => recordSymptom(paths, clock, ZONE, { kind, meta: {}, mode: 'act' });
    rec('old'); // 28th 20:00
    clock.advanceBy('3h');
    rec('before_midnight'); // 28th 23:00
    clock.advanceBy('2h');
    rec('after_midnight'); // 29th 01:00
    clock.advanceBy('20h'); // 29th 21:00: the window reaches back to 28th 21:00
    const got = readSymptoms(paths, ZONE, clock.now() - 24 * 3_600_000, clock.now(), () => {});
    expect(got.map((s) => s.kind)).toEqual(['before_midnight', 'after_midnight']);
  });

  it('treats a missing day file in the middle of the window as an empty day', () => {
    const paths = tempState();
    const clock = fakeClock('2026-11-27T12:00:00', ZONE);
    recordSymptom(paths, clock, ZONE, { kind: 'a', meta: {}, mode: 'act' });
    clock.advanceBy('2d'); // nothing on the 28th
    recordSymptom(paths, clock, ZONE, { kind: 'b', meta: {}, mode: 'act' });
    const warnings: string[] = [];
    const got = readSymptoms(paths, ZONE, clock.now() - 3 * 86_400_000, clock.now(), (m) => warnings.push(m));
    expect(got.map((s) => s.kind)).toEqual(['a', 'b']);
    expect(warnings).toEqual([]);
  });

  it('skips corrupt lines with one warning per file', () => {
    const paths = tempState();
    const clock = fakeClock('2026-11-29T03:00:00', ZONE);
    recordSymptom(paths, clock, ZONE, { kind: 'a', meta: {}, mode: 'act' });
    appendFileSync(paths.symptomsFile('20261129'), '{"torn": \nnot json either\n');
    recordSymptom(paths, clock, ZONE, { kind: 'b', meta: {}, mode: 'act' });
    const warnings: string[] = [];
    const got = readSymptoms(paths, ZONE, clock.now() - 3_600_000, clock.now(), (m) => warnings.push(m));
    expect(got.map((s) => s.kind)).toEqual(['a', 'b']);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/skipped 2 torn or corrupt lines/);
  });

  it('lists the local days a range touches, across a DST change', () => {
    const from = Date.UTC(2026, 2, 28, 12, 0, 0);
    expect(daysBetween(from, from + 2 * 86_400_000, ZONE)).toEqual(['20260328', '20260329', '20260330']);
  });
});
