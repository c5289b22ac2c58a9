/**
 * `nightshift evidence scan` and `nightshift scrape`, run in-process through commander as the binary runs
 * them (only these two commands are registered, so the test does not depend on other commands' modules).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { registerEvidence } from '../../src/cli/evidence.js';
import { registerScrape } from '../../src/cli/scrape.js';
import { describeError, NightshiftError } from '../../src/core/errors.js';
import { ROOT } from '../support/cli.js';

const LOGS = join(ROOT, 'test', 'fixtures', 'logs');
const METRICS = join(ROOT, 'test', 'fixtures', 'metrics');

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io = {
    out: (t: string) => {
      out += `${t}\n`;
    },
    err: (t: string) => {
      err += `${t}\n`;
    },
    isTTY: false,
  };
  const exit = { code: 0 };
  const program = new Command('nightshift')
    .option('-c, --config <file>')
    .option('-s, --state-dir <dir>')
    .option('--json')
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err });
  registerEvidence(program, exit, io);
  registerScrape(program, exit, io);
  try {
    await program.parseAsync(['node', 'nightshift', ...args]);
    return { code: exit.code, out, err };
  } catch (e) {
    io.err(describeError(e));
    return { code: e instanceof NightshiftError ? e.exitCode : 70, out, err };
  }
}

describe('nightshift evidence scan', () => {
  it('lists each event with its kind, estimated max model length, line number and line', async () => {
    const file = join(LOGS, 'failure', 'vllm-v1-kv-capacity-estimate.log');
    const r = await run(['evidence', 'scan', file]);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`${file}:5  startup_oom_kv_capacity (estimated max model length 5632)`);
    expect(r.out).toContain('ValueError: To serve at least one request');
  });

  it('prints "no events" for a healthy log', async () => {
    const r = await run(['evidence', 'scan', join(LOGS, 'healthy', 'vllm-v1-startup.log')]);
    expect(r.out.trim()).toBe('no events');
  });

  it('prints JSON with --json and honours a --since/--until window', async () => {
    const file = join(LOGS, 'failure', 'kernel-oom-journald.log');
    const inside = await run([
      'evidence',
      'scan',
      file,
      '--json',
      '--year',
      '2025',
      '--since',
      '2025-05-15T23:00',
      '--until',
      '2025-05-15T23:30',
    ]);
    expect(JSON.parse(inside.out)).toEqual([expect.objectContaining({ kind: 'kernel_oom', lineNo: 1, file })]);
    const after = await run(['evidence', 'scan', file, '--json', '--year', '2025', '--since', '2025-05-16T00:00']);
    expect(JSON.parse(after.out)).toEqual([]);
  });

  it('is a usage error without a file or a unit, or with a missing file', async () => {
    expect((await run(['evidence', 'scan'])).code).toBe(3);
    const missing = await run(['evidence', 'scan', join(LOGS, 'nope.log')]);
    expect(missing.code).toBe(3);
    expect(missing.err).toMatch(/no such file/);
  });

  it('is a one-line usage error for a directory, not an internal error', async () => {
    const r = await run(['evidence', 'scan', join(LOGS, 'healthy')]);
    expect(r.code).toBe(3);
    expect(r.err.trim()).toMatch(/^evidence: .*healthy is a directory; name the log files in it/);
  });
});

describe('nightshift scrape', () => {
  it('prints the normalized signals of a saved exposition', async () => {
    const r = await run(['scrape', join(METRICS, 'vllm-v0.10-engine-label.prom')]);
    expect(r.out).toMatch(/available: yes \(vllm, 1 engine\(s\)\)/);
    expect(r.out).toMatch(/prefix_cache_queries\s+32/);
  });

  it('prints KV usage as a percentage', async () => {
    const r = await run(['scrape', join(METRICS, 'vllm-v0.10-engine-label.prom')]);
    expect(r.out).toMatch(/kv_usage\s+0\.00098%/);
  });

  it('says so when an exposition has no engine metric it knows', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nightshift-scrape-'));
    const file = join(dir, 'node.prom');
    writeFileSync(file, '# TYPE process_open_fds gauge\nprocess_open_fds 45\n');
    const r = await run(['scrape', file]);
    expect(r.code).toBe(0);
    expect(r.out.trim()).toBe(
      'metrics readable, but no engine metric nightshift knows (vLLM, llama-server or SGLang names)',
    );
    rmSync(dir, { recursive: true, force: true });
  });

  it('is a usage error for a directory', async () => {
    const r = await run(['scrape', METRICS]);
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/scrape: .* is a directory/);
  });

  it('prints JSON with --json', async () => {
    const r = await run(['scrape', '--json', join(METRICS, 'vllm-v0-qwenvl.prom')]);
    expect(JSON.parse(r.out)).toMatchObject({ available: true, kv_usage: 0 });
  });

  it('says why metrics are unavailable at a URL that does not answer', async () => {
    const r = await run(['scrape', 'http://127.0.0.1:9/']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/metrics unavailable: GET http:\/\/127\.0\.0\.1:9\/metrics/);
  });
});
