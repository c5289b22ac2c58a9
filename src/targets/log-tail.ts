/**
 * Incremental reading of a log file that a child process appends to: each call returns the complete lines
 * written since the last call, with their 1-based line numbers in the file. A partial last line is held back
 * until its newline arrives (or `flush` is asked for, once the writer has exited).
 */
import { statSync } from 'node:fs';
import { open } from 'node:fs/promises';

export interface TailLine {
  line: string;
  lineNo: number;
}

export class LogTail {
  private offset: number;
  /** undefined until the lines before the start offset have been counted (lazily, on the first read) */
  private lineNo: number | undefined;
  private partial = '';

  /** Start at a byte offset (the file's size recorded before the writer started: earlier runs' lines are not ours). */
  constructor(
    readonly path: string,
    offset: number,
  ) {
    this.offset = offset;
    this.lineNo = offset === 0 ? 0 : undefined;
  }

  /** Start at the file's current end. */
  static fromEnd(path: string): LogTail {
    return new LogTail(path, fileSizeSync(path));
  }

  async read(flush = false): Promise<TailLine[]> {
    if (this.lineNo === undefined) this.lineNo = await countLines(this.path, this.offset);
    let text = '';
    try {
      const fh = await open(this.path, 'r');
      try {
        const { size } = await fh.stat();
        if (size < this.offset) {
          // Truncated or rotated under us: start over at its beginning.
          this.offset = 0;
          this.lineNo = 0;
          this.partial = '';
        }
        const length = size - this.offset;
        if (length > 0) {
          const buf = Buffer.alloc(length);
          const { bytesRead } = await fh.read(buf, 0, length, this.offset);
          this.offset += bytesRead;
          text = buf.subarray(0, bytesRead).toString('utf8');
        }
      } finally {
        await fh.close();
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const parts = (this.partial + text).split('\n');
    this.partial = parts.pop() ?? '';
    if (flush && this.partial !== '') {
      parts.push(this.partial);
      this.partial = '';
    }
    let n = this.lineNo ?? 0;
    const out = parts.map((line) => ({ line: line.replace(/\r$/, ''), lineNo: ++n }));
    this.lineNo = n;
    return out;
  }
}

export function fileSizeSync(path: string): number {
  try {
    return statSync(path).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
}

async function countLines(path: string, upTo: number): Promise<number> {
  if (upTo === 0) return 0;
  let fh: Awaited<ReturnType<typeof open>>;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
  try {
    let count = 0;
    const buf = Buffer.alloc(64 * 1024);
    let pos = 0;
    while (pos < upTo) {
      const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, upTo - pos), pos);
      if (bytesRead === 0) break;
      for (let i = 0; i < bytesRead; i++) if (buf[i] === 0x0a) count++;
      pos += bytesRead;
    }
    return count;
  } finally {
    await fh.close();
  }
}
