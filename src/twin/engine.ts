/**
 * The engine core in real time: runs the scheduler's steps back to back in model time, one timer per step
 * (real wait = model step time × time scale). When the event loop is late, the steps that are due are run
 * together and their tokens carry their own model times, so metrics stay right and only delivery bunches up.
 * Each step also checks the faults (slowdown, memory for runtime OOM, crash) and feeds /metrics.
 */
import { performance } from 'node:perf_hooks';
import type { GpuProfile, ModelProfile } from './catalogue.js';
import { type Fault, faultStateAt, nextCrashAt } from './faults.js';
import type { FinishedReason, TwinMetrics } from './metrics.js';
import { activationBytes, type MemoryPlan, stepOomShortfall, stepTimeS, torchOomMessage } from './physics.js';
import { Scheduler, type SchedulerConfig, type Seq, type StepPlan } from './scheduler.js';
import type { VllmLog } from './vllm-log.js';

export interface EngineRequest {
  promptTokens: number;
  blockHashes: number[];
  outputTokens: number;
  finishReason: 'stop' | 'length';
  /** one call per generated token, index from 0, at model time t (seconds since start) */
  onToken(index: number, t: number): void;
  onFinish(t: number): void;
  /** the engine died (OOM, crash): the request fails */
  onError(message: string): void;
}

export interface EngineOptions {
  model: ModelProfile;
  gpu: GpuProfile;
  memory: MemoryPlan;
  scheduler: SchedulerConfig;
  tensorParallelSize: number;
  enforceEager: boolean;
  kvCacheDtype: 'auto' | 'fp8';
  timeScale: number;
  /** memory used by others at startup (other twins, --other-memory-gib) */
  othersBytes: () => number;
  faults: () => readonly Fault[];
  metrics: TwinMetrics;
  log: VllmLog;
  /** called once when the engine dies; the server turns /health to 503 and exits */
  onDeath(kind: 'oom' | 'crash', lines: string[]): void;
}

export interface EngineStats {
  steps: number;
  /** model seconds spent in steps */
  busyModelS: number;
  /** real (wall) ms spent in the engine's timer callbacks: scheduler, physics, metrics, token delivery */
  ownRealMs: number;
  /** CPU ms of the same (not inflated when the machine is busy with other processes) */
  ownCpuMs: number;
  /** CPU ms of token delivery alone (SSE writes to the sockets), part of ownCpuMs */
  deliveryCpuMs: number;
  /** real ms of lateness summed over timer callbacks */
  lateRealMs: number;
  maxRunning: number;
  /** sum over steps of the requests in the step (÷ steps = mean batch) */
  sumBatch: number;
  /** sum over steps of requests × step model seconds (÷ busyModelS = time-weighted concurrency) */
  sumBatchS: number;
  preemptions: number;
}

interface Live {
  seq: Seq;
  req: EngineRequest;
  lastTokenAt: number;
  firstTokenAt?: number;
}

const STATS_INTERVAL_S = 10;

export class Engine {
  readonly sched: Scheduler;
  private readonly live = new Map<Seq, Live>();
  private current?: { plan: StepPlan; end: number };
  private timer?: NodeJS.Timeout;
  private crashTimer?: NodeJS.Timeout;
  private nextId = 1;
  dead = false;
  private readonly stats: EngineStats = {
    steps: 0,
    busyModelS: 0,
    ownRealMs: 0,
    ownCpuMs: 0,
    deliveryCpuMs: 0,
    lateRealMs: 0,
    maxRunning: 0,
    sumBatch: 0,
    sumBatchS: 0,
    preemptions: 0,
  };
  private window = { promptTokens: 0, genTokens: 0, queries: 0, hits: 0, since: 0 };
  private statsTimer?: NodeJS.Timeout;

  /** performance.now() at model time 0 (the process start, as modelled) */
  private epoch = performance.now();

  constructor(private readonly o: EngineOptions) {
    this.sched = new Scheduler(o.scheduler);
  }

  /** model seconds since the twin process started */
  now(): number {
    return (performance.now() - this.epoch) / 1000 / this.o.timeScale;
  }

  /**
   * Start serving at model time `readyAtS` (the modelled startup duration): the clock does not depend on how
   * fast this machine booted node, so fault times are deterministic.
   */
  start(readyAtS: number): void {
    this.epoch = performance.now() - readyAtS * 1000 * this.o.timeScale;
    this.window.since = this.now();
    this.statsTimer = setInterval(() => this.logStats(), STATS_INTERVAL_S * 1000 * this.o.timeScale);
    this.statsTimer.unref();
    this.rescheduleCrash();
  }

