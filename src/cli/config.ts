/** `nightshift config check`: print the resolved config, or one line per problem and exit 3. */
import { stringify } from 'yaml';
import { redactedConfig } from '../config/load.js';
import { action, type Register } from './command.js';
import { printJson } from './context.js';

export const registerConfig: Register = (program, exit, io) => {
  const config = program.command('config').description('Inspect the configuration');
  config
    .command('check')
    .description('Validate the config file and print the resolved config (defaults filled in, secrets redacted)')
    .option('--json', 'print as JSON')
    .action(
      action(exit, io, (ctx) => {
        const resolved = redactedConfig(ctx.config);
        if (ctx.json) printJson(io, resolved);
        else {
          const source = ctx.loaded.fromFile ? ctx.loaded.file : `${ctx.loaded.file} (not found: all defaults)`;
          io.out(`# resolved config from ${source}\n${stringify(resolved)}`);
        }
        return 0;
      }),
    );
};
