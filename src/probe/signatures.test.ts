import { describe, expect, it } from 'vitest';
import { classifyLine, parseLineTime, scanLog } from './signatures.js';

const utc = (iso: string) => Date.parse(iso);
const RUNTIME_OOM =
  'torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 50.00 MiB. GPU 0 has a total capacity of 23.56 GiB';

describe('classifyLine', () => {
  it('ignores ANSI colours around a known message', () => {
    const ev = classifyLine(`\u001b[1;31mERROR\u001b[0m 05-01 14:39:06 [core.py:1131] ${RUNTIME_OOM}`);
    expect(ev).toMatchObject({ kind: 'runtime_oom', source: 'log' });
    expect(ev?.line).not.toContain('\u001b');
  });

  it('reads the estimated max model length of the V1 KV capacity error', () => {
    const line =
      "ValueError: To serve at least one request with the models's max seq len (131072), (16.00 GiB KV cache is needed, which is larger than the available KV cache memory (9.21 GiB). Based on the available memory, the estimated maximum model length is 75440. Try increasing `gpu_memory_utilization` or decreasing `max_model_len` when initializing the engine.";
    expect(classifyLine(line)).toMatchObject({ kind: 'startup_oom_kv_capacity', estimatedMaxModelLen: 75440 });
  });

  it('marks a kernel OOM kill as kernel evidence', () => {
    expect(classifyLine('[  518.05] Out of memory: Killed process 15784 (python3) total-vm:11964kB')).toMatchObject({
      kind: 'kernel_oom',
      source: 'kernel',
    });
  });

  it('finds nothing in harmless lines that mention memory, OOM or errors', () => {
    for (const line of [
      'INFO 03-21 20:15:45 [worker.py:267] Memory profiling takes 34.26 seconds',
      "If OOM'ed, check the difference of initial free memory between the current run and the previous run",
      'INFO 01-11 03:46:41 [shm_broadcast.py:542] No available shared memory broadcast block found in 60 seconds.',
      "ValueError: This model's maximum context length is 2048 tokens. However, you requested 2054 tokens",
      'ERROR 07-22 08:51:06 [serving_completion.py:131] Error in preprocessing prompt inputs',
      'GPU KV cache usage: 99.9%, CPU KV cache usage: 0.0%.',
    ]) {
      expect(classifyLine(line), line).toBeUndefined();
    }
  });
});

describe('parseLineTime', () => {
  it("reads vLLM's month-day stamp with the given year and zone", () => {
    expect(parseLineTime('INFO 11-29 14:01:18 [api_server.py:1] x', { year: 2026, zone: 'utc' })).toBe(
      utc('2026-11-29T14:01:18Z'),
    );
    expect(parseLineTime('INFO 11-29 14:01:18 [api_server.py:1] x', { year: 2026, zone: 'Europe/Berlin' })).toBe(
      utc('2026-11-29T13:01:18Z'),
    );
  });

  it('needs a year for stamps written without one', () => {
    expect(parseLineTime('INFO 11-29 14:01:18 x')).toBeUndefined();
  });

  it('reads ISO stamps with their offset, as docker, CI and journald short-iso write them', () => {
    expect(parseLineTime('2024-06-28T06:11:52.685300953Z (LLMRayActor pid=1) INFO 06-28 06:11:45 x')).toBe(
      utc('2024-06-28T06:11:52.685Z'),
    );
    expect(parseLineTime('2026-11-29T14:01:18+0100 gpu01 vllm[42]: INFO x')).toBe(utc('2026-11-29T13:01:18Z'));
  });

  it('reads the journald short format at the start of a line', () => {
    expect(parseLineTime('May 15 23:09:30 host kernel: [ 518.05] x', { year: 2025, zone: 'utc' })).toBe(
      utc('2025-05-15T23:09:30Z'),
    );
  });
});

