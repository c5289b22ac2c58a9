/**
 * Log evidence: which lines of an engine's log (or journal, or kernel log) say it ran out of memory, was
 * preempted, or died. Pure: text in, evidence out (reading files and journald lives in probe/logsource.ts).
 *
 * Real logs are messy, so the matching is deliberately loose about everything around the message:
 * - prefixes: journald (`May 15 23:09:30 host unit[pid]: `), docker compose (`vllm-1  | `), CI (`[2025-…Z] `),
 *   Ray / multiprocess (`(EngineCore_DP0 pid=123) `, `[rank0]: `), kubectl boxes (`│ `), tqdm bars glued to the
 *   front of a line; ANSI colour codes are removed before matching;
 * - one event per incident: a Python traceback repeats the same failure on several lines (the `raise` source
 *   line, the `ValueError:` line, the API server's re-raise), so matches of the same kind within
 *   MERGE_LINES lines and MERGE_MS of each other are one event. Preemptions are never merged: each warning is one;
 * - terminal-wrapped lines: a line that does not match on its own is retried joined with the next line when
 *   that one looks like a continuation (no log header of its own);
 * - older wordings: V0's "The model's max seq len (N) is larger than the maximum number of tokens that can be
 *   stored in KV cache (M)", V1's "models's max seq len" (sic), V0 preemption warnings.
 * And healthy logs are full of harmless lines with "memory", "KV cache", "OOM'ed" or even "ERROR" (rejected
 * requests): each signature below names the specific failure, never a bare keyword.
 */
import { DateTime } from 'luxon';
import type { Evidence, EvidenceSource } from '../core/types.js';

export type EvidenceKind =
  | 'startup_oom_kv_capacity'
  | 'startup_oom_no_blocks'
  | 'startup_oom_free_memory'
  | 'runtime_oom'
  | 'preemption'
  | 'engine_dead'
  | 'kernel_oom';

export const EVIDENCE_KINDS: readonly EvidenceKind[] = [
  'startup_oom_kv_capacity',
  'startup_oom_no_blocks',
  'startup_oom_free_memory',
  'runtime_oom',
  'preemption',
  'engine_dead',
  'kernel_oom',
];

/** Kinds that mean "out of memory" (counted as oom_events by PHASE). */
export const OOM_KINDS: ReadonlySet<string> = new Set<EvidenceKind>([
  'startup_oom_kv_capacity',
  'startup_oom_no_blocks',
  'startup_oom_free_memory',
  'runtime_oom',
  'kernel_oom',
]);

interface Signature {
  kind: EvidenceKind;
  /** any of these, tested on the ANSI-free line */
  patterns: RegExp[];
}

/** In order of specificity: a line may carry several (MQEngineDeadError quoting an OutOfMemoryError). */
const SIGNATURES: Signature[] = [
  {
    kind: 'startup_oom_kv_capacity',
    patterns: [
      // V1: "To serve at least one request with the models's max seq len (131072), (16.00 GiB KV cache is needed,
      // which is larger than the available KV cache memory (0.71 GiB). Based on the available memory, the
      // estimated maximum model length is 5632."
      /To serve at least one request with the models?'?s max seq len/,
      /larger than the available KV cache memory/,
      // V0: "The model's max seq len (8192) is larger than the maximum number of tokens that can be stored in
      // KV cache (2400)."
      /is larger than the maximum number of tokens that can be stored in KV cache/,
    ],
  },
  { kind: 'startup_oom_no_blocks', patterns: [/No available memory for the cache blocks/] },
  {
    kind: 'startup_oom_free_memory',
    patterns: [
      /less than desired GPU memory utili[sz]ation/,
      /Free memory on device \([\d.]+\/[\d.]+ GiB\) on startup/,
    ],
  },
  { kind: 'kernel_oom', patterns: [/Out of memory: Killed process \d+/i] },
  {
    kind: 'runtime_oom',
    patterns: [
      /torch\.(?:cuda\.)?OutOfMemoryError/,
      /\bCUDA out of memory\b/,
      /\bCUDA error: out of memory\b/,
      /\bHIP out of memory\b/,
      /failed to allocate buffer for kv cache/,
      /cudaMalloc failed: out of memory/,
    ],
  },
  {
    kind: 'preemption',
    patterns: [
      // V0 scheduler warning; V1 logs no line per preemption (the vllm:num_preemptions_total counter is the
      // source there), but the wording proposed for it (vllm PR #42827) is recognized too.
      /is preempted by PreemptionMode\.(?:RECOMPUTE|SWAP)/,
      /\bPreempting request \S+: \d+ computed tokens lost/,
    ],
  },
  {
    kind: 'engine_dead',
    patterns: [
      /EngineDeadError/, // V1 EngineDeadError, V0 MQEngineDeadError / AsyncEngineDeadError
      /Engine core initialization failed/,
      /EngineCore failed to start/,
      /EngineCore encountered a fatal error/,
      /Engine loop is not running/,
      /\bdied unexpectedly\b/,
      /exiting due to model loading error/, // llama-server
    ],
  },
];

