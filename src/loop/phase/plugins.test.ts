import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/support/state.js';
import { domainsOf, loadPlugin, PluginError } from './plugins.js';

const run = async () => ({ status: 'pass' as const, metrics: {} });

describe('plugins', () => {
  it('take the default export, `domain` and a `domains` list', () => {
    const found = domainsOf('p.js', {
      default: { name: 'a', description: 'A', run },
      domain: { name: 'b', description: 'B', run },
      domains: [{ name: 'c', run }],
    });
    expect(found.map((d) => d.name)).toEqual(['a', 'b', 'c']);
    expect(found[2]?.description).toBe('plugin c');
  });

  it('refuse a module without a domain, a non-domain export, and a built-in name', () => {
    expect(() => domainsOf('p.js', {})).toThrow(/exports no domain/);
    expect(() => domainsOf('p.js', { default: { name: 'x' } })).toThrow(PluginError);
    expect(() => domainsOf('p.js', { domain: { name: 'soak', description: '', run } })).toThrow(/taken/);
  });

  it('load an ES module from a path relative to the config directory', async () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, 'mine.mjs'),
      "export default { name: 'mine', description: 'my domain', run: async () => ({ status: 'pass', metrics: {} }) };\n",
    );
    const [d] = await loadPlugin('mine.mjs', dir);
    expect(d?.name).toBe('mine');
    await expect(d?.run({} as never)).resolves.toEqual({ status: 'pass', metrics: {} });
  });

  it('report a module that cannot be loaded', async () => {
    await expect(loadPlugin('missing.mjs', tempDir())).rejects.toThrow(/plugin .*missing\.mjs: cannot be loaded/);
  });
});
