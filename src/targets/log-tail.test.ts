import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LogTail } from './log-tail.js';

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));
const file = () => {
  dir = mkdtempSync(join(tmpdir(), 'nightshift-tail-'));
  return join(dir, 'engine.log');
};

describe('log tail', () => {
  it('returns only lines written after its start, numbered as in the file', async () => {
    const path = file();
    writeFileSync(path, 'old 1\nold 2\n');
    const tail = LogTail.fromEnd(path);
    appendFileSync(path, 'new 3\n');
    expect(await tail.read()).toEqual([{ line: 'new 3', lineNo: 3 }]);
  });

  it('holds back a partial line until its newline arrives', async () => {
    const path = file();
    const tail = new LogTail(path, 0);
    appendFileSync(path, 'ValueError: No avail');
    expect(await tail.read()).toEqual([]);
    appendFileSync(path, 'able memory\n');
    expect(await tail.read()).toEqual([{ line: 'ValueError: No available memory', lineNo: 1 }]);
  });

  it('hands out a partial last line when flushed', async () => {
    const path = file();
    const tail = new LogTail(path, 0);
    appendFileSync(path, 'last words');
    expect(await tail.read(true)).toEqual([{ line: 'last words', lineNo: 1 }]);
  });

  it('reads nothing from a file that does not exist yet', async () => {
    expect(await new LogTail(join(file(), 'missing'), 0).read()).toEqual([]);
  });
});
