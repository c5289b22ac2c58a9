import { describe, expect, it } from 'vitest';
import { llamaServerEngine } from './knobs.js';

describe('llama-server adapter', () => {
  it('renders --model, host, port, alias and its knobs as llama-server flags', () => {
    const { argv } = llamaServerEngine.launch({
      launch: ['llama-server'],
      model: '/models/llama.gguf',
      servedModelName: 'llama',
      port: 18002,
      config: {
        ctx_size: 8192,
        parallel: 4,
        batch_size: 2048,
        ubatch_size: 512,
        cache_type_k: 'q8_0',
        flash_attn: 'on',
      },
    });
    expect(argv).toEqual([
      'llama-server',
      '--model',
      '/models/llama.gguf',
      '--host',
      '127.0.0.1',
      '--port',
      '18002',
      '--alias',
      'llama',
      '--ctx-size',
      '8192',
      '--parallel',
      '4',
      '--batch-size',
      '2048',
      '--ubatch-size',
      '512',
      '--cache-type-k',
      'q8_0',
      '--flash-attn',
      'on',
    ]);
  });

  it('requires ubatch_size ≤ batch_size', () => {
    expect(llamaServerEngine.constraints({ batch_size: 256, ubatch_size: 512 })).toEqual([
      'ubatch_size (512) must be ≤ batch_size (256)',
    ]);
  });

  it('requires flash attention for a quantized V cache', () => {
    expect(llamaServerEngine.constraints({ cache_type_v: 'q4_0', flash_attn: 'off' })).toHaveLength(1);
    expect(llamaServerEngine.constraints({ cache_type_v: 'q4_0', flash_attn: 'on' })).toEqual([]);
  });

  it('reports a model that fails to load as a startup failure', () => {
    expect(
      llamaServerEngine.startupFailure('llama_model_load: error loading model: failed to load model'),
    ).toMatchObject({
      source: 'log',
    });
  });
});
