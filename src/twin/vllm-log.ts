/**
 * Log lines in vLLM's own format, so the loop's log parsers read the twin and a real vLLM alike:
 *   `(EngineCore_DP0 pid=4242) INFO 11-29 14:01:18 [gpu_worker.py:276] Available KV cache memory: 9.37 GiB`
 *   `(APIServer pid=4242) INFO 11-29 14:01:20 [api_server.py:1880] Starting vLLM API server 0 on http://...`
 * Lines go to stdout (errors and tracebacks to stderr) and, with --log FILE, are appended to FILE too.
 * The wall-clock stamp comes from an injected clock (local time, like Python's logging).
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

export type Level = 'INFO' | 'WARNING' | 'ERROR' | 'DEBUG';
export type Source = 'engine' | 'api' | 'none';

export interface VllmLog {
  line(level: Level, where: string, message: string, source?: Source): void;
  /** raw lines (tracebacks, the final RuntimeError) on stderr */
  raw(text: string): void;
  /** raw lines on stdout (uvicorn's own `INFO:     ...` lines) */
  out(text: string): void;
  close(): void;
}

// Intl formats an epoch number directly (local zone, like Python's logging); no luxon on the startup path.
const STAMP = new Intl.DateTimeFormat('en-GB', {
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
});

export function formatStamp(epochMs: number): string {
  const p: Record<string, string> = {};
  for (const part of STAMP.formatToParts(epochMs)) p[part.type] = part.value;
  return `${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}`;
}

export function formatLine(
  level: Level,
  where: string,
  message: string,
  epochMs: number,
  pid: number,
  source: Source,
): string {
  const stamp = formatStamp(epochMs);
  const prefix =
    source === 'engine' ? `(EngineCore_DP0 pid=${pid}) ` : source === 'api' ? `(APIServer pid=${pid}) ` : '';
  return `${prefix}${level} ${stamp} [${where}] ${message}`;
}

export function createVllmLog(opts: {
  now: () => number;
  pid: number;
  file?: string;
  stdout?: (s: string) => void;
  stderr?: (s: string) => void;
}): VllmLog {
  const stdout = opts.stdout ?? ((s: string) => process.stdout.write(s));
  const stderr = opts.stderr ?? ((s: string) => process.stderr.write(s));
  let fd: number | undefined;
  if (opts.file) {
    mkdirSync(dirname(opts.file), { recursive: true });
    fd = openSync(opts.file, 'a');
  }
  const toFile = (s: string) => {
    if (fd !== undefined) writeSync(fd, s);
  };
  return {
    line(level, where, message, source = 'engine') {
      const text = `${formatLine(level, where, message, opts.now(), opts.pid, source)}\n`;
      if (level === 'ERROR') stderr(text);
      else stdout(text);
      toFile(text);
    },
    raw(text) {
      const t = text.endsWith('\n') ? text : `${text}\n`;
      stderr(t);
      toFile(t);
    },
    out(text) {
      const t = text.endsWith('\n') ? text : `${text}\n`;
      stdout(t);
      toFile(t);
    },
    close() {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    },
  };
}
