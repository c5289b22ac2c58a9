/**
 * Durable file primitives. Whole files: temp file in the same directory, fsync, rename, fsync the directory —
 * a crash at any point leaves either the old file or the new one, never a partial one.
 * JSONL: one `write` of a whole line, then fsync. Readers skip a torn or corrupt line with one warning.
 */
import {
  closeSync,
  existsSync,
  fstatSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';

let tempCounter = 0;

/** Test seam: called after the temp file is durable and before the rename. A crash here must leave no partial file. */
export const atomicHooks: { beforeRename?: (tempPath: string, finalPath: string) => void } = {};

export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true });
  const temp = join(dir, `.${basename(path)}.${process.pid}.${++tempCounter}.tmp`);
  const fd = openSync(temp, 'w', 0o644);
  try {
    writeSync(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    atomicHooks.beforeRename?.(temp, path);
    renameSync(temp, path);
  } catch (err) {
    rmSync(temp, { force: true });
    throw err;
  }
  fsyncDir(dir);
}

export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}

function fsyncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Some filesystems refuse fsync on a directory; the rename itself is still atomic there.
  }
}

/** Append one record as one whole line with one write, then fsync. */
export function appendJsonl(path: string, record: unknown): void {
  appendJsonlBatch(path, [record]);
}

/**
 * Append many records with one write and one fsync (per-request samples: thousands of lines per night, where
 * an fsync per line would cost seconds). A crash mid-write tears at most the tail, which readers skip.
 */
export function appendJsonlBatch(path: string, records: readonly unknown[]): void {
  if (records.length === 0) return;
  mkdirSync(dirname(path), { recursive: true });
  const line = Buffer.from(records.map((r) => `${JSON.stringify(r)}\n`).join(''), 'utf8');
  const fd = openSync(path, 'a', 0o644);
  try {
    // A previous writer may have died mid-line: start ours on a fresh line so only the torn one is lost.
    const needsNewline = tornTail(path);
    writeSync(fd, needsNewline ? Buffer.concat([Buffer.from('\n'), line]) : line);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function tornTail(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size === 0) return false;
    const last = Buffer.alloc(1);
    readSync(fd, last, 0, 1, size - 1);
    return last[0] !== 0x0a;
  } finally {
    closeSync(fd);
  }
}

export type Warn = (message: string) => void;

const defaultWarn: Warn = (message) => process.stderr.write(`nightshift: warning: ${message}\n`);

/**
 * Read every parseable record of a JSONL file; a torn or corrupt line is skipped and reported once per file
 * read (one warning naming the file and the line numbers). A missing file is an empty ledger.
 */
export function readJsonl<T = unknown>(path: string, warn: Warn = defaultWarn): T[] {
  if (!existsSync(path)) return [];
  const text = readFileSync(path, 'utf8');
  const out: T[] = [];
  const bad: number[] = [];
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      out.push(JSON.parse(line) as T);
    } catch {
      bad.push(i + 1);
    }
  });
  if (bad.length > 0) {
    warn(`${path}: skipped ${bad.length} torn or corrupt line${bad.length > 1 ? 's' : ''} (line ${bad.join(', ')})`);
  }
  return out;
}

export function readJson<T = unknown>(path: string): T | undefined {
  if (!existsSync(path)) return undefined;
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}