  /** Re-read the crash schedule (after the faults file changed). */
  rescheduleCrash(): void {
    if (this.crashTimer) clearTimeout(this.crashTimer);
    const at = nextCrashAt(this.o.faults(), this.now());
    if (at === undefined || this.dead) return;
    // setTimeout holds at most 2^31−1 ms; a later crash re-arms on the way
    const ms = Math.min(2 ** 31 - 1, Math.max(0, Math.ceil((at - this.now()) * 1000 * this.o.timeScale)));
    this.crashTimer = setTimeout(() => {
      if (this.now() + 1e-9 >= at) this.crash();
      else this.rescheduleCrash();
    }, ms);
    this.crashTimer.unref();
  }

  submit(req: EngineRequest): Seq {
    const t = this.now();
    const seq = this.sched.add({
      id: this.nextId++,
      arrival: t,
      promptTokens: req.promptTokens,
      blockHashes: req.blockHashes,
      outputTokens: Math.max(1, req.outputTokens),
    });
    this.live.set(seq, { seq, req, lastTokenAt: t });
    this.o.metrics.h.waiting.set(this.sched.waiting.length);
    if (!this.current) {
      this.startStep(t);
      this.arm();
    }
    return seq;
  }

  /** The client went away: free the request's blocks, count it as aborted. */
  abort(seq: Seq): void {
    if (!this.live.has(seq)) return;
    this.live.delete(seq);
    this.sched.abort(seq);
    const m = this.o.metrics;
    m.finished('abort');
    m.h.running.set(this.sched.running.length);
    m.h.waiting.set(this.sched.waiting.length);
    m.h.kvUsage.set(this.sched.kvUsage);
  }

