import { describe, expect, it } from 'vitest';
import { extractJson, numbersIn, runCheck, validateCheck } from './checks.js';

describe('answer checks', () => {
  it('number finds the expected value among the numbers of a sentence', () => {
    expect(runCheck({ type: 'number', value: 42 }, 'The answer is 42.').passed).toBe(true);
    expect(runCheck({ type: 'number', value: 42 }, 'The answer is 43.')).toEqual({
      passed: false,
      reason: 'expected the number 42, found 43',
    });
  });

  it('number reads thousands separators and negatives', () => {
    expect(numbersIn('from -3 to 1,024 and 2.5')).toEqual([-3, 1024, 2.5]);
  });

  it('exact ignores surrounding whitespace only', () => {
    expect(runCheck({ type: 'exact', value: 'OK' }, '  OK\n').passed).toBe(true);
    expect(runCheck({ type: 'exact', value: 'OK' }, 'OK.').passed).toBe(false);
  });

  it('contains is case-sensitive and needs the whole expected text', () => {
    expect(runCheck({ type: 'contains', value: 'lazy dog.' }, 'the lazy dog.').passed).toBe(true);
    expect(runCheck({ type: 'contains', value: 'lazy dog.' }, 'the lazy dog').passed).toBe(false);
  });

  it('regex matches anywhere in the answer', () => {
    expect(runCheck({ type: 'regex', value: '\\d{4}-\\d{2}' }, 'on 2026-03 we').passed).toBe(true);
  });

  it('json_keys accepts JSON wrapped in a code fence and names missing keys', () => {
    expect(runCheck({ type: 'json_keys', value: ['a', 'b'] }, '```json\n{"a":1,"b":2}\n```').passed).toBe(true);
    expect(runCheck({ type: 'json_keys', value: ['a', 'b', 'c'] }, '{"a":1,"b":2}')).toEqual({
      passed: false,
      reason: 'missing keys: c',
    });
  });

  it('extractJson reports an answer that carries no JSON', () => {
    expect(extractJson('no json here').ok).toBe(false);
  });

  it('an invalid regex is reported before the run', () => {
    expect(validateCheck({ type: 'regex', value: '(' })).toMatch(/invalid regex/);
  });
});
