import { describe, expect, it } from 'vitest';
import { UsageError } from '../core/errors.js';
import { engineFor } from './registry.js';

describe('engine registry', () => {
  it('finds the adapter by its target.engine name', () => {
    expect(engineFor('vllm').name).toBe('vllm');
    expect(engineFor('llama-server').name).toBe('llama-server');
    expect(engineFor('ollama').name).toBe('ollama');
  });

  it('names the known engines when asked for one it has no adapter for', () => {
    expect(() => engineFor('sglang')).toThrow(UsageError);
    expect(() => engineFor('sglang')).toThrow(/known: vllm, llama-server, ollama/);
  });
});