  getStats(): EngineStats {
    return { ...this.stats, preemptions: this.sched.totalPreemptions };
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.crashTimer) clearTimeout(this.crashTimer);
    if (this.statsTimer) clearInterval(this.statsTimer);
    this.timer = undefined;
  }

  private startStep(t: number): void {
    if (this.dead) return;
    const plan = this.sched.plan(t);
    const m = this.o.metrics;
    if (plan.preempted.length > 0) this.notePreemptions(plan.preempted.length);
    if (plan.prefixQueries > 0) {
      m.h.prefixQueries.inc(plan.prefixQueries);
      m.h.prefixHits.inc(plan.prefixHits);
      this.window.queries += plan.prefixQueries;
      this.window.hits += plan.prefixHits;
    }
    if (plan.seqs.length === 0) {
      this.current = undefined;
      return;
    }
    const fs = faultStateAt(this.o.faults(), t);
    const act = activationBytes(this.o.model, plan.tokens, this.o.tensorParallelSize);
    const shortfall = stepOomShortfall({
      totalBytes: this.o.memory.totalBytes,
      othersBytes: this.o.othersBytes() + fs.hogBytes,
      residentBytes: this.o.memory.residentBytes,
      leakBytes: fs.leakBytes,
      activationBytes: act,
    });
    if (shortfall > 0) {
      this.oom(act, Math.max(0, act - shortfall));
      return;
    }
    const dur = stepTimeS(plan, {
      model: this.o.model,
      gpu: this.o.gpu,
      tensorParallelSize: this.o.tensorParallelSize,
      enforceEager: this.o.enforceEager,
      kvCacheDtype: this.o.kvCacheDtype,
      slowdown: fs.slowdown,
    });
    this.current = { plan, end: t + dur };
    this.stats.busyModelS += dur;
    this.stats.maxRunning = Math.max(this.stats.maxRunning, this.sched.running.length);
    this.stats.sumBatch += plan.seqs.length;
    this.stats.sumBatchS += plan.seqs.length * dur;
  }

  /** One timer, for the end of the current step. */
  private arm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.current) return;
    // whole milliseconds, rounded up: a timer that fires early would cost a second hop
    const ms = Math.max(0, Math.ceil((this.current.end - this.now()) * 1000 * this.o.timeScale));
    const due = performance.now() + ms;
    this.timer = setTimeout(() => this.onTimer(due), ms);
  }

  private onTimer(due: number): void {
    const began = performance.now();
    const cpu0 = process.cpuUsage();
    this.stats.lateRealMs += Math.max(0, began - due);
    this.timer = undefined;
    let guard = 0;
    while (this.current && !this.dead && this.current.end <= this.now() + 1e-9) {
      const { plan, end } = this.current;
      this.current = undefined;
      this.finishStep(plan, end);
      if (this.sched.hasWork()) this.startStep(end);
      if (++guard > 10_000) break;
    }
    this.arm();
    const cpu = process.cpuUsage(cpu0);
    this.stats.ownCpuMs += (cpu.user + cpu.system) / 1000;
    this.stats.ownRealMs += performance.now() - began;
  }

  private finishStep(plan: StepPlan, t: number): void {
    const m = this.o.metrics;
    this.stats.steps++;
    const { sampled, finished } = this.sched.complete(plan);
    const cpu0 = process.cpuUsage();
    for (const seq of sampled) {
      const live = this.live.get(seq);
      if (!live) continue;
      if (live.firstTokenAt === undefined) {
        live.firstTokenAt = t;
        m.h.ttft.observe(t - seq.arrival);
        m.h.queue.observe((seq.firstScheduledAt ?? t) - seq.arrival);
        m.h.promptTokens.inc(seq.promptTokens);
        this.window.promptTokens += seq.promptTokens;
      } else {
        m.h.itl.observe(t - live.lastTokenAt);
      }
      live.lastTokenAt = t;
      live.req.onToken(seq.generated - 1, t);
    }
    m.h.generationTokens.inc(sampled.length);
    this.window.genTokens += sampled.length;
    for (const seq of finished) {
      const live = this.live.get(seq);
      if (!live) continue;
      this.live.delete(seq);
      const e2e = t - seq.arrival;
      m.h.e2e.observe(e2e);
      if (seq.generated > 1 && live.firstTokenAt !== undefined) {
        m.h.tpot.observe((t - live.firstTokenAt) / (seq.generated - 1));
      }
      m.finished(live.req.finishReason as FinishedReason);
      live.req.onFinish(t);
    }
    const cpu = process.cpuUsage(cpu0);
    this.stats.deliveryCpuMs += (cpu.user + cpu.system) / 1000;
    m.h.running.set(this.sched.running.length);
    m.h.waiting.set(this.sched.waiting.length);
    m.h.kvUsage.set(this.sched.kvUsage);
  }

  private notePreemptions(n: number): void {
    const m = this.o.metrics;
    m.h.preemptions.inc(n);
    const total = this.sched.totalPreemptions;
    // vLLM warns on the first preemption and then every 50th, not on each one.
    for (let k = total - n + 1; k <= total; k++) {
      if (k === 1 || k % 50 === 0) {
        this.o.log.line(
          'WARNING',
          'scheduler.py:1057',
          'Sequence group 0 is preempted by PreemptionMode.RECOMPUTE mode because there is not enough KV cache ' +
            'space. This can affect the end-to-end performance. Increase gpu_memory_utilization or ' +
            `tensor_parallel_size to provide more KV cache memory. total_cumulative_preemption_cnt=${k}`,
        );
      }
    }
  }

  private logStats(): void {
    if (this.dead) return;
    const now = this.now();
    const span = Math.max(1e-9, now - this.window.since);
    const w = this.window;
    const busy = this.sched.hasWork() || w.genTokens > 0 || w.promptTokens > 0;
    if (busy) {
      this.o.log.line(
        'INFO',
        'loggers.py:123',
        `Engine 000: Avg prompt throughput: ${(w.promptTokens / span).toFixed(1)} tokens/s, ` +
          `Avg generation throughput: ${(w.genTokens / span).toFixed(1)} tokens/s, ` +
          `Running: ${this.sched.running.length} reqs, Waiting: ${this.sched.waiting.length} reqs, ` +
          `GPU KV cache usage: ${(this.sched.kvUsage * 100).toFixed(1)}%, ` +
          `Prefix cache hit rate: ${(w.queries > 0 ? (w.hits / w.queries) * 100 : 0).toFixed(1)}%`,
        'api',
      );
    }
    this.window = { promptTokens: 0, genTokens: 0, queries: 0, hits: 0, since: now };
  }

  private oom(tryBytes: number, freeBytes: number): void {
    this.die('oom', [
      'EngineCore encountered a fatal error.',
      'Traceback (most recent call last):',
      '  File "/usr/local/lib/python3.12/dist-packages/vllm/v1/engine/core.py", line 701, in run_engine_core',
      '    engine_core.run_busy_loop()',
      '  File "/usr/local/lib/python3.12/dist-packages/vllm/v1/worker/gpu_model_runner.py", line 2212, in execute_model',
      '    model_output = self.model(',
      torchOomMessage(tryBytes, this.o.memory.totalBytes, freeBytes),
    ]);
  }

  private crash(): void {
    if (this.dead) return;
    this.die('crash', [
      'EngineCore encountered a fatal error.',
      'Traceback (most recent call last):',
      '  File "/usr/local/lib/python3.12/dist-packages/vllm/v1/engine/core.py", line 701, in run_engine_core',
      '    engine_core.run_busy_loop()',
      'torch.AcceleratorError: CUDA error: an illegal memory access was encountered',
    ]);
  }

  private die(kind: 'oom' | 'crash', lines: string[]): void {
    if (this.dead) return;
    this.dead = true;
    this.stop();
    this.current = undefined;
    for (const line of lines) this.o.log.line('ERROR', 'core.py:710', line);
    this.o.log.line('ERROR', 'async_llm.py:480', 'AsyncLLM output_handler failed.', 'api');
    this.o.log.raw(
      'vllm.v1.engine.exceptions.EngineDeadError: EngineCore encountered an issue. See stack trace (above) for the root cause.',
    );
    for (const live of this.live.values()) {
      live.req.onError('EngineCore encountered an issue. See stack trace (above) for the root cause.');
      this.o.metrics.finished('abort');
    }
    this.live.clear();
    this.o.onDeath(kind, lines);
  }
}