/** Matches of one kind this close together are one incident (one traceback, one crash). */
export const MERGE_LINES = 60;
export const MERGE_MS = 5000;
const MAX_LINE_CHARS = 2000;

/** ANSI colour (CSI) and title (OSC) sequences: they start with ESC. */
const ANSI = /\u001b\[[0-9;?]*[ -/]*[@-~]|\u001b\][^\u0007]*\u0007/g;

export function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}

function clean(line: string): string {
  const s = stripAnsi(line).replace(/\r/g, '').trim();
  return s.length > MAX_LINE_CHARS ? `${s.slice(0, MAX_LINE_CHARS - 3)}...` : s;
}

function extractMaxLen(text: string): number | undefined {
  const v1 = /estimated maximum model length is (\d+)/.exec(text);
  if (v1) return Number(v1[1]);
  const v0 = /stored in KV cache \((\d+)\)/.exec(text);
  if (v0) return Number(v0[1]);
  return undefined;
}

/** Every kind a line shows (usually none or one). */
export function classifyLineAll(line: string, source: EvidenceSource = 'log'): Evidence[] {
  const text = stripAnsi(line);
  const out: Evidence[] = [];
  for (const sig of SIGNATURES) {
    if (!sig.patterns.some((p) => p.test(text))) continue;
    const ev: Evidence = { source: sig.kind === 'kernel_oom' ? 'kernel' : source, kind: sig.kind, line: clean(line) };
    if (sig.kind === 'startup_oom_kv_capacity') {
      const len = extractMaxLen(text);
      if (len !== undefined) ev.estimatedMaxModelLen = len;
    }
    out.push(ev);
  }
  return out;
}

/** The most specific kind a line shows, or undefined for a harmless line. */
export function classifyLine(line: string, source: EvidenceSource = 'log'): Evidence | undefined {
  return classifyLineAll(line, source)[0];
}

// ---------------------------------------------------------------- timestamps

export interface TimeContext {
  /** year for formats without one (vLLM's `INFO 11-29 14:01:18`, journald's `Nov 29 14:01:18`) */
  year?: number;
  /** IANA zone for times written without an offset (default: the system zone, as the engine wrote them) */
  zone?: string;
}

const MONTHS: Record<string, number> = {
  Jan: 1,
  Feb: 2,
  Mar: 3,
  Apr: 4,
  May: 5,
  Jun: 6,
  Jul: 7,
  Aug: 8,
  Sep: 9,
  Oct: 10,
  Nov: 11,
  Dec: 12,
};

