import { afterAll, expect, it } from 'vitest';
import { recordSymptom } from '../../src/loop/symptoms/ledger.js';
import { startRig, type Rig, ZONE } from './rig.js';
import { atLocal } from '../../src/core/time.js';
import { manualClock } from '../../src/system/clock.js';

let rig: Rig;
afterAll(async () => rig?.stop());

it('explore', async () => {
  const t0 = performance.now();
  rig = await startRig({ target: { config: { gpu_memory_utilization: 0.9, max_num_seqs: 16, max_model_len: 8192 } }, phase: { domains: { throughput: { requests: 32, concurrency: 16, max_tokens: 64 } } }, canary: { domains: ['throughput'] }, tuning: { candidates: 1, fitness: { weights: { itl_ms_p95: 1, tpot_ms_p50: 1 } }, knobs: { max_num_batched_tokens: { enabled: false }, enable_prefix_caching: { enabled: false }, gpu_memory_utilization: { enabled: false }, max_model_len: { enabled: false }, kv_cache_dtype: { enabled: false } } } });
  console.log('start', performance.now() - t0);
  for (const d of ['01', '02', '03']) {
    const r = await rig.night(`2026-06-${d}T03:00`);
    console.log(d, performance.now() - t0, JSON.stringify(r));
  }
  const c = manualClock(atLocal('2026-06-04T02:50', ZONE));
  for (let i = 0; i < 3; i++) recordSymptom(rig.paths, c, ZONE, { kind: 'latency_regression', mode: 'act', meta: { severity: 'warning', domain: 'interactive', metric: 'ttft_ms_p95' } });
  const r = await rig.night('2026-06-04T03:00');
  console.log('04', performance.now() - t0, JSON.stringify(r, null, 1));
  const { readFileSync } = await import('node:fs');
  console.log(readFileSync(rig.paths.tuningHistory(), 'utf8').slice(0, 6000));
  console.log(readFileSync(rig.paths.productionFile(), 'utf8'));
  expect(r).toBeDefined();
}, 200_000);
