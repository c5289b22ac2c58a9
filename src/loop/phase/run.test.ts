import { mkdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { tempState } from '../../../test/support/state.js';
import { configSchema } from '../../config/schema.js';
import { atLocal } from '../../core/time.js';
import type { DomainResult } from '../../core/types.js';
import { defaultDomainNames, domainOptionsFor, newEpochId, normalizeResult, targetFromConfig } from './run.js';

describe('PHASE runner pieces', () => {
  it('names an epoch by the local time of the configured zone, with a suffix when it exists', () => {
    const paths = tempState();
    const now = atLocal('2026-03-29T03:00:04', 'Europe/Berlin');
    expect(newEpochId(paths, now, 'Europe/Berlin')).toBe('phase_20260329_030004');
    mkdirSync(paths.reportDir('phase_20260329_030004'), { recursive: true });
    expect(newEpochId(paths, now, 'Europe/Berlin')).toBe('phase_20260329_030004_2');
  });

  it('runs the enabled built-ins in order, then suites and plugins', () => {
    const config = configSchema.parse({ phase: { domains: { soak: { enabled: false }, burst: { enabled: false } } } });
    const names = defaultDomainNames(config, [
      { name: 'suite:x', description: '', run: async () => ({ status: 'pass', metrics: {} }) },
    ]);
    expect(names).toHaveLength(10);
    expect(names[0]).toBe('health');
    expect(names).not.toContain('soak');
    expect(names.at(-1)).toBe('suite:x');
  });

  it('lays run-time overrides over the configured domain options', () => {
    const config = configSchema.parse({ phase: { domains: { throughput: { requests: 100, concurrency: 8 } } } });
    const o = domainOptionsFor('throughput', {
      config,
      domainOptions: { throughput: { enabled: true, requests: 10 } },
    });
    expect(o).toMatchObject({ enabled: true, requests: 10, concurrency: 8 });
  });

  it('reads the target from the config, the API key from the environment only', () => {
    const config = configSchema.parse({
      target: {
        model: 'm',
        served_model_name: 'served',
        api_key_env: 'MY_KEY',
        config: { max_model_len: 8192 },
        production: { mode: 'systemd', systemd: { unit: 'vllm.service', env_file: '/etc/x.env' } },
      },
    });
    expect(targetFromConfig(config, { MY_KEY: 'sk-1' })).toMatchObject({
      model: 'served',
      apiKey: 'sk-1',
      maxModelLen: 8192,
      journalUnit: 'vllm.service',
      engine: 'vllm',
    });
    expect(targetFromConfig(config, {}).apiKey).toBeUndefined();
  });

  it('keeps only vocabulary metrics, moving a plugin’s own figures to the details', () => {
    const r = normalizeResult({ status: 'pass', metrics: { ttft_ms_p50: 10, my_score: 3 } } as unknown as DomainResult);
    expect(r.metrics).toEqual({ ttft_ms_p50: 10 });
    expect(r.details).toEqual({ other_metrics: { my_score: 3 } });
  });

  it('turns a result without a valid status into an error', () => {
    expect(normalizeResult({ status: 'ok' } as unknown as DomainResult)).toMatchObject({ status: 'error' });
  });
});
