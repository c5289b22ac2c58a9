import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LogSourceError, logSize, readJournal, readLogSince } from '../../src/probe/logsource.js';
import { scanLog } from '../../src/probe/signatures.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempLog(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'ns-log-'));
  dirs.push(dir);
  const path = join(dir, 'engine.log');
  writeFileSync(path, text);
  return path;
}
const OOM = 'E llama_kv_cache_init: failed to allocate buffer for kv cache\n';

describe('readLogSince', () => {
  it('returns only what was written after the recorded size', () => {
    const path = tempLog(OOM);
    const start = logSize(path);
    appendFileSync(path, 'srv  update_slots: all slots are idle\n');
    const { text, endOffset } = readLogSince(path, start);
    expect(text).toBe('srv  update_slots: all slots are idle\n');
    expect(endOffset).toBe(logSize(path));
    expect(scanLog(text)).toEqual([]);
  });

  it('reads the whole file when it shrank (rotated or truncated)', () => {
    const path = tempLog(`${'a long first generation of the log, longer than what replaces it '.repeat(3)}\n`);
    const start = logSize(path);
    writeFileSync(path, OOM);
    expect(readLogSince(path, start).text).toBe(OOM);
  });

  it('treats a missing file as no text yet', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ns-log-'));
    dirs.push(dir);
    expect(readLogSince(join(dir, 'absent.log'), 0)).toEqual({ text: '', endOffset: 0 });
    expect(logSize(join(dir, 'absent.log'))).toBe(0);
  });
});

describe('readJournal', () => {
  it('refuses something that is not a unit name before running anything', async () => {
    await expect(readJournal('vllm; rm -rf /', 0)).rejects.toBeInstanceOf(LogSourceError);
  });

  it('says clearly when journalctl is missing', async () => {
    const saved = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      await expect(readJournal('vllm.service', 0)).rejects.toThrow(/journalctl not found/);
    } finally {
      process.env.PATH = saved;
    }
  });
});
