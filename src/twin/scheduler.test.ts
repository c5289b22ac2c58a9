import { describe, expect, it } from 'vitest';
import { promptBlockHashes, Scheduler, type SchedulerConfig } from './scheduler.js';

const cfg = (over: Partial<SchedulerConfig> = {}): SchedulerConfig => ({
  maxNumSeqs: 4,
  maxNumBatchedTokens: 64,
  blockSize: 16,
  numBlocks: 100,
  prefixCaching: false,
  ...over,
});

let nextId = 1;
const req = (promptTokens: number, outputTokens: number, blockHashes: number[] = []) => ({
  id: nextId++,
  arrival: 0,
  promptTokens,
  blockHashes,
  outputTokens,
});

/** run steps until no work is left; returns the number of steps */
function drain(s: Scheduler, max = 10_000): number {
  let steps = 0;
  while (s.hasWork() && steps < max) {
    s.complete(s.plan(steps));
    steps++;
  }
  return steps;
}

describe('scheduler', () => {
  it('admits at most max_num_seqs requests into a step', () => {
    const s = new Scheduler(cfg());
    for (let i = 0; i < 6; i++) s.add(req(4, 3));
    const plan = s.plan(0);
    expect(plan.seqs).toHaveLength(4);
    expect(s.waiting).toHaveLength(2);
  });

  it('chunks a long prompt over steps within max_num_batched_tokens', () => {
    const s = new Scheduler(cfg());
    const seq = s.add(req(150, 1));
    const tokens: number[] = [];
    while (seq.state !== 'finished') {
      const plan = s.plan(0);
      tokens.push(plan.tokens);
      s.complete(plan);
    }
    expect(tokens).toEqual([64, 64, 22]);
  });

  it('schedules running decodes before admitting new prefills', () => {
    const s = new Scheduler(cfg({ maxNumBatchedTokens: 20 }));
    const a = s.add(req(10, 5));
    s.complete(s.plan(0)); // a prefilled, sampled its first token
    s.add(req(30, 5));
    const plan = s.plan(1);
    expect(plan.seqs[0]).toBe(a);
    expect(a.scheduled).toBe(1);
    expect(plan.tokens).toBe(20);
  });

  it('samples one token per step once the prompt is computed and finishes at the output length', () => {
    const s = new Scheduler(cfg());
    const seq = s.add(req(10, 3));
    expect(drain(s)).toBe(3);
    expect(seq.generated).toBe(3);
    expect(seq.state).toBe('finished');
    expect(s.usedBlocks).toBe(0);
  });

  it('holds ceil(tokens ÷ block_size) blocks per request', () => {
    const s = new Scheduler(cfg());
    s.add(req(33, 10));
    s.complete(s.plan(0));
    expect(s.usedBlocks).toBe(3);
  });

  it('preempts the newest running request when blocks run out, and counts it', () => {
    // 4 blocks of 16: two requests of 32 prompt tokens take 2 blocks each; the first decode needs a third.
    const s = new Scheduler(cfg({ numBlocks: 4 }));
    const older = s.add(req(32, 20));
    const newer = s.add(req(32, 20));
    s.complete(s.plan(0));
    expect(s.usedBlocks).toBe(4);
    const plan = s.plan(1);
    expect(plan.preempted).toEqual([newer]);
    expect(newer.state).toBe('waiting');
    expect(newer.computed).toBe(0);
    expect(older.state).toBe('running');
    expect(s.totalPreemptions).toBe(1);
  });

  it('finishes every request even under preemption (recompute)', () => {
    const s = new Scheduler(cfg({ numBlocks: 6 }));
    const seqs = [s.add(req(40, 30)), s.add(req(40, 30)), s.add(req(40, 30))];
    drain(s);
    expect(seqs.every((q) => q.state === 'finished' && q.generated === 30)).toBe(true);
    expect(s.totalPreemptions).toBeGreaterThan(0);
  });

  it('skips the prefill of prompt blocks already in the prefix cache', () => {
    const s = new Scheduler(cfg({ prefixCaching: true, maxNumBatchedTokens: 256 }));
    const prompt = 'x'.repeat(4 * 64);
    const hashes = promptBlockHashes(prompt, 16, 4);
    s.add(req(64, 1, hashes));
    s.complete(s.plan(0));
    s.add(req(64, 1, hashes));
    const plan = s.plan(1);
    expect(plan.prefixQueries).toBe(64);
    expect(plan.prefixHits).toBe(48);
    expect(plan.tokens).toBe(16);
  });

  it('frees an aborted request at once', () => {
    const s = new Scheduler(cfg());
    const seq = s.add(req(40, 10));
    s.complete(s.plan(0));
    s.abort(seq);
    expect(s.usedBlocks).toBe(0);
    expect(s.hasWork()).toBe(false);
  });
});

describe('prompt block hashes', () => {
  it('hashes only full blocks and chains them, so equal prefixes share leading hashes', () => {
    const a = promptBlockHashes(`${'a'.repeat(128)}tail-one`, 16, 4);
    const b = promptBlockHashes(`${'a'.repeat(64)}${'b'.repeat(64)}`, 16, 4);
    expect(a).toHaveLength(2);
    expect(b[0]).toBe(a[0]);
    expect(b[1]).not.toBe(a[1]);
  });
});
