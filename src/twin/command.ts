/**
 * `twin serve` as one function, shared by the CLI (`nightshift twin serve ...`, src/cli/twin.ts) and the
 * standalone entry (src/twin/main.ts, which test/support/twin.ts spawns so twin-based tests do not depend on
 * every other CLI module loading). Returns the process exit code: 2 for a vLLM-style argument error,
 * 3 for a twin usage error (unknown model, GPU or bad faults file), 1 for an engine failure, 0 after a stop.
 */
import { describeError, NightshiftError } from '../core/errors.js';
import { systemClock } from '../system/clock.js';
import { parseTwinArgs, TwinArgError } from './args.js';
import { serveTwin } from './serve.js';

export async function runTwinServe(argv: readonly string[], err: (line: string) => void): Promise<number> {
  let args: ReturnType<typeof parseTwinArgs>;
  try {
    args = parseTwinArgs(argv);
  } catch (e) {
    if (e instanceof TwinArgError) {
      err(e.message);
      return e.exitCode;
    }
    throw e;
  }
  try {
    const running = await serveTwin(args, { clock: systemClock, processHooks: true });
    return await running.done;
  } catch (e) {
    if (!(e instanceof NightshiftError)) throw e;
    err(describeError(e));
    return e.exitCode;
  }
}
