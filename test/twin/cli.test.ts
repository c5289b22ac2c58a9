/** `nightshift twin serve` through the real binary (compiled dist), as the loop's launch command runs it. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawnGroup } from '../../src/system/process.js';
import { BIN, nightshift } from '../support/cli.js';
import { assertNoSurvivors, freePort, testRuntimeDir } from '../support/twin.js';

describe('nightshift twin', () => {
  it('serves through `nightshift twin serve` and stops on SIGTERM with exit 0', async () => {
    const dir = testRuntimeDir();
    const port = await freePort();
    const twin = spawnGroup(
      [
        process.execPath,
        BIN,
        'twin',
        'serve',
        'meta-llama/Llama-3.1-8B-Instruct',
        '--port',
        String(port),
        '--max-model-len=8192',
        '--time-scale',
        '0.01',
        '--served-model-name',
        'prod',
      ],
      { logPath: join(dir, 'cli.log'), env: { NIGHTSHIFT_TWIN_RUNTIME_DIR: dir } },
    );
    const deadline = performance.now() + 15_000;
    let status = 0;
    while (status !== 200 && performance.now() < deadline && twin.exitCode() === undefined) {
      status = await fetch(`http://127.0.0.1:${port}/health`).then(
        (r) => r.status,
        () => 0,
      );
      if (status !== 200) await new Promise((r) => setTimeout(r, 25));
    }
    expect(status).toBe(200);
    const models = (await (await fetch(`http://127.0.0.1:${port}/v1/models`)).json()) as { data: { id: string }[] };
    expect(models.data.map((m) => m.id)).toEqual(['prod']);
    process.kill(twin.pid, 'SIGTERM');
    expect(await twin.exited).toBe(0);
    await assertNoSurvivors([twin.pid]);
  });

  it('lists the catalogue', () => {
    const r = nightshift(['twin', 'catalogue']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('llama-3.1-70b');
    expect(r.stdout).toContain('RTX3060-12GB');
  });

  it('lists the catalogue in aligned columns with units, and as JSON with --json', () => {
    const text = nightshift(['twin', 'catalogue']).stdout.split('\n');
    const header = text.find((l) => l.startsWith('NAME  ') && l.includes('BANDWIDTH GB/s')) ?? '';
    const l4 = text.find((l) => l.startsWith('L4-24GB')) ?? '';
    const h100 = text.find((l) => l.startsWith('H100-80GB')) ?? '';
    expect(l4.length).toBe(header.length);
    expect(h100.length).toBe(header.length);
    const r = nightshift(['twin', 'catalogue', '--json']);
    expect(r.code).toBe(0);
    const cat = JSON.parse(r.stdout) as { models: { key: string }[]; gpus: { key: string }[] };
    expect(cat.models.map((m) => m.key)).toContain('llama-3.1-8b');
    expect(cat.gpus.map((g) => g.key)).toContain('L4-24GB');
  });
});
