/** `nightshift breaker list | reset KIND`: the circuit breakers of config tuning, one per escalation kind. */
import { UsageError } from '../core/errors.js';
import { readBreakers, resetBreaker } from '../loop/control/breakers.js';
import { action, type Register } from './command.js';
import { printJson } from './context.js';
import { shortTime, table } from './loop-app.js';

export const registerBreaker: Register = (program, exit, io) => {
  const cmd = program
    .command('breaker')
    .description('Circuit breakers: tuning of a kind stops after repeated failures');
  cmd
    .command('list', { isDefault: true })
    .description('Every breaker with its state and count')
    .option('--json', 'print as JSON')
    .action(
      action(exit, io, (ctx) => {
        const kinds = readBreakers(ctx.paths);
        if (ctx.json) {
          printJson(io, kinds);
          return 0;
        }
        const entries = Object.entries(kinds);
        if (entries.length === 0) {
          io.out('no breakers yet (no tuning run has failed)');
          return 0;
        }
        io.out(
          table(
            ['kind', 'state', 'failures', 'opened', 'reason'],
            entries.map(([k, b]) => [
              k,
              b.state === 'open' ? 'OPEN' : 'closed',
              String(b.failures),
              b.opened_at !== undefined ? shortTime(b.opened_at, ctx.config.timezone) : '-',
              b.reason ?? '-',
            ]),
          ),
        );
        return 0;
      }),
    );
  cmd
    .command('reset')
    .argument('<kind>', 'escalation kind, e.g. latency_regression')
    .description('Close the breaker of KIND: the loop may tune it again')
    .option('--json', 'print the breaker as it was, as JSON')
    .action(
      action(exit, io, (ctx, kind: string) => {
        if (!/^[a-z][a-z0-9_]*$/.test(kind)) throw new UsageError(`breaker: "${kind}" is not an escalation kind`);
        // A mistyped kind must not look like a successful reset while the real breaker stays open.
        const known = readBreakers(ctx.paths);
        if (known[kind] === undefined) {
          const names = Object.entries(known).map(([k, b]) => `${k} (${b.state === 'open' ? 'OPEN' : 'closed'})`);
          throw new UsageError(
            `breaker: no breaker for "${kind}"${names.length > 0 ? `; there are: ${names.join(', ')}` : ''}`,
            names.length > 0
              ? 'reset one of those by its exact kind'
              : 'no tuning run has failed yet: nothing to reset',
          );
        }
        const was = resetBreaker(ctx.paths, ctx.config.mode, kind);
        if (ctx.json) printJson(io, { kind, was: was ?? null });
        else if (!was) io.out(`breaker ${kind}: there was none; now closed`);
        else
          io.out(
            `breaker ${kind}: ${was.state === 'open' ? 'was OPEN' : 'was closed'} (${was.failures} failures); now closed, the loop may tune ${kind} again`,
          );
        return 0;
      }),
    );
};
