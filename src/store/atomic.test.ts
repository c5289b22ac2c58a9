import { appendFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/support/state.js';
import { appendJsonl, appendJsonlBatch, atomicHooks, readJsonl, writeFileAtomic, writeJsonAtomic } from './atomic.js';

afterEach(() => {
  atomicHooks.beforeRename = undefined;
});

describe('atomic whole-file writes', () => {
  it('replaces the file content in one step', () => {
    const file = join(tempDir(), 'a', 'flag.json');
    writeJsonAtomic(file, { v: 1 });
    writeJsonAtomic(file, { v: 2 });
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ v: 2 });
  });

  it('leaves the old file whole when the writer dies between temp write and rename', () => {
    const dir = tempDir();
    const file = join(dir, 'promotion.json');
    writeJsonAtomic(file, { state: 'provisional' });
    atomicHooks.beforeRename = () => {
      throw new Error('simulated crash before rename');
    };
    expect(() => writeJsonAtomic(file, { state: 'validated', padding: 'x'.repeat(10_000) })).toThrow(/simulated crash/);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ state: 'provisional' });
    expect(readdirSync(dir)).toEqual(['promotion.json']);
  });

  it('never shows a partial new file when the writer dies before the first rename', () => {
    const dir = tempDir();
    const file = join(dir, 'new.json');
    atomicHooks.beforeRename = () => {
      throw new Error('crash');
    };
    expect(() => writeFileAtomic(file, 'data')).toThrow();
    expect(existsSync(file)).toBe(false);
  });
});

describe('JSONL ledgers', () => {
  it('appends whole lines that read back in order', () => {
    const file = join(tempDir(), 'cycles.jsonl');
    appendJsonl(file, { n: 1 });
    appendJsonl(file, { n: 2 });
    expect(readJsonl(file)).toEqual([{ n: 1 }, { n: 2 }]);
  });

  it('skips a torn tail with one warning and keeps the whole records', () => {
    const file = join(tempDir(), 'symptoms.jsonl');
    appendJsonl(file, { n: 1 });
    appendFileSync(file, '{"n": 2, "kind": "lat');
    const warnings: string[] = [];
    expect(readJsonl(file, (m) => warnings.push(m))).toEqual([{ n: 1 }]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/skipped 1 torn or corrupt line \(line 2\)/);
  });

  it('starts the next append on a fresh line after a torn tail, losing only the torn record', () => {
    const file = join(tempDir(), 'runs.jsonl');
    writeFileSync(file, '{"n":1}\n{"n":');
    appendJsonl(file, { n: 3 });
    const warnings: string[] = [];
    expect(readJsonl(file, (m) => warnings.push(m))).toEqual([{ n: 1 }, { n: 3 }]);
    expect(warnings).toHaveLength(1);
  });

  it('reads a missing ledger as empty', () => {
    expect(readJsonl(join(tempDir(), 'none.jsonl'))).toEqual([]);
  });
});

describe('batched JSONL appends', () => {
  it('writes every record as its own line in order', () => {
    const file = join(tempDir(), 'samples.jsonl');
    appendJsonlBatch(file, [{ i: 1 }, { i: 2 }]);
    appendJsonlBatch(file, []);
    appendJsonlBatch(file, [{ i: 3 }]);
    expect(readJsonl(file)).toEqual([{ i: 1 }, { i: 2 }, { i: 3 }]);
  });
});
