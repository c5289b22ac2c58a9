/**
 * The launch prefix of instances. `target.launch: [nightshift, twin, serve]` means "this nightshift's twin": it
 * is resolved to the running node binary and this package's bin/nightshift.js, so the twin a canary starts is
 * always the same build as the loop that starts it, whether or not `nightshift` is on PATH.
 */
import { fileURLToPath } from 'node:url';

/** [node, /abs/path/bin/nightshift.js]; the same from src/ (tests) and dist/ (the installed CLI). */
export function selfCommand(): string[] {
  return [process.execPath, fileURLToPath(new URL('../../bin/nightshift.js', import.meta.url))];
}

export function resolveLaunch(launch: readonly string[]): string[] {
  const [head, ...rest] = launch;
  if (head === 'nightshift') return [...selfCommand(), ...rest];
  return [...launch];
}

/** The twin's launch prefix, for tests and the demo. */
export function twinLaunch(): string[] {
  return [...selfCommand(), 'twin', 'serve'];
}
