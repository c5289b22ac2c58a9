/**
 * The plugin interface: a module path in `phase.plugins` whose default export (or named export `domain`)
 * is a Domain — `{ name, description, run(ctx) }`, the same contract as the built-in domains. A plugin may
 * also export a list of domains as `domains`. TypeScript plugins are loaded compiled (.js/.mjs), or as .ts
 * when nightshift runs under a TypeScript loader.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { UsageError } from '../../core/errors.js';
import type { Domain } from './domain.js';
import { BUILTIN_DOMAINS } from './domains/index.js';

export class PluginError extends UsageError {
  constructor(path: string, message: string) {
    super(`plugin ${path}: ${message}`, 'fix the module or remove it from phase.plugins');
  }
}

export function isDomain(value: unknown): value is Domain {
  const d = value as Partial<Domain> | null;
  return (
    d !== null &&
    typeof d === 'object' &&
    typeof d.name === 'string' &&
    d.name.length > 0 &&
    typeof d.run === 'function' &&
    (d.description === undefined || typeof d.description === 'string')
  );
}

/** The domains a loaded module exports: `default`, `domain`, or `domains` (a list). */
export function domainsOf(path: string, mod: Record<string, unknown>): Domain[] {
  const found: unknown[] = [];
  if (mod.default !== undefined) found.push(mod.default);
  if (mod.domain !== undefined) found.push(mod.domain);
  if (Array.isArray(mod.domains)) found.push(...mod.domains);
  if (found.length === 0)
    throw new PluginError(path, 'exports no domain (expected a default export, `domain` or `domains`)');
  const out: Domain[] = [];
  for (const d of found) {
    if (!isDomain(d))
      throw new PluginError(path, 'an export is not a Domain ({ name: string, description, run(ctx) })');
    if (Object.hasOwn(BUILTIN_DOMAINS, d.name) || d.name.startsWith('suite:')) {
      throw new PluginError(path, `domain name "${d.name}" is taken by a built-in domain or a suite`);
    }
    out.push({ ...d, description: d.description ?? `plugin ${d.name}` });
  }
  return out;
}

export async function loadPlugin(modulePath: string, baseDir: string): Promise<Domain[]> {
  const path = resolve(baseDir, modulePath);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (err) {
    throw new PluginError(path, `cannot be loaded: ${(err as Error).message.split('\n')[0]}`);
  }
  return domainsOf(path, mod);
}
