import { describe, expect, it } from 'vitest';
import { configSchema } from '../../config/schema.js';
import { StatePaths } from '../../store/paths.js';
import { manualClock } from '../../system/clock.js';
import { silentLogger } from '../../system/log.js';
import { vllmEngine } from '../vllm/engine.js';
import { createProduction, endpointOf, renderApplyCommand, renderEnvFile } from './index.js';

const deps = { clock: manualClock(0), log: silentLogger, engine: vllmEngine };
const paths = new StatePaths('/nonexistent/nightshift-state');
const withProduction = (production: Record<string, unknown>) => configSchema.parse({ target: { production } });

describe('production adapters', () => {
  it('picks the adapter named by target.production.mode', () => {
    expect(createProduction(withProduction({ mode: 'managed' }), paths, deps).mode).toBe('managed');
    const systemd = { mode: 'systemd', systemd: { unit: 'vllm.service', env_file: '/etc/nightshift/vllm.env' } };
    expect(createProduction(withProduction(systemd), paths, deps).mode).toBe('systemd');
    expect(createProduction(withProduction({ mode: 'command', command: { apply: 'true' } }), paths, deps).mode).toBe(
      'command',
    );
  });

  it('asks for the systemd section when systemd mode has none', () => {
    expect(() => createProduction(withProduction({ mode: 'systemd' }), paths, deps)).toThrow(
      /needs target.production.systemd/,
    );
  });

  it('takes host and port from base_url, with the scheme default when none is written', () => {
    expect(endpointOf('http://127.0.0.1:8000')).toEqual({ host: '127.0.0.1', port: 8000 });
    expect(endpointOf('http://localhost/')).toEqual({ host: 'localhost', port: 80 });
  });

  it('renders the env file a systemd unit reads: the flags in VLLM_ARGS and one variable per knob', () => {
    const text = renderEnvFile(
      vllmEngine,
      { gpu_memory_utilization: 0.85, max_num_seqs: 128 },
      { unit: 'vllm.service', envFile: '/etc/nightshift/vllm.env', writtenAt: '2026-03-29T03:00:00+02:00' },
    );
    expect(text).toContain('VLLM_ARGS="--gpu-memory-utilization 0.85 --max-num-seqs 128"\n');
    expect(text).toContain('NIGHTSHIFT_GPU_MEMORY_UTILIZATION="0.85"\n');
    expect(text).toContain('#   ExecStart=<engine command> <model> --port <port> $VLLM_ARGS');
  });

  it('shell-quotes what it appends to the apply command', () => {
    const { script, env } = renderApplyCommand('./deploy.sh', 'flags', vllmEngine.knobs, {
      max_num_seqs: 64,
      note: "it's",
    });
    expect(script).toBe(`./deploy.sh --max-num-seqs 64 --note 'it'\\''s'`);
    expect(env.NIGHTSHIFT_CONFIG_JSON).toBe('{"max_num_seqs":64,"note":"it\'s"}');
  });
});
