import { describe, expect, it } from 'vitest';
import { parseTwinArgs, TwinArgError } from './args.js';

describe('twin command line', () => {
  it('reads vLLM flags in both --flag value and --flag=value forms', () => {
    const a = parseTwinArgs(['llama-3.1-8b', '--max-num-seqs', '64', '--gpu-memory-utilization=0.85', '--port=9000']);
    expect(a).toMatchObject({ model: 'llama-3.1-8b', maxNumSeqs: 64, gpuMemoryUtilization: 0.85, port: 9000 });
  });

  it('applies vLLM defaults and the twin defaults', () => {
    expect(parseTwinArgs(['m'])).toMatchObject({
      gpuMemoryUtilization: 0.9,
      blockSize: 16,
      enablePrefixCaching: true,
      enforceEager: false,
      kvCacheDtype: 'auto',
      gpu: 'L4-24GB',
      timeScale: 1,
      device: '0',
      host: '127.0.0.1',
    });
  });

  it('turns prefix caching off with --no-enable-prefix-caching and eager mode on with --enforce-eager', () => {
    const a = parseTwinArgs(['m', '--no-enable-prefix-caching', '--enforce-eager']);
    expect(a.enablePrefixCaching).toBe(false);
    expect(a.enforceEager).toBe(true);
  });

  it('maps fp8 KV cache dtypes to fp8', () => {
    expect(parseTwinArgs(['m', '--kv-cache-dtype', 'fp8_e4m3']).kvCacheDtype).toBe('fp8');
  });

  it('reads max-model-len with k/K suffixes like vLLM', () => {
    expect(parseTwinArgs(['m', '--max-model-len', '32k']).maxModelLen).toBe(32000);
    expect(parseTwinArgs(['m', '--max-model-len', '32K']).maxModelLen).toBe(32768);
  });

  it('keeps unknown vLLM flags, with their values, as warnings', () => {
    const a = parseTwinArgs(['m', '--trust-remote-code', '--dtype', 'bfloat16', '--max-num-seqs', '8']);
    expect(a.unknown).toEqual(['--trust-remote-code', '--dtype bfloat16']);
    expect(a.maxNumSeqs).toBe(8);
  });

  it('takes several served model names', () => {
    expect(parseTwinArgs(['m', '--served-model-name', 'a', 'b', '--seed', '3']).servedModelName).toEqual(['a', 'b']);
  });

  it("fails like vLLM's argparse on a bad int, with exit code 2", () => {
    const run = () => parseTwinArgs(['m', '--max-num-seqs', 'lots']);
    expect(run).toThrow(TwinArgError);
    expect(run).toThrow("vllm serve: error: argument --max-num-seqs: invalid int value: 'lots'");
  });

  it('fails on a bad choice of block size', () => {
    expect(() => parseTwinArgs(['m', '--block-size', '24'])).toThrow(/invalid choice: '24'/);
  });

  it('fails on a GPU memory utilization above 1', () => {
    expect(() => parseTwinArgs(['m', '--gpu-memory-utilization', '1.5'])).toThrow(/GPU memory utilization/);
  });

  it('requires the model', () => {
    expect(() => parseTwinArgs(['--port', '1'])).toThrow(/required: model_tag/);
  });
});
