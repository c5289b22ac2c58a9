/**
 * The twin as the vLLM adapter's engine in the targets tests: the compiled CLI (`npm run build` first), a fast
 * time scale, and a private runtime dir per test so twins of parallel tests never share a fake GPU.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { EngineHarness } from '../../src/targets/contract.js';
import { twinLaunch } from '../../src/targets/launch.js';
import { vllmEngine } from '../../src/targets/vllm/engine.js';
import { tempDir } from './support.js';

export const TWIN_MODEL = 'meta-llama/Llama-3.1-8B-Instruct';
export const TWIN_TIME_SCALE = 0.05;
/** Fits an L4-24GB with llama-3.1-8b (the twin's defaults). */
export const TWIN_GOOD_CONFIG = { gpu_memory_utilization: 0.9, max_model_len: 8192 };
/** Over-commits it: one 131072-token sequence needs more KV cache than is left. */
export const TWIN_OVERCOMMITTED_CONFIG = { gpu_memory_utilization: 0.95, max_model_len: 131072 };
/** vLLM's message for it (both spellings: "model's" and the older "models's"). */
export const TWIN_FAILURE_LINE = /max seq len \(131072\).*estimated maximum model length is \d+/;

export function assertBuilt(): void {
  const main = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
  if (!existsSync(main)) throw new Error(`targets tests: ${main} is missing; run \`npm run build\` first`);
}

/** A fresh runtime dir for the twin's shared device state; remove() after the test. */
export function twinRuntime(): { env: Record<string, string>; remove(): void } {
  const dir = tempDir('nightshift-twin-runtime-');
  return { env: { NIGHTSHIFT_TWIN_RUNTIME_DIR: dir.path }, remove: dir.remove };
}

export async function twinHarness(): Promise<EngineHarness> {
  assertBuilt();
  const runtime = twinRuntime();
  return {
    engine: vllmEngine,
    launch: twinLaunch(),
    model: TWIN_MODEL,
    goodConfig: TWIN_GOOD_CONFIG,
    failingConfig: TWIN_OVERCOMMITTED_CONFIG,
    failureLine: TWIN_FAILURE_LINE,
    env: runtime.env,
    timeScale: TWIN_TIME_SCALE,
    ports: '19800-19899',
    cleanup: runtime.remove,
  };
}
