import { describe, expect, it } from 'vitest';
import { GiB, MiB, resolveGpu, resolveModel } from './catalogue.js';
import {
  captureSizes,
  type EngineShape,
  kvBytesPerToken,
  type Limits,
  planMemory,
  resolveLimits,
  startupTimeS,
  stepOomShortfall,
  stepTimeS,
} from './physics.js';

const llama8b = resolveModel('llama-3.1-8b');
const l4 = resolveGpu('L4-24GB');
const h100 = resolveGpu('H100-80GB');

const shape = (over: Partial<EngineShape> = {}): EngineShape => ({
  blockSize: 16,
  gpuMemoryUtilization: 0.9,
  kvCacheDtype: 'auto',
  enforceEager: false,
  tensorParallelSize: 1,
  maxModelLen: 8192,
  ...over,
});

function limitsOf(s: EngineShape, gpu = l4): Limits {
  const l = resolveLimits(s, llama8b, gpu);
  if ('kind' in l) throw new Error(l.message);
  return l;
}

function plan(over: Partial<EngineShape> = {}, othersBytes = 0) {
  const s = shape(over);
  return planMemory({ model: llama8b, gpu: l4, shape: s, limits: limitsOf(s), othersBytes });
}

describe('limits', () => {
  it('defaults to 256 seqs and 2048 batched tokens below 70 GiB, 1024 and 8192 above', () => {
    expect(limitsOf(shape())).toMatchObject({ maxNumSeqs: 256, maxNumBatchedTokens: 2048 });
    expect(limitsOf(shape(), h100)).toMatchObject({ maxNumSeqs: 1024, maxNumBatchedTokens: 8192 });
  });

  it('defaults max_model_len to the model context', () => {
    expect(limitsOf(shape({ maxModelLen: undefined })).maxModelLen).toBe(131072);
  });

  it('rejects max_model_len beyond the model context like vLLM', () => {
    const l = resolveLimits(shape({ maxModelLen: 200000 }), llama8b, l4);
    expect('kind' in l && l.message).toContain('User-specified max_model_len (200000) is greater than the derived');
  });

  it('rejects a tensor parallel size that does not divide the attention heads', () => {
    const l = resolveLimits(shape({ tensorParallelSize: 3 }), llama8b, l4);
    expect('kind' in l && l.message).toBe(
      'ValueError: Total number of attention heads (32) must be divisible by tensor parallel size (3).',
    );
  });

  it('rejects max_num_batched_tokens below max_num_seqs', () => {
    const l = resolveLimits(shape({ maxNumSeqs: 512, maxNumBatchedTokens: 256 }), llama8b, l4);
    expect('kind' in l && l.message).toContain('max_num_batched_tokens (256) must be greater than or equal to');
  });
});

describe('KV bytes per token', () => {
  it('is 2 × layers × kv heads × head dim × 2 bytes at bf16', () => {
    expect(kvBytesPerToken(llama8b, 'auto', 1)).toBe(2 * 32 * 8 * 128 * 2);
  });

  it('is halved by fp8 and by tensor parallel 2', () => {
    expect(kvBytesPerToken(llama8b, 'fp8', 1)).toBe(65536);
    expect(kvBytesPerToken(llama8b, 'auto', 2)).toBe(65536);
  });
});

