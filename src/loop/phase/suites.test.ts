import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/support/state.js';
import { loadSuite, parseSuite, SuiteError } from './suites.js';

describe('prompt suites', () => {
  it('reads a YAML list with shorthand checks', () => {
    const cases = parseSuite(
      'geo',
      'geo.yaml',
      '- prompt: "Capital of France?"\n  contains: Paris\n- { prompt: "2+2?", number: 4, max_tokens: 4 }\n',
    );
    expect(cases).toEqual([
      { id: 'geo-1', prompt: 'Capital of France?', check: { type: 'contains', value: 'Paris' } },
      { id: 'geo-2', prompt: '2+2?', check: { type: 'number', value: 4 }, max_tokens: 4 },
    ]);
  });

  it('reads a YAML mapping of cases with check + expected', () => {
    const cases = parseSuite('t', 't.yml', 'cases:\n  - { id: ok, prompt: "Reply OK", check: exact, expected: OK }\n');
    expect(cases[0]).toEqual({ id: 'ok', prompt: 'Reply OK', check: { type: 'exact', value: 'OK' } });
  });

  it('reads JSONL, one case per line', () => {
    const cases = parseSuite(
      'j',
      'j.jsonl',
      '{"prompt":"What is 17+25?","number":42}\n\n{"prompt":"x","regex":"^a"}\n',
    );
    expect(cases.map((c) => c.check.type)).toEqual(['number', 'regex']);
  });

  it('names the file line of a case without a check', () => {
    expect(() => parseSuite('j', 'j.jsonl', '{"prompt":"a","number":1}\n{"prompt":"b"}\n')).toThrow(
      /suite j: no expected check.*\(j\.jsonl:2\)/,
    );
  });

  it('refuses a case with two checks, an unknown field, or a bad regex', () => {
    expect(() => parseSuite('s', 's.yaml', '- { prompt: a, exact: x, contains: y }')).toThrow(/more than one check/);
    expect(() => parseSuite('s', 's.yaml', '- { prompt: a, exact: x, colour: red }')).toThrow(SuiteError);
    expect(() => parseSuite('s', 's.yaml', '- { prompt: a, regex: "(" }')).toThrow(/invalid regex/);
  });

  it('becomes a domain named suite:<name>, its file relative to the config directory', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'math.jsonl'), '{"prompt":"What is 1+1?","number":2}\n');
    const d = loadSuite({ name: 'math', file: 'math.jsonl' }, dir);
    expect(d.name).toBe('suite:math');
  });

  it('a missing file is a usage error naming it', () => {
    expect(() => loadSuite({ name: 'gone', file: 'nope.yaml' }, tempDir())).toThrow(
      /suite gone: cannot read the file: ENOENT/,
    );
  });
});
