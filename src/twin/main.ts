/**
 * Standalone twin entry: `node dist/twin/main.js MODEL [flags]` is `nightshift twin serve MODEL [flags]` without
 * loading the rest of the CLI (test/support/twin.ts spawns it; bin/nightshift.js takes this path for
 * `nightshift twin serve`, so a startup failure exits well under a second however large the CLI grows).
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runTwinServe } from './command.js';

/** Run `twin serve` with these words (MODEL and flags) and exit with its code. */
export function runTwinMain(argv: readonly string[]): void {
  runTwinServe(argv, (line) => process.stderr.write(`${line}\n`)).then(
    (code) => {
      process.exitCode = code;
      // Every handle of the twin is closed by now; this only guards against a stray keep-alive socket.
      setTimeout(() => process.exit(code), 500).unref();
    },
    (e: unknown) => {
      process.stderr.write(`nightshift twin: internal error: ${(e as Error)?.stack ?? String(e)}\n`);
      process.exit(70);
    },
  );
}

function invokedDirectly(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (invokedDirectly()) runTwinMain(process.argv.slice(2));
