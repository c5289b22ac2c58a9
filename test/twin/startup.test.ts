/**
 * Startup accounting as a process: each vLLM startup failure at a config that over-commits an L4-24GB with
 * llama-3.1-8b prints vLLM's exact message and exits non-zero fast; a config that fits serves and reports KV
 * usage; twins on one device see each other's memory.
 */
import { describe, expect, it } from 'vitest';
import { assertNoSurvivors, launchTwin, startTwin, testRuntimeDir } from '../support/twin.js';

async function failedStart(args: string[], extra: { device?: string; runtimeDir?: string } = {}) {
  const began = performance.now();
  const twin = await launchTwin({ args, ...extra });
  const code = await twin.exited;
  const ms = performance.now() - began;
  await assertNoSurvivors([twin.pid]);
  return { code, ms, log: twin.log() };
}

const ENGINE_FAILED = 'RuntimeError: Engine core initialization failed. See root cause above.';

describe('twin startup', () => {
  it('fails with "Free memory on device" when other processes hold memory', async () => {
    const r = await failedStart(['--other-memory-gib', '3']);
    expect(r.code).not.toBe(0);
    expect(r.log).toMatch(
      /\(EngineCore_DP0 pid=\d+\) ERROR \d\d-\d\d \d\d:\d\d:\d\d \[core\.py:\d+\] ValueError: Free memory on device \(19\.03\/22\.03 GiB\) on startup is less than desired GPU memory utilization \(0\.9, 19\.83 GiB\)\. Decrease GPU memory utilization or reduce GPU memory used by other processes\./,
    );
    expect(r.log).toContain(ENGINE_FAILED);
    expect(r.ms).toBeLessThan(1000);
  });

  it('fails with "No available memory for the cache blocks" when weights fill the budget', async () => {
    const r = await failedStart(['--gpu-memory-utilization', '0.7']);
    expect(r.code).not.toBe(0);
    expect(r.log).toContain(
      'ValueError: No available memory for the cache blocks. Try increasing `gpu_memory_utilization` when initializing the engine.',
    );
    expect(r.log).toContain(ENGINE_FAILED);
    expect(r.ms).toBeLessThan(1000);
  });

  it('fails with the max seq len message when one max-model-len sequence does not fit', async () => {
    const r = await failedStart(['--max-model-len', '131072']);
    expect(r.code).not.toBe(0);
    expect(r.log).toMatch(
      /ValueError: To serve at least one request with the model's max seq len \(131072\), \(16\.00 GiB KV cache is needed, which is larger than the available KV cache memory \(3\.\d\d GiB\)\. Based on the available memory, the estimated maximum model length is \d+\. Try increasing `gpu_memory_utilization` or decreasing `max_model_len` when initializing the engine\./,
    );
    expect(r.log).toContain(ENGINE_FAILED);
    expect(r.ms).toBeLessThan(1000);
  });

  it('fails like argparse, exit 2, on an invalid flag value', async () => {
    const r = await failedStart(['--max-num-seqs', 'many']);
    expect(r.code).toBe(2);
    expect(r.log).toContain("vllm serve: error: argument --max-num-seqs: invalid int value: 'many'");
  });

  it('names the catalogue for an unknown model, exit 3', async () => {
    const began = performance.now();
    const twin = await launchTwin({ model: 'gpt-17' });
    expect(await twin.exited).toBe(3);
    expect(performance.now() - began).toBeLessThan(1000);
    expect(twin.log()).toContain('twin: unknown model "gpt-17"');
    expect(twin.log()).toContain('llama-3.1-8b');
  });

  it('starts a config that fits, logs the KV cache like vLLM and reports vllm:kv_cache_usage_perc', async () => {
    const twin = await startTwin({ timeScale: 0.01 });
    try {
      expect(twin.log()).toMatch(/\[gpu_worker\.py:\d+\] Available KV cache memory: 3\.\d\d GiB/);
      expect(twin.log()).toMatch(/GPU KV cache size: [\d,]+ tokens/);
      expect(twin.log()).toMatch(/Maximum concurrency for 8,192 tokens per request: 3\.\d\dx/);
      const metrics = await (await fetch(`${twin.baseUrl}/metrics`)).text();
      expect(metrics).toMatch(/^vllm:kv_cache_usage_perc\{model_name="llama-3.1-8b",engine="0"\} 0$/m);
    } finally {
      await twin.stop();
    }
    await assertNoSurvivors([twin.pid]);
  });
});

describe('one GPU, several twins', () => {
  it('fails a canary on the device production uses, with the free-memory message', async () => {
    const runtimeDir = testRuntimeDir();
    const production = await startTwin({ timeScale: 0.01, runtimeDir, device: '0' });
    try {
      const r = await failedStart(['--gpu-memory-utilization', '0.5'], { runtimeDir, device: '0' });
      expect(r.code).not.toBe(0);
      expect(r.log).toMatch(/ValueError: Free memory on device \(2\.2\/22\.03 GiB\) on startup is less than desired/);
    } finally {
      await production.stop();
    }
    await assertNoSurvivors([production.pid]);
  });

  it('starts a canary on another device', async () => {
    const runtimeDir = testRuntimeDir();
    const production = await startTwin({ timeScale: 0.01, runtimeDir, device: '0' });
    const canary = await startTwin({ timeScale: 0.01, runtimeDir, device: '1' });
    await Promise.all([production.stop(), canary.stop()]);
    await assertNoSurvivors([production.pid, canary.pid]);
  });

  it('frees the device when production stops, so the next twin starts', async () => {
    const runtimeDir = testRuntimeDir();
    const first = await startTwin({ timeScale: 0.01, runtimeDir });
    await first.stop();
    const second = await startTwin({ timeScale: 0.01, runtimeDir });
    await second.stop();
    await assertNoSurvivors([first.pid, second.pid]);
  });
});
