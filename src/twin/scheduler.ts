/**
 * Continuous batching, as vLLM's V1 scheduler does it (vllm/v1/core/sched/scheduler.py), without a clock: the
 * engine calls `plan()` at the start of a step and `complete()` at its end with the model time.
 *
 * - Running requests first, oldest first: each needs its uncomputed tokens (1 for a decode, the rest of the
 *   prompt — chunked — for a prefill), within max_num_batched_tokens per step.
 * - KV cache in blocks of block_size tokens; a request holds ceil(computed tokens ÷ block_size) blocks. When a
 *   running request needs a block and none is free, the newest running request is preempted (RECOMPUTE: its
 *   blocks are freed, its computed tokens reset, it goes back to the front of the queue), until the block fits.
 * - Then, if nothing was preempted, waiting requests are admitted in arrival order while running < max_num_seqs,
 *   the token budget lasts, and the blocks for their first chunk are free.
 * - A request samples one token at the end of every step after which all its tokens are computed.
 * - Prefix caching: full prompt blocks are identified by a chained hash of their text; when a prefill completes
 *   its block hashes enter an LRU set (capacity: the number of KV blocks). On admission the leading blocks found
 *   there are not recomputed (whole blocks; the last prompt token always is). Simplification: cached blocks are not
 *   shared, each request still allocates its own blocks.
 */
export interface SeqInit {
  id: number;
  arrival: number;
  promptTokens: number;
  /** hashes of the prompt's full blocks, in order (empty without prefix caching) */
  blockHashes: number[];
  /** tokens to generate before finishing (already cut by max_tokens) */
  outputTokens: number;
}

export interface Seq extends SeqInit {
  generated: number;
  computed: number;
  blocks: number;
  state: 'waiting' | 'running' | 'finished' | 'aborted';
  firstScheduledAt?: number;
  /** tokens to compute in the planned step */
  scheduled: number;
  preemptions: number;
  cachedTokens: number;
  prefillDone: boolean;
}

export interface StepPlan {
  seqs: Seq[];
  tokens: number;
  contextTokens: number;
  preempted: Seq[];
  /** prefix cache lookups made while planning (tokens queried, tokens hit) */
  prefixQueries: number;
  prefixHits: number;
}

export interface SchedulerConfig {
  maxNumSeqs: number;
  maxNumBatchedTokens: number;
  blockSize: number;
  numBlocks: number;
  prefixCaching: boolean;
}

export class Scheduler {
  readonly waiting: Seq[] = [];
  readonly running: Seq[] = [];
  private freeBlocks: number;
  private readonly cache = new Map<number, true>();
  totalPreemptions = 0;

  constructor(readonly cfg: SchedulerConfig) {
    this.freeBlocks = cfg.numBlocks;
  }

  get usedBlocks(): number {
    return this.cfg.numBlocks - this.freeBlocks;
  }

  get kvUsage(): number {
    return this.cfg.numBlocks === 0 ? 0 : this.usedBlocks / this.cfg.numBlocks;
  }

  hasWork(): boolean {
    return this.running.length > 0 || this.waiting.length > 0;
  }

  add(init: SeqInit): Seq {
    const seq: Seq = {
      ...init,
      generated: 0,
      computed: 0,
      blocks: 0,
      state: 'waiting',
      scheduled: 0,
      preemptions: 0,
      cachedTokens: 0,
      prefillDone: false,
    };
    this.waiting.push(seq);
    return seq;
  }

  abort(seq: Seq): void {
    if (seq.state === 'finished' || seq.state === 'aborted') return;
    const list = seq.state === 'running' ? this.running : this.waiting;
    const i = list.indexOf(seq);
    if (i >= 0) list.splice(i, 1);
    this.release(seq);
    seq.state = 'aborted';
  }

  private release(seq: Seq): void {
    this.freeBlocks += seq.blocks;
    seq.blocks = 0;
  }

  private blocksFor(tokens: number): number {
    return Math.ceil(tokens / this.cfg.blockSize);
  }

  /** tokens whose KV must exist before the next sample */
  private target(seq: Seq): number {
    return seq.promptTokens + seq.generated;
  }