describe('startup memory plan', () => {
  it('gives KV cache = util × total − weights − activation peak − non-torch − CUDA graphs', () => {
    const p = plan();
    const expected = 0.9 * l4.memoryBytes - llama8b.weightBytes - 144 * 1024 * 2048 - 0.4 * GiB - 67 * 6 * MiB;
    expect(p.kvAvailableBytes).toBeCloseTo(expected, 0);
    expect(p.failure).toBeUndefined();
  });

  it('sizes the cache in whole blocks and reports tokens and max concurrency from them', () => {
    const p = plan();
    const blocks = Math.floor(p.kvAvailableBytes / (16 * 131072));
    expect(p.numBlocks).toBe(blocks);
    expect(p.kvTokens).toBe(blocks * 16);
    expect(p.maxConcurrency).toBeCloseTo(blocks / 512, 10);
  });

  it('has no CUDA graph memory with enforce-eager, so more KV', () => {
    expect(plan({ enforceEager: true }).cudaGraphBytes).toBe(0);
    expect(plan({ enforceEager: true }).numBlocks).toBeGreaterThan(plan().numBlocks);
  });

  it('holds about twice the tokens with an fp8 KV cache', () => {
    expect(plan({ kvCacheDtype: 'fp8' }).kvTokens / plan().kvTokens).toBeCloseTo(2, 2);
  });

  it('grows the activation peak with max-num-batched-tokens', () => {
    expect(plan({ maxNumBatchedTokens: 8192 }).activationPeakBytes).toBe(4 * plan().activationPeakBytes);
  });

  it('counts capture sizes like vLLM: 1, 2, 4 and multiples of 8 up to 2 × max_num_seqs (512 at most)', () => {
    expect(captureSizes(256)).toBe(67);
    expect(captureSizes(8)).toBe(5);
  });

  it('fails with the free-memory message when others hold memory', () => {
    const p = plan({}, 3 * GiB);
    expect(p.failure?.kind).toBe('free_memory');
    expect(p.failure?.message).toBe(
      'ValueError: Free memory on device (19.03/22.03 GiB) on startup is less than desired GPU memory utilization ' +
        '(0.9, 19.83 GiB). Decrease GPU memory utilization or reduce GPU memory used by other processes.',
    );
  });

  it('fails with no-available-memory when weights and overheads exceed the budget', () => {
    const p = plan({ gpuMemoryUtilization: 0.7 });
    expect(p.failure?.kind).toBe('no_kv_memory');
    expect(p.failure?.message).toMatch(/^ValueError: No available memory for the cache blocks\. Try increasing/);
  });

  it('fails with the max-seq-len message and an estimate when one sequence does not fit', () => {
    const p = plan({ maxModelLen: 131072 });
    expect(p.failure?.kind).toBe('max_model_len');
    const est = Math.floor(p.kvAvailableBytes / (16 * 131072)) * 16;
    expect(p.failure?.estimatedMaxModelLen).toBe(est);
    expect(p.failure?.message).toContain(
      "ValueError: To serve at least one request with the model's max seq len (131072), (16.00 GiB KV cache is " +
        'needed, which is larger than the available KV cache memory (',
    );
    expect(p.failure?.message).toContain(`the estimated maximum model length is ${est}.`);
  });

  it('fails loading weights that do not fit the free memory', () => {
    const m70 = resolveModel('llama-3.1-70b');
    const s = shape();
    const limits = resolveLimits(s, m70, l4) as Limits;
    const p = planMemory({ model: m70, gpu: l4, shape: s, limits, othersBytes: 0 });
    expect(p.failure?.kind).toBe('weights_oom');
    expect(p.failure?.message).toMatch(/^torch\.OutOfMemoryError: CUDA out of memory\. Tried to allocate/);
  });
});

describe('step time roofline', () => {
  const ctx = { model: llama8b, gpu: l4, tensorParallelSize: 1, enforceEager: false, kvCacheDtype: 'auto' as const };

  it('makes a small decode step bandwidth-bound: weights ÷ (bandwidth × 0.8) + 2 ms', () => {
    const t = stepTimeS({ tokens: 1, contextTokens: 100 }, { ...ctx, slowdown: 1 });
    expect(t).toBeCloseTo((16.06e9 + 131072 * 100) / (300e9 * 0.8) + 0.002, 9);
  });

  it('makes a large prefill compute-bound: 2 × params × tokens ÷ (FLOP/s × 0.5) + 2 ms', () => {
    const t = stepTimeS({ tokens: 2048, contextTokens: 2048 }, { ...ctx, slowdown: 1 });
    expect(t).toBeCloseTo((2 * 8.03e9 * 2048) / (121e12 * 0.5) + 0.002, 9);
  });

  it('multiplies by the slowdown factor', () => {
    const a = stepTimeS({ tokens: 1, contextTokens: 10 }, { ...ctx, slowdown: 1 });
    expect(stepTimeS({ tokens: 1, contextTokens: 10 }, { ...ctx, slowdown: 1.5 })).toBeCloseTo(a * 1.5, 12);
  });

  it('adds 0.12 ms per layer of launch overhead in eager mode', () => {
    const a = stepTimeS({ tokens: 1, contextTokens: 10 }, { ...ctx, slowdown: 1 });
    const b = stepTimeS({ tokens: 1, contextTokens: 10 }, { ...ctx, enforceEager: true, slowdown: 1 });
    expect(b - a).toBeCloseTo(32 * 0.00012, 12);
  });

  it('reads more KV per step as contexts grow', () => {
    const a = stepTimeS({ tokens: 64, contextTokens: 64 * 100 }, { ...ctx, slowdown: 1 });
    const b = stepTimeS({ tokens: 64, contextTokens: 64 * 4000 }, { ...ctx, slowdown: 1 });
    expect(b).toBeGreaterThan(a);
  });
});

describe('startup time and runtime OOM', () => {
  it('takes init + load + profile + graph capture seconds', () => {
    const s = shape();
    expect(startupTimeS(llama8b, limitsOf(s), s)).toBeCloseTo(2 + 16.06e9 / 8e9 + 1 + 1 + 0.03 * 67, 9);
    const eager = shape({ enforceEager: true });
    expect(startupTimeS(llama8b, limitsOf(eager), eager)).toBeCloseTo(2 + 16.06e9 / 8e9 + 1, 9);
  });

  it('reports no shortfall while others + resident + leak + activation fit', () => {
    expect(
      stepOomShortfall({ totalBytes: 10, othersBytes: 2, residentBytes: 5, leakBytes: 1, activationBytes: 2 }),
    ).toBe(0);
  });

  it('reports the bytes missing when a step does not fit', () => {
    expect(
      stepOomShortfall({ totalBytes: 10, othersBytes: 3, residentBytes: 5, leakBytes: 1, activationBytes: 2 }),
    ).toBe(1);
  });
});