// ISO-ish: docker/CI/journald short-iso/dmesg --time-format iso/lm-eval's "2024-11-26:14:42:58,536".
const ISO = /(\d{4})-(\d{2})-(\d{2})[T :](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?/;
// journald `-o short` (syslog) at the start of the line: "May 15 23:09:30 host ident[pid]: ".
const SYSLOG = /^([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d{2}):(\d{2}):(\d{2}) /;
// vLLM's logger: "INFO 11-29 14:01:18 " (optionally followed by "[file.py:12]"), anywhere in the line.
const VLLM = /(?:DEBUG|INFO|WARNING|WARN|ERROR|CRITICAL) (\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})\b/;

function toMs(
  parts: { year: number; month: number; day: number; hour: number; minute: number; second: number; ms?: number },
  zone: string | undefined,
): number | undefined {
  const { ms, ...rest } = parts;
  const dt = DateTime.fromObject({ ...rest, millisecond: ms ?? 0 }, zone ? { zone } : {});
  return dt.isValid ? dt.toMillis() : undefined;
}

/** Epoch ms of the first timestamp on the line, or undefined. Formats with a year win over those without. */
export function parseLineTime(line: string, ctx: TimeContext = {}): number | undefined {
  const iso = ISO.exec(line);
  if (iso) {
    const [, y, mo, d, h, mi, s, frac, off] = iso;
    const ms = frac ? Math.floor(Number(`0.${frac}`) * 1000) : 0;
    let zone = ctx.zone;
    if (off) zone = off === 'Z' ? 'utc' : `UTC${off.length === 5 ? `${off.slice(0, 3)}:${off.slice(3)}` : off}`;
    const t = toMs(
      {
        year: Number(y),
        month: Number(mo),
        day: Number(d),
        hour: Number(h),
        minute: Number(mi),
        second: Number(s),
        ms,
      },
      zone,
    );
    if (t !== undefined) return t;
  }
  if (ctx.year === undefined) return undefined;
  const sys = SYSLOG.exec(line);
  if (sys) {
    const month = MONTHS[sys[1] as string];
    if (month !== undefined) {
      return toMs(
        {
          year: ctx.year,
          month,
          day: Number(sys[2]),
          hour: Number(sys[3]),
          minute: Number(sys[4]),
          second: Number(sys[5]),
        },
        ctx.zone,
      );
    }
  }
  const v = VLLM.exec(line);
  if (v) {
    return toMs(
      {
        year: ctx.year,
        month: Number(v[1]),
        day: Number(v[2]),
        hour: Number(v[3]),
        minute: Number(v[4]),
        second: Number(v[5]),
      },
      ctx.zone,
    );
  }
  return undefined;
}

// ---------------------------------------------------------------- scanning

export interface ScanOptions extends TimeContext {
  /** keep only events at or after this epoch ms */
  sinceMs?: number;
  /** keep only events at or before this epoch ms */
  untilMs?: number;
  /** the source recorded in the evidence (default "log"; "journal" for journalctl output) */
  source?: EvidenceSource;
  /**
   * With a window, events whose time is unknown (no timestamp seen yet in the text) are dropped, since the
   * issue's rule is "only lines with timestamps inside this run count". Set this to keep them — for text the
   * caller already scoped to the run (readLogSince) from engines that write no times (llama-server).
   */
  keepUntimed?: boolean;
}

/** A log header at the start of a line: then it is a record of its own, not the continuation of a wrapped one. */
const HEADER =
  /^(?:\(\S+ pid=\d+\)|\[\S+\]|[A-Z][a-z]{2} +\d{1,2} \d{2}:|\d{4}-\d{2}-\d{2}|(?:DEBUG|INFO|WARNING|ERROR|CRITICAL)\b|Traceback|File "|\S+\s+\|)/;

function isContinuation(next: string | undefined): boolean {
  if (next === undefined) return false;
  const t = stripAnsi(next).trim();
  return t.length > 0 && !HEADER.test(t);
}

/**
 * Every event in a log text, one per incident, in order, each with its 1-based line number. Lines without a
 * timestamp take the last one seen above them (tracebacks, wrapped lines).
 */
export function scanLog(text: string, opts: ScanOptions = {}): Evidence[] {
  const lines = text.split(/\r?\n/);
  const source = opts.source ?? 'log';
  const windowed = opts.sinceMs !== undefined || opts.untilMs !== undefined;
  const events: Evidence[] = [];
  const last = new Map<string, Evidence>();
  let lastTime: number | undefined;

  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] as string;
    if (raw.length === 0) continue;
    const t = parseLineTime(raw, opts);
    if (t !== undefined) lastTime = t;
    let found = classifyLineAll(raw, source);
    const next = lines[i + 1];
    if (isContinuation(next)) {
      const joined = `${stripAnsi(raw).trimEnd()} ${stripAnsi(next as string).trim()}`;
      // Only when neither line matches alone: otherwise the next line reports its own event.
      if (found.length === 0 && classifyLineAll(next as string).length === 0) found = classifyLineAll(joined, source);
      for (const ev of found) {
        if (ev.kind === 'startup_oom_kv_capacity' && ev.estimatedMaxModelLen === undefined) {
          const len = extractMaxLen(joined);
          if (len !== undefined) ev.estimatedMaxModelLen = len;
        }
      }
    }
    for (const ev of found) {
      ev.lineNo = i + 1;
      if (lastTime !== undefined) ev.at = lastTime;
      const kind = ev.kind as string;
      const prev = last.get(kind);
      if (prev && kind !== 'preemption' && sameIncident(prev, ev)) {
        improve(prev, ev);
        continue;
      }
      last.set(kind, ev);
      events.push(ev);
    }
  }
  if (!windowed) return events;
  return events.filter((ev) => {
    if (ev.at === undefined) return opts.keepUntimed === true;
    if (opts.sinceMs !== undefined && ev.at < opts.sinceMs) return false;
    if (opts.untilMs !== undefined && ev.at > opts.untilMs) return false;
    return true;
  });
}

function sameIncident(prev: Evidence, ev: Evidence): boolean {
  if ((ev.lineNo ?? 0) - (prev.lineNo ?? 0) > MERGE_LINES) return false;
  if (prev.at !== undefined && ev.at !== undefined && Math.abs(ev.at - prev.at) > MERGE_MS) return false;
  return true;
}

/** Keep the most telling line of an incident: the error message rather than the `raise` source line. */
function improve(kept: Evidence, ev: Evidence): void {
  if (kept.estimatedMaxModelLen === undefined && ev.estimatedMaxModelLen !== undefined) {
    kept.estimatedMaxModelLen = ev.estimatedMaxModelLen;
  }
  const isSource = (line: string) => /\braise \w+\(/.test(line) || /^\s*"/.test(line);
  if (isSource(kept.line) && !isSource(ev.line)) {
    kept.line = ev.line;
    if (ev.lineNo !== undefined) kept.lineNo = ev.lineNo;
  }
}

/** Count events by kind. */
export function countByKind(events: readonly Evidence[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const ev of events) {
    const k = ev.kind ?? 'unknown';
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}
