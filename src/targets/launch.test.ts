import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { resolveLaunch, twinLaunch } from './launch.js';

describe('launch prefix', () => {
  it("resolves a leading 'nightshift' to this node and this package's bin", () => {
    const [node, bin, ...rest] = resolveLaunch(['nightshift', 'twin', 'serve']);
    expect(node).toBe(process.execPath);
    expect(bin?.endsWith('/bin/nightshift.js')).toBe(true);
    expect(existsSync(bin ?? '')).toBe(true);
    expect(rest).toEqual(['twin', 'serve']);
  });

  it('leaves any other command as configured', () => {
    expect(resolveLaunch(['vllm', 'serve'])).toEqual(['vllm', 'serve']);
  });

  it('launches the twin through the same resolution', () => {
    expect(twinLaunch()).toEqual(resolveLaunch(['nightshift', 'twin', 'serve']));
  });
});
