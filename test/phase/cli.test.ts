/**
 * `nightshift phase run | show | verify | domains` against a twin: the run and the refusal of a tampered
 * report through the compiled binary as a user runs them, the rest in-process through the CLI's main().
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { nightshift } from '../support/cli.js';
import { assertNoSurvivors, freePort, startTwin, type TwinProcess } from '../support/twin.js';

let twin: TwinProcess;
let dir: string;
let args: string[];

/** Run the CLI in-process; stdout and stderr collected. */
async function cli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io = {
    out: (t: string) => {
      stdout += t.endsWith('\n') ? t : `${t}\n`;
    },
    err: (t: string) => {
      stderr += t.endsWith('\n') ? t : `${t}\n`;
    },
    isTTY: false,
  };
  const code = await main(['node', 'nightshift', ...argv], io);
  return { code, stdout, stderr };
}

beforeAll(async () => {
  twin = await startTwin({ timeScale: 0.05 });
  // one directory for the whole file: the tests read what the first one wrote
  dir = mkdtempSync(join(tmpdir(), 'nightshift-phase-cli-'));
  writeFileSync(
    join(dir, 'nightshift.yaml'),
    [
      'timezone: Europe/Berlin',
      'mode: observe',
      `state_dir: ${join(dir, 'state')}`,
      'target:',
      '  model: llama-3.1-8b',
      `  base_url: ${twin.baseUrl}`,
      '  time_scale: 0.05',
      '',
    ].join('\n'),
  );
  args = ['--config', join(dir, 'nightshift.yaml')];
});

afterAll(async () => {
  await twin?.stop();
  await assertNoSurvivors(twin ? [twin.pid] : []);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('nightshift phase', () => {
  let epoch = '';

  it('run prints only the final result on a pipe and exits 0 when every domain passed', () => {
    const r = nightshift([...args, 'phase', 'run', '--domains', 'health,correctness', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as {
      epoch_id: string;
      status: string;
      domains: { domain: string; status: string }[];
    };
    expect(out.status).toBe('pass');
    expect(out.domains.map((d) => `${d.domain}:${d.status}`)).toEqual(['health:pass', 'correctness:pass']);
    epoch = out.epoch_id;
    expect(epoch).toMatch(/^phase_\d{8}_\d{6}$/);
  });

  it('show prints the latest report as a table of domains and key metrics', async () => {
    const r = await cli([...args, 'phase', 'show']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`${epoch}: pass`);
    expect(r.stdout).toMatch(/correctness\s+pass\s+\S+\s+pass_rate=100\.0%/);
  });

  it('verify accepts an intact report', async () => {
    const r = await cli([...args, 'phase', 'verify', epoch]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^verified ${epoch}: 2 domains`));
  });

  it('verify --json prints the verified seal', async () => {
    const r = await cli([...args, 'phase', 'verify', epoch, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ epoch_id: epoch, verified: true, domains: 2 });
  });

  it('verify and show refuse a report with one byte flipped', async () => {
    const file = join(dir, 'state', 'phase', 'reports', epoch, 'phase_report.jsonl');
    const bytes = readFileSync(file);
    const i = bytes.indexOf('"pass"');
    bytes[i + 1] = 'f'.charCodeAt(0); // "pass" → "fass"
    writeFileSync(file, bytes);
    const verify = nightshift([...args, 'phase', 'verify', epoch]);
    expect(verify.code).not.toBe(0);
    expect(verify.stderr).toMatch(/report: SHA256 mismatch for phase_\d{8}_\d{6}.*phase_report\.jsonl/);
    const show = await cli([...args, 'phase', 'show', epoch]);
    expect(show.code).not.toBe(0);
    expect(show.stderr).toMatch(/SHA256 mismatch/);
  });

  it('run exits 1 when a domain did not pass (a target that is down)', async () => {
    const port = await freePort();
    const file = join(dir, 'down.yaml');
    writeFileSync(file, `state_dir: ${join(dir, 'down-state')}\ntarget:\n  base_url: http://127.0.0.1:${port}\n`);
    const r = await cli(['--config', file, 'phase', 'run', '--domains', 'health,interactive', '--json']);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as { status: string; domains: { status: string }[] };
    expect(out.status).toBe('fail');
    expect(out.domains.map((d) => d.status)).toEqual(['fail', 'error']);
  });

  it('domains lists the 11 built-in domains with their defaults', async () => {
    const r = await cli([...args, 'phase', 'domains', '--json']);
    expect(r.code).toBe(0);
    const list = JSON.parse(r.stdout) as { name: string; defaults: Record<string, unknown> }[];
    expect(list).toHaveLength(11);
    expect(list.find((d) => d.name === 'throughput')?.defaults).toMatchObject({ requests: 32, concurrency: 16 });
  });

  it('show, verify and analyze name the sealed epochs when given one that does not exist', async () => {
    for (const command of [['phase', 'show'], ['phase', 'verify'], ['analyze']]) {
      const r = await cli([...args, ...command, 'phase_20200101_000000']);
      expect(r.code).toBe(3);
      expect(r.stderr.trim()).toMatch(
        new RegExp(`^${command.join(' ')}: no PHASE epoch phase_20200101_000000 in .*; sealed: ${epoch}$`),
      );
    }
  });

  it('run runs a domain named twice once', async () => {
    const file = join(dir, 'twice.yaml');
    writeFileSync(file, readFileSync(join(dir, 'nightshift.yaml'), 'utf8').replace('/state', '/twice-state'));
    const r = await cli(['--config', file, 'phase', 'run', '--domains', 'health, health', '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { domains: { domain: string }[] };
    expect(out.domains.map((d) => d.domain)).toEqual(['health']);
  });

  it('run refuses an unknown domain with a usage error', async () => {
    const r = await cli([...args, 'phase', 'run', '--domains', 'health,nope']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/phase: unknown domain "nope"; known domains: health, interactive/);
  });
});
