/**
 * Failures at run time: a memory hog fault that eats the headroom makes the next step hit torch's CUDA OOM
 * (/health 503, in-flight requests fail, non-zero exit); a crash fault kills the engine at its time; a faults
 * file edited while the twin runs is re-read; killing the twin's parent leaves no orphan.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawnGroup } from '../../src/system/process.js';
import { assertNoSurvivors, startTwin, TWIN_MAIN, testRuntimeDir } from '../support/twin.js';

const chat = (baseUrl: string, content: string, extra: Record<string, unknown> = {}) =>
  fetch(`${baseUrl}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'llama-3.1-8b', messages: [{ role: 'user', content }], ...extra }),
  });

describe('runtime failures', () => {
  it('dies of a CUDA OOM when a memory hog eats the headroom: 503, failed request, non-zero exit', async () => {
    const faultsFile = join(testRuntimeDir(), 'faults.yaml');
    // from t = 0.01 model seconds: after the startup check (t = 0), before the server is ready (t ≈ 8)
    writeFileSync(faultsFile, '- { kind: memory_hog, gib: 3, at: 0.01 }\n');
    const twin = await startTwin({ timeScale: 0.02, faultsFile });
    const res = await chat(twin.baseUrl, 'What is 1+1?');
    expect(res.status).toBe(500);
    const health = await fetch(`${twin.baseUrl}/health`);
    expect(health.status).toBe(503);
    expect(await twin.exited).not.toBe(0);
    expect(twin.log()).toContain('torch.OutOfMemoryError: CUDA out of memory. Tried to allocate');
    expect(twin.log()).toContain('EngineDeadError');
    await assertNoSurvivors([twin.pid]);
  });

  it('fails an in-flight stream when the engine dies', async () => {
    const faultsFile = join(testRuntimeDir(), 'faults.yaml');
    writeFileSync(faultsFile, '- { kind: crash, at: 20 }\n');
    const twin = await startTwin({ timeScale: 0.02, faultsFile });
    const res = await chat(twin.baseUrl, 'Tell me everything', { stream: true, max_tokens: 2000, ignore_eos: true });
    const body = await res.text();
    expect(body).toContain('"error"');
    expect(body).not.toContain('[DONE]');
    expect(await twin.exited).not.toBe(0);
    expect(twin.log()).toContain('CUDA error: an illegal memory access was encountered');
    await assertNoSurvivors([twin.pid]);
  });

  it('re-reads the faults file when it changes: a quality fault turns golden answers wrong', async () => {
    const faultsFile = join(testRuntimeDir(), 'faults.yaml');
    writeFileSync(faultsFile, '[]\n');
    const twin = await startTwin({ timeScale: 0.01, faultsFile });
    try {
      const ask = async () => {
        const r = (await (await chat(twin.baseUrl, 'What is 20+22?')).json()) as {
          choices: { message: { content: string } }[];
        };
        return r.choices[0]?.message.content ?? '';
      };
      expect(await ask()).toContain('42');
      writeFileSync(faultsFile, '- { kind: quality, wrong_fraction: 1 }\n');
      const deadline = performance.now() + 5000;
      let answer = await ask();
      while (answer.includes('42') && performance.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        answer = await ask();
      }
      expect(answer).not.toContain('42');
      expect(twin.log()).toContain('faults reloaded');
    } finally {
      await twin.stop();
    }
    await assertNoSurvivors([twin.pid]);
  });

  it('keeps the old faults and warns when the edited file is invalid', async () => {
    const faultsFile = join(testRuntimeDir(), 'faults.yaml');
    writeFileSync(faultsFile, '[]\n');
    const twin = await startTwin({ timeScale: 0.01, faultsFile });
    try {
      writeFileSync(faultsFile, '- { kind: volcano }\n');
      const deadline = performance.now() + 5000;
      while (!twin.log().includes('keeping the previous faults') && performance.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(twin.log()).toContain('keeping the previous faults');
      expect((await fetch(`${twin.baseUrl}/health`)).status).toBe(200);
    } finally {
      await twin.stop();
    }
    await assertNoSurvivors([twin.pid]);
  });
});

describe('no orphans', () => {
  it('exits when its parent is killed with SIGKILL', async () => {
    const dir = testRuntimeDir();
    const logPath = join(dir, 'parent.log');
    const processModule = new URL('../../dist/system/process.js', import.meta.url).href;
    // A parent that starts a twin the way nightshift does (spawnGroup) and then idles.
    const script = `
      const { spawnGroup } = await import(${JSON.stringify(processModule)});
      const twin = spawnGroup([process.execPath, ${JSON.stringify(TWIN_MAIN)}, 'llama-3.1-8b', '--port', '0',
        '--max-model-len', '8192', '--time-scale', '0.01'], { logPath: ${JSON.stringify(join(dir, 'child.log'))},
        env: { NIGHTSHIFT_TWIN_RUNTIME_DIR: ${JSON.stringify(dir)} } });
      console.log('TWIN_PID=' + twin.pid);
      setInterval(() => {}, 1000);
    `;
    const parent = spawnGroup([process.execPath, '--input-type=module', '-e', script], { logPath });
    const deadline = performance.now() + 10_000;
    let twinPid: number | undefined;
    while (twinPid === undefined && performance.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      const m = /TWIN_PID=(\d+)/.exec(await import('node:fs').then((fs) => fs.readFileSync(logPath, 'utf8')));
      if (m) twinPid = Number(m[1]);
    }
    expect(twinPid).toBeDefined();
    process.kill(parent.pid, 'SIGKILL');
    await parent.exited;
    // the twin polls its parent once a second
    await assertNoSurvivors([twinPid as number]);
  });
});
