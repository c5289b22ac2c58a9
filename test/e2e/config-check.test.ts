import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nightshift } from '../support/cli.js';
import { tempDir } from '../support/state.js';

function configFile(text: string): string {
  const file = join(tempDir(), 'nightshift.yaml');
  writeFileSync(file, text);
  return file;
}

describe('nightshift config check', () => {
  it('prints one precise line per problem and exits 3 for a typo, a negative budget and a bad zone', () => {
    const file = configFile(
      ['timezone: Europe/Berlni', 'eligibility:', '  budget_s: -5', '  cooldwn: 6h', ''].join('\n'),
    );
    const r = nightshift(['--config', file, 'config', 'check']);
    expect(r.code).toBe(3);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toEqual([
      `config: timezone: expected an IANA time zone such as Europe/Berlin or UTC, found "Europe/Berlni" (${file}:1)`,
      `config: eligibility.budget_s: expected a number ≥ 0, found -5 (${file}:3)`,
      `config: eligibility.cooldwn: unknown key (typo?); allowed here: window, budget_s, cooldown, max_runs_24h (${file}:4)`,
    ]);
    expect(r.stdout).toBe('');
  });

  it('prints the design defaults for an empty file', () => {
    const r = nightshift(['--config', configFile(''), 'config', 'check', '--json']);
    expect(r.code).toBe(0);
    const c = JSON.parse(r.stdout);
    expect(c.phase.at).toBe('03:00');
    expect(c.phase.timeout).toBe('2h');
    expect(c.analysis.baseline_days).toBe(7);
    expect(c.analysis.thresholds).toEqual({
      oom: { increase_warning: 0.5 },
      latency: { warning: 0.2, critical: 0.5 },
      throughput: { warning: 0.15, critical: 0.3 },
      pass_rate: { warning: 0.15, critical: 0.3 },
      error_rate: { floor: 0.02 },
    });
    expect(c.escalation).toEqual({ window: '24h', threshold: 3, critical_threshold: 1, flag_ttl: '4h' });
    expect(c.eligibility).toEqual({ window: '03:00-07:00', budget_s: 60, cooldown: '6h', max_runs_24h: 3 });
    expect(c.tuning.candidates).toBe(6);
    expect(c.canary.timeout_s).toBe(30);
    expect(c.canary.restore_sla_s).toBe(15);
  });

  it('prints the resolved config as YAML by default', () => {
    const r = nightshift(['--config', configFile('timezone: Europe/Berlin\n'), 'config', 'check']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^timezone: Europe\/Berlin$/m);
    expect(r.stdout).toMatch(/^ {2}budget_s: 60$/m);
  });

  it('never prints an API key, only whether it is set', () => {
    const file = configFile('target:\n  api_key_env: MY_VLLM_KEY\n');
    const r = nightshift(['--config', file, 'config', 'check', '--json'], { env: { MY_VLLM_KEY: 'sk-secret-123' } });
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('sk-secret-123');
    expect(JSON.parse(r.stdout).target.api_key).toBe('(set, redacted)');
  });

  it('reports invalid YAML with its line', () => {
    const file = configFile('phase:\n  at: "03:00\n');
    const r = nightshift(['--config', file, 'config', 'check']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^config: \(yaml\): .*nightshift\.yaml:\d+\)$/m);
  });

  it('refuses an explicit config path that does not exist', () => {
    const r = nightshift(['--config', '/nonexistent/nightshift.yaml', 'config', 'check']);
    expect(r.code).toBe(3);
    expect(r.stderr.trim()).toBe(
      'config: /nonexistent/nightshift.yaml does not exist; pass an existing file to --config',
    );
  });

  it('exits 3 with a usage line for an unknown command', () => {
    const r = nightshift(['bogus']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/unknown command 'bogus'/);
  });
});
