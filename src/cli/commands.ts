/** Every subcommand module, in the order `--help` lists them. Add a command by adding its register here. */
import type { Register } from './command.js';
import { registerConfig } from './config.js';

export const COMMANDS: Register[] = [registerConfig];
