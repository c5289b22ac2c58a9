import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const logModule = new URL('./log.ts', import.meta.url).pathname;

function logFrom(tty: boolean): string {
  const script = `import('${logModule}').then(({ createLogger }) => {
    const log = createLogger({ tty: ${tty} });
    log.info({ epoch: 'phase_20260101_030000', api_key: 'sk-123' }, 'phase sealed');
  });`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
  return r.stderr;
}

describe('logging', () => {
  it('writes one JSON object per line to stderr off a TTY, secrets redacted', () => {
    const line = JSON.parse(logFrom(false).trim());
    expect(line).toMatchObject({ level: 30, msg: 'phase sealed', epoch: 'phase_20260101_030000', name: 'nightshift' });
    expect(line.api_key).toBe('(redacted)');
  });

  it('writes readable lines on a TTY', () => {
    const text = logFrom(true);
    expect(text).toMatch(/INFO.*phase sealed/);
    expect(() => JSON.parse(text.trim())).toThrow();
    expect(text).not.toContain('sk-123');
  });
});