describe('scanLog', () => {
  it('counts one event per traceback, not per line', () => {
    const text = [
      '(EngineCore_DP0 pid=7) ERROR 10-25 13:08:43 [core.py:708]     raise ValueError("No available memory for the cache blocks. "',
      '(EngineCore_DP0 pid=7) ERROR 10-25 13:08:43 [core.py:708] ValueError: No available memory for the cache blocks. Try increasing `gpu_memory_utilization` when initializing the engine.',
    ].join('\n');
    const events = scanLog(text, { year: 2025, zone: 'utc' });
    expect(events).toHaveLength(1);
    // the message line, not the raise source line, is kept as evidence
    expect(events[0]).toMatchObject({ kind: 'startup_oom_no_blocks', lineNo: 2 });
  });

  it('counts two incidents far apart as two events', () => {
    const text = [
      `ERROR 05-01 14:39:06 [core.py:1] ${RUNTIME_OOM}`,
      `ERROR 05-01 15:39:06 [core.py:1] ${RUNTIME_OOM}`,
    ].join('\n');
    expect(scanLog(text, { year: 2025, zone: 'utc' })).toHaveLength(2);
  });

  it('counts every preemption warning', () => {
    const w = (n: number) =>
      `WARNING 11-26 14:43:4${n} scheduler.py:1481] Sequence group ${n} is preempted by PreemptionMode.RECOMPUTE mode because there is not enough KV cache space. total_num_cumulative_preemption=${n}`;
    expect(scanLog([w(1), w(2), w(3)].join('\n'), { year: 2024 })).toHaveLength(3);
  });

  it('sees through journald and docker prefixes', () => {
    const text = [
      `Aug 19 18:34:30 gpu01 vllm[8707]: (EngineCore_DP0 pid=8707) ERROR 08-19 18:34:30 [core.py:1] ${RUNTIME_OOM}`,
      `vllm-1  | ERROR 08-19 18:40:00 [core.py:1] ${RUNTIME_OOM}`,
    ].join('\n');
    const events = scanLog(text, { year: 2026, zone: 'utc', source: 'journal' });
    expect(events.map((e) => [e.kind, e.source, e.at])).toEqual([
      ['runtime_oom', 'journal', utc('2026-08-19T18:34:30Z')],
      ['runtime_oom', 'journal', utc('2026-08-19T18:40:00Z')],
    ]);
  });

  it('matches a message the terminal wrapped onto the next line and reads its number there', () => {
    const text = [
      "ValueError: To serve at least one request with the models's max seq len (131072), (16.00 GiB KV cache is needed, which is larger than the available KV cache memory (0.71 GiB). Based on the available memory, the estimated maximum model",
      ' length is 5632. Try increasing `gpu_memory_utilization`',
    ].join('\n');
    expect(scanLog(text)).toEqual([
      expect.objectContaining({ kind: 'startup_oom_kv_capacity', estimatedMaxModelLen: 5632 }),
    ]);
    const split = [
      'ValueError: Free memory on device (7.34/139.72 GiB) on startup is less than desired GPU',
      ' memory utilization (0.9, 125.75 GiB).',
    ].join('\n');
    expect(scanLog(split).map((e) => e.kind)).toEqual(['startup_oom_free_memory']);
  });

  it('keeps only events inside the window; lines without a stamp inherit the last one', () => {
    const text = [
      'INFO 11-29 02:59:00 [x.py:1] before the run',
      `ERROR 11-29 02:59:30 [core.py:1] ${RUNTIME_OOM}`,
      'INFO 11-29 03:00:05 [x.py:1] the run starts',
      'Traceback (most recent call last):',
      RUNTIME_OOM,
      'INFO 11-29 03:30:00 [x.py:1] after',
    ].join('\n');
    const events = scanLog(text, {
      year: 2026,
      zone: 'utc',
      sinceMs: utc('2026-11-29T03:00:00Z'),
      untilMs: utc('2026-11-29T03:10:00Z'),
    });
    expect(events).toEqual([
      expect.objectContaining({ kind: 'runtime_oom', lineNo: 5, at: utc('2026-11-29T03:00:05Z') }),
    ]);
  });

  it('drops untimed events from a windowed scan unless asked to keep them', () => {
    const text = 'E llama_kv_cache_init: failed to allocate buffer for kv cache';
    expect(scanLog(text, { sinceMs: 0 })).toEqual([]);
    expect(scanLog(text, { sinceMs: 0, keepUntimed: true })).toHaveLength(1);
  });
});
