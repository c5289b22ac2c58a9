import { describe, expect, it } from 'vitest';
import { cycleNotes } from './history.js';

const quiet = { validation: [], paused_before: null, recovery: null, errors: [] as string[] };

describe('cycleNotes', () => {
  it('a quiet night has no notes', () => expect(cycleNotes(quiet)).toBe('-'));
  it('names the validation outcomes', () =>
    expect(cycleNotes({ ...quiet, validation: [{ promotion_id: 'promo_1', outcome: 'validated', reason: 'r' }] })).toBe(
      'promo_1:validated',
    ));
  it('says where a paused night stopped', () =>
    expect(cycleNotes({ ...quiet, paused_before: 'production' })).toBe('paused at production'));
  it('says why a night with a failed step is degraded, shortened, with the count of the rest', () => {
    const notes = cycleNotes({
      ...quiet,
      errors: ['interrupted at analysis: interrupted by SIGTERM', `phase: ${'x'.repeat(100)}`],
    });
    expect(notes).toBe('interrupted at analysis: interrupted by SIGTERM (+1 more)');
    expect(cycleNotes({ ...quiet, errors: [`phase: ${'x'.repeat(100)}`] })).toHaveLength(60);
  });
});
