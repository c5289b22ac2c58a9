/**
 * Standalone twin entry: `node dist/twin/main.js MODEL [flags]` is `nightshift twin serve MODEL [flags]` without
 * loading the rest of the CLI. test/support/twin.ts spawns it.
 */
import { runTwinServe } from './command.js';

runTwinServe(process.argv.slice(2), (line) => process.stderr.write(`${line}\n`)).then(
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
