import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configKeys, DESCRIPTIONS, withReference } from './reference.js';

describe('config reference', () => {
  it('describes every key of the schema', () => {
    const undocumented = configKeys()
      .map((k) => k.path)
      .filter((p) => !DESCRIPTIONS[p]);
    expect(undocumented).toEqual([]);
  });

  it('is in sync with the README (run `npm run docs` after changing the schema)', () => {
    const readme = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');
    expect(withReference(readme)).toBe(readme);
  });
});