  plan(now: number): StepPlan {
    const plan: StepPlan = { seqs: [], tokens: 0, contextTokens: 0, preempted: [], prefixQueries: 0, prefixHits: 0 };
    let budget = this.cfg.maxNumBatchedTokens;
    // 1. running requests, oldest first
    for (let i = 0; i < this.running.length && budget > 0; i++) {
      const seq = this.running[i] as Seq;
      const want = Math.min(this.target(seq) - seq.computed, budget);
      if (want <= 0) continue;
      const need = this.blocksFor(seq.computed + want) - seq.blocks;
      let fits = true;
      while (need > this.freeBlocks) {
        const victim = this.running[this.running.length - 1] as Seq;
        this.preempt(victim, plan);
        if (victim === seq) {
          fits = false;
          break;
        }
      }
      if (!fits) break;
      this.freeBlocks -= need;
      seq.blocks += need;
      seq.scheduled = want;
      budget -= want;
      plan.seqs.push(seq);
      plan.tokens += want;
      plan.contextTokens += seq.computed + want;
    }
    // 2. admit waiting requests (not in a step that had to preempt)
    if (plan.preempted.length === 0) {
      while (this.waiting.length > 0 && this.running.length < this.cfg.maxNumSeqs && budget > 0) {
        const seq = this.waiting[0] as Seq;
        let computed = seq.computed;
        if (computed === 0 && this.cfg.prefixCaching && seq.generated === 0) {
          // Like vLLM: whole blocks only, and the last prompt token is always recomputed (for its logits).
          const maxHits = Math.min(seq.blockHashes.length, Math.floor((seq.promptTokens - 1) / this.cfg.blockSize));
          let hits = 0;
          while (hits < maxHits && this.cache.has(seq.blockHashes[hits] as number)) hits++;
          plan.prefixQueries += seq.promptTokens;
          plan.prefixHits += hits * this.cfg.blockSize;
          computed = hits * this.cfg.blockSize;
        }
        const want = Math.min(this.target(seq) - computed, budget);
        const need = this.blocksFor(computed + want);
        if (need > this.freeBlocks) break;
        this.waiting.shift();
        for (let h = 0; h < Math.floor(computed / this.cfg.blockSize); h++) this.touch(seq.blockHashes[h] as number);
        seq.cachedTokens = seq.computed === 0 ? computed : seq.cachedTokens;
        seq.computed = computed;
        this.freeBlocks -= need;
        seq.blocks = need;
        seq.state = 'running';
        seq.firstScheduledAt ??= now;
        seq.scheduled = want;
        budget -= want;
        this.running.push(seq);
        plan.seqs.push(seq);
        plan.tokens += want;
        plan.contextTokens += computed + want;
      }
    }
    return plan;
  }

  private preempt(victim: Seq, plan: StepPlan): void {
    this.running.pop();
    const i = plan.seqs.indexOf(victim);
    if (i >= 0) {
      plan.seqs.splice(i, 1);
      plan.tokens -= victim.scheduled;
      plan.contextTokens -= victim.computed + victim.scheduled;
    }
    this.release(victim);
    victim.computed = 0;
    victim.scheduled = 0;
    victim.state = 'waiting';
    victim.preemptions++;
    this.totalPreemptions++;
    this.waiting.unshift(victim);
    plan.preempted.push(victim);
  }

  private touch(hash: number): void {
    this.cache.delete(hash);
    this.cache.set(hash, true);
    if (this.cache.size > this.cfg.numBlocks) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
  }

  /**
   * End of the step: computed tokens advance; a request that caught up samples one token (`sampled`), and a
   * request that reached its output length finishes (`finished`) and frees its blocks.
   */
  complete(plan: StepPlan): { sampled: Seq[]; finished: Seq[] } {
    const sampled: Seq[] = [];
    const finished: Seq[] = [];
    for (const seq of plan.seqs) {
      if (seq.state !== 'running') continue;
      seq.computed += seq.scheduled;
      seq.scheduled = 0;
      if (seq.computed < this.target(seq)) continue;
      if (!seq.prefillDone) {
        seq.prefillDone = true;
        if (this.cfg.prefixCaching) for (const h of seq.blockHashes) this.touch(h);
      }
      seq.generated++;
      sampled.push(seq);
      if (seq.generated >= seq.outputTokens) {
        this.release(seq);
        seq.state = 'finished';
        finished.push(seq);
      }
    }
    if (finished.length > 0) {
      // one pass, keeping arrival order (many requests often finish in the same step)
      let w = 0;
      for (const seq of this.running) if (seq.state === 'running') this.running[w++] = seq;
      this.running.length = w;
    }
    return { sampled, finished };
  }
}

/** Chained hashes of a prompt's full blocks (the prefix-cache identity of each block). */
export function promptBlockHashes(prompt: string, blockSize: number, charsPerToken: number): number[] {
  const blockChars = blockSize * charsPerToken;
  const full = Math.floor(prompt.length / blockChars);
  const hashes: number[] = [];
  let prev = 0x811c9dc5;
  for (let b = 0; b < full; b++) {
    let h = prev;
    for (let i = b * blockChars; i < (b + 1) * blockChars; i++) {
      h ^= prompt.charCodeAt(i);
      h = Math.imul(h, 0x01000193);
    }
    h >>>= 0;
    hashes.push(h);
    prev = h ^ 0x5bd1e995;
  }
  return hashes;
}
