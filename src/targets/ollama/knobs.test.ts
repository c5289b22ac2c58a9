import { describe, expect, it } from 'vitest';
import { ollamaEngine } from './knobs.js';

describe('Ollama adapter', () => {
  it('configures ollama serve through its environment, host and port included', () => {
    const spec = ollamaEngine.launch({
      launch: ['ollama', 'serve'],
      model: 'llama3.1:8b',
      port: 18003,
      config: { num_ctx: 8192, num_parallel: 4, kv_cache_type: 'q8_0', flash_attention: true },
    });
    expect(spec.argv).toEqual(['ollama', 'serve']);
    expect(spec.env).toEqual({
      OLLAMA_HOST: '127.0.0.1:18003',
      OLLAMA_CONTEXT_LENGTH: '8192',
      OLLAMA_NUM_PARALLEL: '4',
      OLLAMA_KV_CACHE_TYPE: 'q8_0',
      OLLAMA_FLASH_ATTENTION: '1',
    });
  });

  it('requires flash attention for a quantized KV cache', () => {
    expect(ollamaEngine.constraints({ kv_cache_type: 'q8_0', flash_attention: false })).toHaveLength(1);
    expect(ollamaEngine.constraints({ kv_cache_type: 'q8_0', flash_attention: true })).toEqual([]);
  });

  it('checks health at / (Ollama has no /health)', () => {
    expect(ollamaEngine.healthPath).toBe('/');
  });
});
