/**
 * `nightshift demo` as a new user runs it (no config, any directory): the narrated story shows detection,
 * escalation, tuning, promotion and validation, ends with where the state is, and takes under 2 minutes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { nightshift } from '../support/cli.js';
import { processesMentioning } from './support.js';

const cwd = mkdtempSync(join(tmpdir(), 'nightshift-demo-cwd-'));
const out = join(cwd, 'state');
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

describe('nightshift demo', () => {
  it('tells detection → escalation → tuning → promotion → validation in under 2 minutes', () => {
    const t0 = performance.now();
    const r = nightshift(['demo', '--out', out], { cwd, timeoutMs: 180_000 });
    const seconds = (performance.now() - t0) / 1000;
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/symptom oom_event/);
    expect(r.stdout).toMatch(/flag escalate_oom_event armed/);
    expect(r.stdout).toMatch(/tuning tried \d+ candidate\(s\) on canaries/);
    expect(r.stdout).toMatch(/promoted .* to production \(provisional\)/);
    expect(r.stdout).toMatch(/validated: tonight is better than before the promotion/);
    expect(r.stdout).toContain(`nightshift history --state-dir ${out}`);
    expect(processesMentioning(out)).toEqual([]);
    expect(seconds).toBeLessThan(120);
  });
});
