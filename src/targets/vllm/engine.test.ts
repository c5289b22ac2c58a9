import { describe, expect, it } from 'vitest';
import { checkConfig } from '../knobs.js';
import { vllmEngine } from './engine.js';

const base = { launch: ['vllm', 'serve'], model: 'meta-llama/Llama-3.1-8B-Instruct', port: 18001 };

describe('vLLM launch', () => {
  it('renders [...launch, MODEL, --host, --port, ...flags] in vLLM spelling', () => {
    const { argv } = vllmEngine.launch({
      ...base,
      config: { gpu_memory_utilization: 0.9, max_num_seqs: 128, enable_prefix_caching: true, kv_cache_dtype: 'fp8' },
    });
    expect(argv).toEqual([
      'vllm',
      'serve',
      'meta-llama/Llama-3.1-8B-Instruct',
      '--host',
      '127.0.0.1',
      '--port',
      '18001',
      '--gpu-memory-utilization',
      '0.9',
      '--max-num-seqs',
      '128',
      '--enable-prefix-caching',
      '--kv-cache-dtype',
      'fp8',
    ]);
  });

  it('turns prefix caching off with --no-enable-prefix-caching and omits a false --enforce-eager', () => {
    const { argv } = vllmEngine.launch({ ...base, config: { enable_prefix_caching: false, enforce_eager: false } });
    expect(argv).toContain('--no-enable-prefix-caching');
    expect(argv.some((a) => a.includes('eager'))).toBe(false);
    expect(vllmEngine.launch({ ...base, config: { enforce_eager: true } }).argv).toContain('--enforce-eager');
  });

  it('passes the served model name', () => {
    const { argv } = vllmEngine.launch({ ...base, servedModelName: 'llama', config: {} });
    expect(argv.slice(-2)).toEqual(['--served-model-name', 'llama']);
  });

  it('appends --time-scale only below 1 (the twin)', () => {
    expect(vllmEngine.launch({ ...base, config: {}, timeScale: 0.05 }).argv.slice(-2)).toEqual([
      '--time-scale',
      '0.05',
    ]);
    expect(vllmEngine.launch({ ...base, config: {}, timeScale: 1 }).argv).not.toContain('--time-scale');
  });

  it('drives the twin with the same argv after a different launch prefix', () => {
    const real = vllmEngine.launch({ ...base, config: { max_num_seqs: 64 } }).argv;
    const twin = vllmEngine.launch({
      ...base,
      launch: ['node', '/x/bin/nightshift.js', 'twin', 'serve'],
      config: { max_num_seqs: 64 },
    }).argv;
    expect(twin.slice(4)).toEqual(real.slice(2));
  });
});

describe('vLLM knobs', () => {
  it('tunes the six knobs of the issue and keeps block_size and enforce_eager as settings', () => {
    expect(vllmEngine.knobs.map((k) => k.name)).toEqual([
      'gpu_memory_utilization',
      'max_num_seqs',
      'max_num_batched_tokens',
      'max_model_len',
      'enable_prefix_caching',
      'kv_cache_dtype',
    ]);
    expect(vllmEngine.settings?.map((k) => k.name)).toEqual(['block_size', 'enforce_eager']);
  });

  it('requires max_num_batched_tokens ≥ max_num_seqs', () => {
    expect(vllmEngine.constraints({ max_num_seqs: 1024, max_num_batched_tokens: 512 })).toEqual([
      'max_num_batched_tokens (512) must be ≥ max_num_seqs (1024)',
    ]);
    expect(vllmEngine.constraints({ max_num_seqs: 256, max_num_batched_tokens: 2048 })).toEqual([]);
  });

  it('rejects max_model_len off its 512 step', () => {
    expect(checkConfig(vllmEngine.knobs, { max_model_len: 5000 })).toEqual([
      'max_model_len: 5000 is not on the step 512 from 1024',
    ]);
  });
});
